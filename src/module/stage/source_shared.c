/*
 * source_shared.c - which files the receivers can read themselves (see
 * source_shared.h).
 *
 * Once per stage-in: the length of rank 0's list of candidates and the
 * list (MPI_Ibcast), then every rank's verdict on each (MPI_Iallgather),
 * so every rank decides every file's route alike from the same table,
 * with no message per file; before the list and before the gather, an
 * MPI_Iallreduce says whether every rank has the memory for them.  The
 * list's bytes are wire/cands.h's: every rank decodes it once, checked,
 * into a table, and judges and indexes from that.
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
#include "comm/agree.h"
#include "fs/walk.h"
#include "engine/compress.h"
#include "engine/inject.h"
#include "engine/source.h"
#include "stage/source_shared.h"
#include "stage/stage.h"
#include "stage/stage_in.h"
#include "util/faults.h"
#include "util/grow.h"
#include "util/log.h"
#include "util/zero.h"
#include "comm/wait.h"
#include "wire/cands.h"

#define AGREE "waiting for every rank to say whether it sees the source as rank 0 does"

/* The samples a digest is taken of: the start, the middle and the end. */
#define SAMPLE_LEN ((uint64_t)64 * 1024)
#define SAMPLES 3

/* auto: a file whose middle sample transfer.compress shrinks below this
 * share of its size goes compressed from rank 0 instead: at most about
 * 0.6 of one link's time that way, against (n-1)/n >= 0.75 striped (its
 * stripes would travel whole). */
#define COMPRESSED_BETTER 0.6

/* Does the middle sample (len bytes at buf) compress well enough that
 * compressing beats striping?  Zeros do under every mode: they go as
 * zero frames (engine/compress.h).  A codec of its own, so the run's (and
 * auto's account of it) stays untouched. */
