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
#include "engine/zipauto.h"
#include "util/cpu.h"
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
    int n = mpift_codec_pack(z, zf, (int)(i % WINDOW), src, len);

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
    ck_assert_int_eq(mpift_codec_pack(&z, &zf, 0, t, CHUNK), 0);
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
        ck_assert_int_eq(mpift_codec_pack(&z, &zf, 1, zero, CHUNK), 1);
        ck_assert_int_eq(mpift_codec_frame(&z, 1)[0], MPIFT_WIRE_CODEC_ZERO);
        ck_assert(mpift_codec_is_zero(mpift_codec_frame(&z, 1), 1));
        ck_assert_uint_eq(zf.holes, CHUNK);
        ck_assert_uint_eq(zf.wire, 1);
        memset(z.frames + CHUNK + 1, 0xaa, 16);   /* what follows the frame is not read */
        ck_assert_int_eq(mpift_codec_unpack(&z, mpift_codec_frame(&z, 1), 1, CHUNK, &out, why, sizeof(why)), MPIFT_OK);
        ck_assert_mem_eq(out, zero, CHUNK);
        if (modes[m] == MPIFT_COMPRESS_NONE)
            ck_assert_int_eq(mpift_codec_pack(&z, &zf, 2, almost, CHUNK), 0);
        else
            ck_assert(!mpift_codec_is_zero(mpift_codec_frame(&z, 2), mpift_codec_pack(&z, &zf, 2, almost, CHUNK)));
        ck_assert_int_eq(mpift_codec_pack(&z, &zf, 3, zero, 1), 0);   /* cannot be shorter than 1 byte */
        ck_assert_uint_eq(zf.holes, CHUNK);
        /* a zero frame for more than a chunk is refused, nothing written */
        ck_assert_int_eq(mpift_codec_unpack(&z, mpift_codec_frame(&z, 1), 1, CHUNK + 1, &out, why, sizeof(why)),
                         MPIFT_ERR_CHECKSUM);
        mpift_codec_free(&z);
    }
}
END_TEST

/* auto with real codecs over a 1 MB/s link (fixed, so that this
 * machine's load does not decide): text is compressed chunk after chunk,
 * random data goes as it is, and --verbose says why. */
START_TEST(auto_decides_per_chunk)
{
    static unsigned char t[CHUNK], r[CHUNK];
    struct mpift_codec z;
    struct mpift_codec_file zf;
    char say[MPIFT_ZIP_SAY_MAX];
    uint64_t i, packed = 0;

    text(t, sizeof(t), 4);
    noise(r, sizeof(r), 5);
    mpift_codec_init(&z, MPIFT_COMPRESS_AUTO, WINDOW, CHUNK);
    mpift_zip_auto_fix(&z.za, 1e6);
    mpift_codec_start(&z, &zf);
    for (i = 0; i < 8; i++)
        packed += round_trip(&z, &zf, t, CHUNK, i) > 0;
    if (!mpift_codec_builtin()) {
        ck_assert_uint_eq(packed, 0);   /* a build with neither codec: auto is none */
        mpift_codec_free(&z);
        return;
    }
    ck_assert_uint_eq(packed, 8);
    ck_assert_uint_lt(zf.wire, zf.plain / 2);
    mpift_codec_describe(&z, &zf, say, sizeof(say));
    ck_assert_msg(strstr(say, "8 of its chunks compressed"), "%s", say);

    mpift_codec_start(&z, &zf);
    for (i = 0; i < 64; i++)
        ck_assert_int_eq(round_trip(&z, &zf, r, CHUNK, i), 0);
    ck_assert_uint_eq(zf.wire, zf.plain);
    ck_assert_uint_le(zf.tried, 8);   /* a few chunks (each halves what text taught) show it does not shrink */
    mpift_codec_describe(&z, &zf, say, sizeof(say));
    ck_assert_msg(strstr(say, "sent as they are (it did not shrink)"), "%s", say);
    mpift_codec_free(&z);
}
END_TEST

