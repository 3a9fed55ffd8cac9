#!/bin/bash
# Stage-in on this machine with 4 ranks (one node): a tree with an empty
# file, odd sizes, a file of many chunks, spaces, non-ASCII, nested folders;
# every copies mode and policy; skip on re-run, --force re-sends; a missing
# source exits 1 naming it while the rest is staged; the README's sample job.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" mpirun tree
plan 31

# per-node (default), pipeline (default): one copy on the single node.
write_cfg "$t/a.cfg" "$t/src" "$t/dest/node%n"
first_run() {
    mpift_mpirun -n 4 "$stage" --config "$t/a.cfg" >"$t/log" 2>&1 || fail "stage-in failed: $(cat "$t/log")"
    compare_tree "$t/src/tree" "$t/dest/node0" || fail "copy differs from source"
    [ "$(ls "$t/dest")" = node0 ] || fail "expected one node folder, got: $(ls "$t/dest")"
    expect_summary "$t/log" "$nfiles" 0 0
}
scenario "stage-in writes every file byte-exact, one copy in one node folder" first_run

# A re-run sends nothing; --force sends everything again.
rerun() {
    after first_run
    mpift_mpirun -n 4 "$stage" --config "$t/a.cfg" >"$t/log" 2>&1 || fail "re-run failed: $(cat "$t/log")"
    expect_summary "$t/log" 0 "$nfiles" 0
}
scenario "a re-run finds everything unchanged and sends nothing" rerun

force() {
    after first_run
    mpift_mpirun -n 4 "$stage" --config "$t/a.cfg" --force >"$t/log" 2>&1 || fail "--force failed: $(cat "$t/log")"
    expect_summary "$t/log" "$nfiles" 0 0
    compare_tree "$t/src/tree" "$t/dest/node0" || fail "copy differs after --force"
}
scenario "--force sends everything again, byte-exact" force

# A changed source file is re-sent, the others are not.
changed_file() {
    after first_run
    printf 'changed' >>"$t/src/tree/with space.dat"
    mpift_mpirun -n 4 "$stage" --config "$t/a.cfg" >"$t/log" 2>&1 || fail "update run failed: $(cat "$t/log")"
    expect_summary "$t/log" 1 $((nfiles - 1)) 0
    compare_tree "$t/src/tree" "$t/dest/node0" || fail "changed file not updated"
}
scenario "a changed source file is re-sent, the others are not" changed_file

# --progress always draws a meter on rank 0's stderr; by default (not a
# terminal) there is none.
progress_always() {
    mpift_mpirun -n 4 "$stage" --config "$t/a.cfg" --force --progress always >"$t/log" 2>"$t/err" ||
        fail "--progress always failed: $(cat "$t/log" "$t/err")"
    grep -q "\[####################\] 100%  .* MB/s  ETA .*  $nfiles/$nfiles files" "$t/err" || fail "no progress meter: $(cat "$t/err")"
}
scenario "--progress always draws a meter that ends at 100% of every file" progress_always

no_meter_off_terminal() {
    mpift_mpirun -n 4 "$stage" --config "$t/a.cfg" --force >"$t/log" 2>&1 || fail "--force failed: $(cat "$t/log")"
    ! grep -q "$nfiles/$nfiles files" "$t/log" || fail "progress meter off a terminal: $(cat "$t/log")"
}
scenario "off a terminal no meter is drawn by default" no_meter_off_terminal

# Off a terminal the meter is a plain line every five seconds; the test
# build's MPIFT_TEST_PROGRESS_EVERY=0 makes that every file or chunk, so
# lines show in a short run: on stderr, never a bar; none with --quiet or
# --progress never.
progress_lines() {
    MPIFT_TEST_PROGRESS_EVERY=0 mpift_mpirun -n 4 "$stage" --module "$faults" --config "$t/a.cfg" --force >"$t/log" 2>"$t/err" ||
        fail "stage-in with progress lines failed: $(cat "$t/log" "$t/err")"
    grep -q "^mpift-stage: 100% ([0-9.]*/[0-9.]* MB, $nfiles/$nfiles files), [0-9.]* MB/s, ETA [0-9:]*$" "$t/err" ||
        fail "no final progress line: $(cat "$t/err")"
    [ "$(grep -c '^mpift-stage: *[0-9]*% (' "$t/err")" -ge 3 ] || fail "expected a line per step: $(cat "$t/err")"
    ! grep -q $'\r\|\033' "$t/err" "$t/log" || fail "a bar's control characters off a terminal: $(cat -v "$t/err")"
}
scenario "off a terminal progress is plain lines on stderr, up to a final 100% line" progress_lines

