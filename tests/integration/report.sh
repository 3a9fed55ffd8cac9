#!/bin/bash
# --report FILE.json across 3 fake nodes x 2 ranks: a stage-in with a
# missing source and a damaged copy (no retries) writes a report that
# parses, with the exit code, totals, one entry per node (bytes, seconds),
# and per file its size, xxh3 and each node's copy with its status and
# error; a stage-out report lists each gathered file with its rank; an
# unwritable report path is an error naming it (the files still move);
# --shell refuses --report; a name that is not UTF-8 (the byte 0xE9) and
# its UTF-8 look-alike ("é") are two names in the report, each giving back
# its exact bytes.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" fakenodes=3x2 python3 tree timeout=120
plan 6

write_cfg "$t/r.cfg" "$t/src" "$FAKE_SCRATCH/stage" "" \
    '{ src = "tree/"; dest = ""; recursive = true; }, { src = "missing.dat"; dest = ""; }'
stage_in() {
    local rc=0
    MPIFT_TEST_CORRUPT=1 fakenodes_mpirun 6 "$stage" --module "$faults" --config "$t/r.cfg" --set transfer.retries=0 \
        --report "$t/in.json" >"$t/log" 2>"$t/err" || rc=$?
    [ "$rc" = 1 ] || fail "stage-in with failures: exit $rc, expected 1: $(cat "$t/log" "$t/err")"
    [ -s "$t/in.json" ] || fail "no report written: $(cat "$t/log" "$t/err")"
    [ -z "$(ls "$t"/in.json.mpift-* 2>/dev/null)" ] || fail "the report's temporary file was left"
    check_report "$t/in.json"
}
scenario "a stage-in with a missing source and damaged copies exits 1 and writes its report" stage_in

stage_in_report() {
    after stage_in
    python3 - "$t/in.json" "$nfiles" "${fake_host[@]}" <<'PY' || fail "stage-in report: $(cat "$t/in.json")"
import json, re, sys
path, nfiles, hosts = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
d = json.load(open(path))
assert d["mode"] == "stage-in" and d["status"] == "failed" and d["exit_code"] == 1, d
assert d["nodes_count"] == 3 and d["ranks"] == 6 and d["copies"] == "per-node", d
t = d["totals"]
assert t["files"] == nfiles and t["sources_not_planned"] == 1, t
# Ranks 2 and 4 (the other node leaders) each damaged their first copy.
assert t["copies_written"] == 3 * nfiles - 2 and t["failed"] == 2 + 1, t
assert [n["host"] for n in d["nodes"]] == hosts, d["nodes"]
assert [n["ranks"] for n in d["nodes"]] == [[0, 1], [2, 3], [4, 5]], d["nodes"]
assert all(n["seconds"] >= 0 for n in d["nodes"]) and d["nodes"][0]["bytes_written"] > 0, d["nodes"]
assert len(d["files"]) == nfiles, len(d["files"])
failed = []
for f in d["files"]:
    assert re.fullmatch(r"[0-9a-f]{16}", f["xxh3"]), f
    assert [c["rank"] for c in f["copies"]] == [0, 2, 4], f
    for c in f["copies"]:
        if c["status"] == "failed":
            assert "checksum mismatch" in c["error"], c
            failed.append((f["path"], c["rank"]))
        else:
            assert c["status"] == "written" and "error" not in c, c
assert sorted(r for _, r in failed) == [2, 4], failed
names = {f["path"] for f in d["files"]}
assert "données-é.txt" in names and "日本.bin" in names and "with space.dat" in names, names
PY
}
scenario "the stage-in report gives status, totals, nodes, and per file its xxh3 and each copy's status and error" stage_in_report

