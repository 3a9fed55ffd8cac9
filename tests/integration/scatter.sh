#!/bin/bash
# Scatter and dry run across 3 fake nodes x 2 ranks.  to = "rank" with %r
# in src: each rank receives only its own shard, in its own node's folder;
# a rank whose shard is missing is named by its rank number (exit 1) and
# the others still get theirs.  --dry-run prints the plan and creates
# nothing on any node.  A scatter whose ranks of one node would write one
# path (one dest root per node, a dest without %r or %l) is refused before
# anything moves (exit 2), naming the entry, both ranks and the path.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" fakenodes=3x2 tree timeout=120
plan 6

hosts=("${rank_host[@]}")
mkdir -p "$t/src/shards"
for r in 0 1 2 3 5; do
    head -c $((r * 77777 + 3)) /dev/urandom >"$t/src/shards/part-$r.bin"
done
write_cfg "$t/s.cfg" "$t/src" "$FAKE_SCRATCH/%r" "" \
    '{ src = "shards/part-%r.bin"; dest = "shard.bin"; to = "rank"; }, { src = "tree/with space.dat"; dest = ""; }'

# Dry run first: the plan, and nothing on any node.
dry_run() {
    fakenodes_mpirun 6 "$stage" --config "$t/s.cfg" --dry-run >"$t/log" 2>"$t/err"
    grep -q "dry run: .* would be sent, policy pipeline, copies per-node, 3 nodes; nothing was transferred" "$t/log" ||
        fail "dry run: no plan: $(cat "$t/log" "$t/err")"
    grep -q "shard.bin" "$t/log" || fail "dry run does not list the shards: $(cat "$t/log")"
    [ -z "$(find "$FAKE_NODEDIR" -type f)" ] || fail "a dry run wrote files: $(find "$FAKE_NODEDIR" -type f)"
}
scenario "--dry-run prints the plan with the shards and writes nothing on any node" dry_run

scatter() {
    local rc=0
    fakenodes_mpirun 6 "$stage" --config "$t/s.cfg" >"$t/log" 2>"$t/err" || rc=$?
    [ "$rc" = 1 ] || fail "scatter with a missing shard: exit $rc, expected 1: $(cat "$t/log" "$t/err")"
    grep -q "part-4.bin: No such file or directory (stage_in\[0\], for rank 4)" "$t/err" ||
        fail "the missing shard is not named by its rank: $(cat "$t/err")"
}
scenario "a missing shard is named with its rank (exit 1)" scatter

own_shards() {
    local r
    after scatter
    for r in 0 1 2 3 5; do
        cmp -s "$t/src/shards/part-$r.bin" "$FAKE_NODEDIR/${hosts[$r]}/$r/shard.bin" || fail "rank $r did not get its own shard"
    done
    [ ! -e "$FAKE_NODEDIR/${hosts[4]}/4/shard.bin" ] || fail "rank 4 got a shard that does not exist"
}
scenario "every other rank gets its own shard, byte-exact, in its node's folder" own_shards

# Each rank holds its shard only: no other rank's.
only_own_shard() {
    after scatter
    [ "$(find "$FAKE_NODEDIR" -name shard.bin | wc -l)" = 5 ] || fail "shards landed elsewhere: $(find "$FAKE_NODEDIR" -name shard.bin)"
}
scenario "no rank receives another rank's shard" only_own_shard

# The shared file went to the node leaders' roots (ranks 0, 2, 4), once per node.
shared_file() {
    local r
    after scatter
    for r in 0 2 4; do
        cmp -s "$t/src/tree/with space.dat" "$FAKE_NODEDIR/${hosts[$r]}/$r/with space.dat" || fail "node leader $r lacks the shared file"
    done
    [ "$(find "$FAKE_NODEDIR" -name 'with space.dat' | wc -l)" = 3 ] || fail "the shared file is not one copy per node"
}
scenario "an entry without to = rank goes once to each node leader's root" shared_file

# One root per node ($FAKE_SCRATCH/clash) and one dest for every shard:
# ranks 0 and 1 (and 2 and 3) would write one shard.bin.
write_cfg "$t/c.cfg" "$t/src" "$FAKE_SCRATCH/clash" "" \
    '{ src = "shards/part-%r.bin"; dest = "shard.bin"; to = "rank"; }'
clash() {
    local rc=0 node1="ranks 0 and 1 on ${hosts[0]} would both write $FAKE_SCRATCH/clash/shard.bin: put %r or %l in its dest"
    fakenodes_mpirun 6 "$stage" --config "$t/c.cfg" >"$t/log" 2>"$t/err" || rc=$?
    # Exit 2; the entry as written, both ranks, the path and what to do; each node's clash.
    [ "$rc" = 2 ] && grep -qF "c.cfg: stage_in[0] (src \"shards/part-%r.bin\", dest \"shard.bin\"): $node1" "$t/err" &&
        grep -qF "ranks 2 and 3 on ${hosts[2]} would both write" "$t/err" ||
        fail "colliding scatter: exit $rc (expected 2), or a clash not named: $(cat "$t/log" "$t/err")"
    [ -z "$(find "$FAKE_NODEDIR" -path '*/clash*')" ] || fail "a refused run wrote: $(find "$FAKE_NODEDIR" -path '*/clash*')"
}
scenario "a scatter that two ranks of a node would write to one path: exit 2, entry, ranks and path named, nothing written" clash
done_testing
