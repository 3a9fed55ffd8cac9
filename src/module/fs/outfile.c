/* outfile.c - files written outside a root, safely (see outfile.h). */
#include "mpift_autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "fs/outfile.h"
#include "fs/walk.h"

/* Names tried before giving up on a folder where each is taken. */
#define TRIES 16

/* 128 random bits as hex.  Without getrandom (a kernel before 3.17) the
 * name is guessable, but a name planted first only makes O_EXCL try
 * another: never a write elsewhere. */
static void random_hex(char *out)
{
    uint64_t r[2] = { 0, 0 };
    struct timespec ts;

    if (getrandom(r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
        clock_gettime(CLOCK_REALTIME, &ts);
        r[0] ^= ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_nsec;
        r[1] ^= (uint64_t)ts.tv_sec * 0x9e3779b97f4a7c15ull + (uint64_t)(uintptr_t)out;
    }
    snprintf(out, 33, "%016llx%016llx", (unsigned long long)r[0], (unsigned long long)r[1]);
}

int mpift_create_excl(int dirfd, const char *prefix, const char *suffix, mode_t mode, char *name, size_t len)
{
    char hex[33];
    int i, fd = -1;

    for (i = 0; i < TRIES && fd < 0; i++) {
        random_hex(hex);
        if ((size_t)snprintf(name, len, "%s%s%s", prefix, hex, suffix) >= len) {
            errno = ENAMETOOLONG;
            return -1;
        }
        fd = openat(dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (fd < 0 && errno != EEXIST)
            return -1;
    }
    return fd;
}

int mpift_outfile_open(struct mpift_outfile *o, const char *path, const char *tprefix, const char *tsuffix,
                       char *why, size_t whylen)
{
    char dir[PATH_MAX], cwd[PATH_MAX], cause[1024];
    const char *slash;
    int fd, rc;

    memset(o, 0, sizeof(*o));
    o->dirfd = -1;
    slash = strrchr(path, '/');
    if (strlen(path) >= sizeof(o->path) || strlen(slash ? slash + 1 : path) >= sizeof(o->name)) {
        snprintf(why, whylen, "path too long");
        return MPIFT_ERR_IO;
    }
    snprintf(o->path, sizeof(o->path), "%s", path);
    snprintf(o->name, sizeof(o->name), "%s", slash ? slash + 1 : path);
    if (!o->name[0] || strcmp(o->name, ".") == 0 || strcmp(o->name, "..") == 0) {
        snprintf(why, whylen, "not a file name");
        return MPIFT_ERR_IO;
    }
    /* The folder, absolute: a relative path is below the working folder,
     * whose own path is walked and checked like any other. */
    if (path[0] == '/') {
        snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
    } else if (!getcwd(cwd, sizeof(cwd))) {
        snprintf(why, whylen, "cannot tell the working folder: %s", strerror(errno));
        return MPIFT_ERR_IO;
    } else if ((size_t)snprintf(dir, sizeof(dir), "%s/%.*s", cwd, slash ? (int)(slash - path) : 0, path) >=
               sizeof(dir)) {
        snprintf(why, whylen, "path too long");
        return MPIFT_ERR_IO;
    }
    o->dirfd = mpift_walk_open(dir, MPIFT_WALK_SHARED, 0, NULL, cause, sizeof(cause));
    if (o->dirfd < 0) {
        rc = o->dirfd;
        o->dirfd = -1;
        snprintf(why, whylen, "cannot create it: %s", cause);
        return rc;
    }
    fd = mpift_create_excl(o->dirfd, tprefix, tsuffix, 0666, o->tmp, sizeof(o->tmp));
    if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0 || !(o->f = fdopen(fd, "w"))) {
        snprintf(why, whylen, "cannot create it in %s: %s", dir, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlinkat(o->dirfd, o->tmp, 0);
        }
        close(o->dirfd);
        o->dirfd = -1;
        return MPIFT_ERR_IO;
    }
    return MPIFT_OK;
}

int mpift_outfile_close(struct mpift_outfile *o, int ok, char *why, size_t whylen)
{
    int bad, en = 0;

    if (!o->f)
        return MPIFT_ERR_IO;
    bad = fflush(o->f) != 0 || ferror(o->f) || fsync(fileno(o->f)) != 0;
    /* Renamed while still locked: no sweep takes it for a dead run's. */
    if (!bad && ok)
        bad = renameat(o->dirfd, o->tmp, o->dirfd, o->name) != 0;
    if (bad)
        en = errno;
    fclose(o->f);
    o->f = NULL;
    if (ok && !bad) {
        close(o->dirfd);
        o->dirfd = -1;
        return MPIFT_OK;
    }
    if (ok)
        snprintf(why, whylen, "cannot write it: %s", strerror(en ? en : EIO));
    unlinkat(o->dirfd, o->tmp, 0);
    close(o->dirfd);
    o->dirfd = -1;
    return ok ? MPIFT_ERR_IO : MPIFT_OK;
}
