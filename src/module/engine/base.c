/* base.c - a writer's base and a resumable copy's record (see base.h). */
#include "mpift_autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "comm/watch.h"
#include "fs/fsafe.h"
#include "util/faults.h"
#include "util/hash.h"
#include "util/le64.h"
#include "util/log.h"
#include "util/tmpname.h"
#include "engine/base.h"

/*
 * A record, little-endian: "MPIFTRC1", size, mtime (s), mtime (ns) and the
 * copy's creation mode (u32 each), chunk size, the final name's XXH3,
 * the number n of chunks it claims, their n XXH3-64s, then an XXH3-64 of
 * all that (the seal: a record cut short or altered does not verify).
 */
#define REC_MAGIC "MPIFTRC1"
#define REC_HEAD 56

void mpift_base_names(const char *name, int rank, char *tmp, char *rec)
{
    unsigned long long h = (unsigned long long)XXH3_64bits(name, strlen(name));

    snprintf(tmp, MPIFT_BASE_NAME_MAX, MPIFT_TMP_MARK "%016llx-resume-r%d" MPIFT_TMP_SUFFIX, h, rank);
    snprintf(rec, MPIFT_BASE_NAME_MAX, MPIFT_TMP_MARK "%016llx-record-r%d" MPIFT_TMP_SUFFIX, h, rank);
}

static int read_full(int fd, void *buf, size_t len, uint64_t off)
{
    size_t done = 0;
    ssize_t n;

    while (done < len) {
        n = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        done += (size_t)n;
    }
    return 0;
}

static uint64_t chunk_len(const struct mpift_base_of *of, uint64_t i)
{
    uint64_t off = i * of->chunk;

    return of->size - off < of->chunk ? of->size - off : of->chunk;
}

/* Open `name` in dirfd as a regular file of ours, never through a link;
 * locked when `lock` (-1 if another live run holds it). */
static int open_own(int dirfd, const char *name, int flags, int lock, struct stat *st)
{
    int fd = openat(dirfd, name, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

    if (fd < 0)
        return -1;
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode) || st->st_uid != geteuid() ||
        (lock && flock(fd, LOCK_EX | LOCK_NB) != 0)) {
        close(fd);
        return -1;
    }
    return fd;
}

/* The have and hash arrays of b (nchunks), or -1. */
static int base_arrays(struct mpift_base *b)
{
    b->have = calloc((size_t)(b->nchunks + 7) / 8 + 1, 1);
    b->hash = calloc((size_t)b->nchunks + 1, sizeof(*b->hash));
    return b->have && b->hash ? 0 : -1;
}

/* Read chunk i of fd (fsize bytes long) into buf, its XXH3-64 in *h: 0,
 * or -1 when the file does not hold it whole.  The writer's watch hears
 * of the work (a long read of a base is not a stall). */
static int read_chunk(struct mpift_base *b, int fd, const struct mpift_base_of *of, uint64_t fsize, uint64_t i,
                      unsigned char *buf, uint64_t *h)
{
    uint64_t len = chunk_len(of, i);

    if (i * of->chunk + len > fsize || read_full(fd, buf, (size_t)len, i * of->chunk) != 0)
        return -1;
    mpift_fault_slow_read();
    if (b->watch)
        mpift_watch_work(b->watch);
    *h = XXH3_64bits(buf, (size_t)len);
    return 0;
}

/* Chunk i, whose hash is h, is held and offered. */
static void take(struct mpift_base *b, uint64_t i, uint64_t h)
{
    b->have[i >> 3] |= (unsigned char)(1u << (i & 7));
    b->hash[i] = h;
    b->held++;
}

/* Offer each chunk i < n of fd whose bytes hash to want[i] (want NULL:
 * every chunk the file holds whole, with its hash). */
static int offer(struct mpift_base *b, int fd, const struct mpift_base_of *of, uint64_t n, const uint64_t *want,
                 uint64_t fsize)
{
    unsigned char *buf = malloc(of->chunk);
    uint64_t i, h;

    if (!buf || base_arrays(b) != 0) {
        free(buf);
        return -1;
    }
    b->prefix = 0;
    for (i = 0; i < n && read_chunk(b, fd, of, fsize, i, buf, &h) == 0; i++) {
        if (want && h != want[i])
            continue;
        take(b, i, h);
        if (b->prefix == i)
            b->prefix = i + 1;
    }
    free(buf);
    return b->held ? 0 : -1;
}

