#!/bin/bash
# staging.sh - the staging benchmarks: one table of figures, nothing passes
# or fails on time (a wrong copy does fail).  Run by make bench, or:
#
#   tests/bench/staging.sh [CASE...]      CASE: fanout stripe compress local small memory slurm
#                                               ranks2 wide control fabric profile extract holes
#                                               keys cache autocomp resume delta
#
# fanout  64 MiB onto 4 and 8 fake nodes, one rank each, every node in its
#         own network namespace with a 200 Mbit/s link each way (tbf):
#         pipeline, direct and tree (fanout 2), all from rank 0
#         (paths.source_shared = "no").  "seconds" is the whole
#         mpirun; "net" subtracts the same job run again with every copy
#         already in place (launch, MPI_Init, PMIx, plan: everything but
#         the bytes; tests/bench/mpi_noop, MPI start-up alone, is timed
#         beside it); ratio = net / 2.68 s, the time of 64 MiB over one
#         200 Mbit/s link.
# stripe  64 MiB onto 4 fake nodes x 2 ranks, 200 Mbit/s links as in
#         fanout, the source in a folder every node sees: the leaders each
#         read a stripe and pass it round (paths.source_shared = "auto",
#         which --verbose must say it chose) beside the rank-0 pipeline
#         ("no"); net and ratio as in fanout (limit 3/4 = 0.75).
# compress 64 MiB of CSV-like text (make_csv: about 3:1 with zstd -1, 1.8:1
#         with lz4) and 64 MiB of random bytes onto 4 fake nodes as in
#         fanout (200 Mbit/s, pipeline), with transfer.compress none, lz4,
#         zstd and auto, 3 rounds (the median shown); ratio = net /
#         2.68 s, in the file's own bytes, net subtracting the fastest of
#         3 runs of the same job with every copy in place; the bytes on
#         the wire come from --report.
# local   1 GiB + 5,000 files of 1-8 KiB onto 3 fake nodes (no shaping)
#         beside cp -r of the same tree into 3 folders; ratio = mpift / cp.
# small   10,000 files of 1-8 KiB onto 3 fake nodes beside tar c | tar x
#         into 3 folders (files/s; ratio = mpift / tar).
# memory  peak RSS of every rank staging a 4 GiB + 13 B file to 2 ranks,
#         and staging 100,000 files (per-file cost against 1,000 files).
# slurm   64 MiB onto 4 nodes of a real Slurm cluster (tests/lib/
#         slurmcluster.sh: slurmctld, 4 slurmd in their own namespaces, the
#         same 200 Mbit/s links), inside one sbatch job: sbcast with its
#         defaults beside srun --mpi=pmix mpift-stage (pipeline), each run 3
#         times (the median shown).  sbcast's ratio is its time over one
#         link; mpift's is net, as in fanout (the same step re-run with
#         every copy in place subtracted).
# ranks2  64 MiB onto 4 networked nodes (200 Mbit/s) with 1 and with 2
#         ranks per node, pipeline, launched as a user would (no Open MPI
#         mpi_yield_when_idle); net and ratio as in fanout.  The second
#         rank of a node has nothing to do but wait: the note gives each
#         such rank's CPU over the stage-in (MPIFT_TEST_CPU, in the
#         fault-injection build, one more run).  Each setting runs 3 times,
#         the median shown.
# wide    32 MiB onto 4 and onto 16 networked nodes at 50 Mbit/s (one
#         link: 5.37 s): pipeline, tree, and pipeline in 64 KiB chunks.
# control the cost per node: a stage with nothing to move (an empty
#         folder) and one of 1,000 files of 1-4 KiB onto 4, 8, 16 and 32
#         fake nodes on lo, beside mpi_noop (the bare launch); the
#         least-squares slope of each in ms per node, and of the stage-in
#         call alone (rank 0's, MPIFT_TEST_CPU).  Then the cost of a
#         chunk: 128 MiB onto 3 nodes on lo in 4 KiB and in 1 MiB chunks.
# fabric  1 GiB onto 3 fake nodes x 2 ranks on tmpfs, at memory speed,
#         beside the floor tests/bench/mpi_relay (tests/bench/fabric.sh).
# profile the CPU of the fabric case by stage, per GiB per node (perf).
# autocomp compress = "auto" beside none, lz4 and zstd at 100 Mbit/s, 1 and
#         2 Gbit/s and unshaped, on text and on random data
#         (autocomp_case.sh).
# extract a Python environment as one .tar.zst onto 4 nodes, unpacked on
#         arrival, beside the tree itself and tar x on every node
#         (extract_case.sh).
# cache   256 MiB again onto 4 networked nodes with cache.dir: a new dest
#         from the nodes' caches, and from 2 of 4 (cache_case.sh).
# keys    what rank 0's content keys cost (cache.dir): 1 GiB onto 2 fake
#         nodes without cache.dir, with a cold index and with a warm one
#         (keys_case.sh).
# resume  1 GiB onto 4 networked nodes (200 Mbit/s), the whole job
#         SIGKILLed at 60%, run again: the re-run's wire bytes over 1 GiB
#         (resume_case.sh, docs/resume.md).
# delta   1 GiB onto 4 networked nodes (200 Mbit/s), 1% of its chunks
#         rewritten, staged again with transfer.delta "no" and "auto"
#         (delta_case.sh).
#
# Fake nodes need root, unshare and (fanout) ip/tc with network namespaces;
# a case that cannot run says why and the others still run.  Needs about
# 8 GiB free under TMPDIR.  Peak RSS comes from /usr/bin/time (Debian
# package "time"); without it that column is "-".
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/fakenodes.sh"
. "$top_srcdir/tests/lib/stage.sh"
. "$top_srcdir/tests/lib/netnodes.sh"
. "$top_srcdir/tests/lib/slurmcluster.sh"
. "$top_srcdir/tests/bench/fabric.sh"
. "$top_srcdir/tests/bench/extract_case.sh"
. "$top_srcdir/tests/bench/holes_case.sh"
. "$top_srcdir/tests/bench/cache_case.sh"
. "$top_srcdir/tests/bench/keys_case.sh"
. "$top_srcdir/tests/bench/autocomp_case.sh"
. "$top_srcdir/tests/bench/resume_case.sh"
. "$top_srcdir/tests/bench/delta_case.sh"
need_mpirun
MPIFT_TEST_TIMEOUT=${MPIFT_TEST_TIMEOUT:-900}
cases=${*:-fanout stripe compress local small memory slurm ranks2 wide control fabric profile extract holes keys cache autocomp resume delta}
t=$(mktemp_dir)
link_s=2.684   # 64 MiB at 200 Mbit/s

