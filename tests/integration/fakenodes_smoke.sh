#!/bin/bash
# The fake-node harness itself, with no mpift code: 6 ranks over 3 fake nodes
# land 2 per node, each node reports its own made-up hostname, the runtime
# sees 2 local ranks per node, and a file a rank writes under the scratch
# path lands in its own node's private folder, never in the real one.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" fakenodes=3x2
plan 5
real_host=$(hostname)

# One line per rank: host rank local-rank local-size nodes-in-job
# PMIx-hostname; then a file in scratch.  Open MPI's variables, else
# Hydra's (MPICH: PMI_RANK, MPI_LOCALRANKID, MPI_LOCALNRANKS; it tells
# neither the node count nor a PMIx host name).
job() {
    # shellcheck disable=SC2016
    fakenodes_mpirun 6 sh -c '
        rank=${OMPI_COMM_WORLD_RANK:-${PMI_RANK:-?}}
        echo "ranks: $(hostname) $rank ${OMPI_COMM_WORLD_LOCAL_RANK:-${MPI_LOCALRANKID:-?}}" \
            "${OMPI_COMM_WORLD_LOCAL_SIZE:-${MPI_LOCALNRANKS:-?}} ${OMPI_MCA_orte_num_nodes:-?} ${PMIX_HOSTNAME:-?}"
        echo "$(hostname)" >"$MPIFT_FAKE_SCRATCH/r$rank"
    ' >"$t/out" 2>"$t/err" || fail "fake-node job failed: $(cat "$t/out" "$t/err")"
    sed -n 's/^ranks: //p' "$t/out" | LC_ALL=C sort -k2,2n >"$t/ranks"
    [ "$(wc -l <"$t/ranks")" = 6 ] || fail "expected 6 rank lines: $(cat "$t/out" "$t/err")"
    [ "$(cut -d' ' -f2 "$t/ranks" | tr '\n' ' ')" = "0 1 2 3 4 5 " ] ||
        fail "ranks are not 0..5: $(cat "$t/ranks")"
}
scenario "a job of 6 ranks over 3 fake nodes runs ranks 0..5" job

# The hosts the ranks ran on are exactly the fake ones, 2 ranks each.
placement() {
    local got want h
    after job
    got=$(cut -d' ' -f1 "$t/ranks" | LC_ALL=C sort -u | tr '\n' ' ')
    want=$(printf '%s\n' $FAKE_HOSTS | LC_ALL=C sort | tr '\n' ' ')
    [ "$got" = "$want" ] || fail "ranks ran on '$got', expected '$want'"
    for h in $FAKE_HOSTS; do
        [ "$(grep -c "^$h " "$t/ranks")" = 2 ] || fail "host $h does not have 2 ranks: $(cat "$t/ranks")"
        # the runtime groups ranks by node: local ranks 0 and 1 of a local size 2
        [ "$(grep "^$h " "$t/ranks" | cut -d' ' -f3,4 | sort | tr '\n' ' ')" = "0 2 1 2 " ] ||
            fail "host $h: local ranks/sizes wrong: $(cat "$t/ranks")"
    done
}
scenario "the ranks run on the fake hosts only, 2 each, local ranks 0 and 1 of 2" placement

# the runtime counts 3 nodes, and PMIx names each rank's node by its fake name
node_names() {
    after job
    [ "$(hostname)" = "$real_host" ] || fail "the real hostname changed to $(hostname)"
    skip_unless_openmpi "the runtime's node count and PMIx host names"
    [ "$(cut -d' ' -f5 "$t/ranks" | sort -u)" = 3 ] || fail "the runtime does not see 3 nodes: $(cat "$t/ranks")"
    awk '$1 != $6 { exit 1 }' "$t/ranks" || fail "PMIx host names differ from the hostnames: $(cat "$t/ranks")"
}
scenario "the runtime sees 3 nodes, PMIx names each by its fake hostname, the real one is unchanged" node_names

# Each rank's file is in its node's own folder only; the real scratch is empty.
node_folders() {
    local h r n
    after job
    while read -r h r _; do
        [ "$(cat "$FAKE_NODEDIR/$h/r$r" 2>/dev/null)" = "$h" ] ||
            fail "rank $r on $h: its file is not in $FAKE_NODEDIR/$h"
    done <"$t/ranks"
    for h in $FAKE_HOSTS; do
        n=$(ls -A "$FAKE_NODEDIR/$h" | wc -l)
        [ "$n" = 2 ] || fail "node $h holds $n files, expected 2: $(ls -A "$FAKE_NODEDIR/$h")"
    done
}
scenario "a file written under the scratch path lands in its own node's folder" node_folders

real_scratch() {
    after job
    [ -z "$(ls -A "$FAKE_SCRATCH")" ] || fail "something was written to the real scratch folder: $(ls -A "$FAKE_SCRATCH")"
    if command -v mountpoint >/dev/null && mountpoint -q "$FAKE_SCRATCH"; then
        fail "the scratch bind mount leaked into the real mount namespace"
    fi
}
scenario "the real scratch folder stays empty and no bind mount leaks out" real_scratch
done_testing
