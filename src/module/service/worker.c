/*
 * worker.c - the worker side of the service (see worker.h and mpift.h).
 *
 * Worker -> master: a REQUEST (FETCH or PUT) on the service communicator;
 * for PUT the master first answers "go" (or a refusal) once a stream is
 * free, so a worker's data never waits in the master's queue; then the
 * file moves with xfer on the data communicator; then the master's final
 * reply.  Worker -> worker: an ANNOUNCE with the name, the file, and the
 * receiver's verdict.  A checksum failure makes both sides go round again,
 * up to transfer.retries times: both see the same verdict, so they agree.
 */
#include "mpift_autoconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpift/mpift.h"
#include "service/worker.h"
#include "fs/fsafe.h"
#include "util/log.h"
#include "util/tmpname.h"
#include "comm/status.h"
#include "comm/wait.h"
#include "service/peer.h"
#include "service/request_io.h"
#include "wire/request.h"
#include "engine/xfer.h"

struct mpift_client {
    struct mpift_xfer x;
    unsigned char reply[MPIFT_REPLY_CAP];
};

void mpift_client_free(struct mpift_ctx *ctx)
{
    if (!ctx->client)
        return;
    /* Sends of the last call may still be going out; their receivers took
     * part in that call, so they complete. */
    mpift_xfer_flush(&ctx->client->x);
    mpift_xfer_free(&ctx->client->x);
    free(ctx->client);
    ctx->client = NULL;
}

static int fail(struct mpift_ctx *ctx, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct mpift_ctx *ctx, int rc, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(ctx->errmsg, sizeof(ctx->errmsg), fmt, ap);
    va_end(ap);
    return rc;
}

/* The common checks of a worker call; *norm gets the normalised name. */
static int begin(struct mpift_ctx *ctx, const char *what, const char *name, char *norm, size_t nlen)
{
    char why[MPIFT_WHY_MAX];

    ctx->errmsg[0] = '\0';
    if (ctx->topo.rank == 0)
        return fail(ctx, MPIFT_ERR_USAGE, "%s: rank 0 is the master; it serves with mpift_serve()", what);
    if (ctx->served)
        return fail(ctx, MPIFT_ERR_USAGE, "%s: called after mpift_done()", what);
    if (name) {
        if (mpift_path_check_rel(name, why, sizeof(why)) != MPIFT_OK)
            return fail(ctx, MPIFT_ERR_ESCAPE, "%s %s: %s", what, name, why);
        if (mpift_path_normalize(name, norm, nlen) != MPIFT_OK || norm[0] == '\0')
            return fail(ctx, MPIFT_ERR_RANGE, "%s %s: not a file name (too long, or the root itself)", what,
                        name);
        if (mpift_tmp_path(norm))
            return fail(ctx, MPIFT_ERR_USAGE, "%s %s: " MPIFT_TMP_WHY, what, name);
    }
    if (!ctx->client) {
        ctx->client = calloc(1, sizeof(*ctx->client));
        if (!ctx->client)
            return fail(ctx, MPIFT_ERR_NOMEM, "%s: out of memory", what);
        if (mpift_xfer_init(&ctx->client->x, ctx->comm, ctx->cfg, 1, &ctx->watch) != MPIFT_OK) {
            free(ctx->client);
            ctx->client = NULL;
            return fail(ctx, MPIFT_ERR_NOMEM, "%s: out of memory for %d buffers of %llu bytes", what,
                        ctx->cfg->window, (unsigned long long)ctx->cfg->chunk_size);
        }
    }
    /* The service's session runs from a worker's first call to its
     * mpift_done (comm/watch.h): the master's heartbeats let it wait as
     * long as the master serves others. */
    mpift_watch_begin(&ctx->watch);
    return MPIFT_OK;
}

/* A worker's call on another worker: a rank in 1..size-1 other than us. */
static int check_worker(struct mpift_ctx *ctx, const char *what, int rank)
{
    if (rank < 1 || rank >= ctx->topo.size || rank == ctx->topo.rank)
        return fail(ctx, MPIFT_ERR_RANGE, "%s: rank %d is not another worker (workers are 1..%d, this is %d)",
                    what, rank, ctx->topo.size - 1, ctx->topo.rank);
    return MPIFT_OK;
}

/* Job-level failures are said on stderr too: the caller will abort. */
static int broken(struct mpift_ctx *ctx, int rc, const char *what)
{
    fail(ctx, rc, "%s: %s; the job cannot go on", what, mpift_strerror(rc));
    mpift_log_error("%s", ctx->errmsg);
    return rc;
}

/* Go round again?  Warns as staging does, unless what is NULL (worker to
 * worker, where the sender says it, once). */
