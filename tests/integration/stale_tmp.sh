#!/bin/bash
# Temporary files of an interrupted run are cleaned by the next, whichever
# rank leads the node then.  2 fake nodes x 2 slots: the first run places
# ranks by slot (node 2 led by rank 2), and rank 2 kills itself mid-file
# (MPIFT_TEST_KILL=2:20), leaving its temporary file on node 2.  The next
# run places ranks by node (node 2 led by rank 1): it completes every
# file and leaves no temporary file on any node.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" fakenodes=2x2 timeout=120
plan 2

mkdir -p "$t/src"
for i in 1 2; do
    head -c $((2 * 1024 * 1024 + i)) /dev/urandom >"$t/src/f$i.bin"
done
cat >"$t/k.cfg" <<CFG
version = 1;
paths: { source = "$t/src"; dest = "$FAKE_SCRATCH/k"; };
transfer: { chunk_size = "64K"; window = 2; };
stage_in = ( { src = "*.bin"; dest = ""; } );
CFG
n2=$FAKE_NODEDIR/${fake_host[1]}

killed() {
    local rc=0
    MPIFT_TEST_KILL=2:20 fakenodes_mpirun 4 "$stage" --module "$faults" --config "$t/k.cfg" >"$t/log" 2>&1 || rc=$?
    [ "$rc" != 0 ] || fail "a killed rank did not fail the job: $(cat "$t/log")"
    [ "$rc" != 124 ] || fail "the job hung after a rank was killed: $(cat "$t/log")"
    [ -n "$(find "$n2" -name '.mpift-*.tmp')" ] || fail "the killed rank left no temporary file: nothing to test"
}
scenario "rank 2, node 2's leader, killed mid-file leaves a temporary file there" killed

swept() {
    local h
    after killed
    # shellcheck disable=SC2046
    fakenodes_mpirun 4 $(mpift_by_node) "$stage" --config "$t/k.cfg" --verbose >"$t/log" 2>&1 ||
        fail "the next run, node 2 led by rank 1: $(cat "$t/log")"
    grep -q "node 1 (${fake_host[1]}) has 2 ranks, leader rank 1;" "$t/log" ||
        fail "node 2 is not led by rank 1 this time: $(cat "$t/log")"
    for h in $FAKE_HOSTS; do
        compare_tree "$t/src" "$FAKE_NODEDIR/$h/k" || fail "$h: not complete"
    done
    no_temporaries "temporary files of the killed run survive" "$FAKE_NODEDIR"
}
scenario "the next run, with another leader on that node, completes and leaves no temporary file" swept
done_testing
