#!/bin/bash
# When a delta pays, and what a writer does when it does not
# (docs/resume.md, "When it pays"; docs/cache.md).  3 fake nodes x 1
# slot, a 40 MiB file in 256 KiB chunks (160), rank 0 the source, ranks 1
# and 2 the writers, cache.dir set.
#  - Every writer holds the same older version, which shares nothing with
#    the new one: rank 0 compares the offers with the source's own chunk
#    hashes (made as it keys the source, or kept beside its key index when
#    the source did not change) and sends the file whole, no delta taken;
#    each writer is told, and closes its older version.
#  - With about 1% of the chunks changed, the delta is taken.
#  - A writer whose offer was declined makes a resumable copy: killed
#    mid-file, the next run resumes it (moves less than the whole file).
#  - A writer that takes a resume base never looks up the older version
#    in its cache (which may re-hash an entry).
#  - An entry's .kept counts in cache.max_size: a cache whose entries
#    alone fit, but not with their .kept files, evicts one.
#  - A record of chunk hashes that cannot be saved is told (--verbose),
#    naming the folder and the cause.
#  - The temporaries of rank 0's key index and records a killed run
#    left go with the cache's sweep; one a live run holds (flock) stays.
#  - Another job's sweep that meets the temporary of the key index or of
#    a record between its creation and its lock never loses that save.
#  - A stage of small files only (none could take a base) skips the
#    exchange of offers.
#  - A record of chunk hashes cut short, another user's, or a symbolic
#    link is never used nor followed: the source is read again, each copy
#    is right, a link's target is left as it was, another user's file is
#    not written (the new record, renamed over its name, is this user's).
#  - A record whose content rank 0's node does not cache goes with an
#    ordinary run's sweep once unused for MPIFT_KEPT_SOURCE_IDLE (7 days),
#    not before.
#  - Holes are not data a delta spares: an older version of the same
#    shape (32 MiB hole, 8 MiB of other data) is declined.  Without
#    cache.dir, what the writers hold as zeros is never counted as kept:
#    an older version of 32 MiB of zeros and the source's last 8 MiB is
#    declined.
#  - Rank 0's records of its sources' chunk hashes live as long as the
#    cache entry of the same content: counted with it by --cache-list,
#    gone with it (--cache-prune=0), even when its source is deleted.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" fakenodes=3x1 python3 timeout=600
plan 16

MiB=$((1024 * 1024))
CH=$((256 * 1024))
mkdir -p "$t/src"
node() { echo "$FAKE_NODEDIR/${fake_host[$1]}"; }

# fresh: a new source version sharing nothing with the last.  The key
# index records a source at once (MPIFT_TEST_FRESH_SEC=0), not only once
# it is 2 s old (stage/keys.c's FRESH_SEC, which content_keys.sh tests):
# eight 2 s sleeps were a quarter of this script's time.
export MPIFT_TEST_FRESH_SEC=0
fresh() {
    head -c $((40 * MiB)) /dev/urandom >"$t/src/big.bin"
}

# cfg DEST [EXTRA]: into $FAKE_SCRATCH/DEST, the cache on each node
cfg() {
    cat >"$t/p.cfg" <<CFG
version = 1;
paths: { source = "$t/src"; dest = "$FAKE_SCRATCH/$1"; source_shared = "yes"; };
transfer: { chunk_size = "256K"; retries = 1; };
cache: { dir = "$FAKE_SCRATCH/cache"; ${2:-} };
stage_in = ( { src = "big.bin"; dest = ""; } );
CFG
}

# run DEST [NP]: stage on NP ranks (3); each copy equals the source; report in $t/rep.json
run() {
    local i np=${2:-3}
    rm -f "$t/rep.json"
    fakenodes_mpirun "$np" "$stage" --module "$faults" --config "$t/p.cfg" --report "$t/rep.json" --verbose \
        >"$t/log" 2>&1 || fail "the run failed: $(cat "$t/log")"
    for ((i = 0; i < np; i++)); do
        cmp "$t/src/big.bin" "$(node $i)/$1/big.bin" || fail "the copy on ${fake_host[$i]} differs"
    done
    no_temporaries "temporaries left" "$FAKE_NODEDIR"
    check_report "$t/rep.json"
}

