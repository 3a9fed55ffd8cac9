#!/bin/bash
# Stage-out across 3 fake nodes x 2 ranks: each node's results (under its
# own dest root) are gathered onto rank 0 under paths.collect, kept apart
# by "%h/" (per node) or "%r/" (per rank), byte-exact; a re-run skips what
# is already there; two nodes with one final path is an error naming both
# and neither copy is written; a node without a match is named; --dry-run
# moves nothing.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" fakenodes=3x2 timeout=120
plan 8

hosts=("${rank_host[@]}")   # rank -> host
mkdir -p "$t/src"
echo input >"$t/src/in.txt"

# cfg FILE COPIES OUT_LIST
cfg() {
    cat >"$1" <<CFG
version = 1;
paths: { source = "$t/src"; dest = "$FAKE_SCRATCH/job/$3"; collect = "$t/collect"; };
transfer: { chunk_size = "64K"; };
workers: { copies = "$2"; };
stage_in = ( { src = "in.txt"; dest = ""; } );
stage_out = ( $4 );
CFG
}

# Per node: the results of each node leader (ranks 0, 2, 4).
for r in 0 2 4; do
    d=$FAKE_NODEDIR/${hosts[$r]}/job
    mkdir -p "$d/out" "$d/res/sub"
    echo "log of ${hosts[$r]}" >"$d/out/run.log"
    head -c $((r * 70000 + 13)) /dev/urandom >"$d/res/sub/data.bin"
done
cfg "$t/node.cfg" per-node "" '{ src = "out/*.log"; dest = "%h/"; }, { src = "res/"; dest = "%h/res/"; recursive = true; }'
per_node() {
    local h
    fakenodes_mpirun 6 "$stage" --config "$t/node.cfg" --out --progress always >"$t/log" 2>"$t/err" ||
        fail "per-node stage-out: $(cat "$t/log" "$t/err")"
    cp "$t/err" "$t/per_node.err"
    for h in $FAKE_HOSTS; do
        cmp -s "$FAKE_NODEDIR/$h/job/out/run.log" "$t/collect/$h/run.log" || fail "per-node: $h's run.log not in collect/$h"
        cmp -s "$FAKE_NODEDIR/$h/job/res/sub/data.bin" "$t/collect/$h/res/sub/data.bin" || fail "per-node: $h's data.bin differs"
    done
    grep -q "stage-out into $t/collect: 6 copies written, 0 unchanged, 0 failed" "$t/log" || fail "per-node summary: $(cat "$t/log")"
    no_temporaries "temporary files left in collect" "$t/collect"
}
scenario "per-node stage-out gathers each node's results byte-exact under collect/HOST" per_node

# The meter counts what comes into collect: 6 files, every byte of them.
meter() {
    local mb
    after per_node
    mb=$(find "$FAKE_NODEDIR" \( -name run.log -o -name data.bin \) -printf '%s\n' | awk '{ s += $1 } END { printf "%.1f", s / 1e6 }')
    grep -q "\[####################\] 100%  $mb/$mb MB  .* MB/s  ETA .*  6/6 files" "$t/per_node.err" ||
        fail "no stage-out meter for $mb MB: $(tr '\r' '\n' <"$t/per_node.err")"
}
scenario "the stage-out meter counts every file and byte coming into collect" meter

# Again: everything is there already.
rerun() {
    after per_node
    fakenodes_mpirun 6 "$stage" --config "$t/node.cfg" --out >"$t/log" 2>&1 || fail "re-run: $(cat "$t/log")"
    grep -q "0 copies written, 6 unchanged, 0 failed" "$t/log" || fail "re-run summary: $(cat "$t/log")"
}
scenario "a stage-out re-run finds everything unchanged" rerun

