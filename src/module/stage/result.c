/*
 * result.c - every rank's copy of a run's kept result (result.h): rank 0
 * broadcasts the totals, as typed 64-bit integers, then the report's
 * text.  Only with keep_result: a run without it costs nothing more.
 */
#include "mpift_autoconf.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mpift/mpift.h"
#include "stage/result.h"
#include "util/faults.h"
#include "util/log.h"
#include "comm/agree.h"
#include "comm/wait.h"

#define SHARING "waiting for every rank to take the run's result"

/* The totals as they travel: seconds in nanoseconds. */
enum share_field {
    SHARE_HAVE, SHARE_MODE, SHARE_FILES, SHARE_BYTES, SHARE_WRITTEN, SHARE_UNCHANGED, SHARE_FAILED,
    SHARE_BYTES_WRITTEN, SHARE_WIRE, SHARE_UNREAD, SHARE_NS, SHARE_LEN, SHARE_N
};

void mpift_stage_result_clear(struct mpift_ctx *ctx)
{
    free(ctx->kept.json);
    memset(&ctx->kept, 0, sizeof(ctx->kept));
}

static void pack(const struct mpift_kept_result *k, int64_t v[SHARE_N])
{
    const struct mpift_result *t = &k->totals;

    /* MPI counts are ints: a longer report stays on rank 0 alone. */
    v[SHARE_HAVE] = k->json != NULL && k->len < INT_MAX;
    v[SHARE_MODE] = t->mode;
    v[SHARE_FILES] = (int64_t)t->files;
    v[SHARE_BYTES] = (int64_t)t->bytes;
    v[SHARE_WRITTEN] = (int64_t)t->copies_written;
    v[SHARE_UNCHANGED] = (int64_t)t->unchanged;
    v[SHARE_FAILED] = (int64_t)t->failed;
    v[SHARE_BYTES_WRITTEN] = (int64_t)t->bytes_written;
    v[SHARE_WIRE] = (int64_t)t->wire_bytes;
    v[SHARE_UNREAD] = (int64_t)t->folders_not_read;
    v[SHARE_NS] = (int64_t)llround(t->seconds * 1e9);
    v[SHARE_LEN] = (int64_t)k->len;
}

/* The totals every rank keeps, rank 0 included (its seconds rounded as
 * the others receive them, so that all hold the same figures). */
static void unpack(const int64_t v[SHARE_N], int status, struct mpift_result *t)
{
    *t = (struct mpift_result){ .size = sizeof(*t), .status = status, .mode = (int)v[SHARE_MODE],
                                .files = (uint64_t)v[SHARE_FILES], .bytes = (uint64_t)v[SHARE_BYTES],
                                .copies_written = (uint64_t)v[SHARE_WRITTEN], .unchanged = (uint64_t)v[SHARE_UNCHANGED],
                                .failed = (uint64_t)v[SHARE_FAILED], .bytes_written = (uint64_t)v[SHARE_BYTES_WRITTEN],
                                .wire_bytes = (uint64_t)v[SHARE_WIRE], .folders_not_read = (uint64_t)v[SHARE_UNREAD],
                                .seconds = (double)v[SHARE_NS] / 1e9 };
}

int mpift_stage_result_share(struct mpift_ctx *ctx, int status)
{
    int64_t v[SHARE_N] = { 0 };
    MPI_Request rq;
    char *json = NULL;
    const char *fault;
    int rank = ctx->topo.rank, any = 0, rc;

    if (!ctx->keep_result || ctx->dry_run || (status != MPIFT_OK && status != MPIFT_ERR_FILES))
        return status;
    if (rank == 0)
        pack(&ctx->kept, v);
    rc = mpift_wait_coll(&ctx->watch, SHARING, MPI_Ibcast(v, SHARE_N, MPI_INT64_T, 0, ctx->comm, &rq), &rq);
    if (rc != MPIFT_OK)
        return MPIFT_ERR_MPI;
    if (!v[SHARE_HAVE]) {
        mpift_stage_result_clear(ctx);
        return status;
    }
    /* MPIFT_TEST_NOMEM_RESULT=RANK: that rank finds no memory for it. */
    fault = mpift_fault_env("MPIFT_TEST_NOMEM_RESULT");
    if (rank != 0 && !(fault && atoi(fault) == rank))
        json = malloc((size_t)v[SHARE_LEN] + 1);
    if (rank != 0 && !json)
        mpift_log_error("no memory for the run's result (%lld bytes): mpift_result() will find none",
                        (long long)v[SHARE_LEN]);
    rc = mpift_agree_any(ctx->comm, rank != 0 && !json, &any, &ctx->watch, SHARING);
    if (rc == MPIFT_OK && !any)
        rc = mpift_wait_coll(&ctx->watch, SHARING, MPI_Ibcast(rank == 0 ? ctx->kept.json : json, (int)v[SHARE_LEN],
                                                              MPI_CHAR, 0, ctx->comm, &rq), &rq);
    if (rc != MPIFT_OK || any) {
        free(json);
        mpift_stage_result_clear(ctx);
        return rc != MPIFT_OK ? MPIFT_ERR_MPI : status;
    }
    if (rank != 0) {
        json[v[SHARE_LEN]] = '\0';
        ctx->kept.json = json;
        ctx->kept.len = (size_t)v[SHARE_LEN];
    }
    unpack(v, status, &ctx->kept.totals);
    return status;
}
