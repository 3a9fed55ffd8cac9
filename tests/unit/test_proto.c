/* test_proto.c - protocol header encoding and validation. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mpift/mpift.h"
#include "wire/proto.h"
#include "wire/request.h"
#include "engine/sink.h"
#include "unit_main.h"

static unsigned char buf[MPIFT_HEAD_WIRE_MAX + 64];
static char err[256];

static struct mpift_meta good_meta(void)
{
    struct mpift_meta m;
    memset(&m, 0, sizeof(m));
    m.file_id = 7;
    m.size = 10000;
    m.mtime_sec = 1700000000;
    m.mtime_nsec = 123456789;
    m.mode = 0644;
    m.chunk_size = 4096;
    mpift_chunking(m.size, m.chunk_size, &m.nchunks, &m.last_chunk);
    strcpy(m.name, "dir/with space/d\xc3\xa9j\xc3\xa0.bin");
    return m;
}

START_TEST(chunking)
{
    uint64_t n, last;
    mpift_chunking(0, 4096, &n, &last);
    ck_assert_uint_eq(n, 0);
    ck_assert_uint_eq(last, 0);
    mpift_chunking(4096, 4096, &n, &last);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(last, 4096);
    mpift_chunking(4097, 4096, &n, &last);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(last, 1);
    /* Over 4 GiB: 64-bit all the way. */
    mpift_chunking(5ULL << 30, 1 << 20, &n, &last);
    ck_assert_uint_eq(n, 5 * 1024);
    ck_assert_uint_eq(last, 1 << 20);
}
END_TEST

START_TEST(meta_roundtrip)
{
    struct mpift_meta m = good_meta(), d;
    int len = mpift_meta_encode(&m, buf, sizeof(buf));
    ck_assert_int_gt(len, MPIFT_HDR_LEN);
    ck_assert_int_eq(mpift_meta_decode(buf, (size_t)len, &d, err, sizeof(err)), MPIFT_OK);
    ck_assert_uint_eq(d.file_id, 7);
    ck_assert_uint_eq(d.size, 10000);
    ck_assert_int_eq(d.mtime_sec, 1700000000);
    ck_assert_uint_eq(d.mtime_nsec, 123456789);
    ck_assert_uint_eq(d.nchunks, 3);
    ck_assert_uint_eq(d.last_chunk, 10000 - 2 * 4096);
    ck_assert_str_eq(d.name, m.name);
}
END_TEST

START_TEST(meta_big_file)
{
    struct mpift_meta m = good_meta(), d;
    int len;
    m.size = (6ULL << 30) + 3;
    m.chunk_size = 4 << 20;
    mpift_chunking(m.size, m.chunk_size, &m.nchunks, &m.last_chunk);
    len = mpift_meta_encode(&m, buf, sizeof(buf));
    ck_assert_int_eq(mpift_meta_decode(buf, (size_t)len, &d, err, sizeof(err)), MPIFT_OK);
    ck_assert_uint_eq(d.size, (6ULL << 30) + 3);
    ck_assert_uint_eq(d.nchunks, 6 * 256 + 1);
    ck_assert_uint_eq(d.last_chunk, 3);
}
END_TEST

START_TEST(short_header)
{
    struct mpift_meta m = good_meta(), d;
    int len = mpift_meta_encode(&m, buf, sizeof(buf));
    size_t cut;
    ck_assert_int_gt(len, 0);
    for (cut = 0; cut < (size_t)len; cut++)
        ck_assert_int_eq(mpift_meta_decode(buf, cut, &d, err, sizeof(err)), MPIFT_ERR_PROTO);
    ck_assert_int_eq(mpift_meta_decode(buf, 5, &d, err, sizeof(err)), MPIFT_ERR_PROTO);
    ck_assert_ptr_nonnull(strstr(err, "short header"));
}
END_TEST

