/*
 * stripe.h - the reads, checks and reports of a striped route (engine/
 * only; the route is xfer.h's, with `striped` set; stage/source_shared.h
 * decides when).
 *
 * On a striped route of N ranks, each rank reads the chunks of its own
 * tree (chunk i with i % N == own) from its own open of the source and
 * passes them along the ring; the other chunks come from the rank before
 * it.  What is trusted is the origin's read alone (docs/striping.md): the
 * origin (own 0, which sends METADATA and COMPLETE) reads every chunk of
 * the file itself, in file order, compares each chunk a reader sent with
 * its own read of it byte for byte, and hashes and writes its own bytes,
 * so COMPLETE's digest is the source's.  A chunk that differs, or a
 * reader that cannot vouch for its share (the file it holds changed or
 * could not be read), makes COMPLETE say STRIPE: no rank keeps a copy,
 * and the file may be sent again from the origin alone.  A file that
 * changed on the origin while it was read makes it CHANGED, as on any
 * route.
 */
#ifndef MPIFT_STRIPE_IO_H
#define MPIFT_STRIPE_IO_H

#include <stddef.h>
#include <stdint.h>

#include "engine/stream.h"

/* Does this rank read chunk i itself (rather than take it from a parent)? */
static inline int mpift_stripe_reads(const struct mpift_xfer_stream *s, uint64_t i)
{
    return s->rt->striped && (int)(i % (uint64_t)s->rt->ntrees) == s->rt->own;
}

/* A reader below the origin, once METADATA has come: take the file it
 * opened at the striping agreement (s->f->src->fd; else, beyond the
 * files a rank may hold open, open s->f->src again below x->srcroot, held
 * to the device and inode seen then) and hold it to METADATA's size and
 * mtime.  A failure is kept (stripe_code, stripe_why, read_err) for the
 * report; the reader's chunks then go on as zeros so the stream keeps its
 * shape. */
void mpift_stripe_open(struct mpift_xfer_stream *s);

/* Read chunk i, one of this rank's own, into buffer b and mark it
 * arrived. */
void mpift_stripe_read(struct mpift_xfer_stream *s, int b, uint64_t i);

/* The origin, before METADATA: its buffer to check against.  0, or -1
 * (no memory: the file is refused, with why). */
int mpift_stripe_start(struct mpift_xfer_stream *s, char *why, size_t whylen);

/* The origin, about to write chunk s->next that came in buffer b (len
 * bytes) from another reader: read it itself (into x->check, which
 * mpift_stripe_start made) and compare; the first chunk that differs is
 * kept (stripe_diff).  Returns the bytes to hash and write: its own. */
const unsigned char *mpift_stripe_check(struct mpift_xfer_stream *s, int b, int len);

/* The origin, after its last chunk and every report: was a stripe
 * refused (a chunk differed, or a reader's report failed)?  1 with
 * "PATH: cause, naming the reader's node" in why; 0. */
int mpift_stripe_refused(struct mpift_xfer_stream *s, char *why, size_t whylen);

/* A reader below the origin, after its last chunk: re-check the file and
 * send its verdict to the origin (MPIFT_TAG_STRIPE).  MPIFT_OK or
 * MPIFT_ERR_MPI. */
int mpift_stripe_report(struct mpift_xfer_stream *s);

/* Has the report gone (1), or is it still going out (0)? */
int mpift_stripe_sent(struct mpift_xfer_stream *s, int *rc);

/* The origin: take the readers' reports as they come.  1 when all
 * rt->nreaders are in (stripe_code and stripe_why: the first failure),
 * 0 while some are missing; *rc MPIFT_ERR_PROTO (s->why, s->from) or
 * MPIFT_ERR_MPI when a report could not be taken. */
int mpift_stripe_heard(struct mpift_xfer_stream *s, int *rc);

#endif
