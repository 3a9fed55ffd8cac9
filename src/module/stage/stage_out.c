/*
 * stage_out.c - stage-out: gather result files onto rank 0.
 *
 *  1. every writer (each node's leader, every rank, or rank 0 alone, by
 *     `copies`) expands stage_out against its own dest root, templates
 *     expanded for its rank, and sends rank 0 that list;
 *  2. rank 0 decides per file: two writers with one final path under
 *     paths.collect is an error naming both (neither is copied, nothing is
 *     overwritten); a file already in collect with the same size and mtime
 *     is skipped unless --force;
 *  3. writer by writer, rank 0 sends the list of files it wants and the
 *     writer sends them with the verified, atomic transfer of stage-in;
 *     files whose copy did not verify are asked for again, up to
 *     transfer.retries times; an empty list ends the writer's part;
 *  4. rank 0 prints the summary and writes --report (summary.h,
 *     report.h); every rank returns the same status.
 * The lists and requests travel on the service communicator, the files on
 * the data one.
 */
#include "mpift_autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "fs/walk.h"
#include "engine/sink.h"
#include "engine/xfer.h"
#include "fs/fsafe.h"
#include "fs/roots.h"
#include "job/context.h"
#include "stage/folders.h"
#include "stage/plan.h"
#include "stage/preflight.h"
#include "stage/report.h"
#include "stage/result.h"
#include "stage/stage.h"
#include "stage/summary.h"
#include "stage/run.h"
#include "stage/stage_out.h"
#include "util/log.h"
#include "util/progress.h"
#include "comm/status.h"
#include "comm/wait.h"
#include "wire/tags.h"
#include "wire/want.h"

static int out_run_init(struct out_run *r, struct mpift_ctx *ctx)
{
    int nomem = 0;

    memset(r, 0, sizeof(*r));
    r->collectfd = r->realfd = -1;   /* nothing open yet */
    r->ctx = ctx;
    r->rank = ctx->topo.rank;
    r->size = ctx->topo.size;
    if (r->rank != 0)
        return MPIFT_OK;
    r->w = calloc((size_t)r->size, sizeof(*r->w));
    if (mpift_report_wanted(ctx)) {
        r->rows = calloc((size_t)r->size * MPIFT_TALLY_N, sizeof(*r->rows));
        r->listed = calloc((size_t)r->size, sizeof(*r->listed));
        r->ranks = calloc((size_t)r->size, sizeof(*r->ranks));
        nomem = !r->rows || !r->listed || !r->ranks;
    }
    return !r->w || nomem ? MPIFT_ERR_NOMEM : MPIFT_OK;
}

static void out_run_free(struct out_run *r)
{
    int w;

    mpift_root_release(&r->hold);
    if (r->collectfd >= 0)
        close(r->collectfd);   /* and with it the run's lock */
    if (r->realfd >= 0)
        close(r->realfd);
    if (r->xfer_on)
        mpift_xfer_free(&r->x);
    for (w = 0; r->w && w < r->size; w++) {
        if (w != 0)   /* writer 0's plan is a view of r->mine */
            mpift_plan_free(&r->w[w].plan);
        free(r->w[w].state);
        free(r->w[w].digest);
        free(r->w[w].wire);
        free(r->w[w].holes);
        mpift_notes_free(&r->w[w].notes);
    }
    free(r->w);
    free(r->rows);
    free(r->listed);
    free(r->ranks);
    mpift_plan_free(&r->mine);
}

/* Rank 0: is entry i of writer w a file still to be copied? */
static int wanted(const struct out_run *r, int w, size_t i)
{
    return r->w[w].plan.f[i].type == MPIFT_PT_FILE && r->w[w].state[i] == MPIFT_FS_NONE;
}

/* Rank 0: file i of writer w failed for good. */
static void fail_file(struct out_run *r, int w, size_t i, const char *why)
{
    r->failed++;
    r->w[w].state[i] = MPIFT_FS_FAILED;
    if (mpift_report_wanted(r->ctx))
        mpift_notes_add(&r->w[w].notes, i, why);
}

