#!/bin/bash
# The structs of mpift.h that the bindings mirror, compared field by field
# with the C compiler's layout (tests/api/layout: offsetof and sizeof):
# Python's ctypes Structures (python/mpift/_lib.py: Options, ServeStats,
# ResultTotals) and Fortran's bind(C) types (options_t.inc, the module's
# mpift_result_t, as tests/api/layout_f90 prints them).  A field added in
# C and not in a mirror, or a mirror with a wrong type, fails here
# instead of corrupting a call.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" timeout=60
c=$top_builddir/tests/api/layout
[ -x "$c" ] || fail "build $c first (make check does)"
plan 2

"$c" | sort >"$t/c" || fail "tests/api/layout failed"
[ "$(grep -c sizeof "$t/c")" = 3 ] || fail "tests/api/layout printed no layout: $(cat "$t/c")"

# same NAME FILE STRUCT...: FILE holds exactly the C lines of those structs.
same() {
    local name=$1 file=$2 s
    shift 2
    for s in "$@"; do
        grep "^$s " "$t/c"
    done | sort >"$t/want.$name"
    [ -s "$file" ] || fail "$name printed nothing"
    diff "$t/want.$name" <(sort "$file") >"$t/diff.$name" ||
        fail "$name's mirrors differ from the C compiler's layout (< C, > $name): $(cat "$t/diff.$name")"
}

python_mirrors() {
    local py=${PYTHON:-/usr/bin/python3}
    command -v "$py" >/dev/null || skip "no python3"
    PYTHONPATH=$top_srcdir/python PYTHONDONTWRITEBYTECODE=1 "$py" - >"$t/py" <<'PY' || fail "the Python mirrors: $(cat "$t/py")"
import ctypes
from mpift import _lib
for name, st in (("mpift_options", _lib.Options), ("mpift_serve_stats", _lib.ServeStats),
                 ("mpift_result", _lib.ResultTotals)):
    for field, _ in st._fields_:
        d = getattr(st, field)
        print(name, field, d.offset, d.size)
    print(name, "sizeof", ctypes.sizeof(st))
PY
    same python "$t/py" mpift_options mpift_serve_stats mpift_result
}
scenario "Python's ctypes Options, ServeStats and ResultTotals have C's offsets, sizes and fields" python_mirrors

fortran_mirrors() {
    [ "${MPIFT_FORTRAN:-}" = yes ] || skip "no Fortran module in this build"
    local f=$top_builddir/tests/api/layout_f90
    [ -x "$f" ] || fail "build $f first (make check does)"
    "$f" >"$t/f90" || fail "tests/api/layout_f90 failed: $(cat "$t/f90")"
    same fortran "$t/f90" mpift_options mpift_result
}
scenario "Fortran's bind(C) options_t and mpift_result_t have C's offsets, sizes and fields" fortran_mirrors

done_testing
