/*
 * master.c - the master side of the mpift.h service: mpift_serve().
 *
 * The master keeps up to workers.max_streams transfers in flight, one per
 * worker at most (a worker's calls block, so it has one request at a
 * time).  Each transfer is one of the engine's per-file streams
 * (engine/stream.h), run without blocking on buffers of its own; one loop
 * drives them all: take new requests, start queued ones while a stream is
 * free, and step every stream as far as its completed requests allow.
 * This file only schedules: the protocol is the engine's, the same code
 * the worker runs blocking on its side.
 *
 *   FETCH  stream paths.source/NAME -> the worker, then the final reply
 *   PUT    "go" reply, stream the worker -> paths.collect/NAME, then the
 *          final reply (the verdict on the copy)
 */
#include "mpift_autoconf.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "util/faults.h"
#include "comm/status.h"
#include "comm/wait.h"
#include "job/context.h"
#include "fs/fsafe.h"
#include "util/log.h"
#include "util/tmpname.h"
#include "service/peer.h"
#include "service/request_io.h"
#include "wire/request.h"
#include "engine/stream.h"
#include "engine/xfer.h"

enum phase {
    PH_FREE = 0,
    PH_XFER,     /* the file moving (a PUT's "go" went out first) */
    PH_REPLY,    /* the final reply going out */
};

struct stream {
    enum phase phase;
    uint32_t op;
    int peer;
    uint64_t id;
    char name[PATH_MAX];
    char root[PATH_MAX];       /* FETCH: the real paths.source, */
    int rootfd;                /* open while the file is read (-1: none), */
    struct mpift_src *src;     /* and the file (NULL: none) */
    struct mpift_pfile f;
    struct mpift_route rt;     /* FETCH: master -> peer; PUT: peer -> master */
    struct mpift_target tgt;   /* PUT: paths.collect */
    struct mpift_xfer x;       /* this stream's buffers, kept for reuse */
    int have_x;
    struct mpift_xfer_stream xs;
    struct mpift_outcome res;     /* the outcome: the final reply */
    unsigned char reply[MPIFT_REPLY_CAP];
    MPI_Request rreq;
    struct mpift_wait wt;      /* how long it may go without progress */
};

struct server {
    struct mpift_ctx *ctx;
    int size, nstreams, active, peak;
    struct stream *st;
    struct mpift_req *queue;   /* requests waiting for a stream, FIFO */
    int qhead, qlen;
    unsigned char *busy;       /* [size] a request of this worker is open */
    unsigned char *finished;   /* [size] it called mpift_done */
    int nfinished;
    int gather;                /* test switch, see serve_loop */
    char source[PATH_MAX];
    char collect[PATH_MAX];    /* "" when paths.collect is not set */
    int collectfd;             /* opened at the first put */
    struct mpift_serve_stats stats;
};

/* Is the request done (MPI_REQUEST_NULL is)?  *rc set on an MPI failure. */
static int tested(MPI_Request *r, int *rc)
{
    int flag = 0;

    if (MPI_Test(r, &flag, MPI_STATUS_IGNORE) != MPI_SUCCESS) {
        *rc = MPIFT_ERR_MPI;
        return 0;
    }
    return flag;
}

static const char *host(struct server *sv, int rank)
{
    return sv->ctx->topo.hosts[rank];
}

static const char *verb(const struct stream *s)
{
    return s->op == MPIFT_REQ_FETCH ? "fetch" : "put";
}

/* ------------------------------------------------------------ finishing */

