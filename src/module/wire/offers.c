/* offers.c - a writer's bases on the wire (see offers.h). */
#include "mpift_autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpift/mpift.h"
#include "util/grow.h"
#include "wire/cursor.h"
#include "wire/offers.h"

/* Room for `more` bytes. */
static unsigned char *grow(struct mpift_offers_buf *b, size_t more)
{
    unsigned char *p;

    if (b->nomem)
        return NULL;
    if (!b->p) {
        b->len = 4;   /* the count, written at the end */
        b->cap = 0;
    }
    if (mpift_grow(&b->p, &b->cap, b->len + more, 1, 256) != MPIFT_OK) {
        b->nomem = 1;
        return NULL;
    }
    p = b->p + b->len;
    b->len += more;
    return p;
}

void mpift_offers_add(struct mpift_offers_buf *b, uint32_t file, uint8_t kind, uint32_t nchunks,
                      const unsigned char *have, const uint64_t *hash)
{
    struct mpift_wcur w;
    uint32_t i, nheld = 0;
    unsigned char *p;

    for (i = 0; i < nchunks; i++)
        nheld += (have[i >> 3] >> (i & 7)) & 1;
    if (!nheld || !(p = grow(b, 13 + (size_t)nheld * MPIFT_OFFER_ITEM)))
        return;
    mpift_wcur_init(&w, p, 13 + (size_t)nheld * MPIFT_OFFER_ITEM);
    mpift_wput_u32(&w, file);
    mpift_wput_u8(&w, kind);
    mpift_wput_u32(&w, nchunks);
    mpift_wput_u32(&w, nheld);
    for (i = 0; i < nchunks; i++)
        if ((have[i >> 3] >> (i & 7)) & 1) {
            mpift_wput_u32(&w, i);
            mpift_wput_u64(&w, hash[i]);
        }
    b->n++;
}

int mpift_offers_finish(struct mpift_offers_buf *b)
{
    struct mpift_wcur w;

    if (!b->nomem && !b->p)
        grow(b, 0);
    if (b->nomem)
        return MPIFT_ERR_NOMEM;
    mpift_wcur_init(&w, b->p, 4);
    mpift_wput_u32(&w, b->n);
    return MPIFT_OK;
}

void mpift_offer_item(const struct mpift_offer *o, uint32_t k, uint32_t *chunk, uint64_t *hash)
{
    struct mpift_rcur r;

    mpift_rcur_init(&r, o->items + (size_t)k * MPIFT_OFFER_ITEM, MPIFT_OFFER_ITEM);
    *chunk = mpift_wget_u32(&r);
    *hash = mpift_wget_u64(&r);
}

static int bad(char *why, size_t whylen, const char *what, uint32_t k)
{
    snprintf(why, whylen, "offers: entry %u: %s", (unsigned)k, what);
    return MPIFT_ERR_PROTO;
}

/* Entry k at r: checked, into *o. */
static int entry(struct mpift_rcur *r, uint32_t k, uint64_t nfiles, const uint64_t *nchunks, int64_t last,
                 struct mpift_offer *o, char *why, size_t whylen)
{
    uint32_t j, c, prev = 0;
    uint64_t h;

    o->file = mpift_wget_u32(r);
    o->kind = mpift_wget_u8(r);
    o->nchunks = mpift_wget_u32(r);
    o->nheld = mpift_wget_u32(r);
    if (mpift_rcur_status(r) != MPIFT_OK)
        return bad(why, whylen, "cut short", k);
    if (o->file >= nfiles || (int64_t)o->file <= last)
        return bad(why, whylen, "file out of order or not in the plan", k);
    if (o->kind < 1 || o->kind > MPIFT_OFFER_KIND_MAX)
        return bad(why, whylen, "unknown kind", k);
    if (!nchunks[o->file] || o->nchunks != nchunks[o->file] || !o->nheld || o->nheld > o->nchunks)
        return bad(why, whylen, "chunk counts do not match the plan", k);
    if (mpift_rcur_left(r) / MPIFT_OFFER_ITEM < o->nheld)
        return bad(why, whylen, "cut short", k);
    o->items = mpift_wget_bytes(r, (size_t)o->nheld * MPIFT_OFFER_ITEM);
    for (j = 0; j < o->nheld; j++) {
        mpift_offer_item(o, j, &c, &h);
        if (c >= o->nchunks || (j > 0 && c <= prev))
            return bad(why, whylen, "chunks out of order or past the file", k);
        prev = c;
    }
    return MPIFT_OK;
}

int mpift_offers_decode(const unsigned char *buf, size_t len, uint64_t nfiles, const uint64_t *nchunks,
                        struct mpift_offer **out, uint32_t *n, char *why, size_t whylen)
{
    struct mpift_rcur r;
    struct mpift_offer *o = NULL;
    uint32_t k, count;
    int64_t last = -1;
    int rc = MPIFT_OK;

    *out = NULL;
    *n = 0;
    mpift_rcur_init(&r, buf, len);
    count = mpift_wget_u32(&r);
    /* Each entry takes at least 13 + 12 bytes: a count beyond that is a lie. */
    if (mpift_rcur_status(&r) != MPIFT_OK || count > mpift_rcur_left(&r) / (13 + MPIFT_OFFER_ITEM)) {
        snprintf(why, whylen, "offers: count %u does not fit %zu bytes", (unsigned)count, len);
        return MPIFT_ERR_PROTO;
    }
    if (count && !(o = calloc(count, sizeof(*o))))
        return MPIFT_ERR_NOMEM;
    for (k = 0; k < count && rc == MPIFT_OK; k++) {
        rc = entry(&r, k, nfiles, nchunks, last, &o[k], why, whylen);
        last = o[k].file;
    }
    if (rc == MPIFT_OK && mpift_rcur_left(&r) != 0) {
        snprintf(why, whylen, "offers: %zu bytes past the last entry", mpift_rcur_left(&r));
        rc = MPIFT_ERR_PROTO;
    }
    if (rc != MPIFT_OK) {
        free(o);
        return rc;
    }
    *out = o;
    *n = count;
    return MPIFT_OK;
}
