#!/bin/bash
# Resume (docs/resume.md).  2 fake nodes x 1 slot, a 40 MiB file in
# 256 KiB chunks: rank 1 is killed after 140 chunks (MPIFT_TEST_KILL),
# which leaves its temporary and a record claiming the first 32 MiB
# (MPIFT_RECORD_EVERY).  The next run of the same plan sends only what is
# missing (--report: wire_bytes about 8 MiB, resumed_bytes 32 MiB), and
# every copy equals its source.  Hostile: the temporary's bytes changed
# (that chunk is sent again), its record changed or cut short, the
# temporary cut short, the source changed between the runs, a link
# planted where the temporary goes (not followed), a kill during the
# resume itself; with transfer.compress none and auto, striped or not.
# A sparse file resumed (its hole extent keeps what the temporary holds;
# resumed_bytes counted by the writers); two runs that write one file
# under one resume temporary name never rename each other's into place.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" fakenodes=2x1 python3 timeout=600
plan 18

MiB=$((1024 * 1024))
mkdir -p "$t/src"
head -c $((40 * MiB)) /dev/urandom >"$t/src/big.bin"
n1=$FAKE_NODEDIR/${fake_host[1]}

cfg() {
    cat >"$t/r.cfg" <<CFG
version = 1;
paths: { source = "$t/src"; dest = "$FAKE_SCRATCH/r"; source_shared = "${2:-auto}"; };
transfer: { chunk_size = "256K"; window = 8; compress = "${1:-none}"; retries = 1; };
stage_in = ( { src = "big.bin"; dest = ""; } );
CFG
}

# killed [AT]: a fresh start; rank 1 killed after AT chunks (140).  What
# a kill leaves (each node's r/: the temporary and its record) is kept in
# $t/killed.KEY, KEY of the config, AT and the source's size, mtime and
# ctime; a later scenario of the same KEY has it copied back (cp -a) in
# place of another killed job: the record names the source's version and
# each chunk's hash, not the temporary's inode, so the copy resumes as the
# kill's own would.
killed() {
    local rc=0 h snap
    snap=$t/killed.$( { cat "$t/r.cfg"; echo "${1:-140}"; stat -c '%s %y %z' "$t/src/big.bin"; } | md5sum | cut -c1-12)
    fakenodes_clear r
    if [ -d "$snap" ]; then
        for h in $FAKE_HOSTS; do
            [ ! -d "$snap/$h/r" ] || cp -a "$snap/$h/r" "$FAKE_NODEDIR/$h/" || fail "cannot restore $snap/$h/r"
        done
    else
        MPIFT_TEST_KILL=1:${1:-140} fakenodes_mpirun 2 "$stage" --module "$faults" --config "$t/r.cfg" \
            >"$t/log" 2>&1 || rc=$?
        [ "$rc" != 0 ] || fail "a killed rank did not fail the job: $(cat "$t/log")"
    fi
    [ -n "$(find "$n1" -name '.mpift-*-resume-r1.tmp')" ] || fail "no resume temporary left: $(ls -la "$n1/r")"
    [ -n "$(find "$n1" -name '.mpift-*-record-r1.tmp')" ] || fail "no record left: $(ls -la "$n1/r")"
    [ -d "$snap" ] && return 0
    for h in $FAKE_HOSTS; do
        mkdir -p "$snap.part/$h" && { [ ! -d "$FAKE_NODEDIR/$h/r" ] || cp -a "$FAKE_NODEDIR/$h/r" "$snap.part/$h/"; } ||
            { rm -rf "$snap.part"; return 0; }
    done
    mv "$snap.part" "$snap"
}

tmpfile() { find "$n1" -name ".mpift-*-$1-r1.tmp"; }

