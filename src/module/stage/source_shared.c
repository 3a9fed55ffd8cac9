/*
 * source_shared.c - which files the receivers can read themselves (see
 * source_shared.h).
 *
 * Once per stage-in: the length of rank 0's list of candidates and the
 * list (MPI_Ibcast), then every rank's verdict on each (MPI_Iallgather),
 * so every rank decides every file's route alike from the same table,
 * with no message per file; before the list and before the gather, an
 * MPI_Iallreduce says whether every rank has the memory for them.  The list is packed in host
 * byte order: every rank of a job runs the same build on the same kind of
 * machine.
 */
#include "mpift_autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "util/hash.h"

#include "mpift/mpift.h"
#include "fs/walk.h"
#include "engine/compress.h"
#include "engine/inject.h"
#include "engine/source.h"
#include "stage/source_shared.h"
#include "stage/stage.h"
#include "stage/stage_in.h"
#include "util/log.h"
#include "comm/wait.h"

#define AGREE "waiting for every rank to say whether it sees the source as rank 0 does"

/* The samples a digest is taken of: the start, the middle and the end. */
#define SAMPLE_LEN ((uint64_t)64 * 1024)
#define SAMPLES 3

/* auto: a file whose middle sample transfer.compress shrinks below this
 * share of its size goes compressed from rank 0 instead: at most about
 * 0.6 of one link's time that way, against (n-1)/n >= 0.75 striped (its
 * stripes would travel whole). */
#define COMPRESSED_BETTER 0.6

/* One candidate as rank 0 sends it, its path (below the root) after it. */
struct cand {
    uint64_t file;      /* index in the plan */
    uint64_t size;
    int64_t mtime_sec;
    uint32_t mtime_nsec;
    uint32_t pathlen;   /* NUL included */
    uint64_t digest;    /* of the samples */
};

/* Does the middle sample (len bytes at buf) compress well enough that
 * compressing beats striping?  A codec of its own, so the run's (and
 * auto's account of it) stays untouched. */
static int compresses(enum mpift_compress mode, const unsigned char *buf, uint64_t len)
{
    struct mpift_codec z;
    struct mpift_codec_file zf;
    int flen;

    if (mode == MPIFT_COMPRESS_NONE || len < SAMPLE_LEN)
        return 0;
    mpift_codec_init(&z, mode, 1, SAMPLE_LEN);
    mpift_codec_start(&z, &zf);
    flen = mpift_codec_pack(&z, &zf, 0, buf, (int)len, 0);
    mpift_codec_free(&z);
    return flen > 0 && (double)flen < COMPRESSED_BETTER * (double)len;
}

/* The digest of a file's samples; 0 or an errno (EIO: it ended early).
 * *zip (when not NULL): whether the middle one compresses well. */
static int sampled(int fd, uint64_t size, uint64_t *digest, enum mpift_compress mode, int *zip)
{
    uint64_t at[SAMPLES] = {0, size / 2, size > SAMPLE_LEN ? size - SAMPLE_LEN : 0}, len;
    unsigned char *buf = malloc(SAMPLE_LEN);
    XXH3_state_t *h = XXH3_createState();
    int k, err = 0;

    if (!buf || !h) {
        err = ENOMEM;
        goto out;
    }
    XXH3_64bits_reset(h);
    for (k = 0; k < SAMPLES && !err; k++) {
        len = size - at[k] < SAMPLE_LEN ? size - at[k] : SAMPLE_LEN;
        err = mpift_read_chunk(fd, buf, (size_t)len, at[k]);
        XXH3_64bits_update(h, buf, (size_t)len);
        if (zip && k == 1 && !err)
            *zip = compresses(mode, buf, len);
    }
    err = err == MPIFT_SOURCE_SHRANK ? EIO : err;
    *digest = XXH3_64bits_digest(h);
out:
    XXH3_freeState(h);
    free(buf);
    return err;
}

/* A growing buffer of what rank 0 sends. */
struct pack {
    unsigned char *p;
    size_t len, cap;
};

static int put(struct pack *b, const void *v, size_t n)
{
    unsigned char *q;

    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 4096;
        if (!(q = realloc(b->p, b->cap)))
            return MPIFT_ERR_NOMEM;
        b->p = q;
    }
    memcpy(b->p + b->len, v, n);
    b->len += n;
    return MPIFT_OK;
}

/* Rank 0: the root, then every file larger than a chunk it can open
 * (*n of them). */