/* 1. A writer lists its results; it will read them below its dest root,
 * walked as a dest root is (no other user's link makes it read elsewhere). */
static int list_mine(struct out_run *r)
{
    char why[MPIFT_WHY_MAX];

    if ((r->realfd = mpift_walk_open(r->ctx->dest_root, 0, 0, r->real, why, sizeof(why))) < 0) {
        mpift_log_error("dest root %s: %s: nothing to stage out from this node", r->ctx->dest_root, why);
        r->realfd = -1;
        r->mine.nerrors = 1;
        r->mine.nunread = 1;   /* its files are unknown */
        return MPIFT_OK;
    }
    mpift_xfer_source_root(&r->x, r->realfd, r->real);
    return mpift_plan_build_out(r->ctx->cfg, r->real, &r->ctx->topo, r->rank, &r->mine);
}

/* 1. Rank 0: every writer's list, and room for what becomes of it.
 * *most: the longest list. */
static int take_lists(struct out_run *r, size_t *most)
{
    int w, rc = MPIFT_OK;

    for (w = 0; w < r->size && rc == MPIFT_OK; w++) {
        struct writer *wr = &r->w[w];
        if (!mpift_ctx_writer(r->ctx, w))
            continue;
        if (w == 0)
            wr->plan = r->mine;   /* a view: r->mine owns the records */
        else
            rc = mpift_plan_recv(&wr->plan, w, r->ctx->svc_comm, &r->ctx->watch);
        if (rc != MPIFT_OK)
            break;
        r->errors += wr->plan.nerrors;
        r->unread += wr->plan.nunread;
        if (!(wr->state = calloc(wr->plan.n + 1, 1)))
            rc = MPIFT_ERR_NOMEM;
        if (mpift_report_wanted(r->ctx) && (!(wr->digest = calloc(wr->plan.n + 1, sizeof(*wr->digest))) ||
                                    !(wr->wire = calloc(wr->plan.n + 1, sizeof(*wr->wire))) ||
                                    !(wr->holes = calloc(wr->plan.n + 1, sizeof(*wr->holes)))))
            rc = MPIFT_ERR_NOMEM;
        if (wr->plan.n > *most)
            *most = wr->plan.n;
    }
    return rc;
}

static int send_want(struct out_run *r, int w, const uint64_t *ids, uint64_t n)
{
    struct mpift_wait wt;
    unsigned char *buf;
    size_t len;
    int rc = mpift_want_encode(ids, n, &buf, &len);

    mpift_wait_start(&wt, &r->ctx->watch, w, "sending the list of files wanted to", NULL, NULL);
    if (rc == MPIFT_OK && (len > INT_MAX || mpift_wait_send(&wt, buf, (int)len, MPI_BYTE, w, MPIFT_TAG_SVC_WANT,
                                                            r->ctx->svc_comm) != MPIFT_OK))
        rc = len > INT_MAX ? MPIFT_ERR_RANGE : MPIFT_ERR_MPI;
    free(buf);
    return rc;
}

/* A writer: the next list rank 0 wants (*n 0: none more). */
static int recv_want(struct out_run *r, uint64_t **ids, uint64_t *n)
{
    struct mpift_wait wt;
    unsigned char *buf;
    char why[128];
    int len, rc;

    /* Rank 0 may be taking other writers' files first: an idle wait. */
    mpift_wait_start(&wt, &r->ctx->watch, 0, "waiting for the list of files wanted by", NULL, NULL);
    rc = mpift_wait_recv_bytes(&wt, 0, MPIFT_TAG_SVC_WANT, r->ctx->svc_comm, &buf, &len);
    if (rc == MPIFT_OK && (rc = mpift_want_decode(buf, (size_t)len, r->mine.n, ids, n, why, sizeof(why))) != MPIFT_OK)
        mpift_log_error("rank 0 sent %s: protocol error", rc == MPIFT_ERR_PROTO ? why : "a list of files wanted");
    free(buf);
    return rc;
}

