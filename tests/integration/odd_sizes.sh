#!/bin/bash
# 500 files of odd sizes across 3 fake nodes x 2 ranks, with both
# relaying policies (1,000 sends, 3,000 copies): 0 bytes to three chunks,
# most just around a chunk boundary (k x 64 KiB - 2 .. + 2), plus small
# ones that go in batches.  Every copy is compared byte for byte: the race
# that truncated a quarter of the original prototype's copies (COMPLETE
# seen before the last chunk) must be impossible.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" fakenodes=3x2 python3 timeout=300
plan 2

mkdir -p "$t/src/odd"
python3 - "$t/src/odd" <<'PY' || fail "cannot make the odd-sized files"
import os, random, sys
rnd = random.Random(2026)
chunk = 65536
for i in range(500):
    if i % 5 == 4:
        size = rnd.randint(0, 9000)                       # batch-sized
    else:
        size = max(0, rnd.randint(0, 3) * chunk + rnd.randint(-2, 2))
    d = os.path.join(sys.argv[1], "d%02d" % (i % 17))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%03d-%d.bin" % (i, size)), "wb") as f:
        f.write(rnd.randbytes(size))
PY

# odd_sizes POLICY
odd_sizes() {
    local policy=$1 h
    fakenodes_clear odd
    write_cfg "$t/o.cfg" "$t/src" "$FAKE_SCRATCH/odd" "workers: { policy = \"$policy\"; };" \
        '{ src = "odd/"; dest = ""; recursive = true; }'
    sed -i 's/chunk_size = "1M"; window = 4;/chunk_size = "64K"; window = 3;/' "$t/o.cfg"
    fakenodes_mpirun 6 "$stage" --config "$t/o.cfg" >"$t/log" 2>&1 || fail "$policy: $(cat "$t/log")"
    expect_summary "$t/log" 1500 0 0
    for h in $FAKE_HOSTS; do
        compare_tree "$t/src/odd" "$FAKE_NODEDIR/$h/odd" || fail "$policy: a copy on $h differs"
    done
}
scenario "pipeline: 500 files around chunk boundaries arrive whole on every node" odd_sizes pipeline
scenario "tree: 500 files around chunk boundaries arrive whole on every node" odd_sizes tree
done_testing