static int again(struct mpift_ctx *ctx, int status, int attempt, const char *what, const char *why)
{
    if (status != MPIFT_ERR_CHECKSUM || attempt > ctx->cfg->retries)
        return 0;
    if (what)
        mpift_log_warn("%s: %s; re-sending (attempt %d of %d)", what, why, attempt + 1, ctx->cfg->retries + 1);
    return 1;
}

enum call { CALL_FETCH, CALL_PUT, CALL_SEND };

/* The answer of rank `from` about `name` (a wait on the master goes on
 * while it serves others: its heartbeats count). */
static int answer(struct mpift_ctx *ctx, int from, const char *name, int *status, const char **text)
{
    struct mpift_wait wt;

    mpift_wait_start(&wt, &ctx->watch, from, "waiting for the answer about", name, "from");
    return mpift_reply_recv(&wt, ctx->svc_comm, from, ctx->client->reply, MPIFT_REPLY_CAP, status, text);
}

/*
 * The side of a call that asks: fetch (the master sends), put (we send to
 * the master, after its "go"), send_to (we send to worker `to`).  Each
 * attempt ends with the other side's reply: for put and send_to it is the
 * verdict on the copy it wrote; for fetch we judge the copy ourselves.
 */
static int ask(struct mpift_ctx *ctx, enum call k, const char *name, int to)
{
    static const char *const verb[] = { "fetch", "put", "send_to" };
    char norm[PATH_MAX], what[MPIFT_WHY_MAX], why[MPIFT_WHY_MAX];
    struct mpift_outcome res;
    struct mpift_wait wt;
    const char *text;
    int rc, status, verdict, attempt;

    if (!ctx || !name)
        return MPIFT_ERR_USAGE;
    rc = begin(ctx, verb[k], name, norm, sizeof(norm));
    if (rc == MPIFT_OK && k == CALL_SEND)
        rc = check_worker(ctx, verb[k], to);
    if (rc != MPIFT_OK)
        return rc;
    if (k != CALL_SEND)
        to = 0;
    mpift_format(what, sizeof(what), "%s %s %s rank %d (%s)", k == CALL_PUT ? "put" : k == CALL_SEND ? "send" : "fetch",
              norm, k == CALL_FETCH ? "from" : "to", to, ctx->topo.hosts[to]);
    for (attempt = 1;; attempt++) {
        uint64_t id = ctx->next_id++;

        status = MPIFT_OK;
        mpift_wait_start(&wt, &ctx->watch, to, "sending the request for", norm, "to");
        if (k == CALL_SEND)
            rc = mpift_req_send(&wt, ctx->svc_comm, to, MPIFT_TAG_SVC_ANNOUNCE, MPIFT_REQ_PUSH, ctx->topo.rank, id,
                                norm);
        else
            rc = mpift_req_send(&wt, ctx->svc_comm, 0, MPIFT_TAG_SVC_REQUEST,
                                k == CALL_PUT ? MPIFT_REQ_PUT : MPIFT_REQ_FETCH, 0, id, norm);
        if (rc == MPIFT_OK && k == CALL_PUT) /* "go", or why not */
            rc = answer(ctx, 0, norm, &status, &text);
        if (rc == MPIFT_OK && status != MPIFT_OK)
            return fail(ctx, status, "%s: %s", what, text);
        if (rc == MPIFT_OK)
            rc = k == CALL_FETCH ? mpift_peer_recv(&ctx->client->x, id, ctx->dest_root, norm, 0, &res)
                                 : mpift_peer_send(&ctx->client->x, id, ctx->dest_root, norm, to, &res);
        if (rc == MPIFT_OK)
            rc = answer(ctx, to, norm, &status, &text);
        if (rc != MPIFT_OK)
            return broken(ctx, rc, what);
        if (res.source_failed || k == CALL_FETCH) {
            verdict = res.status;
            mpift_format(why, sizeof(why), "%s", res.why);
        } else {
            verdict = status;
            mpift_format(why, sizeof(why), "%s", text);
        }
        if (!again(ctx, verdict, attempt, what, why))
            break;
    }
    if (verdict != MPIFT_OK)
        return fail(ctx, verdict, "%s: %s", what, why);
    return MPIFT_OK;
}

