#!/bin/bash
# The watchdog (transfer.timeout, comm/watch.h): over 3 fake nodes with
# links of their own shaped to 200 Mbit/s (tests/lib/netnodes.sh), a
# stage-in loses the third node in the middle of a big file: its link
# goes down, or drops everything while it stays up (tbf at a few bit/s),
# or its rank is stopped (SIGSTOP), or never takes its first message
# (MPIFT_TEST_SILENT); a stage-out loses it likewise (SIGSTOP).  Each
# time the job ends within timeout + 15 s with exit 1, a line names the
# node that held it up, the files that arrived before stay whole, no
# final path holds a partial file, and no mpift-stage process is left.  A stage that takes more than twice the
# timeout while ranks have nothing to do (two ranks per node, copies =
# "per-node", a node that already has the big file) still completes: the
# heartbeats keep them waiting, as they keep the console's workers
# waiting for a command.  transfer.timeout = 0 changes nothing.
#
# After MPI_Abort, mpirun waits until every node's daemon has confirmed;
# a node whose link is down confirms nothing, and mpirun waits until TCP
# gives up on it (net.ipv4.tcp_retries2: some 15 minutes by default).
# That wait is mpirun's, not mpift's: the hub namespace, where mpirun runs,
# gets tcp_retries2 = 3 so that it gives up within seconds.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" mpirun timeout=60
. "$top_srcdir/tests/lib/netnodes.sh"
need_netnodes
netnodes_setup 3 200mbit 2
ip netns exec "$NET_HUB" sysctl -qw net.ipv4.tcp_retries2=3 || skip "cannot set tcp_retries2 in a namespace"
plan 9

T=5                        # transfer.timeout of the jobs below
n3=${fake_host[2]}
mkdir -p "$t/src"
for i in 1 2 3; do
    head -c $((100000 + i)) /dev/urandom >"$t/src/a-small-$i.dat"
done
head -c $((160 * 1024 * 1024)) /dev/urandom >"$t/src/b-big.bin"
head -c $((3 * 1024 * 1024 + 5)) /dev/urandom >"$t/src/c-after.bin"
cat >"$t/w.cfg" <<CFG
version = 1;
paths: { source = "$t/src"; dest = "$FAKE_SCRATCH/w"; };
transfer: { timeout = $T; };
stage_in = ( { src = "*"; dest = ""; } );
CFG

config_checked() {
    local out rc=0
    out=$("$stage" --config "$t/w.cfg" --set transfer.timeout=-1 --check 2>&1) || rc=$?
    [ "$rc" = 2 ] || fail "a negative transfer.timeout gave exit $rc: $out"
    grep -q -- "--set transfer.timeout=-1: -1 is out of range; use 0..86400" <<<"$out" || fail "not explained: $out"
    rc=0
    out=$("$stage" --config "$t/w.cfg" --set transfer.timeout=soon --check 2>&1) || rc=$?
    [ "$rc" = 2 ] && grep -q "transfer.timeout=soon: expected an integer (0..86400)" <<<"$out" ||
        fail "a timeout that is no number gave exit $rc: $out"
    "$stage" --config "$t/w.cfg" --set transfer.timeout=0 --check >/dev/null 2>&1 || fail "transfer.timeout=0 refused"
}
scenario "transfer.timeout is checked: 0..86400 seconds, an integer" config_checked

# The mpift-stage processes of this script's jobs.
our_ranks() {
    pgrep -f -- "mpift-stage .*--config $t/" | while read -r p; do
        tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -q '^OMPI_COMM_WORLD_RANK=' && echo "$p"
    done
}

pid_of_rank() {
    local p
    for p in $(our_ranks); do
        tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$1" && echo "$p"
    done
}

# Each final path on every node is the source file or absent; with
# `before`, the small files, which went before the big one, are there on
# every node.  Temporary files are listed (those of ranks mpirun killed
# stay).
nothing_partial() {
    local h f tmp before=${1:-}
    for h in $FAKE_HOSTS; do
        for f in a-small-1.dat a-small-2.dat a-small-3.dat b-big.bin c-after.bin; do
            if [ -e "$FAKE_NODEDIR/$h/w/$f" ]; then
                cmp -s "$t/src/$f" "$FAKE_NODEDIR/$h/w/$f" || fail "$h: $f at its final path is not whole"
            elif [ -n "$before" ] && [ "${f#a-small}" != "$f" ]; then
                fail "$h: $f, which went before the failure, is missing"
            fi
        done
        tmp=$(cd "$FAKE_NODEDIR/$h/w" 2>/dev/null && find . -name '.mpift-*' | tr '\n' ' ')
        [ -z "$tmp" ] || echo "$h keeps the temporary files $tmp"
    done
}

