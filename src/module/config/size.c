/*
 * size.c - byte counts as people write them: "4096", "4K", "8MiB", "1g".
 *
 * Suffixes are powers of 1024 (a chunk of "4M" is 4194304 bytes: what MPI
 * buffers and file systems count in).  Only whole numbers: "1.5G" would need
 * rounding rules nobody asked for.  The result is checked for overflow at
 * every step, so "99999999999T" is an error, not a small wrapped number.
 */
#include "mpift_autoconf.h"

#include <ctype.h>
#include <stdint.h>

#include "mpift/mpift.h"
#include "config/config.h"

int mpift_parse_size(const char *s, uint64_t *out)
{
    const char *p = s;
    uint64_t v = 0;
    unsigned shift = 0;
    int overflow = 0;

    if (!s || !out)
        return MPIFT_ERR_CONFIG;
    /* A leading digit is required: "", "-1", "+4", " 4" and "K" are malformed. */
    if (!isdigit((unsigned char)*p))
        return MPIFT_ERR_CONFIG;
    for (; isdigit((unsigned char)*p); p++) {
        unsigned d = (unsigned)(*p - '0');

        /* Keep scanning after an overflow: a malformed string is reported as
         * malformed even when its digits are also too many. */
        if (v > (UINT64_MAX - d) / 10)
            overflow = 1;
        else
            v = v * 10 + d;
    }
    switch (tolower((unsigned char)*p)) {
    case 'k': shift = 10; break;
    case 'm': shift = 20; break;
    case 'g': shift = 30; break;
    case 't': shift = 40; break;
    default: break;
    }
    if (shift)
        p++;
    /* "B" after any number; "iB" only after a multiplier ("4KiB", not "4iB"). */
    if (shift && tolower((unsigned char)p[0]) == 'i' && tolower((unsigned char)p[1]) == 'b')
        p += 2;
    else if (tolower((unsigned char)*p) == 'b')
        p++;
    if (*p != '\0')
        return MPIFT_ERR_CONFIG;
    if (overflow || (shift && v > (UINT64_MAX >> shift)))
        return MPIFT_ERR_RANGE;
    *out = v << shift;
    return MPIFT_OK;
}
