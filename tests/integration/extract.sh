#!/bin/bash
# Archives unpacked on arrival (extract = true, docs/extract.md) on 2 fake
# nodes: a tar (plain, gzip, zstd, xz) and a zip each land byte for byte as
# `tar x` (unzip for the zip) of the same archive unpacks it, modes, mtimes
# and links included, the archive itself gone; a re-run leaves every tree
# untouched (same inodes and mtimes); a changed archive replaces its tree
# whole.  Hostile archives, made with python3's tarfile and zipfile, are
# refused (exit 1) naming the archive and the member, and nothing lands
# outside the folder: absolute names, "..", links leading out, hard links
# to outside, a file written through a link the archive made, devices and
# FIFOs.  A tree larger than a node's 1 MiB tmpfs is refused at preflight
# before anything moves.  --extract and its refusals on the command line.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" fakenodes=2x1 python3 tree timeout=120
if ! grep -q '^#define HAVE_LIBARCHIVE 1' "$top_builddir/mpift_autoconf.h"; then
    plan 1
    no_libarchive() {   # a build --without-libarchive: a configuration error naming the package
        local rc=0
        printf 'version = 1;\npaths: { source = "%s"; dest = "/tmp/x"; };\nstage_in = ( { src = "a.tar"; extract = true; } );\n' \
            "$t" >"$t/n.cfg"
        "$stage" --check --config "$t/n.cfg" >"$t/log" 2>&1 || rc=$?
        [ "$rc" = 2 ] && grep -q 'stage_in\[0\]\.extract: this mpift was built without libarchive.*apt-get install libarchive-dev' "$t/log" ||
            fail "exit $rc: $(cat "$t/log")"
    }
    scenario "built without libarchive: extract = true is a configuration error naming libarchive-dev (exit 2)" no_libarchive
    done_testing
    exit
fi
command -v zstd >/dev/null && command -v xz >/dev/null && command -v unzip >/dev/null ||
    skip "needs zstd, xz and unzip to make and read the archives"
plan 9

# The tree of every archive: make_test_tree's, with what tar carries and
# a plain copy does not: links, a hard link, an empty and a read-only folder.
tree=$t/src/tree
# Archives of a few 64K chunks prove what a large one would: big.bin cut
# to 256 KiB + 13 spares xz and every copy some 5 MB of random data.
truncate -s $((256 * 1024 + 13)) "$tree/big.bin" || fail "cannot cut big.bin"
ln -s a/a.txt "$tree/link-to-a"
ln -s ../one.bin "$tree/a/up-link"
ln "$tree/odd.dat" "$tree/a/hard-odd.dat"
mkdir "$tree/empty" "$tree/ro" && printf 'in a read-only folder\n' >"$tree/ro/f.txt" && chmod 0555 "$tree/ro"
touch -d '2003-04-05 06:07:08' "$tree/a/b"
mkdir -p "$t/arc" "$t/ref" "$t/outside"
make_archives() {
    tar -C "$t/src" -cf "$t/arc/plain.tar" tree &&
        tar -C "$t/src" -czf "$t/arc/gz.tar.gz" tree &&
        tar -C "$t/src" -cf - tree | zstd -q -o "$t/arc/zst.tar.zst" &&
        tar -C "$t/src" -cJf "$t/arc/xz.tar.xz" tree &&
        (cd "$t/src" && /usr/bin/python3 - "$t/arc/zip.zip" <<'PY'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    for d, dirs, files in sorted(os.walk("tree")):
        dirs.sort()
        z.write(d)
        for f in sorted(files):
            if not os.path.islink(os.path.join(d, f)):
                z.write(os.path.join(d, f))
PY
        ) || fail "cannot make the archives"
}
make_archives
formats="plain gz zst xz zip"
arc() { case $1 in plain) echo plain.tar ;; gz) echo gz.tar.gz ;; zst) echo zst.tar.zst ;; xz) echo xz.tar.xz ;; zip) echo zip.zip ;; esac; }
# What tar x (unzip for the zip) makes of each archive.
unpack_refs() {
    local f
    rm -rf "$t/ref" && mkdir "$t/ref" || fail "cannot clear $t/ref"
    for f in $formats; do
        mkdir "$t/ref/$f"
        if [ "$f" = zip ]; then
            unzip -q "$t/arc/zip.zip" -d "$t/ref/zip" || fail "unzip failed"
        else
            tar -C "$t/ref/$f" -xf "$t/arc/$(arc "$f")" || fail "tar x $(arc "$f") failed"
        fi
    done
}
unpack_refs

