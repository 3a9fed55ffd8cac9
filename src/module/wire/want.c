/*
 * want.c - stage-out's want list (see want.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include "mpift/mpift.h"
#include "wire/cursor.h"
#include "wire/want.h"

int mpift_want_encode(const uint64_t *ids, uint64_t n, unsigned char **out, size_t *len)
{
    struct mpift_wcur w;
    uint64_t k;

    *len = MPIFT_WANT_HDR + 8 * (size_t)n;
    if (!(*out = malloc(*len)))
        return MPIFT_ERR_NOMEM;
    mpift_wcur_init(&w, *out, *len);
    mpift_wput_u64(&w, n);
    for (k = 0; k < n; k++)
        mpift_wput_u64(&w, ids[k]);
    return mpift_wcur_status(&w);
}

int mpift_want_decode(const unsigned char *buf, size_t len, uint64_t nfiles, uint64_t **ids, uint64_t *n, char *why,
                      size_t whylen)
{
    struct mpift_rcur r;
    uint64_t k;

    *ids = NULL;
    mpift_rcur_init(&r, buf, len);
    *n = mpift_wget_u64(&r);
    if (mpift_rcur_status(&r) != MPIFT_OK || *n != mpift_rcur_left(&r) / 8 || mpift_rcur_left(&r) % 8 != 0 ||
        *n > nfiles) {
        snprintf(why, whylen, "a list of %llu files wanted in %zu bytes, of %llu", (unsigned long long)*n, len,
                 (unsigned long long)nfiles);
        return MPIFT_ERR_PROTO;
    }
    if (*n == 0)
        return MPIFT_OK;
    if (!(*ids = malloc((size_t)*n * sizeof(**ids))))
        return MPIFT_ERR_NOMEM;
    for (k = 0; k < *n; k++) {
        (*ids)[k] = mpift_wget_u64(&r);
        if ((*ids)[k] >= nfiles) {
            snprintf(why, whylen, "file %llu wanted, of %llu", (unsigned long long)(*ids)[k],
                     (unsigned long long)nfiles);
            free(*ids);
            *ids = NULL;
            return MPIFT_ERR_PROTO;
        }
    }
    return MPIFT_OK;
}
