/*
 * wait.c - waiting for MPI requests by polling, under the watchdog (see
 * wait.h): the deadline of one wait, and the calls built on it.
 */
#include "mpift_autoconf.h"

#include <stdio.h>
#include <stdlib.h>

#include "mpift/mpift.h"
#include "util/log.h"
#include "comm/status.h"
#include "comm/wait.h"

void mpift_wait_start(struct mpift_wait *wt, struct mpift_watch *w, int peer, const char *doing, const char *name,
                      const char *prep)
{
    wt->w = w;
    wt->since = MPI_Wtime();
    wt->polls = 0;
    wt->peer = peer;
    wt->idle = peer < 0;
    wt->doing = doing;
    wt->name = name;
    wt->prep = prep;
    wt->about = NULL;
    wt->arg = NULL;
    wt->slack_was = MPIFT_SLACK_UNSET;
}

void mpift_wait_moved(struct mpift_wait *wt)
{
    wt->since = MPI_Wtime();
    wt->polls = 0;
    mpift_watch_tick(wt->w);
}

/* Room for " rank N (host)" (a host name has at most 255 bytes). */
#define WHO_MAX 300

/* "sending data/big.dat to rank 2 (n3)" */
static void describe(const struct mpift_wait *wt, char *buf, size_t len)
{
    char who[WHO_MAX] = "";

    if (wt->peer >= 0)
        mpift_format(who, sizeof(who), " rank %d (%s)", wt->peer, mpift_watch_host(wt->w, wt->peer));
    mpift_format(buf, len, "%s%s%s%s%s%s", wt->doing, wt->name ? " " : "", wt->name ? wt->name : "",
                 wt->prep ? " " : "", wt->prep ? wt->prep : "", who);
}

/* Who was not heard from either, in a message: nobody, the rank waited
 * on ("it"), or a rank (>= 0). */
#define NOBODY (-3)
#define IT (-2)

/* Give up: "no progress for SECS s WHAT[, nor a heartbeat from WHO]TAIL". */
static void give_up(struct mpift_wait *wt, double secs, const char *what, int unheard, const char *tail)
{
    struct mpift_watch *w = wt->w;
    char msg[MPIFT_WHY_MAX], nor[WHO_MAX + 32] = "";

    if (unheard == IT)
        mpift_format(nor, sizeof(nor), ", nor a heartbeat from it");
    else if (unheard >= 0)
        mpift_format(nor, sizeof(nor), ", nor a heartbeat from rank %d (%s)", unheard, mpift_watch_host(w, unheard));
    mpift_format(msg, sizeof(msg), "no progress for %.0f s %s%s%s", secs, what, nor, tail);
    mpift_watch_fire(w, msg);
}

#define DOWN ": its link or node may be down"
#define STUCK ", though it is still running: it, or a rank it waits for, may be stuck"

/* The first rank other than 0 not heard from within the timeout since
 * `since`, or -1. */
static int silent_rank(struct mpift_wait *wt, double now)
{
    struct mpift_watch *w = wt->w;
    double last;
    int r;

    mpift_watch_take(w);
    for (r = 1; r < w->size; r++) {
        last = mpift_watch_heard(w, r);
        if (last < wt->since)
            last = wt->since;
        if (now - last >= w->timeout && !mpift_watch_ended(w, r))
            return r;
    }
    return -1;
}

/* A wait on one rank, past its timeout: a rank gone silent is named; one
 * that still runs may itself wait on another, which will say so: it gets
 * twice the timeout.  Returns only if the wait may go on. */
static void check_peer(struct mpift_wait *wt, double now, const char *what)
{
    struct mpift_watch *w = wt->w;
    double t = w->timeout;

    /* Cut off from everyone, rank 0 too: the trouble is most likely here. */
    if (w->rank != 0 && !mpift_watch_alive(w, 0))
        give_up(wt, t, what, 0, ": this node's link, or rank 0's, may be down");
    if (wt->peer < 0 || !mpift_watch_alive(w, wt->peer))
        give_up(wt, t, what, NOBODY, DOWN);
    if (now - wt->since >= 2 * t)
        give_up(wt, 2 * t, what, NOBODY, STUCK);
}

/* Rank 0: a wait past its timeout.  Returns only if it may go on. */
static void check_rank0(struct mpift_wait *wt, double now, const char *what)
{
    struct mpift_watch *w = wt->w;
    double t = w->timeout;
    int r;

    if (wt->peer < 0) {
        /* Every rank: one that has gone silent is named; if all still
         * run, one of them will stop the job for what holds it up.  One
         * that says it works on its own (a long hash) holds it up rightly. */
        if ((r = silent_rank(wt, now)) >= 0)
            give_up(wt, t, what, r, DOWN);
        if (now - wt->since >= 2 * t && now - mpift_watch_worked(w) >= 2 * t)
            give_up(wt, 2 * t, what, NOBODY, ", though every rank is still running: one may be stuck");
        return;
    }
    if (wt->idle && !mpift_watch_alive(w, wt->peer))
        give_up(wt, t, what, IT, DOWN);
    if (!wt->idle)
        check_peer(wt, now, what);
}

