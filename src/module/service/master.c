/*
 * serve.c - the master side of the mpift.h service: mpift_serve().
 *
 * The master keeps up to workers.max_streams transfers in flight, one per
 * worker at most (a worker's calls block, so it has one request at a
 * time).  Each transfer is a small state machine over non-blocking MPI
 * calls, and one loop drives them all: take new requests, start queued
 * ones while a stream is free, and move every stream on as far as its
 * completed requests allow.  The bytes and headers on the wire are exactly
 * those of xfer.c, so the worker side is the ordinary blocking transfer.
 *
 *   FETCH  META (or ERROR) -> chunks, `window` in flight -> COMPLETE -> reply
 *   PUT    "go" reply, then receive META (or ERROR) -> chunks -> COMPLETE ->
 *          verify, rename -> reply
 */
#include "mpift_autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "mpift/mpift.h"
#include "util/faults.h"
#include "job/context.h"
#include "fs/fsafe.h"
#include "util/log.h"
#include "service/peer.h"
#include "wire/proto.h"
#include "wire/request.h"
#include "engine/sink.h"
#include "engine/xfer.h"

#define HDR_MAX MPIFT_META_WIRE_MAX
#define REPLY_CAP (MPIFT_REPLY_HDR + PATH_MAX + 512)

enum phase {
    PH_FREE = 0,
    PH_HEAD,     /* FETCH: META or ERROR going out; PUT: "go" out, waiting for META */
    PH_DATA,     /* chunks moving */
    PH_TAIL,     /* FETCH: COMPLETE going out; PUT: waiting for COMPLETE */
    PH_REPLY,    /* the final reply going out */
};

struct stream {
    enum phase phase;
    uint32_t op;
    int peer;
    uint64_t id;
    char name[PATH_MAX];
    int fd;                    /* FETCH: the source file */
    XXH3_state_t *hash;        /* FETCH: checksum of what went out */
    int read_err;
    int refused;               /* FETCH: ERROR sent instead of META */
    struct mpift_meta m;
    struct mpift_sink sink;    /* PUT */
    int have_sink;
    uint64_t posted, done;     /* chunks posted / completed */
    unsigned char **buf;       /* [window] chunk buffers, kept for reuse */
    MPI_Request *req;          /* [window] */
    unsigned char hdr[HDR_MAX];
    MPI_Request hreq;
    unsigned char reply[REPLY_CAP];
    MPI_Request rreq;
    int status;
    char why[PATH_MAX + 256];
};

