#!/bin/bash
# srun --mpift-stage=FILE in a step that uses part of its allocation
# (sbatch -N3): the input is staged onto exactly the step's nodes - those
# Slurm gave the step, asked of slurmctld by the plugin - and onto no other
# node of the job, whichever way the step was narrowed: -w NODE, --exclude,
# -N below the allocation (--relative, or the first nodes busy with another
# step), and two staging steps at once on different nodes.  Each step's
# tasks find every file on their node.  (Before, the staging step had no
# node list and Slurm put it on the job's first nodes: srun succeeded and
# the task found nothing.)
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" local tree
plugin=$top_builddir/src/spank/.libs/mpift_spank.so
[ -f "$plugin" ] || skip "the SPANK plugin was not built (configure found no slurm/spank.h: apt-get install libslurm-dev)"
skip_unless_openmpi "the SPANK plugin's tests (srun --mpi=pmix runs this build's MPI through Slurm's PMIx, which Debian's MPICH does not speak)"
need_slurmcluster
# retries=3: Open MPI's crash in MPI_Init (tests/lib/slurm-job.sh) must
# not fail a test
SLURMCLUSTER_PLUGSTACK="required $plugin mpift_stage=$stage retries=3"
slurmcluster_setup 3
plan 5
mkdir -p "$t/logs"

# one configuration per tag: each stages the tree into scratch/JOB/TAG
for tag in a b; do
    cat >"$t/$tag.cfg" <<CFG
version = 1;
paths: { source = "$t/src"; dest = "$SLURM_LOCAL/scratch/%j/$tag"; };
stage_in = ( { src = "tree/"; dest = ""; recursive = true; } );
CFG
done
# what a task does: list its node's copy of TAG ($1), with checksums
cat >"$t/task.sh" <<'TASK'
#!/bin/sh
cd "$SLURM_LOCAL/scratch/$SLURM_JOB_ID/$1" 2>/dev/null || { echo "$(hostname): nothing staged in $1"; exit 1; }
find . -type f | LC_ALL=C sort | xargs -d '\n' md5sum >"$LOGS/task-$1-$(hostname)"
TASK
chmod +x "$t/task.sh"

# job NAME BODY: BODY as the script of an sbatch -N3 job (its id in
# $t/logs/NAME.id, its output in $t/logs/NAME.out); fails if the job does
job() {
    rm -f "$t/logs"/task-*
    printf '#!/bin/bash\necho "$SLURM_JOB_ID" >"%s"\n%s\n' "$t/logs/$1.id" "$2" >"$t/$1.sbatch"
    slurm_run env LOGS="$t/logs" sbatch --wait -N3 -o "$t/logs/$1.out" "$t/$1.sbatch" >"$t/log" 2>&1 ||
        fail "job $1 failed: $(cat "$t/log" "$t/logs/$1.out" 2>/dev/null)"
}

# only_on NAME TAG NODE...: TAG of job NAME is on exactly these nodes,
# byte for byte, and the tasks there listed it; no other node has it
only_on() {
    local id h want
    id=$(cat "$t/logs/$1.id")
    want=$(cd "$t/src/tree" && find . -type f | LC_ALL=C sort | xargs -d '\n' md5sum)
    for h in $SLURM_HOSTS; do
        if [[ " ${*:3} " == *" $h "* ]]; then
            compare_tree "$t/src/tree" "$SLURM_NODEDIR/$h/scratch/$id/$2" ||
                fail "$h, a node of the step, has no whole copy of $2: $(cat "$t/logs/$1.out")"
            [ "$(cat "$t/logs/task-$2-$h" 2>/dev/null)" = "$want" ] ||
                fail "the task on $h did not find every file of $2: $(cat "$t/logs/$1.out")"
        elif [ -e "$SLURM_NODEDIR/$h/scratch/$id/$2" ]; then
            fail "$h is no node of the step, yet $2 was staged there: $(cat "$t/logs/$1.out")"
        fi
    done
}

by_name() {
    job w "srun -N1 -w snode3 --mpift-stage=$t/a.cfg $t/task.sh a"
    only_on w a snode3
}
scenario "srun -N1 -w snode3 inside sbatch -N3: staged on snode3 only" by_name

excluded() {
    job x "srun -N2 --exclude=snode1 --mpift-stage=$t/a.cfg $t/task.sh a"
    only_on x a snode2 snode3
}
scenario "srun -N2 --exclude=snode1: staged on snode2 and snode3 only" excluded

relative() {
    job r "srun -N1 --relative=1 --mpift-stage=$t/a.cfg $t/task.sh a"
    only_on r a snode2
}
scenario "srun -N1 --relative=1 (fewer nodes than the job, not its first): staged on snode2 only" relative

# snode1's one CPU is held by another step: Slurm gives the 2-node step
# snode2 and snode3.
busy_first() {
    job busy "srun -N1 -w snode1 sh -c 'touch $t/logs/busy; sleep 60' &
while [ ! -e $t/logs/busy ]; do sleep 0.2; done
srun -N2 --mpift-stage=$t/a.cfg $t/task.sh a
rc=\$?
kill %1
exit \$rc"
    only_on busy a snode2 snode3
}
scenario "srun -N2 while another step holds snode1: staged on snode2 and snode3 only" busy_first

two_at_once() {
    job both "srun -N1 -w snode3 --mpift-stage=$t/a.cfg $t/task.sh a & a=\$!
srun -N1 -w snode2 --mpift-stage=$t/b.cfg $t/task.sh b & b=\$!
wait \$a && wait \$b"
    only_on both a snode3
    only_on both b snode2
}
scenario "two staging steps at once (-w snode3, -w snode2): each on its own node only" two_at_once
done_testing
