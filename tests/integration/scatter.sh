#!/bin/bash
# Scatter and dry run across 3 fake nodes x 2 ranks.  to = "rank" with %r
# in src: each rank receives only its own shard, in its own node's folder;
# a rank whose shard is missing is named by its rank number (exit 1) and
# the others still get theirs.  --dry-run prints the plan and creates
# nothing on any node.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/fakenodes.sh"
. "$top_srcdir/tests/lib/stage.sh"
need_fakenodes
MPIFT_TEST_TIMEOUT=${MPIFT_TEST_TIMEOUT:-120}

stage_setup
fakenodes_setup 3 2
set -- $FAKE_HOSTS
hosts=("$1" "$1" "$2" "$2" "$3" "$3")
mkdir -p "$t/src/shards"
for r in 0 1 2 3 5; do
    head -c $((r * 77777 + 3)) /dev/urandom >"$t/src/shards/part-$r.bin"
done
write_cfg "$t/s.cfg" "$t/src" "$FAKE_SCRATCH/%r" "" \
    '{ src = "shards/part-%r.bin"; dest = "shard.bin"; to = "rank"; }, { src = "tree/with space.dat"; dest = ""; }'

# Dry run first: the plan, and nothing on any node.
fakenodes_mpirun 6 "$stage" --config "$t/s.cfg" --dry-run >"$t/log" 2>"$t/err"
grep -q "dry run: .* would be sent, policy pipeline, copies per-node, 3 nodes; nothing was transferred" "$t/log" ||
    fail "dry run: no plan: $(cat "$t/log" "$t/err")"
grep -q "shard.bin" "$t/log" || fail "dry run does not list the shards: $(cat "$t/log")"
[ -z "$(find "$FAKE_NODEDIR" -type f)" ] || fail "a dry run wrote files: $(find "$FAKE_NODEDIR" -type f)"

rc=0; fakenodes_mpirun 6 "$stage" --config "$t/s.cfg" >"$t/log" 2>"$t/err" || rc=$?
[ "$rc" = 1 ] || fail "scatter with a missing shard: exit $rc, expected 1: $(cat "$t/log" "$t/err")"
grep -q "part-4.bin: No such file or directory (stage_in\[0\], for rank 4)" "$t/err" ||
    fail "the missing shard is not named by its rank: $(cat "$t/err")"
for r in 0 1 2 3 5; do
    cmp -s "$t/src/shards/part-$r.bin" "$FAKE_NODEDIR/${hosts[$r]}/$r/shard.bin" || fail "rank $r did not get its own shard"
done
[ ! -e "$FAKE_NODEDIR/${hosts[4]}/4/shard.bin" ] || fail "rank 4 got a shard that does not exist"
# Each rank holds its shard only: no other rank's.
[ "$(find "$FAKE_NODEDIR" -name shard.bin | wc -l)" = 5 ] || fail "shards landed elsewhere: $(find "$FAKE_NODEDIR" -name shard.bin)"
# The shared file went to the node leaders' roots (ranks 0, 2, 4), once per node.
for r in 0 2 4; do
    cmp -s "$t/src/tree/with space.dat" "$FAKE_NODEDIR/${hosts[$r]}/$r/with space.dat" || fail "node leader $r lacks the shared file"
done
[ "$(find "$FAKE_NODEDIR" -name 'with space.dat' | wc -l)" = 3 ] || fail "the shared file is not one copy per node"
pass
