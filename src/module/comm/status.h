/*
 * status.h - the module's side of the status codes of mpift.h: the one
 * translation of an MPI error and the one "can the job go on" test (and,
 * through util/log.h, MPIFT_WHY_MAX: the one size of a message for users).
 */
#ifndef MPIFT_STATUS_H
#define MPIFT_STATUS_H

#include <limits.h>
#include <mpi.h>

#include "mpift/mpift.h"
#include "util/log.h"   /* MPIFT_WHY_MAX, the size of a message for users */

/* An MPI call's return code as a status: MPI's errors are all
 * MPIFT_ERR_MPI (the communicators return errors, they do not abort). */
static inline int mpift_mpi_status(int mpi_rc)
{
    return mpi_rc == MPI_SUCCESS ? MPIFT_OK : MPIFT_ERR_MPI;
}

/*
 * Can the job not go on after this status?  An MPI failure, a peer that
 * sent what does not validate (the stream cannot be trusted) or no memory
 * (the ranks can no longer agree): the caller stops and the job aborts.
 * Any other failure belongs to one file or one request.
 */
static inline int mpift_status_fatal(int status)
{
    return status == MPIFT_ERR_MPI || status == MPIFT_ERR_PROTO || status == MPIFT_ERR_NOMEM;
}

#endif
