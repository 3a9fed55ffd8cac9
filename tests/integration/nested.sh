#!/bin/bash
# One run per tree (docs/paths.md): while a stage-in writes into D (it
# stops mid-file: MPIFT_TEST_PAUSE), a stage-in into D/sub is refused at
# once (exit 1) naming D, and while one writes into E/sub a stage-in into
# E is refused naming E/sub; nothing is written by the refused run and
# the first completes.  Locally on 2 ranks, and on 3 fake nodes: the first
# run on nodes 1-2, the second on nodes 1-3 is refused by nodes 1 and 2
# only (node 3 has no run in that tree: per node).  A stage-out whose
# collect folder holds a dest root in use is refused the same way.  Once
# the first has ended the nested run goes through; an entry a killed run
# left does not block.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" fakenodes=3x1 python3 timeout=120
plan 6

mkdir -p "$t/src"
head -c $((4 * 1024 * 1024)) /dev/urandom >"$t/src/big.bin"
printf 'small\n' >"$t/src/small.txt"

# cfg FILE DEST: stage both files into DEST with small chunks.
cfg() {
    printf 'version = 1;\npaths: { source = "%s/src"; dest = "%s"; collect = "%s"; };\n%s\n%s\n%s\n' "$t" "$2" \
        "${3:-$t/collect}" 'transfer: { chunk_size = "64K"; window = 2; };' \
        'stage_in = ( { src = "*"; dest = ""; } );' 'stage_out = ( { src = "small.txt"; dest = "%h/"; } );' >"$1"
}

# two_runs LAUNCH_A NP_A A_DEST LAUNCH_B NP_B B_DEST [B_ARGS]: run A into
# A_DEST stops at its chunk 10; run B into B_DEST starts and ends
# meanwhile; A goes on.  Exit codes in rc_a and rc_b, output in
# $t/{a,b}.log.
two_runs() {
    local pid
    cfg "$t/a.cfg" "$3"
    cfg "$t/b.cfg" "$6" "${8:-}"
    rm -f "$t/pause"
    rc_a=0 rc_b=
    MPIFT_TEST_PAUSE=0:10:60 MPIFT_TEST_PAUSE_FILE=$t/pause \
        "$1" "$2" "$stage" --module "$faults" --config "$t/a.cfg" >"$t/a.log" 2>&1 &
    pid=$!
    if wait_paused "$pid" "$t/pause"; then
        rc_b=0
        "$4" "$5" "$stage" --config "$t/b.cfg" ${7:-} >"$t/b.log" 2>&1 || rc_b=$?
        rm -f "$t/pause"
    fi
    wait "$pid" || rc_a=$?
    [ -n "$rc_b" ] || fail "run A never paused (exit $rc_a): $(cat "$t/a.log")"
    [ "$rc_a" = 0 ] || fail "the first run: exit $rc_a, expected 0: $(cat "$t/a.log")"
    cmp -s "$t/src/big.bin" "$3/big.bin" 2>/dev/null || [ "$1" = fakenodes_mpirun ] ||
        fail "the first run's copy is not whole"
}

# refused WHAT OTHER: run B exited 1 with "another mpift run is writing
# into OTHER" (then WHAT) and wrote nothing.
refused() {
    [ "$rc_b" = 1 ] || fail "the nested run: exit $rc_b, expected 1: $(cat "$t/b.log")"
    grep -q "another mpift run is writing into $2$1: nothing was sent; wait for it to end or point paths.dest elsewhere" "$t/b.log" ||
        fail "the refusal does not name the other root: $(cat "$t/b.log")"
}

# local_mpirun NP ...: NP local ranks.
local_mpirun() {
    local np=$1
    shift
    mpift_mpirun -n "$np" "$@"
}

below() {
    two_runs local_mpirun 2 "$t/D" local_mpirun 2 "$t/D/sub"
    refused ", which holds $t/D/sub" "$t/D"
    [ ! -e "$t/D/sub/small.txt" ] || fail "the refused run wrote into D/sub"
    two_runs local_mpirun 2 "$t/E/sub" local_mpirun 2 "$t/E"
    refused ", inside $t/E" "$t/E/sub"
    [ ! -e "$t/E/small.txt" ] || fail "the refused run wrote into E"
}
scenario "locally: D/sub while D is written, and E while E/sub is, are refused (exit 1) naming the other root" below

after_end() {
    after below
    cfg "$t/b.cfg" "$t/D/sub"
    local_mpirun 2 "$stage" --config "$t/b.cfg" >"$t/log" 2>&1 || fail "D/sub after D's run ended: $(cat "$t/log")"
    cmp -s "$t/src/big.bin" "$t/D/sub/big.bin" || fail "D/sub not staged"
}
scenario "once the run into D has ended, a run into D/sub goes through (exit 0)" after_end