# keyed_once DEST: an empty cache, a new source staged into DEST, read
# once by rank 0 to key it; rec is then its one record of chunk hashes.
keyed_once() {
    fakenodes_clear cache
    fresh
    cfg "$1"
    run "$1"
    log_lines 1 "content keys of 1 files: 0 from the index, 1 read"
    rec=$(find "$(node 0)/cache" -maxdepth 1 -name 'index-[0-9]*')
    [ "$(wc -w <<<"$rec")" = 1 ] || fail "not one record on rank 0's node: $(ls -la "$(node 0)/cache")"
}


# the writers' caches as they were after the first job (they hold v0)
snap_writers() { for i in 1 2; do rm -rf "$t/snap$i" && cp -a "$(node $i)/cache" "$t/snap$i"; done; }
restore_writers() { for i in 1 2; do rm -rf "$(node $i)/cache" && cp -a "$t/snap$i" "$(node $i)/cache"; done; }

SHARES_NOTHING="big.bin: its writers hold 0 of its 160 chunks as the source has them: sent whole"
UNSTRIPED="big.bin: a base is taken: sent from rank 0 (what the writers lack), not striped"
DECLINED="big.bin: rank 0 takes no delta for it: the older version is closed, the file comes whole"

unrelated() {
    fresh
    cfg d1
    run d1
    snap_writers
    fresh
    cfg d2
    run d2
    log_lines 2 "big.bin: delta base: an older version in the node's cache, from its kept hashes (not read)"
    [ "$(report_total delta_saved_bytes)" = 0 ] || fail "delta_saved_bytes $(report_total delta_saved_bytes): $(cat "$t/log")"
    [ "$(report_total wire_bytes)" -ge $((40 * MiB)) ] || fail "wire_bytes $(report_total wire_bytes): $(cat "$t/log")"
    # Striped as without a base (source_shared = "yes"), not sent whole
    # from rank 0 (which says how it sent the whole file's bytes).
    log_lines 1 "source shared: striping 1 file over 3 leaders"
    log_lines 0 "$UNSTRIPED"
    log_lines 0 "big.bin: $((40 * MiB)) bytes sent as they are"
    log_lines 1 "$SHARES_NOTHING"
    log_lines 2 "$DECLINED"
    log_lines 1 "what the writers hold already: "
    # Rank 0 keeps the source's chunk hashes beside its index, those of
    # the version the index no longer holds swept.
    [ "$(find "$(node 0)/cache" -maxdepth 1 -name 'index-*' | wc -l)" = 1 ] ||
        fail "not one record of chunk hashes beside rank 0's index: $(ls -la "$(node 0)/cache")"
    # The same again with the source unchanged and its chunk hashes gone
    # (as an older mpift's index): read once more, and kept.
    find "$(node 0)/cache" -maxdepth 1 -name 'index-*' -delete
    fakenodes_clear d2
    restore_writers
    run d2
    log_lines 1 "content keys of 1 files: 0 from the index, 1 read"
    log_lines 1 "$SHARES_NOTHING"
    # And again: its key and chunk hashes from rank 0's index, nothing read.
    fakenodes_clear d2
    restore_writers
    run d2
    log_lines 1 "content keys of 1 files: 1 from the index, 0 read"
    log_lines 1 "$SHARES_NOTHING"
    log_lines 2 "$DECLINED"
    [ "$(report_total delta_saved_bytes)" = 0 ] || fail "delta_saved_bytes $(report_total delta_saved_bytes): $(cat "$t/log")"
}
scenario "every writer holds the same older version, sharing nothing with the source: no delta" unrelated