START_TEST(bad_magic_version_type)
{
    struct mpift_meta m = good_meta(), d;
    struct mpift_complete c;
    int len = mpift_meta_encode(&m, buf, sizeof(buf));

    buf[0] ^= 0xff;
    ck_assert_int_eq(mpift_meta_decode(buf, (size_t)len, &d, err, sizeof(err)), MPIFT_ERR_PROTO);
    ck_assert_ptr_nonnull(strstr(err, "magic"));
    buf[0] ^= 0xff;
    buf[MPIFT_HDR_VERSION_AT] = 9;
    ck_assert_int_eq(mpift_meta_decode(buf, (size_t)len, &d, err, sizeof(err)), MPIFT_ERR_PROTO);
    ck_assert_ptr_nonnull(strstr(err, "version 9"));
    buf[MPIFT_HDR_VERSION_AT] = MPIFT_PROTO_VERSION;
    /* A metadata message is not a COMPLETE. */
    ck_assert_int_eq(mpift_complete_decode(buf, (size_t)len, &c, err, sizeof(err)), MPIFT_ERR_PROTO);
    ck_assert_ptr_nonnull(strstr(err, "type"));
}
END_TEST

START_TEST(length_beyond_buffer)
{
    struct mpift_meta m = good_meta(), d;
    int len = mpift_meta_encode(&m, buf, sizeof(buf));
    /* Payload length field claims more than was received. */
    buf[8] = 0xff; buf[9] = 0xff; buf[10] = 0x00; buf[11] = 0x00;
    ck_assert_int_eq(mpift_meta_decode(buf, (size_t)len, &d, err, sizeof(err)), MPIFT_ERR_PROTO);
    /* Name length larger than the payload. */
    len = mpift_meta_encode(&m, buf, sizeof(buf));
    buf[MPIFT_HDR_LEN + 56] += 5;
    ck_assert_int_eq(mpift_meta_decode(buf, (size_t)len, &d, err, sizeof(err)), MPIFT_ERR_PROTO);
    ck_assert_ptr_nonnull(strstr(err, "name length"));
}
END_TEST

START_TEST(name_without_nul)
{
    struct mpift_meta m = good_meta(), d;
    int len = mpift_meta_encode(&m, buf, sizeof(buf));
    buf[len - 1] = 'x';
    ck_assert_int_eq(mpift_meta_decode(buf, (size_t)len, &d, err, sizeof(err)), MPIFT_ERR_PROTO);
    ck_assert_ptr_nonnull(strstr(err, "NUL"));
    /* An embedded NUL is just as wrong. */
    len = mpift_meta_encode(&m, buf, sizeof(buf));
    buf[len - 4] = '\0';
    ck_assert_int_eq(mpift_meta_decode(buf, (size_t)len, &d, err, sizeof(err)), MPIFT_ERR_PROTO);
}
END_TEST

START_TEST(chunks_disagree_with_size)
{
    struct mpift_meta m = good_meta(), d;
    int len;
    m.nchunks = 2; /* size 10000 at 4096 needs 3 */
    len = mpift_meta_encode(&m, buf, sizeof(buf));
    ck_assert_int_eq(mpift_meta_decode(buf, (size_t)len, &d, err, sizeof(err)), MPIFT_ERR_PROTO);
    ck_assert_ptr_nonnull(strstr(err, "disagree"));
    m = good_meta();
    m.last_chunk = 4096;
    len = mpift_meta_encode(&m, buf, sizeof(buf));
    ck_assert_int_eq(mpift_meta_decode(buf, (size_t)len, &d, err, sizeof(err)), MPIFT_ERR_PROTO);
    m = good_meta();
    m.chunk_size = 16; /* below the minimum: would make huge chunk counts */
    mpift_chunking(m.size, m.chunk_size, &m.nchunks, &m.last_chunk);
    len = mpift_meta_encode(&m, buf, sizeof(buf));
    ck_assert_int_eq(mpift_meta_decode(buf, (size_t)len, &d, err, sizeof(err)), MPIFT_ERR_PROTO);
}
END_TEST

