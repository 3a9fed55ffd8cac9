/*
 * layout.c - the C compiler's layout of every mpift.h struct that a
 * binding mirrors (Python's ctypes Structures in python/mpift/_lib.py,
 * Fortran's bind(C) types in src/fortran/): "STRUCT FIELD OFFSET SIZE"
 * per field and "STRUCT sizeof SIZE", which tests/integration/mirrors.sh
 * compares with what each binding's own compiler or ctypes makes of its
 * mirror.  A field appended in mpift.h and not here changes sizeof, and
 * the mirrors that lack it fail the comparison.
 */
#include <stddef.h>
#include <stdio.h>

#include <mpift/mpift.h>

#define FIELD(s, f) \
    printf("%s %s %zu %zu\n", #s, #f, offsetof(struct s, f), sizeof(((struct s *)0)->f));
#define SIZE(s) printf("%s sizeof %zu\n", #s, sizeof(struct s));

int main(void)
{
    FIELD(mpift_options, size) FIELD(mpift_options, config_path) FIELD(mpift_options, sets)
    FIELD(mpift_options, nsets) FIELD(mpift_options, force) FIELD(mpift_options, dry_run)
    FIELD(mpift_options, verbose) FIELD(mpift_options, quiet) FIELD(mpift_options, progress)
    FIELD(mpift_options, report_path) FIELD(mpift_options, module_path) FIELD(mpift_options, config_text)
    FIELD(mpift_options, as_user) FIELD(mpift_options, as_uid) FIELD(mpift_options, as_gid)
    FIELD(mpift_options, progress_fd) FIELD(mpift_options, refused) FIELD(mpift_options, keep_result)
    SIZE(mpift_options)

    FIELD(mpift_serve_stats, size) FIELD(mpift_serve_stats, requests) FIELD(mpift_serve_stats, failed)
    FIELD(mpift_serve_stats, bytes_out) FIELD(mpift_serve_stats, bytes_in)
    FIELD(mpift_serve_stats, peak_streams) FIELD(mpift_serve_stats, seconds)
    SIZE(mpift_serve_stats)

    FIELD(mpift_result, size) FIELD(mpift_result, status) FIELD(mpift_result, mode) FIELD(mpift_result, files)
    FIELD(mpift_result, bytes) FIELD(mpift_result, copies_written) FIELD(mpift_result, unchanged)
    FIELD(mpift_result, failed) FIELD(mpift_result, bytes_written) FIELD(mpift_result, wire_bytes)
    FIELD(mpift_result, folders_not_read) FIELD(mpift_result, seconds)
    SIZE(mpift_result)
    return 0;
}