# two_changed: 4 KiB of chunks 17 and 101 of the source rewritten
two_changed() {
    /usr/bin/python3 - "$t/src/big.bin" <<'PY'
import os, sys
with open(sys.argv[1], "r+b") as f:
    for k in (17, 101):
        f.seek(k * 256 * 1024 + 100)
        f.write(os.urandom(4096))
PY
}

changed() {
    # After the last scenario the writers hold the source as it is.
    two_changed
    cfg d3
    run d3
    log_lines 0 "sent whole"
    log_lines 0 "$DECLINED"
    log_lines 1 "$UNSTRIPED"
    [ "$(report_total delta_saved_bytes)" = $((2 * 158 * CH)) ] ||
        fail "delta_saved_bytes $(report_total delta_saved_bytes): $(cat "$t/log")"
    [ "$(report_total wire_bytes)" -le $((3 * CH)) ] || fail "wire_bytes $(report_total wire_bytes): $(cat "$t/log")"
}
scenario "1% of the chunks changed: the delta is taken" changed

last_moved() {
    # Every writer's delta base is its cache's older entry, found through
    # the name's "last-" record.  Between the offers and the file's turn
    # (rank 1 paused before it places its cache hits, the others wait for
    # it) the records go, as when another job or rank commits the name or
    # the cache goes off: the base is still the entry offered, reopened
    # as it is, not looked up again by name.  Once, it was let go after
    # rank 0 chose to send KEEP frames, and the copy went again whole.
    local a i
    fakenodes_clear cache
    fresh
    cfg d17
    run d17
    two_changed
    cfg d18
    rm -f "$t/rep.json" "$t/pz"
    MPIFT_TEST_PAUSE_BEFORE_PLACE=1:60 MPIFT_TEST_PAUSE_FILE="$t/pz" fakenodes_mpirun 3 "$stage" --module "$faults" \
        --config "$t/p.cfg" --report "$t/rep.json" --verbose >"$t/log" 2>&1 &
    a=$!
    for ((i = 0; i < 1200; i++)); do [ ! -e "$t/pz" ] || break; sleep 0.1; done
    [ -e "$t/pz" ] || fail "rank 1 never paused: $(cat "$t/log")"
    for i in 1 2; do
        [ -n "$(find "$(node $i)/cache" -maxdepth 1 -name 'last-*')" ] || fail "no last- record on ${fake_host[$i]}"
        find "$(node $i)/cache" -maxdepth 1 -name 'last-*' -delete
    done
    rm -f "$t/pz"
    wait "$a" || fail "the run failed: $(cat "$t/log")"
    log_lines 2 "big.bin: delta base: an older version in the node's cache, from its kept hashes (not read)"
    for i in 0 1 2; do
        cmp "$t/src/big.bin" "$(node $i)/d18/big.bin" || fail "the copy on ${fake_host[$i]} differs"
    done
    log_lines 0 "no longer holds it"
    log_lines 0 "removed or changed since it was offered"
    [ "$(report_total delta_saved_bytes)" = $((2 * 158 * CH)) ] ||
        fail "delta_saved_bytes $(report_total delta_saved_bytes): $(cat "$t/log")"
}
scenario "a cache base's last- record gone before its turn: the entry offered is used all the same" last_moved

