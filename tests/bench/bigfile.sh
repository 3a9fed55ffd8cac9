#!/bin/bash
# bigfile.sh [SIZE] - stage one file larger than 4 GiB (default 4 GiB + 13
# bytes) from rank 0 to rank 1 (per-rank copies, so it crosses MPI), check
# it byte for byte, and print the figures.  Shows that 64-bit sizes and
# offsets hold end to end.  Needs SIZE x 2 of free disk under TMPDIR.
#   tests/bench/bigfile.sh            # from a built tree
#   make bench                        # runs every benchmark
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/stage.sh"
need_mpirun

size=${1:-$((4 * 1024 * 1024 * 1024 + 13))}
t=$(mktemp_dir)
mkdir -p "$t/src/tree"
# Sparse source with data at both ends: a wrong offset or a 32-bit wrap
# puts the tail in the wrong place, and cmp sees it.
truncate -s "$size" "$t/src/tree/big.bin"
printf 'head' | dd of="$t/src/tree/big.bin" conv=notrunc status=none
printf 'tail' | dd of="$t/src/tree/big.bin" bs=1 seek=$((size - 4)) conv=notrunc status=none
write_cfg "$t/b.cfg" "$t/src" "$t/dest/%r" 'workers: { copies = "per-rank"; };'
sed -i 's/chunk_size = "1M"/chunk_size = "8M"/' "$t/b.cfg"

start=$(date +%s.%N)
mpift_mpirun -n 2 "$stage" --config "$t/b.cfg" >"$t/log" 2>&1 || fail "stage-in failed: $(cat "$t/log")"
end=$(date +%s.%N)
cat "$t/log"
cmp "$t/src/tree/big.bin" "$t/dest/1/big.bin" || fail "rank 1's copy differs"
[ "$(stat -c %s "$t/dest/1/big.bin")" = "$size" ] || fail "rank 1's copy has the wrong size"
awk -v s="$size" -v a="$start" -v b="$end" \
    'BEGIN { printf "bigfile: %.0f bytes (%.2f GiB) to 2 ranks in %.1f s wall, byte-identical\n", s, s / 2^30, b - a }'
pass
