/*
 * outfile.h - a file mpift writes outside any root it holds (the --report
 * file): created exclusively under a random name, without following a
 * link, beneath its folder opened by the checked walk (walk.h), then
 * renamed within that folder.  No other user can plant a link or a file
 * at a name it uses, nor swap the folder under it.
 */
#ifndef MPIFT_OUTFILE_H
#define MPIFT_OUTFILE_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/*
 * mpift_create_excl - create a new file in dirfd named PREFIX, 32 random
 * hex digits, SUFFIX (its name into name), O_EXCL|O_NOFOLLOW, read-write,
 * with mode (less the umask).  A name taken already is tried again with
 * another.  Returns the fd, or -1 with errno.
 */
int mpift_create_excl(int dirfd, const char *prefix, const char *suffix, mode_t mode, char *name, size_t len);

/* An output file being written. */
struct mpift_outfile {
    FILE *f;
    int dirfd;              /* its folder */
    char name[256];         /* its final name in it */
    char tmp[128];          /* the temporary one */
    char path[4096];        /* as the user gave it, for messages */
};

/*
 * mpift_outfile_open - start writing `path` (absolute, or relative to the
 * working folder): its folder is walked and checked (MPIFT_WALK_SHARED: a
 * sticky folder such as /tmp will do), and the temporary file, named
 * tprefix RANDOM tsuffix, is created in it and locked (flock: a sweep of
 * dead runs' temporaries leaves it alone).  MPIFT_OK, or a status with
 * the cause in why ("cannot create it in FOLDER: ...", or the walk's).
 */
int mpift_outfile_open(struct mpift_outfile *o, const char *path, const char *tprefix, const char *tsuffix,
                       char *why, size_t whylen);

/* Flush, fsync and rename into place (renameat in the folder: whatever
 * was at the name, a link included, is replaced, never followed), or
 * remove the temporary when `ok` is 0.  MPIFT_OK or MPIFT_ERR_IO with the
 * cause in why. */
int mpift_outfile_close(struct mpift_outfile *o, int ok, char *why, size_t whylen);

#endif
