/*
 * stage_in_cache.c - a stage-in's use of its node's cache (cache/store.h,
 * docs/cache.md).
 *
 * Round 0, before the needs are shared: each writer whose copy is not
 * already unchanged looks the file's key up; a verified entry is held
 * and the file not asked for, so routes go only to the nodes that lack
 * it.  Once preflight has passed on every rank, the held entries are
 * placed: a hard link to the entry where mode and mtime are the entry's
 * and the folders share a file system, else a reflink or a copy, under a
 * temporary name renamed like any verified copy.  An entry that does not
 * verify is discarded and the file fetched, named in the report.  After
 * a copy is received and verified it is put in the cache; at the end the
 * cache is trimmed to cache.max_size.
 */
#include "mpift_autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "cache/copy.h"
#include "cache/older.h"
#include "cache/store.h"
#include "comm/agree.h"
#include "comm/watch.h"
#include "config/template.h"
#include "engine/base.h"
#include "engine/inject.h"
#include "engine/sink.h"
#include "fs/fsafe.h"
#include "stage/stage.h"
#include "stage/stage_in.h"
#include "util/log.h"

/* Heartbeats while the cache works (an entry without its record
 * re-hashed, a bounded wait for its lock): progress, not a stall. */
static void tick(void *arg)
{
    mpift_watch_work(arg);
}

/* What the cache gave up (store.h), said once on this node: its busy
 * lock (off); a write there that failed for want of room (nowrite: a
 * full file system, a quota, no inodes), after which this run caches
 * nothing more there; one that failed for another cause (write_failed),
 * after which it still does. */
static void tell_off(struct mpift_in_run *r)
{
    if (r->cache.off && !r->cache.off_told) {
        r->cache.off_told = 1;
        mpift_log_warn("%s", r->cache.off_why);
    }
    if (r->cache.nowrite && !r->cache.nowrite_told) {
        r->cache.nowrite_told = 1;
        r->cache_stop = 1;
        mpift_log_warn("%s; this run writes nothing more there and its copies are in place; what the cache holds is "
                       "still used, and an entry it could not record is read whole by the next job that uses it: "
                       "make room there", r->cache.nowrite_why);
    }
    if (r->cache.write_failed && !r->cache.write_told) {
        r->cache.write_told = 1;
        mpift_log_warn("%s (told once; the cache is still used and written)", r->cache.write_why);
    }
}

void mpift_in_cache_open(struct mpift_in_run *r)
{
    struct mpift_ctx *ctx = r->ctx;
    char dir[PATH_MAX], why[MPIFT_WHY_MAX];
    struct mpift_tvars v;

    if (!ctx->cfg->cache_dir || ctx->dry_run || r->rootfd < 0 || r->lock == MPIFT_IN_LOCK_BUSY)
        return;
    mpift_topo_tvars(&ctx->topo, r->rank, &v);
    if (mpift_template_expand(ctx->cfg->cache_dir, &v, dir, sizeof(dir)) != MPIFT_OK) {
        mpift_log_warn("cache.dir %s in %s: cannot be expanded on %s: the cache is not used there",
                       ctx->cfg->cache_dir, ctx->cfg->file, ctx->topo.host);
        return;
    }
    if (mpift_cache_open(&r->cache, dir, ctx->cfg->cache_max_size, ctx->topo.host, why, sizeof(why)) != MPIFT_OK) {
        mpift_log_warn("%s", why);
        return;
    }
    if (r->cache.untrusted)
        mpift_log_verbose("cache.dir %s on %s: on a file system (%s) whose inode numbers and ctime may not name one "
                          "version of a file: no entry is trusted by its record; each is hashed whole before it "
                          "is used", dir, ctx->topo.host, r->cache.fskind);
    r->cache.tick = tick;
    r->cache.tick_arg = &ctx->watch;
    /* A rank that beats but moves nothing for twice transfer.timeout is
     * taken for stuck: a wait for the lock stays within one. */
    if (ctx->watch.timeout > 0 && ctx->watch.timeout < MPIFT_CACHE_LOCK_WAIT)
        r->cache.lock_wait = ctx->watch.timeout / 2;
    r->cslot = calloc(r->plan.n ? r->plan.n : 1, sizeof(*r->cslot));
    if (!r->cmark || !r->cslot) {
        mpift_log_warn("cache.dir %s on %s: out of memory for %zu files: the cache is not used", dir,
                       ctx->topo.host, r->plan.n);
        mpift_cache_close(&r->cache);
    }
}

