#!/bin/bash
# A rank stopped (SIGSTOP) in the middle of a stage-in over 3 fake nodes,
# under this build's launcher (Open MPI's mpirun or MPICH's Hydra): the
# watchdog names it within transfer.timeout and the whole job ends - the
# launcher included - with exit 1, leaving no rank behind.  The stopped
# rank is a worker (rank 2: rank 0 fires) or rank 0 itself (the workers
# fire).  Under Hydra the job used to wait for ever: an MPI_Abort of
# mpift's own communicator is, in MPICH, messages to its ranks, which a
# stopped rank never takes; only an abort of MPI_COMM_WORLD makes Hydra
# kill every process (docs/launchers.md).  Under Open MPI's mpirun the
# message also says what keeps mpirun waiting after a node is cut off
# (TCP on its host, net.ipv4.tcp_retries2) and what bounds it.
#
# Rank 0 waits after its plan (MPIFT_TEST_PAUSE_AFTER_PLAN with a pause
# file) until the chosen rank is stopped, so the stop always comes before
# the transfer.  A job that does not end is ended by the harness's
# timeout (exit 124): that is the failure looked for.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" fakenodes=3x1 timeout=90
plan 3

T=5
mkdir -p "$t/src"
head -c $((8 * 1024 * 1024 + 3)) /dev/urandom >"$t/src/big.bin"
cat >"$t/s.cfg" <<CFG
version = 1;
paths: { source = "$t/src"; dest = "$FAKE_SCRATCH/s"; };
transfer: { timeout = $T; };
stage_in = ( { src = "*"; dest = ""; } );
CFG

# The pid of this script's rank R (Open MPI and Hydra each say the rank
# in the environment they give it).
pid_of_rank() {
    local p
    for p in $(pgrep -f -- "mpift-stage .*--config $t/s.cfg"); do
        tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx -e "OMPI_COMM_WORLD_RANK=$1" -e "PMI_RANK=$1" &&
            echo "$p"
    done
}

left_behind() {
    pgrep -f -- "mpift-stage .*--config $t/s.cfg"
}

restore() {
    local p
    for p in $(left_behind); do kill -KILL "$p"; done
    return 0
}
at_exit restore

# stop_rank R WHO: run the stage, stop rank R once rank 0 has its plan,
# and check the end: exit 1 (not the harness's 124), a line naming WHO
# (a rank that fired names the rank it waited on), no rank left.
stop_rank() {
    local r=$1 who=$2 pid i t0 rc
    fakenodes_clear s
    rm -f "$t/pause"
    (
        export MPIFT_TEST_PAUSE_AFTER_PLAN=60 MPIFT_TEST_PAUSE_FILE=$t/pause
        fakenodes_mpirun 3 $(mpift_by_node) "$stage" --module "$faults" --config "$t/s.cfg" >"$t/log" 2>&1
        echo $? >"$t/rc"
    ) &
    for ((i = 0; i < 600; i++)); do
        [ ! -e "$t/pause" ] || break
        [ -z "$(jobs -r)" ] || sleep 0.1
    done
    [ -e "$t/pause" ] || { wait; fail "rank 0 never reached its plan: $(cat "$t/log")"; }
    pid=$(pid_of_rank "$r")
    [ -n "$pid" ] || { rm -f "$t/pause"; wait; fail "no process of rank $r found"; }
    kill -STOP "$pid"
    t0=$(date +%s)
    rm -f "$t/pause"
    wait
    rc=$(cat "$t/rc")
    echo "exit $rc, $(($(date +%s) - t0)) s after rank $r was stopped (transfer.timeout $T s)"
    [ "$rc" != 124 ] || { kill -CONT "$pid"; fail "the launcher never ended: $(cat "$t/log")"; }
    [ "$rc" = 1 ] || fail "exit $rc, expected 1: $(cat "$t/log")"
    grep -E "no progress for [0-9]+ s .*$who.*stopping the job \(transfer.timeout in s.cfg\)" "$t/log" ||
        fail "no line names $who: $(cat "$t/log")"
    for ((i = 0; i < 20; i++)); do
        [ -n "$(left_behind)" ] || break
        sleep 0.5
    done
    [ -z "$(left_behind)" ] || fail "ranks left after the launcher ended: $(left_behind)"
}

worker_stopped() {
    stop_rank 2 "rank 2 \(${fake_host[2]}\)"
    cp "$t/log" "$t/worker.log"
}
scenario "rank 2 stopped: exit 1, rank 2 named, the launcher and every rank end" worker_stopped

leader_stopped() {
    stop_rank 0 "rank 0 \(${fake_host[0]}\)"
}
scenario "rank 0 stopped: exit 1, rank 0 named by the others, the launcher and every rank end" leader_stopped

# Open MPI's mpirun: the line after says what keeps mpirun waiting when a
# node is cut off, and the setting that bounds it.
mpirun_advice() {
    after worker_stopped
    [ "$(mpift_launcher)" = openmpi ] || skip "the advice is for Open MPI's mpirun (this build's launcher is $MPIRUN)"
    grep -q "if mpirun does not end now, it waits for a cut-off node's daemon until TCP on mpirun's host gives up (many minutes by default); under Slurm use srun --kill-on-bad-exit=1, or ask your admin about a launch host set for it (see docs/launchers.md)" "$t/worker.log" ||
        fail "the message does not say what keeps mpirun waiting: $(cat "$t/worker.log")"
}
scenario "under Open MPI's mpirun, the message says what keeps mpirun waiting for a cut-off node and what bounds it" mpirun_advice
done_testing
