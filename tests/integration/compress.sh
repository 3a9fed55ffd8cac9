#!/bin/bash
# transfer.compress on 3 local ranks (a pipeline: rank 1 relays to rank 2)
# and on a tree of 4: every setting gives byte-exact copies of CSV-like
# text, random data, a file of text and random chunks (its random chunk
# would grow: it goes as it is), an empty file, a small batched one and
# sizes that are not chunk multiples; --report's wire_bytes shows what
# went on the wire (none: the bytes; random data: never more); auto
# over a slow link (MPIFT_TEST_ZIP_LINK) compresses the text and sends the
# random data as it is, over a fast one sends all as it is, and
# --verbose says so per file; compressed chunks damaged by the sender
# (MPIFT_TEST_CORRUPT_COMPRESSED) are refused by every writer and re-sent,
# or, damaged every time, fail that file alone with nothing at its path;
# a value that is not a codec, a codec the build lacks, and ranks that
# disagree, are refused.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" mpirun python3 timeout=120
plan 10

mkdir -p "$t/src/data"
python3 - "$t/src/data" <<'PY' || fail "cannot make the test data"
import os, random, sys
d = sys.argv[1]
rnd = random.Random(15)
def csv(n):
    out, size = [], 0
    while size < n:
        line = "%d,sensor-%02d,%d.%03d,%s\n" % (rnd.randrange(100000), rnd.randrange(40), rnd.randrange(1000),
                                               rnd.randrange(1000), rnd.choice(("ok", "ok", "warn")))
        out.append(line)
        size += len(line)
    return "".join(out).encode()[:n]
open(os.path.join(d, "text.csv"), "wb").write(csv(3 * 2**20 + 13))
open(os.path.join(d, "odd.csv"), "wb").write(csv(1000003))
open(os.path.join(d, "random.bin"), "wb").write(os.urandom(3 * 2**20))
open(os.path.join(d, "mixed.dat"), "wb").write(csv(2**20) + os.urandom(2**20) + csv(300000))
open(os.path.join(d, "small.txt"), "wb").write(csv(100))
open(os.path.join(d, "empty.dat"), "wb").write(b"")
PY
nfiles=$(count_files "$t/src/data")

# cfg FILE DEST TRANSFER [WORKERS]: stage data/ into DEST, per-rank
# copies, 1 MiB chunks unless TRANSFER says otherwise.
cfg() {
    cat >"$1" <<CFG
version = 1;
paths: { source = "$t/src"; dest = "$2"; };
transfer: { chunk_size = "1M"; window = 4; $3 };
workers: { copies = "per-rank"; ${4:-} };
stage_in = ( { src = "data/"; dest = ""; recursive = true; } );
CFG
}


# check_wire REPORT SETTING: each file's wire_bytes against its bytes.
check_wire() {
    check_report "$1"
    python3 - "$1" "$2" <<'PY' || fail "$2: wire bytes in the report: $(cat "$1")"
import json, sys
d = json.load(open(sys.argv[1])); how = sys.argv[2]
f = {x["path"]: x for x in d["files"]}
w = {p: x["wire_bytes"] for p, x in f.items()}
b = {p: x["bytes"] for p, x in f.items()}
assert d["totals"]["wire_bytes"] == sum(w.values()), (d["totals"], w)
assert w["empty.dat"] == 0 and w["small.txt"] == b["small.txt"], w        # a batch: as it is
assert w["random.bin"] == b["random.bin"], (how, w)                       # never bigger
if how == "none":
    assert w == b, (w, b)
elif how == "auto":
    # auto as it measures this machine's shared-memory links and load:
    # compress or not, never more than the file
    assert all(w[p] <= b[p] for p in w), (how, w, b)
elif how == "fast":
    assert w == b, (how, w, b)
else:
    # (the 13-byte tail of text.csv cannot shrink: it goes as it is)
    assert w["text.csv"] < b["text.csv"] * 0.8 and w["odd.csv"] < b["odd.csv"] * 0.8, (how, w, b)
    # the random MiB of mixed.dat went as it is, its text compressed
    assert 2**20 < w["mixed.dat"] < b["mixed.dat"] - 2**20 // 4, (how, w, b)
    if how in ("zstd", "slow"):
        assert w["text.csv"] < b["text.csv"] / 2, (how, w, b)
print(how, w)
PY
}

