#!/bin/bash
# A rank killed (SIGKILL) in the middle of a stage-in across 3 fake nodes:
# the job ends with a non-zero exit, no final path on any node holds a
# partial file (each file there is complete and byte-exact, or absent),
# and running again completes only what is missing and leaves no
# temporary file behind.  MPIFT_TEST_KILL=2:100 makes rank 2 kill itself
# after writing 100 received chunks (the middle of its second file).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" fakenodes=3x1 timeout=120
plan 3

mkdir -p "$t/src/big"
for i in 1 2 3 4; do
    head -c $((5 * 1024 * 1024 + i)) /dev/urandom >"$t/src/big/f$i.bin"
done
write_cfg "$t/k.cfg" "$t/src" "$FAKE_SCRATCH/k" "" '{ src = "big/"; dest = ""; recursive = true; }'
sed -i 's/chunk_size = "1M"; window = 4;/chunk_size = "64K"; window = 4;/' "$t/k.cfg"

killed() {
    local rc=0
    MPIFT_TEST_KILL=2:100 fakenodes_mpirun 3 "$stage" --module "$faults" --config "$t/k.cfg" >"$t/log" 2>&1 || rc=$?
    [ "$rc" != 0 ] || fail "a killed rank did not fail the job: $(cat "$t/log")"
    [ "$rc" != 124 ] || fail "the job hung after a rank was killed: $(cat "$t/log")"
}
scenario "a rank killed mid-run fails the job, which ends without hanging" killed

# Writes $t/missing, the number of files the killed run did not write.
no_partial_file() {
    local h i f missing=0
    after killed
    for h in $FAKE_HOSTS; do
        for i in 1 2 3 4; do
            f=$FAKE_NODEDIR/$h/k/f$i.bin
            if [ -e "$f" ]; then
                cmp -s "$t/src/big/f$i.bin" "$f" || fail "$h: a partial or wrong file at the final path f$i.bin"
            else
                missing=$((missing + 1))
            fi
        done
    done
    [ "$missing" -gt 0 ] || fail "the rank was killed after everything arrived: nothing was tested"
    echo "$missing" >"$t/missing"
}
scenario "no final path holds a partial file: each is whole or absent" no_partial_file

repair() {
    local h missing
    after no_partial_file
    missing=$(cat "$t/missing")
    fakenodes_mpirun 3 "$stage" --config "$t/k.cfg" >"$t/log" 2>&1 || fail "the run after the kill failed: $(cat "$t/log")"
    expect_summary "$t/log" "$missing" $((12 - missing)) 0
    for h in $FAKE_HOSTS; do
        compare_tree "$t/src/big" "$FAKE_NODEDIR/$h/k" || fail "$h: not repaired"
    done
    no_temporaries "temporary files survive the repair" "$FAKE_NODEDIR"
}
scenario "the next run writes only what is missing and leaves no temporary file" repair
done_testing
