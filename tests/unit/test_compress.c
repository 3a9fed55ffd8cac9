/* test_compress.c - compressed chunks (engine/compress.h): every codec
 * round-trips, a chunk that would grow goes as it is, a chunk of zeros is
 * a zero frame, a damaged or lying frame is refused without writing past
 * its chunk, and auto's decisions. */
#include "mpift_autoconf.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpift/mpift.h"
#include "wire/proto.h"
#include "engine/compress.h"
#include "unit_main.h"

#define CHUNK 65536
#define WINDOW 4

/* CSV-like text: compresses about 3:1. */
static void text(unsigned char *p, size_t n, unsigned seed)
{
    char line[96];
    size_t off = 0;
    int len;

    srand(seed);
    while (off < n) {
        len = snprintf(line, sizeof(line), "%d,sensor-%02d,%d.%03d,%s\n", rand() % 100000, rand() % 40,
                       rand() % 1000, rand() % 1000, rand() % 3 ? "ok" : "warn");
        memcpy(p + off, line, (size_t)len > n - off ? n - off : (size_t)len);
        off += (size_t)len;
    }
}

static void noise(unsigned char *p, size_t n, unsigned seed)
{
    uint64_t x = 0x9e3779b97f4a7c15ull * (seed + 1);
    size_t i;

    for (i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        p[i] = (unsigned char)(x >> 24);
    }
}

/* Pack chunk i of src as `mode` does and unpack it: the same bytes. */
static int round_trip(struct mpift_codec *z, struct mpift_codec_file *zf, const unsigned char *src, int len, uint64_t i)
{
    const unsigned char *out = NULL;
    char why[MPIFT_ZIP_SAY_MAX];
    int n = mpift_codec_pack(z, zf, (int)(i % WINDOW), src, len, i);

    ck_assert_int_lt(n, len);   /* never bigger, never the same size */
    if (n == 0)
        return 0;
    ck_assert_int_eq(mpift_codec_unpack(z, mpift_codec_frame(z, (int)(i % WINDOW)), n, len, &out, why, sizeof(why)),
                     MPIFT_OK);
    ck_assert_mem_eq(out, src, (size_t)len);
    return n;
}

#if defined(HAVE_LZ4) || defined(HAVE_ZSTD)
static void each_codec(enum mpift_compress mode)
{
    static unsigned char t[CHUNK], r[CHUNK];
    struct mpift_codec z;
    struct mpift_codec_file zf;
    int n, k;

    text(t, sizeof(t), 1);
    noise(r, sizeof(r), 2);
    mpift_codec_init(&z, mode, WINDOW, CHUNK);
    mpift_codec_start(&z, &zf);
    n = round_trip(&z, &zf, t, CHUNK, 0);
    ck_assert_int_gt(n, 0);
    ck_assert_int_lt(n, CHUNK * 3 / 4);
    ck_assert_int_eq(round_trip(&z, &zf, r, CHUNK, 1), 0);  /* grows: as it is */
    ck_assert_int_gt(round_trip(&z, &zf, t, 1000, 2), 0);   /* a short last chunk */
    ck_assert_int_eq(round_trip(&z, &zf, t, 1, 3), 0);      /* one byte cannot shrink */
    ck_assert_uint_eq(zf.plain, 2 * CHUNK + 1001);
    ck_assert_uint_eq(zf.zchunks, 2);
    /* Random bytes with a run of zeros that saves the codec about one
     * byte: a frame as long as the chunk would be taken for raw data. */
    for (k = 0; k < 64; k++) {
        noise(r, 4096, (unsigned)k + 5);
        memset(r + 100, 0, (size_t)k);
        round_trip(&z, &zf, r, 4096, 4 + (uint64_t)k);
    }
    mpift_codec_free(&z);
}

#endif

#ifdef HAVE_LZ4
START_TEST(lz4_round_trips)
{
    each_codec(MPIFT_COMPRESS_LZ4);
}
END_TEST
#endif

#ifdef HAVE_ZSTD
START_TEST(zstd_round_trips)
{
    each_codec(MPIFT_COMPRESS_ZSTD);
}
END_TEST
#endif

START_TEST(none_sends_as_is)
{
    static unsigned char t[CHUNK];
    struct mpift_codec z;
    struct mpift_codec_file zf;

    text(t, sizeof(t), 3);
    mpift_codec_init(&z, MPIFT_COMPRESS_NONE, WINDOW, CHUNK);
    mpift_codec_start(&z, &zf);
    ck_assert_int_eq(mpift_codec_pack(&z, &zf, 0, t, CHUNK, 0), 0);
    ck_assert_ptr_null(z.frames);   /* no buffers for a run that never compresses */
    ck_assert_uint_eq(zf.wire, CHUNK);
    mpift_codec_free(&z);
}
END_TEST

/* A chunk of zeros is a one-byte zero frame under every mode, none
 * included (holes cross the wire as their length), and unpacks to zeros;
 * a chunk with one byte set is not; a one-byte chunk goes as it is. */