#if defined(HAVE_LZ4) && defined(HAVE_ZSTD)
/* A chunk's own measure may change the pick (here lz4 shrinks the text
 * far less than the model believed, so zstd -1 becomes the pick): the
 * chunk's send is still lz4's, and the pace of its send is credited to
 * lz4; a hole to no codec, a chunk that did not shrink to none. */
START_TEST(auto_credits_the_codec_used)
{
    static unsigned char t[CHUNK], r[CHUNK], zeros[CHUNK];
    struct mpift_codec z;
    struct mpift_codec_file zf;
    struct mpift_zip_rate *lz4, *zstd1;
    int n;

    text(t, sizeof(t), 7);
    noise(r, sizeof(r), 8);
    mpift_codec_init(&z, MPIFT_COMPRESS_AUTO, WINDOW, CHUNK);
    mpift_zip_auto_fix(&z.za, 1e6);
    mpift_codec_start(&z, &zf);
    z.za.r.other = 1e-9;
    lz4 = &z.za.r.c[MPIFT_ZIP_LZ4];
    zstd1 = &z.za.r.c[MPIFT_ZIP_ZSTD1];
    *lz4 = (struct mpift_zip_rate){ .comp = 1e-9, .decomp = 0.25e-9, .ratio = 0.01, .seen = 2 };
    *zstd1 = (struct mpift_zip_rate){ .comp = 3e-9, .decomp = 1e-9, .ratio = 0.011, .seen = 2 };
    z.za.pick = mpift_zip_choose(&z.za.r);
    z.za.sampled = 1;   /* over its share: no sample, the chunk is packed with the pick alone */
    ck_assert_int_eq(z.za.pick, MPIFT_ZIP_LZ4);

    n = mpift_codec_pack(&z, &zf, 1, t, CHUNK);
    ck_assert_int_gt(n, 0);
    ck_assert_int_eq(mpift_codec_frame(&z, 1)[0], MPIFT_WIRE_CODEC_LZ4);
    ck_assert_int_eq(z.za.pick, MPIFT_ZIP_ZSTD1);   /* its measure moved the pick */
    mpift_codec_sent(&z, 1, CHUNK, n, mpift_now(), 0);
    ck_assert_int_eq(z.za.slot[1].cand, MPIFT_ZIP_LZ4);

    n = mpift_codec_pack(&z, &zf, 2, zeros, CHUNK);
    ck_assert_int_eq(n, 1);
    mpift_codec_sent(&z, 2, CHUNK, n, mpift_now(), 0);
    ck_assert_int_eq(z.za.slot[2].cand, -1);

    n = mpift_codec_pack(&z, &zf, 3, r, CHUNK);
    ck_assert_int_eq(n, 0);
    mpift_codec_sent(&z, 3, CHUNK, n, mpift_now(), 0);
    ck_assert_int_eq(z.za.slot[3].cand, MPIFT_ZIP_NONE);
    mpift_codec_free(&z);
}
END_TEST
#endif

/* Rates as measured here on CSV text (seconds per byte): the source's
 * other work 1 ns/B; lz4 1 ns/B to 0.55, zstd -1 4 ns/B to 0.33, -3
 * 8 ns/B to 0.31, -6 15 ns/B to 0.29; decoding 0.25 ns/B (lz4), 1 ns/B. */
static void text_rates(struct mpift_zip_rates *r, double link)
{
    static const double comp[] = { 0, 1e-9, 4e-9, 8e-9, 15e-9 }, ratio[] = { 1, 0.55, 0.33, 0.31, 0.29 },
                        decomp[] = { 0, 0.25e-9, 1e-9, 1e-9, 1e-9 };
    int k;

    memset(r, 0, sizeof(*r));
    r->have = (1u << MPIFT_ZIP_NCAND) - 1;
    r->other = 1e-9;
    r->link = link;
    for (k = 1; k < MPIFT_ZIP_NCAND; k++) {
        r->c[k].comp = comp[k];
        r->c[k].ratio = ratio[k];
        r->c[k].decomp = decomp[k];
        r->c[k].seen = 1;
    }
}

