/*
 * beat.c - a heartbeat's bytes (see beat.h).
 */
#include "mpift/mpift.h"
#include "wire/beat.h"
#include "wire/cursor.h"

int mpift_beat_encode(const struct mpift_beat *b, unsigned char *buf)
{
    struct mpift_wcur w;
    int i, n = b->nsilent == MPIFT_SILENT_MANY ? 0 : b->nsilent;

    mpift_wcur_init(&w, buf, MPIFT_BEAT_MAX);
    mpift_wput_u8(&w, b->kind);
    mpift_wput_u8(&w, (uint8_t)b->nsilent);
    mpift_wput_u16(&w, 0);
    for (i = 0; i < n && i < MPIFT_SILENT_MAX; i++)
        mpift_wput_u32(&w, (uint32_t)b->silent[i]);
    return (int)w.at;
}

int mpift_beat_decode(const unsigned char *buf, size_t len, int size, struct mpift_beat *b)
{
    struct mpift_rcur r;
    int i, n;

    mpift_rcur_init(&r, buf, len);
    b->kind = mpift_wget_u8(&r);
    b->nsilent = n = mpift_wget_u8(&r);
    if (mpift_wget_u16(&r) != 0 || mpift_rcur_status(&r) != MPIFT_OK || b->kind > MPIFT_BEAT_WORK)
        return MPIFT_ERR_PROTO;
    if (n == MPIFT_SILENT_MANY)
        n = 0;
    else if (n > MPIFT_SILENT_MAX)
        return MPIFT_ERR_PROTO;
    if (mpift_rcur_left(&r) != 4 * (size_t)n)
        return MPIFT_ERR_PROTO;
    for (i = 0; i < n; i++) {
        b->silent[i] = (int32_t)mpift_wget_u32(&r);
        if (b->silent[i] < 1 || b->silent[i] >= size)
            return MPIFT_ERR_PROTO;
    }
    return MPIFT_OK;
}
