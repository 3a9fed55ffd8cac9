/*
 * stage_in_base.c - what the writers hold already, before the first round
 * (engine/base.h, docs/resume.md): each writer looks, for each large file
 * it needs, for a killed run's temporary of the same version (resume) or,
 * with transfer.delta = "auto", the older version at the final path;
 * rank 0 gathers every writer's offers (wire/offers.h) and merges them per
 * file, so that it sends as a KEEP frame each chunk every writer of the
 * route holds with the source's own hash.  Offers that do not validate
 * are dropped (their chunks are sent); nothing here can make a copy wrong,
 * since each writer checks a kept chunk and the whole file as always.
 */
#include "mpift_autoconf.h"

#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "cache/older.h"
#include "comm/wait.h"
#include "engine/base.h"
#include "engine/source.h"
#include "stage/keys.h"
#include "stage/stage_in.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/zero.h"
#include "wire/offers.h"

/* A file a base may be offered for: large, and sent alone (not batched). */
static uint64_t base_chunks(const struct mpift_in_run *r, const struct mpift_pfile *f)
{
    uint64_t chunk = r->ctx->cfg->chunk_size;

    if (f->type != MPIFT_PT_FILE || f->size < MPIFT_BASE_MIN || f->size <= chunk / 8)
        return 0;
    return (f->size + chunk - 1) / chunk;
}

/* The older version of a file in the node's cache (engine/base.h's
 * mpift_base_older): what was looked up, to be let go after. */
struct older {
    struct mpift_in_run *r;
    const struct mpift_pfile *f;
    struct mpift_base_alt alt;
    uint64_t *hash;
    int own, found;
    char ename[MPIFT_CACHE_NAME];   /* the entry's name in cache.dir */
};

static const struct mpift_base_alt *look_older(void *arg)
{
    struct older *o = arg;
    const struct mpift_config *cfg = o->r->ctx->cfg;

    o->found = cfg->delta && o->f->keyed && o->r->cache.dirfd >= 0 &&
               mpift_cache_older(&o->r->cache, o->f->dest, o->f->size, o->f->key, cfg->chunk_size, &o->alt.fd,
                                 &o->own, &o->alt.size, &o->hash, &o->alt.n, o->ename);
    o->alt.hash = o->hash;
    return o->found ? &o->alt : NULL;
}

/* The descriptors resume bases may hold, each its temporary and its
 * record, locked from their offer to their file's turn (so preflight's
 * sweep passes them, and no other run takes them): an eighth of the
 * open-file limit, beside the cache's quarter (cache/store.c).  A delta
 * base holds none (engine/base.h).  A kill leaves a temporary per file
 * then in progress, a few per rank: past the cap one is not resumed. */
static uint64_t resume_fds_max(void)
{
    struct rlimit rl;

    return getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY ? (uint64_t)rl.rlim_cur / 8 : 1024;
}

/* My offers: a base for each file I need that I hold something of. */
static void find_mine(struct mpift_in_run *r, struct mpift_offers_buf *ob)
{
    const struct mpift_config *cfg = r->ctx->cfg;
    char why[MPIFT_WHY_MAX];
    struct mpift_base b;
    uint64_t fds = 0, fds_max = resume_fds_max();
    size_t i;

    if (r->rootfd < 0 || r->lock == MPIFT_IN_LOCK_BUSY)
        return;
    for (i = 0; i < r->plan.n; i++) {
        const struct mpift_pfile *f = &r->plan.f[i];
        struct mpift_base_of of = { f->size, f->mtime_sec, f->mtime_nsec, cfg->chunk_size };
        struct older o = { r, f, { -1, 0, NULL, 0 }, NULL, 0, 0, "" };
        struct mpift_base_older look = { look_older, &o };
        if (!mpift_bit(r->mine, i) || !base_chunks(r, f) || i > UINT32_MAX)
            continue;
        /* An older version in the node's cache, the base of a new dest:
         * looked up only when no resume base is taken. */
        mpift_base_find(&b, r->rootfd, f->dest, r->rank, &of, cfg->delta, &look, &r->ctx->watch, why, sizeof(why));
        free(o.hash);
        if (o.found && o.own)
            close(o.alt.fd);
        if (why[0])
            mpift_log_verbose("%s", why);
        if (b.kind == MPIFT_BASE_NONE)
            continue;
        if (b.kind == MPIFT_BASE_RESUME && fds + 2 > fds_max) {
            mpift_log_verbose("%s: a killed run's temporary was not resumed: %llu descriptors are held for others "
                              "(an eighth of the open-file limit, ulimit -n); it is sent whole", f->dest,
                              (unsigned long long)fds);
            mpift_base_free(&b);
            continue;
        }
        fds += b.kind == MPIFT_BASE_RESUME ? 2 : 0;
        if (!(r->bases[i] = malloc(sizeof(b)))) {
            mpift_base_free(&b);
            continue;
        }
        b.keyed = f->keyed;
        memcpy(b.key, f->key, sizeof(b.key));
        *r->bases[i] = b;
        if (b.from == MPIFT_BASE_FROM_CACHE && o.found && r->entries) {
            r->entries[i].heldfd = o.own ? -1 : o.alt.fd;
            memcpy(r->entries[i].name, o.ename, sizeof(o.ename));
        }
        mpift_offers_add(ob, (uint32_t)i, (uint8_t)b.kind, (uint32_t)b.nchunks, b.have, b.hash);
    }
}

