# resume_case.sh - staging.sh's "resume" case (sourced by it): a stage
# SIGKILLed at about 60% and run again moves only what is missing (issue
# 23, item 2; docs/resume.md).
#
# 1 GiB onto 4 networked fake nodes at 200 Mbit/s (pipeline from rank 0,
# paths.source_shared = "no"); every rank of the job is SIGKILLed once the
# last node's temporary holds 60% of the file; the same job again, with
# --report.  Target: the re-run's wire_bytes at most 45% of 1 GiB, and
# every copy equal to its source.

resume_case() {
    local h p i s killed_at secs_full gib=$((1024 * 1024 * 1024)) wire resumed tmp size pids
    can need_netnodes "resume: 1 GiB killed at 60%, 200 Mbit/s" "needs root, unshare, ip and tc with network namespaces" ||
        return 0
    mkdir -p "$t/resume/tree"
    head -c "$gib" /dev/urandom >"$t/resume/tree/big.bin" || fail "resume: cannot make the file"
    netnodes_setup 4 200mbit
    cat >"$t/resume.cfg" <<CFG
version = 1;
paths: { source = "$t/resume/tree"; dest = "$FAKE_SCRATCH/resume"; source_shared = "no"; };
stage_in = ( { src = "big.bin"; dest = ""; } );
CFG
    clear_nodes resume
    h=${FAKE_HOSTS##* }
    s=$(date +%s.%N)
    netnodes_mpirun 4 "$stage" --config "$t/resume.cfg" >"$t/out" 2>"$t/err" &
    p=$!
    # Until the last node's temporary holds 60% (its size: chunks come in order).
    for ((i = 0; i < 3000; i++)); do
        tmp=$(find "$FAKE_NODEDIR/$h/resume" -name '.mpift-*-resume-r*.tmp' 2>/dev/null | head -1)
        size=$( [ -n "$tmp" ] && stat -c %s "$tmp" 2>/dev/null || echo 0)
        [ "$size" -lt $((gib * 6 / 10)) ] || break
        kill -0 "$p" 2>/dev/null || break
        sleep 0.1
    done
    killed_at=$size
    # Every rank of this job (their command lines name its unique config), by id.
    pids=$(pgrep -f -- "--config $t/resume.cfg" | grep -v "^$$\$" || true)
    # shellcheck disable=SC2086
    [ -z "$pids" ] || kill -KILL $pids 2>/dev/null
    wait "$p"
    secs_full=$(awk -v a="$s" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
    rm -f "$t/resume.json"
    timed netnodes_mpirun 4 "$stage" --config "$t/resume.cfg" --report "$t/resume.json" ||
        fail "resume, the re-run: $(cat "$t/out" "$t/err")"
    for h in $FAKE_HOSTS; do
        cmp "$t/resume/tree/big.bin" "$FAKE_NODEDIR/$h/resume/big.bin" || fail "resume: node $h's copy differs"
    done
    wire=$(/usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["totals"]["wire_bytes"])' \
        "$t/resume.json")
    resumed=$(/usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["totals"]["resumed_bytes"])' \
        "$t/resume.json")
    row "1 GiB killed at $(calc "%.0f" "100 * $killed_at / $gib")%, then re-run" pipeline "$secs" "-" \
        "$(calc "%.2f" "$wire / $gib")" "0.45" "-"
    note "resume: the killed run took ${secs_full} s; the re-run put $(calc "%.1f" "$wire / 1048576") MiB on the wire"
    note "  (ratio: of 1 GiB; target at most 0.45) and its 3 writers took $(calc "%.1f" "$resumed / 1048576") MiB from"
    note "  their temporaries (resumed_bytes, summed); every copy compared byte for byte"
    clear_nodes resume
    netnodes_off
    rm -rf "$t/resume"
}
