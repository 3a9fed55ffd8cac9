/*
 * watch.c - a context's watchdog (see watch.h): heartbeats, the pause
 * between polls, and stopping the job.
 */
#include "mpift_autoconf.h"

#include <libgen.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "util/faults.h"
#include "util/log.h"
#include "comm/status.h"
#include "comm/wait.h"
#include "comm/watch.h"
#include "wire/beat.h"

/* The heartbeats without a list (wire/beat.h): "still here" to rank 0
 * (WORK: "and working on my own"), and END either way. */
static const struct mpift_beat ALIVE_BEAT = { MPIFT_BEAT_ALIVE, 0, {0} }, END_BEAT = { MPIFT_BEAT_END, 0, {0} },
                               WORK_BEAT = { MPIFT_BEAT_WORK, 0, {0} };

/* Polls that only yield the core, then sleeps from PAUSE_MIN_NS doubling
 * up to PAUSE_MAX_NS: a rank that only waits costs little, while a chunk
 * that lands during a pause is taken at most a millisecond late (chunks
 * come every few ms to every few tens of ms on a loaded link, and a window
 * of them is in flight, so the stream does not slow down). */
#define SPIN_POLLS 16u
#define PAUSE_MIN_NS 1000L
#define PAUSE_MAX_NS 1000000L
/* The thread's timer slack while a loop pauses: Linux lets a sleep end
 * up to 50 us late by default, so the first pause above would be 50 us,
 * while at 100 Gbit/s a 256 KiB chunk comes every 21 us.  1 us keeps the
 * pauses as short as they are written; it adds no wake-ups (their number
 * is the doubling's), so an idle rank costs what it did. */
#define PAUSE_SLACK_NS 1000L

/* Heartbeats that came are taken at most this often (seconds). */
#define POLL_EVERY 0.01

int mpift_watch_init(struct mpift_watch *w, MPI_Comm comm, int tag, double timeout)
{
    int n, i;

    memset(w, 0, sizeof(*w));
    w->comm = comm;
    w->tag = tag;
    w->timeout = timeout;
    w->rreq = MPI_REQUEST_NULL;
    MPI_Comm_rank(comm, &w->rank);
    MPI_Comm_size(comm, &w->size);
    snprintf(w->advice, sizeof(w->advice), "transfer.timeout");
    mpift_beat_encode(&ALIVE_BEAT, w->alive_msg);
    mpift_beat_encode(&END_BEAT, w->end_msg);
    mpift_beat_encode(&WORK_BEAT, w->work_msg);
    n = w->rank == 0 ? w->size : 1;
    if (!(w->slot = calloc((size_t)n, sizeof(*w->slot))))
        return MPIFT_ERR_NOMEM;
    for (i = 0; i < n; i++)
        w->slot[i].req[0] = w->slot[i].req[1] = MPI_REQUEST_NULL;
    return MPIFT_OK;
}

void mpift_watch_set(struct mpift_watch *w, double timeout, const char *cfgfile, const char *hosts, size_t host_len)
{
    char copy[4096];

    w->timeout = timeout;
    w->hosts = hosts;
    w->host_len = host_len;
    if (cfgfile) {
        snprintf(copy, sizeof(copy), "%s", cfgfile);
        mpift_format(w->advice, sizeof(w->advice), "transfer.timeout in %s", basename(copy));
    }
}

void mpift_watch_free(struct mpift_watch *w)
{
    if (w->session && w->rreq != MPI_REQUEST_NULL) {
        /* A session the job is leaving in failure: nothing more is taken. */
        MPI_Cancel(&w->rreq);
        MPI_Request_free(&w->rreq);
    }
    w->session = 0;
    free(w->slot);
    w->slot = NULL;
}

const char *mpift_watch_host(const struct mpift_watch *w, int r)
{
    return w->hosts && r >= 0 && r < w->size ? w->hosts + (size_t)r * w->host_len : "?";
}

/* ------------------------------------------------------------ heartbeats */

/* The ranks this one exchanges heartbeats with: all others on rank 0,
 * rank 0 elsewhere.  Slot i is rank i on rank 0, rank 0 (slot 0)
 * elsewhere. */
static int slots(const struct mpift_watch *w)
{
    return w->rank == 0 ? w->size : 1;
}

static int rank_of(const struct mpift_watch *w, int slot)
{
    return w->rank == 0 ? slot : 0;
}

static struct mpift_watch_slot *slot_of(const struct mpift_watch *w, int r)
{
    return &w->slot[w->rank == 0 ? r : 0];
}

