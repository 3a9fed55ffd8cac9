/* store.c - a node's cache folder: opened and checked, entries found,
 * verified, recorded and put (store.h for the rules). */
#include "mpift_autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "cache/copy.h"
#include "cache/older.h"
#include "cache/store.h"
#include "util/mkdirs.h"
#include "util/faults.h"
#include "util/grow.h"
#include "util/hash.h"
#include "util/tmplock.h"
#include "util/tmpname.h"

#define LOCK_NAME ".lock"
#define REC_SUFFIX ".rec"
#define HASH_BUF (1u << 20)   /* bytes read at a time to re-hash an entry */
#define LOCK_POLL_NS 10000000L   /* 10 ms between tries of a busy ".lock" */

void mpift_cache_name(uint64_t size, const uint8_t key[MPIFT_CACHE_KEY], char name[MPIFT_CACHE_NAME])
{
    int n = snprintf(name, MPIFT_CACHE_NAME, "%" PRIu64 "-", size), k;

    for (k = 0; k < MPIFT_CACHE_KEY; k++)
        n += snprintf(name + n, (size_t)(MPIFT_CACHE_NAME - n), "%02x", key[k]);
}

/* The folder refused: c closed, why says what to do. */
static int refuse(struct mpift_cache *c, int fd, const char *host, const char *cause, const char *todo, char *why,
                  size_t whylen)
{
    snprintf(why, whylen, "cache.dir %s on %s: %s; the cache is not used there (%s)", c->path, host, cause, todo);
    if (fd >= 0)
        close(fd);
    c->dirfd = -1;
    return MPIFT_ERR_CONFIG;
}

int mpift_cache_open(struct mpift_cache *c, const char *dir, uint64_t max_size, const char *host, char *why,
                     size_t whylen)
{
    struct stat st;
    struct rlimit rl;
    char cause[256];
    int fd;

    memset(c, 0, sizeof(*c));
    c->dirfd = c->lockfd = -1;
    c->max_size = max_size;
    snprintf(c->path, sizeof(c->path), "%s", dir);
    if (mpift_make_dirs(dir) != 0) {
        snprintf(cause, sizeof(cause), "cannot make it: %s", strerror(errno));
        return refuse(c, -1, host, cause, "make it, or set cache.dir to a folder of yours", why, whylen);
    }
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && (errno == ELOOP || errno == ENOTDIR) && lstat(dir, &st) == 0 && S_ISLNK(st.st_mode))
        return refuse(c, -1, host, "is a symbolic link, which another user may have planted",
                      "remove the link, or set cache.dir to a real folder of yours", why, whylen);
    if (fd < 0) {
        snprintf(cause, sizeof(cause), "cannot open it: %s", strerror(errno));
        return refuse(c, -1, host, cause, "set cache.dir to a folder of yours", why, whylen);
    }
    if (fstat(fd, &st) != 0) {
        snprintf(cause, sizeof(cause), "cannot stat it: %s", strerror(errno));
        return refuse(c, fd, host, cause, "set cache.dir to a folder of yours", why, whylen);
    }
    if (st.st_uid != geteuid()) {
        snprintf(cause, sizeof(cause), "is owned by uid %u, not by you (uid %u): its entries cannot be trusted",
                 (unsigned)st.st_uid, (unsigned)geteuid());
        return refuse(c, fd, host, cause, "set cache.dir to a folder of your own", why, whylen);
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        snprintf(cause, sizeof(cause), "is writable by %s (mode %04o): others could plant entries",
                 st.st_mode & S_IWOTH ? "others" : "its group", (unsigned)(st.st_mode & 07777));
        return refuse(c, fd, host, cause, "chmod go-w it", why, whylen);
    }
    c->dirfd = fd;
    c->lockfd = openat(fd, LOCK_NAME, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (c->lockfd < 0) {
        snprintf(cause, sizeof(cause), "cannot make its lock file %s: %s", LOCK_NAME, strerror(errno));
        return refuse(c, fd, host, cause, "check its room and permissions", why, whylen);
    }
    /* Held entries cost a descriptor each: at most a quarter of the limit
     * (past it an entry is used unheld, and may be evicted under us: the
     * copy placed is unharmed, since it is a link or a copy of its own). */
    c->maxheld = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY ? rl.rlim_cur / 4 : 1024;
    c->untrusted = !mpift_fs_keeps_ident(fd, c->fskind, sizeof(c->fskind)) ||
                   mpift_fault_env("MPIFT_TEST_UNTRUSTED_FS");
    return MPIFT_OK;
}

