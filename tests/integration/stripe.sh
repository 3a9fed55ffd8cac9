#!/bin/bash
# Shared-source striping (paths.source_shared, stage/source_shared.h,
# engine/stripe.h) across 3 fake nodes x 2 ranks, the source in a folder
# every fake node sees (the real file system: shared) unless
# MPIFT_FAKE_BIND shows one node something else there.  Every node's copy
# is compared byte for byte with the source.
#  - auto, shared: --verbose says it stripes over 3 leaders; files of 0
#    bytes, below a chunk, not a chunk multiple, many chunks, all whole;
#  - auto, one node cannot see the source (an empty folder over it):
#    --verbose names the node, the file and why; rank 0 sends; all whole;
#  - auto, one node sees another file of the same size and mtime: the
#    sampled digest differs, so no striping, and every copy is rank 0's;
#  - yes, one node cannot read: each big file fails naming the node and
#    the file (exit 1), the small ones arrive, no node holds a big one;
#  - a stripe reader's file changes while it reads (only on its node):
#    rank 0's own read of that stripe differs, so the stripe is refused
#    naming that node, no copy is kept, and the file is sent again from
#    rank 0 alone: every node holds the source whole;
#  - a node's view of a file replaced after the agreement (a rename over
#    it: the reader reads the open it judged), rewritten in place with its
#    mtime put back (only rank 0's comparison can tell), or a look-alike
#    from the start (same size, mtime and sampled windows, other bytes
#    between them): every node holds the source whole, the report's xxh3
#    is the source's, and a run on the real source finds every copy right;
#    with transfer.retries = 0 and no checksum the look-alike's file fails
#    naming the node and no node holds a copy;
#  - the shared file changes while a stripe reader reads: sent again, and
#    every node holds the new version whole;
#  - no: never striped (no leader reads: rank 4, told to stop in its
#    stripe, never does), all whole;
#  - with transfer.compress = "zstd", auto sends a file that compresses
#    well (a sample to under 60%) compressed from rank 0 and stripes the
#    others, whose chunks travel whole: every copy byte-exact;
#  - a list of candidates that arrives cut short on every rank while one
#    rank finds no memory to decode it (MPIFT_TEST_BAD_CANDS): every rank
#    leaves the agreement together (no wait for the watchdog, set to
#    10 s), nothing striped, all byte-exact.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" fakenodes=3x2 timeout=120
plan 14

chunk=$((64 * 1024))
mkdir -p "$t/src/data" "$t/empty" "$t/other/data"
: >"$t/src/data/zero.dat"
head -c $((chunk / 3)) /dev/urandom >"$t/src/data/small.dat"
head -c $((chunk * 5 + 123)) /dev/urandom >"$t/src/data/odd.dat"
head -c $((chunk * 40)) /dev/urandom >"$t/src/data/many.dat"
head -c $((chunk * 40)) /dev/urandom >"$t/new.dat"
cp -p "$t/src/data/many.dat" "$t/many.orig"

# cfg NAME SHARED RETRIES
cfg() {
    cat >"$t/$1.cfg" <<CFG
version = 1;
paths: { source = "$t/src"; dest = "$FAKE_SCRATCH/stage"; source_shared = "$2"; };
transfer: { chunk_size = "64K"; window = 8; retries = $3; };
stage_in = ( { src = "data/"; dest = ""; recursive = true; preserve = true; } );
CFG
}
cfg auto auto 2
cfg yes yes 0
cfg no no 2

