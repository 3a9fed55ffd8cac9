/*
 * keys.c - rank 0's content keys (see keys.h).
 */
#include "mpift_autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "util/hash.h"

#include "mpift/mpift.h"
#include "config/template.h"
#include "fs/fsident.h"
#include "fs/keyhashes.h"
#include "fs/keyindex.h"
#include "engine/base.h"
#include "engine/source.h"
#include "stage/keys.h"
#include "util/cpu.h"
#include "util/faults.h"
#include "util/log.h"

/* Reads of a file being keyed: large, so hashing runs at memory speed
 * (util/hash.h), not at the pace of system calls. */
#define READ_LEN ((size_t)8 << 20)

/* A file whose mtime or ctime is this close to the moment it was hashed
 * may still be written within the same tick of the file system's clock
 * without either moving: its key serves this run (held to at the send)
 * but is not recorded, so the next run reads it again (git's "racily
 * clean" rule). */
#define FRESH_SEC 2

/* FRESH_SEC, or a test's MPIFT_TEST_FRESH_SEC (a test that rewrites a
 * source between runs seconds apart need not wait for it to age). */
static long fresh_sec(void)
{
    const char *v = mpift_fault_env("MPIFT_TEST_FRESH_SEC");

    return v ? atol(v) : FRESH_SEC;
}

struct tally {
    size_t keyed, found, read, fresh, left, untrusted;
    uint64_t bytes;
    /* The file system of the last file keyed: whether it keeps a file's
     * identity (fs/fsident.h), asked once per device, not per file. */
    uint64_t fsdev;
    int fsknown, fskeeps;
    char fskind[MPIFT_FSIDENT_NAME];
};

/* Where a file's per-chunk XXH3-64s go as it is read (none: n = 0). */
struct chunks {
    uint64_t chunk, n, size;
    uint64_t *hash;
};

/* Feed `len` bytes at file offset `off` to the chunk hashes: each chunk's
 * hash is the XXH3-64 of its bytes, as the stream hashes it to send. */
static void chunks_feed(struct chunks *ch, XXH3_state_t *c, uint64_t off, const unsigned char *p, size_t len)
{
    while (len) {
        uint64_t in = off % ch->chunk, take = ch->chunk - in < len ? ch->chunk - in : len;
        XXH3_64bits_update(c, p, (size_t)take);
        off += take;
        p += take;
        len -= (size_t)take;
        if (off % ch->chunk == 0 || off == ch->size) {
            ch->hash[(off - 1) / ch->chunk] = XXH3_64bits_digest(c);
            XXH3_64bits_reset(c);
        }
    }
}

/* XXH3-128 of the whole of fd from its start, in canonical form, and
 * with ch->n, the XXH3-64 of each chunk in ch->hash.  0, or an errno
 * (EIO: it ended before `size` bytes). */
static int hash_file(struct mpift_watch *w, int fd, uint64_t size, unsigned char *buf, uint8_t key[16],
                     struct chunks *ch)
{
    XXH3_state_t *h = XXH3_createState(), *c = ch->n ? XXH3_createState() : NULL;
    XXH128_canonical_t canon;
    uint64_t done = 0;
    int err = 0;

    if (!h || (ch->n && !c)) {
        XXH3_freeState(h);
        XXH3_freeState(c);
        return ENOMEM;
    }
    XXH3_128bits_reset(h);
    if (c)
        XXH3_64bits_reset(c);
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    while (!err && done < size) {
        size_t want = size - done < READ_LEN ? (size_t)(size - done) : READ_LEN;
        ssize_t n = pread(fd, buf, want, (off_t)done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            err = n < 0 ? errno : EIO;
            break;
        }
        XXH3_128bits_update(h, buf, (size_t)n);
        if (c)
            chunks_feed(ch, c, done, buf, (size_t)n);
        done += (uint64_t)n;
        mpift_watch_tick(w);   /* a long file: the other ranks still hear from rank 0 */
    }
    XXH128_canonicalFromHash(&canon, XXH3_128bits_digest(h));
    memcpy(key, canon.digest, sizeof(canon.digest));
    XXH3_freeState(h);
    XXH3_freeState(c);
    return err;
}

