/*
 * wait.h - the one way mpift waits for MPI: non-blocking calls, polled
 * (MPI_Test and friends) with a pause between polls that grows while
 * nothing moves, under the context's watchdog (comm/watch.h).  No call of
 * the module blocks in MPI: a rank whose peer, link or node has gone
 * stops the job after transfer.timeout seconds instead of hanging, and a
 * rank that only waits costs little CPU.
 *
 * A wait knows what it waits for, so that the message can say so:
 *
 *   mpift-stage: n2 (rank 1): no progress for 60 s sending data/big.dat
 *   to rank 2 (n3): its link or node may be down; stopping the job
 *   (transfer.timeout in stage.cfg)
 *
 * Progress is a completed request.  A wait marked idle (one that lasts as
 * long as the job legitimately works: a rank with nothing to do in a
 * collective, a worker between commands, a rank waiting for the next file
 * to start) is judged on heartbeats instead: on rank 0's for the other
 * ranks, on each rank's for rank 0 (see watch.h for how long each may go
 * silent).
 */
#ifndef MPIFT_WAIT_H
#define MPIFT_WAIT_H

#include <mpi.h>

#include "comm/watch.h"

struct mpift_wait {
    struct mpift_watch *w;
    double since;              /* the last progress */
    unsigned polls;            /* polls since then (the pause grows with them) */
    /* What is waited for: "<doing>[ <name>][ <prep>][ rank P (host)]". */
    int peer;                  /* the rank; -1: every rank (a collective) */
    int idle;                  /* heartbeats count as progress (see above);
                                * a wait on rank 0 always counts them */
    const char *doing;         /* "sending", "waiting for every rank to agree on the plan" */
    const char *name;          /* a file's name, or NULL */
    const char *prep;          /* "to", "from", or NULL */
    /* Called when the wait may give up, to set the fields above (a
     * stream knows then which peer holds it up); NULL: they are fixed. */
    void (*about)(struct mpift_wait *wt);
    void *arg;                 /* about's */
    long slack_was;            /* the thread's timer slack while paused (watch.h) */
};

/* Start a wait now; idle is set for a collective (peer -1), cleared
 * otherwise. */
void mpift_wait_start(struct mpift_wait *wt, struct mpift_watch *w, int peer, const char *doing, const char *name,
                      const char *prep);

/* Something moved: the deadline starts again. */
void mpift_wait_moved(struct mpift_wait *wt);

/* Has the wait run out?  Then the job is stopped (mpift_watch_fire).
 * Call it, or mpift_wait_idle, whenever a poll found nothing. */
void mpift_wait_check(struct mpift_wait *wt);

/* Nothing moved: mpift_wait_check, then the pause (watch.h).  A loop of
 * them ends with mpift_wait_end on every way out. */
void mpift_wait_idle(struct mpift_wait *wt);

/* The loop is over: the thread's own timer slack back (watch.h).  The
 * calls below do it themselves. */
void mpift_wait_end(struct mpift_wait *wt);

/* Wait for all n requests (MPI_REQUEST_NULL ones are done); each that
 * completes is progress.  MPIFT_OK or MPIFT_ERR_MPI. */
int mpift_wait_all(struct mpift_wait *wt, MPI_Request *req, int n);

/* Wait for one of n requests to complete: *idx and *st set (*idx is
 * MPI_UNDEFINED when none was active).  MPIFT_OK or MPIFT_ERR_MPI. */
int mpift_wait_any(struct mpift_wait *wt, MPI_Request *req, int n, int *idx, MPI_Status *st);

/* Wait for a message from `from` (or MPI_ANY_SOURCE) with `tag` to come
 * (MPI_Iprobe); *st describes it.  MPIFT_OK or MPIFT_ERR_MPI. */
int mpift_wait_probe(struct mpift_wait *wt, int from, int tag, MPI_Comm comm, MPI_Status *st);

/* MPI_Isend or MPI_Irecv, waited for.  MPIFT_OK or MPIFT_ERR_MPI. */
int mpift_wait_send(struct mpift_wait *wt, const void *buf, int count, MPI_Datatype type, int to, int tag,
                    MPI_Comm comm);
int mpift_wait_recv(struct mpift_wait *wt, void *buf, int count, MPI_Datatype type, int from, int tag,
                    MPI_Comm comm, MPI_Status *st);

/* The next message of bytes from `from` with `tag`, whatever its length:
 * probed, then received into a new buffer (*buf, *len bytes: free() it).
 * MPIFT_OK, MPIFT_ERR_MPI or MPIFT_ERR_NOMEM (then it is left unread). */
int mpift_wait_recv_bytes(struct mpift_wait *wt, int from, int tag, MPI_Comm comm, unsigned char **buf, int *len);

/*
 * mpift_wait_coll - wait for a non-blocking collective just started:
 *   rc = mpift_wait_coll(w, "waiting for every rank to ...",
 *                        MPI_Iallreduce(..., comm, &req), &req);
 * (`started` is the starting call's return code).  MPIFT_OK or
 * MPIFT_ERR_MPI.
 */
int mpift_wait_coll(struct mpift_watch *w, const char *doing, int started, MPI_Request *req);

#endif
