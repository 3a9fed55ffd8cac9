/*
 * json.c - the JSON writer of --report files (see json.h).
 */
#include "mpift_autoconf.h"

#include <inttypes.h>
#include <math.h>   /* isfinite */
#include <stdio.h>
#include <string.h>

#include "mpift/mpift.h"
#include "util/log.h"
#include "util/json.h"
#include "util/tmpname.h"

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is not one. */
static int utf8_len(const unsigned char *s)
{
    int n, i;
    uint32_t c;

    if (s[0] < 0x80)
        return 1;
    if ((s[0] & 0xe0) == 0xc0)
        n = 2, c = s[0] & 0x1f;
    else if ((s[0] & 0xf0) == 0xe0)
        n = 3, c = s[0] & 0x0f;
    else if ((s[0] & 0xf8) == 0xf0)
        n = 4, c = s[0] & 0x07;
    else
        return 0;
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    /* Overlong forms, surrogates and values past U+10FFFF are not UTF-8. */
    if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) || (n == 4 && c < 0x10000) || c > 0x10ffff ||
        (c >= 0xd800 && c <= 0xdfff))
        return 0;
    return n;
}

void mpift_json_str(FILE *f, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    int n;

    fputc('"', f);
    while (*s) {
        if (*s == '"' || *s == '\\') {
            fputc('\\', f);
            fputc(*s++, f);
        } else if (*s == '\n') {
            fputs("\\n", f);
            s++;
        } else if (*s == '\t') {
            fputs("\\t", f);
            s++;
        } else if (*s < 0x20 || *s == 0x7f) {
            fprintf(f, "\\u%04x", *s++);
        } else if ((n = utf8_len(s)) > 0) {
            fwrite(s, 1, (size_t)n, f);
            s += n;
        } else {
            /* A byte that is not part of valid UTF-8 (a name is bytes):
             * U+DC80..U+DCFF, the low surrogate that stands for it in
             * Python's surrogateescape.  No character is written so (a
             * surrogate is not UTF-8), so two names stay two, and
             * os.fsencode(json.loads(...)) gives the exact bytes back. */
            fprintf(f, "\\udc%02x", *s++);
        }
    }
    fputc('"', f);
}

void mpift_json_fixed(FILE *f, double v, int places)
{
    uint64_t scale = 1, n;
    double a;
    int i;

    if (places < 0)
        places = 0;
    if (places > 9)
        places = 9;
    for (i = 0; i < places; i++)
        scale *= 10;
    /* Past 2^63 / 10^9 the integer would overflow: no count or time here
     * comes near it, but the output must stay a number. */
    if (!isfinite(v))
        v = 0;
    a = v < 0 ? -v : v;
    if (a >= 9e9)
        a = 9e9;
    n = (uint64_t)(a * (double)scale + 0.5);
    if (v < 0 && n)
        fputc('-', f);
    fprintf(f, "%" PRIu64, n / scale);
    if (places)
        fprintf(f, ".%0*" PRIu64, places, n % scale);
}
