#!/bin/bash
# Executables with their libraries (--with-libs, libs = true) on 3 fake
# nodes.  A program linked against two private libraries, each reached
# through a soname link (libalpha.so.1 -> libalpha.so.1.2.3 found through
# the program's RUNPATH $ORIGIN/../lib; libbeta.so.2 -> libbeta.so.2.0.1,
# outside the source root, through libalpha's own RUNPATH) is staged with
# its closure into app.libs/ with the links made, and runs on every node
# from its staged copy with both original library folders hidden (an empty
# folder bind-mounted over each in the rank's own mount namespace), with
# the LD_LIBRARY_PATH mpift printed and --report carries.  A library that
# is nowhere fails that entry naming it and who needs it; a library that
# cannot be written on one node leaves no program there (and the program
# on the others); the keys round-trip through --print-config and are
# checked at load.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" fakenodes=3x1 python3
plan 14
cc=${CC:-cc}
command -v "$cc" >/dev/null || skip "no C compiler to build the test program"
command -v unshare >/dev/null || skip "no unshare(1) to hide the library folders"

# The program and its libraries, built here; $t/empty hides folders.
build() {
    mkdir -p "$t/src/bin" "$t/src/lib" "$t/other/libb" "$t/empty" || fail "cannot make folders"
    echo 'int beta(int x) { return x * 3; }' >"$t/beta.c"
    printf 'int beta(int);\nint alpha(int x) { return beta(x) + 1; }\n' >"$t/alpha.c"
    printf '#include <stdio.h>\nint alpha(int);\nint main(void) { printf("alpha(4) = %%d\\n", alpha(4)); return alpha(4) != 13; }\n' >"$t/app.c"
    printf 'int gamma_(void);\nint main(void) { return gamma_(); }\n' >"$t/app2.c"
    echo 'int gamma_(void) { return 0; }' >"$t/gamma.c"
    (
        cd "$t" &&
        "$cc" -shared -fPIC -Wl,-soname,libbeta.so.2 -o other/libb/libbeta.so.2.0.1 beta.c &&
        ln -s libbeta.so.2.0.1 other/libb/libbeta.so.2 && ln -s libbeta.so.2 other/libb/libbeta.so &&
        "$cc" -shared -fPIC -Wl,-soname,libalpha.so.1 -Wl,--enable-new-dtags,-rpath,"$t/other/libb" \
            -o src/lib/libalpha.so.1.2.3 alpha.c -L other/libb -lbeta &&
        ln -s libalpha.so.1.2.3 src/lib/libalpha.so.1 && ln -s libalpha.so.1 src/lib/libalpha.so &&
        "$cc" -o src/bin/app app.c -L src/lib -lalpha -Wl,--enable-new-dtags,-rpath,'$ORIGIN/../lib' \
            -Wl,-rpath-link,"$t/other/libb" &&
        "$cc" -shared -fPIC -Wl,-soname,libgamma.so.1 -o libgamma.so.1 gamma.c &&
        "$cc" -o src/bin/app2 app2.c -L. -l:libgamma.so.1 && rm libgamma.so.1
    ) >"$t/build.log" 2>&1 || fail "cannot build the test program: $(cat "$t/build.log")"
    "$t/src/bin/app" | grep -q '^alpha(4) = 13$' || fail "the test program does not run where it was built"
}
scenario "a program with two private libraries, soname links, RUNPATH \$ORIGIN, builds and runs" build

# on_nodes SCRIPT: run SCRIPT (sh) once per fake node, each in a mount
# namespace of its own where both library folders are hidden.
on_nodes() {
    fakenodes_mpirun 3 unshare --mount sh -c \
        "mount --bind '$t/empty' '$t/src/lib' && mount --bind '$t/empty' '$t/other/libb' && $1"
}

