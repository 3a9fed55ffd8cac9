/*
 * stage_in.c - stage-in: the run from plan to status.
 *
 *  1. rank 0 resolves paths.source and builds the plan; every rank gets it.
 *  2. every writer (node leader, every rank, or rank 0, by `copies`; the
 *     target rank of a scatter entry) marks the files it lacks: missing, or
 *     of another size or mtime, or all with --force.  The marks are shared.
 *  3. file by file (small files in batches), the source (rank 0) sends to
 *     the ranks that need it along the route the policy gives (route.h);
 *     every writer verifies and renames.
 *  4. copies that failed their checksum are marked again and re-sent, up to
 *     transfer.retries times.
 *  5. counts are gathered on rank 0, which prints the summary (summary.h)
 *     and writes --report (report.h); every rank returns the same status,
 *     so a node's other ranks wait for their leader.
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
#include "comm/agree.h"
#include "fs/walk.h"
#include "config/template.h"
#include "engine/inject.h"
#include "engine/sink.h"
#include "engine/xfer.h"
#include "fs/fsafe.h"
#include "stage/extract.h"
#include "stage/keys.h"
#include "stage/plan.h"
#include "stage/preflight.h"
#include "stage/report.h"
#include "stage/result.h"
#include "stage/route.h"
#include "stage/run.h"
#include "stage/stage.h"
#include "stage/stage_in.h"
#include "stage/summary.h"
#include "util/log.h"
#include "util/progress.h"
#include "comm/status.h"
#include "comm/wait.h"

static void setbit(unsigned char *b, size_t i) { b[i >> 3] |= (unsigned char)(1u << (i & 7)); }

int mpift_stage_keeps(const struct mpift_ctx *ctx, int q, const struct mpift_pfile *f)
{
    return f->target >= 0 ? f->target == q : mpift_ctx_writer(ctx, q);
}

/* Does this rank keep a copy of file f? */
static int is_writer(const struct mpift_in_run *r, const struct mpift_pfile *f)
{
    return mpift_stage_keeps(r->ctx, r->rank, f);
}

#define AGREE "waiting for every rank to agree to go on"

/* Rank 0: the source root, opened by the checked walk (fs/walk.h, as a
 * root that is read): every file sent is read below it (engine/source.h)
 * and real gets its path with links resolved. */
static int open_source(struct mpift_in_run *r, const char *src, char *real)
{
    char why[MPIFT_WHY_MAX];

    r->srcfd = mpift_walk_open(src, MPIFT_WALK_READ, 0, real, why, sizeof(why));
    if (r->srcfd >= 0) {
        snprintf(r->srcroot, sizeof(r->srcroot), "%s", real);
        return MPIFT_OK;
    }
    r->srcfd = -1;
    mpift_log_error("%s: paths.source %s: %s", r->ctx->cfg->file, src, why);
    return MPIFT_ERR_CONFIG;
}

/* 1. Rank 0 opens the source root and plans; then everyone has the plan. */
static int make_plan(struct mpift_in_run *r)
{
    struct mpift_ctx *ctx = r->ctx;
    char src[PATH_MAX], real[PATH_MAX];
    struct mpift_tvars v;
    int rc = MPIFT_OK;

    if (r->rank == 0) {
        mpift_topo_tvars(&ctx->topo, 0, &v);
        rc = mpift_template_expand(ctx->cfg->source, &v, src, sizeof(src));
        rc = rc == MPIFT_OK ? open_source(r, src, real) : rc;
        if (rc == MPIFT_OK) {
            rc = mpift_plan_build(ctx->cfg, real, &ctx->topo, &r->plan);
            if (rc == MPIFT_OK && mpift_libs_wanted(ctx->cfg))
                rc = mpift_libs_plan(ctx->cfg, real, &r->plan, &r->libs);
            if (rc == MPIFT_OK)
                rc = mpift_extract_scan(r);
            if (rc == MPIFT_OK)
                rc = mpift_keys_make(ctx, r->srcfd, r->srcroot, &r->plan, &r->srchash);
            if (rc == MPIFT_OK)
                mpift_in_plan_alloc(r);
            if (rc == MPIFT_OK && r->plan.nerrors)
                r->local_fail = 1;
            mpift_inject_pause_after_plan();
        }
    }
    rc = mpift_agree_status(ctx->comm, rc, &ctx->watch, AGREE);
    if (rc != MPIFT_OK)
        return rc;
    rc = mpift_agree_status(ctx->comm, mpift_plan_bcast(&r->plan, ctx->comm, &ctx->watch), &ctx->watch, AGREE);
    if (rc == MPIFT_OK && mpift_libs_wanted(ctx->cfg))
        rc = mpift_agree_status(ctx->comm, mpift_libs_share(&r->libs, ctx->comm, &ctx->watch), &ctx->watch, AGREE);
    return rc == MPIFT_OK ? mpift_agree_status(ctx->comm, mpift_extract_share(r), &ctx->watch, AGREE) : rc;
}