/* Post the receive of the next heartbeat, unless every END has come. */
static void post(struct mpift_watch *w)
{
    int expect = w->rank == 0 ? w->size - 1 : 1;

    if (w->nended < expect)
        MPI_Irecv(w->in, MPIFT_BEAT_MAX, MPI_BYTE, w->rank == 0 ? MPI_ANY_SOURCE : 0, w->tag, w->comm, &w->rreq);
}

/* A heartbeat of rank 0: its list of silent ranks. */
static void take_list(struct mpift_watch *w, const struct mpift_beat *b)
{
    w->nsilent = b->nsilent;
    memcpy(w->silent, b->silent, sizeof(w->silent));
}

/* Take every heartbeat that has come. */
static void take(struct mpift_watch *w, double now)
{
    struct mpift_watch_slot *sl;
    struct mpift_beat b;
    MPI_Status st;
    int flag = 1, len;

    while (w->rreq != MPI_REQUEST_NULL && flag) {
        if (MPI_Test(&w->rreq, &flag, &st) != MPI_SUCCESS || !flag)
            return;
        MPI_Get_count(&st, MPI_BYTE, &len);
        sl = slot_of(w, st.MPI_SOURCE);
        sl->heard = now;
        /* One that does not validate still says its sender is there. */
        if (len < 0 || mpift_beat_decode(w->in, (size_t)len, w->size, &b) != MPIFT_OK)
            b = ALIVE_BEAT;
        if (b.kind == MPIFT_BEAT_END && !sl->ended) {
            sl->ended = 1;
            w->nended++;
        } else if (b.kind == MPIFT_BEAT_WORK) {
            sl->worked = now;
        } else if (w->rank != 0 && b.kind == MPIFT_BEAT_ALIVE) {
            take_list(w, &b);
        }
        post(w);
    }
}

/* Rank 0: this round's heartbeat, in its own (unused) slot: the ranks not
 * heard from for timeout/2.  Returns its length. */
static int make_list(struct mpift_watch *w, double now)
{
    struct mpift_beat b = ALIVE_BEAT;
    int r;

    for (r = 1; r < w->size; r++) {
        if (w->slot[r].ended || now - w->slot[r].heard < w->timeout / 2)
            continue;
        if (b.nsilent == MPIFT_SILENT_MAX) {
            b.nsilent = MPIFT_SILENT_MANY;
            break;
        }
        b.silent[b.nsilent++] = r;
    }
    return mpift_beat_encode(&b, w->slot[0].out);
}

/* Send what is due: a heartbeat to each rank not yet told END whose
 * last one has gone (one at a time, so none pile up behind a slow link;
 * rank 0's go from a buffer per rank, since one may still be going out
 * when the next round's list is made). */
static void beat(struct mpift_watch *w, double now)
{
    int s, flag, len = w->rank == 0 ? make_list(w, now) : MPIFT_BEAT_HDR;
    struct mpift_watch_slot *sl;
    const unsigned char *msg;

    for (s = 0; s < slots(w); s++) {
        sl = &w->slot[s];
        if (rank_of(w, s) == w->rank || sl->told)
            continue;
        if (MPI_Test(&sl->req[0], &flag, MPI_STATUS_IGNORE) != MPI_SUCCESS || !flag)
            continue;
        msg = w->working ? w->work_msg : w->alive_msg;
        w->working = 0;
        if (w->rank == 0) {
            memcpy(sl->out, w->slot[0].out, (size_t)len);
            msg = sl->out;
        }
        MPI_Isend(msg, len, MPI_BYTE, rank_of(w, s), w->tag, w->comm, &sl->req[0]);
    }
}

void mpift_watch_tick(struct mpift_watch *w)
{
    double now;

    if (!w->session)
        return;
    now = MPI_Wtime();
    if (now >= w->next_poll) {
        take(w, now);
        w->next_poll = now + POLL_EVERY;
    }
    if (now >= w->beat_due) {
        beat(w, now);
        w->beat_due = now + w->timeout / 4;
    }
}

void mpift_watch_work(struct mpift_watch *w)
{
    w->working = w->rank != 0;
    mpift_watch_tick(w);
}

/* MPIFT_TEST_SPIN (fault-injection builds only, util/faults.h): no pause
 * at all, as a blocking MPI call spins by default, so that the test of a
 * waiting rank's CPU (tests/integration/wait_cpu.sh) can see it fail. */
static int spin(void)
{
    static int on = -1;

    if (on < 0)
        on = mpift_fault_env("MPIFT_TEST_SPIN") != NULL;
    return on;
}

