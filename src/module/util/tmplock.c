/* tmplock.c - temporaries made and swept under their flock (tmplock.h). */
#include "mpift_autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/random.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/faults.h"
#include "util/log.h"
#include "util/tmplock.h"
#include "util/tmpname.h"

/* Tries before a writer gives up: each lost try is a sweep that came
 * between the creation and the lock, which a second try all but never
 * meets again. */
#define TRIES 8
/* Of those, the tries that may find a namesake's lock taken, 20 ms
 * apart: another job's sweep holds a dead one's for an instant before
 * it removes it, a live writer holds its own until its rename. */
#define BUSY_TRIES 5
#define BUSY_PAUSE_NS (20 * 1000 * 1000)

/* MPIFT_TEST_TMP_GAP=PREFIX (fault-injection builds, docs/testing.md): a
 * process's first temporary whose name starts with PREFIX waits between
 * its creation and its lock until MPIFT_TEST_PAUSE_FILE, created then, is
 * removed (at most 60 s): the window in which a sweep once removed a live
 * temporary. */
static void gap(const char *tmp)
{
    const char *pre = mpift_fault_env("MPIFT_TEST_TMP_GAP"), *path = mpift_fault_env("MPIFT_TEST_PAUSE_FILE");
    struct timespec tick = { 0, 20 * 1000 * 1000 };
    static int once;   /* the first such temporary only: not its remaking */
    int fd, k;

    if (once || !pre || !path || strncmp(tmp, pre, strlen(pre)) != 0 ||
        (fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) < 0)
        return;
    once = 1;
    close(fd);
    for (k = 0; k < 3000 && access(path, F_OK) == 0; k++)
        nanosleep(&tick, NULL);
}

/* Is `name` of dirfd the file fd has open? */
static int still(int dirfd, const char *name, int fd)
{
    struct stat a, b;

    return fstat(fd, &a) == 0 && fstatat(dirfd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino;
}

/* Remove `name` of dirfd if no one holds it: 0 when removed, else why
 * not: EWOULDBLOCK (its lock is held), ENOLCK (locks do not work there),
 * ENOENT (gone, or made again, meanwhile), ELOOP (a symbolic link,
 * left: by the time it would be removed, a writer may have made its live
 * temporary at that name), or the errno of its open. */
static int sweep(int dirfd, const char *name)
{
    /* Read-write first: NFS makes flock an fcntl lock, whose exclusive
     * kind needs a file open for writing; a put's temporary, 0444 once
     * its bytes are in, opens read-only only. */
    int fd = openat(dirfd, name, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC), err;

    if (fd < 0 && errno != ENOENT && errno != ELOOP)
        fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return errno;
    /* Removed while held, and only if the name is still this file: a
     * writer that opened it before blocks on its lock until then, and
     * then finds its name gone.  Any failure but a held lock (EBADF,
     * ENOSYS, EOPNOTSUPP, ENOLCK, EINVAL) is a file system without
     * flock. */
    if (flock(fd, LOCK_EX | LOCK_NB) != 0)
        err = errno == EWOULDBLOCK ? EWOULDBLOCK : ENOLCK;
    else if (!still(dirfd, name, fd))
        err = ENOENT;
    else
        err = unlinkat(dirfd, name, 0) == 0 ? 0 : errno;
    close(fd);
    return err;
}

/* The namesake `tmp` that O_EXCL met: 0 when it is gone (try again),
 * else the errno mpift_tmp_create fails with.  *busy counts the tries
 * that found it held. */
static int clear(int dirfd, const char *tmp, int *busy)
{
    struct timespec pause = { 0, BUSY_PAUSE_NS };
    int why = sweep(dirfd, tmp);

    if (why == EWOULDBLOCK && ++*busy < BUSY_TRIES) {
        nanosleep(&pause, NULL);
        return 0;
    }
    /* A link at the writer's own name (no writer makes one): removed by
     * the writer, whose name it is; the shared sweep leaves it.  Without
     * locks a file of that name may be live (its name is unique, so a
     * writer meets none of its own): left, and the save fails. */
    if (why == ELOOP)
        why = unlinkat(dirfd, tmp, 0) == 0 || errno == ENOENT ? 0 : errno;
    if (why == ENOENT)
        why = 0;
    return why == EWOULDBLOCK ? EEXIST : why;
}

int mpift_tmp_create(int dirfd, const char *tmp, mode_t mode)
{
    int fd = -1, k, busy = 0, why;

    for (k = 0; k < TRIES; k++) {
        fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (fd < 0 && errno == EEXIST) {
            if ((why = clear(dirfd, tmp, &busy)) != 0) {
                errno = why;
                return -1;
            }
            continue;
        }
        if (fd < 0)
            return -1;
        gap(tmp);
        /* A file system without flock: unserialised, as the cache is there. */
        while (flock(fd, LOCK_EX) != 0 && errno == EINTR)
            ;
        if (still(dirfd, tmp, fd))
            return fd;
        close(fd);   /* swept before the lock: made again */
        fd = -1;
    }
    errno = EAGAIN;
    return -1;
}

int mpift_tmp_sweep(int dirfd, const char *name) { return sweep(dirfd, name) == 0; }

int mpift_tmp_unique(char *buf, size_t len, const char *prefix)
{
    static uint64_t count;
    uint64_t r;
    struct timespec now;
    int n;

    if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
        clock_gettime(CLOCK_REALTIME, &now);
        r = ((uint64_t)now.tv_sec << 32) ^ (uint64_t)now.tv_nsec ^ (++count << 48);
    }
    n = snprintf(buf, len, "%s%ld-%016llx" MPIFT_TMP_SUFFIX, prefix, (long)getpid(), (unsigned long long)r);
    return n < 0 || (size_t)n >= len ? ENAMETOOLONG : 0;
}

int mpift_tmp_make(int dirfd, const char *prefix, char *tmp, size_t len, mode_t mode)
{
    int err = mpift_tmp_unique(tmp, len, prefix);

    if (err) {
        errno = err;
        return -1;
    }
    return mpift_tmp_create(dirfd, tmp, mode);
}

void mpift_tmp_why(char *buf, size_t len, const char *tmp, int err)
{
    char host[MPIFT_HOST_MAX];

    /* The node the log names (the topology's), else the kernel's. */
    snprintf(host, sizeof(host), "%s", mpift_log_current()->host);
    if (!host[0] && gethostname(host, sizeof(host) - 1) != 0)
        snprintf(host, sizeof(host), "this node");
    host[sizeof(host) - 1] = '\0';
    if (err == EEXIST)
        snprintf(buf, len, "its temporary %s in that folder is held by another live process on %s (a job saving "
                 "there now); remove it if no mpift job runs on %s", tmp, host, host);
    else if (err == ENOLCK)
        snprintf(buf, len, "its temporary %s in that folder is in the way, and that file system does not support "
                 "flock, which tells a live job's temporary from a killed one's; remove it if no mpift job runs "
                 "on %s", tmp, host);
    else if (err == EAGAIN)
        snprintf(buf, len, "its temporary %s in that folder was removed by another job's cache sweep on each of "
                 "%d tries", tmp, TRIES);
    else
        snprintf(buf, len, "its temporary %s in that folder: %s", tmp, strerror(err));
}
