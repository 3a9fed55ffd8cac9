#!/bin/bash
# Kept chunk hashes in the node's cache as a delta base (docs/resume.md).
# 5 fake nodes x 1 slot, a 16 MiB file in 256 KiB chunks (64), rank 0 the
# source, ranks 1-4 the writers.  With cache.dir each entry keeps the
# chunk hashes its copy was written with ("<entry>.kept"), and the cache
# remembers which entry each dest name was last staged as: a re-stage,
# into the same dest or a new one, offers those hashes without reading
# anything (--verbose says so).  Hostile: on each writer a different lie
# in the cache (the .kept edited, another entry's, a link, another
# owner's): each is ignored, the entry is read, every copy is right.  A
# record that lies as no user can make one (MPIFT_TEST_KEPT_LIE: another
# entry's hashes taken as this one's) yields no wrong copy either: the
# kept chunk fails the writer's check and the file is sent again whole;
# one whose bytes collide with the source's in XXH3-64 (MPIFT_TEST_COLLIDE)
# is caught by the keyed copy's XXH3-128.
# Without cache.dir the older copy at the same path is read.  After every
# run each dest holds exactly the source's files: nothing of mpift's (no
# ".mpift-*" name) is left beside them; a "-kept.tmp" an older mpift left
# there is swept, never trusted.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" fakenodes=5x1 python3 timeout=600
plan 7

MiB=$((1024 * 1024))
CH=$((256 * 1024))
mkdir -p "$t/src"
head -c $((16 * MiB)) /dev/urandom >"$t/src/big.bin"
cp "$t/src/big.bin" "$t/v0.bin"
node() { echo "$FAKE_NODEDIR/${fake_host[$1]}"; }

# cfg DEST [CACHE]: into $FAKE_SCRATCH/DEST, with cache.dir when CACHE
cfg() {
    local cache=
    [ -z "${2:-}" ] || cache="cache: { dir = \"$FAKE_SCRATCH/cache\"; };"
    cat >"$t/k.cfg" <<CFG
version = 1;
paths: { source = "$t/src"; dest = "$FAKE_SCRATCH/$1"; source_shared = "no"; };
transfer: { chunk_size = "256K"; retries = 1; };
$cache
stage_in = ( { src = "big.bin"; dest = ""; } );
CFG
}

# run DEST: stage; every dest holds exactly the source's files, byte for
# byte, and no name of mpift's; report in $t/rep.json
run() {
    local i d
    rm -f "$t/rep.json"
    fakenodes_mpirun 5 "$stage" --module "$faults" --config "$t/k.cfg" --report "$t/rep.json" --verbose \
        >"$t/log" 2>&1 || fail "the run failed: $(cat "$t/log")"
    for i in 0 1 2 3 4; do
        d=$(node $i)/$1
        diff -r "$t/src" "$d" >"$t/diff" 2>&1 || fail "${fake_host[$i]}'s dest is not the source's files: $(cat "$t/diff")"
        no_temporaries "left in ${fake_host[$i]}'s dest after a successful run" "$d"
    done
    check_report "$t/rep.json"
}

# change FILE K: rewrite 4 KiB inside chunk K of FILE
change() {
    /usr/bin/python3 - "$1" "$2" <<'PY'
import os, sys
with open(sys.argv[1], "r+b") as f:
    f.seek(int(sys.argv[2]) * 256 * 1024 + 100)
    f.write(os.urandom(4096))
PY
}


# kept_of I [AGE]: node I's cache's .kept files, the newest first; the
# AGE-th (1: the newest, that of the version last staged)
kept_of() { find "$(node "$1")/cache" -maxdepth 1 -name '*.kept' -printf '%T@ %p\n' | sort -rn | sed -n "${2:-1}p" | cut -d' ' -f2; }

CACHED="big.bin: delta base: an older version in the node's cache, from its kept hashes (not read)"

same_dest() {
    cfg d cache
    run d
    [ -n "$(kept_of 1)" ] || fail "no kept hashes with the cache's entry: $(ls -la "$(node 1)/cache")"
    change "$t/src/big.bin" 10
    run d
    log_lines 4 "$CACHED"
    [ "$(report_total delta_saved_bytes)" = $((4 * 63 * CH)) ] || fail "delta_saved_bytes $(report_total delta_saved_bytes)"
}
scenario "the same dest again, with cache.dir: the cache's kept hashes, nothing read, no record in the dest" same_dest

new_dest() {
    change "$t/src/big.bin" 60
    cfg c2 cache
    run c2
    log_lines 4 "$CACHED"
    [ "$(report_total delta_saved_bytes)" = $((4 * 63 * CH)) ] || fail "delta_saved_bytes $(report_total delta_saved_bytes)"
}
scenario "a new dest takes the older version from the node's cache, from the hashes kept with its entry" new_dest

