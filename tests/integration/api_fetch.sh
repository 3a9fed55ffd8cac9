#!/bin/bash
# The mpift.h service from an MPI program (examples/fetch_all, 6 ranks):
# five workers fetch five different files from the master at once, put a
# result each, and odd workers send their input straight to the next
# worker.  Byte-exact copies in each worker's own root and in collect; the
# master never runs more than workers.max_streams transfers at once, and
# does run that many when that many wait; a damaged copy is re-sent
# (fetch, put and worker to worker); a missing file fails only the worker
# that asked (and the worker it would have sent it to), with nothing
# created.  Then tests/api/api_check: every documented error of the calls.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" mpirun timeout=120

# The example built against the engine with fault injection compiled in
# (the switches below mean nothing to the installed library).
example=$top_builddir/tests/api/fetch_all_faults
check=$top_builddir/tests/api/api_check
[ -x "$example" ] && [ -x "$check" ] || fail "build tests/api/fetch_all_faults and tests/api/api_check first (make check does)"
plan 10

mkdir -p "$t/src"
# Sizes: several 64 KiB chunks each, odd ends, one file of a single byte.
sizes=(0 1 300007 524301 65536 1048583)
for r in 1 2 3 4 5; do
    head -c "${sizes[$r]}" /dev/urandom >"$t/src/part-$r.dat"
done
cat >"$t/c.cfg" <<CFG
version = 1;
paths: { source = "$t/src"; dest = "$t/dest/%r"; collect = "$t/collect"; };
transfer: { chunk_size = "64K"; window = 3; retries = 2; };
workers: { max_streams = 4; };
CFG

# run [KEY=VALUE...]: the example on 6 ranks, fresh roots.
run() {
    rm -rf "$t/dest" "$t/collect"
    mpift_mpirun -n 6 "$example" "$t/c.cfg" "$@" >"$t/out" 2>"$t/err"
}

check_copies() {
    local r
    for r in 1 2 3 4 5; do
        cmp -s "$t/src/part-$r.dat" "$t/dest/$r/part-$r.dat" || fail "rank $r: fetched part-$r.dat differs"
        grep -q "^rank $r part-$r.dat ${sizes[$r]} bytes fnv1a [0-9a-f]\{8\}$" "$t/collect/result-$r.txt" ||
            fail "rank $r: result-$r.txt not in collect: $(cat "$t/collect/result-$r.txt" 2>&1)"
        cmp -s "$t/dest/$r/result-$r.txt" "$t/collect/result-$r.txt" || fail "rank $r: put result differs"
    done
    cmp -s "$t/src/part-1.dat" "$t/dest/2/part-1.dat" || fail "worker 1 -> 2: copy differs"
    cmp -s "$t/src/part-3.dat" "$t/dest/4/part-3.dat" || fail "worker 3 -> 4: copy differs"
    no_temporaries "temporary files left behind" "$t/dest" "$t/collect"
}

clean_run() {
    run || fail "fetch_all failed: $(cat "$t/out" "$t/err")"
    cp "$t/out" "$t/clean.out"
    cp "$t/err" "$t/clean.err"
    check_copies
}
scenario "five workers fetch, put and send at once: byte-exact copies in their roots and in collect" clean_run

clean_summary() {
    after clean_run
    [ ! -s "$t/clean.err" ] || fail "messages on a clean run: $(cat "$t/clean.err")"
    grep -q "^master: 10 requests, 0 failed, $((300007 + 524301 + 65536 + 1048583 + 1)) bytes out, .* up to [1-4] transfers at once" "$t/clean.out" ||
        fail "master's summary: $(cat "$t/clean.out")"
    grep -q "^rank 2: received part-1.dat from rank 1$" "$t/clean.out" || fail "rank 2 did not report its receive: $(cat "$t/clean.out")"
}
scenario "a clean run prints no message; the master counts 10 requests and every byte" clean_summary

# Concurrency: with all five fetches waiting, the master runs exactly
# max_streams of them at once.
# streams N
streams() {
    MPIFT_TEST_SERVE_GATHER=5 run "workers.max_streams=$1" || fail "max_streams=$1: $(cat "$t/out" "$t/err")"
    check_copies
    grep -q "up to $1 transfers at once" "$t/out" || fail "max_streams=$1: $(grep master "$t/out")"
}
for n in 1 2 4; do
    scenario "max_streams = $n: with five requests waiting the master runs exactly $n at once" streams "$n"
done

