# keys_case.sh - staging.sh's "keys" case (sourced by it): what rank 0's
# content keys cost a job (cache.dir set: stage/keys.h, issue 23 item 1).
#
# One 1 GiB file onto 2 fake nodes on lo, sent from rank 0 (no striping),
# each run into an empty dest: without cache.dir; with it and no index
# (the first job: rank 0 reads the file once more to key it), the file
# in the page cache and, once more, dropped from it (POSIX_FADV_DONTNEED
# on the file alone: the read comes from the disk); and with the index
# (a later job: no byte read to key it).  Rank 0's own count (--verbose:
# "content keys of ...: N read (B bytes, S s)") gives the keying time;
# the wall times show what the job pays.  Every copy compared with the
# source.

keys_run() {   # keys_run LABEL [--set ...]: one stage, a row, the key line in $keyline
    clear_nodes keys
    timed fakenodes_mpirun 2 "${rss[@]}" "$stage" --verbose --config "$t/keys.cfg" "${@:2}" ||
        fail "keys, $1: $(cat "$t/out" "$t/err")"
    check_nodes "$t/keys/tree" keys
    keyline=$(cat "$t/out" "$t/err" | grep -o 'content keys of .*' | head -n 1)
    row "keys 1 GiB, 2 nodes: $1" pipeline "$secs" "$(calc "%.0f" "1073.7 / $secs")" "" "" "$mib"
    [ -z "$keyline" ] || note "$keyline"
}

keys_case() {
    can need_fakenodes "keys: 1 GiB, cold and warm index" "needs root, unshare and mount namespaces" || return 0
    mkdir -p "$t/keys/tree"
    head -c $((1 << 30)) /dev/urandom >"$t/keys/tree/f.bin"
    touch -d '-1 hour' "$t/keys/tree/f.bin"
    sleep 2.1   # its ctime old enough for the index (stage/keys.c)
    fakenodes_setup 2 1
    cat >"$t/keys.cfg" <<CFG
version = 1;
paths: { source = "$t/keys"; dest = "$FAKE_SCRATCH/keys"; source_shared = "no"; };
stage_in = ( { src = "tree/"; dest = ""; recursive = true; } );
CFG
    keys_run "no cache.dir"
    keys_run "cold index, cached" --set "cache.dir=$FAKE_SCRATCH/cache"
    rm -f "$FAKE_NODEDIR/${fake_host[0]}/cache/index"
    python3 -c 'import os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)' \
        "$t/keys/tree/f.bin"
    keys_run "cold index, disk" --set "cache.dir=$FAKE_SCRATCH/cache"
    keys_run "warm index" --set "cache.dir=$FAKE_SCRATCH/cache"
    note "keys: cold index = a first job (the source read once more to key it); warm = every later one"
    clear_nodes keys
    clear_nodes cache
    rm -rf "$t/keys"
}