/* Send the final reply; the stream is freed once it has gone. */
static int finish(struct server *sv, struct stream *s)
{
    struct mpift_outcome *res = &s->res;
    uint64_t size = res->status == MPIFT_OK ? s->xs.m.size : 0;
    int n, rc;

    if ((rc = mpift_wait_all(&s->wt, &s->rreq, 1)) != MPIFT_OK) /* a PUT's "go": long since received */
        return rc;
    /* A source that failed mid-file, named as the worker knows it (one
     * that shrank says so already: MPIFT_SOURCE_SHRANK is no errno). */
    if (s->xs.read_err > 0 && s->op == MPIFT_REQ_FETCH)
        mpift_format(res->why, sizeof(res->why), "%s/%s on %s: read failed: %s", sv->source, s->name, host(sv, 0),
                     strerror(s->xs.read_err));
    else if (s->xs.read_err > 0)
        mpift_format(res->why, sizeof(res->why), "%s: the worker could not read it", s->name);
    n = mpift_reply_encode(s->reply, sizeof(s->reply), res->status, res->status == MPIFT_OK ? "" : res->why);
    s->phase = PH_REPLY;
    mpift_wait_start(&s->wt, &sv->ctx->watch, s->peer, "sending the answer about", s->name, "to");
    /* The worker may ask again as soon as this reply lands, before the
     * stream is released. */
    sv->busy[s->peer] = 0;
    sv->stats.requests++;
    if (res->status != MPIFT_OK)
        sv->stats.failed++;
    else if (s->op == MPIFT_REQ_FETCH)
        sv->stats.bytes_out += size;
    else
        sv->stats.bytes_in += size;
    if (res->status == MPIFT_OK)
        mpift_log_verbose("%s %s %s rank %d (%s): %llu bytes", verb(s), s->name,
                          s->op == MPIFT_REQ_FETCH ? "->" : "<-", s->peer, host(sv, s->peer),
                          (unsigned long long)size);
    else
        mpift_log_verbose("%s %s for rank %d (%s) failed: %s", verb(s), s->name, s->peer, host(sv, s->peer),
                          res->why);
    return mpift_mpi_status(
        MPI_Isend(s->reply, n, MPI_BYTE, s->peer, MPIFT_TAG_SVC_CONSOLE, sv->ctx->svc_comm, &s->rreq));
}

static void release(struct server *sv, struct stream *s)
{
    mpift_stream_end(&s->xs);
    if (s->rootfd >= 0)
        close(s->rootfd);
    s->rootfd = -1;
    free(s->src);
    s->src = NULL;
    mpift_xfer_source_root(&s->x, -1, "");
    s->phase = PH_FREE;
    sv->active--;
}

/* ------------------------------------------------------------ starting */

/* FETCH: the file below paths.source, or ERROR when it cannot be served
 * (the worker then creates nothing). */
static void fetch_start(struct server *sv, struct stream *s)
{
    char why[MPIFT_WHY_MAX];
    int rc = mpift_peer_source(sv->source, s->name, s->root, &s->src, &s->rootfd, why, sizeof(why));

    if (rc != MPIFT_OK) {
        mpift_stream_refuse(&s->xs, rc, why);
        return;
    }
    mpift_xfer_source_root(&s->x, s->rootfd, s->root);
    mpift_peer_file(&s->f, s->name, s->src);
    mpift_stream_send(&s->xs, &s->f, NULL);
}

/* PUT: refuse before any data moves (the reply says why), or say "go"
 * and take the file into paths.collect. */
static int put_start(struct server *sv, struct stream *s)
{
    char why[MPIFT_WHY_MAX];
    int n;

    if (!sv->collect[0]) {
        s->res.status = MPIFT_ERR_CONFIG;
        mpift_format(s->res.why, sizeof(s->res.why), "paths.collect is not set in %s; put writes there (add collect = "
                  "\"DIR\";)", sv->ctx->cfg->file);
        return finish(sv, s);
    }
    if (sv->collectfd < 0) {
        sv->collectfd = mpift_root_open(sv->collect, why, sizeof(why));
        if (sv->collectfd < 0) {
            s->res.status = sv->collectfd;
            mpift_format(s->res.why, sizeof(s->res.why), "%s on %s: %s", sv->collect, host(sv, 0), why);
            return finish(sv, s);
        }
    }
    s->tgt.rootfd = sv->collectfd;
    s->tgt.root = sv->collect;
    mpift_peer_file(&s->f, s->name, NULL);
    /* The worker's rank in the temporary name: two workers putting the
     * same name never share one; the last to finish wins the rename. */
    mpift_stream_recv(&s->xs, &s->f, &s->tgt, s->peer);
    n = mpift_reply_encode(s->reply, sizeof(s->reply), MPIFT_OK, "go");
    return mpift_mpi_status(
        MPI_Isend(s->reply, n, MPI_BYTE, s->peer, MPIFT_TAG_SVC_CONSOLE, sv->ctx->svc_comm, &s->rreq));
}

