/*
 * fuzz_plan.c - libFuzzer target: a plan's bytes (wire/planrec.h), as
 * every rank decodes rank 0's plan and rank 0 a stage-out writer's list.
 * What decodes must encode back to the very same bytes, and no read may
 * leave the message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mpift/mpift.h"
#include "wire/cursor.h"
#include "wire/planrec.h"

/* Targets are checked against a job's size: any will do. */
#define FUZZ_JOB_SIZE 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mpift_wplan_hdr h;
    struct mpift_wplan_rec rec;
    struct mpift_rcur r;
    struct mpift_wcur w;
    unsigned char *buf = malloc(size ? size : 1), *again = malloc(size ? size : 1);
    char why[256];
    uint64_t k;
    int ok;

    if (!buf || !again)
        goto out;
    memcpy(buf, data, size);   /* an exact-size copy: ASan sees any read past it */
    mpift_rcur_init(&r, buf, size);
    mpift_wcur_init(&w, again, size);
    ok = mpift_wplan_get_hdr(&r, &h, why, sizeof(why)) == MPIFT_OK;
    if (ok)
        mpift_wplan_put_hdr(&w, &h);
    for (k = 0; ok && k < h.count; k++) {
        ok = mpift_wplan_get_rec(&r, k, FUZZ_JOB_SIZE, &rec, why, sizeof(why)) == MPIFT_OK;
        if (ok && memchr(rec.dest, '\0', rec.dest_len))
            abort();   /* promised to refuse */
        if (ok)
            mpift_wplan_put_rec(&w, &rec);
    }
    if (ok && mpift_rcur_left(&r) == 0 && (mpift_wcur_status(&w) != MPIFT_OK || w.at != size ||
                                           memcmp(buf, again, size) != 0))
        abort();   /* decoded, but not what was sent */
out:
    free(buf);
    free(again);
    return 0;
}