/* calloc that notes a failure in *nomem (and never asks for 0 bytes). */
static void *zalloc(int *nomem, size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);

    if (!p)
        *nomem = 1;
    return p;
}

/* The striping table (source_shared.h) into the run: a reader reads its
 * stripes below the source root it opened, from the sources it judged,
 * and the origin names a reader whose stripe it refuses. */
static void take_shared(struct mpift_in_run *r, const struct mpift_shared *table)
{
    struct mpift_shared *sh = &r->shared;
    size_t i;

    *sh = *table;
    if (!sh->on)
        return;
    for (i = 0; sh->src && i < r->plan.n; i++)
        if (sh->cand[i] >= 0 && sh->src[sh->cand[i]]) {
            r->plan.f[i].src = sh->src[sh->cand[i]];
            sh->src[sh->cand[i]] = NULL;
        }
    if (sh->srcfd >= 0) {
        r->srcfd = sh->srcfd;
        snprintf(r->srcroot, sizeof(r->srcroot), "%s", sh->srcroot);
        sh->srcfd = -1;
        mpift_xfer_source_root(&r->x, r->srcfd, r->srcroot);
    }
    r->x.hosts = r->ctx->topo.hosts;
}

/*
 * A run of ctx: every field empty (safe for run_free), then the plan, the
 * arrays it sizes and the transfer engine.  Collective: every rank
 * returns the same status.
 */
static int run_init(struct mpift_in_run *r, struct mpift_ctx *ctx)
{
    const struct mpift_config *cfg = ctx->cfg;
    struct mpift_shared sh;
    int rc, nomem = 0, maxkids;

    memset(r, 0, sizeof(*r));
    r->ctx = ctx;
    r->rank = ctx->topo.rank;
    r->size = ctx->topo.size;
    r->rootfd = -1;
    r->srcfd = -1;
    r->cache.dirfd = r->cache.lockfd = -1;
    rc = make_plan(r);
    if (rc != MPIFT_OK)
        return rc;
    r->nbytes = (r->plan.n + 7) / 8 + 1;
    r->all = zalloc(&nomem, (size_t)r->size, r->nbytes);
    r->mine = r->all ? r->all + (size_t)r->rank * r->nbytes : NULL;
    r->state = zalloc(&nomem, r->plan.n, 1);
    if (ctx->cfg->cache_dir)   /* every rank's, for the report, used or not */
        r->cmark = zalloc(&nomem, r->plan.n, 1);
    r->recv = zalloc(&nomem, (size_t)r->size, sizeof(*r->recv));
    r->batch = zalloc(&nomem, 1, sizeof(*r->batch));
    if (r->rank == 0)
        r->rows = zalloc(&nomem, (size_t)r->size * MPIFT_TALLY_N, sizeof(*r->rows));
    if (mpift_report_wanted(ctx)) {   /* each writer's, summed on rank 0 */
        r->resumed = zalloc(&nomem, r->plan.n, sizeof(*r->resumed));
        r->delta_saved = zalloc(&nomem, r->plan.n, sizeof(*r->delta_saved));
    }
    if (r->rank == 0 && mpift_report_wanted(ctx)) {
        r->digest = zalloc(&nomem, r->plan.n, sizeof(*r->digest));
        r->wire = zalloc(&nomem, r->plan.n, sizeof(*r->wire));
        r->holes = zalloc(&nomem, r->plan.n, sizeof(*r->holes));
        r->nlens = zalloc(&nomem, 2 * (size_t)r->size, sizeof(*r->nlens));
        r->ndispls = r->nlens ? r->nlens + r->size : NULL;
    }
    rc = nomem ? MPIFT_ERR_NOMEM : MPIFT_OK;
    if (rc == MPIFT_OK && !ctx->dry_run) {
        maxkids = cfg->policy == MPIFT_POLICY_DIRECT ? r->size : cfg->policy == MPIFT_POLICY_TREE ? cfg->fanout : 1;
        r->xfer_on = 1;
        rc = mpift_xfer_init(&r->x, ctx->comm, cfg, maxkids, &ctx->watch);
        r->x.whole_wanted = mpift_report_wanted(ctx);
        mpift_xfer_source_root(&r->x, r->srcfd, r->srcroot);
    }
    rc = mpift_agree_status(ctx->comm, rc, &ctx->watch, AGREE);
    if (rc == MPIFT_OK && r->xfer_on) {
        rc = mpift_shared_agree(r, &sh);
        take_shared(r, &sh);
        rc = mpift_agree_status(ctx->comm, rc, &ctx->watch, AGREE);
    }
    return rc;
}

