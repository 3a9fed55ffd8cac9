/* keyhashes.c - rank 0's per-chunk hashes of its sources (see keyhashes.h). */
#include "mpift_autoconf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "fs/keyhashes.h"
#include "util/grow.h"
#include "util/kept.h"
#include "util/tmplock.h"
#include "util/tmpname.h"

#define PREFIX MPIFT_KEPT_SOURCE_PREFIX
/* "index-", up to 20 digits, '-', 32 hex digits, NUL */
#define NAME_MAX_LEN (sizeof(PREFIX) + 20 + 1 + 2 * MPIFT_KEYIDX_KEY + 1)

/* A record's name and what it names. */
struct rec {
    uint64_t size;
    uint8_t key[MPIFT_KEYIDX_KEY];
    int alive;
    char name[NAME_MAX_LEN];
};

static void rec_name(uint64_t size, const uint8_t *key, char *name)
{
    int k, n = snprintf(name, NAME_MAX_LEN, PREFIX "%llu-", (unsigned long long)size);

    for (k = 0; k < MPIFT_KEYIDX_KEY; k++)
        n += snprintf(name + n, NAME_MAX_LEN - (size_t)n, "%02x", key[k]);
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Is `name` a record's (exactly as rec_name writes it)?  Fills r. */
static int parse(const char *name, struct rec *r)
{
    char again[NAME_MAX_LEN];
    const char *p;
    char *end;
    int k;

    if (strncmp(name, PREFIX, sizeof(PREFIX) - 1) != 0 || strlen(name) >= NAME_MAX_LEN)
        return 0;
    p = name + sizeof(PREFIX) - 1;
    if (*p < '0' || *p > '9')
        return 0;
    r->size = strtoull(p, &end, 10);
    if (*end != '-')
        return 0;
    for (k = 0, p = end + 1; k < MPIFT_KEYIDX_KEY; k++, p += 2) {
        if (hexval(p[0]) < 0 || hexval(p[1]) < 0)
            return 0;
        r->key[k] = (uint8_t)(hexval(p[0]) << 4 | hexval(p[1]));
    }
    rec_name(r->size, r->key, again);
    if (strcmp(again, name) != 0)
        return 0;
    memcpy(r->name, name, strlen(name) + 1);
    r->alive = 0;
    return 1;
}

uint64_t *mpift_keyhashes_load(const struct mpift_keyidx *ix, uint64_t size, const uint8_t *key, uint64_t chunk,
                               uint64_t *n)
{
    char name[NAME_MAX_LEN];
    struct mpift_kept_id id;
    const char *why;
    uint64_t *hash;

    *n = 0;
    if (ix->dirfd < 0)
        return NULL;
    rec_name(size, key, name);
    mpift_kept_id_key(size, key, &id);
    hash = mpift_kept_load(ix->dirfd, name, &id, chunk, size, n, &why);
    /* In use: the cache's sweep keeps it while it has no entry (util/kept.h). */
    if (hash)
        utimensat(ix->dirfd, name, NULL, AT_SYMLINK_NOFOLLOW);
    return hash;
}

int mpift_keyhashes_save(const struct mpift_keyidx *ix, uint64_t size, const uint8_t *key, uint64_t chunk,
                         const uint64_t *hash, uint64_t n, char *why, size_t whylen)
{
    char name[NAME_MAX_LEN], tmp[MPIFT_TMP_UNIQUE_MAX], cause[MPIFT_TMP_WHY_MAX];
    struct mpift_kept_id id;
    int err;

    why[0] = '\0';
    if (ix->dirfd < 0)
        return MPIFT_OK;
    rec_name(size, key, name);
    mpift_kept_id_key(size, key, &id);
    err = mpift_tmp_unique(tmp, sizeof(tmp), PREFIX "hashes" MPIFT_TMP_MARK);
    if (err)
        snprintf(cause, sizeof(cause), "%s", strerror(err));
    else
        err = mpift_kept_save(ix->dirfd, name, tmp, &id, chunk, size, hash, n, cause, sizeof(cause));
    if (!err)
        return MPIFT_OK;
    /* ix->path is the index's: the folder is its dirname. */
    snprintf(why, whylen, "%.*s: the source's chunk hashes not kept (%s: %s)",
             (int)(strlen(ix->path) - sizeof(MPIFT_KEYIDX_NAME)), ix->path, name, cause);
    return err == ENOMEM ? MPIFT_ERR_NOMEM : MPIFT_ERR_IO;
}

static int cmp_rec(const void *a, const void *b)
{
    const struct rec *x = a, *y = b;

    if (x->size != y->size)
        return x->size < y->size ? -1 : 1;
    return memcmp(x->key, y->key, MPIFT_KEYIDX_KEY);
}

/* The folder's records, into *v (*n of them); -1 when it cannot be read. */
static int list(const struct mpift_keyidx *ix, struct rec **v, size_t *n)
{
    size_t cap = 0;
    struct dirent *de;
    struct rec r;
    int fd = openat(ix->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d;

    *v = NULL;
    *n = 0;
    if (fd < 0 || !(d = fdopendir(fd))) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    while ((de = readdir(d)) != NULL) {
        if (!parse(de->d_name, &r))
            continue;
        if (mpift_grow(v, &cap, *n + 1, sizeof(**v), 16) != MPIFT_OK)
            break;   /* short of memory: the rest waits for the next sweep */
        (*v)[(*n)++] = r;
    }
    closedir(d);
    return 0;
}

void mpift_keyhashes_sweep(const struct mpift_keyidx *ix)
{
    struct rec *v, want, *hit;
    size_t n, i;

    if (ix->dirfd < 0 || list(ix, &v, &n) != 0)
        return;
    if (n) {
        qsort(v, n, sizeof(*v), cmp_rec);
        for (i = 0; i < ix->n; i++) {
            want.size = ix->e[i].id.size;
            memcpy(want.key, ix->e[i].key, MPIFT_KEYIDX_KEY);
            if ((hit = bsearch(&want, v, n, sizeof(*v), cmp_rec)))
                hit->alive = 1;
        }
        for (i = 0; i < n; i++)
            if (!v[i].alive)
                unlinkat(ix->dirfd, v[i].name, 0);
    }
    free(v);
}
