/*
 * zero.h - is a buffer all zeros?  The one test behind holes: a chunk of
 * zeros travels as a zero frame (engine/compress.h) and lands as a hole
 * (engine/sink.h).  Data stops the scan at its first non-zero byte, so
 * only zeros cost a full pass, at memory speed.
 */
#ifndef MPIFT_UTIL_ZERO_H
#define MPIFT_UTIL_ZERO_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/hash.h"

static inline int mpift_all_zero(const unsigned char *p, size_t len)
{
    return len > 0 && p[0] == 0 && (len == 1 || memcmp(p, p + 1, len - 1) == 0);
}

/* Feed len zeros to st (reset as XXH3-128 when wide, else XXH3-64): a
 * hole's bytes hashed without a buffer of them. */
static inline void mpift_zeros_update(XXH3_state_t *st, uint64_t len, int wide)
{
    static const unsigned char zeros[64 << 10];
    size_t n;

    for (; len; len -= n) {
        n = len < sizeof(zeros) ? (size_t)len : sizeof(zeros);
        if (wide)
            XXH3_128bits_update(st, zeros, n);
        else
            XXH3_64bits_update(st, zeros, n);
    }
}

/* The XXH3-64 of len zeros: the hash a chunk of a hole (or of written
 * zeros) has, as records and offers name it; 0 without memory (no chunk
 * is then taken for a hole). */
static inline uint64_t mpift_zero_hash(uint64_t len)
{
    XXH3_state_t *st = XXH3_createState();
    uint64_t h = 0;

    if (st && XXH3_64bits_reset(st) == XXH_OK) {
        mpift_zeros_update(st, len, 0);
        h = XXH3_64bits_digest(st);
    }
    XXH3_freeState(st);
    return h;
}

#endif