stage_with_libs() {
    after build
    (cd "$t/src/bin" && fakenodes_mpirun 3 "$stage" --with-libs --report "$t/rep.json" app "$FAKE_SCRATCH/job") \
        >"$t/log" 2>&1 || fail "stage --with-libs failed: $(cat "$t/log")"
    expect_summary "$t/log" 9 0 0
    grep -q "app: 2 libraries in app.libs/; run it with LD_LIBRARY_PATH=$FAKE_SCRATCH/job/app.libs" "$t/log" ||
        fail "no LD_LIBRARY_PATH line: $(cat "$t/log")"
    for h in $FAKE_HOSTS; do
        d=$FAKE_NODEDIR/$h/job
        cmp -s "$t/src/bin/app" "$d/app" && [ -x "$d/app" ] || fail "$h: app missing, differs or not executable"
        cmp -s "$t/src/lib/libalpha.so.1.2.3" "$d/app.libs/libalpha.so.1.2.3" || fail "$h: libalpha differs"
        cmp -s "$t/other/libb/libbeta.so.2.0.1" "$d/app.libs/libbeta.so.2.0.1" || fail "$h: libbeta differs"
        [ "$(readlink "$d/app.libs/libalpha.so.1")" = libalpha.so.1.2.3 ] &&
            [ "$(readlink "$d/app.libs/libbeta.so.2")" = libbeta.so.2.0.1 ] ||
            fail "$h: soname links wrong: $(ls -l "$d/app.libs")"
        [ "$(ls "$d/app.libs" | wc -l)" = 4 ] || fail "$h: app.libs holds more than the closure: $(ls "$d/app.libs")"
    done
    check_report "$t/rep.json"
    /usr/bin/python3 - "$t/rep.json" "$FAKE_SCRATCH/job" <<'PY' || fail "--report's libraries: $(cat "$t/rep.json")"
import json, sys
r = json.load(open(sys.argv[1]))
(l,) = r["libraries"]
assert l["program"] == "app" and l["folder"] == "app.libs", l
assert l["ld_library_path"] == sys.argv[2] + "/app.libs", l
assert sorted(l["files"]) == ["app.libs/libalpha.so.1.2.3", "app.libs/libbeta.so.2.0.1"], l
assert sorted((k["path"], k["target"]) for k in l["links"]) == [
    ("app.libs/libalpha.so.1", "libalpha.so.1.2.3"), ("app.libs/libbeta.so.2", "libbeta.so.2.0.1")], l
PY
}
scenario "--with-libs stages app, app.libs/ with both libraries and their soname links on every node; --report says LD_LIBRARY_PATH" stage_with_libs

runs_staged() {
    after stage_with_libs
    # Hidden, the program does not find its libraries on its own; with
    # the LD_LIBRARY_PATH mpift printed it runs on every node.
    on_nodes "[ -z \"\$(ls -A '$t/src/lib')\$(ls -A '$t/other/libb')\" ] || exit 3; \
              if '$FAKE_SCRATCH/job/app' >/dev/null 2>&1; then echo \"\$(hostname): ran without its libraries\"; exit 4; fi; \
              echo \"\$(hostname): \$(LD_LIBRARY_PATH='$FAKE_SCRATCH/job/app.libs' '$FAKE_SCRATCH/job/app')\"" \
        >"$t/run" 2>&1 || fail "the staged program did not run: $(cat "$t/run")"
    for h in $FAKE_HOSTS; do
        grep -qx "$h: alpha(4) = 13" "$t/run" || fail "$h: no output of the staged program: $(cat "$t/run")"
    done
    cat "$t/run" >&2
}
scenario "the staged program runs on every node with the original library folders hidden" runs_staged

rerun_unchanged() {
    after stage_with_libs
    (cd "$t/src/bin" && fakenodes_mpirun 3 "$stage" --with-libs app "$FAKE_SCRATCH/job") >"$t/log2" 2>&1 ||
        fail "re-run failed: $(cat "$t/log2")"
    expect_summary "$t/log2" 0 9 0
    [ "$(readlink "$FAKE_NODEDIR/${fake_host[1]}/job/app.libs/libbeta.so.2")" = libbeta.so.2.0.1 ] ||
        fail "a re-run lost a link"
}
scenario "a re-run leaves program, libraries and links as they are" rerun_unchanged