void mpift_cache_close(struct mpift_cache *c)
{
    size_t i;

    for (i = 0; i < c->nheld; i++)
        close(c->held[i].fd);
    free(c->held);
    c->held = NULL;
    c->nheld = c->capheld = 0;
    if (c->lockfd >= 0)
        close(c->lockfd);
    if (c->dirfd >= 0)
        close(c->dirfd);
    c->dirfd = c->lockfd = -1;
}

static double now_sec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double wait_of(const struct mpift_cache *c)
{
    return c->lock_wait > 0 ? c->lock_wait : MPIFT_CACHE_LOCK_WAIT;
}

/* flock `op` (LOCK_EX, LOCK_SH) on fd, tried every LOCK_POLL_NS for at
 * most `wait` seconds (at least once), the heartbeats going on.  0, also
 * where flock does not work (unserialised, as before); -1 when it stayed
 * busy. */
static int poll_lock(struct mpift_cache *c, int fd, int op, double wait)
{
    const struct timespec poll = {0, LOCK_POLL_NS};
    double until = now_sec() + wait;

    while (flock(fd, op | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR)
            return 0;
        if (now_sec() >= until)
            return -1;
        if (c->tick)
            c->tick(c->tick_arg);   /* heartbeats go on while we wait */
        nanosleep(&poll, NULL);
    }
    return 0;
}

int mpift_cache_lock(struct mpift_cache *c)
{
    if (c->off)
        return -1;
    if (poll_lock(c, c->lockfd, LOCK_EX, wait_of(c)) != 0) {
        c->off = 1;
        snprintf(c->off_why, sizeof(c->off_why), "cache.dir %s: its lock %s/" LOCK_NAME " was held by another "
                 "process for %.1f s (a stuck job, or someone's flock on it): this run uses the cache no more and "
                 "goes on without it; find that process (fuser %s/" LOCK_NAME ")", c->path, c->path, wait_of(c),
                 c->path);
        return -1;
    }
    return 0;
}

void mpift_cache_unlock(struct mpift_cache *c)
{
    flock(c->lockfd, LOCK_UN);
}

static void ident_of(const struct stat *st, struct mpift_cache_id *id)
{
    *id = (struct mpift_cache_id){(uint64_t)st->st_dev, (uint64_t)st->st_ino, (uint64_t)st->st_size,
                                  st->st_mtim.tv_sec, st->st_mtim.tv_nsec, st->st_ctim.tv_sec, st->st_ctim.tv_nsec};
}

static int same_id(const struct mpift_cache_id *a, const struct mpift_cache_id *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->msec == b->msec &&
           a->mnsec == b->mnsec && a->csec == b->csec && a->cnsec == b->cnsec;
}

/* Keep fd (an entry with LOCK_SH, verified as id) to the end: its slot;
 * -1 when too many are. */
static int hold(struct mpift_cache *c, int fd, const struct mpift_cache_id *id)
{
    if (c->nheld >= c->maxheld || c->nheld >= INT_MAX)
        return -1;
    if (mpift_grow(&c->held, &c->capheld, c->nheld + 1, sizeof(*c->held), 64) != MPIFT_OK)
        return -1;
    c->held[c->nheld] = (struct mpift_cache_held){fd, *id};
    return (int)c->nheld++;
}

int mpift_cache_held(const struct mpift_cache *c, int slot, struct mpift_cache_id *id)
{
    if (id)
        *id = c->held[slot].id;
    return c->held[slot].fd;
}

int mpift_cache_no_room(int err)
{
    /* no inodes is ENOSPC too */
    return err == ENOSPC || err == EDQUOT || err == EFBIG;
}