# rerun: the same plan again, report in $t/rep.json
rerun() {
    rm -f "$t/rep.json"
    fakenodes_mpirun 2 "$stage" --module "$faults" --config "$t/r.cfg" --report "$t/rep.json" --verbose \
        >"$t/log" 2>&1 || fail "the re-run failed: $(cat "$t/log")"
    cmp "$t/src/big.bin" "$n1/r/big.bin" || fail "the copy on ${fake_host[1]} differs"
    cmp "$t/src/big.bin" "$FAKE_NODEDIR/${fake_host[0]}/r/big.bin" || fail "the copy on ${fake_host[0]} differs"
    no_temporaries "temporaries left" "$FAKE_NODEDIR"
    check_report "$t/rep.json"
}

# field NAME: the report's total
field() {
    /usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["totals"][sys.argv[2]])' \
        "$t/rep.json" "$1"
}

# expect LO HI NAME: LO <= total NAME <= HI (bytes)
expect() {
    local v
    v=$(field "$3")
    [ "$v" -ge "$1" ] && [ "$v" -le "$2" ] || fail "$3 = $v, expected $1..$2: $(cat "$t/log")"
}

resumed() {
    cfg "$1"
    killed
    rerun
    expect $((32 * MiB)) $((32 * MiB)) resumed_bytes
    expect $((8 * MiB)) $((9 * MiB)) wire_bytes
}
scenario "killed at 140 of 160 chunks, re-run: 8 of 40 MiB on the wire, 32 MiB resumed" resumed none
scenario "the same with transfer.compress auto" resumed auto
scenario "the same striped (source_shared = \"yes\"): a file a writer holds part of goes from rank 0" resumed none yes

tampered_bytes() {
    cfg
    killed
    printf 'XXXX' | dd of="$(tmpfile resume)" bs=1 seek=$((5 * 256 * 1024 + 7)) conv=notrunc status=none
    rerun
    expect $((32 * MiB - 256 * 1024)) $((32 * MiB - 256 * 1024)) resumed_bytes
    expect $((8 * MiB + 256 * 1024)) $((9 * MiB + 256 * 1024)) wire_bytes
}
scenario "a resume temporary's bytes changed: that chunk is sent again, the copy is right" tampered_bytes

tampered_record() {
    local how rec b
    cfg
    for how in byte cut; do
        killed
        if [ "$how" = byte ]; then
            # flipped, not set: a set byte equal to the old left it unaltered 1 time in 256
            rec=$(tmpfile record)
            b=$(od -An -tu1 -j100 -N1 "$rec")
            printf "\\$(printf '%03o' $((b ^ 255)))" | dd of="$rec" bs=1 seek=100 conv=notrunc status=none
        else
            truncate -s -5 "$(tmpfile record)"
        fi
        rerun
        expect 0 0 resumed_bytes
        expect $((40 * MiB)) $((41 * MiB)) wire_bytes
        grep -q "was not resumed: its record is cut short or altered" "$t/log" || fail "$how: not said: $(cat "$t/log")"
    done
}
scenario "a record altered or cut short: the temporary is discarded, the file sent whole" tampered_record

truncated() {
    cfg
    killed
    truncate -s $((10 * MiB)) "$(tmpfile resume)"
    rerun
    expect $((10 * MiB)) $((10 * MiB)) resumed_bytes
    expect $((30 * MiB)) $((31 * MiB)) wire_bytes
}
scenario "a resume temporary cut short: only what it still holds is taken" truncated

planted_link() {
    local tmp
    cfg
    killed
    tmp=$(tmpfile resume)
    rm -f "$tmp" "$(tmpfile record)"
    echo "not yours" >"$t/victim"
    ln -s "$t/victim" "$tmp"
    ln -s "$t/victim" "${tmp/-resume-/-record-}"
    rerun
    [ "$(cat "$t/victim")" = "not yours" ] || fail "a planted link was followed"
    expect 0 0 resumed_bytes
}
scenario "links planted where the temporary and its record go: not followed" planted_link