missing_lib() {
    local rc=0
    after build
    (cd "$t/src/bin" && fakenodes_mpirun 3 "$stage" --with-libs app2 app "$FAKE_SCRATCH/miss") >"$t/log3" 2>&1 || rc=$?
    [ "$rc" = 1 ] || fail "a missing library: exit $rc, expected 1: $(cat "$t/log3")"
    grep -q "libgamma.so.1, needed by $t/src/bin/app2, not found" "$t/log3" ||
        fail "the message does not name the library and who needs it: $(cat "$t/log3")"
    for h in $FAKE_HOSTS; do
        [ ! -e "$FAKE_NODEDIR/$h/miss/app2" ] || fail "$h: app2 staged without its library"
        [ -x "$FAKE_NODEDIR/$h/miss/app" ] || fail "$h: the other entry (app) was not staged"
    done
}
scenario "a library found nowhere fails that entry naming it and who needs it; the other entry is staged" missing_lib

atomic() {
    local rc=0 bad=${fake_host[1]} h
    after build
    # On one node libbeta's place is taken by a folder: its rename fails.
    mkdir -p "$FAKE_NODEDIR/$bad/atom/app.libs/libbeta.so.2.0.1/in-the-way"
    (cd "$t/src/bin" && fakenodes_mpirun 3 "$stage" --with-libs --retries 0 --report "$t/rep4.json" app \
        "$FAKE_SCRATCH/atom") >"$t/log4" 2>&1 || rc=$?
    [ "$rc" = 1 ] || fail "a library failing on one node: exit $rc, expected 1: $(cat "$t/log4")"
    [ ! -e "$FAKE_NODEDIR/$bad/atom/app" ] || fail "$bad holds the program without its library"
    grep -q "app: removed from this node: its library app.libs/libbeta.so.2.0.1 did not arrive" "$t/log4" ||
        fail "no message naming the removed program and the library: $(cat "$t/log4")"
    grep -q "app: 2 libraries in app.libs/; 1 copy failed (said above); where it landed, run it with LD_LIBRARY_PATH=" \
        "$t/log4" || fail "the LD_LIBRARY_PATH line does not say a copy failed: $(cat "$t/log4")"
    for h in $FAKE_HOSTS; do
        [ "$h" = "$bad" ] && continue
        [ -x "$FAKE_NODEDIR/$h/atom/app" ] && [ -L "$FAKE_NODEDIR/$h/atom/app.libs/libbeta.so.2" ] ||
            fail "$h: the program or its links are missing where every library arrived"
    done
    check_report "$t/rep4.json"
    /usr/bin/python3 - "$t/rep4.json" "$bad" <<'PY' || fail "--report does not fail app on $bad: $(cat "$t/rep4.json")"
import json, sys
r = json.load(open(sys.argv[1]))
(f,) = [f for f in r["files"] if f["path"] == "app"]
bad = [c for c in f["copies"] if c["host"] == sys.argv[2]]
assert bad and bad[0]["status"] == "failed" and "libbeta" in bad[0]["error"], f
PY
}
scenario "a library failing on one node: no program there, the others whole, the report names it" atomic

# --on-error abort: libalpha fails on one node, the run stops before
# libbeta goes anywhere, so no node may keep the program (4K chunks:
# each file streamed alone, in plan order, none batched).
atomic_abort() {
    local rc=0 h
    after build
    mkdir -p "$FAKE_NODEDIR/${fake_host[2]}/abort/app.libs/libalpha.so.1.2.3/in-the-way"
    (cd "$t/src/bin" && fakenodes_mpirun 3 "$stage" --with-libs --retries 0 --on-error abort --chunk-size 4K app \
        "$FAKE_SCRATCH/abort") >"$t/log5" 2>&1 || rc=$?
    [ "$rc" = 1 ] || fail "abort: exit $rc, expected 1: $(cat "$t/log5")"
    for h in $FAKE_HOSTS; do
        [ ! -e "$FAKE_NODEDIR/$h/abort/app" ] || fail "$h keeps the program of a run stopped before its libraries"
        [ ! -e "$FAKE_NODEDIR/$h/abort/app.libs/libbeta.so.2.0.1" ] || fail "$h: libbeta went, so the run did not stop"
    done
}
scenario "--on-error abort stopping before a library arrives: no node keeps the program" atomic_abort