list=
for f in $formats; do list="$list${list:+, }{ src = \"$(arc "$f")\"; extract = true; }"; done
cat >"$t/x.cfg" <<CFG
version = 1;
paths: { source = "$t/arc"; dest = "$FAKE_SCRATCH/stage"; };
transfer: { chunk_size = "64K"; };
stage_in = ( $list );
CFG

# Every path below A with its type, mode, size, mtime and link target
# (the folder itself left out: tar x does not set the one it unpacks in;
# a folder's size is the file system's).
meta() {
    (cd "$1" && LC_ALL=C find . -mindepth 1 \( -type d -printf '%P d %m %T@\n' \) -o \
        -printf '%P %y %m %s %n %T@ %l\n' | LC_ALL=C sort)
}

round_trip() {
    local h f d
    fakenodes_mpirun 2 "$stage" --config "$t/x.cfg" --report "$t/x.json" >"$t/log" 2>&1 || fail "stage: $(cat "$t/log")"
    expect_summary "$t/log" 10 0 0
    for h in $FAKE_HOSTS; do
        d=$FAKE_NODEDIR/$h/stage
        for f in $formats; do
            compare_tree "$t/ref/$f" "$d/$f" || fail "$h: $(arc "$f") did not unpack as tar x does"
            [ "$f" = zip ] || diff <(meta "$t/ref/$f") <(meta "$d/$f") >&2 ||
                fail "$h: $(arc "$f"): modes, mtimes or links differ from tar x's"
            [ ! -e "$d/$(arc "$f")" ] || fail "$h: the archive $(arc "$f") was left beside its folder"
        done
        no_temporaries "$h: temporaries left" "$d"
    done
    check_report "$t/x.json"
    # bytes: what the headers list, each regular file's content once (a
    # hard link's entry carries none).
    /usr/bin/python3 - "$t/x.json" "$(find "$tree" -type f | wc -l)" \
        "$(find "$tree" -type f -printf '%i %s\n' | sort -u | awk '{ n += $2 } END { print n }')" <<'PY' || fail "report: $(cat "$t/x.json")"
import json, sys
d = json.load(open(sys.argv[1]))
files = {f["path"]: f for f in d["files"]}
for name, folder in [("plain.tar", "plain"), ("zst.tar.zst", "zst"), ("xz.tar.xz", "xz")]:
    u = files[name]["unpacked"]
    assert u["folder"] == folder and u["files"] == int(sys.argv[2]) and u["bytes"] == int(sys.argv[3]), (u, sys.argv[3])
    assert all(c["status"] == "written" for c in files[name]["copies"]), files[name]
PY
}
scenario "tar, tar.gz, tar.zst, tar.xz and zip each unpack on both nodes as tar x (unzip) does, archive removed, --report counts" round_trip

# inode and mtime of every path: a re-run must touch none of them.
inodes() { (cd "$1" && LC_ALL=C find . -printf '%P %i %T@ %C@\n' | LC_ALL=C sort); }

rerun_untouched() {
    local h
    after round_trip
    for h in $FAKE_HOSTS; do inodes "$FAKE_NODEDIR/$h/stage" >"$t/before.$h"; done
    fakenodes_mpirun 2 "$stage" --config "$t/x.cfg" >"$t/log" 2>&1 || fail "re-run: $(cat "$t/log")"
    expect_summary "$t/log" 0 10 0
    for h in $FAKE_HOSTS; do
        diff "$t/before.$h" <(inodes "$FAKE_NODEDIR/$h/stage") >&2 || fail "$h: the re-run touched the unpacked trees"
    done
}
scenario "a re-run with the same archives leaves every unpacked tree untouched (inodes, mtimes, ctimes)" rerun_untouched