/* What to do about a write into the folder that failed with err, when it
 * is not a want of room. */
static const char *write_advice(int err)
{
    switch (err) {
    case EMFILE:
    case ENFILE:
        return "this process has too many files open: raise the open-file limit (ulimit -n) where the job starts";
    case ENOMEM:
        return "this node is out of memory";
    case EROFS:
        return "cache.dir is on a read-only file system: set cache.dir to a folder you can write";
    case EACCES:
    case EPERM:
        return "check the permissions of cache.dir and of what is in it";
    case ESTALE:
        return "cache.dir's file system lost the file (a stale NFS handle): check its mount";
    default:
        return "check cache.dir and what is in it";
    }
}

void mpift_cache_nowrite(struct mpift_cache *c, const char *what, int err)
{
    err = err ? err : EIO;
    if (!mpift_cache_no_room(err)) {
        if (!c->write_failed) {
            c->write_failed = 1;
            snprintf(c->write_why, sizeof(c->write_why), "cache.dir %s: could not write %s: %s; %s", c->path, what,
                     strerror(err), write_advice(err));
        }
        return;
    }
    if (c->nowrite)
        return;
    c->nowrite = 1;
    snprintf(c->nowrite_why, sizeof(c->nowrite_why), "not cached in %s: %s (%s)", c->path, strerror(err), what);
}

/* Write name's record of identity id: a temporary renamed over it, so a
 * reader sees the old record or the new one.  Under the folder's lock.
 * 0, or an errno (told once: mpift_cache_nowrite). */
static int record(struct mpift_cache *c, const char *name, const struct mpift_cache_id *id)
{
    char rec[MPIFT_CACHE_NAME + 8], tmp[MPIFT_TMP_UNIQUE_MAX], what[MPIFT_CACHE_NAME + 32];
    FILE *f = NULL;
    int tfd, hold = -1, err = 0;

    snprintf(rec, sizeof(rec), "%s" REC_SUFFIX, name);
    /* A unique name, flocked (util/tmplock.h): where flock does not work
     * the folder's lock serialises nothing, and a pid names no owner. */
    if ((tfd = mpift_tmp_make(c->dirfd, MPIFT_CACHE_TMP_REC, tmp, sizeof(tmp), 0600)) < 0) {
        err = errno;
        goto out;
    }
    /* Held (by `hold`) until renamed, as every such temporary. */
    if ((hold = dup(tfd)) < 0 || !(f = fdopen(tfd, "w"))) {
        err = errno;
        close(tfd);
        unlinkat(c->dirfd, tmp, 0);
        goto out;
    }
    fprintf(f, "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 "\n", id->dev,
            id->ino, id->size, id->msec, id->mnsec, id->csec, id->cnsec);
    if (fclose(f) != 0 || renameat(c->dirfd, tmp, c->dirfd, rec) != 0) {
        err = errno;
        unlinkat(c->dirfd, tmp, 0);
    }
out:
    if (hold >= 0)
        close(hold);
    if (err) {
        snprintf(what, sizeof(what), "the record %s", rec);
        mpift_cache_nowrite(c, what, err);
    }
    return err;
}

/* Record the identity fd has now (a copy just linked as the entry). */
static void record_fd(struct mpift_cache *c, const char *name, int fd)
{
    struct mpift_cache_id id;
    struct stat st;

    if (fstat(fd, &st) == 0) {
        ident_of(&st, &id);
        record(c, name, &id);
    }
}

