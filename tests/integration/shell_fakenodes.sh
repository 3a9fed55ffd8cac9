#!/bin/bash
# The master console across 3 fake nodes x 2 ranks: ranks shows the three
# hosts; send, relay (worker to worker, node to node), get and bcast put
# byte-exact files in the right node's private folder; a missing file is an
# error with nothing created; the job ends after quit, every rank with the
# session's exit status (1: a command failed).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" fakenodes=3x2 tree timeout=120
plan 9

n1=${fake_host[0]} n2=${fake_host[1]} n3=${fake_host[2]}
big=$t/src/tree/big.bin
cat >"$t/s.cfg" <<CFG
version = 1;
paths: { source = "$t/src/tree"; dest = "$FAKE_SCRATCH/%r"; collect = "$t/collect"; };
transfer: { chunk_size = "1M"; };
CFG

session() {
    local rc=0
    printf '%s\n' 'ranks' 'send big.bin 4' 'relay big.bin 4 3' 'get big.bin 3' 'send nosuch.dat 5' \
        'bcast "with space.dat"' 'quit' >"$t/in"
    MPIFT_STDIN=$t/in fakenodes_mpirun 6 "$stage" --config "$t/s.cfg" --shell >"$t/out" 2>"$t/err" || rc=$?
    [ "$rc" = 1 ] || fail "console across fake nodes with a failed send: exit $rc, expected 1: $(cat "$t/out" "$t/err")"
    grep -q "1 of 6 commands failed (exit status 1)" "$t/err" || fail "no account of the failed send: $(cat "$t/err")"
}
scenario "a console session across 3 fake nodes ends after quit, exit 1 for its failed send" session

# Each rank runs under sh, which writes the rank's own exit status to
# $t/rc/RANK, and mpirun waits for every rank (by default Open MPI's kills
# the others once one exits with a status other than 0; Hydra waits).
same_status() {
    local r wait=()
    mkdir -p "$t/rc"
    printf '%s\n' 'send nosuch.dat 5' 'ranks' >"$t/in.rc"
    [ "$(mpift_launcher)" = hydra ] || wait=(--mca orte_abort_on_non_zero_status 0)
    MPIFT_STDIN=$t/in.rc fakenodes_mpirun 6 "${wait[@]}" \
        sh -c '"$@"; rc=$?; echo $rc >"'"$t/rc"'/${OMPI_COMM_WORLD_RANK:-$PMI_RANK}"; exit $rc' \
        sh "$stage" --config "$t/s.cfg" --shell >"$t/out.rc" 2>"$t/err.rc"
    for r in 0 1 2 3 4 5; do
        [ "$(cat "$t/rc/$r" 2>/dev/null)" = 1 ] ||
            fail "rank $r exited with '$(cat "$t/rc/$r" 2>/dev/null)', expected 1 like rank 0: $(cat "$t/err.rc")"
    done
}
scenario "every rank exits with the session's status" same_status

ranks() {
    local h
    after session
    for h in $FAKE_HOSTS; do
        [ "$(grep -Ec "^ *[0-9]+ +$h +[0-9]+ +[0-9]+ +(master|worker)$" "$t/out")" = 2 ] || fail "ranks: expected 2 ranks on $h: $(cat "$t/out")"
    done
}
scenario "ranks shows 2 ranks on each of the three hosts" ranks

send() {
    after session
    cmp -s "$big" "$FAKE_NODEDIR/$n3/4/big.bin" || fail "send big.bin 4: not on $n3"
}
scenario "send puts a byte-exact copy in the worker's node folder" send

relay() {
    after session
    cmp -s "$big" "$FAKE_NODEDIR/$n2/3/big.bin" || fail "relay 4 -> 3: not on $n2"
}
scenario "relay copies worker to worker, node to node, byte-exact" relay

get() {
    after session
    cmp -s "$big" "$t/collect/big.bin" || fail "get big.bin 3: not in collect"
}
scenario "get brings a worker's file into collect, byte-exact" get

missing_file() {
    after session
    grep -q "send nosuch.dat -> rank 5 ($n3): failed: .*nosuch.dat: No such file or directory" "$t/err" ||
        fail "missing file not reported: $(cat "$t/err")"
    [ ! -e "$FAKE_NODEDIR/$n3/5/nosuch.dat" ] || fail "a missing file was created"
}
scenario "a missing file is an error naming rank and host, with nothing created" missing_file

# bcast: one copy per node, in each node leader's root (ranks 0, 2, 4).
bcast() {
    after session
    cmp -s "$t/src/tree/with space.dat" "$FAKE_NODEDIR/$n1/0/with space.dat" || fail "bcast: not on $n1"
    cmp -s "$t/src/tree/with space.dat" "$FAKE_NODEDIR/$n2/2/with space.dat" || fail "bcast: not on $n2"
    cmp -s "$t/src/tree/with space.dat" "$FAKE_NODEDIR/$n3/4/with space.dat" || fail "bcast: not on $n3"
}
scenario "bcast puts one copy per node in each node leader's root" bcast

real_scratch() {
    after session
    [ -z "$(ls -A "$FAKE_SCRATCH")" ] || fail "something was written to the real scratch folder"
}
scenario "nothing is written to the real scratch folder" real_scratch
done_testing
