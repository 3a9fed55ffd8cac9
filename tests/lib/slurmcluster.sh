# slurmcluster.sh - a real Slurm cluster on this one machine, for the
# integration tests and the benchmark (sourced after common.sh).
#
#   need_slurmcluster           skip unless root, namespaces and Slurm work
#   slurmcluster_setup N [RATE] a slurmctld on a login host and N slurmd on
#                               nodes snode1..N (RATE, e.g. 200mbit, shapes
#                               every link in both directions)
#   slurm_run CMD...            CMD on the login host (srun, sbatch, salloc,
#                               sbcast, squeue ...), under a timeout
#   slurm_on NODE CMD...        CMD on one node (its hostname, network and
#                               node-local folder)
#   slurmcluster_down           stop everything (also done at exit)
#
# Every host is a network namespace of its own (198.19.0.0/24: node i is
# .i, the login host .254; the whole cluster sits inside 198.18.0.0/15, the
# benchmark range) joined by one veth link to a bridge in a hub namespace,
# plus new UTS and mount namespaces: its own hostname, /etc/hosts naming
# the cluster, and on a node its private folder $SLURM_NODEDIR/NODE
# bind-mounted over the one path $SLURM_LOCAL.  So a job sees N hosts with
# node-local storage at the same path, while $SLURM_LOCAL in the real
# namespace stays empty.  The rest of the file system is shared: a job
# reads the test's files and the build tree where they are.
#
# Nothing here touches a Slurm or munge the machine may run: munged gets
# its own key, socket, pid and log files (slurm.conf names the socket:
# AuthInfo=socket=...), slurmctld and slurmd listen on their own addresses
# inside their namespaces, and all state, spool and log folders live under
# $SLURM_ROOT in the test's temp dir.  Slurm's own traps, met on Debian 12
# (Slurm 22.05):
#  * slurmd initialises a cgroup plugin even with proctrack/linuxproc and
#    task/none: cgroup.conf says CgroupPlugin=cgroup/v1 (22.05 has no
#    "disabled"; the hierarchy is only looked at), and the daemons enter
#    their network namespace with nsenter --net, which keeps /sys (ip netns
#    exec remounts it and hides /sys/fs/cgroup).
#  * munged wants its socket folder 0755.
#  * MpiDefault=pmix (the one plugin Debian's Open MPI starts under), and
#    KillOnBadExit=1: a rank that dies ends its step instead of leaving the
#    others waiting for it.
#  * MinJobAge=4: sbatch --wait polls the job after 2 s, then after 8 and
#    32 unless MinJobAge is that short (src/sbatch/sbatch.c, _job_wait),
#    so a job of 3 s was seen to end after 10.  The tests read no job
#    record once its sbatch has returned.
#
# slurmcluster_setup exports SLURM_ROOT, SLURM_LOCAL, SLURM_NODEDIR,
# SLURM_HOSTS (space-separated node names), SLURM_NET (the /24) and sets
# the array slurm_node (snode1 ...).  SLURMCLUSTER_CONF_EXTRA (lines) is
# appended to slurm.conf (e.g. a PlugStackConfig);
# SLURMCLUSTER_KILL_ON_BAD_EXIT=0 leaves KillOnBadExit off, Slurm's default;
# SLURMCLUSTER_PLUGSTACK (lines) becomes the cluster's plugstack.conf
# (SPANK plugins, read by srun and slurmstepd).  Jobs get the Open MPI
# settings of the other tests through OMPI_MCA_* variables (slurm_run
# exports them; sbatch and srun pass the environment on).
#
# At exit (or slurmcluster_down) every process inside the cluster's network
# namespaces is stopped by pid (TERM, then KILL): slurmd, slurmstepd, job
# tasks, slurmctld, the clients slurm_run started; then munged by the pid
# in its own pid file; then the namespaces are deleted.

SLURM_NET=198.19.0
_slurm_login_ip=$SLURM_NET.254
_slurm_prefix=
_slurm_all_ns=

