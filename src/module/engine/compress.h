/*
 * compress.h - chunks compressed on the wire (engine/ only): the codecs
 * of transfer.compress (lz4, zstd; each there when configure found its
 * library), one frame buffer per in-flight chunk buffer, and what "auto"
 * decides per file.
 *
 * A compressed chunk is a frame (wire/proto.h, DATA): the codec's byte,
 * then its block, always shorter than the chunk; a chunk that would not
 * shrink goes as it is.  The source compresses once; relays pass frames
 * on unchanged and only writers decompress, into one scratch chunk,
 * bounded by the chunk's size.  The checksum is of the chunk's bytes, so
 * a frame that decodes to other bytes fails verification like any damage.
 *
 * auto: each file starts with zstd at level 1 (lz4 when only it is
 * built).  A chunk that does not shrink by at least a tenth goes as it
 * is, and so do the file's next MPIFT_ZIP_REPROBE chunks, then one is
 * tried again.
 *
 * auto also keeps compressing only while the link is what holds the
 * source back, so that a link faster than the codec is not slowed down
 * by it.  MPI makes no progress while the source compresses, but the
 * kernel's socket buffers and the window's receives take what was sent
 * meanwhile: so compressing is free while the source, between chunks,
 * still has to wait for a buffer (its sends not yet taken).  A source
 * that puts MPIFT_ZIP_UNWAITED bytes on the wire (more than those
 * buffers hold) without ever waiting is the bottleneck itself: the run
 * steps down, zstd to lz4 to none, for this file and the next ones.
 */
#ifndef MPIFT_COMPRESS_H
#define MPIFT_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "wire/proto.h"

/* auto: the chunks a file sends as they are after one that did not
 * shrink enough, before it tries again (1 probe in 32: its cost on
 * incompressible data is lost in the noise, and a file whose content
 * changes kind is caught within 8 MiB at the default chunk size). */
#define MPIFT_ZIP_REPROBE 32

/* Room for mpift_codec_describe's and mpift_codec_unpack's words. */
#define MPIFT_ZIP_SAY_MAX 160

/* auto: wire bytes a source may send without once waiting for the link
 * before it takes the codec for the bottleneck: well above what a
 * window of default chunks (32 x 256 KiB) and a TCP socket's buffers
 * (4 MiB to send, 6 to receive, Linux's defaults) take without pushing
 * back, so that a slow link is not misjudged while they fill. */
#define MPIFT_ZIP_UNWAITED ((uint64_t)24 << 20)

/* One rank's codecs and buffers: made once per run. */
struct mpift_codec {
    enum mpift_compress mode;   /* transfer.compress */
    int window;
    size_t chunk;
    unsigned char *frames;      /* a frame per chunk buffer, `chunk` bytes each, one
                                 * block (mpift_codec_frame); NULL: none yet */
    unsigned char *plain;       /* a decompressed chunk (chunk bytes); NULL: none yet */
    void *cctx, *dctx;          /* zstd's contexts, kept across chunks */
    int auto_codec;             /* auto: the codec a file starts with; lower once the
                                 * codec was found slower than the link (the run keeps it) */
    int waited;                 /* the source waited for a buffer since the last chunk:
                                 * set by the stream */
    uint64_t unwaited;          /* auto: wire bytes sent since it last waited */
};

/* What one file's chunks do, on its source. */
struct mpift_codec_file {
    int codec;                  /* enum mpift_wire_codec of the next chunk; 0: as it is */
    int used;                   /* the codec of its last compressed chunk */
    int stepped;                /* auto: stepped down for speed (zstd->lz4->none) */
    uint64_t retry_at;          /* auto, codec 0: the chunk to try again */
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
 * mpift_codec_pack - on the source, chunk i (len bytes at src) that will
 * travel in buffer b: its frame in mpift_codec_frame(z, b) and the frame's length,
 * or 0 when it goes as it is (no codec for the file, it did not shrink,
 * out of memory).  Counts the chunk in zf.  A chunk of zeros (a hole in
 * the source, or zeros written) is a one-byte zero frame under every
 * transfer.compress: holes cross the wire as their length, and every
 * writer leaves a hole (mpift_codec_is_zero).
 */
int mpift_codec_pack(struct mpift_codec *z, struct mpift_codec_file *zf, int b, const unsigned char *src, int len,
                   uint64_t i);

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

/* What became of the file, for --verbose: "zstd, 67108864 -> 22369621
 * bytes (33%)", "sent as it is (did not shrink by a tenth)", ... */
void mpift_codec_describe(const struct mpift_codec *z, const struct mpift_codec_file *zf, char *buf, size_t len);

#endif
