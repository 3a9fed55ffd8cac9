#!/bin/bash
# The summary counts every file that could not be planned (stage/plan.c,
# stage/summary.c), as an ordinary user on 2 local ranks: a folder whose
# names can be read but not its entries (r, no x) counts each of its
# files; a folder that cannot be read at all hides how many it holds, so
# the summary says "at least N failed" and names the folders not read,
# and --report gives folders_not_read.  The readable files are staged.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" mpirun python3 timeout=120
command -v useradd >/dev/null && command -v userdel >/dev/null && command -v runuser >/dev/null ||
    skip "no useradd, userdel or runuser"
[ "$(id -u)" = 0 ] || skip "creating a user needs root"
plan 1

user=mpiftu$$
if ! id "$user" >/dev/null 2>&1; then
    useradd -M -N -s /bin/sh "$user" 2>/dev/null || skip "useradd refused"
    at_exit userdel "$user"
fi
chmod 0755 "$t"
mkdir -p "$t/src/data/locked/deeper" "$t/src/data/noexec" "$t/dest"
echo a >"$t/src/data/a.txt"
for f in 1 2 3; do echo "$f" >"$t/src/data/locked/f$f.txt"; done
echo 4 >"$t/src/data/locked/deeper/f4.txt"
echo x >"$t/src/data/noexec/x.txt"
echo y >"$t/src/data/noexec/y.txt"
chmod 0700 "$t/src/data/locked"       # root's: the user reads nothing in it
chmod 0744 "$t/src/data/noexec"       # names readable, entries not
chown "$user" "$t/dest"
cat >"$t/u.cfg" <<CFG
version = 1;
paths: { source = "$t/src"; dest = "$t/dest/%r"; };
workers: { copies = "per-rank"; };
stage_in = ( { src = "data/"; dest = ""; recursive = true; } );
CFG

unread_folder() {
    local rc=0 _mpift_opts _mpift_job_label="as $user: mpirun -n 2 $stage --config $t/u.cfg"
    _mpift_mpirun_opts
    (cd "$t" && _mpift_timed runuser -u "$user" -- env HOME="$t" "$MPIRUN" "${_mpift_opts[@]}" -n 2 "$stage" \
        --config "$t/u.cfg" --report "$t/dest/r.json") >"$t/log" 2>&1 || rc=$?
    [ "$rc" = 1 ] || fail "exit $rc, expected 1: $(cat "$t/log")"
    grep -q "$t/src/data/locked: Permission denied: the files below it are not staged, and not counted" "$t/log" ||
        fail "the folder not read is not named: $(cat "$t/log")"
    grep -q "$t/src/data/noexec/x.txt: Permission denied" "$t/log" || fail "noexec/x.txt not named: $(cat "$t/log")"
    grep -q "2 copies written, 0 unchanged, at least 3 failed (3 could not be planned; 1 folder could not be read, the files in it not counted)" "$t/log" ||
        fail "the summary does not say what is missing: $(cat "$t/log")"
    cmp -s "$t/src/data/a.txt" "$t/dest/1/a.txt" || fail "the readable file was not staged"
    check_report "$t/dest/r.json"
    python3 - "$t/dest/r.json" <<'PY' || fail "report: $(cat "$t/dest/r.json")"
import json, sys
t = json.load(open(sys.argv[1]))["totals"]
assert t["sources_not_planned"] == 3 and t["folders_not_read"] == 1 and t["failed"] == 3, t
PY
}
scenario "a folder that cannot be read: \"at least N failed\", named; one whose entries cannot be: each file counted" unread_folder
