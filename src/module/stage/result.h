/*
 * result.h - a run's result kept in memory (mpift_options.keep_result):
 * rank 0 makes it with the report (stage/report.c), and this gives every
 * rank the same copy, for mpift_result() and mpift_result_json().
 */
#ifndef MPIFT_STAGE_RESULT_H
#define MPIFT_STAGE_RESULT_H

#include "job/context.h"

/* Forget the last run's result (at the start of every run, on every
 * rank: a run that keeps none must not show the one before). */
void mpift_stage_result_clear(struct mpift_ctx *ctx);

/*
 * mpift_stage_result_share - collective, at the end of a stage-in or
 * stage-out that returns `status` on every rank: with keep_result, not a
 * dry run, and status MPIFT_OK or MPIFT_ERR_FILES, rank 0's kept result
 * goes to every rank (none when rank 0 has none, or a rank has no memory
 * for it: said on stderr by that rank).  Returns status, or MPIFT_ERR_MPI
 * when the broadcast failed.
 */
int mpift_stage_result_share(struct mpift_ctx *ctx, int status);

#endif
