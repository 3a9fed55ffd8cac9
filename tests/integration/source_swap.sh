#!/bin/bash
# Sources swapped between planning and sending, across 2 fake nodes: rank
# 0 stops once its plan is made (MPIFT_TEST_PAUSE_AFTER_PLAN, with
# MPIFT_TEST_PAUSE_FILE as the signal) and the test replaces a small file
# (sent in a batch) by a symbolic link to a root-only file outside
# paths.source, a folder by a link to a folder outside, and a big file
# (streamed) by a FIFO.  Each of them fails with its own message, nothing
# from outside paths.source reaches any node, the FIFO is refused at once
# instead of blocking, the other files arrive, exit 1.  The console's send
# and get of a FIFO each get one error line and the console goes on.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" fakenodes=2x1 timeout=120
plan 4

mkdir -p "$t/src/data/sub" "$t/outside/sub"
printf 'a small file\n' >"$t/src/data/small.txt"
head -c $((1024 * 1024)) /dev/urandom >"$t/src/data/big.bin"
head -c 300000 /dev/urandom >"$t/src/data/sub/inner.bin"
printf 'stays\n' >"$t/src/data/ok.dat"
printf 'TOPSECRET-mpift\n' >"$t/outside/secret"
chmod 0600 "$t/outside/secret"
head -c 300000 /dev/zero | tr '\0' 'O' >"$t/outside/sub/inner.bin"
cat >"$t/w.cfg" <<CFG
version = 1;
paths: { source = "$t/src"; dest = "$FAKE_SCRATCH/stage"; collect = "$t/collect"; };
transfer: { chunk_size = "64K"; window = 2; };
stage_in = ( { src = "data/"; dest = ""; recursive = true; } );
CFG

swapped() {
    local pid rc=0
    rm -f "$t/pause"
    MPIFT_TEST_PAUSE_AFTER_PLAN=60 MPIFT_TEST_PAUSE_FILE=$t/pause \
        fakenodes_mpirun 2 "$stage" --module "$faults" --config "$t/w.cfg" >"$t/log" 2>"$t/err" &
    pid=$!
    if wait_paused "$pid" "$t/pause"; then
        (
            cd "$t/src/data" &&
                rm small.txt && ln -s "$t/outside/secret" small.txt &&
                mv sub sub.orig && ln -s "$t/outside/sub" sub &&
                rm big.bin && mkfifo big.bin
        ) || fail "could not swap the sources"
        rm -f "$t/pause"
        : >"$t/swapped"
    fi
    wait "$pid" || rc=$?
    [ -e "$t/swapped" ] || fail "rank 0 never paused after planning (exit $rc): $(cat "$t/log" "$t/err")"
    [ "$rc" != 124 ] || fail "the job hung on the FIFO: $(cat "$t/log" "$t/err")"
    [ "$rc" = 1 ] || fail "swapped sources: exit $rc, expected 1: $(cat "$t/log" "$t/err")"
    cp "$t/err" "$t/swap.err"
}
scenario "sources swapped after planning fail (exit 1), without hanging on a FIFO" swapped

swapped_messages() {
    after swapped
    grep -q "mpift-node1 (rank 0): $t/src/data/small.txt: changed since planning: replaced by a symbolic link: not followed (it could lead outside $t/src)" "$t/swap.err" ||
        fail "the link is not named: $(cat "$t/swap.err")"
    grep -q "$t/src/data/sub/inner.bin: a symbolic link on its path leads away from $t/src: refused" "$t/swap.err" ||
        fail "the linked folder is not named: $(cat "$t/swap.err")"
    grep -q "$t/src/data/big.bin: changed since planning: replaced by a FIFO: not a regular file, not read" "$t/swap.err" ||
        fail "the FIFO is not named: $(cat "$t/swap.err")"
}
scenario "each swapped source is named with what it became" swapped_messages

nothing_outside() {
    local h
    after swapped
    for h in $FAKE_HOSTS; do
        ! grep -rqs TOPSECRET "$FAKE_NODEDIR/$h" || fail "$h: the file outside paths.source was published"
        ! grep -rqs OOOOOOOO "$FAKE_NODEDIR/$h" || fail "$h: a file from the folder outside was published"
        for f in small.txt big.bin sub/inner.bin; do
            [ ! -e "$FAKE_NODEDIR/$h/stage/$f" ] || fail "$h: $f was written"
        done
        cmp -s "$t/src/data/ok.dat" "$FAKE_NODEDIR/$h/stage/ok.dat" || fail "$h: the untouched file did not arrive"
    done
    no_temporaries "temporary files left" "$FAKE_NODEDIR"
}
scenario "nothing outside paths.source reaches a node; the other files arrive" nothing_outside

# The console: the master sends a FIFO under paths.source, a worker sends
# one under its dest root ("get"); each is one error line, and the send
# after them lands.
console_fifo() {
    local rc=0
    mkfifo "$t/src/pipe"
    mkdir -p "$FAKE_NODEDIR/${fake_host[1]}/stage"
    mkfifo "$FAKE_NODEDIR/${fake_host[1]}/stage/wpipe"
    printf 'send pipe 1\nget wpipe 1\nsend data/ok.dat 1\nquit\n' >"$t/in"
    MPIFT_STDIN=$t/in fakenodes_mpirun 2 "$stage" --config "$t/w.cfg" --shell >"$t/out" 2>"$t/err" || rc=$?
    [ "$rc" != 124 ] || fail "the console hung on a FIFO: $(cat "$t/out" "$t/err")"
    grep -q "send pipe -> rank 1 (mpift-node2): failed: $t/src/pipe: is a FIFO: not a regular file, not read" "$t/err" ||
        fail "send of a FIFO: $(cat "$t/out" "$t/err")"
    grep -q "get wpipe <- rank 1 (mpift-node2): failed: .*/wpipe: is a FIFO: not a regular file, not read" "$t/err" ||
        fail "get of a FIFO: $(cat "$t/out" "$t/err")"
    cmp -s "$t/src/data/ok.dat" "$FAKE_NODEDIR/${fake_host[1]}/stage/data/ok.dat" ||
        fail "the console did not go on after the FIFOs: $(cat "$t/out" "$t/err")"
    [ ! -e "$t/collect/wpipe" ] || fail "get of a FIFO created something in collect"
}
scenario "the console's send and get of a FIFO each fail with one line, and the console goes on" console_fifo
done_testing
