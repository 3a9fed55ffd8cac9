/* compress.c - chunks compressed on the wire (see compress.h). */
#include "mpift_autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef HAVE_LZ4
#include <lz4.h>
#endif
#ifdef HAVE_ZSTD
#include <zstd.h>
#endif

#include "mpift/mpift.h"
#include "util/faults.h"
#include "util/log.h"
#include "util/zero.h"
#include "wire/proto.h"
#include "engine/compress.h"

/* zstd's fastest level, transfer.compress = "zstd"'s: about 15 times a
 * 200 Mbit/s link per core on text here, and a third smaller than lz4
 * (docs/design.md, Compression).  auto may choose 3 or 6 (cand_level). */
#define ZSTD_LEVEL 1

/* The wire codec and zstd level of auto's candidate k (zipauto.h). */
static int cand_codec(int k)
{
    return k == MPIFT_ZIP_NONE ? 0 : k == MPIFT_ZIP_LZ4 ? MPIFT_WIRE_CODEC_LZ4 : MPIFT_WIRE_CODEC_ZSTD;
}

static int cand_level(int k)
{
    return k == MPIFT_ZIP_ZSTD6 ? 6 : k == MPIFT_ZIP_ZSTD3 ? 3 : ZSTD_LEVEL;
}

/* auto's candidates in this build, a bit each. */
static unsigned candidates(void)
{
    unsigned m = 0;
#ifdef HAVE_LZ4
    m |= 1u << MPIFT_ZIP_LZ4;
#endif
#ifdef HAVE_ZSTD
    m |= 1u << MPIFT_ZIP_ZSTD1 | 1u << MPIFT_ZIP_ZSTD3 | 1u << MPIFT_ZIP_ZSTD6;
#endif
    return m;
}

unsigned mpift_codec_builtin(void)
{
    unsigned m = 0;
#ifdef HAVE_LZ4
    m |= 1u << MPIFT_WIRE_CODEC_LZ4;
#endif
#ifdef HAVE_ZSTD
    m |= 1u << MPIFT_WIRE_CODEC_ZSTD;
#endif
    return m;
}

void mpift_codec_init(struct mpift_codec *z, enum mpift_compress mode, int window, uint64_t chunk)
{
    memset(z, 0, sizeof(*z));
    z->mode = mode;
    z->window = window;
    z->chunk = (size_t)chunk;
    if (mode != MPIFT_COMPRESS_AUTO)
        return;
    mpift_zip_auto_init(&z->za, candidates(), window);
    if (mpift_fault_env("MPIFT_TEST_ZIP_LINK"))   /* wire bytes/s the link takes, 0: more than the source gives */
        mpift_zip_auto_fix(&z->za, strtod(mpift_fault_env("MPIFT_TEST_ZIP_LINK"), NULL));
}

void mpift_codec_free(struct mpift_codec *z)
{
    free(z->frames);
    free(z->plain);
#ifdef HAVE_ZSTD
    ZSTD_freeCCtx(z->cctx);
    ZSTD_freeDCtx(z->dctx);
#endif
    mpift_zip_auto_free(&z->za);
    memset(z, 0, sizeof(*z));
}

void mpift_codec_start(const struct mpift_codec *z, struct mpift_codec_file *zf)
{
    memset(zf, 0, sizeof(*zf));
    switch (z->mode) {
    case MPIFT_COMPRESS_AUTO: zf->codec = 0; break;   /* the run's model chooses, per chunk */
    case MPIFT_COMPRESS_LZ4: zf->codec = MPIFT_WIRE_CODEC_LZ4; break;
    case MPIFT_COMPRESS_ZSTD: zf->codec = MPIFT_WIRE_CODEC_ZSTD; break;
    case MPIFT_COMPRESS_NONE: zf->codec = 0; break;
    }
}

/* The frame buffers, once per run. */
static int have_frames(struct mpift_codec *z)
{
    return z->frames || (z->frames = malloc((size_t)z->window * z->chunk)) != NULL;
}

/* The frame buffers and zstd's compression context, once per run. */
static int ready_to_pack(struct mpift_codec *z)
{
    if (!have_frames(z))
        return 0;
#ifdef HAVE_ZSTD
    if (!z->cctx && !(z->cctx = ZSTD_createCCtx()))
        return 0;
#endif
    return 1;
}

/* The codec's block of src into dst (at most cap bytes); 0: it does not fit. */
static size_t encode(struct mpift_codec *z, int codec, int level, unsigned char *dst, size_t cap,
                     const unsigned char *src, size_t len)
{
    size_t n = 0;

#ifdef HAVE_LZ4
    if (codec == MPIFT_WIRE_CODEC_LZ4 && cap > 0)
        n = (size_t)LZ4_compress_default((const char *)src, (char *)dst, (int)len, (int)cap);
#endif
#ifdef HAVE_ZSTD
    if (codec == MPIFT_WIRE_CODEC_ZSTD) {
        n = ZSTD_compressCCtx(z->cctx, dst, cap, src, len, level);
        if (ZSTD_isError(n))
            n = 0;
    }
#endif
    (void)z;
    (void)codec;
    (void)level;
    (void)dst;
    (void)cap;
    (void)src;
    (void)len;
    return n;
}

