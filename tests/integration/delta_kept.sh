#!/bin/bash
# Kept chunk hashes and the cache as a delta base (docs/resume.md).  5 fake
# nodes x 1 slot, a 16 MiB file in 256 KiB chunks (64).  A copy's chunk
# hashes are kept beside it (".mpift-<hash>-kept.tmp") when it is
# committed; the next delta of that path offers them without reading the
# older copy (--verbose says so).  Hostile: on each of the 4 writers a
# different lie (the copy's bytes changed with its mtime put back, the
# record edited, another file's record, a link where the record goes): each
# is ignored, the older copy is read, every copy is right.  A record that
# lies as no user can make one (MPIFT_TEST_KEPT_LIE: bytes changed under
# an identity taken as unchanged) yields no wrong copy either: the kept
# chunk fails the writer's check and the file is sent again whole.  With
# cache.dir, a new dest takes an older version from the node's cache,
# from the hashes kept with its entry.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" fakenodes=5x1 python3 timeout=600
plan 4

MiB=$((1024 * 1024))
CH=$((256 * 1024))
mkdir -p "$t/src"
head -c $((16 * MiB)) /dev/urandom >"$t/src/big.bin"
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

# run DEST: stage, every copy compared, report in $t/rep.json
run() {
    local i
    rm -f "$t/rep.json"
    fakenodes_mpirun 5 "$stage" --module "$faults" --config "$t/k.cfg" --report "$t/rep.json" --verbose \
        >"$t/log" 2>&1 || fail "the run failed: $(cat "$t/log")"
    for i in 0 1 2 3 4; do
        cmp "$t/src/big.bin" "$(node $i)/$1/big.bin" || fail "the copy on ${fake_host[$i]} differs: $(cat "$t/log")"
    done
    check_report "$t/rep.json"
}

# change FILE K: rewrite 4 KiB inside chunk K of FILE; with "keep-mtime"
# as $3, its mtime is put back (its ctime moves all the same)
change() {
    /usr/bin/python3 - "$1" "$2" "${3:-}" <<'PY'
import os, sys
path, k, keep = sys.argv[1], int(sys.argv[2]), sys.argv[3]
st = os.stat(path)
if keep:
    os.chmod(path, 0o600)
with open(path, "r+b") as f:
    f.seek(k * 256 * 1024 + 100)
    f.write(os.urandom(4096))
if keep:
    os.chmod(path, st.st_mode & 0o7777)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
PY
}

total() {
    /usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["totals"][sys.argv[2]])' "$t/rep.json" "$1"
}

# lines N TEXT: the log has exactly N lines with TEXT
lines() {
    local n
    n=$(grep -cF -- "$2" "$t/log")
    [ "$n" = "$1" ] || fail "$n lines (expected $1) with: $2: $(cat "$t/log")"
}

kept_of() { find "$(node "$1")/$2" -name '.mpift-*-kept.tmp'; }

kept_used() {
    cfg d
    run d
    [ -n "$(kept_of 1 d)" ] || fail "no kept hashes beside the copy: $(ls -la "$(node 1)/d")"
    change "$t/src/big.bin" 10
    run d
    lines 4 "big.bin: delta base: the older version here, from its kept hashes (not read)"
    [ "$(total delta_saved_bytes)" = $((4 * 63 * CH)) ] || fail "delta_saved_bytes $(total delta_saved_bytes)"
}
scenario "kept hashes: the next delta offers them, the older copy is not read" kept_used

lies() {
    local rec
    cfg d
    change "$t/src/big.bin" 20
    change "$(node 1)/d/big.bin" 30 keep-mtime            # bytes changed, mtime put back
    rec=$(kept_of 2 d)                                    # the record edited
    printf '\x55' | dd of="$rec" bs=1 seek=200 conv=notrunc status=none
    cp "$(kept_of 4 d)" "$(kept_of 3 d)"                  # another file's record
    rec=$(kept_of 4 d)                                    # a link where the record goes
    mv "$rec" "$t/genuine"
    cp "$t/genuine" "$t/genuine.was"
    ln -s "$t/genuine" "$rec"
    run d
    lines 2 "read and hashed (kept hashes not used: the file changed since"
    lines 1 "read and hashed (kept hashes not used: it is cut short, altered"
    lines 1 "read and hashed (kept hashes not used: none is kept (or it is a link"
    cmp "$t/genuine" "$t/genuine.was" || fail "the record a link pointed at was written through it"
    [ ! -L "$rec" ] || fail "the link is still where the record goes"
    [ "$(total delta_saved_bytes)" -gt 0 ] || fail "the older copies were not used: $(cat "$t/log")"
}
scenario "lying records (bytes changed, mtime put back; edited; another file's; a link): ignored, copies right" lies

lie_trusted() {
    local i
    cfg d
    change "$t/src/big.bin" 40
    for i in 1 2 3 4; do change "$(node $i)/d/big.bin" 50 keep-mtime; done
    MPIFT_TEST_KEPT_LIE=1 run d
    lines 4 "from its kept hashes (not read)"
    # Every copy over its older version was dropped, and sent again whole.
    [ "$(total delta_saved_bytes)" = 0 ] || fail "delta_saved_bytes $(total delta_saved_bytes): $(cat "$t/log")"
}
scenario "a record that lies and is trusted (test fault): the kept chunk fails its check, no wrong copy" lie_trusted

from_cache() {
    cfg c1 cache
    run c1
    change "$t/src/big.bin" 60
    cfg c2 cache
    run c2
    lines 4 "big.bin: delta base: an older version in the node's cache, from its kept hashes (not read)"
    [ "$(total delta_saved_bytes)" = $((4 * 63 * CH)) ] || fail "delta_saved_bytes $(total delta_saved_bytes)"
}
scenario "a new dest takes the older version from the node's cache, from the hashes kept with its entry" from_cache
