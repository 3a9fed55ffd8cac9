#!/bin/bash
# mpift-stage without a configuration file: SRC... DEST (files, a folder,
# a folder's contents, a glob rank 0 expands, SRCs from several folders,
# templates in DEST, the flags), stage-out as --out PATTERN... COLLECT
# (absolute patterns, --from ROOT), --print-config whose file plans the
# same run with --config, --config as before (flags as --set), each usage
# error (exit 2, one line, nothing created) and one case on fake nodes;
# as root, --as-user with a test user made here: every file staged is the
# user's, a source only root can read fails naming it, refusals exit 2.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" mpirun tree timeout=120
plan 19

src=$t/src/tree
export MPIFT_JOB_ID=cli42

# run NP ARGS...: mpirun -n NP mpift-stage ARGS, output in $t/log; fails
# the scenario unless it exits 0.
run() {
    local np=$1
    shift
    mpift_mpirun -n "$np" "$stage" --progress never "$@" >"$t/log" 2>&1 ||
        fail "mpift-stage $*: exit $?: $(cat "$t/log")"
}

files() {
    run 4 "$src/one.bin" "$src/with space.dat" "$src/a/b/b.dat" "$t/d1/%j"
    [ "$(cd "$t/d1/cli42" && ls -A | sort | tr '\n' '|')" = "b.dat|one.bin|with space.dat|" ] ||
        fail "DEST holds: $(ls -A "$t/d1/cli42")"
    for f in one.bin "with space.dat"; do
        cmp "$src/$f" "$t/d1/cli42/$f" || fail "$f differs"
    done
    cmp "$src/a/b/b.dat" "$t/d1/cli42/b.dat" || fail "b.dat differs"
    expect_summary "$t/log" 3 0 0
}
scenario "files from several folders land in DEST (%j expanded) by name, byte-exact" files

folder() {
    run 4 "$src" "$t/d2"
    compare_tree "$src" "$t/d2/tree" || fail "the folder's copy differs"
    # "dir/": its contents, relative SRC from the working folder
    (cd "$t/src" && run 2 tree/a/ "$t/d3") || exit 1
    compare_tree "$src/a" "$t/d3" || fail "the contents' copy differs"
}
scenario "a folder is staged whole under its name; 'dir/' stages its contents" folder

glob() {
    # Quoted: mpift expands it on rank 0, as a configuration's glob.
    (cd "$t/src" && run 4 'tree/*.dat' "$t/d4") || exit 1
    [ "$(cd "$t/d4" && ls -A | sort | tr '\n' '|')" = "empty.dat|odd.dat|page+1.dat|with space.dat|" ] ||
        fail "glob staged: $(ls -A "$t/d4")"
    cmp "$src/odd.dat" "$t/d4/odd.dat" || fail "odd.dat differs"
}
scenario "a glob is expanded on rank 0: each match lands in DEST" glob

templates() {
    run 4 --copies per-rank --chunk-size 64K --policy direct --preserve "$src/a/b" "$t/d5/%h/%j/r%r"
    local r
    for r in 0 1 2 3; do
        compare_tree "$src/a/b" "$t/d5/$(hostname)/cli42/r$r/b" || fail "rank $r's copy differs"
    done
    [ "$(stat -c %a "$t/d5/$(hostname)/cli42/r3/b/old-0640.dat")" = 640 ] || fail "--preserve kept no mode"
    expect_summary "$t/log" $((4 * $(count_files "$src/a/b"))) 0 0
}
scenario "templates in DEST (%h %j %r) with --copies per-rank, --preserve and other flags" templates

# usage_error WHAT ARGS...: exit 2, one line on stderr naming WHAT, nothing
# on stdout, $t/u not created.
usage_error() {
    local what=$1 rc=0
    shift
    (cd "$t/src" && "$stage" "$@" >"$t/uout" 2>"$t/uerr") || rc=$?
    [ "$rc" = 2 ] || fail "$*: exit $rc, expected 2: $(cat "$t/uerr")"
    [ "$(wc -l <"$t/uerr")" = 1 ] || fail "$*: not one line: $(cat "$t/uerr")"
    grep -qF -- "$what" "$t/uerr" || fail "$*: does not say '$what': $(cat "$t/uerr")"
    [ ! -s "$t/uout" ] || fail "$*: wrote on stdout: $(cat "$t/uout")"
    [ ! -e "$t/u" ] || fail "$*: created DEST"
}

