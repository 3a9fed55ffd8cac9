#!/bin/bash
# mpift never takes its own temporary files (util/tmpname.h: every name
# that holds ".mpift-" and ends in ".tmp": a copy in progress, a report
# being written, or what a killed run left) for files, on 3 local ranks:
# stage-in's walk of a folder and a glob's matches skip them (--verbose
# names each), an entry naming one, or a copy named like one, is an
# error; stage-out of a folder where a killed stage-in left some gathers
# only the real results; the console refuses send, get, relay and bcast
# of one and ls does not list them; a console line holding a NUL byte is
# refused, nothing sent.
# (mpift_fetch and mpift_put of such names: tests/api/api_check.c.)
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" mpirun timeout=120
plan 3

mkdir -p "$t/src/data/sub" "$t/collect"
head -c 200000 /dev/urandom >"$t/src/data/a.dat"
echo b >"$t/src/data/sub/b.txt"
# What a killed run leaves: a copy's temporary and a report's.
head -c 1000 /dev/urandom >"$t/src/data/.mpift-00c0ffee00c0ffee-0000000000000001-r0.tmp"
echo '{"half' >"$t/src/data/sub/in.json.mpift-4242.tmp"
tmps=".mpift-00c0ffee00c0ffee-0000000000000001-r0.tmp sub/in.json.mpift-4242.tmp"

# cfg FILE STAGE_IN [STAGE_OUT]
cfg() {
    cat >"$1" <<CFG
version = 1;
paths: { source = "$t/src"; dest = "$t/dest/%r"; collect = "$t/collect"; };
workers: { copies = "per-rank"; };
${2:+stage_in = ( $2 );}
${3:+stage_out = ( $3 );}
CFG
}

walk_and_glob() {
    local r f
    cfg "$t/in.cfg" '{ src = "data/"; dest = "walk/"; recursive = true; },
        { src = "data/sub/*"; dest = "glob/"; }'
    mpift_mpirun -n 3 "$stage" --config "$t/in.cfg" --verbose >"$t/log" 2>&1 || fail "stage-in: exit $?: $(cat "$t/log")"
    for r in 0 1 2; do
        cmp -s "$t/src/data/a.dat" "$t/dest/$r/walk/a.dat" && cmp -s "$t/src/data/sub/b.txt" "$t/dest/$r/glob/b.txt" ||
            fail "rank $r: the real files are not staged: $(cat "$t/log")"
    done
    no_temporaries "mpift's temporary files were taken for files" "$t/dest"
    for f in $tmps; do
        grep -q "$t/src/data/$f: skipped: a temporary file of mpift" "$t/log" || fail "--verbose does not name $f: $(cat "$t/log")"
    done
    grep -q "$t/src/data/sub/in.json.mpift-4242.tmp: skipped: .*(stage_in\[1\])" "$t/log" ||
        fail "the glob's match is not named as skipped: $(cat "$t/log")"
    expect_summary "$t/log" 9 0 0
    # Named by an entry: an error naming it, the rest staged.
    cfg "$t/named.cfg" '{ src = "data/.mpift-00c0ffee00c0ffee-0000000000000001-r0.tmp"; dest = "n/"; },
        { src = "data/a.dat"; dest = "n/"; }, { src = "data/sub/b.txt"; dest = "n/b.mpift-1.tmp"; }'
    mpift_mpirun -n 3 "$stage" --config "$t/named.cfg" >"$t/log" 2>&1 && fail "a temporary file named by an entry was taken: $(cat "$t/log")"
    grep -q "data/.mpift-00c0ffee00c0ffee-0000000000000001-r0.tmp: a temporary file of mpift" "$t/log" ||
        fail "the named temporary file is not refused by name: $(cat "$t/log")"
    grep -q "data/sub/b.txt: cannot be staged as n/b.mpift-1.tmp: a temporary file of mpift" "$t/log" ||
        fail "a copy named like a temporary file is not refused: $(cat "$t/log")"
    [ -f "$t/dest/2/n/a.dat" ] || fail "the other entry was not staged: $(cat "$t/log")"
    no_temporaries "mpift's temporary files were taken for files" "$t/dest"
}
scenario "stage-in skips mpift's temporaries in a walk and a glob (--verbose names each); an entry naming one fails" walk_and_glob