START_TEST(zeros_go_as_holes)
{
    static unsigned char zero[CHUNK], almost[CHUNK];
    const enum mpift_compress modes[] = { MPIFT_COMPRESS_NONE, MPIFT_COMPRESS_AUTO };
    const unsigned char *out = NULL;
    char why[MPIFT_ZIP_SAY_MAX];
    struct mpift_codec z;
    struct mpift_codec_file zf;
    size_t m;

    almost[CHUNK - 1] = 1;
    for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
        mpift_codec_init(&z, modes[m], WINDOW, CHUNK);
        mpift_codec_start(&z, &zf);
        ck_assert_int_eq(mpift_codec_pack(&z, &zf, 1, zero, CHUNK, 0), 1);
        ck_assert_int_eq(mpift_codec_frame(&z, 1)[0], MPIFT_WIRE_CODEC_ZERO);
        ck_assert(mpift_codec_is_zero(mpift_codec_frame(&z, 1), 1));
        ck_assert_uint_eq(zf.holes, CHUNK);
        ck_assert_uint_eq(zf.wire, 1);
        memset(z.frames + CHUNK + 1, 0xaa, 16);   /* what follows the frame is not read */
        ck_assert_int_eq(mpift_codec_unpack(&z, mpift_codec_frame(&z, 1), 1, CHUNK, &out, why, sizeof(why)), MPIFT_OK);
        ck_assert_mem_eq(out, zero, CHUNK);
        if (modes[m] == MPIFT_COMPRESS_NONE)
            ck_assert_int_eq(mpift_codec_pack(&z, &zf, 2, almost, CHUNK, 1), 0);
        else
            ck_assert(!mpift_codec_is_zero(mpift_codec_frame(&z, 2), mpift_codec_pack(&z, &zf, 2, almost, CHUNK, 1)));
        ck_assert_int_eq(mpift_codec_pack(&z, &zf, 3, zero, 1, 2), 0);   /* cannot be shorter than 1 byte */
        ck_assert_uint_eq(zf.holes, CHUNK);
        /* a zero frame for more than a chunk is refused, nothing written */
        ck_assert_int_eq(mpift_codec_unpack(&z, mpift_codec_frame(&z, 1), 1, CHUNK + 1, &out, why, sizeof(why)),
                         MPIFT_ERR_CHECKSUM);
        mpift_codec_free(&z);
    }
}
END_TEST

/* auto: text is compressed chunk after chunk; random data stops after
 * its first chunk and is probed again every MPIFT_ZIP_REPROBE chunks. */
START_TEST(auto_decides_per_file)
{
    static unsigned char t[CHUNK], r[CHUNK];
    struct mpift_codec z;
    struct mpift_codec_file zf;
    char say[MPIFT_ZIP_SAY_MAX];
    uint64_t i, packed = 0;

    text(t, sizeof(t), 4);
    noise(r, sizeof(r), 5);
    mpift_codec_init(&z, MPIFT_COMPRESS_AUTO, WINDOW, CHUNK);
    mpift_codec_start(&z, &zf);
    if (zf.codec == 0) {
        mpift_codec_free(&z);
        return;   /* a build with neither codec: auto is none */
    }
    for (i = 0; i < 8; i++)
        packed += round_trip(&z, &zf, t, CHUNK, i) > 0;
    ck_assert_uint_eq(packed, 8);
    ck_assert_uint_lt(zf.wire, zf.plain / 2);
    mpift_codec_describe(&z, &zf, say, sizeof(say));
    ck_assert_msg(strstr(say, "8 of its chunks compressed"), "%s", say);

    mpift_codec_start(&z, &zf);
    for (i = 0; i < 2 * MPIFT_ZIP_REPROBE + 1; i++)
        ck_assert_int_eq(round_trip(&z, &zf, r, CHUNK, i), 0);
    ck_assert_uint_eq(zf.wire, zf.plain);
    mpift_codec_describe(&z, &zf, say, sizeof(say));
    ck_assert_msg(strstr(say, "sent as they are (it did not shrink by a tenth)"), "%s", say);
    /* ... and a file that turns compressible is caught at the next probe */
    ck_assert_int_gt(round_trip(&z, &zf, t, CHUNK, 3 * MPIFT_ZIP_REPROBE), 0);
    mpift_codec_free(&z);
}
END_TEST

/* auto keeps its codec while the link holds the source back (the
 * stream sets z.waited), and steps down once the source sent
 * MPIFT_ZIP_UNWAITED bytes without waiting: zstd, lz4, then none, for
 * the next files too. */