collect_above() {
    after below   # D holds small.txt to gather
    two_runs local_mpirun 2 "$t/C/dest" local_mpirun 2 "$t/D" --out "$t/C"
    [ "$rc_b" = 1 ] || fail "stage-out into a folder holding a dest root in use: exit $rc_b: $(cat "$t/b.log")"
    grep -q "another mpift run is writing into $t/C/dest, inside $t/C: nothing was copied; wait for it to end or point paths.collect elsewhere" "$t/b.log" ||
        fail "the refusal does not name the other root: $(cat "$t/b.log")"
}
scenario "a stage-out whose collect folder holds a dest root in use is refused (exit 1) naming it" collect_above

# node_refusals OTHER_AND_WHAT: run B (on fake nodes 1-3) exited 1; nodes
# 1 and 2, where run A writes, each refused with "another mpift run is
# writing into OTHER_AND_WHAT"; node 3 did not; no file of B's on 1 and 2.
node_refusals() {
    local h
    [ "$rc_b" = 1 ] || fail "across nodes, $1: exit $rc_b, expected 1: $(cat "$t/b.log")"
    for h in "${fake_host[0]}" "${fake_host[1]}"; do
        grep -q "$h: another mpift run is writing into $1: nothing was sent" "$t/b.log" ||
            fail "$h does not refuse ($1): $(cat "$t/b.log")"
    done
    ! grep -q "${fake_host[2]}: another mpift run" "$t/b.log" || fail "node 3 refused, but no run writes there: $(cat "$t/b.log")"
}

nodes_both_ways() {
    local h
    two_runs fakenodes_mpirun 2 "$FAKE_SCRATCH/D" fakenodes_mpirun 3 "$FAKE_SCRATCH/D/sub"
    node_refusals "$FAKE_SCRATCH/D, which holds $FAKE_SCRATCH/D/sub"
    for h in "${fake_host[0]}" "${fake_host[1]}"; do
        cmp -s "$t/src/big.bin" "$FAKE_NODEDIR/$h/D/big.bin" || fail "the first run's copy on $h is not whole"
        [ -z "$(find "$FAKE_NODEDIR/$h/D/sub" -type f 2>/dev/null)" ] || fail "the refused run wrote files on $h"
    done
    two_runs fakenodes_mpirun 2 "$FAKE_SCRATCH/E/sub" fakenodes_mpirun 3 "$FAKE_SCRATCH/E"
    node_refusals "$FAKE_SCRATCH/E/sub, inside $FAKE_SCRATCH/E"
}
scenario "across fake nodes, both ways: each node where the other run writes refuses, naming its root; the others do not" nodes_both_ways

# An entry no run holds (its run was killed): it names D, which the next
# run's root D/dead is inside; the run goes through and removes it.
dead_entry() {
    local d=/run/mpift
    [ -d "$d" ] || d=/tmp/mpift-roots-0
    mkdir -p "$t/D"
    python3 - "$t/D" "$d/0000dead$$.root" <<'PY' || fail "cannot write a dead run's entry"
import os, sys
root, entry = sys.argv[1], sys.argv[2]
ids, p = [], root
while True:
    st = os.stat(p)
    ids.append("%d %d\n" % (st.st_dev, st.st_ino))
    if p == "/":
        break
    p = os.path.dirname(p)
with open(entry, "w") as f:
    f.write("mpift-root 1\n" + "".join(ids) + "root " + root)
PY
    cfg "$t/b.cfg" "$t/D/dead"
    local_mpirun 2 "$stage" --config "$t/b.cfg" >"$t/log" 2>&1 || fail "a dead run's entry blocked the run: $(cat "$t/log")"
    [ ! -e "$d/0000dead$$.root" ] || { rm -f "$d/0000dead$$.root"; fail "the dead run's entry was not removed"; }
}
scenario "an entry left by a killed run (its lock free) does not block a run, which removes it" dead_entry

registry_clean() {
    after nodes_both_ways
    local d=/run/mpift
    [ -d /run ] || d=/tmp/mpift-roots-0
    [ -d "$d" ] || fail "no registry $d"
    [ "$(stat -c '%U %a' "$d")" = "root 700" ] || fail "the registry $d is $(stat -c '%U %a' "$d"), expected root's, 700"
    ! grep -l -e "^root $t/" -e "^root $FAKE_SCRATCH/" "$d"/*.root 2>/dev/null || fail "entries of ended runs are left in $d"
}
scenario "the registry keeps no entry of an ended run" registry_clean
done_testing