_slurm_plugin_dir() {
    local d
    for d in /usr/lib/x86_64-linux-gnu/slurm-wlm /usr/lib/slurm-wlm /usr/lib64/slurm /usr/lib/slurm \
        "$(dirname "$(command -v slurmd 2>/dev/null)")/../lib/slurm"; do
        [ -e "$d/mpi_pmix.so" ] && { printf '%s\n' "$d"; return 0; }
    done
    return 1
}

need_slurmcluster() {
    local c ns=mpiftsprobe$$
    [ "$(id -u)" = 0 ] || skip "a Slurm cluster needs root (namespaces, daemons)"
    for c in slurmctld slurmd srun sbatch salloc squeue munged munge unmunge; do
        command -v "$c" >/dev/null ||
            skip "no $c (apt-get install slurm-wlm slurmctld slurmd slurm-client munge)"
    done
    for c in unshare nsenter ip mount hostname timeout; do
        command -v "$c" >/dev/null || skip "no $c(1) (apt-get install util-linux iproute2)"
    done
    _slurm_plugin_dir >/dev/null || skip "Slurm has no mpi/pmix plugin here (mpi_pmix.so)"
    [ -d /sys/fs/cgroup ] || skip "no /sys/fs/cgroup: slurmd cannot start"
    unshare --uts --mount --propagation private true 2>/dev/null ||
        skip "unshare --uts --mount does not work here"
    ip netns add "$ns" 2>/dev/null || skip "cannot create network namespaces here"
    if ! ip netns exec "$ns" ip link add probe0 type veth peer name probe1 2>/dev/null; then
        ip netns del "$ns"
        skip "cannot create veth links in a network namespace"
    fi
    ip netns del "$ns"
    need_mpirun
}

# _slurm_pid_is PIDFILE WORD: the pid in PIDFILE runs a command with WORD
_slurm_pid_is() {
    local p
    [ -s "$1" ] || return 1
    p=$(cat "$1")
    [ -d "/proc/$p" ] && tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q -- "$2"
}

_slurm_ns_pids() {
    local ns
    for ns in $_slurm_all_ns; do ip netns pids "$ns" 2>/dev/null; done | sort -un
}

slurmcluster_down() {
    local pids t p
    [ -n "$_slurm_prefix" ] || return 0
    pids=$(_slurm_ns_pids)
    if [ -n "$pids" ]; then
        # shellcheck disable=SC2086
        kill -TERM $pids 2>/dev/null
        for ((t = 0; t < 25; t++)); do
            [ -z "$(_slurm_ns_pids)" ] && break
            sleep 0.2
        done
        pids=$(_slurm_ns_pids)
        # shellcheck disable=SC2086
        [ -z "$pids" ] || { kill -KILL $pids 2>/dev/null; sleep 0.3; }
    fi
    if _slurm_pid_is "$SLURM_ROOT/munge/munged.pid" munged; then
        p=$(cat "$SLURM_ROOT/munge/munged.pid")
        kill -TERM "$p"
        for ((t = 0; t < 25; t++)); do [ -d "/proc/$p" ] || break; sleep 0.2; done
        [ ! -d "/proc/$p" ] || kill -KILL "$p"
    fi
    for p in $_slurm_all_ns; do ip netns del "$p" 2>/dev/null; done
    _slurm_all_ns=
    _slurm_prefix=
}

# _slurm_die MSG LOG...: fail with MSG and the tail of each LOG
_slurm_die() {
    local msg=$1 f
    shift
    for f; do [ -s "$f" ] && msg="$msg"$'\n'"--- $f:"$'\n'"$(tail -n 8 "$f")"; done
    fail "slurmcluster: $msg"
}

