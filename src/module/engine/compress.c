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
#include "util/log.h"
#include "util/zero.h"
#include "wire/proto.h"
#include "engine/compress.h"

/* zstd's fastest level: about 15 times a 200 Mbit/s link per core on
 * text here, and a third smaller than lz4 (docs/design.md, Compression). */
#define ZSTD_LEVEL 1

/* auto keeps compressing a file whose chunks shrink to at most 9/10. */
#define AUTO_KEEP_NUM 9
#define AUTO_KEEP_DEN 10

/* The codec auto starts with, and the one below `codec` when it is too
 * slow for the link (0: none). */
static int best_codec(void)
{
#if defined(HAVE_ZSTD)
    return MPIFT_WIRE_CODEC_ZSTD;
#elif defined(HAVE_LZ4)
    return MPIFT_WIRE_CODEC_LZ4;
#else
    return 0;
#endif
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

static int slower_codec(int codec)
{
#ifdef HAVE_LZ4
    if (codec == MPIFT_WIRE_CODEC_ZSTD)
        return MPIFT_WIRE_CODEC_LZ4;
#else
    (void)codec;
#endif
    return 0;
}

void mpift_codec_init(struct mpift_codec *z, enum mpift_compress mode, int window, uint64_t chunk)
{
    memset(z, 0, sizeof(*z));
    z->mode = mode;
    z->window = window;
    z->chunk = (size_t)chunk;
    z->auto_codec = best_codec();
}

void mpift_codec_free(struct mpift_codec *z)
{
    free(z->frames);
    free(z->plain);
#ifdef HAVE_ZSTD
    ZSTD_freeCCtx(z->cctx);
    ZSTD_freeDCtx(z->dctx);
#endif
    memset(z, 0, sizeof(*z));
}

void mpift_codec_start(const struct mpift_codec *z, struct mpift_codec_file *zf)
{
    memset(zf, 0, sizeof(*zf));
    switch (z->mode) {
    case MPIFT_COMPRESS_AUTO: zf->codec = z->auto_codec; break;
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
static size_t encode(struct mpift_codec *z, int codec, unsigned char *dst, size_t cap, const unsigned char *src,
                     size_t len)
{
    size_t n = 0;

#ifdef HAVE_LZ4
    if (codec == MPIFT_WIRE_CODEC_LZ4 && cap > 0)
        n = (size_t)LZ4_compress_default((const char *)src, (char *)dst, (int)len, (int)cap);
#endif
#ifdef HAVE_ZSTD
    if (codec == MPIFT_WIRE_CODEC_ZSTD) {
        n = ZSTD_compressCCtx(z->cctx, dst, cap, src, len, ZSTD_LEVEL);
        if (ZSTD_isError(n))
            n = 0;
    }
#endif
    (void)z;
    (void)codec;
    (void)dst;
    (void)cap;
    (void)src;
    (void)len;
    return n;
}

/*
 * auto, after a compressed chunk: has the source waited for the link
 * lately (compress.h)?  MPIFT_ZIP_UNWAITED wire bytes without a wait:
 * the codec is the bottleneck, a faster one (or none) takes over for the
 * rest of the run.
 */
static void check_pace(struct mpift_codec *z, struct mpift_codec_file *zf, size_t sent)
{
    if (z->waited) {
        z->waited = 0;
        z->unwaited = 0;
        return;
    }
    z->unwaited += sent;
    if (z->unwaited < MPIFT_ZIP_UNWAITED)
        return;
    z->unwaited = 0;
    zf->codec = z->auto_codec = slower_codec(zf->codec);
    zf->stepped = 1;
    zf->retry_at = UINT64_MAX;   /* the link will not get slower */
}

int mpift_codec_keep(struct mpift_codec *z, struct mpift_codec_file *zf, int b, uint64_t h, int len)
{
    unsigned char *frame;

    if (!have_frames(z))
        return 0;
    frame = mpift_codec_frame(z, b);
    frame[0] = MPIFT_WIRE_CODEC_KEEP;
    for (int k = 1; k <= 8; k++, h >>= 8)
        frame[k] = (unsigned char)h;
    zf->plain += (uint64_t)len;
    zf->wire += MPIFT_KEEP_FRAME;
    return MPIFT_KEEP_FRAME;
}

int mpift_codec_pack(struct mpift_codec *z, struct mpift_codec_file *zf, int b, const unsigned char *src, int len,
                   uint64_t i)
{
    int autom = z->mode == MPIFT_COMPRESS_AUTO, codec = zf->codec;
    size_t cap, n = 0;

    zf->plain += (uint64_t)len;
    if (len > 1 && mpift_all_zero(src, (size_t)len) && have_frames(z)) {
        mpift_codec_frame(z, b)[0] = MPIFT_WIRE_CODEC_ZERO;
        zf->holes += (uint64_t)len;
        zf->wire += 1;
        return 1;
    }
    if (autom && !codec && !zf->stepped && i >= zf->retry_at && i > 0)
        codec = z->auto_codec;   /* probe again */
    /* auto wants a tenth off; a fixed codec takes any saving.  Either way
     * the frame (codec byte + block) must be shorter than the chunk: its
     * length is what tells a receiver it is compressed (proto.h). */
    cap = autom ? (size_t)len * AUTO_KEEP_NUM / AUTO_KEEP_DEN : (size_t)len - 1;
    if (codec && len > 2 && cap > 1 && ready_to_pack(z))
        n = encode(z, codec, mpift_codec_frame(z, b) + 1, cap - 1, src, (size_t)len);
    if (n + 1 >= (size_t)len)
        n = 0;
    if (n == 0) {
        if (autom && codec) {
            zf->codec = 0;
            zf->retry_at = i + MPIFT_ZIP_REPROBE;
        }
        zf->wire += (uint64_t)len;
        return 0;
    }
    mpift_codec_frame(z, b)[0] = (unsigned char)codec;
    zf->codec = zf->used = codec;
    zf->zchunks++;
    zf->wire += (uint64_t)n + 1;
    if (autom)
        check_pace(z, zf, n + 1);
    return (int)n + 1;
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

    if (zf->zchunks == 0 && z->mode == MPIFT_COMPRESS_AUTO)
        why = zf->stepped || (!z->auto_codec && best_codec()) ? " (compressing was slower than the link)"
                                                               : " (it did not shrink by a tenth)";
    else if (zf->zchunks == 0 && z->mode != MPIFT_COMPRESS_NONE)
        why = " (it did not shrink)";
    if (zf->zchunks == 0)
        snprintf(buf, len, "%llu bytes sent as they are%s", (unsigned long long)zf->plain, why);
    else
        snprintf(buf, len, "%llu bytes sent as %llu (%d%%), %llu of its chunks compressed, %s%s",
                 (unsigned long long)zf->plain, (unsigned long long)zf->wire, pct,
                 (unsigned long long)zf->zchunks, codec_name(zf->used),
                 !zf->stepped ? "" : zf->codec ? " (a faster codec: the first was slower than the link)"
                                               : ", then none (compressing was slower than the link)");
    say_holes(zf, buf, len);
}