static int pack_candidates(struct mpift_in_run *r, struct pack *b, size_t *count, size_t *zipped)
{
    const struct mpift_config *cfg = r->ctx->cfg;
    size_t i, rl = strlen(r->srcroot);
    char why[MPIFT_WHY_MAX];
    struct stat st;
    struct cand c;
    int rc, fd, code, zip = 0;
    uint32_t n = (uint32_t)rl + 1;

    rc = put(b, &n, sizeof(n));
    rc = rc == MPIFT_OK ? put(b, r->srcroot, n) : rc;
    for (i = 0; rc == MPIFT_OK && i < r->plan.n; i++) {
        const struct mpift_pfile *f = &r->plan.f[i];
        const char *rel;
        if (f->type != MPIFT_PT_FILE || f->size <= r->ctx->cfg->chunk_size || !f->src)
            continue;
        fd = mpift_source_open(r->srcfd, r->srcroot, f->src, &st, &code, why, sizeof(why));
        if (fd < 0)
            continue;   /* its stream will say why, from rank 0 */
        memset(&c, 0, sizeof(c));
        c.file = i;
        c.size = (uint64_t)st.st_size;
        c.mtime_sec = st.st_mtim.tv_sec;
        c.mtime_nsec = (uint32_t)st.st_mtim.tv_nsec;
        code = sampled(fd, c.size, &c.digest, cfg->compress, cfg->source_shared == MPIFT_SHARED_AUTO ? &zip : NULL);
        close(fd);
        *zipped += code == 0 && zip;
        if (code != 0 || zip)
            continue;
        for (rel = f->src->path + rl; *rel == '/'; rel++)
            ;
        c.pathlen = (uint32_t)strlen(rel) + 1;
        rc = put(b, &c, sizeof(c));
        rc = rc == MPIFT_OK ? put(b, rel, c.pathlen) : rc;
        ++*count;
    }
    return rc;
}

/* How many files a reader may hold open from the agreement to its
 * stripes (*left, once per agreement): a quarter of its open-file limit,
 * at most HOLD_MAX, so the run's own opens and the host program's keep
 * room.  A file beyond it is opened again when its stripe starts, held to
 * the device and inode judged here; the origin's check (engine/stripe.h)
 * catches any other file either way. */
#define HOLD_MAX 16384

static long hold_budget(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 0;
    return rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur / 4 > HOLD_MAX ? HOLD_MAX : (long)(rl.rlim_cur / 4);
}

/* This rank's verdict on one candidate: 0, an errno or a DIFF.  Judged
 * the same, the open is kept in src (its stripes are read from it) while
 * *left allows, and src holds the device and inode judged. */
static int verdict(struct mpift_in_run *r, const struct cand *c, struct mpift_src *src, long *left)
{
    char why[MPIFT_WHY_MAX];
    struct stat st;
    uint64_t digest = 0;
    int fd, code, err;

    fd = mpift_source_open(r->srcfd, r->srcroot, src, &st, &code, why, sizeof(why));
    if (fd < 0)
        return errno ? errno : EIO;
    err = (uint64_t)st.st_size != c->size ? MPIFT_SHARED_DIFF_SIZE
        : st.st_mtim.tv_sec != c->mtime_sec || (uint32_t)st.st_mtim.tv_nsec != c->mtime_nsec ? MPIFT_SHARED_DIFF_MTIME
        : sampled(fd, c->size, &digest, MPIFT_COMPRESS_NONE, NULL);
    if (err == 0 && digest != c->digest)
        err = MPIFT_SHARED_DIFF_DATA;
    src->dev = (uint64_t)st.st_dev;
    src->ino = (uint64_t)st.st_ino;
    if (err == 0 && *left > 0) {
        src->fd = fd;
        --*left;
    } else {
        close(fd);
    }
    return err;
}

/*
 * Is the list whole: the root's length and NUL inside it, each candidate
 * and its path (NUL-terminated, at least one byte) inside it, files in
 * strictly increasing plan order?  Every rank holds the same bytes, so
 * every rank answers alike; a list that is not whole stripes nothing.
 */
