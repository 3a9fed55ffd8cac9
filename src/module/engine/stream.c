/*
 * stream.c - one file through one rank, step by step (see stream.h): the
 * source's side and the side of the ranks below it.
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

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "util/hash.h"

#include "mpift/mpift.h"
#include "util/log.h"
#include "comm/wait.h"
#include "wire/tags.h"
#include "engine/holes.h"
#include "engine/inject.h"
#include "engine/outcome.h"
#include "engine/route_io.h"
#include "engine/source.h"
#include "engine/stream.h"
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

static int proto(struct mpift_xfer_stream *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int proto(struct mpift_xfer_stream *s, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(s->why, sizeof(s->why), fmt, ap);
    va_end(ap);
    return MPIFT_ERR_PROTO;
}

static int other_file(struct mpift_xfer_stream *s)
{
    return proto(s, "message for another file (expected file %llu, %s)", (unsigned long long)s->id, s->f->dest);
}

/* Verify this rank's copy against what METADATA and COMPLETE announced,
 * and commit it. */
static void commit(struct mpift_xfer_stream *s, const struct mpift_complete *c)
{
    struct mpift_expect e = { .size = s->m.size, .sent = c->size, .mtime_sec = s->m.mtime_sec,
                              .mtime_nsec = s->m.mtime_nsec, .mode = s->m.mode,
                              .cksum = (enum mpift_wire_cksum)c->cksum_kind, .digest = c->digest };

    s->have_sink = 0;
    mpift_outcome_commit(s->x, &s->sink, &e, s->f->preserve, s->res);
}

/* ------------------------------------------------------------ source */

static void recv_start(struct mpift_xfer_stream *s);

/* ERROR instead of the file, with the outcome in res. */
static int send_error(struct mpift_xfer_stream *s)
{
    struct mpift_error_msg e;
    int n;

    memset(&e, 0, sizeof(e));
    e.file_id = s->id;
    e.code = s->res->status;
    mpift_format(e.text, sizeof(e.text), "%s", s->res->why);
    n = mpift_error_encode(&e, s->x->hdr, MPIFT_HDR_MAX);
    if (n < 0)
        return n;
    s->phase = MPIFT_SP_END;
    return mpift_hdr_send(s->x, s->rt, n, MPIFT_TAG_ERROR);
}

