#!/bin/sh
# fakenode-agent.sh - an rsh agent for Open MPI (--mca plm_rsh_agent) that
# "logs in" to a made-up host by starting the command on this machine in
# new UTS and mount namespaces: the hostname is HOST, and HOST's private
# folder $MPIFT_FAKE_NODEDIR/HOST is bind-mounted over $MPIFT_FAKE_SCRATCH,
# so every fake node sees its own node-local storage at the same path.
# The network (and PID) namespace stays shared: the fake nodes reach
# mpirun and each other over TCP on lo (unless MPIFT_FAKE_NETNS_PREFIX is
# set, below).
#
# Open MPI's plm_rsh runs it as   AGENT [OPTIONS] HOST WORD...
# e.g.  AGENT mpift-node1 ' orted' -mca ess '"env"' -mca orte_hnp_uri '"..."' ...
# (no options for an agent that is not ssh/rsh; ssh-style options such as
# -x, -l USER, -o OPT are skipped anyway).  The WORDs are one shell command,
# quoted for the remote shell; like ssh, they are joined with spaces and
# handed to sh -c.
#
# Environment (passed on by mpirun): MPIFT_FAKE_NODEDIR, MPIFT_FAKE_SCRATCH
# (both required), MPIFT_FAKE_PIDFILE (optional: "PID HOST" is appended, the
# PID of the orted, since every step below execs), MPIFT_FAKE_BIND
# (optional: space-separated HOST:FROM:TO, each bind-mounting FROM over TO
# on HOST only, so that one node sees another file, or none, at a path the
# others share).
#
# Exit status 255 (like ssh) when the fake login itself fails.

me=fakenode-agent

die() {
    echo "$me: $*" >&2
    exit 255
}

while [ $# -gt 0 ]; do
    case $1 in
    --) shift; break ;;
    # ssh options that take an argument, given separately or attached
    -[BbcDEeFIiJLlmOopQRSWw]) shift; [ $# -gt 0 ] && shift ;;
    -*) shift ;;
    *) break ;;
    esac
done

[ $# -ge 2 ] || die "usage: $me [OPTIONS] HOST COMMAND..."
host=$1
shift
case $host in
*@*) host=${host##*@} ;;
esac
case $host in
'' | . | .. | -* | */* | *[!A-Za-z0-9._-]*) die "refusing host name '$host'" ;;
esac

[ -n "${MPIFT_FAKE_NODEDIR:-}" ] || die "MPIFT_FAKE_NODEDIR is not set"
[ -n "${MPIFT_FAKE_SCRATCH:-}" ] || die "MPIFT_FAKE_SCRATCH is not set"
node=$MPIFT_FAKE_NODEDIR/$host
[ -d "$node" ] || die "unknown fake host '$host' (no folder $node)"
[ -d "$MPIFT_FAKE_SCRATCH" ] || die "no scratch folder $MPIFT_FAKE_SCRATCH"

if [ -n "${MPIFT_FAKE_PIDFILE:-}" ]; then
    echo "$$ $host" >>"$MPIFT_FAKE_PIDFILE"
fi

# With MPIFT_FAKE_NETNS_PREFIX set (the benchmarks' networked nodes), the
# node also has a network of its own: the namespace PREFIXHOST, made by
# tests/lib/netnodes.sh, with one shaped link to the others.
netns=
if [ -n "${MPIFT_FAKE_NETNS_PREFIX:-}" ]; then
    netns="ip netns exec $MPIFT_FAKE_NETNS_PREFIX$host"
fi

# --propagation private: the bind mount stays in the new mount namespace
# (never propagates back to the real one) and vanishes with its last process.
exec $netns unshare --uts --mount --propagation private sh -c '
    hostname "$1" || exit 255
    mount --bind "$2" "$3" || exit 255
    for b in ${MPIFT_FAKE_BIND:-}; do
        case $b in
        "$1":*) b=${b#*:}; mount --bind "${b%%:*}" "${b#*:}" || exit 255 ;;
        esac
    done
    shift 3
    exec sh -c "$*"
' "$me" "$host" "$node" "$MPIFT_FAKE_SCRATCH" "$@"
