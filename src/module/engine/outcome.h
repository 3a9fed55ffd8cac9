/*
 * outcome.h - the outcome of one file on one rank (struct mpift_outcome),
 * engine/ only: its message, and the copy a writer makes (opened, then
 * committed or dropped), the same for a streamed file and a batched one.
 */
#ifndef MPIFT_OUTCOME_H
#define MPIFT_OUTCOME_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/sink.h"
#include "engine/xfer.h"

/* A fresh outcome: every field but why's text (a message is 8 KiB, and
 * a batch clears one per file: only its first byte is). */
static inline void mpift_outcome_clear(struct mpift_outcome *res)
{
    res->status = MPIFT_OK;
    res->source_failed = 0;
    res->bytes = 0;
    res->digest = 0;
    res->wire = 0;
    res->holes = 0;
    res->resumed = 0;
    res->delta_saved = 0;
    res->stripe_failed = 0;
    res->committed.st_ino = 0;
    res->why[0] = '\0';
}

/* res->status = status, res->why = the formatted message. */
void mpift_outcome_set(struct mpift_outcome *res, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * mpift_outcome_sent - below the source: the sender's status for a file
 * (enum mpift_complete_status, from its COMPLETE or its batch entry)
 * taken into res.  Returns 1 when the file was sent whole (the copy may be
 * verified and committed); otherwise 0 with res saying why this rank's
 * copy is dropped (the source names the cause itself): status
 * MPIFT_ERR_CHECKSUM when the source changed while it was sent, or, on a
 * `striped` route, a stripe was refused (stripe_failed): it may be sent
 * again; MPIFT_ERR_IO when the source could not be read.
 */
int mpift_outcome_sent(struct mpift_outcome *res, uint32_t status, int striped, const char *dest);

/*
 * mpift_outcome_open - open the copy of `dest` below tgt (temporary name
 * with `rank`), hashed with `kind` (x->cksum, or MPIFT_WIRE_CKSUM_NONE
 * for the source's own copy, whose bytes it hashes for COMPLETE from the
 * same buffer: a second hash of them would check nothing); when x->resumable and
 * METADATA `m` (NULL: a batch's file) says the file is large enough, the
 * resumable copy of sink.h (mpift_sink_open_base) with x->hold's base.
 * Returns 1, or 0 with
 * res->status MPIFT_ERR_IO and the cause in res->why (the file's data is
 * then still taken off the wire and passed on, but not written).
 */
int mpift_outcome_open(struct mpift_xfer *x, const struct mpift_target *tgt, const char *dest, int rank,
                       const struct mpift_meta *m, enum mpift_wire_cksum kind, struct mpift_sink *sink,
                       struct mpift_outcome *res);

/* Verify the copy against what its sender announced and commit it
 * (sink.h); res gets the verdict, and the bytes written when it holds. */
void mpift_outcome_commit(struct mpift_xfer *x, struct mpift_sink *sink, const struct mpift_expect *e, bool preserve,
                          struct mpift_outcome *res);

#endif