/*
 * 2b. Rank 0, before any bytes move: collect held for this run (a second
 * run into it is refused), dead runs' temporaries swept from its folders,
 * room and inodes under collect for every file it will take and its
 * folders, and write access there (preflight.h, folders.h).  If not,
 * every wanted file fails with the reason and the writers are released
 * having sent nothing (exit 1; the report names the cause per file).
 * Returns 0 if the run may go on.
 */
static int preflight(struct out_run *r)
{
    struct mpift_folders fl = { NULL, 0, 0, 0 };
    struct mpift_room room;
    char why[MPIFT_WHY_MAX];
    size_t i;
    int w, lock = mpift_root_hold(r->collectfd, r->collect, &r->hold, why, sizeof(why)), bad = 0;

    mpift_room_start(&room, r->collectfd, r->collect);
    for (w = 0; w < r->size; w++)
        for (i = 0; r->w[w].state && i < r->w[w].plan.n; i++)
            if (wanted(r, w, i)) {
                mpift_room_add(&room, r->w[w].plan.f[i].size);
                mpift_folders_add(&fl, &r->w[w].plan.f[i]);
            }
    if (lock == MPIFT_HOLD_NOREG)   /* the collect folder's own flock still holds (stage_in_dest.c) */
        mpift_log_warn("paths.collect %s: %s: going on with this folder's own lock only (a run into a folder "
                       "inside or above it is not kept out); remove that folder", r->collect, why);
    if (lock == MPIFT_HOLD_BUSY || lock == MPIFT_HOLD_ERROR) {
        char cause[MPIFT_WHY_MAX];
        memcpy(cause, why, sizeof(cause));
        mpift_format(why, sizeof(why), "%s%s: nothing was copied; %s or point paths.collect elsewhere",
                     lock == MPIFT_HOLD_BUSY ? "" : "paths.collect: ", cause,
                     lock == MPIFT_HOLD_BUSY ? "wait for it to end" : "fix that");
        mpift_log_error("%s", why);
        bad = 1;
    } else if (mpift_folders_done(&fl) == MPIFT_OK) {
        for (w = 0; w < r->size; w++)
            for (i = 0; r->w[w].state && i < r->w[w].plan.n; i++)
                if (wanted(r, w, i))
                    mpift_folders_need(&fl, r->w[w].plan.f[i].dest);
        bad = mpift_folders_check(&fl, r->collectfd, r->collect, lock == MPIFT_HOLD_OK, &room, "copied",
                                  "paths.collect", why, sizeof(why)) != 0;
        if (bad)
            mpift_log_error("%s", why);
    }
    mpift_folders_free(&fl);
    if (!bad && mpift_room_check(&room, NULL, "copied", "paths.collect", why, sizeof(why)) == 0)
        return 0;
    for (w = 0; w < r->size; w++)
        for (i = 0; r->w[w].state && i < r->w[w].plan.n; i++)
            if (wanted(r, w, i))
                fail_file(r, w, i, why);
    return -1;
}

/* Rank 0: the outcome of file id of writer w in this round; returns 1 when
 * it is to be asked for again. */
static int account(struct out_run *r, int w, uint64_t id, const struct mpift_outcome *res, int round)
{
    struct writer *wr = &r->w[w];
    int again = res->status == MPIFT_ERR_CHECKSUM && round < r->ctx->cfg->retries;

    if (again)
        r->meter.bytes += wr->plan.f[id].size;   /* it comes again */
    else
        mpift_meter_add(&r->meter, 0);   /* its bytes were counted chunk by chunk */
    if (res->status == MPIFT_OK) {
        r->written++;
        r->bytes += res->bytes;
        wr->state[id] = MPIFT_FS_DONE;
        wr->bytes += res->bytes;
        if (wr->digest)
            wr->digest[id] = res->digest;
        if (wr->wire)
            wr->wire[id] = res->wire;
        if (wr->holes)
            wr->holes[id] = res->holes;
    } else if (again) {
        mpift_log_warn("%s (from %s); re-sending (attempt %d of %d)", res->why,
                       mpift_topo_label(&r->ctx->topo, w).s, round + 2,
                       r->ctx->cfg->retries + 1);
    } else {
        fail_file(r, w, id, res->why);
        /* The writer names a file it could not read; rank 0 the rest,
         * and one that kept changing while it was read. */
        if (!res->source_failed || w == 0 || res->status == MPIFT_ERR_CHECKSUM)
            mpift_log_error("%s (from %s)%s", res->why, mpift_topo_label(&r->ctx->topo, w).s,
                            res->source_failed && res->status == MPIFT_ERR_CHECKSUM ? MPIFT_CHANGED_HINT : "");
        if (r->ctx->cfg->abort_on_error)
            r->stopped = 1;
    }
    return again;
}

