#!/bin/bash
# The master console (--shell) on 4 local ranks, each worker with its own
# root (dest = ".../%r"), driven by a script on standard input: send, get,
# relay, bcast, ls, ranks; byte-exact files in the right roots; a missing
# file, a bad rank, an escaping path and a malformed command each get one
# message and create nothing; the job ends after quit and at end of input.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/stage.sh"
need_mpirun
MPIFT_TEST_TIMEOUT=${MPIFT_TEST_TIMEOUT:-120}

stage_setup
cat >"$t/s.cfg" <<CFG
version = 1;
paths: { source = "$t/src/tree"; dest = "$t/dest/%r"; collect = "$t/collect"; };
transfer: { chunk_size = "1M"; };
CFG

# shell SCRIPT: run the console on 4 ranks with SCRIPT on stdin.
shell() {
    printf '%s\n' "$1" >"$t/in"
    shift
    MPIFT_STDIN=$t/in mpift_mpirun -n 4 "$stage" --config "$t/s.cfg" --shell "$@" >"$t/out" 2>"$t/err"
}

printf 'from worker 2\n' >"$t/src/tree/worker_1.log"
shell 'ranks
send worker_1.log 2
send "with space.dat" 1
send big.bin 3
send a/b/c/deep.txt 1
get worker_1.log 2
relay big.bin 3 1
ls 1
quit
send big.bin 2' || fail "console session failed: $(cat "$t/out" "$t/err")"
[ ! -s "$t/err" ] || fail "errors in a clean session: $(cat "$t/err")"
grep -q "master>" "$t/out" && fail "prompt printed although stdin is a pipe: $(cat "$t/out")"
for r in 0 1 2 3; do
    grep -Eq "^ +$r +[^ ]+ +0 +$r " "$t/out" || fail "ranks: no line for rank $r: $(cat "$t/out")"
done
cmp -s "$t/src/tree/worker_1.log" "$t/dest/2/worker_1.log" || fail "send worker_1.log 2: copy differs"
cmp -s "$t/src/tree/with space.dat" "$t/dest/1/with space.dat" || fail "send with a quoted name: copy differs"
cmp -s "$t/src/tree/big.bin" "$t/dest/3/big.bin" || fail "send big.bin 3: copy differs"
cmp -s "$t/src/tree/a/b/c/deep.txt" "$t/dest/1/a/b/c/deep.txt" || fail "send of a nested file: copy differs"
cmp -s "$t/src/tree/worker_1.log" "$t/collect/worker_1.log" || fail "get: copy in collect differs"
cmp -s "$t/src/tree/big.bin" "$t/dest/1/big.bin" || fail "relay 3 -> 1: copy differs"
grep -q "^ *$(stat -c %s "$t/src/tree/big.bin")  big.bin$" "$t/out" || fail "ls 1 does not list big.bin: $(cat "$t/out")"
grep -q "^rank 1 (.*) $t/dest/1:$" "$t/out" || fail "ls 1 does not name rank 1's own root: $(cat "$t/out")"
[ ! -e "$t/dest/2/big.bin" ] || fail "a command after quit was run"
[ -z "$(find "$t/dest" "$t/collect" -name '.mpift-*')" ] || fail "temporary files left behind"

# Errors: each gets one message naming the cause, nothing is created, the
# console goes on (the last send still works), and end of input ends the job.
shell 'send nosuch.dat 1
get nosuch.dat 2
relay "données-é.txt" 1 2
send ../../etc/passwd 1
send big.bin 9
send big.bin 0
send big.bin
launch big.bin 1
send "unterminated 1
send "données-é.txt" 2' || fail "console with errors did not end cleanly: $(cat "$t/out" "$t/err")"
expect_err() {
    grep -q -- "$1" "$t/err" || fail "no message '$1': $(cat "$t/err")"
}
expect_err "send nosuch.dat -> rank 1 (.*): failed: .*/nosuch.dat: No such file or directory"
expect_err "get nosuch.dat <- rank 2 (.*): failed: .*/dest/2/nosuch.dat: No such file or directory"
expect_err "relay données-é.txt: rank 1 (.*) -> rank 2 (.*): failed: .*données-é.txt: No such file or directory"
expect_err '".." in "../../etc/passwd" would leave its root'
expect_err "RANK 9 is out of range: workers are 1..3"
expect_err "RANK 0 is the master"
expect_err "usage: send FILE RANK"
expect_err 'unknown command "launch"'
expect_err "unterminated \" quote"
[ "$(wc -l <"$t/err")" = 9 ] || fail "expected one line per error, got: $(cat "$t/err")"
[ ! -e "$t/dest/1/nosuch.dat" ] && [ ! -e "$t/collect/nosuch.dat" ] && [ ! -e "$t/dest/2/données-é.txt.tmp" ] ||
    fail "a failed command created a file"
