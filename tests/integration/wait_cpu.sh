#!/bin/bash
# A rank with nothing to do waits without spinning.  Three ranks on two
# fake nodes: rank 0 reads and sends (source_shared = "no": the fake
# nodes all see the source, and no leader is to read a stripe of it), rank 1 shares its node (a
# non-leader: it only waits for its node's copy), rank 2 leads the other
# node.  Rank 0 stops for 4 s once it has read a chunk (MPIFT_TEST_PAUSE),
# so ranks 1 and 2 wait at least that long; each rank reports the CPU it
# spent over the stage-in (MPIFT_TEST_CPU).  Outcome bound, loose enough
# never to flake yet failing for a rank that spins: a waiting rank spends
# under 10% of its wall time on the CPU (it measures about 2.5%).  The
# same run with every wait spinning (MPIFT_TEST_SPIN, as a blocking MPI
# call does) shows the bound catches that: there the 2 waiting ranks
# share the 2 cores (87% each on a quiet machine, 40% at a load average
# of 9); they would fall under 10% only beside 18 busy processes.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" fakenodes=2x2 timeout=120
plan 4

mkdir -p "$t/src"
head -c $((1024 * 1024)) /dev/urandom >"$t/src/big.dat"
cat >"$t/stage.cfg" <<CFG
version = 1;
paths: { source = "$t/src"; dest = "$FAKE_SCRATCH/stage"; source_shared = "no"; };
transfer: { chunk_size = "64K"; window = 2; };
stage_in = ( { src = "big.dat"; dest = ""; } );
CFG

# waiting_run [VAR=VALUE...]: the paused stage-in with these switches;
# each node's copy compared; the CPU lines in $t/cpu ("RANK PERCENT WALL").
waiting_run() {
    local h
    fakenodes_clear stage
    (
        for h; do export "${h?}"; done
        MPIFT_TEST_CPU=1 MPIFT_TEST_PAUSE=0:1:4 \
            fakenodes_mpirun 3 "$stage" --module "$faults" --config "$t/stage.cfg" >"$t/log" 2>"$t/err"
    ) || fail "the stage-in failed: $(cat "$t/log" "$t/err")"
    for h in $FAKE_HOSTS; do
        cmp -s "$t/src/big.dat" "$FAKE_NODEDIR/$h/stage/big.dat" || fail "$h: its copy of big.dat differs"
    done
    sed -n 's/^mpift-test-cpu rank \([0-9]*\) leader [0-9]*: [0-9.]* s of CPU over \([0-9.]*\) s (\([0-9.]*\)%)$/\1 \3 \2/p' \
        "$t/err" >"$t/cpu"
    [ "$(wc -l <"$t/cpu")" = 3 ] || fail "expected a CPU line from each of 3 ranks: $(cat "$t/err")"
    awk '$1 != 0 && $3 < 4 { bad = 1 } END { exit bad }' "$t/cpu" ||
        fail "a waiting rank waited under 4 s: the pause did not happen: $(cat "$t/cpu")"
    awk '{ printf "rank %s: %s%% of a core over %s s\n", $1, $2, $3 }' "$t/cpu"
}

# busiest: the highest CPU percentage of the waiting ranks (1 and 2)
busiest() {
    awk '$1 != 0 && $2 > m { m = $2 } END { print m + 0 }' "$t/cpu"
}

waiting_rank_sleeps() {
    waiting_run
    awk -v m="$(busiest)" 'BEGIN { exit !(m < 10) }' ||
        fail "a waiting rank used $(busiest)% of a core (bound 10%): $(cat "$t/cpu")"
}
scenario "ranks that only wait through a 4 s stage use under 10% of a core" waiting_rank_sleeps

spinning_is_seen() {
    waiting_run MPIFT_TEST_SPIN=1
    awk -v m="$(busiest)" 'BEGIN { exit !(m >= 10) }' ||
        fail "spinning waits measured only $(busiest)% of a core: the bound of 10% could not see them: $(cat "$t/cpu")"
}
scenario "the same measure sees spinning waits (MPIFT_TEST_SPIN) at 10% or more" spinning_is_seen

# pid_rank PID: the MPI rank of that process, from its launcher's
# variables (Open MPI, PMIx, MPICH's hydra); empty if none is there.
pid_rank() {
    tr '\0' '\n' <"/proc/$1/environ" 2>/dev/null |
        sed -n 's/^\(OMPI_COMM_WORLD_RANK\|PMIX_RANK\|PMI_RANK\)=//p' | head -n 1
}

# While they wait, the waiting ranks' timer slack is 1 us (/proc/PID/
# timerslack_ns), not Linux's 50 us: the first pauses of a wait are 1, 2,
# 4 ... us as written, so a chunk that comes within microseconds is
# taken within microseconds (comm/watch.c, PAUSE_SLACK_NS).  Rank 0 is in
# its injected pause, not in a wait: its slack is the program's own
# (scenario 4), whichever it is then.
slack() {
    local pid n=0 bad= i r seen=
    waiting_run >/dev/null &
    for i in $(seq 100); do
        n=0
        for pid in $(pgrep -f -- "--config $t/stage.cfg"); do
            [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = mpift-stage ] && n=$((n + 1))
        done
        [ "$n" -ge 3 ] && break
        sleep 0.1
    done
    [ "$n" -ge 3 ] || { wait; fail "did not find the 3 ranks of the stage-in running"; }
    sleep 1 # inside rank 0's 4 s pause: every rank is past its set-up
    for pid in $(pgrep -f -- "--config $t/stage.cfg"); do
        [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = mpift-stage ] || continue
        r=$(pid_rank "$pid")
        [ "$r" != 0 ] || continue
        seen="$seen $r"
        [ "$(cat "/proc/$pid/timerslack_ns" 2>/dev/null)" = 1000 ] ||
            bad="$bad rank $r pid $pid:$(cat "/proc/$pid/timerslack_ns" 2>&1)"
    done
    wait || fail "the stage-in failed"
    [ -z "$bad" ] || fail "waiting ranks whose timer slack is not 1000 ns:$bad"
    [ "$(echo "$seen" | tr ' ' '\n' | sort | tr '\n' ' ')" = " 1 2 " ] ||
        fail "expected to look at the waiting ranks 1 and 2, found ranks:$seen"
}
scenario "a waiting rank's timer slack is 1 us, so its first pauses are microseconds" slack

# ... and only while they wait: libmpift runs in the calling program's
# thread, which keeps its own slack after mpift_open, a stage-in and
# mpift_close (tests/api/slack_check sets 50 us and reads it back).
own_slack() {
    local check=$top_builddir/tests/api/slack_check
    [ -x "$check" ] || fail "build tests/api/slack_check first (make check does)"
    cat >"$t/own.cfg" <<CFG
version = 1;
paths: { source = "$t/src"; dest = "$t/own/%r"; };
transfer: { chunk_size = "64K"; window = 2; };
stage_in = ( { src = "big.dat"; dest = ""; } );
CFG
    mpift_mpirun -n 2 "$check" "$t/own.cfg" >"$t/own.out" 2>&1 ||
        fail "the program's timer slack changed (OPEN IN CLOSE, 50000 each expected): $(cat "$t/own.out")"
    cmp -s "$t/src/big.dat" "$t/own/0/big.dat" || fail "no copy staged: $(cat "$t/own.out"; find "$t/own")"
}
scenario "outside its waits, the calling thread keeps its own timer slack" own_slack