/* 3. Rank 0: every wanted file of writer w, with the retries. */
static int collect_from(struct out_run *r, int w, uint64_t *ids)
{
    struct mpift_plan *p = &r->w[w].plan;
    struct mpift_target tgt = { r->collectfd, r->collect };
    struct mpift_route from = { .parent = w, .ntrees = 1 }, local = { .parent = -1, .ntrees = 1 };
    struct mpift_outcome res;
    uint64_t n = 0, k, again;
    size_t i;
    int round, rc = MPIFT_OK;

    for (i = 0; i < p->n; i++)
        if (wanted(r, w, i))
            ids[n++] = i;
    for (round = 0; rc == MPIFT_OK; round++) {
        if (w != 0)
            rc = send_want(r, w, ids, n);
        if (rc != MPIFT_OK || n == 0)
            break;
        for (k = 0, again = 0; k < n && rc == MPIFT_OK; k++) {
            struct mpift_pfile *f = &p->f[ids[k]];
            if (r->stopped) {
                /* The writer sends its whole list: take the rest, keep none. */
                r->failed++;
                if (w != 0)
                    rc = mpift_xfer_receive(&r->x, ids[k], f, &from, NULL, &res);
                mpift_meter_add(&r->meter, 0);
                continue;
            }
            rc = w == 0 ? mpift_xfer_source(&r->x, ids[k], f, &local, &tgt, &res)
                        : mpift_xfer_receive(&r->x, ids[k], f, &from, &tgt, &res);
            if (rc != MPIFT_OK)
                break;
            if (account(r, w, ids[k], &res, round))
                ids[again++] = ids[k];
            else if (r->stopped) {
                r->failed += again;  /* never copied */
                again = 0;
            }
        }
        n = again;
    }
    return rc;  /* the last (empty) list released the writer */
}

/* 3. A writer: send what rank 0 asks for until it asks for nothing. */
static int serve_rank0(struct out_run *r)
{
    struct mpift_route to0;
    struct mpift_outcome res;
    uint64_t n, k, *ids = NULL;
    int zero = 0, rc = MPIFT_OK;

    to0 = (struct mpift_route){ .parent = -1, .children = &zero, .nchildren = 1, .ntrees = 1 };
    for (;;) {
        free(ids);
        ids = NULL;
        if ((rc = recv_want(r, &ids, &n)) != MPIFT_OK || n == 0)
            break;
        for (k = 0; k < n && rc == MPIFT_OK; k++) {
            if (r->mine.f[ids[k]].type != MPIFT_PT_FILE) {
                mpift_log_error("rank 0 asked for file %llu of %zu: protocol error", (unsigned long long)ids[k],
                                r->mine.n);
                rc = MPIFT_ERR_PROTO;
                break;
            }
            rc = mpift_xfer_source(&r->x, ids[k], &r->mine.f[ids[k]], &to0, NULL, &res);
            /* A file that changed while it was read: rank 0 may ask
             * again, and says how it ended. */
            if (rc == MPIFT_OK && res.source_failed && res.status == MPIFT_ERR_CHECKSUM)
                mpift_log_warn("%s", res.why);
            else if (rc == MPIFT_OK && res.source_failed)
                mpift_log_error("%s", res.why);
        }
        if (rc != MPIFT_OK)
            break;
    }
    free(ids);
    return rc;
}

