#!/bin/bash
# What lasts a step under Slurm, and what a dead rank does to one.
# %t under srun is the step's own PMIx folder (spmix_appdir_<uid>_<job>.<step>),
# which Slurm deletes when the step ends: a dest or collect there is
# refused (exit 2, saying why and what to use) instead of a success whose
# files vanish; under mpirun %t still works.  mpift-stage warns under
# srun when no kill-on-bad-exit can be seen (the environment's
# SLURM_KILL_BAD_EXIT, slurm.conf's KillOnBadExit), once per step, and not
# when either is on.  A rank that dies under srun --kill-on-bad-exit=1 ends
# its step at once, and the job's next step stages everything.
# KillOnBadExit off, as Slurm has it by default (the tasks read the node's
# slurm.conf: slurmstepd sets their SLURM_CONF)
SLURMCLUSTER_KILL_ON_BAD_EXIT=0
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" slurm=2 tree
plan 9
joblib=$top_srcdir/tests/lib/slurm-job.sh
mkdir -p "$t/logs" "$t/collect"
write_cfg "$t/stage.cfg" "$t/src" "$SLURM_LOCAL/scratch/%j"

# sbatch_run NAME BODY [SBATCH_ARG...]: a job of 2 nodes whose script is
# BODY (after the job library); its output in $t/logs/NAME.out; fails if
# sbatch does
sbatch_run() {
    printf '#!/bin/bash\n. "%s"\n%s\n' "$joblib" "$2" >"$t/$1.sbatch"
    slurm_run sbatch --wait -N2 "${@:3}" -o "$t/logs/$1.out" "$t/$1.sbatch" >"$t/log" 2>&1 ||
        fail "job $1 failed: $(cat "$t/log" "$t/logs/$1.out" 2>/dev/null)"
}

tmp_dest() {
    local out
    sbatch_run tdest "mpi_step \"$stage\" --config \"$t/stage.cfg\" --set 'paths.dest=%t/stage'; echo \"step exit \$?\"
srun -N2 sh -c 'ls -d $SLURM_LOCAL/tmp/spmix_appdir_*/stage 2>/dev/null; true'"
    out=$t/logs/tdest.out
    grep -q '^step exit 2$' "$out" || fail "dest = %t/stage was not refused with exit 2: $(cat "$out")"
    grep -q 'paths.dest "%t/stage" uses %t, which here is this job step.s own temp dir (.*spmix_appdir_[0-9]*_[0-9]*\.[0-9]*)' "$out" ||
        fail "the refusal does not name %t and the step's folder: $(cat "$out")"
    grep -q 'Slurm deletes it when the step ends' "$out" && grep -q '/tmp/mpift-%u/%j' "$out" ||
        fail "the refusal does not say why and what to use: $(cat "$out")"
    ! grep -q '/stage$' "$out" || fail "something was staged under a step's folder: $(cat "$out")"
}
scenario "under srun, dest = %t/... is refused (exit 2): the step's folder, why, and what to use" tmp_dest

tmp_collect() {
    sbatch_run tcollect "mpi_step \"$stage\" --config \"$t/stage.cfg\" --out --set 'paths.collect=%t/results'; echo \"step exit \$?\""
    grep -q '^step exit 2$' "$t/logs/tcollect.out" || fail "collect = %t was not refused: $(cat "$t/logs/tcollect.out")"
    grep -q 'paths.collect "%t/results" uses %t' "$t/logs/tcollect.out" ||
        fail "the refusal does not name paths.collect: $(cat "$t/logs/tcollect.out")"
}
scenario "under srun, collect = %t/... is refused for stage-out too" tmp_collect

# Under mpirun %t is no step's folder: still a dest.
tmp_mpirun() {
    mkdir -p "$t/tmpdir"
    TMPDIR=$t/tmpdir mpift_mpirun -n 2 "$stage" --config "$t/stage.cfg" --set 'paths.dest=%t/stage' >"$t/log" 2>&1 ||
        fail "mpirun with dest = %t/stage failed: $(cat "$t/log")"
    compare_tree "$t/src/tree" "$t/tmpdir/stage" || fail "the copy under %t differs"
}
scenario "under mpirun, %t is still accepted" tmp_mpirun

# check_step KILLVAR: --check in a 1-task step, SLURM_KILL_BAD_EXIT=KILLVAR
# ("" = unset)
check_step() {
    slurm_run env ${1:+SLURM_KILL_BAD_EXIT=$1} \
        srun -N1 -n1 "$stage" --config "$t/stage.cfg" --check >"$t/log" 2>&1 ||
        fail "--check in a step failed: $(cat "$t/log")"
    grep -q "configuration is valid" "$t/log" || fail "--check said: $(cat "$t/log")"
}

warn_check() {
    check_step ""
    grep -q 'warning: no kill-on-bad-exit seen for this srun step (job [0-9]*, step [0-9]*): if one rank dies, the others wait for it forever' "$t/log" ||
        fail "no warning without kill-on-bad-exit: $(cat "$t/log")"
    grep -q 'srun --kill-on-bad-exit=1' "$t/log" && grep -q 'SLURM_KILL_BAD_EXIT=1' "$t/log" ||
        fail "the warning does not say what to do: $(cat "$t/log")"
    check_step 0
    grep -q 'warning: SLURM_KILL_BAD_EXIT=0' "$t/log" || fail "no warning with SLURM_KILL_BAD_EXIT=0: $(cat "$t/log")"
}
scenario "--check under srun without kill-on-bad-exit warns, and says what to do" warn_check

