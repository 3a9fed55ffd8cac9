#!/bin/bash
# A file over 4 GiB (4 GiB + 4109 bytes, an odd tail) crosses MPI to rank 1
# byte-exact: offsets, chunk counts and sizes past 2^31 and 2^32 must not
# wrap.  The source is sparse with random bytes at 0, across the 2 GiB and
# 4 GiB marks and at the end, so a chunk written at a wrong offset shows
# in the comparison (zeros alone would hide it).  A re-run finds it
# unchanged; --report gives its size in full.  Scatter sends it to rank 1
# alone, so one 4 GiB copy is written; skipped without 10 GiB free.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" mpirun timeout=300
free_kb=$(df -Pk "$t" | awk 'NR == 2 { print $4 }')
[ "${free_kb:-0}" -ge $((10 * 1024 * 1024)) ] || skip "needs 10 GiB free under $t, has $((free_kb / 1024)) MiB"
plan 3

size=$((4 * 1024 * 1024 * 1024 + 4109))
mkdir -p "$t/src"
truncate -s "$size" "$t/src/big-1.bin"
# mark OFFSET: 8 KiB of random bytes at OFFSET.
mark() {
    head -c 8192 /dev/urandom |
        dd of="$t/src/big-1.bin" bs=8192 count=1 iflag=fullblock oflag=seek_bytes seek="$1" conv=notrunc status=none
}
for off in 0 $((2 ** 31 - 4096)) $((2 ** 32 - 4096)) $((size - 8192)); do
    mark "$off"
done
[ "$(stat -c %s "$t/src/big-1.bin")" = "$size" ] || fail "the sparse source has the wrong size"
echo small >"$t/src/big-0.bin"

cat >"$t/l.cfg" <<CFG
version = 1;
paths: { source = "$t/src"; dest = "$t/dest/%r"; };
stage_in = ( { src = "big-%r.bin"; dest = "big.bin"; to = "rank"; } );
CFG
over_4g() {
    mpift_mpirun -n 2 "$stage" --config "$t/l.cfg" --report "$t/l.json" >"$t/log" 2>&1 ||
        fail "staging a file over 4 GiB failed: $(cat "$t/log")"
    [ "$(stat -c %s "$t/dest/1/big.bin")" = "$size" ] || fail "rank 1's copy has $(stat -c %s "$t/dest/1/big.bin") bytes, not $size"
    # cmp would read 8 GiB of holes' zeros (17 s of system time)
    /usr/bin/python3 "$top_srcdir/tests/lib/sparse_cmp.py" "$t/src/big-1.bin" "$t/dest/1/big.bin" ||
        fail "rank 1's copy of the 4 GiB file differs"
    cmp -s "$t/src/big-0.bin" "$t/dest/0/big.bin" || fail "rank 0's small shard differs"
    expect_summary "$t/log" 2 0 0
    [ -z "$(find "$t/dest" -name '.*')" ] || fail "temporary files left: $(find "$t/dest" -name '.*')"
}
scenario "a file of 4 GiB + 4109 bytes reaches rank 1 byte-exact, with no temporary left" over_4g

report_size() {
    after over_4g
    check_report "$t/l.json"
    grep -q "\"bytes\": $size," "$t/l.json" || fail "the report does not give the size in full: $(cat "$t/l.json")"
}
scenario "the report gives its size in full" report_size

rerun() {
    after over_4g
    mpift_mpirun -n 2 "$stage" --config "$t/l.cfg" >"$t/log" 2>&1 || fail "re-run failed: $(cat "$t/log")"
    expect_summary "$t/log" 0 2 0
}
scenario "a re-run finds it unchanged" rerun
done_testing
