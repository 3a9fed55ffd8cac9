#!/bin/bash
# Verification, atomicity and containment on 2 local ranks:
# - a corrupted copy is caught by its checksum and re-sent (exit 0), or,
#   with no retries left, fails (exit 1) and leaves nothing at its path;
# - preserve keeps mode and mtime; without it the mtime still comes along;
# - a source symlink leaving paths.source, and a symlink planted in the
#   destination, fail their file (exit 1) and write nothing outside;
# - no temporary file survives any of it;
# - without PMIx, the MPI shared-memory split stands in (--verbose says so).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" mpirun tree
plan 11

# Rank 1 receives every file (per-rank copies); it corrupts the first one it
# writes.  Two retries: caught, re-sent, all good.
write_cfg "$t/r.cfg" "$t/src" "$t/retry/%r" 'workers: { copies = "per-rank"; };'
retry() {
    local rc=0
    MPIFT_TEST_CORRUPT=1 mpift_mpirun -n 2 "$stage" --module "$faults" --config "$t/r.cfg" --set transfer.retries=2 >"$t/log" 2>"$t/err" || rc=$?
    [ "$rc" = 0 ] || fail "corrupted copy with retries: exit $rc: $(cat "$t/log" "$t/err")"
    grep -q "checksum mismatch" "$t/err" || fail "corruption not reported: $(cat "$t/err")"
    grep -q "re-sending (attempt 2 of 3)" "$t/err" || fail "no re-send announced: $(cat "$t/err")"
    compare_tree "$t/src/tree" "$t/retry/1" || fail "re-sent copy differs"
    expect_summary "$t/log" $((nfiles * 2)) 0 0
    no_temporaries "retry: temporary files left behind" "$t/retry"
}
scenario "a corrupted copy is caught by its checksum and re-sent (exit 0, no temporaries)" retry

# The switches live only in the test build of the engine: the real module
# ignores them.
real_module() {
    rm -rf "$t/retry"
    MPIFT_TEST_CORRUPT=1 mpift_mpirun -n 2 "$stage" --config "$t/r.cfg" --set transfer.retries=0 >"$t/log" 2>"$t/err" ||
        fail "MPIFT_TEST_CORRUPT changed what the real module does: $(cat "$t/log" "$t/err")"
    ! grep -q "checksum mismatch" "$t/err" || fail "the real module obeys a test switch: $(cat "$t/err")"
}
scenario "the installed module ignores the fault-injection switches" real_module

# No retries: the file fails, exit 1, and nothing half-written is left.
write_cfg "$t/n.cfg" "$t/src" "$t/noretry/%r" 'workers: { copies = "per-rank"; };'
no_retry() {
    local rc=0
    rm -rf "$t/noretry"
    MPIFT_TEST_CORRUPT=1 mpift_mpirun -n 2 "$stage" --module "$faults" --config "$t/n.cfg" --set transfer.retries=0 >"$t/log" 2>"$t/err" || rc=$?
    [ "$rc" = 1 ] || fail "corrupted copy without retries: exit $rc, expected 1: $(cat "$t/log" "$t/err")"
    grep -q "checksum mismatch" "$t/err" || fail "corruption not reported: $(cat "$t/err")"
    expect_summary "$t/log" $((nfiles * 2 - 1)) 0 1
    [ "$(count_files "$t/noretry/1")" = $((nfiles - 1)) ] || fail "a corrupted file reached its final path"
    compare_tree "$t/src/tree" "$t/noretry/0" || fail "rank 0's copy differs"
    no_temporaries "no retry: temporary files left behind" "$t/noretry"
}
scenario "with no retries a corrupted copy fails (exit 1) and nothing reaches its path" no_retry

