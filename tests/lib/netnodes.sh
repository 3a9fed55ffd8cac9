# netnodes.sh - fake nodes with real, slow links, for the benchmarks and
# the tests of a failing network (sourced after common.sh and
# fakenodes.sh).
#
#   need_netnodes             skip unless fake nodes and ip/tc netns work
#   netnodes_setup N [RATE] [SLOTS]
#                             N fake nodes of SLOTS slots (default 1), each
#                             in its own network namespace; RATE (e.g.
#                             200mbit) shapes every node's link in both
#                             directions
#   netnodes_mpirun NP ARGS   an mpirun job over them (mpirun itself runs in
#                             the hub namespace)
#   netnodes_link I down|up   take node I's link down, or up again
#   netnodes_shape I RATE     reshape both ends of node I's link (a few bit/s:
#                             a black hole that still says it is up)
#   netnodes_off              delete the namespaces (also done at exit)
#
# The network: a hub namespace holds a bridge (198.18.0.254/24); node i is
# namespace PREFIXmpift-nodei with eth0 = 198.18.0.i/24, joined to the
# bridge by a veth pair.  tc tbf on both ends of each pair limits what the
# node sends and what it receives.  All traffic stays inside the
# namespaces made here (198.18.0.0/15 is reserved for benchmarks); they are
# deleted at exit, which deletes their links.

# Under MPICH (Hydra) they are skipped: its UCX finds every fake node on
# the same kernel and talks to it through shared memory, past the links
# made here; held to TCP (UCX_TLS=tcp,self), MPI_Finalize hangs in one job
# in two over these namespaces, a bare MPI program's too (MPICH 4.0.2).
need_netnodes() {
    need_fakenodes
    skip_unless_openmpi "fake nodes with links of their own"
    command -v ip >/dev/null || skip "no ip(8) (apt-get install iproute2)"
    command -v tc >/dev/null || skip "no tc(8) (apt-get install iproute2)"
    local ns=mpiftprobe$$
    ip netns add "$ns" 2>/dev/null || skip "cannot create network namespaces here"
    if ! ip netns exec "$ns" ip link add probe0 type veth peer name probe1 2>/dev/null ||
        ! ip netns exec "$ns" tc qdisc add dev probe0 root tbf rate 200mbit burst 256kb latency 100ms 2>/dev/null; then
        ip netns del "$ns"
        skip "no tbf queueing discipline (sch_tbf) in this kernel"
    fi
    ip netns del "$ns"
}

_netnodes_cleanup() {
    local ns
    for ns in $_netnodes_all; do
        ip netns del "$ns" 2>/dev/null
    done
    _netnodes_all=
}

netnodes_setup() {
    local n=$1 rate=${2:-} slots=${3:-1} i p v
    [ "$n" -ge 1 ] && [ "$n" -le 200 ] || fail "netnodes_setup: 1..200 nodes"
    _netnodes_cleanup
    fakenodes_setup "$n" "$slots"
    p=mb$$                     # interface names have at most 15 bytes
    export MPIFT_FAKE_NETNS_PREFIX=${p}-
    NET_HUB=${p}-hub
    _netnodes_all=$NET_HUB
    at_exit _netnodes_cleanup
    ip netns add "$NET_HUB" || fail "cannot create namespace $NET_HUB"
    ip netns exec "$NET_HUB" sh -e -c '
        ip link set lo up
        ip link add br0 type bridge
        ip link set br0 up
        ip addr add 198.18.0.254/24 dev br0' || fail "cannot set up the hub"
    for ((i = 1; i <= n; i++)); do
        v=${p}v$i
        ip netns add "${p}-mpift-node$i" || fail "cannot create a node namespace"
        _netnodes_all="$_netnodes_all ${p}-mpift-node$i"
        ip link add "$v" netns "$NET_HUB" type veth peer name eth0 netns "${p}-mpift-node$i" ||
            fail "cannot create the link of node $i"
        ip netns exec "$NET_HUB" ip link set "$v" master br0 up || fail "cannot bridge node $i"
        ip netns exec "${p}-mpift-node$i" sh -e -c "
            ip link set lo up
            ip addr add 198.18.0.$i/24 dev eth0
            ip link set eth0 up" || fail "cannot address node $i"
        if [ -n "$rate" ]; then
            # burst: a few packets at this rate; latency: queue instead of drop
            ip netns exec "${p}-mpift-node$i" tc qdisc add dev eth0 root tbf rate "$rate" burst 256kb latency 200ms &&
                ip netns exec "$NET_HUB" tc qdisc add dev "$v" root tbf rate "$rate" burst 256kb latency 200ms ||
                fail "cannot shape the link of node $i"
        fi
    done
    export FAKE_LAUNCH_PREFIX="ip netns exec $NET_HUB"
    export MPIFT_NET_IF=198.18.0.0/24
}

netnodes_mpirun() {
    fakenodes_mpirun "$@"
}

# The namespace of node I (from 1), and the hub's end of its link.
_netnodes_ns() { echo "${MPIFT_FAKE_NETNS_PREFIX}mpift-node$1"; }
_netnodes_veth() { echo "${MPIFT_FAKE_NETNS_PREFIX%-}v$1"; }

netnodes_link() {
    ip netns exec "$(_netnodes_ns "$1")" ip link set eth0 "$2"
}

netnodes_shape() {
    local burst=256kb
    # tbf needs a burst of at least one packet (and its rate's worth per tick)
    case $2 in *[0-9]bit | *[0-9]kbit) burst=1600 ;; esac
    ip netns exec "$(_netnodes_ns "$1")" tc qdisc replace dev eth0 root tbf rate "$2" burst "$burst" latency 200ms &&
        ip netns exec "$NET_HUB" tc qdisc replace dev "$(_netnodes_veth "$1")" root tbf rate "$2" burst "$burst" \
            latency 200ms
}

# netnodes_off: delete the namespaces; later fake nodes talk over lo again.
netnodes_off() {
    _netnodes_cleanup
    unset FAKE_LAUNCH_PREFIX MPIFT_NET_IF MPIFT_FAKE_NETNS_PREFIX
}