/* Rank 0: writer q's offers into the per-file merge. */
static void merge(struct mpift_in_run *r, int q, const unsigned char *buf, size_t len, const uint64_t *nchunks)
{
    struct mpift_offer *o;
    struct mpift_keep *k;
    char why[MPIFT_WHY_MAX];
    uint32_t n, e, j, c;
    uint64_t h;

    if (mpift_offers_decode(buf, len, r->plan.n, nchunks, &o, &n, why, sizeof(why)) != MPIFT_OK) {
        mpift_log_warn("rank %d: what it holds already is not taken (%s): its files are sent whole", q, why);
        return;
    }
    for (e = 0; e < n; e++) {
        if (!(k = r->keeps[o[e].file])) {
            k = r->keeps[o[e].file] = calloc(1, sizeof(*k));
            if (k && (!(k->hash = calloc(o[e].nchunks, sizeof(*k->hash))) ||
                      !(k->count = calloc(o[e].nchunks, sizeof(*k->count))))) {
                free(k->hash);
                free(k);
                k = r->keeps[o[e].file] = NULL;
            }
            if (!k)
                continue;
            k->nchunks = o[e].nchunks;
        }
        k->nkind[o[e].kind]++;
        for (j = 0; j < o[e].nheld; j++) {
            mpift_offer_item(&o[e], j, &c, &h);
            if (k->count[c] == 0)
                k->hash[c] = h;
            /* Writers that hold other bytes: none of them is spared it. */
            k->count[c] = k->count[c] == UINT32_MAX || k->hash[c] != h ? UINT32_MAX : k->count[c] + 1;
        }
    }
    free(o);
}

/*
 * Rank 0: does a delta of file i pay?  Only when at least 1 in
 * MPIFT_DELTA_SHARE of its chunks of data (not zeros: a hole travels as
 * an extent, written zeros as a one-byte frame, and a KEEP frame spares
 * nothing there) can go as KEEP frames to every writer
 * that needs it (the rule of docs/resume.md): offered by each with the
 * same hash, and that hash the source's own (its chunk hashes from the
 * keying read or kept with its key, stage/keys.h).  Without them (no
 * cache.dir) the writers' agreement is all rank 0 knows before it sends,
 * and what is zeros is unknown: a chunk the writers hold as zeros is
 * counted as data and never as kept (an older version mostly zeros
 * would otherwise judge its few other chunks alone).
 * Else the file goes whole, as without a base, and striped where
 * paths.source_shared would stripe it (striping gains more than a few
 * chunks spared).  A killed run's temporary is always taken: what it
 * holds is never sent again.
 */