int mpift_codec_keep(struct mpift_codec *z, struct mpift_codec_file *zf, int b, uint64_t h, int len)
{
    unsigned char *frame;

    if (!have_frames(z))
        return 0;
    frame = mpift_codec_frame(z, b);
    frame[0] = MPIFT_WIRE_CODEC_KEEP;
    z->packed = -1;
    for (int k = 1; k <= 8; k++, h >>= 8)
        frame[k] = (unsigned char)h;
    zf->plain += (uint64_t)len;
    zf->wire += MPIFT_KEEP_FRAME;
    return MPIFT_KEEP_FRAME;
}

/* The codec's block into dst: the bytes it decoded to, or -1. */
static long long decode(struct mpift_codec *z, int codec, const unsigned char *src, size_t n, unsigned char *dst,
                        size_t want)
{
#ifdef HAVE_LZ4
    if (codec == MPIFT_WIRE_CODEC_LZ4)
        return LZ4_decompress_safe((const char *)src, (char *)dst, (int)n, (int)want);
#endif
#ifdef HAVE_ZSTD
    if (codec == MPIFT_WIRE_CODEC_ZSTD) {
        size_t got;
        if (!z->dctx && !(z->dctx = ZSTD_createDCtx()))
            return -1;
        got = ZSTD_decompressDCtx(z->dctx, dst, want, src, n);
        return ZSTD_isError(got) ? -1 : (long long)got;
    }
#endif
    (void)z;
    (void)codec;
    (void)src;
    (void)n;
    (void)dst;
    (void)want;
    return -1;
}

/* auto: candidate k's frame of the chunk (len bytes at src) in frame,
 * timed: its length, codec byte included, or 0 when it does not shrink. */
static int try_cand(struct mpift_codec *z, int k, unsigned char *frame, const unsigned char *src, int len,
                    double *secs)
{
    double t0 = mpift_now();
    size_t n = encode(z, cand_codec(k), cand_level(k), frame + 1, (size_t)len - 2, src, (size_t)len);

    *secs = mpift_now() - t0;
    if (n == 0 || n + 1 >= (size_t)len)
        return 0;
    frame[0] = (unsigned char)cand_codec(k);
    return (int)n + 1;
}

/* auto: sample candidate k on the chunk (zipauto.h): compress it into the
 * chunk's frame and decode it as a writer would, both timed. */
static int sample(struct mpift_codec *z, int k, unsigned char *frame, const unsigned char *src, int len)
{
    double comp, t0, decomp = 0;
    int flen = try_cand(z, k, frame, src, len, &comp);

    if (flen > 0) {
        t0 = mpift_now();
        decode(z, frame[0], frame + 1, (size_t)flen - 1, z->plain, (size_t)len);
        decomp = mpift_now() - t0;
    }
    z->zip_s += comp + decomp;
    mpift_zip_auto_measured(&z->za, k, len, flen > 0 ? flen : len, comp, decomp);
    return flen;
}

/* auto: the chunk's frame with the run's pick, after a sample if one is
 * due (the sample's frame is kept when it is the pick's). */
static int pack_auto(struct mpift_codec *z, struct mpift_codec_file *zf, int b, const unsigned char *src, int len)
{
    unsigned char *frame;
    int s, k, flen = 0;
    double secs;

    if (len <= 2 || !ready_to_pack(z) || (!z->plain && !(z->plain = malloc(z->chunk))))
        return 0;
    frame = mpift_codec_frame(z, b);
    s = mpift_zip_auto_sample(&z->za);
    if (s > 0)
        flen = sample(z, s, frame, src, len);
    k = z->za.pick;   /* the sample may have changed it */
    if (k == MPIFT_ZIP_NONE)
        return 0;
    if (k != s) {
        flen = try_cand(z, k, frame, src, len, &secs);
        z->zip_s += secs;
        mpift_zip_auto_measured(&z->za, k, len, flen > 0 ? flen : len, secs, -1);
    }
    if (flen == 0) {
        zf->tried++;
    } else {
        zf->level = cand_level(k);
        z->packed = k;
    }
    return flen;
}