/* --dry-run: rank 0 tells what would come from where. */
static void print_plan(struct out_run *r)
{
    struct mpift_dry_run d = { 0, 0 };
    char tail[MPIFT_HOST_MAX + 64];
    size_t i;
    int w;

    for (w = 0; w < r->size; w++)
        for (i = 0; i < r->w[w].plan.n; i++) {
            const struct mpift_pfile *f = &r->w[w].plan.f[i];
            if (f->type != MPIFT_PT_FILE)
                continue;
            snprintf(tail, sizeof(tail), " <- %s", mpift_topo_label(&r->ctx->topo, w).s);
            mpift_dry_run_file(&d, (enum mpift_fstate)r->w[w].state[i], f, tail);
        }
    mpift_dry_run_end(&d, r->ctx, NULL, r->collect);
}

/* Rank 0, before the files move: collect folders and the meter's totals. */
static void get_ready(struct out_run *r)
{
    size_t i;
    int w;
    const struct mpift_topo *t = &r->ctx->topo;

    if (preflight(r) == 0)
        mpift_out_make_folders(r);
    mpift_meter_start(&r->meter, r->ctx->progress, r->ctx->progress_fd, r->ctx->log.quiet, 1, 0, 0);
    /* JSON lines: each node's figures are what came from its writers. */
    mpift_meter_label(&r->meter, "stage-out", 1, t->nnodes, (const char (*)[MPIFT_HOST_MAX])t->hosts, t->leaders);
    /* The totals cost a pass over every list: only for a meter. */
    for (w = 0; r->meter.on && w < r->size; w++)
        for (i = 0; r->w[w].state && i < r->w[w].plan.n; i++)
            if (wanted(r, w, i)) {
                r->meter.files++;
                r->meter.bytes += r->w[w].plan.f[i].size;
                mpift_meter_node(&r->meter, t->node_of[w], r->w[w].plan.f[i].size);
            }
    r->x.meter = r->meter.on ? &r->meter : NULL;
}

/* 3. Rank 0: writer by writer (each released with an empty list, also
 * when collect could not be opened: rc MPIFT_ERR_IO). */
static int collect_all(struct out_run *r, size_t most, int rc)
{
    uint64_t *ids = malloc((most ? most : 1) * sizeof(*ids));
    size_t i;
    int w;

    if (!ids && rc == MPIFT_OK)
        rc = MPIFT_ERR_NOMEM;
    for (w = 0; w < r->size; w++) {
        if (!mpift_ctx_writer(r->ctx, w))
            continue;
        if (rc == MPIFT_OK && r->stopped) {
            for (i = 0; i < r->w[w].plan.n; i++)
                r->failed += wanted(r, w, i);
            rc = w != 0 ? send_want(r, w, NULL, 0) : MPIFT_OK;
        } else if (rc == MPIFT_OK) {
            double t0 = MPI_Wtime();
            mpift_meter_toward_none(&r->meter);
            mpift_meter_toward(&r->meter, r->ctx->topo.node_of[w]);
            rc = collect_from(r, w, ids);
            r->w[w].secs = MPI_Wtime() - t0;
        } else if (rc == MPIFT_ERR_IO && w != 0 && send_want(r, w, NULL, 0) != MPIFT_OK) {
            rc = MPIFT_ERR_MPI;  /* no collect folder: release every writer */
        }
    }
    free(ids);
    return rc;
}

