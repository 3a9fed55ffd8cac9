# delta_case.sh - staging.sh's "delta" case (sourced by it): a file the
# nodes hold an older version of moves as its changed chunks (issue 23,
# item 4; transfer.delta, docs/resume.md).
#
# 1 GiB onto 4 networked fake nodes (pipeline from rank 0,
# paths.source_shared = "no").  Each re-stage follows a rewrite in place
# (a new mtime) of 1% of its 256 KiB chunks (41, spread over the file,
# the same 41 each time).  At 200 Mbit/s: the first stage (with cache.dir:
# the nodes cache that version), a full re-stage (delta = "no"), a delta
# re-stage into the same dest without cache.dir (the older copy read and
# hashed), the same with cache.dir (the base: the cached older version,
# from the hashes the cache kept with it, nothing read), and a delta into
# a new dest with cache.dir.  Then the same at 200 Mbit/s with every
# node's folders on tmpfs (/dev/shm): the rename of a new version over
# an older copy makes ext4 write the new 1 GiB back before it returns
# (auto_da_alloc, what keeps a replace whole across a crash without
# fsync), and this machine's disk takes about 110 MB/s, so on disk that
# write-back, not mpift, sets the "same dest" rows (docs/resume.md); the
# tmpfs rows show the rest.  Then the same with the nodes on XFS with
# reflink (a loop device over a sparse file on the same disk; RHEL's
# node-local file system): a delta clones its kept chunks there, so it
# writes only what changed.  The 4 fake nodes share this machine's one
# disk, where each real node has its own.  Then on unshaped links (loopback): the same
# as the first but the new dest.  Targets: at most 3% of the file's
# bytes on the wire (--report's wire_bytes) and at most 0.15x the full
# re-stage's time at 200 Mbit/s; unshaped, delta no slower than full.
# Every copy equal to its source.
#
# Every timed run starts in memory just freed (delta_warm): this machine
# is a virtual machine whose guest hands memory it has not used for a
# few seconds back to the host (free page reporting), and the first
# write of such a page costs a fault in the host.  A delta writes its new
# 1 GiB per node into fresh page cache while the older copy stays, so it
# paid that for 4 GiB: perf put 65% of a re-stage's samples in the
# kernel's copy into new pages, and the same delta took 6.7-9.2 s on
# tmpfs against 2.1 s in memory just freed (docs/resume.md).  A full
# re-stage at 200 Mbit/s hides it behind the link.  Nodes on bare metal
# pay no such fault; MPIFT_BENCH_WARM_GIB=0 times the runs as they come.

