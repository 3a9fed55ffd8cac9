#!/bin/bash
# The shape of the source tree, checked so that it stays true.  The layer
# table of docs/internals.md is the statement: its rows, in order, are the
# layers; each row's "holds" names every file of its folder and no other,
# and its "uses" is exactly the set of layers its files include.  Every
# file's layer is the first folder of its path and its includes point
# only down the list; no file over 700 lines, no function over 120; MPI
# tags only in wire/tags.h, realloc only in util/grow.h.  wire/, util/, config/, cache/ and fs/ include no MPI
# header, directly or through another header: MPI lives in comm/ and
# above, and the wire's decoders are fuzzed without it.
# The exported symbols are the MPIFT_EXPORT declarations of include/mpift/,
# and nothing else (CONTRIBUTING.md, "Names").  Every source file under
# src/ is in a list of Makefile.am, so the release tarball holds it, and
# every script of tests/integration is in INTEGRATION_TESTS, so make check
# runs it.  The engine's files built once for both the real and the
# fault-injection builds see no util/faults.h, and no tracked file is a
# compiled binary.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" local
plan 14

mod=$top_srcdir/src/module
doc=$top_srcdir/docs/internals.md
# The rows of the layer table: "| `layer/` | holds | uses |".
table=$(sed -n '/^| layer | holds | uses |$/,/^$/p' "$doc" | grep '^| `[a-z_]*/` |')
# From the top: a layer may include its own folder and the ones after it.
mapfile -t layers < <(sed 's/^| `\([a-z_]*\)\/` |.*/\1/' <<<"$table")
[ "${#layers[@]}" -gt 0 ] || fail "no layer table in docs/internals.md"

layer_index() {
    local i
    for i in "${!layers[@]}"; do
        [ "${layers[$i]}" = "$1" ] && { echo "$i"; return; }
    done
    echo -1
}

sources() {
    (cd "$mod" && find . -name '*.[ch]' | sed 's|^\./||' | sort)
}

layering() {
    local f me inc them bad=0
    for f in $(sources); do
        me=$(layer_index "${f%%/*}")
        [ "$me" -ge 0 ] || { echo "$f: not in a layer folder (${layers[*]})"; bad=1; continue; }
        for inc in $(sed -n 's|^#include "\([a-z_]*\)/.*|\1|p' "$mod/$f" | sort -u); do
            [ "$inc" = mpift ] && continue
            them=$(layer_index "$inc")
            if [ "$them" -lt 0 ]; then
                echo "$f includes from $inc/, which is not a layer"; bad=1
            elif [ "$them" -lt "$me" ]; then
                echo "$f (${layers[$me]}) includes from $inc/, a layer above it"; bad=1
            fi
        done
    done
    [ "$bad" = 0 ] || fail "includes that point up the layer list (see docs/internals.md)"
}
scenario "every module file sits in a layer folder and includes only its layer and those below" layering

file_sizes() {
    local f n bad=0
    for f in $(cd "$top_srcdir" && find src -name '*.[ch]' | sort); do
        n=$(wc -l <"$top_srcdir/$f")
        [ "$n" -le 700 ] || { echo "$f: $n lines"; bad=1; }
    done
    [ "$bad" = 0 ] || fail "files over 700 lines under src/"
}
scenario "no file under src/ is over 700 lines" file_sizes