/* Rank 0's part. */
static int run_rank0(struct out_run *r)
{
    char why[MPIFT_WHY_MAX];
    size_t most = 0;
    int w, rc;

    rc = take_lists(r, &most);
    if (rc != MPIFT_OK)
        return rc;
    r->collectfd = r->ctx->dry_run ? open(r->collect, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                                   : mpift_root_open(r->collect, why, sizeof(why));
    if (r->collectfd < 0 && !r->ctx->dry_run) {
        mpift_log_error("paths.collect %s: %s", r->collect, why);
        rc = MPIFT_ERR_IO;
    }
    if (r->collectfd < 0)
        r->collectfd = -1;
    if (rc == MPIFT_OK)
        rc = mpift_out_decide(r);
    if (rc == MPIFT_OK && r->ctx->dry_run) {
        print_plan(r);
        for (w = 1; w < r->size && rc == MPIFT_OK; w++)
            if (mpift_ctx_writer(r->ctx, w))
                rc = send_want(r, w, NULL, 0);
        return rc;
    }
    if (rc == MPIFT_OK)
        get_ready(r);
    rc = collect_all(r, most, rc);
    mpift_meter_end(&r->meter);
    r->x.meter = NULL;
    if (r->stopped)
        mpift_log_error("stopped at the first failure (transfer.on_error = \"abort\" in %s): the files not yet "
                        "copied are counted as failed", r->ctx->cfg->file);
    return rc;
}

/* Rank 0, at the end: the tally of every writer (rows only for a report). */
static void tally(struct out_run *r, struct mpift_tally *t)
{
    size_t i;
    int w;

    memset(t, 0, sizeof(*t));
    t->total[MPIFT_TALLY_WRITTEN] = r->written;
    t->total[MPIFT_TALLY_UNCHANGED] = r->skipped;
    t->total[MPIFT_TALLY_FAILED] = r->failed + r->errors;
    t->total[MPIFT_TALLY_BYTES] = r->bytes;
    t->unplanned = r->errors;
    t->unread = r->unread;
    t->serial = 1;   /* writers are served one after another */
    if (!r->rows)
        return;
    for (w = 0; w < r->size; w++) {
        const struct writer *wr = &r->w[w];
        double *row = r->rows + (size_t)w * MPIFT_TALLY_N;
        r->listed[w] = wr->state != NULL;
        for (i = 0; wr->state && i < wr->plan.n; i++) {
            unsigned char st = wr->state[i];
            if (wr->plan.f[i].type == MPIFT_PT_FILE && st != MPIFT_FS_NONE)   /* not sent: no node count */
                row[st == MPIFT_FS_DONE ? MPIFT_TALLY_WRITTEN
                    : st == MPIFT_FS_SKIPPED ? MPIFT_TALLY_UNCHANGED : MPIFT_TALLY_FAILED]++;
        }
        row[MPIFT_TALLY_BYTES] = (double)wr->bytes;
        row[MPIFT_TALLY_SECONDS] = wr->secs;
        r->ranks[w] = (struct mpift_report_rank){ .plan = &wr->plan, .state = wr->state, .digest = wr->digest, .wire = wr->wire,
                                                  .holes = wr->holes, .notes = wr->notes.text, .notes_len = wr->notes.len };
    }
    t->rank = r->rows;
    t->listed = r->listed;
}

#define VERDICT "waiting for every rank to take rank 0's verdict"

/* 4. The verdict is rank 0's (it saw every file): every rank learns it;
 * rank 0 writes --report and prints the summary.  rc: this rank's run. */
static int finish(struct out_run *r, int rc, double t0)
{
    struct mpift_ctx *ctx = r->ctx;
    struct mpift_tally t;
    char head[MPIFT_WHY_MAX];
    int status = rc != MPIFT_OK ? rc : (r->failed || r->errors) ? MPIFT_ERR_FILES : MPIFT_OK;
    int ended = rc == MPIFT_OK || rc == MPIFT_ERR_IO;   /* every writer was released */
    MPI_Request rq;
    double secs;

    if (ended && mpift_wait_coll(&ctx->watch, VERDICT, MPI_Ibcast(&status, 1, MPI_INT, 0, ctx->comm, &rq), &rq) !=
                     MPIFT_OK)
        status = MPIFT_ERR_MPI;
    secs = MPI_Wtime() - t0;
    if (r->rank == 0 && ended && !ctx->dry_run)
        tally(r, &t);
    if (r->rank == 0 && mpift_report_wanted(ctx) && !ctx->dry_run && ended) {
        struct mpift_stage_report rep = { .ctx = ctx, .collect = r->collect, .ranks = r->ranks, .tally = &t,
                                          .seconds = secs, .status = status };
        if (mpift_stage_report_write(&rep, ctx->keep_result ? &ctx->kept : NULL) != MPIFT_OK && status == MPIFT_OK)
            status = MPIFT_ERR_FILES;   /* all ranks learn it below */
    }
    if (mpift_report_wanted(ctx) && !ctx->dry_run && ended &&
        mpift_wait_coll(&ctx->watch, VERDICT, MPI_Ibcast(&status, 1, MPI_INT, 0, ctx->comm, &rq), &rq) != MPIFT_OK)
        status = MPIFT_ERR_MPI;
    if (r->rank == 0 && !ctx->dry_run && ended) {
        snprintf(head, sizeof(head), "stage-out into %s", r->collect);
        mpift_summary_print(head, &t, &ctx->topo, secs, 0);
    }
    status = status == MPIFT_ERR_IO ? MPIFT_ERR_FILES : status;
    return ended ? mpift_stage_result_share(ctx, status) : status;
}

/* ------------------------------------------------------------ the steps (stage/run.h) */

static int out_refuse(const struct mpift_ctx *ctx)
{
    if (ctx->cfg->n_out != 0 && ctx->cfg->collect)
        return MPIFT_OK;
    if (ctx->topo.rank == 0)
        mpift_log_error("%s: %s: nothing to stage out (add %s)", ctx->cfg->file,
                        ctx->cfg->n_out == 0 ? "stage_out lists no files" : "paths.collect is not set",
                        ctx->cfg->n_out == 0 ? "stage_out = ( { src = \"out/*\"; dest = \"%h/\"; } );"
                                             : "collect = \"DIR\"; to paths");
    return MPIFT_ERR_CONFIG;
}

static int out_init(void *run, struct mpift_ctx *ctx)
{
    struct out_run *r = run;
    int rc = out_run_init(r, ctx);

    if (rc == MPIFT_OK && r->rank == 0 &&
        mpift_ctx_rank0_path(ctx, ctx->cfg->collect, r->collect, sizeof(r->collect)) != MPIFT_OK) {
        mpift_log_error("%s: paths.collect does not expand to a path", ctx->cfg->file);
        return MPIFT_ERR_CONFIG;   /* finish, which gets it, meets no other rank */
    }
    if (rc == MPIFT_OK) {
        r->xfer_on = 1;
        rc = mpift_xfer_init(&r->x, ctx->comm, ctx->cfg, 1, &ctx->watch);
        r->x.whole_wanted = mpift_report_wanted(ctx);
    }
    return rc;
}

static int out_move(void *run)
{
    struct out_run *r = run;
    int rc = MPIFT_OK, writer = mpift_ctx_writer(r->ctx, r->rank);

    if (writer)
        rc = list_mine(r);
    if (rc == MPIFT_OK && r->rank != 0 && writer)
        rc = mpift_plan_send(&r->mine, 0, r->ctx->svc_comm, &r->ctx->watch);
    if (rc == MPIFT_OK && r->rank == 0)
        rc = run_rank0(r);
    else if (rc == MPIFT_OK && writer)
        rc = serve_rank0(r);
    return rc;
}

static struct mpift_xfer *out_xfer(void *run)
{
    struct out_run *r = run;

    return r->xfer_on ? &r->x : NULL;
}

static int out_finish(void *run, int rc, double t0)
{
    return finish(run, rc, t0);
}

static void out_free(void *run)
{
    out_run_free(run);
}

static const struct mpift_run_ops out_ops = {
    .refuse = out_refuse, .init = out_init, .move = out_move, .xfer = out_xfer, .finish = out_finish,
    .free = out_free,
};

int mpift_stage_out_run(struct mpift_ctx *ctx)
{
    struct out_run r;

    return mpift_stage_run(ctx, &out_ops, &r);
}
