#!/bin/bash
# Stage-in across 3 fake nodes x 2 ranks (own hostname, own node id, own
# node-local folder at the same path): every node holds exactly one
# byte-exact copy, for the pipeline, direct and tree policies (topology
# from PMIx under Open MPI, from MPI's shared-memory split under MPICH); a tree of
# per-rank copies relays node to node (0 -> 1, 2; 1 -> 3, 4; 2 -> 5); a
# re-run skips, --force re-sends; a missing source exits 1 naming it;
# 600 small files go in batches, for pipeline and tree.  Under Open MPI,
# --verbose says once per node that the TCP eager limit stays Open MPI's
# own (the nodes talk over lo: memory speed), or that it is the user's,
# or raised on every node alike when the user set the TCP send size.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" fakenodes=3x2 tree
plan 10

check_nodes() {
    local h
    for h in $FAKE_HOSTS; do
        compare_tree "$t/src/tree" "$FAKE_NODEDIR/$h/stage" || fail "$1: node $h copy differs"
        [ "$(ls -A "$FAKE_NODEDIR/$h")" = stage ] || fail "$1: node $h holds more than one copy: $(ls -A "$FAKE_NODEDIR/$h")"
    done
    [ -z "$(ls -A "$FAKE_SCRATCH")" ] || fail "$1: something was written to the real scratch folder"
}

# Open MPI's mpirun answers PMIx; MPICH's Hydra speaks PMI (and a build
# without PMIx asks nobody), so there the topology comes from MPI's
# shared-memory split, and --verbose says so.
topo=PMIx
mpift_pmix_topology || topo="MPI shared-memory split"

# stage_policy POLICY (from rank 0 as the policy says: the source is in a
# folder every fake node sees, which paths.source_shared = "auto" would
# stripe; tests/integration/stripe.sh tests that)
stage_policy() {
    local policy=$1
    fakenodes_clear stage
    write_cfg "$t/$policy.cfg" "$t/src" "$FAKE_SCRATCH/stage" "workers: { policy = \"$policy\"; };"
    fakenodes_mpirun 6 "$stage" --config "$t/$policy.cfg" --set paths.source_shared=no --verbose >"$t/log" 2>&1 ||
        fail "$policy: stage-in failed: $(cat "$t/log")"
    grep -q "topology from $topo: 6 ranks on 3 nodes" "$t/log" || fail "$policy: topology not from $topo / wrong: $(grep topology "$t/log")"
    [ "$(mpift_launcher)" != openmpi ] ||
        [ "$(grep -c "TCP eager limit left at its own (chunks land in place): lo loopback$" "$t/log")" = 3 ] ||
        fail "$policy: not one line per node keeping Open MPI's TCP eager limit on lo: $(grep -i eager "$t/log")"
    check_nodes "$policy"
    expect_summary "$t/log" $((nfiles * 3)) 0 0
}
for policy in pipeline direct tree; do
    scenario "$policy policy: topology from $topo, one byte-exact copy on every node" stage_policy "$policy"
done

# A tree deeper than one level: per-rank copies, fanout 2.  Ranks 2r and
# 2r+1 share a node.
per_rank_tree() {
    local r
    write_cfg "$t/tree2.cfg" "$t/src" "$FAKE_SCRATCH/rank/%r" \
        'workers: { policy = "tree"; fanout = 2; copies = "per-rank"; };'
    fakenodes_mpirun 6 "$stage" --config "$t/tree2.cfg" --set paths.source_shared=no >"$t/log" 2>&1 ||
        fail "per-rank tree failed: $(cat "$t/log")"
    expect_summary "$t/log" $((nfiles * 6)) 0 0
    for r in 0 1 2 3 4 5; do
        compare_tree "$t/src/tree" "$FAKE_NODEDIR/${rank_host[$r]}/rank/$r" || fail "per-rank tree: rank $r's copy differs"
    done
}
scenario "a tree of per-rank copies, fanout 2, relays node to node byte-exact" per_rank_tree
fakenodes_clear rank

# Many small files travel in batches, many files to a message, with both
# relaying policies (a tree's batches take turns over its trees).
mkdir -p "$t/small/tree"
for i in $(seq 1 600); do
    head -c $((1024 + (i * 37) % 7168)) /dev/urandom >"$t/small/tree/f$i.dat"
