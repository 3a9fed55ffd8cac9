/*
 * report.h - the --report JSON of a stage-in or a stage-out, written by
 * rank 0 from what every rank did (report.c), and the notes that keep why
 * a copy failed until then.
 */
#ifndef MPIFT_STAGE_REPORT_H
#define MPIFT_STAGE_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "job/context.h"
#include "stage/extract.h"
#include "stage/plan.h"
#include "stage/summary.h"

/* The report's "report_version": its shape, docs/report.schema.json. */
#define MPIFT_REPORT_VERSION 1

/* Why copies failed: "INDEX\tmessage\n" lines, one per failed file (a
 * newline inside a message becomes a space), plain text so that stage-in
 * can gather every rank's onto rank 0 in one MPI_Gatherv.  Zeroed: empty. */
struct mpift_notes {
    char *text;
    size_t len, cap;
};

/* Keep why file i failed (only with --report: best effort, no error). */
void mpift_notes_add(struct mpift_notes *n, size_t i, const char *why);
void mpift_notes_free(struct mpift_notes *n);

/* One rank's files and what became of each. */
struct mpift_report_rank {
    const struct mpift_plan *plan;
    const unsigned char *state;   /* [plan->n] enum mpift_fstate; NULL: no part in the run */
    const uint64_t *digest;       /* [plan->n] xxh3 of each file as sent, 0 if none; or NULL */
    const char *notes;            /* its mpift_notes lines ... */
    size_t notes_len;             /* ... and their length */
    const uint64_t *wire;         /* [plan->n] bytes each took on one link (compressed or not,
                                   * every attempt); or NULL */
    const uint64_t *holes;        /* [plan->n] bytes of each that crossed as hole extents
                                   * (every attempt); or NULL */
    const uint64_t *resumed;      /* stage-in: [plan->n] bytes the writers took from a killed run's
                                   * temporary, and ... */
    const uint64_t *delta_saved;  /* ... from the older version (engine/base.h); or NULL */
    const unsigned char *cache;   /* stage-in with cache.dir: [plan->n] enum mpift_cmark; or NULL */
};

/*
 * What rank 0 knows at the end.  A stage-in has one plan that every
 * rank's record shares, and lists each file with its copies on the ranks
 * that keep it; a stage-out (collect set) lists each writer's files.
 */
struct mpift_libs;

struct mpift_stage_report {
    const struct mpift_ctx *ctx;
    const struct mpift_plan *plan;        /* stage-in: the plan */
    const struct mpift_libs *libs;        /* stage-in: programs with their libraries (libs.h); NULL: none */
    const char *collect;                  /* stage-out: the collect folder; NULL: a stage-in */
    const struct mpift_report_rank *ranks; /* [size] */
    const struct mpift_tally *tally;      /* totals and, per rank, the rows of "nodes" */
    double seconds;
    int status;                           /* the run's status code */
    const struct mpift_extracts *extracts; /* stage-in: the archives unpacked on arrival, or NULL */
};

/*
 * Rank 0: make the report; hand it to `kept` (its text and totals) unless
 * kept is NULL, and write it to ctx->report_path when that is set (the
 * kept text, or streamed as it is made when there is none).  A result
 * that finds no memory is said on stderr and left out (kept as it was):
 * it never fails the run.  MPIFT_OK, or MPIFT_ERR_IO when the file could
 * not be written (said on stderr).
 */
int mpift_stage_report_write(const struct mpift_stage_report *rep, struct mpift_kept_result *kept);

/* Does a run gather what the report needs: --report or a kept result? */
static inline int mpift_report_wanted(const struct mpift_ctx *ctx)
{
    return ctx->report_path || ctx->keep_result;
}

#endif
