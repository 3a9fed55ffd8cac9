/*
 * keyindex.c - rank 0's index of content keys (see keyindex.h).
 *
 * The file, little-endian:
 *   "MPIFTKX1", u64 count,
 *   count records of u64 dev, ino, size, i64 mtime_sec, ctime_sec,
 *                    u32 mtime_nsec, ctime_nsec, 16 bytes of key,
 *   u64 XXH3-64 of every byte before it.
 */
#include "mpift_autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "util/hash.h"
#include "util/grow.h"
#include "util/le64.h"
#include "util/mkdirs.h"

#include "mpift/mpift.h"
#include "fs/keyindex.h"
#include "util/tmplock.h"
#include "util/tmpname.h"

#define MAGIC "MPIFTKX1"
#define HDR 16
#define REC 64
#define TRAILER 8
#define NSEC 1000000000u

void mpift_keyidx_id_of(const struct stat *st, struct mpift_keyidx_id *id)
{
    memset(id, 0, sizeof(*id));
    id->dev = (uint64_t)st->st_dev;
    id->ino = (uint64_t)st->st_ino;
    id->size = (uint64_t)st->st_size;
    id->mtime_sec = st->st_mtim.tv_sec;
    id->mtime_nsec = (uint32_t)st->st_mtim.tv_nsec;
    id->ctime_sec = st->st_ctim.tv_sec;
    id->ctime_nsec = (uint32_t)st->st_ctim.tv_nsec;
}