static int pays(const struct mpift_in_run *r, size_t i)
{
    const struct mpift_keep *k = r->keeps[i];
    const uint64_t *src = r->srchash ? r->srchash[i] : NULL;
    uint64_t chunk = r->ctx->cfg->chunk_size, c, kept = 0, data = 0, zero, zlast;
    uint32_t m = 0;
    int q;

    for (q = 1; q < r->size; q++)
        m += (uint32_t)mpift_in_needs(r, q, i);
    if (k->nkind[MPIFT_BASE_RESUME])
        return 1;
    zero = mpift_zero_hash(chunk);
    zlast = mpift_zero_hash(r->plan.f[i].size - (k->nchunks - 1) * chunk);
    for (c = 0; c < k->nchunks; c++) {
        uint64_t z = c + 1 == k->nchunks ? zlast : zero;
        if (src && src[c] == z)
            continue;   /* zeros in the source: neither way */
        data++;
        kept += k->count[c] == m && (src ? k->hash[c] == src[c] : k->hash[c] != z);
    }
    if (kept && kept * MPIFT_DELTA_SHARE >= data)
        return 1;
    mpift_log_verbose("%s: its writers hold %llu of its %llu chunks%s%s: sent whole (a delta pays from 1 in %d)",
                      r->plan.f[i].dest, (unsigned long long)kept, (unsigned long long)data,
                      data < k->nchunks ? " of data" : "", src ? " as the source has them" : "", MPIFT_DELTA_SHARE);
    return 0;
}

static void keep_free(struct mpift_in_run *r, size_t i)
{
    if (r->keeps && r->keeps[i]) {
        free(r->keeps[i]->hash);
        free(r->keeps[i]->count);
        free(r->keeps[i]);
        r->keeps[i] = NULL;
    }
}

/* Rank 0: every writer's offers (lens[q] bytes at displs[q] of all). */
static void merge_all(struct mpift_in_run *r, const unsigned char *all, const int *lens, const int *displs)
{
    uint64_t *nchunks = calloc(r->plan.n + 1, sizeof(*nchunks));
    size_t i;
    int q;

    if (!nchunks || (!r->keeps && !(r->keeps = calloc(r->plan.n + 1, sizeof(*r->keeps))))) {
        free(nchunks);
        return;
    }
    for (i = 0; i < r->plan.n; i++)
        nchunks[i] = base_chunks(r, &r->plan.f[i]);
    for (q = 1; q < r->size; q++)
        if (lens[q] > 4)
            merge(r, q, all + displs[q], (size_t)lens[q], nchunks);
    free(nchunks);
}

/* Rank 0: file i's source chunks at the samples (engine/base.h), hashed
 * into h, the file as planned: 0, or -1 (changed or unreadable: it is
 * not judged, and goes whole). */
static int sample_source(struct mpift_in_run *r, size_t i, uint64_t n, uint64_t *h)
{
    const struct mpift_pfile *f = &r->plan.f[i];
    char why[MPIFT_WHY_MAX];
    struct stat st;
    int fd, code, rc = -1;

    fd = f->src ? mpift_source_open(r->srcfd, r->srcroot, f->src, &st, &code, why, sizeof(why)) : -1;
    if (fd >= 0 && (uint64_t)st.st_size == f->size && st.st_mtim.tv_sec == f->mtime_sec &&
        (uint32_t)st.st_mtim.tv_nsec == f->mtime_nsec)
        rc = mpift_base_sample_source(fd, f->size, r->ctx->cfg->chunk_size, n, h, &r->ctx->watch);
    if (fd >= 0)
        close(fd);
    return rc;
}

/*
 * Rank 0: a file some writer offered a sample of its older version for
 * (engine/base.h's SAMPLE): is that version worth reading whole?  The
 * rule of pays() on the samples, against the source's own chunks there
 * (rank 0 reads those few): at least 1 in MPIFT_DELTA_SHARE of the
 * sampled chunks of data held by every writer with the source's hash.
 * A resume is always taken; a sample of zeros alone says nothing, and is
 * read whole as before.
 */
