/* source.c - opening and reading a file to send (see source.h). */
#include "mpift_autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "comm/watch.h"
#include "fs/beneath.h"
#include "fs/fsafe.h"
#include "engine/inject.h"
#include "engine/source.h"

/* What a non-regular file is, for messages. */
static const char *kind_of(mode_t mode)
{
    return S_ISFIFO(mode) ? "a FIFO" : S_ISDIR(mode) ? "a folder" : S_ISSOCK(mode) ? "a socket"
         : S_ISCHR(mode) || S_ISBLK(mode) ? "a device" : "not a regular file";
}

/* The open failed with errno en: say why, as planned or not. */
static int open_failed(const struct mpift_src *src, const char *root, int en, char *why, size_t whylen)
{
    int planned = src->ino != 0;

    if (en == ENOENT) {
        snprintf(why, whylen, "%s: %s", src->path, planned ? "no longer exists (removed since it was planned)"
                                                       : strerror(en));
        return MPIFT_ERR_NOENT;
    }
    if (en == ELOOP) {
        snprintf(why, whylen, "%s: %s a symbolic link: not followed (it could lead outside %s)", src->path,
                 planned ? "changed since planning: replaced by" : "is", root);
        return MPIFT_ERR_ESCAPE;
    }
    if (en == EXDEV) {
        snprintf(why, whylen, "%s: a symbolic link on its path leads away from %s: refused", src->path, root);
        return MPIFT_ERR_ESCAPE;
    }
    snprintf(why, whylen, "%s: %s", src->path, strerror(en));
    return MPIFT_ERR_IO;
}

/* A library outside the source root (src->beyond): opened beneath "/"
 * from its resolved path following no link at all (a link on the way
 * now means the path changed since it was resolved), and held to the
 * device and inode planned like any file, by the caller. */
static int open_beyond(const struct mpift_src *src)
{
    int top = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC), fd, en;

    if (top < 0)
        return -1;
    fd = src->ino && src->path[0] == '/' ? mpift_open_no_links(top, src->path + 1) : (errno = EPERM, -1);
    en = errno;
    close(top);
    errno = en;
    return fd;
}

/* Does st still have the size, mtime and ctime src's key was made from? */
static int same_stamp(const struct mpift_src *src, const struct stat *st)
{
    return (uint64_t)st->st_size == src->key_size && st->st_mtim.tv_sec == src->key_mtime_sec &&
           (uint32_t)st->st_mtim.tv_nsec == src->key_mtime_nsec && st->st_ctim.tv_sec == src->key_ctime_sec &&
           (uint32_t)st->st_ctim.tv_nsec == src->key_ctime_nsec;
}

int mpift_source_open(int rootfd, const char *root, const struct mpift_src *src, struct stat *st, int *code,
                      char *why, size_t whylen)
{
    size_t rl = strlen(root);
    const char *rel;
    int fd, en;

    while (rl > 1 && root[rl - 1] == '/')
        rl--;
    if (!src->beyond && (rootfd < 0 || !mpift_path_within(root, src->path))) {
        snprintf(why, whylen, "%s: not below the source root %s: refused", src->path, root);
        *code = MPIFT_ERR_ESCAPE;
        return -1;
    }
    rel = src->path + (src->beyond ? 0 : rl);
    fd = src->beyond ? open_beyond(src) : mpift_open_beneath(rootfd, *rel == '/' ? rel + 1 : rel);
    if (fd < 0) {
        en = errno;
        *code = open_failed(src, root, en, why, whylen);
        errno = en;
        return -1;
    }
    if (fstat(fd, st) != 0) {
        en = errno;
        *code = open_failed(src, root, en, why, whylen);
    } else if (!S_ISREG(st->st_mode)) {
        snprintf(why, whylen, "%s: %s%s: not a regular file, not read", src->path,
                 src->ino ? "changed since planning: replaced by " : "is ", kind_of(st->st_mode));
        *code = MPIFT_ERR_IO;
        en = EINVAL;
    } else if (src->ino && ((uint64_t)st->st_dev != src->dev || (uint64_t)st->st_ino != src->ino)) {
        snprintf(why, whylen, "%s: changed since planning: replaced by another file; run again to stage it",
                 src->path);
        *code = MPIFT_ERR_IO;
        en = ESTALE;
    } else if (src->stamped && !same_stamp(src, st)) {
        /* Its content key was made of other bytes: a copy of these filed
         * under it would be wrong in every cache that takes it. */
        snprintf(why, whylen, "%s: changed since planning (its size, mtime or ctime is not the one its content "
                 "key was made from); run again to stage it", src->path);
        *code = MPIFT_ERR_IO;
        en = ESTALE;
    } else if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0) {
        en = errno;
        *code = open_failed(src, root, en, why, whylen);
    } else {
        return fd;
    }
    close(fd);
    errno = en;
    return -1;
}

