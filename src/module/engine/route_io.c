/*
 * route_io.c - the messages of one file on a route (see route_io.h).
 *
 * Chunks of one stream all carry the DATA tag from one parent (per tree),
 * and MPI keeps messages between a pair in order, so chunk i lands in the
 * i-th receive posted for its tree.
 */
#include "mpift_autoconf.h"

#include <stdio.h>

#include "mpift/mpift.h"
#include "comm/status.h"
#include "comm/wait.h"
#include "wire/tags.h"
#include "engine/route_io.h"

int mpift_route_parent(const struct mpift_route *rt, uint64_t i)
{
    int t = mpift_route_tree(rt, i);
    return t == 0 ? rt->parent : rt->parents[t];
}

int mpift_route_tag(const struct mpift_route *rt, uint64_t i)
{
    int t = mpift_route_tree(rt, i);
    return t == 0 ? MPIFT_TAG_DATA : MPIFT_TAG_DATA_TREE + t;
}

/*
 * Synchronous sends: one completes only once the child has matched it, so
 * `window` bounds what may wait unmatched at a slower child.  (A plain send
 * of a chunk small enough to go eagerly completes as soon as it is
 * written, and a source could then fill a slow relay's memory with a whole
 * file: 315 MB on a relay for 1 GiB before this.)
 */
int mpift_route_isend(struct mpift_xfer *x, const struct mpift_route *rt, int b, int len, uint64_t i, int tag)
{
    return mpift_route_isend_from(x, rt, b, x->buf[b], len, i, tag);
}

int mpift_route_isend_from(struct mpift_xfer *x, const struct mpift_route *rt, int b, const void *data, int len,
                           uint64_t i, int tag)
{
    int t = mpift_route_tree(rt, i), n = t == 0 ? rt->nchildren : rt->nkids[t], c;
    const int *kids = t == 0 ? rt->children : rt->kids[t];

    for (c = 0; c < n; c++) {
        x->sto[b * x->maxchildren + c] = kids[c];
        if (MPI_Issend(data, len, MPI_BYTE, kids[c], tag, x->comm, &x->sreq[b * x->maxchildren + c]) !=
            MPI_SUCCESS)
            return MPIFT_ERR_MPI;
    }
    return MPIFT_OK;
}

int mpift_route_irecv(struct mpift_xfer *x, const struct mpift_route *rt, int b, uint64_t i)
{
    return mpift_mpi_status(MPI_Irecv(x->buf[b], (int)x->chunk, MPI_BYTE, mpift_route_parent(rt, i),
                                      mpift_route_tag(rt, i), x->comm, &x->rreq[b]));
}

/* Are these n requests done (MPI_REQUEST_NULL is)?  One by one, so that
 * those still going out stay visible (mpift_route_pending). */
static int completed(MPI_Request *req, int n, int *rc)
{
    int i, flag, all = 1;

    for (i = 0; i < n; i++) {
        if (req[i] == MPI_REQUEST_NULL)
            continue;
        if (MPI_Test(&req[i], &flag, MPI_STATUS_IGNORE) != MPI_SUCCESS) {
            *rc = MPIFT_ERR_MPI;
            return 0;
        }
        all &= flag != 0;
    }
    return all;
}

int mpift_route_free(struct mpift_xfer *x, int b, int *rc)
{
    return completed(&x->sreq[b * x->maxchildren], x->maxchildren, rc);
}

int mpift_route_pending(const struct mpift_xfer *x, int b)
{
    int c;

    for (c = 0; c < x->maxchildren; c++)
        if (x->sreq[b * x->maxchildren + c] != MPI_REQUEST_NULL)
            return x->sto[b * x->maxchildren + c];
    return -1;
}

/* A wait on buffer x->held: it is held up by its first send still going. */
static void about_buffer(struct mpift_wait *wt)
{
    const struct mpift_xfer *x = wt->arg;

    wt->peer = mpift_route_pending(x, x->held);
}

int mpift_route_wait_free(struct mpift_xfer *x, int b, const char *doing, const char *name)
{
    struct mpift_wait wt;

    mpift_wait_start(&wt, x->watch, -1, doing, name, "to");
    wt.idle = 0;
    wt.about = about_buffer;
    wt.arg = x;
    x->held = b;
    return mpift_wait_all(&wt, &x->sreq[b * x->maxchildren], x->maxchildren);
}

int mpift_hdr_send(struct mpift_xfer *x, const struct mpift_route *rt, int len, int tag)
{
    int c;

    for (c = 0; c < rt->nchildren; c++)
        if (MPI_Isend(x->hdr, len, MPI_BYTE, rt->children[c], tag, x->comm, &x->hreq[c]) != MPI_SUCCESS)
            return MPIFT_ERR_MPI;
    return MPIFT_OK;
}

int mpift_hdr_sent(struct mpift_xfer *x, int *rc)
{
    return completed(x->hreq, x->maxchildren, rc);
}

int mpift_hdr_pending(const struct mpift_xfer *x, const struct mpift_route *rt)
{
    int c;

    for (c = 0; c < rt->nchildren && c < x->maxchildren; c++)
        if (x->hreq[c] != MPI_REQUEST_NULL)
            return rt->children[c];
    return -1;
}

/* Take the header just probed (it has come: this waits for nothing). */
static int take_hdr(struct mpift_xfer *x, void *buf, int len, int from, int tag)
{
    struct mpift_wait wt;

    mpift_wait_start(&wt, x->watch, from, "receiving a file's header from", NULL, NULL);
    wt.idle = 0;
    return mpift_wait_recv(&wt, buf, len, MPI_BYTE, from, tag, x->comm, MPI_STATUS_IGNORE);
}

int mpift_hdr_recv(struct mpift_xfer *x, int from, int *got, int *tag, int *len, char *why, size_t whylen)
{
    MPI_Status st;
    int flag = 1;

    *got = 0;
    if (MPI_Iprobe(from, MPI_ANY_TAG, x->comm, &flag, &st) != MPI_SUCCESS)
        return MPIFT_ERR_MPI;
    if (!flag)
        return MPIFT_OK;
    MPI_Get_count(&st, MPI_BYTE, len);
    *tag = st.MPI_TAG;
    *got = 1;
    if (*len < 0 || *len > MPIFT_HDR_MAX ||
        (*tag != MPIFT_TAG_METADATA && *tag != MPIFT_TAG_ERROR && *tag != MPIFT_TAG_CONTROL)) {
        snprintf(why, whylen, "unexpected message from rank %d (tag %d, %d bytes)", from, *tag, *len);
        /* Drain it (truncated) so the job can still end in order. */
        take_hdr(x, NULL, 0, from, *tag);
        return MPIFT_ERR_PROTO;
    }
    return take_hdr(x, x->hdr, *len, from, *tag);
}
