/* agree.c - the typed agreements of every rank (see agree.h). */
#include "mpift_autoconf.h"

#include "mpift/mpift.h"
#include "comm/agree.h"
#include "comm/wait.h"

int mpift_agree_any(MPI_Comm comm, int mine, int *any, struct mpift_watch *w, const char *doing)
{
    MPI_Request rq;

    return mpift_wait_coll(w, doing, MPI_Iallreduce(&mine, any, 1, MPI_INT, MPI_MAX, comm, &rq), &rq);
}

int mpift_agree_first(MPI_Comm comm, int failed, int *first, struct mpift_watch *w, const char *doing)
{
    MPI_Request rq;
    int rank, size, mine, low, rc;

    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    /* A rank that did not fail offers `size`, which no rank is. */
    mine = failed ? rank : size;
    rc = mpift_wait_coll(w, doing, MPI_Iallreduce(&mine, &low, 1, MPI_INT, MPI_MIN, comm, &rq), &rq);
    if (rc == MPIFT_OK)
        *first = low == size ? -1 : low;
    return rc;
}

int mpift_agree_bcast(MPI_Comm comm, void *buf, int count, MPI_Datatype type, int root, struct mpift_watch *w,
                      const char *doing)
{
    MPI_Request rq;

    return mpift_wait_coll(w, doing, MPI_Ibcast(buf, count, type, root, comm, &rq), &rq);
}

int mpift_agree_status_of(MPI_Comm comm, int first, int *status, struct mpift_watch *w, const char *doing)
{
    return mpift_agree_bcast(comm, status, 1, MPI_INT, first, w, doing);
}

int mpift_agree_status(MPI_Comm comm, int status, struct mpift_watch *w, const char *doing)
{
    int first, rc;

    rc = mpift_agree_first(comm, status != MPIFT_OK, &first, w, doing);
    if (rc != MPIFT_OK || first < 0)
        return rc;
    rc = mpift_agree_status_of(comm, first, &status, w, doing);
    return rc != MPIFT_OK ? rc : status;
}
