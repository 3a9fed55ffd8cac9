/*
 * summary.h - what stage-in and stage-out tell the user, one way for both:
 * the tally of a run (per rank and per node), the summary line with its
 * per-node table, and a dry run's plan.
 */
#ifndef MPIFT_SUMMARY_H
#define MPIFT_SUMMARY_H

#include <stdint.h>

#include "job/context.h"
#include "stage/plan.h"
#include "stage/stage.h"

/* The columns of a rank's row: doubles hold counts and bytes exactly up
 * to 2^53, far beyond a run, and one MPI_Gather brings every row home. */
enum mpift_tally_col {
    MPIFT_TALLY_WRITTEN, MPIFT_TALLY_UNCHANGED, MPIFT_TALLY_FAILED, MPIFT_TALLY_BYTES,
    MPIFT_TALLY_SECONDS, MPIFT_TALLY_N
};

/* What a run did, as rank 0 sees it at the end. */
struct mpift_tally {
    uint64_t total[MPIFT_TALLY_SECONDS]; /* the run's copies written, unchanged, failed, bytes written */
    const double *rank;            /* [size][MPIFT_TALLY_N] each rank's share, or NULL */
    const unsigned char *listed;   /* [size] the ranks a node counts (stage-out: its writers); NULL: all */
    int serial;                    /* a node's seconds are the sum of its ranks' (served one after
                                    * another), else the slowest rank's */
    uint64_t unplanned;            /* of total[FAILED]: sources that could not be planned */
    uint64_t unread;               /* of those, folders that could not be read: their files are
                                    * not counted, so "failed" is a lower bound */
};

/* Node n's columns, summed over its ranks (seconds as `serial` says);
 * *nranks: how many ranks it counted. */
void mpift_tally_node(const struct mpift_tally *t, const struct mpift_topo *topo, int n,
                      double out[MPIFT_TALLY_N], int *nranks);

/*
 * mpift_summary_print - rank 0, at the end of a run:
 *   mpift-stage: HEAD: N copies written, U unchanged, F failed; X MB in S s (R MB/s)
 * ("at least F failed (P could not be planned; D folders could not be
 * read, their files not counted)" when sources were left out),
 * and with `table`, a line per node: ranks, files written, unchanged and
 * failed there, megabytes written, seconds and rate.
 */
void mpift_summary_print(const char *head, const struct mpift_tally *t, const struct mpift_topo *topo,
                         double secs, int table);

/* A dry run's plan: one line per file, then what would have moved. */
struct mpift_dry_run {
    uint64_t files, bytes;         /* the files that would be sent */
};

/* One file: `st` MPIFT_FS_NONE (would be sent, and counted), _SKIPPED
 * (unchanged) or _CLASH; `tail` says where it would go or come from. */
void mpift_dry_run_file(struct mpift_dry_run *d, enum mpift_fstate st, const struct mpift_pfile *f,
                        const char *tail);

/* The closing line: of a stage-in (plan: what was planned), or of a
 * stage-out into `collect`. */
void mpift_dry_run_end(const struct mpift_dry_run *d, const struct mpift_ctx *ctx, const struct mpift_plan *plan,
                       const char *collect);

#endif
