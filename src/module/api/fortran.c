/*
 * fortran.c - mpift_open_f: mpift_open for a Fortran communicator handle.
 * Fortran programs hold communicators as MPI_Fint (`use mpi`, mpif.h;
 * comm%MPI_VAL with `use mpi_f08`), which only the MPI library can turn
 * into its C MPI_Comm: that happens here, in the library built against
 * the same MPI, so the Fortran module (src/fortran/mpift.f90) needs no C
 * MPI types at all.
 */
#include "mpift_autoconf.h"

#include <mpi.h>

#include "mpift/mpift.h"
#include "config/config.h"
#include "comm/agree.h"
#include "comm/wait.h"
#include "comm/watch.h"
#include "wire/tags.h"

/* mpift.h declares the handle as an int so that it needs no <mpi.h>. */
_Static_assert(sizeof(MPI_Fint) == sizeof(int), "MPI_Fint is not an int in this MPI: mpift_open_f cannot take it");

int mpift_open_f(int comm, const struct mpift_options *opts, mpift_ctx_t **ctx)
{
    MPI_Comm c;
    int initialized = 0;

    if (!ctx)
        return MPIFT_ERR_USAGE;
    *ctx = NULL;
    /* MPI_Comm_f2c, like every MPI call, needs MPI running. */
    MPI_Initialized(&initialized);
    if (!initialized)
        return MPIFT_ERR_ENV;
    c = MPI_Comm_f2c((MPI_Fint)comm);
    if (c == MPI_COMM_NULL)
        return MPIFT_ERR_USAGE;
    /* No path: the Fortran module refused an argument on this rank (a NUL
     * byte, said on stderr).  Every rank learns it, under a watch (no
     * context yet), and all return the same status having loaded
     * nothing. */
    if (opts) {
        struct mpift_watch w;
        int any = 0, rc;

        if (mpift_watch_init(&w, c, MPIFT_TAG_SVC_ALIVE, MPIFT_TIMEOUT_DEFAULT) != MPIFT_OK)
            return MPIFT_ERR_NOMEM;
        rc = mpift_agree_any(c, opts->config_path == NULL, &any, &w,
                             "waiting for every rank to check mpift_open's arguments");
        mpift_watch_free(&w);
        if (rc != MPIFT_OK || any)
            return rc != MPIFT_OK ? rc : MPIFT_ERR_USAGE;
    }
    return mpift_open(&c, opts, ctx);
}
