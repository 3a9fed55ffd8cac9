#!/bin/bash
# A program that links libmpift and calls setlocale(LC_ALL, "") in a
# comma-decimal locale (de_DE.UTF-8, Debian's locales-all) stages with a
# report (tests/api/locale_report, 2 ranks): the report is still JSON,
# its seconds a number with a decimal point, and it keeps to
# docs/report.schema.json with "report_version": 1.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" mpirun python3 tree timeout=120

prog=$top_builddir/tests/api/locale_report
[ -x "$prog" ] || fail "build tests/api/locale_report first (make check does)"
comma=
for l in de_DE.UTF-8 fr_FR.UTF-8 nl_NL.UTF-8; do
    [ "$(LC_ALL=$l locale -k decimal_point 2>/dev/null)" = 'decimal_point=","' ] && { comma=$l; break; }
done
[ -n "$comma" ] || skip "no comma-decimal locale installed (apt-get install locales-all)"
plan 2

write_cfg "$t/l.cfg" "$t/src" "$t/dest/%r"
in_comma_locale() {
    LC_ALL=$comma mpift_mpirun -n 2 "$prog" "$t/l.cfg" "$t/l.json" >"$t/log" 2>&1 ||
        fail "a stage-in under LC_ALL=$comma: $(cat "$t/log")"
    grep -q '^decimal point: ,$' "$t/log" || fail "the program's locale did not take a decimal comma: $(cat "$t/log")"
    compare_tree "$t/src/tree" "$t/dest/0" || fail "rank 0's copy differs"
}
scenario "an application in $comma (decimal comma) stages with a report" in_comma_locale

report_is_json() {
    after in_comma_locale
    /usr/bin/python3 - "$t/l.json" "$nfiles" <<'PY' || fail "the report under a comma locale: $(cat "$t/l.json")"
import json, re, sys
raw = open(sys.argv[1]).read()
d = json.loads(raw)
assert d["report_version"] == 1 and d["status"] == "ok" and d["totals"]["files"] == int(sys.argv[2]), d
for secs in [d["seconds"]] + [n["seconds"] for n in d["nodes"]]:
    assert isinstance(secs, float) and secs >= 0, secs
assert re.search(r'"seconds": [0-9]+\.[0-9]{3},', raw), raw
PY
    check_report "$t/l.json"
}
scenario "its report parses as JSON, seconds with a decimal point, and keeps to the schema" report_is_json
done_testing