START_TEST(complete_roundtrip_and_errors)
{
    struct mpift_complete c, d;
    int len;
    memset(&c, 0, sizeof(c));
    c.file_id = 3;
    c.size = 5;
    c.cksum_kind = MPIFT_WIRE_CKSUM_XXH3;
    c.digest = 0x0123456789abcdefULL;
    len = mpift_complete_encode(&c, buf, sizeof(buf));
    ck_assert_int_eq(len, MPIFT_COMPLETE_WIRE);
    ck_assert_int_eq(mpift_complete_decode(buf, (size_t)len, &d, err, sizeof(err)), MPIFT_OK);
    ck_assert_uint_eq(d.digest, 0x0123456789abcdefULL);
    ck_assert_int_eq(mpift_complete_decode(buf, (size_t)len - 1, &d, err, sizeof(err)), MPIFT_ERR_PROTO);
    c.status = MPIFT_SEND_CHANGED; /* the source changed while it was read */
    len = mpift_complete_encode(&c, buf, sizeof(buf));
    ck_assert_int_eq(mpift_complete_decode(buf, (size_t)len, &d, err, sizeof(err)), MPIFT_OK);
    ck_assert_uint_eq(d.status, MPIFT_SEND_CHANGED);
    c.status = MPIFT_SEND_STRIPE; /* a stripe was not the source's */
    len = mpift_complete_encode(&c, buf, sizeof(buf));
    ck_assert_int_eq(mpift_complete_decode(buf, (size_t)len, &d, err, sizeof(err)), MPIFT_OK);
    ck_assert_uint_eq(d.status, MPIFT_SEND_STRIPE);
    buf[MPIFT_HDR_LEN + 16] = 9; /* unknown status */
    ck_assert_int_eq(mpift_complete_decode(buf, (size_t)len, &d, err, sizeof(err)), MPIFT_ERR_PROTO);
    ck_assert_int_eq(mpift_complete_encode(&c, buf, 10), MPIFT_ERR_RANGE);
    c.cksum_kind = MPIFT_WIRE_CKSUM_MAX + 1; /* unknown checksum kind */
    len = mpift_complete_encode(&c, buf, sizeof(buf));
    ck_assert_int_eq(mpift_complete_decode(buf, (size_t)len, &d, err, sizeof(err)), MPIFT_ERR_PROTO);
    ck_assert_ptr_nonnull(strstr(err, "checksum kind"));
}
END_TEST

/* A file of 10 chunks of 4096 and 100 bytes: holes at chunks 0-1, 5-6
 * and from chunk 9 to the end. */
static struct mpift_meta holed_meta(struct mpift_holes *h)
{
    struct mpift_meta m = good_meta();

    m.size = 9 * 4096 + 4096 + 100;
    mpift_chunking(m.size, m.chunk_size, &m.nchunks, &m.last_chunk);
    h->n = m.nholes = 3;
    h->e[0] = (struct mpift_hole){ 0, 2 * 4096 };
    h->e[1] = (struct mpift_hole){ 5 * 4096, 2 * 4096 };
    h->e[2] = (struct mpift_hole){ 9 * 4096, m.size - 9 * 4096 };
    return m;
}

START_TEST(head_roundtrip)
{
    static struct mpift_holes h, dh;
    struct mpift_meta m = holed_meta(&h), d;
    int len = mpift_head_encode(&m, &h, buf, sizeof(buf));

    ck_assert_int_gt(len, 0);
    ck_assert_int_eq(mpift_head_decode(buf, (size_t)len, &d, &dh, err, sizeof(err)), MPIFT_OK);
    ck_assert_uint_eq(d.nholes, 3);
    ck_assert_uint_eq(dh.n, 3);
    ck_assert_uint_eq(dh.e[1].off, 5 * 4096);
    ck_assert_uint_eq(dh.e[2].len, 4096 + 100);
    ck_assert_uint_eq(mpift_holes_chunks(&dh, 4096), 2 + 2 + 2);   /* of 11: 5 DATA messages */
    /* No holes: METADATA alone, as before. */
    m = good_meta();
    len = mpift_head_encode(&m, NULL, buf, sizeof(buf));
    ck_assert_int_eq(len, mpift_meta_encode(&m, buf, sizeof(buf)));
    ck_assert_int_eq(mpift_head_decode(buf, (size_t)len, &d, &dh, err, sizeof(err)), MPIFT_OK);
    ck_assert_uint_eq(dh.n, 0);
    ck_assert_int_eq(mpift_head_decode(buf, (size_t)len + 3, &d, &dh, err, sizeof(err)), MPIFT_ERR_PROTO);
}
END_TEST