# run CFG [MPIFT_TEST_* ...]: a fresh stage-in, --verbose, --report;
# rc, log, err, report.json in $t.  rerun: the same over the copies there.
run() {
    fakenodes_clear stage
    rerun "$@"
}
rerun() {
    local c=$1 rc=0
    shift
    rm -f "$t/report.json"
    (
        # shellcheck disable=SC2163  # VAR=VALUE words, exported as given
        [ $# = 0 ] || export "$@"
        fakenodes_mpirun 6 "$stage" --module "$faults" --config "$t/$c.cfg" --verbose --report "$t/report.json" \
            >"$t/log" 2>"$t/err"
    ) || rc=$?
    echo "$rc" >"$t/rc"
    [ ! -e "$t/report.json" ] || check_report "$t/report.json"
}

# whole FILE...: every node holds each FILE (below data/) as the source has it
whole() {
    local h f
    for h in $FAKE_HOSTS; do
        for f; do
            cmp -s "$t/src/data/$f" "$FAKE_NODEDIR/$h/stage/$f" || fail "$h: $f differs from the source: $(cat "$t/err")"
        done
    done
}

absent() {
    local h
    for h in $FAKE_HOSTS; do
        [ ! -e "$FAKE_NODEDIR/$h/stage/$1" ] || fail "$h holds $1 although it failed"
    done
    no_temporaries "temporary files left" "$FAKE_NODEDIR"
}

# all_staged CFG [VAR=VALUE...]: run exits 0, every file whole on every node
all_staged() {
    run "$@"
    [ "$(cat "$t/rc")" = 0 ] || fail "exit $(cat "$t/rc"): $(cat "$t/log" "$t/err")"
    whole zero.dat small.dat odd.dat many.dat
    expect_summary "$t/log" 12 0 0
}

shared_stripes() {
    all_staged auto
    grep -q "source shared: striping 2 files over 3 leaders" "$t/log" ||
        fail "--verbose does not say it stripes: $(cat "$t/log" "$t/err")"
}
scenario "auto, a source every node sees: striped over 3 leaders, 0 B .. 40 chunks byte-exact on every node" shared_stripes

hidden_falls_back() {
    all_staged auto MPIFT_FAKE_BIND="mpift-node3:$t/empty:$t/src"
    grep -q "source not shared: rank 0 reads and sends 2 of 2 files (mpift-node3 cannot read $t/src/data/[a-z]*.dat: No such file or directory)" "$t/log" ||
        fail "--verbose does not say why it does not stripe: $(cat "$t/log" "$t/err")"
    ! grep -q "striping" "$t/log" || fail "it stripes although mpift-node3 cannot read: $(cat "$t/log")"
}
scenario "auto, one node cannot see the source: --verbose names node and file, rank 0 sends, all byte-exact" hidden_falls_back

other_file_not_striped() {
    # Same names, sizes and mtimes on mpift-node2; other bytes in many.dat.
    cp -p "$t/src/data/"* "$t/other/data/"
    cp "$t/new.dat" "$t/other/data/many.dat"
    touch -r "$t/src/data/many.dat" "$t/other/data/many.dat"
    all_staged auto MPIFT_FAKE_BIND="mpift-node2:$t/other:$t/src"
    grep -q "source not shared: rank 0 reads and sends 1 of 2 files (mpift-node2 cannot read $t/src/data/many.dat: it has other contents there (a sample's digest differs))" "$t/log" ||
        fail "--verbose does not say the node sees another file: $(cat "$t/log" "$t/err")"
    grep -q "source shared: striping the other 1 over 3 leaders" "$t/log" || fail "odd.dat is not striped: $(cat "$t/log")"
}
scenario "auto, one node sees another file of the same size and mtime: not striped, every copy is rank 0's" other_file_not_striped

yes_unreadable_fails() {
    run yes MPIFT_FAKE_BIND="mpift-node3:$t/empty:$t/src"
    [ "$(cat "$t/rc")" = 1 ] || fail "exit $(cat "$t/rc"), expected 1: $(cat "$t/log" "$t/err")"
    for f in odd.dat many.dat; do
        grep -q "mpift-node1 (rank 0): $t/src/data/$f: mpift-node3 (rank 4) cannot read it: No such file or directory; with paths.source_shared = \"yes\" ($t/yes.cfg) every node must" "$t/err" ||
            fail "$f: the failure does not name the node and the file: $(cat "$t/err")"
        absent "$f"
    done
    whole zero.dat small.dat
    expect_summary "$t/log" 6 0 6
}
scenario "yes, one node cannot read: each big file fails naming node and file (exit 1), small files arrive" yes_unreadable_fails

# during ACTION CFG [VAR=VALUE...]: run CFG in the background, one of
# whose ranks pauses (an MPIFT_TEST_PAUSE* switch among the VARs, with
# MPIFT_TEST_PAUSE_FILE); once it has, ACTION runs, and the run goes on.
during() {
    local action=$1 pid
    shift
    rm -f "$t/pause" "$t/paused"
    run "$@" MPIFT_TEST_PAUSE_FILE="$t/pause" &
    pid=$!
    if wait_paused "$pid" "$t/pause"; then
        eval "$action" || fail "could not change the source: $action"
        rm -f "$t/pause"
        echo paused >"$t/paused"
    fi
    wait "$pid"
    [ -e "$t/paused" ] || fail "no rank paused where it should (exit $(cat "$t/rc")): $(cat "$t/log" "$t/err")"
}

# paused_run CFG SRC ACTION [VAR=VALUE...]: the old many.dat in SRC; rank 4
# (mpift-node3's leader) stops at chunk 5, one of its own stripe, ACTION
# runs, rank 4 reads on.
paused_run() {
    local c=$1 src=$2 action=$3
    shift 3
    cp -p "$t/many.orig" "$t/src/data/many.dat"
    [ "$src" = "$t/src" ] || cp -p "$t/src/data/"* "$src/data/"
    during "$action" "$c" MPIFT_TEST_PAUSE=4:5:60 "$@"
}

reader_change_refused() {
    paused_run auto "$t/other" 'dd if="$t/new.dat" of="$t/other/data/many.dat" bs=64K conv=notrunc status=none' \
        MPIFT_FAKE_BIND="mpift-node3:$t/other:$t/src"
    [ "$(cat "$t/rc")" = 0 ] || fail "exit $(cat "$t/rc"), expected 0: $(cat "$t/log" "$t/err")"
    grep -q "mpift-node1 (rank 0): $t/src/data/many.dat: the stripe mpift-node3 (rank 4) read is not the file rank 0 reads (chunk [0-9]*, at byte [0-9]*, differs): that node holds another file at this path; no copy was kept; re-sending from rank 0 alone (attempt 2 of 3)$" "$t/err" ||
        fail "the refused stripe does not name the node where it changed: $(cat "$t/err")"
    whole zero.dat small.dat odd.dat many.dat
}
scenario "a stripe reader's own view changes mid-read: its stripe refused naming that node, sent from rank 0, all whole" reader_change_refused

# xxh3 FILE: the XXH3-64 of FILE in hex, from the library mpift uses.
xxh3() {
    /usr/bin/python3 - "$1" <<'PY'
import ctypes, sys
lib = ctypes.CDLL("libxxhash.so.0")
lib.XXH3_64bits.restype = ctypes.c_uint64
lib.XXH3_64bits.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
data = open(sys.argv[1], "rb").read()
print("%016x" % lib.XXH3_64bits(data, len(data)))
PY
}

# proven: every node holds the source whole, the report calls the
# source's xxh3 many.dat's, and a run on the real source (no node sees
# another file) leaves every copy as it is, right.
proven() {
    local want got
    whole zero.dat small.dat odd.dat many.dat
    want=$(xxh3 "$t/src/data/many.dat")
    got=$(python3 -c 'import json, sys; print([f["xxh3"] for f in json.load(open(sys.argv[1]))["files"] if f["path"] == "many.dat"][0])' "$t/report.json") ||
        fail "no report of many.dat: $(cat "$t/report.json" "$t/err")"
    [ "$got" = "$want" ] || fail "the report's xxh3 of many.dat is $got, the source's is $want"
    rerun auto
    [ "$(cat "$t/rc")" = 0 ] || fail "the run on the real source: exit $(cat "$t/rc"): $(cat "$t/log" "$t/err")"
    whole zero.dat small.dat odd.dat many.dat
    expect_summary "$t/log" 0 12 0
}

# same_view: the old many.dat in $t/src, and the same files in $t/other.
same_view() {
    cp -p "$t/many.orig" "$t/src/data/many.dat"
    rm -f "$t/other/data/"*
    cp -p "$t/src/data/"* "$t/other/data/"
}

# agreed_run ACTION: the real source in $t/src and on mpift-node3 in
# $t/other (the same files); rank 0 stops once the striping agreement is
# made (so mpift-node3 has judged many.dat the same), ACTION runs, and the
# run goes on.
agreed_run() {
    same_view
    during "$1" auto MPIFT_TEST_PAUSE_AFTER_SHARED=60 MPIFT_FAKE_BIND="mpift-node3:$t/other:$t/src"
    [ "$(cat "$t/rc")" = 0 ] || fail "exit $(cat "$t/rc"), expected 0: $(cat "$t/log" "$t/err")"
    grep -q "source shared: striping 2 files over 3 leaders" "$t/log" || fail "not striped: $(cat "$t/log" "$t/err")"
}

swapped_after_agreement() {
    # Another file of the same size and mtime renamed over it on mpift-node3.
    agreed_run 'cp "$t/new.dat" "$t/other/data/.swap" && touch -r "$t/many.orig" "$t/other/data/.swap" &&
                mv "$t/other/data/.swap" "$t/other/data/many.dat"'
    cmp -s "$t/new.dat" "$t/other/data/many.dat" || fail "the test did not swap mpift-node3's many.dat"
    proven
}
scenario "a node's view replaced after the agreement: its reader reads what it judged, every copy the source's" swapped_after_agreement

rewritten_after_agreement() {
    # Same file on mpift-node3, other bytes written into it, mtime put back.
    agreed_run 'dd if="$t/new.dat" of="$t/other/data/many.dat" bs=64K conv=notrunc status=none &&
                touch -r "$t/many.orig" "$t/other/data/many.dat"'
    whole zero.dat small.dat odd.dat many.dat
    grep -q "$t/src/data/many.dat: the stripe mpift-node3 (rank 4) read is not the file rank 0 reads (chunk 2, at byte 131072, differs): that node holds another file at this path; no copy was kept; re-sending from rank 0 alone (attempt 2 of 3)$" "$t/err" ||
        fail "the refused stripe is not named: $(cat "$t/err")"
    proven
}
scenario "a node's file rewritten in place after the agreement, mtime put back: stripe refused, every copy the source's" rewritten_after_agreement

# A look-alike of many.dat: new.dat's bytes but many.dat's at the sampled
# windows (stage/source_shared.c: 64 KiB at the start, the middle, the
# end: chunks 0, 20 and 39 of 40), its size and its mtime.
lookalike() {
    local c
    cp "$t/new.dat" "$1"
    for c in 0 20 39; do
        dd if="$t/many.orig" of="$1" bs=64K skip=$c seek=$c count=1 conv=notrunc status=none
    done
    touch -r "$t/many.orig" "$1"
}

lookalike_refused() {
    same_view
    lookalike "$t/other/data/many.dat"
    ! cmp -s "$t/src/data/many.dat" "$t/other/data/many.dat" || fail "the look-alike is the file"
    run auto MPIFT_FAKE_BIND="mpift-node3:$t/other:$t/src"
    [ "$(cat "$t/rc")" = 0 ] || fail "exit $(cat "$t/rc"), expected 0: $(cat "$t/log" "$t/err")"
    grep -q "source shared: striping 2 files over 3 leaders" "$t/log" || fail "the look-alike was not striped: $(cat "$t/log")"
    whole zero.dat small.dat odd.dat many.dat
    grep -q "$t/src/data/many.dat: the stripe mpift-node3 (rank 4) read is not the file rank 0 reads (chunk 2, at byte 131072, differs): that node holds another file at this path; no copy was kept; re-sending from rank 0 alone (attempt 2 of 3)$" "$t/err" ||
        fail "the refused stripe is not named: $(cat "$t/err")"
    proven
}
scenario "a look-alike on one node from the start: its stripe refused naming the node, every copy the source's" lookalike_refused

lookalike_no_retry() {
    # No digest to catch it either: only the origin's comparison can.
    sed 's/retries = 0;/retries = 0; checksum = "none";/' "$t/yes.cfg" >"$t/nosum.cfg"
    run nosum MPIFT_FAKE_BIND="mpift-node3:$t/other:$t/src"
    [ "$(cat "$t/rc")" = 1 ] || fail "exit $(cat "$t/rc"), expected 1: $(cat "$t/log" "$t/err")"
    grep -q "$t/src/data/many.dat: the stripe mpift-node3 (rank 4) read is not the file rank 0 reads .*: not staged; with transfer.retries of 1 or more it is sent again from rank 0 alone" "$t/err" ||
        fail "the failure does not name the node: $(cat "$t/err")"
    absent many.dat
    whole zero.dat small.dat odd.dat
    rerun auto
    [ "$(cat "$t/rc")" = 0 ] || fail "the run on the real source: exit $(cat "$t/rc"): $(cat "$t/log" "$t/err")"
    whole zero.dat small.dat odd.dat many.dat
}
scenario "the look-alike, retries = 0, checksum = none: the file fails naming the node, no node holds a copy" lookalike_no_retry

shared_change_resent() {
    paused_run auto "$t/src" 'dd if="$t/new.dat" of="$t/src/data/many.dat" bs=64K conv=notrunc status=none'
    [ "$(cat "$t/rc")" = 0 ] || fail "exit $(cat "$t/rc"), expected 0: $(cat "$t/log" "$t/err")"
    grep -q "$t/src/data/many.dat: changed while being staged.*; re-sending (attempt 2 of 3)" "$t/err" ||
        fail "the change is not named: $(cat "$t/err")"
    cmp -s "$t/new.dat" "$t/src/data/many.dat" || fail "the test did not rewrite many.dat"
    whole zero.dat small.dat odd.dat many.dat
}
scenario "the shared source changes while a stripe reader reads: sent again, every node holds the new version whole" shared_change_resent

no_never_stripes() {
    rm -f "$t/pause"
    all_staged no MPIFT_TEST_PAUSE=4:5:5 MPIFT_TEST_PAUSE_FILE="$t/pause"
    [ ! -e "$t/pause" ] || fail "rank 4 read a stripe although paths.source_shared = \"no\""
    ! grep -q "source shared" "$t/log" || fail "--verbose speaks of striping with \"no\": $(cat "$t/log")"
}
scenario "no: never striped although every node sees the source; all byte-exact" no_never_stripes

compressed_setting() {
    needs_codec zstd
    seq 1 400000 >"$t/src/data/text.dat"   # about 2.6 MB of digits: compressible
    sed 's/retries = 2;/retries = 2; compress = "zstd";/' "$t/auto.cfg" >"$t/zstd.cfg"
    run zstd
    [ "$(cat "$t/rc")" = 0 ] || fail "exit $(cat "$t/rc"): $(cat "$t/log" "$t/err")"
    grep -q "source shared, but 1 file compresses well (a sample to under 60% with transfer.compress): rank 0 sends it compressed" "$t/log" ||
        fail "--verbose does not say text.dat goes compressed: $(cat "$t/log" "$t/err")"
    grep -q "source shared: striping 2 files over 3 leaders" "$t/log" || fail "not striped: $(cat "$t/log" "$t/err")"
    whole zero.dat small.dat odd.dat many.dat text.dat
    expect_summary "$t/log" 15 0 0
}
scenario "transfer.compress = zstd: a file that compresses well goes compressed, the others striped, all byte-exact" compressed_setting

# Ranks given different paths.source_shared (a --set on some only) would
# meet different collectives: refused at start, naming the key.
disagree() {
    local rc=0
    fakenodes_clear stage
    fakenodes_mpirun 3 "$stage" --config "$t/auto.cfg" : -n 3 "$stage" --config "$t/auto.cfg" \
        --set paths.source_shared=no >"$t/log" 2>&1 || rc=$?
    [ "$rc" = 2 ] || fail "exit $rc, expected 2 (a configuration error): $(cat "$t/log")"
    grep -q "paths.source_shared differs between ranks" "$t/log" || fail "the mismatch is not named: $(cat "$t/log")"
    absent many.dat
}
scenario "ranks with different paths.source_shared: refused at start (exit 2), the key named, nothing staged" disagree

bad_list_together() {
    sed 's/retries = 2;/retries = 2; timeout = 10;/' "$t/auto.cfg" >"$t/short.cfg"
    grep -q "timeout = 10;" "$t/short.cfg" || fail "no timeout in $t/short.cfg"
    run short MPIFT_TEST_BAD_CANDS=3
    [ "$(cat "$t/rc")" = 0 ] || fail "exit $(cat "$t/rc"): $(cat "$t/log" "$t/err")"
    whole zero.dat small.dat odd.dat many.dat
    grep -q "source shared: not striping (the list of files did not arrive whole: " "$t/log" ||
        fail "--verbose does not say the list was bad: $(cat "$t/log" "$t/err")"
    ! grep -q "striping 2 files\|striping the other" "$t/log" || fail "it stripes a bad list: $(cat "$t/log")"
}
scenario "a bad list of candidates, one rank short of memory for it: all leave the agreement together, all byte-exact" \
    bad_list_together