killed_again() {
    cfg
    killed
    # The resume itself killed after 150 chunks (what it took counts).
    rm -f "$t/rep.json"
    MPIFT_TEST_KILL=1:150 fakenodes_mpirun 2 "$stage" --module "$faults" --config "$t/r.cfg" >"$t/log" 2>&1 &&
        fail "the second kill did not fail the job"
    rerun
    expect $((32 * MiB)) $((40 * MiB)) resumed_bytes
    expect 0 $((9 * MiB)) wire_bytes
}
scenario "killed again while it resumes: the next run still resumes" killed_again

source_changed() {
    cfg
    killed
    touch -d '2001-01-01' "$t/src/big.bin"
    rerun
    expect 0 0 resumed_bytes
    expect $((40 * MiB)) $((41 * MiB)) wire_bytes
    grep -q "was not resumed: it is of another version of the source" "$t/log" || fail "not said: $(cat "$t/log")"
}
scenario "the source changed between the runs (mtime): the temporary is discarded" source_changed

delta() {
    cfg
    fakenodes_clear r
    fakenodes_mpirun 2 "$stage" --config "$t/r.cfg" >"$t/log" 2>&1 || fail "first stage: $(cat "$t/log")"
    # One chunk rewritten in place, a new mtime.
    head -c 1000 /dev/urandom | dd of="$t/src/big.bin" bs=1 seek=$((77 * 256 * 1024 + 5)) conv=notrunc status=none
    rerun
    expect $((40 * MiB - 256 * 1024)) $((40 * MiB - 256 * 1024)) delta_saved_bytes
    expect $((256 * 1024)) $((256 * 1024 + 4096)) wire_bytes
    # transfer.delta = "no": whole.
    head -c 1000 /dev/urandom | dd of="$t/src/big.bin" bs=1 seek=5 conv=notrunc status=none
    sed -i 's/retries = 1;/retries = 1; delta = "no";/' "$t/r.cfg"
    rerun
    expect 0 0 delta_saved_bytes
    expect $((40 * MiB)) $((41 * MiB)) wire_bytes
}
scenario "delta: one chunk changed in place, only it is sent; delta = \"no\" sends it whole" delta

# A sparse source (2 MiB punched at 2 MiB: chunks 8-15, a hole extent):
# the extent, passed before the held chunks past it, must not cut the
# resumed temporary short (every KEEP frame after it then failed, and
# the file went again whole), and the record covers the extent's chunks.
sparse_resumed() {
    cfg none "$1"
    fallocate -p -o $((2 * MiB)) -l $((2 * MiB)) "$t/src/big.bin"
    killed
    rerun
    ! grep -q "dropped" "$t/log" || fail "a resumed copy was dropped: $(cat "$t/log")"
    expect $((30 * MiB)) $((32 * MiB)) resumed_bytes
    expect $((6 * MiB)) $((10 * MiB)) wire_bytes
}
scenario "a sparse file killed (not striped), re-run: the hole extent keeps what the temporary holds" sparse_resumed no
scenario "the same, the first run striped (source_shared = \"yes\")" sparse_resumed yes