rss=()
# Each rank appends its own line (mpirun would interleave stderr lines).
[ -x /usr/bin/time ] && rss=(/usr/bin/time -a -o "$t/rss" -f "mpift-rss %M")

row() {
    printf '%-36s %-9s %8s %8s %9s %7s %9s\n' "$@"
}

note() {
    printf '  %s\n' "$*"
}

# point POLICY NODES LINK_S NET: one point of the plots in
# docs/performance.md (a net time, the policy, the node count and one
# link's time for the same bytes), appended to $MPIFT_BENCH_POINTS when
# make bench sets it.
point() {
    [ -z "${MPIFT_BENCH_POINTS:-}" ] || printf '%s\t%s\t%s\t%s\n' "$@" >>"$MPIFT_BENCH_POINTS"
}

# timed CMD...: run CMD, set secs (wall, 2 decimals) and mib (largest
# peak RSS of any rank in MiB, or "-"); output in $t/out, $t/err.
timed() {
    local s e rc
    sync
    : >"$t/rss"
    s=$(date +%s.%N)
    "$@" >"$t/out" 2>"$t/err"
    rc=$?
    e=$(date +%s.%N)
    secs=$(awk -v a="$s" -v b="$e" 'BEGIN { printf "%.2f", b - a }')
    mib=$(awk '$1 == "mpift-rss" && $2 > m { m = $2 } END { if (m) printf "%.0f", m / 1024; else print "-" }' "$t/rss")
    return $rc
}

# can NEED TITLE WHY: 0 when NEED (need_fakenodes, ...) passes; else a
# "skipped" row TITLE with WHY and NEED's reason under it, and 1
can() {
    (${1}) >/dev/null 2>&1 && return 0
    row "$2" "-" "-" "-" "skipped" "" "-"
    note "$3: $( ($1) 2>&1 | tail -1)"
    return 1
}

calc() {
    awk "BEGIN { printf \"$1\", $2 }"
}

# make_small DIR N: N files of 1-8 KiB in 50 folders (same bytes every run)
make_small() {
    python3 - "$1" "$2" <<'PY'
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(7)
for i in range(n):
    d = os.path.join(root, "d%02d" % (i % 50))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%06d.dat" % i), "wb") as f:
        f.write(rnd.randbytes(rnd.randint(1024, 8192)))
PY
}

# stage_cfg FILE SOURCE DEST [WORKERS]: everything under SOURCE's "tree/"
stage_cfg() {
    cat >"$1" <<CFG
version = 1;
paths: { source = "$2"; dest = "$3"; };
workers: { fanout = 2; ${4:-} };
stage_in = ( { src = "tree/"; dest = ""; recursive = true; } );
CFG
}

# check_nodes TREE SUBDIR: each fake node's SUBDIR equals TREE
check_nodes() {
    local h
    for h in $FAKE_HOSTS; do
        compare_tree "$1" "$FAKE_NODEDIR/$h/$2" || fail "node $h: its copy differs from $1"
    done
}

clear_nodes() {
    local h
    for h in $FAKE_HOSTS; do rm -rf "${FAKE_NODEDIR:?}/$h/$1"; done
}

# ------------------------------------------------------------------ fanout
fanout() {
    # Each policy as it sends from rank 0: every fake node sees the source,
    # which would be striped (the stripe case measures that).
    local n policy net ratio bound p4 p8
    can need_netnodes "fan-out 64 MiB, 200 Mbit/s links" "needs root, unshare, ip and tc with network namespaces" ||
        return 0
    mkdir -p "$t/fan/tree"
    head -c $((64 << 20)) /dev/urandom >"$t/fan/tree/f.bin"
    for n in 4 8; do
        netnodes_setup "$n" 200mbit
        stage_cfg "$t/fan.cfg" "$t/fan" "$FAKE_SCRATCH/fan"
        timed netnodes_mpirun "$n" true || fail "mpirun true onto $n nodes: $(cat "$t/err")"
        local bare=$secs strict= noop=-
        if [ -x "$top_builddir/tests/bench/mpi_noop" ]; then
            timed netnodes_mpirun "$n" "$top_builddir/tests/bench/mpi_noop" || fail "mpi_noop onto $n nodes: $(cat "$t/err")"
            noop=$secs
        fi
        for policy in pipeline direct tree; do
            [ "$n" = 8 ] && [ "$policy" = direct ] && continue
            clear_nodes fan
            timed netnodes_mpirun "$n" "${rss[@]}" "$stage" --config "$t/fan.cfg" --set "workers.policy=$policy" --set paths.source_shared=no ||
                fail "fan-out $policy onto $n nodes: $(cat "$t/out" "$t/err")"
            check_nodes "$t/fan/tree" fan
            local full=$secs peak=$mib
            timed netnodes_mpirun "$n" "$stage" --config "$t/fan.cfg" --set "workers.policy=$policy" --set paths.source_shared=no ||
                fail "fan-out re-run: $(cat "$t/out" "$t/err")"
            grep -q " 0 copies written, $n unchanged" "$t/out" || fail "the re-run moved data: $(cat "$t/out")"
            net=$(calc "%.2f" "$full - $secs")
            ratio=$(calc "%.2f" "$net / $link_s")
            case $policy in pipeline) bound=1.15 ;; tree) bound=1.3 ;; *) bound=- ;; esac
            row "fan-out 64 MiB onto $n nodes" "$policy" "$full" "$(calc "%.1f" "67.1 / $net")" "$ratio" "$bound" "$peak"
            point "$policy" "$n" "$link_s" "$net"
            [ "$policy" = pipeline ] && { [ "$n" = 4 ] && p4=$net || p8=$net; }
            strict="$strict $policy $(calc "%.2f" "($full - $bare) / $link_s")"
        done
        note "$n nodes: the same job with nothing to move took $secs s (subtracted above; an MPI program"
        note "  doing only MPI_Init, a barrier and MPI_Finalize on the same nodes: $noop s);"
        note "  against a bare 'mpirun true' ($bare s) instead, the ratios are:$strict"
    done
    note "pipeline, 8 nodes against 4: $(calc "%+.0f%%" "($p8 / $p4 - 1) * 100") (target: at most +10%)"
    netnodes_off
    rm -rf "$t/fan"
}

