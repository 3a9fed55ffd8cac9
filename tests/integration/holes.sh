#!/bin/bash
# Holes as holes.  A sparse 64 MiB source holding 2.1 MiB of data, a file
# of 8 MiB of written zeros and 4 MiB of random bytes onto 3 fake nodes:
# every copy equals its source byte for byte, the zero chunks cross the
# wire as one-byte zero frames (--report's wire_bytes: the data, not
# 64 MiB), with transfer.compress none as with auto, and every copy is
# sparse where its source had zeros (du: about the data); the report's
# xxh3 is the source's whole content, zeros included.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" fakenodes=3x1 python3 timeout=300
plan 3

mkdir -p "$t/src/tree"
python3 - "$t/src/tree" <<'PY' || fail "cannot make the files"
import os, sys
d = sys.argv[1]
with open(os.path.join(d, "sparse.img"), "wb") as f:
    f.truncate(64 << 20)
    for off, n in ((0, 1 << 20), (20 << 20, 1 << 20), ((64 << 20) - 100000, 100000)):
        f.seek(off)
        f.write(os.urandom(n))
with open(os.path.join(d, "zeros.bin"), "wb") as f:
    f.write(bytes(8 << 20))
with open(os.path.join(d, "random.bin"), "wb") as f:
    f.write(os.urandom(4 << 20))
PY
[ "$(du -k "$t/src/tree/sparse.img" | cut -f1)" -lt 8192 ] || skip "this file system does not keep the source sparse"

# holes COMPRESS: stage with transfer.compress = COMPRESS, report in $t/r.json
holes() {
    local h
    fakenodes_clear stage
    write_cfg "$t/h.cfg" "$t/src" "$FAKE_SCRATCH/stage"
    sed -i "s/chunk_size = \"1M\"; window = 4;/chunk_size = \"256K\"; window = 8; compress = \"$1\";/" "$t/h.cfg"
    rm -f "$t/r.json"
    fakenodes_mpirun 3 "$stage" --config "$t/h.cfg" --report "$t/r.json" >"$t/log" 2>&1 || fail "$1: $(cat "$t/log")"
    expect_summary "$t/log" 9 0 0
    for h in $FAKE_HOSTS; do
        compare_tree "$t/src/tree" "$FAKE_NODEDIR/$h/stage" || fail "$1: a copy on $h differs"
    done
    check_report "$t/r.json"
}

wire() {
    /usr/bin/python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
print(next(f["wire_bytes"] for f in r["files"] if f["path"].endswith(sys.argv[2])))' "$t/r.json" "$1"
}

# allocated FILE: its 1 KiB blocks on every node, the largest
allocated() {
    local h m=0 k
    for h in $FAKE_HOSTS; do
        k=$(du -k "$FAKE_NODEDIR/$h/stage/$1" | cut -f1)
        [ "$k" -gt "$m" ] && m=$k
    done
    echo "$m"
}

check_holes() {
    local w
    w=$(wire sparse.img)
    [ "$w" -lt $((4 << 20)) ] || fail "$1: the sparse file took $w bytes on the wire (its data is 2.1 MiB)"
    w=$(wire zeros.bin)
    [ "$w" -lt 4096 ] || fail "$1: 8 MiB of zeros took $w bytes on the wire"
    [ "$(allocated sparse.img)" -lt 4096 ] || fail "$1: a copy of the sparse file holds $(allocated sparse.img) KiB (its data: 2.1 MiB)"
    [ "$(allocated zeros.bin)" -lt 1024 ] || fail "$1: a copy of 8 MiB of zeros holds $(allocated zeros.bin) KiB"
    [ "$(allocated random.bin)" -ge 4096 ] || fail "$1: the random file's copy holds only $(allocated random.bin) KiB"
}

none() {
    holes none
    check_holes "compress none"
}
scenario "compress none: zero chunks go as zero frames, every copy is sparse and equal to its source" none

auto() {
    holes auto
    check_holes "compress auto"
}
scenario "compress auto: the same, the holes beside compression" auto

digest() {
    holes none
    /usr/bin/python3 - "$t/r.json" "$t/src/tree" <<'PY' || fail "the report's xxh3 is not the content's"
import ctypes, json, os, sys
x = ctypes.CDLL("libxxhash.so.0")
x.XXH3_64bits.restype = ctypes.c_uint64
x.XXH3_64bits.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
r = json.load(open(sys.argv[1]))
for f in r["files"]:
    b = open(os.path.join(sys.argv[2], os.path.basename(f["path"])), "rb").read()
    want = "%016x" % x.XXH3_64bits(b, len(b))
    if f["xxh3"] != want:
        sys.exit("%s: report %s, content %s" % (f["path"], f["xxh3"], want))
PY
}
scenario "the report's xxh3 of each file is that of its whole content, zeros included" digest