static int list_whole(const struct mpift_in_run *r, const unsigned char *p, size_t len)
{
    const unsigned char *end = p + len;
    struct cand c;
    uint32_t n;
    uint64_t next = 0;

    if (len < sizeof(n))
        return 0;
    memcpy(&n, p, sizeof(n));
    p += sizeof(n);
    if (n < 1 || n > (size_t)(end - p) || p[n - 1] != '\0')
        return 0;
    for (p += n; p < end; p += c.pathlen) {
        if ((size_t)(end - p) < sizeof(c))
            return 0;
        memcpy(&c, p, sizeof(c));
        p += sizeof(c);
        if (c.file < next || c.file >= r->plan.n || c.pathlen < 1 || c.pathlen > (size_t)(end - p) ||
            p[c.pathlen - 1] != '\0')
            return 0;
        next = c.file + 1;
    }
    return 1;
}

/* Every rank but 0: open the root rank 0 named, judge each candidate I
 * keep and keep its source path (for the stripes I will read). */
static void judge(struct mpift_in_run *r, const unsigned char *p, size_t len, int *mine)
{
    const unsigned char *end = p + len;
    struct mpift_pfile *f;
    struct cand c;
    uint32_t n;
    size_t k;
    int rooterr;
    long left = hold_budget();
    char path[PATH_MAX], why[MPIFT_WHY_MAX];

    memcpy(&n, p, sizeof(n));
    p += sizeof(n);
    snprintf(r->srcroot, sizeof(r->srcroot), "%s", (const char *)p);
    p += n;
    /* The checked walk, as rank 0 opened it: on this node the path may
     * lead elsewhere (another user's link in a folder they may write). */
    r->srcfd = mpift_walk_open(r->srcroot, MPIFT_WALK_READ, 0, NULL, why, sizeof(why));
    rooterr = r->srcfd >= 0 ? 0 : r->srcfd == MPIFT_ERR_IO || r->srcfd == MPIFT_ERR_NOENT ? errno : EPERM;
    if (r->srcfd < 0) {
        mpift_log_warn("paths.source %s: %s: this node reads nothing of it itself", r->srcroot, why);
        r->srcfd = -1;
    }
    for (k = 0; p + sizeof(c) <= end; k++) {
        memcpy(&c, p, sizeof(c));
        p += sizeof(c);
        if (c.file >= r->plan.n)
            break;
        f = &r->plan.f[c.file];
        if (mpift_stage_keeps(r->ctx, r->rank, f) && !f->src) {
            if (rooterr || strlen(r->srcroot) + c.pathlen + 1 > sizeof(path)) {
                mine[k] = rooterr ? rooterr : ENAMETOOLONG;
            } else {
                mpift_format(path, sizeof(path), "%s/%s", r->srcroot, (const char *)p);
                f->src = mpift_src_new(path, NULL);
                mine[k] = f->src ? verdict(r, &c, f->src, &left) : ENOMEM; /* not striped, and the gather still met */
            }
        }
        p += c.pathlen;
    }
    if (r->srcfd >= 0)
        mpift_xfer_source_root(&r->x, r->srcfd, r->srcroot);
}

/* Close the opens readers hold (every rank but 0: rank 0 holds none). */
static void release(struct mpift_in_run *r)
{
    size_t i;

    for (i = 0; r->rank != 0 && i < r->plan.n; i++)
        if (r->plan.f[i].src && r->plan.f[i].src->fd >= 0) {
            close(r->plan.f[i].src->fd);
            r->plan.f[i].src->fd = -1;
        }
}

/* Which candidate each file is (-1: none). */
static void index_candidates(struct mpift_in_run *r, const unsigned char *p, size_t len)
{
    const unsigned char *end = p + len;
    struct cand c;
    uint32_t n;
    size_t k;

    memcpy(&n, p, sizeof(n));
    for (p += sizeof(n) + n, k = 0; p + sizeof(c) <= end; k++, p += sizeof(c) + c.pathlen) {
        memcpy(&c, p, sizeof(c));
        if (c.file >= r->plan.n)
            break;
        r->shared.cand[c.file] = (int)k;
    }
}

/* What a verdict means, for users. */
static void cause(int code, char *buf, size_t len)
{
    snprintf(buf, len, "%s", code == MPIFT_SHARED_DIFF_SIZE ? "it has another size there"
                             : code == MPIFT_SHARED_DIFF_MTIME ? "it has another mtime there"
                             : code == MPIFT_SHARED_DIFF_DATA ? "it has other contents there (a sample's digest differs)"
                             : strerror(code));
}