# no_progress_lines OPTION...
no_progress_lines() {
    MPIFT_TEST_PROGRESS_EVERY=0 mpift_mpirun -n 4 "$stage" --module "$faults" --config "$t/a.cfg" --force "$@" >"$t/log" 2>"$t/err" ||
        fail "stage-in $* failed: $(cat "$t/log" "$t/err")"
    ! grep -q '% (' "$t/err" "$t/log" || fail "progress lines despite $*: $(cat "$t/err")"
}
scenario "--quiet prints no progress lines" no_progress_lines --quiet
scenario "--progress never prints no progress lines" no_progress_lines --progress never

# On a real terminal (script(1) gives mpirun a pty) the bar is drawn by
# default, redrawn in place (carriage return, erase to the end of the
# line) and cleared before the summary; --quiet draws nothing.  The bar
# shares stdout with the summary when stdout is the terminal (mpirun keeps
# no order between a rank's stdout and stderr), else it uses stderr.
# on_terminal SHELL-REDIRECTIONS: the stage-in, --force, on a pty in $t/tty
on_terminal() {
    command -v script >/dev/null || skip "no script(1) to give mpirun a terminal"
    _mpift_timed script -qec "$(mpift_mpirun_line -n 4 "$stage" --config "$t/a.cfg" --force) $*" "$t/tty" \
        >/dev/null 2>&1
}
terminal_bar() {
    on_terminal || fail "stage-in on a terminal failed: $(cat "$t/tty")"
    grep -q $'\r\\[[#.]\\{20\\}\\] ' "$t/tty" || fail "no bar on a terminal: $(cat -v "$t/tty")"
    grep -q $'  ETA [0-9:]*  '"$nfiles/$nfiles files"$'\033\\[K' "$t/tty" || fail "the bar does not end complete: $(cat -v "$t/tty")"
    grep -q $'\r\033\\[Kmpift-stage: '"$nfiles files" "$t/tty" || fail "the bar is not cleared before the summary: $(cat -v "$t/tty")"
}
scenario "on a terminal the bar is drawn in place, ends complete and is cleared before the summary" terminal_bar

terminal_stdout_bar() {
    on_terminal "2>$t/err" || fail "stage-in, stderr to a file, failed: $(cat "$t/tty" "$t/err")"
    grep -q $'\r\033\\[Kmpift-stage: '"$nfiles files" "$t/tty" || fail "the bar is not on stdout's terminal: $(cat -v "$t/tty")"
    ! grep -q "ETA" "$t/err" || fail "a bar went to stderr, which is a file: $(cat -v "$t/err")"
}
scenario "with stderr in a file the bar goes to stdout's terminal" terminal_stdout_bar

terminal_stderr_bar() {
    on_terminal ">$t/log" || fail "stage-in, stdout to a file, failed: $(cat "$t/tty" "$t/log")"
    grep -q $'  ETA [0-9:]*  '"$nfiles/$nfiles files"$'\033\\[K' "$t/tty" || fail "no bar on stderr's terminal: $(cat -v "$t/tty")"
    ! grep -q "ETA" "$t/log" || fail "a bar went to stdout, which is a file: $(cat -v "$t/log")"
    expect_summary "$t/log" "$nfiles" 0 0
}
scenario "with stdout in a file the bar goes to stderr's terminal" terminal_stderr_bar

terminal_quiet() {
    on_terminal --quiet || fail "--quiet on a terminal failed: $(cat "$t/tty")"
    ! grep -q "ETA\|mpift-stage: $nfiles files" "$t/tty" || fail "--quiet still printed: $(cat -v "$t/tty")"
}
scenario "--quiet on a terminal prints neither bar nor summary" terminal_quiet