# delta_touch N: rewrite 4 KiB inside each of N chunks spread over the file
delta_touch() {
    /usr/bin/python3 - "$t/delta/tree/big.bin" "$1" <<'PY'
import os, sys
path, n = sys.argv[1], int(sys.argv[2])
chunks = os.path.getsize(path) // (256 << 10)
with open(path, "r+b") as f:
    for k in range(n):
        f.seek((k * chunks // n) * (256 << 10) + 1000)
        f.write(os.urandom(4096))
PY
}

# delta_warm: write and free MPIFT_BENCH_WARM_GIB (default 5) GiB on
# tmpfs, so that what a run writes next lands in memory the guest has
# just used (see above); nothing without a writable /dev/shm
delta_warm() {
    local gib=${MPIFT_BENCH_WARM_GIB:-5} f
    [ "$gib" -gt 0 ] 2>/dev/null && [ -d /dev/shm ] && [ -w /dev/shm ] || return 0
    f=$(mktemp /dev/shm/mpift-bench-warm.XXXXXX) || return 0
    head -c $((gib << 30)) /dev/zero >"$f"
    rm -f "$f"
}

delta_field() {
    /usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["totals"][sys.argv[2]])' \
        "$t/delta.json" "$1"
}

# delta_run HOW DEST CACHE: stage with delta = HOW (first: auto) into
# $FAKE_SCRATCH/DEST, with cache.dir when CACHE is "cache"; every copy compared
delta_run() {
    local h cache=
    cpu=-
    [ "$3" != cache ] || cache="cache: { dir = \"$FAKE_SCRATCH/delta_cache\"; max_size = \"4G\"; };"
    cat >"$t/delta.cfg" <<CFG
version = 1;
paths: { source = "$t/delta/tree"; dest = "$FAKE_SCRATCH/$2"; source_shared = "no"; };
transfer: { delta = "${1/first/auto}"; };
$cache
stage_in = ( { src = "big.bin"; dest = ""; } );
CFG
    [ "$1" = first ] || delta_touch 41
    rm -f "$t/delta.json"
    : >"$t/delta.cpu"
    delta_warm
    timed netnodes_mpirun 4 /usr/bin/time -a -o "$t/delta.cpu" -f "cpu %U %S" "$stage" --config "$t/delta.cfg" \
        --report "$t/delta.json" || fail "delta, $1 into $2: $(cat "$t/out" "$t/err")"
    # CPU seconds of the 4 ranks, summed: what the load disturbs least
    cpu=$(awk '$1 == "cpu" { s += $2 + $3 } END { printf "%.2f", s }' "$t/delta.cpu")
    for h in $FAKE_HOSTS; do
        cmp "$t/delta/tree/big.bin" "$FAKE_NODEDIR/$h/$2/big.bin" || fail "delta, $1: node $h's copy differs"
    done
}

# delta_row LINK WHAT FULL FCPU: the row and notes of the delta re-stage
# just run ($secs, $cpu, $t/delta.json), against the full re-stage's
# ($delta_on: the nodes' storage, in the row's name when not disk)
delta_row() {
    local gib=$((1024 * 1024 * 1024)) wire saved
    wire=$(delta_field wire_bytes)
    saved=$(delta_field delta_saved_bytes)
    row "${1:-unshaped}${delta_on:+, $delta_on}: delta = auto, $2" pipeline "$secs" "-" "$(calc "%.2f" "$secs / $3")" "${1:+0.15}" "-"
    note "CPU: $cpu s, $(calc "%.2f" "$cpu / $4") of the full re-stage's; load average $(cut -d' ' -f1 /proc/loadavg)"
    note "delta (${1:-unshaped}, $2): $(calc "%.1f" "$wire / 1048576") MiB on the wire," \
        "$(calc "%.2f" "100 * $wire / $gib")% of the file (target at most 3%); the 3 writers took" \
        "$(calc "%.1f" "$saved / 1048576") MiB from their base (delta_saved_bytes, summed)"
}

# delta_xfs_on: a 16 GiB XFS with reflink on a loop device over a sparse
# file in TMPDIR, mounted at $delta_xfs (XFS with reflink is the node-
# local file system of RHEL 8 and later: a delta clones its kept chunks
# there rather than writing them); 1 when it cannot be made (no
# mkfs.xfs, loop device or mount), with $delta_xfs_why
delta_xfs_on() {
    delta_xfs=$(mktemp_dir)
    delta_xfs_img=$(mktemp_dir)/xfs.img
    if ! command -v mkfs.xfs >/dev/null; then
        delta_xfs_why="no mkfs.xfs (Debian package xfsprogs)"
    elif ! truncate -s 16G "$delta_xfs_img" || ! mkfs.xfs -q -m reflink=1 "$delta_xfs_img" >"$t/err" 2>&1; then
        delta_xfs_why="mkfs.xfs failed: $(cat "$t/err")"
    elif ! mount -o loop "$delta_xfs_img" "$delta_xfs" 2>"$t/err"; then
        delta_xfs_why="cannot mount a loop device: $(cat "$t/err")"
    else
        # unmounted on any exit, before the folders go
        at_exit sh -c 'if mountpoint -q "$1"; then umount "$1"; fi' - "$delta_xfs"
        return 0
    fi
    return 1
}

delta_xfs_off() {
    umount "$delta_xfs" && rm -f "$delta_xfs_img"
}

# delta_rows LINK [tmpfs|xfs]: full and delta re-stages on LINK (200mbit,
# or "" unshaped), the nodes' folders on disk (TMPDIR), on tmpfs or on
# XFS ($delta_xfs)
delta_rows() {
    local full fcpu what=${1:-unshaped} delta_on=${2:-}
    [ -z "$delta_on" ] || what="$what, $delta_on"
    case $delta_on in
    tmpfs) FAKENODES_BASE=/dev/shm netnodes_setup 4 $1 ;;
    xfs) FAKENODES_BASE=$delta_xfs netnodes_setup 4 $1 ;;
    *) netnodes_setup 4 $1 ;;
    esac
    clear_nodes delta
    clear_nodes delta_cache
    delta_run first delta cache
    delta_run no delta
    full=$secs
    fcpu=$cpu
    row "$what: 1 GiB, 1% changed, full" pipeline "$secs" "-" "1.00" "" "-"
    note "CPU: $cpu s (user + sys, the 4 ranks summed); load average $(cut -d' ' -f1 /proc/loadavg)"
    delta_run auto delta
    delta_row "$1" "same dest, no cache (read)" "$full" "$fcpu"
    delta_run auto delta cache
    delta_row "$1" "same dest, cache (kept hashes)" "$full" "$fcpu"
    if [ -n "$1" ]; then
        delta_run auto delta_new cache
        delta_row "$1" "new dest, cache (kept hashes)" "$full" "$fcpu"
        note "delta from the cache into a new dest: rank 0 reads the source once more to key it (cache.dir)"
    fi
    clear_nodes delta
    clear_nodes delta_new
    clear_nodes delta_cache
    netnodes_off
}

delta_case() {
    can need_netnodes "delta: 1 GiB, 1% changed, 200 Mbit/s" "needs root, unshare, ip and tc with network namespaces" ||
        return 0
    mkdir -p "$t/delta/tree"
    head -c $((1024 * 1024 * 1024)) /dev/urandom >"$t/delta/tree/big.bin" || fail "delta: cannot make the file"
    delta_rows 200mbit
    if [ -d /dev/shm ] && [ -w /dev/shm ]; then
        delta_rows 200mbit tmpfs
    else
        row "200mbit, tmpfs: delta" - - - skipped "" "-"
        note "no writable /dev/shm (tmpfs) for the nodes' folders"
    fi
    if delta_xfs_on; then
        delta_rows 200mbit xfs
        delta_xfs_off
    else
        row "200mbit, xfs: delta" - - - skipped "" "-"
        note "no XFS for the nodes' folders: $delta_xfs_why"
    fi
    delta_rows ""
    note "delta: ratio = each re-stage's time over the full re-stage's on the same links (target at most 0.15 at" \
        "200 Mbit/s; unshaped, at most 1.00); each run after ${MPIFT_BENCH_WARM_GIB:-5} GiB written and freed on tmpfs" \
        "(MPIFT_BENCH_WARM_GIB; 0: none): every run writes into memory just freed"
    rm -rf "$t/delta"
}