static int sample_pays(struct mpift_in_run *r, size_t i)
{
    const struct mpift_keep *k = r->keeps[i];
    uint64_t src[MPIFT_BASE_SAMPLE_CHUNKS], chunk = r->ctx->cfg->chunk_size, zero, c, kept = 0, data = 0;
    uint32_t m = 0;
    unsigned s;
    int q;

    for (q = 1; q < r->size; q++)
        m += (uint32_t)mpift_in_needs(r, q, i);
    if (k->nkind[MPIFT_BASE_RESUME])
        return 1;
    if (sample_source(r, i, k->nchunks, src) != 0)
        return 0;
    zero = mpift_zero_hash(chunk);
    for (s = 0; s < MPIFT_BASE_SAMPLE_CHUNKS; s++) {
        c = mpift_base_sample(k->nchunks, s);
        if (src[s] == (c + 1 == k->nchunks ? mpift_zero_hash(r->plan.f[i].size - c * chunk) : zero))
            continue;
        data++;
        kept += k->count[c] == m && k->hash[c] == src[s];
    }
    if (!data || kept * MPIFT_DELTA_SHARE >= data)
        return 1;
    mpift_log_verbose("%s: its writers hold %llu of %llu sampled chunks of data as the source has them: their older "
                      "versions are not read whole, it is sent whole (a delta pays from 1 in %d)", r->plan.f[i].dest,
                      (unsigned long long)kept, (unsigned long long)data, MPIFT_DELTA_SHARE);
    return 0;
}

#define GATHER "waiting for every rank to say what it holds already"

/* A writer: the delta base of file i, which rank 0 declined, closed; the
 * copy is then made as without one (resumable, with its record).  A
 * resume base is kept: it is the copy's temporary, whatever comes. */
static void declined(struct mpift_in_run *r, size_t i)
{
    if (!r->bases || !r->bases[i] ||
        (r->bases[i]->kind != MPIFT_BASE_DELTA && r->bases[i]->kind != MPIFT_BASE_SAMPLE))
        return;
    mpift_log_verbose("%s: rank 0 takes no delta for it: the older version is closed, the file comes whole",
                      r->plan.f[i].dest);
    mpift_base_free(r->bases[i]);
    free(r->bases[i]);
    r->bases[i] = NULL;
}

/*
 * Rank 0 says which files it takes a base for (a bit per file, as the
 * need bits), to every rank: a writer closes a delta base rank 0
 * declined, and a file some writer holds a base of goes from rank 0
 * alone, not striped (source_shared.h): a stripe's reader sends what it
 * reads whatever the others hold, while from rank 0 only what is
 * missing moves.
 */
static int share_taken(struct mpift_in_run *r)
{
    unsigned char *bits = calloc(r->nbytes, 1);
    MPI_Request rq;
    size_t i;
    int rc;

    if (!bits)
        return MPIFT_ERR_NOMEM;   /* fatal: the job stops */
    for (i = 0; r->keeps && i < r->plan.n; i++)
        if (r->keeps[i])
            bits[i >> 3] |= (unsigned char)(1u << (i & 7));
    rc = mpift_wait_coll(&r->ctx->watch, GATHER,
                         MPI_Ibcast(bits, (int)r->nbytes, MPI_BYTE, 0, r->ctx->comm, &rq), &rq);
    for (i = 0; rc == MPIFT_OK && i < r->plan.n; i++)
        if (!mpift_bit(bits, i))
            declined(r, i);
        else if (mpift_shared_unstripe(r, i) && r->rank == 0)
            mpift_log_verbose("%s: a base is taken: sent from rank 0 (what the writers lack), not striped",
                              r->plan.f[i].dest);
    free(bits);
    return rc;
}

/* Does some writer need a file a base may be offered for?  Every rank
 * tells the same from the plan and the need bits (all of them, as every
 * rank has them): when none does, no rank would offer anything, and the
 * exchange's three collectives are spared (a stage of small files). */
static int any_base(const struct mpift_in_run *r)
{
    size_t i;
    int q;

    for (i = 0; i < r->plan.n; i++)
        for (q = 1; base_chunks(r, &r->plan.f[i]) && q < r->size; q++)
            if (mpift_in_needs(r, q, i))
                return 1;
    return 0;
}

/* Every writer's offers in ob (finished here) to rank 0, merged into
 * r->keeps there. */
