#!/bin/bash
# Long hashing before the first collective keeps the heartbeats going: on 2
# fake nodes with transfer.timeout = 2, node 2 reads slowly (a test hook,
# MPIFT_TEST_SLOW_READ: 300 ms per MiB, so 20 MiB take 6 s) while rank 0
# on node 1, with nothing of its own to read, waits for it in a collective.
# (1) node 2's cache entry has lost its record and is re-hashed whole;
# (2) node 2 holds an older copy that transfer.delta = "auto" reads as a
# delta base (node 1 has the new one).  (3) node 2's older copy is
# sampled (engine/base.h's SAMPLE), and rank 0 reads the source's 16
# sample chunks slowly (4.8 s) while node 2 waits in a collective.  Either way the job succeeds, the copies are whole, and what
# node 2 held is taken (not sent again): no watchdog abort.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" fakenodes=2x1 python3 timeout=300
plan 3

MiB=$((1024 * 1024))
mkdir -p "$t/src"
head -c $((20 * MiB)) /dev/urandom >"$t/src/big.bin"
n0=$FAKE_NODEDIR/${fake_host[0]}
n1=$FAKE_NODEDIR/${fake_host[1]}

# cfg EXTRA: transfer.timeout 2 s, 1 MiB chunks, and EXTRA
cfg() {
    cat >"$t/s.cfg" <<CFG
version = 1;
paths: { source = "$t/src"; dest = "$FAKE_SCRATCH/${2:-d1}"; };
transfer: { chunk_size = "1M"; timeout = 2; $1 };
cache: { dir = "$FAKE_SCRATCH/cache"; };
stage_in = ( { src = "big.bin"; dest = ""; } );
CFG
}

# slow_job DEST [OPTION]: node 2 reads at 300 ms per MiB; report in $t/r.json
slow_job() {
    rm -f "$t/r.json"
    MPIFT_TEST_SLOW_READ=300 fakenodes_mpirun 2 "$stage" --module "$faults" --config "$t/s.cfg" \
        --report "$t/r.json" ${2:-} >"$t/log" 2>&1 || fail "a slow read of node 2 failed the job: $(cat "$t/log")"
    cmp -s "$t/src/big.bin" "$n0/$1/big.bin" || fail "the copy on ${fake_host[0]} differs"
    cmp -s "$t/src/big.bin" "$n1/$1/big.bin" || fail "the copy on ${fake_host[1]} differs"
    check_report "$t/r.json"
}

total() {
    /usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["totals"][sys.argv[2]])' "$t/r.json" "$1"
}

unrecorded_entry() {
    fakenodes_clear cache d1 d2
    cfg ""
    fakenodes_mpirun 2 "$stage" --config "$t/s.cfg" >"$t/log" 2>&1 || fail "job 1: $(cat "$t/log")"
    # node 2's entry without its record: the next lookup reads it whole
    [ -n "$(find "$n1/cache" -name '*.rec')" ] || fail "no record in node 2's cache: $(ls -la "$n1/cache")"
    find "$n1/cache" -name '*.rec' -delete
    cfg "" d2
    slow_job d2
    [ "$(total wire_bytes)" = 0 ] || fail "node 2's re-hashed entry was not used: wire_bytes $(total wire_bytes)"
}
scenario "a cache entry re-hashed slowly on one node: heartbeats go on, the job succeeds from the cache" unrecorded_entry

delta_base() {
    fakenodes_clear cache d1
    cfg "delta = \"auto\";"
    sed -i '/^cache:/d' "$t/s.cfg"
    fakenodes_mpirun 2 "$stage" --config "$t/s.cfg" >"$t/log" 2>&1 || fail "first stage: $(cat "$t/log")"
    # a new version, one chunk changed; node 1 has it already, node 2 the old one
    head -c 1000 /dev/urandom | dd of="$t/src/big.bin" bs=1 seek=$((7 * MiB + 5)) conv=notrunc status=none
    cp -p "$t/src/big.bin" "$n0/d1/big.bin"
    slow_job d1
    [ "$(total delta_saved_bytes)" = $((19 * MiB)) ] ||
        fail "node 2's delta base was not taken: delta_saved_bytes $(total delta_saved_bytes)"
}
scenario "a delta base read slowly on one node: heartbeats go on, the job succeeds, the base is used" delta_base

rank0_sample() {
    # 16 MiB in 256 KiB chunks (64: sampled), node 2's older version
    # sharing nothing with it: both sides read 16 chunks at 300 ms each.
    # Rank 0 once read its 16 without a heartbeat, and node 2, waiting in
    # the collective after the offers, stopped the job after 2 s.
    fakenodes_clear d3
    head -c $((16 * MiB)) /dev/urandom >"$t/src/big.bin"
    mkdir -p "$n1/d3" && head -c $((16 * MiB)) /dev/urandom >"$n1/d3/big.bin"
    cfg "delta = \"auto\"; chunk_size = \"256K\";" d3
    sed -i '/^cache:/d; s/chunk_size = "1M"; //' "$t/s.cfg"
    slow_job d3 --verbose
    grep -q "big.bin: its writers hold 0 of 16 sampled chunks of data as the source has them" "$t/log" ||
        fail "node 2's older version was not sampled: $(cat "$t/log")"
    [ "$(total delta_saved_bytes)" = 0 ] || fail "delta_saved_bytes $(total delta_saved_bytes)"
}
scenario "rank 0 reads the source's sample slowly: heartbeats go on, the job succeeds" rank0_sample
done_testing