no_warn() {
    check_step 1
    ! grep -q warning "$t/log" || fail "a warning despite SLURM_KILL_BAD_EXIT=1: $(cat "$t/log")"
    # mpirun inside the job starts its daemons as an srun step: its ranks
    # see that step's SLURM_STEP_ID, but mpirun ends the job of a dead rank
    sbatch_run mpirun "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 timeout 120 \"$MPIRUN\" --map-by node -n 2 \"$stage\" --config \"$t/stage.cfg\" --check"
    [ "$(grep -c 'configuration is valid' "$t/logs/mpirun.out")" = 2 ] || fail "--check under mpirun failed: $(cat "$t/logs/mpirun.out")"
    ! grep -q warning "$t/logs/mpirun.out" || fail "a warning under mpirun inside the job: $(cat "$t/logs/mpirun.out")"
    slurm_run "$stage" --config "$t/stage.cfg" --check >"$t/log" 2>&1 ||
        fail "--check on the login host failed: $(cat "$t/log")"
    ! grep -q warning "$t/log" || fail "a warning outside any step: $(cat "$t/log")"
}
scenario "no warning with SLURM_KILL_BAD_EXIT=1, under mpirun inside the job, nor outside a step" no_warn

# The task's slurm.conf is read (keys are case-blind, the last one wins):
# a step's environment as srun makes it, without a cluster.
conf_read() {
    printf 'ClusterName=x\n  killonbadexit = 0\nKillOnBadExit=1  # on\n' >"$t/kill.conf"
    printf 'ClusterName=x\nKillOnBadExit=1\nKillOnBadExit=0\n' >"$t/nokill.conf"
    env SLURM_JOB_ID=7 SLURM_STEP_ID=0 SLURM_PROCID=0 SLURM_CONF="$t/kill.conf" \
        "$stage" --config "$t/stage.cfg" --check >"$t/log" 2>&1 || fail "--check failed: $(cat "$t/log")"
    ! grep -q warning "$t/log" || fail "a warning despite KillOnBadExit=1 in slurm.conf: $(cat "$t/log")"
    env SLURM_JOB_ID=7 SLURM_STEP_ID=0 SLURM_PROCID=0 SLURM_CONF="$t/nokill.conf" \
        "$stage" --config "$t/stage.cfg" --check >"$t/log" 2>&1 || fail "--check failed: $(cat "$t/log")"
    grep -q 'warning: no kill-on-bad-exit seen for this srun step (job 7, step 0)' "$t/log" ||
        fail "no warning with KillOnBadExit=0 last in slurm.conf: $(cat "$t/log")"
}
scenario "KillOnBadExit=1 in the task's slurm.conf silences the warning; =0 does not" conf_read

# A staging step warns once, from task 0, not once per rank.  srun's own
# --kill-on-bad-exit=1 (given here, so a crash cannot hang the test) does
# not reach the tasks: the warning still shows, and says so.
warn_once() {
    local tries
    sbatch_run once "mpi_step --ntasks-per-node=2 \"$stage\" --config \"$t/stage.cfg\" --set \"paths.dest=$SLURM_LOCAL/scratch/once\"; echo \"step exit \$?\"" --ntasks-per-node=2
    grep -q '^step exit 0$' "$t/logs/once.out" || fail "the staging step failed: $(cat "$t/logs/once.out")"
    # one per try: mpi_step runs a step again after Open MPI's crash
    tries=$((1 + $(grep -c 'mpi_step: Open MPI died in MPI_Init' "$t/logs/once.out")))
    [ "$(grep -c 'warning: no kill-on-bad-exit' "$t/logs/once.out")" = "$tries" ] ||
        fail "expected one warning for 4 ranks (per try, $tries): $(cat "$t/logs/once.out")"
}
scenario "a staging step without visible kill-on-bad-exit warns once, not once per rank" warn_once

# Rank 1 kills itself after 2 chunks of the 5 MiB file: with
# --kill-on-bad-exit=1 the step ends at once, with an error.
dead_rank() {
    local s e
    s=$(date +%s)
    sbatch_run dead "MPIFT_TEST_KILL=1:2 srun --mpi=pmix --kill-on-bad-exit=1 \"$stage\" --module \"$faults\" --config \"$t/stage.cfg\" --set \"paths.dest=$SLURM_LOCAL/scratch/dead\"
echo \"step exit \$?\"
mpi_step \"$stage\" --config \"$t/stage.cfg\" --set \"paths.dest=$SLURM_LOCAL/scratch/dead\" >\"$t/logs/dead-next.log\" 2>&1
echo \"next step exit \$?\""
    e=$(date +%s)
    grep -q '^step exit [1-9]' "$t/logs/dead.out" || fail "the step with a dead rank did not fail: $(cat "$t/logs/dead.out")"
    [ $((e - s)) -lt 120 ] || fail "the job took $((e - s)) s: the other ranks waited for the dead one"
    grep -q '^next step exit 0$' "$t/logs/dead.out" ||
        fail "the next step failed: $(cat "$t/logs/dead.out" "$t/logs/dead-next.log")"
}
scenario "a rank that dies under srun --kill-on-bad-exit=1 ends its step, and the next step runs" dead_rank

dead_rank_copies() {
    local h
    after dead_rank
    for h in $SLURM_HOSTS; do
        compare_tree "$t/src/tree" "$SLURM_NODEDIR/$h/scratch/dead" || fail "node $h: no complete copy after the re-run"
    done
}
scenario "after the dead rank, the next step leaves a byte-exact copy on every node" dead_rank_copies
done_testing