static int gather(struct mpift_in_run *r, struct mpift_offers_buf *ob)
{
    struct mpift_ctx *ctx = r->ctx;
    unsigned char *all = NULL;
    int *lens = NULL, *displs = NULL, len = 0, q, rc;
    size_t total = 0;
    MPI_Request rq;

    /* Out of memory, or more than a rank's share of one gather (INT_MAX
     * bytes in all): nothing is offered, the files go whole. */
    if (mpift_offers_finish(ob) == MPIFT_OK && ob->len <= (size_t)(INT_MAX / r->size))
        len = (int)ob->len;
    /* Rank 0 short of memory here stops the job (a fatal status): the
     * others' gathers end with it. */
    rc = MPIFT_ERR_NOMEM;
    if (r->rank == 0 && !(lens = calloc(2 * (size_t)r->size, sizeof(*lens))))
        goto out;
    displs = lens ? lens + r->size : NULL;
    rc = mpift_wait_coll(&ctx->watch, GATHER,
                         MPI_Igather(&len, 1, MPI_INT, lens, 1, MPI_INT, 0, ctx->comm, &rq), &rq);
    if (rc != MPIFT_OK)
        goto out;
    for (q = 0; lens && q < r->size; q++) {
        displs[q] = (int)total;
        total += (size_t)lens[q];
    }
    rc = MPIFT_ERR_NOMEM;
    if (r->rank == 0 && !(all = malloc(total + 1)))
        goto out;
    rc = mpift_wait_coll(&ctx->watch, GATHER,
                         MPI_Igatherv(ob->p ? ob->p : (void *)&len, len, MPI_BYTE, all, lens, displs, MPI_BYTE, 0,
                                      ctx->comm, &rq), &rq);
    if (rc == MPIFT_OK && r->rank == 0) {
        mpift_log_verbose("what the writers hold already: %zu bytes of offers from %d ranks", total, r->size - 1);
        merge_all(r, all, lens, displs);
    }
out:
    free(all);
    free(lens);
    return rc;
}

/* A delta base's file opened again (engine/base.h: none is held from the
 * offer on), at its file's turn, or (whole) to read a sampled one whole:
 * the very cache entry offered (the cache's own descriptor of it when it
 * holds one, else its name, a regular file opened without following a
 * link: the base checks it is the file offered), or the older version at
 * the final path.  Not looked up again: neither "last-" nor the cache's
 * state is asked, no new descriptor is held, the .kept is not reloaded. */
