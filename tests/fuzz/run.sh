#!/bin/bash
# run.sh [SECONDS] - fuzz the message decoders and the configuration
# loader with libFuzzer (clang, Debian package "clang"), SECONDS each
# (default 60), ASan and UBSan on.  New inputs that reach new code are
# kept in tests/fuzz/corpus/TARGET (commit the interesting ones); a crash
# stops with its input saved as tests/fuzz/crash-* and exit 1.
#   make fuzz                      # from a configured tree
#   tests/fuzz/run.sh 600          # longer
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${top_builddir:-$top}
secs=${1:-60}
command -v clang >/dev/null || { echo "run.sh: no clang (apt-get install clang)" >&2; exit 77; }
out=$(mktemp -d "${TMPDIR:-/tmp}/mpift-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$out"' EXIT
flags=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -I"$build/include" -I"$top/include" -I"$top/src/module" -I"$build" -DMPIFT_BUILDING)
mod=$top/src/module
clang "${flags[@]}" "$here/fuzz_proto.c" "$mod/wire/cursor.c" "$mod/wire/proto.c" "$mod/wire/request.c" \
    -o "$out/fuzz_proto" || exit 1
clang "${flags[@]}" $(pkg-config --cflags libconfig ompi-c) "$here/fuzz_config.c" "$mod"/config/*.c "$mod/fs/fsafe.c" \
    $(pkg-config --libs libconfig) -o "$out/fuzz_config" || exit 1
status=0
for target in proto config; do
    mkdir -p "$here/corpus/$target"
    echo "=== fuzz_$target for ${secs}s (corpus: $(ls "$here/corpus/$target" | wc -l) inputs)"
    (cd "$out" && ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions="$here/lsan.supp" ./fuzz_$target -max_total_time="$secs" -max_len=8192 \
        -artifact_prefix="$here/crash-$target-" "$here/corpus/$target" 2>"$out/$target.log")
    rc=$?
    grep -E "^#[0-9]+.*(DONE|pulse)|Done [0-9]+ runs" "$out/$target.log" | tail -n 2
    if [ "$rc" != 0 ]; then
        echo "fuzz_$target FAILED (exit $rc):"
        grep -E "ERROR|SUMMARY|runtime error" "$out/$target.log" | head -n 20
        status=1
    fi
done
exit "$status"
