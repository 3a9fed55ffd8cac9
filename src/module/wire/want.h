/*
 * want.h - stage-out's want list on the wire: rank 0 to a writer, the
 * files (by index in the writer's own list) it is to send next
 * (stage/stage_out.c, MPIFT_TAG_SVC_WANT).
 *
 * Little-endian: u64 count, then count x u64 id; count 0: nothing more
 * is wanted, the writer is done.
 */
#ifndef MPIFT_WANT_H
#define MPIFT_WANT_H

#include <stddef.h>
#include <stdint.h>

#define MPIFT_WANT_HDR 8

/* A new buffer (*out, *len bytes: free() it) holding ids[0..n).
 * MPIFT_OK or MPIFT_ERR_NOMEM. */
int mpift_want_encode(const uint64_t *ids, uint64_t n, unsigned char **out, size_t *len);

/*
 * mpift_want_decode - validate len bytes as a want list for a writer of
 * `nfiles` files: the count exact for the length, each id below nfiles.
 * *ids gets a new array of *n ids (free() it; NULL when *n is 0).
 * MPIFT_OK, MPIFT_ERR_PROTO (why says what) or MPIFT_ERR_NOMEM.
 */
int mpift_want_decode(const unsigned char *buf, size_t len, uint64_t nfiles, uint64_t **ids, uint64_t *n, char *why,
                      size_t whylen);

#endif
