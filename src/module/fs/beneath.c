/* beneath.c - open a file to read below its root (see beneath.h). */
#include "mpift_autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef HAVE_LINUX_OPENAT2_H
#include <linux/openat2.h>
#include <sys/syscall.h>
#endif

#include "fs/beneath.h"

/* The last component: read-only, a FIFO or device opens without
 * blocking (the caller refuses it), a link is not followed, and no
 * terminal becomes the controlling one. */
#define LAST_FLAGS (O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC)
#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

int mpift_open_beneath_walk(int rootfd, const char *rel)
{
    char comp[NAME_MAX + 1];
    const char *p = rel, *q;
    struct stat st;
    size_t n;
    int fd, next, en = 0, last;

    fd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    for (;;) {
        while (*p == '/')
            p++;
        n = strcspn(p, "/");
        if (n == 0)
            break;             /* the root itself (rel ""): the caller sees a folder */
        if (n > NAME_MAX) {
            en = ENAMETOOLONG;
            break;
        }
        memcpy(comp, p, n);
        comp[n] = '\0';
        if (strcmp(comp, "..") == 0) {
            en = EXDEV;
            break;
        }
        for (q = p + n; *q == '/'; q++)
            ;
        last = *q == '\0';
        next = openat(fd, comp, last ? LAST_FLAGS : DIR_FLAGS);
        if (next < 0) {
            en = errno;
            /* A link on the way is not followed: say so, as openat2 does
             * for one that leaves the root. */
            if (!last && fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
                en = EXDEV;
            break;
        }
        close(fd);
        fd = next;
        p = q;
    }
    if (en) {
        close(fd);
        errno = en;
        return -1;
    }
    return fd;
}

/* openat2 beneath rootfd (following no link at all with no_links)
 * where the kernel has it, else the walk (which refuses every link on
 * the way: the stricter of both). */
static int open_resolved(int rootfd, const char *rel, int no_links)
{
#if defined(HAVE_LINUX_OPENAT2_H) && defined(SYS_openat2)
    /* Once openat2 proved missing, the walk only.  A plain int: at worst
     * two threads both find out. */
    static int missing;
    struct open_how how;
    long fd;

    if (!missing) {
        memset(&how, 0, sizeof(how));
        how.flags = LAST_FLAGS;
        how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | (no_links ? RESOLVE_NO_SYMLINKS : 0);
        fd = syscall(SYS_openat2, rootfd, rel[0] ? rel : ".", &how, sizeof(how));
        if (fd >= 0)
            return (int)fd;
        if (errno != ENOSYS && errno != EPERM)
            return -1;
        missing = 1;
    }
#else
    (void)no_links;
#endif
    return mpift_open_beneath_walk(rootfd, rel);
}

int mpift_open_beneath(int rootfd, const char *rel)
{
    return open_resolved(rootfd, rel, 0);
}

int mpift_open_no_links(int dirfd, const char *rel)
{
    return open_resolved(dirfd, rel, 1);
}
