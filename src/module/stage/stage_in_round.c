/*
 * stage_in_round.c - one round of a stage-in (stage_in.h): file by file,
 * rank 0 sends to the ranks that need it along the file's route
 * (route.h); small files go in batches, many to a message.  Every rank
 * steps through the plan alike, on a file's route or not.  Also the dry
 * run's plan, which reads the same routes.
 */
#include "mpift_autoconf.h"

#include <stdio.h>

#include "mpift/mpift.h"
#include "comm/agree.h"
#include "stage/stage.h"
#include "stage/stage_in.h"
#include "stage/summary.h"
#include "util/log.h"
#include "util/progress.h"
#include "comm/wait.h"
#include "wire/proto.h"

/* The route of file i for this rank (route.h): from rank 0 to the other
 * ranks that need it, or round them all when they read it too
 * (source_shared.h; *choice says which, *who who cannot with REFUSE).
 * Returns 0 if I am not on it or nobody needs it. */
static int route_of(struct mpift_in_run *r, size_t i, struct mpift_route *rt, enum mpift_stripe_choice *choice,
                    int *who)
{
    const struct mpift_config *cfg = r->ctx->cfg;
    int m = 0, q;

    for (q = 1; q < r->size; q++)
        if (mpift_in_needs(r, q, i))
            r->recv[m++] = q;
    if (m == 0 && !mpift_in_needs(r, 0, i))
        return 0;
    *choice = mpift_shared_choice(r, i, r->recv, m, who);
    if (*choice == MPIFT_STRIPE_YES)
        return mpift_route_ring(0, r->recv, m, r->rank, &r->route, rt);
    return mpift_route_build(0, r->recv, m, r->rank, cfg->policy, cfg->fanout, &r->route, rt);
}

void mpift_in_dry_run(struct mpift_in_run *r)
{
    struct mpift_dry_run d = {0, 0};
    struct mpift_route rt;
    enum mpift_stripe_choice choice;
    char tail[64];
    size_t i;
    int q, n, who;

    for (i = 0; i < r->plan.n; i++) {
        const struct mpift_pfile *f = &r->plan.f[i];
        if (f->type != MPIFT_PT_FILE)
            continue;
        if (!route_of(r, i, &rt, &choice, &who)) {
            mpift_dry_run_file(&d, MPIFT_FS_SKIPPED, f, "");
            continue;
        }
        for (q = 0, n = 0; q < r->size; q++)
            n += mpift_in_needs(r, q, i);
        snprintf(tail, sizeof(tail), " -> %d %s", n, n == 1 ? "copy" : "copies");
        mpift_dry_run_file(&d, MPIFT_FS_NONE, f, tail);
    }
    mpift_dry_run_end(&d, r->ctx, &r->plan, NULL);
}

/* The outcome of file i on this rank. */
static void account(struct mpift_in_run *r, size_t i, const struct mpift_outcome *res, int mine, int round,
                    int last_round)
{
    /* A source that cannot be read, or that changed while it was read
     * (status CHECKSUM: sent again while retries remain), is named once,
     * by rank 0; every other failure by the writer that saw it. */
    int again = res->status == MPIFT_ERR_CHECKSUM && !last_round;

    /* A refused stripe: from rank 0 alone from now on (every rank of the
     * route saw the same COMPLETE). */
    if (res->stripe_failed)
        mpift_shared_unstripe(r, i);
    if (r->rank == 0 && res->source_failed && again) {
        mpift_log_warn("%s; re-sending%s (attempt %d of %d)", res->why, res->stripe_failed ? " from rank 0 alone" : "",
                       round + 2, r->ctx->cfg->retries + 1);
    } else if (r->rank == 0 && res->source_failed) {
        mpift_log_error("%s%s", res->why, res->stripe_failed ? MPIFT_STRIPE_HINT
                                          : res->status == MPIFT_ERR_CHECKSUM ? MPIFT_CHANGED_HINT : "");
        r->item_failed = 1;
    }
    if (r->digest && res->digest)
        r->digest[i] = res->digest;
    if (r->wire)
        r->wire[i] += res->wire;   /* every attempt's */
    if (r->holes)
        r->holes[i] += res->holes;
    if (!mine)
        return;
    if (res->status == MPIFT_OK) {
        if (r->resumed && r->delta_saved) {   /* summed on rank 0 for the report */
            r->resumed[i] += res->resumed;
            r->delta_saved[i] += res->delta_saved;
        }
        r->state[i] = MPIFT_FS_DONE;
        r->written++;
        r->bytes += res->bytes;
        mpift_in_cache_put(r, i, &res->committed);
    } else if (again) {
        r->state[i] = MPIFT_FS_RETRY;
        if (!res->source_failed)
            mpift_log_warn("%s; re-sending (attempt %d of %d)", res->why, round + 2, r->ctx->cfg->retries + 1);
    } else {
        r->state[i] = MPIFT_FS_FAILED;
        r->item_failed = 1;
        mpift_in_note(r, i, res->why);
        if (!res->source_failed)
            mpift_log_error("%s%s", res->why, res->status == MPIFT_ERR_CHECKSUM && round > 0
                                                  ? " (after all retries)" : "");
    }
}

