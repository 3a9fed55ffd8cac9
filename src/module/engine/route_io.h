/*
 * route_io.h - how the messages of one file travel a route (engine/ only):
 * which buffer and tree a chunk takes, its parent and tag, the sends down
 * a tree and the headers between a rank and its parent and children.
 *
 * No call blocks: each only tests its requests (the caller waits under
 * the watchdog, comm/wait.h, or steps its other streams meanwhile).
 */
#ifndef MPIFT_ROUTE_IO_H
#define MPIFT_ROUTE_IO_H

#include <stddef.h>
#include <stdint.h>

#include "engine/xfer.h"

#define MPIFT_HDR_MAX MPIFT_HEAD_WIRE_MAX   /* room in x->hdr */

/* The buffer of chunk i of the current file: buffers go round across
 * files, so one file's last sends overlap the next file's first chunks. */
static inline int mpift_route_slot(const struct mpift_xfer *x, uint64_t i)
{
    return (int)((x->base + i) % (uint64_t)x->window);
}

/* The tree chunk i travels down: chunk i % ntrees (tree 0 when one). */
static inline int mpift_route_tree(const struct mpift_route *rt, uint64_t i)
{
    return rt->ntrees > 1 ? (int)(i % (uint64_t)rt->ntrees) : 0;
}

/* The number of trees (at least 1). */
static inline int mpift_route_ntrees(const struct mpift_route *rt)
{
    return rt->ntrees > 1 ? rt->ntrees : 1;
}

/* The rank chunk i comes from, and the tag it carries. */
int mpift_route_parent(const struct mpift_route *rt, uint64_t i);
int mpift_route_tag(const struct mpift_route *rt, uint64_t i);

/* Send buffer b (len bytes, chunk or batch i) down i's tree with `tag`
 * (x->sto notes to whom, for mpift_route_pending). */
int mpift_route_isend(struct mpift_xfer *x, const struct mpift_route *rt, int b, int len, uint64_t i, int tag);

/* The same with len bytes at `data` in buffer b's stead (its compressed
 * frame, mpift_codec_frame(&x->codec, b), which buffer b's sends also hold). */
int mpift_route_isend_from(struct mpift_xfer *x, const struct mpift_route *rt, int b, const void *data, int len,
                           uint64_t i, int tag);

/* Post the receive of chunk i into buffer b. */
int mpift_route_irecv(struct mpift_xfer *x, const struct mpift_route *rt, int b, uint64_t i);

/*
 * mpift_route_free - have buffer b's sends to the children completed, so
 * that it may take new data?  Returns 1 or 0; *rc becomes MPIFT_ERR_MPI
 * when MPI fails (and 0 is returned).
 */
int mpift_route_free(struct mpift_xfer *x, int b, int *rc);

/* The rank a send of buffer b still goes to (the first), or -1: what a
 * wait for the buffer waits on. */
int mpift_route_pending(const struct mpift_xfer *x, int b);

/* Wait (comm/wait.h) until buffer b is free; `doing` and `name` say for
 * what.  MPIFT_OK or MPIFT_ERR_MPI. */
int mpift_route_wait_free(struct mpift_xfer *x, int b, const char *doing, const char *name);

/* Send the len bytes of x->hdr to the children of tree 0 with `tag`;
 * x->hdr must not change until mpift_hdr_sent says they are done. */
int mpift_hdr_send(struct mpift_xfer *x, const struct mpift_route *rt, int len, int tag);

/* Have the header sends completed?  As mpift_route_free. */
int mpift_hdr_sent(struct mpift_xfer *x, int *rc);

/* The child of rt a header still goes to (the first), or -1. */
int mpift_hdr_pending(const struct mpift_xfer *x, const struct mpift_route *rt);

/*
 * mpift_hdr_recv - the next header (METADATA, ERROR or CONTROL) from
 * `from` into x->hdr: *tag and *len set, *got 1; *got 0 when none has
 * come yet.  Anything else is taken off the wire and is MPIFT_ERR_PROTO
 * with the cause in why; MPIFT_ERR_MPI.
 */
int mpift_hdr_recv(struct mpift_xfer *x, int from, int *got, int *tag, int *len, char *why, size_t whylen);

#endif
