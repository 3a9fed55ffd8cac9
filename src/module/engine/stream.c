/*
 * stream.c - one file through one rank, step by step (see stream.h): a
 * stream's start and end, what both sides share, and the step machine
 * over the source's steps (stream_send.c) and those of the ranks below it
 * (stream_recv.c).
 *
 * Up to `window` chunks are in flight per stream: a receiver posts
 * receives for the next chunks, and forwards each chunk (MPI_Issend)
 * before writing it, so a relay passes data on before it spends time on
 * its disk.  Headers always travel down tree 0, which reaches every rank
 * of the route; chunk i travels down tree i % ntrees.
 *
 * A phase ends only when its work is done; a step that cannot go on (POLL
 * mode) returns and the next step takes up where it stopped.
 */
#include "mpift_autoconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "comm/wait.h"
#include "engine/outcome.h"
#include "engine/route_io.h"
#include "engine/stream.h"
#include "engine/stream_steps.h"
#include "engine/stripe.h"

/* The watchdog stops the job: drop the copy in progress. */
static void undo_stream(void *arg)
{
    mpift_stream_end(arg);
}

void mpift_stream_init(struct mpift_xfer_stream *s, struct mpift_xfer *x, uint64_t id, const struct mpift_route *rt,
                       struct mpift_outcome *res)
{
    /* Field by field: the struct is large and this runs per file. */
    s->x = x;
    s->id = id;
    s->rt = rt;
    s->f = NULL;
    s->tgt = NULL;
    s->res = res;
    s->source = s->refused = 0;
    s->sink_rank = x->rank;
    s->phase = MPIFT_SP_DONE;
    s->fd = -1;
    s->fd_held = 0;
    s->read_err = s->have_sink = 0;
    s->next = s->posted = s->off = s->nmsg = 0;
    s->hx = 0;
    s->holes.n = s->unread.n = 0;
    s->extent = (struct mpift_extent){ 0, 0, 0 };
    s->from = rt->parent;
    s->why[0] = '\0';
    s->stripe_code = s->stripe_heard = 0;
    s->stripe_diff = 0;
    s->stripe_why[0] = '\0';
    s->stripe_req = MPI_REQUEST_NULL;
    mpift_outcome_clear(res);
    s->undo.fn = NULL;
    if (x->watch)
        mpift_watch_hold(x->watch, &s->undo, undo_stream, s);
}

void mpift_stream_send(struct mpift_xfer_stream *s, const struct mpift_pfile *f, const struct mpift_target *tgt)
{
    s->source = 1;
    s->f = f;
    s->tgt = tgt;
    s->phase = MPIFT_SP_OPEN;
}

void mpift_stream_refuse(struct mpift_xfer_stream *s, int code, const char *text)
{
    s->source = 1;
    s->refused = 1;
    s->res->source_failed = 1;
    /* What the receivers are told; send_error cuts it to the ERROR
     * message's room, this rank keeps it whole. */
    s->res->status = code;
    mpift_format(s->res->why, sizeof(s->res->why), "%s", text);
    s->phase = MPIFT_SP_OPEN;
}

void mpift_stream_recv(struct mpift_xfer_stream *s, const struct mpift_pfile *f, const struct mpift_target *tgt,
                       int sink_rank)
{
    s->f = f;
    s->tgt = tgt;
    s->sink_rank = sink_rank;
    s->phase = MPIFT_SP_HEAD;
}

void mpift_stream_end(struct mpift_xfer_stream *s)
{
    struct mpift_wait wt;

    /* A stripe's report still going out (the stream ended early) reads
     * s->stripe_msg: it goes before the stream, and its buffer, does. */
    if (s->stripe_req != MPI_REQUEST_NULL) {
        mpift_wait_start(&wt, s->x->watch, s->rt->origin, "sending a stripe's report to", NULL, NULL);
        if (mpift_wait_all(&wt, &s->stripe_req, 1) != MPIFT_OK && s->stripe_req != MPI_REQUEST_NULL)
            MPI_Request_free(&s->stripe_req);
    }
    if (s->fd >= 0 && !s->fd_held)
        close(s->fd);
    s->fd = -1;
    if (s->have_sink)
        mpift_sink_abort(&s->sink);
    s->have_sink = 0;
    if (s->x->watch)
        mpift_watch_drop(s->x->watch, &s->undo);
}

int mpift_stream_proto(struct mpift_xfer_stream *s, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(s->why, sizeof(s->why), fmt, ap);
    va_end(ap);
    return MPIFT_ERR_PROTO;
}

int mpift_stream_other_file(struct mpift_xfer_stream *s)
{
    return mpift_stream_proto(s, "message for another file (expected file %llu, %s)", (unsigned long long)s->id, s->f->dest);
}

/* Verify this rank's copy against what METADATA and COMPLETE announced,
 * and commit it. */
void mpift_stream_commit(struct mpift_xfer_stream *s, const struct mpift_complete *c)
{
    struct mpift_expect e = { .size = s->m.size, .sent = c->size, .mtime_sec = s->m.mtime_sec,
                              .mtime_nsec = s->m.mtime_nsec, .mode = s->m.mode,
                              .cksum = (enum mpift_wire_cksum)c->cksum_kind, .digest = c->digest };

    s->have_sink = 0;
    mpift_outcome_commit(s->x, &s->sink, &e, s->f->preserve, s->res);
}

/* ------------------------------------------------------------ steps */

int mpift_stream_step(struct mpift_xfer_stream *s, int *moved)
{
    enum mpift_stream_phase was;
    int rc = MPIFT_OK;

    do {
        was = s->phase;
        switch (s->phase) {
        case MPIFT_SP_OPEN:
            rc = mpift_stream_send_open(s);
            break;
        case MPIFT_SP_HEAD:
            rc = mpift_stream_recv_head(s);
            break;
        case MPIFT_SP_DATA:
            rc = s->source && !s->rt->striped ? mpift_stream_send_data(s, moved) : mpift_stream_recv_data(s, moved);
            break;
        case MPIFT_SP_TAIL:
            rc = s->source ? mpift_stream_send_tail(s) : mpift_stream_recv_tail(s);
            break;
        case MPIFT_SP_END:
            if (mpift_hdr_sent(s->x, &rc) && mpift_stripe_sent(s, &rc))
                s->phase = MPIFT_SP_DONE;
            break;
        case MPIFT_SP_DONE:
            break;
        }
        if (s->phase != was)
            *moved = 1;
    } while (rc == MPIFT_OK && s->phase != was);
    return rc;
}
