# common.sh - helpers sourced by every integration test and benchmark (bash).
#
#   skip MSG / fail MSG / pass      exit 77 / 1 / 0 with a one-line verdict
#                                   (tap.sh turns them into TAP results)
#   t=$(mktemp_dir [BASE])          a fresh temp dir (in BASE: TMPDIR or /dev/shm), removed when the test exits
#   at_exit CMD [ARGS...]           run CMD when the test exits (last in, first out)
#   need_mpirun                     skip unless $MPIRUN (or mpirun in PATH) is usable
#   mpift_mpirun ARGS...            $MPIRUN on this machine, under a timeout
#   mpift_mpirun_line ARGS...       its command line, quoted for sh -c
#   mpift_launcher                  "openmpi" or "hydra" (MPICH's mpiexec)
#   mpift_by_node                   the launcher's options for one rank per
#                                   host, round after round (unquoted use)
#   make_test_tree DIR              a tree of awkward files for the stage tests
#   compare_tree A B                same paths and byte-identical regular files?
#
# Environment: MPIRUN (set by make check), MPIFT_TEST_TIMEOUT (seconds per
# mpirun, default 300), MPIFT_KEEP_TEST_DIRS (non-empty: keep temp dirs and
# say where they are), MPIFT_MPIRUN_ARGS (extra mpirun options, split on
# white space), TMPDIR.
#
# mktemp_dir runs in a command substitution, i.e. in a subshell that cannot
# set a trap for the test.  So the trap is set here, at source time, and
# mktemp_dir only records its directory in a registry file created now; the
# trap removes every directory listed there and runs the at_exit hooks.

if [ -z "${_mpift_common_loaded:-}" ]; then
_mpift_common_loaded=1

skip() {
    echo "SKIP: $*" >&2
    exit 77
}

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

pass() {
    echo "PASS"
    exit 0
}

# ------------------------------------------------------------ temp dirs
_mpift_tmpbase=${TMPDIR:-/tmp}
_mpift_tmpbase=${_mpift_tmpbase%/}
[ -n "$_mpift_tmpbase" ] || _mpift_tmpbase=/
_mpift_registry=$(mktemp "$_mpift_tmpbase/mpift-test-reg.XXXXXX") ||
    fail "cannot create a file in ${TMPDIR:-/tmp} (set TMPDIR to a writable folder)"
_mpift_main_pid=$$
_mpift_running=
_mpift_last_job=
_mpift_last_rc=

# Registry lines: "D <dir>" a temp dir to remove, "H <command>" a hook
# (already quoted, one line) to eval.
_mpift_cleanup() {
    local rc=$? line kind arg
    trap - EXIT HUP INT TERM
    # Only the test's own shell cleans up, never a subshell that happened
    # to inherit the function.
    [ "$BASHPID" = "$_mpift_main_pid" ] || return "$rc"
    _mpift_stop_running
    if [ -f "$_mpift_registry" ]; then
        # hooks, last registered first
        while IFS= read -r line; do
            kind=${line%% *} arg=${line#* }
            [ "$kind" = H ] || continue
            (eval "$arg") || echo "warning: cleanup hook failed: $arg" >&2
        done < <(tac "$_mpift_registry")
        while IFS= read -r line; do
            kind=${line%% *} arg=${line#* }
            [ "$kind" = D ] || continue
            case $arg in
            "$_mpift_tmpbase"/mpift-test.* | /dev/shm/mpift-test.*) ;;
            *) echo "warning: not removing unexpected path $arg" >&2; continue ;;
            esac
            [ -d "$arg" ] || continue
            if [ -n "${MPIFT_KEEP_TEST_DIRS:-}" ]; then
                echo "kept test dir: $arg" >&2
            else
                chmod -R u+rwx -- "$arg" 2>/dev/null
                rm -rf --one-file-system -- "$arg" ||
                    echo "warning: could not remove $arg" >&2
            fi
        done <"$_mpift_registry"
        rm -f -- "$_mpift_registry"
    fi
    return "$rc"
}
# _mpift_stop_running: TERM what _mpift_background started and is still
# running (a timed-out job's timeout(1), a TAP scenario), and wait for it.
_mpift_stop_running() {
    [ -n "$_mpift_running" ] || return 0
    kill -TERM $_mpift_running 2>/dev/null
    wait $_mpift_running 2>/dev/null
    _mpift_running=
}