# Two runs into one folder that the registry of roots cannot keep apart
# (run B's registry unusable: a folder others may write, in a mount
# namespace of its own; each run then holds only its own root's lock):
# A into D writes D/sub/big.bin, stops at its chunk 10; B into D/sub
# writes the same file, stops at its chunk 5; A ends, then B.  The
# resume temporary's name is the same for both: B must not unlink A's
# live one, and A must never rename B's half-written file onto the final
# path.  Both end well and the copy is whole.
two_runs_one_name() {
    local pa=$t/pause_a pb=$t/pause_b pid_a pid_b rc_a=0 rc_b=0
    command -v unshare >/dev/null || skip "no unshare"
    mkdir -p -m 0700 /run/mpift
    mkdir -p "$t/D/sub"
    rm -f "$pa" "$pb" "$t/D/sub/big.bin"
    printf 'version = 1;\npaths: { source = "%s/src"; dest = "%s/D"; };\n%s\n%s\n' "$t" "$t" \
        'transfer: { chunk_size = "256K"; window = 2; retries = 0; };' \
        'stage_in = ( { src = "big.bin"; dest = "sub/"; } );' >"$t/a.cfg"
    printf 'version = 1;\npaths: { source = "%s/src"; dest = "%s/D/sub"; };\n%s\n%s\n' "$t" "$t" \
        'transfer: { chunk_size = "256K"; window = 2; retries = 0; };' \
        'stage_in = ( { src = "big.bin"; dest = ""; } );' >"$t/b.cfg"
    MPIFT_TEST_PAUSE=0:10:120 MPIFT_TEST_PAUSE_FILE=$pa \
        mpift_mpirun -n 2 "$stage" --module "$faults" --config "$t/a.cfg" >"$t/a.log" 2>&1 &
    pid_a=$!
    wait_paused "$pid_a" "$pa" || fail "run A never paused: $(cat "$t/a.log")"
    # (_mpift_timed: the environment mpift_mpirun gives its jobs.)
    MPIFT_TEST_PAUSE=0:5:120 MPIFT_TEST_PAUSE_FILE=$pb _mpift_timed unshare -m sh -c \
        "mount -t tmpfs -o mode=0777 none /run/mpift && exec $(mpift_mpirun_line -n 2 "$stage" --module "$faults" \
        --config "$t/b.cfg")" >"$t/b.log" 2>&1 &
    pid_b=$!
    if ! wait_paused "$pid_b" "$pb"; then
        rm -f "$pa"
        wait "$pid_a"
        ! grep -q "another mpift run is writing into" "$t/b.log" || skip "run B's registry (not /run/mpift) kept it out"
        fail "run B never paused: $(cat "$t/b.log")"
    fi
    grep -q "going on with this root's own lock only" "$t/b.log" || {
        rm -f "$pa" "$pb"; wait "$pid_a" "$pid_b"; skip "run B's registry was usable: $(cat "$t/b.log")"; }
    rm -f "$pa"
    wait "$pid_a" || rc_a=$?
    cmp -s "$t/src/big.bin" "$t/D/sub/big.bin" || {
        rm -f "$pb"; wait "$pid_b"; fail "run A (exit $rc_a) left another run's partial file at the final path"; }
    rm -f "$pb"
    wait "$pid_b" || rc_b=$?
    [ "$rc_a/$rc_b" = 0/0 ] || fail "exits $rc_a/$rc_b, expected 0/0: A: $(cat "$t/a.log") B: $(cat "$t/b.log")"
    cmp -s "$t/src/big.bin" "$t/D/sub/big.bin" || fail "the copy is not whole after both runs"
    no_temporaries "temporaries left" "$t/D"
}
scenario "two runs, one resume temporary name: neither takes the other's" two_runs_one_name
# The source cut to 20 MiB in place (same inode) after rank 0 planned it
# at 40 MiB and before it is sent (MPIFT_TEST_PAUSE_AFTER_PLAN): rank 1
# found its resume base (128 chunks held) for the plan's 160-chunk
# version, and METADATA says 80.  The base is of another version: not
# used (its 128 hashes once went into a record sized for 80), the file
# comes whole and every copy is the 20 MiB source.  Last: it cuts the
# source the scenarios above share (a new dense one first).
shrunk_before_send() {
    local pid rc=0
    head -c $((40 * MiB)) /dev/urandom >"$t/src/big.bin"
    cfg
    killed
    rm -f "$t/pause" "$t/rep.json"
    MPIFT_TEST_PAUSE_AFTER_PLAN=60 MPIFT_TEST_PAUSE_FILE=$t/pause fakenodes_mpirun 2 "$stage" --module "$faults" \
        --config "$t/r.cfg" --report "$t/rep.json" --verbose >"$t/log" 2>&1 &
    pid=$!
    wait_paused "$pid" "$t/pause" || { wait "$pid"; fail "rank 0 never paused after its plan: $(cat "$t/log")"; }
    truncate -s $((20 * MiB)) "$t/src/big.bin"
    rm -f "$t/pause"
    wait "$pid" || rc=$?
    [ "$rc" = 0 ] || fail "exit $rc, expected 0: $(cat "$t/log")"
    ! grep -qiE "AddressSanitizer|heap-buffer-overflow|malloc\(\)|free\(\)|corrupted" "$t/log" ||
        fail "memory corrupted: $(cat "$t/log")"
    cmp "$t/src/big.bin" "$n1/r/big.bin" || fail "the copy on ${fake_host[1]} differs"
    cmp "$t/src/big.bin" "$FAKE_NODEDIR/${fake_host[0]}/r/big.bin" || fail "the copy on ${fake_host[0]} differs"
    no_temporaries "temporaries left" "$FAKE_NODEDIR"
    check_report "$t/rep.json"
    expect 0 0 resumed_bytes
    expect $((20 * MiB)) $((21 * MiB)) wire_bytes
    grep -q "big.bin: the source changed since what this node holds of it was found (now $((20 * MiB)) bytes)" \
        "$t/log" || fail "not said: $(cat "$t/log")"
}
# xxh3 NAME: the XXH3-64 of NAME, as the resume names hold it (engine/base.c)
xxh3() {
    /usr/bin/python3 -c 'import ctypes, sys
x = ctypes.CDLL("libxxhash.so.0")
x.XXH3_64bits.restype = ctypes.c_uint64
x.XXH3_64bits.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
b = sys.argv[1].encode()
print("%016x" % x.XXH3_64bits(b, len(b)))' "$1"
}

