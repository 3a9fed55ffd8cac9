#!/bin/bash
# The README's staging workflow under a real Slurm (tests/lib/slurmcluster.sh:
# a slurmctld and 4 slurmd, each node with its own hostname, address and
# node-local folder).  One sbatch job: stage-in with srun --mpi=pmix
# (topology from Slurm's PMIx server, %j = the job id, one byte-exact copy
# per node), a computation step that reads the staged files on every node
# and writes a result, a second stage-in step that finds everything
# unchanged, stage-out of each node's result.  Then salloc + srun with 2
# tasks per node (one copy per node, leaders write), and a staging error
# that fails its step and names the file.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" slurm=4 tree
plan 8
joblib=$top_srcdir/tests/lib/slurm-job.sh
mkdir -p "$t/collect" "$t/logs"

cat >"$t/stage.cfg" <<CFG
version = 1;
paths: { source = "$t/src"; dest = "$SLURM_LOCAL/scratch/%j"; collect = "$t/collect"; };
transfer: { chunk_size = "1M"; };
stage_in = ( { src = "tree/"; dest = ""; recursive = true; preserve = true; } );
stage_out = ( { src = "out/*"; dest = "%h/"; } );
CFG

# The job: each step's output in its own log; the job's exit status says
# which step failed.
cat >"$t/workflow.sbatch" <<JOB
#!/bin/bash
. "$joblib"
echo "\$SLURM_JOB_ID" >"$t/logs/jobid"
mpi_step "$stage" --config "$t/stage.cfg" --verbose >"$t/logs/in.log" 2>&1 || exit 11
# the computation: every node lists what it holds, with checksums, and
# leaves a result for stage-out
srun --ntasks-per-node=1 sh -c 'cd "$SLURM_LOCAL/scratch/\$SLURM_JOB_ID" &&
    find . -type f | LC_ALL=C sort | xargs -d "\n" md5sum >"$t/logs/compute-\$(hostname)" &&
    mkdir -p out && echo "result of \$(hostname)" >out/result.txt' || exit 12
mpi_step "$stage" --config "$t/stage.cfg" >"$t/logs/again.log" 2>&1 || exit 13
mpi_step "$stage" --config "$t/stage.cfg" --out >"$t/logs/out.log" 2>&1 || exit 14
JOB

workflow() {
    slurm_run sbatch --wait -N4 --ntasks-per-node=1 -o "$t/logs/job.out" "$t/workflow.sbatch" >"$t/log" 2>&1 ||
        fail "the sbatch job failed: $(cat "$t/log" "$t/logs/job.out" "$t/logs/"*.log 2>/dev/null)"
    [ -s "$t/logs/jobid" ] || fail "the job did not run: $(cat "$t/log")"
}
scenario "sbatch: stage-in, a computation step, stage-in again and stage-out all succeed" workflow
jobid=$(cat "$t/logs/jobid" 2>/dev/null)

topology() {
    after workflow
    grep -q "topology from PMIx: 4 ranks on 4 nodes" "$t/logs/in.log" ||
        fail "no 4-node topology from Slurm's PMIx server: $(cat "$t/logs/in.log")"
    expect_summary "$t/logs/in.log" $((nfiles * 4)) 0 0
    # KillOnBadExit=1 in the cluster's slurm.conf: nothing to warn about
    ! grep -q 'kill-on-bad-exit' "$t/logs/in.log" || fail "a kill-on-bad-exit warning: $(cat "$t/logs/in.log")"
}
scenario "srun --mpi=pmix: 4 ranks on 4 nodes from Slurm's PMIx server, every file written once per node" topology

copies() {
    local h
    after workflow
    for h in $SLURM_HOSTS; do
        [ "$(ls "$SLURM_NODEDIR/$h/scratch")" = "$jobid" ] ||
            fail "node $h: expected only scratch/$jobid (%j = the job id), found: $(ls "$SLURM_NODEDIR/$h/scratch")"
        # the computation's result is there too
        rm -rf "$t/cmp" && cp -a "$SLURM_NODEDIR/$h/scratch/$jobid" "$t/cmp" && rm -rf "$t/cmp/out" ||
            fail "cannot copy node $h's folder"
        compare_tree "$t/src/tree" "$t/cmp" || fail "node $h: its copy differs"
    done
    [ -z "$(ls -A "$SLURM_LOCAL")" ] || fail "something was written to the real node-local path $SLURM_LOCAL"
}
scenario "%j is the job id: every node holds one byte-exact copy in its own folder" copies

