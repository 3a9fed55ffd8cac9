/*
 * sink.h - one verified, atomic file write below a destination root.
 *
 * Bytes go to a temporary name beside the final path
 * (".mpift-<hash of the name>-<id of this sink>-r<rank>.tmp": no two
 * sinks of any runs share one, and each holds a lock on its file while it
 * writes), are hashed as they arrive (when a checksum is in use), and only
 * when size and checksum match what the sender announced is the file given
 * its mode and mtime and renamed into place.  A failed or interrupted
 * write never leaves anything at the final path; a failed one removes its
 * temporary file, and an interrupted one's is swept by a later run
 * (mpift_sink_sweep).
 */
#ifndef MPIFT_SINK_H
#define MPIFT_SINK_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include "util/hash.h"

#include "util/le64.h"
#include "util/tmpname.h"
#include "wire/proto.h"
#include "engine/base.h"

/* Every temporary file's name starts and ends so: the pattern of
 * util/tmpname.h, which every walk and every name check refuses. */
#define MPIFT_SINK_TMP_PREFIX MPIFT_TMP_MARK
#define MPIFT_SINK_TMP_SUFFIX MPIFT_TMP_SUFFIX

struct mpift_sink {
    int dirfd;                 /* parent folder (owned) */
    int fd;                    /* temporary file (owned) */
    char name[NAME_MAX + 1];   /* final name in dirfd */
    char tmp[64];              /* temporary name in dirfd */
    char display[PATH_MAX];    /* root/rel, for messages */
    uint64_t received;         /* bytes taken so far */
    int err;                   /* first errno of a failed write, 0 if none */
    mode_t new_mode;           /* what a new file gets here: 0666 less the umask */
    XXH3_state_t *hash;        /* NULL: no checksum */
    uint64_t end;              /* the temporary's size so far */
    /* A resumable copy (mpift_sink_open_base): its record, and the base
     * KEEP frames take chunks from (borrowed; NULL: none). */
    struct mpift_record rec;
    char rec_name[MPIFT_BASE_NAME_MAX];
    struct mpift_base *base;
    uint64_t chunk;            /* the file's chunk size (a KEEP frame's at most) */
    unsigned char *scratch;    /* a chunk read from the base */
    uint64_t resumed;          /* bytes taken from a resume base */
    uint64_t delta_saved;      /* bytes taken from the older version */
    int no_clone;              /* the file system shares no blocks (FICLONERANGE): kept chunks are written */
    /* A copy over a base, of a file with a content key: the XXH3-128 of
     * its content as written, held to the key before its commit
     * (outcome.c), since a chunk taken from the base is known by its
     * XXH3-64 alone, which a crafted collision passes.  NULL: none. */
    XXH3_state_t *whole;
    uint8_t key[16];
    /* After a commit: the copy's chunk hashes (rec's, malloc'd, kept_n of
     * them; NULL: none), the caller's to free. */
    uint64_t *kept;
    uint64_t kept_n;
    /* After a commit: the copy's identity once in place (st_ino 0: none),
     * so what is put in the node's cache is tied to what was verified. */
    struct stat committed;
};

/* Does `rel` below rootfd already hold this file (regular, same size and
 * mtime)?  Missing parents or file: false.  Never follows a link. */
bool mpift_sink_unchanged(int rootfd, const char *rel, uint64_t size, int64_t sec, uint32_t nsec);

/* Is there anything at `rel` below rootfd (a file to be replaced)? */
bool mpift_sink_exists(int rootfd, const char *rel);

/*
 * mpift_sink_open - create the parent folders of `rel` below rootfd and a
 * fresh temporary file.  `root` is only for messages; `rank` names the
 * temporary file; `kind` is the checksum the sender will announce
 * (MPIFT_WIRE_CKSUM_NONE: nothing is hashed).
 * Returns MPIFT_OK, or MPIFT_ERR_IO / MPIFT_ERR_ESCAPE with the cause in
 * why (the sink is then closed and need not be aborted).
 */
int mpift_sink_open(struct mpift_sink *s, int rootfd, const char *root, const char *rel, int rank,
                    enum mpift_wire_cksum kind, char *why, size_t whylen);

/*
 * mpift_sink_open_base - as mpift_sink_open, for a file of version `of`
 * large enough to resume (engine/base.h): the temporary has the name a
 * re-run finds again, and with `record` a record is kept beside it (else
 * only its chunk hashes, kept at the commit).  With a resume
 * `base`, its temporary is taken over; with any base, KEEP frames take
 * their chunks from it (mpift_sink_keep).  The caller keeps `base` alive
 * until the sink is closed.  A base found for another version than `of`
 * (mpift_base_for) is let go (mpift_base_free) and not used.
 */
int mpift_sink_open_base(struct mpift_sink *s, int rootfd, const char *root, const char *rel, int rank,
                         enum mpift_wire_cksum kind, const struct mpift_base_of *of, struct mpift_base *base,
                         int record, char *why, size_t whylen);

/*
 * mpift_sink_keep - chunk i (len bytes at off) came as a KEEP frame with
 * the source's hash h: take it from the base, read again and checked
 * against h, hashed and (from an older version) written.  0, or -1 when
 * the base does not hold it so (the copy cannot be made this time: the
 * caller drops it, and it is sent again whole).
 */
int mpift_sink_keep(struct mpift_sink *s, uint64_t i, uint64_t h, size_t len, uint64_t off);