# The bar only where the user sees it: mpirun on a terminal, but its
# output in a file, or mpift-stage's own output redirected by a wrapper
# shell between mpirun and it, gets plain lines: no carriage return, no
# escape sequence in the file.  (Open MPI gives every rank a pty of its
# own for stdout either way, so a rank's isatty() says nothing.)
in_wrapper() {
    command -v script >/dev/null || skip "no script(1) to give mpirun a terminal"
    _mpift_timed script -qec "$(mpift_mpirun_line -n 4 sh -c "$1") $2" "$t/tty" >/dev/null 2>&1
}
no_bar_in() {
    [ -s "$1" ] || fail "$2: nothing in $1: $(cat -v "$t/tty")"
    ! grep -q $'[\r\033]' "$1" || fail "$2: the bar landed in $1: $(cat -v "$1")"
    expect_summary "$1" "$nfiles" 0 0
}
wrapper_output_in_file() {
    in_wrapper "\"$stage\" --config $t/a.cfg --force; true" ">$t/log 2>&1" ||
        fail "stage-in under a wrapper shell failed: $(cat "$t/tty" "$t/log")"
    no_bar_in "$t/log" "mpirun's output in a file, mpift-stage under sh -c"
    _mpift_timed script -qec "$(mpift_mpirun_line -n 4 "$stage" --config "$t/a.cfg" --force) >$t/log 2>&1" "$t/tty" \
        >/dev/null 2>&1 || fail "stage-in with its output in a file failed: $(cat "$t/log")"
    no_bar_in "$t/log" "mpirun's output in a file"
}
scenario "mpirun on a terminal with its output in a file: plain lines, also under a wrapper shell" wrapper_output_in_file

wrapper_redirects() {
    in_wrapper "\"$stage\" --config $t/a.cfg --force >$t/inner 2>&1; true" "" ||
        fail "stage-in under a redirecting wrapper failed: $(cat "$t/tty" "$t/inner")"
    no_bar_in "$t/inner" "a wrapper shell redirecting mpift-stage's output"
}
scenario "a wrapper shell that redirects mpift-stage's output on a terminal's mpirun: plain lines in its file" wrapper_redirects

# %j is the batch job's id (MPIFT_JOB_ID first, then the scheduler's, here
# LSF's), the same for every mpirun of one job, so stage-in, the job and
# stage-out find one folder; with none it is this MPI job's own id.
write_cfg "$t/j.cfg" "$t/src" "$t/jobs/%j"
job_id_mpift() {
    MPIFT_JOB_ID='run/7' LSB_JOBID=f123 mpift_mpirun -n 2 "$stage" --config "$t/j.cfg" >"$t/log" 2>&1 ||
        fail "stage-in with MPIFT_JOB_ID failed: $(cat "$t/log")"
    compare_tree "$t/src/tree" "$t/jobs/run-7" || fail "%j is not MPIFT_JOB_ID (made a file name): $(ls "$t/jobs")"
}
scenario "%j is MPIFT_JOB_ID first, made a file name" job_id_mpift

job_id_scheduler() {
    LSB_JOBID=f123 mpift_mpirun -n 2 "$stage" --config "$t/j.cfg" >"$t/log" 2>&1 || fail "stage-in with LSB_JOBID failed: $(cat "$t/log")"
    [ -d "$t/jobs/f123" ] || fail "%j is not the scheduler's job id: $(ls "$t/jobs")"
}
scenario "%j is the scheduler's job id without MPIFT_JOB_ID" job_id_scheduler

job_id_mpi() {
    env -u SLURM_JOB_ID -u PBS_JOBID -u LSB_JOBID -u FLUX_JOB_ID -u MPIFT_JOB_ID \
        "$BASH" -c '. "$1/tests/lib/common.sh"; mpift_mpirun -n 2 "$2" --config "$3"' sh "$top_srcdir" "$stage" "$t/j.cfg" >"$t/log" 2>&1 ||
        fail "stage-in without a batch job id failed: $(cat "$t/log")"
    # Open MPI's job id ("[14010,1]" made "14010-1"); Hydra gives none:
    # rank 0's pid ("pid4321"), one per mpiexec all the same.
    [ "$(ls "$t/jobs" | grep -vx 'run-7\|f123' | grep -c "$id")" = 1 ] ||
        fail "without a batch job, %j is not the MPI job's id ($id): $(ls "$t/jobs")"
}
id='^[0-9][0-9]*-[0-9][0-9]*$'
mpift_pmix_topology || id='^pid[0-9][0-9]*$'
scenario "%j is the MPI job's own id without a batch job" job_id_mpi

# per-rank: each rank its own copy; direct policy; no checksum.
per_rank_direct() {
    local r
    write_cfg "$t/b.cfg" "$t/src" "$t/rank/%r" 'workers: { copies = "per-rank"; policy = "direct"; };'
    mpift_mpirun -n 4 "$stage" --config "$t/b.cfg" >"$t/log" 2>&1 || fail "per-rank failed: $(cat "$t/log")"
    for r in 0 1 2 3; do
        compare_tree "$t/src/tree" "$t/rank/$r" || fail "rank $r copy differs"
    done
    expect_summary "$t/log" $((nfiles * 4)) 0 0
}
scenario "per-rank copies, direct policy: each rank its own byte-exact copy" per_rank_direct

