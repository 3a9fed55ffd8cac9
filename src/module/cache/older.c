/* older.c - the older versions a node's cache holds of a dest name, and
 * its entries' kept chunk hashes (see older.h). */
#include "mpift_autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "cache/older.h"
#include "util/hash.h"
#include "util/kept.h"
#include "util/tmplock.h"
#include "util/le64.h"
#include "util/tmpname.h"

#define LAST_MAGIC "MPIFTLS1"
#define LAST_LEN (8 + 8 + 8 + MPIFT_CACHE_KEY + 8)   /* magic, name hash, size, key, seal */
#define LAST_NAME 32

static void last_name(const char *rel, char *name, uint64_t *h)
{
    *h = XXH3_64bits(rel, strlen(rel));
    snprintf(name, LAST_NAME, "last-%016llx", (unsigned long long)*h);
}

void mpift_cache_older_note(struct mpift_cache *c, const char *rel, uint64_t size, const uint8_t key[MPIFT_CACHE_KEY])
{
    unsigned char p[LAST_LEN];
    char name[LAST_NAME], tmp[MPIFT_TMP_UNIQUE_MAX];
    uint64_t h, v;
    ssize_t w;
    int fd, hold, err;

    if (c->dirfd < 0 || c->off || c->nowrite)
        return;
    last_name(rel, name, &h);
    memcpy(p, LAST_MAGIC, 8);
    mpift_le64_put(p + 8, h);
    mpift_le64_put(p + 16, size);
    memcpy(p + 24, key, MPIFT_CACHE_KEY);
    v = XXH3_64bits(p, LAST_LEN - 8);
    mpift_le64_put(p + LAST_LEN - 8, v);
    /* A store's record temporary (eviction sweeps a dead one): unique
     * and flocked, held until renamed (util/tmplock.h). */
    if (mpift_cache_lock(c) != 0)
        return;
    fd = mpift_tmp_make(c->dirfd, MPIFT_CACHE_TMP_REC, tmp, sizeof(tmp), 0600);
    err = fd < 0 ? errno : 0;
    if (fd >= 0) {
        if ((hold = dup(fd)) < 0)
            err = errno;
        else if ((w = write(fd, p, LAST_LEN)) != LAST_LEN)
            err = w < 0 ? errno : ENOSPC;   /* a short write: no room */
        if (close(fd) != 0 && !err)
            err = errno;
        if (!err && renameat(c->dirfd, tmp, c->dirfd, name) != 0)
            err = errno;
        if (err)
            unlinkat(c->dirfd, tmp, 0);
        if (hold >= 0)
            close(hold);
    }
    if (err)
        mpift_cache_nowrite(c, name, err);   /* told once by the caller; only no room stops writes */
    mpift_cache_unlock(c);
}

/* The (size, key) record `name` holds, with the hash of the dest name it
 * was written for in *h: 0, or -1 when it is not a whole, sealed record
 * of this user's. */
static int last_read(struct mpift_cache *c, const char *name, uint64_t *h, uint64_t *size,
                     uint8_t key[MPIFT_CACHE_KEY])
{
    unsigned char p[LAST_LEN + 1];
    struct stat st;
    uint64_t v;
    int fd, rc = -1;

    fd = openat(c->dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() && st.st_size == LAST_LEN &&
        pread(fd, p, sizeof(p), 0) == LAST_LEN && memcmp(p, LAST_MAGIC, 8) == 0) {
        v = mpift_le64_get(p + LAST_LEN - 8);
        if (v == XXH3_64bits(p, LAST_LEN - 8)) {
            *h = mpift_le64_get(p + 8);
            *size = mpift_le64_get(p + 16);
            memcpy(key, p + 24, MPIFT_CACHE_KEY);
            rc = 0;
        }
    }
    close(fd);
    return rc;
}

/* The (size, key) rel was last staged as: 0, or -1 when none is known. */
static int last_get(struct mpift_cache *c, const char *rel, uint64_t *size, uint8_t key[MPIFT_CACHE_KEY])
{
    char name[LAST_NAME];
    uint64_t h, g;

    last_name(rel, name, &h);
    return last_read(c, name, &g, size, key) == 0 && g == h ? 0 : -1;
}

