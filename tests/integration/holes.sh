#!/bin/bash
# Holes as holes.  A sparse 64 MiB source holding 2.1 MiB of data, a file
# of 8 MiB of written zeros and 4 MiB of random bytes onto 3 fake nodes:
# every copy equals its source byte for byte, the sparse file's holes
# cross as extents (--report's hole_bytes: every whole chunk of them) and
# the written zeros as one-byte zero frames (wire_bytes: the data, not
# 64 MiB), with transfer.compress none as with auto, and every copy is
# sparse where its source had zeros (du: about the data); the report's
# xxh3 is the source's whole content, zeros included.  Hostile: a hole
# written while the file is read (MPIFT_TEST_FILL_HOLE), its mtime and
# ctime pinned as a write within the clock's tick leaves them
# (MPIFT_TEST_SAME_TICK), is caught by the holes' re-check, never a silent
# wrong copy; a sparse 1 GiB file of 4 MiB of data is not refused by a
# node with 64 MiB free (preflight counts what a copy allocates), nor when
# placed there from the cache by a copy; a source without SEEK_DATA (MPIFT_TEST_NO_SEEK_DATA) goes
# dense and equal; a stage-out of a sparse file takes the same path.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" fakenodes=3x1 python3 timeout=300
plan 9

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

# holes COMPRESS: stage with transfer.compress = COMPRESS, report in
# $t/r.json, kept as $t/COMPRESS.json once the copies are right
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
    cp "$t/r.json" "$t/$1.json"
}

# wire FILE [FIELD]: the report's wire_bytes (or FIELD) of FILE; FILE
# "totals": the totals' (summed over a stage-out's writers' files alike).
wire() {
    /usr/bin/python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
k = sys.argv[3]
print(r["totals"][k] if sys.argv[2] == "totals" else sum(f[k] for f in r["files"] if f["path"].endswith(sys.argv[2])))' \
        "$t/r.json" "$1" "${2:-wire_bytes}"
}

# The sparse file's whole chunks of 256 KiB without data: all but the
# first 4, the 4 from 20 MiB and the last.
sparse_holes=$(((64 << 20) - (9 << 18)))

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
    [ "$(wire sparse.img hole_bytes)" = "$sparse_holes" ] ||
        fail "$1: the sparse file's hole_bytes is $(wire sparse.img hole_bytes), expected $sparse_holes"
    [ "$(wire zeros.bin hole_bytes)" = 0 ] || fail "$1: written zeros counted as holes ($(wire zeros.bin hole_bytes))"
    [ "$(wire totals hole_bytes)" = "$sparse_holes" ] || fail "$1: total hole_bytes $(wire totals hole_bytes)"
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

# The reports of the two jobs above (a job of its own if neither left one).
digest() {
    local r
    [ -f "$t/none.json" ] || [ -f "$t/auto.json" ] || holes none
    for r in "$t/none.json" "$t/auto.json"; do
        [ -f "$r" ] || continue
        /usr/bin/python3 - "$r" "$t/src/tree" <<'PY' || fail "the report's xxh3 is not the content's ($(basename "$r"))"
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
    done
}
scenario "the report's xxh3 of each file is that of its whole content, zeros included" digest

# one_cfg RETRIES [SOURCE]: sparse.img of SOURCE (the tree) alone, in $t/one.cfg.
one_cfg() {
    cat >"$t/one.cfg" <<CFG
version = 1;
paths: { source = "${2:-$t/src/tree}"; dest = "$FAKE_SCRATCH/stage"; };
transfer: { chunk_size = "256K"; window = 8; retries = $1; };
stage_in = ( { src = "sparse.img"; dest = ""; } );
CFG
}

