# prelude.sh - the opening every integration script shares, in one line:
#
#   . "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" WORD...
#
# It sets top_srcdir and top_builddir (make check exports both; run by hand,
# a script finds this tree, built in place), loads the helpers (common.sh,
# stage.sh, fakenodes.sh) and the TAP report (tap.sh: the script goes on
# with plan N and its scenarios), then acts on each WORD:
#
#   mpirun          skip the whole script unless mpirun can be used
#   fakenodes=NxS   skip it unless fake nodes work (root, unshare, mount)
#                   and mpirun; then N fake hosts of S slots each
#                   (fakenodes_setup: FAKE_*, fake_host, rank_host)
#   slurm=N         skip it unless a Slurm cluster can run here (root,
#                   namespaces, Slurm and munge installed) and mpirun; then
#                   a slurmctld and N slurmd on fake nodes
#                   (slurmcluster_setup: SLURM_*, slurm_run, slurm_on)
#   python3         skip it without python3 (JSON reports, generated data)
#   timeout=S       each mpirun gets S seconds (MPIFT_TEST_TIMEOUT, unless
#                   set already; the default is 300)
#   tree            $t/src/tree holds make_test_tree's files, $nfiles of them
#   local           none of the above: no MPI job, no fake node
#
# and always sets t, a fresh temp dir removed when the script exits.  Every
# requirement is checked before anything is made, so a skipped script
# leaves nothing behind.

top_srcdir=${top_srcdir:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/stage.sh"
. "$top_srcdir/tests/lib/fakenodes.sh"
. "$top_srcdir/tests/lib/slurmcluster.sh"

_prelude_nodes=
_prelude_slurm=
_prelude_tree=
for _prelude_word; do
    case $_prelude_word in
    mpirun) need_mpirun ;;
    fakenodes=[1-9]*x[1-9]*)
        need_fakenodes
        _prelude_nodes=${_prelude_word#fakenodes=}
        ;;
    slurm=[1-9]*)
        # srun --mpi=pmix starts Open MPI programs; Debian's MPICH speaks
        # PMI to Hydra, not Slurm's PMIx: a build on it skips these.
        skip_unless_openmpi "the Slurm tests (srun --mpi=pmix runs this build's MPI through Slurm's PMIx, which Debian's MPICH does not speak)"
        # They check the topology and %t that Slurm's PMIx server gives.
        grep -q '^#define HAVE_PMIX 1' "$top_builddir/mpift_autoconf.h" ||
            skip "the Slurm tests check what Slurm's PMIx server tells mpift: this build is --without-pmix"
        need_slurmcluster
        _prelude_slurm=${_prelude_word#slurm=}
        ;;
    python3) command -v python3 >/dev/null || skip "no python3 (apt-get install python3)" ;;
    timeout=[1-9]*) MPIFT_TEST_TIMEOUT=${MPIFT_TEST_TIMEOUT:-${_prelude_word#timeout=}} ;;
    tree) _prelude_tree=1 ;;
    local) ;;
    *) fail "prelude.sh: unknown word '$_prelude_word'" ;;
    esac
done

if [ -n "$_prelude_tree" ]; then
    stage_setup
else
    t=$(mktemp_dir)
fi
[ -z "$_prelude_nodes" ] || fakenodes_setup "${_prelude_nodes%x*}" "${_prelude_nodes#*x}"
[ -z "$_prelude_slurm" ] || slurmcluster_setup "$_prelude_slurm"
unset _prelude_word _prelude_nodes _prelude_slurm _prelude_tree
