#!/bin/bash
# The result API of mpift.h (tests/api/result_check, 3 ranks, no
# --report): every status code's name and exit status from the library;
# a context with keep_result gives every rank the same totals and the
# same report text after stage-in, a second stage-in and a stage-out, the
# text keeps to docs/report.schema.json and no report file is written;
# without keep_result nothing is kept; wrong arguments are usage errors.
# With --report as well, the file holds the kept text's bytes; a result
# that finds no memory (MPIFT_TEST_NOMEM_RESULT, rank 0 or another) costs
# the run nothing: MPIFT_OK, every copy in place, the --report written,
# and mpift_result says MPIFT_ERR_NOENT on every rank.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" mpirun timeout=120
. "$top_srcdir/tests/lib/stage.sh"
check=$top_builddir/tests/api/result_check
[ -x "$check" ] || fail "build tests/api/result_check first (make check does)"
plan 7

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
    [ -z "$(find "$t/d" "$t/collect" -name '*.json')" ] || fail "a report left in the roots"
    no_temporaries "a temporary left in the roots" "$t/d" "$t/collect"
}
scenario "no report file is written: the result stays in memory" no_file

# keep_run TAG REPORT [VAR=VALUE...]: a fresh stage-in with keep_result and
# report_path REPORT ("-": none) under the VARs; out, err and the kept
# texts (keep.R) in $t/TAG.
keep_run() {
    local tag=$1 report=$2
    shift 2
    rm -rf "$t/d" "$t/$tag"
    mkdir -p "$t/$tag"
    (
        # shellcheck disable=SC2163  # VAR=VALUE words, exported as given
        [ $# = 0 ] || export "$@"
        mpift_mpirun -n 3 "$check" "$t/r.cfg" "$t/$tag" "$report" >"$t/$tag/out" 2>"$t/$tag/err"
    ) || fail "$tag: result_check exit $? $(cat "$t/$tag/out" "$t/$tag/err")"
}

# all_copies: every rank's dest holds every source file, byte for byte.
all_copies() {
    local r f
    for r in 0 1 2; do
        for f in "$data"/inputs/*.dat; do
            cmp -s "$f" "$t/d/$r/inputs/${f##*/}" || fail "rank $r: inputs/${f##*/} not staged"
        done
    done
}

report_is_text() {
    keep_run same "$t/same.json"
    grep -qxF "rank 0: keep status=MPIFT_OK result=MPIFT_OK" "$t/same/out" || fail "$(cat "$t/same/out" "$t/same/err")"
    cmp "$t/same.json" "$t/same/keep.0" || fail "the --report file and the kept text differ"
    cmp "$t/same/keep.0" "$t/same/keep.2" || fail "rank 2's kept text differs from rank 0's"
}
scenario "with --report too, the file holds the kept text's bytes" report_is_text

# no_memory RANK: MPIFT_TEST_NOMEM_RESULT=RANK, with and without --report.
no_memory() {
    local r
    keep_run "nomem$1" "$t/nomem$1.json" MPIFT_TEST_NOMEM_RESULT="$1"
    for r in 0 1 2; do
        grep -qxF "rank $r: keep status=MPIFT_OK result=MPIFT_ERR_NOENT" "$t/nomem$1/out" ||
            fail "rank $r: expected the run OK and no result: $(cat "$t/nomem$1/out" "$t/nomem$1/err")"
    done
    grep -q "no memory for the run's result" "$t/nomem$1/err" || fail "not said: $(cat "$t/nomem$1/err")"
    all_copies
    check_report "$t/nomem$1.json"
    grep -q '"status": "ok"' "$t/nomem$1.json" || fail "the --report does not say ok: $(head -c 600 "$t/nomem$1.json")"
    keep_run "bare$1" - MPIFT_TEST_NOMEM_RESULT="$1"
    grep -qxF "rank 0: keep status=MPIFT_OK result=MPIFT_ERR_NOENT" "$t/bare$1/out" ||
        fail "without --report: $(cat "$t/bare$1/out" "$t/bare$1/err")"
    all_copies
}
scenario "no memory for the result on rank 0: the run is OK, staged and reported, mpift_result says NOENT" \
    no_memory 0
scenario "no memory for the result on rank 1: the same" no_memory 1