killed() {
    local rc=0 n1 old
    n1=$(node 1)
    restore_writers   # node 1 holds v0 in its cache
    fresh
    cfg d4
    MPIFT_TEST_KILL=1:140 fakenodes_mpirun 2 "$stage" --module "$faults" --config "$t/p.cfg" --verbose \
        >"$t/log" 2>&1 || rc=$?
    [ "$rc" != 0 ] || fail "a killed rank did not fail the job: $(cat "$t/log")"
    [ -n "$(find "$n1/d4" -name '.mpift-*-resume-r1.tmp')" ] || fail "no resume temporary left: $(ls -la "$n1/d4")"
    [ -n "$(find "$n1/d4" -name '.mpift-*-record-r1.tmp')" ] || fail "no record left: $(ls -la "$n1/d4")"
    log_lines 1 "$DECLINED"
    # The older version in node 1's cache, rewritten behind the cache's
    # back: the re-run takes its resume temporary and never looks that
    # entry up (a lookup would re-hash it, and discard it).
    old=$(find "$n1/cache" -maxdepth 1 -name '41943040-*' ! -name '*.*')
    [ "$(wc -w <<<"$old")" = 1 ] || fail "not one entry in node 1's cache: $(ls -la "$n1/cache")"
    chmod u+w "$old" && printf 'X' | dd of="$old" bs=1 seek=1000 conv=notrunc status=none
    run d4 2
    [ "$(report_total resumed_bytes)" = $((32 * MiB)) ] || fail "resumed_bytes $(report_total resumed_bytes): $(cat "$t/log")"
    [ "$(report_total wire_bytes)" -le $((9 * MiB)) ] || fail "wire_bytes $(report_total wire_bytes): $(cat "$t/log")"
    [ -f "$old" ] || fail "the older version in the cache was looked up (and discarded) though a resume was taken"
}
scenario "a declined writer's copy is resumable: killed mid-file, the re-run resumes it, no older version looked up" killed

# A .kept of a 40 MiB entry: its header, 160 hashes, its seal.
KEPT=$((88 + 160 * 8 + 8))

evicts_by_sum() {
    local i list
    fakenodes_clear cache d4
    # Two versions of the file staged one after the other: two entries of
    # 40 MiB, each with its .kept.  Their bytes alone fit in max_size,
    # not with their .kept files.
    fresh
    cfg d5 "max_size = \"$((80 * MiB + KEPT))\";"
    run d5
    fresh
    cfg d6 "max_size = \"$((80 * MiB + KEPT))\";"
    run d6
    # Trimmed by a job of its own: no entry is held (the run that put the
    # second held the first, its delta base).
    fakenodes_mpirun 3 "$stage" --config "$t/p.cfg" --cache-prune >"$t/prune" 2>&1 || fail "--cache-prune: $(cat "$t/prune")"
    fakenodes_mpirun 3 "$stage" --config "$t/p.cfg" --cache-list >"$t/list" 2>&1 || fail "--cache-list: $(cat "$t/list")"
    for i in 1 2; do
        list=$(ls "$(node $i)/cache")
        [ "$(grep -c '\.kept$' <<<"$list")" = 1 ] || fail "${fake_host[$i]}: not one .kept: $list"
        grep -q "^${fake_host[$i]}: cache.dir .*: 1 entry, $((40 * MiB + KEPT)) bytes" "$t/list" ||
            fail "--cache-list of ${fake_host[$i]} does not count the .kept: $(cat "$t/list") ($list)"
    done
}
scenario "a cache at its limit evicts by the entries' bytes and their .kept files'" evicts_by_sum

declined_no_cache() {
    # Without cache.dir rank 0 has no chunk hashes of the source: the
    # writers' agreement decides.  Two writers that hold different older
    # versions at the final path agree on nothing: declined, and told.
    local i
    fresh
    cfg d7
    sed -i '/^cache:/d' "$t/p.cfg"
    for i in 1 2; do
        mkdir -p "$(node $i)/d7" && head -c $((40 * MiB)) /dev/urandom >"$(node $i)/d7/big.bin"
    done
    run d7
    log_lines 1 "big.bin: its writers hold 0 of 16 sampled chunks of data as the source has them: their older versions are not read whole"
    log_lines 2 "$DECLINED"
    [ "$(report_total delta_saved_bytes)" = 0 ] || fail "delta_saved_bytes $(report_total delta_saved_bytes)"
}
scenario "without cache.dir: the writers' agreement decides; a declined writer is told" declined_no_cache

