#!/bin/bash
# The node cache (cache.dir, docs/cache.md) on 3 fake nodes: a second job
# into a new dest puts nothing on the wire and places every copy from the
# cache (hard links, read-only); a node whose cache was emptied alone
# receives; and the hostile cases: an entry truncated or rewritten behind
# mpift's back (discarded, fetched again, named; nothing wrong committed),
# a cache on a full file system (the job succeeds, warned), two jobs
# filling one cache at once, a cache folder that is a symlink or another
# user's (refused with a message naming it and the node; the job goes on
# without it); and what review 2 found: a copy under checksum "none"
# trusted unread, a .lock held elsewhere, sparse files filled, hits to be
# copied without room, an entry evicted before it was placed; and what
# review s6 found: an entry rewritten between its check and its placing,
# or while it was hashed; records that cannot be written (no inodes); an
# entry locked by another process; two puts of one entry at once; and
# what its review found: a dest copy written while it is put; a cache.dir
# on a file system that does not keep identity.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" fakenodes=3x1 python3 timeout=600
plan 21

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

# primed: every node's cache holds the tree, as a job into d1 with empty
# caches leaves them.  Staging d1 costs a job, so a scenario that ends
# with the caches so (every entry whole, nothing but the tree's) says so
# with mark_primed, and primed() in the next scenario takes them as they
# are.  Only in the very next: any scenario between the two may have
# evicted, tampered with, filled or replaced the caches (or failed or
# been skipped halfway), so the mark holds the number of the scenario
# that wrote it, and primed() trusts it only when that one ran just
# before (tap.sh's _tap_count: the scenarios run so far, this one not
# counted).  Otherwise it empties the caches and stages d1 itself.  Each
# such scenario writes into dests of its own (never clearing another's:
# a copy placed from the cache is a hard link to its entry).
primed() {
    [ "$(cat "$t/primed" 2>/dev/null)" = "$_tap_count" ] && return 0
    fakenodes_clear cache d1
    job d1 || fail "job 1: $(cat "$t/log")"
}
mark_primed() {
    echo $((_tap_count + 1)) >"$t/primed"
}

second_job() {
    fakenodes_clear cache d1 d2
    job d1 || fail "job 1: $(cat "$t/log")"
    same_everywhere d1
    [ "$(total cache_bytes)" = 0 ] || fail "job 1 took $(total cache_bytes) bytes from an empty cache"
    # a put's temporary that a killed job left: the next eviction's
    echo partial >"$FAKE_NODEDIR/mpift-node1/cache/.mpift-put-99999.tmp"
    job d2 || fail "job 2: $(cat "$t/log")"
    [ ! -e "$FAKE_NODEDIR/mpift-node1/cache/.mpift-put-99999.tmp" ] || fail "a dead put's temporary was left in the cache"
    same_everywhere d2
    check_report "$t/r.json"
    [ "$(total wire_bytes)" = 0 ] || fail "job 2 put $(total wire_bytes) bytes on the wire: $(cat "$t/log")"
    [ "$(total cache_bytes)" = $((3 * ((3 << 20) + 300000 + 6))) ] || fail "job 2: cache_bytes $(total cache_bytes)"
    [ -z "$(statuses | grep -v ':cached$')" ] || fail "job 2: copies not from the cache: $(statuses)"
    # Python's Result carries the totals, and a cached copy is no failure
    PYTHONPATH=$top_srcdir/python /usr/bin/python3 -c 'import json, sys
from mpift._result import Result
r = Result(json.load(open(sys.argv[1])))
sys.exit(0 if (r.cache_bytes, r.cache_discarded, r.failures) == (int(sys.argv[2]), 0, []) else
         "Result: cache_bytes %s, cache_discarded %s, failures %s" % (r.cache_bytes, r.cache_discarded, r.failures))' \
        "$t/r.json" "$(total cache_bytes)" || fail "Python's Result of job 2 is wrong"
    # a hard link to the entry: two names or more, no write bit
    n=$(stat -c %h "$FAKE_NODEDIR/mpift-node2/d2/big.bin")
    [ "$n" -ge 3 ] || fail "job 2's copy has $n links: not linked to the cache entry"
    [ -z "$(find "$FAKE_NODEDIR/mpift-node2/d2" -type f -perm /222)" ] || fail "a linked copy is writable"
    mark_primed
}
scenario "a second job into a new dest: 0 wire bytes, every copy placed from the cache" second_job

# node_bytes HOST: the bytes written on HOST (from the wire), per --report
node_bytes() {
    /usr/bin/python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
print(next(n["bytes_written"] for n in r["nodes"] if n["host"] == sys.argv[2]))' "$t/r.json" "$1"
}

one_node_lacks() {
    primed
    fakenodes_clear lack2 lack3
    rm -rf -- "${FAKE_NODEDIR:?}/mpift-node3/cache"
    job lack2 || fail "job 2: $(cat "$t/log")"
    same_everywhere lack2
    check_report "$t/r.json"
    [ "$(node_bytes mpift-node1)/$(node_bytes mpift-node2)" = 0/0 ] ||
        fail "nodes 1 and 2 hold the files in their caches, yet received $(node_bytes mpift-node1)/$(node_bytes mpift-node2) bytes"
    [ "$(node_bytes mpift-node3)" = $(((3 << 20) + 300000 + 6)) ] || fail "node 3 received $(node_bytes mpift-node3) bytes"
    [ "$(total wire_bytes)" = $(((3 << 20) + 300000 + 6)) ] || fail "wire_bytes $(total wire_bytes): once to node 3 expected"
    [ "$(statuses | grep -c '^mpift-node3:.*:written$')" = 3 ] || fail "node 3's copies: $(statuses)"
    # node 3's cache was filled again: a third job moves nothing
    job lack3 || fail "job 3: $(cat "$t/log")"
    [ "$(total wire_bytes)" = 0 ] || fail "job 3 put $(total wire_bytes) bytes on the wire"
    mark_primed
}
scenario "with the cache emptied on one node, only that node receives (and its cache is filled again)" one_node_lacks