int mpift_in_cache_lookup(struct mpift_in_run *r, size_t i)
{
    const struct mpift_pfile *f = &r->plan.f[i];
    char why[MPIFT_WHY_MAX];
    enum mpift_cache_found found;
    int fd, slot;

    if (r->cache.dirfd < 0 || !f->keyed || f->extract || r->ctx->force)
        return 0;
    found = mpift_cache_get(&r->cache, f->size, f->key, &fd, &slot, NULL, why, sizeof(why));
    tell_off(r);
    switch (found) {
    case MPIFT_CACHE_HIT:
        /* Past the descriptors the cache may hold, the entry is let go
         * and looked up again to be placed (cslot -1). */
        if (slot < 0)
            close(fd);
        r->cmark[i] = MPIFT_CM_HIT;
        r->cslot[i] = slot;
        return 1;
    case MPIFT_CACHE_BAD:
        r->cmark[i] = MPIFT_CM_DISCARDED;
        mpift_log_warn("%s/%s: %s; fetching it again", r->ctx->dest_root, f->dest, why);
        return 0;
    default:
        if (why[0])
            mpift_log_warn("%s/%s: %s; fetching it", r->ctx->dest_root, f->dest, why);
        return 0;
    }
}

/* The mode a verified copy of f gets here (engine/sink.c's rule). */
static mode_t wanted_mode(const struct mpift_pfile *f, const struct mpift_sink *s)
{
    return f->preserve ? f->mode & 07777 : s->new_mode & f->mode;
}

/* Link the entry (efd, name ename in the cache) as the copy of s: beside
 * it under a temporary name, renamed into place.  0 or -1 (errno). */
static int place_link(struct mpift_in_run *r, int efd, const char *ename, struct mpift_sink *s)
{
    char tmp[64];
    struct stat a, b;

    snprintf(tmp, sizeof(tmp), MPIFT_TMP_MARK "cache-%d-r%d" MPIFT_TMP_SUFFIX, (int)getpid(), r->rank);
    if (linkat(r->cache.dirfd, ename, s->dirfd, tmp, 0) != 0)
        return -1;
    /* The name may have been evicted and made again between our open and
     * the link: the link must be the inode we verified. */
    if (fstat(efd, &a) != 0 || fstatat(s->dirfd, tmp, &b, AT_SYMLINK_NOFOLLOW) != 0 || a.st_ino != b.st_ino ||
        a.st_dev != b.st_dev || renameat(s->dirfd, tmp, s->dirfd, s->name) != 0) {
        unlinkat(s->dirfd, tmp, 0);
        errno = errno ? errno : ESTALE;
        return -1;
    }
    return 0;
}

/* Entry ename of file i moved while it was placed (re-verified first:
 * reverified() below): not placed. */
static int moved(struct mpift_in_run *r, size_t i, const char *ename, struct mpift_sink *s, char *why, size_t whylen)
{
    mpift_format(why, whylen, "%s/%s: its cache entry %s/%s on %s changed while it was placed (written to, or its "
                 "mode, times or links changed by another process): not used; fetching it", r->ctx->dest_root,
                 r->plan.f[i].dest, r->cache.path, ename, r->ctx->topo.host);
    mpift_sink_abort(s);
    return MPIFT_ERR_CHECKSUM;
}