struct server {
    struct mpift_ctx *ctx;
    int size, window, nstreams, active, peak;
    uint64_t chunk;
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

static int mpi_ok(int rc)
{
    return rc == MPI_SUCCESS ? MPIFT_OK : MPIFT_ERR_MPI;
}

/* Is the request done (MPI_REQUEST_NULL is)?  *rc set on an MPI failure. */
static int tested(MPI_Request *r, MPI_Status *status, int *rc)
{
    int flag = 0;

    if (MPI_Test(r, &flag, status ? status : MPI_STATUS_IGNORE) != MPI_SUCCESS) {
        *rc = MPIFT_ERR_MPI;
        return 0;
    }
    return flag;
}

static const char *host(struct server *sv, int rank)
{
    return sv->ctx->topo.hosts[rank];
}

/* ------------------------------------------------------------ finishing */

/* Send the final reply; the stream is freed once it has gone. */
static int finish(struct server *sv, struct stream *s)
{
    int n;

    if (MPI_Wait(&s->rreq, MPI_STATUS_IGNORE) != MPI_SUCCESS) /* a PUT's "go": long since received */
        return MPIFT_ERR_MPI;
    n = mpift_reply_encode(s->reply, sizeof(s->reply), s->status, s->status == MPIFT_OK ? "" : s->why);
    s->phase = PH_REPLY;
    /* The worker may ask again as soon as this reply lands, before the
     * stream is released. */
    sv->busy[s->peer] = 0;
    sv->stats.requests++;
    if (s->status != MPIFT_OK)
        sv->stats.failed++;
    else if (s->op == MPIFT_REQ_FETCH)
        sv->stats.bytes_out += s->m.size;
    else
        sv->stats.bytes_in += s->m.size;
    if (s->status == MPIFT_OK)
        mpift_log_verbose("%s %s %s rank %d (%s): %llu bytes", s->op == MPIFT_REQ_FETCH ? "fetch" : "put",
                          s->name, s->op == MPIFT_REQ_FETCH ? "->" : "<-", s->peer, host(sv, s->peer),
                          (unsigned long long)s->m.size);
    else
        mpift_log_verbose("%s %s for rank %d (%s) failed: %s", s->op == MPIFT_REQ_FETCH ? "fetch" : "put",
                          s->name, s->peer, host(sv, s->peer), s->why);
    return mpi_ok(MPI_Isend(s->reply, n, MPI_BYTE, s->peer, MPIFT_TAG_SVC_CONSOLE, sv->ctx->svc_comm, &s->rreq));
}

static void release(struct server *sv, struct stream *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    if (s->have_sink)
        mpift_sink_abort(&s->sink);
    s->have_sink = 0;
    s->phase = PH_FREE;
    sv->active--;
}

/* ------------------------------------------------------------ fetch */

/* The ERROR signal instead of the file: the worker creates nothing. */
static int fetch_refuse(struct server *sv, struct stream *s, int code)
{
    struct mpift_error_msg e;
    int n;

    memset(&e, 0, sizeof(e));
    e.file_id = s->id;
    e.code = code;
    mpift_say(e.text, sizeof(e.text), "%s", s->why);
    s->status = code;
    s->refused = 1;
    n = mpift_error_encode(&e, s->hdr, sizeof(s->hdr));
    if (n < 0)
        return n;
    return mpi_ok(MPI_Isend(s->hdr, n, MPI_BYTE, s->peer, MPIFT_TAG_ERROR, sv->ctx->comm, &s->hreq));
}

static int fetch_start(struct server *sv, struct stream *s)
{
    char real[PATH_MAX];
    struct stat st;
    int n, rc;

    s->phase = PH_HEAD;
    rc = mpift_source_resolve(sv->source, s->name, real, s->why, sizeof(s->why));
    if (rc != MPIFT_OK)
        return fetch_refuse(sv, s, rc);
    s->fd = mpift_source_open(real, &st, &rc, s->why, sizeof(s->why));
    if (s->fd < 0)
        return fetch_refuse(sv, s, rc);
    mpift_meta_of(s->id, s->name, &st, sv->chunk, &s->m);
#ifdef POSIX_FADV_SEQUENTIAL
    posix_fadvise(s->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    if (!s->hash && !(s->hash = XXH3_createState()))
        return MPIFT_ERR_NOMEM;
    XXH3_64bits_reset(s->hash);
    n = mpift_meta_encode(&s->m, s->hdr, sizeof(s->hdr));
    if (n < 0)
        return n;
    s->status = MPIFT_OK;
    s->phase = PH_DATA;
    return mpi_ok(MPI_Isend(s->hdr, n, MPI_BYTE, s->peer, MPIFT_TAG_METADATA, sv->ctx->comm, &s->hreq));
}

/* Move a FETCH on; *moved when anything happened. */
static int fetch_step(struct server *sv, struct stream *s, int *moved)
{
    struct mpift_complete c;
    int rc = MPIFT_OK, b, n;

    if (s->phase == PH_HEAD) { /* only a refusal waits here */
        if (tested(&s->hreq, NULL, &rc)) {
            *moved = 1;
            return finish(sv, s);
        }
        return rc;
    }
    if (s->phase == PH_DATA) {
        while (s->posted < s->m.nchunks) {
            size_t len = s->posted + 1 == s->m.nchunks ? s->m.last_chunk : s->m.chunk_size;
            b = (int)(s->posted % (uint64_t)sv->window);
            if (!tested(&s->req[b], NULL, &rc))
                return rc;
            if (!s->read_err)
                s->read_err = mpift_read_chunk(s->fd, s->buf[b], len, s->posted * s->m.chunk_size);
            else
                memset(s->buf[b], 0, len);
            XXH3_64bits_update(s->hash, s->buf[b], len);
            /* Synchronous, as in xfer.c: a slow worker bounds what waits for it. */
            if (MPI_Issend(s->buf[b], (int)len, MPI_BYTE, s->peer, MPIFT_TAG_DATA, sv->ctx->comm,
                          &s->req[b]) != MPI_SUCCESS)
                return MPIFT_ERR_MPI;
            s->posted++;
            *moved = 1;
        }
        for (b = 0; b < sv->window; b++)
            if (!tested(&s->req[b], NULL, &rc))
                return rc;
        if (!tested(&s->hreq, NULL, &rc)) /* the header buffer is reused below */
            return rc;
        memset(&c, 0, sizeof(c));
        c.file_id = s->id;
        c.size = s->m.size;
        c.status = s->read_err ? MPIFT_SEND_FAILED : MPIFT_SEND_OK;
        c.err = s->read_err;
        c.cksum_kind = sv->ctx->cfg->checksum == MPIFT_CKSUM_XXH3 ? 1 : 0;
        c.digest = c.cksum_kind ? XXH3_64bits_digest(s->hash) : 0;
        n = mpift_complete_encode(&c, s->hdr, sizeof(s->hdr));
        if (s->read_err) {
            s->status = MPIFT_ERR_IO;
            mpift_say(s->why, sizeof(s->why), "%s/%s on %s: read failed: %s", sv->source, s->name, host(sv, 0),
                     strerror(s->read_err));
        }
        s->phase = PH_TAIL;
        *moved = 1;
        return mpi_ok(MPI_Isend(s->hdr, n, MPI_BYTE, s->peer, MPIFT_TAG_CONTROL, sv->ctx->comm, &s->hreq));
    }
    /* PH_TAIL */
    if (tested(&s->hreq, NULL, &rc)) {
        *moved = 1;
        return finish(sv, s);
    }
    return rc;
}

/* ------------------------------------------------------------ put */

/* Refuse a put before any data moves: the reply says why. */
static int put_refuse(struct server *sv, struct stream *s, int code)
{
    s->status = code;
    s->m.size = 0;
    return finish(sv, s);
}

static int put_start(struct server *sv, struct stream *s)
{
    char why[PATH_MAX + 256];
    int n;

    s->phase = PH_HEAD;
    memset(&s->m, 0, sizeof(s->m));
    if (!sv->collect[0]) {
        snprintf(s->why, sizeof(s->why), "paths.collect is not set in %s; put writes there (add collect = "
                 "\"DIR\";)", sv->ctx->cfg->file);
        return put_refuse(sv, s, MPIFT_ERR_CONFIG);
    }
    if (sv->collectfd < 0) {
        sv->collectfd = mpift_root_open(sv->collect, why, sizeof(why));
        if (sv->collectfd < 0) {
            int code = sv->collectfd;
            mpift_say(s->why, sizeof(s->why), "%s on %s: %s", sv->collect, host(sv, 0), why);
            return put_refuse(sv, s, code);
        }
    }
    /* The worker's first message is META or ERROR; post for it before "go". */
    if (MPI_Irecv(s->hdr, sizeof(s->hdr), MPI_BYTE, s->peer, MPI_ANY_TAG, sv->ctx->comm, &s->hreq) != MPI_SUCCESS)
        return MPIFT_ERR_MPI;
    n = mpift_reply_encode(s->reply, sizeof(s->reply), MPIFT_OK, "go");
    return mpi_ok(MPI_Isend(s->reply, n, MPI_BYTE, s->peer, MPIFT_TAG_SVC_CONSOLE, sv->ctx->svc_comm, &s->rreq));
}

static int put_proto(struct server *sv, struct stream *s, const char *why)
{
    mpift_log_error("put %s from rank %d (%s): %s: protocol error", s->name, s->peer, host(sv, s->peer), why);
    return MPIFT_ERR_PROTO;
}

/* META or ERROR arrived. */
static int put_head(struct server *sv, struct stream *s, MPI_Status *st)
{
    char why[256];
    int len, b;

    MPI_Get_count(st, MPI_BYTE, &len);
    if (st->MPI_TAG == MPIFT_TAG_ERROR) {
        struct mpift_error_msg e;
        if (mpift_error_decode(s->hdr, (size_t)len, &e, why, sizeof(why)) != MPIFT_OK)
            return put_proto(sv, s, why);
        if (e.file_id != s->id)
            return put_proto(sv, s, "ERROR for another file");
        snprintf(s->why, sizeof(s->why), "%s", e.text);
        s->status = e.code;
        return finish(sv, s);
    }
    if (st->MPI_TAG != MPIFT_TAG_METADATA)
        return put_proto(sv, s, "a message other than metadata came first");
    if (mpift_meta_decode(s->hdr, (size_t)len, &s->m, why, sizeof(why)) != MPIFT_OK)
        return put_proto(sv, s, why);
    if (s->m.file_id != s->id || strcmp(s->m.name, s->name) != 0 || s->m.chunk_size != sv->chunk)
        return put_proto(sv, s, "metadata for another file, or another chunk size");
    s->status = MPIFT_OK;
    /* The worker's rank in the temporary name: two workers putting the
     * same name never share one; the last to finish wins the rename. */
    if (mpift_sink_open(&s->sink, sv->collectfd, sv->collect, s->name, s->peer, s->why, sizeof(s->why)) ==
        MPIFT_OK)
        s->have_sink = 1;
    else
        s->status = MPIFT_ERR_IO;  /* the data is still drained */
    for (b = 0; b < sv->window && s->posted < s->m.nchunks; b++, s->posted++)
        if (MPI_Irecv(s->buf[b], (int)sv->chunk, MPI_BYTE, s->peer, MPIFT_TAG_DATA, sv->ctx->comm,
                      &s->req[b]) != MPI_SUCCESS)
            return MPIFT_ERR_MPI;
    s->phase = PH_DATA;
    return MPIFT_OK;
}

static int put_step(struct server *sv, struct stream *s, int *moved)
{
    struct mpift_complete c;
    MPI_Status st;
    char why[256];
    int rc = MPIFT_OK, b, count, len;

    if (s->phase == PH_HEAD) {
        if (!tested(&s->hreq, &st, &rc))
            return rc;
        *moved = 1;
        return put_head(sv, s, &st);
    }
    if (s->phase == PH_DATA) {
        while (s->done < s->m.nchunks) {
            uint64_t want = s->done + 1 == s->m.nchunks ? s->m.last_chunk : s->m.chunk_size;
            b = (int)(s->done % (uint64_t)sv->window);
            if (!tested(&s->req[b], &st, &rc))
                return rc;
            MPI_Get_count(&st, MPI_BYTE, &count);
            if (count < 0 || (uint64_t)count != want) {
                snprintf(why, sizeof(why), "chunk %llu has %d bytes, expected %llu", (unsigned long long)s->done,
                         count, (unsigned long long)want);
                return put_proto(sv, s, why);
            }
            if (s->have_sink)
                mpift_xfer_write(&s->sink, s->buf[b], (size_t)count, s->done * s->m.chunk_size, s->done == 0);
            s->done++;
            *moved = 1;
            if (s->posted < s->m.nchunks) {
                if (MPI_Irecv(s->buf[b], (int)sv->chunk, MPI_BYTE, s->peer, MPIFT_TAG_DATA, sv->ctx->comm,
                              &s->req[b]) != MPI_SUCCESS)
                    return MPIFT_ERR_MPI;
                s->posted++;
            }
        }
        s->phase = PH_TAIL;
        *moved = 1;
        return mpi_ok(MPI_Irecv(s->hdr, sizeof(s->hdr), MPI_BYTE, s->peer, MPIFT_TAG_CONTROL, sv->ctx->comm,
                                &s->hreq));
    }
    /* PH_TAIL: COMPLETE */
    if (!tested(&s->hreq, &st, &rc))
        return rc;
    *moved = 1;
    MPI_Get_count(&st, MPI_BYTE, &len);
    if (mpift_complete_decode(s->hdr, (size_t)len, &c, why, sizeof(why)) != MPIFT_OK)
        return put_proto(sv, s, why);
    if (c.file_id != s->id)
        return put_proto(sv, s, "COMPLETE for another file");
    if (c.status != MPIFT_SEND_OK) {
        snprintf(s->why, sizeof(s->why), "%s: the worker could not read it", s->name);
        s->status = MPIFT_ERR_IO;
    } else if (s->have_sink) {
        s->have_sink = 0;
        s->status = mpift_sink_commit(&s->sink, &s->m, &c, true, sv->ctx->cfg->fsync, s->why, sizeof(s->why));
    }
    return finish(sv, s);
}

/* ------------------------------------------------------------ the loop */

static int stream_buffers(struct server *sv, struct stream *s)
{
    int b;

    if (s->buf)
        return MPIFT_OK;
    s->buf = calloc((size_t)sv->window, sizeof(*s->buf));
    s->req = malloc((size_t)sv->window * sizeof(*s->req));
    if (!s->buf || !s->req)
        return MPIFT_ERR_NOMEM;
    for (b = 0; b < sv->window; b++) {
        s->req[b] = MPI_REQUEST_NULL;
        if (!(s->buf[b] = malloc(sv->chunk)))
            return MPIFT_ERR_NOMEM;
    }
    return MPIFT_OK;
}

/* Start the oldest queued request on a free stream. */
static int start_next(struct server *sv)
{
    struct mpift_req *r = &sv->queue[sv->qhead];
    struct stream *s = NULL;
    char why[256];
    int i, rc;

    for (i = 0; i < sv->nstreams && !s; i++)
        if (sv->st[i].phase == PH_FREE)
            s = &sv->st[i];
    sv->qhead = (sv->qhead + 1) % sv->size;
    sv->qlen--;
    rc = stream_buffers(sv, s);
    if (rc != MPIFT_OK)
        return rc;
    s->op = r->op;
    s->peer = r->peer;
    s->id = r->id;
    s->posted = s->done = 0;
    s->read_err = s->refused = 0;
    s->status = MPIFT_OK;
    s->why[0] = '\0';
    s->hreq = s->rreq = MPI_REQUEST_NULL;
    snprintf(s->name, sizeof(s->name), "%s", r->name);
    if (++sv->active > sv->peak)
        sv->peak = sv->active;
    s->phase = PH_HEAD;
    /* The worker checked the name; a bad one here is refused all the same. */
    if (mpift_path_check_rel(r->name, why, sizeof(why)) == MPIFT_OK && r->name[0] != '\0')
        return s->op == MPIFT_REQ_FETCH ? fetch_start(sv, s) : put_start(sv, s);
    mpift_say(s->why, sizeof(s->why), "%s: %s", r->name, r->name[0] ? why : "not a file name");
    return s->op == MPIFT_REQ_FETCH ? fetch_refuse(sv, s, MPIFT_ERR_ESCAPE) : put_refuse(sv, s, MPIFT_ERR_ESCAPE);
}

/* Take every request that has arrived. */
static int take_requests(struct server *sv, int *moved)
{
    struct mpift_req r;
    MPI_Status st;
    char why[256];
    int flag, src, rc;

    for (;;) {
        if (MPI_Iprobe(MPI_ANY_SOURCE, MPIFT_TAG_SVC_REQUEST, sv->ctx->svc_comm, &flag, &st) != MPI_SUCCESS)
            return MPIFT_ERR_MPI;
        if (!flag)
            return MPIFT_OK;
        *moved = 1;
        rc = mpift_req_recv(sv->ctx->svc_comm, st.MPI_SOURCE, MPIFT_TAG_SVC_REQUEST, sv->size, &r, &src, why,
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
            continue;
        }
        r.peer = src;
        sv->busy[src] = 1;
        sv->queue[(sv->qhead + sv->qlen) % sv->size] = r;
        sv->qlen++;
    }
}

static int serve_loop(struct server *sv)
{
    int rc, i, moved, idle = 0;

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
            if (s->phase == PH_REPLY) {
                if (tested(&s->rreq, NULL, &rc)) {
                    release(sv, s);
                    moved = 1;
                }
                continue;
            }
            rc = s->op == MPIFT_REQ_FETCH ? fetch_step(sv, s, &moved) : put_step(sv, s, &moved);
        }
        if (rc != MPIFT_OK)
            return rc;
        /* Nothing moved: give the core back (ranks are often oversubscribed),
         * briefly at first so a busy link is not slowed down. */
        if (moved) {
            idle = 0;
        } else if (++idle < 64) {
            sched_yield();
        } else {
            struct timespec ts = { 0, 50000 };
            nanosleep(&ts, NULL);
        }
    }
    return MPIFT_OK;
}