/* Write len bytes at off and hash them (with a checksum).  After a write
 * error further data is still counted but not written. */
void mpift_sink_write(struct mpift_sink *s, const void *buf, size_t len, uint64_t off);

/* Does the sink want the XXH3-64 of these len bytes at off (for its
 * checksum or its record)? */
bool mpift_sink_wants_hash(const struct mpift_sink *s, size_t len, uint64_t off);

/* mpift_sink_write of bytes whose XXH3-64 the caller computed already:
 * h (any value when mpift_sink_wants_hash said no). */
void mpift_sink_write_hashed(struct mpift_sink *s, const void *buf, size_t len, uint64_t off, uint64_t h);

/*
 * mpift_sink_hole - a chunk of zeros that came as a zero frame
 * (compress.h): hashed like any chunk (zeros: len bytes of them), then
 * left as a hole, the copy extended past it without a write.
 */
void mpift_sink_hole(struct mpift_sink *s, const unsigned char *zeros, size_t len, uint64_t off);

/*
 * The checksum a copy is checked against (transfer.checksum = "xxh3"):
 * XXH3-64 over, in file order, each DATA chunk's own XXH3-64 (u64
 * little-endian: mpift_hash_chunk) and, where a hole extent lies
 * (wire/proto.h, HOLES), 16 bytes in its place: its offset and length
 * (u64 little-endian each, mpift_hash_hole).  A writer hashes each chunk
 * once: the same hash is its resume record's and its cache entry's
 * (docs/resume.md), and KEEP frames' chunks go in by the hash they were
 * checked against.  A hole in another place, a missing extent or another
 * length gives another digest, for the cost of 16 bytes instead of the
 * extent's zeros (16 GiB of them: about a second per rank at 18 GB/s).
 * Both ends cut the file at the same places (a stream's DATA messages,
 * a batch's one piece), so both fold the same hashes.  The report's xxh3
 * is the content's own, hashed apart by the source alone (xfer.h).
 */
static inline void mpift_hash_chunk(XXH3_state_t *st, uint64_t h)
{
    unsigned char b[8];

    mpift_le64_put(b, h);
    XXH3_64bits_update(st, b, sizeof(b));
}

/* The checksum of a file that crosses in one piece of len bytes, whose
 * XXH3-64 is h (a batch's small file). */
static inline uint64_t mpift_digest_one(uint64_t h, uint64_t len)
{
    unsigned char b[8];

    mpift_le64_put(b, h);
    return XXH3_64bits(b, len ? sizeof(b) : 0);
}

static inline void mpift_hash_hole(XXH3_state_t *h, uint64_t off, uint64_t len)
{
    unsigned char rec[16];
    int i;

    for (i = 0; i < 8; i++) {
        rec[i] = (unsigned char)(off >> (8 * i));
        rec[8 + i] = (unsigned char)(len >> (8 * i));
    }
    XXH3_64bits_update(h, rec, sizeof(rec));
}

/*
 * mpift_sink_extent - a hole extent of the file (HOLES, not DATA): hashed
 * as mpift_hash_hole says, and left as a hole, the copy extended past it
 * in one call.
 */
void mpift_sink_extent(struct mpift_sink *s, uint64_t off, uint64_t len);

/*
 * mpift_sink_chunk - write a received chunk: the one write path of every
 * stream and batch.  `first`: the file's first chunk, where the test
 * hook MPIFT_TEST_CORRUPT (engine/inject.h) may damage what lands on disk
 * (never the buffer, which may still be in flight to a child).
 */
void mpift_sink_chunk(struct mpift_sink *s, const unsigned char *buf, size_t len, uint64_t off, int first);

/* What a copy must match and the attributes it then gets, as its sender
 * announced them (a stream's METADATA and COMPLETE, a batch's entry). */
struct mpift_expect {
    uint64_t size;                 /* the file's size */
    uint64_t sent;                 /* the bytes the sender says it sent: must be size */
    int64_t mtime_sec;
    uint32_t mtime_nsec;
    uint32_t mode;                 /* the source's mode bits */
    enum mpift_wire_cksum cksum;   /* xxh3: digest must match; none: nothing to check */
    uint64_t digest;
};

/*
 * mpift_sink_commit - check size and (when e->cksum is xxh3) checksum
 * against what the sender announced, and last a keyed copy over a base
 * against its key (XXH3-128), then set mode (when preserve: the
 * sender's; otherwise 0666 less the umask, as a new file gets)
 * and mtime, fsync when asked, and rename into place.
 * Returns MPIFT_OK, MPIFT_ERR_CHECKSUM, MPIFT_ERR_IO (why says which and
 * names the file).  The sink is closed in every case; a committed
 * large copy leaves its chunk hashes in s->kept (the caller frees them).
 */
int mpift_sink_commit(struct mpift_sink *s, const struct mpift_expect *e, bool preserve, bool do_fsync, char *why,
                      size_t whylen);

/* Remove the temporary file and close (after a failed stream). */
void mpift_sink_abort(struct mpift_sink *s);

/*
 * mpift_sink_sweep - remove the temporary files of dead writers from the
 * folder dirfd: each regular file named like a sink's whose lock can be
 * taken (a live writer holds its own).  For a run that holds its dest
 * root's lock (fs/fsafe.h mpift_root_lock), so no other run writes there.
 * Returns how many it removed.
 */
int mpift_sink_sweep(int dirfd);

#endif