# ------------------------------------------------------------------ stripe
stripe() {
    local shared net ratio bound full peak bare strict=
    can need_netnodes "stripe 64 MiB, 4 nodes x 2 ranks" "needs root, unshare, ip and tc with network namespaces" ||
        return 0
    mkdir -p "$t/str/tree"
    head -c $((64 << 20)) /dev/urandom >"$t/str/tree/f.bin"
    netnodes_setup 4 200mbit 2
    stage_cfg "$t/str.cfg" "$t/str" "$FAKE_SCRATCH/str"
    timed netnodes_mpirun 8 true || fail "mpirun true onto 4 nodes: $(cat "$t/err")"
    bare=$secs
    for shared in auto no; do
        clear_nodes str
        timed netnodes_mpirun 8 "${rss[@]}" "$stage" --config "$t/str.cfg" --verbose \
            --set "paths.source_shared=$shared" || fail "stripe, source_shared $shared: $(cat "$t/out" "$t/err")"
        check_nodes "$t/str/tree" str
        if [ "$shared" = auto ]; then
            grep -q "source shared: striping 1 file over 4 leaders" "$t/out" "$t/err" ||
                fail "source_shared auto did not stripe: $(cat "$t/out" "$t/err")"
        fi
        full=$secs peak=$mib
        timed netnodes_mpirun 8 "$stage" --config "$t/str.cfg" --set "paths.source_shared=$shared" ||
            fail "stripe re-run: $(cat "$t/out" "$t/err")"
        grep -q " 0 copies written, 4 unchanged" "$t/out" || fail "the re-run moved data: $(cat "$t/out")"
        net=$(calc "%.2f" "$full - $secs")
        ratio=$(calc "%.2f" "$net / $link_s")
        [ "$shared" = auto ] && bound=0.85 || bound=1.15
        row "64 MiB onto 4 nodes x 2, shared src" "$([ "$shared" = auto ] && echo striped || echo pipeline)" \
            "$full" "$(calc "%.1f" "67.1 / $net")" "$ratio" "$bound" "$peak"
        [ "$shared" = auto ] && point striped 4 "$link_s" "$net"
        strict="$strict $shared $(calc "%.2f" "($full - $bare) / $link_s")"
    done
    note "striped: source_shared = \"auto\" (the leaders read a stripe each); pipeline: \"no\"; the same"
    note "  job with nothing to move took $secs s (subtracted); against a bare 'mpirun true' ($bare s):$strict"
    netnodes_off
    rm -rf "$t/str"
}

# ------------------------------------------------------------------ compress
# make_csv FILE BYTES: sensor-log lines ("id,sensor-NN,123.456,ok"), the
# same every run: about 3:1 with zstd -1 and 1.8:1 with lz4, as logs and
# tables of numbers are.
make_csv() {
    python3 - "$1" "$2" <<'PY'
import random, sys
path, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(15)
with open(path, "w") as f:
    size = 0
    while size < n:
        lines = "".join("%d,sensor-%02d,%d.%03d,%s\n" % (rnd.randrange(100000), rnd.randrange(40), rnd.randrange(1000),
                                                        rnd.randrange(1000), rnd.choice(("ok", "ok", "warn")))
                        for _ in range(4096))
        f.write(lines[:n - size])
        size += min(len(lines), n - size)
PY
}

# wire_mib REPORT: the bytes the run put on one link, in MiB
wire_mib() {
    python3 -c 'import json, sys; print("%.1f" % (json.load(open(sys.argv[1]))["totals"]["wire_bytes"] / 2**20))' "$1"
}

# median A B C
median() {
    printf '%s\n' "$@" | sort -g | sed -n 2p
}