/* Encode m with h as given (each a valid message, but for its extents)
 * and expect the decoder to refuse it, saying `what`. */
static void head_refused_with(struct mpift_meta *m, struct mpift_holes *h, const char *what)
{
    static struct mpift_holes dh;
    struct mpift_meta d;
    int len = mpift_head_encode(m, h, buf, sizeof(buf));

    ck_assert_int_gt(len, 0);
    ck_assert_int_eq(mpift_head_decode(buf, (size_t)len, &d, &dh, err, sizeof(err)), MPIFT_ERR_PROTO);
    ck_assert_msg(strstr(err, what) != NULL, "'%s' lacks '%s'", err, what);
}

START_TEST(head_refused)
{
    static struct mpift_holes h;
    struct mpift_meta m = holed_meta(&h), d;
    int len;

    h.e[1].off += 1;                       /* not on a chunk boundary */
    head_refused_with(&m, &h, "does not fit");
    m = holed_meta(&h);
    h.e[1].len -= 1;                       /* ends inside a chunk */
    head_refused_with(&m, &h, "does not fit");
    m = holed_meta(&h);
    h.e[1].off = 2 * 4096;                 /* touches the one before */
    head_refused_with(&m, &h, "does not fit");
    m = holed_meta(&h);
    h.e[2].len += 4096;                    /* past the file's end */
    head_refused_with(&m, &h, "does not fit");
    m = holed_meta(&h);
    h.e[0].len = 0;
    head_refused_with(&m, &h, "does not fit");
    m = holed_meta(&h);
    h.e[2].len = UINT64_MAX - h.e[2].off + 1;   /* wraps round */
    head_refused_with(&m, &h, "does not fit");
    /* Fewer extents than METADATA announced, another file's, none at all. */
    m = holed_meta(&h);
    len = mpift_head_encode(&m, &h, buf, sizeof(buf));
    ck_assert_int_eq(mpift_head_decode(buf, (size_t)len - 16, &d, &h, err, sizeof(err)), MPIFT_ERR_PROTO);
    m = holed_meta(&h);
    len = mpift_head_encode(&m, &h, buf, sizeof(buf));
    buf[mpift_meta_encode(&m, buf, sizeof(buf)) + MPIFT_HDR_LEN] ^= 1;   /* the HOLES' file id */
    ck_assert_int_eq(mpift_head_decode(buf, (size_t)len, &d, &h, err, sizeof(err)), MPIFT_ERR_PROTO);
    m = holed_meta(&h);
    len = mpift_meta_encode(&m, buf, sizeof(buf));
    ck_assert_int_eq(mpift_head_decode(buf, (size_t)len, &d, &h, err, sizeof(err)), MPIFT_ERR_PROTO);
    m.nholes = MPIFT_HOLES_MAX + 1;
    len = mpift_meta_encode(&m, buf, sizeof(buf));
    ck_assert_int_eq(mpift_meta_decode(buf, (size_t)len, &d, err, sizeof(err)), MPIFT_ERR_PROTO);
    /* The encoder takes no extents METADATA does not announce. */
    m = holed_meta(&h);
    h.n = 2;
    ck_assert_int_eq(mpift_head_encode(&m, &h, buf, sizeof(buf)), MPIFT_ERR_RANGE);
}
END_TEST

/* The checksum of a file with extents (engine/sink.h): its chunks' hashes
 * in file order, 16 bytes for each extent in its place.  A hole
 * elsewhere, an extent missing or of another length gives another
 * digest. */
