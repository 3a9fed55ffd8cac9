#!/bin/bash
# Preflight across 3 fake nodes: one node's dest is a 1 MiB tmpfs, too
# small for the 6 MB test tree.  Before any bytes move the run stops on
# every rank (exit 1) with the node, the need and the free space named,
# and no node received anything.  With room again, the same run succeeds.
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
small=$FAKE_NODEDIR/$2
mount -t tmpfs -o size=1m mpift-test "$small" 2>/dev/null || skip "cannot mount a tmpfs here"
at_exit sh -c 'umount "$1" 2>/dev/null; :' sh "$small"

write_cfg "$t/p.cfg" "$t/src" "$FAKE_SCRATCH/stage"
rc=0; fakenodes_mpirun 3 "$stage" --config "$t/p.cfg" >"$t/log" 2>"$t/err" || rc=$?
[ "$rc" = 1 ] || fail "no room on $2: exit $rc, expected 1: $(cat "$t/log" "$t/err")"
grep -q "$2 (rank 1): $2: needs [0-9.]* MB for $FAKE_SCRATCH/stage but its file system has [01]\.[0-9] MB free: nothing was sent" "$t/err" ||
    fail "shortfall not explained: $(cat "$t/err")"
[ "$(grep -c "needs .* MB for" "$t/err")" = 1 ] || fail "a node with room was blamed: $(cat "$t/err")"
for h in $FAKE_HOSTS; do
    [ -z "$(find "$FAKE_NODEDIR/$h" -type f 2>/dev/null)" ] || fail "$h received files although the run was refused"
done

umount "$small"
fakenodes_mpirun 3 "$stage" --config "$t/p.cfg" >"$t/log" 2>&1 || fail "with room: $(cat "$t/log")"
for h in $FAKE_HOSTS; do
    compare_tree "$t/src/tree" "$FAKE_NODEDIR/$h/stage" || fail "$h's copy differs"
done
pass