static int recv_from(struct mpift_ctx *ctx, int rank, char *name, size_t namelen)
{
    char what[MPIFT_WHY_MAX], why[MPIFT_WHY_MAX];
    struct mpift_outcome res;
    struct mpift_req r;
    struct mpift_wait wt;
    int rc, src, attempt;

    if (!ctx)
        return MPIFT_ERR_USAGE;
    rc = begin(ctx, "recv_from", NULL, NULL, 0);
    if (rc == MPIFT_OK)
        rc = check_worker(ctx, "recv_from", rank);
    if (rc != MPIFT_OK)
        return rc;
    snprintf(what, sizeof(what), "receive from rank %d (%s)", rank, ctx->topo.hosts[rank]);
    for (attempt = 1;; attempt++) {
        /* The sender calls mpift_send_to when it is ready, which may take
         * as long as the job works: an idle wait. */
        mpift_wait_start(&wt, &ctx->watch, rank, "waiting for a file from", NULL, NULL);
        wt.idle = 1;
        rc = mpift_req_recv(&wt, ctx->svc_comm, rank, MPIFT_TAG_SVC_ANNOUNCE, ctx->topo.size, &r, &src, why,
                            sizeof(why));
        if (rc == MPIFT_OK && (r.op != MPIFT_REQ_PUSH || r.peer != rank)) {
            snprintf(why, sizeof(why), "announcement of op %u for rank %d", r.op, r.peer);
            rc = MPIFT_ERR_PROTO;
        }
        if (rc == MPIFT_OK && mpift_path_check_rel(r.name, why, sizeof(why)) != MPIFT_OK)
            rc = MPIFT_ERR_PROTO; /* the sender checks names: this one was damaged */
        if (rc == MPIFT_ERR_PROTO)
            mpift_log_error("%s: %s: protocol error", what, why);
        if (rc == MPIFT_OK) {
            snprintf(what, sizeof(what), "receive %s from rank %d (%s)", r.name, rank, ctx->topo.hosts[rank]);
            rc = mpift_peer_recv(&ctx->client->x, r.id, ctx->dest_root, r.name, rank, &res);
        }
        mpift_wait_start(&wt, &ctx->watch, rank, "sending the verdict on", r.name, "to");
        if (rc == MPIFT_OK)
            rc = mpift_reply_send(&wt, ctx->svc_comm, rank, ctx->client->reply, MPIFT_REPLY_CAP, res.status,
                                  res.status == MPIFT_OK ? "" : res.why);
        if (rc != MPIFT_OK)
            return broken(ctx, rc, what);
        if (!again(ctx, res.status, attempt, NULL, res.why))
            break;
    }
    if (name && namelen)
        snprintf(name, namelen, "%s", r.name);
    if (res.status != MPIFT_OK)
        return fail(ctx, res.status, "%s: %s", what, res.why);
    return MPIFT_OK;
}

static int done(struct mpift_ctx *ctx)
{
    struct mpift_wait wt;
    int rc;

    if (!ctx)
        return MPIFT_ERR_USAGE;
    rc = begin(ctx, "done", NULL, NULL, 0);
    if (rc != MPIFT_OK)
        return rc;
    ctx->served = 1;
    mpift_wait_start(&wt, &ctx->watch, 0, "saying it is done to", NULL, NULL);
    rc = mpift_req_send(&wt, ctx->svc_comm, 0, MPIFT_TAG_SVC_REQUEST, MPIFT_REQ_DONE, 0, 0, "");
    /* The session's end: the master has taken every heartbeat of ours. */
    if (rc == MPIFT_OK)
        rc = mpift_watch_end(&ctx->watch);
    return rc == MPIFT_OK ? MPIFT_OK : broken(ctx, rc, "done");
}

/*
 * The public calls: each runs with its context's message settings
 * selected (util/log.h) and puts back the caller's on the way out, so no
 * selection outlives a call.
 */
static struct mpift_log *enter(struct mpift_ctx *ctx)
{
    return mpift_log_enter(ctx ? &ctx->log : NULL);
}

static int leave(struct mpift_log *was, int rc)
{
    mpift_log_use(was);
    return rc;
}

int mpift_fetch(mpift_ctx_t *ctx, const char *name)
{
    struct mpift_log *was = enter(ctx);
    return leave(was, ask(ctx, CALL_FETCH, name, 0));
}

int mpift_put(mpift_ctx_t *ctx, const char *name)
{
    struct mpift_log *was = enter(ctx);
    return leave(was, ask(ctx, CALL_PUT, name, 0));
}

int mpift_send_to(mpift_ctx_t *ctx, const char *name, int rank)
{
    struct mpift_log *was = enter(ctx);
    return leave(was, ask(ctx, CALL_SEND, name, rank));
}

int mpift_recv_from(mpift_ctx_t *ctx, int rank, char *name, size_t namelen)
{
    struct mpift_log *was = enter(ctx);
    return leave(was, recv_from(ctx, rank, name, namelen));
}

int mpift_done(mpift_ctx_t *ctx)
{
    struct mpift_log *was = enter(ctx);
    return leave(was, done(ctx));
}

const char *mpift_dest_root(const mpift_ctx_t *ctx)
{
    return ctx ? ctx->dest_root : "";
}

const char *mpift_errmsg(const mpift_ctx_t *ctx)
{
    return ctx ? ctx->errmsg : "";
}