# Stage-out report.
for h in $FAKE_HOSTS; do mkdir -p "$FAKE_NODEDIR/$h/stage/out" && echo "$h" >"$FAKE_NODEDIR/$h/stage/out/n.log"; done
cp "$t/r.cfg" "$t/out.cfg"
cat >>"$t/out.cfg" <<CFG
stage_out = ( { src = "out/n.log"; dest = "%h/"; } );
CFG
sed -i "s|paths: {|paths: { collect = \"$t/collect\";|" "$t/out.cfg"
stage_out_report() {
    fakenodes_mpirun 6 "$stage" --config "$t/out.cfg" --out --report "$t/out.json" >"$t/log" 2>&1 ||
        fail "stage-out with a report: $(cat "$t/log")"
    check_report "$t/out.json"
    python3 - "$t/out.json" "${fake_host[@]}" <<'PY' || fail "stage-out report: $(cat "$t/out.json")"
import json, re, sys
d = json.load(open(sys.argv[1]))
hosts = sys.argv[2:]
assert d["mode"] == "stage-out" and d["status"] == "ok" and d["exit_code"] == 0, d
assert d["totals"]["copies_written"] == 3, d["totals"]
got = sorted((f["path"], f["rank"], f["host"], f["status"]) for f in d["files"])
assert got == sorted((h + "/n.log", 2 * i, h, "written") for i, h in enumerate(hosts)), got
assert all(re.fullmatch(r"[0-9a-f]{16}", f["xxh3"]) for f in d["files"]), d["files"]
# Its xxh3 is the content's own (a writer hashes it for the report), not
# the checksum over the chunks' hashes the copies are checked against.
import ctypes
x = ctypes.CDLL("libxxhash.so.0")
x.XXH3_64bits.restype = ctypes.c_uint64
x.XXH3_64bits.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
for f in d["files"]:
    b = (f["host"] + "\n").encode()
    assert f["xxh3"] == "%016x" % x.XXH3_64bits(b, len(b)), (f, "%016x" % x.XXH3_64bits(b, len(b)))
# Each n.log holds its host's name and a newline: per node, that many bytes.
assert [(n["host"], n["ranks"], n["copies_written"], n["bytes_written"]) for n in d["nodes"]] == \
    [(h, [2 * i], 1, len(h) + 1) for i, h in enumerate(hosts)], d["nodes"]
assert all(n["seconds"] >= 0 and n["failed"] == 0 for n in d["nodes"]), d["nodes"]
assert d["totals"]["bytes_written"] == sum(n["bytes_written"] for n in d["nodes"]), d
PY
}
scenario "a stage-out report lists each gathered file with its rank and host, and bytes per node" stage_out_report

# A report that cannot be written: named, exit 1, the files still staged.
unwritable() {
    local rc=0
    fakenodes_clear stage
    write_cfg "$t/ok.cfg" "$t/src" "$FAKE_SCRATCH/stage"
    fakenodes_mpirun 6 "$stage" --config "$t/ok.cfg" --report /nonexistent/r.json >"$t/log" 2>"$t/err" || rc=$?
    [ "$rc" = 1 ] || fail "unwritable report: exit $rc, expected 1: $(cat "$t/log" "$t/err")"
    grep -q -- "--report /nonexistent/r.json: cannot create" "$t/err" || fail "unwritable report not named: $(cat "$t/err")"
    compare_tree "$t/src/tree" "$FAKE_NODEDIR/${fake_host[0]}/stage" || fail "files not staged when the report failed"
}
scenario "an unwritable report path is named (exit 1) and the files are still staged" unwritable

# The console has no report.
shell_report() {
    local rc=0
    write_cfg "$t/sh.cfg" "$t/src" "$FAKE_SCRATCH/stage"
    fakenodes_mpirun 2 "$stage" --config "$t/sh.cfg" --shell --report "$t/s.json" >"$t/log" 2>&1 </dev/null || rc=$?
    [ "$rc" = 2 ] || fail "--shell --report: exit $rc, expected 2: $(cat "$t/log")"
    grep -q -- "--report applies to stage-in and stage-out, not to --shell" "$t/log" || fail "--shell --report: $(cat "$t/log")"
}
scenario "--shell refuses --report (exit 2)" shell_report

# Latin-1 "\xe9" and UTF-8 "é" ("\xc3\xa9"): two files, two names.
names() {
    mkdir -p "$t/names/in"
    printf 'latin-1\n' >"$t/names/in/caf$(printf '\351').txt"
    printf 'utf-8\n' >"$t/names/in/caf$(printf '\303\251').txt"
    write_cfg "$t/n.cfg" "$t/names" "$FAKE_SCRATCH/names" "" '{ src = "in/"; dest = ""; recursive = true; }'
    fakenodes_mpirun 6 "$stage" --config "$t/n.cfg" --report "$t/n.json" >"$t/log" 2>&1 ||
        fail "stage-in of both names: $(cat "$t/log")"
    check_report "$t/n.json"
    python3 - "$t/n.json" <<'PY' || fail "names in the report: $(cat "$t/n.json")"
import json, sys
d = json.load(open(sys.argv[1]))
paths = [f["path"] for f in d["files"]]
assert len(paths) == 2 and len(set(paths)) == 2, paths
assert sorted(p.encode("utf-8", "surrogateescape") for p in paths) == sorted([b"caf\xe9.txt", b"caf\xc3\xa9.txt"]), paths
raw = open(sys.argv[1], "rb").read()
assert b'"caf\\udce9.txt"' in raw and '"café.txt"'.encode() in raw, raw
PY
}
scenario "a name that is not UTF-8 and its UTF-8 look-alike stay two names, each decoding to its bytes" names
done_testing
