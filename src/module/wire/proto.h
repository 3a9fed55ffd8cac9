/*
 * proto.h - the tagged file protocol.
 *
 * Tags (wire/tags.h, on the context's data communicator):
 *   METADATA  a file's header: id, size, mtime, mode, chunking, name
 *   DATA      a chunk (MPI_BYTE), exactly `nchunks` messages per file:
 *             either the chunk's bytes as they are (a message of exactly
 *             the chunk's size), or a compressed frame, always shorter:
 *             one byte naming its codec (enum mpift_wire_codec), then the
 *             codec's block, which must decompress to exactly the chunk's
 *             size.  So the length tells the two apart, and a chunk that
 *             does not shrink goes as it is, never bigger.  Relays pass
 *             either on unchanged; the checksum covers the chunk's bytes.
 *             A chunk inside one of the file's hole extents (HOLES
 *             below) has no DATA message: the stream's DATA messages
 *             are its other chunks, in file order.
 *             A KEEP frame (the codec byte, then the chunk's XXH3-64)
 *             says every writer of the route holds the chunk already
 *             (engine/base.h): each takes it from its base, checked
 *             against that hash.
 *   CONTROL   COMPLETE after the last chunk: sender status + checksum
 *   ERROR     instead of METADATA when the sender cannot serve the file
 *
 * A stream between two ranks is strictly ordered: METADATA (or ERROR), then
 * nchunks DATA messages, then COMPLETE.  The receiver learns nchunks from the
 * metadata and receives exactly that many chunks before it looks for
 * COMPLETE, so completion can never race data (the original prototype polled
 * CONTROL before DATA and truncated files).
 *
 * Headers travel as fixed little-endian byte layouts.  Every decoder checks
 * magic, version, type, length and internal consistency before a field is
 * used; a bad message is MPIFT_ERR_PROTO, never a crash.
 */
#ifndef MPIFT_PROTO_H
#define MPIFT_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "wire/tags.h"

#define MPIFT_PROTO_MAGIC 0x4d504654u   /* "MPFT" */
/* 2: the xxh3 digest in COMPLETE is over the chunks' own XXH3-64s, not
 * the bytes (engine/sink.h), so a peer of version 1 is told, not failed
 * file by file as damaged. */
#define MPIFT_PROTO_VERSION 2
#define MPIFT_HDR_LEN 12                /* magic u32, version u16, type u16, payload len u32 */
#define MPIFT_HDR_VERSION_AT 4          /* where the version field starts */
#define MPIFT_NAME_MAX 4096             /* a relative path, NUL included */
#define MPIFT_MSG_MAX 1024              /* an error text, NUL included */

enum mpift_msg_type {
    MPIFT_MSG_META = 1,
    MPIFT_MSG_COMPLETE = 2,
    MPIFT_MSG_ERROR = 3,
    MPIFT_MSG_BATCH = 4,
    MPIFT_MSG_HOLES = 5,
};

/* The hole extents one METADATA may carry: past them, a source's further
 * holes travel as zero frames chunk by chunk (DATA), as dense zeros do. */
#define MPIFT_HOLES_MAX 1024

/* A run of whole chunks that is a hole in the source: [off, off+len). */
struct mpift_hole {
    uint64_t off, len;
};

/* A file's hole extents, in file order, none touching the next. */
struct mpift_holes {
    uint32_t n;
    struct mpift_hole e[MPIFT_HOLES_MAX];
};

struct mpift_meta {
    uint64_t file_id;
    uint64_t size;
    int64_t mtime_sec;
    uint32_t mtime_nsec;
    uint32_t mode;
    uint64_t chunk_size;
    uint64_t nchunks;
    uint64_t last_chunk;        /* bytes in the last chunk (0 when nchunks == 0) */
    uint32_t nholes;            /* hole extents in the HOLES part that follows (0: none) */
    char name[MPIFT_NAME_MAX];  /* destination path relative to the dest root */
};