# entry HOST FILE: the path of HOST's cache entry of source FILE
entry() {
    local size key
    size=$(stat -c %s "$t/src/tree/$2")
    key=$(/usr/bin/python3 -c 'import ctypes, sys
x = ctypes.CDLL("libxxhash.so.0")
class H(ctypes.Structure): _fields_ = [("low64", ctypes.c_uint64), ("high64", ctypes.c_uint64)]
x.XXH3_128bits.restype = H
x.XXH3_128bits.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
b = open(sys.argv[1], "rb").read()
h = x.XXH3_128bits(b, len(b))
print("%016x%016x" % (h.high64, h.low64))' "$t/src/tree/$2")
    echo "$FAKE_NODEDIR/$1/cache/$size-$key"
}

tampered() {
    local e2 e3
    primed
    fakenodes_clear tamp2
    e2=$(entry mpift-node2 big.bin)
    e3=$(entry mpift-node3 sub/mid.bin)
    [ -f "$e2" ] && [ -f "$e3" ] || fail "no cache entries $e2 $e3"
    # behind mpift's back: node 2's truncated, node 3's rewritten in place
    # with its mtime put back (same size, same mtime: only the bytes differ)
    truncate -s 1000 "$e2"
    cp -p "$e3" "$t/mtime.ref"
    head -c 300000 /dev/urandom | dd of="$e3" conv=notrunc status=none
    touch -r "$t/mtime.ref" "$e3"
    job tamp2 || fail "job 2 failed with tampered entries: $(cat "$t/log")"
    same_everywhere tamp2
    check_report "$t/r.json"
    grep -q "mpift-node2.*cache entry .*/cache/$(basename "$e2") is of another size.*discarded; fetching it again" "$t/log" ||
        fail "no warning naming node 2's truncated entry: $(cat "$t/log")"
    grep -q "mpift-node3.*cache entry .*/cache/$(basename "$e3") changed since it was cached.*discarded; fetching it again" "$t/log" ||
        fail "no warning naming node 3's rewritten entry: $(cat "$t/log")"
    [ "$(total cache_discarded)" = 2 ] || fail "cache_discarded $(total cache_discarded), 2 expected"
    statuses | grep -qx "mpift-node2:big.bin:written:discarded" || fail "node 2's big.bin: $(statuses)"
    statuses | grep -qx "mpift-node3:sub/mid.bin:written:discarded" || fail "node 3's mid.bin: $(statuses)"
    # the fetched copies were cached again, whole
    cmp -s "$e2" "$t/src/tree/big.bin" && cmp -s "$e3" "$t/src/tree/sub/mid.bin" ||
        fail "the discarded entries were not cached again with the right bytes"
    mark_primed
}
scenario "an entry truncated or rewritten behind mpift's back: discarded, named, fetched again, nothing wrong committed" tampered

# Cache hits that must be copied (the dest on another file system) need
# room: preflight counts them, and refuses before anything is written.
hit_room() {
    local fs=$t/small-mpift-node2 rc
    primed
    rm -rf "$t"/small-mpift-node*
    mkdir -p "$fs"
    mount -t tmpfs -o size=1m,mode=0755 tmpfs "$fs" || skip "cannot mount a tmpfs"
    at_exit sh -c 'umount "$1" 2>/dev/null; :' sh "$fs"
    write_cfg "$t/c.cfg" "$t/src" "$t/small-%h" "cache: { dir = \"$C\"; max_size = \"64M\"; };"
    fakenodes_mpirun 3 "$stage" --config "$t/c.cfg" >"$t/log" 2>&1
    rc=$?
    cat "$t/log" >&2
    [ -z "$(find "$fs" -type f)" ] || fail "node 2's small dest got files: $(find "$fs" -type f)"
    umount "$fs"
    [ "$rc" = 1 ] || fail "cache hits without room to be copied: exit $rc: $(cat "$t/log")"
    grep -q "mpift-node2: needs [0-9.]* MB for $fs but its file system has [01]\.[0-9] MB free: nothing was sent" "$t/log" ||
        fail "preflight did not refuse node 2's copies from the cache: $(cat "$t/log")"
}
scenario "cache hits to be copied into a dest without room: refused at preflight, nothing written" hit_room

full_cache() {
    local fs=$t/full-mpift-node2 rc
    fakenodes_clear d1
    rm -rf "$t"/full-mpift-node*
    mkdir -p "$fs"
    mount -t tmpfs -o size=1m tmpfs "$fs" || skip "cannot mount a tmpfs"
    job d1 "$t/full-%h/cache"
    rc=$?
    umount "$fs"
    [ "$rc" = 0 ] || fail "a full cache failed the job (exit $rc): $(cat "$t/log")"
    same_everywhere d1
    grep -q "mpift-node2.*not cached in $t/full-mpift-node2/cache: No space left on device; the copy is in place" "$t/log" ||
        fail "no warning of node 2's full cache: $(cat "$t/log")"
    [ -f "$t/full-mpift-node1/cache/$(basename "$(entry mpift-node1 big.bin)")" ] ||
        fail "node 1's cache (room enough) was not filled"
}
scenario "a cache on a full file system: the job succeeds, the copy lands, a warning names the node" full_cache

# records_true HOST...: every entry's record in each HOST's cache ($C)
# holds the entry's identity now (docs/cache.md): a job trusts it unread.
records_true() {
    local h
    for h; do
        /usr/bin/python3 - "$(cache_of "$h")" <<'PY' || fail "$h: records that are not their entries': trusted by no job"
import os, re, sys
d, bad = sys.argv[1], []
for n in sorted(os.listdir(d)):
    if not re.fullmatch(r"[0-9]+-[0-9a-f]{32}", n):
        continue
    st = os.stat(os.path.join(d, n))
    want = [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns // 10**9, st.st_mtime_ns % 10**9,
            st.st_ctime_ns // 10**9, st.st_ctime_ns % 10**9]
    try:
        got = [int(v) for v in open(os.path.join(d, n + ".rec")).read().split()]
    except OSError as e:
        got = str(e)
    if got != want:
        bad.append("%s: record %s, entry %s" % (n, got, want))
print("\n".join(bad), file=sys.stderr)
sys.exit(1 if bad else 0)
PY
    done
}

# cache_of HOST: HOST's cache folder in this scenario ($C unless set)
cache_of() {
    echo "${cache_dir_of:-$FAKE_NODEDIR/$1/cache}" | sed "s|%h|$1|"
}

# Two jobs put the same entries at once, forced to overlap: job 1 stops
# on every node once its first put by copy (the cache on a tmpfs of its
# own: no hard link) has its temporary whole, job 2 runs to its end
# meanwhile, then job 1 links: the entry is job 2's, and its record must
# stay job 2's, not name job 1's temporary (review s6 #4).
two_jobs() {
    local a h f raced rc=0
    fakenodes_clear cache d1 d2 d3
    rm -rf "$t"/tw-mpift-node*
    for h in $FAKE_HOSTS; do
        mkdir -p "$t/tw-$h"
        mount -t tmpfs -o size=64m,mode=0700 tmpfs "$t/tw-$h" || skip "cannot mount a tmpfs"
        at_exit sh -c 'umount "$1" 2>/dev/null; :' sh "$t/tw-$h"
    done
    # Every rank of job 1 stops at its first put by copy, its temporary
    # whole (a pause file per node: $FAKE_SCRATCH is the node's own).  A
    # rank stopped may hold up the ranks it sends to, so the nodes stop in
    # turn: as each does, job 2 runs on that node alone (a hostfile of
    # it), puts the same entries there first, and that node goes on: its
    # link then meets job 2's entry.
    write_cfg "$t/c2.cfg" "$t/src" "$FAKE_SCRATCH/d2" "cache: { dir = \"$t/tw-%h/cache\"; max_size = \"64M\"; };"
    for h in $FAKE_HOSTS; do rm -f "$FAKE_NODEDIR/$h/pause-tw"; done
    (MPIFT_TEST_PAUSE_BEFORE_PUT_LINK=60 MPIFT_TEST_PAUSE_FILE=$FAKE_SCRATCH/pause-tw job d1 "$t/tw-%h/cache" --module "$faults") &
    a=$!
    raced=
    while kill -0 "$a" 2>/dev/null && [ "$(wc -w <<<"$raced")" -lt 3 ]; do
        for h in $FAKE_HOSTS; do
            case " $raced " in *" $h "*) continue ;; esac
            [ -e "$FAKE_NODEDIR/$h/pause-tw" ] || continue
            echo "$h slots=1" >"$t/hosts-$h"
            echo "$h:1" >"$t/hosts-$h.hydra"
            FAKE_HOSTFILE=$t/hosts-$h fakenodes_mpirun 1 "$stage" --config "$t/c2.cfg" >"$t/log2" 2>&1 ||
                rc=$?
            [ "$rc" = 0 ] || fail "job 2 on $h, while job 1 held its put there: exit $rc: $(cat "$t/log2")"
            rm -f "$FAKE_NODEDIR/$h/pause-tw"
            raced="$raced $h"
        done
        sleep 0.05
    done
    wait $a || fail "job 1 of two at once: $(cat "$t/log")"
    [ "$(wc -w <<<"$raced")" = 3 ] || fail "job 1 stopped before its put's link on$raced only, not on every node: $(cat "$t/log")"
    same_everywhere d1
    same_everywhere d2
    for h in $FAKE_HOSTS; do
        for f in big.bin sub/mid.bin sub/small.txt; do
            cmp -s "$t/tw-$h/cache/$(basename "$(entry "$h" "$f")")" "$t/src/tree/$f" ||
                fail "$h: the cache entry of $f is not its bytes"
        done
        [ -z "$(find "$t/tw-$h/cache" -name '*.tmp')" ] || fail "$h: temporaries left in the cache"
    done
    cache_dir_of="$t/tw-%h/cache" records_true $FAKE_HOSTS
    job d3 "$t/tw-%h/cache" --verbose || fail "job 3: $(cat "$t/log")"
    same_everywhere d3
    [ "$(total wire_bytes)" = 0 ] || fail "after two jobs filled the cache, job 3 put $(total wire_bytes) bytes on the wire"
    for h in $FAKE_HOSTS; do umount "$t/tw-$h"; done
}
scenario "two jobs putting one cache's entries at once (forced): both succeed, every entry whole and truly recorded" two_jobs

refused() {
    local h
    fakenodes_clear cl d1
    mkdir -p "$t/elsewhere" "$FAKE_NODEDIR/mpift-node2/cl" "$FAKE_NODEDIR/mpift-node3/cl"
    ln -s "$t/elsewhere" "$FAKE_NODEDIR/mpift-node1/cl"
    chown 4242:4242 "$FAKE_NODEDIR/mpift-node2/cl"
    chmod 0777 "$FAKE_NODEDIR/mpift-node3/cl"
    job d1 "$FAKE_SCRATCH/cl" || fail "a refused cache failed the job: $(cat "$t/log")"
    same_everywhere d1
    grep -q "cache.dir $FAKE_SCRATCH/cl on mpift-node1: is a symbolic link.*remove the link" "$t/log" ||
        fail "no refusal of node 1's symlink: $(cat "$t/log")"
    grep -q "cache.dir $FAKE_SCRATCH/cl on mpift-node2: is owned by uid 4242, not by you.*a folder of your own" "$t/log" ||
        fail "no refusal of node 2's folder of another user: $(cat "$t/log")"
    grep -q "cache.dir $FAKE_SCRATCH/cl on mpift-node3: is writable by others (mode 0777).*chmod go-w" "$t/log" ||
        fail "no refusal of node 3's world-writable folder: $(cat "$t/log")"
    [ -z "$(ls -A "$t/elsewhere")" ] || fail "mpift wrote through the symlink: $(ls -A "$t/elsewhere")"
    for h in mpift-node2 mpift-node3; do
        [ -z "$(ls -A "$FAKE_NODEDIR/$h/cl")" ] || fail "mpift wrote into $h's refused folder"
    done
}
scenario "a cache folder that is a symlink, another user's, or world-writable: refused, named, the job goes on" refused

list_prune() {
    local e held rc i
    fakenodes_clear cache d1
    job d1 || fail "job 1: $(cat "$t/log")"
    e=$(entry mpift-node2 big.bin)
    # a running job's hold on an entry, as stage-in takes it
    flock -s "$e" sleep 60 &
    held=$!
    # until it holds it (an exclusive lock cannot be had), at most 10 s
    for i in $(seq 100); do flock -n -x "$e" true || break; sleep 0.1; done
    fakenodes_mpirun 3 "$stage" --config "$t/c.cfg" --cache-list >"$t/list" 2>&1 || fail "--cache-list: $(cat "$t/list")"
    for h in $FAKE_HOSTS; do
        grep -q "^$h: cache.dir $C: 3 entries, $(((3 << 20) + 300000 + 6)) bytes (cache.max_size 67108864)" "$t/list" ||
            fail "--cache-list says nothing right of $h: $(cat "$t/list")"
    done
    grep -q "$(basename "$e") *3145728  [0-9-]* [0-9:]*  yes$" "$t/list" || fail "the held entry is not in use: $(cat "$t/list")"
    [ "$(grep -c ' no$' "$t/list")" = 8 ] || fail "8 entries not in use expected: $(cat "$t/list")"
    # job 1's copies are hard links to the entries: only an entry whose
    # copy is gone frees its bytes (node 1's mid.bin)
    rm -f "$FAKE_NODEDIR/mpift-node1/d1/sub/mid.bin"
    fakenodes_mpirun 3 "$stage" --config "$t/c.cfg" --cache-prune=1 >"$t/prune" 2>&1 || fail "--cache-prune: $(cat "$t/prune")"
    grep -q "^mpift-node1: cache.dir $C: 300000 bytes freed, 0 kept (to at most 1); $(((3 << 20) + 6)) bytes more left the cache but are still held by copies placed from it (hard links in dests" "$t/prune" ||
        fail "node 1 was not emptied, or its freed bytes miscounted: $(cat "$t/prune")"
    grep -q "^mpift-node2: cache.dir $C: 0 bytes freed, 3145728 kept.*in use by a job); 300006 bytes more left the cache but are still held" "$t/prune" ||
        fail "node 2 did not keep its held entry alone, or counted linked entries as freed: $(cat "$t/prune")"
    [ -f "$e" ] || fail "a held entry was evicted"
    kill "$held" 2>/dev/null
    wait "$held" 2>/dev/null
    # without cache.dir: a configuration error; a refused folder: exit 1
    write_cfg "$t/n.cfg" "$t/src" "$FAKE_SCRATCH/d1"
    fakenodes_mpirun 3 "$stage" --config "$t/n.cfg" --cache-list >"$t/none" 2>&1
    rc=$?
    [ "$rc" = 2 ] && grep -q "cache.dir is not set: there is no cache to list" "$t/none" ||
        fail "--cache-list without cache.dir: exit $rc: $(cat "$t/none")"
    rm -rf "${FAKE_NODEDIR:?}/mpift-node3/cache" && ln -s /tmp "$FAKE_NODEDIR/mpift-node3/cache"
    fakenodes_mpirun 3 "$stage" --config "$t/c.cfg" --cache-list >"$t/sym" 2>&1
    rc=$?
    rm -f "$FAKE_NODEDIR/mpift-node3/cache"
    [ "$rc" = 1 ] && grep -q "^mpift-node3: cache.dir $C on mpift-node3: is a symbolic link" "$t/sym" ||
        fail "--cache-list with node 3's cache a symlink: exit $rc: $(cat "$t/sym")"
}
scenario "--cache-list and --cache-prune per node, a held entry kept; no cache.dir or a symlink refused" list_prune

# More hits than the cache may hold open (a quarter of the open-file
# limit): the rest are let go at lookup and opened again to be placed.
many() {
    local i
    fakenodes_clear cache d1 d2
    for i in $(seq 1 100); do echo "file $i" >"$t/src/tree/sub/f$i.txt"; done
    job d1 || fail "job 1: $(cat "$t/log")"
    (ulimit -n 160 && job d2) || fail "job 2 under ulimit -n 160: $(cat "$t/log")"
    same_everywhere d2
    [ "$(total wire_bytes)" = 0 ] || fail "job 2 put $(total wire_bytes) bytes on the wire"
    [ -z "$(statuses | grep -v ':cached$')" ] || fail "job 2: copies not from the cache: $(statuses | grep -v ':cached$')"
    rm -f "$t"/src/tree/sub/f*.txt
}
scenario "more cached files than descriptors to hold them: every copy still placed from the cache" many

# checksum "none": a copy corrupted on the way is cached, but never
# trusted unread: the next job (checksum xxh3) hashes the entry, discards
# it and fetches the file.
unchecked() {
    fakenodes_clear cache d1 d2
    write_cfg "$t/c.cfg" "$t/src" "$FAKE_SCRATCH/d1" "cache: { dir = \"$C\"; max_size = \"64M\"; };"
    sed -i 's/^transfer: {/transfer: { checksum = "none";/' "$t/c.cfg"
    MPIFT_TEST_CORRUPT=1 fakenodes_mpirun 3 "$stage" --module "$faults" --config "$t/c.cfg" >"$t/log" 2>&1 ||
        fail "job 1 (checksum none): $(cat "$t/log")"
    cmp -s "$t/src/tree/big.bin" "$FAKE_NODEDIR/mpift-node2/d1/big.bin" &&
        skip "MPIFT_TEST_CORRUPT=1 corrupted nothing on node 2"
    job d2 || fail "job 2: $(cat "$t/log")"
    same_everywhere d2
    grep -q "mpift-node2.*cache entry .*changed since it was cached.*discarded; fetching it again" "$t/log" ||
        fail "node 2's unverified entry was not hashed and discarded: $(cat "$t/log")"
}
scenario "checksum none: an unverified copy is cached unrecorded, hashed before use, a corrupt one discarded" unchecked

# Another process holds the folder's .lock: the job neither hangs nor is
# aborted as a dead node (its heartbeats go on, transfer.timeout 2 s); it
# gives the cache up on that node after a bounded wait, says so, and its
# copies land.
held_lock() {
    local lp rc
    fakenodes_clear cache d1
    mkdir -p -m 0700 "$FAKE_NODEDIR/mpift-node2/cache"
    touch "$FAKE_NODEDIR/mpift-node2/cache/.lock"
    flock -x "$FAKE_NODEDIR/mpift-node2/cache/.lock" sleep 300 &
    lp=$!
    while ! [ -e /proc/$lp ] || flock -n "$FAKE_NODEDIR/mpift-node2/cache/.lock" true; do sleep 0.1; done
    write_cfg "$t/c.cfg" "$t/src" "$FAKE_SCRATCH/d1" "cache: { dir = \"$C\"; max_size = \"64M\"; };"
    sed -i 's/^transfer: {/transfer: { timeout = 2;/' "$t/c.cfg"
    MPIFT_TEST_TIMEOUT=200 fakenodes_mpirun 3 "$stage" --config "$t/c.cfg" >"$t/log" 2>&1
    rc=$?
    kill $lp 2>/dev/null
    wait $lp 2>/dev/null
    [ "$rc" = 0 ] || fail "a cache lock held by another process: exit $rc: $(cat "$t/log")"
    same_everywhere d1
    grep -q "mpift-node2.*cache.dir $C: its lock $C/.lock was held by another process.*goes on without it" "$t/log" ||
        fail "no warning naming node 2's busy lock: $(cat "$t/log")"
    [ "$(grep -c "its lock .* was held" "$t/log")" = 1 ] || fail "the busy lock was told more than once: $(cat "$t/log")"
    [ -z "$(ls "$FAKE_NODEDIR/mpift-node2/cache" | grep -v '^\.lock$')" ] || fail "node 2's cache was filled unlocked"
}
scenario "a cache .lock held by another process: a bounded wait, a warning, the job succeeds" held_lock

# A sparse file into a cache on another file system (a tmpfs: copied, not
# linked) and back out into a new dest: holes stay holes both ways.
sparse() {
    local fs=$t/sp-mpift-node2 e b
    fakenodes_clear d1 d2
    rm -rf "$t"/sp-mpift-node* "$t/sp"
    mkdir -p "$fs" "$t/sp/tree"
    mount -t tmpfs -o size=100m,mode=0700 tmpfs "$fs" || skip "cannot mount a tmpfs"
    at_exit sh -c 'umount "$1" 2>/dev/null; :' sh "$fs"
    truncate -s 64M "$t/sp/tree/sparse.bin"
    head -c 4096 /dev/urandom | dd of="$t/sp/tree/sparse.bin" bs=4096 seek=1000 conv=notrunc status=none
    for d in d1 d2; do
        write_cfg "$t/c.cfg" "$t/sp" "$FAKE_SCRATCH/$d" "cache: { dir = \"$t/sp-%h/cache\"; max_size = \"100M\"; };"
        fakenodes_mpirun 3 "$stage" --config "$t/c.cfg" >"$t/log" 2>&1 || fail "job into $d: $(cat "$t/log")"
        [ $d = d2 ] && break
        b=$(stat -c %b "$FAKE_NODEDIR/mpift-node2/d1/sparse.bin")
        # Where holes are known to work (SEEK_HOLE), a dense copy is a
        # fault of the receive path, not a reason to skip.
        if [ "$b" -gt 4096 ]; then
            case $(stat -f -c %T "$FAKE_NODEDIR/mpift-node2/d1") in
            tmpfs | ext2/ext3 | xfs) fail "the received copy of a 64 MiB file with 4 KiB of data holds $b blocks" ;;
            *) skip "the received copy is not sparse ($b blocks) on $(stat -f -c %T "$FAKE_NODEDIR/mpift-node2/d1"): nothing to keep" ;;
            esac
        fi
        e=$fs/cache/$(ls "$fs/cache" | grep -E '^67108864-[0-9a-f]{32}$')
        [ -f "$e" ] || fail "sparse.bin was not cached on node 2: $(ls -la "$fs/cache")"
        b=$(stat -c %b "$e")
        [ "$b" -le 4096 ] || fail "the cache entry of a 64 MiB file with 4 KiB of data holds $b blocks"
    done
    cmp "$t/sp/tree/sparse.bin" "$FAKE_NODEDIR/mpift-node2/d2/sparse.bin" || fail "node 2's copy from the cache differs"
    b=$(stat -c %b "$FAKE_NODEDIR/mpift-node2/d2/sparse.bin")
    [ "$b" -le 4096 ] || fail "the copy placed from the cache holds $b blocks"
    umount "$fs"
}
scenario "a sparse file copied into a cache on another file system and out again stays sparse" sparse