# policy "tree": fanout trees sharing the chunks; 7 ranks (6 receivers)
# with fanouts whose relays never overlap (2, 3) and do (4), and a small
# chunk so the big file spreads over every tree.
# tree_fanout K
tree_fanout() {
    local k=$1 r
    rm -rf "$t/rank"
    write_cfg "$t/tree.cfg" "$t/src" "$t/rank/%r" \
        "workers: { copies = \"per-rank\"; policy = \"tree\"; fanout = $k; }; transfer: { chunk_size = \"64K\"; window = 2; };"
    sed -i '/chunk_size = "1M"/d' "$t/tree.cfg"
    mpift_mpirun -n 7 "$stage" --config "$t/tree.cfg" >"$t/log" 2>&1 || fail "tree fanout $k failed: $(cat "$t/log")"
    for r in 0 1 2 3 4 5 6; do
        compare_tree "$t/src/tree" "$t/rank/$r" || fail "tree fanout $k: rank $r copy differs"
    done
    expect_summary "$t/log" $((nfiles * 7)) 0 0
}
scenario "tree policy, fanout 2: 7 per-rank copies byte-exact" tree_fanout 2
scenario "tree policy, fanout 3: 7 per-rank copies byte-exact" tree_fanout 3
scenario "tree policy, fanout 4 (relays overlap): 7 per-rank copies byte-exact" tree_fanout 4

# Many small chunks in flight (4 KiB, window 16) on 7 oversubscribed
# ranks: receives complete in any order, and a relay must still forward
# each tree's chunks in order (a child matches them in the order sent).
# small_chunks POLICY
small_chunks() {
    local policy=$1 r
    rm -rf "$t/rank"
    write_cfg "$t/small.cfg" "$t/src" "$t/rank/%r" \
        "workers: { copies = \"per-rank\"; policy = \"$policy\"; }; transfer: { chunk_size = \"4K\"; window = 16; };"
    sed -i '/chunk_size = "1M"/d' "$t/small.cfg"
    mpift_mpirun -n 7 "$stage" --config "$t/small.cfg" >"$t/log" 2>&1 || fail "$policy, 4K chunks: $(cat "$t/log")"
    for r in 0 1 2 3 4 5 6; do
        compare_tree "$t/src/tree" "$t/rank/$r" || fail "$policy, 4K chunks: rank $r copy differs"
    done
}
scenario "pipeline, 4 KiB chunks, window 16: chunks forwarded in order" small_chunks pipeline
scenario "tree, 4 KiB chunks, window 16: chunks forwarded in order" small_chunks tree

# per-rank with a shared root is refused before anything moves.
per_rank_shared_root() {
    local rc=0
    write_cfg "$t/c.cfg" "$t/src" "$t/shared" 'workers: { copies = "per-rank"; };'
    mpift_mpirun -n 4 "$stage" --config "$t/c.cfg" >"$t/log" 2>&1 || rc=$?
    [ "$rc" = 2 ] || fail "per-rank with one root: exit $rc, expected 2: $(cat "$t/log")"
    grep -q "put %r or %l in paths.dest" "$t/log" || fail "per-rank message: $(cat "$t/log")"
    [ ! -e "$t/shared" ] || fail "per-rank refusal still created $t/shared"
}
scenario "per-rank copies into one shared root are refused (exit 2) before anything moves" per_rank_shared_root

# once: a single copy in all.
once() {
    write_cfg "$t/d.cfg" "$t/src" "$t/once" 'workers: { copies = "once"; }; transfer: { chunk_size = "64K"; checksum = "none"; };'
    sed -i '/chunk_size = "1M"/d' "$t/d.cfg"
    mpift_mpirun -n 4 "$stage" --config "$t/d.cfg" >"$t/log" 2>&1 || fail "once failed: $(cat "$t/log")"
    compare_tree "$t/src/tree" "$t/once" || fail "once copy differs"
    expect_summary "$t/log" "$nfiles" 0 0
}
scenario "copies = once, no checksum: a single byte-exact copy" once

