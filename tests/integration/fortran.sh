#!/bin/bash
# The Fortran module (src/fortran/mpift.f90) through its example,
# examples/stage_f90, on 3 local ranks: the sample data (conf/stage.cfg)
# staged byte-exact, one copy per node or one per rank, the staged copy
# read back from Fortran; a configuration error ends the program with
# mpift's status, its text from mpift_strerror and exit status 2; the
# module's status constants are mpift.h's; a set holding a NUL byte is
# refused on every rank.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" mpirun timeout=120
[ "${MPIFT_FORTRAN:-}" = yes ] || skip "no Fortran module in this build (configure: this MPI's Fortran compiler, mpifort)"
example=$top_builddir/examples/stage_f90
[ -x "$example" ] || fail "build $example first (make check does)"
plan 7

cfg=$top_srcdir/conf/stage.cfg
data=$top_srcdir/conf/data
mkdir -p "$t/want/inputs" && cp "$data"/inputs/*.dat "$t/want/inputs/" && cp -r "$data/ref" "$t/want/" ||
    fail "cannot copy the sample data"

per_node() {
    local r
    mpift_mpirun -n 3 "$example" "$cfg" "paths.dest=$t/node" >"$t/out" 2>"$t/err" || fail "stage_f90: exit $? $(cat "$t/out" "$t/err")"
    compare_tree "$t/want" "$t/node" || fail "the node's copy differs from the sample data"
    for r in 0 1 2; do
        grep -qxF "rank $r: staged into $t/node, inputs/mesh.dat has 40000 bytes" "$t/out" || fail "rank $r: $(cat "$t/out")"
        # mpift_result: the run's totals, the same on every rank.
        grep -qxF "rank $r: 7 files, 7 copies in place" "$t/out" || fail "rank $r's result: $(cat "$t/out")"
    done
    [ ! -s "$t/err" ] || fail "messages on a clean, quiet run: $(cat "$t/err")"
}
scenario "stage_f90 stages conf/stage.cfg's sample data on 3 ranks, one copy per node, byte-exact" per_node

per_rank() {
    local r
    mpift_mpirun -n 3 "$example" "$cfg" "paths.dest=$t/rank/%r" workers.copies=per-rank "" >"$t/out" 2>"$t/err" ||
        fail "stage_f90: exit $? $(cat "$t/out" "$t/err")"
    for r in 0 1 2; do
        compare_tree "$t/want" "$t/rank/$r" || fail "rank $r's copy differs from the sample data"
        grep -qxF "rank $r: staged into $t/rank/$r, inputs/mesh.dat has 40000 bytes" "$t/out" || fail "rank $r: $(cat "$t/out")"
    done
}
scenario "with workers.copies=per-rank (a --set from Fortran) each of 3 ranks gets its own copy" per_rank

# bad WANT_RC WANT_STATUS ARGS...: stage_f90 fails with that exit status
# and names mpift's status with its text and name.
bad() {
    local want_rc=$1 want=$2 rc=0
    shift 2
    mpift_mpirun -n 2 "$example" "$@" >"$t/out" 2>"$t/err" || rc=$?
    [ "$rc" = "$want_rc" ] || fail "exit $rc, not $want_rc: $(cat "$t/out" "$t/err")"
    grep -qF "stage_f90: mpift status $want" "$t/err" || fail "no 'mpift status $want' from rank 0: $(cat "$t/err")"
    [ ! -e "$t/bad" ] || fail "files staged despite the error"
}
out_of_range() {
    bad 2 "-13 (value out of range, MPIFT_ERR_RANGE)" "$cfg" "paths.dest=$t/bad" transfer.window=0
    grep -q "transfer.window=0: 0 is out of range" "$t/err" || fail "the cause is not named: $(cat "$t/err")"
}
scenario "transfer.window=0: exit 2, 'mpift status -13 (value out of range, MPIFT_ERR_RANGE)' and the cause" out_of_range

no_config() {
    bad 2 "-2 (configuration error, MPIFT_ERR_CONFIG)" "$t/nosuch.cfg" "paths.dest=$t/bad"
    grep -q "nosuch.cfg" "$t/err" || fail "the file is not named: $(cat "$t/err")"
}
scenario "a configuration that is not there: exit 2, 'mpift status -2 (configuration error, MPIFT_ERR_CONFIG)' naming it" no_config

# A set holding a NUL byte, on rank 1 only: C would read it cut short
# (a harmless paths.dest) and stage; refused on every rank, nothing staged.
nul_set() {
    local r nul=$top_builddir/tests/api/nul_f90
    [ -x "$nul" ] || fail "build $nul first (make check does)"
    mpift_mpirun -n 3 "$nul" "$cfg" "$t/nul" >"$t/out" 2>"$t/err" || fail "nul_f90: exit $? $(cat "$t/out" "$t/err")"
    for r in 0 1 2; do
        grep -qxF "rank $r: status -1" "$t/out" || fail "rank $r: not a usage error: $(cat "$t/out" "$t/err")"
    done
    grep -q "a set given to mpift_open holds a NUL byte: refused" "$t/err" || fail "the cause is not named: $(cat "$t/err")"
    [ ! -e "$t/nul" ] || fail "files staged despite the NUL: $(find "$t/nul")"
}
scenario "a set with a NUL byte on one rank (Fortran): a usage error on every rank, named, nothing staged" nul_set

# The NUL in rank 1's configuration path: refused alike, before any file
# is looked for (no "configuration error" naming a file).
nul_config() {
    local r nul=$top_builddir/tests/api/nul_f90
    mpift_mpirun -n 3 "$nul" "$cfg" "$t/nulc" config >"$t/out" 2>"$t/err" || fail "nul_f90: exit $? $(cat "$t/out" "$t/err")"
    for r in 0 1 2; do
        grep -qxF "rank $r: status -1" "$t/out" || fail "rank $r: not a usage error: $(cat "$t/out" "$t/err")"
    done
    grep -q "config given to mpift_open holds a NUL byte: refused" "$t/err" || fail "the cause is not named: $(cat "$t/err")"
    ! grep -q "configuration error\|cannot read\|No such file" "$t/err" || fail "a file was looked for: $(cat "$t/err")"
    [ ! -e "$t/nulc" ] || fail "files staged despite the NUL: $(find "$t/nulc")"
}
scenario "a configuration path with a NUL byte on one rank (Fortran): a usage error on every rank, no file loaded" nul_config

# The module's MPIFT_* constants are mpift.h's status codes, all of them,
# written from the C table when the module is built (mpift_status.inc),
# none typed into mpift.f90 by hand.
status_codes() {
    local h f inc=$top_builddir/src/fortran/mpift_status.inc
    [ -f "$inc" ] || fail "no $inc: the module's constants are not generated from mpift.h"
    h=$(sed -n 's/^ *XX(\([A-Z_]*\), \(-\{0,1\}[0-9]*\),.*/MPIFT_\1 \2/p' "$top_srcdir/include/mpift/mpift.h" | sort)
    f=$(grep -o 'MPIFT_[A-Z_]* = -\{0,1\}[0-9]*' "$inc" | sed 's/ = / /' | sort)
    [ "$(wc -l <<<"$h")" -gt 10 ] || fail "no status codes read from mpift.h"
    [ "$h" = "$f" ] || fail "mpift_status.inc's constants differ from mpift.h: $(diff <(echo "$h") <(echo "$f"))"
    ! grep -n 'MPIFT_ERR_[A-Z_]* *= *-\{0,1\}[0-9]' "$top_srcdir/src/fortran/mpift.f90" ||
        fail "mpift.f90 types status codes by hand"
}
scenario "the module's MPIFT_* constants are mpift.h's status codes, generated from its table" status_codes

done_testing