/* The chooser in each regime: a slow link takes zstd's high level, a
 * fast one lz4 (or zstd -1), memory speed none; random data none at
 * every speed; a codec must win by the margin. */
START_TEST(auto_chooses_per_regime)
{
    struct mpift_zip_rates r;
    int k;

    text_rates(&r, 12.5e6);   /* 100 Mbit/s */
    ck_assert_int_eq(mpift_zip_choose(&r), MPIFT_ZIP_ZSTD6);
    text_rates(&r, 125e6);    /* 1 Gbit/s */
    k = mpift_zip_choose(&r);
    ck_assert(k == MPIFT_ZIP_LZ4 || k == MPIFT_ZIP_ZSTD1);
    text_rates(&r, 250e6);    /* 2 Gbit/s: the band where auto once gave way to none */
    k = mpift_zip_choose(&r);
    ck_assert(k == MPIFT_ZIP_LZ4 || k == MPIFT_ZIP_ZSTD1);
    ck_assert(mpift_zip_cost(&r, k) < mpift_zip_cost(&r, MPIFT_ZIP_NONE));
    text_rates(&r, 0);        /* the link takes all the source gives */
    ck_assert_int_eq(mpift_zip_choose(&r), MPIFT_ZIP_NONE);
    text_rates(&r, 10e9);     /* memory speed, seen */
    ck_assert_int_eq(mpift_zip_choose(&r), MPIFT_ZIP_NONE);
    r.c[MPIFT_ZIP_LZ4].comp = 0;   /* ... unless compressing is free and decoding cheap */
    r.link = 0.9e9;
    ck_assert_int_eq(mpift_zip_choose(&r), MPIFT_ZIP_LZ4);

    /* random data: nothing shrinks, at any speed */
    for (k = 0; k < 3; k++) {
        int c;
        text_rates(&r, k == 0 ? 12.5e6 : k == 1 ? 250e6 : 0);
        for (c = 1; c < MPIFT_ZIP_NCAND; c++)
            r.c[c].ratio = 1;
        ck_assert_int_eq(mpift_zip_choose(&r), MPIFT_ZIP_NONE);
    }
    /* a codec 1% cheaper than none is not worth the doubt */
    text_rates(&r, 12.5e6);
    for (k = 1; k < MPIFT_ZIP_NCAND; k++)
        r.c[k].ratio = 0.99, r.c[k].decomp = 0;
    ck_assert_int_eq(mpift_zip_choose(&r), MPIFT_ZIP_NONE);
    /* a codec this build lacks, or never measured, is never chosen */
    text_rates(&r, 12.5e6);
    r.have = 1u << MPIFT_ZIP_LZ4;
    ck_assert_int_eq(mpift_zip_choose(&r), MPIFT_ZIP_LZ4);
    r.c[MPIFT_ZIP_LZ4].seen = 0;
    ck_assert_int_eq(mpift_zip_choose(&r), MPIFT_ZIP_NONE);
}
END_TEST

/* The link of the model's tests: 32 buffers whose sends are done when
 * their bytes crossed a link of `link` wire bytes/s, one after another,
 * and (writers > 0) the writers took the chunk's plain bytes at
 * `writers` bytes/s and decoded them: a pace no codec shortens.  The
 * source spends `other` seconds a plain byte besides compressing. */
#define SIM_WINDOW 32
static struct {
    double done[SIM_WINDOW], free_at;
    uint64_t sent, acked;
    double writers, other;
} sim;

/* A model with text's rates measured, as the first samples leave it. */
static void model(struct mpift_zip_auto *a)
{
    struct mpift_zip_rates r;
    int k;

    text_rates(&r, 0);
    memset(&sim, 0, sizeof(sim));
    sim.other = r.other;
    mpift_zip_auto_init(a, r.have, SIM_WINDOW);
    for (k = 1; k < MPIFT_ZIP_NCAND; k++)
        mpift_zip_auto_measured(a, k, CHUNK, (int)(CHUNK * r.c[k].ratio), CHUNK * r.c[k].comp,
                                CHUNK * r.c[k].decomp);
    a->r.other = r.other;
    a->sampled = 0;
}

