/*
 * fuzz_libs.c - libFuzzer target: the programs' sets of libraries
 * (wire/libset.h).  What decodes has counts that say what its arrays
 * hold, and encodes back to the very same bytes; what does not leaves
 * nothing behind.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mpift/mpift.h"
#include "wire/libset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mpift_libs libs;
    unsigned char *again;
    size_t i, k, len;
    char why[256];

    if (mpift_wlibs_decode(data, size, &libs, why, sizeof(why)) != MPIFT_OK) {
        if (libs.s || libs.n)
            abort();
        return 0;
    }
    for (i = 0; i < libs.n; i++) {
        if (libs.s[i].nlinks % 2 || !*libs.s[i].program || !*libs.s[i].folder)
            abort();
        for (k = 0; k < libs.s[i].nfiles; k++)
            if (!*libs.s[i].files[k])
                abort();
    }
    if (mpift_wlibs_encode(&libs, &again, &len) == MPIFT_OK) {
        if (len != size || memcmp(again, data, size) != 0)
            abort();
        free(again);
    }
    mpift_libs_free(&libs);
    return 0;
}