computation() {
    local h want
    after workflow
    want=$(cd "$t/src/tree" && find . -type f | LC_ALL=C sort | xargs -d '\n' md5sum)
    for h in $SLURM_HOSTS; do
        [ -f "$t/logs/compute-$h" ] || fail "the computation step did not run on $h"
        [ "$(cat "$t/logs/compute-$h")" = "$want" ] ||
            fail "node $h read other files than the source: $(diff <(echo "$want") "$t/logs/compute-$h")"
    done
}
scenario "the computation step reads the staged files on every node, byte for byte" computation

unchanged() {
    after workflow
    expect_summary "$t/logs/again.log" 0 $((nfiles * 4)) 0
}
scenario "a second step of the same job finds everything unchanged" unchanged

stage_out() {
    local h
    after workflow
    for h in $SLURM_HOSTS; do
        [ "$(cat "$t/collect/$h/result.txt" 2>/dev/null)" = "result of $h" ] ||
            fail "stage-out: no result of $h in collect/$h: $(find "$t/collect" -type f) $(cat "$t/logs/out.log")"
    done
    [ "$(find "$t/collect" -type f | wc -l)" = 4 ] || fail "stage-out: more than 4 files: $(find "$t/collect" -type f)"
}
scenario "stage-out brings each node's result back under collect/<host>/" stage_out

# salloc runs its command on the login host; srun starts 2 tasks per node.
salloc_two_per_node() {
    local h id
    cat >"$t/salloc.sh" <<JOB
#!/bin/bash
. "$joblib"
echo "\$SLURM_JOB_ID" >"$t/logs/salloc-jobid"
mpi_step "$stage" --config "$t/stage.cfg" --verbose
JOB
    slurm_run salloc -N4 --ntasks-per-node=2 bash "$t/salloc.sh" >"$t/log" 2>&1 ||
        fail "salloc + srun failed: $(cat "$t/log")"
    id=$(cat "$t/logs/salloc-jobid")
    [ -n "$id" ] && [ "$id" != "$jobid" ] || fail "salloc's job id '$id' (the sbatch job was $jobid)"
    grep -q "topology from PMIx: 8 ranks on 4 nodes" "$t/log" || fail "not 8 ranks on 4 nodes: $(cat "$t/log")"
    expect_summary "$t/log" $((nfiles * 4)) 0 0
    for h in $SLURM_HOSTS; do
        compare_tree "$t/src/tree" "$SLURM_NODEDIR/$h/scratch/$id" || fail "node $h: the salloc job's copy differs"
    done
}
scenario "salloc + srun, 2 tasks per node: one copy per node, under the salloc job's id" salloc_two_per_node

# A staging error is the step's error: srun exits 1, the file is named.
staging_error() {
    cat >"$t/missing.cfg" <<CFG
version = 1;
paths: { source = "$t/src"; dest = "$SLURM_LOCAL/scratch/%j"; };
stage_in = ( { src = "no-such-file.dat"; dest = ""; } );
CFG
    cat >"$t/missing.sbatch" <<JOB
#!/bin/bash
. "$joblib"
mpi_step "$stage" --config "$t/missing.cfg"
echo "step exit \$?"
JOB
    slurm_run sbatch --wait -N2 -o "$t/logs/missing.out" "$t/missing.sbatch" >"$t/log" 2>&1 ||
        fail "the job itself failed: $(cat "$t/log" "$t/logs/missing.out")"
    grep -q "^step exit 1$" "$t/logs/missing.out" || fail "the step did not exit 1: $(cat "$t/logs/missing.out")"
    grep -q "no-such-file.dat" "$t/logs/missing.out" || fail "the error does not name the file: $(cat "$t/logs/missing.out")"
}
scenario "a staging error fails its srun step (exit 1) and names the file" staging_error
done_testing