# on_error = "abort": the first failure stops the run on every rank; what
# was not sent counts as failed; nothing half-written is left.
abort() {
    local rc=0 written failed
    rm -rf "$t/noretry"
    MPIFT_TEST_CORRUPT=1 mpift_mpirun -n 2 "$stage" --module "$faults" --config "$t/n.cfg" --set transfer.retries=0 \
        --set transfer.on_error=abort >"$t/log" 2>"$t/err" || rc=$?
    [ "$rc" = 1 ] || fail "on_error abort: exit $rc, expected 1: $(cat "$t/log" "$t/err")"
    grep -q 'stopping at the first failure (transfer.on_error = "abort"' "$t/err" || fail "abort not explained: $(cat "$t/err")"
    written=$(summary_field "$t/log" "copies written")
    failed=$(summary_field "$t/log" "failed")
    [ "$failed" -gt 1 ] && [ $((written + failed)) = $((nfiles * 2)) ] ||
        fail "on_error abort: $written written + $failed failed should be $((nfiles * 2)) with more than one failed: $(cat "$t/log")"
    no_temporaries "on_error abort: temporary files left behind" "$t/noretry"
}
scenario "on_error = abort stops every rank at the first failure; the rest counts as failed" abort

# The next run repairs what failed and leaves the rest alone.
repair() {
    rm -rf "$t/noretry"
    MPIFT_TEST_CORRUPT=1 mpift_mpirun -n 2 "$stage" --module "$faults" --config "$t/n.cfg" --set transfer.retries=0 >/dev/null 2>&1
    mpift_mpirun -n 2 "$stage" --config "$t/n.cfg" >"$t/log" 2>&1 || fail "repair run failed: $(cat "$t/log")"
    expect_summary "$t/log" 1 $((nfiles * 2 - 1)) 0
    compare_tree "$t/src/tree" "$t/noretry/1" || fail "repaired copy differs"
}
scenario "the run after a failed copy repairs it and leaves the rest alone" repair

# preserve = true (write_cfg's default list) keeps mode and mtime.
old=a/b/old-0640.dat
preserve() {
    after real_module
    [ "$(stat -c %a "$t/retry/1/$old")" = 640 ] || fail "preserve: mode $(stat -c %a "$t/retry/1/$old"), expected 640"
    [ "$(stat -c %Y "$t/retry/1/$old")" = "$(stat -c %Y "$t/src/tree/$old")" ] || fail "preserve: mtime not kept"
}
scenario "preserve = true keeps mode and mtime" preserve

no_preserve() {
    local mode
    write_cfg "$t/p.cfg" "$t/src" "$t/nopreserve" "" '{ src = "tree/"; dest = ""; recursive = true; preserve = false; }'
    mpift_mpirun -n 2 "$stage" --config "$t/p.cfg" >"$t/log" 2>&1 || fail "preserve = false failed: $(cat "$t/log")"
    mode=$(stat -c %a "$t/nopreserve/$old")
    # A new file's mode, less what the source lacks (mpift.conf(5), preserve).
    [ "$mode" = "$(printf '%o' $((0666 & ~$(umask) & 0$(stat -c %a "$t/src/tree/$old"))))" ] ||
        fail "preserve = false: mode $mode, expected 0666 & ~umask & the source's $(stat -c %a "$t/src/tree/$old")"
    [ "$(stat -c %Y "$t/nopreserve/$old")" = "$(stat -c %Y "$t/src/tree/$old")" ] ||
        fail "mtime not carried over (re-runs could not skip)"
}
scenario "preserve = false gives the umask's mode, never wider than the source's, and carries the mtime" no_preserve

