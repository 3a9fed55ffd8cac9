/*
 * beat.h - a heartbeat on the wire (comm/watch.c, MPIFT_TAG_SVC_ALIVE).
 *
 * Little-endian, 4 bytes then a list:
 *   u8 kind (enum mpift_beat_kind), u8 nsilent, u16 0,
 *   nsilent x i32 rank
 * Every rank sends rank 0 a BEAT without a list ("still here"), or WORK
 * ("still here, and made progress of its own since the last one": it
 * reads and hashes before a collective), and END once its session ends; rank 0's BEAT names the ranks it has not heard
 * from lately (nsilent MPIFT_SILENT_MANY: more than fit, no list).
 */
#ifndef MPIFT_BEAT_H
#define MPIFT_BEAT_H

#include <stddef.h>
#include <stdint.h>

/* The silent ranks a heartbeat of rank 0 names; more are "many". */
#define MPIFT_SILENT_MAX 7
#define MPIFT_SILENT_MANY 255
#define MPIFT_BEAT_HDR 4
#define MPIFT_BEAT_MAX (MPIFT_BEAT_HDR + 4 * MPIFT_SILENT_MAX)

enum mpift_beat_kind { MPIFT_BEAT_ALIVE = 0, MPIFT_BEAT_END = 1, MPIFT_BEAT_WORK = 2 };

struct mpift_beat {
    uint8_t kind;                   /* mpift_beat_kind */
    int nsilent;                    /* 0..MPIFT_SILENT_MAX, or MPIFT_SILENT_MANY */
    int silent[MPIFT_SILENT_MAX];
};

/* Encode into buf (MPIFT_BEAT_MAX bytes); returns the length. */
int mpift_beat_encode(const struct mpift_beat *b, unsigned char *buf);

/* Validate len bytes as a heartbeat in a job of `size` ranks (a known
 * kind, the padding 0, the list's length exact, each silent rank in
 * 1..size-1).
 * MPIFT_OK or MPIFT_ERR_PROTO. */
int mpift_beat_decode(const unsigned char *buf, size_t len, int size, struct mpift_beat *b);

#endif
