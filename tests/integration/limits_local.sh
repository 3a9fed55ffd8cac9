#!/bin/bash
# Permissions and limits on 2 local ranks.  A folder still to be made
# below a read-only folder is refused by preflight (exit 1) before
# anything moves.  A file larger than the ranks' file size limit (ulimit
# -f in the job's environment) fails alone, named with the limit (exit
# 1): the other files are complete, no temporary file is left, no rank
# dies of SIGXFSZ.  An ordinary user (made with useradd for the test)
# stages a tree with read-only (0555) folders, preserve = true, twice:
# both runs succeed and the folders keep their modes.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" mpirun tree timeout=120
plan 5

# ------------------------------------------------------------ read-only parent
read_only_parent() {
    local rc=0
    mkdir -p "$t/dest/ro"
    mount --bind "$t/dest/ro" "$t/dest/ro" 2>/dev/null || skip "cannot bind-mount here (not root?)"
    if ! mount -o remount,bind,ro "$t/dest/ro" 2>/dev/null; then
        umount "$t/dest/ro"
        skip "cannot remount a bind mount read-only"
    fi
    write_cfg "$t/ro.cfg" "$t/src" "$t/dest" "" \
        '{ src = "tree/one.bin"; dest = "top/"; }, { src = "tree/a/"; dest = "ro/new/"; recursive = true; }'
    mpift_mpirun -n 2 "$stage" --config "$t/ro.cfg" >"$t/log" 2>"$t/err" || rc=$?
    umount "$t/dest/ro"
    [ "$rc" = 1 ] || fail "a folder to make below a read-only one: exit $rc, expected 1: $(cat "$t/log" "$t/err")"
    grep -q "(rank 0): [^ ]*: cannot create folder $t/dest/ro/new: $t/dest/ro is not writable (Read-only file system): nothing was sent; fix its permissions or point paths.dest elsewhere" "$t/err" ||
        fail "the read-only parent is not named: $(cat "$t/err")"
    [ -z "$(find "$t/dest" -mindepth 1 ! -path "$t/dest/ro")" ] || fail "something was written: $(find "$t/dest" -mindepth 1)"
}
scenario "a folder to be made below a read-only folder is refused before anything moves (exit 1)" read_only_parent

# ------------------------------------------------------------ RLIMIT_FSIZE
# 4 MiB: big.bin (5 MiB) is over it, every other file of the tree under.
cat >"$t/f.cfg" <<CFG
version = 1;
paths: { source = "$t/src"; dest = "$t/fdest/%r"; };
transfer: { chunk_size = "256K"; };
workers: { copies = "per-rank"; };
stage_in = ( { src = "tree/"; dest = ""; recursive = true; } );
CFG
over_fsize() {
    local rc=0 ucx=()
    # MPICH over UCX keeps its shared memory in files of 4 MiB under
    # /dev/shm, which the limit would refuse (MPI_Init fails): SysV shared
    # memory instead, which no file size limit applies to.
    [ "$(mpift_launcher)" = openmpi ] || ucx=(env 'UCX_TLS=^posix')
    # The ranks' limit only (mpirun's own PMIx server needs more).
    mpift_mpirun -n 2 "${ucx[@]}" bash -c 'ulimit -f 4096 && exec "$0" "$@"' "$stage" --config "$t/f.cfg" >"$t/log" 2>"$t/err" ||
        rc=$?
    [ "$rc" = 1 ] || fail "a file over ulimit -f: exit $rc, expected 1: $(cat "$t/log" "$t/err")"
    for r in 0 1; do
        grep -q "(rank $r): $t/fdest/$r/big.bin: larger than this rank's file size limit (ulimit -f: 4194304 bytes): File too large; raise the limit where the job starts (ulimit -f unlimited)" "$t/err" ||
            fail "rank $r's failure is not explained: $(cat "$t/err")"
    done
    expect_summary "$t/log" $((2 * (nfiles - 1))) 0 2
    cp "$t/err" "$t/fsize.err"
}
scenario "a file over the ranks' ulimit -f fails alone, named with the limit (exit 1)" over_fsize