void mpift_wait_check(struct mpift_wait *wt)
{
    struct mpift_watch *w = wt->w;
    char what[MPIFT_WHY_MAX];
    double now, t;

    if (!w || w->timeout <= 0)
        return;
    now = MPI_Wtime();
    t = w->timeout;
    if (now - wt->since < t)
        return;
    if (wt->about)
        wt->about(wt);
    describe(wt, what, sizeof(what));
    if (!w->session)
        give_up(wt, t, what, NOBODY, wt->peer < 0 ? ": a rank, its link or its node may be down" : DOWN);
    if (w->rank == 0) {
        check_rank0(wt, now, what);
        return;
    }
    if (!wt->idle && wt->peer != 0) {
        check_peer(wt, now, what);
        return;
    }
    /* Rank 0 stands for the job: while it is heard from, an idle wait
     * (or one on rank 0 itself) goes on. */
    if (!mpift_watch_alive(w, 0))
        give_up(wt, t, what, wt->peer == 0 ? IT : 0, DOWN);
}

void mpift_wait_idle(struct mpift_wait *wt)
{
    mpift_wait_check(wt);
    mpift_watch_pause(wt->w, &wt->polls, &wt->slack_was);
}

void mpift_wait_end(struct mpift_wait *wt)
{
    mpift_watch_slack_restore(&wt->slack_was);
}

int mpift_wait_all(struct mpift_wait *wt, MPI_Request *req, int n)
{
    int i, flag, left, moved, rc = MPIFT_OK;

    for (;;) {
        left = moved = 0;
        for (i = 0; i < n && rc == MPIFT_OK; i++) {
            if (req[i] == MPI_REQUEST_NULL)
                continue;
            if (MPI_Test(&req[i], &flag, MPI_STATUS_IGNORE) != MPI_SUCCESS)
                rc = MPIFT_ERR_MPI;
            else if (flag)
                moved = 1;
            else
                left++;
        }
        if (moved)
            mpift_wait_moved(wt);
        if (rc != MPIFT_OK || !left)
            break;
        mpift_wait_idle(wt);
    }
    mpift_wait_end(wt);
    return rc;
}

/* Poll until `test` says done (*flag set; progress) or fails. */
static int poll_until(struct mpift_wait *wt, int (*test)(void *arg, int *flag), void *arg)
{
    int flag, rc;

    for (;;) {
        if (test(arg, &flag) != MPI_SUCCESS) {
            rc = MPIFT_ERR_MPI;
            break;
        }
        if (flag) {
            mpift_wait_moved(wt);
            rc = MPIFT_OK;
            break;
        }
        mpift_wait_idle(wt);
    }
    mpift_wait_end(wt);
    return rc;
}

/* What poll_until tests: one of n requests, or a message probed. */
struct any_of {
    MPI_Request *req;
    int n, *idx;
    MPI_Status *st;
};

static int test_any(void *arg, int *flag)
{
    struct any_of *a = arg;

    return MPI_Testany(a->n, a->req, a->idx, flag, a->st);
}

struct probe_of {
    int from, tag;
    MPI_Comm comm;
    MPI_Status *st;
};

static int test_probe(void *arg, int *flag)
{
    struct probe_of *p = arg;

    return MPI_Iprobe(p->from, p->tag, p->comm, flag, p->st);
}

int mpift_wait_any(struct mpift_wait *wt, MPI_Request *req, int n, int *idx, MPI_Status *st)
{
    struct any_of a = { req, n, idx, st };

    return poll_until(wt, test_any, &a);
}

int mpift_wait_probe(struct mpift_wait *wt, int from, int tag, MPI_Comm comm, MPI_Status *st)
{
    struct probe_of p = { from, tag, comm, st };

    return poll_until(wt, test_probe, &p);
}

/* Wait for one request; *st (may be MPI_STATUS_IGNORE) its status. */
static int wait_one(struct mpift_wait *wt, MPI_Request *req, MPI_Status *st)
{
    int idx;

    return mpift_wait_any(wt, req, 1, &idx, st);
}

int mpift_wait_send(struct mpift_wait *wt, const void *buf, int count, MPI_Datatype type, int to, int tag,
                    MPI_Comm comm)
{
    MPI_Request req;

    if (MPI_Isend(buf, count, type, to, tag, comm, &req) != MPI_SUCCESS)
        return MPIFT_ERR_MPI;
    return wait_one(wt, &req, MPI_STATUS_IGNORE);
}

int mpift_wait_recv(struct mpift_wait *wt, void *buf, int count, MPI_Datatype type, int from, int tag,
                    MPI_Comm comm, MPI_Status *st)
{
    MPI_Request req;

    if (MPI_Irecv(buf, count, type, from, tag, comm, &req) != MPI_SUCCESS)
        return MPIFT_ERR_MPI;
    return wait_one(wt, &req, st);
}

int mpift_wait_coll(struct mpift_watch *w, const char *doing, int started, MPI_Request *req)
{
    struct mpift_wait wt;

    if (started != MPI_SUCCESS)
        return MPIFT_ERR_MPI;
    mpift_wait_start(&wt, w, -1, doing, NULL, NULL);
    return wait_one(&wt, req, MPI_STATUS_IGNORE);
}

int mpift_wait_recv_bytes(struct mpift_wait *wt, int from, int tag, MPI_Comm comm, unsigned char **buf, int *len)
{
    MPI_Status st;

    *buf = NULL;
    *len = 0;
    if (mpift_wait_probe(wt, from, tag, comm, &st) != MPIFT_OK || MPI_Get_count(&st, MPI_BYTE, len) != MPI_SUCCESS ||
        *len < 0)
        return MPIFT_ERR_MPI;
    if (!(*buf = malloc(*len ? (size_t)*len : 1)))
        return MPIFT_ERR_NOMEM;
    return mpift_wait_recv(wt, *buf, *len, MPI_BYTE, st.MPI_SOURCE, tag, comm, MPI_STATUS_IGNORE);
}
