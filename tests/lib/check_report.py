"""check_report.py SCHEMA REPORT... - validate mpift --report files
against docs/report.schema.json (Debian's python3-jsonschema).  Exit 0
when every report is valid; else 1 with each error and where it is.
Run by check_report in tests/lib/stage.sh, which every test that writes a
report calls: the schema is the report's contract, so a test that reads a
report also proves the report keeps to it."""
import json
import sys

try:
    import jsonschema
except ImportError:
    # its own message, in one run: check_report no longer starts python
    # a second time only to ask (0.35 s a report)
    sys.exit("check_report: %s has no jsonschema (apt-get install python3-jsonschema)" % sys.executable)


def main(schema_path, reports):
    with open(schema_path) as f:
        schema = json.load(f)
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)
    bad = 0
    for path in reports:
        with open(path, "rb") as f:
            raw = f.read()
        try:
            report = json.loads(raw)
        except ValueError as e:
            print("%s: not JSON: %s" % (path, e))
            bad += 1
            continue
        for err in sorted(validator.iter_errors(report), key=lambda e: list(e.absolute_path)):
            where = "/".join(str(p) for p in err.absolute_path) or "(top)"
            print("%s: %s: %s" % (path, where, err.message))
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: check_report.py SCHEMA REPORT...")
    sys.exit(main(sys.argv[1], sys.argv[2:]))
