/*
 * holes.h - a stream's hole extents (engine/ only).  A source's holes of
 * at least a chunk travel in its METADATA as extents (wire/proto.h,
 * HOLES), not as DATA: the stream's DATA messages are its other chunks,
 * numbered 0 .. nmsg-1 in file order, and each rank passes an extent when
 * its place in the file reaches it: the checksum takes 16 bytes for it
 * (engine/sink.h, mpift_hash_hole), a writer extends its copy past it,
 * the meter and the outcome count it.
 */
#ifndef MPIFT_ENGINE_HOLES_H
#define MPIFT_ENGINE_HOLES_H

#include <stdint.h>

#include "engine/stream.h"

/* s->holes and s->m are known: s->nmsg, the extents from the first. */
void mpift_holes_count(struct mpift_xfer_stream *s);

/* The length of DATA message k (a whole chunk, or the file's last). */
int mpift_holes_msg_len(const struct mpift_xfer_stream *s, uint64_t k);

/* The source's digests of a file's whole content: len bytes of it
 * (data; NULL: zeros of an extent) into x->whole (xfer.h: a file with
 * extents, for a report) and, a keyed file, into x->keyhash (its
 * XXH3-128, held to the plan's key: source.h). */
void mpift_holes_whole(struct mpift_xfer_stream *s, const unsigned char *data, uint64_t len);

/* Pass every extent that starts at s->off (s->off moves past them). */
void mpift_holes_pass(struct mpift_xfer_stream *s);

#endif