static void reopen(struct mpift_in_run *r, size_t i, int whole)
{
    struct mpift_base *b = r->bases[i];
    const struct mpift_in_entry *e = r->entries ? &r->entries[i] : NULL;
    int fd = -1, own = 0;

    if (b->kind != (whole ? MPIFT_BASE_SAMPLE : MPIFT_BASE_DELTA) || b->fd >= 0)
        return;
    if (b->from == MPIFT_BASE_FROM_CACHE && e && e->heldfd >= 0)
        fd = e->heldfd;
    else if (b->from == MPIFT_BASE_FROM_CACHE && e && e->name[0] && r->cache.dirfd >= 0)
        own = (fd = openat(r->cache.dirfd, e->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) >= 0;
    if (whole)
        mpift_base_read_whole(b, r->rootfd, r->plan.f[i].dest, fd);
    else
        mpift_base_reopen(b, r->rootfd, r->plan.f[i].dest, fd);
    if (own)
        close(fd);
}

/*
 * The older versions worth reading whole: rank 0 judges each file some
 * writer offered a sample for (sample_pays) and says which (a bit per
 * file, to every rank); the writers read those whole and offer them
 * again, with their other bases of those files, in a second gather.  A
 * sampled file not taken is declined as any (share_taken).  Without a
 * sample anywhere, the bits say so and nothing more is gathered.
 */
static int read_whole(struct mpift_in_run *r)
{
    struct mpift_offers_buf ob = { NULL, 0, 0, 0, 0 };
    unsigned char *bits = calloc(r->nbytes, 1);
    struct mpift_base *b;
    MPI_Request rq;
    size_t i;
    int rc, any = 0;

    if (!bits)
        return MPIFT_ERR_NOMEM;   /* fatal: the job stops */
    for (i = 0; r->rank == 0 && r->keeps && i < r->plan.n; i++)
        if (r->keeps[i] && r->keeps[i]->nkind[MPIFT_BASE_SAMPLE]) {
            if (sample_pays(r, i))
                bits[i >> 3] |= (unsigned char)(1u << (i & 7));
            keep_free(r, i);   /* judged again on the whole offers */
        }
    rc = mpift_wait_coll(&r->ctx->watch, GATHER,
                         MPI_Ibcast(bits, (int)r->nbytes, MPI_BYTE, 0, r->ctx->comm, &rq), &rq);
    for (i = 0; rc == MPIFT_OK && i < r->plan.n; i++)
        any |= mpift_bit(bits, i);
    if (rc == MPIFT_OK && any) {
        for (i = 0; r->bases && i < r->plan.n; i++) {
            if (!mpift_bit(bits, i) || !(b = r->bases[i]))
                continue;
            reopen(r, i, 1);
            if (b->kind != MPIFT_BASE_NONE)
                mpift_offers_add(&ob, (uint32_t)i, (uint8_t)b->kind, (uint32_t)b->nchunks, b->have, b->hash);
        }
        rc = gather(r, &ob);
    }
    free(ob.p);
    free(bits);
    return rc;
}

int mpift_in_bases(struct mpift_in_run *r)
{
    struct mpift_offers_buf ob = { NULL, 0, 0, 0, 0 };
    size_t i;
    int rc = MPIFT_OK;

    if (!any_base(r))
        goto out;
    if (r->rank != 0 && (r->bases = calloc(r->plan.n + 1, sizeof(*r->bases))) &&
        (r->entries = calloc(r->plan.n + 1, sizeof(*r->entries)))) {
        for (i = 0; i < r->plan.n; i++)
            r->entries[i].heldfd = -1;
        find_mine(r, &ob);
    }
    rc = gather(r, &ob);
    if (rc == MPIFT_OK)
        rc = read_whole(r);
    /* Rank 0: each file's offers, taken where they pay. */
    for (i = 0; rc == MPIFT_OK && r->keeps && i < r->plan.n; i++)
        if (r->keeps[i] && (r->keeps[i]->nkind[MPIFT_BASE_SAMPLE] || !pays(r, i)))
            keep_free(r, i);
    if (rc == MPIFT_OK)
        rc = share_taken(r);
out:
    /* The source's chunk hashes served pays() alone: rank 0 lets them go
     * (8 bytes a chunk of every source) rather than hold them all run. */
    mpift_keys_free(r->srchash, r->plan.n);
    r->srchash = NULL;
    free(ob.p);
    return rc;
}

void mpift_in_base_begin(struct mpift_in_run *r, size_t i, int round)
{
    int q, m = 0;

    /* Rank 0's own copy is never resumed (rank 0 takes no base: it reads
     * the source anyway), so it keeps no record and pays no fdatasync per
     * MPIFT_RECORD_EVERY; its chunk hashes are kept all the same. */
    r->x.resumable = r->rank == 0 ? MPIFT_COPY_HASHED : MPIFT_COPY_RESUMABLE;
    r->x.hold = round == 0 && r->bases ? r->bases[i] : NULL;
    if (r->x.hold)
        reopen(r, i, 0);
    r->x.keep = round == 0 && r->keeps ? r->keeps[i] : NULL;
    for (q = 1; r->x.keep && q < r->size; q++)
        m += mpift_in_needs(r, q, i);
    r->x.keep_m = m;
}

void mpift_in_base_end(struct mpift_in_run *r, size_t i)
{
    if (r->bases && r->bases[i]) {
        mpift_base_free(r->bases[i]);
        free(r->bases[i]);
        r->bases[i] = NULL;
    }
    r->x.keep = NULL;
    r->x.hold = NULL;
    r->x.keep_m = 0;
    r->x.resumable = MPIFT_COPY_PLAIN;
}

void mpift_in_bases_free(struct mpift_in_run *r)
{
    size_t i;

    for (i = 0; i < r->plan.n; i++) {
        if (r->bases && r->bases[i]) {
            mpift_base_free(r->bases[i]);
            free(r->bases[i]);
        }
        if (r->keeps && r->keeps[i]) {
            free(r->keeps[i]->hash);
            free(r->keeps[i]->count);
            free(r->keeps[i]);
        }
    }
    free(r->bases);
    free(r->entries);
    free(r->keeps);
    r->bases = NULL;
    r->entries = NULL;
    r->keeps = NULL;
}