/* Offer the sample chunks (base.h) of fd that it holds whole: a SAMPLE. */
static int offer_sample(struct mpift_base *b, int fd, const struct mpift_base_of *of, uint64_t fsize)
{
    unsigned char *buf = malloc(of->chunk);
    uint64_t i, h;
    unsigned k;

    if (!buf || base_arrays(b) != 0) {
        free(buf);
        return -1;
    }
    for (k = 0; k < MPIFT_BASE_SAMPLE_CHUNKS; k++) {
        i = mpift_base_sample(b->nchunks, k);
        if (read_chunk(b, fd, of, fsize, i, buf, &h) != 0)
            break;
        take(b, i, h);
    }
    free(buf);
    return b->held ? 0 : -1;
}

int mpift_base_sample_source(int fd, uint64_t size, uint64_t chunk, uint64_t n, uint64_t *h, struct mpift_watch *w)
{
    unsigned char *buf = malloc(chunk);
    uint64_t c, len;
    unsigned k;
    int rc = buf ? 0 : -1;

    for (k = 0; k < MPIFT_BASE_SAMPLE_CHUNKS && rc == 0; k++) {
        c = mpift_base_sample(n, k);
        len = size - c * chunk < chunk ? size - c * chunk : chunk;
        rc = read_full(fd, buf, (size_t)len, c * chunk);
        mpift_fault_slow_read();
        mpift_watch_tick(w);   /* the other ranks wait in a collective: they still hear from rank 0 */
        h[k] = rc == 0 ? XXH3_64bits(buf, (size_t)len) : 0;
    }
    free(buf);
    return rc;
}

/* The record in recfd, checked whole against `of` and the name's hash:
 * its claimed hashes (malloc'd) and their count, or NULL with why. */
static uint64_t *read_record(int recfd, const struct stat *st, const struct mpift_base_of *of, uint64_t nh,
                             uint64_t nchunks, uint64_t *n, unsigned *mode, const char **why)
{
    unsigned char *p = NULL;
    uint64_t *h = NULL, k, sz = (uint64_t)st->st_size;

    *why = "its record is cut short or altered";
    if (sz < REC_HEAD + 8 || (sz - REC_HEAD - 8) % 8 || (sz - REC_HEAD - 8) / 8 > nchunks)
        return NULL;
    if (!(p = malloc((size_t)sz)) || read_full(recfd, p, (size_t)sz, 0) != 0 ||
        memcmp(p, REC_MAGIC, 8) != 0 || mpift_le64_get(p + sz - 8) != XXH3_64bits(p, (size_t)(sz - 8)) ||
        mpift_le64_get(p + 48) != (sz - REC_HEAD - 8) / 8)
        goto out;
    *why = "it is of another version of the source (size, mtime or chunk size differ)";
    if (mpift_le64_get(p + 8) != of->size || (int64_t)mpift_le64_get(p + 16) != of->mtime_sec ||
        (uint32_t)mpift_le64_get(p + 24) != of->mtime_nsec || mpift_le64_get(p + 32) != of->chunk ||
        mpift_le64_get(p + 40) != nh)
        goto out;
    *n = mpift_le64_get(p + 48);
    *mode = (unsigned)(mpift_le64_get(p + 24) >> 32) & 0777;
    if (!(h = malloc((size_t)*n * 8 + 8)))
        goto out;
    for (k = 0; k < *n; k++)
        h[k] = mpift_le64_get(p + REC_HEAD + 8 * k);
    *why = NULL;
out:
    free(p);
    return h;
}

static int find_resume(struct mpift_base *b, int dirfd, const char *name, int rank, const struct mpift_base_of *of,
                       char *why, size_t whylen)
{
    char tmp[MPIFT_BASE_NAME_MAX], rec[MPIFT_BASE_NAME_MAX];
    const char *cause = "its record is missing or not a file of this user";
    struct stat st, rst;
    uint64_t *want = NULL, n = 0;
    int rc = -1;

    mpift_base_names(name, rank, tmp, rec);
    b->fd = open_own(dirfd, tmp, O_RDWR, 1, &st);
    if (b->fd < 0) {
        if (errno == ELOOP)
            snprintf(why, whylen, "%s: a link where its resume temporary goes: not followed", name);
        return -1;
    }
    b->recfd = open_own(dirfd, rec, O_RDONLY, 1, &rst);
    if (b->recfd >= 0)
        want = read_record(b->recfd, &rst, of, XXH3_64bits(name, strlen(name)), b->nchunks, &n, &b->new_mode,
                           &cause);
    if (want) {
        cause = "no chunk of it hashes as its record says";
        rc = offer(b, b->fd, of, n, want, (uint64_t)st.st_size);
    }
    free(want);
    if (rc == 0) {
        b->kind = MPIFT_BASE_RESUME;
        /* What it holds past its held chunks (the unrecorded tail a
         * kill left) is truncated away at the open, and received again. */
        b->allocated = (uint64_t)st.st_blocks * 512;
        if (b->allocated > b->held * of->chunk)
            b->allocated = b->held * of->chunk;
        mpift_log_verbose("%s: resuming: %llu of %llu chunks held", name, (unsigned long long)b->held,
                          (unsigned long long)b->nchunks);
    } else {
        snprintf(why, whylen, "%s: a killed run's temporary was not resumed: %s; it is sent whole", name, cause);
    }
    return rc;
}

