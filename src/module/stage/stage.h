/* stage.h - stage-in (stage.c) and stage-out (stageout.c). */
#ifndef MPIFT_STAGE_H
#define MPIFT_STAGE_H

#include "job/context.h"
#include "stage/plan.h"

/* A file's outcome on a writer (also what --report says of each copy). */
enum mpift_fstate { MPIFT_FS_NONE = 0, MPIFT_FS_SKIPPED, MPIFT_FS_DONE, MPIFT_FS_RETRY, MPIFT_FS_FAILED };

/* What rank 0 gathered for --report (stage_report.c). */
struct mpift_stage_report {
    const struct mpift_ctx *ctx;
    const struct mpift_plan *plan;
    const char *mode;             /* "stage-in" */
    const unsigned char *states;  /* [size][plan->n] enum mpift_fstate of every rank */
    const double *stats;          /* [size][5] written, unchanged, failed, bytes written, seconds */
    const char *errs;             /* every rank's "INDEX\tmessage\n" lines ... */
    const int *elen, *edispl;     /* ... rank q's at errs + edispl[q], elen[q] bytes */
    const uint64_t *digest;       /* [plan->n] xxh3 of each file as sent, 0 if none */
    int (*writes)(const void *arg, int q, const struct mpift_pfile *f); /* does rank q keep f? */
    const void *arg;
    double seconds;
    int status;                   /* the run's status code */
};

/* Rank 0: write ctx->report_path.  MPIFT_OK or MPIFT_ERR_IO (reported). */
int mpift_stage_report_write(const struct mpift_stage_report *rep);

/* Collective; see mpift_stage_in() in mpift.h. */
int mpift_stage_in_run(struct mpift_ctx *ctx);

/* Collective; see mpift_stage_out() in mpift.h. */
int mpift_stage_out_run(struct mpift_ctx *ctx);

#endif
