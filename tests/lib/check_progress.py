"""check_progress.py FILE MODE [HOST...] - check mpift-stage --progress=jsonl
output (docs/report.md): every line of FILE that starts with "{" parses
as JSON, and there is at least one; within each round bytes_done and
files_done never go down and stay within their totals; each round ends
with one line "final": true whose done figures equal the totals; every
line names MODE; with HOSTs, "lag" lists those nodes in order, each
bytes_behind within what the node has left, and on the final line each
node's done equal to its total.  Other lines (warnings on a shared
stderr) are allowed; a line that starts with "{" and does not parse is
not.  Exit 0, or 1 naming what is wrong."""
import json
import sys


def fail(msg):
    print(msg)
    sys.exit(1)


def main(path, mode, hosts):
    lines = [l for l in open(path, encoding="utf-8") if l.startswith("{")]
    if not lines:
        fail("%s: no JSON lines" % path)
    rounds = {}
    for n, text in enumerate(lines, 1):
        try:
            d = json.loads(text)
        except ValueError as e:
            fail("%s: line %d is not JSON (%s): %r" % (path, n, e, text))
        if d.get("progress_version") != 1 or d.get("mode") != mode:
            fail("%s: line %d: progress_version 1 and mode %s expected: %r" % (path, n, mode, d))
        for k in ("round", "bytes_done", "bytes_total", "files_done", "files_total", "rate"):
            if not isinstance(d.get(k), int) or d[k] < 0:
                fail("%s: line %d: %s is not a count: %r" % (path, n, k, d))
        if not isinstance(d.get("seconds"), (int, float)) or not isinstance(d.get("final"), bool):
            fail("%s: line %d: seconds or final missing: %r" % (path, n, d))
        rounds.setdefault(d["round"], []).append(d)
    for r, ds in sorted(rounds.items()):
        prev = None
        for d in ds:
            if d["bytes_done"] > d["bytes_total"] or d["files_done"] > d["files_total"]:
                fail("round %d: done beyond the totals: %r" % (r, d))
            if prev and (d["bytes_done"] < prev["bytes_done"] or d["files_done"] < prev["files_done"]
                         or d["seconds"] < prev["seconds"] or prev["final"]):
                fail("round %d: not monotonic, or a line after the final one: %r then %r" % (r, prev, d))
            if hosts:
                lag = d.get("lag")
                if [x.get("host") for x in lag or []] != hosts or [x["node"] for x in lag] != list(range(len(hosts))):
                    fail("round %d: lag does not list the nodes %s: %r" % (r, hosts, d))
                for x in lag:
                    if not 0 <= x["bytes_behind"] <= x["bytes_total"] - x["bytes_done"]:
                        fail("round %d: node %d is behind by more than it has left: %r" % (r, x["node"], d))
            prev = d
        last = ds[-1]
        if not last["final"]:
            fail("round %d: no final line: %r" % (r, last))
        if (last["bytes_done"], last["files_done"]) != (last["bytes_total"], last["files_total"]):
            fail("round %d: the final line is not the totals: %r" % (r, last))
        if hosts and any(x["bytes_done"] != x["bytes_total"] or x["bytes_behind"] for x in last["lag"]):
            fail("round %d: a node is not complete on the final line: %r" % (r, last))
    print("%d lines, %d rounds, last: %s" % (len(lines), len(rounds), lines[-1].strip()))
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: check_progress.py FILE MODE [HOST...]")
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3:]))
