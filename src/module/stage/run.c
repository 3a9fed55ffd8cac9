/* run.c - the skeleton of a stage run (see run.h). */
#include "mpift_autoconf.h"

#include <mpi.h>

#include "mpift/mpift.h"
#include "engine/xfer.h"
#include "stage/run.h"

int mpift_stage_run(struct mpift_ctx *ctx, const struct mpift_run_ops *ops, void *run)
{
    struct mpift_xfer *x;
    double t0 = MPI_Wtime();
    int rc;

    rc = ops->refuse(ctx);
    if (rc != MPIFT_OK)
        return rc;
    rc = ops->init(run, ctx);
    if (rc == MPIFT_OK)
        rc = ops->move(run);
    /* The last chunks may still be going out (xfer.h). */
    if (rc == MPIFT_OK && (x = ops->xfer(run)) != NULL)
        rc = mpift_xfer_flush(x);
    rc = ops->finish(run, rc, t0);
    ops->free(run);
    return rc;
}