# A source symlink that leaves paths.source: that file fails (exit 1, named),
# the others are staged.
escaping_symlink() {
    local rc=0
    mkdir -p "$t/outside"
    echo secret >"$t/outside/secret.txt"
    cp -r "$t/src/tree" "$t/src/linked"
    ln -s "$t/outside/secret.txt" "$t/src/linked/escape.txt"
    write_cfg "$t/s.cfg" "$t/src" "$t/sl" "" '{ src = "linked/"; dest = ""; recursive = true; }'
    mpift_mpirun -n 2 "$stage" --config "$t/s.cfg" >"$t/log" 2>"$t/err" || rc=$?
    [ "$rc" = 1 ] || fail "escaping source symlink: exit $rc, expected 1: $(cat "$t/log" "$t/err")"
    grep -q "escape.txt: resolves to .*outside paths.source" "$t/err" || fail "escaping symlink not named: $(cat "$t/err")"
    [ ! -e "$t/sl/escape.txt" ] || fail "the file behind an escaping symlink was staged"
    compare_tree "$t/src/tree" "$t/sl" || fail "the other files were not staged"
}
scenario "a source symlink leaving paths.source fails that file (exit 1, named); the rest is staged" escaping_symlink

# A source name with a newline: refused (exit 1) in one line that shows
# the newline as \n; the other files are staged.
newline_name() {
    local rc=0
    mkdir -p "$t/src/nl"
    echo ok >"$t/src/nl/fine.txt"
    echo no >"$t/src/nl/two"$'\n'"lines.txt"
    write_cfg "$t/nl.cfg" "$t/src" "$t/nldest" "" '{ src = "nl/"; dest = ""; recursive = true; }'
    mpift_mpirun -n 2 "$stage" --config "$t/nl.cfg" >"$t/log" 2>"$t/err" || rc=$?
    [ "$rc" = 1 ] || fail "name with a newline: exit $rc, expected 1: $(cat "$t/log" "$t/err")"
    grep -q 'nl/two\\nlines.txt: cannot be staged: destination path contains a control character (0x0a)' "$t/err" ||
        fail "newline name not reported on one line: $(cat -A "$t/err")"
    ! grep -q '^lines.txt' "$t/err" || fail "the name split the message: $(cat -A "$t/err")"
    [ -f "$t/nldest/fine.txt" ] && [ "$(ls "$t/nldest" | wc -l)" = 1 ] || fail "newline name: wrong files staged: $(ls -b "$t/nldest")"
}
scenario "a name with a newline is refused (exit 1) in one message line; the rest is staged" newline_name

# A symlink planted in the destination tree is not followed.
planted_symlink() {
    local rc=0
    mkdir -p "$t/planted" "$t/victim"
    ln -s "$t/victim" "$t/planted/a"
    write_cfg "$t/d.cfg" "$t/src" "$t/planted"
    mpift_mpirun -n 2 "$stage" --config "$t/d.cfg" >"$t/log" 2>"$t/err" || rc=$?
    [ "$rc" = 1 ] || fail "planted destination symlink: exit $rc, expected 1: $(cat "$t/log" "$t/err")"
    grep -q "symbolic link" "$t/err" || fail "planted symlink not explained: $(cat "$t/err")"
    [ -z "$(ls -A "$t/victim")" ] || fail "wrote through a planted symlink: $(ls -R "$t/victim")"
    cmp -s "$t/src/tree/big.bin" "$t/planted/big.bin" || fail "files outside the planted link were not staged"
    no_temporaries "planted: temporary files left behind" "$t/planted"
}
scenario "a symlink planted in the destination is not followed (exit 1); nothing written through it" planted_symlink

# Without PMIx (forced for the test), the MPI split stands in.
no_pmix() {
    write_cfg "$t/f.cfg" "$t/src" "$t/fallback"
    MPIFT_TEST_NO_PMIX=1 mpift_mpirun -n 2 "$stage" --config "$t/f.cfg" --verbose >"$t/log" 2>&1 ||
        fail "fallback topology run failed: $(cat "$t/log")"
    grep -q "topology from MPI shared-memory split: 2 ranks on 1 node" "$t/log" ||
        fail "fallback not reported: $(grep topology "$t/log")"
    compare_tree "$t/src/tree" "$t/fallback" || fail "fallback copy differs"
}
scenario "without PMIx the MPI shared-memory split gives the topology" no_pmix
done_testing