struct mpift_src *mpift_src_new(const char *path, const struct stat *st)
{
    size_t n = strlen(path) + 1;
    struct mpift_src *s = malloc(sizeof(*s) + n);

    if (!s)
        return NULL;
    s->dev = st ? (uint64_t)st->st_dev : 0;
    s->ino = st ? (uint64_t)st->st_ino : 0;
    s->fd = -1;
    s->beyond = 0;
    s->entry = 0;
    s->named = 0;
    s->stamped = 0;
    s->key_wrong = 0;
    s->blocks = st ? (uint64_t)st->st_blocks : 0;
    memcpy(s->path, path, n);
    return s;
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

/* lseek for SEEK_DATA and SEEK_HOLE (a test may take them away). */
static off_t seek(int fd, off_t off, int whence)
{
    if (mpift_inject_no_seek_data()) {
        errno = EINVAL;
        return -1;
    }
    return lseek(fd, off, whence);
}

int mpift_source_hole(int fd, uint64_t off, size_t len, struct mpift_extent *e)
{
    off_t d, h;

    if (off >= e->from && off + len <= e->to)
        return e->hole;
    d = seek(fd, (off_t)off, SEEK_DATA);
    if (d < 0) {
        if (errno != ENXIO)
            return 0;
        *e = (struct mpift_extent){ off, UINT64_MAX, 1 };   /* no data from off to the end */
        return 1;
    }
    if ((uint64_t)d > off) {
        *e = (struct mpift_extent){ off, (uint64_t)d, 1 };
        return (uint64_t)d >= off + len;
    }
    h = seek(fd, (off_t)off, SEEK_HOLE);
    if (h > d)
        *e = (struct mpift_extent){ off, (uint64_t)h, 0 };
    return 0;
}

/* Add the whole chunks of [from, to) to h, merged with the extent before. */
static void add_hole(struct mpift_holes *h, const struct mpift_meta *m, uint64_t from, uint64_t to)
{
    uint64_t c = m->chunk_size, a = (from + c - 1) / c * c, b = to == m->size ? to : to / c * c;

    if (b <= a)
        return;
    if (h->n > 0 && h->e[h->n - 1].off + h->e[h->n - 1].len == a)
        h->e[h->n - 1].len += b - a;
    else if (h->n < MPIFT_HOLES_MAX)
        h->e[h->n++] = (struct mpift_hole){ a, b - a };
}

/* The data extents mpift_source_holes steps over at most: a file of
 * millions of holes smaller than a chunk is not walked whole before its
 * METADATA (its holes past here go chunk by chunk). */
#define HOLES_WALK_MAX (16 * MPIFT_HOLES_MAX)

void mpift_source_holes(int fd, struct mpift_meta *m, struct mpift_holes *h)
{
    uint64_t off = 0;
    off_t d, e;
    int steps;

    h->n = 0;
    for (steps = 0; off < m->size && h->n < MPIFT_HOLES_MAX && steps < HOLES_WALK_MAX; steps++) {
        d = seek(fd, (off_t)off, SEEK_DATA);
        if (d < 0 && errno != ENXIO)
            break;     /* no SEEK_DATA here (EINVAL): every byte is data */
        if (d < 0 || (uint64_t)d >= m->size) {
            add_hole(h, m, off, m->size);
            break;
        }
        add_hole(h, m, off, (uint64_t)d);
        e = seek(fd, d, SEEK_HOLE);
        if (e <= d)
            break;
        off = (uint64_t)e;
    }
    m->nholes = h->n;
}

/* Extents walked between two ticks of the watch: a SEEK on NFS 4.2 is a
 * round trip, and 16k of them may outlast transfer.timeout. */
#define ALLOC_TICK_EVERY 256

uint64_t mpift_source_alloc(int fd, uint64_t size, uint64_t chunk, uint64_t margin, struct mpift_watch *w)
{
    uint64_t off = 0, from, to, done = 0, need = 0;
    off_t d, e;
    int steps;

    for (steps = 0; off < size && chunk; steps++) {
        if (w && steps % ALLOC_TICK_EVERY == ALLOC_TICK_EVERY - 1)
            mpift_watch_tick(w);
        d = seek(fd, (off_t)off, SEEK_DATA);
        if (d < 0 && errno == ENXIO)
            break;   /* no data past off */
        e = d < 0 || steps >= HOLES_WALK_MAX ? -1 : seek(fd, d, SEEK_HOLE);
        if (e <= d) {
            /* No SEEK_DATA, or too many extents to walk: the rest is data. */
            from = (d < 0 ? off : (uint64_t)d) / chunk * chunk;
            need += size - (from > done ? from : done);
            break;
        }
        /* The chunks the extent touches, less those an earlier one did. */
        from = (uint64_t)d / chunk * chunk;
        to = (uint64_t)e >= size ? size : ((uint64_t)e + chunk - 1) / chunk * chunk;
        if (to > size)
            to = size;
        if (from < done)
            from = done;
        if (to > from)
            need += to - from + margin;
        done = to > done ? to : done;
        off = (uint64_t)e;
    }
    return need < size ? need : size;
}

int mpift_source_hole_noted(int fd, uint64_t off, size_t len, struct mpift_extent *e, struct mpift_holes *unread)
{
    struct mpift_hole *last = unread->n ? &unread->e[unread->n - 1] : NULL;

    if (!mpift_source_hole(fd, off, len, e))
        return 0;
    if (last && last->off + last->len == off)
        last->len += len;
    else if (unread->n < MPIFT_HOLES_MAX)
        unread->e[unread->n++] = (struct mpift_hole){ off, len };
    else
        return 0;
    return 1;
}

/* Does any extent of h hold data now? */
static int filled(int fd, const struct mpift_holes *h)
{
    off_t d;
    uint32_t k;

    for (k = 0; k < h->n; k++) {
        d = seek(fd, (off_t)h->e[k].off, SEEK_DATA);
        if (d >= 0 && (uint64_t)d < h->e[k].off + h->e[k].len)
            return 1;
    }
    return 0;
}

int mpift_source_holes_filled(int fd, const struct mpift_holes *h, const struct mpift_holes *unread)
{
    return filled(fd, h) || filled(fd, unread);
}

int mpift_read_chunk(int fd, unsigned char *buf, size_t len, uint64_t off)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(fd, buf + done, len - done, (off_t)(off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = n < 0 ? errno : MPIFT_SOURCE_SHRANK;
            memset(buf + done, 0, len - done);
            return e;
        }
        done += (size_t)n;
    }
    return 0;
}

