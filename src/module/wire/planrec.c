/*
 * planrec.c - a plan's header and records on the wire (see planrec.h).
 */
#include <stdio.h>
#include <string.h>

#include "mpift/mpift.h"
#include "wire/cursor.h"
#include "wire/planrec.h"

/* The flags byte after the name: bit 0 keyed (the byte was 0 or 1 alone
 * before), bit 1 sparse. */
#define FLAG_SPARSE 2

void mpift_wplan_put_hdr(struct mpift_wcur *w, const struct mpift_wplan_hdr *h)
{
    mpift_wput_u64(w, h->count);
    mpift_wput_u64(w, h->nfiles);
    mpift_wput_u64(w, h->bytes);
    mpift_wput_u64(w, h->nerrors);
    mpift_wput_u64(w, h->nunread);
}

void mpift_wplan_put_rec(struct mpift_wcur *w, const struct mpift_wplan_rec *rec)
{
    mpift_wput_u8(w, rec->type);
    mpift_wput_u8(w, rec->preserve);
    mpift_wput_u8(w, rec->extract);
    mpift_wput_u32(w, (uint32_t)rec->target);
    mpift_wput_u64(w, rec->size);
    mpift_wput_u64(w, (uint64_t)rec->mtime_sec);
    mpift_wput_u32(w, rec->mtime_nsec);
    mpift_wput_u32(w, rec->mode);
    mpift_wput_str(w, rec->dest, rec->dest_len);
    mpift_wput_u8(w, (uint8_t)(rec->keyed | (rec->sparse ? FLAG_SPARSE : 0)));
    if (rec->keyed)
        mpift_wput_bytes(w, rec->key, sizeof(rec->key));
    if (rec->sparse)
        mpift_wput_u64(w, rec->alloc);
}

int mpift_wplan_get_hdr(struct mpift_rcur *r, struct mpift_wplan_hdr *h, char *why, size_t whylen)
{
    h->count = mpift_wget_u64(r);
    h->nfiles = mpift_wget_u64(r);
    h->bytes = mpift_wget_u64(r);
    h->nerrors = mpift_wget_u64(r);
    h->nunread = mpift_wget_u64(r);
    if (mpift_rcur_status(r) != MPIFT_OK) {
        snprintf(why, whylen, "a list of files shorter than its header");
        return MPIFT_ERR_PROTO;
    }
    /* Checked before anyone allocates count records. */
    if (h->count > mpift_rcur_left(r) / MPIFT_WPLAN_REC_FIXED || h->nfiles > h->count) {
        snprintf(why, whylen, "a list of %llu entries (%llu files) in %zu bytes", (unsigned long long)h->count,
                 (unsigned long long)h->nfiles, mpift_rcur_left(r));
        return MPIFT_ERR_PROTO;
    }
    return MPIFT_OK;
}

int mpift_wplan_get_rec(struct mpift_rcur *r, uint64_t k, int size, struct mpift_wplan_rec *rec, char *why,
                        size_t whylen)
{
    rec->type = mpift_wget_u8(r);
    rec->preserve = mpift_wget_u8(r);
    rec->extract = mpift_wget_u8(r);
    rec->target = (int32_t)mpift_wget_u32(r);
    rec->size = mpift_wget_u64(r);
    rec->mtime_sec = (int64_t)mpift_wget_u64(r);
    rec->mtime_nsec = mpift_wget_u32(r);
    rec->mode = mpift_wget_u32(r);
    rec->dest = (const char *)mpift_wget_str(r, SIZE_MAX, &rec->dest_len);
    rec->keyed = mpift_wget_u8(r);
    rec->sparse = (rec->keyed & FLAG_SPARSE) != 0 && rec->keyed <= (1 | FLAG_SPARSE);
    if (rec->sparse)
        rec->keyed &= 1;
    if (rec->keyed == 1) {
        const unsigned char *key = mpift_wget_bytes(r, sizeof(rec->key));
        if (key)
            memcpy(rec->key, key, sizeof(rec->key));
    } else {
        memset(rec->key, 0, sizeof(rec->key));
    }
    rec->alloc = rec->sparse ? mpift_wget_u64(r) : rec->size;
    if (mpift_rcur_status(r) != MPIFT_OK) {
        snprintf(why, whylen, "entry %llu of the list of files runs past its end", (unsigned long long)k);
        return MPIFT_ERR_PROTO;
    }
    if (memchr(rec->dest, '\0', rec->dest_len)) {
        snprintf(why, whylen, "entry %llu of the list of files has a NUL in its name", (unsigned long long)k);
        return MPIFT_ERR_PROTO;
    }
    /* The fields as the META and batch decoders check theirs: a writer's
     * list is another rank's word, and rank 0 indexes and writes by it. */
    if (rec->type >= MPIFT_WPLAN_TYPES || rec->preserve > 1 || rec->extract > 1 || rec->mode > 07777 ||
        rec->mtime_nsec >= 1000000000u || rec->target < -1 || rec->target >= size || rec->keyed > 1 ||
        ((rec->keyed || rec->sparse) && rec->type != 0) || rec->alloc > rec->size) {
        snprintf(why, whylen,
                 "entry %llu of the list of files is out of range (type %u, preserve %u, extract %u, mode %#o, "
                 "mtime nanoseconds %u, rank %d of %d, keyed %u, sparse %u, %llu of %llu bytes allocated)",
                 (unsigned long long)k, rec->type, rec->preserve, rec->extract, rec->mode, rec->mtime_nsec,
                 (int)rec->target, size, rec->keyed, rec->sparse, (unsigned long long)rec->alloc,
                 (unsigned long long)rec->size);
        return MPIFT_ERR_PROTO;
    }
    return MPIFT_OK;
}
