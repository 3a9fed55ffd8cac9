/*
 * tmpname.h - the one pattern of the names mpift gives files in progress,
 * and the test every reader of folders and names applies to it.
 *
 * A copy is written as ".mpift-<hash>-<id>-r<rank>.tmp" beside its final
 * name (engine/sink.h), a report as "<report>.mpift-<pid>.tmp" beside the
 * report (util/json.c): both contain MPIFT_TMP_MARK and end with
 * MPIFT_TMP_SUFFIX.  Such a file is half-written, or left by a run that
 * was killed, so it is never taken for a file: stage-in's and stage-out's
 * walks skip it (saying so with --verbose), a name of that shape given to
 * stage-in, the console or the service is refused, and the console's ls
 * does not list it.  A user's own file named so is treated the same
 * (mpift-stage(1), FILES).
 */
#ifndef MPIFT_TMPNAME_H
#define MPIFT_TMPNAME_H

#include <stdbool.h>
#include <string.h>

#define MPIFT_TMP_MARK ".mpift-"
#define MPIFT_TMP_SUFFIX ".tmp"
/* For messages: the shape of every such name, and why one is refused. */
#define MPIFT_TMP_SHAPE "*.mpift-*.tmp"
#define MPIFT_TMP_WHY "a temporary file of mpift (" MPIFT_TMP_SHAPE ": a copy in progress, or one a killed run " \
                      "left), never taken for a file"

/* Is `base` (one component, no '/') the name of a file in progress? */
static inline bool mpift_tmp_name(const char *base)
{
    size_t n = strlen(base), s = sizeof(MPIFT_TMP_SUFFIX) - 1;
    const char *m = strstr(base, MPIFT_TMP_MARK);

    return m && n >= s && (size_t)(m - base) + sizeof(MPIFT_TMP_MARK) - 1 <= n - s &&
           strcmp(base + n - s, MPIFT_TMP_SUFFIX) == 0;
}

/* Is the last component of `path` such a name? */
static inline bool mpift_tmp_path(const char *path)
{
    const char *s = strrchr(path, '/');

    return mpift_tmp_name(s ? s + 1 : path);
}

#endif
