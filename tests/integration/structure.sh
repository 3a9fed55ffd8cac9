#!/bin/bash
# The shape of the source tree (docs/internals.md), checked so that it
# stays true: every file's layer is the first folder of its path and its
# includes point only down the layer list; no file over 700 lines, no
# function over 120; MPI tags only in wire/tags.h; the README's Layout
# section names every folder and file of src/module.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" local
plan 5

mod=$top_srcdir/src/module
# From the top: a layer may include its own folder and the ones after it.
layers=(api service stage job engine wire config fs util)

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

# README's Layout names each folder of src/module ("src/module/engine/")
# and each file's stem in it.
readme_layout() {
    local layout d f stem bad=0
    layout=$(sed -n '/^## Layout/,/^## /p' "$top_srcdir/README")
    for d in $(cd "$mod" && find . -mindepth 1 -maxdepth 1 -type d | sed 's|^\./||' | sort); do
        grep -q "src/module/$d/" <<<"$layout" || { echo "README Layout lacks src/module/$d/"; bad=1; }
        for f in $(cd "$mod/$d" && ls *.[ch] | sed 's/\.[ch]$//' | sort -u); do
            stem=$f
            grep -qw -- "$stem" <<<"$layout" || { echo "README Layout lacks $d/$stem"; bad=1; }
        done
    done
    for d in $(grep -o 'src/module/[a-z_]*/' <<<"$layout" | sort -u); do
        [ -d "$top_srcdir/$d" ] || { echo "README Layout names $d, which is not there"; bad=1; }
    done
    [ "$bad" = 0 ] || fail "README's Layout section does not match src/module"
}
scenario "README's Layout names every folder and file of src/module, and nothing else" readme_layout

done_testing