/* Offer, unread, the kept hashes of an older version of `osize` bytes:
 * each chunk whole at the same offset with the same length in both. */
static int offer_kept(struct mpift_base *b, const struct mpift_base_of *of, const uint64_t *kept, uint64_t kn,
                      uint64_t osize)
{
    uint64_t i, len;

    if (base_arrays(b) != 0)
        return -1;
    for (i = 0; i < kn && i < b->nchunks; i++) {
        len = chunk_len(of, i);
        if (i * of->chunk + len > osize || (len < of->chunk && i * of->chunk + len != osize))
            break;
        b->have[i >> 3] |= (unsigned char)(1u << (i & 7));
        b->hash[i] = kept[i];
        b->held++;
    }
    b->prefix = b->held;
    return b->held ? 0 : -1;
}

/* A delta base of fd (an older version of st's size): from the kept
 * hashes when given, else read and hashed (a sample first, when the file
 * has chunks enough: a SAMPLE).  fd stays the caller's: the base keeps
 * what finds the same file again at its turn, not fd. */
static int offer_delta(struct mpift_base *b, int fd, const struct mpift_base_of *of, const uint64_t *kept,
                       uint64_t kn, uint64_t osize, enum mpift_base_from from)
{
    struct stat st;
    int sample = !kept && b->nchunks >= (uint64_t)MPIFT_BASE_SAMPLE_CHUNKS * MPIFT_BASE_SAMPLE_MIN;

    if (fstat(fd, &st) != 0 ||
        (kept ? offer_kept(b, of, kept, kn, osize)
         : sample ? offer_sample(b, fd, of, osize) : offer(b, fd, of, b->nchunks, NULL, osize)) != 0) {
        free(b->have);
        free(b->hash);
        b->have = NULL;
        b->hash = NULL;
        b->held = b->prefix = 0;
        return -1;
    }
    b->kind = sample ? MPIFT_BASE_SAMPLE : MPIFT_BASE_DELTA;
    b->from = from;
    b->dev = (uint64_t)st.st_dev;
    b->ino = (uint64_t)st.st_ino;
    b->fsize = (uint64_t)st.st_size;
    b->mtime_sec = st.st_mtim.tv_sec;
    b->mtime_nsec = (uint32_t)st.st_mtim.tv_nsec;
    return 0;
}

/*
 * The older version: a cache entry of the version this name was last
 * staged as (alt), offered from the hashes the cache keeps with it (not
 * read) when it has them; else the file at the final path, read and
 * hashed.  A dest holds nothing of mpift's but the copies it staged, so
 * no hashes are kept there.  Which it took goes to why (--verbose).
 */
static void find_delta(struct mpift_base *b, int dirfd, const char *name, const struct mpift_base_of *of,
                       const struct mpift_base_alt *alt, char *why, size_t whylen)
{
    struct stat st;
    int fd;

    if (alt && alt->fd >= 0 && offer_delta(b, alt->fd, of, alt->hash, alt->n, alt->size, MPIFT_BASE_FROM_CACHE) == 0) {
        snprintf(why, whylen, "%s: delta base: an older version in the node's cache, %s%s", name,
                 alt->hash ? "from its kept hashes (not read)" : "read and hashed (no hashes kept)",
                 b->kind == MPIFT_BASE_SAMPLE ? ": a sample of its chunks first" : "");
        return;
    }
    if ((fd = open_own(dirfd, name, O_RDONLY, 0, &st)) < 0)
        return;
    if (offer_delta(b, fd, of, NULL, 0, (uint64_t)st.st_size, MPIFT_BASE_FROM_DEST) == 0)
        snprintf(why, whylen, "%s: delta base: the older version here, read and hashed (%s)%s", name,
                 alt ? "the node's cache could not offer it" : "no older version in the node's cache (cache.dir)",
                 b->kind == MPIFT_BASE_SAMPLE ? ": a sample of its chunks first" : "");
    close(fd);
}