static int same_time(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

int mpift_source_changed(int fd, const struct stat *at_open, int read_err, const char *path, char *why, size_t whylen)
{
    struct stat now;

    /* A write that ends within the clock tick of the open leaves mtime
     * and ctime as they were: the size still catches a file that grew
     * or shrank. */
    if (fstat(fd, &now) != 0)
        now = *at_open;
    if (read_err == MPIFT_SOURCE_SHRANK || now.st_size < at_open->st_size)
        snprintf(why, whylen, "%s: changed while being staged (it shrank from %lld to %lld bytes while it was read)",
                 path, (long long)at_open->st_size, (long long)now.st_size);
    else if (now.st_size != at_open->st_size)
        snprintf(why, whylen, "%s: changed while being staged (it grew from %lld to %lld bytes while it was read)",
                 path, (long long)at_open->st_size, (long long)now.st_size);
    else if (!same_time(&now.st_mtim, &at_open->st_mtim) || !same_time(&now.st_ctim, &at_open->st_ctim))
        snprintf(why, whylen, "%s: changed while being staged (it was written to while it was read)", path);
    else
        return 0;
    return 1;
}

int mpift_source_not_key(const struct mpift_pfile *f, XXH128_hash_t h, char *why, size_t whylen)
{
    XXH128_canonical_t c;

    if (!f->keyed)
        return 0;
    XXH128_canonicalFromHash(&c, h);
    if (memcmp(c.digest, f->key, sizeof(f->key)) == 0)
        return 0;
    if (f->src)
        f->src->key_wrong = 1;   /* its index entry goes at the end (stage/keys.h) */
    snprintf(why, whylen, "%s: changed since planning (the bytes read to send it are not those its content key "
             "was made of); run again to stage it", f->src ? f->src->path : f->dest);
    return 1;
}
