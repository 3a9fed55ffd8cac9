/*
 * agree.h - the agreements every rank reaches together, typed: "did any
 * rank fail", "which is the lowest rank that failed" and "that rank's
 * status".  Each is one non-blocking collective on `comm`, waited for
 * under the watchdog (comm/wait.h) with `doing` as what the wait says it
 * waits for; every rank of comm must make the same call at the same
 * point.  Each returns the wait's status unchanged: MPIFT_OK or
 * MPIFT_ERR_MPI (then the out-parameters are not set), never a status of
 * its own, so a caller passes it on as it is.
 */
#ifndef MPIFT_COMM_AGREE_H
#define MPIFT_COMM_AGREE_H

#include <mpi.h>

#include "comm/watch.h"

/* *any = the largest `mine` of all ranks (MPI_MAX): with mine 0 for "all
 * went well" and a positive code for a failure, *any is 0 only when no
 * rank failed, and otherwise the worst code any rank had. */
int mpift_agree_any(MPI_Comm comm, int mine, int *any, struct mpift_watch *w, const char *doing);

/* *first = the lowest rank whose `failed` is set, or -1 if none is. */
int mpift_agree_first(MPI_Comm comm, int failed, int *first, struct mpift_watch *w, const char *doing);

/* *status = rank `first`'s *status, on every rank (first >= 0, as
 * mpift_agree_first gave it). */
int mpift_agree_status_of(MPI_Comm comm, int first, int *status, struct mpift_watch *w, const char *doing);

/* Rank root's `count` items of `type` at buf, on every rank (MPI_Ibcast). */
int mpift_agree_bcast(MPI_Comm comm, void *buf, int count, MPI_Datatype type, int root, struct mpift_watch *w,
                      const char *doing);

/*
 * mpift_agree_status - one status for all: MPIFT_OK when every rank's
 * `status` is MPIFT_OK, otherwise the status of the lowest rank whose
 * status is not (each rank's own failure loses to it, so every rank takes
 * the same branch next).  MPIFT_ERR_MPI if the agreement itself fails.
 */
int mpift_agree_status(MPI_Comm comm, int status, struct mpift_watch *w, const char *doing);

#endif