_slurm_write_conf() {
    local n=$1 i
    {
        cat <<CONF
# written by tests/lib/slurmcluster.sh: a test cluster, all of it under $SLURM_ROOT
ClusterName=mpifttest
SlurmctldHost=slogin($_slurm_login_ip)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$SLURM_ROOT/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$SLURM_ROOT/ctld/state
SlurmctldPidFile=$SLURM_ROOT/ctld/slurmctld.pid
SlurmctldLogFile=$SLURM_ROOT/ctld/slurmctld.log
# $SLURM_LOCAL is each node's own folder (a bind mount of nodes/NODE)
SlurmdSpoolDir=$SLURM_LOCAL/spool
SlurmdPidFile=$SLURM_LOCAL/slurmd.pid
SlurmdLogFile=$SLURM_LOCAL/slurmd.log
TmpFS=$SLURM_LOCAL/tmp
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
MpiDefault=pmix
KillOnBadExit=${SLURMCLUSTER_KILL_ON_BAD_EXIT:-1}
ReturnToService=2
MailProg=/bin/true
SlurmctldDebug=info
SlurmdDebug=info
MessageTimeout=30
MinJobAge=4
NodeName=DEFAULT CPUs=2 RealMemory=1000 State=UNKNOWN
CONF
        for ((i = 1; i <= n; i++)); do
            echo "NodeName=snode$i NodeHostname=snode$i NodeAddr=$SLURM_NET.$i"
        done
        echo "PartitionName=test Nodes=snode[1-$n] Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO"
        [ -z "${SLURMCLUSTER_PLUGSTACK:-}" ] || echo "PlugStackConfig=$SLURM_ROOT/etc/plugstack.conf"
        [ -z "${SLURMCLUSTER_CONF_EXTRA:-}" ] || printf '%s\n' "$SLURMCLUSTER_CONF_EXTRA"
    } >"$SLURM_ROOT/etc/slurm.conf"
    echo "CgroupPlugin=cgroup/v1" >"$SLURM_ROOT/etc/cgroup.conf"
    [ -z "${SLURMCLUSTER_PLUGSTACK:-}" ] || printf '%s\n' "$SLURMCLUSTER_PLUGSTACK" >"$SLURM_ROOT/etc/plugstack.conf"
    {
        echo "127.0.0.1 localhost"
        echo "$_slurm_login_ip slogin"
        for ((i = 1; i <= n; i++)); do echo "$SLURM_NET.$i snode$i"; done
    } >"$SLURM_ROOT/etc/hosts"
}

# _slurm_veth NAME: the bridge end of NAME's link (at most 15 bytes)
_slurm_veth() {
    case $1 in
    slogin) echo "${_slurm_prefix}vL" ;;
    *) echo "${_slurm_prefix}v${1#snode}" ;;
    esac
}

# _slurm_host NAME IP: a namespace with its link to the bridge
_slurm_host() {
    local h=$1 ip=$2 ns=$_slurm_prefix-$1 v
    v=$(_slurm_veth "$h")
    ip netns add "$ns" || fail "slurmcluster: cannot create namespace $ns"
    _slurm_all_ns="$_slurm_all_ns $ns"
    ip link add "$v" netns "$_slurm_prefix-hub" type veth peer name eth0 netns "$ns" ||
        fail "slurmcluster: cannot link $h to the bridge"
    ip netns exec "$_slurm_prefix-hub" ip link set "$v" master br0 up || fail "slurmcluster: cannot bridge $h"
    ip netns exec "$ns" sh -e -c "ip link set lo up; ip addr add $ip/24 dev eth0; ip link set eth0 up" ||
        fail "slurmcluster: cannot address $h"
}

# _slurm_start NAME CMD...: CMD (a daemon that forks itself) in NAME's
# network namespace and new UTS and mount namespaces: hostname NAME, the
# cluster's /etc/hosts, and on a node its folder over $SLURM_LOCAL.
_slurm_start() {
    local h=$1
    shift
    nsenter --net="/run/netns/$_slurm_prefix-$h" unshare --uts --mount --propagation private sh -c '
        hostname "$1" && mount --bind "$2/etc/hosts" /etc/hosts || exit 1
        if [ -d "$2/nodes/$1" ]; then mount --bind "$2/nodes/$1" "$3" || exit 1; fi
        shift 3
        exec "$@"' sh "$h" "$SLURM_ROOT" "$SLURM_LOCAL" "$@" </dev/null >/dev/null 2>&1
}

# _slurm_wait_pid PIDFILE WORD LOG: up to 10 s for the daemon's pid file
_slurm_wait_pid() {
    local i
    for ((i = 0; i < 50; i++)); do
        _slurm_pid_is "$1" "$2" && return 0
        sleep 0.2
    done
    _slurm_die "$2 did not start" "$3"
}

