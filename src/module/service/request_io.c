/*
 * request_io.c - send, receive and validate the service's requests and
 * replies (see request_io.h; their bytes are wire/request.c's).
 */
#include "mpift_autoconf.h"

#include <stdio.h>
#include <string.h>

#include "mpift/mpift.h"
#include "comm/wait.h"
#include "service/request_io.h"
#include "util/log.h"
#include "wire/request.h"
#include "wire/tags.h"

int mpift_req_send(struct mpift_wait *wt, MPI_Comm comm, int to, int tag, uint32_t op, int peer, uint64_t id,
                   const char *name)
{
    unsigned char buf[MPIFT_REQ_MAX];
    struct mpift_req r;
    int n;

    memset(&r, 0, sizeof(r));
    r.op = op;
    r.peer = peer;
    r.id = id;
    if (strlen(name) >= sizeof(r.name))
        return MPIFT_ERR_RANGE;
    strcpy(r.name, name);
    n = mpift_req_encode(&r, buf);
    if (n < 0)
        return n;
    return mpift_wait_send(wt, buf, n, MPI_BYTE, to, tag, comm);
}

int mpift_req_recv(struct mpift_wait *wt, MPI_Comm comm, int from, int tag, int size, struct mpift_req *r, int *src,
                   char *why, size_t whylen)
{
    unsigned char buf[MPIFT_REQ_MAX];
    MPI_Status st;
    int len;

    if (mpift_wait_probe(wt, from, tag, comm, &st) != MPIFT_OK)
        return MPIFT_ERR_MPI;
    MPI_Get_count(&st, MPI_BYTE, &len);
    *src = st.MPI_SOURCE;
    if (len < 0 || len > MPIFT_REQ_MAX) {
        snprintf(why, whylen, "request of %d bytes from rank %d", len, st.MPI_SOURCE);
        /* Consume it (truncated) so the job can still end in order. */
        mpift_wait_recv(wt, buf, 0, MPI_BYTE, st.MPI_SOURCE, tag, comm, MPI_STATUS_IGNORE);
        return MPIFT_ERR_PROTO;
    }
    if (mpift_wait_recv(wt, buf, len, MPI_BYTE, st.MPI_SOURCE, tag, comm, MPI_STATUS_IGNORE) != MPIFT_OK)
        return MPIFT_ERR_MPI;
    return mpift_req_decode(buf, len, size, r, why, whylen);
}

int mpift_reply_send(struct mpift_wait *wt, MPI_Comm comm, int to, unsigned char *scratch, size_t cap, int status,
                     const char *text)
{
    int n = mpift_reply_encode(scratch, cap, status, text);

    return mpift_wait_send(wt, scratch, n, MPI_BYTE, to, MPIFT_TAG_SVC_CONSOLE, comm);
}

int mpift_reply_recv(struct mpift_wait *wt, MPI_Comm comm, int from, unsigned char *buf, size_t cap, int *status,
                     const char **text)
{
    MPI_Status st;
    int len;

    if (mpift_wait_probe(wt, from, MPIFT_TAG_SVC_CONSOLE, comm, &st) != MPIFT_OK)
        return MPIFT_ERR_MPI;
    MPI_Get_count(&st, MPI_BYTE, &len);
    if (len < 0 || (size_t)len > cap) {
        mpift_log_error("rank %d sent a reply of %d bytes: protocol error", from, len);
        mpift_wait_recv(wt, buf, 0, MPI_BYTE, from, MPIFT_TAG_SVC_CONSOLE, comm, MPI_STATUS_IGNORE);
        return MPIFT_ERR_PROTO;
    }
    if (mpift_wait_recv(wt, buf, len, MPI_BYTE, from, MPIFT_TAG_SVC_CONSOLE, comm, MPI_STATUS_IGNORE) != MPIFT_OK)
        return MPIFT_ERR_MPI;
    if (mpift_reply_decode(buf, len, status, text) != MPIFT_OK) {
        mpift_log_error("rank %d sent a malformed reply: protocol error", from);
        return MPIFT_ERR_PROTO;
    }
    return MPIFT_OK;
}