# Hits past the entries a job may hold open are opened again to be
# placed; one evicted in between is fetched in a round added for it, not
# failed.
gone() {
    local i pf=$t/pause
    fakenodes_clear cache d1 d2
    for i in $(seq 1 60); do echo "file $i" >"$t/src/tree/sub/f$i.txt"; done
    job d1 || fail "job 1: $(cat "$t/log")"
    write_cfg "$t/c.cfg" "$t/src" "$FAKE_SCRATCH/d2" "cache: { dir = \"$C\"; max_size = \"64M\"; };"
    sed -i 's/^transfer: {/transfer: { retries = 0;/' "$t/c.cfg"
    rm -f "$pf"
    (ulimit -n 100 && MPIFT_TEST_PAUSE_BEFORE_PLACE=1:60 MPIFT_TEST_PAUSE_FILE=$pf \
        fakenodes_mpirun 3 "$stage" --module "$faults" --config "$t/c.cfg" >"$t/log" 2>&1) &
    i=$!
    while [ ! -e "$pf" ] && kill -0 $i 2>/dev/null; do sleep 0.1; done
    [ -e "$pf" ] || fail "rank 1 did not pause before placing: $(cat "$t/log")"
    rm -f "$FAKE_NODEDIR"/mpift-node2/cache/*
    rm -f "$pf"
    wait $i || fail "job 2, its cache pruned between lookup and placing: exit $?: $(cat "$t/log")"
    same_everywhere d2
    grep -q "mpift-node2.*its cache entry on mpift-node2 went between the lookup and the placing.*fetching it" "$t/log" ||
        fail "no warning of the entries that went: $(cat "$t/log")"
    rm -f "$t"/src/tree/sub/f*.txt
}
scenario "cache entries evicted between lookup and placing: fetched, the job succeeds" gone

# rewrite ENTRY: write random bytes over the first 64 KiB of a cache
# entry behind mpift's back, and put its mode and mtime back; what it
# holds then in $t/rewritten.
rewrite() {
    cp -p "$1" "$t/mtime.ref"
    chmod u+w "$1"
    head -c 65536 /dev/urandom | dd of="$1" conv=notrunc status=none
    touch -r "$t/mtime.ref" "$1"
    chmod u-w "$1"
    cp "$1" "$t/rewritten"
}

# fetched_instead DEST NEXT ENTRY WARNING: node 2's rewritten ENTRY was not
# placed into DEST: its copy is the source's, WARNING (a pattern) named
# it, and job 3 into NEXT, finding it unrecorded, hashed and discarded it.
fetched_instead() {
    cmp -s "$t/src/tree/big.bin" "$FAKE_NODEDIR/mpift-node2/$1/big.bin" ||
        fail "node 2's $1/big.bin is not the source's$(cmp -s "$t/rewritten" "$FAKE_NODEDIR/mpift-node2/$1/big.bin" && echo ": it is the rewritten entry")"
    same_everywhere "$1"
    grep -q "$4" "$t/log" || fail "no warning naming node 2's rewritten entry: $(cat "$t/log")"
    job "$2" || fail "job 3: $(cat "$t/log")"
    same_everywhere "$2"
    grep -q "mpift-node2.*cache entry .*/cache/$(basename "$3") changed since it was cached.*discarded; fetching it again" "$t/log" ||
        fail "job 3 trusted the rewritten entry: $(cat "$t/log")"
}

