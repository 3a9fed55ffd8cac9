#!/bin/bash
# The mpift.h service across 3 fake nodes x 2 ranks (examples/fetch_all):
# each worker's fetched file lands in its own node's private folder, the
# worker-to-worker sends cross nodes (1 on the first -> 2 on the second,
# 3 -> 4 on the third), results reach the master's collect folder, and
# nothing lands in the real scratch folder.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/fakenodes.sh"
need_fakenodes
MPIFT_TEST_TIMEOUT=${MPIFT_TEST_TIMEOUT:-120}

example=$top_builddir/examples/fetch_all
[ -x "$example" ] || fail "build examples/fetch_all first (make check does)"
t=$(mktemp_dir)
fakenodes_setup 3 2
set -- $FAKE_HOSTS
node=("$1" "$1" "$2" "$2" "$3" "$3")   # rank -> host (2 slots per node, filled in order)
mkdir -p "$t/src"
for r in 1 2 3 4 5; do
    head -c $((r * 200003)) /dev/urandom >"$t/src/part-$r.dat"
done
cat >"$t/c.cfg" <<CFG
version = 1;
paths: { source = "$t/src"; dest = "$FAKE_SCRATCH/%r"; collect = "$t/collect"; };
transfer: { chunk_size = "128K"; };
CFG
fakenodes_mpirun 6 "$example" "$t/c.cfg" >"$t/out" 2>"$t/err" || fail "fetch_all across nodes: $(cat "$t/out" "$t/err")"
for r in 1 2 3 4 5; do
    cmp -s "$t/src/part-$r.dat" "$FAKE_NODEDIR/${node[$r]}/$r/part-$r.dat" ||
        fail "rank $r: part-$r.dat not on ${node[$r]}"
    grep -q "^rank $r part-$r.dat $((r * 200003)) bytes" "$t/collect/result-$r.txt" || fail "rank $r: no result in collect"
done
cmp -s "$t/src/part-1.dat" "$FAKE_NODEDIR/${node[2]}/2/part-1.dat" || fail "worker 1 -> 2: not on ${node[2]}"
cmp -s "$t/src/part-3.dat" "$FAKE_NODEDIR/${node[4]}/4/part-3.dat" || fail "worker 3 -> 4: not on ${node[4]}"
[ ! -e "$FAKE_SCRATCH/1" ] || fail "a file landed in the real scratch folder"
grep -q "^master: 10 requests, 0 failed" "$t/out" || fail "master's summary: $(cat "$t/out")"
pass
