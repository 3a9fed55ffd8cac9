#!/bin/bash
# Paths no other user can bend (docs/paths.md), as root on 2 local ranks.
# "Another user" is nobody: what it would have made is made here and
# given to it (chown nobody), in a folder like /tmp (root's, mode 1777).
#  - --report into such a folder, with a link planted by nobody at every
#    name the report's temporary file could have had (the old name was
#    REPORT.mpift-PID.tmp): the file the links point to is untouched and
#    the report is written; a report folder nobody owns is refused.
#  - a dest root below a folder nobody owns, holding a link to elsewhere:
#    refused (exit 1) naming the folder and its owner, nothing written
#    anywhere; the same below a folder nobody made in the /tmp-like one,
#    through a link nobody planted there, below a folder every user may
#    write in (no sticky bit) or its group may, and into the /tmp-like
#    folder itself.  A link root made in the sticky folder is followed.
#  - the default template of conf/stage.cfg is /tmp/mpift-%u/%j.
#  - roots that are read: --out --from a root reached through nobody's
#    folder in the sticky one (linking to a 0640 secret) is refused, nothing
#    collected; a paths.source through it too; a source root nobody owns
#    in a folder of root's is read.
#  - a copy is never more readable than its source (0640 stays 0640).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" mpirun python3 timeout=120
plan 9

[ "$(id -u)" = 0 ] || skip "these cases make files owned by another user (chown): run as root"
id nobody >/dev/null 2>&1 || skip "no user nobody"
mkdir -p "$t/src" && printf 'staged\n' >"$t/src/a.txt"
mkdir -m 1777 "$t/pub"   # like /tmp: root's, every user may create names, sticky
printf 'precious\n' >"$t/victim" && chmod 0600 "$t/victim"   # nobody cannot write it

# stage DEST [ARGS...]: a stage-in of a.txt into DEST on 2 ranks; exit
# code in rc, output in $t/log.
stage() {
    local dest=$1
    shift
    printf 'version = 1;\npaths: { source = "%s/src"; dest = "%s"; };\nstage_in = ( { src = "a.txt"; dest = ""; } );\n' \
        "$t" "$dest" >"$t/c.cfg"
    rc=0
    mpift_mpirun -n 2 "$stage" --config "$t/c.cfg" "$@" >"$t/log" 2>&1 || rc=$?
}

# refused DEST PATTERN: the stage-in into DEST exits 1 with PATTERN (a
# grep -E pattern) in its message and writes nothing into DEST.
refused() {
    stage "$1"
    [ "$rc" = 1 ] || fail "dest $1: exit $rc, expected 1: $(cat "$t/log")"
    grep -Eq -- "$2" "$t/log" || fail "dest $1: the refusal does not say /$2/: $(cat "$t/log")"
    grep -q "nothing was sent" "$t/log" || fail "dest $1: the refusal does not say nothing was sent: $(cat "$t/log")"
    [ ! -e "$1/a.txt" ] || fail "dest $1: a.txt was written"
}

report_links() {
    local last
    last=$(cat /proc/sys/kernel/ns_last_pid 2>/dev/null || echo 1)
    # Every name the report's temporary could take for the next 3000 pids.
    python3 - "$t/pub" "$t/victim" "$last" <<'PY' || fail "cannot plant the links"
import os, sys
d, victim, last = sys.argv[1], sys.argv[2], int(sys.argv[3])
for pid in range(max(last - 50, 1), last + 3000):
    p = "%s/r.json.mpift-%d.tmp" % (d, pid)
    os.symlink(victim, p)
    os.lchown(p, 65534, 65534)
PY
    stage "$t/dest" --report "$t/pub/r.json"
    [ "$rc" = 0 ] || fail "stage-in with --report: exit $rc: $(cat "$t/log")"
    [ "$(cat "$t/victim")" = precious ] || fail "the file the planted links point to was overwritten: $(head -c 300 "$t/victim")"
    [ -f "$t/pub/r.json" ] && [ ! -L "$t/pub/r.json" ] || fail "no report written as a file of its own"
    python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["status"] == "ok"' "$t/pub/r.json" ||
        fail "the report does not parse: $(cat "$t/pub/r.json")"
    check_report "$t/pub/r.json"
    [ -z "$(find "$t/pub" -maxdepth 1 -name '.mpift-*' -o -maxdepth 1 -name '*.tmp' ! -user nobody)" ] ||
        fail "a temporary file was left: $(ls -la "$t/pub")"
}
scenario "--report into a shared sticky folder ignores links planted at temporary names; the report is written" report_links

report_folder() {
    mkdir "$t/theirs" && chown nobody "$t/theirs"
    stage "$t/dest" --report "$t/theirs/r.json"
    [ "$rc" = 1 ] || fail "a report in a folder nobody owns: exit $rc, expected 1: $(cat "$t/log")"
    grep -q -- "--report $t/theirs/r.json: cannot create it: $t/theirs is owned by nobody (uid [0-9]*), not by you or root" "$t/log" ||
        fail "the refusal does not name the folder and its owner: $(cat "$t/log")"
    [ -z "$(ls -A "$t/theirs")" ] || fail "something was written in nobody's folder: $(ls -A "$t/theirs")"
    [ "$(cat "$t/dest/a.txt")" = staged ] || fail "the files were not staged"
}
scenario "a report folder another user owns is refused (exit 1) naming it and its owner; the files still move" report_folder