/* n chunks through the model over that link (0: faster than anything):
 * the source waits when all its buffers are still being sent, and hears
 * of the sends done as the stream does, after each chunk.  Returns the
 * clock. */
static double feed(struct mpift_zip_auto *a, int n, double link, double now)
{
    int i, k, wire, b;
    double busy, cross;

    for (i = 0; i < n; i++) {
        k = a->pick;
        wire = k == MPIFT_ZIP_NONE ? CHUNK : (int)(CHUNK * a->r.c[k].ratio);
        busy = CHUNK * (sim.other + (k ? a->r.c[k].comp : 0));
        b = (int)(sim.sent % SIM_WINDOW);
        if (sim.sent - sim.acked == SIM_WINDOW) {
            mpift_zip_auto_wait(a);
            if (sim.done[b] > now)
                now = sim.done[b];
        }
        now += busy;
        while (sim.acked < sim.sent && sim.done[sim.acked % SIM_WINDOW] <= now)
            mpift_zip_auto_acked(a, (int)(sim.acked++ % SIM_WINDOW));
        cross = link > 0 ? wire / link : 0;
        if (sim.writers > 0 && cross < CHUNK / sim.writers + (k ? CHUNK * a->r.c[k].decomp : 0))
            cross = CHUNK / sim.writers + (k ? CHUNK * a->r.c[k].decomp : 0);
        sim.free_at = cross > 0 ? (sim.free_at > now ? sim.free_at : now) + cross : now;
        sim.done[b] = sim.free_at;
        sim.sent++;
        mpift_zip_auto_sent(a, b, CHUNK, wire, wire < CHUNK ? k : MPIFT_ZIP_NONE, busy, busy - CHUNK * sim.other, now,
                            (int)(sim.sent - sim.acked));
    }
    return now;
}

/* Chunks as feed() sends them until the model's link is `state` (at most
 * 10,000: the test fails if it never gets there). */
static double feed_until(struct mpift_zip_auto *a, int state, double link, double now)
{
    int n;

    for (n = 0; n < 10000 && a->state != state; n++)
        now = feed(a, 1, link, now);
    ck_assert_int_eq(a->state, state);
    return now;
}

/* The run's state over time: the source sends as it is until a link
 * holds it back; a slow link is then seen and takes zstd's high level; a
 * fast one never holds none back, and none is kept; in the 2 Gbit/s
 * band a codec is taken once none showed the link's rate. */
START_TEST(auto_learns_the_link)
{
    struct mpift_zip_auto a;
    double now;
    int i;

    model(&a);   /* nothing seen of the link: none */
    ck_assert_int_eq(a.state, MPIFT_ZIP_LINK_GUESS);
    ck_assert_int_eq(a.pick, MPIFT_ZIP_NONE);
    now = feed_until(&a, MPIFT_ZIP_LINK_SEEN, 12.5e6, 1);
    ck_assert_uint_le(sim.sent, 2 * SIM_WINDOW);   /* seen within a window or two */
    ck_assert_double_eq_tol(a.r.link, 12.5e6, 1e6);
    ck_assert_int_eq(a.pick, MPIFT_ZIP_ZSTD6);
    feed(&a, 1000, 12.5e6, now);   /* and stays there */
    ck_assert_int_eq(a.pick, MPIFT_ZIP_ZSTD6);
    ck_assert(a.r.floor == 0);     /* the wire set the pace, not the writers */
    mpift_zip_auto_free(&a);

    /* memory speed: never waiting, never a compressed chunk */
    model(&a);
    for (i = 0; i < 1000; i++) {
        now = feed(&a, 1, 0, i == 0 ? 1 : now);
        ck_assert_int_eq(a.pick, MPIFT_ZIP_NONE);
    }
    ck_assert_int_eq(a.state, MPIFT_ZIP_LINK_FAST);
    mpift_zip_auto_free(&a);

    /* 2 Gbit/s: lz4 is held back by the link, and kept */
    model(&a);
    now = feed(&a, 2000, 250e6, 1);
    ck_assert_int_eq(a.state, MPIFT_ZIP_LINK_SEEN);
    ck_assert_double_eq_tol(a.r.link, 250e6, 1e6);
    ck_assert_int_eq(a.pick, MPIFT_ZIP_LZ4);
    ck_assert(a.r.floor == 0);
    mpift_zip_auto_free(&a);

    /* 1.2 Gbit/s with zstd alone (a build without lz4): none is held
     * back to 150 MB/s, and zstd -1, which keeps ahead of the link
     * without waiting, is taken for good */
    model(&a);
    a.r.have &= ~(1u << MPIFT_ZIP_LZ4);
    now = feed_until(&a, MPIFT_ZIP_LINK_SEEN, 150e6, 1);
    ck_assert_int_eq(a.pick, MPIFT_ZIP_ZSTD1);
    for (i = 0; i < 2000; i++) {   /* no second look: zstd was expected to outrun the link */
        now = feed(&a, 1, 150e6, now);
        ck_assert_int_eq(a.pick, MPIFT_ZIP_ZSTD1);
    }
    ck_assert_int_eq(a.state, MPIFT_ZIP_LINK_SEEN);
    mpift_zip_auto_free(&a);
}
END_TEST

