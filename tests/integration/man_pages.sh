#!/bin/bash
# The man pages say what the code does: every configuration key that
# src/module/config/keys.c knows (and every spelling of its enum values)
# is described in mpift.conf(5), in its own section; every function that
# include/mpift/mpift.h exports is in mpift(3).  A key added to the schema
# without a line in the manual fails here.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/prelude.sh" local
plan 3

keys=$top_srcdir/src/module/config/keys.c
conf5=$top_srcdir/man/mpift.conf.5.in
api3=$top_srcdir/man/mpift.3
header=$top_srcdir/include/mpift/mpift.h

# The schema: "SECTION KEY", one a line.  An array NAME_keys[] lists the
# keys of group NAME; mpift_cfg_top_keys those of the top level and
# mpift_cfg_entry_keys those of a stage_in/stage_out entry.
schema() {
    awk '
        /^(static )?const struct mpift_keydef [a-z_]*\[\] = \{/ {
            name = $0; sub(/\[\].*/, "", name); sub(/.* /, "", name)
            if (name == "mpift_cfg_top_keys") sec = "top"
            else if (name == "mpift_cfg_entry_keys") sec = "entry"
            else if (name ~ /_keys$/) { sec = name; sub(/_keys$/, "", sec) }
            else sec = ""
            inside = 1
        }
        inside && sec != "" {
            line = $0
            while (match(line, /\{"[a-z_]+", MPIFT_KEY_/)) {
                k = substr(line, RSTART + 2, RLENGTH - 2); sub(/".*/, "", k)
                print sec, k
                line = substr(line, RSTART + RLENGTH)
            }
        }
        inside && /^\};/ { inside = 0 }' "$keys" | sort -u
}

# The manual: "SECTION KEY" for each ".TP" followed by ".B KEY" under
# SETTINGS (section "top" before the first .SS; the .SS listing stage_in
# is "entry"), and "top NAME" for each .SS heading (a group or a list).
documented() {
    awk '
        /^\.SH / { settings = ($2 == "SETTINGS"); sec = "top"; next }
        !settings { next }
        /^\.SS / {
            h = substr($0, 5)
            if (h ~ /stage_in/) { sec = "entry"; print "top stage_in"; print "top stage_out" }
            else { sec = h; print "top", h }
            next
        }
        /^\.TP/ { tp = 1; next }
        tp && /^\.B [a-z_]+$/ { print sec, $2 }
        { tp = 0 }' "$conf5" | sort -u
}

every_key() {
    local missing
    [ -n "$(schema)" ] || fail "no keys found in $keys"
    missing=$(comm -23 <(schema) <(documented))
    [ -z "$missing" ] || fail "keys of config/keys.c not described in mpift.conf(5) (section key): $(echo $missing)"
}
scenario "every configuration key of config/keys.c is described in mpift.conf(5), in its section" every_key

# Each spelling of an enum value (mpift_cfg_*_names[]) appears quoted in
# the manual, as the page writes them: .B """per-rank""".
every_value() {
    local v missing=
    for v in $(sed -n 's/^const char \*const mpift_cfg_[a-z_]*_names\[\] = {\(.*\), NULL};/\1/p' "$keys" | tr -d '",'); do
        grep -qF "\"\"\"$v\"\"\"" "$conf5" || missing="$missing $v"
    done
    [ -z "$missing" ] || fail "values of config/keys.c not in mpift.conf(5):$missing"
}
scenario "every value a key may take is named in mpift.conf(5)" every_value

# Every MPIFT_EXPORT function of mpift.h has a heading in mpift(3).
every_call() {
    local f missing=
    [ -f "$api3" ] || fail "no man/mpift.3"
    for f in $(grep -v '^#' "$header" | tr '\n' ' ' | grep -o 'MPIFT_EXPORT [^;(]*(' | sed 's/($//; s/.*[ *]//' | grep '^mpift_' | sort -u); do
        grep -q "^\.B $f\b\|^\.BI* \"*[^\"]*\b$f(" "$api3" || grep -qw "^\.SS.*$f\|^\.B.*$f" "$api3" || missing="$missing $f"
    done
    [ -z "$missing" ] || fail "functions of mpift.h not in mpift(3):$missing"
}
scenario "every function mpift.h exports is described in mpift(3)" every_call

done_testing
