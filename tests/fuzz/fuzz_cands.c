/*
 * fuzz_cands.c - libFuzzer target: the striping candidates (wire/cands.h)
 * for a plan of a few sizes.  What decodes holds only whole strings and
 * files in order, and encodes back to the very same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mpift/mpift.h"
#include "wire/cands.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint64_t nfiles[] = { 0, 1, 7, 1000000 };
    struct mpift_wcands t;
    unsigned char *buf = malloc(size ? size : 1), *again;
    size_t i, k, len;
    char why[256];

    if (!buf)
        return 0;
    memcpy(buf, data, size);
    for (i = 0; i < sizeof(nfiles) / sizeof(nfiles[0]); i++) {
        if (mpift_wcands_decode(buf, size, nfiles[i], &t, why, sizeof(why)) != MPIFT_OK)
            continue;
        for (k = 0; k < t.n; k++)
            if (t.c[k].file >= nfiles[i] || (k && t.c[k].file <= t.c[k - 1].file))
                abort();
        if (mpift_wcands_encode(t.root, t.c, t.n, &again, &len) == MPIFT_OK) {
            if (len != size || memcmp(again, buf, size) != 0)
                abort();   /* decoded, but not what was sent */
            free(again);
        }
        mpift_wcands_free(&t);
    }
    free(buf);
    return 0;
}