static int same_stat(const struct stat *a, const struct stat *b)
{
    return a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
           a->st_mtim.tv_nsec == b->st_mtim.tv_nsec && a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
           a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* Hold f's source to what its key was made of (engine/file.h). */
static void stamp(struct mpift_pfile *f, const struct stat *st, const uint8_t *key)
{
    struct mpift_src *s = f->src;

    memcpy(f->key, key, sizeof(f->key));
    f->keyed = 1;
    s->stamped = 1;
    s->key_size = (uint64_t)st->st_size;
    s->key_mtime_sec = st->st_mtim.tv_sec;
    s->key_mtime_nsec = (uint32_t)st->st_mtim.tv_nsec;
    s->key_ctime_sec = st->st_ctim.tv_sec;
    s->key_ctime_nsec = (uint32_t)st->st_ctim.tv_nsec;
}

/*
 * The chunk hashes of a file a delta may be taken for (transfer.delta on:
 * chunk not 0; engine/base.h's MPIFT_BASE_MIN and bound), so rank 0
 * judges what the writers offer against the source's own chunks
 * (stage_in_base.c): ch->n is 0 when none are wanted, or when there is
 * no room for them.
 */
static void chunks_want(struct chunks *ch, const struct mpift_pfile *f, uint64_t chunk)
{
    memset(ch, 0, sizeof(*ch));
    if (f->size < MPIFT_BASE_MIN || !chunk || (f->size + chunk - 1) / chunk > MPIFT_BASE_CHUNKS_MAX)
        return;
    ch->chunk = chunk;
    ch->size = f->size;
    ch->n = (f->size + chunk - 1) / chunk;
    if (!(ch->hash = malloc((size_t)ch->n * sizeof(*ch->hash))))
        ch->n = 0;   /* the rule of docs/resume.md then counts what the writers agree on */
}

/*
 * May f's key be taken from, and kept in, the index?  Only where its file
 * system keeps a file's identity (fs/fsident.h): elsewhere (a squashfs
 * or erofs image, FUSE, overlay) one identity may name two versions of
 * the bytes, and an index hit would place another version from every
 * node's cache with nothing on the wire.  A test's MPIFT_TEST_UNTRUSTED_FS
 * says no for every file, as such a file system would.  --verbose says so
 * once per run.
 */
static int trusted(int fd, const struct stat *st, const struct mpift_pfile *f, struct tally *t)
{
    const char *test = mpift_fault_env("MPIFT_TEST_UNTRUSTED_FS");

    if (!t->fsknown || t->fsdev != (uint64_t)st->st_dev) {
        t->fskeeps = mpift_fs_keeps_ident(fd, t->fskind, sizeof(t->fskind)) && !test;
        if (test)
            snprintf(t->fskind, sizeof(t->fskind), "MPIFT_TEST_UNTRUSTED_FS");
        t->fsdev = (uint64_t)st->st_dev;
        t->fsknown = 1;
    }
    if (t->fskeeps)
        return 1;
    if (!t->untrusted++)
        mpift_log_verbose("%s: on a file system (%s) whose inode numbers and ctime may not name one version of a "
                          "file: its key is read, never taken from nor kept in the key index; so is every such "
                          "file's in this run", f->src->path, t->fskind);
    return 0;
}

/* One file: its key (and chunk hashes) from the index, or read. */
static int key_one(struct mpift_watch *w, int srcfd, const char *srcroot, struct mpift_keyidx *ix,
                   unsigned char *buf, struct mpift_pfile *f, uint64_t chunk, uint64_t **hashes, struct tally *t)
{
    char why[MPIFT_WHY_MAX];
    struct stat st, after;
    struct mpift_keyidx_id id;
    const uint8_t *known;
    struct chunks ch;
    uint64_t n;
    uint8_t key[16];
    int fd, code, err, keep, rc = MPIFT_OK;

    chunks_want(&ch, f, chunk);
    fd = mpift_source_open(srcfd, srcroot, f->src, &st, &code, why, sizeof(why));
    if (fd < 0 || (uint64_t)st.st_size != f->size || st.st_mtim.tv_sec != f->mtime_sec ||
        (uint32_t)st.st_mtim.tv_nsec != f->mtime_nsec) {
        /* Gone or changed since it was planned: sent (or refused) as
         * without a cache, its stream says what became of it. */
        t->left++;
        goto out;
    }
    mpift_keyidx_id_of(&st, &id);
    keep = trusted(fd, &st, f, t);
    /* Known, with its chunk hashes when they are wanted: nothing read.
     * An index entry without them (kept by an older mpift) is read once. */
    if (keep && (known = mpift_keyidx_find(ix, &id))) {
        free(ch.hash);
        ch.hash = ch.n ? mpift_keyhashes_load(ix, f->size, known, chunk, &n) : NULL;
        if (!ch.n || ch.hash) {
            stamp(f, &st, known);
            t->found++;
            goto out;
        }
        chunks_want(&ch, f, chunk);
    }
    err = hash_file(w, fd, f->size, buf, key, &ch);
    t->bytes += f->size;
    if (err == ENOMEM) {
        rc = MPIFT_ERR_NOMEM;
    } else if (err || fstat(fd, &after) != 0 || !same_stat(&st, &after)) {
        t->left++;   /* written to while it was read: this run's stream will see it */
    } else {
        stamp(f, &st, key);
        t->read++;
        if (!keep)
            ;   /* read again by every run (trusted() above) */
        else if (time(NULL) - (st.st_mtim.tv_sec > st.st_ctim.tv_sec ? st.st_mtim.tv_sec : st.st_ctim.tv_sec) < fresh_sec())
            t->fresh++;
        else if ((rc = mpift_keyidx_put(ix, &id, key)) == MPIFT_OK && ch.n &&
                 mpift_keyhashes_save(ix, f->size, key, chunk, ch.hash, ch.n, why, sizeof(why)) != MPIFT_OK)
            /* Not fatal: the next run reads it once more (ENOSPC told
             * here, not silently each time). */
            mpift_log_verbose("%s; %s is read again by the next run to know them", why, f->dest);
    }
out:
    if (fd >= 0)
        close(fd);
    if (f->keyed && ch.hash)
        *hashes = ch.hash;
    else
        free(ch.hash);
    return rc;
}

/* Rank 0's cache.dir, expanded: its index into ix (a warning when it
 * cannot be used: ix then has none). */
static void open_index(const struct mpift_ctx *ctx, struct mpift_keyidx *ix)
{
    char dir[PATH_MAX], why[MPIFT_WHY_MAX];
    struct mpift_tvars v;
    int rc;

    mpift_topo_tvars(&ctx->topo, 0, &v);
    rc = mpift_template_expand(ctx->cfg->cache_dir, &v, dir, sizeof(dir));
    if (rc != MPIFT_OK) {
        memset(ix, 0, sizeof(*ix));
        ix->dirfd = -1;
        mpift_log_warn("%s: cache.dir \"%s\" does not expand: %s; every source is read to key it", ctx->cfg->file,
                       ctx->cfg->cache_dir, mpift_strerror(rc));
        return;
    }
    rc = mpift_keyidx_open(ix, dir, why, sizeof(why));
    if (rc != MPIFT_OK)
        mpift_log_warn("%s", why);
}

/* name is one of list's comma-separated names (a test's fault). */
static int listed(const char *list, const char *name)
{
    size_t n = strlen(name);
    const char *p;

    for (p = list; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
        if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == '\0'))
            return 1;
    return 0;
}

