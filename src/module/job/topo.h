/*
 * topo.h - who is where: job size, nodes, node leaders.
 *
 * PMIx is used only in topo.c: a node is the ranks that share a PMIx node
 * id.  Where no PMIx server answers (a singleton, another launcher),
 * MPI_Comm_split_type(MPI_COMM_TYPE_SHARED) and MPI_Get_processor_name
 * stand in.
 */
#ifndef MPIFT_TOPO_H
#define MPIFT_TOPO_H

#include <limits.h>
#include <mpi.h>

#include "util/log.h"

/* A job id as PMIx or the batch system gives it (NUL included). */
#define MPIFT_JOBID_MAX 256

struct mpift_topo {
    int rank, size;          /* in the module's communicator */
    int nodeid;              /* dense node index 0..nnodes-1, ordered by leader rank */
    int nnodes;
    int local_rank, local_size;
    int leader;              /* lowest rank on my node */
    char host[MPIFT_HOST_MAX];
    char jobid[MPIFT_JOBID_MAX];
    char tmpdir[PATH_MAX];
    /* 1 when tmpdir is the launcher's folder for this one step (Slurm's
     * spmix_appdir_<uid>_<job>.<step>, deleted when the srun ends), the
     * same on every rank: %t must not name a dest that outlives the step. */
    int tmpdir_per_step;
    char user[64];
    const char *source;      /* "PMIx" or "MPI shared-memory split" */

    /* Per-rank and per-node tables, identical on every rank. */
    int *node_of;            /* [size] node index of each rank */
    int *local_of;           /* [size] local rank of each rank */
    int *leaders;            /* [nnodes] leader rank of each node, ascending */
    char (*hosts)[MPIFT_HOST_MAX]; /* [size] host name of each rank */
};

/*
 * mpift_topo_discover - collective over comm, its waits under w
 * (comm/watch.h).  Returns MPIFT_OK, MPIFT_ERR_MPI or MPIFT_ERR_NOMEM
 * (same on every rank).
 */
struct mpift_watch;
int mpift_topo_discover(MPI_Comm comm, struct mpift_watch *w, struct mpift_topo *t);

/* Template variables (%h %n %r %l %j %t %u) of `rank`. */
struct mpift_tvars;
void mpift_topo_tvars(const struct mpift_topo *t, int rank, struct mpift_tvars *v);

/* Free the tables and the node communicator. */
void mpift_topo_free(struct mpift_topo *t);

/* "host (rank N)": a rank as messages name it.  Returned by value: the
 * text lives to the end of the statement that asks for it (C11's
 * temporary lifetime), with no buffer shared between calls or threads. */
struct mpift_rank_label {
    char s[MPIFT_HOST_MAX + 32];
};

struct mpift_rank_label mpift_topo_label(const struct mpift_topo *t, int rank);

#endif
