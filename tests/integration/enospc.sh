#!/bin/bash
# A node whose disk fills up mid-run (MPIFT_TEST_ENOSPC=1:3000000: rank 1,
# the second node's leader, gets ENOSPC after 3 MB): its files fail, each
# named with the node and "No space left on device"; no temporary file
# stays behind; it still relays, so the nodes after it in the pipeline
# complete; exit 1.  The next run repairs only that node.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/fakenodes.sh"
. "$top_srcdir/tests/lib/stage.sh"
need_fakenodes
MPIFT_TEST_TIMEOUT=${MPIFT_TEST_TIMEOUT:-120}

stage_setup
fakenodes_setup 3 1
set -- $FAKE_HOSTS
write_cfg "$t/f.cfg" "$t/src" "$FAKE_SCRATCH/stage"
rc=0; MPIFT_TEST_ENOSPC=1:3000000 fakenodes_mpirun 3 "$stage" --module "$faults" --config "$t/f.cfg" >"$t/log" 2>"$t/err" || rc=$?
[ "$rc" = 1 ] || fail "a full disk: exit $rc, expected 1: $(cat "$t/log" "$t/err")"
grep -q "^mpift-stage: $2 (rank 1): .*: No space left on device" "$t/err" || fail "full disk not named with its node: $(cat "$t/err")"
! grep -q "($1\|$3) (rank [02])" "$t/err" || fail "another node reported errors: $(cat "$t/err")"
failed=$(summary_field "$t/log" "failed")
[ "$failed" -gt 0 ] || fail "no failure counted: $(cat "$t/log")"
[ -z "$(find "$FAKE_NODEDIR/$2" -name '.mpift-*')" ] || fail "temporary files left on the full node"
for h in "$1" "$3"; do
    compare_tree "$t/src/tree" "$FAKE_NODEDIR/$h/stage" || fail "$h did not complete"
done
while IFS= read -r -d '' f; do
    cmp -s "$t/src/tree/$f" "$FAKE_NODEDIR/$2/stage/$f" || fail "$2: $f at its final path is not whole"
done < <(cd "$FAKE_NODEDIR/$2/stage" && find . -type f -print0)

fakenodes_mpirun 3 "$stage" --config "$t/f.cfg" >"$t/log" 2>&1 || fail "repair run: $(cat "$t/log")"
expect_summary "$t/log" "$failed" $((nfiles * 3 - failed)) 0
compare_tree "$t/src/tree" "$FAKE_NODEDIR/$2/stage" || fail "$2 not repaired"
pass
