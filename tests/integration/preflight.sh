#!/bin/bash
# Preflight across 3 fake nodes: one node's dest is a 1 MiB tmpfs, too
# small for the 6 MB test tree.  Before any bytes move the run stops on
# every rank (exit 1) with the node, the need and the free space named,
# and no node received anything; the --report says the same (that node's
# copies failed with the message, the others not sent).  With room again,
# the same run succeeds.  Stage-out into a collect folder without room is
# refused the same way.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" fakenodes=3x1 tree timeout=120
n2=${fake_host[1]}
small=$FAKE_NODEDIR/$n2
mount -t tmpfs -o size=1m mpift-test "$small" 2>/dev/null || skip "cannot mount a tmpfs here"
at_exit sh -c 'umount "$1" 2>/dev/null; :' sh "$small"
mkdir -p "$t/collect"
# mode 0755: a fresh tmpfs is 1777, and a collect folder every user may
# write in is refused for its own sake (docs/paths.md).
mount -t tmpfs -o size=1m,mode=0755 mpift-test "$t/collect" || fail "cannot mount a second tmpfs"
at_exit sh -c 'umount "$1" 2>/dev/null; :' sh "$t/collect"
plan 5

write_cfg "$t/p.cfg" "$t/src" "$FAKE_SCRATCH/stage"
no_room() {
    local rc=0 h
    fakenodes_mpirun 3 "$stage" --config "$t/p.cfg" --report "$t/p.json" >"$t/log" 2>"$t/err" || rc=$?
    [ "$rc" = 1 ] || fail "no room on $n2: exit $rc, expected 1: $(cat "$t/log" "$t/err")"
    grep -q "$n2 (rank 1): $n2: needs [0-9.]* MB for $FAKE_SCRATCH/stage but its file system has [01]\.[0-9] MB free: nothing was sent" "$t/err" ||
        fail "shortfall not explained: $(cat "$t/err")"
    [ "$(grep -c "needs .* MB for" "$t/err")" = 1 ] || fail "a node with room was blamed: $(cat "$t/err")"
    for h in $FAKE_HOSTS; do
        [ -z "$(find "$FAKE_NODEDIR/$h" -type f 2>/dev/null)" ] || fail "$h received files although the run was refused"
    done
    expect_summary "$t/log" 0 0 "$nfiles"
}
scenario "a node without room stops the stage-in before any byte moves (exit 1), naming node, need and free space" no_room

no_room_report() {
    after no_room
    command -v python3 >/dev/null || skip "no python3 to read the report"
    check_report "$t/p.json"
    python3 - "$t/p.json" "$nfiles" <<'PY' || fail "preflight report: $(cat "$t/p.json")"
import json, sys
d = json.load(open(sys.argv[1]))
nfiles = int(sys.argv[2])
assert d["status"] == "failed" and d["exit_code"] == 1, d
assert d["totals"]["copies_written"] == 0 and d["totals"]["failed"] == nfiles, d["totals"]
for f in d["files"]:
    got = {c["rank"]: c for c in f["copies"]}
    assert sorted(got) == [0, 1, 2], f
    assert got[1]["status"] == "failed" and "needs" in got[1]["error"] and "nothing was sent" in got[1]["error"], f
    assert got[0]["status"] == got[2]["status"] == "not sent", f
PY
}
scenario "its report: that node's copies failed with the reason, the others not sent" no_room_report

with_room() {
    local h
    umount "$small" || fail "cannot unmount the tmpfs on $small"
    fakenodes_mpirun 3 "$stage" --config "$t/p.cfg" >"$t/log" 2>&1 || fail "with room: $(cat "$t/log")"
    for h in $FAKE_HOSTS; do
        compare_tree "$t/src/tree" "$FAKE_NODEDIR/$h/stage" || fail "$h's copy differs"
    done
}
scenario "with room again the same run stages every node byte-exact" with_room

# Stage-out checks rank 0's side the same way: the three nodes' trees
# (about 19 MB) cannot go into a 1 MiB collect folder.  Nothing is copied,
# and each file's report entry gives the reason.
cat >"$t/o.cfg" <<CFG
version = 1;
paths: { source = "$t/src"; dest = "$FAKE_SCRATCH/stage"; collect = "$t/collect"; };
stage_out = ( { src = "*"; dest = "%h/"; recursive = true; } );
CFG
collect_no_room() {
    local rc=0
    after with_room
    fakenodes_mpirun 3 "$stage" --config "$t/o.cfg" --out --report "$t/o.json" >"$t/log" 2>"$t/err" || rc=$?
    [ "$rc" = 1 ] || fail "no room in collect: exit $rc, expected 1: $(cat "$t/log" "$t/err")"
    grep -q "needs [0-9.]* MB for $t/collect but its file system has [01]\.[0-9] MB free: nothing was copied; free space there or point paths.collect elsewhere" "$t/err" ||
        fail "collect shortfall not explained: $(cat "$t/err")"
    [ -z "$(find "$t/collect" -mindepth 1)" ] || fail "files or folders made in collect although the run was refused: $(find "$t/collect")"
}
scenario "stage-out into a collect folder without room is refused (exit 1) and makes nothing there" collect_no_room

collect_no_room_report() {
    after collect_no_room
    command -v python3 >/dev/null || skip "no python3 to read the report"
    check_report "$t/o.json"
    python3 - "$t/o.json" "$nfiles" <<'PY' || fail "stage-out preflight report: $(cat "$t/o.json")"
import json, sys
d = json.load(open(sys.argv[1]))
nfiles = int(sys.argv[2])
assert d["status"] == "failed" and d["exit_code"] == 1, d
assert d["totals"]["copies_written"] == 0 and d["totals"]["failed"] == 3 * nfiles, d["totals"]
for f in d["files"]:
    assert f["status"] == "failed" and "nothing was copied" in f["error"], f
PY
}
scenario "its report gives each file the reason" collect_no_room_report
done_testing