/* A COMPLETE's (or a batch entry's) sender status.  CHANGED: the source
 * changed while it was read, so what came may mix two versions; the
 * receivers drop it, and the file may be sent again.  STRIPE (a striped
 * route's COMPLETE only, engine/stripe.h): a reader's share was not the
 * bytes the origin read, or the reader could not vouch for it; the
 * receivers drop it, and the file may be sent again, not striped. */
enum mpift_complete_status { MPIFT_SEND_OK = 0, MPIFT_SEND_FAILED = 1, MPIFT_SEND_CHANGED = 2, MPIFT_SEND_STRIPE = 3 };
#define MPIFT_SEND_STATUS_MAX MPIFT_SEND_STRIPE

/*
 * The checksum a COMPLETE or a BATCH carries (field cksum_kind).  Numbered
 * for the wire, not as config's enum mpift_cksum (which lists xxh3 first
 * as the default): mpift_wire_cksum maps one to the other.
 */
enum mpift_wire_cksum {
    MPIFT_WIRE_CKSUM_NONE = 0,   /* no digest: size is checked only */
    MPIFT_WIRE_CKSUM_XXH3 = 1,   /* xxh3-64 over its chunks' xxh3-64s (engine/sink.h) */
};
#define MPIFT_WIRE_CKSUM_MAX MPIFT_WIRE_CKSUM_XXH3

/* The first byte of a compressed chunk (see DATA above). */
enum mpift_wire_codec {
    MPIFT_WIRE_CODEC_LZ4 = 1,    /* an LZ4 block (LZ4_compress_fast) */
    MPIFT_WIRE_CODEC_ZSTD = 2,   /* one zstd frame */
    MPIFT_WIRE_CODEC_ZERO = 3,   /* the codec byte alone: the chunk is all zeros (a hole), whatever
                                  * transfer.compress says; its writers leave a hole */
    MPIFT_WIRE_CODEC_KEEP = 4,   /* the codec byte, then a u64 XXH3-64: the chunk is the one every writer of
                                  * the route holds (engine/base.h); never on a striped route */
};

/* A KEEP frame's length: only a chunk longer than it is sent so. */
#define MPIFT_KEEP_FRAME 9

/* The wire's checksum kind for transfer.checksum. */
enum mpift_wire_cksum mpift_wire_cksum(enum mpift_cksum checksum);

struct mpift_complete {
    uint64_t file_id;
    uint64_t size;             /* bytes the sender sent */
    uint32_t status;           /* mpift_complete_status */
    int32_t err;               /* errno on the sender when FAILED */
    uint32_t cksum_kind;       /* mpift_wire_cksum */
    uint64_t digest;           /* what the copies are checked against */
    uint64_t whole;            /* xxh3-64 of the file's whole content when the sender
                                * hashed it apart from digest (hole extents and a
                                * report), else digest: what the report says */
};

struct mpift_error_msg {
    uint64_t file_id;
    int32_t code;              /* MPIFT_ERR_* */
    char text[MPIFT_MSG_MAX];  /* for users: already names the file and cause */
};

/* Largest encoded message. */
#define MPIFT_META_WIRE_MAX (MPIFT_HDR_LEN + 68 + MPIFT_NAME_MAX)
#define MPIFT_HOLES_WIRE_MAX (MPIFT_HDR_LEN + 16 + 16 * MPIFT_HOLES_MAX)
/* METADATA and, when it announces hole extents, HOLES after it: one message. */
#define MPIFT_HEAD_WIRE_MAX (MPIFT_META_WIRE_MAX + MPIFT_HOLES_WIRE_MAX)
#define MPIFT_COMPLETE_WIRE (MPIFT_HDR_LEN + 44)
#define MPIFT_ERROR_WIRE_MAX (MPIFT_HDR_LEN + 16 + MPIFT_MSG_MAX)

/*
 * BATCH: many small files in one message, instead of META, DATA and
 * COMPLETE for each.  Every rank of the route knows from the plan which
 * files a batch holds (the grouping is computed the same way everywhere),
 * so entries carry ids, not names:
 *   header, u32 count, u32 checksum kind (mpift_wire_cksum), then per file
 *   u64 id, u64 size, i64 mtime_sec, u32 mtime_nsec, u32 mode,
 *   u32 status (mpift_complete_status), i32 errno, u64 digest,
 *   and `size` bytes of data when status is SEND_OK (none otherwise).
 */
