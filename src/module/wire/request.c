/*
 * request.c - encode and validate service requests and replies (see
 * request.h; service/request_io.c sends and receives them).
 */
#include <stdio.h>
#include <string.h>

#include "mpift/mpift.h"
#include "wire/cursor.h"
#include "wire/request.h"

int mpift_req_encode(const struct mpift_req *r, unsigned char *buf)
{
    size_t n = strnlen(r->name, sizeof(r->name));
    struct mpift_wcur w;

    if (n >= sizeof(r->name))
        return MPIFT_ERR_RANGE;
    mpift_wcur_init(&w, buf, MPIFT_REQ_MAX);
    mpift_wput_bytes(&w, MPIFT_REQ_MAGIC, MPIFT_MAGIC_LEN);
    mpift_wput_u32(&w, r->op);
    mpift_wput_u32(&w, (uint32_t)r->peer);
    mpift_wput_u32(&w, 0);
    mpift_wput_u64(&w, r->id);
    mpift_wput_str(&w, r->name, n);
    return mpift_wcur_status(&w) == MPIFT_OK ? (int)w.at : MPIFT_ERR_RANGE;
}

int mpift_req_decode(const unsigned char *buf, int len, int size, struct mpift_req *r, char *why, size_t whylen)
{
    struct mpift_rcur c;
    uint32_t n;

    if (len < MPIFT_REQ_HDR || memcmp(buf, MPIFT_REQ_MAGIC, MPIFT_MAGIC_LEN) != 0) {
        snprintf(why, whylen, "request of %d bytes without its header", len);
        return MPIFT_ERR_PROTO;
    }
    mpift_rcur_init(&c, buf + MPIFT_MAGIC_LEN, (size_t)len - MPIFT_MAGIC_LEN);
    r->op = mpift_wget_u32(&c);
    r->peer = (int32_t)mpift_wget_u32(&c);
    (void)mpift_wget_u32(&c);
    r->id = mpift_wget_u64(&c);
    n = mpift_wget_u32(&c);
    if (r->op < MPIFT_REQ_RECV || r->op > MPIFT_REQ_OP_MAX || n != (uint32_t)(len - MPIFT_REQ_HDR) ||
        n >= sizeof(r->name) || memchr(buf + MPIFT_REQ_HDR, '\0', n) || r->peer < 0 || r->peer >= size) {
        snprintf(why, whylen, "malformed request (op %u, peer %d, name length %u of %d bytes)", r->op, r->peer,
                 n, len);
        return MPIFT_ERR_PROTO;
    }
    memcpy(r->name, mpift_wget_bytes(&c, n), n);
    r->name[n] = '\0';
    return MPIFT_OK;
}

int mpift_reply_encode(unsigned char *buf, size_t cap, int status, const char *text)
{
    size_t n = strlen(text);
    struct mpift_wcur w;

    if (n > cap - MPIFT_REPLY_HDR - 1)
        n = cap - MPIFT_REPLY_HDR - 1;
    mpift_wcur_init(&w, buf, cap);
    mpift_wput_bytes(&w, MPIFT_REPLY_MAGIC, MPIFT_MAGIC_LEN);
    mpift_wput_u32(&w, (uint32_t)status);
    mpift_wput_bytes(&w, text, n);
    mpift_wput_u8(&w, 0);
    return (int)w.at;
}

int mpift_reply_decode(const unsigned char *buf, int len, int *status, const char **text)
{
    struct mpift_rcur r;

    if (len < MPIFT_REPLY_HDR + 1 || memcmp(buf, MPIFT_REPLY_MAGIC, MPIFT_MAGIC_LEN) != 0 || buf[len - 1] != '\0')
        return MPIFT_ERR_PROTO;
    mpift_rcur_init(&r, buf + MPIFT_MAGIC_LEN, 4);
    *status = (int32_t)mpift_wget_u32(&r);
    *text = (const char *)buf + MPIFT_REPLY_HDR;
    return MPIFT_OK;
}