dest_owned() {
    mkdir -p "$t/elsewhere" "$t/shared"
    ln -s "$t/elsewhere" "$t/shared/job"
    chown -h nobody "$t/shared" "$t/shared/job"
    refused "$t/shared/job" "dest root $t/shared/job: $t/shared is owned by nobody \(uid [0-9]+\), not by you or root"
    [ -z "$(ls -A "$t/elsewhere")" ] || fail "the link redirected the copies: $(ls -A "$t/elsewhere")"
    # The recommended template's trap: a folder in /tmp another user made first.
    mkdir "$t/pub/mpift" && chown nobody "$t/pub/mpift" && ln -s "$t/elsewhere" "$t/pub/mpift/root"
    refused "$t/pub/mpift/root/j1" "dest root $t/pub/mpift/root/j1: $t/pub/mpift is owned by nobody \(uid [0-9]+\) in a folder where every user may create names"
    ln -s "$t/elsewhere" "$t/pub/planted" && chown -h nobody "$t/pub/planted"
    refused "$t/pub/planted/j1" "$t/pub/planted is a symbolic link owned by nobody \(uid [0-9]+\) in a folder where every user may create names: not followed"
    [ -z "$(ls -A "$t/elsewhere")" ] || fail "a link redirected the copies: $(ls -A "$t/elsewhere")"
}
scenario "a dest root below a folder another user owns or made, or through their link, is refused (exit 1) naming it" dest_owned

dest_writable() {
    mkdir -m 0777 "$t/open" && chmod 0777 "$t/open"
    refused "$t/open/d" "$t/open is writable by every user \(mode 0777\) and has no sticky bit"
    mkdir "$t/grp" && chgrp nogroup "$t/grp" 2>/dev/null || chgrp 65534 "$t/grp"
    chmod 0775 "$t/grp"
    refused "$t/grp/d" "$t/grp is writable by group [a-z0-9]+ \(mode 0775\) and has no sticky bit: a run as root trusts no group but root's"
    refused "$t/pub" "dest root $t/pub: $t/pub is writable by other users \(mode 1777\): they could plant folders in it; use a folder of your own below it"
}
scenario "a component writable by every user or by a group (no sticky bit), or a dest root others may write in, is refused" dest_writable

dest_fine() {
    # The site's links (a /scratch -> /local/scratch) are followed where
    # no other user could have planted them: root's link in a sticky folder.
    mkdir "$t/real"
    ln -s "$t/real" "$t/pub/scratch"
    stage "$t/pub/scratch/me/j1"
    [ "$rc" = 0 ] || fail "a dest root through root's own link: exit $rc: $(cat "$t/log")"
    [ "$(cat "$t/real/me/j1/a.txt")" = staged ] || fail "not staged through the link"
    [ "$(stat -c %a "$t/real/me")" = 755 ] || fail "a made folder has mode $(stat -c %a "$t/real/me"), expected 755"
}
scenario "a dest root through a link root made in a sticky folder is made and staged into (exit 0)" dest_fine

