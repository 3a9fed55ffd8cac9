/*
 * watch.h - the watchdog of a context: how long a rank may go without
 * progress (transfer.timeout), the heartbeats that tell an idle rank the
 * job still lives, and what happens when it gives up.
 *
 * Every wait of mpift polls (comm/wait.h) and asks the watch whether it
 * has waited too long.  Progress is a completed request; a rank that
 * waits on nothing in particular (a node's other ranks in a collective
 * while the stage runs, a worker between console commands) judges by the
 * heartbeats instead.  During a session (mpift_watch_begin .. _end: one
 * stage-in, stage-out, console or service) rank 0 sends every other rank a
 * heartbeat every timeout/4 seconds while it polls, and every other rank
 * sends rank 0 one: each side then knows the other is alive and taking
 * part.  Rank 0's heartbeat also lists the ranks it has not heard from
 * for timeout/2 seconds, so that every rank knows whether the peer it
 * waits on is still running (then it is held up by another rank, which
 * will say so: the waiting rank gives it time) or has gone silent (then
 * it is the one to name).  A session ends with an END message each way, the last one with
 * the heartbeats' tag (MPIFT_TAG_SVC_ALIVE), so no heartbeat is left unmatched when the
 * communicator is freed (MPI keeps the order of messages of one tag
 * between two ranks).
 *
 * When a wait runs out, mpift_watch_fire says why in one line, undoes what
 * the rank holds (a copy being written: its temporary file goes) and ends
 * the job with MPI_Abort; if that does not end the process within
 * MPIFT_ABORT_GRACE seconds (its node cut off), SIGALRM does, with exit 1.
 */
#ifndef MPIFT_WATCH_H
#define MPIFT_WATCH_H

#include <mpi.h>
#include <stddef.h>

#include "wire/beat.h"

/* Seconds MPI_Abort has to end the job before this process exits by itself. */
#define MPIFT_ABORT_GRACE 10
/* How long a rank about to abort lets its last messages drain to the
 * launcher first (nanoseconds). */
#define MPIFT_ABORT_DRAIN_NS 200000000L

/* A heartbeat's bytes, and how many silent ranks it names: wire/beat.h. */

/* Something to undo if the job is stopped: a rank's copy in progress. */
struct mpift_undo {
    void (*fn)(void *arg);
    void *arg;
    struct mpift_undo *prev, *next;
};

/* What a rank keeps of one rank it exchanges heartbeats with. */
struct mpift_watch_slot {
    double heard;              /* its last heartbeat (or the session's start) */
    double worked;             /* rank 0: its last WORK heartbeat (or the session's start) */
    MPI_Request req[2];        /* a heartbeat and the END going out to it */
    unsigned char told;        /* END sent to it */
    unsigned char ended;       /* END received from it */
    unsigned char out[MPIFT_BEAT_MAX]; /* rank 0: its heartbeat going out */
};

struct mpift_watch {
    double timeout;            /* seconds without progress; 0: wait forever */
    MPI_Comm comm;             /* heartbeats (the service communicator) ... */
    int tag;                   /* ... with this tag (wire/tags.h) */
    int rank, size;
    const char *hosts;         /* [size] names, host_len bytes apart; NULL: not known yet */
    size_t host_len;
    char advice[128];          /* where the timeout is set, for the message */
    /* A session.  Rank 0 has a slot per rank (its own unused), the
     * others one, for rank 0. */
    int session;
    struct mpift_watch_slot *slot;
    int nended;                /* ENDs received */
    double beat_due;           /* when this rank's next heartbeats go out */
    double next_poll;          /* when arrived heartbeats are next taken */
    MPI_Request rreq;          /* the posted receive of the next heartbeat */
    unsigned char in[MPIFT_BEAT_MAX];
    unsigned char alive_msg[MPIFT_BEAT_HDR], end_msg[MPIFT_BEAT_HDR]; /* the beats without a list, encoded */
    unsigned char work_msg[MPIFT_BEAT_HDR];
    int working;               /* mpift_watch_work since the last heartbeat went */
    int nsilent;               /* others: the silent ranks of rank 0's last heartbeat ... */
    int silent[MPIFT_SILENT_MAX]; /* ... (nsilent MPIFT_SILENT_MANY: more than these) */
    struct mpift_undo *undo;
};

/* A watch for the ranks of comm (heartbeats go there with `tag`),
 * waiting at most `timeout` seconds until mpift_watch_set says otherwise.
 * MPIFT_OK or MPIFT_ERR_NOMEM. */
