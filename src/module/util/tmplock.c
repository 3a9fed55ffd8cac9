/* tmplock.c - temporaries made and swept under their flock (tmplock.h). */
#include "mpift_autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/faults.h"
#include "util/tmplock.h"

/* Tries before a writer gives up: each lost try is a sweep that came
 * between the creation and the lock, which a second try all but never
 * meets again. */
#define TRIES 8

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

int mpift_tmp_create(int dirfd, const char *tmp, mode_t mode)
{
    int fd = -1, k;

    for (k = 0; k < TRIES; k++) {
        fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (fd < 0 && errno == EEXIST) {
            if (!mpift_tmp_sweep(dirfd, tmp)) {   /* held, or not ours to remove */
                errno = EEXIST;
                return -1;
            }
            continue;   /* a killed run's, of this pid: removed */
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

int mpift_tmp_sweep(int dirfd, const char *name)
{
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC), gone = 0;

    if (fd < 0)
        return errno == ELOOP && unlinkat(dirfd, name, 0) == 0;
    /* Removed while held, and only if the name is still this file: a
     * writer that opened it before blocks on its lock until then, and
     * then finds its name gone. */
    if (flock(fd, LOCK_EX | LOCK_NB) == 0 && still(dirfd, name, fd))
        gone = unlinkat(dirfd, name, 0) == 0;
    close(fd);
    return gone;
}