# A missing source: exit 1, named on stderr; the other entries are staged.
missing_source() {
    local rc=0 f
    write_cfg "$t/e.cfg" "$t/src" "$t/miss" "" \
        '{ src = "tree/a/"; dest = "a/"; recursive = true; }, { src = "no-such-input.dat"; dest = "x/"; }, { src = "tree/*.bin"; dest = "bins/"; }'
    mpift_mpirun -n 4 "$stage" --config "$t/e.cfg" >"$t/log" 2>"$t/err" || rc=$?
    [ "$rc" = 1 ] || fail "missing source: exit $rc, expected 1: $(cat "$t/log" "$t/err")"
    grep -q "no-such-input.dat: No such file or directory" "$t/err" || fail "missing source not named: $(cat "$t/err")"
    compare_tree "$t/src/tree/a" "$t/miss/a" || fail "other entries were not staged"
    for f in "$t"/src/tree/*.bin; do
        cmp -s "$f" "$t/miss/bins/$(basename "$f")" || fail "glob entry not staged: $f"
    done
    [ ! -e "$t/miss/x" ] || fail "a folder was created for the missing source"
}
scenario "a missing source exits 1 naming it; the other entries are staged" missing_source

# The README's sample job: conf/stage.cfg on 4 ranks.
sample_job() {
    local f
    mpift_mpirun -n 4 "$stage" --config "$top_srcdir/conf/stage.cfg" --set "paths.dest=$t/sample" \
        >"$t/log" 2>&1 || fail "sample job failed: $(cat "$t/log")"
    for f in mesh.dat params.dat empty.dat; do
        cmp -s "$top_srcdir/conf/data/inputs/$f" "$t/sample/inputs/$f" || fail "sample inputs/$f differs"
    done
    [ ! -e "$t/sample/inputs/README.txt" ] || fail "glob staged a file it does not match"
    compare_tree "$top_srcdir/conf/data/ref" "$t/sample/ref" || fail "sample ref/ differs"
}
scenario "the README's sample job stages what conf/stage.cfg names, and only that" sample_job

# Empty folders (one nested) travel too, and nothing in them is invented.
empty_folders() {
    mkdir -p "$t/src/hollow/inner/deeper" "$t/src/hollow/empty"
    write_cfg "$t/h.cfg" "$t/src" "$t/hollow" "" '{ src = "hollow/"; dest = ""; recursive = true; }'
    mpift_mpirun -n 2 "$stage" --config "$t/h.cfg" >"$t/log" 2>&1 || fail "empty folders: $(cat "$t/log")"
    [ -d "$t/hollow/inner/deeper" ] && [ -d "$t/hollow/empty" ] || fail "empty folders were not made: $(find "$t/hollow")"
    [ -z "$(find "$t/hollow" -type f)" ] || fail "files appeared in empty folders"
}
scenario "empty folders, one nested, travel and stay empty" empty_folders

# Deep folders: 1,000 levels ("a/a/a/...") arrive byte-exact (the walk
# keeps neither 16 KiB of stack nor an open folder per level: either ran
# out at such depths); a name longer than PATH_MAX is refused, its message
# shortened in the middle but keeping the cause, exit 1.
deep=$(printf 'a/%.0s' $(seq 1 1000))
mkdir -p "$t/src/deep/$deep" && printf 'deep\n' >"$t/src/deep/${deep}leaf.txt" || fail "cannot make a deep tree"
write_cfg "$t/deep.cfg" "$t/src" "$t/deepdest" "" '{ src = "deep/"; dest = ""; recursive = true; }'
deep_tree() {
    (ulimit -n 256; mpift_mpirun -n 2 "$stage" --config "$t/deep.cfg") >"$t/log" 2>&1 || fail "deep folders: $(cut -c1-300 "$t/log")"
    compare_tree "$t/src/deep" "$t/deepdest" || fail "the deep tree differs"
}
scenario "1,000 nested folders arrive byte-exact with 256 open files at most" deep_tree

path_too_long() {
    local long rc=0
    long=$(printf '%0200d/' 1 2 3 4 5 6 7 8 9 10 11)
    (cd "$t/src/deep/$deep" && mkdir -p "$long" && printf 'too far\n' >"${long}far.txt") || fail "cannot make a long path"
    mpift_mpirun -n 2 "$stage" --config "$t/deep.cfg" >"$t/log" 2>"$t/err" || rc=$?
    [ "$rc" = 1 ] || fail "a path over PATH_MAX: exit $rc, expected 1: $(cut -c1-300 "$t/log" "$t/err")"
    grep -q "^mpift-stage: .*/deep/a/a/a/.*\.\.\.0*1[01]: path too long ([0-9]* bytes; the limit is [0-9]*) (stage_in\[0\])$" "$t/err" ||
        fail "the long path is not named: $(cut -c1-600 "$t/err")"
    [ "$(wc -L <"$t/err")" -lt 1000 ] || fail "the message is not shortened: $(wc -L <"$t/err") characters"
}
scenario "a path over PATH_MAX fails (exit 1) in a message shortened in the middle" path_too_long
done_testing
