#!/bin/bash
# run.sh [SECONDS] - fuzz every decoder of a received message and the
# configuration loader with libFuzzer (clang, Debian package "clang"),
# SECONDS each (default 60), ASan and UBSan on.  One target per format:
#   proto   wire/proto.h and wire/request.h (file streams, service)
#   plan    wire/planrec.h (a plan; a stage-out writer's list)
#   cands   wire/cands.h (the striping candidates)
#   beat    wire/beat.h (a heartbeat and its silent ranks)
#   want    wire/want.h (stage-out's want list)
#   offers  wire/offers.h (what a writer holds already, to rank 0)
#   libs    wire/libset.h (the programs' sets of libraries)
#   elf     elf/elf.h (an ELF object's headers, read from the source tree)
#   config  the configuration loader (rank 0's text, shared)
# Each starts from tests/fuzz/corpus/TARGET and from seeds that the
# encoders make afresh (seeds.c).  New inputs that reach new code are
# kept in tests/fuzz/corpus/TARGET (commit the interesting ones), or with
# FUZZ_KEEP=no (CI) in a scratch folder; a crash stops that target with
# its input saved as tests/fuzz/crash-TARGET-* and makes the exit 1.
# Prints each target's runs and executions per second.
#   make fuzz                      # from a configured tree
#   tests/fuzz/run.sh 600          # longer
#   FUZZ_TARGETS="plan want" tests/fuzz/run.sh 30
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${top_builddir:-$top}
secs=${1:-60}
targets=${FUZZ_TARGETS:-proto plan cands beat want offers libs elf config}
command -v clang >/dev/null || { echo "run.sh: no clang (apt-get install clang)" >&2; exit 77; }
out=$(mktemp -d "${TMPDIR:-/tmp}/mpift-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$out"' EXIT
inc=(-I"$build/include" -I"$top/include" -I"$top/src/module" -I"$build" -DMPIFT_BUILDING)
flags=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined "${inc[@]}")
wire=$top/src/module/wire
mod=$top/src/module

# The wire's targets link the wire alone: it holds no MPI (structure.sh).
build_target() {
    case $1 in
    proto) set -- "$1" "$wire/proto.c" "$wire/request.c" ;;
    plan) set -- "$1" "$wire/planrec.c" ;;
    cands) set -- "$1" "$wire/cands.c" ;;
    beat) set -- "$1" "$wire/beat.c" ;;
    want) set -- "$1" "$wire/want.c" ;;
    offers) set -- "$1" "$wire/offers.c" ;;
    libs) set -- "$1" "$wire/libset.c" ;;
    elf) set -- "$1" "$mod/elf/elf.c" ;;
    config)
        clang "${flags[@]}" $(pkg-config --cflags libconfig) "$here/fuzz_config.c" "$mod"/config/*.c "$mod/fs/fsafe.c" \
            "$mod/fs/walk.c" "$mod/util/log.c" $(pkg-config --libs libconfig) -lxxhash -o "$out/fuzz_config"
        return ;;
    *) echo "run.sh: no fuzz target $1" >&2; return 1 ;;
    esac
    clang "${flags[@]}" "$here/fuzz_$1.c" "$wire/cursor.c" "${@:2}" -o "$out/fuzz_$1"
}

clang -g -O1 "${inc[@]}" "$here/seeds.c" "$wire"/*.c -o "$out/make_seeds" || exit 1
for t in proto plan cands beat want offers libs elf; do mkdir -p "$out/seeds/$t"; done
"$out/make_seeds" "$out/seeds" || exit 1
# The ELF reader's seeds: a library and a program, small enough for
# -max_len (compact: no page-aligned segments, stripped).
echo 'int f(void) { return 1; } int main(void) { return 0; }' >"$out/seed.c"
clang -shared -fPIC -s -Wl,-z,noseparate-code -Wl,-soname,libseed.so.1 -Wl,--enable-new-dtags,-rpath,'$ORIGIN/../lib' \
    -o "$out/seeds/elf/seed-lib" "$out/seed.c" &&
    clang -s -Wl,-z,noseparate-code -o "$out/seeds/elf/seed-prog" "$out/seed.c" || exit 1

status=0
for t in $targets; do
    build_target "$t" || { echo "fuzz_$t: does not build"; status=1; continue; }
    mkdir -p "$here/corpus/$t" "$out/new-$t" "$out/seeds/$t"
    keep=$here/corpus/$t
    [ "${FUZZ_KEEP:-yes}" = no ] && keep=$out/new-$t
    echo "=== fuzz_$t for ${secs}s (corpus: $(ls "$here/corpus/$t" | wc -l) inputs)"
    (cd "$out" && ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions="$here/lsan.supp" ./fuzz_$t \
        -max_total_time="$secs" -max_len=8192 -print_final_stats=1 -artifact_prefix="$here/crash-$t-" \
        "$keep" "$here/corpus/$t" "$out/seeds/$t" 2>"$out/$t.log")
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$t.log")
    eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out/$t.log")
    echo "fuzz_$t: ${runs:-0} runs, ${eps:-0} exec/s"
    if [ "$rc" != 0 ]; then
        echo "fuzz_$t FAILED (exit $rc):"
        grep -E "ERROR|SUMMARY|runtime error|deadly signal" "$out/$t.log" | head -n 20
        status=1
    fi
done
exit "$status"
