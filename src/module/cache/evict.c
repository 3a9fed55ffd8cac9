/* evict.c - a cache folder's entries listed, and trimmed least recently
 * used first (store.h). */
#include "mpift_autoconf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "cache/older.h"
#include "cache/store.h"
#include "util/grow.h"
#include "util/kept.h"
#include "util/tmplock.h"
#include "util/tmpname.h"

int mpift_cache_entry_name(const char *base, uint64_t *size)
{
    const char *p = base;
    uint64_t v = 0;
    int k;

    if (*p < '0' || *p > '9')
        return 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (UINT64_MAX - 9) / 10 || p - base >= 20)
            return 0;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (*p++ != '-')
        return 0;
    for (k = 0; k < 2 * MPIFT_CACHE_KEY; k++, p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    if (*p != '\0')
        return 0;
    *size = v;
    return 1;
}

/* Is the entry held by a running job?  (Its exclusive lock cannot be
 * taken; taken, it is let go at once.) */
static int in_use(int dirfd, const char *name)
{
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC), busy;

    if (fd < 0)
        return 0;
    busy = flock(fd, LOCK_EX | LOCK_NB) != 0;
    close(fd);
    return busy;
}

static int by_use(const void *a, const void *b)
{
    const struct mpift_cache_item *x = a, *y = b;

    if (x->last_use != y->last_use)
        return x->last_use < y->last_use ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* The temporaries of puts and records that a killed job left: a record's
 * is written under the folder's lock, which the caller holds, so any
 * there now is dead; a put's is filled outside it, and so are those of
 * rank 0's key index and records, all flocked by their writer from their
 * creation, which the sweep and the writer make sure of
 * (util/tmplock.h: a live one is never taken for dead).  A delta's
 * records whose entry is gone go too (cache/older.h), and so do rank 0's
 * records of a source's chunks whose content has no entry, once idle or
 * on --cache-prune (util/kept.h).  (Rank 0's key index itself is not the
 * store's.) */
static void sweep(struct mpift_cache *c, const char *base)
{
    static const char *const mine[] = {MPIFT_CACHE_TMP_PUT, MPIFT_CACHE_TMP_REC, MPIFT_KEPT_INDEX_NAME};
    const char *ename = base + strlen(MPIFT_KEPT_SOURCE_PREFIX);
    struct stat st;
    uint64_t size;
    size_t k;

    for (k = 0; k < sizeof(mine) / sizeof(mine[0]); k++)
        if (strncmp(base, mine[k], strlen(mine[k])) == 0 && mpift_tmp_name(base))
            mpift_tmp_sweep(c->dirfd, base);
    if (mpift_cache_older_orphan(c, base))
        unlinkat(c->dirfd, base, 0);
    if (strncmp(base, MPIFT_KEPT_SOURCE_PREFIX, strlen(MPIFT_KEPT_SOURCE_PREFIX)) == 0 &&
        mpift_cache_entry_name(ename, &size) && fstatat(c->dirfd, ename, &st, AT_SYMLINK_NOFOLLOW) != 0 &&
        errno == ENOENT && (c->prune || (fstatat(c->dirfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                                         time(NULL) - st.st_mtime > MPIFT_KEPT_SOURCE_IDLE)))
        unlinkat(c->dirfd, base, 0);
}

/* The bytes of the regular file `name` of the folder (0: none). */
static uint64_t side_bytes(struct mpift_cache *c, const char *name)
{
    struct stat st;

    return fstatat(c->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
}

/* Every entry of the folder (not sorted, in_use unset); with `clean`,
 * dead temporaries removed on the way. */
static int scan(struct mpift_cache *c, int clean, struct mpift_cache_item **items, size_t *n)
{
    struct mpift_cache_item *v = NULL;
    struct dirent *de;
    struct stat st;
    char rec[MPIFT_CACHE_NAME + 16];
    size_t cap = 0;
    uint64_t size;
    DIR *d;
    int fd = openat(c->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    *items = NULL;
    *n = 0;
    if (fd < 0 || !(d = fdopendir(fd))) {
        if (fd >= 0)
            close(fd);
        return MPIFT_ERR_IO;
    }
    while ((de = readdir(d)) != NULL) {
        if (clean)
            sweep(c, de->d_name);
        if (!mpift_cache_entry_name(de->d_name, &size) ||
            fstatat(c->dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        if (mpift_grow(&v, &cap, *n + 1, sizeof(*v), 64) != MPIFT_OK) {
            free(v);
            closedir(d);
            return MPIFT_ERR_NOMEM;
        }
        memcpy(v[*n].name, de->d_name, strlen(de->d_name) + 1);   /* an entry's name: it fits */
        v[*n].size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
        /* Its kept chunk hashes and rank 0's record of the source's go
         * with it (evict_one): counted with it. */
        snprintf(rec, sizeof(rec), "%s" MPIFT_CACHE_KEPT_SUFFIX, v[*n].name);
        v[*n].kept = side_bytes(c, rec);
        snprintf(rec, sizeof(rec), MPIFT_KEPT_SOURCE_PREFIX "%s", v[*n].name);
        v[*n].kept += side_bytes(c, rec);
        v[*n].size += v[*n].kept;
        snprintf(rec, sizeof(rec), "%s.rec", v[*n].name);
        v[*n].last_use = fstatat(c->dirfd, rec, &st, AT_SYMLINK_NOFOLLOW) == 0 ? st.st_mtim.tv_sec : 0;
        v[*n].in_use = 0;
        (*n)++;
    }
    closedir(d);
    *items = v;
    return MPIFT_OK;
}

int mpift_cache_list(struct mpift_cache *c, struct mpift_cache_item **items, size_t *n)
{
    size_t i;
    int rc = scan(c, 0, items, n);

    if (rc != MPIFT_OK)
        return rc;
    for (i = 0; i < *n; i++)
        (*items)[i].in_use = in_use(c->dirfd, (*items)[i].name);
    if (*n)   /* an empty folder: no array at all */
        qsort(*items, *n, sizeof(**items), by_use);
    return MPIFT_OK;
}

/* What became of an entry eviction tried. */
enum evicted { KEPT, FREED, LINKED, GONE };

/* Remove one entry and its record, if no job holds it: FREED when that
 * was its inode's last name, LINKED when a copy placed from the cache (a
 * hard link in a dest) still holds its blocks; GONE: another removed it. */
static enum evicted evict_one(struct mpift_cache *c, const char *name)
{
    char rec[MPIFT_CACHE_NAME + 16];
    struct stat st;
    int fd = openat(c->dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    enum evicted what = KEPT;

    if (fd < 0)
        return errno == ENOENT ? GONE : KEPT;
    /* Held until the name is gone: a job that opens it meanwhile finds
     * the name another's (or none) once it has its shared lock. */
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
        snprintf(rec, sizeof(rec), "%s.rec", name);
        if (unlinkat(c->dirfd, name, 0) == 0)
            what = fstat(fd, &st) == 0 && st.st_nlink > 0 ? LINKED : FREED;
        unlinkat(c->dirfd, rec, 0);
        snprintf(rec, sizeof(rec), "%s" MPIFT_CACHE_KEPT_SUFFIX, name);
        unlinkat(c->dirfd, rec, 0);
        snprintf(rec, sizeof(rec), MPIFT_KEPT_SOURCE_PREFIX "%s", name);
        unlinkat(c->dirfd, rec, 0);
    }
    close(fd);
    return what;
}

int mpift_cache_evict(struct mpift_cache *c, uint64_t max, uint64_t *kept, uint64_t *freed, uint64_t *linked)
{
    struct mpift_cache_item *v;
    uint64_t total = 0;
    enum evicted what;
    size_t n, i;
    int rc;

    *kept = *freed = *linked = 0;
    if (c->dirfd < 0)
        return MPIFT_OK;
    if (mpift_cache_lock(c) != 0)
        return MPIFT_ERR_IO;   /* c->off_why says why */
    rc = scan(c, 1, &v, &n);
    if (rc != MPIFT_OK)
        goto out;
    if (n)
        qsort(v, n, sizeof(*v), by_use);
    for (i = 0; i < n; i++)
        total += v[i].size;
    for (i = 0; i < n && total > max; i++) {
        if ((what = evict_one(c, v[i].name)) == KEPT)
            continue;
        total -= v[i].size;
        /* A .kept (and a source's record) is freed with its entry, even
         * when a dest copy still links the entry's blocks. */
        if (what == FREED)
            *freed += v[i].size;
        if (what == LINKED) {
            *freed += v[i].kept;
            *linked += v[i].size - v[i].kept;
        }
    }
    *kept = total;
    free(v);
out:
    mpift_cache_unlock(c);
    return rc;
}
