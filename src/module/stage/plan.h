/*
 * plan.h - what to stage: the list of files and directories, built on rank 0
 * from the stage_in entries and shared with every rank.
 */
#ifndef MPIFT_PLAN_H
#define MPIFT_PLAN_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "config/config.h"
#include "engine/file.h"
#include "job/topo.h"
#include "comm/watch.h"

struct mpift_plan {
    struct mpift_pfile *f;
    size_t n, cap;
    size_t nerrors;      /* rank 0: sources that could not be planned (already reported) */
    uint64_t nfiles;     /* regular files in f */
    uint64_t bytes;      /* their total size */
    size_t nunread;      /* of those, folders that could not be read: the files below them are
                          * unknown, so nerrors is a lower bound of what is missing */
};

/*
 * mpift_plan_build - rank 0: expand cfg->in against the resolved
 * `source_root` (globs, directories, scatter templates).  Each source that
 * cannot be staged (missing, escaping the root, not a regular file, a
 * directory without recursive, a duplicate destination) is reported with
 * mpift_log_error and counted in nerrors; the others are planned.  Two
 * ranks that would write one path (stage/clash.h) refuse the whole plan.
 * Returns MPIFT_OK, MPIFT_ERR_CONFIG (such a clash) or MPIFT_ERR_NOMEM.
 */
int mpift_plan_build(const struct mpift_config *cfg, const char *source_root,
                     const struct mpift_topo *topo, struct mpift_plan *plan);

/*
 * mpift_plan_build_out - a writer: expand cfg->out against its own
 * resolved dest root, templates expanded for `rank`.  Reports and counts
 * errors like mpift_plan_build.
 */
int mpift_plan_build_out(const struct mpift_config *cfg, const char *dest_root, const struct mpift_topo *topo,
                         int rank, struct mpift_plan *plan);

/* mpift_plan_bcast - collective: rank 0's plan (without src) to every
 * rank.  It, and send and recv below, wait under w (comm/wait.h). */
int mpift_plan_bcast(struct mpift_plan *plan, MPI_Comm comm, struct mpift_watch *w);

/* A plan (without src, with its error count) from one rank to another
 * (MPIFT_TAG_SVC_LIST on comm, the service communicator: wire/tags.h).
 * MPIFT_OK, _ERR_MPI, _ERR_NOMEM, _ERR_PROTO, _ERR_RANGE. */
int mpift_plan_send(const struct mpift_plan *plan, int to, MPI_Comm comm, struct mpift_watch *w);
int mpift_plan_recv(struct mpift_plan *plan, int from, MPI_Comm comm, struct mpift_watch *w);

/* Sort by destination, then target (-1, every writer, first): the order
 * every plan is kept in. */
void mpift_plan_sort(struct mpift_plan *plan);

void mpift_plan_free(struct mpift_plan *plan);

/* Rank 0, before the plan is shared: planned regular file f taken out
 * again (a program whose libraries failed, an archive that cannot be
 * unpacked), counted as a source not planned and its names freed; the
 * caller then leaves f out of plan->f.  One place, so that the counts
 * every summary and report shows stay those of the files kept. */
static inline void mpift_plan_drop(struct mpift_plan *plan, struct mpift_pfile *f)
{
    plan->nerrors++;
    plan->nfiles--;
    plan->bytes -= f->size;
    free(f->dest);
    free(f->src);
}

#endif