# Review s6 #2: an entry rewritten after its lookup verified it and before
# it is placed (its size, mode and mtime put back: only its ctime tells)
# is not placed, neither linked nor copied: the file is fetched, named,
# and the next job, which finds it unrecorded, hashes and discards it.
moved_before_place() {
    local e pf=$t/pause pid rc=0
    primed
    fakenodes_clear mv2 mv3
    e=$(entry mpift-node2 big.bin)
    write_cfg "$t/c.cfg" "$t/src" "$FAKE_SCRATCH/mv2" "cache: { dir = \"$C\"; max_size = \"64M\"; };"
    rm -f "$pf"
    MPIFT_TEST_PAUSE_BEFORE_PLACE=1:60 MPIFT_TEST_PAUSE_FILE=$pf \
        fakenodes_mpirun 3 "$stage" --module "$faults" --config "$t/c.cfg" >"$t/log" 2>&1 &
    pid=$!
    wait_paused "$pid" "$pf" || fail "rank 1 did not pause before placing: $(cat "$t/log")"
    rewrite "$e"
    rm -f "$pf"
    wait "$pid" || rc=$?
    [ "$rc" = 0 ] || fail "an entry rewritten before its placing: exit $rc: $(cat "$t/log")"
    # it moved since its check: hashed again before its placing (review
    # s6/cachefix F4), found not its key, discarded there and then
    cmp -s "$t/src/tree/big.bin" "$FAKE_NODEDIR/mpift-node2/mv2/big.bin" ||
        fail "node 2's mv2/big.bin is not the source's$(cmp -s "$t/rewritten" "$FAKE_NODEDIR/mpift-node2/mv2/big.bin" && echo ": it is the rewritten entry")"
    same_everywhere mv2
    grep -q "mpift-node2.*mv2/big.bin: cache entry $C/$(basename "$e") changed since it was cached (its bytes are not its key): discarded; fetching it" "$t/log" ||
        fail "no warning naming node 2's rewritten entry: $(cat "$t/log")"
    # the copy fetched in its place is cached: the next job places it
    job mv3 || fail "job 3: $(cat "$t/log")"
    same_everywhere mv3
    [ "$(total wire_bytes)" = 0 ] || fail "job 3 put $(total wire_bytes) bytes on the wire"
}
scenario "an entry rewritten between its check and its placing: hashed again, discarded, fetched, named" moved_before_place

