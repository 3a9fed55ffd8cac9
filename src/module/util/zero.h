/*
 * zero.h - is a buffer all zeros?  The one test behind holes: a chunk of
 * zeros travels as a zero frame (engine/compress.h) and lands as a hole
 * (engine/sink.h).  Data stops the scan at its first non-zero byte, so
 * only zeros cost a full pass, at memory speed.
 */
#ifndef MPIFT_UTIL_ZERO_H
#define MPIFT_UTIL_ZERO_H

#include <stddef.h>
#include <string.h>

static inline int mpift_all_zero(const unsigned char *p, size_t len)
{
    return len > 0 && p[0] == 0 && (len == 1 || memcmp(p, p + 1, len - 1) == 0);
}

#endif