/* Is fd the file b offered (device, inode, size, mtime)? */
static int same_file(const struct mpift_base *b, int fd)
{
    struct stat st;

    return fstat(fd, &st) == 0 && (uint64_t)st.st_dev == b->dev && (uint64_t)st.st_ino == b->ino &&
           (uint64_t)st.st_size == b->fsize && st.st_mtim.tv_sec == b->mtime_sec &&
           (uint32_t)st.st_mtim.tv_nsec == b->mtime_nsec;
}

/* A delta base's file opened again (mpift_base_reopen): the fd, or -1
 * with the base let go. */
static int open_again(struct mpift_base *b, int rootfd, const char *rel, int cachefd)
{
    char parent[PATH_MAX], name[NAME_MAX + 1], cause[MPIFT_WHY_MAX];
    struct stat st;
    int dirfd, fd = -1;

    if (b->from == MPIFT_BASE_FROM_CACHE) {
        fd = cachefd >= 0 ? dup(cachefd) : -1;
    } else if (mpift_split_parent(rel, parent, sizeof(parent), name, sizeof(name)) == MPIFT_OK &&
               (dirfd = mpift_dir_open(rootfd, parent, false, cause, sizeof(cause))) >= 0) {
        fd = open_own(dirfd, name, O_RDONLY, 0, &st);
        close(dirfd);
    }
    if (fd >= 0 && same_file(b, fd))
        return fd;
    if (fd >= 0)
        close(fd);
    mpift_log_verbose("%s: its older version (%s) was removed or changed since it was offered: the chunks it was "
                      "to give are not there, so this copy is dropped and the file sent again whole next round "
                      "(transfer.retries)", rel, b->from == MPIFT_BASE_FROM_CACHE ? "in the node's cache" : "here");
    mpift_base_free(b);
    return -1;
}

int mpift_base_reopen(struct mpift_base *b, int rootfd, const char *rel, int cachefd)
{
    if (b->kind != MPIFT_BASE_DELTA || b->fd >= 0)
        return 0;
    b->fd = open_again(b, rootfd, rel, cachefd);
    return b->fd >= 0 ? 0 : -1;
}

int mpift_base_read_whole(struct mpift_base *b, int rootfd, const char *rel, int cachefd)
{
    int fd;

    if (b->kind != MPIFT_BASE_SAMPLE)
        return 0;
    if ((fd = open_again(b, rootfd, rel, cachefd)) < 0)
        return -1;
    free(b->have);
    free(b->hash);
    b->have = NULL;
    b->hash = NULL;
    b->held = 0;
    if (offer(b, fd, &b->of, b->nchunks, NULL, b->fsize) != 0) {
        close(fd);
        mpift_base_free(b);
        return -1;
    }
    close(fd);
    b->kind = MPIFT_BASE_DELTA;
    return 0;
}

void mpift_base_find(struct mpift_base *b, int rootfd, const char *rel, int rank, const struct mpift_base_of *of,
                     int delta, const struct mpift_base_older *older, struct mpift_watch *w, char *why,
                     size_t whylen)
{
    char parent[PATH_MAX], name[NAME_MAX + 1], cause[MPIFT_WHY_MAX];
    int dirfd;

    memset(b, 0, sizeof(*b));
    b->fd = b->recfd = -1;
    b->watch = w;
    why[0] = '\0';
    if (of->size < MPIFT_BASE_MIN || !of->chunk)
        return;
    b->of = *of;
    b->nchunks = (of->size + of->chunk - 1) / of->chunk;
    if (b->nchunks > MPIFT_BASE_CHUNKS_MAX ||
        mpift_split_parent(rel, parent, sizeof(parent), name, sizeof(name)) != MPIFT_OK)
        return;
    dirfd = mpift_dir_open(rootfd, parent, false, cause, sizeof(cause));
    if (dirfd < 0)
        return;
    if (find_resume(b, dirfd, name, rank, of, why, whylen) != 0) {
        mpift_base_free(b);
        b->nchunks = (of->size + of->chunk - 1) / of->chunk;
        b->watch = w;
        b->of = *of;
        if (delta) {
            if (why[0])
                mpift_log_verbose("%s", why);   /* the resume temporary not taken */
            why[0] = '\0';
            find_delta(b, dirfd, name, of, older ? older->look(older->arg) : NULL, why, whylen);
        }
        if (b->kind == MPIFT_BASE_NONE)
            mpift_base_free(b);
    }
    close(dirfd);
}

int mpift_base_has(const struct mpift_base *b, uint64_t i, uint64_t h)
{
    return b && b->kind != MPIFT_BASE_NONE && i < b->nchunks && ((b->have[i >> 3] >> (i & 7)) & 1) &&
           b->hash[i] == h;
}