static void put32(unsigned char *p, uint32_t v)
{
    int i;

    for (i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int cmp_id(const struct mpift_keyidx_id *a, const struct mpift_keyidx_id *b)
{
    if (a->dev != b->dev)
        return a->dev < b->dev ? -1 : 1;
    return a->ino < b->ino ? -1 : a->ino > b->ino;
}

/* Sorted by (dev, ino).  Two entries of one device and inode are both
 * this run's (a put updates an entry read from the file in place): one
 * is kept, either is true of its own identity, and a lookup compares all
 * of it. */
static int cmp_ent(const void *x, const void *y)
{
    const struct mpift_keyidx_ent *a = x, *b = y;

    return cmp_id(&a->id, &b->id);
}

/* The index's bytes into ix: 0, or -1 with why saying what is wrong. */
static int parse(struct mpift_keyidx *ix, const unsigned char *buf, size_t len, char *why, size_t whylen)
{
    uint64_t count;
    size_t k;

    if (len < HDR + TRAILER || memcmp(buf, MAGIC, 8) != 0) {
        snprintf(why, whylen, "not an index of mpift's (%zu bytes, no \"%s\" at its start)", len, MAGIC);
        return -1;
    }
    count = mpift_le64_get(buf + 8);
    if (count > MPIFT_KEYIDX_MAX || len != HDR + count * REC + TRAILER) {
        snprintf(why, whylen, "%zu bytes for %llu entries", len, (unsigned long long)count);
        return -1;
    }
    if (mpift_le64_get(buf + len - TRAILER) != (uint64_t)XXH3_64bits(buf, len - TRAILER)) {
        snprintf(why, whylen, "its digest does not match its bytes");
        return -1;
    }
    if (count && !(ix->e = calloc((size_t)count, sizeof(*ix->e)))) {
        snprintf(why, whylen, "out of memory for %llu entries", (unsigned long long)count);
        return -2;
    }
    ix->cap = (size_t)count;
    for (k = 0; k < count; k++) {
        const unsigned char *p = buf + HDR + k * REC;
        struct mpift_keyidx_ent *e = &ix->e[k];
        e->id = (struct mpift_keyidx_id){ mpift_le64_get(p),
                                          mpift_le64_get(p + 8),
                                          mpift_le64_get(p + 16),
                                          (int64_t)mpift_le64_get(p + 24),
                                          (int64_t)mpift_le64_get(p + 32),
                                          get32(p + 40),
                                          get32(p + 44) };
        memcpy(e->key, p + 48, MPIFT_KEYIDX_KEY);
        if (e->id.mtime_nsec >= NSEC || e->id.ctime_nsec >= NSEC || (k && cmp_id(&ix->e[k - 1].id, &e->id) >= 0)) {
            snprintf(why, whylen, "entry %zu is out of range or out of order", k);
            free(ix->e);
            ix->e = NULL;
            ix->cap = 0;
            return -1;
        }
    }
    ix->n = ix->nsorted = (size_t)count;
    return 0;
}

/* The folder: made 0700 when missing, with its missing parents as the
 * cache makes them (util/mkdirs.h), opened without following a link,
 * the user's and writable by no one else.  An fd, or -1 with *rc, why. */
static int open_folder(const char *dir, int *rc, char *why, size_t whylen)
{
    struct stat st;
    int fd;

    if (mpift_make_dirs(dir) != 0) {
        snprintf(why, whylen, "cache.dir %s: cannot make it: %s", dir, strerror(errno));
        *rc = MPIFT_ERR_IO;
        return -1;
    }
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        /* O_NOFOLLOW with O_DIRECTORY: a link is ELOOP or ENOTDIR. */
        int en = errno, link = (en == ELOOP || en == ENOTDIR) && lstat(dir, &st) == 0 && S_ISLNK(st.st_mode);
        *rc = en == ELOOP || en == ENOTDIR ? MPIFT_ERR_ESCAPE : MPIFT_ERR_IO;
        snprintf(why, whylen, "cache.dir %s: %s", dir, link ? "is a symbolic link: refused" :
                 en == ENOTDIR ? "is not a folder: refused" : strerror(en));
        return -1;
    }
    if (fstat(fd, &st) != 0 || st.st_uid != geteuid() || (st.st_mode & 022)) {
        *rc = MPIFT_ERR_ESCAPE;
        if (st.st_uid != geteuid())
            snprintf(why, whylen, "cache.dir %s is owned by uid %u, not by you (uid %u): refused", dir,
                     (unsigned)st.st_uid, (unsigned)geteuid());
        else
            snprintf(why, whylen, "cache.dir %s is writable by others (mode %04o): refused; chmod go-w it", dir,
                     (unsigned)(st.st_mode & 07777));
        close(fd);
        return -1;
    }
    return fd;
}

/* Read the whole regular file fd (at most the largest index) into a new
 * buffer.  0, or an errno. */
static int slurp(int fd, const struct stat *st, unsigned char **buf, size_t *len)
{
    size_t want = (size_t)st->st_size, got = 0;

    if ((uint64_t)st->st_size > HDR + (uint64_t)MPIFT_KEYIDX_MAX * REC + TRAILER)
        return EFBIG;
    if (!(*buf = malloc(want ? want : 1)))
        return ENOMEM;
    while (got < want) {
        ssize_t n = read(fd, *buf + got, want - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    *len = got;
    return 0;
}

/* The index file itself, read into ix. */
static int load(struct mpift_keyidx *ix, char *why, size_t whylen)
{
    char cause[256];
    unsigned char *buf = NULL;
    size_t len = 0;
    struct stat st;
    int fd, err, rc = MPIFT_OK;

    fd = openat(ix->dirfd, MPIFT_KEYIDX_NAME, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return MPIFT_OK;
        snprintf(cause, sizeof(cause), "%s", errno == ELOOP ? "is a symbolic link" : strerror(errno));
        rc = MPIFT_ERR_ESCAPE;
    } else if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(cause, sizeof(cause), "is not a regular file");
        rc = MPIFT_ERR_ESCAPE;
    } else if (st.st_uid != geteuid()) {
        snprintf(cause, sizeof(cause), "is owned by uid %u, not by you (uid %u)", (unsigned)st.st_uid,
                 (unsigned)geteuid());
        rc = MPIFT_ERR_ESCAPE;
    } else if ((err = slurp(fd, &st, &buf, &len)) != 0) {
        snprintf(cause, sizeof(cause), "cannot be read: %s", strerror(err));
        rc = err == ENOMEM ? MPIFT_ERR_NOMEM : MPIFT_ERR_CHECKSUM;
    } else if ((err = parse(ix, buf, len, cause, sizeof(cause))) != 0) {
        rc = err == -2 ? MPIFT_ERR_NOMEM : MPIFT_ERR_CHECKSUM;
    }
    if (fd >= 0)
        close(fd);
    free(buf);
    if (rc == MPIFT_ERR_ESCAPE) {
        /* Not the user's own file: neither trusted nor replaced. */
        snprintf(why, whylen, "%s %s: refused and left alone; every source is read to key it", ix->path, cause);
        close(ix->dirfd);
        ix->dirfd = -1;
    } else if (rc != MPIFT_OK) {
        snprintf(why, whylen, "%s %s: ignored; the sources are read again to key them and the index rewritten",
                 ix->path, cause);
        ix->dirty = 1;
    }
    return rc;
}

int mpift_keyidx_open(struct mpift_keyidx *ix, const char *dir, char *why, size_t whylen)
{
    int rc = MPIFT_OK;
    size_t n;

    memset(ix, 0, sizeof(*ix));
    snprintf(ix->path, sizeof(ix->path), "%s/%s", dir, MPIFT_KEYIDX_NAME);
    ix->dirfd = open_folder(dir, &rc, why, whylen);
    if (ix->dirfd >= 0)
        return load(ix, why, whylen);
    n = strlen(why);
    snprintf(why + n, whylen - n, "; no index: every source is read to key it");
    return rc;
}

/* The sorted entry of id's device and inode, or NULL. */
static struct mpift_keyidx_ent *lookup(struct mpift_keyidx *ix, const struct mpift_keyidx_id *id)
{
    size_t lo = 0, hi = ix->nsorted;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = cmp_id(&ix->e[mid].id, id);
        if (c == 0)
            return &ix->e[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const uint8_t *mpift_keyidx_find(struct mpift_keyidx *ix, const struct mpift_keyidx_id *id)
{
    struct mpift_keyidx_ent *e = lookup(ix, id);

    if (!e || e->id.size != id->size || e->id.mtime_sec != id->mtime_sec || e->id.mtime_nsec != id->mtime_nsec ||
        e->id.ctime_sec != id->ctime_sec || e->id.ctime_nsec != id->ctime_nsec)
        return NULL;
    /* Kept first when the index is next written; a run that only finds
     * keys does not rewrite it. */
    e->used = 1;
    return e->key;
}

int mpift_keyidx_put(struct mpift_keyidx *ix, const struct mpift_keyidx_id *id, const uint8_t *key)
{
    struct mpift_keyidx_ent *e;

    if (ix->dirfd < 0)
        return MPIFT_OK;
    if (!(e = lookup(ix, id))) {
        if (mpift_grow(&ix->e, &ix->cap, ix->n + 1, sizeof(*ix->e), 256) != MPIFT_OK)
            return MPIFT_ERR_NOMEM;
        e = &ix->e[ix->n++];
    }
    e->id = *id;
    memcpy(e->key, key, MPIFT_KEYIDX_KEY);
    e->used = 1;
    ix->dirty = 1;
    return MPIFT_OK;
}

int mpift_keyidx_drop(struct mpift_keyidx *ix, const struct mpift_keyidx_id *id, const uint8_t *key)
{
    size_t i, n = 0;

    /* Every entry of that device and inode (a put of this run may have
     * added one past the sorted part), not only the one lookup finds. */
    for (i = 0; i < ix->n; i++)
        if (cmp_id(&ix->e[i].id, id) != 0 || memcmp(ix->e[i].key, key, MPIFT_KEYIDX_KEY) != 0)
            ix->e[n++] = ix->e[i];
        else if (i < ix->nsorted)
            ix->nsorted--;   /* the sorted part stays sorted: entries only leave it */
    if (n == ix->n)
        return 0;
    ix->n = n;
    ix->dirty = 1;
    return 1;
}

/* Sorted, one entry per device and inode (the later put), at most
 * MPIFT_KEYIDX_MAX with this run's first: the entries ready to write. */
static void settle(struct mpift_keyidx *ix)
{
    size_t i, n = 0, used = 0, old;

    qsort(ix->e, ix->n, sizeof(*ix->e), cmp_ent);
    for (i = 0; i < ix->n; i++)
        if (n == 0 || cmp_id(&ix->e[n - 1].id, &ix->e[i].id) != 0)
            ix->e[n++] = ix->e[i];
    ix->n = n;
    for (i = 0; i < n; i++)
        used += ix->e[i].used;
    /* Over the bound: this run's entries, then as many older ones as fit. */
    old = used >= MPIFT_KEYIDX_MAX ? 0 : MPIFT_KEYIDX_MAX - used;
    for (i = 0, n = 0; i < ix->n; i++)
        if (n < MPIFT_KEYIDX_MAX && (ix->e[i].used || (old && old--)))
            ix->e[n++] = ix->e[i];
    ix->n = ix->nsorted = n;
}

static int write_all(int fd, const unsigned char *p, size_t len)
{
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int mpift_keyidx_save(struct mpift_keyidx *ix, char *why, size_t whylen)
{
    char tmp[MPIFT_TMP_UNIQUE_MAX], cause[MPIFT_TMP_WHY_MAX];
    unsigned char *buf;
    size_t len, k;
    int fd, bad, hold = -1, rc = MPIFT_ERR_IO;

    if (ix->dirfd < 0 || !ix->dirty)
        return MPIFT_OK;
    settle(ix);
    len = HDR + ix->n * REC + TRAILER;
    if (!(buf = calloc(1, len))) {
        snprintf(why, whylen, "%s: out of memory to write it", ix->path);
        return MPIFT_ERR_NOMEM;
    }
    memcpy(buf, MAGIC, 8);
    mpift_le64_put(buf + 8, ix->n);
    for (k = 0; k < ix->n; k++) {
        unsigned char *p = buf + HDR + k * REC;
        const struct mpift_keyidx_id *id = &ix->e[k].id;
        mpift_le64_put(p, id->dev);
        mpift_le64_put(p + 8, id->ino);
        mpift_le64_put(p + 16, id->size);
        mpift_le64_put(p + 24, (uint64_t)id->mtime_sec);
        mpift_le64_put(p + 32, (uint64_t)id->ctime_sec);
        put32(p + 40, id->mtime_nsec);
        put32(p + 44, id->ctime_nsec);
        memcpy(p + 48, ix->e[k].key, MPIFT_KEYIDX_KEY);
    }
    mpift_le64_put(buf + len - TRAILER, (uint64_t)XXH3_64bits(buf, len - TRAILER));
    fd = mpift_tmp_make(ix->dirfd, MPIFT_KEYIDX_NAME MPIFT_TMP_MARK, tmp, sizeof(tmp), 0600);
    if (fd < 0) {
        mpift_tmp_why(cause, sizeof(cause), tmp, errno);
        snprintf(why, whylen, "%s: cannot write it: %s", ix->path, cause);
        goto out;
    }
    /* Held (by `hold`, past the close that reports a delayed write's
     * error) until renamed: the cache's sweep removes only a killed
     * run's (util/tmplock.h).  No descriptor for it (EMFILE): no save,
     * not one renamed unheld. */
    hold = dup(fd);
    bad = hold < 0 ? -1 : write_all(fd, buf, len);
    if (close(fd) != 0)
        bad = -1;
    if (bad) {
        snprintf(why, whylen, "%s: cannot write it: %s", ix->path, strerror(errno));
        unlinkat(ix->dirfd, tmp, 0);
        goto out;
    }
    if (renameat(ix->dirfd, tmp, ix->dirfd, MPIFT_KEYIDX_NAME) != 0) {
        snprintf(why, whylen, "%s: cannot replace it: %s", ix->path, strerror(errno));
        unlinkat(ix->dirfd, tmp, 0);
        goto out;
    }
    ix->dirty = 0;
    rc = MPIFT_OK;
out:
    if (hold >= 0)
        close(hold);
    free(buf);
    return rc;
}

void mpift_keyidx_close(struct mpift_keyidx *ix)
{
    if (ix->dirfd >= 0)
        close(ix->dirfd);
    free(ix->e);
    memset(ix, 0, sizeof(*ix));
    ix->dirfd = -1;
}
