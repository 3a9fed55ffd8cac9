#!/bin/bash
# The packaging files, checked offline (neither Spack nor EasyBuild can be
# installed here): the Spack recipe and the easyconfig parse, name only
# declared variants and configure switches that ./configure --help knows,
# and name every part configure builds in when it finds it, so the build
# does not depend on the host (tests/packaging/check_recipes.py); the
# checker refuses a recipe that does not; and every file that carries the
# release's version carries AC_INIT's.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" local
plan 5

py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3)
version=$(sed -n "s/^PACKAGE_VERSION='\(.*\)'$/\1/p" "$top_builddir/config.status" 2>/dev/null | head -n 1)
[ -n "$version" ] || version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$top_builddir/mpift_autoconf.h")
spack=$top_srcdir/packaging/spack/mpift/package.py
eb=$top_srcdir/packaging/easybuild/mpift-$version-gompi-2025a.eb

recipes() {
    "$top_srcdir/configure" --help >"$t/help" || fail "configure --help failed"
    "$py" "$top_srcdir/tests/packaging/check_recipes.py" spack "$spack" "$t/help" "$version" >"$t/out" 2>&1 ||
        fail "the Spack recipe: $(cat "$t/out")"
}
scenario "the Spack recipe parses, its variants are declared, its configure switches exist" recipes

easyconfig() {
    [ -f "$eb" ] || fail "no easyconfig for $version: $eb"
    "$py" "$top_srcdir/tests/packaging/check_recipes.py" easybuild "$eb" "$t/help" "$version" >"$t/out" 2>&1 ||
        fail "the easyconfig: $(cat "$t/out")"
}
scenario "the easyconfig parses, uses MPI, runs the binary, its configure switches exist" easyconfig

# The checker must fail a recipe with an undeclared variant and a switch
# configure does not know, naming both.
checker_fails() {
    sed -e 's/depends_on("lz4@1.8:", when="+lz4")/depends_on("lz4@1.8:", when="+lz4 +nosuch")/' \
        -e 's/args.extend(self.with_or_without("zstd"))/args.append("--with-nosuch-thing")/' "$spack" >"$t/bad.py"
    ! "$py" "$top_srcdir/tests/packaging/check_recipes.py" spack "$t/bad.py" "$t/help" "$version" >"$t/out" 2>&1 ||
        fail "a broken recipe passed"
    grep -q "variant nosuch, which is not declared" "$t/out" || fail "undeclared variant not named: $(cat "$t/out")"
    grep -q "passes --with-nosuch-thing" "$t/out" || fail "unknown switch not named: $(cat "$t/out")"
    sed -e "s/'--with-lz4',/'--with-lz5',/" "$eb" >"$t/bad.eb"
    ! "$py" "$top_srcdir/tests/packaging/check_recipes.py" easybuild "$t/bad.eb" "$t/help" "$version" >"$t/out" 2>&1 ||
        fail "a broken easyconfig passed"
    grep -q "passes --with-lz5" "$t/out" || fail "unknown switch not named: $(cat "$t/out")"
    # a part configure builds in when it finds it, left unnamed: the build
    # would depend on the host (as libarchive was, in both recipes)
    grep -v 'with_or_without("libarchive")' "$spack" >"$t/bad.py"
    ! "$py" "$top_srcdir/tests/packaging/check_recipes.py" spack "$t/bad.py" "$t/help" "$version" >"$t/out" 2>&1 ||
        fail "a recipe that leaves libarchive to the host passed"
    grep -q "configure_args does not name --with-libarchive" "$t/out" || fail "the unnamed part is not said: $(cat "$t/out")"
    grep -v "'--with-libarchive'," "$eb" >"$t/bad.eb"
    ! "$py" "$top_srcdir/tests/packaging/check_recipes.py" easybuild "$t/bad.eb" "$t/help" "$version" >"$t/out" 2>&1 ||
        fail "an easyconfig that leaves libarchive to the host passed"
    grep -q "configopts does not name --with-libarchive" "$t/out" || fail "the unnamed part is not said: $(cat "$t/out")"
}
scenario "the checker refuses an undeclared variant, an unknown configure switch and a part left to the host" checker_fails

versions() {
    grep -q "^version = \"$version\"$" "$top_srcdir/python/pyproject.toml" || fail "python/pyproject.toml is not $version"
    head -n 1 "$top_srcdir/packaging/debian/changelog" | grep -q "^mpift ($version-[0-9]*)" ||
        fail "packaging/debian/changelog is not $version: $(head -n 1 "$top_srcdir/packaging/debian/changelog")"
    grep -q "^\* mpift $version$" "$top_srcdir/NEWS" || fail "NEWS has no section for $version"
    grep -q "version(\"$version\"" "$spack" || fail "the Spack recipe has no version $version"
}
scenario "pyproject.toml, the Debian changelog, NEWS and the recipes carry AC_INIT's version" versions

pyproject() {
    "$py" - "$top_srcdir/python" <<'PY' || fail "python/ is not a pure-Python, typed package"
import ast, os, sys
root = sys.argv[1]
text = open(os.path.join(root, "pyproject.toml")).read()
assert 'build-backend = "setuptools.build_meta"' in text
assert os.path.exists(os.path.join(root, "mpift", "py.typed")), "no py.typed"
assert not any(f.endswith((".c", ".pyx")) for f in os.listdir(os.path.join(root, "mpift"))), "a compile step"
tree = ast.parse(open(os.path.join(root, "mpift", "_lib.py")).read())
fn = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "library_path"][0]
assert fn.returns is not None, "library_path has no type hints"
PY
}
scenario "python/ is a pure-Python package with type hints and py.typed" pyproject