void mpift_shared_refusal(const struct mpift_in_run *r, size_t i, int who, char *why, size_t whylen)
{
    const struct mpift_pfile *f = &r->plan.f[i];
    const struct mpift_shared *sh = &r->shared;
    char c[256];

    cause(sh->codes[(size_t)who * sh->n + (size_t)sh->cand[i]], c, sizeof(c));
    snprintf(why, whylen, "%s: %s (rank %d) cannot read it: %s; with paths.source_shared = \"yes\" (%s) every node "
             "must (\"auto\" sends such a file from rank 0)", f->src ? f->src->path : f->dest, r->ctx->topo.hosts[who],
             who, c, r->ctx->cfg->file);
}

enum mpift_stripe_choice mpift_shared_choice(const struct mpift_in_run *r, size_t i, const int *recv, int m,
                                             int *who)
{
    const struct mpift_shared *sh = &r->shared;
    int q, k = sh->on ? sh->cand[i] : -1;

    if (k < 0 || m < 1 || m + 1 > MPIFT_TREES_MAX)
        return MPIFT_STRIPE_NO;
    for (q = 0; q < m; q++)
        if (sh->codes[(size_t)recv[q] * sh->n + (size_t)k] != 0) {
            *who = recv[q];
            return r->ctx->cfg->source_shared == MPIFT_SHARED_YES ? MPIFT_STRIPE_REFUSE : MPIFT_STRIPE_NO;
        }
    return MPIFT_STRIPE_YES;
}

/* --verbose, rank 0: what was chosen, and the first reason not to. */
static void say(struct mpift_in_run *r)
{
    const struct mpift_shared *sh = &r->shared;
    const struct mpift_config *cfg = r->ctx->cfg;
    char c[256];
    size_t i, k;
    int q, readers = 1, bad = -1, badk = 0, ok, reads;

    for (q = 1; q < r->size; q++) {
        for (i = 0, reads = 0; i < r->plan.n && !reads; i++)
            reads = r->shared.cand[i] >= 0 && mpift_stage_keeps(r->ctx, q, &r->plan.f[i]);
        readers += reads;
    }
    for (k = 0; k < sh->n; k++) {
        for (q = 1, ok = 1; q < r->size && ok; q++)
            if (sh->codes[(size_t)q * sh->n + k] != 0) {
                ok = 0;
                if (bad < 0)
                    bad = q, badk = (int)k;
            }
        r->shared.striped += (size_t)ok;
    }
    if (bad < 0) {
        mpift_log_verbose("source shared: striping %zu file%s over %d %s", sh->n, sh->n == 1 ? "" : "s", readers,
                          cfg->copies == MPIFT_COPIES_PER_NODE ? "leaders" : "ranks");
        return;
    }
    for (i = 0; i < r->plan.n && r->shared.cand[i] != badk; i++)
        ;
    cause(sh->codes[(size_t)bad * sh->n + (size_t)badk], c, sizeof(c));
    mpift_log_verbose("source not shared: %s %zu of %zu file%s (%s cannot read %s: %s)",
                      cfg->source_shared == MPIFT_SHARED_YES ? "paths.source_shared = \"yes\" fails"
                                                             : "rank 0 reads and sends",
                      sh->n - sh->striped, sh->n, sh->n == 1 ? "" : "s", r->ctx->topo.hosts[bad],
                      r->plan.f[i].src->path, c);
    if (sh->striped)
        mpift_log_verbose("source shared: striping the other %zu over %d %s", sh->striped, readers,
                          cfg->copies == MPIFT_COPIES_PER_NODE ? "leaders" : "ranks");
}

/* Has every rank what it needs (*ok), agreed in one collective?  A rank
 * short of memory lets the others know instead of leaving them in a
 * collective it does not reach. */
static int all_have(struct mpift_ctx *ctx, int have, int *ok)
{
    MPI_Request rq;

    *ok = have;
    if (mpift_wait_coll(&ctx->watch, AGREE, MPI_Iallreduce(MPI_IN_PLACE, ok, 1, MPI_INT, MPI_MIN, ctx->comm, &rq),
                        &rq) != MPIFT_OK)
        return MPIFT_ERR_MPI;
    if (!*ok && ctx->topo.rank == 0)
        mpift_log_verbose("source shared: not striping (a rank had no memory for the list of files)");
    return MPIFT_OK;
}