/*
 * Small files travel in batches, many to a message: a file of at most an
 * eighth of a chunk, by its planned size, so every rank decides alike.
 */
static int batchable(const struct mpift_in_run *r, const struct mpift_pfile *f)
{
    return f->type == MPIFT_PT_FILE && f->size <= r->ctx->cfg->chunk_size / 8;
}

/* Does any rank need file i this round? */
static int anyone_needs(const struct mpift_in_run *r, size_t i)
{
    int q;
    for (q = 0; q < r->size; q++)
        if (mpift_in_needs(r, q, i))
            return 1;
    return 0;
}

/* Do files i and j go to the same ranks (and so down the same route)? */
static int same_route(const struct mpift_in_run *r, size_t i, size_t j)
{
    int q;
    for (q = 0; q < r->size; q++)
        if (mpift_in_needs(r, q, i) != mpift_in_needs(r, q, j))
            return 0;
    return 1;
}

/*
 * The batch that starts at file i: the following small files with the
 * same route, while they fit in one chunk-sized message (up to
 * BATCH_FILES).  Folders in between are passed over.  Fills r->batch;
 * returns the count.  Every rank of the route computes the same.
 */
static size_t gather_batch(struct mpift_in_run *r, size_t i)
{
    struct batch *b = r->batch;
    uint64_t used = MPIFT_BATCH_HDR + MPIFT_BATCH_ENTRY + r->plan.f[i].size;
    size_t n = 0, j;

    b->ids[n] = i;
    b->files[n++] = &r->plan.f[i];
    for (j = i + 1; j < r->plan.n && n < BATCH_FILES; j++) {
        const struct mpift_pfile *f = &r->plan.f[j];
        if (f->type != MPIFT_PT_FILE)
            continue;
        if (!batchable(r, f) || !same_route(r, i, j) ||
            used + MPIFT_BATCH_ENTRY + f->size > r->ctx->cfg->chunk_size)
            break;
        used += MPIFT_BATCH_ENTRY + f->size;
        b->ids[n] = j;
        b->files[n++] = f;
    }
    return n;
}

/*
 * on_error = "abort": before file i, do all ranks agree nothing has failed
 * for good?  (One small collective per file or batch, only in this mode.)
 * If something has, every copy not yet made counts as failed and the run
 * stops here on every rank alike.
 */
static int stop_here(struct mpift_in_run *r, size_t i)
{
    int rc, any = 0;
    size_t k;

    rc = mpift_agree_any(r->ctx->comm, r->item_failed, &any, &r->ctx->watch,
                         "waiting for every rank to say whether a file failed (on_error = \"abort\")");
    if (rc != MPIFT_OK)
        return rc;
    if (!any)
        return MPIFT_OK;
    r->stopped = 1;
    for (k = i; k < r->plan.n; k++)
        if (mpift_bit(r->mine, k) && r->state[k] != MPIFT_FS_DONE)
            r->state[k] = MPIFT_FS_FAILED;
    if (r->rank == 0)
        mpift_log_error("stopping at the first failure (transfer.on_error = \"abort\" in %s): the files not yet "
                        "sent are counted as failed", r->ctx->cfg->file);
    return MPIFT_OK;
}

/* JSON lines (rank 0): file i's bytes count for the nodes that keep it
 * (total: the round's totals; else the file in progress). */
static void meter_nodes(struct mpift_in_run *r, struct mpift_meter *meter, size_t i, int total)
{
    const struct mpift_topo *t = &r->ctx->topo;
    int q;

    if (r->rank != 0 || !meter->nnodes)
        return;
    mpift_meter_toward_none(meter);
    for (q = 0; q < r->size; q++)
        if (mpift_in_needs(r, q, i))
            mpift_meter_toward(meter, t->node_of[q]);
    if (total)
        mpift_meter_toward_total(meter, r->plan.f[i].size);
}

/* Move the batch that starts at file i (if I am on its route); *last: the
 * batch's last file, where the round goes on from. */
