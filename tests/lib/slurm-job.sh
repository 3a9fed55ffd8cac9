# slurm-job.sh - sourced by the job scripts the Slurm tests submit (sbatch,
# salloc): runs on the cluster of tests/lib/slurmcluster.sh, not in the
# test's shell.
#
#   mpi_step SRUN_ARG... CMD...
#       srun --mpi=pmix --kill-on-bad-exit=1 SRUN_ARG... CMD..., its status.
#
# Debian 12's Open MPI 4.1.4, started by srun --mpi=pmix, dies in a few %
# of launches inside MPI_Init, before any program code runs: a fragment
# reaches the TCP transport before the receiving rank registered its
# handler, and it calls a null function ("Signal: Segmentation fault",
# "Failing at address: (nil)", a one-frame backtrace; in the sanitizer
# build AddressSanitizer's "SEGV on unknown address 0x000000000000 (pc
# 0x000000000000", exit status 1; a plain MPI hello does it too, mpirun in
# the same allocation never).  That is no mpift
# result, so such a step is run again, at most twice, and the retry is
# said on stderr (it shows in the test's log).  Any other failure - a
# crash with more frames, an exit status, a timeout - is the step's result.

# _mpi_init_crash LOG: the step died of Open MPI's crash in MPI_Init: its
# signal handler's report (a one-frame backtrace), or in the sanitizer
# build AddressSanitizer's (a jump to address 0 that cannot be unwound)
_mpi_init_crash() {
    if grep -q 'Signal: Segmentation fault' "$1" && grep -q 'Failing at address: (nil)' "$1"; then
        ! grep -q '\] \[ 1\] ' "$1"
    else
        grep -q 'AddressSanitizer: SEGV on unknown address 0x000000000000 (pc 0x000000000000 ' "$1" &&
            ! grep -q '^ *#1 0x' "$1"
    fi
}

mpi_step() {
    local try log rc
    log=$(mktemp "${TMPDIR:-/tmp}/mpift-step.XXXXXX") || return 1
    for try in 1 2 3; do
        srun --mpi=pmix --kill-on-bad-exit=1 "$@" 2>"$log"
        rc=$?
        cat "$log" >&2
        [ "$rc" != 0 ] && [ "$try" -lt 3 ] && _mpi_init_crash "$log" || break
        echo "mpi_step: Open MPI died in MPI_Init (Debian's 4.1.4 under srun --mpi=pmix); running the step again" >&2
    done
    rm -f -- "$log"
    return "$rc"
}
