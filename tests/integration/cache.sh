#!/bin/bash
# The node cache (cache.dir, docs/cache.md) on 3 fake nodes: a second job
# into a new dest puts nothing on the wire and places every copy from the
# cache (hard links, read-only); a node whose cache was emptied alone
# receives; and the hostile cases: an entry truncated or rewritten behind
# mpift's back (discarded, fetched again, named; nothing wrong committed),
# a cache on a full file system (the job succeeds, warned), two jobs
# filling one cache at once, a cache folder that is a symlink or another
# user's (refused with a message naming it and the node; the job goes on
# without it).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" fakenodes=3x1 python3 timeout=600
plan 1

mkdir -p "$t/src/tree/sub"
head -c $((3 << 20)) /dev/urandom >"$t/src/tree/big.bin"
head -c 300000 /dev/urandom >"$t/src/tree/sub/mid.bin"
echo small >"$t/src/tree/sub/small.txt"
C=$FAKE_SCRATCH/cache

# job DEST [CACHEDIR] [ARGS...]: stage the tree into DEST on every node with
# the cache in CACHEDIR ($C), report in $t/r.json, log in $t/log; its status
job() {
    local dest=$1 cache=${2:-$C}
    shift 2 2>/dev/null || shift
    write_cfg "$t/c.cfg" "$t/src" "$FAKE_SCRATCH/$dest" "cache: { dir = \"$cache\"; max_size = \"64M\"; };"
    rm -f "$t/r.json"
    fakenodes_mpirun 3 "$stage" --config "$t/c.cfg" --report "$t/r.json" "$@" >"$t/log" 2>&1
}

# total FIELD: the report's totals' FIELD
total() {
    /usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["totals"][sys.argv[2]])' "$t/r.json" "$1"
}

# statuses: "host:path:status" per copy, sorted
statuses() {
    /usr/bin/python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
for f in r["files"]:
    for c in f["copies"]:
        print("%s:%s:%s%s" % (c["host"], f["path"], c["status"], ":discarded" if c.get("cache_discarded") else ""))' "$t/r.json" | sort
}

# same_everywhere DEST: every node's copy equals the source
same_everywhere() {
    local h
    for h in $FAKE_HOSTS; do
        compare_tree "$t/src/tree" "$FAKE_NODEDIR/$h/$1" || fail "the copy in $1 on $h differs from the source"
    done
}

second_job() {
    fakenodes_clear cache d1 d2
    job d1 || fail "job 1: $(cat "$t/log")"
    same_everywhere d1
    [ "$(total cache_bytes)" = 0 ] || fail "job 1 took $(total cache_bytes) bytes from an empty cache"
    job d2 || fail "job 2: $(cat "$t/log")"
    same_everywhere d2
    check_report "$t/r.json"
    [ "$(total wire_bytes)" = 0 ] || fail "job 2 put $(total wire_bytes) bytes on the wire: $(cat "$t/log")"
    [ "$(total cache_bytes)" = $((3 * ((3 << 20) + 300000 + 6))) ] || fail "job 2: cache_bytes $(total cache_bytes)"
    [ -z "$(statuses | grep -v ':cached$')" ] || fail "job 2: copies not from the cache: $(statuses)"
    # a hard link to the entry: two names or more, no write bit
    n=$(stat -c %h "$FAKE_NODEDIR/mpift-node2/d2/big.bin")
    [ "$n" -ge 3 ] || fail "job 2's copy has $n links: not linked to the cache entry"
    [ -z "$(find "$FAKE_NODEDIR/mpift-node2/d2" -type f -perm /222)" ] || fail "a linked copy is writable"
}
scenario "a second job into a new dest: 0 wire bytes, every copy placed from the cache" second_job
