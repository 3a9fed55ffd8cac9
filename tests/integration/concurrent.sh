#!/bin/bash
# Two runs into one destination, on 2 local ranks.  The first stage-in
# stops mid-file (MPIFT_TEST_PAUSE, with MPIFT_TEST_PAUSE_FILE as the
# signal) while it holds its dest root; a second stage-in into the same
# root refuses at once (exit 1), naming the root and what to do, and
# writes nothing; the first then completes (exit 0).  Meanwhile a reader
# watches the final paths: each is absent or whole, never partial.  Once
# the first has ended the root is free again.  Stage-out into one collect
# folder behaves the same.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" mpirun timeout=120
plan 5

mkdir -p "$t/src"
head -c $((4 * 1024 * 1024)) /dev/urandom >"$t/src/big1.bin"
head -c $((3 * 1024 * 1024 + 7)) /dev/urandom >"$t/src/big2.bin"
mkdir -p "$t/src/ro" && printf 'kept\n' >"$t/src/ro/f.txt" && chmod 0555 "$t/src/ro"
cat >"$t/c.cfg" <<CFG
version = 1;
paths: { source = "$t/src"; dest = "$t/dest"; collect = "$t/collect"; };
transfer: { chunk_size = "64K"; window = 2; };
stage_in = ( { src = "*.bin"; dest = ""; }, { src = "ro/"; dest = "ro/"; recursive = true; preserve = true; } );
stage_out = ( { src = "*.bin"; dest = ""; } );
CFG

# watch DIR: until $t/stop exists, note in $t/bad every size of big1.bin
# or big2.bin under DIR that is neither absent nor the whole file's.
watch() {
    local f s want
    while [ ! -e "$t/stop" ]; do
        for f in big1.bin big2.bin; do
            want=$(stat -c %s "$t/src/$f")
            s=$(stat -c %s "$1/$f" 2>/dev/null) || continue
            [ "$s" = "$want" ] || echo "$f: $s bytes" >>"$t/bad"
        done
    done
}

# two_runs MODE DIR: run A (MODE: "" or --out) stops at its chunk 10; run
# B, the same, starts and ends meanwhile; A goes on.  Exit codes in
# $t/rc.a and $t/rc.b, output in $t/{a,b}.{log,err}; bad sizes seen in
# DIR in $t/bad.
two_runs() {
    local mode=$1 pid wpid rc=0
    rm -f "$t/pause" "$t/stop" "$t/bad"
    watch "$2" &
    wpid=$!
    MPIFT_TEST_PAUSE=0:10:60 MPIFT_TEST_PAUSE_FILE=$t/pause \
        mpift_mpirun -n 2 "$stage" --module "$faults" --config "$t/c.cfg" $mode >"$t/a.log" 2>"$t/a.err" &
    pid=$!
    if wait_paused "$pid" "$t/pause"; then
        mpift_mpirun -n 2 "$stage" --config "$t/c.cfg" $mode >"$t/b.log" 2>"$t/b.err" || rc=$?
        echo "$rc" >"$t/rc.b"
        stat -c %a "$2/ro" >"$t/mode.during" 2>/dev/null
        rm -f "$t/pause"
    fi
    rc=0
    wait "$pid" || rc=$?
    echo "$rc" >"$t/rc.a"
    : >"$t/stop"
    wait "$wpid"
    [ -e "$t/rc.b" ] || fail "run A never paused (exit $rc): $(cat "$t/a.log" "$t/a.err")"
}