/* Text as this loaded machine measured it at 100 Mbit/s: the source's
 * other work 5 ns/B, lz4 11 ns/B, zstd -1 23 ns/B (-3 and -6 slower
 * still).  The first window goes before any send is done; the first
 * backlog (8 chunks, none done) bounds the link and a codec is taken
 * there, where a 1 Gbit/s guess kept none until the link was measured,
 * a window later; zstd -1 once it is. */
START_TEST(auto_compresses_from_the_first_backlog)
{
    static const double comp[] = { 0, 11e-9, 23e-9, 60e-9, 120e-9 };
    struct mpift_zip_auto a;
    double now;
    int k;

    model(&a);
    for (k = 1; k < MPIFT_ZIP_NCAND; k++)
        a.r.c[k].comp = comp[k];
    a.r.other = sim.other = 5e-9;
    now = feed_until(&a, MPIFT_ZIP_LINK_EARLY, 12.5e6, 1);
    ck_assert_uint_le(sim.sent, SIM_WINDOW / 4 + 1);   /* a backlog, no send done */
    ck_assert_int_ne(a.pick, MPIFT_ZIP_NONE);
    ck_assert(a.r.link > 12.5e6 && a.r.link < 50e6);  /* a bound, not far off */
    for (k = 0; k < SIM_WINDOW; k++) {   /* the rest of the first window compressed */
        now = feed(&a, 1, 12.5e6, now);
        ck_assert_int_ne(a.pick, MPIFT_ZIP_NONE);
    }
    now = feed_until(&a, MPIFT_ZIP_LINK_SEEN, 12.5e6, now);
    feed(&a, 1000, 12.5e6, now);
    ck_assert_int_eq(a.pick, MPIFT_ZIP_ZSTD1);
    mpift_zip_auto_free(&a);
}
END_TEST

/* Writers that take 250 MB/s of plain bytes whatever the codec (CPU
 * shared with the source, as the bench's fake nodes are) behind a wire
 * of 1 GB/s: none shows 250 MB/s, which lz4 seems to beat; lz4's chunks
 * cross no faster, which shows the writers' floor, and none is kept.
 * (Once, lz4's slower wire bytes were taken for a slower link, and lz4
 * kept.) */
START_TEST(auto_finds_the_writers_floor)
{
    struct mpift_zip_auto a;
    double now;
    int i, zipped = 0;

    model(&a);
    sim.writers = 250e6;
    now = feed(&a, 300, 1e9, 1);
    ck_assert_double_eq_tol(a.r.floor, 4e-9, 0.5e-9);
    ck_assert_int_eq(a.pick, MPIFT_ZIP_NONE);
    for (i = 0; i < 2000; i++) {
        now = feed(&a, 1, 1e9, now);
        zipped += a.pick != MPIFT_ZIP_NONE;
    }
    ck_assert_int_eq(zipped, 0);
    mpift_zip_auto_free(&a);

    /* the same writers behind a 25 MB/s wire: the wire sets the pace,
     * zstd -3 pays (-6 would hold the source back), no floor in the way */
    model(&a);
    sim.writers = 250e6;
    now = feed(&a, 2000, 25e6, 1);
    ck_assert_int_eq(a.pick, MPIFT_ZIP_ZSTD3);
    ck_assert(a.r.floor == 0);
    mpift_zip_auto_free(&a);
}
END_TEST