# Review s6/cachefix F4: an entry whose ctime moved between its check and
# its placing for an ordinary cause (a hard link of it added and removed:
# another job's copies deleted) is hashed again here, found its key, and
# placed: nothing on the wire, no warning of a change behind mpift's back.
relinked_before_place() {
    local e pf=$t/pause pid rc=0
    primed
    fakenodes_clear rl2
    e=$(entry mpift-node2 big.bin)
    write_cfg "$t/c.cfg" "$t/src" "$FAKE_SCRATCH/rl2" "cache: { dir = \"$C\"; max_size = \"64M\"; };"
    rm -f "$pf"
    MPIFT_TEST_PAUSE_BEFORE_PLACE=1:60 MPIFT_TEST_PAUSE_FILE=$pf \
        fakenodes_mpirun 3 "$stage" --module "$faults" --config "$t/c.cfg" --report "$t/r.json" >"$t/log" 2>&1 &
    pid=$!
    wait_paused "$pid" "$pf" || fail "rank 1 did not pause before placing: $(cat "$t/log")"
    ln "$e" "$t/other-job-copy"
    rm -f "$t/other-job-copy"
    rm -f "$pf"
    wait "$pid" || rc=$?
    [ "$rc" = 0 ] || fail "exit $rc: $(cat "$t/log")"
    same_everywhere rl2
    [ "$(total wire_bytes)" = 0 ] || fail "an entry only relinked was fetched again: $(total wire_bytes) bytes on the wire: $(cat "$t/log")"
    ! grep -q "changed after it was verified\|changed while it was placed\|changed since it was cached" "$t/log" ||
        fail "a warning of a change: $(cat "$t/log")"
    statuses | grep -qx "mpift-node2:big.bin:cached" || fail "node 2's big.bin: $(statuses)"
    mark_primed
}
scenario "an entry only relinked between its check and its placing (another job's copies deleted): hashed again, placed" relinked_before_place