zeros_unknown() {
    # Without cache.dir what the writers hold as zeros says nothing of the
    # source: a 40 MiB source of random data, every writer's older copy
    # 32 MiB of zeros and the source's own last 8 MiB.  Its 32 chunks of
    # data agree with the source, but the 128 of zeros count as chunks
    # not kept: 32 of 160 is under 1 in 4, no delta.
    local i
    fresh
    cfg d15
    sed -i '/^cache:/d' "$t/p.cfg"
    for i in 1 2; do
        mkdir -p "$(node $i)/d15"
        { head -c $((32 * MiB)) /dev/zero && tail -c $((8 * MiB)) "$t/src/big.bin"; } >"$(node $i)/d15/big.bin"
    done
    run d15
    log_lines 1 "big.bin: its writers hold 3 of 16 sampled chunks of data as the source has them: their older versions are not read whole"
    log_lines 2 "$DECLINED"
    [ "$(report_total delta_saved_bytes)" = 0 ] || fail "delta_saved_bytes $(report_total delta_saved_bytes): $(cat "$t/log")"
    [ "$(report_total wire_bytes)" -ge $((40 * MiB)) ] || fail "wire_bytes $(report_total wire_bytes): $(cat "$t/log")"
}
scenario "without cache.dir: an older version mostly zeros is not judged by its other chunks alone" zeros_unknown

records_bounded() {
    # a.bin alone, then b1..b3 (20 MiB each): four records of chunk hashes
    # beside rank 0's index, one per content.
    local f n0 want
    n0=$(node 0)
    fakenodes_clear cache
    rm -f "$t/src/"*
    for f in a b1 b2 b3; do head -c $((20 * MiB)) /dev/urandom >"$t/src/$f.bin"; done
    sleep 2   # old enough for the index (stage/keys.c's FRESH_SEC)
    cat >"$t/p.cfg" <<CFG
version = 1;
paths: { source = "$t/src"; dest = "$FAKE_SCRATCH/r1"; source_shared = "yes"; };
transfer: { chunk_size = "256K"; retries = 1; };
cache: { dir = "$FAKE_SCRATCH/cache"; };
stage_in = ( { src = "a.bin"; dest = ""; } );
CFG
    fakenodes_mpirun 3 "$stage" --config "$t/p.cfg" >"$t/log" 2>&1 || fail "a.bin: $(cat "$t/log")"
    sed -i 's|/r1";|/r2";|; s|{ src = "a.bin"; dest = ""; }|{ src = "b*.bin"; dest = ""; }|' "$t/p.cfg"
    fakenodes_mpirun 3 "$stage" --config "$t/p.cfg" >"$t/log" 2>&1 || fail "b*.bin: $(cat "$t/log")"
    [ "$(find "$n0/cache" -maxdepth 1 -name 'index-[0-9]*' | wc -l)" = 4 ] ||
        fail "not 4 records of chunk hashes on rank 0's node: $(ls -la "$n0/cache")"
    # --cache-list counts each with its entry: all the entries' bytes,
    # their .kept files' and the records'.
    want=$(find "$n0/cache" -maxdepth 1 -type f \( -name '[0-9]*-*' -o -name 'index-[0-9]*' \) ! -name '*.rec' -printf '%s\n' |
        awk '{ s += $1 } END { print s }')
    fakenodes_mpirun 3 "$stage" --config "$t/p.cfg" --cache-list >"$t/list" 2>&1 || fail "--cache-list: $(cat "$t/list")"
    grep -q "^${fake_host[0]}: cache.dir .*: 4 entries, $want bytes" "$t/list" ||
        fail "--cache-list of ${fake_host[0]} does not count the records ($want bytes): $(cat "$t/list")"
    # The sources deleted (their index entries stay): pruned to nothing,
    # no record is left.
    rm -f "$t/src/"*
    fakenodes_mpirun 3 "$stage" --config "$t/p.cfg" --cache-prune=0 >"$t/prune" 2>&1 ||
        fail "--cache-prune=0: $(cat "$t/prune")"
    [ -z "$(find "$n0/cache" -maxdepth 1 -name 'index-*')" ] ||
        fail "records of chunk hashes left after --cache-prune=0: $(ls -la "$n0/cache")"
}
scenario "rank 0's records of chunk hashes live and die with their cache entries" records_bounded

