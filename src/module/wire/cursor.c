/*
 * cursor.c - bounds-checked little-endian writer and reader (cursor.h).
 *
 * Fields are written byte by byte, least significant first, never as a
 * memcpy of a host integer: the bytes are the same on every node whatever
 * its byte order, and no struct padding travels.
 */
#include <string.h>

#include "mpift/mpift.h"
#include "wire/cursor.h"

void mpift_wcur_init(struct mpift_wcur *w, unsigned char *buf, size_t len)
{
    w->p = buf;
    w->len = buf ? len : SIZE_MAX;
    w->at = 0;
    w->err = 0;
}

/* Room for n more bytes?  Where they go, or NULL (counting, or no room). */
static unsigned char *room(struct mpift_wcur *w, size_t n)
{
    unsigned char *at;

    if (w->err || n > w->len - w->at) {
        w->err = 1;
        return NULL;
    }
    at = w->p ? w->p + w->at : NULL;
    w->at += n;
    return at;
}

static void put_le(struct mpift_wcur *w, uint64_t v, int n)
{
    unsigned char *p = room(w, (size_t)n);

    for (int i = 0; p && i < n; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

void mpift_wput_u8(struct mpift_wcur *w, uint8_t v) { put_le(w, v, 1); }
void mpift_wput_u16(struct mpift_wcur *w, uint16_t v) { put_le(w, v, 2); }
void mpift_wput_u32(struct mpift_wcur *w, uint32_t v) { put_le(w, v, 4); }
void mpift_wput_u64(struct mpift_wcur *w, uint64_t v) { put_le(w, v, 8); }

void mpift_wput_bytes(struct mpift_wcur *w, const void *v, size_t n)
{
    unsigned char *p = room(w, n);

    if (p && n)
        memcpy(p, v, n);
}

void mpift_wput_str(struct mpift_wcur *w, const char *s, size_t n)
{
    if (n > UINT32_MAX) {
        w->err = 1;
        return;
    }
    mpift_wput_u32(w, (uint32_t)n);
    mpift_wput_bytes(w, s, n);
}

int mpift_wcur_status(const struct mpift_wcur *w)
{
    return w->err ? MPIFT_ERR_RANGE : MPIFT_OK;
}

void mpift_rcur_init(struct mpift_rcur *r, const unsigned char *buf, size_t len)
{
    r->p = buf;
    r->len = buf ? len : 0;
    r->at = 0;
    r->err = 0;
}

const unsigned char *mpift_wget_bytes(struct mpift_rcur *r, size_t n)
{
    const unsigned char *at;

    if (r->err || n > r->len - r->at) {
        r->err = 1;
        return NULL;
    }
    at = r->p + r->at;
    r->at += n;
    return at;
}

static uint64_t get_le(struct mpift_rcur *r, int n)
{
    const unsigned char *p = mpift_wget_bytes(r, (size_t)n);
    uint64_t v = 0;

    for (int i = n - 1; p && i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

uint8_t mpift_wget_u8(struct mpift_rcur *r) { return (uint8_t)get_le(r, 1); }
uint16_t mpift_wget_u16(struct mpift_rcur *r) { return (uint16_t)get_le(r, 2); }
uint32_t mpift_wget_u32(struct mpift_rcur *r) { return (uint32_t)get_le(r, 4); }
uint64_t mpift_wget_u64(struct mpift_rcur *r) { return get_le(r, 8); }

const unsigned char *mpift_wget_str(struct mpift_rcur *r, size_t max, size_t *n)
{
    *n = mpift_wget_u32(r);
    if (!r->err && *n > max) {
        r->err = 1;
        return NULL;
    }
    return mpift_wget_bytes(r, *n);
}

size_t mpift_rcur_left(const struct mpift_rcur *r)
{
    return r->err ? 0 : r->len - r->at;
}

int mpift_rcur_status(const struct mpift_rcur *r)
{
    return r->err ? MPIFT_ERR_PROTO : MPIFT_OK;
}