usage() {
    usage_error "no DEST" tree
    usage_error "nothing to stage" --chunk-size 1M
    usage_error "DEST 'u' is not absolute" tree u
    usage_error "SRC 'nope': No such file or directory" tree nope "$t/u"
    usage_error "SRC 'tree/*.none': no file matches" 'tree/*.none' "$t/u"
    usage_error "SRC 'tree/one.bin/': Not a directory" tree/one.bin/ "$t/u"
    usage_error "would both be DEST/one.bin" tree/one.bin tree/a/../one.bin "$t/u"
    usage_error "--chunk-size 1M and --set transfer.chunk_size=2M both set transfer.chunk_size" \
        --chunk-size 1M --set transfer.chunk_size=2M tree "$t/u"
    usage_error "--set paths.dest=/x and SRC... DEST both set paths.dest" --set paths.dest=/x tree "$t/u"
    usage_error "--config FILE and SRC... DEST" --config "$top_srcdir/conf/stage.cfg" tree "$t/u"
    usage_error "--from ROOT belongs to stage-out" --from /x tree "$t/u"
    usage_error "--preserve applies to SRC... DEST" --preserve --config "$top_srcdir/conf/stage.cfg"
    usage_error "--print-config prints what SRC... DEST means" --print-config --config "$top_srcdir/conf/stage.cfg"
    usage_error "--shell takes --config FILE" --shell tree "$t/u"
    usage_error "no COLLECT" --out '/x/*.log'
    usage_error "PATTERN 'out/*.log' is not absolute" --out 'out/*.log' "$t/u"
    # Values are the module's to check, named by the flag that gave them.
    usage_error '--chunk-size 3: transfer.chunk_size: "3" is out of range' --chunk-size 3 tree "$t/u"
    usage_error '--policy fast: workers.policy: "fast" is not one of' --policy fast tree "$t/u"
    usage_error "DEST $t/u/%q: paths.dest: unknown template %q" tree "$t/u/%q"
    usage_error "--extract and --with-libs contradict each other" --extract --with-libs tree/one.bin "$t/u"
}
scenario "each usage error exits 2 with one line on stderr and creates nothing" usage

# Under mpirun: rank 0 says it once, every rank exits, nothing is created.
usage_mpirun() {
    local rc=0
    mpift_mpirun -n 3 "$stage" "$t/src/nope" "$t/u" >"$t/log" 2>&1 || rc=$?
    [ "$rc" = 2 ] || fail "exit $rc, expected 2: $(cat "$t/log")"
    [ "$(grep -c "^mpift-stage: SRC '$t/src/nope': No such file or directory" "$t/log")" = 1 ] ||
        fail "not said once: $(cat "$t/log")"
    [ ! -e "$t/u" ] || fail "created DEST"
}
scenario "under mpirun a missing SRC exits 2, said once by rank 0, nothing created" usage_mpirun

stage_out() {
    local d=$t/d6/cli42
    mkdir -p "$d/out/sub"
    printf 'log one\n' >"$d/out/one.log"
    head -c 300000 /dev/urandom >"$d/out/two.log"
    printf 'not a log\n' >"$d/out/x.txt"
    cp "$src/odd.dat" "$d/out/sub/"
    run 2 --out "$t/d6/%j/out/*.log" "$t/c1"
    [ "$(cd "$t/c1/$(hostname)" && ls -A | sort | tr '\n' '|')" = "one.log|two.log|" ] ||
        fail "collected: $(find "$t/c1")"
    cmp "$d/out/two.log" "$t/c1/$(hostname)/two.log" || fail "two.log differs"
    (cd "$t" && run 2 --out --from "$t/d6/%j" out/sub/ 'out/*.txt' c2) || exit 1
    cmp "$src/odd.dat" "$t/c2/$(hostname)/odd.dat" || fail "out/sub/'s odd.dat not in c2/HOST"
    cmp "$d/out/x.txt" "$t/c2/$(hostname)/x.txt" || fail "x.txt not in c2/HOST"
}
scenario "stage-out: --out PATTERN... COLLECT and --out --from ROOT gather into COLLECT/HOST" stage_out

