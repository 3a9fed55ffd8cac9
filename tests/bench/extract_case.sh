# extract_case.sh - the "extract" case of staging.sh (sourced by it):
#
# extract  a Python environment's shape, $MPIFT_BENCH_EXTRACT_FILES files
#          (default 50,000: many small text files of 0.2-16 KiB, one in 25
#          a compiled module of 64-512 KiB, 4 of 8 MiB, those half random
#          and half zeros; about 2,000
#          folders 2-5 deep), as one .tar.zst (zstd -3) onto 4 fake nodes
#          (one rank each, on lo): mpift-stage --extract of the archive,
#          beside mpift staging the tree itself, and beside every node
#          running zstd -dc | tar x of the archive from the shared source
#          at once (an mpirun of sh on the same 4 nodes).  MB/s counts
#          the unpacked bytes on the 4 nodes; ratio = seconds / tar x's.

# make_env DIR N: N files shaped like a Python environment (same bytes every run)
make_env() {
    python3 - "$1" "$2" <<'PY'
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(22)
words = [("w%03d" % i).encode() for i in range(400)]
pkgs = ["pkg%03d" % i for i in range(max(1, n // 250))]
for i in range(n):
    p = pkgs[i % len(pkgs)]
    d = os.path.join(root, "lib", "python3.11", "site-packages", p, "sub%d" % (i % 7), "__pycache__" if i % 3 == 0 else "")
    os.makedirs(d, exist_ok=True)
    if i < 4:
        name, data = "libbig%d.so" % i, rnd.randbytes(4 << 20) + bytes(4 << 20)
    elif i % 25 == 0:
        half = rnd.randint(32 << 10, 256 << 10)
        name, data = "_mod%06d.so" % i, rnd.randbytes(half) + bytes(half)   # code and tables: ~2:1
    else:
        size = int(rnd.paretovariate(1.2) * 200) % (16 << 10) + 200
        text = b" ".join(rnd.choice(words) for _ in range(size // 4 + 1))
        name, data = "m%06d.py%s" % (i, "c" if i % 3 == 0 else ""), text[:size]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)
PY
}

extract_case() {
    local n=${MPIFT_BENCH_EXTRACT_FILES:-50000} mb tar_s arc_mb title h
    title="$(printf "%'d" "$n" 2>/dev/null || echo "$n") files (py env) onto 4 nodes"
    can need_fakenodes "$title" "needs root and unshare for fake nodes" || return 0
    command -v zstd >/dev/null || { row "$title" - - - skipped "" -; note "no zstd(1) to make the archive"; return 0; }
    grep -q '^#define HAVE_LIBARCHIVE 1' "$top_builddir/mpift_autoconf.h" ||
        { row "$title" - - - skipped "" -; note "this build is --without-libarchive"; return 0; }
    mkdir -p "$t/ex/tree"
    make_env "$t/ex/tree" "$n"
    mb=$(du -sb --apparent-size "$t/ex/tree" | awk '{ printf "%.1f", $1 / 1e6 }')
    tar -C "$t/ex" -cf - tree | zstd -q -3 -T0 -o "$t/ex/env.tar.zst" || fail "cannot make env.tar.zst"
    arc_mb=$(stat -c %s "$t/ex/env.tar.zst" | awk '{ printf "%.1f", $1 / 1e6 }')
    fakenodes_setup 4 1
    cat >"$t/ex.cfg" <<CFG
version = 1;
paths: { source = "$t/ex"; dest = "$FAKE_SCRATCH/ex"; };
stage_in = ( { src = "env.tar.zst"; extract = true; } );
CFG
    stage_cfg "$t/ext.cfg" "$t/ex" "$FAKE_SCRATCH/ex/tree"
    # each node's tar x of the archive from the shared source, at once
    timed fakenodes_mpirun 4 sh -c 'mkdir -p "$1/tx" && zstd -dc "$2" | tar -C "$1/tx" -xf -' sh "$FAKE_SCRATCH" \
        "$t/ex/env.tar.zst" || fail "tar x on the nodes: $(cat "$t/out" "$t/err")"
    tar_s=$secs
    for h in $FAKE_HOSTS; do
        diff -rq "$t/ex/tree" "$FAKE_NODEDIR/$h/tx/tree" >/dev/null || fail "node $h: tar x's tree differs"
    done
    clear_nodes tx
    timed fakenodes_mpirun 4 "${rss[@]}" "$stage" --config "$t/ex.cfg" ||
        fail "--extract: $(cat "$t/out" "$t/err")"
    for h in $FAKE_HOSTS; do
        diff -rq "$t/ex/tree" "$FAKE_NODEDIR/$h/ex/env/tree" >/dev/null || fail "node $h: the unpacked tree differs"
    done
    row "$title" "extract" "$secs" "$(calc "%.0f" "$mb * 4 / $secs")" "$(calc "%.2f" "$secs / $tar_s")" - "$mib"
    clear_nodes ex
    timed fakenodes_mpirun 4 "${rss[@]}" "$stage" --config "$t/ext.cfg" ||
        fail "the tree itself: $(cat "$t/out" "$t/err")"
    check_nodes_diff "$t/ex/tree" ex/tree
    row "  the tree itself, file by file" pipeline "$secs" "$(calc "%.0f" "$mb * 4 / $secs")" \
        "$(calc "%.2f" "$secs / $tar_s")" - "$mib"
    row "  each node: tar x of the shared file" - "$tar_s" "$(calc "%.0f" "$mb * 4 / $tar_s")" "1.00" "" "-"
    note "$n files, $mb MB unpacked; env.tar.zst is $arc_mb MB (zstd -3)"
    clear_nodes ex
    rm -rf "$t/ex"
}

# check_nodes_diff TREE SUBDIR: each fake node's SUBDIR equals TREE (diff -r:
# one process, where compare_tree's cmp per file is slow at 50,000 files)
check_nodes_diff() {
    local h
    for h in $FAKE_HOSTS; do
        diff -rq "$1" "$FAKE_NODEDIR/$h/$2" >/dev/null || fail "node $h: its copy differs from $1"
    done
}
