/*
 * proto.c - encode and validate protocol headers.
 *
 * Explicit little-endian layouts through wire/cursor.h rather than memcpy
 * of structs: no padding or endianness surprises between nodes, and every
 * byte the decoder reads is bounds-checked first.
 */
#include <stdio.h>
#include <string.h>

#include "mpift/mpift.h"
#include "config/config.h"
#include "wire/cursor.h"
#include "wire/proto.h"

enum mpift_wire_cksum mpift_wire_cksum(enum mpift_cksum checksum)
{
    return checksum == MPIFT_CKSUM_XXH3 ? MPIFT_WIRE_CKSUM_XXH3 : MPIFT_WIRE_CKSUM_NONE;
}

void mpift_chunking(uint64_t size, uint64_t chunk_size, uint64_t *nchunks, uint64_t *last)
{
    if (size == 0 || chunk_size == 0) {
        *nchunks = 0;
        *last = 0;
        return;
    }
    *nchunks = (size + chunk_size - 1) / chunk_size;
    *last = size - (*nchunks - 1) * chunk_size;
}

static void put_hdr(struct mpift_wcur *w, uint16_t type, uint32_t payload)
{
    mpift_wput_u32(w, MPIFT_PROTO_MAGIC);
    mpift_wput_u16(w, MPIFT_PROTO_VERSION);
    mpift_wput_u16(w, type);
    mpift_wput_u32(w, payload);
}

/* Check the common header; on success *payload is the payload length and
 * r reads the payload from its start. */
static int check_hdr(const unsigned char *buf, size_t len, uint16_t want, uint32_t *payload, struct mpift_rcur *r,
                     char *why, size_t whylen)
{
    uint32_t magic;
    uint16_t version, type;

    if (len < MPIFT_HDR_LEN) {
        snprintf(why, whylen, "short header (%zu bytes, need %d)", len, MPIFT_HDR_LEN);
        return MPIFT_ERR_PROTO;
    }
    mpift_rcur_init(r, buf, len);
    magic = mpift_wget_u32(r);
    version = mpift_wget_u16(r);
    type = mpift_wget_u16(r);
    *payload = mpift_wget_u32(r);
    if (magic != MPIFT_PROTO_MAGIC) {
        snprintf(why, whylen, "bad magic 0x%08x (not an mpift message)", magic);
        return MPIFT_ERR_PROTO;
    }
    if (version != MPIFT_PROTO_VERSION) {
        snprintf(why, whylen, "protocol version %u (expected %d): mixed mpift versions in one job?",
                 version, MPIFT_PROTO_VERSION);
        return MPIFT_ERR_PROTO;
    }
    if (type != want) {
        snprintf(why, whylen, "message type %u where %u was expected", type, want);
        return MPIFT_ERR_PROTO;
    }
    if ((uint64_t)*payload != (uint64_t)(len - MPIFT_HDR_LEN)) {
        snprintf(why, whylen, "payload length %u disagrees with message size %zu", *payload, len);
        return MPIFT_ERR_PROTO;
    }
    return MPIFT_OK;
}

/* A NUL-terminated string of at most max bytes (NUL included) at p[0..n). */
static int check_str(const unsigned char *p, uint32_t n, size_t max, const char *what,
                     char *why, size_t whylen)
{
    if (n == 0 || n > max) {
        snprintf(why, whylen, "%s length %u out of range (1..%zu)", what, n, max);
        return MPIFT_ERR_PROTO;
    }
    if (p[n - 1] != '\0' || memchr(p, '\0', n) != p + n - 1) {
        snprintf(why, whylen, "%s not NUL-terminated at its stated length", what);
        return MPIFT_ERR_PROTO;
    }
    return MPIFT_OK;
}

/* What META and a batch entry both begin with (32 bytes): file_id u64,
 * size u64, mtime_sec i64, mtime_nsec u32, mode u32. */