changed_replaced() {
    local h
    after rerun_untouched
    printf 'new in version 2\n' >"$tree/added.txt"
    printf 'changed\n' >"$tree/a/a.txt"
    rm "$tree/page-1.bin"
    rm "$t/arc/zst.tar.zst" && tar -C "$t/src" -cf - tree | zstd -q -o "$t/arc/zst.tar.zst" || fail "cannot remake"
    mkdir -p "$t/ref2" && tar -C "$t/ref2" -xf "$t/arc/zst.tar.zst" || fail "tar x of the new archive failed"
    # What a run killed while unpacking leaves: swept by this one, which holds the root.
    for h in $FAKE_HOSTS; do
        mkdir -p "$FAKE_NODEDIR/$h/stage/.zst.mpift-0123456789abcdef.tmp/tree/ro" &&
            : >"$FAKE_NODEDIR/$h/stage/.zst.mpift-0123456789abcdef.tmp/tree/ro/f" &&
            chmod 0555 "$FAKE_NODEDIR/$h/stage/.zst.mpift-0123456789abcdef.tmp/tree/ro" || fail "cannot plant"
    done
    fakenodes_mpirun 2 "$stage" --config "$t/x.cfg" >"$t/log" 2>&1 || fail "changed archive: $(cat "$t/log")"
    expect_summary "$t/log" 2 8 0
    for h in $FAKE_HOSTS; do
        compare_tree "$t/ref2" "$FAKE_NODEDIR/$h/stage/zst" || fail "$h: the changed archive's tree is not in place"
        compare_tree "$t/ref/plain" "$FAKE_NODEDIR/$h/stage/plain" || fail "$h: another archive's tree changed"
        no_temporaries "$h: the old tree, a temporary or a dead run's was left" "$FAKE_NODEDIR/$h/stage"
    done
}
scenario "a changed archive replaces its tree whole (and only its own), the old one and a dead run's temporary removed" changed_replaced

# A hostile archive, one member at a time (python3's tarfile/zipfile).
hostile() {
    /usr/bin/python3 - "$t/bad" "$t/outside" <<'PY' || fail "cannot make the hostile archives"
import io, os, sys, tarfile, zipfile
out, outside = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
def tar(name, members):
    with tarfile.open(os.path.join(out, name), "w", format=tarfile.GNU_FORMAT) as t:
        for m in members:
            info = tarfile.TarInfo(m[0]); info.type = m[1]; info.mtime = 1000000000
            data = m[2] if len(m) > 2 and m[1] == tarfile.REGTYPE else b""
            if m[1] in (tarfile.SYMTYPE, tarfile.LNKTYPE):
                info.linkname = m[2]
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
R, S, L, D = tarfile.REGTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.DIRTYPE
tar("absolute.tar", [("ok.txt", R, b"ok"), (outside + "/abs.txt", R, b"pwned")])
tar("dotdot.tar", [("ok.txt", R, b"ok"), ("sub/../../../escape.txt", R, b"pwned")])
tar("linkout.tar", [("out", S, "../../outside"), ("out/x.txt", R, b"pwned")])
tar("linkabs.tar", [("out", S, outside), ("out/x.txt", R, b"pwned")])
tar("linkback.tar", [("d", D), ("d/l", S, "../d/../.."), ("d/l/x.txt", R, b"pwned")])
tar("through.tar", [("real", D), ("l", S, "real"), ("l/x.txt", R, b"through a link")])
tar("hardout.tar", [("h", L, "../../outside/f")])
tar("hardabs.tar", [("h", L, "/etc/passwd")])
tar("device.tar", [("ok.txt", R, b"ok"), ("null", tarfile.CHRTYPE)])
tar("fifo.tar", [("ok.txt", R, b"ok"), ("pipe", tarfile.FIFOTYPE)])
with zipfile.ZipFile(os.path.join(out, "zipslip.zip"), "w") as z:
    z.writestr("ok.txt", b"ok")
    z.writestr("../../zip-escape.txt", b"pwned")
PY
}
hostile
bad_member() {   # ARCHIVE: the member its refusal must name
    case $1 in
    absolute.tar) echo "$t/outside/abs.txt" ;; dotdot.tar) echo "sub/../../../escape.txt" ;;
    linkout.tar | linkabs.tar) echo "out" ;; linkback.tar) echo "d/l" ;; through.tar) echo "l/x.txt" ;;
    hardout.tar | hardabs.tar) echo "h" ;; device.tar) echo "null" ;; fifo.tar) echo "pipe" ;;
    zipslip.zip) echo "../../zip-escape.txt" ;;
    esac
}