over_fsize_rest() {
    local r f
    after over_fsize
    for r in 0 1; do
        [ ! -e "$t/fdest/$r/big.bin" ] || fail "rank $r: big.bin stands at its final path"
        while IFS= read -r -d '' f; do
            [ "$f" = ./big.bin ] && continue
            cmp -s "$t/src/tree/$f" "$t/fdest/$r/$f" || fail "rank $r: $f is not complete"
        done < <(cd "$t/src/tree" && find . -type f -print0)
    done
    no_temporaries "temporary files left" "$t/fdest"
}
scenario "the other files are complete on every rank and no temporary file is left" over_fsize_rest

# ------------------------------------------------------------ an ordinary user
user=mpiftt$$
make_user() {
    command -v useradd >/dev/null && command -v userdel >/dev/null && command -v runuser >/dev/null ||
        skip "no useradd, userdel or runuser"
    [ "$(id -u)" = 0 ] || skip "creating a user needs root"
    if ! id "$user" >/dev/null 2>&1; then
        useradd -M -N -s /bin/sh "$user" 2>/dev/null || skip "useradd refused"
        at_exit userdel "$user"
    fi
    chmod 0755 "$t"
    mkdir -p "$t/usrc/ro/sub" "$t/udest"
    printf 'x\n' >"$t/usrc/ro/x.txt"
    printf 'y\n' >"$t/usrc/ro/sub/y.txt"
    chmod 0555 "$t/usrc/ro/sub" "$t/usrc/ro"
    chown "$user" "$t/udest"
    cat >"$t/u.cfg" <<CFG
version = 1;
paths: { source = "$t/usrc"; dest = "$t/udest"; };
stage_in = ( { src = "ro"; dest = ""; recursive = true; preserve = true; } );
CFG
}

# as_user CFG LOG: the stage-in of CFG as $user on 2 local ranks.
as_user() {
    local _mpift_opts _mpift_job_label="as $user: mpirun -n 2 $stage --config $1"
    _mpift_mpirun_opts
    (cd "$t" && _mpift_timed runuser -u "$user" -- env HOME="$t" "$MPIRUN" "${_mpift_opts[@]}" -n 2 "$stage" \
        --config "$1") >"$2" 2>&1
}

read_only_folders() {
    local d
    make_user
    as_user "$t/u.cfg" "$t/log" || fail "first run as $user: $(cat "$t/log")"
    # A new file in a read-only folder: the re-run must write into it.
    chmod u+w "$t/usrc/ro/sub" && printf 'new\n' >"$t/usrc/ro/sub/z.txt" && chmod 0555 "$t/usrc/ro/sub"
    as_user "$t/u.cfg" "$t/log" || fail "second run as $user: $(cat "$t/log")"
    expect_summary "$t/log" 1 2 0
    for d in ro ro/sub; do
        [ "$(stat -c %a "$t/udest/$d")" = 555 ] || fail "$d: mode $(stat -c %a "$t/udest/$d"), expected 555"
    done
    compare_tree "$t/usrc/ro" "$t/udest/ro" || fail "the copy differs from the source"
}
scenario "an ordinary user stages read-only folders with preserve = true, twice: exit 0, modes kept" read_only_folders

# A folder of someone else's, read-only to the user: preflight refuses a
# folder to be made in it.
not_theirs() {
    make_user
    mkdir -p "$t/udest/locked"
    chmod 0555 "$t/udest/locked"
    sed 's|{ src = "ro"; dest = ""; recursive = true; preserve = true; }|{ src = "ro/x.txt"; dest = "locked/new/"; }|' \
        "$t/u.cfg" >"$t/u2.cfg"
    ! as_user "$t/u2.cfg" "$t/log" || fail "a folder to make in a folder not the user's: exit 0: $(cat "$t/log")"
    grep -q "cannot create folder $t/udest/locked/new: $t/udest/locked is not writable (Permission denied): nothing was sent" "$t/log" ||
        fail "the refusal is not explained: $(cat "$t/log")"
    [ -z "$(find "$t/udest/locked" -mindepth 1)" ] || fail "something was made in it"
}
scenario "as an ordinary user, a folder to be made in someone else's read-only folder is refused" not_theirs
done_testing
