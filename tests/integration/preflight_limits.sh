#!/bin/bash
# Preflight across 2 fake nodes, for what is not room: a node whose dest
# file system has blocks but too few inodes (a tmpfs with nr_inodes), and
# a node whose dest root cannot be made (its parent is a read-only file
# system).  Either stops the run on every rank before anything moves:
# exit 1, the node and the cause named, no file on any node.  With the
# cause gone the same run succeeds.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" fakenodes=2x1 tree timeout=120
n2=${fake_host[1]}
node2=$FAKE_NODEDIR/$n2
mount -t tmpfs -o size=64m,nr_inodes=8 mpift-test "$node2" 2>/dev/null || skip "cannot mount a tmpfs here"
at_exit sh -c 'umount "$1" 2>/dev/null; :' sh "$node2"
plan 4

write_cfg "$t/p.cfg" "$t/src" "$FAKE_SCRATCH/stage"

# nothing_sent: no file, and no folder below the dest root, on any node.
nothing_sent() {
    local h
    for h in $FAKE_HOSTS; do
        [ -z "$(find "$FAKE_NODEDIR/$h" -mindepth 2 2>/dev/null)" ] ||
            fail "$h received something although the run was refused: $(find "$FAKE_NODEDIR/$h" -mindepth 2)"
    done
}

no_inodes() {
    local rc=0
    fakenodes_mpirun 2 "$stage" --config "$t/p.cfg" >"$t/log" 2>"$t/err" || rc=$?
    [ "$rc" = 1 ] || fail "too few inodes on $n2: exit $rc, expected 1: $(cat "$t/log" "$t/err")"
    grep -q "$n2 (rank 1): $n2: needs 18 inodes (files and folders) for $FAKE_SCRATCH/stage but its file system has [0-9] free: nothing was sent; remove files there or point paths.dest elsewhere" "$t/err" ||
        fail "the shortfall of inodes is not explained: $(cat "$t/err")"
    [ "$(grep -c "inodes" "$t/err")" = 1 ] || fail "a node with inodes was blamed: $(cat "$t/err")"
    expect_summary "$t/log" 0 0 "$nfiles"
    nothing_sent
}
scenario "a node short of inodes stops the stage-in before anything moves (exit 1), naming node, need and free inodes" no_inodes

with_inodes() {
    local h
    after no_inodes
    umount "$node2" || fail "cannot unmount the tmpfs on $node2"
    fakenodes_mpirun 2 "$stage" --config "$t/p.cfg" >"$t/log" 2>&1 || fail "with inodes: $(cat "$t/log")"
    for h in $FAKE_HOSTS; do
        compare_tree "$t/src/tree" "$FAKE_NODEDIR/$h/stage" || fail "$h's copy differs"
    done
}
scenario "with inodes again the same run stages every node byte-exact" with_inodes

read_only() {
    local rc=0
    fakenodes_clear stage
    mount -t tmpfs -o ro,size=1m mpift-test "$node2" || skip "cannot mount a read-only tmpfs"
    fakenodes_mpirun 2 "$stage" --config "$t/p.cfg" >"$t/log" 2>"$t/err" || rc=$?
    umount "$node2"
    [ "$rc" = 1 ] || fail "a read-only parent on $n2: exit $rc, expected 1: $(cat "$t/log" "$t/err")"
    grep -q "$n2 (rank 1): $n2: dest root $FAKE_SCRATCH/stage: cannot create folder $FAKE_SCRATCH/stage: Read-only file system: nothing was sent; fix its permissions or point paths.dest elsewhere" "$t/err" ||
        fail "the read-only parent is not explained: $(cat "$t/err")"
    expect_summary "$t/log" 0 0 "$nfiles"
    nothing_sent
}
scenario "a dest root that cannot be made on one node stops the run before anything moves (exit 1)" read_only

writable_again() {
    local h
    after read_only
    fakenodes_mpirun 2 "$stage" --config "$t/p.cfg" >"$t/log" 2>&1 || fail "writable again: $(cat "$t/log")"
    for h in $FAKE_HOSTS; do
        compare_tree "$t/src/tree" "$FAKE_NODEDIR/$h/stage" || fail "$h's copy differs"
    done
}
scenario "with the parent writable again the same run succeeds" writable_again
done_testing