/* A free stream, with its buffers made at its first use. */
static struct stream *free_stream(struct server *sv, int *rc)
{
    struct stream *s = NULL;
    int i;

    for (i = 0; i < sv->nstreams && !s; i++)
        if (sv->st[i].phase == PH_FREE)
            s = &sv->st[i];
    *rc = MPIFT_OK;
    if (!s->have_x) {
        *rc = mpift_xfer_init(&s->x, sv->ctx->comm, sv->ctx->cfg, 1, &sv->ctx->watch);
        s->have_x = *rc == MPIFT_OK;
    }
    return s;
}

/* Start the oldest queued request on a free stream. */
static int start_next(struct server *sv)
{
    struct mpift_req *r = &sv->queue[sv->qhead];
    struct stream *s;
    char why[MPIFT_WHY_MAX], text[MPIFT_WHY_MAX];
    int rc;

    s = free_stream(sv, &rc);
    sv->qhead = (sv->qhead + 1) % sv->size;
    sv->qlen--;
    if (rc != MPIFT_OK)
        return rc;
    s->op = r->op;
    s->peer = r->peer;
    s->id = r->id;
    s->rreq = MPI_REQUEST_NULL;
    s->rootfd = -1;
    s->src = NULL;
    snprintf(s->name, sizeof(s->name), "%s", r->name);
    if (++sv->active > sv->peak)
        sv->peak = sv->active;
    s->phase = PH_XFER;
    s->rt = (struct mpift_route){ .parent = s->op == MPIFT_REQ_FETCH ? -1 : s->peer, .children = &s->peer,
                                  .nchildren = s->op == MPIFT_REQ_FETCH ? 1 : 0, .ntrees = 1 };
    mpift_stream_init(&s->xs, &s->x, s->id, &s->rt, &s->res);
    mpift_wait_start(&s->wt, &sv->ctx->watch, s->peer, "moving", s->name, NULL);
    s->wt.about = mpift_stream_about;
    s->wt.arg = &s->xs;
    /* The worker checked the name; a bad one here is refused all the same. */
    if (mpift_path_check_rel(r->name, why, sizeof(why)) != MPIFT_OK || r->name[0] == '\0' ||
        mpift_tmp_path(r->name)) {
        mpift_format(text, sizeof(text), "%s: %s", r->name,
                     !r->name[0] ? "not a file name" : mpift_tmp_path(r->name) ? MPIFT_TMP_WHY : why);
        if (s->op == MPIFT_REQ_FETCH) {
            mpift_stream_refuse(&s->xs, MPIFT_ERR_ESCAPE, text);
            return MPIFT_OK;
        }
        s->res.status = MPIFT_ERR_ESCAPE;
        snprintf(s->res.why, sizeof(s->res.why), "%s", text);
        return finish(sv, s);
    }
    if (s->op == MPIFT_REQ_PUT)
        return put_start(sv, s);
    fetch_start(sv, s);
    return MPIFT_OK;
}

/* Move a transfer on; once through, its final reply goes out. */
static int step(struct server *sv, struct stream *s, int *moved)
{
    int rc = mpift_stream_step(&s->xs, moved);

    if (rc == MPIFT_ERR_PROTO)
        mpift_log_error("%s %s %s rank %d (%s): %s: protocol error", verb(s), s->name,
                        s->op == MPIFT_REQ_FETCH ? "to" : "from", s->peer, host(sv, s->peer), s->xs.why);
    if (rc != MPIFT_OK || !mpift_stream_done(&s->xs))
        return rc;
    mpift_stream_end(&s->xs);
    return finish(sv, s);
}

/* ------------------------------------------------------------ the loop */