# All in one run: each is refused on its own (docs/extract.md: the other
# entries still stage), so each must be named with its member, and one
# that was not refused would land in x/ and be seen there.
refused() {
    local a rc=0 h left list=
    local all="absolute.tar dotdot.tar linkout.tar linkabs.tar linkback.tar through.tar hardout.tar hardabs.tar
        device.tar fifo.tar zipslip.zip"
    fakenodes_clear stage
    for a in $all; do list="$list${list:+, }{ src = \"$a\"; dest = \"x/\"; extract = true; }"; done
    cat >"$t/bad.cfg" <<CFG
version = 1;
paths: { source = "$t/bad"; dest = "$FAKE_SCRATCH/stage"; };
stage_in = ( $list );
CFG
    fakenodes_mpirun 2 "$stage" --config "$t/bad.cfg" >"$t/log" 2>&1 || rc=$?
    [ "$rc" = 1 ] || fail "exit $rc, expected 1: $(cat "$t/log")"
    for a in $all; do
        grep -qF "$a: member \"$(bad_member "$a")\"" "$t/log" ||
            fail "$a: the refusal does not name the archive and its member \"$(bad_member "$a")\": $(cat "$t/log")"
    done
    [ -z "$(ls -A "$t/outside")" ] || fail "written outside the folder: $(ls -A "$t/outside")"
    for h in $FAKE_HOSTS; do
        left=$(cd "$FAKE_NODEDIR/$h" && find . -mindepth 1 ! -path ./stage ! -path ./stage/x)
        [ -z "$left" ] || fail "$h holds $left after the refusals"
    done
    [ -z "$(find "$FAKE_NODEDIR" "$t/bad" -name '*escape*')" ] || fail "a file escaped"
}
scenario "hostile archives (absolute, .., links out, hard links out, through a link, devices, FIFOs, zip slip) are refused naming the member; nothing outside" refused

tmpfs_refused() {
    local rc=0 h small=$FAKE_NODEDIR/${fake_host[1]}
    fakenodes_clear stage
    mkdir -p "$t/big/tree" && head -c 3000000 /dev/zero >"$t/big/tree/zeros.bin" &&
        tar -C "$t/big" -cf - tree | zstd -q -o "$t/big/zeros.tar.zst" || fail "cannot make the archive"
    [ "$(stat -c %s "$t/big/zeros.tar.zst")" -lt 100000 ] || fail "the archive did not shrink"
    mount -t tmpfs -o size=1m mpift-test "$small" 2>/dev/null || skip "cannot mount a tmpfs here"
    cat >"$t/big.cfg" <<CFG
version = 1;
paths: { source = "$t/big"; dest = "$FAKE_SCRATCH/stage"; };
stage_in = ( { src = "zeros.tar.zst"; extract = true; } );
CFG
    fakenodes_mpirun 2 "$stage" --config "$t/big.cfg" >"$t/log" 2>&1 || rc=$?
    umount "$small"
    [ "$rc" = 1 ] || fail "exit $rc, expected 1: $(cat "$t/log")"
    grep -q "${fake_host[1]}: needs [0-9.]* MB for $FAKE_SCRATCH/stage but its file system has [01]\.[0-9] MB free: nothing was sent" "$t/log" ||
        fail "the shortfall is not explained: $(cat "$t/log")"
    for h in $FAKE_HOSTS; do
        [ -z "$(find "$FAKE_NODEDIR/$h" -type f)" ] || fail "$h received files although the run was refused"
    done
}
scenario "an archive whose tree (3 MB) exceeds a node's 1 MiB tmpfs is refused at preflight, though it is 1 KB compressed" tmpfs_refused

