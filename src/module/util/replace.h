/*
 * replace.h - a finished temporary onto the name of the file it replaces,
 * in one folder, without ext4's writeback inside the rename.
 *
 * Renamed over an existing file, a newly written file is written back to
 * the disk by ext4 there and then (auto_da_alloc, for programs that
 * replace a file without fsync): some 0.7 s per GiB, and for any file a
 * wait on the journal while other copies are written back (0.4 s
 * measured for a 48-byte record at the end of a delta re-stage,
 * docs/resume.md).  Over a regular file the two names are exchanged
 * (RENAME_EXCHANGE) and the older file's new name removed; the name
 * holds the old file, then the new one, never nothing.  Nothing there,
 * or a file system without the exchange: a plain rename.  Durability is
 * the caller's (fsync before, as before).
 */
#ifndef MPIFT_REPLACE_H
#define MPIFT_REPLACE_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

/* 0, or -1 with errno as renameat's (EISDIR: a folder at `name`, kept). */
static inline int mpift_replace_name(int dirfd, const char *tmp, const char *name)
{
    struct stat st;

    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode) ||
        renameat2(dirfd, tmp, dirfd, name, RENAME_EXCHANGE) != 0)
        return renameat(dirfd, tmp, dirfd, name);
    if (unlinkat(dirfd, tmp, 0) == 0 || errno != EISDIR)
        return 0;   /* an older file's name left over (unlikely) is the caller's sweep's */
    /* A folder put at `name` meanwhile: back where it was, and the
     * replacement fails as a rename over it would. */
    renameat2(dirfd, tmp, dirfd, name, RENAME_EXCHANGE);
    errno = EISDIR;
    return -1;
}

#endif