stage_in_twice() {
    two_runs "" "$t/dest"
    [ "$(cat "$t/rc.b")" = 1 ] || fail "the second run: exit $(cat "$t/rc.b"), expected 1: $(cat "$t/b.log" "$t/b.err")"
    grep -q "(rank 0): [^ ]*: another mpift run is writing into $t/dest: nothing was sent; wait for it to end or point paths.dest elsewhere" "$t/b.err" ||
        fail "the refusal is not explained: $(cat "$t/b.err")"
    expect_summary "$t/b.log" 0 0 3
    [ "$(cat "$t/mode.during")" = 755 ] ||
        fail "the refused run changed the first run's folder: mode $(cat "$t/mode.during"), expected 755 until it ends"
    [ "$(cat "$t/rc.a")" = 0 ] || fail "the first run: exit $(cat "$t/rc.a"), expected 0: $(cat "$t/a.log" "$t/a.err")"
    expect_summary "$t/a.log" 3 0 0
    [ "$(stat -c %a "$t/dest/ro")" = 555 ] || fail "the kept mode was not applied at the end"
}
scenario "a second stage-in into a dest root being written refuses at once (exit 1); the first completes" stage_in_twice

stage_in_whole() {
    after stage_in_twice
    [ ! -s "$t/bad" ] || fail "a reader saw partial files at the final path: $(sort -u "$t/bad")"
    cmp -s "$t/src/big1.bin" "$t/dest/big1.bin" && cmp -s "$t/src/big2.bin" "$t/dest/big2.bin" ||
        fail "the first run's files are not whole"
    no_temporaries "temporary files left" "$t/dest"
}
scenario "the final paths only ever held nothing or the whole file; no temporary file is left" stage_in_whole

free_again() {
    after stage_in_twice
    mpift_mpirun -n 2 "$stage" --config "$t/c.cfg" >"$t/log" 2>&1 || fail "after the first run ended: $(cat "$t/log")"
    expect_summary "$t/log" 0 3 0
}
scenario "once the first run has ended the dest root is free: the same run finds all unchanged (exit 0)" free_again

stage_out_twice() {
    after stage_in_twice
    two_runs --out "$t/collect"
    [ "$(cat "$t/rc.b")" = 1 ] || fail "the second stage-out: exit $(cat "$t/rc.b"), expected 1: $(cat "$t/b.log" "$t/b.err")"
    grep -q "another mpift run is writing into $t/collect: nothing was copied; wait for it to end or point paths.collect elsewhere" "$t/b.err" ||
        fail "the refusal is not explained: $(cat "$t/b.err")"
    [ "$(cat "$t/rc.a")" = 0 ] || fail "the first stage-out: exit $(cat "$t/rc.a"), expected 0: $(cat "$t/a.log" "$t/a.err")"
    [ ! -s "$t/bad" ] || fail "a reader saw partial files in collect: $(sort -u "$t/bad")"
    cmp -s "$t/src/big1.bin" "$t/collect/big1.bin" && cmp -s "$t/src/big2.bin" "$t/collect/big2.bin" ||
        fail "the first stage-out's files are not whole"
    no_temporaries "temporary files left in collect" "$t/collect"
}
scenario "a second stage-out into a collect folder being written refuses (exit 1); the first completes, whole" stage_out_twice

# One run, several writers into one root: a scatter's targets share their
# node leader's root (no %r in paths.dest).  They are one run: the lowest
# holds the root, the others do not refuse.
one_run_shared_root() {
    local r
    for r in 0 1 2; do head -c $((100000 + r)) /dev/urandom >"$t/src/shard-$r.dat"; done
    cat >"$t/s.cfg" <<CFG
version = 1;
paths: { source = "$t/src"; dest = "$t/shared"; };
stage_in = ( { src = "shard-%r.dat"; dest = ""; to = "rank"; }, { src = "big2.bin"; dest = ""; } );
CFG
    mpift_mpirun -n 3 "$stage" --config "$t/s.cfg" >"$t/log" 2>&1 || fail "one run into one shared root: $(cat "$t/log")"
    for r in 0 1 2; do
        cmp -s "$t/src/shard-$r.dat" "$t/shared/shard-$r.dat" || fail "rank $r's shard is missing or wrong"
    done
}
scenario "the ranks of one run writing into one root (a scatter) do not refuse each other" one_run_shared_root
done_testing