static void put_file(struct mpift_wcur *w, uint64_t id, uint64_t size, int64_t sec, uint32_t nsec, uint32_t mode)
{
    mpift_wput_u64(w, id);
    mpift_wput_u64(w, size);
    mpift_wput_u64(w, (uint64_t)sec);
    mpift_wput_u32(w, nsec);
    mpift_wput_u32(w, mode);
}

static void get_file(struct mpift_rcur *r, uint64_t *id, uint64_t *size, int64_t *sec, uint32_t *nsec,
                     uint32_t *mode)
{
    *id = mpift_wget_u64(r);
    *size = mpift_wget_u64(r);
    *sec = (int64_t)mpift_wget_u64(r);
    *nsec = mpift_wget_u32(r);
    *mode = mpift_wget_u32(r);
}

/*
 * META and ERROR share a shape: a fixed part, then a string (NUL
 * included) whose length is the u32 at `len_at` and that fills the rest.
 * The names are for messages ("metadata too short", "name length 5
 * disagrees with metadata size 70").
 */
struct named_shape {
    uint16_t type;
    uint32_t fixed, len_at;
    size_t max;
    const char *msg, *str, *size_of;
};

/* Check the header and the shape; *slen gets the string's length, and r
 * reads the payload from its start. */
static int check_named(const unsigned char *buf, size_t len, const struct named_shape *sh, uint32_t *slen,
                       struct mpift_rcur *r, char *why, size_t whylen)
{
    struct mpift_rcur at;
    uint32_t payload;
    int rc = check_hdr(buf, len, sh->type, &payload, r, why, whylen);

    if (rc != MPIFT_OK)
        return rc;
    if (payload < sh->fixed) {
        snprintf(why, whylen, "%s too short (%u bytes)", sh->msg, payload);
        return MPIFT_ERR_PROTO;
    }
    mpift_rcur_init(&at, buf + MPIFT_HDR_LEN + sh->len_at, 4);
    *slen = mpift_wget_u32(&at);
    if ((uint64_t)*slen != (uint64_t)payload - sh->fixed) {
        snprintf(why, whylen, "%s length %u disagrees with %s size %u", sh->str, *slen, sh->size_of, payload);
        return MPIFT_ERR_PROTO;
    }
    return check_str(buf + MPIFT_HDR_LEN + sh->fixed, *slen, sh->max, sh->str, why, whylen);
}

/* META payload: file_id u64, size u64, mtime_sec i64, mtime_nsec u32,
 * mode u32, chunk_size u64, nchunks u64, last u64, name_len u32,
 * nholes u32, reserved u32, name. */
#define META_FIXED 68

static const struct named_shape meta_shape = { MPIFT_MSG_META, META_FIXED, 56, MPIFT_NAME_MAX, "metadata", "name",
                                               "metadata" };

int mpift_meta_encode(const struct mpift_meta *m, unsigned char *buf, size_t buflen)
{
    size_t nlen = strnlen(m->name, MPIFT_NAME_MAX);
    size_t total;
    struct mpift_wcur w;

    if (nlen >= MPIFT_NAME_MAX)
        return MPIFT_ERR_RANGE;
    total = MPIFT_HDR_LEN + META_FIXED + nlen + 1;
    mpift_wcur_init(&w, buf, buflen);
    put_hdr(&w, MPIFT_MSG_META, (uint32_t)(total - MPIFT_HDR_LEN));
    put_file(&w, m->file_id, m->size, m->mtime_sec, m->mtime_nsec, m->mode);
    mpift_wput_u64(&w, m->chunk_size);
    mpift_wput_u64(&w, m->nchunks);
    mpift_wput_u64(&w, m->last_chunk);
    mpift_wput_u32(&w, (uint32_t)(nlen + 1));
    mpift_wput_u32(&w, m->nholes);
    mpift_wput_u32(&w, 0); /* reserved */
    mpift_wput_bytes(&w, m->name, nlen);
    mpift_wput_u8(&w, 0);
    return mpift_wcur_status(&w) == MPIFT_OK ? (int)total : MPIFT_ERR_RANGE;
}

