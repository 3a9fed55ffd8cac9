/*
 * stream_about.c - what holds a stream up (see stream.h's
 * mpift_stream_about): the peer, what it is doing and for which file,
 * for the watchdog's message when a wait on the stream runs long.  Kept
 * apart from stream.c, the step machine itself.
 */
#include "mpift_autoconf.h"

#include "comm/wait.h"
#include "engine/route_io.h"
#include "engine/stream.h"

static void held_by(struct mpift_wait *wt, int peer, int fallback, const char *doing, const char *prep)
{
    wt->peer = peer >= 0 ? peer : fallback;
    wt->doing = doing;
    wt->prep = prep;
}

void mpift_stream_about(struct mpift_wait *wt)
{
    const struct mpift_xfer_stream *s = wt->arg;
    const struct mpift_xfer *x = s->x;
    int kid = s->rt->nchildren > 0 ? s->rt->children[0] : -1, up = s->rt->parent, p;

    wt->name = s->f ? s->f->dest : NULL;
    wt->idle = 0;
    switch (s->phase) {
    case MPIFT_SP_HEAD:
        /* Before its file starts the parent may be busy with others. */
        held_by(wt, up, up, "waiting for", "from");
        wt->idle = 1;
        break;
    case MPIFT_SP_DATA:
        if (s->source && !s->rt->striped) {
            held_by(wt, mpift_route_pending(x, mpift_route_slot(x, s->next)), kid, "sending", "to");
        } else if (s->posted < s->nmsg && s->posted < s->next + (uint64_t)x->window &&
                   (p = mpift_route_pending(x, mpift_route_slot(x, s->posted))) >= 0) {
            held_by(wt, p, kid, "passing", "on to");
        } else {
            up = s->next < s->nmsg ? mpift_route_parent(s->rt, s->next) : up;
            held_by(wt, up, up, "receiving the next chunk of", "from");
        }
        break;
    case MPIFT_SP_TAIL:
    case MPIFT_SP_END:
        if (s->source && s->rt->striped && s->phase == MPIFT_SP_TAIL && s->stripe_heard < s->rt->nreaders)
            /* Any reader may be the one missing: wait as for a collective
             * (a reader gone silent is named). */
            held_by(wt, -1, -1, "waiting for the stripe readers' reports on", NULL);
        else if ((p = mpift_hdr_pending(x, s->rt)) >= 0 || s->source || s->phase == MPIFT_SP_END)
            held_by(wt, p, kid, "sending", "to");
        else
            held_by(wt, up, up, "receiving the end of", "from");
        break;
    default:
        break;
    }
}
