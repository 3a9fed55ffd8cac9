#!/bin/bash
# docs/cli_filter.lua in a real Slurm (CliFilterPlugins=cli_filter/lua):
# an srun whose --mpift-stage / --mpift-out file fails
# `mpift-stage --check` is refused at submission with mpift's own message
# (the file, the line, the key) and never becomes a job (the next job's id
# follows the last accepted one); a valid file and a job without the
# options go through, and the valid one is staged.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" local
plugin=$top_builddir/src/spank/.libs/mpift_spank.so
[ -f "$plugin" ] || skip "the SPANK plugin was not built (configure found no slurm/spank.h: apt-get install libslurm-dev)"
skip_unless_openmpi "the cli_filter test (srun --mpi=pmix runs this build's MPI through Slurm's PMIx, which Debian's MPICH does not speak)"
need_slurmcluster
lua_plugin=$(_slurm_plugin_dir)/cli_filter_lua.so
[ -f "$lua_plugin" ] || skip "Slurm has no cli_filter/lua plugin here ($lua_plugin)"
SLURMCLUSTER_PLUGSTACK="required $plugin mpift_stage=$stage"
SLURMCLUSTER_CONF_EXTRA="CliFilterPlugins=cli_filter/lua"
slurmcluster_setup 2
plan 4
# The example as a site installs it, with this build's launcher.
sed "s|^local mpift_stage = .*|local mpift_stage = \"$stage\"|" "$top_srcdir/docs/cli_filter.lua" \
    >"$SLURM_ROOT/etc/cli_filter.lua"
grep -q "^local mpift_stage = \"$stage\"" "$SLURM_ROOT/etc/cli_filter.lua" ||
    fail "docs/cli_filter.lua has no 'local mpift_stage = ...' line to point at the launcher"

mkdir -p "$t/src" "$t/logs"
head -c 100000 /dev/urandom >"$t/src/input.dat"
cat >"$t/good.cfg" <<CFG
version = 1;
paths: { source = "$t/src"; dest = "$SLURM_LOCAL/scratch/%j"; };
stage_in = ( { src = "input.dat"; dest = ""; } );
CFG
sed 's|dest = ""; }|dest = ""; bogus = 1; }|' "$t/good.cfg" >"$t/bad.cfg"
grep -q bogus "$t/bad.cfg" || fail "could not make the invalid configuration"

# job_id: runs a job and prints its id; scenarios run in subshells, so
# the last id seen is kept in $t/last_id.
job_id() {
    slurm_run srun -N1 sh -c 'echo "job:$SLURM_JOB_ID"' >"$t/id.out" 2>&1
    sed -n 's/^job:\([0-9][0-9]*\)$/\1/p' "$t/id.out" | tail -n 1
}

accepted() {
    rm -f "$t/ran"
    slurm_run srun -N2 --mpift-stage="$t/good.cfg" sh -c 'cmp "$0" "$1/$SLURM_JOB_ID/input.dat" && touch "$2"' \
        "$t/src/input.dat" "$SLURM_LOCAL/scratch" "$t/ran" >"$t/log" 2>&1
    job_id >"$t/last_id"
    [ -s "$t/last_id" ] || fail "a plain srun does not run under the filter: $(cat "$t/id.out")"
    grep -q 'configuration is valid' "$t/log" && fail "the filter's check printed on success: $(cat "$t/log")"
    [ -e "$t/ran" ] || fail "srun --mpift-stage with a valid file did not run its step: $(cat "$t/log")"
}
# the step's task compares its node's copy: the %j of the dest is the job's
scenario "a valid --mpift-stage file passes the filter and is staged; a job without it runs" accepted

# refused WHAT CMD...: CMD fails at submission with mpift's message, runs
# nothing, and no job id is used up
refused() {
    local what=$1 id last_id
    last_id=$(cat "$t/last_id")
    shift
    rm -f "$t/ran"
    ! slurm_run "$@" >"$t/log" 2>&1 || fail "$what with an invalid file was accepted: $(cat "$t/log")"
    [ ! -e "$t/ran" ] || fail "$what ran its job although the file is invalid"
    grep -q -F "bad.cfg:3: stage_in[0].bogus: unknown key" "$t/log" ||
        fail "$what's refusal does not carry mpift-stage's message: $(cat "$t/log")"
    grep -q -F "does not pass \`mpift-stage --check\` (exit 2): the job was not submitted" "$t/log" ||
        fail "$what's refusal does not say the job was not submitted: $(cat "$t/log")"
    id=$(job_id)
    [ "$id" = $((last_id + 1)) ] || fail "the refused $what used up a job id: the last job was $last_id, the next is $id"
    echo "$id" >"$t/last_id"
}
scenario "srun --mpift-stage=FILE with an invalid FILE is refused before it queues, in mpift's words" \
    refused srun srun -N2 --mpift-stage="$t/bad.cfg" touch "$t/ran"
# --mpift-out is an srun option inside an allocation: the filter refuses
# that step (the job itself was valid and ran)
out_step() {
    rm -f "$t/ran"
    printf '#!/bin/sh\nsrun --mpift-out="%s" touch "%s"\necho "srun exit $?"\n' "$t/bad.cfg" "$t/ran" >"$t/out.sbatch"
    slurm_run sbatch --wait -N1 -o "$t/logs/out.out" "$t/out.sbatch" >"$t/log" 2>&1 || fail "the sbatch job failed: $(cat "$t/log")"
    [ ! -e "$t/ran" ] || fail "srun --mpift-out with an invalid file ran its step"
    grep -q '^srun exit [1-9]' "$t/logs/out.out" || fail "srun --mpift-out with an invalid file did not fail: $(cat "$t/logs/out.out")"
    grep -q -F "mpift: --mpift-out=$t/bad.cfg does not pass" "$t/logs/out.out" ||
        fail "the refused step does not say why in mpift's words: $(cat "$t/logs/out.out")"
    job_id >"$t/last_id"
}
scenario "inside sbatch, srun --mpift-out=FILE with an invalid FILE is refused before its step" out_step

quoted() {
    # a file name a shell would act on stays one argument
    local odd="$t/it's \$(id)\`id\`.cfg"
    cp "$t/bad.cfg" "$odd"
    rm -f "$t/ran"
    ! slurm_run srun -N1 --mpift-stage="$odd" touch "$t/ran" >"$t/log" 2>&1 || fail "srun with an odd, invalid file name was accepted"
    ! grep -q 'uid=[0-9]' "$t/log" || fail "the filter ran a command hidden in the file name: $(cat "$t/log")"
    grep -q -F "unknown key" "$t/log" && grep -q -F "does not pass \`mpift-stage --check\`" "$t/log" ||
        fail "the filter did not check the odd file name: $(cat "$t/log")"
    job_id >"$t/last_id"
}
scenario "a file name with quotes and \$(...) is checked as one name, never run by a shell" quoted