# ... and one rewritten while a job hashes it (no record: a re-hash, made
# slow): the bytes hashed are not the inode's any more, so it is neither
# placed nor recorded.
moved_while_hashed() {
    local e pid rc=0
    primed
    fakenodes_clear mh2 mh3
    e=$(entry mpift-node2 big.bin)
    rm -f "$e.rec"
    write_cfg "$t/c.cfg" "$t/src" "$FAKE_SCRATCH/mh2" "cache: { dir = \"$C\"; max_size = \"64M\"; };"
    # node 2's rank alone hashes an entry (its record gone): it stops
    # once it has read the first MiB of it, which is then rewritten
    rm -f "$FAKE_NODEDIR/mpift-node2/pause-hash"
    MPIFT_TEST_PAUSE_IN_HASH=60 MPIFT_TEST_PAUSE_FILE=$FAKE_SCRATCH/pause-hash \
        fakenodes_mpirun 3 "$stage" --module "$faults" --config "$t/c.cfg" >"$t/log" 2>&1 &
    pid=$!
    wait_paused "$pid" "$FAKE_NODEDIR/mpift-node2/pause-hash" || fail "node 2's rank never paused in its hash: $(cat "$t/log")"
    rewrite "$e"
    rm -f "$FAKE_NODEDIR/mpift-node2/pause-hash"
    wait "$pid" || rc=$?
    [ "$rc" = 0 ] || fail "an entry rewritten while it was hashed: exit $rc: $(cat "$t/log")"
    fetched_instead mh2 mh3 "$e" \
        "mpift-node2.*mh2/big.bin: cache entry $C/$(basename "$e") changed while it was read to verify it.*fetching it"
}
scenario "an entry rewritten while it is hashed: not placed nor recorded; the next job discards it" moved_while_hashed