int mpift_codec_pack(struct mpift_codec *z, struct mpift_codec_file *zf, int b, const unsigned char *src, int len)
{
    unsigned char *frame;
    size_t n = 0;
    int flen;

    zf->plain += (uint64_t)len;
    z->zip_s = 0;
    z->packed = MPIFT_ZIP_NONE;
    if (len > 1 && mpift_all_zero(src, (size_t)len) && have_frames(z)) {
        mpift_codec_frame(z, b)[0] = MPIFT_WIRE_CODEC_ZERO;
        z->packed = -1;
        zf->holes += (uint64_t)len;
        zf->wire += 1;
        return 1;
    }
    frame = z->frames ? mpift_codec_frame(z, b) : NULL;
    if (z->mode == MPIFT_COMPRESS_AUTO) {
        flen = pack_auto(z, zf, b, src, len);
    } else {
        /* A fixed codec takes any saving, but the frame (codec byte +
         * block) must be shorter than the chunk: its length is what tells
         * a receiver it is compressed (proto.h). */
        if (zf->codec && len > 2 && ready_to_pack(z))
            n = encode(z, zf->codec, ZSTD_LEVEL, (frame = mpift_codec_frame(z, b)) + 1, (size_t)len - 2, src,
                       (size_t)len);
        flen = n > 0 && n + 1 < (size_t)len ? (int)n + 1 : 0;
        if (flen > 0)
            frame[0] = (unsigned char)zf->codec;
    }
    if (flen == 0) {
        zf->wire += (uint64_t)len;
        return 0;
    }
    zf->used = mpift_codec_frame(z, b)[0];
    zf->zchunks++;
    zf->wire += (uint64_t)flen;
    return flen;
}

void mpift_codec_sent(struct mpift_codec *z, int b, int len, int flen, double since, int pending)
{
    double now;

    if (z->mode != MPIFT_COMPRESS_AUTO)
        return;
    now = mpift_now();
    mpift_zip_auto_sent(&z->za, b, len, flen > 0 ? flen : len, flen > 0 ? z->packed : MPIFT_ZIP_NONE, now - since,
                        z->zip_s, now, pending);
}

int mpift_codec_unpack(struct mpift_codec *z, const unsigned char *frame, int flen, int want,
                     const unsigned char **out, char *why, size_t whylen)
{
    long long got;

    if (!z->plain && !(z->plain = malloc(z->chunk)))
        return MPIFT_ERR_NOMEM;
    if (flen < 1 || want < 0 || (size_t)want > z->chunk) {
        snprintf(why, whylen, "a compressed chunk of %d bytes for %d", flen, want);
        return MPIFT_ERR_CHECKSUM;
    }
    if (mpift_codec_is_zero(frame, flen)) {
        memset(z->plain, 0, (size_t)want);
        *out = z->plain;
        return MPIFT_OK;
    }
    got = decode(z, frame[0], frame + 1, (size_t)flen - 1, z->plain, (size_t)want);
    if (got != want) {
        snprintf(why, whylen, "a compressed chunk (codec %d, %d bytes) did not decompress to its %d bytes%s", frame[0],
                 flen, want, got < 0 ? ": damaged, or a codec this build lacks" : "");
        return MPIFT_ERR_CHECKSUM;
    }
    *out = z->plain;
    return MPIFT_OK;
}

static const char *codec_name(int codec)
{
    return codec == MPIFT_WIRE_CODEC_LZ4 ? "lz4" : codec == MPIFT_WIRE_CODEC_ZSTD ? "zstd" : "none";
}

/* ", H of them holes" when the file had any. */
static void say_holes(const struct mpift_codec_file *zf, char *buf, size_t len)
{
    size_t n = strlen(buf);

    if (zf->holes && n < len)
        snprintf(buf + n, len - n, "; %llu bytes of zeros went as holes", (unsigned long long)zf->holes);
}

void mpift_codec_describe(const struct mpift_codec *z, const struct mpift_codec_file *zf, char *buf, size_t len)
{
    int pct = zf->plain ? (int)(zf->wire * 100 / zf->plain) : 100;
    const char *why = "";
    char level[16] = "";

    if (zf->zchunks == 0 && z->mode == MPIFT_COMPRESS_AUTO && !zf->tried)
        why = " (compressing would cost more time than it saves)";
    else if (zf->zchunks == 0 && z->mode != MPIFT_COMPRESS_NONE)
        why = " (it did not shrink)";
    if (z->mode == MPIFT_COMPRESS_AUTO && zf->used == MPIFT_WIRE_CODEC_ZSTD)
        snprintf(level, sizeof(level), " level %d", zf->level);
    if (zf->zchunks == 0)
        snprintf(buf, len, "%llu bytes sent as they are%s", (unsigned long long)zf->plain, why);
    else
        snprintf(buf, len, "%llu bytes sent as %llu (%d%%), %llu of its chunks compressed, %s%s",
                 (unsigned long long)zf->plain, (unsigned long long)zf->wire, pct,
                 (unsigned long long)zf->zchunks, codec_name(zf->used), level);
    say_holes(zf, buf, len);
}