int mpift_meta_decode(const unsigned char *buf, size_t len, struct mpift_meta *m, char *why, size_t whylen)
{
    struct mpift_rcur r;
    uint32_t nlen;
    uint64_t n, last;
    int rc;

    rc = check_named(buf, len, &meta_shape, &nlen, &r, why, whylen);
    if (rc != MPIFT_OK)
        return rc;
    get_file(&r, &m->file_id, &m->size, &m->mtime_sec, &m->mtime_nsec, &m->mode);
    m->chunk_size = mpift_wget_u64(&r);
    m->nchunks = mpift_wget_u64(&r);
    m->last_chunk = mpift_wget_u64(&r);
    (void)mpift_wget_u32(&r);  /* the name's length, checked */
    m->nholes = mpift_wget_u32(&r);
    if (m->nholes > MPIFT_HOLES_MAX || (m->nholes > 0 && m->size == 0)) {
        snprintf(why, whylen, "%u hole extents for %llu bytes (at most %d)", m->nholes, (unsigned long long)m->size,
                 MPIFT_HOLES_MAX);
        return MPIFT_ERR_PROTO;
    }
    if (m->mtime_nsec >= 1000000000u) {
        snprintf(why, whylen, "mtime nanoseconds %u out of range", m->mtime_nsec);
        return MPIFT_ERR_PROTO;
    }
    if (m->chunk_size < MPIFT_CHUNK_MIN || m->chunk_size > MPIFT_CHUNK_MAX) {
        snprintf(why, whylen, "chunk size %llu out of range", (unsigned long long)m->chunk_size);
        return MPIFT_ERR_PROTO;
    }
    mpift_chunking(m->size, m->chunk_size, &n, &last);
    if (n != m->nchunks || last != m->last_chunk) {
        snprintf(why, whylen, "%llu chunks (last %llu bytes) disagree with size %llu and chunk size %llu",
                 (unsigned long long)m->nchunks, (unsigned long long)m->last_chunk,
                 (unsigned long long)m->size, (unsigned long long)m->chunk_size);
        return MPIFT_ERR_PROTO;
    }
    memcpy(m->name, buf + MPIFT_HDR_LEN + META_FIXED, nlen);
    return MPIFT_OK;
}

/* COMPLETE payload: file_id u64, size u64, status u32, err i32, kind u32,
 * digest u64, whole u64. */
#define COMPLETE_FIXED 44

int mpift_complete_encode(const struct mpift_complete *c, unsigned char *buf, size_t buflen)
{
    struct mpift_wcur w;

    mpift_wcur_init(&w, buf, buflen);
    put_hdr(&w, MPIFT_MSG_COMPLETE, COMPLETE_FIXED);
    mpift_wput_u64(&w, c->file_id);
    mpift_wput_u64(&w, c->size);
    mpift_wput_u32(&w, c->status);
    mpift_wput_u32(&w, (uint32_t)c->err);
    mpift_wput_u32(&w, c->cksum_kind);
    mpift_wput_u64(&w, c->digest);
    mpift_wput_u64(&w, c->whole);
    return mpift_wcur_status(&w) == MPIFT_OK ? MPIFT_COMPLETE_WIRE : MPIFT_ERR_RANGE;
}

int mpift_complete_decode(const unsigned char *buf, size_t len, struct mpift_complete *c, char *why, size_t whylen)
{
    struct mpift_rcur r;
    uint32_t payload;
    int rc = check_hdr(buf, len, MPIFT_MSG_COMPLETE, &payload, &r, why, whylen);

    if (rc != MPIFT_OK)
        return rc;
    if (payload != COMPLETE_FIXED) {
        snprintf(why, whylen, "COMPLETE of %u bytes (expected %d)", payload, COMPLETE_FIXED);
        return MPIFT_ERR_PROTO;
    }
    c->file_id = mpift_wget_u64(&r);
    c->size = mpift_wget_u64(&r);
    c->status = mpift_wget_u32(&r);
    c->err = (int32_t)mpift_wget_u32(&r);
    c->cksum_kind = mpift_wget_u32(&r);
    c->digest = mpift_wget_u64(&r);
    c->whole = mpift_wget_u64(&r);
    if (c->status > MPIFT_SEND_STATUS_MAX || c->cksum_kind > MPIFT_WIRE_CKSUM_MAX) {
        snprintf(why, whylen, "COMPLETE with unknown status %u or checksum kind %u", c->status, c->cksum_kind);
        return MPIFT_ERR_PROTO;
    }
    return MPIFT_OK;
}