static int move_batch(struct mpift_in_run *r, size_t i, struct mpift_meter *meter, int round, int last_round,
                      size_t *last)
{
    struct mpift_target tgt = {r->rootfd, r->ctx->dest_root};
    struct batch *b = r->batch;
    struct mpift_route rt;
    enum mpift_stripe_choice choice;
    size_t n = gather_batch(r, i), k;
    int rc, mine = mpift_bit(r->mine, i), who;

    *last = (size_t)b->ids[n - 1];
    if (!route_of(r, i, &rt, &choice, &who))
        return MPIFT_OK;
    meter_nodes(r, meter, i, 0);   /* a batch's files share their route */
    if (r->rank == 0) {
        rc = mpift_xfer_batch_source(&r->x, i, b->ids, b->files, (int)n, &rt, mine ? &tgt : NULL, b->res);
        r->batches++;
        r->batched += n;
    } else {
        rc = mpift_xfer_batch_receive(&r->x, i, b->ids, b->files, (int)n, &rt, mine ? &tgt : NULL, b->res);
    }
    for (k = 0; rc == MPIFT_OK && k < n; k++) {
        if (r->rank == 0)
            mpift_meter_add(meter, 0);
        account(r, (size_t)b->ids[k], &b->res[k], mine, round, last_round);
    }
    return rc;
}

/* Move file i alone (if I am on its route). */
static int move_file(struct mpift_in_run *r, size_t i, struct mpift_meter *meter, int round, int last_round)
{
    struct mpift_target tgt = {r->rootfd, r->ctx->dest_root};
    const struct mpift_pfile *f = &r->plan.f[i];
    struct mpift_route rt;
    struct mpift_outcome res;
    enum mpift_stripe_choice choice;
    char why[MPIFT_WHY_MAX];
    int rc, mine = mpift_bit(r->mine, i), who;

    if (!route_of(r, i, &rt, &choice, &who))
        return MPIFT_OK;
    meter_nodes(r, meter, i, 0);
    if (r->rank == 0 && choice == MPIFT_STRIPE_REFUSE) {
        mpift_shared_refusal(r, i, who, why, sizeof(why));
        rc = mpift_xfer_refuse(&r->x, i, &rt, MPIFT_ERR_IO, why, &res);
    } else {
        mpift_in_base_begin(r, i, round);
        if (r->rank == 0)
            rc = mpift_xfer_source(&r->x, i, f, &rt, mine ? &tgt : NULL, &res);
        else
            rc = mpift_xfer_receive(&r->x, i, f, &rt, mine ? &tgt : NULL, &res);
        mpift_in_base_end(r, i);
    }
    if (rc == MPIFT_OK && r->rank == 0)
        mpift_meter_add(meter, 0);
    if (rc == MPIFT_OK)
        account(r, i, &res, mine, round, last_round);
    /* This file's chunk hashes served the cache's put (account): none
     * is left for the next file to take for its own. */
    free(r->x.kept);
    r->x.kept = NULL;
    return rc;
}

int mpift_in_round(struct mpift_in_run *r, int round, int last_round)
{
    struct mpift_ctx *ctx = r->ctx;
    struct mpift_route rt;
    struct mpift_meter meter;
    enum mpift_stripe_choice choice;
    size_t i;
    int rc = MPIFT_OK, who;

    if (r->rank == 0) {
        mpift_meter_start(&meter, ctx->progress, ctx->progress_fd, ctx->log.quiet, 1, 0, 0);
        mpift_meter_label(&meter, "stage-in", round + 1, ctx->topo.nnodes,
                          (const char (*)[MPIFT_HOST_MAX])ctx->topo.hosts, ctx->topo.leaders);
        /* The round's totals cost a pass over the plan: only for a meter. */
        for (i = 0; meter.on && i < r->plan.n; i++)
            if (r->plan.f[i].type == MPIFT_PT_FILE && route_of(r, i, &rt, &choice, &who)) {
                meter.files++;
                meter.bytes += r->plan.f[i].size;
                meter_nodes(r, &meter, i, 1);
            }
        /* xfer counts the bytes chunk by chunk; files are counted here. */
        r->x.meter = meter.on ? &meter : NULL;
    }
    for (i = 0; i < r->plan.n && rc == MPIFT_OK; i++) {
        const struct mpift_pfile *f = &r->plan.f[i];
        if (ctx->cfg->abort_on_error && i > 0 && f->type == MPIFT_PT_FILE) {
            rc = stop_here(r, i);
            if (rc != MPIFT_OK || r->stopped)
                break;
        }
        if (f->type != MPIFT_PT_FILE)
            continue;
        /* Every rank steps over the same batch, on its route or not, so
         * that all stay in step (stop_here is collective). */
        if (batchable(r, f) && anyone_needs(r, i))
            rc = move_batch(r, i, &meter, round, last_round, &i);
        else
            rc = move_file(r, i, &meter, round, last_round);
    }
    if (r->rank == 0) {
        mpift_meter_end(&meter);
        r->x.meter = NULL;
    }
    return rc;
}

