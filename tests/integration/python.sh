#!/bin/bash
# The Python package (python/mpift over libmpift, on mpi4py), on 4 local
# ranks with the interpreter configure found: stage-in of the sample data
# (conf/) with its Result on every rank, a re-run (unchanged, then forced),
# stage-out, a sub-communicator, the service session of
# examples/fetch_all.py, and failures raising mpift.Error with the right
# status (files that failed, a file the master lacks, a bad configuration,
# a library that is not there); check_config without MPI; the status
# table agrees with mpift.h.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" mpirun timeout=120
[ "${MPIFT_PYTHON:-}" = yes ] && [ -n "${PYTHON:-}" ] ||
    skip "no Python package in this build (configure: python3 with mpi4py on this build's MPI)"
lib=$top_builddir/src/.libs/libmpift.so.0
[ -f "$lib" ] || fail "build the library first ($lib; make check does)"
plan 14

# The build tree's package and library; bytecode stays out of the source tree.
export PYTHONPATH=$top_srcdir/python PYTHONDONTWRITEBYTECODE=1 MPIFT_LIBRARY=$lib
# A sanitizer build's library needs its runtimes loaded first (Python is
# not built with them), and the interpreter's own memory at exit is not
# ours to check for leaks.
py=("$PYTHON")
san=$(ldd "$lib" | awk '$1 ~ /^lib(asan|ubsan)\.so/ { print $3 }' | paste -sd: -)
[ -z "$san" ] || py=(env "LD_PRELOAD=$san" "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "$PYTHON")

data=$top_srcdir/conf/data
cat >"$t/s.cfg" <<CFG
version = 1;
paths: { source = "$data"; dest = "$t/d/%r"; collect = "$t/collect"; };
workers: { copies = "per-rank"; };
stage_in = (
  { src = "inputs/*.dat"; dest = "inputs/"; },
  { src = "ref/"; dest = "ref/"; recursive = true; }
);
stage_out = ( { src = "out/*.log"; dest = "%h/"; } );
CFG
# What every rank's copy must hold.
mkdir -p "$t/want/inputs" && cp "$data"/inputs/*.dat "$t/want/inputs/" && cp -r "$data/ref" "$t/want/" ||
    fail "cannot copy the sample data"

# The program every staging scenario runs: MODE [ARGS]; prints one line per
# rank, "rank R: <Result's figures>", or "rank R: Error STATUS NAME EXIT".
cat >"$t/run.py" <<'PY'
import os, sys
from mpi4py import MPI
import mpift

comm, mode, cfg = MPI.COMM_WORLD, sys.argv[1], sys.argv[2]
sets = sys.argv[3:]

def show(r):
    failures = ";".join("%s@%s:%s" % (f.path, f.rank, f.status) for f in r.failures)
    nodes = ";".join("%d:%s:%s" % (n.node, n.host, ",".join(map(str, n.ranks))) for n in r.nodes)
    return "%s files=%s written=%d unchanged=%d failed=%d bytes=%d nodes=%s failures=%s" % (
        r.mode, r.files, r.copies_written, r.unchanged, r.failed, r.bytes_written, nodes, failures)

try:
    if mode == "in":
        out = show(mpift.stage_in(cfg, comm, set=sets, quiet=True))
    elif mode == "notmp":   # no temporary folder can be made
        import tempfile
        mpift.version()   # the library found first (ctypes.util may want a temporary file)
        tempfile.tempdir = os.path.join(os.path.dirname(cfg), "nowhere")
        out = show(mpift.stage_in(cfg, comm, set=sets, quiet=True))
    elif mode == "force":
        out = show(mpift.stage_in(cfg, set=sets, force=True, quiet=True))
    elif mode == "out":
        with mpift.Context(cfg, comm, set=sets, quiet=True) as ctx:
            os.makedirs(os.path.join(ctx.dest_root, "out"), exist_ok=True)
            with open(os.path.join(ctx.dest_root, "out", "rank-%d.log" % comm.rank), "w") as f:
                f.write("rank %d\n" % comm.rank)
            out = show(ctx.stage_out())
    elif mode == "split":
        sub = comm.Split(comm.rank % 2, comm.rank)
        out = show(mpift.stage_in(cfg, sub, set=sets, quiet=True)) if comm.rank % 2 == 0 else "idle"
        sub.Free()
    line = "rank %d: %s" % (comm.rank, out)
except mpift.Error as e:
    line = "rank %d: Error %d %s %d %s" % (comm.rank, e.status, e.name, e.exit_code, show(e.result) if e.result else "-")
    sys.stderr.write("rank %d: %s\n" % (comm.rank, e))
# One write per line: mpirun interleaves the ranks' output at write boundaries.
sys.stdout.write(line + "\n")
PY

# run NP MODE [KEY=VALUE...]: run.py on NP ranks; its lines sorted in $t/out.
run() {
    local np=$1
    shift
    mpift_mpirun -n "$np" "${py[@]}" "$t/run.py" "$1" "$t/s.cfg" "${@:2}" >"$t/raw" 2>"$t/err" ||
        fail "run.py $*: exit $? $(cat "$t/raw" "$t/err")"
    sort "$t/raw" >"$t/out"
}

# expect_all NP LINE: every rank 0..NP-1 printed "rank R: LINE".
expect_all() {
    local r
    for ((r = 0; r < $1; r++)); do
        grep -qxF "rank $r: $2" "$t/out" || fail "rank $r: expected '$2', got: $(cat "$t/out" "$t/err")"
    done
}

host=$(hostname)
status_table() {
    "${py[@]}" - "$top_srcdir/include/mpift/mpift.h" <<'PY' || fail "the Python status table differs from mpift.h"
import re, sys
import mpift
h = open(sys.argv[1]).read()
want = [(n, int(v), t, int(x)) for n, v, t, x in re.findall(r'XX\((\w+), (-?\d+), "([^"]*)", (\d)\)', h)]
got = [(n, v, mpift.strerror(v), x) for n, v, x in mpift.STATUS_MAP]
assert len(want) > 10 and want == got, "\nmpift.h: %s\nPython:  %s" % (want, got)
assert mpift.ERR_NOENT == -11 and mpift.Error(-11, "x").name == "ERR_NOENT"
# The codes are the library's: an IntEnum of its names, in its order, and
# the one code the package knows without it (ERR_ENV) is the library's.
import enum
from mpift import _status
assert issubclass(mpift.Status, enum.IntEnum) and [(s.name, s.value) for s in mpift.Status] == [(n, v) for n, v, _, _ in want]
assert mpift.Status.ERR_ENV == _status.ERR_ENV and mpift.exit_status(_status.ERR_ENV) == _status._ERR_ENV_EXIT
assert mpift.Error(mpift.Status.ERR_MPI, "x").fatal and not mpift.Error(mpift.Status.ERR_FILES, "x").fatal
assert mpift.version() == re.search(r"AC_INIT\(\[mpift\], \[([0-9.]+)\]", open(sys.argv[1].replace("include/mpift/mpift.h", "configure.ac")).read()).group(1)
PY
}
scenario "the status codes (an IntEnum read from the library), texts and exit statuses agree with mpift.h" status_table

stage_in_4() {
    run 4 in || return
    expect_all 4 "stage-in files=7 written=28 unchanged=0 failed=0 bytes=228220 nodes=0:$host:0,1,2,3 failures="
    for r in 0 1 2 3; do
        compare_tree "$t/want" "$t/d/$r" || fail "rank $r's copy differs from the sample data"
    done
}
scenario "stage_in on 4 ranks: every rank's copy is the sample data; every rank gets the same Result" stage_in_4

# The Result comes from the library's memory: no temporary folder, no file.
no_tmpdir() {
    rm -rf "$t/d"
    run 4 notmp || return
    expect_all 4 "stage-in files=7 written=28 unchanged=0 failed=0 bytes=228220 nodes=0:$host:0,1,2,3 failures="
}
scenario "with no temporary folder to be had every rank still gets its Result: no report file is involved" no_tmpdir

stage_in_again() {
    after stage_in_4
    run 4 in || return
    expect_all 4 "stage-in files=7 written=0 unchanged=28 failed=0 bytes=0 nodes=0:$host:0,1,2,3 failures="
    run 4 force || return
    expect_all 4 "stage-in files=7 written=28 unchanged=0 failed=0 bytes=228220 nodes=0:$host:0,1,2,3 failures="
}
scenario "a second stage_in finds all 28 copies unchanged; force=True writes them again" stage_in_again

stage_out_4() {
    local r
    after stage_in_4
    run 4 out || return
    expect_all 4 "stage-out files=None written=4 unchanged=0 failed=0 bytes=28 nodes=0:$host:0,1,2,3 failures="
    for r in 0 1 2 3; do
        [ "$(cat "$t/collect/$host/rank-$r.log" 2>&1)" = "rank $r" ] || fail "rank $r's log not gathered: $(ls -R "$t/collect")"
    done
}
scenario "stage_out on 4 ranks gathers each rank's log into collect/HOST/, Result on every rank" stage_out_4

sub_communicator() {
    rm -rf "$t/d"
    run 4 split || return
    grep -qxF "rank 0: stage-in files=7 written=14 unchanged=0 failed=0 bytes=114110 nodes=0:$host:0,1 failures=" "$t/out" &&
        grep -qxF "rank 2: stage-in files=7 written=14 unchanged=0 failed=0 bytes=114110 nodes=0:$host:0,1 failures=" "$t/out" &&
        grep -qxF "rank 1: idle" "$t/out" || fail "split: $(cat "$t/out" "$t/err")"
    compare_tree "$t/want" "$t/d/0" && compare_tree "$t/want" "$t/d/1" || fail "the sub-communicator's copies differ"
    [ ! -e "$t/d/2" ] && [ ! -e "$t/d/3" ] || fail "ranks outside the sub-communicator got copies: $(ls "$t/d")"
}
scenario "on a sub-communicator (even ranks of 4) only its ranks stage, numbered in it (%r = 0, 1)" sub_communicator

files_failed() {
    local f r want=
    rm -rf "$t/d" && mkdir -p "$t/d" && : >"$t/d/2"   # rank 2's dest root cannot be made
    run 4 in || return
    # The run is refused before anything moves: rank 2's copies failed, the
    # others were not sent; every copy is listed, file by file, rank by rank.
    for f in inputs/empty.dat inputs/mesh.dat inputs/params.dat ref/VERSION ref/genome/chr1.fa \
        ref/genome/chr2.fa ref/index/chr.idx; do
        for r in 0 1 2 3; do
            [ "$r" = 2 ] && want+="$f@2:failed;" || want+="$f@$r:not sent;"
        done
    done
    expect_all 4 "Error -5 ERR_FILES 1 stage-in files=7 written=0 unchanged=0 failed=7 bytes=0 nodes=0:$host:0,1,2,3 failures=${want%;}"
    grep -qF "rank 0: stage-in: one or more files failed: inputs/empty.dat, inputs/mesh.dat, inputs/params.dat and 4 more on rank 2 ($host): $host: dest root $t/d/2: " "$t/err" &&
        grep -q "rank 0: .*: nothing was sent; [^;]*; 21 copies not sent \[ERR_FILES\]$" "$t/err" ||
        fail "the error does not name the files, the rank and the cause, then what was not sent: $(cat "$t/err")"
}
scenario "files that fail raise mpift.Error(ERR_FILES) on every rank, its Result naming each failed copy" files_failed

bad_config() {
    run 2 in transfer.window=0 || return
    expect_all 2 "Error -13 ERR_RANGE 2 -"
    printf 'version = 1;\npaths: { source = "/nonexistent" }\n' >"$t/bad.cfg"
    mpift_mpirun -n 2 "${py[@]}" "$t/run.py" in "$t/bad.cfg" >"$t/raw" 2>"$t/err" || fail "bad.cfg: exit $?"
    grep -qxF "rank 1: Error -2 ERR_CONFIG 2 -" "$t/raw" || fail "bad.cfg: $(cat "$t/raw" "$t/err")"
    grep -q "bad.cfg" "$t/err" || fail "the configuration error does not name the file: $(cat "$t/err")"
}
scenario "a bad configuration raises mpift.Error(ERR_RANGE / ERR_CONFIG, exit 2) on every rank" bad_config

no_library() {
    local out
    out=$(MPIFT_LIBRARY=$t/nowhere/libmpift.so.0 "${py[@]}" -c '
import mpift
try:
    mpift.version()
except mpift.Error as e:
    print(e.name, e.exit_code, e)' 2>&1)
    [[ $out == "ERR_ENV 3 mpift: cannot load $t/nowhere/libmpift.so.0: "*"MPIFT_LIBRARY"* ]] || fail "got: $out"
}
scenario "a libmpift that cannot be loaded is mpift.Error(ERR_ENV, exit 3) naming it" no_library

# One rank without the library: every rank raises, none waits for it.
one_rank_no_library() {
    local code='
import sys
from mpi4py import MPI
import mpift
try:
    mpift.Context(sys.argv[1])
    sys.stdout.write("rank %d: opened\n" % MPI.COMM_WORLD.Get_rank())
except mpift.Error as e:   # one write per line: mpirun interleaves at writes
    sys.stdout.write("rank %d: %s %s\n" % (MPI.COMM_WORLD.Get_rank(), e.name, e))'
    mpift_mpirun -n 1 "${py[@]}" -c "$code" "$top_srcdir/conf/stage.cfg" : \
        -n 1 env "MPIFT_LIBRARY=$t/nowhere/libmpift.so.0" "${py[@]}" -c "$code" "$top_srcdir/conf/stage.cfg" \
        >"$t/out" 2>&1 || fail "the job failed: $(cat "$t/out")"
    grep -q "^rank 1: ERR_ENV mpift: cannot load $t/nowhere/libmpift.so.0: " "$t/out" || fail "rank 1: $(cat "$t/out")"
    grep -qF "rank 0: ERR_ENV mpift: rank 1 of this communicator cannot use libmpift" "$t/out" || fail "rank 0: $(cat "$t/out")"
}
scenario "one rank that cannot load libmpift: every rank raises mpift.Error(ERR_ENV), none waits" one_rank_no_library

check_config() {
    local out
    out=$("${py[@]}" - "$t/s.cfg" <<'PY' 2>&1
import sys
import mpift
mpift.check_config(sys.argv[1])
mpift.check_config(sys.argv[1], set={"transfer.chunk_size": "8M", "transfer.fsync": True})
try:
    mpift.check_config(sys.argv[1], set=["transfer.window=0"])
except mpift.Error as e:
    print("refused", e.name, e.exit_code)
PY
)
    [[ $out == *"transfer.window=0: 0 is out of range"*"refused ERR_RANGE 2" ]] || fail "got: $out"
}
scenario "check_config validates without MPI: sets from a dict (booleans as true/false), a bad value raises" check_config

# The service session: fetch_all.py with its files, and a config of its own.
mkdir -p "$t/svc"
for r in 1 2 3; do head -c $((r * 100003)) /dev/urandom >"$t/svc/part-$r.dat"; done
printf 'worker 1 log\n' >"$t/svc/worker_1.log"
cat >"$t/svc.cfg" <<CFG
version = 1;
paths: { source = "$t/svc"; dest = "$t/w/%r"; collect = "$t/wc"; };
transfer: { chunk_size = "64K"; };
CFG
example=$top_srcdir/examples/fetch_all.py
service_session() {
    local r
    mpift_mpirun -n 4 "${py[@]}" "$example" "$t/svc.cfg" >"$t/out" 2>"$t/err" || fail "fetch_all.py: $(cat "$t/out" "$t/err")"
    [ ! -s "$t/err" ] || fail "messages on a clean run: $(cat "$t/err")"
    for r in 1 2 3; do
        cmp -s "$t/svc/part-$r.dat" "$t/w/$r/part-$r.dat" || fail "rank $r: fetched part-$r.dat differs"
        grep -q "^rank $r part-$r.dat $((r * 100003)) bytes crc32 [0-9a-f]\{8\}$" "$t/wc/result-$r.txt" ||
            fail "rank $r's result was not put: $(cat "$t/wc/result-$r.txt" 2>&1)"
        grep -qxF "rank $r: fetched part-$r.dat ($((r * 100003)) bytes), put result-$r.txt" "$t/out" || fail "rank $r: $(cat "$t/out")"
    done
    cmp -s "$t/svc/worker_1.log" "$t/w/2/worker_1.log" || fail "worker_1.log did not reach worker 2"
    cmp -s "$t/svc/part-1.dat" "$t/w/2/part-1.dat" || fail "worker 1 -> 2: copy differs"
    grep -qxF "rank 2: received part-1.dat from rank 1" "$t/out" || fail "rank 2 did not report its receive: $(cat "$t/out")"
    grep -q "^master: 7 requests, 0 failed, $((600018 + 13)) bytes out, $(cat "$t"/wc/result-*.txt | wc -c) bytes in, up to [1-4] transfers at once$" "$t/out" ||
        fail "master: $(cat "$t/out")"
}
scenario "examples/fetch_all.py: workers fetch and put, worker 2 gets worker_1.log, worker 1 hands its file to 2" service_session

service_noent() {
    local rc=0
    mv "$t/svc/part-3.dat" "$t/part-3.dat"
    mpift_mpirun -n 4 "${py[@]}" "$example" "$t/svc.cfg" >"$t/out" 2>"$t/err" || rc=$?
    mv "$t/part-3.dat" "$t/svc/part-3.dat"
    [ "$rc" = 1 ] || fail "exit $rc, not 1: $(cat "$t/out" "$t/err")"
    grep -q "^rank 3: .*part-3.dat.*\[ERR_NOENT\]$" "$t/err" || fail "rank 3's error: $(cat "$t/err")"
    grep -qxF "rank 1: fetched part-1.dat (100003 bytes), put result-1.txt" "$t/out" || fail "rank 1 was stopped too: $(cat "$t/out")"
}
scenario "a file the master lacks raises mpift.Error(ERR_NOENT) on that worker only; the others go on" service_noent

# A name with a NUL byte: C would read it cut short and act on another
# file (part-1.dat here), so every call refuses it with ERR_USAGE and
# nothing is fetched, put or sent; a --set holding one on rank 1 only is
# refused on every rank, none left waiting in mpift_open.
service_nul() {
    rm -rf "$t/w" "$t/wc"
    cat >"$t/nul.py" <<'PY'
import os, sys
from mpi4py import MPI
import mpift
comm, cfg = MPI.COMM_WORLD, sys.argv[1]
def say(line):   # one write per line: mpirun interleaves the ranks' output at write boundaries
    os.write(1, (line + "\n").encode())
try:
    mpift.Context(cfg, comm, set=["transfer.window=4\0x"] if comm.rank == 1 else [])
    say("rank %d: opened" % comm.rank)
except mpift.Error as e:
    say("rank %d: open %s" % (comm.rank, e.name))
with mpift.Context(cfg, comm) as ctx:
    if comm.rank == 0:
        st = ctx.serve()
        say("master: %d requests" % st.requests)
    else:
        for call, args in (("fetch", ("part-1.dat\0.evil",)), ("put", ("part-1.dat\0x",)),
                           ("send_to", ("part-1.dat\0x", 2 if comm.rank == 1 else 1))):
            try:
                getattr(ctx, call)(*args)
                say("rank %d: %s served" % (comm.rank, call))
            except mpift.Error as e:
                say("rank %d: %s %s" % (comm.rank, call, e.name))
        ctx.done()
PY
    mpift_mpirun -n 3 "${py[@]}" "$t/nul.py" "$t/svc.cfg" >"$t/out" 2>"$t/err" || fail "nul.py: exit $?: $(cat "$t/out" "$t/err")"
    for r in 0 1 2; do
        grep -qxF "rank $r: open ERR_$([ $r = 1 ] && echo USAGE || echo ENV)" "$t/out" ||
            fail "rank $r: a --set with a NUL on rank 1 was not refused everywhere: $(cat "$t/out" "$t/err")"
    done
    for r in 1 2; do
        for c in fetch put send_to; do
            grep -qxF "rank $r: $c ERR_USAGE" "$t/out" || fail "rank $r: $c of a name with a NUL: $(cat "$t/out" "$t/err")"
        done
    done
    grep -qxF "master: 0 requests" "$t/out" || fail "the master served a request: $(cat "$t/out")"
    [ -z "$(find "$t/w" "$t/wc" -type f 2>/dev/null)" ] || fail "a file was moved: $(find "$t/w" "$t/wc" -type f)"
}
scenario "names and --set values with a NUL byte: mpift.Error(ERR_USAGE), nothing fetched, put or sent" service_nul

done_testing
