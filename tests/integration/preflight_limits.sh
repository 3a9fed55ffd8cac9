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

# refused CAUSE: the run stops before anything moves, on every node: exit
# 1, node 2 blamed (alone) with the message CAUSE (a grep pattern), every
# copy failed, nothing below any dest root.
refused() {
    local h rc=0
    fakenodes_mpirun 2 "$stage" --config "$t/p.cfg" >"$t/log" 2>"$t/err" || rc=$?
    [ "$rc" = 1 ] || fail "refused run: exit $rc, expected 1: $(cat "$t/log" "$t/err")"
    grep -q "^mpift-stage: $n2 (rank 1): $n2: $1" "$t/err" || fail "the cause is not explained: $(cat "$t/err")"
    [ "$(grep -c "nothing was sent" "$t/err")" = 1 ] || fail "another node was blamed: $(cat "$t/err")"
    expect_summary "$t/log" 0 0 "$nfiles"
    for h in $FAKE_HOSTS; do
        [ -z "$(find "$FAKE_NODEDIR/$h" -mindepth 2 2>/dev/null)" ] ||
            fail "$h received something although the run was refused: $(find "$FAKE_NODEDIR/$h" -mindepth 2)"
    done
}

# complete WHAT: the same run again succeeds, every node byte-exact.
complete() {
    local h
    fakenodes_mpirun 2 "$stage" --config "$t/p.cfg" >"$t/log" 2>&1 || fail "$1: $(cat "$t/log")"
    for h in $FAKE_HOSTS; do compare_tree "$t/src/tree" "$FAKE_NODEDIR/$h/stage" || fail "$1: $h's copy differs"; done
}

no_inodes() {
    refused "needs 18 inodes (files and folders) for $FAKE_SCRATCH/stage but its file system has [0-9] free: nothing was sent; remove files there or point paths.dest elsewhere"
}
scenario "a node short of inodes stops the stage-in before anything moves (exit 1), naming node, need and free inodes" no_inodes

with_inodes() {
    after no_inodes
    umount "$node2" || fail "cannot unmount the tmpfs on $node2"
    complete "with inodes again"
}
scenario "with inodes again the same run stages every node byte-exact" with_inodes

read_only() {
    fakenodes_clear stage
    mount -t tmpfs -o ro,size=1m mpift-test "$node2" || skip "cannot mount a read-only tmpfs"
    at_exit sh -c 'umount "$1" 2>/dev/null; :' sh "$node2"
    refused "dest root $FAKE_SCRATCH/stage: cannot create folder $FAKE_SCRATCH/stage: Read-only file system: nothing was sent; fix its permissions or point paths.dest elsewhere"
}
scenario "a dest root that cannot be made on one node stops the run before anything moves (exit 1)" read_only

writable_again() {
    after read_only
    umount "$node2" || fail "cannot unmount the read-only tmpfs on $node2"
    complete "writable again"
}
scenario "with the parent writable again the same run succeeds" writable_again
done_testing
