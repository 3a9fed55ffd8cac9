/*
 * agree.h - every setting the ranks of a job must share, agreed at start.
 */
#ifndef MPIFT_JOB_AGREE_H
#define MPIFT_JOB_AGREE_H

#include "job/context.h"

/*
 * mpift_job_agree - collective over ctx->comm, after the configuration and
 * the topology: every key config/agree.c says must match, the compression
 * libraries built in (when compress is not "none") and --dry-run must be
 * equal on every rank.  MPIFT_OK on every rank, or MPIFT_ERR_CONFIG on
 * every rank after rank 0 names the first key that differs, its values
 * and the ranks that hold each; MPIFT_ERR_MPI / _NOMEM as collectives do.
 */
int mpift_job_agree(struct mpift_ctx *ctx);

#endif