keys() {
    local rc=0
    after build
    (cd "$t/src/bin" && "$stage" --with-libs --print-config app /tmp/x) >"$t/p.cfg" 2>&1 || fail "--print-config: $(cat "$t/p.cfg")"
    grep -q 'src = "app"; libs = true; }' "$t/p.cfg" || fail "--print-config lost --with-libs: $(cat "$t/p.cfg")"
    "$stage" --config "$t/p.cfg" --check >"$t/c" 2>&1 || fail "the printed config does not check: $(cat "$t/c")"
    sed -i 's/libs = true;/libs = true; libs_system = true; extra_libs = ["libplug.so"];/' "$t/p.cfg"
    "$stage" --config "$t/p.cfg" --check >"$t/c" 2>&1 || fail "libs_system, extra_libs refused: $(cat "$t/c")"
    sed -i 's/libs = true;//' "$t/p.cfg"
    "$stage" --config "$t/p.cfg" --check >"$t/c" 2>&1 || rc=$?
    [ "$rc" = 2 ] && grep -q "libs_system: applies to an entry with libs = true" "$t/c" ||
        fail "libs_system without libs: exit $rc: $(cat "$t/c")"
}
scenario "--print-config writes libs = true, the file checks; libs_system without libs exits 2" keys

# A folder of a libs entry holds more than programs: a script, a text, a
# link to a program elsewhere in the source root; a file the command line
# names need not be a program.  Every one is staged, each program with
# its own libraries, the others as they are.
not_programs() {
    local h d
    after build
    mkdir -p "$t/src/tools" || fail "mkdir"
    printf '#!/bin/sh\necho run\n' >"$t/src/tools/run.sh" && chmod +x "$t/src/tools/run.sh"
    echo 'read me' >"$t/src/tools/README"
    echo 'input' >"$t/src/input.dat"
    ln -sf ../bin/app "$t/src/tools/linked-app"
    (cd "$t/src" && fakenodes_mpirun 3 "$stage" --with-libs --verbose tools/ input.dat "$FAKE_SCRATCH/np") \
        >"$t/log6" 2>&1 || fail "a folder with a script and a text, a named text: $(cat "$t/log6")"
    # linked-app and its 2 libraries, run.sh, README, input.dat; 3 nodes
    expect_summary "$t/log6" 18 0 0
    grep -q "input.dat: not a dynamically linked ELF object: staged without libraries" "$t/log6" ||
        fail "--verbose does not say input.dat goes without libraries: $(cat "$t/log6")"
    for h in $FAKE_HOSTS; do
        d=$FAKE_NODEDIR/$h/np
        cmp -s "$t/src/tools/run.sh" "$d/run.sh" && cmp -s "$t/src/tools/README" "$d/README" &&
            cmp -s "$t/src/input.dat" "$d/input.dat" || fail "$h: script, text or input.dat missing or differs"
        cmp -s "$t/src/lib/libalpha.so.1.2.3" "$d/linked-app.libs/libalpha.so.1.2.3" &&
            [ "$(readlink "$d/linked-app.libs/libbeta.so.2")" = libbeta.so.2.0.1 ] ||
            fail "$h: the program reached through a link went without its libraries: $(ls -lR "$d")"
        [ ! -e "$d/run.sh.libs" ] && [ ! -e "$d/README.libs" ] || fail "$h: a libraries' folder for a non-program"
    done
}
scenario "a libs folder with a script, a text and a linked program, a named text: all staged, the program with its libraries" not_programs

