#!/bin/bash
# The SPANK plugin (src/spank/mpift_spank.c) in a real Slurm: plugstack.conf
# names the built plugin and launcher.  srun --mpift-stage=FILE stages
# before the step's tasks start (they find every file, byte-exact), with
# 2 tasks per node still one copy per node; a failed stage-in fails the
# launch (srun exits non-zero, the tasks never run, the file is named);
# --mpift-out=FILE gathers the tasks' results after they end; a FILE that
# does not exist is refused before anything runs.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" local tree
plugin=$top_builddir/src/spank/.libs/mpift_spank.so
[ -f "$plugin" ] || skip "the SPANK plugin was not built (configure found no slurm/spank.h: apt-get install libslurm-dev)"
# srun --mpi=pmix runs this build's MPI through Slurm's PMIx, which
# Debian's MPICH does not speak (as prelude.sh's slurm=N says).
skip_unless_openmpi "the SPANK plugin's tests (srun --mpi=pmix runs this build's MPI through Slurm's PMIx, which Debian's MPICH does not speak)"
need_slurmcluster
# The launcher the plugin runs: mpift-stage, except that with
# MPIFT_TEST_DIE_ONCE=FILE the task of rank 1 kills itself once (FILE
# says it did), to show a killed staging step is run again.
mkdir -p "$t/bin"
cat >"$t/bin/mpift-stage" <<WRAP
#!/bin/sh
if [ -n "\${MPIFT_TEST_DIE_ONCE:-}" ] && [ "\$SLURM_PROCID" = 1 ] && [ ! -e "\$MPIFT_TEST_DIE_ONCE" ]; then
    : >"\$MPIFT_TEST_DIE_ONCE"
    kill -KILL \$\$
fi
exec "$stage" "\$@"
WRAP
chmod +x "$t/bin/mpift-stage"
# retries=3: Open MPI's crash in MPI_Init (tests/lib/slurm-job.sh) must
# not fail a test
SLURMCLUSTER_PLUGSTACK="required $plugin mpift_stage=$t/bin/mpift-stage retries=3"
slurmcluster_setup 3
plan 9
mkdir -p "$t/logs" "$t/collect"

cat >"$t/stage.cfg" <<CFG
version = 1;
paths: { source = "$t/src"; dest = "$SLURM_LOCAL/scratch/%j"; collect = "$t/collect"; };
stage_in = ( { src = "tree/"; dest = ""; recursive = true; } );
stage_out = ( { src = "out/*"; dest = "%h/"; } );
CFG
# what a task of the user's step does: list what its node holds, with
# checksums, and leave a result
cat >"$t/task.sh" <<'TASK'
#!/bin/sh
cd "$SLURM_LOCAL/scratch/$SLURM_JOB_ID" 2>/dev/null || { echo "$(hostname): nothing staged"; exit 1; }
find . -path ./out -prune -o -type f -print | LC_ALL=C sort | xargs -d '\n' md5sum >"$LOGS/task-$(hostname)-$SLURM_PROCID"
mkdir -p out && echo "result of $(hostname)" >out/result.txt
TASK
chmod +x "$t/task.sh"
want=$(cd "$t/src/tree" && find . -type f | LC_ALL=C sort | xargs -d '\n' md5sum)

options() {
    slurm_run srun --help >"$t/log" 2>&1
    grep -q -- '--mpift-stage=FILE' "$t/log" && grep -q -- '--mpift-out=FILE' "$t/log" ||
        fail "srun --help does not list the plugin's options: $(grep -i -A3 mpift "$t/log")"
}
scenario "srun --help lists --mpift-stage=FILE and --mpift-out=FILE" options

# check_tasks N: N task listings, each the source's files byte for byte
check_tasks() {
    local f n=0
    for f in "$t/logs"/task-*; do
        [ -f "$f" ] || continue
        n=$((n + 1))
        [ "$(cat "$f")" = "$want" ] || fail "${f##*/} saw other files than the source: $(diff <(echo "$want") "$f")"
    done
    [ "$n" = "$1" ] || fail "$n task listings, expected $1: $(ls "$t/logs")"
}

before_tasks() {
    rm -f "$t/logs"/task-*
    slurm_run env LOGS="$t/logs" srun -N3 --mpift-stage="$t/stage.cfg" "$t/task.sh" >"$t/log" 2>&1 ||
        fail "srun --mpift-stage failed: $(cat "$t/log")"
    expect_summary "$t/log" $((nfiles * 3)) 0 0
    check_tasks 3
}
scenario "srun --mpift-stage=FILE: staged before the tasks start, which find every file on their node" before_tasks

