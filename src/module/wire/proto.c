/*
 * proto.c - encode and validate protocol headers.
 *
 * Explicit little-endian layouts rather than memcpy of structs: no padding
 * or endianness surprises between nodes, and every byte the decoder reads is
 * bounds-checked first.
 */
#include <stdio.h>
#include <string.h>

#include "mpift/mpift.h"
#include "config/config.h"
#include "wire/proto.h"

static void put_u16(unsigned char *p, uint16_t v) { p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8); }
static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}
static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}
static uint16_t get_u16(const unsigned char *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t get_u32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}
static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

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

static void put_hdr(unsigned char *buf, uint16_t type, uint32_t payload)
{
    put_u32(buf, MPIFT_PROTO_MAGIC);
    put_u16(buf + MPIFT_HDR_VERSION_AT, MPIFT_PROTO_VERSION);
    put_u16(buf + 6, type);
    put_u32(buf + 8, payload);
}

/* Check the common header; on success *payload is the payload length. */
static int check_hdr(const unsigned char *buf, size_t len, uint16_t want, uint32_t *payload,
                     char *why, size_t whylen)
{
    uint32_t magic;
    uint16_t version, type;

    if (len < MPIFT_HDR_LEN) {
        snprintf(why, whylen, "short header (%zu bytes, need %d)", len, MPIFT_HDR_LEN);
        return MPIFT_ERR_PROTO;
    }
    magic = get_u32(buf);
    version = get_u16(buf + MPIFT_HDR_VERSION_AT);
    type = get_u16(buf + 6);
    *payload = get_u32(buf + 8);
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
static void put_file(unsigned char *p, uint64_t id, uint64_t size, int64_t sec, uint32_t nsec, uint32_t mode)
{
    put_u64(p, id);
    put_u64(p + 8, size);
    put_u64(p + 16, (uint64_t)sec);
    put_u32(p + 24, nsec);
    put_u32(p + 28, mode);
}

static void get_file(const unsigned char *p, uint64_t *id, uint64_t *size, int64_t *sec, uint32_t *nsec,
                     uint32_t *mode)
{
    *id = get_u64(p);
    *size = get_u64(p + 8);
    *sec = (int64_t)get_u64(p + 16);
    *nsec = get_u32(p + 24);
    *mode = get_u32(p + 28);
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

/* Check the header and the shape; *slen gets the string's length. */
static int check_named(const unsigned char *buf, size_t len, const struct named_shape *sh, uint32_t *slen,
                       char *why, size_t whylen)
{
    const unsigned char *p = buf + MPIFT_HDR_LEN;
    uint32_t payload;
    int rc = check_hdr(buf, len, sh->type, &payload, why, whylen);

    if (rc != MPIFT_OK)
        return rc;
    if (payload < sh->fixed) {
        snprintf(why, whylen, "%s too short (%u bytes)", sh->msg, payload);
        return MPIFT_ERR_PROTO;
    }
    *slen = get_u32(p + sh->len_at);
    if ((uint64_t)*slen != (uint64_t)payload - sh->fixed) {
        snprintf(why, whylen, "%s length %u disagrees with %s size %u", sh->str, *slen, sh->size_of, payload);
        return MPIFT_ERR_PROTO;
    }
    return check_str(p + sh->fixed, *slen, sh->max, sh->str, why, whylen);
}

/* META payload: file_id u64, size u64, mtime_sec i64, mtime_nsec u32,
 * mode u32, chunk_size u64, nchunks u64, last u64, name_len u32, name. */
#define META_FIXED 68

static const struct named_shape meta_shape = { MPIFT_MSG_META, META_FIXED, 56, MPIFT_NAME_MAX, "metadata", "name",
                                               "metadata" };

int mpift_meta_encode(const struct mpift_meta *m, unsigned char *buf, size_t buflen)
{
    size_t nlen = strnlen(m->name, MPIFT_NAME_MAX);
    size_t total;
    unsigned char *p;

    if (nlen >= MPIFT_NAME_MAX)
        return MPIFT_ERR_RANGE;
    total = MPIFT_HDR_LEN + META_FIXED + nlen + 1;
    if (total > buflen)
        return MPIFT_ERR_RANGE;
    put_hdr(buf, MPIFT_MSG_META, (uint32_t)(total - MPIFT_HDR_LEN));
    p = buf + MPIFT_HDR_LEN;
    put_file(p, m->file_id, m->size, m->mtime_sec, m->mtime_nsec, m->mode);
    put_u64(p + 32, m->chunk_size);
    put_u64(p + 40, m->nchunks);
    put_u64(p + 48, m->last_chunk);
    put_u32(p + 56, (uint32_t)(nlen + 1));
    put_u64(p + 60, 0); /* reserved */
    memcpy(p + META_FIXED, m->name, nlen + 1);
    return (int)total;
}

int mpift_meta_decode(const unsigned char *buf, size_t len, struct mpift_meta *m, char *why, size_t whylen)
{
    uint32_t nlen;
    uint64_t n, last;
    const unsigned char *p;
    int rc;

    rc = check_named(buf, len, &meta_shape, &nlen, why, whylen);
    if (rc != MPIFT_OK)
        return rc;
    p = buf + MPIFT_HDR_LEN;
    get_file(p, &m->file_id, &m->size, &m->mtime_sec, &m->mtime_nsec, &m->mode);
    m->chunk_size = get_u64(p + 32);
    m->nchunks = get_u64(p + 40);
    m->last_chunk = get_u64(p + 48);
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
    memcpy(m->name, p + META_FIXED, nlen);
    return MPIFT_OK;
}

/* COMPLETE payload: file_id u64, size u64, status u32, err i32, kind u32, digest u64. */
#define COMPLETE_FIXED 36

int mpift_complete_encode(const struct mpift_complete *c, unsigned char *buf, size_t buflen)
{
    unsigned char *p = buf + MPIFT_HDR_LEN;

    if (buflen < MPIFT_COMPLETE_WIRE)
        return MPIFT_ERR_RANGE;
    put_hdr(buf, MPIFT_MSG_COMPLETE, COMPLETE_FIXED);
    put_u64(p, c->file_id);
    put_u64(p + 8, c->size);
    put_u32(p + 16, c->status);
    put_u32(p + 20, (uint32_t)c->err);
    put_u32(p + 24, c->cksum_kind);
    put_u64(p + 28, c->digest);
    return MPIFT_COMPLETE_WIRE;
}

int mpift_complete_decode(const unsigned char *buf, size_t len, struct mpift_complete *c, char *why, size_t whylen)
{
    uint32_t payload;
    const unsigned char *p = buf + MPIFT_HDR_LEN;
    int rc = check_hdr(buf, len, MPIFT_MSG_COMPLETE, &payload, why, whylen);

    if (rc != MPIFT_OK)
        return rc;
    if (payload != COMPLETE_FIXED) {
        snprintf(why, whylen, "COMPLETE of %u bytes (expected %d)", payload, COMPLETE_FIXED);
        return MPIFT_ERR_PROTO;
    }
    c->file_id = get_u64(p);
    c->size = get_u64(p + 8);
    c->status = get_u32(p + 16);
    c->err = (int32_t)get_u32(p + 20);
    c->cksum_kind = get_u32(p + 24);
    c->digest = get_u64(p + 28);
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
    unsigned char *p = buf + MPIFT_HDR_LEN;

    if (total > buflen)
        return MPIFT_ERR_RANGE;
    put_hdr(buf, MPIFT_MSG_ERROR, (uint32_t)(total - MPIFT_HDR_LEN));
    put_u64(p, e->file_id);
    put_u32(p + 8, (uint32_t)e->code);
    put_u32(p + 12, (uint32_t)(tlen + 1));
    memcpy(p + ERROR_FIXED, e->text, tlen);
    p[ERROR_FIXED + tlen] = '\0';
    return (int)total;
}

int mpift_error_decode(const unsigned char *buf, size_t len, struct mpift_error_msg *e, char *why, size_t whylen)
{
    static const struct named_shape shape = { MPIFT_MSG_ERROR, ERROR_FIXED, 12, MPIFT_MSG_MAX, "ERROR message",
                                              "error text", "message" };
    uint32_t tlen;
    const unsigned char *p = buf + MPIFT_HDR_LEN;
    int rc = check_named(buf, len, &shape, &tlen, why, whylen);

    if (rc != MPIFT_OK)
        return rc;
    e->file_id = get_u64(p);
    e->code = (int32_t)get_u32(p + 8);
    memcpy(e->text, p + ERROR_FIXED, tlen);
    return MPIFT_OK;
}

void mpift_batch_put_entry(unsigned char *at, const struct mpift_batch_entry *e)
{
    put_file(at, e->file_id, e->size, e->mtime_sec, e->mtime_nsec, e->mode);
    put_u32(at + 32, e->status);
    put_u32(at + 36, (uint32_t)e->err);
    put_u64(at + 40, e->digest);
    put_u64(at + 48, 0);
}

void mpift_batch_seal(unsigned char *buf, size_t used, uint32_t count, uint32_t cksum_kind)
{
    put_hdr(buf, MPIFT_MSG_BATCH, (uint32_t)(used - MPIFT_HDR_LEN));
    put_u32(buf + MPIFT_HDR_LEN, count);
    put_u32(buf + MPIFT_HDR_LEN + 4, cksum_kind);
}

int mpift_batch_decode(const unsigned char *buf, size_t len, const uint64_t *ids, uint32_t count,
                       struct mpift_batch_entry *e, uint32_t *cksum_kind, char *why, size_t whylen)
{
    uint32_t payload, n, k;
    size_t off = MPIFT_BATCH_HDR;
    int rc = check_hdr(buf, len, MPIFT_MSG_BATCH, &payload, why, whylen);

    if (rc != MPIFT_OK)
        return rc;
    if (len < MPIFT_BATCH_HDR) {
        snprintf(why, whylen, "batch of %zu bytes, shorter than its header", len);
        return MPIFT_ERR_PROTO;
    }
    n = get_u32(buf + MPIFT_HDR_LEN);
    *cksum_kind = get_u32(buf + MPIFT_HDR_LEN + 4);
    if (n != count || *cksum_kind > MPIFT_WIRE_CKSUM_MAX) {
        snprintf(why, whylen, "batch of %u files with checksum kind %u (expected %u files)", n, *cksum_kind, count);
        return MPIFT_ERR_PROTO;
    }
    for (k = 0; k < n; k++) {
        const unsigned char *p = buf + off;
        if (len - off < MPIFT_BATCH_ENTRY) {
            snprintf(why, whylen, "batch entry %u runs past the message's end", k);
            return MPIFT_ERR_PROTO;
        }
        get_file(p, &e[k].file_id, &e[k].size, &e[k].mtime_sec, &e[k].mtime_nsec, &e[k].mode);
        e[k].status = get_u32(p + 32);
        e[k].err = (int32_t)get_u32(p + 36);
        e[k].digest = get_u64(p + 40);
        off += MPIFT_BATCH_ENTRY;
        /* STRIPE is a striped route's COMPLETE, never a batch entry's. */
        if (e[k].file_id != ids[k] || e[k].status > MPIFT_SEND_CHANGED || e[k].mtime_nsec >= 1000000000u ||
            e[k].mode > 07777) {
            snprintf(why, whylen, "batch entry %u: file %llu (expected %llu), status %u, mode %o", k,
                     (unsigned long long)e[k].file_id, (unsigned long long)ids[k], e[k].status, e[k].mode);
            return MPIFT_ERR_PROTO;
        }
        e[k].data = NULL;
        if (e[k].status != MPIFT_SEND_OK)
            continue;
        if (e[k].size > len - off) {
            snprintf(why, whylen, "batch entry %u: %llu bytes of data run past the message's end", k,
                     (unsigned long long)e[k].size);
            return MPIFT_ERR_PROTO;
        }
        e[k].data = buf + off;
        off += (size_t)e[k].size;
    }
    if (off != len) {
        snprintf(why, whylen, "batch has %zu bytes after its last entry", len - off);
        return MPIFT_ERR_PROTO;
    }
    return MPIFT_OK;
}