static uint64_t holed_digest(uint64_t hole_at, uint64_t hole_len, int with_hole)
{
    static const unsigned char a[100] = { 1, 2, 3 }, b[100] = { 4, 5, 6 };
    XXH3_state_t *st = XXH3_createState();
    uint64_t d;

    XXH3_64bits_reset(st);
    mpift_hash_chunk(st, XXH3_64bits(a, sizeof(a)));
    if (with_hole)
        mpift_hash_hole(st, hole_at, hole_len);
    mpift_hash_chunk(st, XXH3_64bits(b, sizeof(b)));
    d = XXH3_64bits_digest(st);
    XXH3_freeState(st);
    return d;
}

START_TEST(hole_digest_tells_layouts_apart)
{
    uint64_t good = holed_digest(4096, 8192, 1);

    ck_assert_uint_eq(good, holed_digest(4096, 8192, 1));
    ck_assert_uint_ne(good, holed_digest(8192, 8192, 1));    /* a hole elsewhere */
    ck_assert_uint_ne(good, holed_digest(4096, 4096, 1));    /* another length */
    ck_assert_uint_ne(good, holed_digest(4096, 8192, 0));    /* an extent missing */
}
END_TEST

/* The wire numbers the checksum kinds its own way (and for good: other
 * ranks read them), not as the configuration's enum does. */
START_TEST(wire_cksum_values)
{
    ck_assert_int_eq(MPIFT_WIRE_CKSUM_NONE, 0);
    ck_assert_int_eq(MPIFT_WIRE_CKSUM_XXH3, 1);
    ck_assert_int_eq(mpift_wire_cksum(MPIFT_CKSUM_XXH3), MPIFT_WIRE_CKSUM_XXH3);
    ck_assert_int_eq(mpift_wire_cksum(MPIFT_CKSUM_NONE), MPIFT_WIRE_CKSUM_NONE);
}
END_TEST

START_TEST(error_roundtrip_and_errors)
{
    struct mpift_error_msg e, d;
    int len;
    memset(&e, 0, sizeof(e));
    e.file_id = 9;
    e.code = MPIFT_ERR_NOENT;
    strcpy(e.text, "data/missing.dat: No such file or directory");
    len = mpift_error_encode(&e, buf, sizeof(buf));
    ck_assert_int_gt(len, 0);
    ck_assert_int_eq(mpift_error_decode(buf, (size_t)len, &d, err, sizeof(err)), MPIFT_OK);
    ck_assert_str_eq(d.text, e.text);
    ck_assert_int_eq(d.code, MPIFT_ERR_NOENT);
    buf[len - 1] = '!';
    ck_assert_int_eq(mpift_error_decode(buf, (size_t)len, &d, err, sizeof(err)), MPIFT_ERR_PROTO);
}
END_TEST

START_TEST(name_too_long_refused_by_encoder)
{
    struct mpift_meta m = good_meta();
    memset(m.name, 'a', sizeof(m.name)); /* no NUL at all */
    ck_assert_int_eq(mpift_meta_encode(&m, buf, sizeof(buf)), MPIFT_ERR_RANGE);
    m = good_meta();
    ck_assert_int_eq(mpift_meta_encode(&m, buf, MPIFT_HDR_LEN + 10), MPIFT_ERR_RANGE);
}
END_TEST

/* Random bytes must never crash a decoder (a cheap fuzz in the unit tests). */
START_TEST(random_bytes_never_crash)
{
    static const uint64_t zero_ids[2] = { 0, 0 };
    struct mpift_batch_entry be[2];
    uint32_t kind;
    struct mpift_meta d;
    static struct mpift_holes holes;
    struct mpift_complete c;
    struct mpift_error_msg e;
    unsigned seed = 12345;
    int i;
    size_t j, len;

    for (i = 0; i < 20000; i++) {
        len = (size_t)(rand_r(&seed) % (int)sizeof(buf));
        for (j = 0; j < len; j++)
            buf[j] = (unsigned char)rand_r(&seed);
        if (i % 2) { /* a valid header prefix, so the deeper checks run */
            buf[0] = 0x54; buf[1] = 0x46; buf[2] = 0x50; buf[3] = 0x4d;
            buf[MPIFT_HDR_VERSION_AT] = MPIFT_PROTO_VERSION; buf[MPIFT_HDR_VERSION_AT + 1] = 0;
            buf[6] = (unsigned char)(1 + i % 5); buf[7] = 0;
        }
        (void)mpift_meta_decode(buf, len, &d, err, sizeof(err));
        (void)mpift_head_decode(buf, len, &d, &holes, err, sizeof(err));
        (void)mpift_complete_decode(buf, len, &c, err, sizeof(err));
        (void)mpift_error_decode(buf, len, &e, err, sizeof(err));
        (void)mpift_batch_decode(buf, len, zero_ids, 2, be, &kind, err, sizeof(err));
    }
}
END_TEST