static void server_free(struct server *sv)
{
    int i, b;

    for (i = 0; sv->st && i < sv->nstreams; i++) {
        struct stream *s = &sv->st[i];
        if (s->phase != PH_FREE)
            release(sv, s);
        for (b = 0; s->buf && b < sv->window; b++)
            free(s->buf[b]);
        free(s->buf);
        free(s->req);
        XXH3_freeState(s->hash);
    }
    free(sv->st);
    free(sv->queue);
    free(sv->busy);
    free(sv->finished);
    if (sv->collectfd >= 0)
        close(sv->collectfd);
}

int mpift_serve(mpift_ctx_t *ctx, struct mpift_serve_stats *stats)
{
    struct server sv;
    double t0 = MPI_Wtime();
    int rc = MPIFT_OK, i;

    if (!ctx)
        return MPIFT_ERR_USAGE;
    ctx->errmsg[0] = '\0';
    if (ctx->topo.rank != 0 || ctx->served) {
        snprintf(ctx->errmsg, sizeof(ctx->errmsg), "serve: %s", ctx->topo.rank != 0
                 ? "only rank 0 serves; workers call mpift_fetch/put/done" : "called a second time");
        return MPIFT_ERR_USAGE;
    }
    ctx->served = 1;
    memset(&sv, 0, sizeof(sv));
    sv.ctx = ctx;
    sv.size = ctx->topo.size;
    sv.window = ctx->cfg->window;
    sv.chunk = ctx->cfg->chunk_size;
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
    for (i = 0; i < sv.nstreams; i++)
        sv.st[i].fd = -1;
    if (mpift_ctx_rank0_path(ctx, ctx->cfg->source, sv.source, sizeof(sv.source)) != MPIFT_OK ||
        (ctx->cfg->collect &&
         mpift_ctx_rank0_path(ctx, ctx->cfg->collect, sv.collect, sizeof(sv.collect)) != MPIFT_OK)) {
        /* Templates were checked when the configuration loaded. */
        mpift_log_error("serve: paths.source or paths.collect of %s does not expand to a path", ctx->cfg->file);
        rc = MPIFT_ERR_CONFIG;
        goto out;
    }
    rc = serve_loop(&sv);
out:
    sv.stats.peak_streams = sv.peak;
    sv.stats.seconds = MPI_Wtime() - t0;
    if (stats && stats->size >= sizeof(uint32_t)) {
        uint32_t size = stats->size < sizeof(sv.stats) ? stats->size : (uint32_t)sizeof(sv.stats);
        sv.stats.size = size;
        memcpy(stats, &sv.stats, size);
    }
    server_free(&sv);
    if (rc != MPIFT_OK && !ctx->errmsg[0])
        snprintf(ctx->errmsg, sizeof(ctx->errmsg), "serve: %s", mpift_strerror(rc));
    return rc;
}