# stopped RC SECS [before]: the job ended as it should: exit RC = 1 SECS
# < T + 15 s after the fault, rank 2's node named, nothing partial
# (nothing_partial), no rank left once mpirun is gone.
stopped() {
    local rc=$1 secs=$2 left
    echo "exit $rc, $secs s after the fault"
    [ "$rc" != 124 ] || fail "the job hung: $(cat "$t/log")"
    [ "$rc" = 1 ] || fail "exit $rc, expected 1: $(cat "$t/log")"
    [ "$secs" -lt $((T + 15)) ] || fail "the job took $secs s after the fault (timeout $T s): $(cat "$t/log")"
    grep -E "no progress for [0-9]+ s .*rank 2 \($n3\).*stopping the job \(transfer.timeout in w.cfg\)" "$t/log" ||
        fail "no line names rank 2 ($n3): $(cat "$t/log")"
    nothing_partial "${3:-}"
    for left in 1 2 3 4 5 6 7 8 9 10 11 12; do
        [ -n "$(our_ranks)" ] || break
        sleep 1
    done
    [ -z "$(our_ranks)" ] || { kill -KILL $(our_ranks); fail "mpift-stage processes left after the job: $(cat "$t/log")"; }
    [ "$left" = 1 ] || echo "the last rank ended $((left - 1)) s after mpirun"
}