# A hole written while the file is read: rank 0 writes into the first
# extent (sent as a hole) before DATA message 2, and its end takes the
# mtime and ctime the source has then for those of the open
# (MPIFT_TEST_SAME_TICK: a write within the clock's tick), so only the
# SEEK_DATA re-check of the holes can catch it.  Without retries the file
# fails "a hole was written to while it was read" and no node holds it;
# with them it is sent again and every copy is the written version.  On
# a copy of the sparse file in $t/fill.
filled() {
    local rc=0 h
    mkdir -p "$t/fill"
    cp --sparse=always "$t/src/tree/sparse.img" "$t/sparse.orig"
    cp --sparse=always "$t/sparse.orig" "$t/fill/sparse.img"
    one_cfg 0 "$t/fill"
    fakenodes_clear stage
    MPIFT_TEST_FILL_HOLE=0:2 MPIFT_TEST_SAME_TICK=0 fakenodes_mpirun 3 "$stage" --module "$faults" \
        --config "$t/one.cfg" >"$t/log" 2>&1 || rc=$?
    [ "$rc" = 1 ] || fail "a hole filled mid-read, no retries: exit $rc, expected 1: $(cat "$t/log")"
    grep -q "$t/fill/sparse.img: changed while being staged (a hole was written to while it was read): not staged" \
        "$t/log" ||
        fail "the change is not named: $(cat "$t/log")"
    cmp -s "$t/fill/sparse.img" "$t/sparse.orig" && fail "the test hook wrote nothing into the hole"
    for h in $FAKE_HOSTS; do
        [ ! -e "$FAKE_NODEDIR/$h/stage/sparse.img" ] || fail "$h holds sparse.img although it changed mid-read"
    done
    cp --sparse=always "$t/sparse.orig" "$t/fill/sparse.img"
    one_cfg 2 "$t/fill"
    fakenodes_clear stage
    rm -f "$t/r.json"
    MPIFT_TEST_FILL_HOLE=0:2 MPIFT_TEST_SAME_TICK=0 fakenodes_mpirun 3 "$stage" --module "$faults" \
        --config "$t/one.cfg" --report "$t/r.json" >"$t/log" 2>&1 || fail "a hole filled mid-read, with retries: $(cat "$t/log")"
    grep -q "sparse.img: changed while being staged (a hole was written to while it was read); re-sending (attempt 2 of 3)" \
        "$t/log" ||
        fail "the change is not named: $(cat "$t/log")"
    for h in $FAKE_HOSTS; do
        cmp "$t/fill/sparse.img" "$FAKE_NODEDIR/$h/stage/sparse.img" || fail "$h: not the written version"
    done
    check_report "$t/r.json"
}
scenario "a hole written while the file is read, its times pinned: exit 1 'a hole was written to', or sent again whole" filled

# A 1 GiB file holding 4 MiB of data onto a node whose dest is a 64 MiB
# tmpfs: preflight counts what a copy allocates (the chunks with data,
# from the source's extents), not its size, so it is not refused
# ("needs 1073.7 MB"); every copy equal and sparse.
small_room() {
    local h k small=$FAKE_NODEDIR/${fake_host[1]}
    mkdir -p "$t/big"
    rm -f "$t/big/sparse.img"
    truncate -s $((1 << 30)) "$t/big/sparse.img"
    head -c $((2 << 20)) /dev/urandom | dd of="$t/big/sparse.img" bs=1M seek=100 conv=notrunc status=none
    head -c $((2 << 20)) /dev/urandom | dd of="$t/big/sparse.img" bs=1M seek=1000 conv=notrunc status=none
    one_cfg 0 "$t/big"
    fakenodes_clear stage
    mount -t tmpfs -o size=64m mpift-test "$small" 2>/dev/null || skip "cannot mount a tmpfs here"
    fakenodes_mpirun 3 "$stage" --config "$t/one.cfg" >"$t/log" 2>&1 || { umount "$small"; fail "$(cat "$t/log")"; }
    for h in $FAKE_HOSTS; do
        cmp "$t/big/sparse.img" "$FAKE_NODEDIR/$h/stage/sparse.img" || { umount "$small"; fail "$h's copy differs"; }
        k=$(du -k "$FAKE_NODEDIR/$h/stage/sparse.img" | cut -f1)
        [ "$k" -lt 8192 ] || { umount "$small"; fail "$h's copy holds $k KiB (its data: 4 MiB)"; }
    done
    umount "$small"
}
scenario "a sparse 1 GiB file (4 MiB of data) onto a node with 64 MiB free: not refused, copies sparse" small_room

# The same with cache.dir outside that tmpfs (a folder per node, %h),
# staged twice: the second job's copy on the small node is placed from
# its cache by a copy (another file system), which keeps the entry's
# holes, so preflight counts its data there too.  It once counted that
# file's size there: "needs 1073.7 MB", refused.
small_room_cache() {
    local h j k small=$FAKE_NODEDIR/${fake_host[1]}
    one_cfg 0 "$t/big"
    fakenodes_clear stage
    rm -rf "$t/nc" && mkdir -p "$t/nc"
    mount -t tmpfs -o size=64m mpift-test "$small" 2>/dev/null || skip "cannot mount a tmpfs here"
    for j in j1 j2; do
        sed "s|/stage\";|/stage/$j\";|" "$t/one.cfg" >"$t/c.cfg"
        echo "cache: { dir = \"$t/nc/%h\"; };" >>"$t/c.cfg"
        fakenodes_mpirun 3 "$stage" --config "$t/c.cfg" >"$t/log" 2>&1 || { umount "$small"; fail "$j: $(cat "$t/log")"; }
        for h in $FAKE_HOSTS; do
            cmp "$t/big/sparse.img" "$FAKE_NODEDIR/$h/stage/$j/sparse.img" || { umount "$small"; fail "$j: $h's copy differs"; }
        done
    done
    k=$(du -k "$small/stage/j2/sparse.img" | cut -f1)
    umount "$small"
    [ -n "$(find "$t/nc/${fake_host[1]}" -maxdepth 1 -name "$((1 << 30))-*")" ] || fail "no entry in the small node's cache"
    [ "$k" -lt 8192 ] || fail "the copy placed from the cache holds $k KiB (its data: 4 MiB)"
}
scenario "the same with cache.dir on another file system, staged twice: placed from the cache, not refused" small_room_cache