/* ERROR payload: file_id u64, code i32, text_len u32, text. */
#define ERROR_FIXED 16

int mpift_error_encode(const struct mpift_error_msg *e, unsigned char *buf, size_t buflen)
{
    size_t tlen = strnlen(e->text, MPIFT_MSG_MAX - 1);
    size_t total = MPIFT_HDR_LEN + ERROR_FIXED + tlen + 1;
    struct mpift_wcur w;

    mpift_wcur_init(&w, buf, buflen);
    put_hdr(&w, MPIFT_MSG_ERROR, (uint32_t)(total - MPIFT_HDR_LEN));
    mpift_wput_u64(&w, e->file_id);
    mpift_wput_u32(&w, (uint32_t)e->code);
    mpift_wput_u32(&w, (uint32_t)(tlen + 1));
    mpift_wput_bytes(&w, e->text, tlen);
    mpift_wput_u8(&w, 0);
    return mpift_wcur_status(&w) == MPIFT_OK ? (int)total : MPIFT_ERR_RANGE;
}

int mpift_error_decode(const unsigned char *buf, size_t len, struct mpift_error_msg *e, char *why, size_t whylen)
{
    static const struct named_shape shape = { MPIFT_MSG_ERROR, ERROR_FIXED, 12, MPIFT_MSG_MAX, "ERROR message",
                                              "error text", "message" };
    struct mpift_rcur r;
    uint32_t tlen;
    int rc = check_named(buf, len, &shape, &tlen, &r, why, whylen);

    if (rc != MPIFT_OK)
        return rc;
    e->file_id = mpift_wget_u64(&r);
    e->code = (int32_t)mpift_wget_u32(&r);
    memcpy(e->text, buf + MPIFT_HDR_LEN + ERROR_FIXED, tlen);
    return MPIFT_OK;
}

void mpift_batch_put_entry(unsigned char *at, const struct mpift_batch_entry *e)
{
    struct mpift_wcur w;

    mpift_wcur_init(&w, at, MPIFT_BATCH_ENTRY);
    put_file(&w, e->file_id, e->size, e->mtime_sec, e->mtime_nsec, e->mode);
    mpift_wput_u32(&w, e->status);
    mpift_wput_u32(&w, (uint32_t)e->err);
    mpift_wput_u64(&w, e->digest);
    mpift_wput_u64(&w, 0);
}

void mpift_batch_seal(unsigned char *buf, size_t used, uint32_t count, uint32_t cksum_kind)
{
    struct mpift_wcur w;

    mpift_wcur_init(&w, buf, MPIFT_BATCH_HDR);
    put_hdr(&w, MPIFT_MSG_BATCH, (uint32_t)(used - MPIFT_HDR_LEN));
    mpift_wput_u32(&w, count);
    mpift_wput_u32(&w, cksum_kind);
}

/* One entry's 56-byte header (k-th of the batch, id expected); its data
 * (when sent) follows in r. */