# sparse: a new source version, a 32 MiB hole then 8 MiB of new data
sparse() {
    rm -f "$t/src/big.bin"
    truncate -s $((32 * MiB)) "$t/src/big.bin"
    head -c $((8 * MiB)) /dev/urandom >>"$t/src/big.bin"
}

holes_spare_nothing() {
    fakenodes_clear cache
    sparse
    cfg d8
    run d8
    sparse
    cfg d9
    run d9
    # 128 of its 160 chunks are zeros on both sides: no KEEP frame spares
    # them (they cross as extents), so only the 32 of data count.
    log_lines 1 "big.bin: its writers hold 0 of its 32 chunks of data as the source has them: sent whole"
    log_lines 2 "$DECLINED"
    [ "$(report_total delta_saved_bytes)" = 0 ] || fail "delta_saved_bytes $(report_total delta_saved_bytes): $(cat "$t/log")"
}
scenario "an older version of the same holes and other data: no delta" holes_spare_nothing

unsaved() {
    # The record's name taken by a folder: it cannot be saved, and each
    # run says so (the folder, the record, the cause) as it reads the
    # source again for its chunks.
    local rec
    keyed_once d10
    rm -f "$rec" && mkdir "$rec"
    fakenodes_clear d10
    run d10
    log_lines 1 "content keys of 1 files: 0 from the index, 1 read"
    log_lines 1 "$FAKE_SCRATCH/cache: the source's chunk hashes not kept ($(basename "$rec"): Is a directory); big.bin is read again by the next run to know them"
    rmdir "$rec"
}
scenario "a record of chunk hashes that cannot be saved is told" unsaved

dead_temporaries() {
    # Left by killed runs (pids no run has), and one held as a live run
    # holds it while it writes.
    local n0 f
    n0=$(node 0)
    for f in index.mpift-999991.tmp index-hashes.mpift-999992.tmp index-hashes.mpift-999993.tmp; do
        head -c 4096 /dev/zero >"$n0/cache/$f"
    done
    cfg d10
    (
        exec 9<"$n0/cache/index-hashes.mpift-999993.tmp" && flock 9 &&
            fakenodes_mpirun 3 "$stage" --config "$t/p.cfg" --cache-prune
    ) >"$t/prune" 2>&1 || fail "--cache-prune: $(cat "$t/prune")"
    for f in index.mpift-999991.tmp index-hashes.mpift-999992.tmp; do
        [ ! -e "$n0/cache/$f" ] || fail "$f left by a killed run not swept: $(ls -la "$n0/cache")"
    done
    [ -e "$n0/cache/index-hashes.mpift-999993.tmp" ] || fail "a held temporary was swept"
    rm -f "$n0/cache/index-hashes.mpift-999993.tmp"
}
scenario "the temporaries of rank 0's index and records that a killed run left are swept" dead_temporaries