# round_trip SETTING: 3 ranks, every copy byte-exact, wire bytes as expected.
round_trip() {
    local how=$1 r
    [ "$how" = none ] || needs_codec "$how"
    rm -rf "$t/rt"
    cfg "$t/rt.cfg" "$t/rt/%r" "compress = \"$how\";"
    mpift_mpirun -n 3 "$stage" --config "$t/rt.cfg" --verbose --report "$t/$how.json" >"$t/$how.log" 2>&1 ||
        fail "compress = $how: $(cat "$t/$how.log")"
    for r in 0 1 2; do
        compare_tree "$t/src/data" "$t/rt/$r" || fail "compress = $how: rank $r's copy differs"
    done
    expect_summary "$t/$how.log" $((nfiles * 3)) 0 0
    check_wire "$t/$how.json" "$how"
}
scenario "compress = none: byte-exact copies, wire bytes = file bytes" round_trip none
scenario "compress = lz4: byte-exact copies, text shrinks, random data never grows" round_trip lz4
scenario "compress = zstd: byte-exact copies, text to under half, random data never grows" round_trip zstd
scenario "compress = auto: byte-exact copies through a relay" round_trip auto

# at_link NAME RATE: auto over a link taken for RATE wire bytes/s (0:
# faster than the source; MPIFT_TEST_ZIP_LINK), 3 ranks, byte-exact.
at_link() {
    local r
    needs_codec auto
    rm -rf "$t/$1"
    cfg "$t/$1.cfg" "$t/$1/%r" 'compress = "auto";'
    MPIFT_TEST_ZIP_LINK=$2 mpift_mpirun -n 3 "$stage" --module "$faults" --config "$t/$1.cfg" --verbose \
        --report "$t/$1.json" >"$t/$1.log" 2>&1 || fail "auto at $2 B/s: $(cat "$t/$1.log")"
    for r in 0 1 2; do
        compare_tree "$t/src/data" "$t/$1/$r" || fail "auto at $2 B/s: rank $r's copy differs"
    done
    check_wire "$t/$1.json" "$1"
}

# auto's decision, per file, in --verbose (the report's numbers are
# checked too): over a 1 MB/s link the text is compressed (zstd, at a
# level worth the link's time), the random data goes as it is.
auto_says() {
    at_link slow 1000000
    grep -q "random.bin: 3145728 bytes sent as they are (it did not shrink)" "$t/slow.log" ||
        fail "auto's choice for random data not said: $(cat "$t/slow.log")"
    grep -Eq "text.csv: 3145741 bytes sent as [0-9]+ \([0-9]+%\), 3 of its chunks compressed, zstd level [136]" \
        "$t/slow.log" || fail "auto's choice for text not said: $(cat "$t/slow.log")"
}
scenario "auto over a slow link compresses text, sends random data as it is, and --verbose says so" auto_says

# A link faster than the source: compressing can only cost time, every
# file goes as it is and --verbose says why.
auto_fast() {
    at_link fast 0
    grep -q "text.csv: 3145741 bytes sent as they are (compressing would cost more time than it saves)" \
        "$t/fast.log" || fail "auto's choice at a fast link not said: $(cat "$t/fast.log")"
    ! grep -q "chunks compressed" "$t/fast.log" || fail "auto compressed at a fast link: $(cat "$t/fast.log")"
}
scenario "auto over a link faster than the source sends every file as it is, and says why" auto_fast

# A tree of 4 (fanout 2, 64 KiB chunks over both trees): relays pass the
# frames on unchanged.
tree() {
    local r
    needs_codec auto
    rm -rf "$t/tr"
    cfg "$t/tr.cfg" "$t/tr/%r" 'compress = "auto";' 'policy = "tree"; fanout = 2;'
    sed -i 's/chunk_size = "1M"/chunk_size = "64K"/' "$t/tr.cfg"
    # a slow link (MPIFT_TEST_ZIP_LINK): auto compresses, whatever the load
    MPIFT_TEST_ZIP_LINK=1000000 mpift_mpirun -n 4 "$stage" --module "$faults" --config "$t/tr.cfg" --verbose \
        --report "$t/tr.json" >"$t/log" 2>&1 ||
        fail "tree: $(cat "$t/log")"
    grep "bytes sent as" "$t/log"   # what auto chose, in the test's log
    for r in 0 1 2 3; do
        compare_tree "$t/src/data" "$t/tr/$r" || fail "tree: rank $r's copy differs"
    done
    check_wire "$t/tr.json" tree
}
scenario "tree policy (fanout 2, 4 ranks): compressed chunks relayed, copies byte-exact" tree

