/*
 * stream_recv.c - a stream's steps on a rank below the source (see
 * stream.h): METADATA or ERROR from the parent, passed on; every chunk
 * received, forwarded and written in file order; COMPLETE passed on, the
 * copy verified and committed.
 */
#include "mpift_autoconf.h"

#include <errno.h>
#include <string.h>
#include "util/hash.h"

#include "mpift/mpift.h"
#include "util/log.h"
#include "wire/tags.h"
#include "engine/holes.h"
#include "engine/inject.h"
#include "engine/outcome.h"
#include "engine/route_io.h"
#include "engine/stream.h"
#include "engine/stream_steps.h"
#include "engine/stripe.h"

/* ERROR came instead of the file: pass it on and skip the file. */
static int recv_refusal(struct mpift_xfer_stream *s, int len)
{
    struct mpift_error_msg e;
    int rc = mpift_error_decode(s->x->hdr, (size_t)len, &e, s->why, sizeof(s->why));

    if (rc != MPIFT_OK)
        return rc;
    if (e.file_id != s->id)
        return mpift_stream_other_file(s);
    /* The source reports it; here the file is just skipped. */
    mpift_outcome_set(s->res, e.code, "%s", e.text);
    s->res->source_failed = 1;
    s->phase = MPIFT_SP_END;
    return mpift_hdr_send(s->x, s->rt, len, MPIFT_TAG_ERROR);
}

/* Chunks are about to come: no buffer holds one, each tree starts at its
 * first. */
void mpift_stream_recv_start(struct mpift_xfer_stream *s)
{
    int b, t;

    for (b = 0; b < s->x->window; b++)
        s->x->arrived[b] = -1;
    for (t = 0; t < mpift_route_ntrees(s->rt); t++)
        s->nextfwd[t] = (uint64_t)t;
}

/* METADATA (or ERROR) from the parent: check, pass on, open the copy. */
int mpift_stream_recv_head(struct mpift_xfer_stream *s)
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
        return mpift_stream_proto(s, "tag %d where metadata was expected", tag);
    rc = mpift_head_decode(x->hdr, (size_t)len, &s->m, &s->holes, s->why, sizeof(s->why));
    if (rc != MPIFT_OK)
        return rc;
    mpift_holes_count(s);
    if (s->m.file_id != s->id || strcmp(s->m.name, s->f->dest) != 0 || s->m.chunk_size != x->chunk)
        return mpift_stream_other_file(s);
    mpift_meter_expect(x->meter, s->m.size);
    mpift_inject_bad_header(x);
    rc = mpift_hdr_send(x, s->rt, len, MPIFT_TAG_METADATA);
    if (rc != MPIFT_OK)
        return rc;
    if (s->tgt)
        s->have_sink = mpift_outcome_open(x, s->tgt, s->f->dest, s->sink_rank, &s->m, x->cksum, &s->sink,
                                          s->res);
    if (s->rt->striped)
        mpift_stripe_open(s);
    mpift_stream_recv_start(s);
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
        return mpift_stream_proto(s, "chunk %llu of %s has %d bytes, expected %llu", (unsigned long long)cn, s->f->dest, count,
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
                          "of the file, which no longer holds it (changed or removed since it was offered); the "
                          "copy was dropped, and is sent again whole while transfer.retries allows", s->f->dest,
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

/* A striped route's origin: chunk s->next (count bytes at data) into the
 * checksum, the report's and the key's digests, and its own copy,
 * hashed once for the checksum and the copy's record. */
static void origin_hash(struct mpift_xfer_stream *s, const unsigned char *data, int count)
{
    struct mpift_xfer *x = s->x;
    uint64_t h = 0;

    if (x->hash || (s->have_sink && mpift_sink_wants_hash(&s->sink, (size_t)count, s->off)))
        h = XXH3_64bits(data, (size_t)count);
    if (x->hash)
        mpift_hash_chunk(x->hash, h);
    mpift_holes_whole(s, data, (uint64_t)count);
    if (s->have_sink)
        mpift_sink_write_hashed(&s->sink, data, (size_t)count, s->off, h);
}

/* Receive, forward and write chunks in file order as far as they have come. */
int mpift_stream_recv_data(struct mpift_xfer_stream *s, int *moved)
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
        if (s->source)
            origin_hash(s, data, count);
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
int mpift_stream_recv_tail(struct mpift_xfer_stream *s)
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
        return mpift_stream_proto(s, "tag %d where COMPLETE was expected", tag);
    rc = mpift_complete_decode(x->hdr, (size_t)len, &c, s->why, sizeof(s->why));
    if (rc != MPIFT_OK)
        return rc;
    if (c.file_id != s->id)
        return mpift_stream_other_file(s);
    if (c.cksum_kind != x->cksum)
        return mpift_stream_proto(s, "%s sent with checksum kind %u, this rank's is %u: transfer.checksum differs between ranks",
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
        mpift_stream_commit(s, &c);
    }
    return MPIFT_OK;
}