slurmcluster_setup() {
    local n=${1:-4} rate=${2:-} i h idle
    [ "$n" -ge 1 ] && [ "$n" -le 50 ] || fail "slurmcluster_setup: 1..50 nodes"
    slurmcluster_down
    SLURM_ROOT=$(mktemp_dir)
    # the daemons run as root, but munged checks its folders' modes
    chmod 0755 "$SLURM_ROOT" || fail "slurmcluster: cannot chmod $SLURM_ROOT"
    SLURM_LOCAL=$SLURM_ROOT/local
    SLURM_NODEDIR=$SLURM_ROOT/nodes
    mkdir -p "$SLURM_ROOT/etc" "$SLURM_ROOT/munge" "$SLURM_ROOT/ctld/state" "$SLURM_LOCAL" ||
        fail "slurmcluster: cannot fill $SLURM_ROOT"
    chmod 0755 "$SLURM_ROOT/munge"
    SLURM_HOSTS=
    slurm_node=()
    for ((i = 1; i <= n; i++)); do
        h=snode$i
        mkdir -p "$SLURM_NODEDIR/$h/spool" "$SLURM_NODEDIR/$h/tmp" "$SLURM_NODEDIR/$h/scratch" ||
            fail "slurmcluster: cannot create $SLURM_NODEDIR/$h"
        chmod 1777 "$SLURM_NODEDIR/$h/tmp" "$SLURM_NODEDIR/$h/scratch"
        SLURM_HOSTS=${SLURM_HOSTS:+$SLURM_HOSTS }$h
        slurm_node+=("$h")
    done
    export SLURM_ROOT SLURM_LOCAL SLURM_NODEDIR SLURM_HOSTS SLURM_NET
    _slurm_write_conf "$n"
    # before anything starts: a failed setup still stops what it started
    _slurm_prefix=ms$$
    at_exit slurmcluster_down

    # munge: a key and a socket of our own
    head -c 1024 /dev/urandom >"$SLURM_ROOT/munge/munge.key" && chmod 0400 "$SLURM_ROOT/munge/munge.key" ||
        fail "slurmcluster: cannot write a munge key"
    munged --socket="$SLURM_ROOT/munge/munge.socket" --key-file="$SLURM_ROOT/munge/munge.key" \
        --pid-file="$SLURM_ROOT/munge/munged.pid" --log-file="$SLURM_ROOT/munge/munged.log" \
        --seed-file="$SLURM_ROOT/munge/munged.seed" </dev/null >"$SLURM_ROOT/munge/start.out" 2>&1 ||
        _slurm_die "munged did not start" "$SLURM_ROOT/munge/start.out" "$SLURM_ROOT/munge/munged.log"
    _slurm_wait_pid "$SLURM_ROOT/munge/munged.pid" munged "$SLURM_ROOT/munge/munged.log"
    munge -n -S "$SLURM_ROOT/munge/munge.socket" | unmunge -S "$SLURM_ROOT/munge/munge.socket" >/dev/null 2>&1 ||
        _slurm_die "munge round trip failed" "$SLURM_ROOT/munge/munged.log"

    # the network: a bridge, and one link per host
    ip netns add "$_slurm_prefix-hub" || fail "slurmcluster: cannot create namespace $_slurm_prefix-hub"
    _slurm_all_ns=$_slurm_prefix-hub
    ip netns exec "$_slurm_prefix-hub" sh -e -c 'ip link set lo up; ip link add br0 type bridge; ip link set br0 up' ||
        fail "slurmcluster: cannot set up the bridge"
    _slurm_host slogin "$_slurm_login_ip"
    for h in $SLURM_HOSTS; do _slurm_host "$h" "$SLURM_NET.${h#snode}"; done
    [ -z "$rate" ] || slurmcluster_shape "$rate"

    _slurm_start slogin slurmctld -f "$SLURM_ROOT/etc/slurm.conf" ||
        _slurm_die "slurmctld did not start" "$SLURM_ROOT/ctld/slurmctld.log"
    _slurm_wait_pid "$SLURM_ROOT/ctld/slurmctld.pid" slurmctld "$SLURM_ROOT/ctld/slurmctld.log"
    for h in $SLURM_HOSTS; do
        _slurm_start "$h" slurmd -f "$SLURM_ROOT/etc/slurm.conf" ||
            _slurm_die "slurmd on $h did not start" "$SLURM_NODEDIR/$h/slurmd.log"
    done
    for h in $SLURM_HOSTS; do
        _slurm_wait_pid "$SLURM_NODEDIR/$h/slurmd.pid" slurmd "$SLURM_NODEDIR/$h/slurmd.log"
    done
    # every node idle (ReturnToService=2 brings them in by themselves)
    for ((i = 0; i < 120; i++)); do
        idle=$(slurm_run sinfo -h -N -t idle -o %N 2>/dev/null | sort -u | wc -l)
        [ "$idle" = "$n" ] && break
        sleep 0.5
    done
    [ "$idle" = "$n" ] || _slurm_die "only $idle of $n nodes idle: $(slurm_run sinfo -N 2>&1)" \
        "$SLURM_ROOT/ctld/slurmctld.log" "$SLURM_NODEDIR/snode1/slurmd.log"
}