void mpift_keys_free(uint64_t **hashes, size_t n)
{
    size_t i;

    for (i = 0; hashes && i < n; i++)
        free(hashes[i]);
    free(hashes);
}

int mpift_keys_make(struct mpift_ctx *ctx, int srcfd, const char *srcroot, struct mpift_plan *plan,
                    uint64_t ***hashes)
{
    struct mpift_watch *w = &ctx->watch;
    struct tally t;
    struct mpift_keyidx ix;
    char why[MPIFT_WHY_MAX];
    unsigned char *buf;
    double t0 = mpift_now();
    const char *wrong = mpift_fault_env("MPIFT_TEST_WRONG_KEY");
    size_t i;
    int rc = MPIFT_OK;

    *hashes = NULL;
    memset(&t, 0, sizeof(t));
    if (!ctx->cfg->cache_dir)
        return MPIFT_OK;
    if (!(buf = malloc(READ_LEN)) || !(*hashes = calloc(plan->n + 1, sizeof(**hashes)))) {
        free(buf);
        return MPIFT_ERR_NOMEM;
    }
    open_index(ctx, &ix);
    for (i = 0; rc == MPIFT_OK && i < plan->n; i++) {
        struct mpift_pfile *f = &plan->f[i];
        if (f->type == MPIFT_PT_FILE && f->src) {
            t.keyed++;
            rc = key_one(w, srcfd, srcroot, &ix, buf, f, ctx->cfg->delta ? ctx->cfg->chunk_size : 0, &(*hashes)[i],
                        &t);
            /* A test's stand-in for a write that moved neither size, mtime
             * nor ctime: the key is not of the bytes that will be sent. */
            if (f->keyed && wrong && listed(wrong, f->dest))
                f->key[0] ^= 1;
        }
    }
    if (rc == MPIFT_OK && mpift_keyidx_save(&ix, why, sizeof(why)) != MPIFT_OK)
        mpift_log_warn("%s; the next run reads the sources again to key them", why);
    else if (rc == MPIFT_OK)
        mpift_keyhashes_sweep(&ix);
    mpift_keyidx_close(&ix);
    free(buf);
    mpift_log_verbose("content keys of %zu files: %zu from the index, %zu read (%" PRIu64 " bytes, %.3f s; %zu too "
                      "recent to record; %zu on file systems the index does not trust), %zu without a key", t.keyed,
                      t.found, t.read, t.bytes, mpift_now() - t0, t.fresh, t.untrusted, t.left);
    return rc;
}

