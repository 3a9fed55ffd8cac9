#!/bin/bash
# --progress=jsonl (docs/report.md) across 2 fake nodes x 2 ranks: a
# stage-in writes JSON lines on stderr (under --quiet too) that parse,
# whose counts never go down, whose final line equals the totals, and
# whose "lag" names each node; --progress-fd N puts them on descriptor N
# and none on stderr; a stage-out writes them too; --progress-fd without
# jsonl is a usage error.  The terminal bar fits the terminal: on a pty of
# 50 columns (stty cols 50) no line it draws is wider.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" fakenodes=2x2 python3 tree timeout=120
plan 5

write_cfg "$t/p.cfg" "$t/src" "$FAKE_SCRATCH/stage"
# check_lines FILE MODE: tests/lib/check_progress.py over FILE, the fake hosts' lag
check_lines() {
    /usr/bin/python3 "$top_srcdir/tests/lib/check_progress.py" "$1" "$2" "${fake_host[@]}" ||
        fail "--progress=jsonl lines ($2): $(cat "$1")"
}

# A line per tick in the test builds (MPIFT_TEST_PROGRESS_EVERY=0), so the
# run has many lines to check.
jsonl_stderr() {
    fakenodes_clear stage
    MPIFT_TEST_PROGRESS_EVERY=0 fakenodes_mpirun 4 "$stage" --module "$faults" --config "$t/p.cfg" --quiet \
        --progress=jsonl --report "$t/r.json" >"$t/log" 2>"$t/err" || fail "stage-in: $(cat "$t/log" "$t/err")"
    check_lines "$t/err" stage-in
    [ "$(grep -c '^{' "$t/err")" -gt 3 ] || fail "too few lines for a run of $nfiles files: $(cat "$t/err")"
    ! fakenodes_launcher_noise "$t/err" | grep -v '^{' | grep -q . || fail "--quiet: something else on stderr: $(cat "$t/err")"
    [ ! -s "$t/log" ] || fail "--quiet --progress=jsonl printed on stdout: $(cat "$t/log")"
    # The final line's totals are the report's.
    /usr/bin/python3 - "$t/err" "$t/r.json" <<'PY' || fail "the last line and the report differ"
import json, sys
last = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")][-1]
t = json.load(open(sys.argv[2]))["totals"]
assert (last["files_total"], last["bytes_total"]) == (t["files"], t["bytes"]), (last, t)
assert all(x["bytes_total"] == t["bytes"] for x in last["lag"]), last
PY
    check_report "$t/r.json"
}
scenario "a stage-in's JSON lines on stderr parse, never go down, end with the totals, and give each node's lag" jsonl_stderr

# Rank 0's descriptor 3, opened by a wrapper shell on every rank (only
# rank 0 writes).
jsonl_fd() {
    fakenodes_clear stage
    rm -f "$t/fd.jsonl"
    fakenodes_mpirun 4 bash -c "exec \"\$0\" \"\$@\" 3>>'$t/fd.jsonl'" "$stage" --config "$t/p.cfg" \
        --progress=jsonl --progress-fd 3 >"$t/log" 2>"$t/err" || fail "stage-in: $(cat "$t/log" "$t/err")"
    check_lines "$t/fd.jsonl" stage-in
    ! grep -q '^{' "$t/err" || fail "JSON lines on stderr with --progress-fd 3: $(cat "$t/err")"
    expect_summary "$t/log" $((nfiles * 2)) 0 0
}
scenario "--progress-fd 3 puts the lines on descriptor 3 and none on stderr" jsonl_fd

for h in $FAKE_HOSTS; do mkdir -p "$FAKE_NODEDIR/$h/stage/out" && head -c 300000 /dev/urandom >"$FAKE_NODEDIR/$h/stage/out/n.bin"; done
cp "$t/p.cfg" "$t/out.cfg"
echo 'stage_out = ( { src = "out/n.bin"; dest = "%h/"; } );' >>"$t/out.cfg"
sed -i "s|paths: {|paths: { collect = \"$t/collect\";|" "$t/out.cfg"
jsonl_out() {
    MPIFT_TEST_PROGRESS_EVERY=0 fakenodes_mpirun 4 "$stage" --module "$faults" --config "$t/out.cfg" --out \
        --progress=jsonl --report "$t/o.json" >"$t/log" 2>"$t/err" || fail "stage-out: $(cat "$t/log" "$t/err")"
    check_lines "$t/err" stage-out
    check_report "$t/o.json"
}
scenario "a stage-out's JSON lines: each node's bytes gathered, the final line the totals" jsonl_out

usage() {
    local rc=0
    "$stage" --config "$t/p.cfg" --progress-fd 3 >"$t/log" 2>&1 || rc=$?
    [ "$rc" = 2 ] && grep -q -- "--progress-fd applies to --progress=jsonl" "$t/log" ||
        fail "--progress-fd without jsonl: exit $rc: $(cat "$t/log")"
    rc=0
    "$stage" --config "$t/p.cfg" --progress=jsonl --progress-fd x >"$t/log" 2>&1 || rc=$?
    [ "$rc" = 2 ] && grep -q -- "--progress-fd takes a file descriptor number (1 or more), not 'x'" "$t/log" ||
        fail "--progress-fd x: exit $rc: $(cat "$t/log")"
    rc=0
    "$stage" --config "$t/p.cfg" --progress=bars >"$t/log" 2>&1 || rc=$?
    [ "$rc" = 2 ] && grep -q -- "--progress takes auto, always, never or jsonl, not 'bars'" "$t/log" ||
        fail "--progress=bars: exit $rc: $(cat "$t/log")"
}
scenario "--progress-fd without jsonl, a bad descriptor, an unknown --progress: exit 2 naming it" usage

# The bar on a terminal of 50 columns: every redraw ("\r...ESC[K") fits.
# Its files are many chunks of 64 KiB, so it is drawn more than once.
bar_width() {
    command -v script >/dev/null || skip "no script(1) to give mpirun a terminal"
    write_cfg "$t/b.cfg" "$t/src" "$t/bar/%r"
    sed -i 's/chunk_size = "1M"/chunk_size = "64K"/' "$t/b.cfg"
    _mpift_timed script -qec "stty cols 50; $(mpift_mpirun_line -n 2 "$stage" --config "$t/b.cfg" --force)" "$t/tty" \
        >/dev/null 2>&1 || fail "stage-in on a terminal failed: $(cat -v "$t/tty")"
    /usr/bin/python3 - "$t/tty" "$nfiles" <<'PY' || fail "the bar on 50 columns: $(cat -v "$t/tty")"
import re, sys
raw = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
bars = re.findall(r"\r([^\r\n\x1b]*)\x1b\[K", raw)
drawn = [b for b in bars if b]
assert drawn, "no bar drawn"
assert max(len(b) for b in drawn) < 50, [b for b in drawn if len(b) >= 50]
assert any(("%s/%s files" % (sys.argv[2], sys.argv[2])) in b for b in drawn), drawn
print(len(drawn), "redraws, the widest", max(len(b) for b in drawn), ":", drawn[-1])
PY
}
scenario "on a terminal of 50 columns no line of the bar is wider" bar_width
done_testing