/* Take every request that has arrived. */
static int take_requests(struct server *sv, int *moved)
{
    struct mpift_req r;
    struct mpift_wait wt;
    MPI_Status st;
    char why[MPIFT_WHY_MAX];
    int flag, src, rc;

    for (;;) {
        if (MPI_Iprobe(MPI_ANY_SOURCE, MPIFT_TAG_SVC_REQUEST, sv->ctx->svc_comm, &flag, &st) != MPI_SUCCESS)
            return MPIFT_ERR_MPI;
        if (!flag)
            return MPIFT_OK;
        *moved = 1;
        mpift_wait_start(&wt, &sv->ctx->watch, st.MPI_SOURCE, "taking a request from", NULL, NULL);
        rc = mpift_req_recv(&wt, sv->ctx->svc_comm, st.MPI_SOURCE, MPIFT_TAG_SVC_REQUEST, sv->size, &r, &src, why,
                            sizeof(why));
        if (rc == MPIFT_OK && (src == 0 || sv->finished[src] || sv->busy[src] ||
                               (r.op != MPIFT_REQ_FETCH && r.op != MPIFT_REQ_PUT && r.op != MPIFT_REQ_DONE))) {
            snprintf(why, sizeof(why), "request %u %s", r.op,
                     sv->finished[src] ? "after mpift_done" : sv->busy[src] ? "while its last is open"
                                                                            : "that is not a client request");
            rc = MPIFT_ERR_PROTO;
        }
        if (rc == MPIFT_ERR_PROTO)
            mpift_log_error("rank %d (%s): %s: protocol error", src, host(sv, src), why);
        if (rc != MPIFT_OK)
            return rc;
        if (r.op == MPIFT_REQ_DONE) {
            sv->finished[src] = 1;
            sv->nfinished++;
            /* Its session ends: no more heartbeats for it. */
            rc = mpift_watch_release(&sv->ctx->watch, src);
            if (rc != MPIFT_OK)
                return rc;
            continue;
        }
        r.peer = src;
        sv->busy[src] = 1;
        sv->queue[(sv->qhead + sv->qlen) % sv->size] = r;
        sv->qlen++;
    }
}

static int serve_loop(struct server *sv, long *slack_was)
{
    int rc, i, moved, m;
    unsigned polls = 0;

    while (sv->nfinished < sv->size - 1 || sv->active > 0 || sv->qlen > 0) {
        moved = 0;
        rc = take_requests(sv, &moved);
        /* MPIFT_TEST_SERVE_GATHER=N (tests only) holds the first streams
         * until N requests wait, so a test sees exactly how many the master
         * runs at once without depending on timing. */
        if (sv->gather > 0 && (sv->qlen >= sv->gather || sv->nfinished == sv->size - 1))
            sv->gather = 0;
        while (rc == MPIFT_OK && sv->gather == 0 && sv->qlen > 0 && sv->active < sv->nstreams) {
            rc = start_next(sv);
            moved = 1;
        }
        for (i = 0; rc == MPIFT_OK && i < sv->nstreams; i++) {
            struct stream *s = &sv->st[i];
            if (s->phase == PH_FREE)
                continue;
            m = 0;
            if (s->phase == PH_REPLY) {
                if (tested(&s->rreq, &rc)) {
                    release(sv, s);
                    m = 1;
                }
            } else {
                rc = step(sv, s, &m);
            }
            /* Each stream has its own deadline (a worker gone stops the job). */
            if (m)
                mpift_wait_moved(&s->wt);
            else if (rc == MPIFT_OK && s->phase != PH_FREE)
                mpift_wait_check(&s->wt);
            moved |= m;
        }
        if (rc != MPIFT_OK)
            return rc;
        /* Nothing moved: give the core back (ranks are often oversubscribed),
         * briefly at first so a busy link is not slowed down.  Between
         * requests this waits as long as workers take: the heartbeats go
         * on meanwhile. */
        if (moved) {
            polls = 0;
            mpift_watch_tick(&sv->ctx->watch);
        } else {
            mpift_watch_pause(&sv->ctx->watch, &polls, slack_was);
        }
    }
    return MPIFT_OK;
}

/* `rc`: how serving ended; after a failure the job is aborting, and sends
 * still going out are not waited for. */