compress_case() {
    local kind how net bound none_net wires again k
    local -A full peak wire
    can need_netnodes "compress 64 MiB, 200 Mbit/s links" "needs root, unshare, ip and tc with network namespaces" ||
        return 0
    mkdir -p "$t/zc/csv/tree" "$t/zc/random/tree"
    make_csv "$t/zc/csv/tree/f.csv" $((64 << 20))
    head -c $((64 << 20)) /dev/urandom >"$t/zc/random/tree/f.bin"
    netnodes_setup 4 200mbit
    for kind in csv random; do
        stage_cfg "$t/zc.cfg" "$t/zc/$kind" "$FAKE_SCRATCH/zc"
        # 3 rounds over the 4 settings, so that a busy moment of the
        # machine falls on all of them alike; each row is its median.
        full=() peak=() wire=()
        for k in 1 2 3; do
            for how in none lz4 zstd auto; do
                clear_nodes zc
                # From rank 0 (a striped file's chunks go uncompressed).
                timed netnodes_mpirun 4 "${rss[@]}" "$stage" --config "$t/zc.cfg" --set "transfer.compress=$how" \
                    --set paths.source_shared=no --report "$t/zc.json" || fail "compress $how, $kind: $(cat "$t/out" "$t/err")"
                check_nodes "$t/zc/$kind/tree" zc
                full[$how]="${full[$how]:-} $secs"
                peak[$how]=$mib
                wire[$how]=$(wire_mib "$t/zc.json")
            done
        done
        again=99   # the same job with every copy in place: the fastest of 3
        for k in 1 2 3; do
            timed netnodes_mpirun 4 "$stage" --config "$t/zc.cfg" --set paths.source_shared=no ||
                fail "compress re-run: $(cat "$t/out" "$t/err")"
            grep -q " 0 copies written, 4 unchanged" "$t/out" || fail "the re-run moved data: $(cat "$t/out")"
            again=$(calc "%.2f" "$secs < $again ? $secs : $again")
        done
        wires=
        for how in none lz4 zstd auto; do
            secs=$(median ${full[$how]})
            net=$(calc "%.2f" "$secs - $again")
            [ "$how" = none ] && none_net=$net
            case $kind/$how in csv/zstd | csv/auto) bound=0.5 ;; random/auto) bound=$(calc "%.2f" "$none_net * 1.02 / $link_s") ;; *) bound=- ;; esac
            row "compress: 64 MiB $kind onto 4 nodes" "$how" "$secs" "$(calc "%.1f" "67.1 / $net")" \
                "$(calc "%.2f" "$net / $link_s")" "$bound" "${peak[$how]}"
            wires="$wires $how ${wire[$how]}"
        done
        note "$kind: median of 3 each; MiB on the wire (of 64):$wires; the job with nothing to move"
        note "  took $again s (subtracted)"
        [ "$kind" = random ] && note "random, auto against none: $(calc "%+.1f%%" "($net / $none_net - 1) * 100") (target: within 2%)"
    done
    note "the CSV with the command-line tools: zstd -1 $(zstd -1 -c "$t/zc/csv/tree/f.csv" 2>/dev/null | wc -c | awk '{ printf "%.2f:1", 2^26 / $1 }')," \
        "lz4 $(lz4 -1 -c "$t/zc/csv/tree/f.csv" 2>/dev/null | wc -c | awk '{ printf "%.2f:1", 2^26 / $1 }') (whole file; mpift compresses per chunk)"
    netnodes_off
    rm -rf "$t/zc"
}

# ------------------------------------------------------------------ local
local_case() {
    local cp_s mb
    can need_fakenodes "1 GiB + 5,000 files onto 3 nodes" "needs root and unshare for fake nodes" || return 0
    mkdir -p "$t/loc/tree"
    head -c $((1 << 30)) /dev/urandom >"$t/loc/tree/big.bin"
    make_small "$t/loc/tree/small" 5000
    mb=$(du -sb "$t/loc/tree" | awk '{ printf "%.1f", $1 / 1e6 }')
    timed sh -c 'for i in 1 2 3; do cp -r "$1/tree" "$1/cp$i" || exit 1; done' sh "$t/loc" ||
        fail "cp -r: $(cat "$t/err")"
    cp_s=$secs
    rm -rf "$t/loc/cp1" "$t/loc/cp2" "$t/loc/cp3"
    fakenodes_setup 3 1
    stage_cfg "$t/loc.cfg" "$t/loc" "$FAKE_SCRATCH/loc"
    timed fakenodes_mpirun 3 "${rss[@]}" "$stage" --config "$t/loc.cfg" ||
        fail "1 GiB + 5,000 files: $(cat "$t/out" "$t/err")"
    check_nodes "$t/loc/tree" loc
    row "1 GiB + 5,000 files onto 3 nodes" pipeline "$secs" "$(calc "%.0f" "$mb * 3 / $secs")" \
        "$(calc "%.2f" "$secs / $cp_s")" 1.2 "$mib"
    row "  cp -r into 3 folders" - "$cp_s" "$(calc "%.0f" "$mb * 3 / $cp_s")" "" "" "-"
    clear_nodes loc
    rm -rf "$t/loc"
}

# ------------------------------------------------------------------ small
small() {
    local tar_s
    can need_fakenodes "10,000 small files onto 3 nodes" "needs root and unshare for fake nodes" || return 0
    mkdir -p "$t/sm/tree"
    make_small "$t/sm/tree" 10000
    timed sh -c 'for i in 1 2 3; do mkdir "$1/x$i" && (cd "$1/tree" && tar cf - .) | (cd "$1/x$i" && tar xf -) || exit 1; done' \
        sh "$t/sm" || fail "tar: $(cat "$t/err")"
    tar_s=$secs
    rm -rf "$t/sm/x1" "$t/sm/x2" "$t/sm/x3"
    fakenodes_setup 3 1
    stage_cfg "$t/sm.cfg" "$t/sm" "$FAKE_SCRATCH/sm"
    timed fakenodes_mpirun 3 "${rss[@]}" "$stage" --config "$t/sm.cfg" --verbose ||
        fail "10,000 files: $(cat "$t/out" "$t/err")"
    check_nodes "$t/sm/tree" sm
    row "10,000 files of 1-8 KiB onto 3 nodes" pipeline "$secs" "$(calc "%.0f" "30000 / $secs")/s" \
        "$(calc "%.2f" "$secs / $tar_s")" - "$mib"
    row "  tar c | tar x into 3 folders" - "$tar_s" "$(calc "%.0f" "30000 / $tar_s")/s" "" "" "-"
    note "$(sed -n 's/.*: \([0-9]* small files went in [0-9]* batch messages\)/\1/p' "$t/err" "$t/out" | head -1)"
    clear_nodes sm
    rm -rf "$t/sm"
}