/* Open the source and send its METADATA (or ERROR). */
static int send_open(struct mpift_xfer_stream *s)
{
    struct mpift_xfer *x = s->x;
    int len, code, rc;

    if (!s->refused) {
        s->fd = mpift_source_open(x->srcfd, x->srcroot, s->f->src, &s->st, &code, s->why, sizeof(s->why));
        if (s->fd < 0)
            mpift_stream_refuse(s, code, s->why);
        else if (s->rt->striped && mpift_stripe_start(s, s->why, sizeof(s->why)) != 0)
            mpift_stream_refuse(s, MPIFT_ERR_IO, s->why);
        else if (s->f->keyed && !x->keyhash && !(x->keyhash = XXH3_createState()))
            mpift_stream_refuse(s, MPIFT_ERR_NOMEM, "out of memory to check a file against its content key");
    }
    if (s->refused)
        return send_error(s);
    mpift_meta_of(s->id, s->f->dest, &s->st, x->chunk, &s->m);
    /* A striped route's readers read chunks by their place in the file:
     * its holes go chunk by chunk. */
    if (!s->rt->striped)
        mpift_source_holes(s->fd, &s->m, &s->holes);
    mpift_holes_count(s);
    mpift_meter_expect(x->meter, s->m.size);
    len = mpift_head_encode(&s->m, &s->holes, x->hdr, MPIFT_HDR_MAX);
    if (len < 0)
        return len;
    mpift_inject_bad_header(x);
    rc = mpift_hdr_send(x, s->rt, len, MPIFT_TAG_METADATA);
    if (rc != MPIFT_OK)
        return rc;
#ifdef POSIX_FADV_SEQUENTIAL
    posix_fadvise(s->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    if (s->tgt)
        s->have_sink = mpift_outcome_open(x, s->tgt, s->f->dest, s->sink_rank, &s->m, &s->sink, s->res);
    if (x->hash)
        XXH3_64bits_reset(x->hash);
    if (x->whole)
        XXH3_64bits_reset(x->whole);
    if (s->f->keyed)
        XXH3_128bits_reset(x->keyhash);
    mpift_codec_start(&x->codec, &s->zf);
    s->acked = 0;
    if (s->rt->striped)
        recv_start(s);   /* the origin of a striped route takes the others' shares */
    s->phase = MPIFT_SP_DATA;
    return MPIFT_OK;
}

/* auto: the chunks whose sends are done, oldest first, for the link's
 * pace (zipauto.h); one whose buffer was taken again was done. */
static void acked(struct mpift_xfer_stream *s)
{
    struct mpift_xfer *x = s->x;
    int rc = MPIFT_OK, b;

    while (s->acked < s->next) {
        b = mpift_route_slot(x, s->acked);
        if (s->acked + (uint64_t)x->window >= s->next && !mpift_route_free(x, b, &rc))
            break;   /* an MPI error: the next wait on the buffer reports it */
        mpift_codec_acked(&x->codec, b);
        s->acked++;
    }
}

/* The chunk at s->off (len bytes in buffer b): its KEEP frame when every
 * writer of the route offered it with this hash (base.h), else 0.  Chunks
 * are counted in the file (s->off), not in DATA messages, which skip a
 * file's hole extents (holes.h). */
static int keep_frame(struct mpift_xfer_stream *s, int b, int len)
{
    struct mpift_xfer *x = s->x;
    struct mpift_keep *k = x->keep;
    uint64_t h;

    if (!k || s->rt->striped || len <= MPIFT_KEEP_FRAME)
        return 0;
    h = XXH3_64bits(x->buf[b], (size_t)len);
    if (!mpift_keep_chunk(k, (uint32_t)x->keep_m, s->off / s->m.chunk_size, h) || !mpift_codec_keep(&x->codec, &s->zf, b, h, len))
        return 0;
    return MPIFT_KEEP_FRAME;
}

/* Read, send, hash and write every chunk a free buffer allows. */
static int send_data(struct mpift_xfer_stream *s, int *moved)
{
    struct mpift_xfer *x = s->x;
    int rc = MPIFT_OK, b, len, flen, tag, hole;
    double since;

    while (mpift_holes_pass(s), s->next < s->nmsg) {
        b = mpift_route_slot(x, s->next);
        len = mpift_holes_msg_len(s, s->next);
        if (!mpift_route_free(x, b, &rc)) {
            mpift_codec_waited(&x->codec);   /* the link holds the source back (zipauto.h) */
            return rc;
        }
        since = mpift_codec_clock(&x->codec);
        /* A hole of the source is not read: it is zeros, and goes as a
         * zero frame (compress.h).  A source that fills it meanwhile
         * changes its mtime, and the end's check sends it again. */
        hole = s->read_err || mpift_source_hole_noted(s->fd, s->off, (size_t)len, &s->extent, &s->unread);
        if (!hole)
            s->read_err = mpift_read_chunk(s->fd, x->buf[b], (size_t)len, s->off);
        else
            memset(x->buf[b], 0, (size_t)len);
        mpift_inject_pause_chunk(x->rank, s->next);
        mpift_inject_fill_hole(x->rank, s->fd, &s->holes, s->next);
        /* Compressed once, here: relays pass the frame on as it is.  A
         * chunk every writer of the route holds goes as a KEEP frame. */
        tag = mpift_route_tag(s->rt, s->next);
        flen = hole || s->read_err ? 0 : keep_frame(s, b, len);
        if (!flen)
            flen = mpift_codec_pack(&x->codec, &s->zf, b, x->buf[b], len);
        if (flen > 0)
            mpift_inject_corrupt_frame(mpift_codec_frame(&x->codec, b), flen);
        rc = flen > 0 ? mpift_route_isend_from(x, s->rt, b, mpift_codec_frame(&x->codec, b), flen, s->next, tag)
                      : mpift_route_isend(x, s->rt, b, len, s->next, tag);
        if (rc != MPIFT_OK)
            return rc;
        if (x->hash)
            XXH3_64bits_update(x->hash, x->buf[b], (size_t)len);
        mpift_holes_whole(s, x->buf[b], (uint64_t)len);   /* the report's and the key's digests */
        if (s->have_sink && flen > 0 && mpift_codec_is_zero(mpift_codec_frame(&x->codec, b), flen))
            mpift_sink_hole(&s->sink, x->buf[b], (size_t)len, s->off);
        else if (s->have_sink)
            mpift_sink_write(&s->sink, x->buf[b], (size_t)len, s->off);
        mpift_meter_bytes(x->meter, (uint64_t)len);
        s->off += (uint64_t)len;
        s->next++;
        *moved = 1;
        if (x->codec.mode == MPIFT_COMPRESS_AUTO) {
            acked(s);
            mpift_codec_sent(&x->codec, b, len, flen, since, (int)(s->next - s->acked));
        }
    }
    x->base = (x->base + s->nmsg) % (uint64_t)x->window;  /* sends may still be going out */
    s->phase = MPIFT_SP_TAIL;
    return MPIFT_OK;
}

/* COMPLETE: what was sent and its checksum; then this rank's copy. */
static int send_tail(struct mpift_xfer_stream *s)
{
    struct mpift_xfer *x = s->x;
    struct mpift_complete c;
    int rc = MPIFT_OK, len, changed, refused = 0;

    if (!mpift_hdr_sent(x, &rc)) /* the METADATA is still in x->hdr */
        return rc;
    if (s->rt->striped && !mpift_stripe_heard(s, &rc)) /* every share read, or why not */
        return rc;
    /* What was read may mix two versions if the file changed meanwhile:
     * then no copy is kept, and the file may be sent again. */
    changed = (s->read_err == 0 || s->read_err == MPIFT_SOURCE_SHRANK) &&
              mpift_source_changed(s->fd, &s->st, s->read_err, s->f->src->path, s->res->why, sizeof(s->res->why));
    /* Data written into a hole sent as an extent, within the clock tick
     * of the open (mtime and ctime as they were): the same. */
    if (!changed && !s->read_err && mpift_source_holes_filled(s->fd, &s->holes, &s->unread)) {
        changed = 1;
        mpift_format(s->res->why, sizeof(s->res->why),
                     "%s: changed while being staged (a hole was written to while it was read)", s->f->src->path);
    }
    /* ... or, keyed, it is not what its key says: not kept under it. */
    if (!changed && !s->read_err && s->f->keyed)
        changed = mpift_source_not_key(s->f, XXH3_128bits_digest(x->keyhash), s->res->why, sizeof(s->res->why));
    /* A striped file this rank read whole and unchanged: every stripe must
     * be what it read (stripe.h). */
    if (!changed && !s->read_err && s->rt->striped)
        refused = mpift_stripe_refused(s, s->res->why, sizeof(s->res->why));
    memset(&c, 0, sizeof(c));
    c.file_id = s->id;
    c.size = s->m.size;
    c.status = changed ? MPIFT_SEND_CHANGED : s->read_err ? MPIFT_SEND_FAILED
             : refused ? MPIFT_SEND_STRIPE : MPIFT_SEND_OK;
    c.err = s->read_err > 0 ? s->read_err : 0;
    c.cksum_kind = x->cksum;
    c.digest = x->hash ? XXH3_64bits_digest(x->hash) : 0;
    c.whole = s->holes.n > 0 && x->whole_wanted && x->whole ? XXH3_64bits_digest(x->whole) : c.digest;
    s->res->digest = c.whole;
    if (!s->rt->striped)   /* a striped origin counted its chunks as they came, whole (recv_data) */
        s->res->wire = s->zf.wire;
    if (x->codec.mode != MPIFT_COMPRESS_NONE && s->m.size > 0 && !s->rt->striped) {
        char how[MPIFT_ZIP_SAY_MAX];
        mpift_codec_describe(&x->codec, &s->zf, how, sizeof(how));
        mpift_log_verbose("%s: %s", s->f->dest, how);
    }
    len = mpift_complete_encode(&c, x->hdr, MPIFT_HDR_MAX);
    rc = mpift_hdr_send(x, s->rt, len, MPIFT_TAG_CONTROL);
    s->phase = MPIFT_SP_END;
    if (changed || refused) {
        s->res->status = MPIFT_ERR_CHECKSUM;   /* as a copy that did not verify: it may be sent again */
        s->res->source_failed = 1;
        s->res->stripe_failed = refused;       /* ... from this rank alone */
    } else if (s->read_err) {
        mpift_outcome_set(s->res, MPIFT_ERR_IO, "%s: read failed: %s", s->f->src->path, strerror(s->read_err));
        s->res->source_failed = 1;
    } else if (s->have_sink) {
        commit(s, &c);
    }
    return rc;
}

/* ------------------------------------------------------------ below the source */

/* ERROR came instead of the file: pass it on and skip the file. */
static int recv_refusal(struct mpift_xfer_stream *s, int len)
{
    struct mpift_error_msg e;
    int rc = mpift_error_decode(s->x->hdr, (size_t)len, &e, s->why, sizeof(s->why));

    if (rc != MPIFT_OK)
        return rc;
    if (e.file_id != s->id)
        return other_file(s);
    /* The source reports it; here the file is just skipped. */
    mpift_outcome_set(s->res, e.code, "%s", e.text);
    s->res->source_failed = 1;
    s->phase = MPIFT_SP_END;
    return mpift_hdr_send(s->x, s->rt, len, MPIFT_TAG_ERROR);
}

/* Chunks are about to come: no buffer holds one, each tree starts at its
 * first. */
static void recv_start(struct mpift_xfer_stream *s)
{
    int b, t;

    for (b = 0; b < s->x->window; b++)
        s->x->arrived[b] = -1;
    for (t = 0; t < mpift_route_ntrees(s->rt); t++)
        s->nextfwd[t] = (uint64_t)t;
}

/* METADATA (or ERROR) from the parent: check, pass on, open the copy. */
static int recv_head(struct mpift_xfer_stream *s)
{
    struct mpift_xfer *x = s->x;
    int rc, got, tag, len;

    if (mpift_inject_silent(x->rank))
        return MPIFT_OK;
    rc = mpift_hdr_recv(x, s->rt->parent, &got, &tag, &len, s->why, sizeof(s->why));
    if (rc != MPIFT_OK || !got)
        return rc;
    if (tag == MPIFT_TAG_ERROR)
        return recv_refusal(s, len);
    if (tag != MPIFT_TAG_METADATA)
        return proto(s, "tag %d where metadata was expected", tag);
    rc = mpift_head_decode(x->hdr, (size_t)len, &s->m, &s->holes, s->why, sizeof(s->why));
    if (rc != MPIFT_OK)
        return rc;
    mpift_holes_count(s);
    if (s->m.file_id != s->id || strcmp(s->m.name, s->f->dest) != 0 || s->m.chunk_size != x->chunk)
        return other_file(s);
    mpift_meter_expect(x->meter, s->m.size);
    mpift_inject_bad_header(x);
    rc = mpift_hdr_send(x, s->rt, len, MPIFT_TAG_METADATA);
    if (rc != MPIFT_OK)
        return rc;
    if (s->tgt)
        s->have_sink = mpift_outcome_open(x, s->tgt, s->f->dest, s->sink_rank, &s->m, &s->sink, s->res);
    if (s->rt->striped)
        mpift_stripe_open(s);
    recv_start(s);
    s->phase = MPIFT_SP_DATA;
    return MPIFT_OK;
}

static int recv_forward(struct mpift_xfer_stream *s);

/* Post the receives the window allows, in chunk order, each once its
 * buffer's forwards (maybe of an earlier file's chunk) are done; on a
 * striped route, read this rank's own chunks instead. */
static int recv_post(struct mpift_xfer_stream *s)
{
    struct mpift_xfer *x = s->x;
    int rc = MPIFT_OK, b;

    while (s->posted < s->nmsg && s->posted < s->next + (uint64_t)x->window) {
        b = mpift_route_slot(x, s->posted);
        if (!mpift_route_free(x, b, &rc))
            return rc;
        if (mpift_stripe_reads(s, s->posted)) {
            mpift_stripe_read(s, b, s->posted++);
            rc = recv_forward(s);
        } else {
            rc = mpift_route_irecv(x, s->rt, b, s->posted++);
        }
        if (rc != MPIFT_OK)
            return rc;
    }
    return MPIFT_OK;
}

/*
 * Forward every chunk as soon as it and the earlier chunks of its tree are
 * here: with several trees chunk i+1 may come (from another parent) before
 * chunk i, and holding it back would tie each tree's relays to the others'
 * pace (measured: half the link rate).  Within a tree the order is kept,
 * since a child matches that tree's chunks in the order they are sent.
 * Writing, and so hashing, stays in file order.
 */
static int recv_forward(struct mpift_xfer_stream *s)
{
    struct mpift_xfer *x = s->x;
    int t, b, rc, ntrees = mpift_route_ntrees(s->rt);

    for (t = 0; t < ntrees; t++)
        while (s->nextfwd[t] < s->posted && x->arrived[b = mpift_route_slot(x, s->nextfwd[t])] >= 0) {
            rc = mpift_route_isend(x, s->rt, b, x->arrived[b], s->nextfwd[t], mpift_route_tag(s->rt, s->nextfwd[t]));
            if (rc != MPIFT_OK)
                return rc;
            s->nextfwd[t] += (uint64_t)ntrees;
        }
    return MPIFT_OK;
}

/* Take one chunk that has arrived and forward what may go on.  *got 0:
 * none had. */
static int recv_take(struct mpift_xfer_stream *s, int *got)
{
    struct mpift_xfer *x = s->x;
    MPI_Status st;
    int j, flag = 1, count, b = mpift_route_slot(x, s->next);
    uint64_t cn, want;

    *got = 0;
    if (MPI_Testany(x->window, x->rreq, &j, &flag, &st) != MPI_SUCCESS)
        return MPIFT_ERR_MPI;
    if (!flag || j == MPI_UNDEFINED)
        return MPIFT_OK;
    cn = s->next + (uint64_t)((j - b + x->window) % x->window);  /* the chunk in slot j */
    want = (uint64_t)mpift_holes_msg_len(s, cn);
    MPI_Get_count(&st, MPI_BYTE, &count);
    /* Shorter than the chunk: a compressed frame (proto.h, DATA). */
    if (count < 0 || (uint64_t)count > want ||
        ((uint64_t)count < want && (count == 0 || s->rt->striped ||
                                     (x->codec.mode == MPIFT_COMPRESS_NONE && !mpift_codec_is_keep(x->buf[j], count) &&
                                      !mpift_codec_is_zero(x->buf[j], count))))) {
        s->from = mpift_route_parent(s->rt, cn);
        return proto(s, "chunk %llu of %s has %d bytes, expected %llu", (unsigned long long)cn, s->f->dest, count,
                     (unsigned long long)want);
    }
    x->arrived[j] = count;
    *got = 1;
    return recv_forward(s);
}

/*
 * Write chunk s->next (count bytes in buffer b; a compressed frame when
 * fewer than want) to the copy.  A frame that does not decompress to its
 * chunk drops the copy: nothing of it is written, and the file may be
 * sent again as after a failed verification.
 */
static void write_chunk(struct mpift_xfer_stream *s, int b, int count, int want)
{
    struct mpift_xfer *x = s->x;
    const unsigned char *data = x->buf[b];
    char why[MPIFT_ZIP_SAY_MAX];
    int rc;

    if (count < want && mpift_codec_is_keep(data, count)) {
        if (mpift_sink_keep(&s->sink, s->off / s->m.chunk_size, mpift_codec_keep_hash(data), (size_t)want, s->off) == 0)
            return;
        mpift_sink_abort(&s->sink);
        s->have_sink = 0;
        mpift_outcome_set(s->res, MPIFT_ERR_CHECKSUM, "%s: chunk %llu was to be taken from what this node held "
                          "of the file, which no longer holds it; the copy was dropped", s->f->dest,
                          (unsigned long long)s->next);
        return;
    }
    if (count < want) {
        rc = mpift_codec_unpack(&x->codec, x->buf[b], count, want, &data, why, sizeof(why));
        if (rc != MPIFT_OK) {
            mpift_sink_abort(&s->sink);
            s->have_sink = 0;
            if (rc == MPIFT_ERR_NOMEM)
                mpift_outcome_set(s->res, MPIFT_ERR_IO, "%s: out of memory to decompress a chunk", s->f->dest);
            else
                mpift_outcome_set(s->res, MPIFT_ERR_CHECKSUM, "%s: chunk %llu from rank %d: %s; the copy was dropped",
                               s->f->dest, (unsigned long long)s->next, mpift_route_parent(s->rt, s->next), why);
            return;
        }
    }
    if (mpift_codec_is_zero(x->buf[b], count) && count < want)
        mpift_sink_hole(&s->sink, data, (size_t)want, s->off);
    else
        mpift_sink_chunk(&s->sink, data, (size_t)want, s->off, s->next == 0);
}

/* Receive, forward and write chunks in file order as far as they have come. */
static int recv_data(struct mpift_xfer_stream *s, int *moved)
{
    struct mpift_xfer *x = s->x;
    const unsigned char *data;
    int rc, b, got, count, want;

    for (;;) {
        rc = recv_post(s);
        mpift_holes_pass(s);
        if (rc != MPIFT_OK || s->next == s->nmsg)
            break;
        b = mpift_route_slot(x, s->next);
        while (x->arrived[b] < 0) {
            rc = recv_take(s, &got);
            if (rc != MPIFT_OK || !got)
                return rc;
            *moved = 1;
        }
        count = x->arrived[b];
        x->arrived[b] = -1;
        want = mpift_holes_msg_len(s, s->next);
        /* A striped route's origin: its chunks are whole (stripes are not
         * compressed, recv_take); it checks each against its own read and
         * hashes and writes its own bytes, in file order, as send_data
         * does (test faults hit receivers): the digest is the source's. */
        data = !s->source ? NULL : mpift_stripe_reads(s, s->next) ? x->buf[b] : mpift_stripe_check(s, b, count);
        if (s->source && x->hash)
            XXH3_64bits_update(x->hash, data, (size_t)count);
        if (s->source && s->f->keyed)
            XXH3_128bits_update(x->keyhash, data, (size_t)count);
        if (s->have_sink && s->source)
            mpift_sink_write(&s->sink, data, (size_t)count, s->off);
        else if (s->have_sink)
            write_chunk(s, b, count, want);
        mpift_inject_kill(x->rank);
        mpift_meter_bytes(x->meter, (uint64_t)want);
        s->res->wire += (uint64_t)count;
        s->off += (uint64_t)want;
        s->next++;
        *moved = 1;
    }
    if (rc != MPIFT_OK)
        return rc;
    /* The forwards may still be going out: the next file waits for a
     * buffer's sends before it reuses it, so a relay never waits here for
     * its children to catch up (per small file, that wait cost 3x). */
    x->base = (x->base + s->nmsg) % (uint64_t)x->window;
    s->phase = MPIFT_SP_TAIL;
    return s->rt->striped && !s->source ? mpift_stripe_report(s) : MPIFT_OK;
}

/* COMPLETE from the parent: check, pass on, verify and commit the copy. */
static int recv_tail(struct mpift_xfer_stream *s)
{
    struct mpift_xfer *x = s->x;
    struct mpift_complete c;
    int rc = MPIFT_OK, got, tag, len;

    if (!mpift_hdr_sent(x, &rc)) /* the METADATA passed on is still in x->hdr */
        return rc;
    rc = mpift_hdr_recv(x, s->rt->parent, &got, &tag, &len, s->why, sizeof(s->why));
    if (rc != MPIFT_OK || !got)
        return rc;
    if (tag != MPIFT_TAG_CONTROL)
        return proto(s, "tag %d where COMPLETE was expected", tag);
    rc = mpift_complete_decode(x->hdr, (size_t)len, &c, s->why, sizeof(s->why));
    if (rc != MPIFT_OK)
        return rc;
    if (c.file_id != s->id)
        return other_file(s);
    if (c.cksum_kind != x->cksum)
        return proto(s, "%s sent with checksum kind %u, this rank's is %u: transfer.checksum differs between ranks",
                     s->f->dest, c.cksum_kind, x->cksum);
    rc = mpift_hdr_send(x, s->rt, len, MPIFT_TAG_CONTROL);
    if (rc != MPIFT_OK)
        return rc;
    s->res->digest = c.whole;
    s->phase = MPIFT_SP_END;
    if (!mpift_outcome_sent(s->res, c.status, s->rt->striped, s->f->dest)) {
        /* The copy is dropped; a source that could not be read says why in c.err. */
        if (s->res->status == MPIFT_ERR_IO)
            s->read_err = c.err ? c.err : EIO;
    } else if (s->have_sink) {
        commit(s, &c);
    }
    return MPIFT_OK;
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
            rc = send_open(s);
            break;
        case MPIFT_SP_HEAD:
            rc = recv_head(s);
            break;
        case MPIFT_SP_DATA:
            rc = s->source && !s->rt->striped ? send_data(s, moved) : recv_data(s, moved);
            break;
        case MPIFT_SP_TAIL:
            rc = s->source ? send_tail(s) : recv_tail(s);
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
