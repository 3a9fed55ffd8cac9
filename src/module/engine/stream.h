/*
 * stream.h - one file through one rank, step by step: the protocol of
 * wire/proto.h (METADATA or ERROR, then nchunks DATA, then COMPLETE) on a
 * route, as the file's source or as a rank below it (a relay, a writer or
 * both).  Every transfer of a single file goes through it: staging, the
 * console and the worker side of the mpift.h service through the waiting
 * calls of xfer.h, which are loops over it, and the master side of the
 * service directly.
 *
 * A stream moves as far as completed MPI requests allow and never blocks:
 * the caller steps it again (with its other streams, each on its own
 * struct mpift_xfer) until it is done, pausing under the watchdog
 * (comm/wait.h) while nothing moves; mpift_stream_about tells the wait
 * what holds the stream up.  Until it ends, the watchdog holds it: if the
 * job is stopped, the copy it writes is removed.
 *
 *   s = init(x, id, route, res); send(f, tgt) | refuse(code, text) |
 *   recv(f, tgt, rank); step until done; end
 */
#ifndef MPIFT_STREAM_H
#define MPIFT_STREAM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "comm/status.h"
#include "comm/wait.h"
#include "comm/watch.h"
#include "wire/proto.h"
#include "engine/compress.h"
#include "engine/sink.h"
#include "engine/source.h"
#include "engine/xfer.h"

enum mpift_stream_phase {
    MPIFT_SP_OPEN,       /* source: open the file, send METADATA or ERROR */
    MPIFT_SP_HEAD,       /* below: wait for METADATA or ERROR, pass it on */
    MPIFT_SP_DATA,       /* chunks moving */
    MPIFT_SP_TAIL,       /* source: send COMPLETE; below: wait for it, pass it on, verify */
    MPIFT_SP_END,        /* the last header still going out to the children */
    MPIFT_SP_DONE,
};

struct mpift_xfer_stream {
    struct mpift_xfer *x;
    uint64_t id;
    const struct mpift_route *rt;
    const struct mpift_pfile *f;  /* src (source), dest (name on the wire and below the target), preserve */
    const struct mpift_target *tgt; /* where this rank writes a copy; NULL: none */
    struct mpift_outcome *res;       /* the outcome on this rank */
    int source;                   /* this rank is the file's source */
    int refused;                  /* source: ERROR instead of the file */
    int sink_rank;                /* names the copy's temporary file */
    enum mpift_stream_phase phase;
    int fd;                       /* source, stripe reader: the file; -1 */
    int fd_held;                  /* fd is the stripe reader's held open (engine/file.h): not closed here */
    struct stat st;               /* source: what fstat said of it when opened */
    int read_err;                 /* errno of the source's first failed read, or
                                   * MPIFT_SOURCE_SHRANK (below the source: as its
                                   * COMPLETE said) */
    struct mpift_extent extent;   /* source: where its holes are, as last asked */
    int have_sink;
    struct mpift_sink sink;
    struct mpift_meta m;          /* the file's METADATA once sent or received */
    struct mpift_holes holes;     /* its hole extents (m.nholes): chunks that send no DATA */
    struct mpift_holes unread;    /* source: chunks sent as zero frames, unread (re-checked at the end) */
    uint32_t hx;                  /* the next extent to reach, in file order */
    uint64_t nmsg;                /* DATA messages: m.nchunks less the extents' chunks */
    /* Below, "chunk" is a DATA message's number, 0 .. nmsg-1. */
    uint64_t next;                /* chunks sent (source) or written (below) */
    uint64_t posted;              /* below: chunks whose receive is posted */
    uint64_t off;                 /* bytes of the file before chunk `next` (and the extents before it) */
    uint64_t nextfwd[MPIFT_TREES_MAX]; /* below: per tree, the next chunk to forward */
    struct mpift_codec_file zf;     /* source: how its chunks are compressed */
    uint64_t acked;               /* source, auto: chunks whose sends are known done */
    int from;                     /* MPIFT_ERR_PROTO: the rank that sent the message */
    char why[MPIFT_WHY_MAX];      /* MPIFT_ERR_PROTO: what was wrong with it */
    struct mpift_undo undo;       /* the watchdog's hold on it (mpift_stream_end if the job stops) */
    /* A striped route (engine/stripe.h): a reader's verdict on its share
     * (stripe_code 0, MPIFT_ERR_CHECKSUM: the file changed, MPIFT_ERR_IO:
     * unreadable; stripe_why says why) as sent to the origin (stripe_msg,
     * stripe_req); on the origin, the first failure a reader reported,
     * how many have reported (stripe_heard), and 1 + the first chunk a
     * reader sent that differs from its own read (stripe_diff; 0: none). */
    int stripe_code;
    int stripe_heard;
    uint64_t stripe_diff;
    char stripe_why[MPIFT_WHY_MAX];
    MPI_Request stripe_req;
    unsigned char stripe_msg[MPIFT_ERROR_WIRE_MAX];
};

/* Start a stream of file `id` on x along rt; res is cleared and gets
 * the outcome.  Then one of send, refuse or recv; mpift_stream_end at
 * the end, always. */
void mpift_stream_init(struct mpift_xfer_stream *s, struct mpift_xfer *x, uint64_t id, const struct mpift_route *rt,
                       struct mpift_outcome *res);

/* Source: send f->src as f->dest; write a copy below tgt too when not
 * NULL.  A source that cannot be read sends ERROR instead. */
void mpift_stream_send(struct mpift_xfer_stream *s, const struct mpift_pfile *f, const struct mpift_target *tgt);

/* Source: tell the route the file will not come (ERROR with code and
 * text); receivers skip it and create nothing.  res says the same. */
void mpift_stream_refuse(struct mpift_xfer_stream *s, int code, const char *text);

/* Below the source: receive f->dest from the route's parent, pass it on
 * to the children, write it below tgt when not NULL (the temporary file
 * named after `sink_rank`). */
void mpift_stream_recv(struct mpift_xfer_stream *s, const struct mpift_pfile *f, const struct mpift_target *tgt,
                       int sink_rank);

/*
 * mpift_stream_step - move the stream on as far as it can without
 * waiting.  *moved is set when anything happened.  Returns MPIFT_OK (see
 * mpift_stream_done), MPIFT_ERR_PROTO (a message from rank s->from did not
 * validate, s->why says how: the stream cannot be trusted and the job must
 * stop; not logged here), MPIFT_ERR_MPI, or MPIFT_ERR_RANGE (a name too
 * long for METADATA).
 */
int mpift_stream_step(struct mpift_xfer_stream *s, int *moved);

static inline bool mpift_stream_done(const struct mpift_xfer_stream *s)
{
    return s->phase == MPIFT_SP_DONE;
}

/* Release what the stream holds: the source file, a copy not committed
 * (removed).  After done, or to give up after a failure. */
void mpift_stream_end(struct mpift_xfer_stream *s);

/* A wait's `about` (comm/wait.h) for the stream in wt->arg: the rank that
 * holds it up now and what for ("sending F to", "waiting for F from" the
 * parent before the file starts: an idle wait, since the parent may be
 * busy with other files meanwhile, ...). */
void mpift_stream_about(struct mpift_wait *wt);

#endif
