#!/bin/bash
# The launcher: finds the module in the build tree with no environment,
# honours --module / MPIFT_MODULE, refuses a missing module or a foreign ABI
# with exit 3, and gets usage errors right (exit 2).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" local
plan 8

# Build tree, no environment: --version names the module it loaded.
version() {
    env -u MPIFT_MODULE "$stage" --version >"$t/v" 2>&1 || fail "--version failed: $(cat "$t/v")"
    grep -q "^mpift-stage [0-9]" "$t/v" || fail "--version prints no version: $(cat "$t/v")"
    grep -q "from $top_builddir/src/.libs/mpift.so" "$t/v" || fail "--version did not load the build-tree module: $(cat "$t/v")"
}
scenario "--version loads the build tree's module with no environment and names it" version

# --version names the MPI of the build and its optional parts, as
# configure chose them (Python and Fortran: as make check was told).
version_parts() {
    "$stage" --version >"$t/v" 2>&1 || fail "--version failed: $(cat "$t/v")"
    grep -q "^built with MPI \(openmpi\|mpich\|other\)" "$t/v" || fail "--version names no MPI: $(cat "$t/v")"
    grep -q "^optional parts: PMIx:\(yes\|no\) lz4:\(yes\|no\) zstd:\(yes\|no\) libarchive:\(yes\|no\) Slurm-plugin:\(yes\|no\) " "$t/v" ||
        fail "--version lists no optional parts: $(cat "$t/v")"
    grep -q " Python:${MPIFT_PYTHON:-no} Fortran:${MPIFT_FORTRAN:-no}\$" "$t/v" ||
        fail "--version: Python/Fortran differ from configure's ${MPIFT_PYTHON:-no}/${MPIFT_FORTRAN:-no}: $(cat "$t/v")"
}
scenario "--version names the MPI and the optional parts built in" version_parts

help_text() {
    "$stage" --help >"$t/h" 2>&1 || fail "--help exits non-zero"
    grep -q -- "--config FILE" "$t/h" || fail "--help does not mention --config"
}
scenario "--help exits 0 and documents --config" help_text

# A missing module: exit 3, and the message says where it looked.
missing_module() {
    local rc=0
    "$stage" --module /nonexistent/mpift.so --config x --check >"$t/m" 2>&1 || rc=$?
    [ "$rc" = 3 ] || fail "missing --module: exit $rc, expected 3"
    grep -q "/nonexistent/mpift.so: No such file or directory" "$t/m" || fail "missing module message: $(cat "$t/m")"
}
scenario "a missing --module exits 3 naming the path" missing_module

missing_env_module() {
    local rc=0
    MPIFT_MODULE=/nowhere/x.so "$stage" --config x --check >"$t/e" 2>&1 || rc=$?
    [ "$rc" = 3 ] || fail "missing MPIFT_MODULE: exit $rc, expected 3"
    grep -q "/nowhere/x.so" "$t/e" || fail "MPIFT_MODULE message: $(cat "$t/e")"
    grep -q "MPIFT_MODULE" "$t/e" || fail "MPIFT_MODULE message does not name the variable: $(cat "$t/e")"
}
scenario "a missing MPIFT_MODULE exits 3 naming the path and the variable" missing_env_module

# A module of another ABI major: exit 3 naming both versions.
foreign_abi() {
    local rc=0 fake=$top_builddir/tests/.libs/fake_module.so
    [ -f "$fake" ] || fail "test module $fake was not built"
    "$stage" --module "$fake" --config x --check >"$t/a" 2>&1 || rc=$?
    [ "$rc" = 3 ] || fail "foreign ABI: exit $rc, expected 3"
    grep -q "hook ABI 99.0, this launcher needs 1.x" "$t/a" || fail "ABI message: $(cat "$t/a")"
}
scenario "a module of another ABI exits 3 naming both versions" foreign_abi

# Usage errors: exit 2.
unknown_option() {
    local rc=0
    "$stage" --bogus >/dev/null 2>&1 || rc=$?
    [ "$rc" = 2 ] || fail "unknown option: exit $rc, expected 2"
}
scenario "an unknown option exits 2" unknown_option

usage_errors() {
    local rc=0
    "$stage" --check >"$t/n" 2>&1 || rc=$?
    [ "$rc" = 2 ] || fail "no --config: exit $rc, expected 2"
    grep -q -- "--config FILE" "$t/n" || fail "no --config message: $(cat "$t/n")"
    rc=0; "$stage" --config x --out --shell >/dev/null 2>&1 || rc=$?
    [ "$rc" = 2 ] || fail "two modes: exit $rc, expected 2"
    rc=0; "$stage" --config x --progress sometimes >/dev/null 2>&1 || rc=$?
    [ "$rc" = 2 ] || fail "bad --progress: exit $rc, expected 2"
}
scenario "no --config, two modes, a bad --progress: each exits 2" usage_errors
done_testing