void mpift_watch_slack_restore(long *slack_was)
{
    /* the calling program's own slack back (libmpift runs in its thread) */
    if (*slack_was > PAUSE_SLACK_NS)
        prctl(PR_SET_TIMERSLACK, (unsigned long)*slack_was, 0, 0, 0);
    *slack_was = MPIFT_SLACK_UNSET;
}

void mpift_watch_pause(struct mpift_watch *w, unsigned *polls, long *slack_was)
{
    struct timespec ts = { 0, PAUSE_MAX_NS };
    unsigned k;

    mpift_watch_tick(w);
    if (spin())
        return;
    if (*polls < SPIN_POLLS) {
        (*polls)++;
        sched_yield();
        return;
    }
    /* Once per loop: a loop that never sleeps costs no system call. */
    if (*slack_was == MPIFT_SLACK_UNSET) {
        *slack_was = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
        if (*slack_was > PAUSE_SLACK_NS)
            prctl(PR_SET_TIMERSLACK, PAUSE_SLACK_NS, 0, 0, 0);
    }
    k = *polls - SPIN_POLLS;
    if (k < 10) {
        ts.tv_nsec = PAUSE_MIN_NS << k;
        if (ts.tv_nsec > PAUSE_MAX_NS)
            ts.tv_nsec = PAUSE_MAX_NS;
        (*polls)++;
    }
    nanosleep(&ts, NULL);
}

void mpift_watch_take(struct mpift_watch *w)
{
    if (w->session)
        take(w, MPI_Wtime());
}

int mpift_watch_alive(struct mpift_watch *w, int r)
{
    double now = MPI_Wtime();
    int i;

    if (!w->session)
        return 1;
    take(w, now);
    if (w->rank == 0)
        return now - w->slot[r].heard < w->timeout / 2;
    if (now - w->slot[0].heard >= w->timeout)
        return 0;
    if (r == 0)
        return 1;
    for (i = 0; i < w->nsilent && w->nsilent != MPIFT_SILENT_MANY; i++)
        if (w->silent[i] == r)
            return 0;
    return w->nsilent != MPIFT_SILENT_MANY;
}

double mpift_watch_heard(const struct mpift_watch *w, int r)
{
    return w->session ? slot_of(w, r)->heard : 0;
}

double mpift_watch_worked(const struct mpift_watch *w)
{
    double last = 0;
    int r;

    for (r = 1; w->session && w->rank == 0 && r < w->size; r++)
        if (w->slot[r].worked > last)
            last = w->slot[r].worked;
    return last;
}

int mpift_watch_ended(const struct mpift_watch *w, int r)
{
    return w->session && slot_of(w, r)->ended;
}

/* ------------------------------------------------------------ sessions */

void mpift_watch_begin(struct mpift_watch *w)
{
    double now = MPI_Wtime();
    int s;

    if (w->timeout <= 0 || w->session || w->size < 2)
        return;
    for (s = 0; s < slots(w); s++) {
        w->slot[s].heard = w->slot[s].worked = now;
        w->slot[s].told = w->slot[s].ended = 0;
    }
    w->nended = 0;
    w->nsilent = 0;
    w->working = 0;
    w->session = 1;
    w->beat_due = now + w->timeout / 4;
    w->next_poll = now;
    post(w);
}

/* Send END to rank r (after its last heartbeat: the same tag keeps them
 * in order). */
static int tell(struct mpift_watch *w, int r)
{
    struct mpift_watch_slot *sl = slot_of(w, r);

    if (sl->told)
        return MPIFT_OK;
    sl->told = 1;
    return mpift_mpi_status(MPI_Isend(w->end_msg, MPIFT_BEAT_HDR, MPI_BYTE, r, w->tag, w->comm, &sl->req[1]));
}

int mpift_watch_release(struct mpift_watch *w, int r)
{
    return w->session && w->rank == 0 ? tell(w, r) : MPIFT_OK;
}

/* Wait, naming it, for the ENDs still to come and every send to go out. */
static void about_end(struct mpift_wait *wt)
{
    struct mpift_watch *w = wt->w;
    int s;

    wt->peer = w->rank == 0 ? -1 : 0;
    for (s = 1; w->rank == 0 && s < w->size; s++)
        if (!w->slot[s].ended) {
            wt->peer = s;
            break;
        }
}