# The file goes into a folder of the dest every user may write, sticky
# (mode 1777, a shared folder as /tmp is; a dest root so is refused), and
# rank 1's resume temporary name for it, which anyone can tell from the
# file's name, is held by another user's (nobody's) entry.  Root, which
# runs these tests, may unlink another user's file there: a folder (which
# no unlink removes) stands for it.  The copy goes under a name of its
# own (said with --verbose), exit 0, the copy equal, that entry left.
squatted() {
    local sq rc=0
    cfg
    sed -i 's|dest = ""; }|dest = "shared/"; }|' "$t/r.cfg"
    fakenodes_clear r
    mkdir -p "$n1/r/shared" && chmod 1777 "$n1/r/shared"
    sq=$n1/r/shared/.mpift-$(xxh3 big.bin)-resume-r1.tmp
    mkdir "$sq" && echo "not yours" >"$sq/theirs" && chown -R nobody "$sq" || fail "cannot plant $sq"
    fakenodes_mpirun 2 "$stage" --config "$t/r.cfg" --verbose >"$t/log" 2>&1 || rc=$?
    [ "$rc" = 0 ] || fail "a squatted resume name: exit $rc, expected 0: $(cat "$t/log")"
    cmp "$t/src/big.bin" "$n1/r/shared/big.bin" || fail "the copy on ${fake_host[1]} differs"
    [ "$(cat "$sq/theirs")" = "not yours" ] || fail "the squatter's entry was touched"
    grep -q "big.bin: its resume temporary's name .* is held by a file this run cannot remove: written under a name of its own" \
        "$t/log" || fail "not said: $(cat "$t/log")"
    rm -rf "$sq"
    no_temporaries "temporaries left" "$FAKE_NODEDIR"
}
scenario "a resume temporary's name squatted in a sticky dest: the copy takes a name of its own" squatted

