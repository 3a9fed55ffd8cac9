#!/bin/bash
# The master console across 3 fake nodes x 2 ranks: ranks shows the three
# hosts; send, relay (worker to worker, node to node), get and bcast put
# byte-exact files in the right node's private folder; a missing file is an
# error with nothing created; the job ends after quit.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/fakenodes.sh"
. "$top_srcdir/tests/lib/stage.sh"
need_fakenodes
MPIFT_TEST_TIMEOUT=${MPIFT_TEST_TIMEOUT:-120}

stage_setup
fakenodes_setup 3 2
set -- $FAKE_HOSTS
n1=$1 n2=$2 n3=$3
cat >"$t/s.cfg" <<CFG
version = 1;
paths: { source = "$t/src/tree"; dest = "$FAKE_SCRATCH/%r"; collect = "$t/collect"; };
transfer: { chunk_size = "1M"; };
CFG
printf '%s\n' 'ranks' 'send big.bin 4' 'relay big.bin 4 3' 'get big.bin 3' 'send nosuch.dat 5' \
    'bcast "with space.dat"' 'quit' >"$t/in"
MPIFT_STDIN=$t/in fakenodes_mpirun 6 "$stage" --config "$t/s.cfg" --shell >"$t/out" 2>"$t/err" ||
    fail "console across fake nodes failed: $(cat "$t/out" "$t/err")"
for h in $FAKE_HOSTS; do
    [ "$(grep -Ec "^ *[0-9]+ +$h +[0-9]+ +[0-9]+ +(master|worker)$" "$t/out")" = 2 ] || fail "ranks: expected 2 ranks on $h: $(cat "$t/out")"
done
big=$t/src/tree/big.bin
cmp -s "$big" "$FAKE_NODEDIR/$n3/4/big.bin" || fail "send big.bin 4: not on $n3"
cmp -s "$big" "$FAKE_NODEDIR/$n2/3/big.bin" || fail "relay 4 -> 3: not on $n2"
cmp -s "$big" "$t/collect/big.bin" || fail "get big.bin 3: not in collect"
grep -q "send nosuch.dat -> rank 5 ($n3): failed: .*nosuch.dat: No such file or directory" "$t/err" ||
    fail "missing file not reported: $(cat "$t/err")"
[ ! -e "$FAKE_NODEDIR/$n3/5/nosuch.dat" ] || fail "a missing file was created"
# bcast: one copy per node, in each node leader's root (ranks 0, 2, 4).
cmp -s "$t/src/tree/with space.dat" "$FAKE_NODEDIR/$n1/0/with space.dat" || fail "bcast: not on $n1"
cmp -s "$t/src/tree/with space.dat" "$FAKE_NODEDIR/$n2/2/with space.dat" || fail "bcast: not on $n2"
cmp -s "$t/src/tree/with space.dat" "$FAKE_NODEDIR/$n3/4/with space.dat" || fail "bcast: not on $n3"
[ -z "$(ls -A "$FAKE_SCRATCH")" ] || fail "something was written to the real scratch folder"
pass