#define MPIFT_BATCH_HDR (MPIFT_HDR_LEN + 8)
#define MPIFT_BATCH_ENTRY 56

struct mpift_batch_entry {
    uint64_t file_id;
    uint64_t size;
    int64_t mtime_sec;
    uint32_t mtime_nsec;
    uint32_t mode;
    uint32_t status;
    int32_t err;
    uint64_t digest;
    const unsigned char *data;  /* decode: into the message; NULL when failed */
};

/* Write one entry's 56-byte header at `at` (its data follows it). */
void mpift_batch_put_entry(unsigned char *at, const struct mpift_batch_entry *e);

/* Write the message header once `used` bytes (header included) hold
 * `count` entries. */
void mpift_batch_seal(unsigned char *buf, size_t used, uint32_t count, uint32_t cksum_kind);

/*
 * mpift_batch_decode - validate a batch of exactly `count` entries with
 * ids ids[0..count) and fill e[0..count).  MPIFT_OK or MPIFT_ERR_PROTO
 * (why says what: another count, another id, an entry or data running
 * past the end, bytes left over, an unknown status or checksum kind).
 */
int mpift_batch_decode(const unsigned char *buf, size_t len, const uint64_t *ids, uint32_t count,
                       struct mpift_batch_entry *e, uint32_t *cksum_kind, char *why, size_t whylen);

/* Number of chunks and size of the last for a file (0, 0 for an empty file). */
void mpift_chunking(uint64_t size, uint64_t chunk_size, uint64_t *nchunks, uint64_t *last);

/*
 * Encoders write into buf (buflen bytes) and return the encoded length, or
 * a negative MPIFT_ERR_RANGE when the buffer is too small or a field is out
 * of bounds (name too long).
 */
int mpift_meta_encode(const struct mpift_meta *m, unsigned char *buf, size_t buflen);
int mpift_complete_encode(const struct mpift_complete *c, unsigned char *buf, size_t buflen);
int mpift_error_encode(const struct mpift_error_msg *e, unsigned char *buf, size_t buflen);

/*
 * Decoders read len bytes and fill the struct.  They return MPIFT_OK or
 * MPIFT_ERR_PROTO with a reason in why (for the log: "short header",
 * "bad magic", "version 7 (expected 1)", "name not NUL-terminated",
 * "nchunks 3 disagrees with size 10 and chunk 4", ...).
 */
int mpift_meta_decode(const unsigned char *buf, size_t len, struct mpift_meta *m, char *why, size_t whylen);
int mpift_complete_decode(const unsigned char *buf, size_t len, struct mpift_complete *c, char *why, size_t whylen);
int mpift_error_decode(const unsigned char *buf, size_t len, struct mpift_error_msg *e, char *why, size_t whylen);

/*
 * A file's head: METADATA, then, when m->nholes > 0, HOLES in the same
 * message: header, u64 file_id, u32 count (= nholes), u32 reserved, then
 * per extent u64 offset, u64 length.  An extent starts on a chunk
 * boundary, ends on one or at the file's end, and begins after the end
 * of the one before it (extents are merged, never touching), so a
 * receiver learns exactly which chunks will not come as DATA.
 * mpift_head_encode takes h only when m->nholes > 0 (NULL otherwise);
 * mpift_head_decode validates both parts, every extent against m, and
 * that nothing follows.
 */
int mpift_head_encode(const struct mpift_meta *m, const struct mpift_holes *h, unsigned char *buf, size_t buflen);
int mpift_head_decode(const unsigned char *buf, size_t len, struct mpift_meta *m, struct mpift_holes *h, char *why,
                      size_t whylen);

/* The chunks of a file its hole extents cover: those that send no DATA. */
uint64_t mpift_holes_chunks(const struct mpift_holes *h, uint64_t chunk_size);

#endif
