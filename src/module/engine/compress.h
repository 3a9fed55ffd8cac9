/*
 * compress.h - chunks compressed on the wire (engine/ only): the codecs
 * of transfer.compress (lz4, zstd; each there when configure found its
 * library), one frame buffer per in-flight chunk buffer, and what "auto"
 * decides per chunk.
 *
 * A compressed chunk is a frame (wire/proto.h, DATA): the codec's byte,
 * then its block, always shorter than the chunk; a chunk that would not
 * shrink goes as it is.  The source compresses once; relays pass frames
 * on unchanged and only writers decompress, into one scratch chunk,
 * bounded by the chunk's size.  The checksum is of the chunk's bytes, so
 * a frame that decodes to other bytes fails verification like any damage.
 *
 * auto: each chunk goes with what the run's rate model finds cheapest
 * (engine/zipauto.h): none, lz4, or zstd at level 1, 3 or 6, from what
 * compressing costs the source, what it saves on the link and what
 * decoding costs the writers, as measured on the run's own chunks.  A
 * chunk that would not shrink still goes as it is.
 */
#ifndef MPIFT_COMPRESS_H
#define MPIFT_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "wire/proto.h"
#include "engine/zipauto.h"
#include "util/cpu.h"

/* Room for mpift_codec_describe's and mpift_codec_unpack's words. */
#define MPIFT_ZIP_SAY_MAX 160

/* One rank's codecs and buffers: made once per run. */
struct mpift_codec {
    enum mpift_compress mode;   /* transfer.compress */
    int window;
    size_t chunk;
    unsigned char *frames;      /* a frame per chunk buffer, `chunk` bytes each, one
                                 * block (mpift_codec_frame); NULL: none yet */
    unsigned char *plain;       /* a decompressed chunk (chunk bytes); NULL: none yet */
    void *cctx, *dctx;          /* zstd's contexts, kept across chunks */
    struct mpift_zip_auto za;   /* auto: the run's rates and pick (zipauto.h) */
    double zip_s;               /* auto: seconds the last chunk took compressing and sampling */
    int packed;                 /* auto: the candidate the last chunk went with (zipauto.h), which
                                 * its own measure may have changed the pick from; -1: a hole
                                 * or KEEP frame */
};

/* What one file's chunks do, on its source. */
struct mpift_codec_file {
    int codec;                  /* enum mpift_wire_codec of the next chunk; 0: as it is */
    int used;                   /* the codec of its last compressed chunk */
    int level;                  /* ... and its zstd level */
    uint64_t tried;             /* chunks compressed in vain (they did not shrink) */
    uint64_t plain, wire;       /* the file's bytes, and what they took on the wire */
    uint64_t zchunks;           /* chunks sent compressed */
    uint64_t holes;             /* bytes sent as zero frames (holes) */
};

/* The frame of chunk buffer b. */
static inline unsigned char *mpift_codec_frame(const struct mpift_codec *z, int b)
{
    return z->frames + (size_t)b * z->chunk;
}

/* The codecs this build has, a bit (1 << MPIFT_WIRE_CODEC_*) each: every
 * rank of a job must have the same (job/agree.c agrees them). */
unsigned mpift_codec_builtin(void);

/* Set up for transfer.compress `mode`, `window` buffers of `chunk` bytes;
 * the buffers come when first needed.  Never fails. */
void mpift_codec_init(struct mpift_codec *z, enum mpift_compress mode, int window, uint64_t chunk);
void mpift_codec_free(struct mpift_codec *z);

/* The source starts a file. */
void mpift_codec_start(const struct mpift_codec *z, struct mpift_codec_file *zf);

/*
 * mpift_codec_pack - on the source, a chunk (len bytes at src) that will
 * travel in buffer b: its frame in mpift_codec_frame(z, b) and the frame's length,
 * or 0 when it goes as it is (no codec for the file, it did not shrink,
 * out of memory).  Counts the chunk in zf.  A chunk of zeros (a hole in
 * the source, or zeros written) is a one-byte zero frame under every
 * transfer.compress: holes cross the wire as their length, and every
 * writer leaves a hole (mpift_codec_is_zero).
 */
int mpift_codec_pack(struct mpift_codec *z, struct mpift_codec_file *zf, int b, const unsigned char *src, int len);

/*
 * mpift_codec_unpack - a writer's frame of flen bytes for a chunk of `want`
 * bytes: *out points at them (z->plain) after MPIFT_OK; a frame that does
 * not decode to exactly `want` bytes (damaged, another codec, too long)
 * is MPIFT_ERR_CHECKSUM with the cause in why; nothing is written past
 * `want` bytes.  MPIFT_ERR_NOMEM.
 */
int mpift_codec_unpack(struct mpift_codec *z, const unsigned char *frame, int flen, int want,
                     const unsigned char **out, char *why, size_t whylen);

/* Is this frame of flen bytes a zero frame (the chunk is a hole)? */
static inline int mpift_codec_is_zero(const unsigned char *frame, int flen)
{
    return flen == 1 && frame[0] == MPIFT_WIRE_CODEC_ZERO;
}

/* The source's clock for auto (0 under the other modes: no clock read). */
static inline double mpift_codec_clock(const struct mpift_codec *z)
{
    return z->mode == MPIFT_COMPRESS_AUTO ? mpift_now() : 0;
}

/* The source found chunk buffer it needs next still being sent. */
static inline void mpift_codec_waited(struct mpift_codec *z)
{
    if (z->mode == MPIFT_COMPRESS_AUTO)
        mpift_zip_auto_wait(&z->za);
}

/* The send of buffer b is done (auto: the link took its bytes). */
static inline void mpift_codec_acked(struct mpift_codec *z, int b)
{
    if (z->mode == MPIFT_COMPRESS_AUTO)
        mpift_zip_auto_acked(&z->za, b);
}

/* The source sent a chunk of len bytes from buffer b as flen bytes (0:
 * as it is), busy since `since` (mpift_codec_clock) on it, with
 * `pending` chunks' sends not yet done: auto learns. */
void mpift_codec_sent(struct mpift_codec *z, int b, int len, int flen, double since, int pending);
/* Is this frame a KEEP frame (wire/proto.h)?  Its hash, then. */
static inline int mpift_codec_is_keep(const unsigned char *frame, int flen)
{
    return flen == MPIFT_KEEP_FRAME && frame[0] == MPIFT_WIRE_CODEC_KEEP;
}

static inline uint64_t mpift_codec_keep_hash(const unsigned char *frame)
{
    uint64_t h = 0;

    for (int k = 8; k >= 1; k--)
        h = h << 8 | frame[k];
    return h;
}

/* Buffer b's frame made a KEEP frame of hash h for a chunk of len bytes,
 * counted in zf: its length, or 0 (out of memory: send the chunk). */
int mpift_codec_keep(struct mpift_codec *z, struct mpift_codec_file *zf, int b, uint64_t h, int len);

/* What became of the file, for --verbose: "67108864 bytes sent as
 * 22369621 (33%), 256 of its chunks compressed, zstd level 1", "67108864
 * bytes sent as they are (it did not shrink)", ... */
void mpift_codec_describe(const struct mpift_codec *z, const struct mpift_codec_file *zf, char *buf, size_t len);

#endif