START_TEST(auto_gives_way_to_a_fast_link)
{
    static unsigned char t[CHUNK];
    struct mpift_codec z;
    struct mpift_codec_file zf;
    char say[MPIFT_ZIP_SAY_MAX];
    uint64_t i, first;

    text(t, sizeof(t), 7);
    mpift_codec_init(&z, MPIFT_COMPRESS_AUTO, WINDOW, CHUNK);
    mpift_codec_start(&z, &zf);
    first = (uint64_t)zf.codec;
    if (first == 0) {
        mpift_codec_free(&z);
        return;   /* a build with neither codec: auto is none */
    }
    for (i = 0; i < 2000; i++) {   /* about 40 MiB on the wire, waiting now and then */
        z.waited = i % 100 == 0;
        ck_assert_int_gt(round_trip(&z, &zf, t, CHUNK, i), 0);
    }
    ck_assert_uint_eq(zf.codec, first);
    ck_assert(!zf.stepped);
    for (; zf.codec && i < 10000; i++)   /* never waiting */
        round_trip(&z, &zf, t, CHUNK, i);
    ck_assert_uint_eq(zf.codec, 0);
    ck_assert(zf.stepped);
    mpift_codec_describe(&z, &zf, say, sizeof(say));
    ck_assert_msg(strstr(say, "then none (compressing was slower than the link)"), "%s", say);
    mpift_codec_start(&z, &zf);      /* the next file: as it is from the start */
    ck_assert_int_eq(round_trip(&z, &zf, t, CHUNK, 0), 0);
    mpift_codec_describe(&z, &zf, say, sizeof(say));
    ck_assert_msg(strstr(say, "sent as they are (compressing was slower than the link)"), "%s", say);
    mpift_codec_free(&z);
}
END_TEST

/* Damaged, lying or foreign frames: refused, nothing past the chunk. */
START_TEST(bad_frames_are_refused)
{
    static unsigned char t[CHUNK], bad[CHUNK];
    struct mpift_codec z;
    struct mpift_codec_file zf;
    const unsigned char *out;
    char why[MPIFT_ZIP_SAY_MAX];
    int n;

    text(t, sizeof(t), 6);
    mpift_codec_init(&z, MPIFT_COMPRESS_AUTO, WINDOW, CHUNK);
    mpift_codec_start(&z, &zf);
    n = mpift_codec_pack(&z, &zf, 0, t, CHUNK, 0);
    if (n == 0) {
        mpift_codec_free(&z);
        return;
    }
    /* A frame of the whole chunk told to be half of it: too long. */
    ck_assert_int_eq(mpift_codec_unpack(&z, mpift_codec_frame(&z, 0), n, CHUNK / 2, &out, why, sizeof(why)),
                     MPIFT_ERR_CHECKSUM);
    ck_assert_msg(strstr(why, "did not decompress to its 32768 bytes"), "%s", why);
    /* The frame as sent decodes; cut short, it does not. */
    ck_assert_int_eq(mpift_codec_unpack(&z, mpift_codec_frame(&z, 0), n, CHUNK, &out, why, sizeof(why)), MPIFT_OK);
    ck_assert_int_eq(mpift_codec_unpack(&z, mpift_codec_frame(&z, 0), n - 1, CHUNK, &out, why, sizeof(why)),
                     MPIFT_ERR_CHECKSUM);
    /* Flipped bytes, as MPIFT_TEST_CORRUPT_COMPRESSED does. */
    memcpy(bad, mpift_codec_frame(&z, 0), (size_t)n);
    bad[1] ^= 0xff;
    bad[n - 1] ^= 0xff;
    ck_assert_int_ne(mpift_codec_unpack(&z, bad, n, CHUNK, &out, why, sizeof(why)) == MPIFT_OK &&
                     memcmp(out, t, CHUNK) == 0, 1);
    /* An unknown codec, an empty frame, a chunk larger than a buffer. */
    bad[0] = 9;
    ck_assert_int_eq(mpift_codec_unpack(&z, bad, n, CHUNK, &out, why, sizeof(why)), MPIFT_ERR_CHECKSUM);
    ck_assert_msg(strstr(why, "codec 9"), "%s", why);
    ck_assert_int_eq(mpift_codec_unpack(&z, bad, 0, CHUNK, &out, why, sizeof(why)), MPIFT_ERR_CHECKSUM);
    ck_assert_int_eq(mpift_codec_unpack(&z, mpift_codec_frame(&z, 0), n, CHUNK + 1, &out, why, sizeof(why)),
                     MPIFT_ERR_CHECKSUM);
    mpift_codec_free(&z);
}
END_TEST

static Suite *compress_suite(void)
{
    Suite *s = suite_create("compress");
    TCase *t = tcase_create("chunks");

#ifdef HAVE_LZ4
    tcase_add_test(t, lz4_round_trips);
#endif
#ifdef HAVE_ZSTD
    tcase_add_test(t, zstd_round_trips);
#endif
    tcase_add_test(t, none_sends_as_is);
    tcase_add_test(t, zeros_go_as_holes);
    tcase_add_test(t, auto_decides_per_file);
    tcase_add_test(t, auto_gives_way_to_a_fast_link);
    tcase_add_test(t, bad_frames_are_refused);
    suite_add_tcase(s, t);
    return s;
}

MPIFT_UNIT_MAIN(compress_suite)
