#!/bin/bash
# Settings every rank must share (config/agree.c, job/agree.c), on 3 local
# ranks of which the last gets its own --set (an MPMD line, as an
# application giving each rank its own mpift_options would): every key
# that changes the protocol or the plan, and --dry-run, refused at start
# with exit 2, naming the key, each value and the ranks that hold it, and
# nothing staged; keys that may differ (paths.dest, transfer.fsync) and
# message options (--verbose, --quiet, --progress) let the run through,
# every copy whole.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" mpirun timeout=120
plan 4

mkdir -p "$t/src/data" "$t/collect"
head -c 3000000 /dev/urandom >"$t/src/data/big.dat"
echo small >"$t/src/data/small.txt"
cat >"$t/c.cfg" <<CFG
version = 1;
paths: { source = "$t/src"; dest = "$t/dest/%r"; collect = "$t/collect"; };
transfer: { chunk_size = "1M"; window = 4; timeout = 20; };
workers: { copies = "per-rank"; policy = "pipeline"; };
stage_in = ( { src = "data/"; dest = ""; recursive = true; } );
CFG

# mismatch KEY=VALUE PATTERN: rank 2 alone sets KEY=VALUE (or passes the
# option, for a word starting with --); refused naming PATTERN.
mismatch() {
    local rc=0 extra
    rm -rf "$t/dest"
    case $1 in --*) extra=("$1") ;; *) extra=(--set "$1") ;; esac
    mpift_mpirun -n 2 "$stage" --config "$t/c.cfg" : -n 1 "$stage" --config "$t/c.cfg" "${extra[@]}" \
        >"$t/log" 2>&1 || rc=$?
    [ "$rc" = 2 ] || fail "$1 on rank 2 only: exit $rc, expected 2 (a configuration error): $(cat "$t/log")"
    grep -q -- "$2" "$t/log" || fail "$1 on rank 2 only: the mismatch is not named as expected ($2): $(cat "$t/log")"
    ! grep -q "may be stuck\|message for another file" "$t/log" || fail "$1: it got as far as a transfer: $(cat "$t/log")"
    [ -z "$(find "$t/dest" -type f 2>/dev/null)" ] || fail "$1 on rank 2 only: files were staged: $(find "$t/dest" -type f)"
}

transfer_keys() {
    mismatch transfer.chunk_size=64K 'transfer.chunk_size differs between ranks (a --set or option given to some ranks only): 1048576 on ranks 0-1; 65536 on rank 2'
    mismatch transfer.window=2 'transfer.window differs between ranks.*: 4 on ranks 0-1; 2 on rank 2'
    mismatch transfer.retries=0 'transfer.retries differs between ranks.*: 2 on ranks 0-1; 0 on rank 2'
    mismatch transfer.timeout=0 'transfer.timeout differs between ranks.*: 20 on ranks 0-1; 0 on rank 2'
    mismatch transfer.on_error=abort 'transfer.on_error differs between ranks.*: "continue" on ranks 0-1; "abort" on rank 2'
    mismatch transfer.checksum=none 'transfer.checksum differs between ranks.*: "xxh3" on ranks 0-1; "none" on rank 2'
}
scenario "transfer.chunk_size, window, retries, timeout, on_error, checksum on one rank only: exit 2, key, values, ranks" transfer_keys

workers_paths_keys() {
    mismatch workers.policy=tree 'workers.policy differs between ranks.*: "pipeline" on ranks 0-1; "tree" on rank 2'
    mismatch workers.copies=per-node 'workers.copies differs between ranks.*: "per-rank" on ranks 0-1; "per-node" on rank 2'
    mismatch workers.fanout=3 'workers.fanout differs between ranks.*on rank 2'
    mismatch workers.max_streams=2 'workers.max_streams differs between ranks.*: 4 on ranks 0-1; 2 on rank 2'
    mismatch paths.collect=/nowhere 'paths.collect differs between ranks.*"/nowhere" on rank 2'
    mismatch paths.source=/nowhere 'paths.source differs between ranks.*"/nowhere" on rank 2'
}
scenario "workers.policy, copies, fanout, max_streams, paths.source, paths.collect on one rank only: exit 2, named" workers_paths_keys

dry_run() {
    mismatch --dry-run '\-\-dry-run (mpift_options.dry_run) differs between ranks.*"\?no"\? on ranks 0-1; "\?yes"\? on rank 2'
    # a report only rank 2 asks for: its gathering would wait for the
    # others (a hang until the watchdog), and a stage-out's writers hash
    # each file's content only when they know a report wants it
    mismatch "--report=$t/rank2.json" '\-\-report (mpift_options.report_path) differs between ranks.*"\?no"\? on ranks 0-1; "\?yes"\? on rank 2'
    [ ! -e "$t/rank2.json" ] || fail "a report was written"
}
scenario "--dry-run or --report on one rank only: exit 2, named" dry_run

# Per-rank by nature: each rank its own dest root and fsync, and its own
# message settings.
may_differ() {
    local rc=0 r f
    rm -rf "$t/dest"
    mpift_mpirun -n 1 "$stage" --config "$t/c.cfg" --verbose : -n 1 "$stage" --config "$t/c.cfg" \
        --set transfer.fsync=true --quiet : -n 1 "$stage" --config "$t/c.cfg" --set "paths.dest=$t/dest/other" \
        --progress never >"$t/log" 2>&1 || rc=$?
    [ "$rc" = 0 ] || fail "ranks with their own dest, fsync and messages: exit $rc: $(cat "$t/log")"
    for r in 0 1 other; do
        for f in big.dat small.txt; do
            cmp -s "$t/src/data/$f" "$t/dest/$r/$f" || fail "rank $r: $f is not whole: $(cat "$t/log")"
        done
    done
}
scenario "paths.dest, transfer.fsync, --verbose, --quiet, --progress on some ranks only: staged, every copy whole" may_differ