int mpift_shared_agree(struct mpift_in_run *r)
{
    struct mpift_ctx *ctx = r->ctx;
    struct mpift_shared *sh = &r->shared;
    struct pack b = {NULL, 0, 0};
    MPI_Request rq;
    uint64_t len = 0;
    int rc = MPIFT_OK, *mine = NULL, ok;
    size_t i, k = 0, zipped = 0;

    /* Ranks of one node read through one file system: nothing to gain;
     * copies = "once" has no receiver to read. */
    if (ctx->cfg->source_shared == MPIFT_SHARED_NO || ctx->topo.nnodes < 2 || ctx->cfg->copies == MPIFT_COPIES_ONCE)
        return MPIFT_OK;
    /* No candidate, or a list that does not fit an int count: nothing
     * striped, and nothing more to agree on. */
    if (r->rank == 0 && (pack_candidates(r, &b, &k, &zipped) != MPIFT_OK || b.len > INT_MAX || k == 0)) {
        b.len = 0;
        mpift_log_verbose("source shared: not striping (%s)", k == 0 ? "no file larger than a chunk that rank 0 "
                          "can read and that does not compress well" : "no room for the list of files");
    }
    if (r->rank == 0 && zipped)
        mpift_log_verbose("source shared, but %zu file%s compress%s well (a sample to under %.0f%% with "
                          "transfer.compress): rank 0 sends %s compressed", zipped, zipped == 1 ? "" : "s",
                          zipped == 1 ? "es" : "", COMPRESSED_BETTER * 100, zipped == 1 ? "it" : "them");
    len = b.len;
    if (mpift_wait_coll(&ctx->watch, AGREE, MPI_Ibcast(&len, 1, MPI_UINT64_T, 0, ctx->comm, &rq), &rq) != MPIFT_OK)
        goto mpi;
    if (len == 0 || len > INT_MAX)
        goto out;
    /* Every rank meets every collective below, whatever it lacks: a rank
     * short of memory says so in all_have, and then nothing is striped
     * (the files go from rank 0, as with "no"). */
    if (r->rank != 0)
        b.p = malloc(len);
    sh->cand = malloc((r->plan.n ? r->plan.n : 1) * sizeof(*sh->cand));
    if ((rc = all_have(ctx, b.p && sh->cand, &ok)) != MPIFT_OK || !ok)
        goto out;
    if (mpift_wait_coll(&ctx->watch, AGREE, MPI_Ibcast(b.p, (int)len, MPI_BYTE, 0, ctx->comm, &rq), &rq) !=
        MPIFT_OK)
        goto mpi;
    if (!list_whole(r, b.p, (size_t)len)) {
        if (r->rank == 0)
            mpift_log_verbose("source shared: not striping (the list of files did not arrive whole)");
        goto out;
    }
    for (i = 0; i < r->plan.n; i++)
        sh->cand[i] = -1;
    index_candidates(r, b.p, (size_t)len);
    for (i = 0, k = 0; i < r->plan.n; i++)
        k += sh->cand[i] >= 0;
    sh->n = k;
    mine = calloc(k ? k : 1, sizeof(*mine));
    sh->codes = calloc((size_t)r->size * (k ? k : 1), sizeof(*sh->codes));
    if ((rc = all_have(ctx, mine && sh->codes, &ok)) != MPIFT_OK || !ok)
        goto out;
    if (r->rank != 0)
        judge(r, b.p, (size_t)len, mine);
    if (mpift_wait_coll(&ctx->watch, AGREE, MPI_Iallgather(mine, (int)k, MPI_INT, sh->codes, (int)k, MPI_INT,
                                                           ctx->comm, &rq), &rq) != MPIFT_OK)
        goto mpi;
    sh->on = 1;
    r->x.hosts = ctx->topo.hosts;   /* the origin names a reader whose stripe it refuses */
    if (r->rank == 0) {
        say(r);
        mpift_inject_pause_after_shared();
    }
    goto out;
mpi:
    rc = MPIFT_ERR_MPI;
out:
    if (!sh->on) {
        release(r);
        free(sh->cand);
        free(sh->codes);
        memset(sh, 0, sizeof(*sh));
    }
    free(b.p);
    free(mine);
    return rc;
}

void mpift_shared_unstripe(struct mpift_in_run *r, size_t i)
{
    if (r->shared.on && i < r->plan.n)
        r->shared.cand[i] = -1;
}

void mpift_shared_free(struct mpift_in_run *r)
{
    struct mpift_shared *sh = &r->shared;

    release(r);
    free(sh->cand);
    free(sh->codes);
    memset(sh, 0, sizeof(*sh));
}
