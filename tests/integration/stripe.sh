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
#    every node holds the new version whole.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" fakenodes=3x2 timeout=120
plan 6

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
cfg auto0 auto 0

# run CFG [MPIFT_TEST_* ...]: a fresh stage-in, --verbose; rc, log, err in $t
run() {
    local c=$1 rc=0
    shift
    fakenodes_clear stage
    (
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

shared_stripes() {
    run auto
    [ "$(cat "$t/rc")" = 0 ] || fail "exit $(cat "$t/rc"): $(cat "$t/log" "$t/err")"
    grep -q "source shared: striping 2 files over 3 leaders" "$t/log" "$t/err" ||
        fail "--verbose does not say it stripes: $(cat "$t/log" "$t/err")"
    whole zero.dat small.dat odd.dat many.dat
    expect_summary "$t/log" 12 0 0
}
scenario "auto, a source every node sees: striped over 3 leaders, 0 B .. 40 chunks byte-exact on every node" shared_stripes