# Verification: each receiver damages the first file it writes; re-sent.
resend() {
    MPIFT_TEST_CORRUPT=1 run || fail "a re-send did not repair: $(cat "$t/out" "$t/err")"
    check_copies
    grep -q "fetch part-[0-9].dat from rank 0 (.*): .*re-sending (attempt 2 of 3)" "$t/err" ||
        fail "no re-fetch warning: $(cat "$t/err")"
    grep -q "put result-[0-9].txt to rank 0 (.*): .*re-sending (attempt 2 of 3)" "$t/err" ||
        fail "no re-put warning: $(cat "$t/err")"
}
scenario "a damaged fetch or put is re-sent with a warning, and lands whole" resend

# Verification with no retries left: the call fails, nothing lands.
no_retries() {
    ! MPIFT_TEST_CORRUPT=1 run transfer.retries=0 || fail "a damaged copy was accepted"
    grep -q "rank [1-5]: fetch part-[1-5].dat from rank 0 (.*): .*checksum mismatch" "$t/err" ||
        fail "no checksum failure named: $(cat "$t/err")"
    [ -z "$(find "$t/dest" -name 'part-*.dat' -size +0)" ] || fail "a damaged fetched file was kept"
}
scenario "with no retries a damaged fetch fails, named, and nothing lands" no_retries

# A missing file: rank 3 fails and says why, nothing is created; its send
# to rank 4 fails on both sides; everyone else is served.
missing_file() {
    local rc=0
    mv "$t/src/part-3.dat" "$t/part-3.dat" || fail "cannot move part-3.dat away"
    run || rc=$?
    mv "$t/part-3.dat" "$t/src/part-3.dat" || fail "cannot put part-3.dat back"
    [ "$rc" != 0 ] || fail "a missing file did not fail the run"
    cp "$t/out" "$t/missing.out"
    grep -q "^rank 3: fetch part-3.dat from rank 0 (.*): .*/src/part-3.dat: No such file or directory$" "$t/err" ||
        fail "missing file not named: $(cat "$t/err")"
    grep -q "^rank 4: receive part-3.dat from rank 3 (.*): .*part-3.dat: No such file or directory$" "$t/err" ||
        fail "rank 4 not told: $(cat "$t/err")"
    [ ! -e "$t/dest/3/part-3.dat" ] && [ ! -e "$t/dest/4/part-3.dat" ] && [ ! -e "$t/collect/result-3.txt" ] ||
        fail "a missing file was created"
}
scenario "a missing file fails the worker that asked and the one it sends to, named, nothing created" missing_file

others_served() {
    local r
    after missing_file
    for r in 1 2 4 5; do
        cmp -s "$t/src/part-$r.dat" "$t/dest/$r/part-$r.dat" || fail "rank $r not served after rank 3 failed"
    done
    grep -q "^master: 9 requests, 1 failed" "$t/missing.out" || fail "master's count: $(cat "$t/missing.out")"
}
scenario "after one worker's missing file every other worker is served; the master counts 1 failed" others_served

# Every documented error of the calls (no paths.collect here).
mkdir -p "$t/e/src/sub" "$t/e/outside"
echo hi >"$t/e/src/ok.dat"
echo half >"$t/e/src/.mpift-0123-4567-r1.tmp"   # a copy in progress, never served
echo secret >"$t/e/outside/s"
ln -s ../outside/s "$t/e/src/link-out"
cat >"$t/e.cfg" <<CFG
version = 1;
paths: { source = "$t/e/src"; dest = "$t/e/dest/%r"; };
CFG
api_check() {
    local r
    MPIFT_TEST_CORRUPT=1 mpift_mpirun -n 4 "$check" "$t/e.cfg" >"$t/out" 2>"$t/err" ||
        fail "api_check: $(cat "$t/out" "$t/err")"
    for r in 0 1 2 3; do
        grep -q "^rank $r: ok$" "$t/out" || fail "api_check rank $r: $(cat "$t/out")"
    done
    # Rank 1's fetch of ok.dat went twice (the worker found the first copy
    # damaged); the master's failures are the four refusals.
    grep -q "^master: 6 requests, 4 failed$" "$t/out" || fail "api_check master: $(cat "$t/out")"
    cmp -s "$t/e/src/ok.dat" "$t/e/dest/1/ok.dat" || fail "api_check: the call after the errors did not land"
    cmp -s "$t/e/src/ok.dat" "$t/e/dest/2/ok.dat" || fail "api_check: worker 1 -> 2 did not land"
    grep -q "rank 1): send ok.dat to rank 2 (.*): .*/dest/2/ok.dat: checksum mismatch.*re-sending (attempt 2 of 3)" "$t/err" ||
        fail "no worker-to-worker re-send: $(cat "$t/err")"
    [ "$(grep -c . "$t/err")" = 2 ] || fail "api_check: expected two re-send warnings only: $(cat "$t/err")"
}
scenario "api_check: every documented error of the calls, and the calls after them still work" api_check
done_testing
