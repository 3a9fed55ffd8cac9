# cache_case.sh - staging.sh's "cache" case (sourced by it): a second job
# takes its files from the nodes' caches (issue 23, item 1; docs/cache.md).
#
# A 256 MiB set (4 files of 64 MiB) onto 4 networked fake nodes at
# 200 Mbit/s with cache.dir on each node.  Job 1 (empty caches) fills
# them; job 1 again is the "nothing to move" run (every copy unchanged);
# job 2 stages the set into a new dest.  Target: job 2 puts 0 bytes on the
# wire (--report's wire_bytes) and takes at most 1.2x the "nothing to
# move" time.  Then, with the caches of 2 of the 4 nodes emptied, job 3
# into another new dest: only those 2 receive (per node bytes_written
# from --report).  Every copy is compared with its source byte for byte.

# cache_job DEST: stage the set into DEST, timed, report in $t/cache.json
cache_job() {
    cat >"$t/cache.cfg" <<CFG
version = 1;
paths: { source = "$t/cache/tree"; dest = "$FAKE_SCRATCH/$1"; source_shared = "no"; };
cache: { dir = "$FAKE_SCRATCH/cache_store"; max_size = "1G"; };
stage_in = ( { src = "."; dest = ""; recursive = true; } );
CFG
    rm -f "$t/cache.json"
    timed netnodes_mpirun 4 "$stage" --config "$t/cache.cfg" --report "$t/cache.json" ||
        fail "cache, $1: $(cat "$t/out" "$t/err")"
    for h in $FAKE_HOSTS; do
        compare_tree "$t/cache/tree" "$FAKE_NODEDIR/$h/$1" || fail "cache: node $h's copy in $1 differs"
    done
}

# cache_field FIELD: the report's totals' FIELD; cache_nodes: each node's
# host and bytes_written
cache_field() {
    /usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["totals"][sys.argv[2]])' "$t/cache.json" "$1"
}
cache_nodes() {
    /usr/bin/python3 -c 'import json, sys
print(" ".join("%s=%.0fMiB" % (n["host"], n["bytes_written"] / 1048576.0) for n in json.load(open(sys.argv[1]))["nodes"]))' \
        "$t/cache.json"
}

cache_case() {
    local full noop second third h
    can need_netnodes "cache: 256 MiB again, 200 Mbit/s links" "needs root, unshare, ip and tc with network namespaces" ||
        return 0
    mkdir -p "$t/cache/tree"
    for h in 1 2 3 4; do
        head -c $((64 << 20)) /dev/urandom >"$t/cache/tree/part$h.bin" || fail "cache: cannot make the files"
    done
    netnodes_setup 4 200mbit
    clear_nodes cache_store
    cache_job cache_j1
    full=$secs
    row "256 MiB onto 4 nodes, empty caches" pipeline "$full" "$(calc "%.1f" "268.4 / $full")" "" "" "-"
    note "cache: job 1 put $(cache_field wire_bytes) bytes on the wire, $(cache_field cache_bytes) from the caches"
    cache_job cache_j1
    noop=$secs
    row "  the same, nothing to move" pipeline "$noop" "-" "1.00" "" "-"
    cache_job cache_j2
    second=$secs
    row "  a new dest, every node cached" pipeline "$second" "-" "$(calc "%.2f" "$second / $noop")" "1.2" "-"
    note "cache: job 2 into a new dest: wire_bytes $(cache_field wire_bytes) (target 0), cache_bytes" \
        "$(cache_field cache_bytes), $(cache_field cache_discarded) discarded"
    for h in ${FAKE_HOSTS#* * }; do rm -rf "${FAKE_NODEDIR:?}/$h/cache_store"; done
    cache_job cache_j3
    third=$secs
    row "  a new dest, 2 of 4 nodes cached" pipeline "$third" "-" "$(calc "%.2f" "$third / $full")" "" "-"
    note "cache: caches emptied on ${FAKE_HOSTS#* * }: bytes received per node $(cache_nodes);" \
        "wire_bytes $(cache_field wire_bytes); ratio: over job 1's time"
    clear_nodes cache_j1
    clear_nodes cache_j2
    clear_nodes cache_j3
    clear_nodes cache_store
    netnodes_off
    rm -rf "$t/cache"
}