trap _mpift_cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# mktemp_dir: create ${TMPDIR:-/tmp}/mpift-test.XXXXXX, register it for
# removal at exit and print its path.  If it cannot, the whole test fails
# (a test must never go on with an empty $t).
mktemp_dir() {
    local d base=${1:-$_mpift_tmpbase}
    if ! d=$(mktemp -d "$base/mpift-test.XXXXXX") || [ ! -d "$d" ]; then
        echo "FAIL: cannot create a temp dir in $base" >&2
        # We are most likely in $(...): stop the test itself.
        [ "$BASHPID" = "$_mpift_main_pid" ] || kill -TERM "$_mpift_main_pid"
        exit 1
    fi
    printf 'D %s\n' "$d" >>"$_mpift_registry"
    printf '%s\n' "$d"
}

# at_exit CMD [ARGS...]: run CMD ARGS (quoted as given) when the test exits,
# before the temp dirs are removed.  Works from a subshell too.
at_exit() {
    [ $# -gt 0 ] || return 0
    local line
    line=$(printf '%q ' "$@")
    printf 'H %s\n' "$line" >>"$_mpift_registry"
}

# ------------------------------------------------------------ mpirun
_mpift_find_mpirun() {
    if [ -n "${MPIRUN:-}" ]; then
        printf '%s\n' "$MPIRUN"
    else
        command -v mpirun || command -v mpiexec
    fi
}

need_mpirun() {
    local m
    m=$(_mpift_find_mpirun) || skip "no mpirun (MPIRUN is empty and none in PATH)"
    case $m in
    */*) ;;
    *) m=$(command -v "$m") || skip "MPIRUN=$MPIRUN not found" ;;
    esac
    [ -f "$m" ] && [ -x "$m" ] || skip "mpirun '$m' is not executable"
    command -v timeout >/dev/null || skip "no timeout(1)"
    MPIRUN=$m
    mpift_launcher >/dev/null
}

# mpift_pmix_topology: true when this build's ranks learn their nodes from
# PMIx under $MPIRUN: Open MPI's mpirun answers PMIx, MPICH's Hydra does
# not, and a build configured --without-pmix asks nobody (both take MPI's
# shared-memory split, and %j is rank 0's pid).
mpift_pmix_topology() {
    [ "$(mpift_launcher)" = openmpi ] && grep -q '^#define HAVE_PMIX 1' "$top_builddir/mpift_autoconf.h"
}

# mpift_launcher: which launcher $MPIRUN is, "openmpi" (Open MPI's mpirun)
# or "hydra" (MPICH's mpiexec, and its family's), from its --version; kept
# in MPIFT_LAUNCHER (exported: scenarios and helpers see it).  Their
# options differ: Hydra has no --oversubscribe, --bind-to or --mca, and
# starts remote hosts with -launcher ssh -launcher-exec AGENT.
mpift_launcher() {
    if [ -z "${MPIFT_LAUNCHER:-}" ]; then
        case $("${MPIRUN:-mpirun}" --version 2>&1 | head -n 5) in
        *HYDRA*) MPIFT_LAUNCHER=hydra ;;
        *) MPIFT_LAUNCHER=openmpi ;;
        esac
        export MPIFT_LAUNCHER
    fi
    echo "$MPIFT_LAUNCHER"
}

# Open MPI: --map-by node; Hydra has no such mapping, -ppn 1 gives the same
# order (rank r on host r mod N).
mpift_by_node() {
    if [ "$(mpift_launcher)" = openmpi ]; then echo "--map-by node"; else echo "-ppn 1"; fi
}

# skip_unless_openmpi WHAT: skip (the scenario, or the script before its
# plan) unless the launcher is Open MPI's, saying what needs it.
skip_unless_openmpi() {
    [ "$(mpift_launcher)" = openmpi ] || skip "$* (Open MPI only; this build's launcher is $MPIRUN)"
}

# The options every test job gets:
#  --oversubscribe     more ranks than cores (a 2-core box runs -n 4 or 6)
#  --bind-to none      no core binding: oversubscribed jobs, and parallel
#                      make check jobs, would otherwise pile onto one core
#  btl self,vader,tcp  no openib/ofi probing (slow, noisy warnings)
#  single copy none    vader uses CMA (process_vm_readv) by default, which a
#                      container without CAP_SYS_PTRACE refuses ("Read -1,
#                      expected N, errno = 1"); copy-in/copy-out works anywhere
#  yield_when_idle 1   more ranks than cores: a rank waiting for a message
#                      gives its core back, as Open MPI does when it knows
#                      it is oversubscribed (fake nodes hide that from it);
#                      MPIFT_YIELD_WHEN_IDLE=0 leaves Open MPI's default (a
#                      rank blocked in MPI spins), as a user's mpirun would
#  if_base_do_not_resolve 1
#                      mpirun does not look the fake hosts up in DNS to
#                      see which are this machine: here each lookup could
#                      wait for the resolver's 5 s timeout (mpirun onto 16
#                      fake nodes took 6.3 s to start, 1.2 s without)
#  *_if_include lo     TCP (runtime and MPI) only on the loopback: no other
#                      interface is needed, and fake nodes talk over lo
#                      (MPIFT_NET_IF replaces lo: the benchmarks' networked
#                      fake nodes use their own subnet)
#
# Hydra (MPICH) needs none of them: it binds nothing and lets more ranks
# than cores run by default, and MPICH's shared memory does not use CMA.
_mpift_mpirun_opts() {
    if [ "$(mpift_launcher)" = hydra ]; then
        _mpift_opts=()
        # shellcheck disable=SC2206
        [ -z "${MPIFT_MPIRUN_ARGS:-}" ] || _mpift_opts+=($MPIFT_MPIRUN_ARGS)
        return 0
    fi
    # Open MPI's session folder (/tmp/ompi.HOST.UID) is shared by every
    # job of a user on a host: two jobs of a parallel make check, one
    # starting while the other cleans up, race on it ("A call to mkdir was
    # unable to create the desired directory ... File exists").  Each test
    # gets its own, sticky and open to all as /tmp is: a test may run
    # mpirun as an ordinary user, whose session folder goes in it too.
    if [ -z "${_mpift_ompi_tmp:-}" ]; then
        _mpift_ompi_tmp=$(mktemp -d "$_mpift_tmpbase/mpift-test.XXXXXX") && chmod 1777 "$_mpift_ompi_tmp" &&
            printf 'D %s\n' "$_mpift_ompi_tmp" >>"$_mpift_registry" || _mpift_ompi_tmp=
    fi
    # shellcheck disable=SC2054
    _mpift_opts=(
        ${_mpift_ompi_tmp:+--mca orte_tmpdir_base "$_mpift_ompi_tmp"}
        --oversubscribe
        --bind-to none
        --mca btl self,vader,tcp
        --mca btl_vader_single_copy_mechanism none
        --mca mpi_yield_when_idle "${MPIFT_YIELD_WHEN_IDLE:-1}"
        --mca if_base_do_not_resolve 1
        --mca btl_tcp_if_include "${MPIFT_NET_IF:-lo}"
        --mca oob_tcp_if_include "${MPIFT_NET_IF:-lo}"
        # A job that fails or loses a rank ends with Open MPI killing the
        # rest: SIGTERM, a sleep of odls_base_sigkill_timeout (1 s), then
        # SIGKILL, on every node.  mpift catches no SIGTERM, so the sleep
        # only adds a second to each such job (a third of the suite's
        # jobs end so); the ranks end the same way without it.
        --mca odls_base_sigkill_timeout 0
    )
    # shellcheck disable=SC2206
    [ -z "${MPIFT_MPIRUN_ARGS:-}" ] || _mpift_opts+=($MPIFT_MPIRUN_ARGS)
}

# _mpift_background CMD...: run CMD in the background and wait for it, so
# that a signal to the test (^C, TERM) is handled at once and passed on
# (_mpift_stop_running), instead of after CMD exits.  Returns CMD's status.
# CMD reads the caller's stdin ("<&0": without it, a command put in the
# background reads /dev/null).
_mpift_background() {
    local rc pid
    "$@" <&0 &
    pid=$!
    _mpift_running="$_mpift_running $pid"
    wait "$pid"
    rc=$?
    _mpift_running=${_mpift_running% "$pid"}
    return "$rc"
}

# _mpift_timed CMD...: run CMD (an MPI launcher, or a command that starts
# one) with the test environment, under timeout(1) (MPIFT_TEST_TIMEOUT s, then
# KILL 10 s later), in the background (_mpift_background).
# stdin is /dev/null, or the file named by MPIFT_STDIN (console scripts).
# Returns CMD's status; 124 (with a message on stderr) if it timed out.
# _mpift_last_job and _mpift_last_rc keep what ran (the caller's
# _mpift_job_label, else CMD, after the MPIFT_TEST_* switches set) and how
# it ended, for a failure's diagnostics.
_mpift_timed() {
    local limit=${MPIFT_TEST_TIMEOUT:-300} rc
    _mpift_last_job="$(env | grep '^MPIFT_TEST_' | grep -v '^MPIFT_TEST_TIMEOUT=' | LC_ALL=C sort | tr '\n' ' ')${_mpift_job_label:-$*}"
    # Open MPI and PMIx keep allocations until exit and unload their plugins,
    # so LeakSanitizer can neither suppress nor name them: in MPI jobs the
    # sanitizer build checks memory errors and undefined behaviour, not
    # leaks.  Unit tests and --check (no MPI) keep leak checking.
    # Open MPI refuses root without the two OMPI_ALLOW_* variables.
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
        OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
        _mpift_background timeout -k 10 "$limit" "$@" <"${MPIFT_STDIN:-/dev/null}"
    rc=$?
    _mpift_last_rc=$rc
    [ "$rc" != 124 ] || echo "mpift test harness: timed out after ${limit}s: $*" >&2
    return "$rc"
}

# mpift_mpirun ARGS...: e.g. mpift_mpirun -n 4 "$stage" --config x
mpift_mpirun() {
    [ -n "${MPIRUN:-}" ] || need_mpirun
    local _mpift_opts _mpift_job_label="mpirun $*"
    _mpift_mpirun_opts
    _mpift_timed "$MPIRUN" "${_mpift_opts[@]}" "$@"
}

# mpift_mpirun_line ARGS...: mpift_mpirun's command line as one string,
# quoted for sh -c (script(1) runs it on a terminal).
mpift_mpirun_line() {
    [ -n "${MPIRUN:-}" ] || need_mpirun
    local _mpift_opts
    _mpift_mpirun_opts
    printf '%q ' "$MPIRUN" "${_mpift_opts[@]}" "$@"
}

# ------------------------------------------------------------ trees
# _mpift_bytes N FILE: N random bytes into FILE
_mpift_bytes() {
    head -c "$1" /dev/urandom >"$2" && [ "$(stat -c %s "$2")" = "$1" ]
}

# make_test_tree DIR: regular files only (no empty folders, no links):
#   empty.dat (0)  one.bin (1)  page-1.bin (4095)  page+1.dat (4097)
#   odd.dat (1000003)  big.bin (5 MiB + 13: six 1 MiB chunks)
#   "with space.dat"  "données-é.txt"  "日本.bin"
#   a/a.txt  a/b/b.dat  a/b/c/deep.txt  a/b/c/nested space/x.bin  (nested)
#   a/b/old-0640.dat (mode 0640, mtime 2001-02-03)
make_test_tree() {
    local d=$1
    [ -n "$d" ] || fail "make_test_tree: no folder given"
    mkdir -p "$d/a/b/c/nested space" || fail "make_test_tree: cannot create $d"
    (
        set -e
        cd "$d"
        : >empty.dat
        printf 'x' >one.bin
        _mpift_bytes 4095 page-1.bin
        _mpift_bytes 4097 page+1.dat
        _mpift_bytes 1000003 odd.dat
        _mpift_bytes $((5 * 1024 * 1024 + 13)) big.bin
        printf 'a file whose name has a space\n' >"with space.dat"
        printf 'accents: données, é, ü, ß\n' >"données-é.txt"
        _mpift_bytes 777 "日本.bin"
        printf 'level 1\n' >a/a.txt
        _mpift_bytes 65537 a/b/b.dat
        printf 'level 3\n' >a/b/c/deep.txt
        _mpift_bytes 3 "a/b/c/nested space/x.bin"
        _mpift_bytes 12345 a/b/old-0640.dat
        chmod 0640 a/b/old-0640.dat
        touch -d '2001-02-03 04:05:06' a/b/old-0640.dat
    ) || fail "make_test_tree: could not fill $d"
}

# compare_tree A B: 0 iff A and B hold the same relative paths (files,
# folders, links, ...), every regular file is byte-identical and every
# link has the same target; otherwise says what differs on stderr and
# returns 1.  A special file (fifo, socket, device) counts as different
# even from its like: mpift never makes one.
compare_tree() {
    local a=$1 b=$2 la lb out
    [ -d "$a" ] || { echo "compare_tree: $a is not a folder" >&2; return 1; }
    [ -d "$b" ] || { echo "compare_tree: $b is not a folder" >&2; return 1; }
    la=$(cd "$a" && LC_ALL=C find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort) || return 1
    lb=$(cd "$b" && LC_ALL=C find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort) || return 1
    if [ "$la" != "$lb" ]; then
        echo "compare_tree: $a and $b hold different paths (< only in $a, > only in $b):" >&2
        diff <(printf '%s\n' "$la") <(printf '%s\n' "$lb") | grep '^[<>]' >&2
        return 1
    fi
    # One diff for the whole tree, not a cmp per file (odd_sizes.sh
    # compares 1,500 copies): regular files by content, links by target,
    # and a path of another type on either side is a difference.
    if ! out=$(LC_ALL=C diff -r -q --no-dereference -- "$a" "$b" 2>&1); then
        printf '%s\n' "$out" | sed 's/^/compare_tree: /' >&2
        return 1
    fi
}

fi
