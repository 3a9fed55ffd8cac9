/* ctx.h - the module's context behind the opaque mpift_ctx_t. */
#ifndef MPIFT_CTX_H
#define MPIFT_CTX_H

#include <limits.h>
#include <mpi.h>

#include "mpift/mpift.h"
#include "config.h"
#include "topo.h"

struct mpift_ctx {
    MPI_Comm comm;              /* our duplicate: never the host's tags */
    int owns_mpi;               /* the hook's init called MPI_Init */
    int force, dry_run, verbose, quiet;
    enum mpift_progress progress;
    struct mpift_config *cfg;
    struct mpift_topo topo;
    char dest_root[PATH_MAX];   /* this rank's expanded paths.dest */
};

#endif
