/*
 * stream_steps.h - what the two sides of a stream (engine/stream.h) share:
 * the steps mpift_stream_step calls, the source's in stream_send.c and
 * those of the ranks below it in stream_recv.c, and the helpers of
 * stream.c both use.  Inside engine/ only.
 *
 * Each step moves the stream as far as it can without waiting and returns
 * MPIFT_OK (the phase tells how far it got) or an error, as
 * mpift_stream_step does.
 */
#ifndef MPIFT_STREAM_STEPS_H
#define MPIFT_STREAM_STEPS_H

#include "wire/proto.h"
#include "engine/stream.h"

/* The source: METADATA (or ERROR), every chunk, COMPLETE (stream_send.c). */
int mpift_stream_send_open(struct mpift_xfer_stream *s);
int mpift_stream_send_data(struct mpift_xfer_stream *s, int *moved);
int mpift_stream_send_tail(struct mpift_xfer_stream *s);

/* Below the source (stream_recv.c); the origin of a striped route, which
 * takes the others' shares, uses recv_start and recv_data too. */
int mpift_stream_recv_head(struct mpift_xfer_stream *s);
void mpift_stream_recv_start(struct mpift_xfer_stream *s);
int mpift_stream_recv_data(struct mpift_xfer_stream *s, int *moved);
int mpift_stream_recv_tail(struct mpift_xfer_stream *s);

/* MPIFT_ERR_PROTO with s->why set from fmt (a message that did not
 * validate; s->from names its sender). */
int mpift_stream_proto(struct mpift_xfer_stream *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* MPIFT_ERR_PROTO: a message of another file than s->id. */
int mpift_stream_other_file(struct mpift_xfer_stream *s);

/* Verify this rank's copy against what METADATA and COMPLETE (c)
 * announced, and commit it. */
void mpift_stream_commit(struct mpift_xfer_stream *s, const struct mpift_complete *c);

#endif