static int get_entry(struct mpift_rcur *r, uint32_t k, uint64_t id, struct mpift_batch_entry *e, char *why,
                     size_t whylen)
{
    if (mpift_rcur_left(r) < MPIFT_BATCH_ENTRY) {
        snprintf(why, whylen, "batch entry %u runs past the message's end", k);
        return MPIFT_ERR_PROTO;
    }
    get_file(r, &e->file_id, &e->size, &e->mtime_sec, &e->mtime_nsec, &e->mode);
    e->status = mpift_wget_u32(r);
    e->err = (int32_t)mpift_wget_u32(r);
    e->digest = mpift_wget_u64(r);
    (void)mpift_wget_u64(r);   /* reserved */
    /* STRIPE is a striped route's COMPLETE, never a batch entry's. */
    if (e->file_id != id || e->status > MPIFT_SEND_CHANGED || e->mtime_nsec >= 1000000000u || e->mode > 07777) {
        snprintf(why, whylen, "batch entry %u: file %llu (expected %llu), status %u, mode %o", k,
                 (unsigned long long)e->file_id, (unsigned long long)id, e->status, e->mode);
        return MPIFT_ERR_PROTO;
    }
    e->data = NULL;
    if (e->status != MPIFT_SEND_OK)
        return MPIFT_OK;
    if (e->size > mpift_rcur_left(r)) {
        snprintf(why, whylen, "batch entry %u: %llu bytes of data run past the message's end", k,
                 (unsigned long long)e->size);
        return MPIFT_ERR_PROTO;
    }
    e->data = mpift_wget_bytes(r, (size_t)e->size);
    return MPIFT_OK;
}

int mpift_batch_decode(const unsigned char *buf, size_t len, const uint64_t *ids, uint32_t count,
                       struct mpift_batch_entry *e, uint32_t *cksum_kind, char *why, size_t whylen)
{
    struct mpift_rcur r;
    uint32_t payload, n, k;
    int rc = check_hdr(buf, len, MPIFT_MSG_BATCH, &payload, &r, why, whylen);

    if (rc != MPIFT_OK)
        return rc;
    if (len < MPIFT_BATCH_HDR) {
        snprintf(why, whylen, "batch of %zu bytes, shorter than its header", len);
        return MPIFT_ERR_PROTO;
    }
    n = mpift_wget_u32(&r);
    *cksum_kind = mpift_wget_u32(&r);
    if (n != count || *cksum_kind > MPIFT_WIRE_CKSUM_MAX) {
        snprintf(why, whylen, "batch of %u files with checksum kind %u (expected %u files)", n, *cksum_kind, count);
        return MPIFT_ERR_PROTO;
    }
    for (k = 0; k < n; k++)
        if ((rc = get_entry(&r, k, ids[k], &e[k], why, whylen)) != MPIFT_OK)
            return rc;
    if (mpift_rcur_left(&r) != 0) {
        snprintf(why, whylen, "batch has %zu bytes after its last entry", mpift_rcur_left(&r));
        return MPIFT_ERR_PROTO;
    }
    return MPIFT_OK;
}

/* HOLES payload: file_id u64, count u32, reserved u32, then count x
 * (offset u64, length u64). */
#define HOLES_FIXED 16

uint64_t mpift_holes_chunks(const struct mpift_holes *h, uint64_t chunk_size)
{
    uint64_t n = 0;
    uint32_t k;

    for (k = 0; k < h->n; k++)
        n += (h->e[k].len + chunk_size - 1) / chunk_size;
    return n;
}

int mpift_head_encode(const struct mpift_meta *m, const struct mpift_holes *h, unsigned char *buf, size_t buflen)
{
    int len = mpift_meta_encode(m, buf, buflen);
    size_t total;
    struct mpift_wcur w;
    uint32_t k;

    if (len < 0 || m->nholes == 0)
        return len;
    if (!h || h->n != m->nholes || m->nholes > MPIFT_HOLES_MAX)
        return MPIFT_ERR_RANGE;
    total = MPIFT_HDR_LEN + HOLES_FIXED + 16 * (size_t)h->n;
    mpift_wcur_init(&w, buf + len, buflen - (size_t)len);
    put_hdr(&w, MPIFT_MSG_HOLES, (uint32_t)(total - MPIFT_HDR_LEN));
    mpift_wput_u64(&w, m->file_id);
    mpift_wput_u32(&w, h->n);
    mpift_wput_u32(&w, 0); /* reserved */
    for (k = 0; k < h->n; k++) {
        mpift_wput_u64(&w, h->e[k].off);
        mpift_wput_u64(&w, h->e[k].len);
    }
    return mpift_wcur_status(&w) == MPIFT_OK ? len + (int)total : MPIFT_ERR_RANGE;
}

