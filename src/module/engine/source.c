/* source.c - opening and reading a file to send (see source.h). */
#include "mpift_autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "engine/source.h"

int mpift_source_open(const char *path, struct stat *st, int *code, char *why, size_t wl)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC), en;

    if (fd >= 0 && fstat(fd, st) == 0 && S_ISREG(st->st_mode))
        return fd;
    en = fd < 0 ? errno : (S_ISREG(st->st_mode) ? errno : EINVAL);
    if (fd >= 0)
        close(fd);
    snprintf(why, wl, "%s: %s", path, en == EINVAL ? "not a regular file" : strerror(en));
    *code = en == ENOENT ? MPIFT_ERR_NOENT : MPIFT_ERR_IO;
    errno = en;
    return -1;
}

void mpift_meta_of(uint64_t id, const char *name, const struct stat *st, uint64_t chunk, struct mpift_meta *m)
{
    memset(m, 0, sizeof(*m));
    m->file_id = id;
    m->size = (uint64_t)st->st_size;       /* what will really be sent */
    m->mtime_sec = st->st_mtim.tv_sec;
    m->mtime_nsec = (uint32_t)st->st_mtim.tv_nsec;
    m->mode = st->st_mode & 07777;
    m->chunk_size = chunk;
    mpift_chunking(m->size, m->chunk_size, &m->nchunks, &m->last_chunk);
    snprintf(m->name, sizeof(m->name), "%s", name);
}

int mpift_read_chunk(int fd, unsigned char *buf, size_t len, uint64_t off)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(fd, buf + done, len - done, (off_t)(off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = n < 0 ? errno : EIO; /* n == 0: the file shrank under us */
            memset(buf + done, 0, len - done);
            return e;
        }
        done += (size_t)n;
    }
    return 0;
}
