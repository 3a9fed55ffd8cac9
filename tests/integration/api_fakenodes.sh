#!/bin/bash
# The mpift.h service across 3 fake nodes x 2 ranks (examples/fetch_all):
# each worker's fetched file lands in its own node's private folder, the
# worker-to-worker sends cross nodes (1 on the first -> 2 on the second,
# 3 -> 4 on the third), results reach the master's collect folder, and
# nothing lands in the real scratch folder.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" fakenodes=3x2 timeout=120
example=$top_builddir/examples/fetch_all
[ -x "$example" ] || fail "build examples/fetch_all first (make check does)"
plan 5

mkdir -p "$t/src"
for r in 1 2 3 4 5; do
    head -c $((r * 200003)) /dev/urandom >"$t/src/part-$r.dat"
done
cat >"$t/c.cfg" <<CFG
version = 1;
paths: { source = "$t/src"; dest = "$FAKE_SCRATCH/%r"; collect = "$t/collect"; };
transfer: { chunk_size = "128K"; };
CFG

job() {
    fakenodes_mpirun 6 "$example" "$t/c.cfg" >"$t/out" 2>"$t/err" || fail "fetch_all across nodes: $(cat "$t/out" "$t/err")"
    grep -q "^master: 10 requests, 0 failed" "$t/out" || fail "master's summary: $(cat "$t/out")"
}
scenario "fetch_all across 3 fake nodes: the master serves 10 requests, none failed" job

fetched() {
    local r
    after job
    for r in 1 2 3 4 5; do
        cmp -s "$t/src/part-$r.dat" "$FAKE_NODEDIR/${rank_host[$r]}/$r/part-$r.dat" ||
            fail "rank $r: part-$r.dat not on ${rank_host[$r]}"
    done
}
scenario "each worker's fetched file lands byte-exact in its own node's folder" fetched

results() {
    local r
    after job
    for r in 1 2 3 4 5; do
        grep -q "^rank $r part-$r.dat $((r * 200003)) bytes" "$t/collect/result-$r.txt" || fail "rank $r: no result in collect"
    done
}
scenario "each worker's result reaches the master's collect folder" results

cross_node_sends() {
    after job
    cmp -s "$t/src/part-1.dat" "$FAKE_NODEDIR/${rank_host[2]}/2/part-1.dat" || fail "worker 1 -> 2: not on ${rank_host[2]}"
    cmp -s "$t/src/part-3.dat" "$FAKE_NODEDIR/${rank_host[4]}/4/part-3.dat" || fail "worker 3 -> 4: not on ${rank_host[4]}"
}
scenario "worker-to-worker sends cross nodes byte-exact (1 -> 2, 3 -> 4)" cross_node_sends

real_scratch() {
    after job
    [ ! -e "$FAKE_SCRATCH/1" ] || fail "a file landed in the real scratch folder"
}
scenario "nothing lands in the real scratch folder" real_scratch
done_testing