static void run_free(struct mpift_in_run *r)
{
    mpift_cache_close(&r->cache);   /* and with it the entries this run held */
    free(r->cmark);
    free(r->cslot);
    mpift_root_release(&r->hold);
    if (r->rootfd >= 0)
        close(r->rootfd);   /* and with it the run's lock */
    if (r->srcfd >= 0)
        close(r->srcfd);
    mpift_folders_free(&r->folders);
    mpift_shared_free(r);
    if (r->xfer_on)
        mpift_xfer_free(&r->x);
    free(r->all);     /* and mine, a row of it */
    free(r->state);
    free(r->recv);
    free(r->batch);
    mpift_notes_free(&r->notes);
    mpift_in_bases_free(r);
    mpift_keys_free(r->srchash, r->plan.n);
    mpift_extract_free(&r->ex);
    mpift_plan_free(&r->plan);
    mpift_libs_free(&r->libs);
    /* Rank 0's */
    free(r->rows);
    free(r->digest);
    free(r->wire);
    free(r->holes);
    free(r->resumed);
    free(r->delta_saved);
    free(r->nlens);   /* and ndispls, its second half */
}

/*
 * Before any bytes move: a shortfall of room, inodes or access on any
 * writer, or another run writing into its root (stage_in_dest.c), stops
 * the run on every rank with nothing sent: exit 1, the node and the cause
 * named.  The refused node's copies count as failed with that message
 * (summary and --report); the other copies are "not sent".  Then the
 * plan's folders are made.
 */
static int preflight(struct mpift_in_run *r)
{
    struct mpift_ctx *ctx = r->ctx;
    char why[MPIFT_WHY_MAX];
    size_t i;
    int rc, bad, anybad = 0;

    bad = mpift_in_check_root(r, why, sizeof(why)) != 0;
    /* My copies: those I asked for, those my cache was to place, and
     * those share_needs failed at once for a dest root that could not be
     * opened (they asked for nothing). */
    for (i = 0; bad && i < r->plan.n; i++)
        if (mpift_bit(r->mine, i) || (r->cmark && r->cmark[i] == MPIFT_CM_HIT) ||
            (r->rootfd < 0 && r->state[i] == MPIFT_FS_FAILED)) {
            r->state[i] = MPIFT_FS_FAILED;
            mpift_in_note(r, i, why);
        }
    if ((rc = mpift_agree_any(ctx->comm, bad, &anybad, &ctx->watch, "waiting for every rank to check its room")) !=
        MPIFT_OK)
        return rc;
    if (anybad)
        return MPIFT_ERR_FILES;
    if (r->rootfd >= 0)
        mpift_folders_make(&r->folders, r->rootfd, ctx->dest_root);
    r->folders_made = r->rootfd >= 0;
    return MPIFT_OK;
}