# The source root's name holds glob characters: the entry's files are
# still the ones it planned.
root_brackets() {
    local h r="$t/sq[1]"
    after build
    mkdir -p "$r/tools" && cp -a "$t/src/bin" "$t/src/lib" "$r/" && ln -sf ../bin/app "$r/tools/app" ||
        fail "cannot copy the tree"
    (cd "$r" && fakenodes_mpirun 3 "$stage" --with-libs tools/ "$FAKE_SCRATCH/sq") >"$t/log7" 2>&1 ||
        fail "a root named sq[1]: $(cat "$t/log7")"
    expect_summary "$t/log7" 9 0 0
    for h in $FAKE_HOSTS; do
        cmp -s "$t/src/lib/libalpha.so.1.2.3" "$FAKE_NODEDIR/$h/sq/app.libs/libalpha.so.1.2.3" ||
            fail "$h: app staged without its libraries from a root named sq[1]"
    done
}
scenario "a source root named with glob characters: its libs folder's program still gets its libraries" root_brackets

# Two entries plan one source: only the one with libs gets libraries;
# a name the closure gives by path makes no link (never outside the
# folder).
two_entries() {
    local h d
    after build
    printf 'version = 1;\npaths: { source = "%s"; dest = "%s"; };\nstage_in = (\n  { src = "app"; dest = "a/"; libs = true; extra_libs = ["../lib/libalpha.so.1"]; },\n  { src = "app"; dest = "b/"; } );\n' \
        "$t/src/bin" "$FAKE_SCRATCH/two" >"$t/two.cfg"
    (cd "$t/src/bin" && fakenodes_mpirun 3 "$stage" --config "$t/two.cfg" --report "$t/rep8.json") >"$t/log8" 2>&1 ||
        fail "two entries of one program: $(cat "$t/log8")"
    expect_summary "$t/log8" 12 0 0
    for h in $FAKE_HOSTS; do
        d=$FAKE_NODEDIR/$h/two
        [ -x "$d/a/app" ] && [ -f "$d/b/app" ] && [ -f "$d/a/app.libs/libalpha.so.1.2.3" ] ||
            fail "$h: a/app, its libraries or b/app missing: $(ls -lR "$d")"
        [ ! -e "$d/b/app.libs" ] || fail "$h: the entry without libs got them: $(ls -lR "$d")"
        [ ! -e "$d/lib" ] && [ ! -e "$d/a/lib" ] || fail "$h: a link made outside app.libs: $(ls -lR "$d")"
    done
    /usr/bin/python3 - "$t/rep8.json" <<'PY' || fail "--report's libraries: $(cat "$t/rep8.json")"
import json, sys
r = json.load(open(sys.argv[1]))
(l,) = r["libraries"]
assert l["program"] == "a/app", l
for k in l["links"]:
    assert "/" not in k["path"][len("a/app.libs/"):], k
PY
}
scenario "two entries of one program, one with libs: only its copy gets them; a library named by path makes no link" two_entries

# A file the plan already has where a program's libraries go: refused,
# not two sources for one place.
folder_taken() {
    local rc=0
    after build
    mkdir -p "$t/taken" && cp "$t/src/bin/app" "$t/taken/app" && echo x >"$t/taken/app.libs" || fail "setup"
    cp -a "$t/src/lib" "$t/lib" 2>/dev/null
    (cd "$t" && fakenodes_mpirun 3 "$stage" --with-libs taken/ "$FAKE_SCRATCH/taken") \
        >"$t/log9" 2>&1 || rc=$?
    [ "$rc" = 1 ] || fail "app.libs planned by the user: exit $rc, expected 1: $(cat "$t/log9")"
    grep -q "app.libs is planned from another source too" "$t/log9" || fail "no message: $(cat "$t/log9")"
    for h in $FAKE_HOSTS; do
        [ ! -e "$FAKE_NODEDIR/$h/taken/app" ] || fail "$h: app staged without its folder of libraries"
        [ "$(cat "$FAKE_NODEDIR/$h/taken/app.libs")" = x ] || fail "$h: the user's app.libs is not there"
    done
}
scenario "a user's file where a program's libraries go: the program is refused naming it, the file staged" folder_taken

