#!/bin/bash
# A source that changes while it is staged, across 3 fake nodes: rank 0
# stops after reading chunk 3 of a 2 MiB file (MPIFT_TEST_PAUSE, with
# MPIFT_TEST_PAUSE_FILE as the signal), the test rewrites the file in
# place or truncates it, and rank 0 reads on.  No node may hold a mix of
# two versions: with retries the file is sent again and every node holds
# the new version whole (exit 0, a warning names the change); without,
# the file fails "changed while being staged" (exit 1) and no node holds
# it.  A truncation says it shrank, not "Input/output error".
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" fakenodes=3x1 timeout=120
plan 6

mkdir -p "$t/src"
head -c $((2 * 1024 * 1024)) /dev/urandom >"$t/old.dat"
head -c $((2 * 1024 * 1024)) /dev/urandom >"$t/new.dat"
printf 'a small file beside it\n' >"$t/src/small.txt"
for r in 0 2; do
    cat >"$t/r$r.cfg" <<CFG
version = 1;
paths: { source = "$t/src"; dest = "$FAKE_SCRATCH/stage"; };
transfer: { chunk_size = "64K"; window = 2; retries = $r; };
stage_in = ( { src = "big.dat"; dest = ""; }, { src = "small.txt"; dest = ""; } );
CFG
done

# paused_run CFG ACTION: a fresh stage-in of the old big.dat with CFG; rank
# 0 stops after its chunk 3, ACTION (a command line) runs, rank 0 goes on.
# The job's exit status in $t/rc, its output in $t/log and $t/err.
paused_run() {
    local pid rc=0
    cp "$t/old.dat" "$t/src/big.dat"
    fakenodes_clear stage
    rm -f "$t/pause"
    MPIFT_TEST_PAUSE=0:3:60 MPIFT_TEST_PAUSE_FILE=$t/pause \
        fakenodes_mpirun 3 "$stage" --module "$faults" --config "$1" >"$t/log" 2>"$t/err" &
    pid=$!
    if wait_paused "$pid" "$t/pause"; then
        eval "$2" || fail "could not change the source: $2"
        rm -f "$t/pause"
        echo paused >"$t/paused"
    fi
    wait "$pid" || rc=$?
    echo "$rc" >"$t/rc"
    [ -e "$t/paused" ] || fail "rank 0 never paused (exit $rc): $(cat "$t/log" "$t/err")"
    rm -f "$t/paused"
    [ "$rc" != 124 ] || fail "the job hung: $(cat "$t/log" "$t/err")"
}

# every_node WANT: big.dat on each node is byte-identical to WANT, or
# absent with WANT "none"; small.txt is there; no temporary file anywhere.
every_node() {
    local h f
    for h in $FAKE_HOSTS; do
        f=$FAKE_NODEDIR/$h/stage/big.dat
        if [ "$1" = none ]; then
            [ ! -e "$f" ] || fail "$h holds big.dat although it failed ($(stat -c %s "$f") bytes)"
        else
            cmp -s "$1" "$f" || fail "$h: big.dat is not the new version whole ($(stat -c %s "$f" 2>/dev/null) bytes)"
        fi
        cmp -s "$t/src/small.txt" "$FAKE_NODEDIR/$h/stage/small.txt" || fail "$h: small.txt missing or wrong"
    done
    no_temporaries "temporary files left" "$FAKE_NODEDIR"
}

rewritten_resent() {
    paused_run "$t/r2.cfg" 'dd if="$t/new.dat" of="$t/src/big.dat" bs=64K conv=notrunc status=none'
    [ "$(cat "$t/rc")" = 0 ] || fail "rewritten, with retries: exit $(cat "$t/rc"), expected 0: $(cat "$t/log" "$t/err")"
    grep -q "$t/src/big.dat: changed while being staged (it was written to while it was read); re-sending (attempt 2 of 3)" "$t/err" ||
        fail "the change is not named: $(cat "$t/err")"
    every_node "$t/new.dat"
}
scenario "a source rewritten in place mid-read is sent again: every node holds the new version whole (exit 0)" rewritten_resent

rewritten_fails() {
    paused_run "$t/r0.cfg" 'dd if="$t/new.dat" of="$t/src/big.dat" bs=64K conv=notrunc status=none'
    [ "$(cat "$t/rc")" = 1 ] || fail "rewritten, no retries: exit $(cat "$t/rc"), expected 1: $(cat "$t/log" "$t/err")"
    grep -q "mpift-node1 (rank 0): $t/src/big.dat: changed while being staged (it was written to while it was read): not staged; run again once nothing writes to it$" "$t/err" ||
        fail "the failure does not say the file changed: $(cat "$t/err")"
    expect_summary "$t/log" 3 0 3
    every_node none
}
scenario "without retries it fails 'changed while being staged' (exit 1) and no node holds a mix" rewritten_fails

