#!/usr/bin/python3
"""sparse_cmp.py A B: exit 0 when files A and B hold the same bytes (what
cmp(1) checks), 1 with cmp's "A B differ: byte N" when they do not, 2 on
an error.  It reads only where either file has data (SEEK_DATA and
SEEK_HOLE): a byte outside every data extent of both reads as zero in
both, so it cannot differ.  cmp reads a hole's zeros page by page: 17 s
of system time for a 4 GiB file with 32 KiB of data (large_file.sh)."""
import errno
import os
import sys

BLOCK = 1 << 20


def data_extents(fd, size):
    """[start, end) runs that may hold data, the whole file where the file
    system cannot say."""
    runs, off = [], 0
    while off < size:
        try:
            start = os.lseek(fd, off, os.SEEK_DATA)
        except OSError as e:
            if e.errno == errno.ENXIO:
                break               # nothing but a hole up to the end
            if e.errno == errno.EINVAL:
                return [(0, size)]  # no SEEK_DATA here: read it all
            raise
        end = min(os.lseek(fd, start, os.SEEK_HOLE), size)
        runs.append((start, end))
        off = end
    return runs


def merged(runs):
    out = []
    for start, end in sorted(runs):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def main(a, b):
    fa, fb = os.open(a, os.O_RDONLY), os.open(b, os.O_RDONLY)
    sa, sb = os.fstat(fa).st_size, os.fstat(fb).st_size
    size = min(sa, sb)
    for start, end in merged(data_extents(fa, size) + data_extents(fb, size)):
        off = start
        while off < end:
            n = min(BLOCK, end - off)
            x, y = os.pread(fa, n, off), os.pread(fb, n, off)
            if len(x) != n or len(y) != n:
                print(f"sparse_cmp.py: {a if len(x) != n else b} shrank while read", file=sys.stderr)
                return 2
            if x != y:
                i = next(k for k in range(min(len(x), len(y))) if x[k] != y[k]) \
                    if len(x) == len(y) else min(len(x), len(y))
                print(f"{a} {b} differ: byte {off + i + 1}")
                return 1
            off += n
    if sa != sb:
        print(f"cmp: EOF on {a if sa < sb else b} after byte {size}")
        return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("usage: sparse_cmp.py A B", file=sys.stderr)
        sys.exit(2)
    try:
        sys.exit(main(sys.argv[1], sys.argv[2]))
    except OSError as e:
        print(f"sparse_cmp.py: {e}", file=sys.stderr)
        sys.exit(2)