/* ---------------------------------------------- service requests, replies */

START_TEST(request_roundtrip)
{
    unsigned char msg[MPIFT_REQ_MAX];
    struct mpift_req r, d;
    char why[256];
    int n;

    memset(&r, 0, sizeof(r));
    r.op = MPIFT_REQ_PUSH;
    r.peer = 5;
    r.id = 0x123456789abcULL;
    strcpy(r.name, "dir/with space/données.bin");
    n = mpift_req_encode(&r, msg);
    ck_assert_int_eq(n, MPIFT_REQ_HDR + (int)strlen(r.name));
    ck_assert_int_eq(mpift_req_decode(msg, n, 6, &d, why, sizeof(why)), MPIFT_OK);
    ck_assert_uint_eq(d.op, MPIFT_REQ_PUSH);
    ck_assert_int_eq(d.peer, 5);
    ck_assert(d.id == r.id);
    ck_assert_str_eq(d.name, r.name);
    /* An empty name (ls, quit, done) is fine. */
    r.name[0] = '\0';
    n = mpift_req_encode(&r, msg);
    ck_assert_int_eq(mpift_req_decode(msg, n, 6, &d, why, sizeof(why)), MPIFT_OK);
    ck_assert_str_eq(d.name, "");
}
END_TEST

START_TEST(request_refused)
{
    unsigned char msg[MPIFT_REQ_MAX];
    struct mpift_req r, d;
    char why[256];
    int n;

    memset(&r, 0, sizeof(r));
    r.op = MPIFT_REQ_FETCH;
    r.peer = 0;
    strcpy(r.name, "a.dat");
    n = mpift_req_encode(&r, msg);
    /* The job has 6 ranks: peer 6 is none of them. */
    r.peer = 6;
    ck_assert_int_eq(mpift_req_decode(msg, mpift_req_encode(&r, msg), 6, &d, why, sizeof(why)), MPIFT_ERR_PROTO);
    ck_assert_ptr_nonnull(strstr(why, "peer 6"));
    r.peer = 0;
    n = mpift_req_encode(&r, msg);
    ck_assert_int_eq(mpift_req_decode(msg, n - 1, 6, &d, why, sizeof(why)), MPIFT_ERR_PROTO); /* short */
    ck_assert_int_eq(mpift_req_decode(msg, 10, 6, &d, why, sizeof(why)), MPIFT_ERR_PROTO);    /* no header */
    msg[MPIFT_REQ_HDR + 1] = '\0';                                                             /* NUL inside */
    ck_assert_int_eq(mpift_req_decode(msg, n, 6, &d, why, sizeof(why)), MPIFT_ERR_PROTO);
    n = mpift_req_encode(&r, msg);
    msg[4] = 99;                                                                                 /* unknown op */
    ck_assert_int_eq(mpift_req_decode(msg, n, 6, &d, why, sizeof(why)), MPIFT_ERR_PROTO);
    n = mpift_req_encode(&r, msg);
    msg[0] = 'X';                                                                                /* magic */
    ck_assert_int_eq(mpift_req_decode(msg, n, 6, &d, why, sizeof(why)), MPIFT_ERR_PROTO);
}
END_TEST

