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
#    the file fails naming that node, no node holds a mixed copy;
#  - the shared file changes while a stripe reader reads: sent again, and
#    every node holds the new version whole;
#  - no: never striped (no leader reads: rank 4, told to stop in its
#    stripe, never does), all whole;
#  - with transfer.compress = "zstd", auto sends a file that compresses
#    well (a sample to under 60%) compressed from rank 0 and stripes the
#    others, whose chunks travel whole: every copy byte-exact.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" fakenodes=3x2 timeout=120
plan 9

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

# run CFG [MPIFT_TEST_* ...]: a fresh stage-in, --verbose; rc, log, err in $t
run() {
    local c=$1 rc=0
    shift
    fakenodes_clear stage
    (
        # shellcheck disable=SC2163  # VAR=VALUE words, exported as given
        [ $# = 0 ] || export "$@"
        fakenodes_mpirun 6 "$stage" --module "$faults" --config "$t/$c.cfg" --verbose >"$t/log" 2>"$t/err"
    ) || rc=$?
    echo "$rc" >"$t/rc"
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
    [ -z "$(find "$FAKE_NODEDIR" -name '.mpift-*')" ] || fail "temporary files left: $(find "$FAKE_NODEDIR" -name '.mpift-*')"
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

# paused_run CFG SRC ACTION [VAR=VALUE...]: the old many.dat in SRC; rank 4
# (mpift-node3's leader) stops at chunk 5, one of its own stripe, ACTION
# runs, rank 4 reads on.
paused_run() {
    local c=$1 src=$2 action=$3 pid
    shift 3
    cp -p "$t/many.orig" "$t/src/data/many.dat"
    [ "$src" = "$t/src" ] || cp -p "$t/src/data/"* "$src/data/"
    rm -f "$t/pause" "$t/paused"
    run "$c" MPIFT_TEST_PAUSE=4:5:60 MPIFT_TEST_PAUSE_FILE="$t/pause" "$@" &
    pid=$!
    if wait_paused "$pid" "$t/pause"; then
        eval "$action" || fail "could not change the source: $action"
        rm -f "$t/pause"
        echo paused >"$t/paused"
    fi
    wait "$pid"
    [ -e "$t/paused" ] || fail "rank 4 never paused in its stripe (exit $(cat "$t/rc")): $(cat "$t/log" "$t/err")"
}

reader_change_fails() {
    paused_run auto "$t/other" 'dd if="$t/new.dat" of="$t/other/data/many.dat" bs=64K conv=notrunc status=none' \
        MPIFT_FAKE_BIND="mpift-node3:$t/other:$t/src"
    [ "$(cat "$t/rc")" = 1 ] || fail "exit $(cat "$t/rc"), expected 1: $(cat "$t/log" "$t/err")"
    grep -q "mpift-node1 (rank 0): mpift-node3: $t/src/data/many.dat: changed while being staged.*: not staged; run again once nothing writes to it$" "$t/err" ||
        fail "the failure does not name the node where it changed: $(cat "$t/err")"
    absent many.dat
    whole zero.dat small.dat odd.dat
}
scenario "a stripe reader's own view changes mid-read: the file fails naming that node, no mixed copy anywhere" reader_change_fails

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