print_config() {
    local args=(--chunk-size 128K --policy tree --fanout 2 --retries 1 --on-error abort --timeout 30
        --set workers.max_streams=2 "$src/a/" "$src/big.bin" 'tree/page*' "$t/d7/%j")
    (cd "$t/src" && "$stage" --print-config "${args[@]}" >"$t/p.cfg" 2>"$t/err") || fail "--print-config: $(cat "$t/err")"
    grep -q '^  chunk_size = "128K";$' "$t/p.cfg" || fail "no chunk_size in: $(cat "$t/p.cfg")"
    ! grep -q '#@mpift-line' "$t/p.cfg" || fail "markers in the printed file: $(cat "$t/p.cfg")"
    "$stage" --check --config "$t/p.cfg" >"$t/log" 2>&1 || fail "the printed file does not check: $(cat "$t/log")"
    (cd "$t/src" && run 3 --dry-run "${args[@]}") || exit 1
    mv "$t/log" "$t/dry-cli"
    run 3 --dry-run --config "$t/p.cfg"
    [ -s "$t/dry-cli" ] && diff "$t/dry-cli" "$t/log" || fail "the two plans differ"
    grep -q "would be sent, policy tree" "$t/log" || fail "not a plan: $(cat "$t/log")"
    [ ! -e "$t/d7" ] || fail "a dry run created DEST"
    (cd "$t/src" && run 3 "${args[@]}") || exit 1
    compare_tree "$src/a" "$t/d7/cli42/a" 2>/dev/null && fail "a/ was copied whole, not its contents"
    cmp "$src/a/b/b.dat" "$t/d7/cli42/b/b.dat" && cmp "$src/big.bin" "$t/d7/cli42/big.bin" &&
        cmp "$src/page+1.dat" "$t/d7/cli42/page+1.dat" || fail "the run did not stage what was planned"
}
scenario "--print-config's file plans the same run with --config (dry runs alike), then stages" print_config

# The file as before; the flags become --set overrides of it.
with_config() {
    write_cfg "$t/w.cfg" "$t/src" "$t/d8"
    run 2 --config "$t/w.cfg" --set transfer.window=2 --set transfer.window=3 --chunk-size 64K --verbose
    compare_tree "$src" "$t/d8" || fail "--config: the copy differs"
    local rc=0
    mpift_mpirun -n 2 "$stage" --config "$t/w.cfg" --window 99 >"$t/log" 2>&1 || rc=$?
    [ "$rc" = 2 ] || fail "--window 99 with --config: exit $rc: $(cat "$t/log")"
    grep -q -- "--set transfer.window=99: .*out of range" "$t/log" || fail "not named: $(cat "$t/log")"
}
scenario "--config works as before; flags with it override as --set would" with_config

# Exit 2 from the module (a value out of range) under mpirun moves nothing.
check_form() {
    "$stage" --check "$src" "$t/d9/%j" >"$t/log" 2>&1 || fail "--check: $(cat "$t/log")"
    grep -q "^command line: configuration is valid" "$t/log" || fail "--check said: $(cat "$t/log")"
    local rc=0
    mpift_mpirun -n 2 "$stage" --window 0 "$src" "$t/d9" >"$t/log" 2>&1 || rc=$?
    [ "$rc" = 2 ] || fail "--window 0: exit $rc: $(cat "$t/log")"
    [ "$(grep -c -- "--window 0: transfer.window" "$t/log")" = 1 ] || fail "not said once: $(cat "$t/log")"
    [ ! -e "$t/d9" ] || fail "created DEST"
}
scenario "--check takes SRC... DEST; a refused value in a job exits 2, said once, nothing moved" check_form

help_first() {
    "$stage" --help >"$t/log" || fail "--help failed"
    head -n 1 "$t/log" | grep -q "^Usage: mpirun -n N mpift-stage \[OPTION\]... SRC... DEST$" ||
        fail "--help does not lead with SRC... DEST: $(head -n 3 "$t/log")"
}
scenario "--help leads with SRC... DEST" help_first

fake_nodes() {
    need_fakenodes
    fakenodes_setup 2 2
    (cd "$t/src" && fakenodes_mpirun 4 "$stage" --progress never tree/a 'tree/*.bin' "$FAKE_SCRATCH/%h" >"$t/log" 2>&1) ||
        fail "fake nodes: $(cat "$t/log")"
    local h
    for h in $FAKE_HOSTS; do
        compare_tree "$src/a" "$FAKE_NODEDIR/$h/$h/a" || fail "$h: a/ differs"
        cmp "$src/big.bin" "$FAKE_NODEDIR/$h/$h/big.bin" || fail "$h: big.bin differs"
    done
    # a/ holds 5 files, and 4 match *.bin: on each of 2 nodes
    expect_summary "$t/log" $(((5 + 4) * 2)) 0 0
}
scenario "on 2 fake nodes x 2 ranks: every node gets its copy under DEST/%h" fake_nodes

