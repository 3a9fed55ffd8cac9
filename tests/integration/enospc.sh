#!/bin/bash
# A node whose disk fills up mid-run (MPIFT_TEST_ENOSPC=1:3000000: rank 1,
# the second node's leader, gets ENOSPC after 3 MB): its files fail, each
# named with the node and "No space left on device"; no temporary file
# stays behind; it still relays, so the nodes after it in the pipeline
# complete; exit 1.  The next run repairs only that node.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" fakenodes=3x1 tree timeout=120
plan 4

n1=${fake_host[0]} n2=${fake_host[1]} n3=${fake_host[2]}
write_cfg "$t/f.cfg" "$t/src" "$FAKE_SCRATCH/stage"
# Writes $t/failed, the number of copies that failed.
disk_full() {
    local rc=0 failed
    MPIFT_TEST_ENOSPC=1:3000000 fakenodes_mpirun 3 "$stage" --module "$faults" --config "$t/f.cfg" >"$t/log" 2>"$t/err" || rc=$?
    [ "$rc" = 1 ] || fail "a full disk: exit $rc, expected 1: $(cat "$t/log" "$t/err")"
    grep -q "^mpift-stage: $n2 (rank 1): .*: No space left on device" "$t/err" || fail "full disk not named with its node: $(cat "$t/err")"
    ! grep -q "($n1\|$n3) (rank [02])" "$t/err" || fail "another node reported errors: $(cat "$t/err")"
    failed=$(summary_field "$t/log" "failed")
    [ "$failed" -gt 0 ] || fail "no failure counted: $(cat "$t/log")"
    echo "$failed" >"$t/failed"
}
scenario "a disk filling up fails that node's files (exit 1), each named with the node; no other node blamed" disk_full

whole_or_absent() {
    local f
    after disk_full
    no_temporaries "temporary files left on the full node" "$FAKE_NODEDIR/$n2"
    while IFS= read -r -d '' f; do
        cmp -s "$t/src/tree/$f" "$FAKE_NODEDIR/$n2/stage/$f" || fail "$n2: $f at its final path is not whole"
    done < <(cd "$FAKE_NODEDIR/$n2/stage" && find . -type f -print0)
}
scenario "the full node keeps no temporary file, and what stands at a final path is whole" whole_or_absent

others_complete() {
    local h
    after disk_full
    for h in "$n1" "$n3"; do
        compare_tree "$t/src/tree" "$FAKE_NODEDIR/$h/stage" || fail "$h did not complete"
    done
}
scenario "the full node still relays: the other nodes complete" others_complete

repair() {
    local failed
    after disk_full
    failed=$(cat "$t/failed")
    fakenodes_mpirun 3 "$stage" --config "$t/f.cfg" >"$t/log" 2>&1 || fail "repair run: $(cat "$t/log")"
    expect_summary "$t/log" "$failed" $((nfiles * 3 - failed)) 0
    compare_tree "$t/src/tree" "$FAKE_NODEDIR/$n2/stage" || fail "$n2 not repaired"
}
scenario "the next run repairs only what failed" repair
done_testing
