/*
 * request.c - encode, send, receive and validate service requests and
 * replies (see request.h).
 */
#include "mpift_autoconf.h"

#include <stdio.h>
#include <string.h>

#include "mpift/mpift.h"
#include "util/log.h"
#include "comm/wait.h"
#include "wire/proto.h"
#include "wire/request.h"

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16); p[3] = (unsigned char)(v >> 24);
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int mpift_req_encode(const struct mpift_req *r, unsigned char *buf)
{
    size_t n = strnlen(r->name, sizeof(r->name));

    if (n >= sizeof(r->name))
        return MPIFT_ERR_RANGE;
    memcpy(buf, MPIFT_REQ_MAGIC, MPIFT_MAGIC_LEN);
    put32(buf + 4, r->op);
    put32(buf + 8, (uint32_t)r->peer);
    put32(buf + 12, 0);
    put32(buf + 16, (uint32_t)r->id);
    put32(buf + 20, (uint32_t)(r->id >> 32));
    put32(buf + 24, (uint32_t)n);
    memcpy(buf + MPIFT_REQ_HDR, r->name, n);
    return (int)(MPIFT_REQ_HDR + n);
}

int mpift_req_decode(const unsigned char *buf, int len, int size, struct mpift_req *r, char *why, size_t whylen)
{
    uint32_t n;

    if (len < MPIFT_REQ_HDR || memcmp(buf, MPIFT_REQ_MAGIC, MPIFT_MAGIC_LEN) != 0) {
        snprintf(why, whylen, "request of %d bytes without its header", len);
        return MPIFT_ERR_PROTO;
    }
    r->op = get32(buf + 4);
    r->peer = (int32_t)get32(buf + 8);
    r->id = (uint64_t)get32(buf + 16) | (uint64_t)get32(buf + 20) << 32;
    n = get32(buf + 24);
    if (r->op < MPIFT_REQ_RECV || r->op > MPIFT_REQ_OP_MAX || n != (uint32_t)(len - MPIFT_REQ_HDR) ||
        n >= sizeof(r->name) || memchr(buf + MPIFT_REQ_HDR, '\0', n) || r->peer < 0 || r->peer >= size) {
        snprintf(why, whylen, "malformed request (op %u, peer %d, name length %u of %d bytes)", r->op, r->peer,
                 n, len);
        return MPIFT_ERR_PROTO;
    }
    memcpy(r->name, buf + MPIFT_REQ_HDR, n);
    r->name[n] = '\0';
    return MPIFT_OK;
}

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

int mpift_reply_encode(unsigned char *buf, size_t cap, int status, const char *text)
{
    size_t n = strlen(text);

    if (n > cap - MPIFT_REPLY_HDR - 1)
        n = cap - MPIFT_REPLY_HDR - 1;
    memcpy(buf, MPIFT_REPLY_MAGIC, MPIFT_MAGIC_LEN);
    put32(buf + 4, (uint32_t)status);
    memcpy(buf + MPIFT_REPLY_HDR, text, n);
    buf[MPIFT_REPLY_HDR + n] = '\0';
    return (int)(MPIFT_REPLY_HDR + n + 1);
}

int mpift_reply_decode(const unsigned char *buf, int len, int *status, const char **text)
{
    if (len < MPIFT_REPLY_HDR + 1 || memcmp(buf, MPIFT_REPLY_MAGIC, MPIFT_MAGIC_LEN) != 0 || buf[len - 1] != '\0')
        return MPIFT_ERR_PROTO;
    *status = (int32_t)get32(buf + 4);
    *text = (const char *)buf + MPIFT_REPLY_HDR;
    return MPIFT_OK;
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
