/*
 * cands.h - the striping candidates on the wire: rank 0's list of the
 * files every reader may read itself (stage/source_shared.c), broadcast
 * once per stage-in.
 *
 * Little-endian:
 *   u32 root_len, root (NUL included): the source root rank 0 read
 *   then per candidate, in strictly increasing plan order:
 *     u64 file (index in the plan), u64 size, i64 mtime_sec,
 *     u32 mtime_nsec, u32 path_len, u64 digest (of the samples),
 *     path (below the root, NUL included)
 * and nothing after the last.
 */
#ifndef MPIFT_CANDS_H
#define MPIFT_CANDS_H

#include <stddef.h>
#include <stdint.h>

#define MPIFT_WCAND_FIXED 40

struct mpift_wcand {
    uint64_t file;
    uint64_t size;
    int64_t mtime_sec;
    uint32_t mtime_nsec;
    uint64_t digest;
    const char *path;     /* decode: into the message, NUL-terminated */
};

/* The decoded list: root and paths point into the message, which must
 * outlive it; mpift_wcands_free frees c. */
struct mpift_wcands {
    const char *root;
    struct mpift_wcand *c;
    size_t n;
};

/* A new buffer (*out, *len bytes: free() it) holding root and c[0..n).
 * MPIFT_OK, MPIFT_ERR_NOMEM, or MPIFT_ERR_RANGE (a string over 4 GiB). */
int mpift_wcands_encode(const char *root, const struct mpift_wcand *c, size_t n, unsigned char **out, size_t *len);

/*
 * mpift_wcands_decode - validate len bytes as a list for a plan of
 * `nfiles` entries and fill t: the root and every path NUL-terminated at
 * its stated length (one NUL, at least one byte), each file below nfiles
 * and above the one before, nothing after the last.  MPIFT_OK,
 * MPIFT_ERR_PROTO (why says what) or MPIFT_ERR_NOMEM.  Every rank that
 * holds the same bytes gets the same answer but for NOMEM, which comes
 * from one allocation before any record is read.
 */
int mpift_wcands_decode(const unsigned char *buf, size_t len, uint64_t nfiles, struct mpift_wcands *t, char *why,
                        size_t whylen);

void mpift_wcands_free(struct mpift_wcands *t);

#endif