# A source file system without SEEK_DATA: the sparse file is read whole,
# its zero chunks still cross as zero frames, nothing as extents.
no_seek_data() {
    local h
    one_cfg 0
    fakenodes_clear stage
    rm -f "$t/r.json"
    MPIFT_TEST_NO_SEEK_DATA=1 fakenodes_mpirun 3 "$stage" --module "$faults" --config "$t/one.cfg" \
        --report "$t/r.json" >"$t/log" 2>&1 || fail "without SEEK_DATA: $(cat "$t/log")"
    for h in $FAKE_HOSTS; do
        cmp "$t/src/tree/sparse.img" "$FAKE_NODEDIR/$h/stage/sparse.img" || fail "without SEEK_DATA: $h's copy differs"
    done
    [ "$(wire sparse.img hole_bytes)" = 0 ] || fail "without SEEK_DATA, $(wire sparse.img hole_bytes) bytes as holes"
    [ "$(wire sparse.img)" -lt $((4 << 20)) ] || fail "without SEEK_DATA the zeros took $(wire sparse.img) bytes"
    check_report "$t/r.json"
}
scenario "a source without SEEK_DATA goes dense: every copy equal, no extents" no_seek_data

# Stage-out of a sparse file from every node into collect: its holes cross
# as extents too, and every collected copy is sparse and equal.
stage_out_sparse() {
    local h k
    fakenodes_clear stage
    for h in $FAKE_HOSTS; do
        mkdir -p "$FAKE_NODEDIR/$h/stage" && cp --sparse=always "$t/src/tree/sparse.img" "$FAKE_NODEDIR/$h/stage/"
    done
    rm -rf "$t/collect" "$t/r.json"
    cat >"$t/out.cfg" <<CFG
version = 1;
paths: { source = "$t/src/tree"; dest = "$FAKE_SCRATCH/stage"; collect = "$t/collect"; };
transfer: { chunk_size = "256K"; window = 8; };
stage_out = ( { src = "sparse.img"; dest = "%h/"; } );
CFG
    fakenodes_mpirun 3 "$stage" --config "$t/out.cfg" --out --report "$t/r.json" >"$t/log" 2>&1 ||
        fail "stage-out: $(cat "$t/log")"
    for h in $FAKE_HOSTS; do
        cmp "$t/src/tree/sparse.img" "$t/collect/$h/sparse.img" || fail "stage-out: $h's copy differs"
        k=$(du -k "$t/collect/$h/sparse.img" | cut -f1)
        [ "$k" -lt 4096 ] || fail "stage-out: $h's collected copy holds $k KiB"
    done
    [ "$(wire totals hole_bytes)" = $((3 * sparse_holes)) ] ||
        fail "stage-out: total hole_bytes $(wire totals hole_bytes), expected $((3 * sparse_holes))"
    check_report "$t/r.json"
}
scenario "stage-out of a sparse file: its holes cross as extents, every collected copy sparse and equal" stage_out_sparse

# With cache.dir set the sparse file is keyed (docs/content_keys.md): the
# sender's XXH3-128 of what it sends, held to the key, covers the zeros of
# the extents it never reads, so the file is staged, not refused as
# "changed since planning"; every copy sparse and equal.
keyed() {
    local h
    one_cfg 0
    sed -i "s|^paths: {|cache: { dir = \"$t/cache\"; };\npaths: {|" "$t/one.cfg"
    fakenodes_clear stage
    rm -f "$t/r.json"
    fakenodes_mpirun 3 "$stage" --config "$t/one.cfg" --report "$t/r.json" >"$t/log" 2>&1 ||
        fail "keyed sparse file: $(cat "$t/log")"
    for h in $FAKE_HOSTS; do
        cmp "$t/src/tree/sparse.img" "$FAKE_NODEDIR/$h/stage/sparse.img" || fail "keyed: $h's copy differs"
    done
    [ "$(wire sparse.img hole_bytes)" = "$sparse_holes" ] || fail "keyed: hole_bytes $(wire sparse.img hole_bytes)"
    [ "$(allocated sparse.img)" -lt 4096 ] || fail "keyed: a copy holds $(allocated sparse.img) KiB"
    check_report "$t/r.json"
}
scenario "with cache.dir the sparse file is keyed over its whole content, holes included, and staged" keyed