# damaged DIR CODEC TIMES RETRIES: stage into $t/DIR, the source damaging
# its first TIMES compressed chunks; rc = the job's exit status.
damaged() {
    rc=0
    rm -rf "${t:?}/$1"
    cfg "$t/$1.cfg" "$t/$1/%r" "compress = \"$2\";"
    # (auto over a slow link: it compresses from the first chunk, whatever the load)
    MPIFT_TEST_ZIP_LINK=1000000 MPIFT_TEST_CORRUPT_COMPRESSED=$3 mpift_mpirun -n 3 "$stage" --module "$faults" \
        --config "$t/$1.cfg" \
        --set "transfer.retries=$4" >"$t/log" 2>"$t/err" || rc=$?
}

# The source damages its first compressed chunk after taking its checksum:
# both writers refuse it (rank 1 passes the frame on as it came), the
# file is re-sent, every copy is right.
corrupt_once() {
    local rc r
    needs_codec auto
    damaged c1 auto 1 2
    [ "$rc" = 0 ] || fail "a damaged compressed chunk with retries: exit $rc: $(cat "$t/log" "$t/err")"
    grep -Eq "chunk 0 from rank [01]: a compressed chunk .* did not decompress|checksum mismatch" "$t/err" ||
        fail "the damaged chunk was not reported: $(cat "$t/err")"
    grep -q "re-sending (attempt 2 of 3)" "$t/err" || fail "no re-send announced: $(cat "$t/err")"
    for r in 0 1 2; do
        compare_tree "$t/src/data" "$t/c1/$r" || fail "rank $r's copy differs after the re-send"
    done
    expect_summary "$t/log" $((nfiles * 3)) 0 0
    no_temporaries "damaged once: temporary files left behind" "$t/c1"
}
scenario "a damaged compressed chunk is refused by every writer and the file re-sent" corrupt_once

# Damaged every time: the compressed files fail on ranks 1 and 2 (exit 1)
# with a message naming them; nothing is at their paths; the rest is there.
corrupt_always() {
    local rc r f
    needs_codec zstd
    damaged ca zstd 100000 1
    [ "$rc" = 1 ] || fail "always damaged: exit $rc, expected 1: $(cat "$t/log" "$t/err")"
    grep -q "text.csv: chunk 0 from rank [01]: a compressed chunk (codec 2, [0-9]* bytes) did not decompress to its 1048576 bytes: damaged" "$t/err" ||
        fail "the failure does not name the file and cause: $(cat "$t/err")"
    compare_tree "$t/src/data" "$t/ca/0" || fail "the source's own copy differs"
    for r in 1 2; do
        for f in text.csv odd.csv mixed.dat; do
            [ ! -e "$t/ca/$r/$f" ] || fail "rank $r: $f reached its path from damaged chunks"
        done
        for f in random.bin small.txt empty.dat; do
            cmp -s "$t/src/data/$f" "$t/ca/$r/$f" || fail "rank $r: $f (never compressed) is missing or differs"
        done
    done
    expect_summary "$t/log" $((nfiles * 3 - 6)) 0 6
    no_temporaries "damaged always: temporary files left behind" "$t/ca"
}
scenario "compressed chunks damaged on every attempt: those files fail, nothing partial is written" corrupt_always

# Not a codec: refused with the choices; ranks that disagree: refused.
refused() {
    local rc=0
    cfg "$t/bad.cfg" "$t/bad/%r" 'compress = "gzip";'
    "$stage" --config "$t/bad.cfg" --check >"$t/log" 2>&1 && fail "compress = gzip accepted: $(cat "$t/log")"
    grep -q 'transfer.compress: "gzip" is not one of "auto", "lz4", "zstd", "none"' "$t/log" ||
        fail "compress = gzip: no clear error: $(cat "$t/log")"
    # a codec this build lacks: refused, naming the package (a build with
    # both, as CI's, accepts both)
    for c in lz4 zstd; do
        "$stage" --config "$top_srcdir/conf/stage.cfg" --check --set "transfer.compress=$c" >"$t/log" 2>&1 ||
            grep -q "\"$c\" is not in this build of mpift: install lib$c (Debian: apt-get install lib$c-dev)" "$t/log" ||
            fail "compress = $c refused without naming its package: $(cat "$t/log")"
    done
    cfg "$t/two.cfg" "$t/two/%r" ''
    mpift_mpirun -n 1 "$stage" --config "$t/two.cfg" --set transfer.compress=none : \
        -n 1 "$stage" --config "$t/two.cfg" >"$t/log" 2>&1 || rc=$?
    [ "$rc" != 0 ] || fail "ranks with different transfer.compress were let through: $(cat "$t/log")"
    grep -q "transfer.compress differs between ranks" "$t/log" || fail "the mismatch is not named: $(cat "$t/log")"
    [ ! -e "$t/two/1/text.csv" ] || fail "a file was sent although the ranks disagree"
}
scenario "compress = \"gzip\", a codec not built in, ranks that disagree: refused with a clear error" refused