# slurmcluster_shape RATE: tc tbf on both ends of every host's link (what
# it sends, what it receives), as tests/bench/netnodes.sh does
slurmcluster_shape() {
    local h ns v
    for h in slogin $SLURM_HOSTS; do
        ns=$_slurm_prefix-$h v=$(_slurm_veth "$h")
        ip netns exec "$ns" tc qdisc replace dev eth0 root tbf rate "$1" burst 256kb latency 200ms &&
            ip netns exec "$_slurm_prefix-hub" tc qdisc replace dev "$v" root tbf rate "$1" burst 256kb latency 200ms ||
            fail "slurmcluster: cannot shape the link of $h"
    done
}

# _slurm_prefix_argv PIDFILE WORD: _slurm_argv = the words that run a
# command in the namespaces of that daemon, with the cluster's slurm.conf,
# the tests' Open MPI settings and none of the caller's Slurm variables (a
# test run inside a real allocation must not talk about that job here)
_slurm_prefix_argv() {
    local p v
    _slurm_pid_is "$1" "$2" || { echo "slurmcluster: no $2 running ($1)" >&2; return 3; }
    p=$(cat "$1")
    _slurm_argv=(env)
    for v in $(compgen -e); do
        case $v in
        SLURM_ROOT | SLURM_LOCAL | SLURM_NODEDIR | SLURM_HOSTS | SLURM_NET) ;;
        SLURM_* | SBATCH_* | SALLOC_* | SRUN_*) _slurm_argv+=(-u "$v") ;;
        esac
    done
    _slurm_argv+=(SLURM_CONF="$SLURM_ROOT/etc/slurm.conf"
        OMPI_MCA_btl=self,vader,tcp OMPI_MCA_btl_vader_single_copy_mechanism=none
        OMPI_MCA_mpi_yield_when_idle=1 OMPI_MCA_btl_tcp_if_include="$SLURM_NET.0/24"
        OMPI_MCA_oob_tcp_if_include="$SLURM_NET.0/24"
        nsenter -t "$p" -n -u -m --wd="$PWD" --)
}

# slurm_run CMD...: on the login host, under MPIFT_TEST_TIMEOUT (as every
# MPI job of the tests)
slurm_run() {
    local _mpift_job_label="on slogin: $*" _slurm_argv
    _slurm_prefix_argv "$SLURM_ROOT/ctld/slurmctld.pid" slurmctld || return 3
    _mpift_timed "${_slurm_argv[@]}" "$@"
}

# slurm_on NODE CMD...: on that node
slurm_on() {
    local h=$1 _mpift_job_label="on $1: ${*:2}" _slurm_argv
    shift
    _slurm_prefix_argv "$SLURM_NODEDIR/$h/slurmd.pid" slurmd || return 3
    _mpift_timed "${_slurm_argv[@]}" "$@"
}
