#!/bin/bash
# --check validates a configuration with no MPI job: exit 0 for the shipped
# example, exit 2 naming the file, the line and the key for each kind of error.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/lib/common.sh"

stage=$top_builddir/src/mpift-stage
t=$(mktemp_dir)

"$stage" --config "$top_srcdir/conf/stage.cfg" --check >"$t/ok" 2>&1 || fail "conf/stage.cfg does not validate: $(cat "$t/ok")"
grep -q "configuration is valid" "$t/ok" || fail "no confirmation: $(cat "$t/ok")"

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

printf '%s\ntransfer: {\n  chunk_size = "8M";\n  windw = 3;\n};\n%s\n' "$base" "$list" >"$t/unknown.cfg"
expect_error 2 "unknown.cfg:5: transfer.windw: unknown key" "$t/unknown.cfg"

printf '%s\ntransfer: {\n  window = "four";\n};\n%s\n' "$base" "$list" >"$t/type.cfg"
expect_error 2 "type.cfg:4: transfer.window" "$t/type.cfg"

printf '%s\ntransfer: {\n\n  window = 0;\n};\n%s\n' "$base" "$list" >"$t/range.cfg"
expect_error 2 "range.cfg:5: transfer.window" "$t/range.cfg"

printf '%s\ntransfer: { chunk_size = "4X"; };\n%s\n' "$base" "$list" >"$t/size.cfg"
expect_error 2 "size.cfg:3: transfer.chunk_size" "$t/size.cfg"

printf '%s\n%s\nworkers: {\n  policy = "tree";\n  fanout = 0;\n};\n' "$base" "$list" >"$t/tree.cfg"
expect_error 2 "tree.cfg:6: workers.fanout: 0 is out of range; use 2..64" "$t/tree.cfg"

printf 'version = 1;\npaths: { source = "data"; };\n%s\n' "$list" >"$t/nodest.cfg"
expect_error 2 "paths.dest: required key missing" "$t/nodest.cfg"

printf '%s\nstage_in = (\n  { src = "a.dat"; dest = "/etc/passwd"; }\n);\n' "$base" >"$t/abs.cfg"
expect_error 2 "abs.cfg:4: stage_in[0].dest" "$t/abs.cfg"

printf '%s\nstage_in = (\n  { src = "ok.dat"; },\n  { src = "../../etc/shadow"; }\n);\n' "$base" >"$t/dotdot.cfg"
expect_error 2 "dotdot.cfg:5: stage_in[1].src" "$t/dotdot.cfg"

printf '%s\n%s\ntransfer: { retries = 3 \n' "$base" "$list" >"$t/syntax.cfg"
expect_error 2 "syntax.cfg:" "$t/syntax.cfg"

expect_error 2 "No such file" "$t/does-not-exist.cfg"

# --set overrides any key, with the same validation.
printf '%s\n%s\n' "$base" "$list" >"$t/good.cfg"
"$stage" --config "$t/good.cfg" --check --set transfer.chunk_size=8M --set workers.policy=direct \
    --set transfer.fsync=true >"$t/out" 2>&1 || fail "--set of valid values refused: $(cat "$t/out")"
expect_error 2 "--set transfer.window=0" "$t/good.cfg" --set transfer.window=0
expect_error 2 "--set nosuch.key=1" "$t/good.cfg" --set nosuch.key=1
pass