int mpift_watch_end(struct mpift_watch *w)
{
    struct mpift_wait wt;
    int rc = MPIFT_OK, s, expect = w->rank == 0 ? w->size - 1 : 1;

    if (!w->session)
        return MPIFT_OK;
    for (s = 0; s < slots(w) && rc == MPIFT_OK; s++)
        if (rank_of(w, s) != w->rank)
            rc = tell(w, rank_of(w, s));
    mpift_wait_start(&wt, w, w->rank == 0 ? -1 : 0, "ending the session with", NULL, NULL);
    wt.idle = 1;
    wt.about = about_end;
    while (rc == MPIFT_OK && w->nended < expect) {
        take(w, MPI_Wtime());
        if (w->nended < expect)
            mpift_wait_idle(&wt);
    }
    mpift_wait_end(&wt);
    for (s = 0; s < slots(w) && rc == MPIFT_OK; s++)
        rc = mpift_wait_all(&wt, w->slot[s].req, 2);
    w->session = 0;
    return rc;
}

/* ------------------------------------------------------------ undo, fire */

void mpift_watch_hold(struct mpift_watch *w, struct mpift_undo *u, void (*fn)(void *arg), void *arg)
{
    u->fn = fn;
    u->arg = arg;
    u->prev = NULL;
    u->next = w->undo;
    if (w->undo)
        w->undo->prev = u;
    w->undo = u;
}

void mpift_watch_drop(struct mpift_watch *w, struct mpift_undo *u)
{
    if (!u->fn)
        return;
    if (u->prev)
        u->prev->next = u->next;
    else if (w->undo == u)
        w->undo = u->next;
    if (u->next)
        u->next->prev = u->prev;
    u->fn = NULL;
    u->prev = u->next = NULL;
}

static volatile sig_atomic_t exit_code = 1;

static void exit_now(int sig)
{
    (void)sig;
    _exit(exit_code);
}

void mpift_watch_abort(MPI_Comm comm, int code)
{
    struct sigaction sa;
    struct timespec drain = {0, MPIFT_ABORT_DRAIN_NS};

    /* The message that says why goes out first: the launcher forwards a
     * rank's output through a pipe, and MPICH's Hydra drops what is
     * still in it once the abort reaches it. */
    fflush(stdout);
    fflush(stderr);
    nanosleep(&drain, NULL);
    /* MPI_Abort needs this node's daemon and, through it, mpirun: on a
     * node cut off from the others it may never return. */
    exit_code = code;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = exit_now;
    sigaction(SIGALRM, &sa, NULL);
    alarm(MPIFT_ABORT_GRACE);
    MPI_Abort(comm, code);
    _exit(code);
}

/* Under Open MPI's mpirun (which sets OMPI_COMM_WORLD_SIZE in its ranks'
 * environment): what keeps mpirun itself waiting after a node is cut off.
 * Its ranks end within the timeout, but mpirun waits for the lost node's
 * daemon, which the abort's kill order is queued for, until TCP on
 * mpirun's host gives up retransmitting it (net.ipv4.tcp_retries2).
 * Measured in docs/launchers.md: 944 s by default, 12 s with 3; Open
 * MPI's oob_tcp_keepalive_* settings do not shorten it (967 s: a
 * keepalive is only sent on a connection with nothing unacknowledged). */
static void mpirun_advice(void)
{
    if (!getenv("OMPI_COMM_WORLD_SIZE"))
        return;
    /* Not "set tcp_retries2": host-wide, it cuts every other session's
     * TCP short too; an admin's choice for a launch host, said in docs. */
    mpift_log_error("if mpirun does not end now, it waits for a cut-off node's daemon until TCP on mpirun's host gives "
                    "up (many minutes by default); under Slurm use srun --kill-on-bad-exit=1, or ask your admin "
                    "about a launch host set for it (see docs/launchers.md)");
}

void mpift_watch_fire(struct mpift_watch *w, const char *why)
{
    mpift_log_error("%s; stopping the job (%s)", why, w->advice);
    mpirun_advice();
    while (w->undo) {
        struct mpift_undo *u = w->undo;
        void (*fn)(void *arg) = u->fn;
        mpift_watch_drop(w, u);
        fn(u->arg);
    }
    /* MPI_COMM_WORLD, not the context's communicator: MPICH (4.0) aborts
     * a smaller communicator by messages to its ranks, which a stopped
     * rank never takes, and its Hydra then keeps waiting for every rank;
     * only an abort of MPI_COMM_WORLD reaches Hydra, which kills the
     * job's processes, the stopped one included (SIGKILL ends a stopped
     * process).  Open MPI ends the whole job either way. */
    mpift_watch_abort(MPI_COMM_WORLD, 1);
}