done
# small_files POLICY
small_files() {
    local policy=$1 h n
    fakenodes_clear small
    write_cfg "$t/small.cfg" "$t/small" "$FAKE_SCRATCH/small" "workers: { policy = \"$policy\"; };"
    sed -i '/chunk_size = "1M"/d' "$t/small.cfg"
    fakenodes_mpirun 6 "$stage" --config "$t/small.cfg" --verbose >"$t/log" 2>&1 ||
        fail "small files, $policy: $(cat "$t/log")"
    expect_summary "$t/log" 1800 0 0
    for h in $FAKE_HOSTS; do
        compare_tree "$t/small/tree" "$FAKE_NODEDIR/$h/small" || fail "small files, $policy: node $h's copy differs"
    done
    n=$(sed -n 's/.*600 small files went in \([0-9]*\) batch messages.*/\1/p' "$t/log")
    [ -n "$n" ] && [ "$n" -le 60 ] || fail "small files, $policy: not batched: $(grep -i batch "$t/log")"
}
scenario "pipeline: 600 small files arrive byte-exact in 60 batch messages at most" small_files pipeline
scenario "tree: 600 small files arrive byte-exact in 60 batch messages at most" small_files tree
fakenodes_clear small

# The last policy run left a copy on every node.
rerun() {
    after "stage_policy tree"
    fakenodes_mpirun 6 "$stage" --config "$t/pipeline.cfg" >"$t/log" 2>&1 || fail "re-run failed: $(cat "$t/log")"
    expect_summary "$t/log" 0 $((nfiles * 3)) 0
}
scenario "a re-run finds every node's copy unchanged" rerun

# forced VAR=VALUE WHAT LINE: every node's copy sent again (--force, with
# the Open MPI setting VAR=VALUE), byte-exact; under Open MPI each node's
# first rank says LINE (--verbose) once.
forced() {
    after "stage_policy tree"
    export "$1"
    fakenodes_mpirun 6 "$stage" --config "$t/pipeline.cfg" --force --verbose >"$t/log" 2>&1 ||
        fail "$2: $(cat "$t/log")"
    [ "$(mpift_launcher)" != openmpi ] || [ "$(grep -c "$3\$" "$t/log")" = 3 ] ||
        fail "$2: not one line per node with '$3': $(grep -i eager "$t/log")"
    expect_summary "$t/log" $((nfiles * 3)) 0 0
    check_nodes "$2"
}
scenario "--force sends every node's copy again, byte-exact (the TCP eager limit set kept)" \
    forced OMPI_MCA_btl_tcp_eager_limit=32768 "--force" \
    "TCP eager limit: 32768, as set (OMPI_MCA_btl_tcp_eager_limit)"

# A TCP send size the user set may be below 1 MiB: a node that kept Open
# MPI's 64 KiB eager limit would take fragments no larger than it from a
# node that raised (a heap overflow in Open MPI), so every node raises
# alike, whatever its interfaces (api/hook.c).
scenario "a TCP send size the user set: every node raises the eager limit alike, byte-exact" \
    forced OMPI_MCA_btl_tcp_max_send_size=131072 "send size set" \
    "TCP eager limit raised to 1 MiB on every node: OMPI_MCA_btl_tcp_max_send_size is set (131072), so no node may keep a smaller one"

missing_source() {
    local rc=0
    write_cfg "$t/miss.cfg" "$t/src" "$FAKE_SCRATCH/stage" "" \
        '{ src = "tree/"; dest = ""; recursive = true; }, { src = "missing/input.dat"; dest = "in/"; }'
    fakenodes_mpirun 6 "$stage" --config "$t/miss.cfg" >"$t/log" 2>"$t/err" || rc=$?
    [ "$rc" = 1 ] || fail "missing source: exit $rc, expected 1: $(cat "$t/log" "$t/err")"
    grep -q "missing/input.dat: No such file or directory" "$t/err" || fail "missing source not named: $(cat "$t/err")"
    check_nodes "missing source"
}
scenario "a missing source exits 1 naming it; every node still gets the rest" missing_source
done_testing
