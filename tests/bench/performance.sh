#!/bin/bash
# performance.sh - run the staging benchmarks and write docs/performance.md
# from what they measured: the date, the machine (CPU, cores, memory,
# kernel, MPI, load), the commit, the table staging.sh prints, and two
# plots (SVG, by gnuplot) of the fan-out cases.  Run by make bench:
#
#   tests/bench/performance.sh DOCDIR [CASE...]     (CASE: see staging.sh)
#
# Nothing is written when a case fails (a wrong copy, a job that broke):
# the page only ever holds a whole run's figures.  Without gnuplot the page
# is written without its plots, saying so.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
docdir=${1:?usage: performance.sh DOCDIR [CASE...]}
shift
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mpift-perf.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# ---------------------------------------------------------------- what ran, where
started=$(date -u '+%Y-%m-%d %H:%M UTC')
load=$(cut -d' ' -f1-3 /proc/loadavg)
cpu=$(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo | head -n 1)
cores=$(nproc)
mem=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 2^20 }' /proc/meminfo)
kernel=$(uname -sr)
os=$(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-}")
mpi=$(${MPIRUN:-mpirun} --version 2>/dev/null | sed -n '1{s/^mpirun (\(.*\)) \(.*\)/\1 \2/;p}')
version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"/\1/p' "$top_builddir/mpift_autoconf.h" 2>/dev/null)
if commit=$(git -C "$top_srcdir" rev-parse --short=12 HEAD 2>/dev/null); then
    git -C "$top_srcdir" diff --quiet HEAD -- src include configure.ac Makefile.am tests/bench 2>/dev/null ||
        commit="$commit, with uncommitted changes to the code"
else
    commit="not a git checkout"
fi
cases=${*:-all}

# ---------------------------------------------------------------- the run
MPIFT_BENCH_POINTS=$tmp/points
export MPIFT_BENCH_POINTS
: >"$MPIFT_BENCH_POINTS"
"${BASH:-bash}" "$top_srcdir/tests/bench/staging.sh" "$@" | tee "$tmp/table"
rc=${PIPESTATUS[0]}
[ "$rc" = 0 ] || { echo "performance.sh: the benchmarks failed (exit $rc); $docdir/performance.md left as it was" >&2; exit "$rc"; }
finished=$(date -u '+%H:%M UTC')

# ---------------------------------------------------------------- the plots
# points: POLICY NODES LINK_S NET, one a line.  A link's time names its
# case: 64 MiB at 200 Mbit/s (fanout, stripe) or 32 MiB at 50 Mbit/s (wide).
link_name() {
    awk -v s="$1" 'BEGIN { if (s + 0 < 4) print "64 MiB, 200 Mbit/s"; else print "32 MiB, 50 Mbit/s" }'
}

