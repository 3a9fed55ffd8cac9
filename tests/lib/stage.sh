# stage.sh - helpers shared by the stage-in integration tests (sourced after common.sh).

stage=$top_builddir/src/mpift-stage
# The engine with fault injection compiled in (faults.h), for the tests
# that set MPIFT_TEST_*: mpift-stage --module "$faults" ...
faults=$top_builddir/tests/.libs/mpift_faults.so

# stage_setup: t = a fresh temp dir holding src/tree (make_test_tree);
# nfiles = the number of files in it.
stage_setup() {
    t=$(mktemp_dir)
    mkdir -p "$t/src"
    make_test_tree "$t/src/tree"
    nfiles=$(count_files "$t/src/tree")
}

# write_cfg FILE SOURCE DEST [EXTRA_LINES] [STAGE_IN_LIST]
# A config that stages SOURCE's "tree/" contents into DEST with 1 MiB chunks
# (so the big test file spans many chunks).
write_cfg() {
    local file=$1 source=$2 dest=$3 extra=${4:-} list=${5:-'{ src = "tree/"; dest = ""; recursive = true; preserve = true; }'}
    cat >"$file" <<CFG
version = 1;
paths: { source = "$source"; dest = "$dest"; };
transfer: { chunk_size = "1M"; window = 4; };
$extra
stage_in = ( $list );
CFG
}

# summary_field LOG FIELD: the number before FIELD in the summary line
# ("... 36 copies written, 0 unchanged, 0 failed ...").
summary_field() {
    grep -o "[0-9][0-9]* $2" "$1" | tail -n 1 | cut -d' ' -f1
}

# expect_summary LOG WRITTEN UNCHANGED FAILED
expect_summary() {
    local w u f
    w=$(summary_field "$1" "copies written")
    u=$(summary_field "$1" "unchanged")
    f=$(summary_field "$1" "failed")
    [ "$w/$u/$f" = "$2/$3/$4" ] ||
        fail "summary says written/unchanged/failed = $w/$u/$f, expected $2/$3/$4: $(cat "$1")"
}

# count_files DIR: regular files below DIR
count_files() {
    find "$1" -type f | wc -l
}

# wait_paused PID FILE: until FILE appears (a rank paused with
# MPIFT_TEST_PAUSE_FILE=FILE, see engine/inject.h), job PID ends, or 90 s
# pass.  Returns 0 if FILE is there: the rank waits until it is removed.
wait_paused() {
    local i
    for ((i = 0; i < 900; i++)); do
        [ ! -e "$2" ] || return 0
        kill -0 "$1" 2>/dev/null || break
        sleep 0.1
    done
    [ -e "$2" ]
}

# needs_codec CODEC: skip the scenario in a build without it (configure
# --without-lz4 / --without-zstd, or not found: its summary says which);
# auto needs either.
needs_codec() {
    local c
    for c in ${1/auto/lz4 zstd}; do
        "$stage" --config "$top_srcdir/conf/stage.cfg" --check --set "transfer.compress=$c" >/dev/null 2>&1 && return 0
    done
    skip "this build has no $1 (configure found neither liblz4 nor libzstd, or not this one)"
}

# check_report FILE...: each --report FILE keeps to docs/report.schema.json
# (tests/lib/check_report.py, Debian's python3-jsonschema for
# /usr/bin/python3); fail naming what does not.  Every test that writes a
# report calls it.
check_report() {
    local out rc=0
    out=$(/usr/bin/python3 "$top_srcdir/tests/lib/check_report.py" "$top_srcdir/docs/report.schema.json" "$@" 2>&1) ||
        rc=$?
    case $rc:$out in
    0:*) ;;
    *"has no jsonschema"*) fail "$out" ;;
    *) fail "a report does not keep to docs/report.schema.json: $out" ;;
    esac
}

# report_total FIELD: totals.FIELD of the report $t/rep.json
report_total() {
    /usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["totals"][sys.argv[2]])' "$t/rep.json" "$1"
}

# log_lines N TEXT: $t/log has exactly N lines holding TEXT
log_lines() {
    local n
    n=$(grep -cF -- "$2" "$t/log")
    [ "$n" = "$1" ] || fail "$n lines (expected $1) with: $2: $(cat "$t/log")"
}

# no_temporaries WHAT DIR...: fail with "WHAT: NAMES" if any name below a
# DIR is one of mpift's temporaries: "*.mpift-*.tmp" (util/tmpname.h: a
# copy, a report, the key index in progress) or anything starting with
# ".mpift-", the broader test some scripts always made.  One find either way.
# Not for a run that was killed on purpose: its temporaries stay (resume).
no_temporaries() {
    local what=$1 left
    shift
    left=$(find "$@" \( -name '.mpift-*' -o -name '*.mpift-*.tmp' \) 2>/dev/null)
    [ -z "$left" ] || fail "$what: ${left//$'\n'/ }"
}
