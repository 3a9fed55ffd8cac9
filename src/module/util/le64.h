/*
 * le64.h - a u64 in little-endian bytes, the form of mpift's own sealed
 * records on disk (a resume record, kept chunk hashes): the same on every
 * node whatever its byte order.
 */
#ifndef MPIFT_LE64_H
#define MPIFT_LE64_H

#include <stdint.h>

static inline void mpift_le64_put(unsigned char *p, uint64_t v)
{
    for (int k = 0; k < 8; k++)
        p[k] = (unsigned char)(v >> (8 * k));
}

static inline uint64_t mpift_le64_get(const unsigned char *p)
{
    uint64_t v = 0;

    for (int k = 7; k >= 0; k--)
        v = v << 8 | p[k];
    return v;
}

#endif
