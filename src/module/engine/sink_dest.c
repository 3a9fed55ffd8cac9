/*
 * sink_dest.c - what a dest folder holds before a sink writes there
 * (sink.h): the temporaries of dead runs swept, a copy already in place
 * and unchanged, a name taken.  Nothing here writes a copy.
 */
#include "mpift_autoconf.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "fs/fsafe.h"
#include "util/log.h"
#include "engine/sink.h"

int mpift_sink_sweep(int dirfd)
{
    size_t pl = strlen(MPIFT_SINK_TMP_PREFIX), sl = strlen(MPIFT_SINK_TMP_SUFFIX), n;
    struct dirent *de;
    struct stat st;
    DIR *d;
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), tfd, gone = 0;

    if (fd < 0 || !(d = fdopendir(fd))) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    while ((de = readdir(d)) != NULL) {
        n = strlen(de->d_name);
        if (n <= pl + sl || strncmp(de->d_name, MPIFT_SINK_TMP_PREFIX, pl) != 0 ||
            strcmp(de->d_name + n - sl, MPIFT_SINK_TMP_SUFFIX) != 0)
            continue;
        /* Its writer holds a lock on it while it lives: taking that lock
         * proves it dead. */
        tfd = openat(fd, de->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (tfd < 0)
            continue;
        if (fstat(tfd, &st) == 0 && S_ISREG(st.st_mode) && flock(tfd, LOCK_EX | LOCK_NB) == 0 &&
            unlinkat(fd, de->d_name, 0) == 0)
            gone++;
        close(tfd);
    }
    closedir(d);
    return gone;
}

/* What is at `rel` below rootfd (never following a link): 0 with st, or -1. */
static int look(int rootfd, const char *rel, struct stat *st)
{
    char parent[PATH_MAX], name[NAME_MAX + 1], why[MPIFT_WHY_MAX];
    int dfd, rc;

    if (mpift_split_parent(rel, parent, sizeof(parent), name, sizeof(name)) != MPIFT_OK)
        return -1;
    dfd = mpift_dir_open(rootfd, parent, false, why, sizeof(why));
    if (dfd < 0)
        return -1;
    rc = fstatat(dfd, name, st, AT_SYMLINK_NOFOLLOW);
    close(dfd);
    return rc;
}

bool mpift_sink_unchanged(int rootfd, const char *rel, uint64_t size, int64_t sec, uint32_t nsec)
{
    struct stat st;

    return look(rootfd, rel, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size == size &&
           st.st_mtim.tv_sec == sec && (uint32_t)st.st_mtim.tv_nsec == nsec;
}

bool mpift_sink_exists(int rootfd, const char *rel)
{
    struct stat st;

    return look(rootfd, rel, &st) == 0;
}