int mpift_base_for(const struct mpift_base *b, const struct mpift_base_of *of)
{
    return b && b->kind != MPIFT_BASE_NONE && b->of.size == of->size && b->of.mtime_sec == of->mtime_sec &&
           b->of.mtime_nsec == of->mtime_nsec && b->of.chunk == of->chunk;
}

void mpift_base_free(struct mpift_base *b)
{
    if (b->fd >= 0)
        close(b->fd);
    if (b->recfd >= 0)
        close(b->recfd);
    free(b->have);
    free(b->hash);
    memset(b, 0, sizeof(*b));
    b->fd = b->recfd = -1;
}

/* ------------------------------------------------------------ the record */

/* Write the record claiming chunks 0..n-1 (after their data is synced). */
static void record_write(struct mpift_record *rec, uint64_t n)
{
    size_t sz = REC_HEAD + 8 * (size_t)n + 8;
    unsigned char *p = malloc(sz);
    uint64_t k;

    if (!p)
        return;
    memcpy(p, REC_MAGIC, 8);
    mpift_le64_put(p + 8, rec->of.size);
    mpift_le64_put(p + 16, (uint64_t)rec->of.mtime_sec);
    mpift_le64_put(p + 24, (uint64_t)rec->of.mtime_nsec | (uint64_t)(rec->new_mode & 0777) << 32);
    mpift_le64_put(p + 32, rec->of.chunk);
    mpift_le64_put(p + 40, rec->name_hash);
    mpift_le64_put(p + 48, n);
    for (k = 0; k < n; k++)
        mpift_le64_put(p + REC_HEAD + 8 * k, rec->hash[k]);
    mpift_le64_put(p + sz - 8, XXH3_64bits(p, sz - 8));
    /* Grows only: a shorter old record cannot be left behind its seal. */
    if (pwrite(rec->fd, p, sz, 0) == (ssize_t)sz)
        rec->claimed = n;
    free(p);
}

void mpift_record_start(struct mpift_record *rec, int dirfd, const char *name, const char *recname,
                        const struct mpift_base_of *of, const struct mpift_base *base, unsigned new_mode)
{
    memset(rec, 0, sizeof(*rec));
    rec->fd = -1;
    rec->of = *of;
    rec->new_mode = new_mode;
    rec->name_hash = XXH3_64bits(name, strlen(name));
    rec->nchunks = of->chunk ? (of->size + of->chunk - 1) / of->chunk : 0;
    if (of->size < MPIFT_BASE_MIN || !rec->nchunks || rec->nchunks > MPIFT_BASE_CHUNKS_MAX ||
        !(rec->hash = calloc((size_t)rec->nchunks, sizeof(*rec->hash))))
        return;
    if (!recname)
        return;   /* the hashes only, handed over at the commit */
    /* Whatever is there (an old record, a link planted) goes, unfollowed. */
    unlinkat(dirfd, recname, 0);
    rec->fd = openat(dirfd, recname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (rec->fd < 0)
        return;
    flock(rec->fd, LOCK_EX | LOCK_NB);
    /* A resumed copy keeps claiming what it already holds: a kill before
     * this run passes it loses nothing. */
    if (mpift_base_for(base, of) && base->kind == MPIFT_BASE_RESUME && base->prefix) {
        /* Never more than this version's chunks (the base is of it). */
        rec->done = base->prefix < rec->nchunks ? base->prefix : rec->nchunks;
        memcpy(rec->hash, base->hash, (size_t)rec->done * sizeof(*rec->hash));
        record_write(rec, rec->done);
    }
}

void mpift_record_chunk(struct mpift_record *rec, int datafd, uint64_t i, uint64_t h, uint64_t len)
{
    if (!rec->hash || i >= rec->nchunks || i > rec->done)
        return;   /* none kept, or not in order: the record stops growing */
    rec->hash[i] = h;
    if (i == rec->done)
        rec->done++;
    if (rec->fd < 0)
        return;   /* hashes only: no record file to sync */
    rec->unsynced += len;
    if (rec->unsynced < MPIFT_RECORD_EVERY || rec->done == rec->nchunks)
        return;
    rec->unsynced = 0;
    /* The data first: a record never claims bytes not on the disk. */
    if (fdatasync(datafd) == 0)
        record_write(rec, rec->done);
}

void mpift_record_close(struct mpift_record *rec, int dirfd, const char *recname, int remove)
{
    if (rec->fd >= 0) {
        if (remove)
            unlinkat(dirfd, recname, 0);
        close(rec->fd);
    }
    free(rec->hash);
    rec->hash = NULL;
    rec->fd = -1;
}