/*
 * Entry efd of file i moved since it was verified as *vid: hashed again
 * here (store.h's mpift_cache_reverify), outside the folder's lock.  A
 * ctime moved by a link added or removed (another job's copies deleted,
 * our own link left unrecorded) is no reason to fetch: 1 with *vid the
 * identity now verified, and the lock taken again when `locked`.  0 when
 * it is not its key, or could not be read (s aborted, why says which,
 * MPIFT_ERR_CHECKSUM for the caller: the file is fetched).
 */
static int reverified(struct mpift_in_run *r, size_t i, int efd, struct mpift_cache_id *vid, int *locked,
                      struct mpift_sink *s, char *why, size_t whylen)
{
    const struct mpift_pfile *f = &r->plan.f[i];
    char what[MPIFT_WHY_MAX];

    if (*locked)
        mpift_cache_unlock(&r->cache);
    if (mpift_cache_reverify(&r->cache, f->size, f->key, efd, vid, what, sizeof(what)) != MPIFT_CACHE_HIT) {
        mpift_format(why, whylen, "%s/%s: %s; fetching it", r->ctx->dest_root, f->dest, what);
        mpift_sink_abort(s);
        *locked = 0;
        return 0;
    }
    *locked = mpift_cache_lock(&r->cache) == 0;
    return 1;
}

/*
 * Place entry efd, verified as *vid, as my copy of file i.  Its identity
 * is checked just before it is linked or copied, and after a copy: an
 * entry that moved in between (written behind mpift's back, even with
 * its mtime put back: the ctime tells) is neither placed nor recorded,
 * MPIFT_ERR_CHECKSUM (the file is fetched).  Else MPIFT_OK or an error,
 * with why.
 */
static int place_fd(struct mpift_in_run *r, size_t i, int efd, const struct mpift_cache_id *vid, char *why,
                    size_t whylen)
{
    const struct mpift_pfile *f = &r->plan.f[i];
    struct mpift_expect e = {.size = f->size, .sent = f->size, .mtime_sec = f->mtime_sec,
                             .mtime_nsec = f->mtime_nsec, .mode = f->mode, .cksum = MPIFT_WIRE_CKSUM_NONE};
    char ename[MPIFT_CACHE_NAME];
    struct mpift_cache_id now, after, was = *vid;
    struct mpift_sink s;
    struct stat st;
    int rc, locked, still;

    rc = mpift_sink_open(&s, r->rootfd, r->ctx->dest_root, f->dest, r->rank, MPIFT_WIRE_CKSUM_NONE, why, whylen);
    if (rc != MPIFT_OK)
        return rc;
    mpift_cache_name(f->size, f->key, ename);
    /* The check, the link and its record in one step under the folder's
     * lock: another rank's link of this entry is then never seen without
     * its record (store.h).  Without the lock (the cache gave it up) the
     * same, unserialised: at worst a file is fetched. */
    locked = mpift_cache_lock(&r->cache) == 0;
    if (!mpift_cache_still(&r->cache, f->size, f->key, efd, &was, &now) &&
        (!reverified(r, i, efd, &was, &locked, &s, why, whylen) ||
         !mpift_cache_still(&r->cache, f->size, f->key, efd, &was, &now))) {
        if (locked)
            mpift_cache_unlock(&r->cache);
        /* s is still open when the re-hash passed and it moved again */
        return s.fd >= 0 ? moved(r, i, ename, &s, why, whylen) : MPIFT_ERR_CHECKSUM;
    }
    if (fstat(efd, &st) == 0 && (st.st_mode & 07777) == (wanted_mode(f, &s) & ~(mode_t)0222) &&
        st.st_mtim.tv_sec == f->mtime_sec && (uint32_t)st.st_mtim.tv_nsec == f->mtime_nsec &&
        place_link(r, efd, ename, &s) == 0) {
        mpift_sink_abort(&s);   /* its own temporary, unused */
        if (locked) {
            mpift_cache_touch(&r->cache, f->size, f->key, efd, &now);   /* a link more: a new ctime */
            mpift_cache_unlock(&r->cache);
        }
        tell_off(r);
        return MPIFT_OK;
    }
    if (locked)
        mpift_cache_unlock(&r->cache);   /* a copy takes long: made outside it */
    if (mpift_cache_copy(efd, s.fd, f->size) != 0) {
        snprintf(why, whylen, "%s: cannot copy it from the cache: %s", s.display, strerror(errno));
        mpift_sink_abort(&s);
        return MPIFT_ERR_IO;
    }
    /* Unverified bytes (the commit checks none): the entry must not have
     * moved while they were copied. */
    locked = mpift_cache_lock(&r->cache) == 0;
    still = mpift_cache_still(&r->cache, f->size, f->key, efd, &now, &after);
    if (locked)
        mpift_cache_unlock(&r->cache);
    tell_off(r);
    if (!still)
        return moved(r, i, ename, &s, why, whylen);
    s.received = f->size;
    return mpift_sink_commit(&s, &e, f->preserve, r->ctx->cfg->fsync, why, whylen);
}