swept_mid_save() {
    # Another job's sweep meets a temporary of rank 0's key index, then
    # of its record of chunk hashes, between its creation and its flock
    # (MPIFT_TEST_TMP_GAP holds it there): each save lands all the same
    # (util/tmplock.h), and the next run takes the key and the chunk
    # hashes from beside the index, reading nothing.  The sweep once
    # removed such a temporary, and the save was lost.
    local n0 a i pre
    n0=$(node 0)
    for pre in index.mpift- index-hashes.mpift-; do
        # The entry cached, the index and the record gone: rank 0 reads
        # the source and saves both (none an orphan the prune removes).
        keyed_once d14
        find "$n0/cache" -maxdepth 1 -name 'index*' -delete
        fakenodes_clear d14
        rm -f "$t/gap"
        MPIFT_TEST_TMP_GAP=$pre MPIFT_TEST_PAUSE_FILE="$t/gap" fakenodes_mpirun 3 "$stage" --module "$faults" \
            --config "$t/p.cfg" --verbose >"$t/log" 2>&1 &
        a=$!
        for ((i = 0; i < 1200; i++)); do [ ! -e "$t/gap" ] || break; sleep 0.1; done
        [ -e "$t/gap" ] || fail "$pre: rank 0 never began that save: $(cat "$t/log")"
        [ -n "$(find "$n0/cache" -maxdepth 1 -name "$pre*.tmp")" ] || fail "$pre: no temporary: $(ls -la "$n0/cache")"
        fakenodes_mpirun 3 "$stage" --config "$t/p.cfg" --cache-prune >"$t/prune" 2>&1 ||
            fail "--cache-prune: $(cat "$t/prune")"
        # The race met: the prune removed the paused temporary, which its
        # writer then finds gone once it holds its lock.
        [ -z "$(find "$n0/cache" -maxdepth 1 -name "$pre*.tmp")" ] ||
            fail "$pre: the prune left the paused temporary: $(ls -la "$n0/cache")"
        rm -f "$t/gap"
        wait "$a" || fail "$pre: the run failed: $(cat "$t/log")"
        log_lines 0 "cannot replace it"
        log_lines 0 "the source's chunk hashes not kept"
        fakenodes_clear d14
        run d14
        log_lines 1 "content keys of 1 files: 1 from the index, 0 read"
    done
}
scenario "a key index or record swept between its temporary's creation and its lock is saved all the same" swept_mid_save

small_only() {
    head -c $((1 * MiB)) /dev/urandom >"$t/src/small.bin"
    cfg d11
    sed -i 's|"big.bin"|"small.bin"|' "$t/p.cfg"
    fakenodes_mpirun 3 "$stage" --config "$t/p.cfg" --verbose >"$t/log" 2>&1 || fail "the run failed: $(cat "$t/log")"
    cmp "$t/src/small.bin" "$(node 2)/d11/small.bin" || fail "the copy differs"
    log_lines 0 "what the writers hold already: "
}
scenario "a stage of small files only: no exchange of what the writers hold" small_only

bad_records() {
    local rec kind
    keyed_once d12
    cp "$rec" "$t/good-record"
    cp "$rec" "$t/linked-record"
    for kind in short foreign link; do
        rm -f "$rec"
        case $kind in
            short) head -c 100 "$t/good-record" >"$rec" ;;
            # a second name for it, to see what becomes of that file
            foreign) cp "$t/good-record" "$rec" && chown nobody "$rec" && ln "$rec" "$(node 0)/foreign" ;;
            link) ln -s "$t/linked-record" "$rec" ;;
        esac
        fakenodes_clear d12
        run d12
        log_lines 1 "content keys of 1 files: 0 from the index, 1 read"
        [ -f "$rec" ] && [ ! -L "$rec" ] && cmp -s "$rec" "$t/good-record" ||
            fail "$kind: the record was not written anew: $(ls -la "$(node 0)/cache")"
        # Written anew as it always is: a temporary of this user renamed
        # over the name, so the record is now this user's, 0600, and the
        # other user's file was never written (nor chmod'ed, nor
        # chown'ed): it only lost that name.
        [ "$(stat -c '%u %a' "$rec")" = "$(id -u) 600" ] ||
            fail "$kind: the record is not this user's, 0600: $(ls -la "$rec")"
        [ "$kind" != foreign ] || {
            [ "$(stat -c '%U %h' "$(node 0)/foreign")" = "nobody 1" ] && cmp -s "$(node 0)/foreign" "$t/good-record" ||
                fail "another user's record was written, or kept its name: $(ls -la "$(node 0)/foreign" "$rec")"
            rm -f "$(node 0)/foreign"
        }
    done
    cmp "$t/linked-record" "$t/good-record" || fail "a linked record's target was written through the link"
}
scenario "a record cut short, another user's or a link is never used nor followed" bad_records

