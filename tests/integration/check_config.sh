#!/bin/bash
# --check validates a configuration with no MPI job: exit 0 for the shipped
# example, exit 2 naming the file, the line and the key for each kind of error.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" local
plan 14

shipped_example() {
    "$stage" --config "$top_srcdir/conf/stage.cfg" --check >"$t/ok" 2>&1 || fail "conf/stage.cfg does not validate: $(cat "$t/ok")"
    grep -q "configuration is valid" "$t/ok" || fail "no confirmation: $(cat "$t/ok")"
}
scenario "the shipped conf/stage.cfg validates" shipped_example

# expect_error CODE PATTERN FILE [ARGS...]
expect_error() {
    local code=$1 pattern=$2 file=$3 rc=0
    shift 3
    "$stage" --config "$file" --check "$@" >"$t/out" 2>&1 || rc=$?
    [ "$rc" = "$code" ] || fail "$file $*: exit $rc, expected $code: $(cat "$t/out")"
    grep -qF -- "$pattern" "$t/out" || fail "$file $*: message lacks '$pattern': $(cat "$t/out")"
}

base='version = 1;
paths: { source = "data"; dest = "/tmp/mpift-test/%j"; };'
list='stage_in = ( { src = "a.dat"; dest = "in/"; } );'

# refused NAME PATTERN CONTENT: a config file NAME.cfg holding CONTENT is
# refused with exit 2 and a message holding PATTERN.
refused() {
    printf '%s\n' "$3" >"$t/$1.cfg"
    expect_error 2 "$2" "$t/$1.cfg"
}

scenario "an unknown key: file, line and key named" refused unknown "unknown.cfg:5: transfer.windw: unknown key" \
    "$(printf '%s\ntransfer: {\n  chunk_size = "8M";\n  windw = 3;\n};\n%s' "$base" "$list")"
scenario "a value of the wrong type: file, line and key named" refused type "type.cfg:4: transfer.window" \
    "$(printf '%s\ntransfer: {\n  window = "four";\n};\n%s' "$base" "$list")"
scenario "a value out of range: file, line and key named" refused range "range.cfg:5: transfer.window" \
    "$(printf '%s\ntransfer: {\n\n  window = 0;\n};\n%s' "$base" "$list")"
scenario "a bad size suffix: file, line and key named" refused size "size.cfg:3: transfer.chunk_size" \
    "$(printf '%s\ntransfer: { chunk_size = "4X"; };\n%s' "$base" "$list")"
scenario "a tree fanout of 0: named with the range to use" refused tree "tree.cfg:6: workers.fanout: 0 is out of range; use 2..64" \
    "$(printf '%s\n%s\nworkers: {\n  policy = "tree";\n  fanout = 0;\n};' "$base" "$list")"
scenario "no paths.dest: the missing key named" refused nodest "paths.dest: required key missing" \
    "$(printf 'version = 1;\npaths: { source = "data"; };\n%s' "$list")"
scenario "an absolute stage_in dest: the entry named" refused abs "abs.cfg:4: stage_in[0].dest" \
    "$(printf '%s\nstage_in = (\n  { src = "a.dat"; dest = "/etc/passwd"; }\n);' "$base")"
scenario "a src climbing out with '..': the entry named" refused dotdot "dotdot.cfg:5: stage_in[1].src" \
    "$(printf '%s\nstage_in = (\n  { src = "ok.dat"; },\n  { src = "../../etc/shadow"; }\n);' "$base")"
scenario "a syntax error: the file and line named" refused syntax "syntax.cfg:" \
    "$(printf '%s\n%s\ntransfer: { retries = 3 ' "$base" "$list")"

missing_file() {
    expect_error 2 "No such file" "$t/does-not-exist.cfg"
}
scenario "a missing config file exits 2" missing_file

# --set overrides any key, with the same validation.
printf '%s\n%s\n' "$base" "$list" >"$t/good.cfg"
set_valid() {
    "$stage" --config "$t/good.cfg" --check --set transfer.chunk_size=8M --set workers.policy=direct \
        --set transfer.fsync=true >"$t/out" 2>&1 || fail "--set of valid values refused: $(cat "$t/out")"
}
scenario "--set of valid values is accepted" set_valid

set_bad_value() {
    expect_error 2 "--set transfer.window=0" "$t/good.cfg" --set transfer.window=0
}
scenario "--set of a value out of range exits 2 naming it" set_bad_value

set_unknown_key() {
    expect_error 2 "--set nosuch.key=1" "$t/good.cfg" --set nosuch.key=1
}
scenario "--set of an unknown key exits 2 naming it" set_unknown_key
done_testing
