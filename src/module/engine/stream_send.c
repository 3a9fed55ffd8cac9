/*
 * stream_send.c - a stream's steps on the file's source (see stream.h):
 * open the file and send METADATA or ERROR; read, send, hash and write
 * every chunk; COMPLETE with the checksum, then commit its own copy.
 */
#include "mpift_autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include "util/hash.h"

#include "mpift/mpift.h"
#include "util/log.h"
#include "wire/tags.h"
#include "engine/holes.h"
#include "engine/inject.h"
#include "engine/outcome.h"
#include "engine/route_io.h"
#include "engine/source.h"
#include "engine/stream.h"
#include "engine/stream_steps.h"
#include "engine/stripe.h"

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
int mpift_stream_send_open(struct mpift_xfer_stream *s)
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
        s->have_sink = mpift_outcome_open(x, s->tgt, s->f->dest, s->sink_rank, &s->m, MPIFT_WIRE_CKSUM_NONE,
                                          &s->sink, s->res);
    if (x->hash)
        XXH3_64bits_reset(x->hash);
    if (x->whole)
        XXH3_64bits_reset(x->whole);
    if (s->f->keyed)
        XXH3_128bits_reset(x->keyhash);
    mpift_codec_start(&x->codec, &s->zf);
    s->acked = 0;
    if (s->rt->striped)
        mpift_stream_recv_start(s);   /* the origin of a striped route takes the others' shares */
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

/* The chunk at s->off (len bytes in buffer b, whose XXH3-64 is h): its
 * KEEP frame when every writer of the route offered it with this hash
 * (base.h), else 0.  Chunks
 * are counted in the file (s->off), not in DATA messages, which skip a
 * file's hole extents (holes.h). */
static int keep_frame(struct mpift_xfer_stream *s, int b, int len, uint64_t h)
{
    struct mpift_xfer *x = s->x;
    struct mpift_keep *k = x->keep;

    if (!k || s->rt->striped || len <= MPIFT_KEEP_FRAME)
        return 0;
    /* The writers' offers are of the plan's version: a source rewritten
     * since (METADATA's size or mtime) has other chunks, and its writers
     * drop those offers (sink.h), so none goes as a KEEP frame. */
    if (s->m.size != s->f->size || s->m.mtime_sec != s->f->mtime_sec || s->m.mtime_nsec != s->f->mtime_nsec)
        return 0;
    if (!mpift_keep_chunk(k, (uint32_t)x->keep_m, s->off / s->m.chunk_size, h) || !mpift_codec_keep(&x->codec, &s->zf, b, h, len))
        return 0;
    return MPIFT_KEEP_FRAME;
}

/* Does anything want the XXH3-64 of the chunk at s->off (len bytes): the
 * checksum, a KEEP frame, this rank's own copy (its record)?  Hashed
 * once, it serves them all. */
static int hash_wanted(const struct mpift_xfer_stream *s, int len)
{
    const struct mpift_xfer *x = s->x;

    return x->hash || (x->keep && !s->rt->striped && len > MPIFT_KEEP_FRAME) ||
           (s->have_sink && mpift_sink_wants_hash(&s->sink, (size_t)len, s->off));
}

/* Read, send, hash and write every chunk a free buffer allows. */
int mpift_stream_send_data(struct mpift_xfer_stream *s, int *moved)
{
    struct mpift_xfer *x = s->x;
    int rc = MPIFT_OK, b, len, flen, tag, hole;
    uint64_t h;
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
        h = hash_wanted(s, len) ? XXH3_64bits(x->buf[b], (size_t)len) : 0;
        flen = hole || s->read_err ? 0 : keep_frame(s, b, len, h);
        if (!flen)
            flen = mpift_codec_pack(&x->codec, &s->zf, b, x->buf[b], len);
        if (flen > 0)
            mpift_inject_corrupt_frame(mpift_codec_frame(&x->codec, b), flen);
        rc = flen > 0 ? mpift_route_isend_from(x, s->rt, b, mpift_codec_frame(&x->codec, b), flen, s->next, tag)
                      : mpift_route_isend(x, s->rt, b, len, s->next, tag);
        if (rc != MPIFT_OK)
            return rc;
        if (x->hash)
            mpift_hash_chunk(x->hash, h);
        mpift_holes_whole(s, x->buf[b], (uint64_t)len);   /* the report's and the key's digests */
        if (s->have_sink && flen > 0 && mpift_codec_is_zero(mpift_codec_frame(&x->codec, b), flen))
            mpift_sink_hole(&s->sink, x->buf[b], (size_t)len, s->off);
        else if (s->have_sink)
            mpift_sink_write_hashed(&s->sink, x->buf[b], (size_t)len, s->off, h);
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
int mpift_stream_send_tail(struct mpift_xfer_stream *s)
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
    mpift_inject_same_tick(x->rank, s->fd, &s->st);
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
    c.whole = x->whole_wanted && x->whole ? XXH3_64bits_digest(x->whole) : c.digest;
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
        /* Its own copy was not hashed again (send_open): its bytes are
         * those c's digest was taken of, from the same buffers. */
        c.cksum_kind = MPIFT_WIRE_CKSUM_NONE;
        mpift_stream_commit(s, &c);
    }
    return rc;
}