/* 2. Mark what I need this round and share the marks.  Returns the number
 * of (file, rank) copies needed anywhere, or a negative status. */
static long long share_needs(struct mpift_in_run *r, int round)
{
    struct mpift_ctx *ctx = r->ctx;
    char doing[64];
    MPI_Request rq;
    size_t i;
    long long n = 0, total = 0;
    int rc;

    memset(r->mine, 0, r->nbytes);
    for (i = 0; i < r->plan.n; i++) {
        const struct mpift_pfile *f = &r->plan.f[i];
        if (f->type != MPIFT_PT_FILE || !is_writer(r, f))
            continue;
        if (round == 0) {
            if (r->rootfd < 0 && !ctx->dry_run) {
                r->state[i] = MPIFT_FS_FAILED; /* root unusable, already reported */
                continue;
            }
            if (!ctx->force && r->rootfd >= 0 &&
                (f->extract ? mpift_extract_unchanged(r, i)
                            : mpift_sink_unchanged(r->rootfd, f->dest, f->size, f->mtime_sec, f->mtime_nsec))) {
                r->state[i] = MPIFT_FS_SKIPPED;
                continue;
            }
            if (mpift_in_cache_lookup(r, i))
                continue;   /* placed from the cache after preflight */
        } else if (r->state[i] != MPIFT_FS_RETRY) {
            continue;
        }
        setbit(r->mine, i);
        n++;
    }
    if (round == 0)
        snprintf(doing, sizeof(doing), "waiting for every rank to say what it needs");
    else
        snprintf(doing, sizeof(doing), "waiting for every rank to finish round %d", round);
    rc = mpift_wait_coll(&ctx->watch, doing, MPI_Iallgather(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, r->all,
                                                            (int)r->nbytes, MPI_BYTE, ctx->comm, &rq), &rq);
    if (rc == MPIFT_OK)
        rc = mpift_wait_coll(&ctx->watch, doing, MPI_Iallreduce(&n, &total, 1, MPI_LONG_LONG, MPI_SUM, ctx->comm,
                                                                &rq), &rq);
    return rc != MPIFT_OK ? rc : total;
}

/* 2-4. Round after round until nothing is needed, the retries are spent,
 * or the run stopped (a dry run prints the plan instead). */
static int run_rounds(struct mpift_in_run *r)
{
    struct mpift_ctx *ctx = r->ctx;
    long long need;
    int round, rc, extra = 0;

    /* extra: a round added when a cache hit's entry went before it could
     * be placed (stage_in_cache.c), so the file is fetched, not failed. */
    for (round = 0; round <= ctx->cfg->retries + extra; round++) {
        need = share_needs(r, round);
        if (need < 0)
            return (int)need;
        if (ctx->dry_run) {
            if (r->rank == 0)
                mpift_in_dry_run(r);
            break;
        }
        if (round == 0) {
            /* Before the sweep: a base found is locked, and so kept. */
            rc = need > 0 ? mpift_in_bases(r) : MPIFT_OK;
            if (rc != MPIFT_OK)
                return rc;
            rc = preflight(r);
            if (rc == MPIFT_ERR_FILES) {   /* refused: summary and report say so */
                r->stopped = 1;
                r->refused = 1;
                break;
            }
            if (rc != MPIFT_OK)
                return rc;
            mpift_in_cache_place(r);
            if (ctx->cfg->cache_dir &&
                (rc = mpift_agree_any(ctx->comm, r->cache_refetch, &extra, &ctx->watch,
                                      "waiting for every rank to place what its cache holds")) != MPIFT_OK)
                return rc;
        }
        if (need == 0 && !(round == 0 && extra))
            break;
        rc = need == 0 ? MPIFT_OK : mpift_in_round(r, round, round == ctx->cfg->retries + extra);
        if (rc != MPIFT_OK)
            return rc;
        if (r->stopped)
            break;
    }
    /* Every rank is here, or none: rounds end together. */
    return ctx->cfg->cache_dir && !ctx->dry_run ? mpift_in_cache_wrong(r) : MPIFT_OK;
}

