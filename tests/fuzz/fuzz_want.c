/*
 * fuzz_want.c - libFuzzer target: stage-out's want list (wire/want.h)
 * for writers of a few sizes.  What decodes names only the writer's
 * files and encodes back to the very same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mpift/mpift.h"
#include "wire/want.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint64_t nfiles[] = { 0, 3, 1000, UINT64_MAX };
    unsigned char *buf = malloc(size ? size : 1), *again;
    uint64_t *ids, n, k;
    size_t i, len;
    char why[256];

    if (!buf)
        return 0;
    memcpy(buf, data, size);
    for (i = 0; i < sizeof(nfiles) / sizeof(nfiles[0]); i++) {
        if (mpift_want_decode(buf, size, nfiles[i], &ids, &n, why, sizeof(why)) != MPIFT_OK)
            continue;
        for (k = 0; k < n; k++)
            if (ids[k] >= nfiles[i])
                abort();
        if (mpift_want_encode(ids, n, &again, &len) == MPIFT_OK) {
            if (len != size || memcmp(again, buf, size) != 0)
                abort();
            free(again);
        }
        free(ids);
    }
    free(buf);
    return 0;
}
