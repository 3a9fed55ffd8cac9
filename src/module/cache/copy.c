/* copy.c - a file's bytes into another (copy.h). */
#include "mpift_autoconf.h"

#include <errno.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
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

/* in's bytes [off, end) into out at the same offsets: in the kernel,
 * else by hand from where it stopped.  0 or -1 (errno). */
static int copy_range(int in, int out, uint64_t off, uint64_t end)
{
    loff_t ioff = (loff_t)off, ooff = (loff_t)off;
    ssize_t n;

    while ((uint64_t)ioff < end) {
        n = copy_file_range(in, &ioff, out, &ooff, (size_t)(end - (uint64_t)ioff), 0);
        if (n > 0)
            continue;
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0) {
            errno = EIO;
            return -1;
        }
        /* Not across these file systems, or not at all: by hand. */
        if (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP || errno == EBADF)
            return copy_rw(in, out, (uint64_t)ioff, end);
        return -1;
    }
    return 0;
}

int mpift_cache_copy(int in, int out, uint64_t size)
{
    struct stat st;
    off_t data, hole;
    uint64_t off = 0;

    if (size == 0 || ioctl(out, FICLONE, in) == 0)
        return 0;
    if (fstat(in, &st) != 0)
        return -1;
    if ((uint64_t)st.st_size < size) {
        errno = EIO;   /* shorter than it was: not the content asked for */
        return -1;
    }
    /* Only in's data: its holes stay holes in out (copy_file_range and
     * read/write would fill them with zeros), which the final size
     * makes.  A file system without SEEK_DATA says all is data. */
    while (off < size) {
        data = lseek(in, (off_t)off, SEEK_DATA);
        if (data < 0 && errno == ENXIO)
            break;   /* only a hole to the end */
        if (data < 0) {
            data = (off_t)off;
            hole = (off_t)size;
        } else if ((hole = lseek(in, data, SEEK_HOLE)) < 0) {
            hole = (off_t)size;
        }
        if ((uint64_t)data >= size)
            break;
        if ((uint64_t)hole > size)
            hole = (off_t)size;
        if (copy_range(in, out, (uint64_t)data, (uint64_t)hole) != 0)
            return -1;
        off = (uint64_t)hole;
    }
    return ftruncate(out, (off_t)size);
}
