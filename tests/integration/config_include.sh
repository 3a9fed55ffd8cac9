#!/bin/bash
# @include across 2 fake nodes x 2 ranks: the configuration lies in each
# node's own folder, so every node has its own included file.  Rank 0
# reads its node's files and splices them in before sharing the text, so
# an included file that differs on another node, or is missing there,
# changes nothing: every rank runs rank 0's configuration (exit 0, rank
# 0's files).  One missing on rank 0's node is an error naming it (exit
# 2), never a hang; so is a rank that alone refuses the text it received
# (MPIFT_TEST_CONFIG_FAIL).  Without MPI (--check): nested includes resolve
# beside the main file, and an error in an included file names that file
# and line.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" fakenodes=2x2 timeout=60
plan 7

n1=${fake_host[0]} n2=${fake_host[1]}
mkdir -p "$t/src"
head -c 3000000 /dev/urandom >"$t/src/a.dat"
head -c 1000 /dev/urandom >"$t/src/b.dat"

# The same main file on both nodes; files.cfg beside it, per node.
for h in "$n1" "$n2"; do
    cat >"$FAKE_NODEDIR/$h/job.cfg" <<CFG
version = 1;
paths: { source = "$t/src"; dest = "$FAKE_SCRATCH/stage"; };
@include "files.cfg"   # what to stage, and how
CFG
done
# files NODE CHUNK SRC DEST: that node's files.cfg
files() {
    cat >"$FAKE_NODEDIR/$1/files.cfg" <<CFG
transfer: { chunk_size = "$2"; };
stage_in = ( { src = "$3"; dest = "$4"; } );
CFG
}

# run: stage in on the 4 ranks with the node-local job.cfg; $rc its exit status.
run() {
    rc=0
    fakenodes_clear stage
    fakenodes_mpirun 4 "$stage" --config "$FAKE_SCRATCH/job.cfg" >"$t/log" 2>"$t/err" || rc=$?
}

# As rank 0's include says: a.dat in in/ on both nodes, nothing else.
rank0s_files() {
    [ "$rc" = 0 ] || fail "exit $rc, expected 0 (rank 0's configuration everywhere): $(cat "$t/log" "$t/err")"
    cmp -s "$t/src/a.dat" "$FAKE_NODEDIR/$n1/stage/in/a.dat" || fail "$n1 lacks in/a.dat"
    cmp -s "$t/src/a.dat" "$FAKE_NODEDIR/$n2/stage/in/a.dat" || fail "$n2 lacks in/a.dat"
    [ -z "$(find "$FAKE_NODEDIR" -path '*/stage/other*')" ] || fail "another node's include was used: $(find "$FAKE_NODEDIR" -path '*/stage/*')"
}

differs() {
    files "$n1" 1M a.dat in/
    files "$n2" 64K b.dat other/
    run
    rank0s_files
}
scenario "an @include that differs on another node: every rank runs rank 0's (exit 0, its files)" differs

missing_elsewhere() {
    files "$n1" 1M a.dat in/
    rm -f "$FAKE_NODEDIR/$n2/files.cfg"
    run
    rank0s_files
}
scenario "an @include missing on another node: every rank runs rank 0's (exit 0, its files)" missing_elsewhere

missing_on_rank0() {
    rm -f "$FAKE_NODEDIR/$n1/files.cfg"
    files "$n2" 1M a.dat in/
    run
    [ "$rc" = 2 ] || fail "exit $rc, expected 2: $(cat "$t/log" "$t/err")"
    grep -q "job.cfg:3: @include \"files.cfg\": cannot read $FAKE_SCRATCH/files.cfg: No such file or directory" "$t/err" ||
        fail "the missing include is not named: $(cat "$t/err")"
    [ "$(grep -c "files.cfg" "$t/err")" = 1 ] || fail "said more than once: $(cat "$t/err")"
    [ -z "$(find "$FAKE_NODEDIR" -path '*/stage/*')" ] || fail "files were written: $(find "$FAKE_NODEDIR" -path '*/stage/*')"
}
scenario "an @include missing on rank 0's node: exit 2 naming it, no hang, nothing written" missing_on_rank0

# Rank 3 alone fails to load what it received: it says so, every rank stops.
one_rank_fails() {
    files "$n1" 1M a.dat in/
    rc=0
    fakenodes_clear stage
    MPIFT_TEST_CONFIG_FAIL=3 fakenodes_mpirun 4 "$stage" --module "$faults" --config "$FAKE_SCRATCH/job.cfg" \
        >"$t/log" 2>"$t/err" || rc=$?
    [ "$rc" = 2 ] || fail "exit $rc, expected 2 (no hang): $(cat "$t/log" "$t/err")"
    grep -q "$n2 (rank 3): .*job.cfg: refused on this rank alone" "$t/err" || fail "rank 3 does not say why: $(cat "$t/err")"
    [ -z "$(find "$FAKE_NODEDIR" -path '*/stage/*')" ] || fail "files were written: $(find "$FAKE_NODEDIR" -path '*/stage/*')"
}
scenario "a rank that alone cannot load the text it received says why and every rank stops (exit 2)" one_rank_fails

# Without MPI: includes nest, relative names resolve beside the main file.
mkdir -p "$t/chk/common"
cat >"$t/chk/main.cfg" <<CFG
version = 1;
paths: { source = "src"; dest = "/tmp/x"; };
@include "common/lists.cfg"
CFG
cat >"$t/chk/common/lists.cfg" <<CFG
stage_in = ( { src = "a.dat"; dest = ""; } );
@include "common/transfer.cfg"
CFG
printf 'transfer: {\n  window = 0;\n};\n' >"$t/chk/common/transfer.cfg"
check() {
    rc=0
    "$stage" --config "$1" --check >"$t/log" 2>"$t/err" || rc=$?
}
nested_error() {
    check "$t/chk/main.cfg"
    [ "$rc" = 2 ] || fail "exit $rc, expected 2: $(cat "$t/log" "$t/err")"
    grep -q "common/transfer.cfg:2: transfer.window: 0 is out of range" "$t/err" ||
        fail "the included file and its line are not named: $(cat "$t/err")"
}
scenario "an error in a nested @include names that file and its line" nested_error

nested_ok() {
    printf 'transfer: {\n  window = 2;\n};\n' >"$t/chk/common/transfer.cfg"
    check "$t/chk/main.cfg"
    [ "$rc" = 0 ] || fail "nested includes: exit $rc, expected 0: $(cat "$t/log" "$t/err")"
}
scenario "nested @includes resolve beside the main file and validate" nested_ok

missing_local() {
    printf '@include "nope.cfg"\n' >>"$t/chk/common/lists.cfg"
    check "$t/chk/main.cfg"
    [ "$rc" = 2 ] || fail "exit $rc, expected 2: $(cat "$t/log" "$t/err")"
    grep -q "common/lists.cfg:3: @include \"nope.cfg\": cannot read $t/chk/nope.cfg: No such file or directory" "$t/err" ||
        fail "the missing include is not named with the line including it: $(cat "$t/err")"
}
scenario "a missing @include is named with the file and line that include it" missing_local
done_testing