truncated_fails() {
    paused_run "$t/r0.cfg" 'truncate -s 100000 "$t/src/big.dat"'
    [ "$(cat "$t/rc")" = 1 ] || fail "truncated, no retries: exit $(cat "$t/rc"), expected 1: $(cat "$t/log" "$t/err")"
    grep -q "$t/src/big.dat: changed while being staged (it shrank from 2097152 to 100000 bytes while it was read)" "$t/err" ||
        fail "the truncation is not named: $(cat "$t/err")"
    ! grep -qi "input/output error" "$t/err" || fail "a truncation reported as an I/O error: $(cat "$t/err")"
    every_node none
}
scenario "a truncation mid-read says the file shrank (exit 1); no node holds it" truncated_fails

truncated_resent() {
    paused_run "$t/r2.cfg" 'truncate -s 100000 "$t/src/big.dat"'
    [ "$(cat "$t/rc")" = 0 ] || fail "truncated, with retries: exit $(cat "$t/rc"), expected 0: $(cat "$t/log" "$t/err")"
    every_node "$t/src/big.dat"
    [ "$(stat -c %s "$FAKE_NODEDIR/${fake_host[2]}/stage/big.dat")" = 100000 ] || fail "not the truncated version"
}
scenario "with retries the truncated file is sent again, whole, to every node (exit 0)" truncated_resent

# The console's send of a file rewritten while it is read: the worker's
# copy is dropped and the send is retried, so what lands is whole.
console_resent() {
    local pid rc=0
    cp "$t/old.dat" "$t/src/big.dat"
    fakenodes_clear stage
    rm -f "$t/pause"
    printf 'send big.dat 2\nquit\n' >"$t/in"
    MPIFT_STDIN=$t/in MPIFT_TEST_PAUSE=0:3:60 MPIFT_TEST_PAUSE_FILE=$t/pause \
        fakenodes_mpirun 3 "$stage" --module "$faults" --config "$t/r2.cfg" --shell >"$t/log" 2>"$t/err" &
    pid=$!
    wait_paused "$pid" "$t/pause" && dd if="$t/new.dat" of="$t/src/big.dat" bs=64K conv=notrunc status=none
    rm -f "$t/pause"
    wait "$pid" || rc=$?
    [ "$rc" != 124 ] || fail "the console hung: $(cat "$t/log" "$t/err")"
    grep -q "big.dat: changed while being staged" "$t/err" "$t/log" || fail "the change is not named: $(cat "$t/log" "$t/err")"
    [ ! -e "$FAKE_NODEDIR/${fake_host[2]}/stage/big.dat" ] ||
        cmp -s "$t/new.dat" "$FAKE_NODEDIR/${fake_host[2]}/stage/big.dat" || fail "the console's copy mixes two versions"
    no_temporaries "temporary files left" "$FAKE_NODEDIR"
}
scenario "the console's send of a file rewritten mid-read leaves no mix on the worker" console_resent

# Stage-out: node 2's writer (rank 1) stops mid-file, the file in its dest
# root is rewritten; rank 0 asks for it again and collects it whole.
stage_out_resent() {
    local pid rc=0 h
    fakenodes_clear stage
    for h in $FAKE_HOSTS; do mkdir -p "$FAKE_NODEDIR/$h/stage" && cp "$t/old.dat" "$FAKE_NODEDIR/$h/stage/big.dat"; done
    sed -e 's|^stage_in = .*|stage_out = ( { src = "big.dat"; dest = "%h/"; } );|' \
        -e "s|dest = \"$FAKE_SCRATCH/stage\";|&  collect = \"$t/collect\";|" "$t/r2.cfg" >"$t/o.cfg"
    rm -f "$t/pause"
    MPIFT_TEST_PAUSE=1:3:60 MPIFT_TEST_PAUSE_FILE=$t/pause \
        fakenodes_mpirun 3 "$stage" --module "$faults" --config "$t/o.cfg" --out >"$t/log" 2>"$t/err" &
    pid=$!
    wait_paused "$pid" "$t/pause" &&
        dd if="$t/new.dat" of="$FAKE_NODEDIR/${fake_host[1]}/stage/big.dat" bs=64K conv=notrunc status=none
    rm -f "$t/pause"
    wait "$pid" || rc=$?
    [ "$rc" = 0 ] || fail "stage-out of a file rewritten mid-read: exit $rc, expected 0: $(cat "$t/log" "$t/err")"
    grep -q "${fake_host[1]} (rank 1): $FAKE_SCRATCH/stage/big.dat: changed while being staged (it was written to while it was read)" "$t/err" ||
        fail "the writer does not name the change: $(cat "$t/err")"
    cmp -s "$t/new.dat" "$t/collect/${fake_host[1]}/big.dat" || fail "collect does not hold the new version whole"
    cmp -s "$t/old.dat" "$t/collect/${fake_host[0]}/big.dat" || fail "the other node's file differs"
    no_temporaries "temporary files left in collect" "$t/collect"
}
scenario "stage-out of a file rewritten mid-read asks for it again and collects it whole (exit 0)" stage_out_resent
done_testing