int mpift_watch_init(struct mpift_watch *w, MPI_Comm comm, int tag, double timeout);

/* The timeout, the configuration file it comes from (for the advice in
 * the message) and the host names by rank (NULL: none yet). */
void mpift_watch_set(struct mpift_watch *w, double timeout, const char *cfgfile, const char *hosts, size_t host_len);

/* Free it; a session still open (the job is failing) is dropped: its
 * posted receive is cancelled. */
void mpift_watch_free(struct mpift_watch *w);

/* The host of rank r, for messages. */
const char *mpift_watch_host(const struct mpift_watch *w, int r);

/*
 * Sessions.  mpift_watch_begin on every rank of a collective call (or a
 * worker's first service call, and rank 0's mpift_serve); mpift_watch_end
 * on every rank at its end: a rank other than 0 tells rank 0 and waits for
 * rank 0's END; rank 0 tells every rank not told yet and waits for every
 * END.  mpift_watch_release (rank 0, the service): rank r is done, tell it
 * now.  No-ops without a timeout.  end returns MPIFT_OK or MPIFT_ERR_MPI.
 */
void mpift_watch_begin(struct mpift_watch *w);
int mpift_watch_end(struct mpift_watch *w);
int mpift_watch_release(struct mpift_watch *w, int r);

/* Take the heartbeats that have come and send those that are due; cheap
 * enough to call on every poll. */
void mpift_watch_tick(struct mpift_watch *w);

/*
 * mpift_watch_work - mpift_watch_tick for a rank that makes progress of
 * its own without a message (a cache entry or a resume base read and
 * hashed before the first collective, per MiB or chunk): its next
 * heartbeat tells rank 0 so (WORK), and rank 0, waiting in that
 * collective, counts it as progress: a long read is no stuck rank.
 */
void mpift_watch_work(struct mpift_watch *w);

/* Rank 0: the last WORK heartbeat from any rank (the session's start at
 * the earliest); 0 outside a session. */
double mpift_watch_worked(const struct mpift_watch *w);

/* Give the core back while nothing moves: `*polls` polls without progress
 * so far (the caller zeroes it on progress).  A short spin, then sleeps
 * that grow to about a millisecond.  Before the first sleep of a loop
 * (*slack_was MPIFT_SLACK_UNSET, as the loop starts it) the thread's
 * timer slack goes into *slack_was and is made tight; the loop gives it
 * back with mpift_watch_slack_restore on every way out, so that outside
 * mpift's waits the calling program's thread keeps its own. */
#define MPIFT_SLACK_UNSET (-1L)
void mpift_watch_pause(struct mpift_watch *w, unsigned *polls, long *slack_was);
void mpift_watch_slack_restore(long *slack_was);

/* Take the heartbeats that have come (mpift_watch_tick does, at most
 * every few milliseconds). */
void mpift_watch_take(struct mpift_watch *w);

/* Is rank r still running, by the heartbeats?  On rank 0: r was heard
 * from within timeout/2.  Elsewhere: rank 0 within the timeout, and for
 * r != 0 rank 0's last heartbeat does not list r as silent.  Always true
 * outside a session.  Takes what came. */
int mpift_watch_alive(struct mpift_watch *w, int r);

/* The last time rank r was heard from (the session's start at the
 * earliest); 0 outside a session. */
double mpift_watch_heard(const struct mpift_watch *w, int r);

/* Undo u's work if the job is stopped, until dropped. */
void mpift_watch_hold(struct mpift_watch *w, struct mpift_undo *u, void (*fn)(void *arg), void *arg);
void mpift_watch_drop(struct mpift_watch *w, struct mpift_undo *u);

/* End the job: MPI_Abort(comm, code), and if that has not ended this
 * process within MPIFT_ABORT_GRACE seconds (its node cut off from
 * mpirun), exit(code) all the same.  Does not return. */
void mpift_watch_abort(MPI_Comm comm, int code) __attribute__((noreturn));

/* Say why (one line: `why`, then the advice; under Open MPI's mpirun a
 * second line on ending mpirun promptly), undo what is held, end the job
 * (mpift_watch_abort of MPI_COMM_WORLD with exit 1).  Does not return. */
void mpift_watch_fire(struct mpift_watch *w, const char *why) __attribute__((noreturn));

/* Has rank r (rank 0: any rank) sent its END? */
int mpift_watch_ended(const struct mpift_watch *w, int r);

#endif
