#!/bin/bash
# The master console (--shell) on 4 local ranks, each worker with its own
# root (dest = ".../%r"), driven by a script on standard input: send, get,
# relay, bcast, ls, ranks; byte-exact files in the right roots; a missing
# file, a bad rank, an escaping path and a malformed command each get one
# message and create nothing; the job ends after quit and at end of input,
# with exit 0 only when every command succeeded (1 and a count otherwise).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" mpirun tree timeout=120
plan 17

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
session() {
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
    cp "$t/out" "$t/session.out"
    [ ! -s "$t/err" ] || fail "errors in a clean session: $(cat "$t/err")"
    ! grep -q "master>" "$t/out" || fail "prompt printed although stdin is a pipe: $(cat "$t/out")"
}
scenario "a scripted console session of good commands exits 0, with no error and no prompt on a pipe" session

session_ranks() {
    local r
    after session
    for r in 0 1 2 3; do
        grep -Eq "^ +$r +[^ ]+ +0 +$r " "$t/session.out" || fail "ranks: no line for rank $r: $(cat "$t/session.out")"
    done
}
scenario "ranks lists every rank" session_ranks

session_send() {
    after session
    cmp -s "$t/src/tree/worker_1.log" "$t/dest/2/worker_1.log" || fail "send worker_1.log 2: copy differs"
    cmp -s "$t/src/tree/with space.dat" "$t/dest/1/with space.dat" || fail "send with a quoted name: copy differs"
    cmp -s "$t/src/tree/big.bin" "$t/dest/3/big.bin" || fail "send big.bin 3: copy differs"
    cmp -s "$t/src/tree/a/b/c/deep.txt" "$t/dest/1/a/b/c/deep.txt" || fail "send of a nested file: copy differs"
}
scenario "send puts byte-exact files in the worker's root (quoted, big and nested names)" session_send

session_get_relay() {
    after session
    cmp -s "$t/src/tree/worker_1.log" "$t/collect/worker_1.log" || fail "get: copy in collect differs"
    cmp -s "$t/src/tree/big.bin" "$t/dest/1/big.bin" || fail "relay 3 -> 1: copy differs"
}
scenario "get copies into collect, relay copies worker to worker, byte-exact" session_get_relay

session_ls() {
    after session
    grep -q "^ *$(stat -c %s "$t/src/tree/big.bin")  big.bin$" "$t/session.out" || fail "ls 1 does not list big.bin: $(cat "$t/session.out")"
    grep -q "^rank 1 (.*) $t/dest/1:$" "$t/session.out" || fail "ls 1 does not name rank 1's own root: $(cat "$t/session.out")"
}
scenario "ls lists a worker's files under its own root" session_ls

session_quit() {
    after session
    [ ! -e "$t/dest/2/big.bin" ] || fail "a command after quit was run"
    no_temporaries "temporary files left behind" "$t/dest" "$t/collect"
}
scenario "nothing after quit runs, and no temporary file is left" session_quit

# A script whose transfers all fail: exit 1, and the account says so.
failing() {
    local rc=0
    shell 'send nope.txt 1
get nope.txt 2' || rc=$?
    [ "$rc" = 1 ] || fail "a session of failed transfers: exit $rc, expected 1: $(cat "$t/out" "$t/err")"
    grep -q "2 of 2 commands failed (exit status 1)" "$t/err" || fail "no account of the failures: $(cat "$t/err")"
}
scenario "a scripted session whose transfers fail exits 1 and counts them" failing

# Errors: each gets one message naming the cause, nothing is created, the
# console goes on (the last send still works), and end of input ends the
# job with exit 1: a line refused counts as a failed command.
errors() {
    local rc=0
    shell 'send nosuch.dat 1
get nosuch.dat 2
relay "données-é.txt" 1 2
send ../../etc/passwd 1
send big.bin 9
send big.bin 0
send big.bin
launch big.bin 1
send "unterminated 1
send "données-é.txt" 2' || rc=$?
    [ "$rc" = 1 ] || fail "console with errors: exit $rc, expected 1: $(cat "$t/out" "$t/err")"
    cp "$t/err" "$t/errors.err"
}
scenario "a session of failing commands ends at end of input with exit 1" errors

expect_err() {
    grep -q -- "$1" "$t/errors.err" || fail "no message '$1': $(cat "$t/errors.err")"
}
error_messages() {
    after errors
    expect_err "send nosuch.dat -> rank 1 (.*): failed: .*/nosuch.dat: No such file or directory"
    expect_err "get nosuch.dat <- rank 2 (.*): failed: .*/dest/2/nosuch.dat: No such file or directory"
    expect_err "relay données-é.txt: rank 1 (.*) -> rank 2 (.*): failed: .*données-é.txt: No such file or directory"
    expect_err '".." in "../../etc/passwd" would leave its root'
    expect_err "RANK 9 is out of range: workers are 1..3"
    expect_err "RANK 0 is the master"
    expect_err "usage: send FILE RANK"
    expect_err 'unknown command "launch"'
    expect_err "unterminated \" quote"
    expect_err "9 of 10 commands failed (exit status 1)"
    # (mpirun adds its own lines about the exit status)
    [ "$(grep -c "^mpift-stage: " "$t/errors.err")" = 10 ] ||
        fail "expected one line per error and the count, got: $(cat "$t/errors.err")"
}
scenario "each failing command gets one line naming its cause, and the last line counts them" error_messages