/* Receivers that start 5 ms late behind a link (10 GB/s) faster than
 * the source:
 * the first backlog, no send done, looks like a slow link and a codec is
 * tried; the burst of sends done that clears it sends none again, and
 * none is kept. */
START_TEST(auto_recovers_from_a_late_start)
{
    struct mpift_zip_auto a;
    double now = 1;
    int i, zipped = 0;

    model(&a);
    sim.free_at = now + 5e-3;
    now = feed_until(&a, MPIFT_ZIP_LINK_EARLY, 10e9, now);
    ck_assert_int_ne(a.pick, MPIFT_ZIP_NONE);
    for (i = 0; i < 1000; i++) {
        now = feed(&a, 1, 10e9, now);
        zipped += a.pick != MPIFT_ZIP_NONE;
    }
    ck_assert_int_le(zipped, SIM_WINDOW);   /* no longer than the late start lasted */
    ck_assert_int_eq(a.pick, MPIFT_ZIP_NONE);
    ck_assert_int_eq(a.state, MPIFT_ZIP_LINK_FAST);
    mpift_zip_auto_free(&a);
}
END_TEST

/* Random data at memory speed: nothing is sampled before a link holds
 * the source back; after that, samples take at most their share of the
 * source's time. */
START_TEST(auto_samples_within_its_share)
{
    struct mpift_zip_auto a;
    double now = 1, busy = CHUNK * 1e-9;
    int i, k, n = 0;

    mpift_zip_auto_init(&a, (1u << MPIFT_ZIP_NCAND) - 1, 32);
    for (i = 0; i < 20000; i++) {
        k = mpift_zip_auto_sample(&a);
        if (a.state == MPIFT_ZIP_LINK_GUESS)
            ck_assert_int_eq(k, -1);
        if (k > 0) {   /* it does not shrink; compressing costs 2 ns/B */
            mpift_zip_auto_measured(&a, k, CHUNK, CHUNK, CHUNK * 2e-9, 0);
            n++;
        }
        ck_assert_int_eq(a.pick, MPIFT_ZIP_NONE);
        now += busy + (k > 0 ? CHUNK * 2e-9 : 0);
        mpift_zip_auto_sent(&a, i % 32, CHUNK, CHUNK, MPIFT_ZIP_NONE, busy + (k > 0 ? CHUNK * 2e-9 : 0),
                            k > 0 ? CHUNK * 2e-9 : 0, now, 0);
    }
    ck_assert_int_ge(n, 2);   /* it looked, and keeps looking now and then */
    ck_assert(a.sampled <= MPIFT_ZIP_SAMPLE_SHARE * a.spent);
    mpift_zip_auto_free(&a);
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
    n = mpift_codec_pack(&z, &zf, 0, t, CHUNK);
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
    tcase_add_test(t, auto_decides_per_chunk);
#if defined(HAVE_LZ4) && defined(HAVE_ZSTD)
    tcase_add_test(t, auto_credits_the_codec_used);
#endif
    tcase_add_test(t, auto_chooses_per_regime);
    tcase_add_test(t, auto_learns_the_link);
    tcase_add_test(t, auto_compresses_from_the_first_backlog);
    tcase_add_test(t, auto_finds_the_writers_floor);
    tcase_add_test(t, auto_recovers_from_a_late_start);
    tcase_add_test(t, auto_samples_within_its_share);
    tcase_add_test(t, bad_frames_are_refused);
    suite_add_tcase(s, t);
    return s;
}

MPIFT_UNIT_MAIN(compress_suite)
