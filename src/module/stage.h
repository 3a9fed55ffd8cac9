/* stage.h - stage-in: plan, decide who needs what, move it, report. */
#ifndef MPIFT_STAGE_H
#define MPIFT_STAGE_H

#include "ctx.h"

/* Collective; see mpift_stage_in() in mpift.h. */
int mpift_stage_in_run(struct mpift_ctx *ctx);

#endif