int mpift_cache_older_orphan(struct mpift_cache *c, const char *name)
{
    char ename[MPIFT_CACHE_NAME + 8], want[LAST_NAME];
    size_t n = strlen(name), k = strlen(MPIFT_CACHE_KEPT_SUFFIX);
    uint8_t key[MPIFT_CACHE_KEY];
    uint64_t size, h;
    struct stat st;

    if (n > k && n - k < sizeof(ename) && strcmp(name + n - k, MPIFT_CACHE_KEPT_SUFFIX) == 0) {
        memcpy(ename, name, n - k);
        ename[n - k] = '\0';
        if (!mpift_cache_entry_name(ename, &size))
            return 0;
    } else if (strncmp(name, "last-", 5) == 0 && n == sizeof("last-") - 1 + 16) {
        if (last_read(c, name, &h, &size, key) != 0)
            return 0;   /* not a record of ours: not ours to remove */
        snprintf(want, sizeof(want), "last-%016llx", (unsigned long long)h);
        if (strcmp(want, name) != 0)
            return 0;
        mpift_cache_name(size, key, ename);
    } else {
        return 0;
    }
    return fstatat(c->dirfd, ename, &st, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT;
}

static void kept_name(uint64_t size, const uint8_t key[MPIFT_CACHE_KEY], char *name, size_t len)
{
    char ename[MPIFT_CACHE_NAME];

    mpift_cache_name(size, key, ename);
    snprintf(name, len, "%s" MPIFT_CACHE_KEPT_SUFFIX, ename);
}

int mpift_cache_older(struct mpift_cache *c, const char *rel, uint64_t size, const uint8_t key[MPIFT_CACHE_KEY],
                      uint64_t chunk, int *fd, int *own, uint64_t *osize, uint64_t **hash, uint64_t *n,
                      char ename[MPIFT_CACHE_NAME])
{
    char kname[MPIFT_CACHE_NAME + 8], why[512];
    uint8_t okey[MPIFT_CACHE_KEY];
    struct mpift_kept_id id;
    const char *cause;
    int slot;

    *fd = -1;
    *hash = NULL;
    *n = 0;
    if (c->dirfd < 0 || c->off || last_get(c, rel, osize, okey) != 0 ||
        (*osize == size && memcmp(okey, key, MPIFT_CACHE_KEY) == 0))
        return 0;
    if (mpift_cache_get(c, *osize, okey, fd, &slot, NULL, why, sizeof(why)) != MPIFT_CACHE_HIT)
        return 0;   /* gone, or discarded: the file is sent as it would be */
    *own = slot < 0;
    mpift_cache_name(*osize, okey, ename);
    kept_name(*osize, okey, kname, sizeof(kname));
    mpift_kept_id_key(*osize, okey, &id);
    *hash = mpift_kept_load(c->dirfd, kname, &id, chunk, *osize, n, &cause);
    return 1;
}

void mpift_cache_older_keep(struct mpift_cache *c, uint64_t size, const uint8_t key[MPIFT_CACHE_KEY], uint64_t chunk,
                            const uint64_t *hash, uint64_t n)
{
    char kname[MPIFT_CACHE_NAME + 8], tmp[MPIFT_TMP_UNIQUE_MAX];
    struct mpift_kept_id id;
    int err;

    if (c->dirfd < 0 || c->off || c->nowrite)
        return;
    kept_name(size, key, kname, sizeof(kname));
    mpift_kept_id_key(size, key, &id);
    if (mpift_tmp_unique(tmp, sizeof(tmp), MPIFT_CACHE_TMP_REC) != 0 || mpift_cache_lock(c) != 0)
        return;
    err = mpift_kept_save(c->dirfd, kname, tmp, &id, chunk, size, hash, n, NULL, 0);
    /* Told once by the caller (no room stops writes there).  ENOMEM and
     * EINVAL are this process's, not the folder's. */
    if (err && err != ENOMEM && err != EINVAL)
        mpift_cache_nowrite(c, kname, err);
    mpift_cache_unlock(c);
}
