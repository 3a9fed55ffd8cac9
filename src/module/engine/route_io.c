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
#include "util/status.h"
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
    int t = mpift_route_tree(rt, i), n = t == 0 ? rt->nchildren : rt->nkids[t], c;
    const int *kids = t == 0 ? rt->children : rt->kids[t];

    for (c = 0; c < n; c++)
        if (MPI_Issend(x->buf[b], len, MPI_BYTE, kids[c], tag, x->comm, &x->sreq[b * x->maxchildren + c]) !=
            MPI_SUCCESS)
            return MPIFT_ERR_MPI;
    return MPIFT_OK;
}

int mpift_route_irecv(struct mpift_xfer *x, const struct mpift_route *rt, int b, uint64_t i)
{
    return mpift_mpi_status(MPI_Irecv(x->buf[b], (int)x->chunk, MPI_BYTE, mpift_route_parent(rt, i),
                                      mpift_route_tag(rt, i), x->comm, &x->rreq[b]));
}

/* Are these n requests done (MPI_REQUEST_NULL is)?  Waits when `wait`. */
static int completed(MPI_Request *req, int n, int wait, int *rc)
{
    int flag = 1;

    if ((wait ? MPI_Waitall(n, req, MPI_STATUSES_IGNORE) : MPI_Testall(n, req, &flag, MPI_STATUSES_IGNORE)) !=
        MPI_SUCCESS) {
        *rc = MPIFT_ERR_MPI;
        return 0;
    }
    return flag;
}

int mpift_route_free(struct mpift_xfer *x, int b, int wait, int *rc)
{
    return completed(&x->sreq[b * x->maxchildren], x->maxchildren, wait, rc);
}

int mpift_hdr_send(struct mpift_xfer *x, const struct mpift_route *rt, int len, int tag)
{
    int c;

    for (c = 0; c < rt->nchildren; c++)
        if (MPI_Isend(x->hdr, len, MPI_BYTE, rt->children[c], tag, x->comm, &x->hreq[c]) != MPI_SUCCESS)
            return MPIFT_ERR_MPI;
    return MPIFT_OK;
}

int mpift_hdr_sent(struct mpift_xfer *x, int wait, int *rc)
{
    return completed(x->hreq, x->maxchildren, wait, rc);
}

int mpift_hdr_recv(struct mpift_xfer *x, int from, int wait, int *got, int *tag, int *len, char *why, size_t wl)
{
    MPI_Status st;
    int flag = 1;

    *got = 0;
    if ((wait ? MPI_Probe(from, MPI_ANY_TAG, x->comm, &st) : MPI_Iprobe(from, MPI_ANY_TAG, x->comm, &flag, &st)) !=
        MPI_SUCCESS)
        return MPIFT_ERR_MPI;
    if (!flag)
        return MPIFT_OK;
    MPI_Get_count(&st, MPI_BYTE, len);
    *tag = st.MPI_TAG;
    *got = 1;
    if (*len < 0 || *len > MPIFT_HDR_MAX ||
        (*tag != MPIFT_TAG_METADATA && *tag != MPIFT_TAG_ERROR && *tag != MPIFT_TAG_CONTROL)) {
        snprintf(why, wl, "unexpected message from rank %d (tag %d, %d bytes)", from, *tag, *len);
        /* Drain it so the job can still end in order. */
        MPI_Recv(NULL, 0, MPI_BYTE, from, *tag, x->comm, MPI_STATUS_IGNORE);
        return MPIFT_ERR_PROTO;
    }
    return mpift_mpi_status(MPI_Recv(x->hdr, *len, MPI_BYTE, from, *tag, x->comm, MPI_STATUS_IGNORE));
}
