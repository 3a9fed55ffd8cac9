#!/bin/bash
# A peer that speaks another protocol version, across 3 fake nodes:
# MPIFT_TEST_BAD_HEADER=1 makes the middle node (rank 1) pass on every
# file header with version 7.  Its child (rank 2) refuses the first one,
# naming the sender and the cause, and the job ends with a non-zero exit
# instead of hanging or writing what it cannot trust; no partial file
# stands at any final path.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" fakenodes=3x1 tree timeout=120
plan 2

n2=${fake_host[1]} n3=${fake_host[2]}
write_cfg "$t/b.cfg" "$t/src" "$FAKE_SCRATCH/stage"
sed -i '/chunk_size = "1M"/d' "$t/b.cfg"
refused() {
    local rc=0
    MPIFT_TEST_BAD_HEADER=1 fakenodes_mpirun 3 "$stage" --module "$faults" --config "$t/b.cfg" >"$t/log" 2>&1 || rc=$?
    [ "$rc" != 0 ] || fail "a bad header was accepted: $(cat "$t/log")"
    [ "$rc" != 124 ] || fail "the job hung on a bad header: $(cat "$t/log")"
    grep -q "$n3 (rank 2): protocol error from rank 1: protocol version 7 (expected 2): mixed mpift versions in one job?" "$t/log" ||
        fail "the bad header was not explained: $(cat "$t/log")"
    grep -q "aborting the job" "$t/log" || fail "the job did not say it aborts: $(cat "$t/log")"
}
scenario "a file header of another protocol version is refused, explained, and the job aborts (no hang)" refused

# Small files travel in batches (no METADATA header): those before the
# first bad header may have landed, whole; nothing else did.
nothing_untrusted() {
    local big h f
    after refused
    big=$(cd "$t/src/tree" && find . -type f -size +32k | head -n 1)
    [ ! -e "$FAKE_NODEDIR/$n3/stage/$big" ] || fail "rank 2 wrote a file whose header it refused"
    for h in "$n2" "$n3"; do
        while IFS= read -r -d '' f; do
            cmp -s "$t/src/tree/$f" "$FAKE_NODEDIR/$h/stage/$f" || fail "$h: $f at its final path is not whole"
        done < <(cd "$FAKE_NODEDIR/$h/stage" 2>/dev/null && find . -type f ! -name '.mpift-*' -print0)
    done
}
scenario "no file whose header was refused, and no partial file, stands at a final path" nothing_untrusted
done_testing
