/*
 * offers.h - what a writer holds of the files it is about to receive
 * (engine/base.h), on the wire: every writer's list to rank 0 before the
 * first round (stage/stage_in_base.c), so that rank 0 sends as a KEEP
 * frame a chunk every writer of its route holds with the source's hash.
 *
 * Little-endian: u32 count, then count entries, in increasing file order:
 * u32 file (its index in the plan), u8 kind (engine/base.h: 1 resume,
 * 2 delta, 3 a delta's sample, judged before it is read whole), u32 nchunks (the file's, as the plan says), u32 nheld (1 to
 * nchunks), then nheld x (u32 chunk, u64 XXH3-64), chunks increasing.
 */
#ifndef MPIFT_OFFERS_H
#define MPIFT_OFFERS_H

#include <stddef.h>
#include <stdint.h>

#define MPIFT_OFFER_KIND_MAX 3
#define MPIFT_OFFER_ITEM 12

struct mpift_offer {
    uint32_t file;
    uint8_t kind;
    uint32_t nchunks;
    uint32_t nheld;
    const unsigned char *items;   /* nheld x MPIFT_OFFER_ITEM bytes, in the decoded buffer */
};

/* A list being built (zeroed to start); nomem is sticky. */
struct mpift_offers_buf {
    unsigned char *p;
    size_t len, cap;
    uint32_t n;
    int nomem;
};

/* Add file `file`'s offer: the chunks i < nchunks whose bit is set in
 * `have`, with hash[i]. */
void mpift_offers_add(struct mpift_offers_buf *b, uint32_t file, uint8_t kind, uint32_t nchunks,
                      const unsigned char *have, const uint64_t *hash);

/* The list's bytes (b->p, b->len; an empty list is 4 bytes): MPIFT_OK or
 * MPIFT_ERR_NOMEM.  Free b->p with free(). */
int mpift_offers_finish(struct mpift_offers_buf *b);

/* Item k of an offer. */
void mpift_offer_item(const struct mpift_offer *o, uint32_t k, uint32_t *chunk, uint64_t *hash);

/*
 * mpift_offers_decode - validate len bytes as one writer's list for a plan
 * of nfiles files whose file i has nchunks[i] chunks (0: not one a base is
 * offered for): everything above checked, the length exact.  *out gets a
 * new array of *n entries (free() it; NULL when *n is 0) pointing into buf.
 * MPIFT_OK, MPIFT_ERR_PROTO (why says what) or MPIFT_ERR_NOMEM.
 */
int mpift_offers_decode(const unsigned char *buf, size_t len, uint64_t nfiles, const uint64_t *nchunks,
                        struct mpift_offer **out, uint32_t *n, char *why, size_t whylen);

#endif
