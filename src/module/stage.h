/* stage.h - stage-in (stage.c) and stage-out (stageout.c). */
#ifndef MPIFT_STAGE_H
#define MPIFT_STAGE_H

#include "ctx.h"

/* Collective; see mpift_stage_in() in mpift.h. */
int mpift_stage_in_run(struct mpift_ctx *ctx);

/* Collective; see mpift_stage_out() in mpift.h. */
int mpift_stage_out_run(struct mpift_ctx *ctx);

#endif
