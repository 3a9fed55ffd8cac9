/* copy.c - a file's bytes into another (copy.h). */
#include "mpift_autoconf.h"

#include <errno.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cache/copy.h"

#define COPY_BUF (1u << 20)   /* bytes at a time when the kernel cannot copy */

/* The last way: read and write. */
static int copy_rw(int in, int out, uint64_t off, uint64_t size)
{
    char *buf = malloc(COPY_BUF);
    ssize_t n, w;
    size_t done;

    if (!buf)
        return -1;
    while (off < size) {
        n = pread(in, buf, size - off < COPY_BUF ? (size_t)(size - off) : COPY_BUF, (off_t)off);
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            if (n == 0)
                errno = EIO;   /* shorter than it was: not the content asked for */
            free(buf);
            return -1;
        }
        for (done = 0; done < (size_t)n; done += (size_t)w) {
            w = pwrite(out, buf + done, (size_t)n - done, (off_t)(off + done));
            if (w < 0 && errno == EINTR)
                w = 0;
            else if (w <= 0) {
                free(buf);
                return -1;
            }
        }
        off += (uint64_t)n;
    }
    free(buf);
    return 0;
}

int mpift_cache_copy(int in, int out, uint64_t size)
{
    loff_t ioff = 0, ooff = 0;
    ssize_t n;

    if (size == 0 || ioctl(out, FICLONE, in) == 0)
        return 0;
    while ((uint64_t)ioff < size) {
        n = copy_file_range(in, &ioff, out, &ooff, (size_t)(size - (uint64_t)ioff), 0);
        if (n > 0)
            continue;
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0) {
            errno = EIO;
            return -1;
        }
        /* Not across these file systems, or not at all: by hand from
         * where it stopped. */
        if (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP || errno == EBADF)
            return copy_rw(in, out, (uint64_t)ioff, size);
        return -1;
    }
    return 0;
}
