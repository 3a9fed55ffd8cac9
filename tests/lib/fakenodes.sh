# fakenodes.sh - several "nodes" on one machine, for the integration tests
# (sourced after common.sh).
#
#   need_fakenodes              skip unless root, unshare and mpirun work
#   fakenodes_setup N SLOTS     N made-up hosts mpift-node1..N with SLOTS each
#   fakenodes_mpirun NP ARGS... an mpirun job over those hosts
#   fakenodes_clear PATH...     remove PATH (relative) from every node's folder
#   fakenodes_launcher_noise F  F less Open MPI's own warnings about the launch agent
#
# mpirun reads a hostfile of made-up names and starts one orted per name
# through fakenode-agent.sh (plm_rsh_agent) instead of ssh.  The agent runs
# the orted in new UTS and mount namespaces: hostname = the fake name, and
# the node's private folder $FAKE_NODEDIR/HOST bind-mounted over the one path
# $FAKE_SCRATCH.  So a job sees N hosts, each with its own node-local storage
# at the same path, while $FAKE_SCRATCH itself (in the real namespace) must
# stay empty.  The network namespace is shared: everything talks TCP on lo.
# No rank runs on the real host: it only runs mpirun (the HNP).
#
# fakenodes_setup exports FAKE_HOSTFILE, FAKE_NODEDIR, FAKE_SCRATCH,
# FAKE_HOSTS (space-separated names), and for the agent (mpirun passes its
# environment on) MPIFT_FAKE_NODEDIR, MPIFT_FAKE_SCRATCH, MPIFT_FAKE_PIDFILE.
# It also sets two arrays: fake_host (node i, from 0: mpift-node1 ...) and
# rank_host (the host of each rank of a job of N x SLOTS ranks: mpirun
# fills each host's slots in hostfile order).

_fakenodes_agent_src=${top_srcdir:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}/tests/lib/fakenode-agent.sh

need_fakenodes() {
    local d
    [ "$(id -u)" = 0 ] || skip "fake nodes need root (unshare, mount)"
    command -v unshare >/dev/null || skip "no unshare(1)"
    command -v mount >/dev/null || skip "no mount(8)"
    [ -r "$_fakenodes_agent_src" ] || fail "missing $_fakenodes_agent_src"
    unshare --uts --mount --propagation private true 2>/dev/null ||
        skip "unshare --uts --mount does not work here"
    # The whole recipe: a hostname and a bind mount in the new namespaces.
    d=$(mktemp_dir)
    mkdir "$d/a" "$d/b" && : >"$d/a/probe" || fail "cannot fill $d"
    unshare --uts --mount --propagation private sh -c \
        'hostname mpift-probe && mount --bind "$1" "$2" && [ -e "$2/probe" ] && [ "$(hostname)" = mpift-probe ]' \
        sh "$d/a" "$d/b" >/dev/null 2>&1 ||
        skip "cannot set a hostname and bind-mount in new namespaces"
    [ ! -e "$d/b/probe" ] || fail "a bind mount leaked out of its mount namespace"
    rm -rf -- "$d"
    need_mpirun
}

fakenodes_setup() {
    local n=${1:-3} slots=${2:-1} root i j h
    case $n$slots in *[!0-9]*) fail "fakenodes_setup: bad N ($n) or SLOTS ($slots)" ;; esac
    [ "$n" -ge 1 ] && [ "$slots" -ge 1 ] || fail "fakenodes_setup: N and SLOTS must be >= 1"
    # FAKENODES_BASE: where the nodes' folders go (default: TMPDIR as the
    # test started), e.g. /dev/shm for nodes whose storage is memory
    root=$(mktemp_dir ${FAKENODES_BASE:+"$FAKENODES_BASE"})
    [ -n "$root" ] && [ -d "$root" ] || fail "fakenodes_setup: no temp dir"
    # Open MPI splits plm_rsh_agent at spaces and colons.
    case $root in
    *[[:space:]:]*) fail "fakenodes_setup: temp dir '$root' has a space or colon; set TMPDIR" ;;
    esac
    mkdir "$root/nodes" "$root/scratch" || fail "fakenodes_setup: cannot fill $root"
    FAKE_HOSTFILE=$root/hostfile
    FAKE_NODEDIR=$root/nodes
    FAKE_SCRATCH=$root/scratch
    FAKE_HOSTS=
    fake_host=()
    rank_host=()
    : >"$FAKE_HOSTFILE"
    : >"$FAKE_HOSTFILE.hydra"
    for ((i = 1; i <= n; i++)); do
        h=mpift-node$i
        mkdir "$FAKE_NODEDIR/$h" || fail "fakenodes_setup: cannot create $FAKE_NODEDIR/$h"
        echo "$h slots=$slots" >>"$FAKE_HOSTFILE"
        echo "$h:$slots" >>"$FAKE_HOSTFILE.hydra"   # Hydra's format
        FAKE_HOSTS=${FAKE_HOSTS:+$FAKE_HOSTS }$h
        fake_host+=("$h")
        for ((j = 0; j < slots; j++)); do rank_host+=("$h"); done
    done
    # A private copy of the agent, run through sh: works even if the source
    # lost its exec bit or TMPDIR is mounted noexec.
    cp "$_fakenodes_agent_src" "$root/fakenode-agent.sh" &&
        chmod 0755 "$root/fakenode-agent.sh" || fail "fakenodes_setup: cannot copy the agent"
    FAKE_AGENT="$(command -v sh) $root/fakenode-agent.sh"
    MPIFT_FAKE_NODEDIR=$FAKE_NODEDIR
    MPIFT_FAKE_SCRATCH=$FAKE_SCRATCH
    MPIFT_FAKE_PIDFILE=$root/agent.pids
    : >"$MPIFT_FAKE_PIDFILE"
    export FAKE_HOSTFILE FAKE_NODEDIR FAKE_SCRATCH FAKE_HOSTS FAKE_AGENT
    export MPIFT_FAKE_NODEDIR MPIFT_FAKE_SCRATCH MPIFT_FAKE_PIDFILE
    # Orteds that outlive the test (a timed-out or killed mpirun) are
    # stopped before the folders go.
    at_exit _fakenodes_reap "$MPIFT_FAKE_PIDFILE"
}

