#!/bin/bash
# 500 files of odd sizes across 3 fake nodes x 2 ranks, with both
# relaying policies (1,000 sends, 3,000 copies): 0 bytes to three chunks,
# most just around a chunk boundary (k x 64 KiB - 2 .. + 2), plus small
# ones that go in batches.  Every copy is compared byte for byte: the race
# that truncated a quarter of the original prototype's copies (COMPLETE
# seen before the last chunk) must be impossible.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/fakenodes.sh"
. "$top_srcdir/tests/lib/stage.sh"
need_fakenodes
command -v python3 >/dev/null || skip "python3 makes the sizes (apt-get install python3)"
MPIFT_TEST_TIMEOUT=${MPIFT_TEST_TIMEOUT:-300}

t=$(mktemp_dir)
mkdir -p "$t/src/odd"
python3 - "$t/src/odd" <<'PY'
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
fakenodes_setup 3 2
set -- $FAKE_HOSTS
for policy in pipeline tree; do
    for h in $FAKE_HOSTS; do rm -rf "${FAKE_NODEDIR:?}/$h/odd"; done
    write_cfg "$t/o.cfg" "$t/src" "$FAKE_SCRATCH/odd" "workers: { policy = \"$policy\"; };" \
        '{ src = "odd/"; dest = ""; recursive = true; }'
    sed -i 's/chunk_size = "1M"; window = 4;/chunk_size = "64K"; window = 3;/' "$t/o.cfg"
    fakenodes_mpirun 6 "$stage" --config "$t/o.cfg" >"$t/log" 2>&1 || fail "$policy: $(cat "$t/log")"
    expect_summary "$t/log" 1500 0 0
    for h in $FAKE_HOSTS; do
        compare_tree "$t/src/odd" "$FAKE_NODEDIR/$h/odd" || fail "$policy: a copy on $h differs"
    done
done
pass
