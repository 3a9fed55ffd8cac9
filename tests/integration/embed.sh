#!/bin/bash
# Embedding, on 4 local ranks: examples/stage_inputs stages its own inputs
# after MPI_Init with mpift.h, reads them from the node-local copy, and
# gathers its results with stage-out; examples/hook_host loads the module
# by path through the hook table, as a job launcher does, and stages; it
# refuses a module of another ABI (exit 3).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" mpirun tree timeout=120
app=$top_builddir/examples/stage_inputs
host=$top_builddir/examples/hook_host
module=$top_builddir/src/.libs/mpift.so
[ -x "$app" ] && [ -x "$host" ] || fail "build the examples first (make check does)"
plan 4

cat >"$t/e.cfg" <<CFG
version = 1;
paths: { source = "$t/src"; dest = "$t/node"; collect = "$t/collect"; };
stage_in = ( { src = "tree/"; dest = ""; recursive = true; } );
stage_out = ( { src = "out/*.txt"; dest = "results/"; } );
CFG
app_stages() {
    mpift_mpirun -n 4 "$app" "$t/e.cfg" >"$t/out" 2>"$t/err" || fail "stage_inputs: $(cat "$t/out" "$t/err")"
    cp "$t/out" "$t/app.out"
    # The node's copy, without the results the ranks wrote beside it.
    cp -r "$t/node" "$t/cmp" && rm -rf "$t/cmp/out"
    compare_tree "$t/src/tree" "$t/cmp" || fail "stage_inputs: the staged copy differs"
}
scenario "an application stages its inputs after MPI_Init through mpift.h, byte-exact" app_stages

app_reads_and_gathers() {
    local bytes r
    after app_stages
    bytes=$(find "$t/src/tree" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
    for r in 0 1 2 3; do
        grep -q "^rank $r: $nfiles staged files, $bytes bytes, in $t/node$" "$t/app.out" || fail "rank $r did not read the inputs: $(cat "$t/app.out")"
        grep -q "^rank $r saw $nfiles files, $bytes bytes$" "$t/collect/results/rank-$r.txt" ||
            fail "rank $r's result was not gathered: $(ls -R "$t/collect" 2>&1)"
    done
}
scenario "every rank reads the staged inputs, and stage-out gathers each rank's result" app_reads_and_gathers

hook_host_stages() {
    rm -rf "$t/node"
    mpift_mpirun -n 4 "$host" "$module" "$t/e.cfg" >"$t/out" 2>"$t/err" || fail "hook_host: $(cat "$t/out" "$t/err")"
    compare_tree "$t/src/tree" "$t/node" || fail "hook_host: the staged copy differs"
    expect_summary "$t/out" "$nfiles" 0 0
}
scenario "a launcher loading the module through the hook table stages byte-exact" hook_host_stages

hook_host_foreign() {
    local rc=0
    "$host" "$top_builddir/tests/.libs/fake_module.so" "$t/e.cfg" >"$t/out" 2>&1 || rc=$?
    [ "$rc" = 3 ] || fail "hook_host with a foreign module: exit $rc, expected 3: $(cat "$t/out")"
    grep -q "not an mpift module of ABI" "$t/out" || fail "foreign module not explained: $(cat "$t/out")"
}
scenario "the hook table refuses a module of another ABI (exit 3)" hook_host_foreign
done_testing
