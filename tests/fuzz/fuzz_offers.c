/*
 * fuzz_offers.c - libFuzzer target: a writer's offers (wire/offers.h)
 * against plans of a few shapes.  What decodes names only files and
 * chunks of the plan, in order, and encodes back to the very same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mpift/mpift.h"
#include "wire/offers.h"

static void check(const unsigned char *buf, size_t size, uint64_t nfiles, const uint64_t *nchunks)
{
    struct mpift_offers_buf ob;
    struct mpift_offer *o;
    unsigned char *have;
    uint64_t *hash, h;
    uint32_t n, e, j, c;
    char why[256];

    if (mpift_offers_decode(buf, size, nfiles, nchunks, &o, &n, why, sizeof(why)) != MPIFT_OK)
        return;
    memset(&ob, 0, sizeof(ob));
    for (e = 0; e < n; e++) {
        if (o[e].file >= nfiles || o[e].nchunks != nchunks[o[e].file] || (e && o[e].file <= o[e - 1].file))
            abort();
        have = calloc(o[e].nchunks / 8 + 1, 1);
        hash = calloc(o[e].nchunks + 1, sizeof(*hash));
        if (!have || !hash)
            abort();
        for (j = 0; j < o[e].nheld; j++) {
            mpift_offer_item(&o[e], j, &c, &h);
            if (c >= o[e].nchunks)
                abort();
            have[c >> 3] |= (unsigned char)(1u << (c & 7));
            hash[c] = h;
        }
        mpift_offers_add(&ob, o[e].file, o[e].kind, o[e].nchunks, have, hash);
        free(have);
        free(hash);
    }
    if (mpift_offers_finish(&ob) == MPIFT_OK && (ob.len != size || memcmp(ob.p, buf, size) != 0))
        abort();
    free(ob.p);
    free(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint64_t none[] = { 0 }, three[] = { 4, 0, 64 }, big[] = { 100000, 1, 2, 3 };
    unsigned char *buf = malloc(size ? size : 1);

    if (!buf)
        return 0;
    memcpy(buf, data, size);
    check(buf, size, 0, none);
    check(buf, size, 3, three);
    check(buf, size, 4, big);
    free(buf);
    return 0;
}
