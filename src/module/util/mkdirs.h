/*
 * mkdirs.h - mkdir -p for a folder of mpift's own (cache.dir): every
 * missing folder of the path made 0700.  Only the last is mpift's; the
 * others are the user's path to it (as with paths.dest), so an existing
 * one is taken as it is, a link included.  mkdir never follows a link
 * where it makes a folder (a link there is EEXIST): the caller then opens
 * the last one with O_NOFOLLOW and checks it.
 */
#ifndef MPIFT_MKDIRS_H
#define MPIFT_MKDIRS_H

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

/* 0, or -1 with errno (ENAMETOOLONG past PATH_MAX). */
static inline int mpift_make_dirs(const char *dir)
{
    char path[PATH_MAX];
    char *p;
    size_t n = strlen(dir);

    if (n >= sizeof(path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(path, dir, n + 1);
    for (p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(path, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

#endif