lies() {
    local rec orphan
    change "$t/src/big.bin" 20
    # An entry removed by hand on node 1 leaves its .kept: the run's
    # eviction pass removes it (cache/older.h).
    orphan=$(kept_of 1 2)
    rm -f "${orphan%.kept}" "${orphan%.kept}.rec"
    rec=$(kept_of 1)                                      # the .kept edited
    # A byte flipped: writing a fixed one (0x55) was no edit in the run in
    # 256 where the byte was 0x55 already, and the record was trusted.
    /usr/bin/python3 - "$rec" <<'PY'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(200)
    b = f.read(1)[0]
    f.seek(200)
    f.write(bytes([b ^ 0xFF]))
PY
    cp "$(kept_of 2 2)" "$(kept_of 2)"                    # another entry's .kept
    rec=$(kept_of 3)                                      # a link where the .kept goes
    mv "$rec" "$t/genuine"
    ln -s "$t/genuine" "$rec"
    chown 65534:65534 "$(kept_of 4)"                      # another user's
    cfg c3 cache
    run c3
    log_lines 4 "big.bin: delta base: an older version in the node's cache, read and hashed (no hashes kept)"
    [ "$(report_total delta_saved_bytes)" = $((4 * 63 * CH)) ] || fail "the entries were not read: $(cat "$t/log")"
    [ ! -e "$orphan" ] || fail "$orphan outlived its entry: $(ls -la "$(node 1)/cache")"
}
scenario "lying cache records (edited; another entry's; a link; another owner's): ignored, the entry read; an orphan .kept removed" lies

lie_trusted() {
    local i
    # Chunk 10 back to the first version's bytes, chunk 30 new: the first
    # version's hashes, taken as the last entry's, offer chunk 10 with the
    # source's hash while the entry holds other bytes there.
    dd if="$t/v0.bin" of="$t/src/big.bin" bs=$CH skip=10 seek=10 count=1 conv=notrunc status=none
    change "$t/src/big.bin" 30
    for i in 1 2 3 4; do cp "$(kept_of $i '$')" "$(kept_of $i)"; done   # the oldest: the first version's
    cfg c4 cache
    MPIFT_TEST_KEPT_LIE=1 run c4
    log_lines 4 "$CACHED"
    log_lines 4 "big.bin: chunk 10 was to be taken from what this node held of the file, which no longer holds it"
    # Every copy over its older version was dropped, and sent again whole.
    [ "$(report_total delta_saved_bytes)" = 0 ] || fail "delta_saved_bytes $(report_total delta_saved_bytes): $(cat "$t/log")"
}
scenario "a .kept that lies and is trusted (test fault): the kept chunk fails its check, no wrong copy" lie_trusted

# The same lie, and the kept chunk's bytes taken although they do not
# hash as the KEEP frame says (MPIFT_TEST_COLLIDE: bytes crafted to
# collide in XXH3-64, which the writer's check and the copy's checksum,
# made of chunk hashes, both pass).  The file is keyed (cache.dir): the
# copy's XXH3-128 is not its key, so it is dropped and sent again whole.
collide() {
    local i
    change "$t/src/big.bin" 10                            # the entry of c5 holds other bytes at chunk 10
    cfg c5 cache
    run c5
    dd if="$t/v0.bin" of="$t/src/big.bin" bs=$CH skip=10 seek=10 count=1 conv=notrunc status=none
    change "$t/src/big.bin" 31
    for i in 1 2 3 4; do cp "$(kept_of $i '$')" "$(kept_of $i)"; done   # the first version's hashes
    cfg c6 cache
    MPIFT_TEST_KEPT_LIE=1 MPIFT_TEST_COLLIDE=1 run c6
    log_lines 4 "$CACHED"
    log_lines 4 "big.bin: its content is not its key (XXH3-128), though every chunk's XXH3-64 agreed"
    [ "$(report_total delta_saved_bytes)" = 0 ] || fail "delta_saved_bytes $(report_total delta_saved_bytes): $(cat "$t/log")"
}
scenario "a kept chunk whose bytes collide in XXH3-64 (test fault): the keyed copy's XXH3-128 drops it" collide

# A keyed copy over a base damaged on its way (MPIFT_TEST_CORRUPT: each
# writer flips a byte of its first chunk received) is told as what it
# is, a checksum mismatch, and sent again: the key is checked last, so
# ordinary damage is never reported as a collision.
damaged() {
    cfg c7 cache
    run c7
    change "$t/src/big.bin" 0   # the first chunk (the one damaged) is sent
    cfg c8 cache
    MPIFT_TEST_CORRUPT=1 run c8
    log_lines 4 "$CACHED"
    log_lines 4 "big.bin: checksum mismatch (xxh3 "
    log_lines 0 "its content is not its key"
}
scenario "a keyed copy over a base damaged on its way: a checksum mismatch, not a collision" damaged

no_cache() {
    local i h
    cfg n
    run n
    change "$t/src/big.bin" 40
    # What a build of the dest-side record left: swept as a dead
    # temporary, never read.
    h=$(/usr/bin/python3 -c 'print("%016x" % 0)')
    for i in 1 2 3 4; do head -c 600 /dev/urandom >"$(node $i)/n/.mpift-$h-kept.tmp"; done
    run n
    log_lines 4 "big.bin: delta base: the older version here, read and hashed (no older version in the node's cache"
    [ "$(report_total delta_saved_bytes)" = $((4 * 63 * CH)) ] || fail "delta_saved_bytes $(report_total delta_saved_bytes)"
}
scenario "without cache.dir the older copy at the same path is read; a dest record left by an older build is swept" no_cache