# --as-user: as root, with an unprivileged user made for this test.
as_user_setup() {
    [ "$(id -u)" = 0 ] || skip "--as-user needs root"
    command -v useradd >/dev/null && command -v userdel >/dev/null || skip "no useradd/userdel"
    [ -n "${asu:-}" ] || skip "the test user could not be made"
}
asu=
if [ "$(id -u)" = 0 ] && command -v useradd >/dev/null; then
    asu=mpift-cli-$$
    if useradd --system --no-create-home --shell /usr/sbin/nologin "$asu" 2>/dev/null; then
        at_exit userdel "$asu"
        u=$(mktemp_dir)
        chmod 0755 "$u"
        mkdir -p "$u/src/sub" "$u/dest"
        printf 'for the user\n' >"$u/src/a.txt"
        head -c 200000 /dev/urandom >"$u/src/sub/b.bin"
        printf 'root only\n' >"$u/src/secret.txt"
        chmod 0755 "$u/src" "$u/src/sub" && chmod 0644 "$u/src/a.txt" "$u/src/sub/b.bin"
        chmod 0600 "$u/src/secret.txt"
        chown "$asu:$(id -g "$asu")" "$u/dest"
    else
        asu=
    fi
fi

as_user() {
    as_user_setup
    run 2 --as-user "$asu" "$u/src/a.txt" "$u/src/sub" "$u/dest/%j"
    run 2 --as-user "$(id -u "$asu"):$(id -g "$asu")" "$u/src/a.txt" "$u/dest/numeric"
    ls -lR "$u/dest"
    cmp "$u/src/sub/b.bin" "$u/dest/cli42/sub/b.bin" || fail "b.bin differs"
    cmp "$u/src/a.txt" "$u/dest/numeric/a.txt" || fail "a.txt (numeric form) differs"
    [ -z "$(find "$u/dest" ! -user "$asu")" ] || fail "not the user's: $(find "$u/dest" ! -user "$asu" -ls)"
    [ -z "$(find "$u/dest" ! -group "$(id -gn "$asu")")" ] || fail "not the user's group: $(find "$u/dest" ! -group "$(id -gn "$asu")" -ls)"
}
scenario "--as-user: every file staged, and its folders, belong to the user" as_user

as_user_unreadable() {
    as_user_setup
    local rc=0
    mpift_mpirun -n 2 "$stage" --progress never --as-user "$asu" "$u/src/a.txt" "$u/src/secret.txt" "$u/dest/s" \
        >"$t/log" 2>&1 || rc=$?
    [ "$rc" = 1 ] || fail "exit $rc, expected 1: $(cat "$t/log")"
    grep -q "$u/src/secret.txt: Permission denied" "$t/log" || fail "secret.txt not named: $(cat "$t/log")"
    [ ! -e "$u/dest/s/secret.txt" ] || fail "the user got root's file"
    [ "$(stat -c %U "$u/dest/s/a.txt")" = "$asu" ] || fail "a.txt not staged as the user"
    ! grep -q "unlink" "$t/log" || fail "MPI could not remove its shared memory: $(cat "$t/log")"
}
scenario "--as-user: a source only root can read fails naming it; the rest is the user's" as_user_unreadable

as_user_refused() {
    as_user_setup
    usage_error "--as-user '0': uid 0 is root" --as-user 0 tree "$t/u"
    usage_error "--as-user '0:0': uid 0 is root" --as-user 0:0 tree "$t/u"
    usage_error "no user named 'mpift-nobody-$$'" --as-user "mpift-nobody-$$" tree "$t/u"
    command -v setpriv >/dev/null || skip "no setpriv to run as the user"
    chmod 0755 "$t" "$t/src"
    local rc=0
    (cd "$t/src" && setpriv --reuid="$asu" --regid="$(id -g "$asu")" --init-groups \
        "$stage" --as-user "$asu" tree "$t/u" >"$t/uout" 2>"$t/uerr") || rc=$?
    [ "$rc" = 2 ] || fail "not root: exit $rc, expected 2: $(cat "$t/uerr")"
    grep -q "^mpift-stage: --as-user needs root" "$t/uerr" || fail "not root: $(cat "$t/uerr")"
    [ ! -e "$t/u" ] || fail "created DEST"
}
scenario "--as-user refuses uid 0 (unless spelt root), an unknown user, and a caller not root: exit 2" as_user_refused

