/*
 * grow.h - the one way an array of the module gets room: its capacity
 * doubled (from `first` when it has none) until `need` elements fit,
 * every size checked for overflow.  On failure the array and its
 * capacity are left as they were, so the caller's cleanup still frees
 * all it held and a count never runs past the memory behind it.
 */
#ifndef MPIFT_GROW_H
#define MPIFT_GROW_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mpift/mpift.h"

/* arrp is the address of the array's pointer (any element type: it is
 * read and written with memcpy, not through a cast that would alias it),
 * *cap its capacity in elements of size bytes.  MPIFT_OK, or
 * MPIFT_ERR_NOMEM when realloc fails or the size would pass PTRDIFF_MAX. */
static inline int mpift_grow(void *arrp, size_t *cap, size_t need, size_t size, size_t first)
{
    void *old, *p;
    size_t n;

    if (need <= *cap)
        return MPIFT_OK;
    for (n = *cap ? *cap : (first ? first : 1); n < need; n *= 2)
        if (n > PTRDIFF_MAX / 2) {   /* doubling would pass the largest object */
            n = need;
            break;
        }
    if (size == 0 || n > PTRDIFF_MAX / size)   /* no object is larger */
        return MPIFT_ERR_NOMEM;
    memcpy(&old, arrp, sizeof(old));
    if (!(p = realloc(old, n * size)))
        return MPIFT_ERR_NOMEM;
    memcpy(arrp, &p, sizeof(p));
    *cap = n;
    return MPIFT_OK;
}

#endif