# fault HOW [MPIFT_TEST_*=...]: a stage-in, one rank per node (a chain
# n1 -> n2 -> n3); once n3 holds 8 MiB of the big file, HOW runs; then
# the end is checked (stopped).  Without HOW the fault is the switch's.
fault() {
    local how=$1 t0 t1 i rc
    shift
    fakenodes_clear w
    (
        [ $# -eq 0 ] || export "$@"
        netnodes_mpirun 3 $(mpift_by_node) "$stage" --module "$faults" --config "$t/w.cfg" >"$t/log" 2>&1
        echo $? >"$t/rc"
    ) &
    t0=$(date +%s)
    if [ -n "$how" ]; then
        for ((i = 0; i < 300; i++)); do
            [ -z "$(find "$FAKE_NODEDIR/$n3/w" -type f -size +8M 2>/dev/null)" ] || break
            [ -z "$(jobs -r)" ] || sleep 0.1
        done
        [ "$i" -lt 300 ] || fail "the big file never reached $n3: $(cat "$t/log")"
        t0=$(date +%s)
        $how
    fi
    wait
    t1=$(date +%s)
    rc=$(cat "$t/rc")
    stopped "$rc" $((t1 - t0)) ${how:+before}
}

restore() {
    local p
    netnodes_link 3 up
    netnodes_shape 3 200mbit
    for p in $(our_ranks); do kill -KILL "$p"; done
    return 0
}
at_exit restore

link_down() {
    fault "netnodes_link 3 down"
}
scenario "a link that goes down mid-transfer: exit 1 within $T+15 s, the node named, nothing partial" link_down
restore

black_hole() {
    fault "netnodes_shape 3 8bit"
}
scenario "a link that drops everything but stays up: the same" black_hole
restore

stop_rank() {
    kill -STOP "$(pid_of_rank 2)"
}
rank_stopped() {
    fault stop_rank
}
scenario "a rank stopped (SIGSTOP) mid-transfer: the same" rank_stopped
restore

silent() {
    fault "" MPIFT_TEST_SILENT=2
}
scenario "a rank that never takes its first message (MPIFT_TEST_SILENT): the same" silent
restore

# Stage-out: rank 0 takes a big result from n3, whose rank is stopped
# halfway: the same end, and nothing partial in paths.collect.
stage_out_stopped() {
    local t0 t1 rc i f
    fakenodes_clear w
    rm -rf "$t/collect"
    mkdir -p "$t/out" "$t/collect" "$FAKE_NODEDIR/$n3/w/out" || fail "cannot make folders"
    cp "$t/src/b-big.bin" "$FAKE_NODEDIR/$n3/w/out/big.log" || fail "cannot seed $n3"
    sed 's|^paths: {|paths: { collect = "'"$t/collect"'";|; $a stage_out = ( { src = "out/*.log"; dest = "%h/"; } );' \
        "$t/w.cfg" >"$t/out/w.cfg"
    (
        netnodes_mpirun 3 $(mpift_by_node) "$stage" --config "$t/out/w.cfg" --out >"$t/log" 2>&1
        echo $? >"$t/rc"
    ) &
    for ((i = 0; i < 300; i++)); do
        [ -z "$(find "$t/collect" -type f -size +8M 2>/dev/null)" ] || break
        [ -z "$(jobs -r)" ] || sleep 0.1
    done
    [ "$i" -lt 300 ] || fail "the result never reached rank 0: $(cat "$t/log")"
    t0=$(date +%s)
    stop_rank
    wait
    t1=$(date +%s)
    rc=$(cat "$t/rc")
    echo "exit $rc, $((t1 - t0)) s after the fault"
    [ "$rc" = 1 ] || fail "exit $rc, expected 1: $(cat "$t/log")"
    [ $((t1 - t0)) -lt $((T + 15)) ] || fail "the job took $((t1 - t0)) s after the fault: $(cat "$t/log")"
    grep -E "no progress for [0-9]+ s .*rank 2 \($n3\).*stopping the job" "$t/log" ||
        fail "no line names rank 2 ($n3): $(cat "$t/log")"
    f=$t/collect/$n3/big.log
    [ ! -e "$f" ] || cmp -s "$t/src/b-big.bin" "$f" || fail "a partial file at $f"
    for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
        [ -n "$(our_ranks)" ] || break
        sleep 1
    done
    [ -z "$(our_ranks)" ] || fail "mpift-stage processes left after the job"
}
scenario "stage-out from a rank stopped halfway: exit 1 within $T+15 s, the node named, nothing partial in collect" \
    stage_out_stopped
restore

# Two ranks per node: the second of each has nothing to do and waits in
# collectives; n3 has the big file already, so its leader waits for the
# next file's header while the others move it, at 100 Mbit/s, for longer
# than twice the timeout (all of it from rank 0: striped, n2 would read
# half of it itself and take less time than that).
idle_ranks() {
    local t0 t1 h
    fakenodes_clear w
    mkdir -p "$FAKE_NODEDIR/$n3/w" && cp -p "$t/src/b-big.bin" "$FAKE_NODEDIR/$n3/w/" || fail "cannot seed $n3"
    for h in 1 2 3; do netnodes_shape "$h" 100mbit; done
    t0=$(date +%s)
    netnodes_mpirun 6 "$stage" --config "$t/w.cfg" --set paths.source_shared=no >"$t/log" 2>&1 ||
        fail "the stage failed: $(cat "$t/log")"
    t1=$(date +%s)
    for h in 1 2 3; do netnodes_shape "$h" 200mbit; done
    echo "the stage took $((t1 - t0)) s (timeout $T s)"
    [ $((t1 - t0)) -gt $((2 * T)) ] || fail "the stage took $((t1 - t0)) s: not longer than twice the timeout"
    for h in $FAKE_HOSTS; do
        compare_tree "$t/src" "$FAKE_NODEDIR/$h/w" || fail "$h: not staged"
    done
}
scenario "ranks with nothing to do wait through a stage of more than twice the timeout (exit 0)" idle_ranks
for h in 1 2 3; do netnodes_shape "$h" 200mbit; done

# The console: the workers wait for the next command as long as a person
# takes to type it (rank 0's heartbeats); a pause of more than twice the
# timeout between two commands changes nothing.
console_pause() {
    local rc=0
    fakenodes_clear w
    mkfifo "$t/typed" || fail "no fifo"
    { echo "ls 1"; sleep $((2 * T + 2)); echo "send a-small-1.dat 2"; echo quit; } >"$t/typed" &
    MPIFT_STDIN=$t/typed netnodes_mpirun 3 $(mpift_by_node) "$stage" --config "$t/w.cfg" --shell >"$t/log" 2>&1 || rc=$?
    wait
    [ "$rc" = 0 ] || fail "the console ended with exit $rc: $(cat "$t/log")"
    grep -q "send a-small-1.dat -> rank 2 ($n3): ok" "$t/log" || fail "the command after the pause failed: $(cat "$t/log")"
    cmp -s "$t/src/a-small-1.dat" "$FAKE_NODEDIR/$n3/w/a-small-1.dat" || fail "$n3: the file sent is not whole"
}
scenario "the console's workers wait through a pause of more than twice the timeout between commands" console_pause

no_timeout() {
    fakenodes_clear w
    mkdir -p "$t/small" && cp -p "$t/src/"a-small-* "$t/small/" || fail "cannot fill $t/small"
    netnodes_mpirun 3 $(mpift_by_node) "$stage" --config "$t/w.cfg" --set transfer.timeout=0 \
        --set "paths.source=$t/small" >"$t/log" 2>&1 || fail "failed with transfer.timeout = 0: $(cat "$t/log")"
    for h in $FAKE_HOSTS; do
        compare_tree "$t/small" "$FAKE_NODEDIR/$h/w" || fail "$h: not staged"
    done
}
scenario "transfer.timeout = 0: no watchdog, the stage as before" no_timeout
done_testing