/* Does name's record hold identity `now`? */
static int recorded(struct mpift_cache *c, const char *name, const struct mpift_cache_id *now)
{
    char rec[MPIFT_CACHE_NAME + 8];
    struct mpift_cache_id was;
    FILE *f;
    int rfd, n;

    if (c->untrusted)
        return 0;   /* an identity there may name two versions (fsident.h):
                     * its record is only the use stamp */
    snprintf(rec, sizeof(rec), "%s" REC_SUFFIX, name);
    rfd = openat(c->dirfd, rec, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (rfd < 0 || !(f = fdopen(rfd, "r"))) {
        if (rfd >= 0)
            close(rfd);
        return 0;
    }
    n = fscanf(f, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNd64 " %" SCNd64 " %" SCNd64 " %" SCNd64, &was.dev,
               &was.ino, &was.size, &was.msec, &was.mnsec, &was.csec, &was.cnsec);
    fclose(f);
    return n == 7 && same_id(now, &was);
}

/* The use stamp: the record's mtime, now. */
static void stamp(struct mpift_cache *c, const char *name)
{
    char rec[MPIFT_CACHE_NAME + 8];

    snprintf(rec, sizeof(rec), "%s" REC_SUFFIX, name);
    utimensat(c->dirfd, rec, NULL, AT_SYMLINK_NOFOLLOW);
}

/*
 * A test's pause (util/faults.h), the first time a process passes the
 * hook `which` (*done): MPIFT_TEST_PAUSE_BEFORE_PUT_LINK=SECONDS, a put
 * by copy once its temporary is whole, before it takes the lock to link
 * it (another job's put of the same entry runs meanwhile);
 * _BEFORE_PUT_COPY, before it copies (the dest copy is written
 * meanwhile); _IN_HASH, an entry's re-hash once its first MiB is read
 * (the entry is written meanwhile).
 */
static void pause_once(const char *which, int *done)
{
    const char *env = mpift_fault_env(which);

    if (env && !*done) {
        *done = 1;
        mpift_fault_pause(atof(env));
    }
}

/* Is fd's content (size) the key?  -1 on a read error (errno). */
static int hashes_to(const struct mpift_cache *c, int fd, uint64_t size, const uint8_t key[MPIFT_CACHE_KEY])
{
    unsigned char *buf = malloc(HASH_BUF);
    XXH3_state_t *h = XXH3_createState();
    XXH128_canonical_t can;
    static int paused;
    uint64_t off = 0;
    ssize_t n;
    int rc = -1;

    if (!buf || !h || XXH3_128bits_reset(h) != XXH_OK)
        goto out;
    while ((n = pread(fd, buf, HASH_BUF, (off_t)off)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        mpift_fault_slow_read();
        XXH3_128bits_update(h, buf, (size_t)n);
        off += (uint64_t)n;
        pause_once("MPIFT_TEST_PAUSE_IN_HASH", &paused);
        if (c->tick)
            c->tick(c->tick_arg);
    }
    if (n < 0)
        goto out;
    XXH128_canonicalFromHash(&can, XXH3_128bits_digest(h));
    rc = off == size && memcmp(can.digest, key, MPIFT_CACHE_KEY) == 0;
out:
    XXH3_freeState(h);
    free(buf);
    return rc;
}

/* Remove name (and its record) if it is still the inode fd has open. */
static void discard(struct mpift_cache *c, const char *name, int fd)
{
    char rec[MPIFT_CACHE_NAME + 8];
    struct stat a, b;

    snprintf(rec, sizeof(rec), "%s" REC_SUFFIX, name);
    if (mpift_cache_lock(c) != 0)
        return;   /* left: the next job hashes it again */
    if (fstat(fd, &a) == 0 && fstatat(c->dirfd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 && a.st_ino == b.st_ino &&
        a.st_dev == b.st_dev) {
        unlinkat(c->dirfd, name, 0);
        unlinkat(c->dirfd, rec, 0);
        snprintf(rec, sizeof(rec), "%s" MPIFT_CACHE_KEPT_SUFFIX, name);
        unlinkat(c->dirfd, rec, 0);   /* its chunk hashes (older.h) */
    }
    mpift_cache_unlock(c);
}

/* The shared lock on entry efd (eviction, exclusive, then passes it
 * over), waited for at most as long as the folder's lock and that long
 * once per run: later entries are tried once each.  0, or -1 with why. */
static int lock_entry(struct mpift_cache *c, int efd, const char *name, char *why, size_t whylen)
{
    if (poll_lock(c, efd, LOCK_SH, c->entry_waited ? 0 : wait_of(c)) == 0)
        return 0;
    c->entry_waited = 1;
    snprintf(why, whylen, "cache entry %s/%s is locked by another process (someone's flock on it, or a --cache-prune "
             "stopped while it held it; fuser %s/%s): not used", c->path, name, c->path, name);
    return -1;
}

/* Is entry efd (name, of identity *pre, no record of it) its key?  A hit
 * only when the bytes hashed were those of *pre: a write while they were
 * read (even one that put the mtime back moves the ctime) leaves nothing
 * verified, neither to place nor to record.  Recorded then, when c may
 * still write. */
static enum mpift_cache_found verify(struct mpift_cache *c, int efd, const char *name, uint64_t size,
                                     const uint8_t key[MPIFT_CACHE_KEY], const struct mpift_cache_id *pre,
                                     char *why, size_t whylen)
{
    struct mpift_cache_id post;
    struct stat st;
    int ok = hashes_to(c, efd, size, key);

    if (ok < 0) {
        snprintf(why, whylen, "cache entry %s/%s: cannot read it: %s", c->path, name, strerror(errno));
        return MPIFT_CACHE_MISS;
    }
    if (!ok) {
        snprintf(why, whylen, "cache entry %s/%s changed since it was cached (its bytes are not its key): "
                 "discarded", c->path, name);
        discard(c, name, efd);
        return MPIFT_CACHE_BAD;
    }
    if (fstat(efd, &st) != 0 || (ident_of(&st, &post), !same_id(pre, &post))) {
        snprintf(why, whylen, "cache entry %s/%s changed while it was read to verify it (written to, or another "
                 "process linked it): not used", c->path, name);
        return MPIFT_CACHE_MISS;
    }
    if (!c->nowrite && mpift_cache_lock(c) == 0) {   /* else verified all the same, only not recorded */
        record(c, name, pre);
        mpift_cache_unlock(c);
    }
    return MPIFT_CACHE_HIT;
}

enum mpift_cache_found mpift_cache_get(struct mpift_cache *c, uint64_t size, const uint8_t key[MPIFT_CACHE_KEY],
                                       int *fd, int *slot, struct mpift_cache_id *id, char *why, size_t whylen)
{
    char name[MPIFT_CACHE_NAME];
    struct stat st, now;
    struct mpift_cache_id pre;
    enum mpift_cache_found found;
    int efd;

    *fd = -1;
    *slot = -1;
    why[0] = '\0';
    if (c->dirfd < 0 || c->off)
        return MPIFT_CACHE_MISS;
    mpift_cache_name(size, key, name);
    efd = openat(c->dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (efd < 0)
        return MPIFT_CACHE_MISS;
    /* Shared: eviction (exclusive, without waiting) now passes it over.
     * It may have been evicted between the open and the lock: then the
     * name is gone or another inode's. */
    if (lock_entry(c, efd, name, why, whylen) != 0 || fstat(efd, &st) != 0 ||
        fstatat(c->dirfd, name, &now, AT_SYMLINK_NOFOLLOW) != 0 || now.st_ino != st.st_ino ||
        now.st_dev != st.st_dev) {
        close(efd);
        return MPIFT_CACHE_MISS;
    }
    if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != size) {
        snprintf(why, whylen, "cache entry %s/%s is %s, not %" PRIu64 " bytes: discarded", c->path, name,
                 S_ISREG(st.st_mode) ? "of another size" : "not a regular file", size);
        discard(c, name, efd);
        close(efd);
        return MPIFT_CACHE_BAD;
    }
    ident_of(&st, &pre);
    if (!recorded(c, name, &pre) && (found = verify(c, efd, name, size, key, &pre, why, whylen)) != MPIFT_CACHE_HIT) {
        close(efd);
        return found;
    }
    stamp(c, name);
    if (id)
        *id = pre;
    *slot = hold(c, efd, &pre);
    *fd = efd;
    return MPIFT_CACHE_HIT;
}

enum mpift_cache_found mpift_cache_reverify(struct mpift_cache *c, uint64_t size, const uint8_t key[MPIFT_CACHE_KEY],
                                            int fd, struct mpift_cache_id *id, char *why, size_t whylen)
{
    char name[MPIFT_CACHE_NAME];
    struct mpift_cache_id pre;
    enum mpift_cache_found found;
    struct stat st;

    mpift_cache_name(size, key, name);
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != size) {
        snprintf(why, whylen, "cache entry %s/%s changed size after it was verified: not used", c->path, name);
        return MPIFT_CACHE_MISS;
    }
    ident_of(&st, &pre);
    found = verify(c, fd, name, size, key, &pre, why, whylen);
    if (found == MPIFT_CACHE_HIT)
        *id = pre;
    return found;
}

int mpift_cache_still(struct mpift_cache *c, uint64_t size, const uint8_t key[MPIFT_CACHE_KEY], int fd,
                      const struct mpift_cache_id *id, struct mpift_cache_id *now)
{
    char name[MPIFT_CACHE_NAME];
    struct stat st;

    if (fstat(fd, &st) != 0)
        return 0;
    ident_of(&st, now);
    if (same_id(now, id))
        return 1;
    mpift_cache_name(size, key, name);
    return recorded(c, name, now);
}

void mpift_cache_touch(struct mpift_cache *c, uint64_t size, const uint8_t key[MPIFT_CACHE_KEY], int fd,
                       const struct mpift_cache_id *before)
{
    char name[MPIFT_CACHE_NAME];
    struct mpift_cache_id now;
    struct stat st;

    if (c->nowrite)
        return;
    mpift_cache_name(size, key, name);
    /* The link moved the ctime; anything that moved the inode, size or
     * mtime too is not ours, and not recorded as known. */
    if (fstat(fd, &st) == 0) {
        ident_of(&st, &now);
        if (now.dev == before->dev && now.ino == before->ino && now.size == before->size &&
            now.msec == before->msec && now.mnsec == before->mnsec)
            record(c, name, &now);
    }
}

/* Is st the identity `was` (device, inode, size, mtime, ctime)? */
static int same_stat(const struct stat *st, const struct stat *was)
{
    struct mpift_cache_id a, b;

    ident_of(st, &a);
    ident_of(was, &b);
    return same_id(&a, &b);
}

/* put_copy's answer when its source changed while it was copied. */
#define PUT_MOVED (-1)

/* A copy of in (size bytes, mode) as the entry name, by way of a
 * temporary made outside the folder's lock (flocked: eviction's sweep
 * leaves it), linked under it.  0 or an errno; when that temporary could
 * not be made, cause (MPIFT_TMP_WHY_MAX bytes) says why; PUT_MOVED when
 * in was written (its identity moved) while it was copied: the temporary
 * holds what no one verified, and goes. */
static int put_copy(struct mpift_cache *c, const char *name, int in, const struct stat *st, int verified, char *cause)
{
    char tmp[MPIFT_TMP_UNIQUE_MAX];
    struct timespec ts[2] = {st->st_mtim, st->st_mtim};
    static int paused_copy, paused_link;
    struct stat pre, post;
    int out, err = 0;

    out = mpift_tmp_make(c->dirfd, MPIFT_CACHE_TMP_PUT, tmp, sizeof(tmp), 0600);   /* flocked: util/tmplock.h */
    if (out < 0) {
        err = errno;
        mpift_tmp_why(cause, MPIFT_TMP_WHY_MAX, tmp, err);
        return err;
    }
    /* The identity before the copy (the caller's fchmods moved its ctime
     * since `st`), held from there to the end of the copy. */
    if (fstat(in, &pre) != 0 || pre.st_ino != st->st_ino || pre.st_size != st->st_size ||
        pre.st_mtim.tv_sec != st->st_mtim.tv_sec || pre.st_mtim.tv_nsec != st->st_mtim.tv_nsec)
        err = PUT_MOVED;
    if (!err)   /* a test's: the dest copy is written meanwhile */
        pause_once("MPIFT_TEST_PAUSE_BEFORE_PUT_COPY", &paused_copy);
    if (!err && (mpift_cache_copy(in, out, (uint64_t)st->st_size) != 0 || fchmod(out, st->st_mode & 0555) != 0 ||
                 futimens(out, ts) != 0 || fsync(out) != 0))
        err = errno ? errno : EIO;
    if (!err && (fstat(in, &post) != 0 || !same_stat(&post, &pre)))
        err = PUT_MOVED;
    if (!err)   /* a test's: another put links this name meanwhile */
        pause_once("MPIFT_TEST_PAUSE_BEFORE_PUT_LINK", &paused_link);
    if (!err && mpift_cache_lock(c) == 0) {
        /* Recorded only when this link made the entry: one that lost the
         * race (EEXIST) is another's, whose record stays, and `out` is
         * about to be a dead temporary. */
        if (linkat(c->dirfd, tmp, c->dirfd, name, 0) == 0) {
            /* The temporary's name goes first: its unlink moves the
             * inode's ctime, which the record must already show. */
            unlinkat(c->dirfd, tmp, 0);
            if (verified)
                record_fd(c, name, out);
        } else if (errno != EEXIST) {
            err = errno;
        }
        mpift_cache_unlock(c);
    }
    unlinkat(c->dirfd, tmp, 0);
    close(out);
    return err;
}

int mpift_cache_put(struct mpift_cache *c, uint64_t size, const uint8_t key[MPIFT_CACHE_KEY], int dirfd,
                    const char *name, const struct stat *committed, int verified, char *why, size_t whylen)
{
    char ename[MPIFT_CACHE_NAME], cause[MPIFT_TMP_WHY_MAX] = "";
    struct stat st, now;
    int fd, err = 0;

    if (c->dirfd < 0 || c->off)
        return MPIFT_OK;
    mpift_cache_name(size, key, ename);
    fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != size) {
        snprintf(why, whylen, "%s: not cached: the copy is gone or changed", name);
        if (fd >= 0)
            close(fd);
        return MPIFT_ERR_IO;
    }
    /* Only the inode the writer verified, as it was then: a copy written
     * (or replaced) since its commit is not what its key says. */
    if (!committed || !committed->st_ino || !same_stat(&st, committed)) {
        snprintf(why, whylen, "written to or replaced since it was staged and verified");
        close(fd);
        return MPIFT_ERR_CHECKSUM;
    }
    if (mpift_cache_lock(c) != 0)
        goto done;   /* c is off: the caller tells off_why */
    if (fstatat(c->dirfd, ename, &now, AT_SYMLINK_NOFOLLOW) == 0)
        goto out;   /* another job (or rank) put it first: entries are never replaced */
    /* The copy is the entry from now on: it loses its write bits, so a
     * write through it is refused rather than changing the cache. */
    if (fchmod(fd, st.st_mode & 0555) == 0 && linkat(dirfd, name, c->dirfd, ename, 0) == 0) {
        if (fstatat(c->dirfd, ename, &now, AT_SYMLINK_NOFOLLOW) != 0 || now.st_ino != st.st_ino)
            unlinkat(c->dirfd, ename, 0);   /* the copy was replaced while we linked: not ours */
        else if (verified)
            record_fd(c, ename, fd);
        goto out;
    }
    err = errno == EEXIST ? 0 : errno;
    fchmod(fd, st.st_mode & 07777);   /* not linked: the copy keeps its own mode */
    if (err) {
        mpift_cache_unlock(c);   /* a copy takes long: made outside the lock */
        err = put_copy(c, ename, fd, &st, verified, cause);
        goto done;
    }
out:
    mpift_cache_unlock(c);
done:
    close(fd);
    if (!err)
        return MPIFT_OK;
    if (err == PUT_MOVED) {
        snprintf(why, whylen, "written to while it was copied into %s", c->path);
        return MPIFT_ERR_CHECKSUM;
    }
    if (mpift_cache_no_room(err))
        mpift_cache_nowrite(c, "a put", err);   /* nothing more is put: the caller says so with why */
    snprintf(why, whylen, "not cached in %s: %s", c->path, cause[0] ? cause : strerror(err));
    return MPIFT_ERR_IO;
}
