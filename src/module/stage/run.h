/*
 * run.h - the skeleton of a stage run, the same for stage-in (stage_in.c)
 * and stage-out (stage_out.c): each direction gives its steps in a table
 * and mpift_stage_run runs them in this order.
 *
 *   refuse  nothing to stage: a configuration error, said on rank 0,
 *           before any collective
 *   init    the run's state, what it moves and the transfer engine;
 *           collective: every rank returns the same status
 *   move    preflight, then the files, by the direction's own protocol
 *           (stage-in: rounds of routes from rank 0; stage-out: writer by
 *           writer to rank 0); then the engine's last sends are flushed
 *   finish  given the status so far: the tally, the summary and --report,
 *           and the status every rank returns
 *   free    whatever the steps left, always
 *
 * Preflight is the first thing move does, not a step of its own: stage-in
 * judges its writers' roots only once every rank has said what it needs,
 * stage-out its collect folder once rank 0 has every writer's list.
 */
#ifndef MPIFT_STAGE_RUN_H
#define MPIFT_STAGE_RUN_H

#include "job/context.h"

struct mpift_xfer;

struct mpift_run_ops {
    int (*refuse)(const struct mpift_ctx *ctx);   /* MPIFT_OK, or MPIFT_ERR_CONFIG */
    int (*init)(void *run, struct mpift_ctx *ctx);
    int (*move)(void *run);
    struct mpift_xfer *(*xfer)(void *run);        /* the engine to flush; NULL: none (a dry run) */
    int (*finish)(void *run, int rc, double t0);  /* t0: MPI_Wtime() at the start */
    void (*free)(void *run);
};

/* Run ops on `run` (the direction's state, set up by init) for ctx.
 * Collective; returns the status of finish (or of refuse). */
int mpift_stage_run(struct mpift_ctx *ctx, const struct mpift_run_ops *ops, void *run);

#endif
