/*
 * fuzz_beat.c - libFuzzer target: a heartbeat (wire/beat.h) in jobs of a
 * few sizes.  What decodes names only ranks of the job and encodes back
 * to the very same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mpift/mpift.h"
#include "wire/beat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int sizes[] = { 1, 2, 8, 1 << 20 };
    unsigned char *buf = malloc(size ? size : 1), again[MPIFT_BEAT_MAX];
    struct mpift_beat b;
    size_t i;
    int k, n;

    if (!buf)
        return 0;
    memcpy(buf, data, size);
    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        if (mpift_beat_decode(buf, size, sizes[i], &b) != MPIFT_OK)
            continue;
        n = b.nsilent == MPIFT_SILENT_MANY ? 0 : b.nsilent;
        for (k = 0; k < n; k++)
            if (b.silent[k] < 1 || b.silent[k] >= sizes[i])
                abort();
        if ((size_t)mpift_beat_encode(&b, again) != size || memcmp(again, buf, size) != 0)
            abort();
    }
    free(buf);
    return 0;
}
