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
    return mpift_open(&c, opts, ctx);
}