# ------------------------------------------------------------------ memory
memory() {
    local size=$((4 * 1024 * 1024 * 1024 + 13)) r1k
    [ ${#rss[@]} -gt 0 ] || {
        row "memory" "-" "-" "-" "skipped" "" "-"
        note "no /usr/bin/time (apt-get install time)"
        return 0
    }
    mkdir -p "$t/mem/tree"
    truncate -s "$size" "$t/mem/tree/big.bin"
    printf 'head' | dd of="$t/mem/tree/big.bin" conv=notrunc status=none
    printf 'tail' | dd of="$t/mem/tree/big.bin" bs=1 seek=$((size - 4)) conv=notrunc status=none
    stage_cfg "$t/mem.cfg" "$t/mem" "$t/mem/dest/%r" 'copies = "per-rank";'
    timed mpift_mpirun -n 2 "${rss[@]}" "$stage" --config "$t/mem.cfg" || fail "4 GiB: $(cat "$t/out" "$t/err")"
    cmp "$t/mem/tree/big.bin" "$t/mem/dest/1/big.bin" || fail "4 GiB: rank 1's copy differs"
    row "4 GiB + 13 B file to 2 ranks" pipeline "$secs" "$(calc "%.0f" "$size / 1e6 / $secs")" "" "64 MiB" "$mib"
    rm -rf "$t/mem"

    mkdir -p "$t/many/tree"
    python3 -c 'import os,sys
for i in range(int(sys.argv[2])):
    d=os.path.join(sys.argv[1], "d%03d" % (i % 500)); os.makedirs(d, exist_ok=True)
    open(os.path.join(d, "f%06d" % i), "w").write("x")' "$t/many/tree" 1000
    stage_cfg "$t/many.cfg" "$t/many" "$t/many/dest/%r" 'copies = "per-rank";'
    timed mpift_mpirun -n 2 "${rss[@]}" "$stage" --config "$t/many.cfg" || fail "1,000 files: $(cat "$t/out" "$t/err")"
    r1k=$(awk '$1 == "mpift-rss" && $2 > m { m = $2 } END { print m }' "$t/rss")
    rm -rf "$t/many"
    mkdir -p "$t/many/tree"
    python3 -c 'import os,sys
for i in range(int(sys.argv[2])):
    d=os.path.join(sys.argv[1], "d%03d" % (i % 500)); os.makedirs(d, exist_ok=True)
    open(os.path.join(d, "f%06d" % i), "w").write("x")' "$t/many/tree" 100000
    timed mpift_mpirun -n 2 "${rss[@]}" "$stage" --config "$t/many.cfg" || fail "100,000 files: $(cat "$t/out" "$t/err")"
    [ "$(find "$t/many/dest/1" -type f | wc -l)" = 100000 ] || fail "100,000 files: rank 1 lacks some"
    row "100,000 files of 1 B to 2 ranks" pipeline "$secs" "$(calc "%.0f" "100000 / $secs")/s" "" "" "$mib"
    note "memory per file: $(awk -v a="$r1k" -v b="$(awk '$1 == "mpift-rss" && $2 > m { m = $2 } END { print m }' "$t/rss")" \
        'BEGIN { printf "%.0f bytes", (b - a) * 1024 / 99000 }') of peak RSS (100,000 files against 1,000)"
    rm -rf "$t/many"
}

# ------------------------------------------------------------------ slurm
# slurm_job RUNS: the timed commands, inside the job; each result line
# "NAME SECONDS" goes to $t/slurm/times.  Before each timed command the
# job waits until its previous step has left squeue: a new step would
# otherwise wait for its CPUs ("step creation temporarily disabled").
slurm_job() {
    local time_it=
    [ ${#rss[@]} = 0 ] || time_it="/usr/bin/time -a -o \"$t/rss\" -f \"mpift-rss %M\""
    cat <<JOB
#!/bin/bash
. "$top_srcdir/tests/lib/slurm-job.sh"
settle() { for i in \$(seq 100); do [ -z "\$(squeue -h -s -j \$SLURM_JOB_ID -o %i | grep -v -E '\\.(batch|extern)\$')" ] && return; sleep 0.1; done; }
now() { date +%s.%N; }
timed() { local name=\$1 s e; shift; settle; s=\$(now); "\$@" || { echo "FAILED: \$name" >>"$t/slurm/times"; exit 1; }; e=\$(now); echo "\$name \$(echo "\$e - \$s" | bc)" >>"$t/slurm/times"; }
srun mkdir -p "$SLURM_LOCAL/scratch/sbcast" || exit 1
for r in \$(seq $1); do
    timed true srun -N4 true
    srun rm -rf "$SLURM_LOCAL/scratch/mpift" "$SLURM_LOCAL/scratch/sbcast/f.bin"
    timed sbcast sbcast "$t/slurm/src/f.bin" "$SLURM_LOCAL/scratch/sbcast/f.bin"
    timed mpift mpi_step $time_it "$stage" --config "$t/slurm/stage.cfg" -q
    timed again mpi_step "$stage" --config "$t/slurm/stage.cfg" -q
done
JOB
}

slurm_case() {
    local h mib_mpift s_true s_sbcast s_mpift s_again net
    can need_slurmcluster "slurm: 64 MiB onto 4 nodes" "needs root, namespaces, Slurm and munge" || return 0
    command -v bc >/dev/null || fail "slurm case: no bc(1)"
    mkdir -p "$t/slurm/src"
    head -c $((64 << 20)) /dev/urandom >"$t/slurm/src/f.bin"
    slurmcluster_setup 4 200mbit
    cat >"$t/slurm/stage.cfg" <<CFG
version = 1;
paths: { source = "$t/slurm/src"; dest = "$SLURM_LOCAL/scratch/mpift"; };
workers: { policy = "pipeline"; };
stage_in = ( { src = "f.bin"; dest = ""; } );
CFG
    slurm_job 3 >"$t/slurm/bench.sbatch"
    : >"$t/rss"
    slurm_run sbatch --wait -N4 --ntasks-per-node=1 -o "$t/slurm/job.out" "$t/slurm/bench.sbatch" >"$t/out" 2>&1 ||
        fail "the Slurm benchmark job failed: $(cat "$t/out" "$t/slurm/job.out" "$t/slurm/times" 2>/dev/null)"
    for h in $SLURM_HOSTS; do
        cmp -s "$t/slurm/src/f.bin" "$SLURM_NODEDIR/$h/scratch/mpift/f.bin" || fail "node $h: mpift's copy differs"
        cmp -s "$t/slurm/src/f.bin" "$SLURM_NODEDIR/$h/scratch/sbcast/f.bin" || fail "node $h: sbcast's copy differs"
    done
    slurm_median() { awk -v n="$1" '$1 == n { print $2 }' "$t/slurm/times" | sort -n | awk '{ v[NR] = $1 } END { printf "%.2f", v[int((NR + 1) / 2)] }'; }
    s_true=$(slurm_median true) s_sbcast=$(slurm_median sbcast) s_mpift=$(slurm_median mpift) s_again=$(slurm_median again)
    net=$(calc "%.2f" "$s_mpift - $s_again")
    mib_mpift=$(awk '$1 == "mpift-rss" && $2 > m { m = $2 } END { if (m) printf "%.0f", m / 1024; else print "-" }' "$t/rss")
    row "slurm: sbcast 64 MiB onto 4 nodes" "sbcast" "$s_sbcast" "$(calc "%.1f" "67.1 / $s_sbcast")" \
        "$(calc "%.2f" "$s_sbcast / $link_s")" "-" "-"
    row "slurm: srun mpift-stage onto 4 nodes" pipeline "$s_mpift" "$(calc "%.1f" "67.1 / $net")" \
        "$(calc "%.2f" "$net / $link_s")" 1.15 "$mib_mpift"
    note "inside one sbatch job, batch host snode1, median of 3: srun -N4 true took $s_true s; the same"
    note "  mpift step with every copy in place $s_again s (subtracted above); against srun true"
    note "  the ratio is $(calc "%.2f" "($s_mpift - $s_true) / $link_s")"
    note "mpift through srun against sbcast: $(calc "%.2f" "$s_sbcast / $s_mpift")x faster whole step, $(calc "%.2f" "$s_sbcast / $net")x net (target: at least 2.5x)"
    slurmcluster_down
    rm -rf "$t/slurm"
}

# ------------------------------------------------------------------ ranks2
# net_run NODES NP CFG [ARGS...]: a stage-in onto NODES networked fake
# nodes (NP ranks) from rank 0 (paths.source_shared = "no": no stripes)
# timed twice, the second time with every copy in place;
# sets full, again, net (full - again); every node's copy compared.
net_run() {
    local n=$1 np=$2 cfg=$3 sub
    shift 3
    sub=$(sed -n 's|.*dest = "'"$FAKE_SCRATCH"'/\([^"]*\)".*|\1|p' "$cfg")
    clear_nodes "$sub"
    timed netnodes_mpirun "$np" "${rss[@]}" "$stage" --config "$cfg" --set paths.source_shared=no "$@" ||
        fail "$cfg onto $n nodes ($np ranks) $*: $(cat "$t/out" "$t/err")"
    check_nodes "$(dirname "$cfg")/tree" "$sub"
    full=$secs peak=$mib
    timed netnodes_mpirun "$np" "$stage" --config "$cfg" --set paths.source_shared=no "$@" || fail "the re-run: $(cat "$t/out" "$t/err")"
    grep -q " 0 copies written, $n unchanged" "$t/out" || fail "the re-run moved data: $(cat "$t/out")"
    again=$secs
    net=$(calc "%.2f" "$full - $again")
}

# The waiting ranks (those that lead no node) of the last run with
# MPIFT_TEST_CPU: "LOW-HIGH%" of a core over the stage-in.
waiting_cpu() {
    sed -n 's/^mpift-test-cpu rank \([0-9]*\) leader \([0-9]*\): .* (\([0-9.]*\)%)$/\1 \2 \3/p' "$t/err" |
        awk '$1 != $2 { n++; if (n == 1 || $3 < lo) lo = $3; if ($3 > hi) hi = $3 }
             END { if (!n) print "-"; else if (lo == hi) printf "%.1f%% each (%d ranks)", lo, n;
                   else printf "%.1f-%.1f%% (%d ranks)", lo, hi, n }'
}

ranks2() {
    local slots rep n1 w1 cpu f a z m
    local -a noop=()
    can need_netnodes "2 ranks per node, 64 MiB" "needs root, unshare, ip and tc with network namespaces" ||
        return 0
    mkdir -p "$t/r2/tree"
    head -c $((64 << 20)) /dev/urandom >"$t/r2/tree/f.bin"
    # As a user launches: Open MPI's own blocking waits spin (no
    # mpi_yield_when_idle); mpift's waits sleep whatever it says.
    export MPIFT_YIELD_WHEN_IDLE=0
    for slots in 1 2; do
        netnodes_setup 4 200mbit "$slots"
        stage_cfg "$t/r2/stage.cfg" "$t/r2" "$FAKE_SCRATCH/r2" 'policy = "pipeline";'
        # 3 runs each (the median shown): 8 ranks on 2 cores are noisy
        f=() a=() z=() m=()
        for rep in 1 2 3; do
            timed netnodes_mpirun $((4 * slots)) "$top_builddir/tests/bench/mpi_noop" ||
                fail "mpi_noop onto 4 x $slots: $(cat "$t/err")"
            z+=("$secs")
            net_run 4 $((4 * slots)) "$t/r2/stage.cfg"
            f+=("$full") a+=("$again") m+=("$net")
        done
        full=$(median "${f[@]}") again=$(median "${a[@]}") net=$(median "${m[@]}") noop[$slots]=$(median "${z[@]}")
        row "64 MiB onto 4 nodes x $slots rank$([ "$slots" = 2 ] && echo s)" pipeline "$full" \
            "$(calc "%.1f" "67.1 / $net")" "$(calc "%.2f" "$net / $link_s")" 1.15 "$peak"
        note "4 x $slots, median of 3: net ${m[*]} s; the same job with nothing to move $again s (subtracted"
        note "  above); mpi_noop ${noop[$slots]} s"
        if [ "$slots" = 1 ]; then
            n1=$net w1=$full
            continue
        fi
        clear_nodes r2
        cpu=-
        if [ -e "$faults" ]; then
            MPIFT_TEST_CPU=1 timed netnodes_mpirun 8 "$stage" --module "$faults" --config "$t/r2/stage.cfg" \
                --set paths.source_shared=no ||
                fail "4 x 2 with MPIFT_TEST_CPU: $(cat "$t/out" "$t/err")"
            check_nodes "$t/r2/tree" r2
            cpu=$(waiting_cpu)
        fi
        note "4 x 2 against 4 x 1: $(calc "%+.1f%%" "($net / $n1 - 1) * 100") net, $(calc "%+.1f%%" "($full / $w1 - 1) * 100") whole job (target: within 5%)"
        note "  the ranks that only wait (no node to lead) spent $cpu of a core over the"
        note "  stage-in (MPIFT_TEST_CPU, the fault-injection build; target: under 5%)"
    done
    unset MPIFT_YIELD_WHEN_IDLE
    netnodes_off
    rm -rf "$t/r2"
}

# ------------------------------------------------------------------ wide
wide_link_s=5.369   # 32 MiB at 50 Mbit/s

wide() {
    local n run policy chunk label
    local -A nets=()
    can need_netnodes "16 nodes at 50 Mbit/s" "needs root, unshare, ip and tc with network namespaces" || return 0
    mkdir -p "$t/wide/tree"
    head -c $((32 << 20)) /dev/urandom >"$t/wide/tree/f.bin"
    for n in 4 16; do
        netnodes_setup "$n" 50mbit
        stage_cfg "$t/wide/stage.cfg" "$t/wide" "$FAKE_SCRATCH/wide"
        # POLICY:CHUNK (empty: the default 256 KiB)
        for run in pipeline: tree: pipeline:64K; do
            policy=${run%%:*} chunk=${run#*:} label=$policy
            if [ -n "$chunk" ]; then
                net_run "$n" "$n" "$t/wide/stage.cfg" --set "workers.policy=$policy" --set "transfer.chunk_size=$chunk"
                label="$policy $chunk"
            else
                net_run "$n" "$n" "$t/wide/stage.cfg" --set "workers.policy=$policy"
            fi
            row "32 MiB onto $n nodes, 50 Mbit/s" "$label" "$full" "$(calc "%.1f" "33.55 / $net")" \
                "$(calc "%.2f" "$net / $wide_link_s")" - "$peak"
            point "$label" "$n" "$wide_link_s" "$net"
            nets[$n$run]=$net
        done
        note "$n nodes: the same job with nothing to move took $again s (subtracted above)"
    done
    note "16 nodes against 4: pipeline $(calc "%+.0f%%" "(${nets[16pipeline:]} / ${nets[4pipeline:]} - 1) * 100"), tree" \
        "$(calc "%+.0f%%" "(${nets[16tree:]} / ${nets[4tree:]} - 1) * 100"), pipeline in 64 KiB chunks" \
        "$(calc "%+.0f%%" "(${nets[16pipeline:64K]} / ${nets[4pipeline:64K]} - 1) * 100") (target: at most +10%)"
    note "  a chain of N nodes fills in (N - 1) chunk times: 12 more hops of a 256 KiB chunk at 50 Mbit/s are"
    note "  $(calc "%.2f" "12 * 0.04194") s ($(calc "%+.0f%%" "12 * 0.04194 / $wide_link_s * 100") of one link), of a 64 KiB chunk $(calc "%.2f" "12 * 0.01049") s ($(calc "%+.0f%%" "12 * 0.01049 / $wide_link_s * 100"))"
    netnodes_off
    rm -rf "$t/wide"
}

# ------------------------------------------------------------------ control
# lsq FILE: the least-squares slope of column 2 (seconds) over column 1
# (nodes), in ms per node
lsq() {
    awk '{ n++; sx += $1; sy += $2; sxx += $1 * $1; sxy += $1 * $2 }
         END { printf "%.1f", 1000 * (n * sxy - sx * sy) / (n * sxx - sx * sx) }' "$1"
}

control() {
    local n c c4 c1m full
    can need_fakenodes "control cost per node" "needs root and unshare for fake nodes" || return 0
    [ -x "$top_builddir/tests/bench/mpi_noop" ] || fail "control: no tests/bench/mpi_noop (make bench builds it)"
    mkdir -p "$t/ctl/none/tree" "$t/ctl/small/tree"
    python3 - "$t/ctl/small/tree" <<'PY'
import os, random, sys
rnd = random.Random(11)
for i in range(1000):
    d = os.path.join(sys.argv[1], "d%02d" % (i % 20))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%04d.dat" % i), "wb") as f:
        f.write(rnd.randbytes(rnd.randint(1024, 4096)))
PY
    : >"$t/ctl/noop" && : >"$t/ctl/empty" && : >"$t/ctl/files" && : >"$t/ctl/call"
    for n in 4 8 16 32; do
        fakenodes_setup "$n" 1
        stage_cfg "$t/ctl/none.cfg" "$t/ctl/none" "$FAKE_SCRATCH/none"
        stage_cfg "$t/ctl/small.cfg" "$t/ctl/small" "$FAKE_SCRATCH/small"
        timed fakenodes_mpirun "$n" "$top_builddir/tests/bench/mpi_noop" || fail "mpi_noop onto $n nodes: $(cat "$t/err")"
        echo "$n $secs" >>"$t/ctl/noop"
        timed fakenodes_mpirun "$n" "$stage" --config "$t/ctl/none.cfg" --set paths.source_shared=no ||
            fail "nothing to move onto $n nodes: $(cat "$t/out" "$t/err")"
        echo "$n $secs" >>"$t/ctl/empty"
        if [ -e "$faults" ]; then
            # the stage-in call alone: rank 0's session (MPIFT_TEST_CPU)
            MPIFT_TEST_CPU=1 timed fakenodes_mpirun "$n" "$stage" --module "$faults" --config "$t/ctl/none.cfg" \
                --set paths.source_shared=no ||
                fail "nothing to move onto $n nodes, measured: $(cat "$t/out" "$t/err")"
            sed -n "s/^mpift-test-cpu rank 0 leader 0: .* over \([0-9.]*\) s .*/$n \1/p" "$t/err" >>"$t/ctl/call"
        fi
        timed fakenodes_mpirun "$n" "${rss[@]}" "$stage" --config "$t/ctl/small.cfg" --set paths.source_shared=no ||
            fail "1,000 files onto $n nodes: $(cat "$t/out" "$t/err")"
        check_nodes "$t/ctl/small/tree" small
        echo "$n $secs" >>"$t/ctl/files"
        row "1,000 files of 1-4 KiB onto $n nodes" pipeline "$secs" "$(calc "%.0f" "1000 * $n / $secs")/s" "" "" "$mib"
        clear_nodes small
    done
    note "nodes  mpi_noop  nothing to move  (its stage-in call)  1,000 files   (seconds; 1 rank per node, fake nodes on lo)"
    [ -s "$t/ctl/call" ] || awk '{ print $1, "-" }' "$t/ctl/noop" >"$t/ctl/call"
    paste "$t/ctl/noop" "$t/ctl/empty" "$t/ctl/call" "$t/ctl/files" |
        awk '{ printf "  %5d  %8.2f  %15.2f  %19s  %11.2f\n", $1, $2, $4, $6, $8 }'
    [ "$(awk '$2 == "-"' "$t/ctl/call")" ] ||
        note "the stage-in call itself (rank 0, from its start to its end): $(lsq "$t/ctl/call") ms per node"
    note "least-squares slope, ms per node: mpi_noop $(lsq "$t/ctl/noop"), nothing to move $(lsq "$t/ctl/empty"),"
    note "  1,000 files $(lsq "$t/ctl/files"); less the bare launch (mpi_noop): nothing to move" \
        "$(calc "%.1f" "$(lsq "$t/ctl/empty") - $(lsq "$t/ctl/noop")"), 1,000 files $(calc "%.1f" "$(lsq "$t/ctl/files") - $(lsq "$t/ctl/noop")")"

    # The cost of one chunk: 128 MiB onto 3 nodes on lo in 4 KiB chunks
    # (32,768 of them) and in 1 MiB chunks, each less the same job with the
    # copies in place.  The 4 KiB run bounds a chunk's cost from above
    # (its bytes included); the difference is what 32,640 more chunks cost.
    mkdir -p "$t/ctl/big/tree"
    head -c $((128 << 20)) /dev/urandom >"$t/ctl/big/tree/f.bin"
    fakenodes_setup 3 1
    stage_cfg "$t/ctl/big.cfg" "$t/ctl/big" "$FAKE_SCRATCH/big" 'policy = "pipeline";'
    for c in 4K 1M; do
        clear_nodes big
        timed fakenodes_mpirun 3 "$stage" --config "$t/ctl/big.cfg" --set paths.source_shared=no --set transfer.chunk_size=$c ||
            fail "128 MiB in $c chunks: $(cat "$t/out" "$t/err")"
        check_nodes "$t/ctl/big/tree" big
        full=$secs
        timed fakenodes_mpirun 3 "$stage" --config "$t/ctl/big.cfg" --set paths.source_shared=no --set transfer.chunk_size=$c ||
            fail "128 MiB in $c chunks, again: $(cat "$t/out" "$t/err")"
        [ $c = 4K ] && c4=$(calc "%.2f" "$full - $secs") || c1m=$(calc "%.2f" "$full - $secs")
        row "128 MiB onto 3 nodes on lo, $c chunks" pipeline "$full" "$(calc "%.0f" "134.2 * 3 / ($full - $secs)")" "" "" "-"
    done
    clear_nodes big
    note "net of the same job with the copies in place: 4 KiB chunks $c4 s, 1 MiB chunks $c1m s: the relay"
    note "  sustained $(calc "%.0f" "32768 / $c4") chunks/s of 4 KiB, so a chunk costs at most $(calc "%.0f" "1e6 * $c4 / 32768") us (bytes included);"
    note "  32,640 more chunks cost $(calc "%.2f" "$c4 - $c1m") s ($(calc "%.1f" "1e6 * ($c4 - $c1m) / 32640") us each: within the noise where <= 0)"
    rm -rf "$t/ctl"
}

echo "mpift $(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"/\1/p' "$top_builddir/mpift_autoconf.h" 2>/dev/null) staging benchmarks on $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 2^20 }' /proc/meminfo), $(uname -sr)"
row case policy seconds "MB/s" ratio bound "RSS MiB"
for c in $cases; do
    case $c in
    fanout) fanout ;;
    stripe) stripe ;;
    compress) compress_case ;;
    local) local_case ;;
    small) small ;;
    memory) memory ;;
    slurm) slurm_case ;;
    ranks2) ranks2 ;;
    wide) wide ;;
    control) control ;;
    fabric) fabric ;;
    profile) profile ;;
    extract) extract_case ;;
    holes) holes_case ;;
    keys) keys_case ;;
    cache) cache_case ;;
    autocomp) autocomp_case ;;
    resume) resume_case ;;
    delta) delta_case ;;
    *) fail "unknown case $c (fanout stripe compress local small memory slurm ranks2 wide control fabric profile extract holes keys cache autocomp resume delta)" ;;
    esac
done
pass