# Review s6 #3: a cache whose file system has no inode left: an entry
# without its record is verified and used, and its record, which cannot
# be written, is told once (not silently lost on every job).
no_inodes() {
    local fs=$t/ino-mpift-node2 i=0 n
    fakenodes_clear d1 d2
    rm -rf "$t"/ino-mpift-node*
    mkdir -p "$fs"
    mount -t tmpfs -o size=64m,nr_inodes=64,mode=0700 tmpfs "$fs" || skip "cannot mount a tmpfs"
    at_exit sh -c 'umount "$1" 2>/dev/null; :' sh "$fs"
    job d1 "$t/ino-%h/cache" || fail "job 1: $(cat "$t/log")"
    [ -f "$fs/cache/$(basename "$(entry mpift-node2 big.bin)").rec" ] || fail "node 2's cache was not filled: $(ls -la "$fs/cache")"
    rm -f "$fs"/cache/*.rec
    while [ "$i" -lt 100 ] && touch "$fs/fill$i" 2>/dev/null; do i=$((i + 1)); done
    job d2 "$t/ino-%h/cache" || fail "job 2 with no inode left in node 2's cache: $(cat "$t/log")"
    same_everywhere d2
    [ "$(total wire_bytes)" = 0 ] || fail "job 2 put $(total wire_bytes) bytes on the wire: $(cat "$t/log")"
    n=$(grep -c "mpift-node2.*not cached in $fs/cache: No space left on device (the record [0-9]*-[0-9a-f]*\.rec); this run writes nothing more there" "$t/log")
    [ "$n" = 1 ] || fail "the records node 2 could not write were told $n times, once expected: $(cat "$t/log")"
    umount "$fs"
}
scenario "a cache with no inode left: entries still used, the records that cannot be written told once" no_inodes

# Review s6 #5: an entry another process holds exclusively (a user's
# flock, a --cache-prune stopped while it held one): the lookup waits a
# bounded time with its heartbeats going, then fetches the file, warned.
entry_locked() {
    local e lp rc=0
    primed
    fakenodes_clear lk2
    e=$(entry mpift-node2 big.bin)
    flock -x "$e" sleep 300 &
    lp=$!
    while ! [ -e /proc/$lp ] || flock -n -s "$e" true; do sleep 0.1; done
    write_cfg "$t/c.cfg" "$t/src" "$FAKE_SCRATCH/lk2" "cache: { dir = \"$C\"; max_size = \"64M\"; };"
    sed -i 's/^transfer: {/transfer: { timeout = 2;/' "$t/c.cfg"
    rm -f "$t/r.json"
    MPIFT_TEST_TIMEOUT=200 fakenodes_mpirun 3 "$stage" --config "$t/c.cfg" --report "$t/r.json" >"$t/log" 2>&1 || rc=$?
    kill $lp 2>/dev/null
    wait $lp 2>/dev/null
    [ "$rc" = 0 ] || fail "a cache entry locked by another process: exit $rc: $(cat "$t/log")"
    same_everywhere lk2
    grep -q "mpift-node2.*lk2/big.bin: cache entry $C/$(basename "$e") is locked by another process.*fetching it" "$t/log" ||
        fail "no warning naming node 2's locked entry: $(cat "$t/log")"
    statuses | grep -qx "mpift-node2:big.bin:written" || fail "node 2's big.bin was not fetched: $(statuses)"
}
scenario "a cache entry locked by another process: a bounded wait, a warning, the file fetched" entry_locked

# Review s6/cachefix F3: a put ties its entry to the copy the writer
# verified.  The cache on a tmpfs of each node's own (a put is a copy);
# node 2's dest copy is rewritten (its mtime put back) while its put is
# about to copy it: the entry is not put, the job says so, and the next
# job sends node 2 the source's bytes rather than placing the rewrite.
put_moved() {
    local h pid rc=0 w=$FAKE_NODEDIR/mpift-node2/pm1/w.bin
    fakenodes_clear pm1 pm2
    rm -rf "$t/src2" "$t"/pm-mpift-node*
    mkdir -p "$t/src2/tree"
    head -c $((1 << 20)) /dev/urandom >"$t/src2/tree/w.bin"
    for h in $FAKE_HOSTS; do
        mkdir -p "$t/pm-$h"
        mount -t tmpfs -o size=16m,mode=0700 tmpfs "$t/pm-$h" || skip "cannot mount a tmpfs"
        at_exit sh -c 'umount "$1" 2>/dev/null; :' sh "$t/pm-$h"
        rm -f "$FAKE_NODEDIR/$h/pause-put"
    done
    write_cfg "$t/pm.cfg" "$t/src2" "$FAKE_SCRATCH/pm1" "cache: { dir = \"$t/pm-%h/cache\"; max_size = \"64M\"; };"
    (MPIFT_TEST_PAUSE_BEFORE_PUT_COPY=60 MPIFT_TEST_PAUSE_FILE=$FAKE_SCRATCH/pause-put \
        fakenodes_mpirun 3 "$stage" --module "$faults" --config "$t/pm.cfg" >"$t/log" 2>&1) &
    pid=$!
    # every rank pauses at its put (the hook is every rank's): the others
    # go on at once (rank 0 still has to send), node 2 once its copy is
    # rewritten
    (
        while kill -0 "$pid" 2>/dev/null; do
            rm -f "$FAKE_NODEDIR/mpift-node1/pause-put" "$FAKE_NODEDIR/mpift-node3/pause-put"
            sleep 0.05
        done
    ) &
    wait_paused "$pid" "$FAKE_NODEDIR/mpift-node2/pause-put" || fail "node 2 never paused before its put's copy: $(cat "$t/log")"
    cp -p "$w" "$t/mtime.ref"
    head -c 65536 /dev/urandom | dd of="$w" conv=notrunc status=none
    touch -r "$t/mtime.ref" "$w"
    cp "$w" "$t/rewritten"
    rm -f "$FAKE_NODEDIR"/*/pause-put
    wait "$pid" || rc=$?
    [ "$rc" = 0 ] || fail "job 1: exit $rc: $(cat "$t/log")"
    mv "$t/log" "$t/log1"
    write_cfg "$t/pm.cfg" "$t/src2" "$FAKE_SCRATCH/pm2" "cache: { dir = \"$t/pm-%h/cache\"; max_size = \"64M\"; };"
    fakenodes_mpirun 3 "$stage" --config "$t/pm.cfg" >"$t/log" 2>&1 || fail "job 2: $(cat "$t/log")"
    for h in $FAKE_HOSTS; do
        cmp -s "$t/src2/tree/w.bin" "$FAKE_NODEDIR/$h/pm2/w.bin" ||
            fail "$h: pm2/w.bin is not the source's$(cmp -s "$t/rewritten" "$FAKE_NODEDIR/$h/pm2/w.bin" && echo ": it is node 2's rewritten copy, put in its cache")"
    done
    grep -q "mpift-node2.*pm1/w.bin: not put in the node's cache on mpift-node2: written to while it was copied into $t/pm-mpift-node2/cache" "$t/log1" ||
        fail "no warning that node 2's copy was not put: $(cat "$t/log1")"
    for h in $FAKE_HOSTS; do umount "$t/pm-$h"; done
}
scenario "a dest copy written while its put copies it into the cache: not put, named; the next job gets the source's bytes" put_moved