void mpift_keys_forget(struct mpift_ctx *ctx, const struct mpift_plan *plan)
{
    struct mpift_keyidx ix;
    struct mpift_keyidx_id id;
    char why[MPIFT_WHY_MAX];
    size_t i, n = 0;

    for (i = 0; i < plan->n; i++)
        n += plan->f[i].src && plan->f[i].src->key_wrong;
    if (!n || !ctx->cfg->cache_dir)
        return;
    open_index(ctx, &ix);
    for (i = 0; i < plan->n; i++) {
        const struct mpift_pfile *f = &plan->f[i];
        if (!f->src || !f->src->key_wrong || !f->src->ino)
            continue;
        memset(&id, 0, sizeof(id));
        id.dev = f->src->dev;
        id.ino = f->src->ino;
        if (mpift_keyidx_drop(&ix, &id, f->key))
            mpift_log_warn("%s: the key index %s held a key that is not of its bytes (a change its file system "
                           "showed in neither size, mtime nor ctime): forgotten, so the next run reads it to key it",
                           f->src->path, ix.path);
    }
    if (mpift_keyidx_save(&ix, why, sizeof(why)) != MPIFT_OK)
        mpift_log_warn("%s; the wrong keys stay in it: touch those files so the next run reads them", why);
    else
        mpift_keyhashes_sweep(&ix);
    mpift_keyidx_close(&ix);
}