cmp -s "$t/src/tree/données-é.txt" "$t/dest/2/données-é.txt" || fail "the console did not go on after errors"
[ -z "$(find "$t/dest" "$t/collect" -name '.mpift-*')" ] || fail "temporary files left behind"

# bcast: every node (here one) gets the file in its dest root.
rm -rf "$t/dest"
shell 'bcast a/b/b.dat' || fail "bcast failed: $(cat "$t/out" "$t/err")"
cmp -s "$t/src/tree/a/b/b.dat" "$t/dest/0/a/b/b.dat" || fail "bcast: copy differs"
grep -q "1 copies written" "$t/err" "$t/out" || fail "bcast: no summary: $(cat "$t/out" "$t/err")"

# get without paths.collect: explained, nothing moves, the console goes on.
sed -i 's/ collect = "[^"]*";//' "$t/s.cfg"
shell 'get worker_1.log 2
ranks' || fail "console without collect failed: $(cat "$t/out" "$t/err")"
expect_err "paths.collect is not set"
grep -q "master" "$t/out" || fail "the console stopped after a refused get"

# --progress always: a byte meter for transfers the master takes part in
# (the clean session above shows there is none on a pipe by default).
shell 'send big.bin 2
get big.bin 2' --progress always || fail "console with --progress failed: $(cat "$t/out" "$t/err")"
size=$(stat -c %s "$t/src/tree/big.bin")
grep -q "100%  $(awk -v s="$size" 'BEGIN { printf "%.1f/%.1f", s / 1e6, s / 1e6 }') MB  .* MB/s  ETA .*  1/1 files" "$t/err" ||
    fail "no byte meter for send: $(tr '\r' '\n' <"$t/err")"

# On a terminal (script(1) gives mpirun one) the prompt is shown.
if command -v script >/dev/null; then
    printf 'ranks\nquit\n' >"$t/in"
    MPIFT_STDIN=$t/in _mpift_timed script -qec "$MPIRUN --oversubscribe -n 2 $stage --config $t/s.cfg --shell" /dev/null \
        >"$t/tty" 2>&1 || fail "console on a terminal failed: $(cat "$t/tty")"
    grep -q "master> " "$t/tty" || fail "no prompt on a terminal: $(cat "$t/tty")"
    # On one terminal the master's errors share stdout with its replies
    # (mpirun keeps no order between a rank's two streams), so each shows
    # right after its command; and a failed send draws no "100%".
    printf 'send nope.txt 1\nranks\nsend nope2.txt 1\nhelp\nquit\n' >"$t/in"
    MPIFT_STDIN=$t/in _mpift_timed script -qec "$MPIRUN --oversubscribe -n 2 $stage --config $t/s.cfg --shell --progress always" /dev/null \
        >"$t/tty" 2>&1 || fail "console with errors on a terminal failed: $(cat "$t/tty")"
    tr '\r' '\n' <"$t/tty" >"$t/tty.lines"
    at() { grep -n -m 1 -- "$1" "$t/tty.lines" | cut -d: -f1; }
    a=$(at "nope.txt -> rank 1 .*: failed") b=$(at " rank  host  ") c=$(at "nope2.txt -> rank 1 .*: failed") d=$(at "ranks  *list ranks")
    [ -n "$a" ] && [ -n "$b" ] && [ -n "$c" ] && [ -n "$d" ] && [ "$a" -lt "$b" ] && [ "$b" -lt "$c" ] && [ "$c" -lt "$d" ] ||
        fail "console output out of order (lines $a $b $c $d): $(cat -v "$t/tty")"
    ! grep -q "100%" "$t/tty" || fail "a failed send drew a full bar: $(cat -v "$t/tty")"
fi
pass