# A run that ends in a protocol error (rank 0 sends every file header
# with another protocol version; batched files, at most 1/8 of a chunk,
# go without one): the program, small, arrived in a batch, its big
# library was refused.  Each
# rank that stops on the error still settles before the job aborts:
# none keeps the program without its library.
settle_on_error() {
    local rc=0 h n=0
    after build
    mkdir -p "$t/pad/bin" "$t/pad/lib" || fail "mkdir"
    echo 'char pad[300000] = {1}; int padded(void) { return pad[0]; }' >"$t/pad.c"
    printf 'int padded(void);\nint main(void) { return padded() != 1; }\n' >"$t/padapp.c"
    "$cc" -shared -fPIC -Wl,-soname,libpad.so.1 -o "$t/pad/lib/libpad.so.1" "$t/pad.c" &&
        "$cc" -o "$t/pad/bin/app" "$t/padapp.c" -L "$t/pad/lib" -l:libpad.so.1 \
            -Wl,--enable-new-dtags,-rpath,'$ORIGIN/../lib' >"$t/padbuild" 2>&1 || fail "cannot build: $(cat "$t/padbuild")"
    (cd "$t/pad/bin" && MPIFT_TEST_BAD_HEADER=0 fakenodes_mpirun 3 "$stage" --module "$faults" --with-libs \
        --retries 0 --chunk-size 256K app "$FAKE_SCRATCH/perr") >"$t/log10" 2>&1 || rc=$?
    [ "$rc" != 0 ] && [ "$rc" != 124 ] || fail "a protocol error: exit $rc: $(cat "$t/log10")"
    for h in $FAKE_HOSTS; do
        grep -q "$h (rank [0-9]*): aborting the job" "$t/log10" || continue
        n=$((n + 1))
        [ ! -e "$FAKE_NODEDIR/$h/perr/app" ] ||
            fail "$h stopped on the error and keeps the program without its library: $(cat "$t/log10")"
        grep -q "$h (rank [0-9]*): app: removed from this node: its library app.libs/libpad.so.1 did not arrive" \
            "$t/log10" || fail "$h: no line says app was removed: $(cat "$t/log10")"
    done
    [ "$n" -gt 0 ] || fail "no rank stopped on the protocol error: $(cat "$t/log10")"
}
scenario "a run ended by a protocol error still settles: no node that stopped on it keeps the program" settle_on_error
# Python's result carries the same LD_LIBRARY_PATH (a library of this
# build, mpi4py on its MPI).
python_result() {
    local lib=$top_builddir/src/.libs/libmpift.so.0 san py
    after build
    [ "${MPIFT_PYTHON:-}" = yes ] && [ -n "${PYTHON:-}" ] || skip "no Python package in this build"
    # A sanitizer build's library needs its runtime loaded first (as python.sh does).
    san=$(ldd "$lib" | awk '$1 ~ /^lib(asan|ubsan)\.so/ { print $3 }' | paste -sd: -)
    py=("$PYTHON")
    [ -z "$san" ] || py=(env "LD_PRELOAD=$san" "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "$PYTHON")
    printf 'version = 1;\npaths: { source = "%s"; dest = "%s"; };\nstage_in = ( { src = "app"; libs = true; } );\n' \
        "$t/src/bin" "$FAKE_SCRATCH/py" >"$t/py.cfg"
    PYTHONPATH=$top_srcdir/python MPIFT_LIBRARY=$lib PYTHONDONTWRITEBYTECODE=1 fakenodes_mpirun 3 "${py[@]}" -c '
import sys
from mpi4py import MPI
import mpift
r = mpift.stage_in(sys.argv[1], MPI.COMM_WORLD, quiet=True)
if MPI.COMM_WORLD.rank == 0:
    print("ld:", r.ld_library_path)' "$t/py.cfg" >"$t/py.log" 2>&1 || fail "python stage_in: $(cat "$t/py.log")"
    grep -qF "ld: {'app': '$FAKE_SCRATCH/py/app.libs'}" "$t/py.log" || fail "Result.ld_library_path: $(cat "$t/py.log")"
}
scenario "Python's Result.ld_library_path names the program's folder" python_result
done_testing