# A record whose entry rank 0's node does not hold (a file sent to other
# ranks only, an archive unpacked, an entry evicted) stays while it is
# used: another stage's sweep leaves it, and the next run takes the key
# and the chunk hashes from the index, reading nothing.  Swept at once,
# rank 0 read such a source whole on every run.
idle_records() {
    local n0 e rec
    n0=$(node 0)
    keyed_once d13
    for e in $(find "$n0/cache" -maxdepth 1 -name '[0-9]*-*' ! -name '*.*'); do
        rm -f "$e" "$e.kept"
    done
    echo small >"$t/src/other.bin"
    sed 's|{ src = "big.bin"; dest = ""; }|{ src = "other.bin"; dest = ""; }|' "$t/p.cfg" >"$t/o.cfg"
    fakenodes_mpirun 3 "$stage" --config "$t/o.cfg" >"$t/log" 2>&1 || fail "other.bin: $(cat "$t/log")"
    [ "$(find "$n0/cache" -maxdepth 1 -name 'index-[0-9]*' | wc -l)" = 1 ] ||
        fail "the record rank 0 uses was swept with its entry gone: $(ls -la "$n0/cache")"
    fakenodes_clear d13
    run d13
    log_lines 1 "content keys of 1 files: 1 from the index, 0 read"
}
scenario "a record whose entry rank 0's node lacks stays while used: the source is not read again" idle_records

idle_orphans() {
    # Two sources keyed (20 and 21 MiB: their records tell apart by
    # size), their entries then gone from rank 0's node, as for a content
    # that node never caches.  The records' mtimes are their last use
    # (each load renews it): one 8 days ago, one 6.  An ordinary run's
    # sweep (not --cache-prune) removes the first, keeps the second.
    local n0 e
    n0=$(node 0)
    fakenodes_clear cache
    rm -f "$t/src/"*
    head -c $((20 * MiB)) /dev/urandom >"$t/src/old.bin"
    head -c $((21 * MiB)) /dev/urandom >"$t/src/recent.bin"
    cfg d16
    sed 's|"big.bin"|"*.bin"|' "$t/p.cfg" >"$t/two.cfg"
    sed 's|"big.bin"|"other.bin"|' "$t/p.cfg" >"$t/o.cfg"
    # (the fault build: MPIFT_TEST_FRESH_SEC=0 records sources this new)
    fakenodes_mpirun 3 "$stage" --module "$faults" --config "$t/two.cfg" >"$t/log" 2>&1 ||
        fail "old.bin, recent.bin: $(cat "$t/log")"
    echo small >"$t/src/other.bin"
    [ -f "$(echo "$n0"/cache/index-$((20 * MiB))-*)" ] && [ -f "$(echo "$n0"/cache/index-$((21 * MiB))-*)" ] ||
        fail "not a record of each source: $(ls -la "$n0/cache")"
    for e in $(find "$n0/cache" -maxdepth 1 -name '[0-9]*-*' ! -name '*.*'); do
        rm -f "$e" "$e.kept"
    done
    touch -d '8 days ago' "$n0"/cache/index-$((20 * MiB))-*
    touch -d '6 days ago' "$n0"/cache/index-$((21 * MiB))-*
    fakenodes_mpirun 3 "$stage" --config "$t/o.cfg" >"$t/log" 2>&1 || fail "other.bin: $(cat "$t/log")"
    [ -z "$(find "$n0/cache" -maxdepth 1 -name "index-$((20 * MiB))-*")" ] ||
        fail "a record unused for 8 days not swept: $(ls -la --time-style=full-iso "$n0/cache")"
    [ -n "$(find "$n0/cache" -maxdepth 1 -name "index-$((21 * MiB))-*")" ] ||
        fail "a record used 6 days ago swept: $(ls -la --time-style=full-iso "$n0/cache")"
}
scenario "an ordinary run sweeps a record whose entry is gone once idle for 7 days, not before" idle_orphans