#define REPORT "waiting for every rank's part of the report"

/* With cache.dir: every rank's cache marks (enum mpift_cmark) onto rank 0. */
static int gather_marks(struct mpift_in_run *r, unsigned char *marks)
{
    MPI_Request rq;

    return mpift_wait_coll(&r->ctx->watch, REPORT, MPI_Igather(r->cmark, (int)r->plan.n, MPI_BYTE, marks,
                                                               (int)r->plan.n, MPI_BYTE, 0, r->ctx->comm, &rq), &rq);
}

/* The bytes each writer's copies took from their bases, summed on rank 0
 * (every rank has both arrays with a report: an allocation that failed
 * stopped the run). */
static int sum_bases(struct mpift_in_run *r)
{
    MPI_Request rq;
    int rc, n = (int)r->plan.n;

    rc = mpift_wait_coll(&r->ctx->watch, REPORT, MPI_Ireduce(r->rank ? r->resumed : MPI_IN_PLACE, r->resumed, n,
                                                             MPI_UINT64_T, MPI_SUM, 0, r->ctx->comm, &rq), &rq);
    if (rc == MPIFT_OK)
        rc = mpift_wait_coll(&r->ctx->watch, REPORT,
                             MPI_Ireduce(r->rank ? r->delta_saved : MPI_IN_PLACE, r->delta_saved, n, MPI_UINT64_T,
                                         MPI_SUM, 0, r->ctx->comm, &rq), &rq);
    return rc;
}

/*
 * --report: gather every rank's states and notes on rank 0, which writes
 * the file.  Collective; returns the same code on every rank (MPIFT_ERR_IO
 * when the report could not be written).
 */
static int report(struct mpift_in_run *r, const struct mpift_tally *tally, int status, double secs)
{
    struct mpift_stage_report rep = {.ctx = r->ctx, .plan = &r->plan, .libs = &r->libs, .tally = tally,
                                     .seconds = secs, .status = status, .extracts = &r->ex};
    struct mpift_report_rank *ranks = NULL;
    unsigned char *states = NULL, *marks = NULL;
    char *notes = NULL;
    struct mpift_watch *w = &r->ctx->watch;
    MPI_Request rq;
    int len = (int)r->notes.len, ok = r->plan.n <= INT_MAX, q, rc;
    size_t total = 0;

    rc = mpift_wait_coll(w, REPORT, MPI_Igather(&len, 1, MPI_INT, r->nlens, 1, MPI_INT, 0, r->ctx->comm, &rq), &rq);
    if (rc == MPIFT_OK && r->rank == 0 && ok) {
        for (q = 0; q < r->size; q++) {
            r->ndispls[q] = (int)total;
            total += (size_t)r->nlens[q];
        }
        states = calloc((size_t)r->size * (r->plan.n ? r->plan.n : 1), 1);
        marks = r->ctx->cfg->cache_dir ? calloc((size_t)r->size * (r->plan.n ? r->plan.n : 1), 1) : NULL;
        notes = malloc(total + 1);   /* messages are kept short: ranks x failures */
        ranks = calloc((size_t)r->size, sizeof(*ranks));
        ok = states && notes && ranks && (marks || !r->ctx->cfg->cache_dir);
    }
    if (rc == MPIFT_OK)
        rc = mpift_wait_coll(w, REPORT, MPI_Ibcast(&ok, 1, MPI_INT, 0, r->ctx->comm, &rq), &rq);
    if (rc == MPIFT_OK && !ok) {
        /* Known on every rank: all skip the gathers alike.  A kept result
         * alone that finds no memory leaves the run as it was. */
        if (r->rank == 0 && r->ctx->report_path)
            mpift_log_error("%s: not made: out of memory for %zu files x %d ranks", r->ctx->report_path,
                            r->plan.n, r->size);
        else if (r->rank == 0)
            mpift_log_error("no memory for the run's result (%zu files x %d ranks): mpift_result() will find none",
                            r->plan.n, r->size);
        rc = r->ctx->report_path ? MPIFT_ERR_IO : MPIFT_OK;
        goto out;
    }
    if (rc == MPIFT_OK)
        rc = mpift_wait_coll(w, REPORT, MPI_Igather(r->state, (int)r->plan.n, MPI_BYTE, states, (int)r->plan.n,
                                                    MPI_BYTE, 0, r->ctx->comm, &rq), &rq);
    /* cache.dir is every rank's alike: all gather the marks, or none
     * (a rank without the cache, or without memory for it, sends zeros). */
    if (rc == MPIFT_OK && r->ctx->cfg->cache_dir)
        rc = gather_marks(r, marks);
    if (rc == MPIFT_OK)
        rc = sum_bases(r);
    if (rc == MPIFT_OK)
        rc = mpift_wait_coll(w, REPORT, MPI_Igatherv(r->notes.text ? r->notes.text : "", len, MPI_CHAR, notes,
                                                     r->nlens, r->ndispls, MPI_CHAR, 0, r->ctx->comm, &rq), &rq);
    if (rc == MPIFT_OK && r->rank == 0) {
        for (q = 0; q < r->size; q++)
            ranks[q] = (struct mpift_report_rank){.plan = &r->plan, .state = states + (size_t)q * r->plan.n,
                                                  .cache = marks ? marks + (size_t)q * r->plan.n : NULL,
                                                  .digest = r->digest, .wire = r->wire, .holes = r->holes,
                                                  .resumed = r->resumed, .delta_saved = r->delta_saved,
                                                  .notes = notes + r->ndispls[q],
                                                  .notes_len = (size_t)r->nlens[q]};
        rep.ranks = ranks;
        rc = mpift_stage_report_write(&rep, r->ctx->keep_result ? &r->ctx->kept : NULL);
    }
    if (rc != MPIFT_ERR_MPI &&
        mpift_wait_coll(w, REPORT, MPI_Ibcast(&rc, 1, MPI_INT, 0, r->ctx->comm, &rq), &rq) != MPIFT_OK)
        rc = MPIFT_ERR_MPI;
out:
    free(states);
    free(marks);
    free(notes);
    free(ranks);
    return rc;
}