START_TEST(reply_roundtrip_and_refused)
{
    unsigned char msg[64];
    const char *text;
    int n, status;

    n = mpift_reply_encode(msg, sizeof(msg), MPIFT_ERR_NOENT, "x.dat: No such file");
    ck_assert_int_eq(mpift_reply_decode(msg, n, &status, &text), MPIFT_OK);
    ck_assert_int_eq(status, MPIFT_ERR_NOENT);
    ck_assert_str_eq(text, "x.dat: No such file");
    /* A text longer than the buffer is cut, still terminated. */
    n = mpift_reply_encode(msg, sizeof(msg), MPIFT_OK,
                           "0123456789012345678901234567890123456789012345678901234567890123456789");
    ck_assert_int_eq(n, (int)sizeof(msg));
    ck_assert_int_eq(mpift_reply_decode(msg, n, &status, &text), MPIFT_OK);
    ck_assert_uint_eq(strlen(text), sizeof(msg) - MPIFT_REPLY_HDR - 1);
    ck_assert_int_eq(mpift_reply_decode(msg, n - 1, &status, &text), MPIFT_ERR_PROTO); /* no NUL */
    ck_assert_int_eq(mpift_reply_decode(msg, 8, &status, &text), MPIFT_ERR_PROTO);
    msg[1] = 'X';
    ck_assert_int_eq(mpift_reply_decode(msg, n, &status, &text), MPIFT_ERR_PROTO);
}
END_TEST

/* ---------------------------------------------------------------- batches */

/* A batch of three: "abc", a failed file, and an empty one. */
static size_t make_batch(unsigned char *msg, uint64_t *ids)
{
    struct mpift_batch_entry e;
    size_t used = MPIFT_BATCH_HDR;

    memset(&e, 0, sizeof(e));
    e.file_id = ids[0] = 7;
    e.size = 3;
    e.mtime_sec = 1700000000;
    e.mtime_nsec = 5;
    e.mode = 0640;
    e.digest = 0x1122334455667788ULL;
    mpift_batch_put_entry(msg + used, &e);
    memcpy(msg + used + MPIFT_BATCH_ENTRY, "abc", 3);
    used += MPIFT_BATCH_ENTRY + 3;
    memset(&e, 0, sizeof(e));
    e.file_id = ids[1] = 9;
    e.status = MPIFT_SEND_FAILED;
    e.err = 2;
    mpift_batch_put_entry(msg + used, &e);
    used += MPIFT_BATCH_ENTRY;
    memset(&e, 0, sizeof(e));
    e.file_id = ids[2] = 12;
    mpift_batch_put_entry(msg + used, &e);
    used += MPIFT_BATCH_ENTRY;
    mpift_batch_seal(msg, used, 3, MPIFT_WIRE_CKSUM_XXH3);
    return used;
}

START_TEST(batch_roundtrip)
{
    unsigned char msg[512];
    struct mpift_batch_entry e[3];
    uint64_t ids[3];
    uint32_t kind;
    char why[256];
    size_t n = make_batch(msg, ids);

    ck_assert_int_eq(mpift_batch_decode(msg, n, ids, 3, e, &kind, why, sizeof(why)), MPIFT_OK);
    ck_assert_uint_eq(kind, MPIFT_WIRE_CKSUM_XXH3);
    ck_assert(e[0].size == 3 && e[0].mtime_sec == 1700000000 && e[0].mtime_nsec == 5 && e[0].mode == 0640);
    ck_assert(e[0].digest == 0x1122334455667788ULL);
    ck_assert_int_eq(memcmp(e[0].data, "abc", 3), 0);
    ck_assert_uint_eq(e[1].status, MPIFT_SEND_FAILED);
    ck_assert_int_eq(e[1].err, 2);
    ck_assert_ptr_null(e[1].data);
    ck_assert(e[2].size == 0 && e[2].data != NULL);
}
END_TEST

