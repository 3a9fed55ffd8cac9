"""Offline checks of the Spack recipe and the EasyBuild easyconfig, neither
tool being installable here (tests/integration/packaging.sh runs them).

    check_recipes.py spack PACKAGE.PY CONFIGURE-HELP VERSION
    check_recipes.py easybuild FILE.eb CONFIGURE-HELP VERSION

Each prints one line per problem and exits 1 if there is any: the file
parses (Python's ast: both formats are Python), the release version is
declared (its sha256 a checksum, or @SHA256@, which make recipes
fills from the release tarball), every configure switch and variable it passes exists in
./configure --help, every part configure builds in when it finds it
(a switch whose help says "default: if", "built when" or "used if") is
named, with or without, so the build does not change with the host, and
for Spack every variant a when= (or a spec.satisfies) names is declared
with variant().
"""
import ast
import re
import sys

SWITCH = re.compile(r"^(--(?:with|without|enable|disable)-[A-Za-z0-9_-]+)")
VARIABLE = re.compile(r"^([A-Z][A-Z0-9_]*)=")


def help_knows(text, word):
    """--with-X and --without-X are one AC_ARG_WITH (--help shows one of
    them), as are --enable-X and --disable-X; a VAR= must be a listed
    influential variable."""
    m = re.match(r"--(with|without|enable|disable)-(.*)", word)
    if m:
        pair = {"with": "without", "without": "with", "enable": "disable", "disable": "enable"}[m.group(1)]
        names = ("--%s-%s" % (m.group(1), m.group(2)), "--%s-%s" % (pair, m.group(2)))
        return any(re.search(re.escape(n) + r"(?![A-Za-z0-9_-])", text) for n in names)
    return re.search(r"^\s+" + re.escape(word) + r"\s", text, re.M) is not None


def detected_parts(text):
    """The switches of the parts configure builds in when it finds them
    (--with-lz4, --without-fortran, ...): each entry of --help's list with
    its wrapped description, kept when that says the default depends on
    what is found."""
    parts = []
    for m in re.finditer(r"^  (--(?:with|without)-[A-Za-z0-9_-]+)[^\n]*((?:\n {10,}[^\n]*)*)", text, re.M):
        desc = " ".join((m.group(0)).split())
        if re.search(r"default: (?:if|built when|used if)", desc):
            parts.append(m.group(1))
    return parts


def unnamed_parts(help_text, words):
    """The detected parts that none of words (the switches a recipe
    passes) names, as --with-X or --without-X."""
    named = {re.sub(r"^--(?:with|without)-", "", w) for w in words}
    return [p for p in detected_parts(help_text) if re.sub(r"^--(?:with|without)-", "", p) not in named]