#define FINISH "waiting for every rank to finish"

/*
 * 5. Every rank's counts onto rank 0, which prints the summary line and a
 * table per node (errors were named as they happened).  The tally is
 * rank 0's, for --report too.
 */
static void summary(struct mpift_in_run *r, struct mpift_tally *t, double secs)
{
    const struct mpift_topo *topo = &r->ctx->topo;
    double row[MPIFT_TALLY_N] = {(double)r->written, 0, 0, (double)r->bytes, r->t_done};
    char head[MPIFT_WHY_MAX];
    MPI_Request rq;
    size_t i;
    int q, k;

    for (i = 0; i < r->plan.n; i++) {
        if (r->state[i] == MPIFT_FS_SKIPPED)
            row[MPIFT_TALLY_UNCHANGED]++;
        else if (r->state[i] == MPIFT_FS_FAILED || r->state[i] == MPIFT_FS_RETRY)
            row[MPIFT_TALLY_FAILED]++;
    }
    if (row[MPIFT_TALLY_FAILED] > 0)
        r->local_fail = 1;
    if (r->ctx->dry_run)
        return;
    mpift_wait_coll(&r->ctx->watch, FINISH, MPI_Igather(row, MPIFT_TALLY_N, MPI_DOUBLE, r->rows, MPIFT_TALLY_N,
                                                        MPI_DOUBLE, 0, r->ctx->comm, &rq), &rq);
    if (r->rank != 0)
        return;
    t->rank = r->rows;
    for (q = 0; q < r->size; q++)
        for (k = 0; k < MPIFT_TALLY_SECONDS; k++)
            t->total[k] += (uint64_t)r->rows[q * MPIFT_TALLY_N + k];
    t->total[MPIFT_TALLY_FAILED] += r->plan.nerrors;
    t->unplanned = r->plan.nerrors;
    t->unread = r->plan.nunread;
    snprintf(head, sizeof(head), "%llu file%s (%.1f MB) onto %d node%s, %d rank%s",
             (unsigned long long)r->plan.nfiles, r->plan.nfiles == 1 ? "" : "s", (double)r->plan.bytes / 1e6,
             topo->nnodes, topo->nnodes == 1 ? "" : "s", topo->size, topo->size == 1 ? "" : "s");
    mpift_summary_print(head, t, topo, secs, 1);
}

