# delta_case.sh - staging.sh's "delta" case (sourced by it): a file the
# nodes hold an older version of moves as its changed chunks (issue 23,
# item 4; transfer.delta, docs/resume.md).
#
# 1 GiB onto 4 networked fake nodes at 200 Mbit/s (pipeline from rank 0,
# paths.source_shared = "no"), then 1% of its 256 KiB chunks (41, spread
# over the file) rewritten in place (a new mtime) and staged again:
# delta = "auto" beside "no" (a full re-stage), each after the same
# rewrite.  Targets: at most 3% of the file's bytes on the wire
# (--report's wire_bytes) and at most 0.15x the full re-stage's time;
# every copy equal to its source.

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

delta_case() {
    local gib=$((1024 * 1024 * 1024)) how full dsecs wire saved h
    can need_netnodes "delta: 1 GiB, 1% changed, 200 Mbit/s" "needs root, unshare, ip and tc with network namespaces" ||
        return 0
    mkdir -p "$t/delta/tree"
    head -c "$gib" /dev/urandom >"$t/delta/tree/big.bin" || fail "delta: cannot make the file"
    netnodes_setup 4 200mbit
    clear_nodes delta
    for how in first no auto; do
        cat >"$t/delta.cfg" <<CFG
version = 1;
paths: { source = "$t/delta/tree"; dest = "$FAKE_SCRATCH/delta"; source_shared = "no"; };
transfer: { delta = "${how/first/auto}"; };
stage_in = ( { src = "big.bin"; dest = ""; } );
CFG
        [ "$how" = first ] || delta_touch 41
        rm -f "$t/delta.json"
        timed netnodes_mpirun 4 "$stage" --config "$t/delta.cfg" --report "$t/delta.json" ||
            fail "delta, $how: $(cat "$t/out" "$t/err")"
        for h in $FAKE_HOSTS; do
            cmp "$t/delta/tree/big.bin" "$FAKE_NODEDIR/$h/delta/big.bin" || fail "delta, $how: node $h's copy differs"
        done
        case $how in
        no)
            full=$secs
            row "1 GiB, 1% changed, full re-stage" pipeline "$secs" "-" "1.00" "" "-" ;;
        auto)
            dsecs=$secs
            wire=$(/usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["totals"]["wire_bytes"])' \
                "$t/delta.json")
            saved=$(/usr/bin/python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))["totals"]["delta_saved_bytes"])' "$t/delta.json")
            row "1 GiB, 1% changed, delta = auto" pipeline "$secs" "-" "$(calc "%.2f" "$dsecs / $full")" "0.15" "-" ;;
        esac
    done
    note "delta: ratio = the delta re-stage's time over the full re-stage's (target at most 0.15); it put"
    note "  $(calc "%.1f" "$wire / 1048576") MiB on the wire, $(calc "%.2f" "100 * $wire / $gib")% of the file (target at most 3%),"
    note "  and the 3 writers took $(calc "%.1f" "$saved / 1048576") MiB from their older copies (delta_saved_bytes, summed)"
    clear_nodes delta
    netnodes_off
    rm -rf "$t/delta"
}
