/*
 * xfer.c - one rank's transfer state, and the waiting calls of xfer.h:
 * each is a per-file stream (engine/stream.h) stepped to its end, with a
 * pause under the watchdog (comm/wait.h) whenever nothing moved.
 */
#include "mpift_autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "mpift/mpift.h"
#include "util/log.h"
#include "comm/wait.h"
#include "engine/route_io.h"
#include "engine/stream.h"
#include "engine/xfer.h"

/* A request array of n, each MPI_REQUEST_NULL (which every wait and test
 * takes as done). */
static MPI_Request *requests(int n)
{
    MPI_Request *r = malloc((size_t)n * sizeof(*r));
    int i;

    for (i = 0; r && i < n; i++)
        r[i] = MPI_REQUEST_NULL;
    return r;
}

int mpift_xfer_init(struct mpift_xfer *x, MPI_Comm comm, const struct mpift_config *cfg, int maxchildren,
                    struct mpift_watch *watch)
{
    int i;

    memset(x, 0, sizeof(*x));
    x->comm = comm;
    x->srcfd = -1;
    x->srcroot = "";
    x->watch = watch;
    MPI_Comm_rank(comm, &x->rank);
    x->chunk = cfg->chunk_size;
    x->window = cfg->window;
    x->cksum = mpift_wire_cksum(cfg->checksum);
    x->fsync = cfg->fsync;
    x->maxchildren = maxchildren > 0 ? maxchildren : 1;
    mpift_codec_init(&x->codec, cfg->compress, x->window, x->chunk);
    x->buf = calloc((size_t)x->window, sizeof(*x->buf));
    x->rreq = requests(x->window);
    x->sreq = requests(x->window * x->maxchildren);
    x->sto = calloc((size_t)x->window * (size_t)x->maxchildren, sizeof(*x->sto));
    x->hreq = requests(x->maxchildren);
    x->hdr = malloc(MPIFT_HDR_MAX);
    x->arrived = malloc((size_t)x->window * sizeof(*x->arrived));
    if (!x->buf || !x->rreq || !x->sreq || !x->sto || !x->hreq || !x->hdr || !x->arrived)
        goto nomem;
    if (x->cksum != MPIFT_WIRE_CKSUM_NONE && (!(x->hash = XXH3_createState()) || !(x->whole = XXH3_createState())))
        goto nomem;
    for (i = 0; i < x->window; i++)
        if (!(x->buf[i] = malloc(x->chunk)))
            goto nomem;
    return MPIFT_OK;
nomem:
    mpift_xfer_free(x);
    return MPIFT_ERR_NOMEM;
}

void mpift_xfer_free(struct mpift_xfer *x)
{
    int i;

    if (x->buf)
        for (i = 0; i < x->window; i++)
            free(x->buf[i]);
    free(x->buf);
    free(x->rreq);
    free(x->sreq);
    free(x->sto);
    free(x->hreq);
    free(x->hdr);
    free(x->arrived);
    XXH3_freeState(x->hash);
    XXH3_freeState(x->whole);
    XXH3_freeState(x->keyhash);
    free(x->check);
    free(x->kept);
    mpift_codec_free(&x->codec);
    memset(x, 0, sizeof(*x));
    x->srcfd = -1;
}

int mpift_xfer_flush(struct mpift_xfer *x)
{
    int b, rc = MPIFT_OK;

    for (b = 0; b < x->window && rc == MPIFT_OK; b++)
        rc = mpift_route_wait_free(x, b, "sending the last chunks", NULL);
    return rc;
}

/* Take a stream through, pausing while nothing moves, and release it. */
static int run(struct mpift_xfer_stream *s)
{
    struct mpift_wait wt;
    int rc = MPIFT_OK, moved;

    mpift_wait_start(&wt, s->x->watch, s->from, "moving", NULL, NULL);
    wt.about = mpift_stream_about;
    wt.arg = s;
    while (rc == MPIFT_OK && !mpift_stream_done(s)) {
        moved = 0;
        rc = mpift_stream_step(s, &moved);
        if (moved)
            mpift_wait_moved(&wt);
        else if (rc == MPIFT_OK && !mpift_stream_done(s))
            mpift_wait_idle(&wt);
    }
    mpift_wait_end(&wt);
    if (rc == MPIFT_ERR_PROTO)
        mpift_log_error("protocol error from rank %d: %s", s->from, s->why);
    mpift_stream_end(s);
    return rc;
}

int mpift_xfer_source(struct mpift_xfer *x, uint64_t id, const struct mpift_pfile *f,
                      const struct mpift_route *rt, const struct mpift_target *tgt, struct mpift_outcome *res)
{
    struct mpift_xfer_stream s;

    mpift_stream_init(&s, x, id, rt, res);
    mpift_stream_send(&s, f, tgt);
    return run(&s);
}

int mpift_xfer_refuse(struct mpift_xfer *x, uint64_t id, const struct mpift_route *rt, int code,
                      const char *text, struct mpift_outcome *res)
{
    struct mpift_xfer_stream s;

    mpift_stream_init(&s, x, id, rt, res);
    mpift_stream_refuse(&s, code, text);
    return run(&s);
}

int mpift_xfer_receive(struct mpift_xfer *x, uint64_t id, const struct mpift_pfile *f,
                       const struct mpift_route *rt, const struct mpift_target *tgt, struct mpift_outcome *res)
{
    struct mpift_xfer_stream s;

    mpift_stream_init(&s, x, id, rt, res);
    mpift_stream_recv(&s, f, tgt, x->rank);
    return run(&s);
}