# The issue's case: a killed stage-in left temporaries in each rank's
# results folder; stage-out gathers only the real results, exit 0.
stage_out_skips() {
    local r
    rm -rf "$t/dest" "$t/collect"
    mkdir -p "$t/collect"
    for r in 0 1 2; do
        mkdir -p "$t/dest/$r/out/deep"
        echo "rank $r" >"$t/dest/$r/out/result.txt"
        head -c 5000 /dev/urandom >"$t/dest/$r/out/deep/.mpift-1111222233334444-0000000000000002-r$r.tmp"
        echo partial >"$t/dest/$r/out/log.json.mpift-77.tmp"
    done
    cfg "$t/out.cfg" '' '{ src = "out/"; dest = "%r/"; recursive = true; }'
    mpift_mpirun -n 3 "$stage" --config "$t/out.cfg" --out --verbose >"$t/log" 2>&1 || fail "stage-out: exit $?: $(cat "$t/log")"
    for r in 0 1 2; do
        [ "$(cat "$t/collect/$r/result.txt" 2>&1)" = "rank $r" ] || fail "rank $r's result not gathered: $(cat "$t/log")"
        grep -q "out/deep/.mpift-1111222233334444-0000000000000002-r$r.tmp: skipped: a temporary file of mpift" "$t/log" ||
            fail "rank $r: --verbose does not name its skipped temporary file: $(cat "$t/log")"
    done
    no_temporaries "mpift's temporary files were taken for files" "$t/collect"
    grep -q "stage-out into $t/collect: 3 copies written, 0 unchanged, 0 failed" "$t/log" || fail "summary: $(cat "$t/log")"
}
scenario "stage-out of a folder where a killed stage-in left temporaries gathers only the results" stage_out_skips

cat >"$t/sh.cfg" <<CFG
version = 1;
paths: { source = "$t/src/data"; dest = "$t/dest/%r"; collect = "$t/collect"; };
CFG
console() {
    local rc=0 n
    rm -rf "$t/dest" "$t/collect"
    mkdir -p "$t/dest/1" "$t/collect"
    echo mine >"$t/dest/1/kept.txt"
    echo half >"$t/dest/1/.mpift-5555666677778888-0000000000000003-r1.tmp"
    echo half >"$t/dest/1/rep.json.mpift-9.tmp"
    {
        echo 'send .mpift-00c0ffee00c0ffee-0000000000000001-r0.tmp 1'
        echo 'send sub/in.json.mpift-4242.tmp 2'
        echo 'bcast sub/in.json.mpift-4242.tmp'
        echo 'get .mpift-5555666677778888-0000000000000003-r1.tmp 1'
        echo 'relay rep.json.mpift-9.tmp 1 2'
        printf 'send a.dat\0.evil 2\n'
        echo 'ls 1'
        echo 'send a.dat 2'
    } >"$t/in"
    MPIFT_STDIN=$t/in mpift_mpirun -n 3 "$stage" --config "$t/sh.cfg" --shell --verbose >"$t/out" 2>"$t/err" || rc=$?
    [ "$rc" = 1 ] || fail "exit $rc, expected 1: $(cat "$t/out" "$t/err")"
    grep -q "6 of 8 commands failed" "$t/err" "$t/out" || fail "not 6 of 8 commands failed: $(cat "$t/out" "$t/err")"
    n=$(grep -c "a temporary file of mpift" "$t/err")
    [ "$n" -ge 5 ] || fail "each temporary name is not refused ($n): $(cat "$t/out" "$t/err")"
    grep -q "a NUL byte at byte 11 of the line" "$t/err" || fail "the line with a NUL is not refused: $(cat "$t/err")"
    grep -q "kept.txt" "$t/out" || fail "ls 1 does not list kept.txt: $(cat "$t/out")"
    ! grep -Eq "^ *[0-9]+  .*mpift-.*\\.tmp$" "$t/out" || fail "ls lists a temporary file: $(cat "$t/out")"
    cmp -s "$t/src/data/a.dat" "$t/dest/2/a.dat" || fail "the good send did not land"
    no_temporaries "mpift's temporary files were taken for files" "$t/dest/2" "$t/collect"
    [ -z "$(find "$t/collect" -type f)" ] || fail "get took a temporary file: $(find "$t/collect" -type f)"
}
scenario "the console refuses mpift's temporary names and a line with a NUL byte; ls does not list temporaries" console
