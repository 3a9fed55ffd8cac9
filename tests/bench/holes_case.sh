# holes_case.sh - staging.sh's "holes" case (sourced by it): a sparse
# file travels as its data (issue 23, item 3).
#
# A 16 GiB file holding 64 MiB of data (four 16 MiB extents) onto 4
# networked fake nodes at 200 Mbit/s, beside a dense 64 MiB file of the
# same bytes; each less the same job with nothing to move.  Target: the
# sparse file in at most 2x the dense one's net time, with at most
# 128 MiB allocated per copy (du), and every copy equal to its source.

holes_case() {
    local dense sparse h k alloc=0
    can need_netnodes "holes: 16 GiB sparse, 200 Mbit/s links" "needs root, unshare, ip and tc with network namespaces" ||
        return 0
    mkdir -p "$t/holes/tree"
    python3 - "$t/holes/tree" <<'PY' || fail "holes: cannot make the files"
import os, sys
d = sys.argv[1]
data = [os.urandom(16 << 20) for _ in range(4)]
with open(os.path.join(d, "dense.bin"), "wb") as f:
    for b in data:
        f.write(b)
with open(os.path.join(d, "sparse.img"), "wb") as f:
    f.truncate(16 << 30)
    for k, b in enumerate(data):
        f.seek(k * (4 << 30) + (1 << 20))
        f.write(b)
PY
    netnodes_setup 4 200mbit
    for what in dense.bin sparse.img; do
        cat >"$t/holes.cfg" <<CFG
version = 1;
paths: { source = "$t/holes/tree"; dest = "$FAKE_SCRATCH/holes"; source_shared = "no"; };
stage_in = ( { src = "$what"; dest = ""; } );
CFG
        clear_nodes holes
        timed netnodes_mpirun 4 "$stage" --config "$t/holes.cfg" || fail "holes, $what: $(cat "$t/out" "$t/err")"
        local full=$secs
        for h in $FAKE_HOSTS; do
            cmp "$t/holes/tree/$what" "$FAKE_NODEDIR/$h/holes/$what" || fail "holes: node $h's copy of $what differs"
            k=$(du -k "$FAKE_NODEDIR/$h/holes/$what" | cut -f1)
            [ "$what" = dense.bin ] || [ "$k" -le "$alloc" ] || alloc=$k
        done
        timed netnodes_mpirun 4 "$stage" --config "$t/holes.cfg" || fail "holes, $what again: $(cat "$t/out" "$t/err")"
        if [ "$what" = dense.bin ]; then
            dense=$(calc "%.2f" "$full - $secs")
            row "64 MiB dense onto 4 nodes" pipeline "$full" "$(calc "%.1f" "67.1 / $dense")" "1.00" "" "-"
        else
            sparse=$(calc "%.2f" "$full - $secs")
            row "16 GiB, 64 MiB of data, onto 4 nodes" pipeline "$full" "$(calc "%.1f" "67.1 / $sparse")" \
                "$(calc "%.2f" "$sparse / $dense")" "2" "-"
        fi
        clear_nodes holes
    done
    note "holes: net of the same job with every copy in place; ratio: the sparse file's net over the dense one's;"
    note "  largest copy of the sparse file: $(calc "%.1f" "$alloc / 1024") MiB allocated (du; target: at most 128)"
    netnodes_off
    rm -rf "$t/holes"
}