int mpift_in_cache_copies(const struct mpift_in_run *r, size_t i)
{
    const struct mpift_pfile *f = &r->plan.f[i];
    struct stat e, root;

    if (!r->cmark || r->cmark[i] != MPIFT_CM_HIT)
        return 0;
    /* place_fd's test for a link, but for the umask's part of the mode
     * (not known before the sink is made): where it differs the copy
     * is made on the same file system, in the room of a link. */
    return r->cslot[i] < 0 || fstat(mpift_cache_held(&r->cache, r->cslot[i], NULL), &e) != 0 ||
           fstat(r->rootfd, &root) != 0 || e.st_dev != root.st_dev ||
           e.st_mtim.tv_sec != f->mtime_sec || (uint32_t)e.st_mtim.tv_nsec != f->mtime_nsec ||
           (f->preserve && (e.st_mode & 07777) != (f->mode & 07777 & ~(mode_t)0222));
}

/* Entry i to place: the one held since the lookup, or looked up again
 * (*own: close it after), with the identity it was verified as in *id.
 * -1 with why when it went meanwhile. */
static int entry_fd(struct mpift_in_run *r, size_t i, int *own, struct mpift_cache_id *id, char *why,
                    size_t whylen)
{
    const struct mpift_pfile *f = &r->plan.f[i];
    char cause[MPIFT_WHY_MAX];
    int fd, slot;

    *own = 0;
    if (r->cslot[i] >= 0)
        return mpift_cache_held(&r->cache, r->cslot[i], id);
    if (mpift_cache_get(&r->cache, f->size, f->key, &fd, &slot, id, cause, sizeof(cause)) != MPIFT_CACHE_HIT) {
        tell_off(r);
        mpift_format(why, whylen, "%s/%s: its cache entry on %s went between the lookup and the placing (%s); "
                     "fetching it", r->ctx->dest_root, f->dest, r->ctx->topo.host,
                     cause[0] ? cause : r->cache.off ? "the cache is off" : "another job pruned it");
        return -1;
    }
    *own = slot < 0;
    return fd;
}

/* The entry of a hit went before it was placed: not a failure, the file
 * is fetched in a round added for it (stage_in.c). */
static void refetch(struct mpift_in_run *r, size_t i, const char *why)
{
    mpift_log_warn("%s", why);
    r->cmark[i] = MPIFT_CM_NONE;
    r->state[i] = MPIFT_FS_RETRY;
    r->cache_refetch = 1;
}

/* Note which content a dest name now holds, for a later delta's base:
 * only where a delta can use it (transfer.delta on, a file at least
 * MPIFT_BASE_MIN), so a job of many small files leaves no record per
 * file in the cache folder. */
static void note_older(struct mpift_in_run *r, const struct mpift_pfile *f)
{
    if (r->ctx->cfg->delta && f->size >= MPIFT_BASE_MIN) {
        mpift_cache_older_note(&r->cache, f->dest, f->size, f->key);
        tell_off(r);   /* no room for it: said once */
    }
}