plots=
if [ -s "$MPIFT_BENCH_POINTS" ] && command -v gnuplot >/dev/null; then
    # time over one link's time against the node count, per policy and link
    sort -t"$(printf '\t')" -k1,1 -k3,3n -k2,2n "$MPIFT_BENCH_POINTS" >"$tmp/sorted"
    awk -F'\t' -v dir="$tmp" '
        { key = $1 "\t" $3; if (!(key in id)) { id[key] = ++n; order[n] = key }
          printf "%s %.3f\n", $2, $4 / $3 >> (dir "/nodes." id[key]) }
        END { for (i = 1; i <= n; i++) print i "\t" order[i] }' "$tmp/sorted" >"$tmp/nodes.keys"
    {
        echo 'set terminal svg size 760,520 dynamic font "sans,12" background "white"'
        echo "set output '$tmp/perf-nodes.svg'"
        echo 'set title "Net time of a stage-in over one link'"'"'s time, by node count"'
        echo 'set xlabel "nodes (1 rank each)"; set ylabel "net time / one link'"'"'s time"'
        echo 'set logscale x 2; set xrange [3:20]; set yrange [0:*]; set key below'
        echo 'set grid; set xtics (4, 8, 16)'
        printf 'plot 1 with lines dashtype 2 lc "gray" title "one link"'
        while IFS=$'\t' read -r i policy link; do
            printf ", '%s' using 1:2 with linespoints pt 7 title '%s (%s)'" "$tmp/nodes.$i" "$policy" "$(link_name "$link")"
        done <"$tmp/nodes.keys"
        echo
    } >"$tmp/nodes.gp"
    # net time against one link's time, per policy and node count
    sort -t"$(printf '\t')" -k1,1 -k2,2n -k3,3n "$MPIFT_BENCH_POINTS" |
        awk -F'\t' -v dir="$tmp" '
        { key = $1 "\t" $2; if (!(key in id)) { id[key] = ++n; order[n] = key }
          printf "%s %s\n", $3, $4 >> (dir "/link." id[key]) }
        END { for (i = 1; i <= n; i++) print i "\t" order[i] }' >"$tmp/link.keys"
    {
        echo 'set terminal svg size 760,520 dynamic font "sans,12" background "white"'
        echo "set output '$tmp/perf-link.svg'"
        echo 'set title "Net time of a stage-in against one link'"'"'s time for the same bytes"'
        echo 'set xlabel "one link'"'"'s time (s)"; set ylabel "net time (s)"'
        echo 'set xrange [0:*]; set yrange [0:*]; set key below; set grid'
        printf 'plot x with lines dashtype 2 lc "gray" title "one link"'
        while IFS=$'\t' read -r i policy nodes; do
            printf ", '%s' using 1:2 with linespoints pt 7 title '%s, %s nodes'" "$tmp/link.$i" "$policy" "$nodes"
        done <"$tmp/link.keys"
        echo
    } >"$tmp/link.gp"
    if gnuplot "$tmp/nodes.gp" && gnuplot "$tmp/link.gp"; then
        plots=yes
    else
        echo "performance.sh: gnuplot failed; the page is written without plots" >&2
    fi
fi

# ---------------------------------------------------------------- the page
mkdir -p "$docdir"
page=$docdir/performance.md
{
    cat <<EOF
# Performance

Written by \`make bench\` (\`tests/bench/performance.sh\`) on $started
(to $finished); do not edit it by hand: run \`make bench\` again.  What
each case measures and its target: [benchmarks.md](benchmarks.md).

| | |
|---|---|
| mpift | ${version:-?} ($commit) |
| cases | $cases |
| CPU | ${cpu:-?}, $cores cores |
| memory | $mem |
| kernel | $kernel${os:+ ($os)} |
| MPI | ${mpi:-?} |
| load average at start | $load (the machine may be shared: figures move with it) |

EOF
    if [ -n "$plots" ]; then
        cat <<EOF
![net time over one link's time, by node count](perf-nodes.svg)

Net time (the whole job less the same job with every copy already in
place) over the time of the same bytes on one link, by node count, per
policy.  The dashed line is one link's time: a route that stays near it
as nodes are added does not grow with the node count (\`direct\`, where
rank 0 sends every copy itself, cannot).

![net time against one link's time](perf-link.svg)

The same runs against one link's time: a route whose time follows the
dashed line is bound by the link, not by the node count.

EOF
    else
        echo "No plots: $( [ -s "$MPIFT_BENCH_POINTS" ] && echo "gnuplot is not installed (Debian: gnuplot-nox)" || echo "no fan-out case ran (fanout, stripe, wide: they need root and network namespaces)")."
        echo
    fi
    echo "The table, as \`tests/bench/staging.sh\` printed it:"
    echo
    sed 's/^/    /' "$tmp/table"
} >"$page.tmp" && mv "$page.tmp" "$page" || exit 1
rm -f "$docdir/perf-nodes.svg" "$docdir/perf-link.svg"
[ -z "$plots" ] || cp "$tmp/perf-nodes.svg" "$tmp/perf-link.svg" "$docdir/"
echo "wrote $page"