/* Extent k of a file of m's size and chunking, after the one ending at
 * `prev` (0 for the first). */
static int check_hole(const struct mpift_meta *m, uint32_t k, const struct mpift_hole *e, uint64_t prev,
                      char *why, size_t whylen)
{
    uint64_t end = e->off + e->len;

    if (e->len == 0 || end < e->off || end > m->size || e->off % m->chunk_size != 0 ||
        (end % m->chunk_size != 0 && end != m->size) || (k > 0 && e->off <= prev)) {
        snprintf(why, whylen, "hole extent %u (%llu bytes at %llu) does not fit a file of %llu bytes in chunks of "
                 "%llu after the extent ending at %llu", k, (unsigned long long)e->len, (unsigned long long)e->off,
                 (unsigned long long)m->size, (unsigned long long)m->chunk_size, (unsigned long long)prev);
        return MPIFT_ERR_PROTO;
    }
    return MPIFT_OK;
}

static int holes_decode(const unsigned char *buf, size_t len, const struct mpift_meta *m, struct mpift_holes *h,
                        char *why, size_t whylen)
{
    struct mpift_rcur r;
    uint32_t payload, k;
    uint64_t id, prev = 0;
    int rc = check_hdr(buf, len, MPIFT_MSG_HOLES, &payload, &r, why, whylen);

    if (rc != MPIFT_OK)
        return rc;
    if (payload != HOLES_FIXED + 16 * (uint64_t)m->nholes) {
        snprintf(why, whylen, "HOLES of %u bytes for %u extents", payload, m->nholes);
        return MPIFT_ERR_PROTO;
    }
    id = mpift_wget_u64(&r);
    h->n = mpift_wget_u32(&r);
    (void)mpift_wget_u32(&r);
    if (id != m->file_id || h->n != m->nholes) {
        snprintf(why, whylen, "HOLES of file %llu with %u extents after the metadata of file %llu with %u",
                 (unsigned long long)id, h->n, (unsigned long long)m->file_id, m->nholes);
        return MPIFT_ERR_PROTO;
    }
    for (k = 0; k < h->n; k++) {
        h->e[k].off = mpift_wget_u64(&r);
        h->e[k].len = mpift_wget_u64(&r);
        if ((rc = check_hole(m, k, &h->e[k], prev, why, whylen)) != MPIFT_OK)
            return rc;
        prev = h->e[k].off + h->e[k].len;
    }
    return MPIFT_OK;
}

int mpift_head_decode(const unsigned char *buf, size_t len, struct mpift_meta *m, struct mpift_holes *h, char *why,
                      size_t whylen)
{
    struct mpift_rcur r;
    size_t mlen;
    int rc;

    h->n = 0;
    if (len < MPIFT_HDR_LEN) {
        snprintf(why, whylen, "short header (%zu bytes, need %d)", len, MPIFT_HDR_LEN);
        return MPIFT_ERR_PROTO;
    }
    /* METADATA's own length, from its header's payload length: what
     * follows is HOLES. */
    mpift_rcur_init(&r, buf + MPIFT_HDR_LEN - 4, 4);
    mlen = MPIFT_HDR_LEN + (size_t)mpift_wget_u32(&r);
    if (mlen > len)
        mlen = len;
    rc = mpift_meta_decode(buf, mlen, m, why, whylen);
    if (rc != MPIFT_OK)
        return rc;
    if (m->nholes == 0 && mlen != len) {
        snprintf(why, whylen, "%zu bytes after a metadata that announces no holes", len - mlen);
        return MPIFT_ERR_PROTO;
    }
    return m->nholes == 0 ? MPIFT_OK : holes_decode(buf + mlen, len - mlen, m, h, why, whylen);
}