void mpift_in_cache_place(struct mpift_in_run *r)
{
    char why[MPIFT_WHY_MAX];
    struct mpift_cache_id id;
    size_t i;
    int own, rc, efd;

    if (r->cmark)
        mpift_inject_pause_before_place(r->rank);
    for (i = 0; r->cmark && i < r->plan.n; i++) {
        if (r->cmark[i] != MPIFT_CM_HIT)
            continue;
        if ((efd = entry_fd(r, i, &own, &id, why, sizeof(why))) < 0) {
            refetch(r, i, why);
            continue;
        }
        rc = place_fd(r, i, efd, &id, why, sizeof(why));
        if (own)
            close(efd);
        if (rc == MPIFT_ERR_CHECKSUM) {   /* the entry moved since it was verified: fetched, not failed */
            refetch(r, i, why);
            continue;
        }
        if (rc == MPIFT_OK) {
            note_older(r, &r->plan.f[i]);
            r->cmark[i] = MPIFT_CM_PLACED;
            r->state[i] = MPIFT_FS_DONE;
            r->written++;
            continue;
        }
        r->cmark[i] = MPIFT_CM_NONE;
        r->state[i] = MPIFT_FS_FAILED;
        r->item_failed = 1;
        mpift_log_error("%s (from the node's cache)", why);
        mpift_in_note(r, i, why);
    }
}

void mpift_in_cache_put(struct mpift_in_run *r, size_t i, const struct stat *committed)
{
    const struct mpift_pfile *f = &r->plan.f[i];
    char parent[PATH_MAX], name[NAME_MAX + 1], why[MPIFT_WHY_MAX];
    int dfd, rc;

    if (r->cache.dirfd < 0 || r->cache_stop || !f->keyed || f->extract || r->cmark[i] == MPIFT_CM_PLACED)
        return;
    if (mpift_split_parent(f->dest, parent, sizeof(parent), name, sizeof(name)) != MPIFT_OK)
        return;
    dfd = mpift_dir_open(r->rootfd, parent, false, why, sizeof(why));
    if (dfd < 0)
        return;
    /* Under checksum "none" the copy was never checked: put unrecorded,
     * so the next lookup hashes it before trusting it (store.h). */
    rc = mpift_cache_put(&r->cache, f->size, f->key, dfd, name, committed, r->ctx->cfg->checksum == MPIFT_CKSUM_XXH3,
                         why, sizeof(why));
    if (rc == MPIFT_ERR_CHECKSUM) {
        /* Someone wrote the copy since its commit: it stays as they left
         * it, and is not what its key says; the cache is still used. */
        mpift_log_warn("%s/%s: not put in the node's cache on %s: %s; the copy stays as it is now",
                       r->ctx->dest_root, f->dest, r->ctx->topo.host, why);
    } else if (rc != MPIFT_OK && r->cache.nowrite && !r->cache.nowrite_told) {
        /* No room: the copy is in place, the job goes on, the cache does
         * not grow (nor is anything more written there: told here, once). */
        mpift_log_warn("%s/%s: %s; the copy is in place, and no more files are cached on %s by this run: make room "
                       "there", r->ctx->dest_root, f->dest, why, r->ctx->topo.host);
        r->cache_stop = 1;
        r->cache.nowrite_told = 1;
    } else if (rc != MPIFT_OK && !r->cache.write_told) {
        /* Another cause: this file's alone (store.h's write_why). */
        r->cache.write_told = 1;
        mpift_log_warn("%s/%s: %s; the copy is in place (told once; the cache is still used and written)",
                       r->ctx->dest_root, f->dest, why);
    }
    tell_off(r);
    if (rc == MPIFT_OK) {
        /* The chunk hashes the copy's writer computed as it wrote it
         * (engine/xfer.h's kept: this file's, taken at its commit), kept
         * with its entry only when the copy was verified whole. */
        if (r->x.kept && r->ctx->cfg->checksum == MPIFT_CKSUM_XXH3) {
            mpift_cache_older_keep(&r->cache, f->size, f->key, r->ctx->cfg->chunk_size, r->x.kept, r->x.kept_n);
            tell_off(r);
        }
        note_older(r, f);
    }
    close(dfd);
}