errors_create_nothing() {
    after errors
    [ ! -e "$t/dest/1/nosuch.dat" ] && [ ! -e "$t/collect/nosuch.dat" ] && [ ! -e "$t/dest/2/données-é.txt.tmp" ] ||
        fail "a failed command created a file"
    no_temporaries "temporary files left behind" "$t/dest" "$t/collect"
}
scenario "a failed command creates nothing and leaves no temporary file" errors_create_nothing

errors_go_on() {
    after errors
    cmp -s "$t/src/tree/données-é.txt" "$t/dest/2/données-é.txt" || fail "the console did not go on after errors"
}
scenario "the console goes on after errors (the last send lands)" errors_go_on

# bcast: every node (here one) gets the file in its dest root.
bcast() {
    rm -rf "$t/dest"
    shell 'bcast a/b/b.dat' || fail "bcast failed: $(cat "$t/out" "$t/err")"
    cmp -s "$t/src/tree/a/b/b.dat" "$t/dest/0/a/b/b.dat" || fail "bcast: copy differs"
    grep -q "1 copies written" "$t/err" "$t/out" || fail "bcast: no summary: $(cat "$t/out" "$t/err")"
}
scenario "bcast puts the file in each node's dest root and sums up" bcast

# get without paths.collect: explained, nothing moves, the console goes on.
# (The scenarios after this one run without paths.collect.)
no_collect() {
    local rc=0
    sed -i 's/ collect = "[^"]*";//' "$t/s.cfg"
    shell 'get worker_1.log 2
ranks' || rc=$?
    [ "$rc" = 1 ] || fail "console with a refused get: exit $rc, expected 1: $(cat "$t/out" "$t/err")"
    grep -q -- "paths.collect is not set" "$t/err" || fail "no message 'paths.collect is not set': $(cat "$t/err")"
    grep -q "master" "$t/out" || fail "the console stopped after a refused get"
}
scenario "get without paths.collect is explained and the console goes on" no_collect

# --progress always: a byte meter for transfers the master takes part in
# (the clean session above shows there is none on a pipe by default).
send_meter() {
    local size
    shell 'send big.bin 2' --progress always || fail "console with --progress failed: $(cat "$t/out" "$t/err")"
    size=$(stat -c %s "$t/src/tree/big.bin")
    grep -q "100%  $(awk -v s="$size" 'BEGIN { printf "%.1f/%.1f", s / 1e6, s / 1e6 }') MB  .* MB/s  ETA .*  1/1 files" "$t/err" ||
        fail "no byte meter for send: $(tr '\r' '\n' <"$t/err")"
}
scenario "--progress always draws a byte meter for a send" send_meter

# On a terminal (script(1) gives mpirun one) the prompt is shown.
# on_terminal COMMANDS OPTION...: the console on 2 ranks on a pty, output in $t/tty
on_terminal() {
    command -v script >/dev/null || skip "no script(1) to give mpirun a terminal"
    printf '%b' "$1" >"$t/in"
    shift
    MPIFT_STDIN=$t/in _mpift_timed script -qec "$(mpift_mpirun_line -n 2 "$stage" --config "$t/s.cfg" --shell) $*" /dev/null \
        >"$t/tty" 2>&1
}
prompt() {
    on_terminal 'ranks\nquit\n' || fail "console on a terminal failed: $(cat "$t/tty")"
    grep -q "master> " "$t/tty" || fail "no prompt on a terminal: $(cat "$t/tty")"
}
scenario "on a terminal the prompt is shown" prompt

# On one terminal the master's errors share stdout with its replies
# (mpirun keeps no order between a rank's two streams), so each shows
# right after its command; and a failed send draws no "100%".
terminal_order() {
    local a b c d rc=0
    on_terminal 'send nope.txt 1\nranks\nsend nope2.txt 1\nhelp\nquit\n' --progress always || rc=$?
    [ "$rc" = 1 ] || fail "console with errors on a terminal: exit $rc, expected 1: $(cat "$t/tty")"
    tr '\r' '\n' <"$t/tty" >"$t/tty.lines"
    at() { grep -n -m 1 -- "$1" "$t/tty.lines" | cut -d: -f1; }
    a=$(at "nope.txt -> rank 1 .*: failed") b=$(at " rank  host  ") c=$(at "nope2.txt -> rank 1 .*: failed") d=$(at "ranks  *list ranks")
    [ -n "$a" ] && [ -n "$b" ] && [ -n "$c" ] && [ -n "$d" ] && [ "$a" -lt "$b" ] && [ "$b" -lt "$c" ] && [ "$c" -lt "$d" ] ||
        fail "console output out of order (lines $a $b $c $d): $(cat -v "$t/tty")"
    cp "$t/tty" "$t/order.tty"
}
scenario "on a terminal each error shows right after its command, in order with the replies" terminal_order

no_full_bar() {
    after terminal_order
    ! grep -q "100%" "$t/order.tty" || fail "a failed send drew a full bar: $(cat -v "$t/order.tty")"
}
scenario "a failed send draws no full bar" no_full_bar
done_testing