default_template() {
    grep -q '^  dest    = "/tmp/mpift-%u/%j";' "$top_srcdir/conf/stage.cfg" ||
        fail "conf/stage.cfg's dest is not /tmp/mpift-%u/%j: $(grep 'dest  ' "$top_srcdir/conf/stage.cfg")"
    grep -q 'dest = "/tmp/mpift/' "$top_srcdir/man/mpift.conf.5.in" && fail "mpift.conf(5) still shows /tmp/mpift/"
    grep -q '/tmp/mpift/' "$top_srcdir/README" && fail "README still shows /tmp/mpift/"
    # docs/paths.md names the unsafe template to say why it is unsafe.
    bad=$(cd "$top_srcdir" && grep -l '/tmp/mpift/' docs/*.md | grep -v '^docs/paths.md$')
    [ -z "$bad" ] || fail "still showing /tmp/mpift/: $bad"
    return 0
}
scenario "conf/stage.cfg, mpift.conf(5), the README and docs/ give the template safe on a shared node, /tmp/mpift-%u/%j" default_template

dry_run() {
    stage "$t/shared/job" --dry-run
    [ ! -e "$t/elsewhere/a.txt" ] || fail "a dry run wrote through the link"
    grep -q "dest root $t/shared/job: $t/shared is owned by nobody (uid [0-9]*), not by you or root: .*: a run would be refused" "$t/log" ||
        fail "the dry run does not say the run would be refused: $(cat "$t/log")"
}
scenario "a dry run into a refused root writes nothing and says a run would be refused" dry_run
# gather FROM DEST PATTERN: a stage-out on 2 ranks (job 777) from FROM.
gather() {
    rc=0
    MPIFT_JOB_ID=777 mpift_mpirun -n 2 "$stage" --out --from "$1" "$3" "$2" >"$t/log" 2>&1 || rc=$?
}

read_roots() {
    mkdir -p "$t/secret" && printf 'root:x:secret\n' >"$t/secret/shadow" && chmod 0640 "$t/secret/shadow"
    mkdir "$t/pub/mroot" && ln -s "$t/secret" "$t/pub/mroot/777" && chown -h nobody "$t/pub/mroot" "$t/pub/mroot/777"
    gather "$t/pub/mroot/%j" "$t/rv" shadow
    [ "$rc" != 0 ] || fail "--out --from through nobody's folder: exit 0: $(cat "$t/log")"
    grep -Eq "dest root $t/pub/mroot/777: $t/pub/mroot is owned by nobody \(uid [0-9]+\) in a folder where every user may create names" "$t/log" ||
        fail "the refusal does not name nobody's folder: $(cat "$t/log")"
    [ -z "$(find "$t/rv" -name shadow 2>/dev/null)" ] || fail "the secret was collected through the planted link"
    # The link itself planted in the sticky folder.
    ln -s "$t/secret" "$t/pub/r777" && chown -h nobody "$t/pub/r777"
    gather "$t/pub/r%j" "$t/rv" shadow
    [ "$rc" != 0 ] || fail "--out --from nobody's link: exit 0: $(cat "$t/log")"
    grep -Eq "$t/pub/r777 is a symbolic link owned by nobody \(uid [0-9]+\) in a folder where every user may create names: not followed" "$t/log" ||
        fail "the refusal does not name nobody's link: $(cat "$t/log")"
    [ -z "$(find "$t/rv" -name shadow 2>/dev/null)" ] || fail "the secret was collected through nobody's link"
    # paths.source through the same planted link: refused, nothing staged.
    printf 'version = 1;\npaths: { source = "%s/pub/r777"; dest = "%s/d2"; };\nstage_in = ( { src = "shadow"; dest = ""; } );\n' \
        "$t" "$t" >"$t/s.cfg"
    rc=0
    mpift_mpirun -n 2 "$stage" --config "$t/s.cfg" >"$t/log" 2>&1 || rc=$?
    [ "$rc" != 0 ] || fail "paths.source through nobody's link: exit 0: $(cat "$t/log")"
    grep -q "paths.source $t/pub/r777: .*symbolic link owned by nobody" "$t/log" || fail "the refusal does not name the link: $(cat "$t/log")"
    [ ! -e "$t/d2/shadow" ] || fail "the secret was staged through nobody's link"
    # A colleague's data folder (nobody's) in a folder of root's is read.
    mkdir -p "$t/data/theirs" && cp "$t/src/a.txt" "$t/data/theirs/" && chown -R nobody "$t/data/theirs"
    printf 'version = 1;\npaths: { source = "%s/data/theirs"; dest = "%s/d3"; };\nstage_in = ( { src = "a.txt"; dest = ""; } );\n' \
        "$t" "$t" >"$t/s.cfg"
    rc=0
    mpift_mpirun -n 2 "$stage" --config "$t/s.cfg" >"$t/log" 2>&1 || rc=$?
    [ "$rc" = 0 ] || fail "a source root another user owns: exit $rc: $(cat "$t/log")"
    cmp -s "$t/src/a.txt" "$t/d3/a.txt" || fail "the colleague's file was not staged"
}
scenario "roots read (--out --from, paths.source) through another user's folder or link are refused; their own data is read" read_roots

copy_modes() {
    mkdir -p "$t/mine/777" && printf 'private\n' >"$t/mine/777/p.txt" && chmod 0640 "$t/mine/777/p.txt"
    gather "$t/mine/%j" "$t/got" p.txt
    [ "$rc" = 0 ] || fail "stage-out from a root of root's: exit $rc: $(cat "$t/log")"
    got=$(find "$t/got" -name p.txt)   # in the node's folder, got/HOST/p.txt
    cmp -s "$t/mine/777/p.txt" "$got" || fail "not collected: $(find "$t/got")"
    [ "$(stat -c %a "$got")" = 640 ] || fail "a 0640 source was collected with mode $(stat -c %a "$got")"
    cp -p "$t/mine/777/p.txt" "$t/src/p.txt"
    printf 'version = 1;\npaths: { source = "%s/src"; dest = "%s/d4"; };\nstage_in = ( { src = "p.txt"; dest = ""; } );\n' \
        "$t" "$t" >"$t/s.cfg"
    rc=0
    (umask 022 && mpift_mpirun -n 2 "$stage" --config "$t/s.cfg" >"$t/log" 2>&1) || rc=$?
    [ "$rc" = 0 ] || fail "stage-in of a 0640 file: exit $rc: $(cat "$t/log")"
    [ "$(stat -c %a "$t/d4/p.txt")" = 640 ] || fail "a 0640 source was staged with mode $(stat -c %a "$t/d4/p.txt")"
}
scenario "a copy is never more readable than its source: 0640 stays 0640 (stage-in and stage-out)" copy_modes
done_testing