# Review s6/cachefix F6: a cache.dir on a file system that does not keep
# a file's identity (overlay here; sshfs reports ctime = mtime) trusts no
# record.  Node 2's entry is rewritten, its mtime put back and its record
# given the entry's new identity (what a ctime that does not move leaves):
# the next job hashes the entry, discards it and fetches the file.
untrusted_cache() {
    local h e rc=0
    grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null || skip "no overlay in this kernel"
    fakenodes_clear ov1 ov2
    for h in $FAKE_HOSTS; do
        rm -rf "$t/ov-$h"
        mkdir -p "$t/ov-$h/lower" "$t/ov-$h/upper" "$t/ov-$h/work" "$t/ov-$h/m"
        mount -t overlay overlay -o "lowerdir=$t/ov-$h/lower,upperdir=$t/ov-$h/upper,workdir=$t/ov-$h/work" \
            "$t/ov-$h/m" || skip "cannot mount an overlay"
        at_exit sh -c 'umount "$1" 2>/dev/null; :' sh "$t/ov-$h/m"
        chmod 0700 "$t/ov-$h/m"
    done
    job ov1 "$t/ov-%h/m/cache" || fail "job 1: $(cat "$t/log")"
    e=$t/ov-mpift-node2/m/cache/$(basename "$(entry mpift-node2 big.bin)")
    [ -f "$e" ] || fail "no entry $e"
    rewrite "$e"
    /usr/bin/python3 -c 'import os, sys
st = os.stat(sys.argv[1])
open(sys.argv[1] + ".rec", "w").write("%d %d %d %d %d %d %d\n" % (st.st_dev, st.st_ino, st.st_size,
    st.st_mtime_ns // 10**9, st.st_mtime_ns % 10**9, st.st_ctime_ns // 10**9, st.st_ctime_ns % 10**9))' "$e"
    job ov2 "$t/ov-%h/m/cache" --verbose || rc=$?
    [ "$rc" = 0 ] || fail "job 2: exit $rc: $(cat "$t/log")"
    cmp -s "$t/src/tree/big.bin" "$FAKE_NODEDIR/mpift-node2/ov2/big.bin" ||
        fail "node 2's ov2/big.bin is not the source's$(cmp -s "$t/rewritten" "$FAKE_NODEDIR/mpift-node2/ov2/big.bin" && echo ": it is the rewritten entry, trusted by its record")"
    same_everywhere ov2
    grep -q "mpift-node2.*cache entry .*/cache/$(basename "$e") changed since it was cached.*discarded; fetching it again" "$t/log" ||
        fail "node 2's rewritten entry is not named: $(cat "$t/log")"
    grep -q "cache.dir $t/ov-mpift-node2/m/cache on mpift-node2: on a file system (overlay) whose inode numbers and ctime may not name one version of a file: no entry is trusted by its record" "$t/log" ||
        fail "--verbose does not say why entries are hashed: $(cat "$t/log")"
    for h in $FAKE_HOSTS; do umount "$t/ov-$h/m"; done
}
scenario "a cache.dir on a file system that does not keep identity (overlay): no record trusted, a rewritten entry hashed and discarded" untrusted_cache

# Review s6/cachefix F5: only a want of room turns the run's cache writes
# off.  Node 2's record of big.bin cannot be written for another cause (a
# folder in its place: EISDIR): told once with advice that fits it, and
# the run still caches there (a new file is put in node 2's cache).
record_error() {
    local e rc=0
    primed
    fakenodes_clear re2
    e=$(entry mpift-node2 big.bin)
    rm -f "$e.rec"
    mkdir "$e.rec"
    echo new >"$t/src/tree/new.txt"
    job re2 || rc=$?
    [ "$rc" = 0 ] || fail "job 2: exit $rc: $(cat "$t/log")"
    same_everywhere re2
    grep -q "mpift-node2.*cache.dir $C: could not write the record $(basename "$e").rec: Is a directory; check cache.dir and what is in it (told once; the cache is still used and written)" "$t/log" ||
        fail "the record that could not be written is not told with its cause: $(cat "$t/log")"
    ! grep -q "make room there" "$t/log" || fail "a write that failed for another cause than room was told as one: $(cat "$t/log")"
    [ -f "$(entry mpift-node2 new.txt)" ] || fail "node 2 cached nothing more after its record failed: $(ls "$FAKE_NODEDIR/mpift-node2/cache")"
    rmdir "$e.rec"
    rm -f "$t/src/tree/new.txt"
}
scenario "a record that cannot be written for another cause than room: told once with its cause, the cache still written" record_error