static void server_free(struct server *sv, int rc)
{
    int i;

    for (i = 0; sv->st && i < sv->nstreams; i++) {
        struct stream *s = &sv->st[i];
        if (s->phase != PH_FREE)
            release(sv, s);
        if (!s->have_x)
            continue;
        if (rc == MPIFT_OK)
            mpift_xfer_flush(&s->x);
        mpift_xfer_free(&s->x);
    }
    free(sv->st);
    free(sv->queue);
    free(sv->busy);
    free(sv->finished);
    if (sv->collectfd >= 0)
        close(sv->collectfd);
}

static int serve(struct mpift_ctx *ctx, struct mpift_serve_stats *stats)
{
    struct server sv;
    double t0 = MPI_Wtime();
    int rc = MPIFT_OK;
    long slack_was = MPIFT_SLACK_UNSET;   /* serve_loop's pauses (comm/watch.h) */

    if (!ctx)
        return MPIFT_ERR_USAGE;
    ctx->errmsg[0] = '\0';
    if (ctx->topo.rank != 0 || ctx->served) {
        snprintf(ctx->errmsg, sizeof(ctx->errmsg), "serve: %s", ctx->topo.rank != 0
                 ? "only rank 0 serves; workers call mpift_fetch/put/done" : "called a second time");
        return MPIFT_ERR_USAGE;
    }
    ctx->served = 1;
    mpift_watch_begin(&ctx->watch);
    memset(&sv, 0, sizeof(sv));
    sv.ctx = ctx;
    sv.size = ctx->topo.size;
    sv.nstreams = ctx->cfg->max_streams;
    sv.collectfd = -1;
    {
        const char *g = mpift_fault_env("MPIFT_TEST_SERVE_GATHER");
        sv.gather = g ? atoi(g) : 0;
    }
    sv.st = calloc((size_t)sv.nstreams, sizeof(*sv.st));
    sv.queue = calloc((size_t)sv.size, sizeof(*sv.queue));
    sv.busy = calloc((size_t)sv.size, 1);
    sv.finished = calloc((size_t)sv.size, 1);
    if (!sv.st || !sv.queue || !sv.busy || !sv.finished) {
        rc = MPIFT_ERR_NOMEM;
        goto out;
    }
    if (mpift_ctx_rank0_path(ctx, ctx->cfg->source, sv.source, sizeof(sv.source)) != MPIFT_OK ||
        (ctx->cfg->collect &&
         mpift_ctx_rank0_path(ctx, ctx->cfg->collect, sv.collect, sizeof(sv.collect)) != MPIFT_OK)) {
        /* Templates were checked when the configuration loaded. */
        mpift_log_error("serve: paths.source or paths.collect of %s does not expand to a path", ctx->cfg->file);
        rc = MPIFT_ERR_CONFIG;
        goto out;
    }
    rc = serve_loop(&sv, &slack_was);
    mpift_watch_slack_restore(&slack_was);
    /* Every worker's END: then none of their heartbeats is left. */
    if (rc == MPIFT_OK)
        rc = mpift_watch_end(&ctx->watch);
out:
    sv.stats.peak_streams = sv.peak;
    sv.stats.seconds = MPI_Wtime() - t0;
    if (stats && stats->size >= sizeof(uint32_t)) {
        uint32_t size = stats->size < sizeof(sv.stats) ? stats->size : (uint32_t)sizeof(sv.stats);
        sv.stats.size = size;
        memcpy(stats, &sv.stats, size);
    }
    server_free(&sv, rc);
    if (rc != MPIFT_OK && !ctx->errmsg[0])
        snprintf(ctx->errmsg, sizeof(ctx->errmsg), "serve: %s", mpift_strerror(rc));
    return rc;
}

/* With the context's message settings selected, the caller's put back
 * after (util/log.h). */
int mpift_serve(mpift_ctx_t *ctx, struct mpift_serve_stats *stats)
{
    struct mpift_log *was = mpift_log_enter(ctx ? &ctx->log : NULL);
    int rc = serve(ctx, stats);

    mpift_log_use(was);
    return rc;
}