# The registry of roots in use, /tmp/mpift-roots-UID for a user with no
# runtime folder, made first by another user (nobody): a warning naming
# it and its owner, and the run goes on under the root's own lock.
registry_taken() {
    as_user_setup
    local reg rc=0
    reg=/tmp/mpift-roots-$(id -u "$asu")
    [ ! -e "/run/user/$(id -u "$asu")" ] || skip "the test user has a runtime folder"
    rm -rf "$reg" && mkdir -m 0755 "$reg" && chown nobody "$reg" && at_exit rm -rf "$reg"
    mpift_mpirun -n 2 "$stage" --progress never --as-user "$asu" "$u/src/a.txt" "$u/dest/reg" >"$t/log" 2>&1 || rc=$?
    [ "$rc" = 0 ] || fail "a registry folder another user made: exit $rc, expected 0: $(cat "$t/log")"
    grep -q "the registry of roots in use $reg: $reg is owned by nobody (uid [0-9]*).*going on with this root's own lock only" "$t/log" ||
        fail "no warning naming the registry and its owner: $(cat "$t/log")"
    cmp -s "$u/src/a.txt" "$u/dest/reg/a.txt" || fail "a.txt not staged"
    [ -z "$(ls -A "$reg")" ] || fail "something was written in nobody's folder: $(ls -A "$reg")"
}
scenario "--as-user: a registry folder another user made first warns naming it and its owner; the run goes on" registry_taken

# wrap_rank FILE RANK ARGS...: a script that runs mpift-stage with its
# arguments, and ARGS too on rank RANK alone (a wrapper that differs).
wrap_rank() {
    local f=$1 r=$2
    shift 2
    {
        echo '#!/bin/sh'
        printf 'if [ "${OMPI_COMM_WORLD_RANK:-${PMI_RANK:-0}}" = %s ]; then exec %q --progress never' "$r" "$stage"
        printf ' %q' "$@"
        printf ' "$@"; fi\nexec %q --progress never "$@"\n' "$stage"
    } >"$f"
    chmod 0755 "$f"
}

# --as-user given to rank 0 only (a wrapper that adds it for one rank):
# every rank agrees first, so the job exits 2 naming it, within the
# harness's timeout, and nothing is staged as root or as the user.
as_user_some_ranks() {
    as_user_setup
    local rc=0
    wrap_rank "$t/wrap.sh" 0 --as-user "$asu"
    mpift_mpirun -n 2 "$t/wrap.sh" "$u/src/a.txt" "$u/dest/some" >"$t/log" 2>&1 || rc=$?
    [ "$rc" = 2 ] || fail "--as-user on rank 0 only: exit $rc, expected 2: $(cat "$t/log")"
    grep -q -- "--as-user differs between ranks (some ranks have it, some do not)" "$t/log" ||
        fail "the mismatch is not named: $(cat "$t/log")"
    [ ! -e "$u/dest/some" ] || fail "something was staged: $(find "$u/dest/some" -ls)"
}
scenario "--as-user given to some ranks only exits 2 on every rank naming the mismatch (no hang)" as_user_some_ranks

# An option given to rank 1 only (a wrapper adding it for one rank):
# every rank parses rank 0's text, so it would be ignored; the job exits
# 2 naming the option, before anything moves.
options_some_ranks() {
    local rc=0
    wrap_rank "$t/wrap1.sh" 1 --copies per-rank
    mpift_mpirun -n 2 "$t/wrap1.sh" "$src/one.bin" "$t/dsome" >"$t/log" 2>&1 || rc=$?
    [ "$rc" = 2 ] || fail "--copies on rank 1 only: exit $rc, expected 2: $(cat "$t/log")"
    grep -q -- "the command lines differ between ranks 0 and 1: rank 0 has none, rank 1 has '--copies per-rank'" "$t/log" ||
        fail "the differing option is not named: $(cat "$t/log")"
    [ ! -e "$t/dsome" ] || fail "something was staged: $(find "$t/dsome")"
}
scenario "an option given to some ranks only exits 2 naming it and the ranks" options_some_ranks

# --as-user --check reads the configuration with the user's rights: a
# file only root can read is refused (exit 2) naming it; the same file
# made readable is valid.
as_user_check() {
    as_user_setup
    local rc=0
    printf 'version = 1;\npaths: { source = "%s/src"; dest = "/tmp/mpift-%%u/%%j"; };\nstage_in = ( { src = "a.txt"; dest = ""; } );\n' \
        "$u" >"$t/root.cfg"
    chmod 0755 "$t" && chmod 0600 "$t/root.cfg"
    "$stage" --as-user "$asu" --check --config "$t/root.cfg" >"$t/log" 2>&1 || rc=$?
    [ "$rc" = 2 ] || fail "--as-user --check of a file only root reads: exit $rc, expected 2: $(cat "$t/log")"
    grep -q "$t/root.cfg.*Permission denied" "$t/log" || fail "the unreadable file is not named: $(cat "$t/log")"
    chmod 0644 "$t/root.cfg"
    "$stage" --as-user "$asu" --check --config "$t/root.cfg" >"$t/log" 2>&1 || fail "readable: $(cat "$t/log")"
}
scenario "--as-user --check reads the configuration as the user: a file only root reads exits 2" as_user_check

done_testing
