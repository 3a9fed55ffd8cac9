/*
 * stage_out_writer.c - a stage-out writer's part (see stage_out.h): its
 * list of results for rank 0, then the files rank 0 asks for, each sent
 * with stage-in's verified, atomic transfer, until rank 0 asks for none.
 */
#include "mpift_autoconf.h"

#include <stdlib.h>

#include "mpift/mpift.h"
#include "fs/walk.h"
#include "stage/stage_out.h"
#include "util/log.h"
#include "comm/wait.h"
#include "wire/tags.h"

/* 1. A writer lists its results; it will read them below its dest root,
 * walked as a dest root is (no other user's link makes it read elsewhere). */
int mpift_out_list(struct out_run *r)
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

/* 3. A writer: send what rank 0 asks for until it asks for nothing. */
int mpift_out_serve(struct out_run *r)
{
    struct mpift_route to0;
    struct mpift_outcome res;
    struct mpift_wait wt;
    uint64_t n, k, *ids = NULL;
    int zero = 0, rc = MPIFT_OK;

    to0 = (struct mpift_route){ .parent = -1, .children = &zero, .nchildren = 1, .ntrees = 1 };
    for (;;) {
        /* Rank 0 may be taking other writers' files first: an idle wait. */
        mpift_wait_start(&wt, &r->ctx->watch, 0, "waiting for the list of files wanted by", NULL, NULL);
        rc = mpift_wait_recv(&wt, &n, 1, MPI_UINT64_T, 0, MPIFT_TAG_SVC_WANT, r->ctx->svc_comm, MPI_STATUS_IGNORE);
        if (rc != MPIFT_OK)
            break;
        if (n == 0)
            break;
        if (n > r->mine.n || !(ids = realloc(ids, n * sizeof(*ids)))) {
            rc = n > r->mine.n ? MPIFT_ERR_PROTO : MPIFT_ERR_NOMEM;
            break;
        }
        rc = mpift_wait_recv(&wt, ids, (int)n, MPI_UINT64_T, 0, MPIFT_TAG_SVC_WANT, r->ctx->svc_comm,
                             MPI_STATUS_IGNORE);
        if (rc != MPIFT_OK)
            break;
        for (k = 0; k < n && rc == MPIFT_OK; k++) {
            if (ids[k] >= r->mine.n || r->mine.f[ids[k]].type != MPIFT_PT_FILE) {
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
