/*
 * stage.h - stage-in (stage_in.c) and stage-out (stage_out.c): the
 * module's entry points, and the outcome of a file that both record.
 */
#ifndef MPIFT_STAGE_H
#define MPIFT_STAGE_H

#include "job/context.h"
#include "stage/plan.h"

/* A file's outcome on the rank that keeps it: a stage-in writer, or rank 0
 * for each file of each stage-out writer (what --report says of it).
 * NONE: not copied (yet): still wanted, or the run stopped first. */
enum mpift_fstate {
    MPIFT_FS_NONE = 0, MPIFT_FS_SKIPPED, MPIFT_FS_DONE, MPIFT_FS_RETRY, MPIFT_FS_FAILED,
    MPIFT_FS_CLASH       /* stage-out: another writer has the same final path */
};

/* A stage-in copy and its node's cache (stage_in_cache.c), per file. */
enum mpift_cmark {
    MPIFT_CM_NONE = 0,
    MPIFT_CM_HIT,        /* a verified entry is held: placed once preflight passes */
    MPIFT_CM_PLACED,     /* the copy came from the cache ("cached" in --report) */
    MPIFT_CM_DISCARDED,  /* the entry did not verify: discarded, the file fetched */
};

/* Stage-in: does rank q keep a copy of f?  (A scatter file: only its
 * target; else every writer of `copies`.) */
int mpift_stage_keeps(const struct mpift_ctx *ctx, int q, const struct mpift_pfile *f);

/* Collective; see mpift_stage_in() in mpift.h. */
int mpift_stage_in_run(struct mpift_ctx *ctx);

/* Collective; see mpift_stage_out() in mpift.h. */
int mpift_stage_out_run(struct mpift_ctx *ctx);

#endif