static int compresses(enum mpift_compress mode, const unsigned char *buf, uint64_t len)
{
    struct mpift_codec z;
    struct mpift_codec_file zf;
    int flen;

    if (len < SAMPLE_LEN)
        return 0;
    if (mpift_all_zero(buf, (size_t)len))
        return 1;
    if (mode == MPIFT_COMPRESS_NONE)
        return 0;
    /* auto's choice hangs on rates it measures later; what it would
     * save is what its best codec saves */
    if (mode == MPIFT_COMPRESS_AUTO)
        mode = mpift_codec_builtin() & (1u << MPIFT_WIRE_CODEC_ZSTD) ? MPIFT_COMPRESS_ZSTD : MPIFT_COMPRESS_LZ4;
    mpift_codec_init(&z, mode, 1, SAMPLE_LEN);
    mpift_codec_start(&z, &zf);
    flen = mpift_codec_pack(&z, &zf, 0, buf, (int)len);
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

/* Rank 0's candidates as they are found. */
struct found {
    struct mpift_wcand *c;
    size_t n, cap;
};

static int add(struct found *l, const struct mpift_wcand *c)
{
    if (mpift_grow(&l->c, &l->cap, l->n + 1, sizeof(*l->c), 64) != MPIFT_OK)
        return MPIFT_ERR_NOMEM;
    l->c[l->n++] = *c;
    return MPIFT_OK;
}

/* Rank 0: every file larger than a chunk it can open, after the root
 * (*count of them), in a new buffer of *len bytes (wire/cands.h). */
static int pack_candidates(const struct mpift_in_run *r, unsigned char **buf, size_t *len, size_t *count,
                           size_t *zipped)
{
    const struct mpift_config *cfg = r->ctx->cfg;
    size_t i, rl = strlen(r->srcroot);
    char why[MPIFT_WHY_MAX];
    struct found l = { NULL, 0, 0 };
    struct stat st;
    struct mpift_wcand c;
    int rc = MPIFT_OK, fd, code, zip = 0;
    size_t sparse = 0;

    for (i = 0; rc == MPIFT_OK && i < r->plan.n; i++) {
        const struct mpift_pfile *f = &r->plan.f[i];
        /* A library outside the root (stage/libs.h): leaders read below it only. */
        if (f->type != MPIFT_PT_FILE || f->size <= r->ctx->cfg->chunk_size || !f->src || f->src->beyond)
            continue;
        fd = mpift_source_open(r->srcfd, r->srcroot, f->src, &st, &code, why, sizeof(why));
        if (fd < 0)
            continue;   /* its stream will say why, from rank 0 */
        /* auto: a file mostly holes goes from rank 0, where its holes
         * cost nothing (zero frames, engine/compress.h); striped, each
         * reader would read and send them as zeros. */
        if (cfg->source_shared == MPIFT_SHARED_AUTO && (uint64_t)st.st_blocks * 512 < (uint64_t)st.st_size / 2) {
            close(fd);
            sparse++;
            continue;
        }
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
        for (c.path = f->src->path + rl; *c.path == '/'; c.path++)
            ;
        rc = add(&l, &c);
    }
    *count = l.n;
    if (sparse)
        mpift_log_verbose("source shared, but %zu file%s mostly holes: rank 0 sends %s, holes as holes", sparse,
                          sparse == 1 ? " is" : "s are", sparse == 1 ? "it" : "them");
    if (rc == MPIFT_OK)
        rc = mpift_wcands_encode(r->srcroot, l.c, l.n, buf, len);
    free(l.c);
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

/* This rank's verdict on one candidate, below sh's root: 0, an errno or
 * a DIFF.  Judged the same, the open is kept in src (its stripes are read
 * from it) while *left allows, and src holds the device and inode judged. */
static int verdict(const struct mpift_shared *sh, const struct mpift_wcand *c, struct mpift_src *src, long *left)
{
    char why[MPIFT_WHY_MAX];
    struct stat st;
    uint64_t digest = 0;
    int fd, code, err;

    fd = mpift_source_open(sh->srcfd, sh->srcroot, src, &st, &code, why, sizeof(why));
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

/* Every rank but 0: open the root rank 0 named (sh->srcfd), judge each
 * candidate I keep and keep its source (sh->src: for the stripes I will
 * read). */
static void judge(const struct mpift_in_run *r, struct mpift_shared *sh, const struct mpift_wcands *t, int *mine)
{
    const struct mpift_pfile *f;
    size_t k;
    int rooterr;
    long left = hold_budget();
    char path[PATH_MAX], why[MPIFT_WHY_MAX];

    snprintf(sh->srcroot, sizeof(sh->srcroot), "%s", t->root);
    /* The checked walk, as rank 0 opened it: on this node the path may
     * lead elsewhere (another user's link in a folder they may write). */
    sh->srcfd = mpift_walk_open(sh->srcroot, MPIFT_WALK_READ, 0, NULL, why, sizeof(why));
    rooterr = sh->srcfd >= 0 ? 0 : sh->srcfd == MPIFT_ERR_IO || sh->srcfd == MPIFT_ERR_NOENT ? errno : EPERM;
    if (sh->srcfd < 0) {
        mpift_log_warn("paths.source %s: %s: this node reads nothing of it itself", sh->srcroot, why);
        sh->srcfd = -1;
    }
    for (k = 0; k < t->n; k++) {
        const struct mpift_wcand *c = &t->c[k];
        f = &r->plan.f[c->file];
        if (mpift_stage_keeps(r->ctx, r->rank, f) && !f->src) {
            if (rooterr || strlen(sh->srcroot) + strlen(c->path) + 2 > sizeof(path)) {
                mine[k] = rooterr ? rooterr : ENAMETOOLONG;
            } else {
                mpift_format(path, sizeof(path), "%s/%s", sh->srcroot, c->path);
                sh->src[k] = mpift_src_new(path, NULL);
                /* ENOMEM: not striped, and the gather still met */
                mine[k] = sh->src[k] ? verdict(sh, c, sh->src[k], &left) : ENOMEM;
            }
        }
    }
}

/* Close an open a reader holds. */
static void unhold(struct mpift_src *src)
{
    if (src && src->fd >= 0) {
        close(src->fd);
        src->fd = -1;
    }
}

/* An agreement that striped nothing: what it made is undone, *sh empty. */
static void clear(struct mpift_shared *sh)
{
    size_t k;

    for (k = 0; sh->src && k < sh->n; k++) {
        unhold(sh->src[k]);
        free(sh->src[k]);
    }
    if (sh->srcfd >= 0)
        close(sh->srcfd);
    free(sh->src);
    free(sh->cand);
    free(sh->codes);
    memset(sh, 0, sizeof(*sh));
    sh->srcfd = -1;
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

/* --verbose, rank 0: what was chosen, and the first reason not to
 * (sh->striped counts the files striped everywhere). */
static void say(const struct mpift_in_run *r, struct mpift_shared *sh)
{
    const struct mpift_config *cfg = r->ctx->cfg;
    char c[256];
    size_t i, k;
    int q, readers = 1, bad = -1, badk = 0, ok, reads;

    for (q = 1; q < r->size; q++) {
        for (i = 0, reads = 0; i < r->plan.n && !reads; i++)
            reads = sh->cand[i] >= 0 && mpift_stage_keeps(r->ctx, q, &r->plan.f[i]);
        readers += reads;
    }
    for (k = 0; k < sh->n; k++) {
        for (q = 1, ok = 1; q < r->size && ok; q++)
            if (sh->codes[(size_t)q * sh->n + k] != 0) {
                ok = 0;
                if (bad < 0)
                    bad = q, badk = (int)k;
            }
        sh->striped += (size_t)ok;
    }
    if (bad < 0) {
        mpift_log_verbose("source shared: striping %zu file%s over %d %s", sh->n, sh->n == 1 ? "" : "s", readers,
                          cfg->copies == MPIFT_COPIES_PER_NODE ? "leaders" : "ranks");
        return;
    }
    for (i = 0; i < r->plan.n && sh->cand[i] != badk; i++)
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
 * collective it does not reach.  When not, rank 0 says why: its own
 * `why0`, or else a rank's lack of memory. */
static int all_have(struct mpift_ctx *ctx, int have, const char *why0, int *ok)
{
    int lacks, rc = mpift_agree_any(ctx->comm, !have, &lacks, &ctx->watch, AGREE);

    if (rc != MPIFT_OK)
        return rc;
    *ok = !lacks;
    if (!*ok && ctx->topo.rank == 0)
        mpift_log_verbose("source shared: not striping (%s)",
                          why0 ? why0 : "a rank had no memory for the list of files");
    return MPIFT_OK;
}

int mpift_shared_agree(const struct mpift_in_run *r, struct mpift_shared *sh)
{
    struct mpift_ctx *ctx = r->ctx;
    struct mpift_wcands t = { NULL, NULL, 0 };
    unsigned char *buf = NULL;
    MPI_Request rq;
    uint64_t len = 0;
    int rc = MPIFT_OK, dec, *mine = NULL, ok;
    size_t i, k = 0, zipped = 0, blen = 0;
    char why[256], said[320];
    const char *fault;

    memset(sh, 0, sizeof(*sh));
    sh->srcfd = -1;
    /* Ranks of one node read through one file system: nothing to gain;
     * copies = "once" has no receiver to read. */
    if (ctx->cfg->source_shared == MPIFT_SHARED_NO || ctx->topo.nnodes < 2 || ctx->cfg->copies == MPIFT_COPIES_ONCE)
        return MPIFT_OK;
    /* No candidate, or a list that does not fit an int count: nothing
     * striped, and nothing more to agree on. */
    if (r->rank == 0 && (pack_candidates(r, &buf, &blen, &k, &zipped) != MPIFT_OK || blen > INT_MAX || k == 0)) {
        blen = 0;
        mpift_log_verbose("source shared: not striping (%s)", k == 0 ? "no file larger than a chunk that rank 0 "
                          "can read and that does not compress well" : "no room for the list of files");
    }
    if (r->rank == 0 && zipped)
        mpift_log_verbose("source shared, but %zu file%s compress%s well (a sample to under %.0f%% with "
                          "transfer.compress): rank 0 sends %s compressed", zipped, zipped == 1 ? "" : "s",
                          zipped == 1 ? "es" : "", COMPRESSED_BETTER * 100, zipped == 1 ? "it" : "them");
    len = blen;
    if (mpift_wait_coll(&ctx->watch, AGREE, MPI_Ibcast(&len, 1, MPI_UINT64_T, 0, ctx->comm, &rq), &rq) != MPIFT_OK)
        goto mpi;
    if (len == 0 || len > INT_MAX)
        goto out;
    /* Every rank meets every collective below, whatever it lacks: a rank
     * short of memory says so in all_have, and then nothing is striped
     * (the files go from rank 0, as with "no"). */
    if (r->rank != 0)
        buf = malloc(len);
    sh->cand = malloc((r->plan.n ? r->plan.n : 1) * sizeof(*sh->cand));
    if ((rc = all_have(ctx, buf && sh->cand, NULL, &ok)) != MPIFT_OK || !ok)
        goto out;
    if (mpift_wait_coll(&ctx->watch, AGREE, MPI_Ibcast(buf, (int)len, MPI_BYTE, 0, ctx->comm, &rq), &rq) !=
        MPIFT_OK)
        goto mpi;
    /* Every rank holds the same bytes, but one short of memory (NOMEM)
     * may not learn that they are bad (PROTO, everywhere else): no rank
     * leaves here alone, all_have says for all whether every rank decoded
     * the list, and a bad list stripes nothing. */
    /* MPIFT_TEST_BAD_CANDS=RANK: the list is cut short on every rank, and
     * that rank finds no memory to decode it. */
    fault = mpift_fault_env("MPIFT_TEST_BAD_CANDS");
    if (fault && atoi(fault) == r->rank)
        dec = MPIFT_ERR_NOMEM;
    else
        dec = mpift_wcands_decode(buf, (size_t)len - (fault != NULL), r->plan.n, &t, why, sizeof(why));
    if (dec == MPIFT_OK) {
        for (i = 0; i < r->plan.n; i++)
            sh->cand[i] = -1;
        for (k = 0; k < t.n; k++)
            sh->cand[t.c[k].file] = (int)k;
        sh->n = t.n;
        mine = calloc(t.n ? t.n : 1, sizeof(*mine));
        sh->codes = calloc((size_t)r->size * (t.n ? t.n : 1), sizeof(*sh->codes));
        if (r->rank != 0)
            sh->src = calloc(t.n ? t.n : 1, sizeof(*sh->src));
    }
    if (dec == MPIFT_ERR_PROTO)
        snprintf(said, sizeof(said), "the list of files did not arrive whole: %s", why);
    rc = all_have(ctx, dec == MPIFT_OK && mine && sh->codes && (r->rank == 0 || sh->src),
                  dec == MPIFT_ERR_PROTO ? said : NULL, &ok);
    if (rc != MPIFT_OK || !ok)
        goto out;
    if (r->rank != 0)
        judge(r, sh, &t, mine);
    if (mpift_wait_coll(&ctx->watch, AGREE, MPI_Iallgather(mine, (int)t.n, MPI_INT, sh->codes, (int)t.n, MPI_INT,
                                                           ctx->comm, &rq), &rq) != MPIFT_OK)
        goto mpi;
    sh->on = 1;
    if (r->rank == 0) {
        say(r, sh);
        mpift_inject_pause_after_shared();
    }
    goto out;
mpi:
    rc = MPIFT_ERR_MPI;
out:
    if (!sh->on)
        clear(sh);
    mpift_wcands_free(&t);
    free(buf);
    free(mine);
    return rc;
}

int mpift_shared_unstripe(struct mpift_in_run *r, size_t i)
{
    int was;

    if (!r->shared.on || i >= r->plan.n)
        return 0;
    was = r->shared.cand[i] >= 0;
    r->shared.cand[i] = -1;
    return was;
}

void mpift_shared_free(struct mpift_in_run *r)
{
    struct mpift_shared *sh = &r->shared;
    size_t i;

    /* The opens readers hold, in the plan once the run took them over
     * (rank 0 holds none). */
    for (i = 0; r->rank != 0 && i < r->plan.n; i++)
        unhold(r->plan.f[i].src);
    sh->n = 0;   /* its entries and srcfd were taken over by then */
    sh->srcfd = -1;
    clear(sh);
}
