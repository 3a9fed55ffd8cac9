/*
 * stripe.h - the reads and reports of a striped route (engine/ only; the
 * route is xfer.h's, with `striped` set; stage/stripe.h decides when).
 *
 * On a striped route of N ranks, each rank reads the chunks of its own
 * tree (chunk i with i % N == own) from its own open of the source and
 * passes them along the ring; the other chunks come from the rank before
 * it.  Every copy is still verified against one digest: the origin (own
 * 0, which sends METADATA and COMPLETE) hashes the whole file in file
 * order as it writes it, and no copy is kept unless every reader says its
 * share was read whole and the file did not change while it was read
 * (re-checked as engine/source.h does).  A share that mixes two versions
 * makes COMPLETE say "changed" (the file may be sent again), an
 * unreadable one "failed": either way no rank keeps a copy.
 */
#ifndef MPIFT_STRIPE_IO_H
#define MPIFT_STRIPE_IO_H

#include <stdint.h>

#include "engine/stream.h"

/* Does this rank read chunk i itself (rather than take it from a parent)? */
static inline int mpift_stripe_reads(const struct mpift_xfer_stream *s, uint64_t i)
{
    return s->rt->striped && (int)(i % (uint64_t)s->rt->ntrees) == s->rt->own;
}

/* A reader below the origin, once METADATA has come: open the source
 * (s->f->src, below x->srcroot) and hold it to METADATA's size and mtime.
 * A failure is kept (stripe_code, stripe_why, read_err) for the report;
 * the reader's chunks then go on as zeros so the stream keeps its shape. */
void mpift_stripe_open(struct mpift_xfer_stream *s);

/* Read chunk i, one of this rank's own, into buffer b and mark it
 * arrived. */
void mpift_stripe_read(struct mpift_xfer_stream *s, int b, uint64_t i);

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