cli_extract() {
    local h
    fakenodes_clear stage
    (cd "$t/arc" && fakenodes_mpirun 2 "$stage" --extract xz.tar.xz gz.tar.gz "$FAKE_SCRATCH/stage") >"$t/log" 2>&1 ||
        fail "--extract: $(cat "$t/log")"
    for h in $FAKE_HOSTS; do
        compare_tree "$t/ref/xz" "$FAKE_NODEDIR/$h/stage/xz" && compare_tree "$t/ref/gz" "$FAKE_NODEDIR/$h/stage/gz" ||
            fail "$h: --extract did not unpack"
    done
    "$stage" --print-config --extract "$t/arc/xz.tar.xz" /tmp/x >"$t/p.cfg" 2>&1 || fail "--print-config: $(cat "$t/p.cfg")"
    grep -q 'src = "xz.tar.xz"; extract = true; }' "$t/p.cfg" || fail "--print-config has no extract: $(cat "$t/p.cfg")"
}
scenario "--extract SRC... DEST unpacks each archive on every node; --print-config says extract = true" cli_extract

cli_refusals() {
    local rc=0
    "$stage" --extract "$t/arc" /tmp/x >"$t/log" 2>&1 || rc=$?
    [ "$rc" = 2 ] && grep -q "is a folder: --extract unpacks archives" "$t/log" || fail "a folder: exit $rc: $(cat "$t/log")"
    rc=0
    "$stage" --extract --config "$t/x.cfg" --check >"$t/log" 2>&1 || rc=$?
    [ "$rc" = 2 ] && grep -q "with --config set extract = true in the entries" "$t/log" || fail "--config: exit $rc: $(cat "$t/log")"
    rc=0
    "$stage" --extract --out '/tmp/x/*' "$t/c" >"$t/log" 2>&1 || rc=$?
    [ "$rc" = 2 ] && grep -q "extract .* belongs to stage-in" "$t/log" || fail "--out: exit $rc: $(cat "$t/log")"
}
scenario "--extract with a folder, with --config or with --out exits 2 with one line" cli_refusals

config_refusals() {
    local rc=0
    cat >"$t/r.cfg" <<CFG
version = 1;
paths: { source = "$t/arc"; dest = "/tmp/x"; collect = "$t/c"; };
stage_in = ( { src = "zst.tar.zst"; recursive = true; extract = true; } );
stage_out = ( { src = "*.tar"; extract = true; } );
CFG
    "$stage" --check --config "$t/r.cfg" >"$t/log" 2>&1 || rc=$?
    [ "$rc" = 2 ] || fail "exit $rc, expected 2: $(cat "$t/log")"
    grep -q 'stage_in\[0\]\.extract: extract unpacks the archives src names, recursive walks folders' "$t/log" &&
        grep -q 'stage_out\[0\]\.extract: stage-out gathers files as they are' "$t/log" || fail "not both named: $(cat "$t/log")"
}
scenario "extract with recursive, or in stage_out, is a configuration error naming the entry (exit 2)" config_refusals

no_suffix() {
    local rc=0
    fakenodes_clear stage
    cp "$t/arc/plain.tar" "$t/arc/noname" || fail "cannot copy"
    cat >"$t/n.cfg" <<CFG
version = 1;
paths: { source = "$t/arc"; dest = "$FAKE_SCRATCH/stage"; };
stage_in = ( { src = "noname"; extract = true; } );
CFG
    fakenodes_mpirun 2 "$stage" --config "$t/n.cfg" >"$t/log" 2>&1 || rc=$?
    rm -f "$t/arc/noname"
    [ "$rc" = 1 ] && grep -q "extract = true, but noname does not end in .tar, " "$t/log" ||
        fail "exit $rc: $(cat "$t/log")"
}
scenario "an archive whose name has no archive suffix (which names its folder) is refused, naming it" no_suffix
done_testing