# on_error = "abort": rank 0 receives a damaged copy from the second node
# and, with no retries, stops there; the rest counts as failed.
abort() {
    local rc=0
    rm -rf "$t/collect"
    MPIFT_TEST_CORRUPT=1 MPIFT_TEST_PROGRESS_EVERY=0 fakenodes_mpirun 6 "$stage" --module "$faults" --config "$t/node.cfg" --out \
        --set transfer.retries=0 --set transfer.on_error=abort >"$t/log" 2>"$t/err" || rc=$?
    [ "$rc" = 1 ] || fail "stage-out abort: exit $rc, expected 1: $(cat "$t/log" "$t/err")"
    grep -q '^mpift-stage: *[0-9]*% ([0-9.]*/[0-9.]* MB, [0-9]/6 files)' "$t/err" || fail "no progress lines off a terminal: $(cat "$t/err")"
    grep -q "checksum mismatch .* (from ${hosts[2]} (rank 2))" "$t/err" || fail "stage-out abort: no mismatch named: $(cat "$t/err")"
    grep -q 'stopped at the first failure (transfer.on_error = "abort"' "$t/err" || fail "stage-out abort not explained: $(cat "$t/err")"
    grep -q "2 copies written, 0 unchanged, 4 failed" "$t/log" || fail "stage-out abort summary: $(cat "$t/log")"
    [ -z "$(find "$t/collect/${hosts[4]}" -type f 2>/dev/null)" ] || fail "stage-out abort still collected from the third node"
    no_temporaries "stage-out abort left temporary files" "$t/collect"
}
scenario "on_error = abort: a damaged copy from one node stops the stage-out; the rest counts as failed" abort

# --dry-run lists and moves nothing.
dry_run() {
    rm -rf "$t/collect"
    fakenodes_mpirun 6 "$stage" --config "$t/node.cfg" --out --dry-run >"$t/log" 2>&1 || fail "dry run: $(cat "$t/log")"
    grep -q "dry run: stage-out would gather 6 files" "$t/log" || fail "dry run summary: $(cat "$t/log")"
    grep -q "run.log <- ${hosts[2]} (rank 2)" "$t/log" || fail "dry run does not say who sends what: $(cat "$t/log")"
    [ -z "$(find "$t/collect" -type f 2>/dev/null)" ] || fail "a dry run wrote into collect"
}
scenario "--dry-run lists who sends what and writes nothing into collect" dry_run

# One final path from three nodes: an error naming them, nothing written.
clash() {
    local rc=0
    cfg "$t/clash.cfg" per-node "" '{ src = "out/*.log"; dest = ""; }'
    fakenodes_mpirun 6 "$stage" --config "$t/clash.cfg" --out >"$t/log" 2>"$t/err" || rc=$?
    [ "$rc" = 1 ] || fail "clash: exit $rc, expected 1: $(cat "$t/log" "$t/err")"
    grep -q "$t/collect/run.log: ${hosts[0]} (rank 0) and ${hosts[2]} (rank 2) (and 1 more ranks) both have it: not copied; put %h or %r" "$t/err" ||
        fail "clash not explained: $(cat "$t/err")"
    [ ! -e "$t/collect/run.log" ] || fail "a clashing file was written"
}
scenario "one final path from three nodes is an error naming them (exit 1); nothing written" clash

# Per rank, and a rank without a match.
for r in 0 1 2 3 4 5; do
    d=$FAKE_NODEDIR/${hosts[$r]}/job/$r
    mkdir -p "$d/out"
    [ "$r" = 3 ] || head -c $((r * 1000 + 1)) /dev/urandom >"$d/out/r.log"
done
cfg "$t/rank.cfg" per-rank "%r" '{ src = "out/r.log"; dest = "r%r/"; }'
per_rank() {
    local rc=0
    rm -rf "$t/collect"
    fakenodes_mpirun 6 "$stage" --config "$t/rank.cfg" --out >"$t/log" 2>"$t/err" || rc=$?
    cp "$t/log" "$t/per_rank.log"
    [ "$rc" = 1 ] || fail "per-rank with a missing file: exit $rc, expected 1: $(cat "$t/log" "$t/err")"
    grep -q "${hosts[3]} (rank 3): .*/job/3/out/r.log: No such file or directory (stage_out\[0\])" "$t/err" || fail "missing result not named by its node: $(cat "$t/err")"
    [ ! -e "$t/collect/r3" ] || fail "something was collected for rank 3"
}
scenario "per-rank stage-out: a rank without a match is named with its node (exit 1), nothing collected for it" per_rank

per_rank_others() {
    local r
    after per_rank
    for r in 0 1 2 4 5; do
        cmp -s "$FAKE_NODEDIR/${hosts[$r]}/job/$r/out/r.log" "$t/collect/r$r/r.log" || fail "per-rank: rank $r's r.log differs"
    done
    grep -q "5 copies written, 0 unchanged, 1 failed" "$t/per_rank.log" || fail "per-rank summary: $(cat "$t/per_rank.log")"
}
scenario "per-rank stage-out gathers every other rank's result byte-exact under collect/rN" per_rank_others
done_testing