# fakenodes_mpirun NP ARGS...: mpift_mpirun's options plus
#  --hostfile               the made-up hosts only: no rank on the real host
#  plm rsh                  always launch through the agent (not Slurm's srun
#                           even inside an allocation)
#  plm_rsh_agent            the fake "ssh" (the names do not resolve, so
#                           mpirun does not take any of them for itself)
#  plm_rsh_no_tree_spawn 1  mpirun starts every orted itself; by default the
#                           orteds would start each other (--tree-spawn) by
#                           calling the agent from inside a fake node
#  ras ^slurm,gridengine    the hostfile, not a batch system's allocation
# FAKE_LAUNCH_PREFIX (words before mpirun, e.g. "ip netns exec NS") lets the
# benchmarks run mpirun inside the namespace their networked nodes share.
#
# MPICH's Hydra takes the same agent as its ssh (-launcher ssh
# -launcher-exec: it runs "AGENT -x HOST hydra_pmi_proxy ...") and fills
# each host's slots in hostfile order too; it starts every proxy itself.
fakenodes_mpirun() {
    local np=$1 _mpift_opts _mpift_job_label="mpirun on fake nodes -n $*"
    shift
    [ -n "${FAKE_HOSTFILE:-}" ] || fail "fakenodes_mpirun: call fakenodes_setup first"
    [ -n "${MPIRUN:-}" ] || need_mpirun
    _mpift_mpirun_opts
    if [ "$(mpift_launcher)" = hydra ]; then
        # shellcheck disable=SC2086
        _mpift_timed ${FAKE_LAUNCH_PREFIX:-} "$MPIRUN" "${_mpift_opts[@]}" \
            -f "$FAKE_HOSTFILE.hydra" -launcher ssh -launcher-exec "${FAKE_AGENT#* }" -n "$np" "$@"
        return
    fi
    # shellcheck disable=SC2086
    _mpift_timed ${FAKE_LAUNCH_PREFIX:-} "$MPIRUN" "${_mpift_opts[@]}" \
        --hostfile "$FAKE_HOSTFILE" \
        --mca plm rsh \
        --mca plm_rsh_agent "$FAKE_AGENT" \
        --mca plm_rsh_no_tree_spawn 1 \
        --mca ras ^slurm,gridengine \
        -n "$np" "$@"
}

# fakenodes_launcher_noise FILE: FILE's lines less what Open MPI's rsh
# launcher itself may print about the fake nodes' agent and nothing of the
# job's: "plm:rsh: Warning: setpgid(PID,PID) failed in parent with
# errno=Permission denied(13)" comes when the agent has already exec'd
# (unshare) before mpirun sets its process group, a race of the launch
# alone.  For the tests that assert nothing else is on stderr.
fakenodes_launcher_noise() {
    grep -v 'plm:rsh: Warning: setpgid([0-9]*,[0-9]*) failed in parent with errno=Permission denied' "$1"
}

fakenodes_clear() {
    local h p
    for h in $FAKE_HOSTS; do
        for p; do rm -rf -- "${FAKE_NODEDIR:?}/$h/${p:?}"; done
    done
}

# _fakenodes_pids_below PID: PID and all its descendants
_fakenodes_pids_below() {
    ps -e -o pid=,ppid= | awk -v root="$1" '
        { kids[$2] = kids[$2] " " $1 }
        END {
            queue[1] = root; n = 1
            for (i = 1; i <= n; i++) {
                print queue[i]
                m = split(kids[queue[i]], k, " ")
                for (j = 1; j <= m; j++) queue[++n] = k[j]
            }
        }'
}

# _fakenodes_reap PIDFILE: stop what is left of the orteds the agent
# started (TERM, then KILL), with all their children.
_fakenodes_reap() {
    local pid host all='' p i
    [ -s "$1" ] || return 0
    while read -r pid host; do
        [ -n "$pid" ] && [ -d "/proc/$pid" ] || continue
        # a reused PID is not ours
        tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'orted\|hydra_pmi_proxy' || continue
        echo "warning: fake node $host: $(tr '\0' ' ' <"/proc/$pid/cmdline" | cut -d' ' -f1) $pid still running, stopping it" >&2
        all="$all $(_fakenodes_pids_below "$pid" | tr '\n' ' ')"
    done <"$1"
    [ -n "${all// /}" ] || return 0
    kill -TERM $all 2>/dev/null
    for i in 1 2 3 4 5 6 7 8 9 10; do
        for p in $all; do [ -d "/proc/$p" ] && break; p=; done
        [ -n "$p" ] || return 0
        sleep 0.3
    done
    kill -KILL $all 2>/dev/null
    return 0
}