def leading_text(node):
    """The literal start of a string or f-string: '--with-pmix=' of
    f"--with-pmix={...}"."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
        return node.values[0].value
    return None


def switches_in(strings):
    found = []
    for s in strings:
        for word in s.split():
            m = SWITCH.match(word) or VARIABLE.match(word)
            if m:
                found.append(m.group(1))
    return found


def check_spack(tree, help_text, version):
    problems = []
    variants, named, strings, with_or_without, versions = set(), [], [], [], []
    cls = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    if not cls or not any(getattr(b, "id", getattr(b, "attr", "")) == "AutotoolsPackage" for b in cls[0].bases):
        problems.append("the recipe's class is not an AutotoolsPackage")
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        fn = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        if fn == "variant" and node.args:
            variants.add(node.args[0].value)
        if fn == "version" and node.args:
            versions.append(node.args[0].value)
            for kw in node.keywords:
                if kw.arg == "sha256" and not re.fullmatch(r"[0-9a-f]{64}|@SHA256@", kw.value.value):
                    problems.append("version %s: sha256 %r is not a checksum" % (node.args[0].value, kw.value.value))
        if fn in ("with_or_without", "enable_or_disable") and node.args:
            with_or_without.append((fn, node.args[0].value))
        for kw in node.keywords:
            if kw.arg == "when" and isinstance(kw.value, ast.Constant):
                named.append(kw.value.value)
        if fn == "satisfies" and node.args and isinstance(node.args[0], ast.Constant):
            named.append(node.args[0].value)
        if fn == "depends_on" and node.args and node.args[0].value == "check":
            types = [kw.value for kw in node.keywords if kw.arg == "type"]
            if not types or not isinstance(types[0], ast.Constant) or types[0].value != "test":
                problems.append('check must be a test dependency only: depends_on("check", type="test")')
    for func in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "configure_args"):
        for node in ast.walk(func):
            text = leading_text(node)
            if text:
                strings.append(text)
    for spec in named:
        for name in re.findall(r"[+~]([A-Za-z0-9_-]+)", spec):
            if name not in variants:
                problems.append("%r names the variant %s, which is not declared" % (spec, name))
    for fn, name in with_or_without:
        if name not in variants:
            problems.append("%s(%r): no such variant" % (fn, name))
        strings.append("--with-%s" % name if fn == "with_or_without" else "--enable-%s" % name)
    for word in switches_in(strings):
        if not help_knows(help_text, word):
            problems.append("configure_args passes %s, which ./configure --help does not know" % word)
    for part in unnamed_parts(help_text, switches_in(strings)):
        problems.append("configure_args does not name %s (nor its opposite): the build would depend on the host" % part)
    if version not in versions:
        problems.append("no version(%r) (AC_INIT's)" % version)
    for v in ("mpi",):
        if not any(isinstance(n, ast.Call) and getattr(n.func, "id", "") == "depends_on" and n.args
                   and n.args[0].value == v for n in ast.walk(tree)):
            problems.append('no depends_on("%s")' % v)
    return problems


def check_easybuild(tree, help_text, version):
    problems = []
    values = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            values[node.targets[0].id] = node.value
    for key in ("easyblock", "name", "version", "toolchain", "configopts", "sanity_check_commands"):
        if key not in values:
            problems.append("no %s" % key)
    if values.get("easyblock") is not None and ast.literal_eval(values["easyblock"]) != "ConfigureMake":
        problems.append("easyblock is not ConfigureMake")
    if values.get("version") is not None and ast.literal_eval(values["version"]) != version:
        problems.append("version is not %s (AC_INIT's)" % version)
    opts = values.get("toolchainopts")
    if opts is None or not ast.literal_eval(opts).get("usempi"):
        problems.append("toolchainopts has no usempi")
    strings = [n.value for n in ast.walk(values.get("configopts", ast.Constant(""))) if isinstance(n, ast.Constant)
               and isinstance(n.value, str)]
    for word in switches_in(strings):
        if not help_knows(help_text, word):
            problems.append("configopts passes %s, which ./configure --help does not know" % word)
    for part in unnamed_parts(help_text, switches_in(strings)):
        problems.append("configopts does not name %s (nor its opposite): the build would depend on the host" % part)
    commands = values.get("sanity_check_commands")
    if commands is not None and not any("mpift-stage" in c for c in ast.literal_eval(commands)):
        problems.append("no sanity check runs the installed mpift-stage")
    sums = values.get("checksums")
    if sums is None or not all(re.fullmatch(r"[0-9a-f]{64}|@SHA256@", c) for c in ast.literal_eval(sums)):
        problems.append("checksums hold no sha256 (nor make recipes' @SHA256@)")
    return problems


def main(argv):
    kind, path, help_path, version = argv[1:5]
    with open(path) as f:
        source = f.read()
    try:
        tree = ast.parse(source, path)
    except SyntaxError as e:
        print("%s:%s: does not parse: %s" % (path, e.lineno, e.msg))
        return 1
    with open(help_path) as f:
        help_text = f.read()
    problems = (check_spack if kind == "spack" else check_easybuild)(tree, help_text, version)
    for p in problems:
        print("%s: %s" % (path, p))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
