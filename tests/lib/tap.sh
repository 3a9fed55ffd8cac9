# tap.sh - one TAP result per scenario, for the integration scripts
# (sourced by prelude.sh, after common.sh).  automake's tap-driver.sh reads
# the script's stdout, so make check lists and counts every scenario, and
# a failing scenario no longer hides the ones after it.
#
#   plan N                  "1..N": N scenarios follow.  Call it once the
#                           script's own requirements are checked.
#   scenario TITLE FUNC [ARG...]
#                           run FUNC ARG... in a subshell; one result:
#                             "ok K - TITLE"        FUNC returned 0
#                             "not ok K - TITLE"    fail MSG, or any other
#                                                   non-zero status
#                             "ok K - TITLE # SKIP WHY"   skip WHY
#                           What FUNC prints (stdout and stderr) follows
#                           the result as "# " comments, in the log only.
#   after "FUNC [ARG...]"...
#                           (first thing in a scenario that uses what
#                           earlier ones left) SKIP, naming them, unless
#                           every scenario given has passed.
#   done_testing            the end: exit 0 (tap-driver.sh checks that
#                           the plan was met).
#
# Outside a scenario, skip WHY before the plan skips the whole script
# ("1..0 # SKIP WHY": no mpirun, no root for fake nodes, no disk space);
# after it, it skips the scenarios not run yet.  fail MSG outside a
# scenario is "Bail out! MSG" (the setup broke: tap-driver.sh reports an
# ERROR).
#
# A scenario runs in a subshell, so what it sets is lost at its end: a
# value a later scenario needs goes through a file in $t.  Its subshell
# runs in the background (_mpift_background): a signal to the script stops
# the scenario and the job it runs, as it stops a job run outside one.

if [ -z "${_mpift_tap_loaded:-}" ]; then
_mpift_tap_loaded=1

_tap_planned=          # N once plan N is printed
_tap_count=0           # results printed
_tap_in_scenario=      # set inside a scenario's subshell
_tap_dir=              # a temp dir for the scenarios' output
_tap_t0=$EPOCHREALTIME # when the script began (its log's timings)
declare -gA _tap_status # "FUNC ARG..." -> ok / not ok / skipped
declare -gA _tap_title  # "FUNC ARG..." -> its title

# _tap_comment: stdin as "# " lines (at most the last 60; a log line can
# hold a whole file listing).
_tap_comment() {
    local out n
    out=$(cat)
    [ -n "$out" ] || return 0
    n=$(printf '%s\n' "$out" | wc -l)
    [ "$n" -le 60 ] || printf '# [... %d lines cut ...]\n' $((n - 60))
    printf '%s\n' "$out" | tail -n 60 | cut -c1-1000 | sed 's/^/# /'
}

# _tap_secs START: the seconds since START (an $EPOCHREALTIME), as N.N
_tap_secs() {
    local now=${EPOCHREALTIME/[.,]/} then=${1/[.,]/}
    printf '%d.%d' $(((now - then) / 1000000)) $(((now - then) / 100000 % 10))
}

plan() {
    [ -z "$_tap_planned" ] || fail "plan: a second plan"
    _tap_planned=$1
    _tap_dir=$(mktemp_dir)
    echo "1..$1"
}

# _tap_result OK TITLE [DIRECTIVE]: one numbered result line
_tap_result() {
    _tap_count=$((_tap_count + 1))
    # a '#' in a title would read as a directive
    printf '%s %d%s%s\n' "$1" "$_tap_count" "${2:+ - ${2//#/_}}" "${3:+ # $3}"
}

scenario() {
    local title=$1 func out rc why t0
    shift
    func="$*"
    [ -n "$_tap_planned" ] || fail "scenario $func: no plan yet"
    out=$_tap_dir/$((_tap_count + 1)).out
    t0=$EPOCHREALTIME
    _mpift_background _tap_run "$@" </dev/null >"$out" 2>&1
    rc=$?
    # where the suite's time goes, in the log only (never asserted)
    echo "took $(_tap_secs "$t0") s (since the script began: $(_tap_secs "$_tap_t0") s)" >>"$out"
    _tap_title[$func]=$title
    if [ "$rc" = 0 ]; then
        _tap_result ok "$title"
        _tap_status[$func]=ok
    elif [ "$rc" = 77 ] && [ -f "$_tap_dir/skip" ]; then
        # only skip writes that file: a command's own status 77 is a failure
        _tap_result ok "$title" "SKIP $(cat "$_tap_dir/skip")"
        _tap_status[$func]=skipped
    else
        _tap_result "not ok" "$title"
        _tap_status[$func]="not ok"
        grep -q '^FAIL: ' "$out" || echo "the scenario ended with status $rc, without a fail message" >>"$out"
    fi
    _tap_comment <"$out"
    rm -f -- "$out" "$_tap_dir/skip"
    return 0
}

# _tap_run FUNC ARG...: the subshell of one scenario
_tap_run() {
    _tap_in_scenario=1
    _mpift_running=
    _mpift_last_job=
    _mpift_main_pid=$BASHPID
    # A signal stops the job this scenario runs, then the scenario.
    trap '_mpift_stop_running; exit 143' TERM
    trap '_mpift_stop_running; exit 130' INT
    trap '_mpift_stop_running; exit 129' HUP
    "$@"
}

after() {
    local f
    for f; do
        [ -n "${_tap_status[$f]:-}" ] || fail "after '$f': no such scenario has run"
        [ "${_tap_status[$f]}" = ok ] || skip "needs '${_tap_title[$f]}', which was ${_tap_status[$f]}"
    done
}

done_testing() {
    [ -n "$_tap_planned" ] || fail "done_testing: no plan"
    [ "$_tap_count" = "$_tap_planned" ] ||
        echo "# planned $_tap_planned scenarios, ran $_tap_count"
    exit 0
}

# skip WHY: see the top of this file.
skip() {
    if [ -n "$_tap_in_scenario" ]; then
        printf '%s\n' "$*" | head -n 1 >"$_tap_dir/skip"
        exit 77
    elif [ -z "$_tap_planned" ]; then
        echo "1..0 # SKIP $*"
        exit 0
    fi
    while [ "$_tap_count" -lt "$_tap_planned" ]; do _tap_result ok "" "SKIP $*"; done
    exit 0
}

# fail MSG: in a scenario, MSG's first line, the tail of the rest (it often
# holds a whole log) and the last job the scenario ran with its exit code;
# outside one, "Bail out!".
fail() {
    local msg="$*" head rest=
    head=${msg%%$'\n'*}
    [ "$head" = "$msg" ] || rest=${msg#*$'\n'}
    if [ -z "$_tap_in_scenario" ]; then
        echo "Bail out! $head"
        [ -z "$rest" ] || printf '%s\n' "$rest" | _tap_comment
        exit 1
    fi
    # on stderr: a fail inside $(...) must not end up in a variable
    {
        echo "FAIL: $head"
        [ -z "$rest" ] || printf '%s\n' "$rest" | tail -n 40
        [ -z "${_mpift_last_job:-}" ] || echo "(last job: $_mpift_last_job -> exit $_mpift_last_rc)"
    } >&2
    exit 1
}

fi