# Node 1's dest a 48 MiB tmpfs: the killed run's temporary holds about
# 35 MiB of it, 13 MiB are free.  The re-run needs 40 MiB less what the
# temporary holds: not refused ("needs 41.9 MB"), it resumes.  A new
# dense source (sparse_resumed punched a hole in the last).
room_resumed() {
    local rc=0
    head -c $((40 * MiB)) /dev/urandom >"$t/src/big.bin"
    cfg
    mount -t tmpfs -o size=48m mpift-test "$n1" 2>/dev/null || skip "cannot mount a tmpfs here"
    ( killed && rerun && expect $((32 * MiB)) $((32 * MiB)) resumed_bytes ) || rc=$?
    umount "$n1"
    [ "$rc" = 0 ] || fail "resumed on a node short of room for the whole file: see above"
}
scenario "a node with room for what its temporary lacks, not for the whole file: resumed" room_resumed

# MANY files of 16 MiB (6 MiB of data, a 10 MiB hole), staged, every
# source touched (a new mtime: "unchanged" fails, each is re-staged over
# its older version), then re-staged with `ulimit -n LIMIT`: LIMIT is
# fewer than the files, so a delta base that held a descriptor from its
# offer to its turn ran out (EMFILE: bases not found, sinks not created).
# With "cache": cache.dir set, a chunk of each source rewritten instead
# (a new key), and each delta base the cache's older entry, offered from
# its kept hashes and looked up again at its file's turn.
many_deltas() {
    local n=64 limit=64 i cache=
    [ "${1:-}" != cache ] || cache="cache: { dir = \"$FAKE_SCRATCH/mcache\"; };"
    mkdir -p "$t/many"
    for ((i = 0; i < n; i++)); do
        [ -e "$t/many/f$i.bin" ] && continue
        head -c $((6 * MiB)) /dev/urandom >"$t/many/f$i.bin"
        truncate -s $((16 * MiB)) "$t/many/f$i.bin"
    done
    cat >"$t/m.cfg" <<CFG
version = 1;
$cache
paths: { source = "$t/many"; dest = "$FAKE_SCRATCH/m"; };
transfer: { chunk_size = "256K"; window = 8; retries = 1; };
stage_in = ( { src = "*.bin"; dest = ""; } );
CFG
    fakenodes_clear m
    fakenodes_clear mcache
    fakenodes_mpirun 2 "$stage" --config "$t/m.cfg" >"$t/log" 2>&1 || fail "first stage: $(cat "$t/log")"
    if [ -n "$cache" ]; then
        for ((i = 0; i < n; i++)); do
            head -c 1000 /dev/urandom | dd of="$t/many/f$i.bin" bs=1 seek=$((MiB + 5)) conv=notrunc status=none
        done
    else
        touch "$t/many/"*.bin
    fi
    rm -f "$t/rep.json"
    (ulimit -n $limit && fakenodes_mpirun 2 "$stage" --config "$t/m.cfg" --report "$t/rep.json" --verbose) \
        >"$t/log" 2>&1 || fail "ulimit -n $limit, $n changed files: $(grep -vE "sent as they are|delta base:" "$t/log" | head -40)"
    ! grep -q "Too many open files" "$t/log" || fail "EMFILE: $(grep "Too many open files" "$t/log" | head -5)"
    [ -z "$cache" ] || log_lines $n "delta base: an older version in the node's cache, from its kept hashes (not read)"
    for ((i = 0; i < n; i++)); do
        cmp "$t/many/f$i.bin" "$n1/m/f$i.bin" || fail "f$i.bin differs on ${fake_host[1]}"
    done
    check_report "$t/rep.json"
    /usr/bin/python3 - "$t/rep.json" "$n" <<'PY' || fail "not every file took its delta: $(tail -30 "$t/log")"
import json, sys
files = json.load(open(sys.argv[1]))["files"]
none = [f["path"] for f in files if f["delta_saved_bytes"] <= 0]
assert len(files) == int(sys.argv[2]) and not none, f"{len(files)} files, none saved: {none}"
PY
}
scenario "64 large files changed, re-staged with ulimit -n 64: every one takes its delta, no EMFILE" many_deltas
scenario "the same with cache.dir, each file's base the cache's older entry" many_deltas cache

scenario "the source cut short between plan and send: the base of the planned version is not used" shrunk_before_send
done_testing
