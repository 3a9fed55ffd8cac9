#!/bin/bash
# The result API of mpift.h (tests/api/result_check, 3 ranks, no
# --report): every status code's name and exit status from the library;
# a context with keep_result gives every rank the same totals and the
# same report text after stage-in, a second stage-in and a stage-out, the
# text keeps to docs/report.schema.json and no report file is written;
# without keep_result nothing is kept; wrong arguments are usage errors.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" mpirun timeout=120
. "$top_srcdir/tests/lib/stage.sh"
check=$top_builddir/tests/api/result_check
[ -x "$check" ] || fail "build tests/api/result_check first (make check does)"
plan 4

data=$top_srcdir/conf/data
mkdir -p "$t/json"
cat >"$t/r.cfg" <<CFG
version = 1;
paths: { source = "$data"; dest = "$t/d/%r"; collect = "$t/collect"; };
workers: { copies = "per-rank"; };
stage_in = ( { src = "inputs/*.dat"; dest = "inputs/"; } );
stage_out = ( { src = "inputs/m*.dat"; dest = "%r/"; } );
CFG
nfiles=$(ls "$data"/inputs/*.dat | wc -l)
bytes=$(cat "$data"/inputs/*.dat | wc -c)
nout=$(ls "$data"/inputs/m*.dat | wc -l)
outbytes=$(cat "$data"/inputs/m*.dat | wc -c)

run_check() {
    mpift_mpirun -n 3 "$check" "$t/r.cfg" "$t/json" >"$t/out" 2>"$t/err" ||
        fail "result_check: exit $? $(cat "$t/out" "$t/err")"
}

# expect_all LINE: ranks 0..2 each printed "rank R: LINE".
expect_all() {
    local r
    for r in 0 1 2; do
        grep -qxF "rank $r: $1" "$t/out" || fail "rank $r: expected '$1', got: $(cat "$t/out" "$t/err")"
    done
}

names_and_runs() {
    run_check || return
    expect_all ok
    expect_all "in1 status=MPIFT_OK mode=1 files=$nfiles bytes=$bytes written=$((3 * nfiles)) unchanged=0 failed=0 bytes_written=$((3 * bytes)) wire=yes unread=0"
    expect_all "in2 status=MPIFT_OK mode=1 files=$nfiles bytes=$bytes written=0 unchanged=$((3 * nfiles)) failed=0 bytes_written=0 wire=no unread=0"
    expect_all "out status=MPIFT_OK mode=2 files=$((3 * nout)) bytes=$((3 * outbytes)) written=$((3 * nout)) unchanged=0 failed=0 bytes_written=$((3 * outbytes)) wire=yes unread=0"
}
scenario "status names and exits from the library; every rank's totals after stage-in, again, stage-out" names_and_runs

same_text() {
    after names_and_runs
    local tag r
    for tag in in1 in2 out; do
        [ -s "$t/json/$tag.0" ] || fail "rank 0 wrote no $tag report text"
        for r in 1 2; do
            cmp -s "$t/json/$tag.0" "$t/json/$tag.$r" || fail "$tag: rank $r's report text differs from rank 0's"
        done
    done
}
scenario "every rank holds the same report text as rank 0" same_text

schema() {
    after names_and_runs
    check_report "$t/json/in1.0" "$t/json/in2.0" "$t/json/out.0"
    /usr/bin/python3 - "$t/json" "$nfiles" <<'PY' || fail "the report text does not say what the run did"
import json, sys
d, n = sys.argv[1], int(sys.argv[2])
r = json.load(open(d + "/in1.0"))
assert r["report_version"] == 1 and r["mode"] == "stage-in" and r["status"] == "ok", r
assert r["totals"]["files"] == n and r["totals"]["copies_written"] == 3 * n, r["totals"]
assert all(c["status"] == "written" for f in r["files"] for c in f["copies"]), r["files"]
assert json.load(open(d + "/in2.0"))["totals"]["unchanged"] == 3 * n
assert json.load(open(d + "/out.0"))["mode"] == "stage-out"
PY
}
scenario "the text is the --report JSON (report v1, docs/report.schema.json) with the run's figures" schema

no_file() {
    after names_and_runs
    local extra
    extra=$(find "$t" -newer "$t/r.cfg" -type f ! -path "$t/json/*" ! -path "$t/d/*" ! -path "$t/collect/*" \
        ! -name out ! -name err)
    [ -z "$extra" ] || fail "files written besides the copies: $extra"
    [ -z "$(find "$t/d" "$t/collect" -name '*.json' -o -name '.mpift-*')" ] || fail "a report or temporary left in the roots"
}
scenario "no report file is written: the result stays in memory" no_file
