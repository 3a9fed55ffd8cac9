#!/bin/bash
# The launcher: finds the module in the build tree with no environment,
# honours --module / MPIFT_MODULE, refuses a missing module or a foreign ABI
# with exit 3, and gets usage errors right (exit 2).
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/lib/common.sh"

stage=$top_builddir/src/mpift-stage
out=$(mktemp_dir)

# Build tree, no environment: --version names the module it loaded.
env -u MPIFT_MODULE "$stage" --version >"$out/v" 2>&1 || fail "--version failed: $(cat "$out/v")"
grep -q "^mpift-stage [0-9]" "$out/v" || fail "--version prints no version: $(cat "$out/v")"
grep -q "from $top_builddir/src/.libs/mpift.so" "$out/v" || fail "--version did not load the build-tree module: $(cat "$out/v")"

"$stage" --help >"$out/h" 2>&1 || fail "--help exits non-zero"
grep -q -- "--config FILE" "$out/h" || fail "--help does not mention --config"

# A missing module: exit 3, and the message says where it looked.
rc=0; "$stage" --module /nonexistent/mpift.so --config x --check >"$out/m" 2>&1 || rc=$?
[ "$rc" = 3 ] || fail "missing --module: exit $rc, expected 3"
grep -q "/nonexistent/mpift.so: No such file or directory" "$out/m" || fail "missing module message: $(cat "$out/m")"

rc=0; MPIFT_MODULE=/nowhere/x.so "$stage" --config x --check >"$out/e" 2>&1 || rc=$?
[ "$rc" = 3 ] || fail "missing MPIFT_MODULE: exit $rc, expected 3"
grep -q "/nowhere/x.so" "$out/e" || fail "MPIFT_MODULE message: $(cat "$out/e")"
grep -q "MPIFT_MODULE" "$out/e" || fail "MPIFT_MODULE message does not name the variable: $(cat "$out/e")"

# A module of another ABI major: exit 3 naming both versions.
fake=$top_builddir/tests/.libs/fake_module.so
[ -f "$fake" ] || fail "test module $fake was not built"
rc=0; "$stage" --module "$fake" --config x --check >"$out/a" 2>&1 || rc=$?
[ "$rc" = 3 ] || fail "foreign ABI: exit $rc, expected 3"
grep -q "hook ABI 99.0, this launcher needs 1.x" "$out/a" || fail "ABI message: $(cat "$out/a")"

# Usage errors: exit 2.
rc=0; "$stage" --bogus >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "unknown option: exit $rc, expected 2"
rc=0; "$stage" --check >"$out/n" 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "no --config: exit $rc, expected 2"
grep -q -- "--config FILE" "$out/n" || fail "no --config message: $(cat "$out/n")"
rc=0; "$stage" --config x --out --shell >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "two modes: exit $rc, expected 2"
rc=0; "$stage" --config x --progress sometimes >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "bad --progress: exit $rc, expected 2"
pass