/* 5. The end: summary, the status every rank returns, --report. */
static int finish(struct mpift_in_run *r, double t0)
{
    struct mpift_ctx *ctx = r->ctx;
    struct mpift_tally tally;
    int rc, any_fail = 0, rrc;

    memset(&tally, 0, sizeof(tally));
    r->t_done = MPI_Wtime() - t0;
    summary(r, &tally, MPI_Wtime() - t0);
    if ((rc = mpift_libs_tell(r)) != MPIFT_OK)
        return rc;
    if (r->rank == 0 && r->batches)
        mpift_log_verbose("%llu small files went in %llu batch messages", (unsigned long long)r->batched,
                          (unsigned long long)r->batches);
    rc = mpift_agree_any(ctx->comm, r->local_fail, &any_fail, &ctx->watch, FINISH);
    if (rc == MPIFT_OK && any_fail)
        rc = MPIFT_ERR_FILES;
    if ((rc == MPIFT_OK || rc == MPIFT_ERR_FILES) && mpift_report_wanted(ctx) && !ctx->dry_run) {
        rrc = report(r, &tally, rc, MPI_Wtime() - t0);
        if (rrc != MPIFT_OK && rc == MPIFT_OK)
            rc = rrc == MPIFT_ERR_IO ? MPIFT_ERR_FILES : rrc;
        else if (rrc == MPIFT_ERR_MPI)
            rc = rrc;
    }
    return mpift_stage_result_share(ctx, rc);
}

/* ------------------------------------------------------------ the steps (stage/run.h) */

static int in_refuse(const struct mpift_ctx *ctx)
{
    if (ctx->cfg->n_in != 0)
        return MPIFT_OK;
    if (ctx->topo.rank == 0)
        mpift_log_error("%s: stage_in lists no files: nothing to stage in", ctx->cfg->file);
    return MPIFT_ERR_CONFIG;
}

static int in_init(void *run, struct mpift_ctx *ctx)
{
    return run_init(run, ctx);
}

static int in_move(void *run)
{
    struct mpift_in_run *r = run;
    int rc;

    if (mpift_in_open_root(r) != MPIFT_OK)
        r->local_fail = 1;
    mpift_in_cache_open(r);
    rc = run_rounds(r);
    mpift_in_cache_end(r);
    if (r->rank == 0)
        mpift_keys_forget(r->ctx, &r->plan);   /* "run again" must then read a key found wrong */
    /* A program stays on a node only with all its libraries (libs.h),
     * however the rounds ended: an MPI or protocol error, or a stop,
     * leaves committed programs too.  Local, no message: safe on any
     * exit (it passes over a refused run and a root never opened). */
    mpift_libs_settle(r);
    /* Archives unpack before their folders take their modes (a read-only
     * folder could not take the tree). */
    if (rc == MPIFT_OK && r->xfer_on)
        mpift_extract_unpack(r);
    /* Kept folder modes once their files are in (a read-only folder could
     * not have taken them); a refused run touches nothing. */
    if (r->folders_made)
        mpift_folders_modes(&r->folders, r->rootfd);
    return rc;
}

static struct mpift_xfer *in_xfer(void *run)
{
    struct mpift_in_run *r = run;

    return r->xfer_on ? &r->x : NULL;
}

static int in_finish(void *run, int rc, double t0)
{
    return rc == MPIFT_OK ? finish(run, t0) : rc;
}

static void in_free(void *run)
{
    run_free(run);
}

static const struct mpift_run_ops in_ops = {
    .refuse = in_refuse, .init = in_init, .move = in_move, .xfer = in_xfer, .finish = in_finish, .free = in_free,
};

int mpift_stage_in_run(struct mpift_ctx *ctx)
{
    struct mpift_in_run r;

    return mpift_stage_run(ctx, &in_ops, &r);
}