two_per_node() {
    local h id
    rm -f "$t/logs"/task-*
    printf '#!/bin/bash\necho "$SLURM_JOB_ID" >"%s"\nsrun --mpift-stage="%s" "%s"\n' \
        "$t/logs/jobid" "$t/stage.cfg" "$t/task.sh" >"$t/two.sbatch"
    slurm_run env LOGS="$t/logs" sbatch --wait -N3 --ntasks-per-node=2 -o "$t/logs/two.out" "$t/two.sbatch" >"$t/log" 2>&1 ||
        fail "the sbatch job failed: $(cat "$t/log" "$t/logs/two.out")"
    expect_summary "$t/logs/two.out" $((nfiles * 3)) 0 0
    grep -q "onto 3 nodes, 3 ranks" "$t/logs/two.out" || fail "not one staging rank per node: $(cat "$t/logs/two.out")"
    check_tasks 6
    id=$(cat "$t/logs/jobid")
    for h in $SLURM_HOSTS; do
        [ -d "$SLURM_NODEDIR/$h/scratch/$id" ] || fail "node $h has no folder for job $id"
    done
}
scenario "inside sbatch, 2 tasks per node: one copy per node, then all 6 tasks find it" two_per_node

failed_stage() {
    sed 's|src = "tree/"|src = "no-such-input.dat"|' "$t/stage.cfg" >"$t/bad.cfg"
    rm -f "$t/ran"
    if slurm_run srun -N3 --mpift-stage="$t/bad.cfg" touch "$t/ran" >"$t/log" 2>&1; then
        fail "srun succeeded although staging failed: $(cat "$t/log")"
    fi
    [ ! -e "$t/ran" ] || fail "the step's tasks ran although staging failed"
    grep -q 'no-such-input.dat' "$t/log" || fail "the error does not name the missing file: $(cat "$t/log")"
    grep -q "mpift: stage-in of $t/bad.cfg failed (mpift-stage exit status 1): the step's tasks are not started" "$t/log" ||
        fail "srun does not say the launch failed for staging: $(cat "$t/log")"
}
scenario "a failed stage-in fails the launch: srun exits non-zero, no task runs, the file is named" failed_stage

stage_out() {
    local h
    rm -rf "$t/collect"/*
    printf '#!/bin/bash\nsrun --mpift-stage="%s" --mpift-out="%s" "%s"\n' "$t/stage.cfg" "$t/stage.cfg" "$t/task.sh" \
        >"$t/out.sbatch"
    slurm_run env LOGS="$t/logs" sbatch --wait -N3 -o "$t/logs/out.out" "$t/out.sbatch" >"$t/log" 2>&1 ||
        fail "the job with --mpift-out failed: $(cat "$t/log" "$t/logs/out.out")"
    for h in $SLURM_HOSTS; do
        [ "$(cat "$t/collect/$h/result.txt" 2>/dev/null)" = "result of $h" ] ||
            fail "no result of $h gathered: $(find "$t/collect" -type f) $(cat "$t/logs/out.out")"
    done
}
scenario "inside sbatch, srun --mpift-out=FILE gathers each node's results after the tasks end" stage_out

# refused OPTION=VALUE MESSAGE: srun with that option fails before its
# step runs, saying MESSAGE
refused() {
    rm -f "$t/ran"
    ! slurm_run srun -N1 "$1" touch "$t/ran" >"$t/log" 2>&1 || fail "srun accepted $1"
    [ ! -e "$t/ran" ] || fail "the step ran although $1 was refused"
    grep -q -F -- "$2" "$t/log" || fail "the refusal of $1 does not say '$2': $(cat "$t/log")"
}

# A bare srun releases its job before its exit hook: refused up front.
scenario "a bare srun refuses --mpift-out, saying to use sbatch or salloc" refused --mpift-out="$t/stage.cfg" \
    "mpift: --mpift-out needs an allocation that outlives this srun: use it inside sbatch or salloc"
scenario "--mpift-stage with a missing file is refused before anything runs" refused --mpift-stage="$t/missing.cfg" \
    "mpift: --mpift-stage=$t/missing.cfg: No such file or directory"

# A staging step killed by a signal is run again (retries=N): here rank
# 1's task dies at once the first time.
retried() {
    rm -f "$t/logs"/task-* "$t/died"
    slurm_run env LOGS="$t/logs" MPIFT_TEST_DIE_ONCE="$t/died" srun -N3 --mpift-stage="$t/stage.cfg" "$t/task.sh" \
        >"$t/log" 2>&1 || fail "srun failed although the second try could succeed: $(cat "$t/log")"
    [ -e "$t/died" ] || fail "rank 1 never died: the retry was not exercised"
    grep -q "mpift: stage-in of $t/stage.cfg ended with status [0-9]* (a rank was killed): running it again" "$t/log" ||
        fail "srun does not say it ran the staging again: $(cat "$t/log")"
    check_tasks 3
}
scenario "a staging step whose rank was killed is run again, and the tasks then start" retried

# Without the option the plugin does nothing: a plain srun is untouched.
untouched() {
    slurm_run srun -N3 hostname >"$t/log" 2>&1 || fail "a plain srun failed: $(cat "$t/log")"
    ! grep -q mpift "$t/log" || fail "the plugin spoke without its option: $(cat "$t/log")"
    [ "$(wc -l <"$t/log")" = 3 ] || fail "a plain srun printed more than its 3 hosts: $(cat "$t/log")"
}
scenario "without the options, srun runs as before" untouched
done_testing