# A function starts at a line beginning with a name and "(" that does not
# end in ";", and its body runs from a "{" in column 0 to a "}" there.
function_sizes() {
    local long
    long=$(cd "$top_srcdir" && find src -name '*.c' | sort | xargs awk '
        FNR == 1 { body = 0 }
        /^[a-zA-Z].*\(/ && !/;[[:space:]]*$/ { sig = $0 }
        /^\{/ { body = 1; start = FNR; name = sig }
        /^\}/ && body { if (FNR - start + 1 > 120) printf "%s:%d: %d lines: %s\n", FILENAME, start, FNR - start + 1, name; body = 0 }')
    [ -z "$long" ] || fail "functions over 120 lines: $long"
}
scenario "no function under src/ is over 120 lines" function_sizes

# MPI calls that carry a tag take it from wire/tags.h: no "#define ...TAG"
# elsewhere, and no point-to-point call with a number where the tag goes.
tags() {
    local defs lits
    defs=$(grep -rnE '#define[[:space:]]+([A-Z0-9]+_)*TAG(_[A-Z0-9_]+)?[[:space:](]' "$mod" | grep -v "^$mod/wire/tags.h:")
    lits=$(grep -rnE 'MPI_I?s?[SR]e[nc][dv]\(|MPI_I?[Pp]robe\(' "$mod" | grep -E ', *[0-9]+, *[a-z_>.-]*comm' )
    [ -z "$defs$lits" ] || fail "a tag outside wire/tags.h: $defs $lits"
}
scenario "every MPI tag comes from wire/tags.h" tags

# An array of the module gets room through util/grow.h alone (its
# overflow checks, and a failure that leaves the array as it was): no
# realloc anywhere else.
grows() {
    local calls
    calls=$(grep -rnE '\<realloc[[:space:]]*\(' --include='*.[ch]' "$mod" | grep -v "^$mod/util/grow.h:")
    [ -z "$calls" ] || fail "realloc outside util/grow.h (use mpift_grow): $calls"
}
scenario "no module file but util/grow.h calls realloc" grows

# Column N (2 holds, 3 uses) of layer L's row in the table.
cell() {
    grep "^| \`$1/\` |" <<<"$table" | awk -F' [|] ' -v n="$2" '{ sub(/ [|]$/, ""); print $n }'
}

# The layers that the files of folder L include, one a line, sorted.
includes_of() {
    sed -n 's|^#include "\([a-z_]*\)/.*|\1|p' "$mod/$1"/*.[ch] | grep -vx -e "$1" -e mpift | sort -u
}

# The table's rows are the folders of src/module; each names its files
# (`x.c` or `x.h` for each stem x) and only files that are there.
internals_files() {
    local d f bad=0 folders
    folders=$(cd "$mod" && find . -mindepth 1 -maxdepth 1 -type d | sed 's|^\./||' | sort)
    [ "$folders" = "$(printf '%s\n' "${layers[@]}" | sort)" ] ||
        { echo "folders: $(echo $folders); table: ${layers[*]}"; bad=1; }
    for d in $folders; do
        for f in $(cd "$mod/$d" && ls *.[ch] | sed 's/\.[ch]$//' | sort -u); do
            grep -qE "\`$f\.[ch]\`" <<<"$(cell "$d" 2)" || { echo "docs/internals.md: $d/ does not name $f.c or $f.h"; bad=1; }
        done
    done
    for d in "${layers[@]}"; do
        for f in $(grep -o '`[a-z_]*\.[ch]`' <<<"$(cell "$d" 2)" | tr -d '`' | sort -u); do
            [ -f "$mod/$d/$f" ] || { echo "docs/internals.md names $d/$f, which is not there"; bad=1; }
        done
    done
    [ "$bad" = 0 ] || fail "docs/internals.md's layer table does not match the folders and files of src/module"
}
scenario "docs/internals.md's layer table names every folder and file of src/module, and nothing else" internals_files

# Each row's "uses" (less what is in parentheses) is what its files include.
internals_uses() {
    local d said real bad=0
    for d in "${layers[@]}"; do
        said=$(cell "$d" 3 | sed 's/([^)]*)//g' | grep -o '`[a-z_]*`' | tr -d '`' | sort -u)
        real=$(includes_of "$d")
        [ "$said" = "$real" ] ||
            { echo "docs/internals.md: $d/ uses [$(echo $said)], its files include [$(echo $real)]"; bad=1; }
    done
    [ "$bad" = 0 ] || fail "docs/internals.md's \"uses\" column is not the include graph"
}
scenario "docs/internals.md's \"uses\" column is each layer's include graph" internals_uses

# The headers a file includes, followed through every header of this tree
# (src/module and include/), one path a line; a system header as <name>.
include_closure() {
    local -A seen=()
    local todo=("$1") f inc path
    while [ "${#todo[@]}" -gt 0 ]; do
        f=${todo[0]}; todo=("${todo[@]:1}")
        [ -n "${seen[$f]:-}" ] && continue
        seen[$f]=1
        echo "$f"
        [ -f "$f" ] || continue
        for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*\(["<][^">]*[">]\).*/\1/p' "$f"); do
            case $inc in
            \"mpift/*|\<mpift/*) path=$top_srcdir/include/${inc:1:-1} ;;
            \"*) path=$mod/${inc:1:-1} ;;
            *) path=$inc ;;
            esac
            todo+=("$path")
        done
    done
}

# Each of the files given (paths below src/module) that sees <mpi.h>,
# directly or through another header of this tree, named with its chain;
# status 1 if any does.
mpi_seen_by() {
    local f bad=0
    for f in "$@"; do
        [ -f "$mod/$f" ] || { echo "$f is missing"; bad=1; continue; }
        if include_closure "$mod/$f" | grep -qx '<mpi.h>'; then
            echo "$f includes <mpi.h>, directly or through: $(include_closure "$mod/$f" | grep -v '^<' | sed "s|^$mod/||; s|^$top_srcdir/||" | tail -n +2 | tr '\n' ' ')"
            bad=1
        fi
    done
    return "$bad"
}

# MPI is comm/'s and the layers above it: nothing wire/, util/, config/
# or fs/ compiles sees <mpi.h>.
no_mpi_below_comm() {
    mpi_seen_by $(cd "$mod" && find wire util config cache fs -name '*.[ch]' | sort) ||
        fail "an MPI header in wire/, util/, config/, cache/ or fs/ (MPI belongs in comm/ and above)"
}
scenario "wire/, util/, config/, cache/ and fs/ include no MPI header, directly or through another header" no_mpi_below_comm

# The routes are pure arithmetic, unit-tested without MPI: the files that
# compute them and the struct they fill see no <mpi.h> either.
no_mpi_in_routes() {
    mpi_seen_by stage/route.c stage/route.h engine/route.h || fail "an MPI header in the pure route files"
}
scenario "stage/route.[ch] and engine/route.h include no MPI header, directly or through another" no_mpi_in_routes

# The public API is what include/mpift/*.h declares with MPIFT_EXPORT;
# everything else is built -fvisibility=hidden.  libmpift.so exports
# mpift.h's calls, the module mpift.so those and hook.h's entry point:
# the dynamic symbol tables (nm -D) hold exactly those functions.
declared_exports() {
    sed -n 's/^MPIFT_EXPORT[^(]*[^a-z_0-9(]\(mpift_[a-z_0-9]*\)(.*/\1/p' "$@" | sort -u
}
exported() {
    nm -D --defined-only "$1" | awk '$2 ~ /^[TtWiDdBbRrVv]$/ && $3 !~ /^_/ { print $3 }' | sort -u
}
exports() {
    local inc=$top_srcdir/include/mpift lib=$top_builddir/src/.libs bad=0 want got so
    for so in libmpift.so mpift.so; do
        [ -f "$lib/$so" ] || fail "$lib/$so is not built"
        if [ "$so" = libmpift.so ]; then want=$(declared_exports "$inc/mpift.h"); else want=$(declared_exports "$inc"/*.h); fi
        got=$(exported "$lib/$so")
        [ -n "$want" ] || fail "no MPIFT_EXPORT declaration found in $inc"
        [ "$want" = "$got" ] ||
            { echo "$so: exports [$(echo $got)]; include/mpift/ declares [$(echo $want)]"; bad=1; }
    done
    [ "$bad" = 0 ] || fail "the exported symbols are not the MPIFT_EXPORT declarations of include/mpift/"
}
scenario "libmpift.so and mpift.so export exactly the MPIFT_EXPORT functions of include/mpift/" exports

# A release tarball holds what Makefile.am lists: a source file it does
# not name builds from git, and breaks `make distcheck` and every build
# from the tarball.  am_list AM VAR-REGEX: the words of AM's assignments
# (= and +=, continuation lines joined) to the variables VAR-REGEX
# matches, but nodist_ ones (not shipped), one a line, sorted.
am_list() {
    sed -e ':a' -e '/\\$/N; s/\\\n/ /; ta' "$1" | grep -Ev '^(nobase_)?nodist_' |
        sed -n -E "/^($2)[[:space:]]*[+]?=/{s/^[^=]*=//;p}" | tr -s ' \t' '\n\n' | grep -v '^$' | LC_ALL=C sort -u
}

# The lists automake puts in the tarball: _SOURCES, _HEADERS and _PYTHON
# unless nodist_; _DATA, _MANS and _SCRIPTS only when dist_ (a plain
# pkgdata_DATA is installed from the build, never shipped); EXTRA_DIST.
AM_SHIPPED='([A-Za-z0-9_]*_(SOURCES|HEADERS|PYTHON)|(nobase_)?dist_[A-Za-z0-9_]*_(DATA|MANS|SCRIPTS)|EXTRA_DIST)'

# unlisted SRCDIR AM: each source file under SRCDIR/src (C, headers,
# Fortran, included fragments, .in templates, scripts) that AM names in no
# list it ships (AM_SHIPPED) and does not make (BUILT_SOURCES, CLEANFILES:
# an in-tree build leaves them beside the sources); then each src/ file AM
# lists that is not there.
unlisted() {
    local shipped made f
    shipped=$(am_list "$2" "$AM_SHIPPED")
    made=$(am_list "$2" 'BUILT_SOURCES|CLEANFILES')
    (cd "$1" && find src -type f \( -name '*.[ch]' -o -name '*.f90' -o -name '*.F90' -o -name '*.inc' -o -name '*.in' \
        -o -name '*.py' -o -name '*.sh' \) | LC_ALL=C sort) |
        LC_ALL=C comm -23 - <(printf '%s\n' "$shipped" "$made" | LC_ALL=C sort -u) |
        sed 's/$/ is under src\/ but in no list of Makefile.am (_SOURCES, _HEADERS, EXTRA_DIST, ...)/'
    for f in $(grep '^src/' <<<"$shipped"); do
        [ -f "$1/$f" ] || grep -qxF "$f" <<<"$made" || echo "Makefile.am lists $f, which is not there"
    done
}

# And the check can fail: with a header dropped from a copy of
# Makefile.am, or moved to a list automake does not ship, it names that
# header; moved to a dist_ list, it is shipped.
distributed() {
    local out h list
    out=$(unlisted "$top_srcdir" "$top_srcdir/Makefile.am")
    [ -z "$out" ] || fail "a release tarball would lack sources: $out"
    h=$(grep -o ' src/module/[a-z_]*/[a-z_]*\.h' "$top_srcdir/Makefile.am" | head -n 1)
    for list in '' pkgdata_DATA man_MANS bin_SCRIPTS nodist_noinst_HEADERS nobase_nodist_include_HEADERS; do
        sed "s| ${h# }||" "$top_srcdir/Makefile.am" >"$t/Makefile.am"
        [ -z "$list" ] || echo "$list =$h" >>"$t/Makefile.am"
        out=$(unlisted "$top_srcdir" "$t/Makefile.am")
        [ "$out" = "${h# } is under src/ but in no list of Makefile.am (_SOURCES, _HEADERS, EXTRA_DIST, ...)" ] ||
            fail "the check did not name${h} ${list:-dropped} from a copy of Makefile.am: '$out'"
    done
    for list in dist_pkgdata_DATA nobase_dist_pkgdata_DATA dist_man_MANS noinst_HEADERS pkgpython_PYTHON EXTRA_DIST; do
        sed "s| ${h# }||" "$top_srcdir/Makefile.am" >"$t/Makefile.am"
        echo "$list =$h" >>"$t/Makefile.am"
        out=$(unlisted "$top_srcdir" "$t/Makefile.am")
        [ -z "$out" ] || fail "the check took${h} in $list of a copy of Makefile.am for not shipped: '$out'"
    done
}
scenario "every source file under src/ is in a Makefile.am list (the release tarball holds it)" distributed

# make check runs INTEGRATION_TESTS alone, in its order (longest first):
# a script left out of it never runs, and nothing says so.
integration_listed() {
    local out
    out=$(cd "$top_srcdir" && ls tests/integration/*.sh | LC_ALL=C sort |
        LC_ALL=C comm -23 - <(am_list "$top_srcdir/Makefile.am" INTEGRATION_TESTS))
    [ -z "$out" ] || fail "in tests/integration but not in Makefile.am's INTEGRATION_TESTS (make check never runs them): $out"
}
scenario "every script of tests/integration is in Makefile.am's INTEGRATION_TESTS" integration_listed

# make check builds the engine a second time with MPIFT_FAULT_INJECTION,
# but compiles only MPIFT_FAULT_SOURCES again: the files of
# src_libmpift_shared_la_SOURCES are built once, without it, for both
# (Makefile.am).  A file there that tests the flag, directly or through a
# header (util/faults.h does), would run the fault tests with its faults
# compiled out; a file of MPIFT_FAULT_SOURCES that does not is compiled
# twice for nothing.  sees_faults: the .c files given (paths from the top
# of the tree) whose include closure tests the flag, one a line.
sees_faults() {
    local f
    for f in "$@"; do
        include_closure "$top_srcdir/$f" | grep '^/' | xargs grep -qsE \
            '^[[:space:]]*#[[:space:]]*(if|ifdef|ifndef|elif)[[:space:]].*MPIFT_FAULT_INJECTION' && echo "$f"
    done
}

# fault_split AM SEEN: each file that AM puts in the wrong one of the two
# lists, given SEEN (the files that see the flag).
fault_split() {
    local shared fault
    shared=$(am_list "$1" src_libmpift_shared_la_SOURCES | grep '\.c$')
    fault=$(am_list "$1" MPIFT_FAULT_SOURCES)
    [ -n "$shared" ] && [ -n "$fault" ] || { echo "$1 has no src_libmpift_shared_la_SOURCES or MPIFT_FAULT_SOURCES"; return; }
    LC_ALL=C comm -12 <(echo "$shared") <(echo "$2") |
        sed 's/$/ sees util\/faults.h but is in src_libmpift_shared_la_SOURCES, built once without MPIFT_FAULT_INJECTION: move it to MPIFT_FAULT_SOURCES/'
    LC_ALL=C comm -23 <(echo "$fault") <(echo "$2") |
        sed 's/$/ is in MPIFT_FAULT_SOURCES but does not see util\/faults.h: move it to src_libmpift_shared_la_SOURCES/'
}

# And the check can fail: with a file of MPIFT_FAULT_SOURCES moved to the
# shared list in a copy of Makefile.am, it names that file.
fault_sources() {
    local seen out f
    seen=$(cd "$top_srcdir" && sees_faults $(find src/module -name '*.c') | LC_ALL=C sort)
    out=$(fault_split "$top_srcdir/Makefile.am" "$seen")
    [ -z "$out" ] || fail "Makefile.am: $out"
    f=$(am_list "$top_srcdir/Makefile.am" MPIFT_FAULT_SOURCES | head -n 1)
    sed -E -e "s#([[:space:]])$f([[:space:]]|\$)#\\1\\2#" -e "s#^src_libmpift_shared_la_SOURCES = #&$f #" \
        "$top_srcdir/Makefile.am" >"$t/Makefile.am"
    out=$(fault_split "$t/Makefile.am" "$seen")
    [ "$out" = "$f sees util/faults.h but is in src_libmpift_shared_la_SOURCES, built once without MPIFT_FAULT_INJECTION: move it to MPIFT_FAULT_SOURCES" ] ||
        fail "the check did not name $f moved to the shared list in a copy of Makefile.am: '$out'"
}
scenario "the engine's files built once for both builds do not see util/faults.h; the ones built twice do" fault_sources

# Build products are never committed (a test program was, once): each
# file given that file(1) calls a program, shared library, object or
# archive, one a line.
compiled() {
    [ "$#" = 0 ] && return
    file -N -b --mime-type "$@" | paste -d' ' - <(printf '%s\n' "$@") |
        grep -E '^application/x-(executable|pie-executable|sharedlib|object|archive|mach-binary|dosexec|elf)' | cut -d' ' -f2-
}

# And the check can fail: it names the launcher make built.
no_tracked_binaries() {
    local top out
    top=$(git -C "$top_srcdir" rev-parse --show-toplevel 2>/dev/null) || top=
    [ -n "$top" ] && [ "$(cd "$top" && pwd -P)" = "$(cd "$top_srcdir" && pwd -P)" ] ||
        skip "$top_srcdir is not a git checkout (a release tarball: make distcheck), so no file is tracked"
    out=$(cd "$top_srcdir" && mapfile -t files < <(git ls-files) && compiled "${files[@]}")
    [ -z "$out" ] || fail "git tracks compiled files (git rm --cached them, and ignore them): $(echo $out)"
    [ "$(compiled "$top_builddir/src/mpift-stage")" = "$top_builddir/src/mpift-stage" ] ||
        fail "the check does not call $top_builddir/src/mpift-stage compiled: $(file -b "$top_builddir/src/mpift-stage")"
}
scenario "no file git tracks is a compiled program, library or object" no_tracked_binaries

done_testing