START_TEST(batch_refused)
{
    unsigned char msg[512];
    struct mpift_batch_entry e[3];
    uint64_t ids[3], other[3];
    uint32_t kind;
    char why[256];
    size_t n = make_batch(msg, ids);

    /* Another count, another id, cut short, bytes left over. */
    ck_assert_int_eq(mpift_batch_decode(msg, n, ids, 2, e, &kind, why, sizeof(why)), MPIFT_ERR_PROTO);
    ck_assert_ptr_nonnull(strstr(why, "expected 2 files"));
    memcpy(other, ids, sizeof(ids));
    other[1] = 10;
    ck_assert_int_eq(mpift_batch_decode(msg, n, other, 3, e, &kind, why, sizeof(why)), MPIFT_ERR_PROTO);
    ck_assert_ptr_nonnull(strstr(why, "expected 10"));
    ck_assert_int_eq(mpift_batch_decode(msg, n - 1, ids, 3, e, &kind, why, sizeof(why)), MPIFT_ERR_PROTO);
    mpift_batch_seal(msg, n + 4, 3, MPIFT_WIRE_CKSUM_XXH3);
    ck_assert_int_eq(mpift_batch_decode(msg, n + 4, ids, 3, e, &kind, why, sizeof(why)), MPIFT_ERR_PROTO);
    ck_assert_ptr_nonnull(strstr(why, "4 bytes after its last entry"));
    /* A size that runs past the end. */
    n = make_batch(msg, ids);
    msg[MPIFT_BATCH_HDR + 8] = 200;
    ck_assert_int_eq(mpift_batch_decode(msg, n, ids, 3, e, &kind, why, sizeof(why)), MPIFT_ERR_PROTO);
    ck_assert_ptr_nonnull(strstr(why, "run past"));
    /* An unknown status, a striped route's (never a batch's); an unknown
     * checksum kind. */
    n = make_batch(msg, ids);
    msg[MPIFT_BATCH_HDR + 32] = 5;
    ck_assert_int_eq(mpift_batch_decode(msg, n, ids, 3, e, &kind, why, sizeof(why)), MPIFT_ERR_PROTO);
    n = make_batch(msg, ids);
    msg[MPIFT_BATCH_HDR + 32] = MPIFT_SEND_STRIPE;
    ck_assert_int_eq(mpift_batch_decode(msg, n, ids, 3, e, &kind, why, sizeof(why)), MPIFT_ERR_PROTO);
    n = make_batch(msg, ids);
    mpift_batch_seal(msg, n, 3, MPIFT_WIRE_CKSUM_MAX + 1);
    ck_assert_int_eq(mpift_batch_decode(msg, n, ids, 3, e, &kind, why, sizeof(why)), MPIFT_ERR_PROTO);
}
END_TEST

static Suite *proto_suite(void)
{
    Suite *s = suite_create("proto");
    TCase *core = tcase_create("Core"), *limits = tcase_create("Limits");

    tcase_add_test(core, chunking);
    tcase_add_test(core, meta_roundtrip);
    tcase_add_test(core, meta_big_file);
    tcase_add_test(core, head_roundtrip);
    tcase_add_test(limits, head_refused);
    tcase_add_test(core, hole_digest_tells_layouts_apart);
    tcase_add_test(core, complete_roundtrip_and_errors);
    tcase_add_test(core, wire_cksum_values);
    tcase_add_test(core, error_roundtrip_and_errors);
    tcase_add_test(limits, short_header);
    tcase_add_test(limits, bad_magic_version_type);
    tcase_add_test(limits, length_beyond_buffer);
    tcase_add_test(limits, name_without_nul);
    tcase_add_test(limits, chunks_disagree_with_size);
    tcase_add_test(limits, name_too_long_refused_by_encoder);
    tcase_add_test(limits, random_bytes_never_crash);
    tcase_add_test(core, request_roundtrip);
    tcase_add_test(core, batch_roundtrip);
    tcase_add_test(limits, batch_refused);
    tcase_add_test(limits, request_refused);
    tcase_add_test(limits, reply_roundtrip_and_refused);
    suite_add_tcase(s, core);
    suite_add_tcase(s, limits);
    return s;
}

MPIFT_UNIT_MAIN(proto_suite)