/* File i, placed from this node's cache under a key rank 0 found wrong:
 * its copy goes if it is still the one placed (regular, its size and
 * mtime), and the file fails, named. */
static void unplace(struct mpift_in_run *r, size_t i)
{
    const struct mpift_pfile *f = &r->plan.f[i];
    char parent[PATH_MAX], name[NAME_MAX + 1], why[MPIFT_WHY_MAX];
    struct stat st;
    int dfd = -1, gone = 0;

    if (mpift_split_parent(f->dest, parent, sizeof(parent), name, sizeof(name)) == MPIFT_OK &&
        (dfd = mpift_dir_open(r->rootfd, parent, false, why, sizeof(why))) >= 0 &&
        fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
        (uint64_t)st.st_size == f->size && st.st_mtim.tv_sec == f->mtime_sec &&
        (uint32_t)st.st_mtim.tv_nsec == f->mtime_nsec)
        gone = unlinkat(dfd, name, 0) == 0;
    if (dfd >= 0)
        close(dfd);
    mpift_format(why, sizeof(why), "%s/%s: the copy placed from the cache on %s was of a content key rank 0 found "
                 "wrong for it (the source's bytes are another version): %s; run again to stage it",
                 r->ctx->dest_root, f->dest, r->ctx->topo.host, gone ? "removed" : "not removed (it changed since)");
    mpift_log_error("%s", why);
    mpift_in_note(r, i, why);
    r->cmark[i] = MPIFT_CM_NONE;
    r->state[i] = MPIFT_FS_FAILED;
    r->item_failed = 1;
    if (r->written)
        r->written--;
}

/* Indexes of files whose keys were wrong, broadcast this many at a time:
 * no rank allocates between the broadcasts, so none can leave them. */
#define WRONG_BLOCK 256

int mpift_in_cache_wrong(struct mpift_in_run *r)
{
    uint32_t block[WRONG_BLOCK];
    int n = 0, done, m, k, rc;
    size_t i, scan = 0;

    for (i = 0; r->rank == 0 && i < r->plan.n; i++)
        n += r->plan.f[i].src && r->plan.f[i].src->key_wrong;
    rc = mpift_agree_bcast(r->ctx->comm, &n, 1, MPI_INT, 0, &r->ctx->watch, "telling every rank the keys found wrong");
    for (done = 0; rc == MPIFT_OK && done < n; done += m) {
        m = n - done < WRONG_BLOCK ? n - done : WRONG_BLOCK;
        for (k = 0; r->rank == 0 && k < m && scan < r->plan.n; scan++)
            if (r->plan.f[scan].src && r->plan.f[scan].src->key_wrong)
                block[k++] = (uint32_t)scan;
        rc = mpift_agree_bcast(r->ctx->comm, block, m, MPI_UINT32_T, 0, &r->ctx->watch,
                               "telling every rank the keys found wrong");
        for (k = 0; rc == MPIFT_OK && k < m; k++)
            if (block[k] < r->plan.n && r->cmark && r->cmark[block[k]] == MPIFT_CM_PLACED)
                unplace(r, block[k]);
    }
    return rc;
}

void mpift_in_cache_end(struct mpift_in_run *r)
{
    uint64_t kept, freed, linked;
    int rc;

    if (r->cache.dirfd < 0)
        return;
    rc = mpift_cache_evict(&r->cache, r->cache.max_size, &kept, &freed, &linked);
    tell_off(r);
    if (rc == MPIFT_OK && (freed || linked))
        mpift_log_verbose("cache.dir %s: %llu bytes evicted and freed, %llu evicted but still held by copies "
                          "placed from it (hard links in dests), %llu kept (cache.max_size %llu)", r->cache.path,
                          (unsigned long long)freed, (unsigned long long)linked, (unsigned long long)kept,
                          (unsigned long long)r->cache.max_size);
}
