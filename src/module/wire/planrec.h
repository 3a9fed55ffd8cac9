/*
 * planrec.h - a plan on the wire: rank 0's plan to every rank
 * (stage/plan.c's mpift_plan_bcast) and a stage-out writer's list of
 * files to rank 0 (mpift_plan_send/recv, MPIFT_TAG_SVC_LIST).
 *
 * Little-endian:
 *   header  u64 count, u64 nfiles, u64 bytes, u64 nerrors, u64 nunread
 *   count records of
 *           u8 type, u8 preserve, u8 extract, i32 target, u64 size, i64 mtime_sec,
 *           u32 mtime_nsec, u32 mode, u32 dest_len, dest (no NUL),
 *           u8 flags (bit 0: keyed, bit 1: sparse), when keyed the 16
 *           bytes of the content key, when sparse u64 alloc
 * and nothing after the last.  Flags were a keyed byte of 0 or 1 before
 * sparse: a plan of a file with holes is refused by a build without it
 * ("out of range ... keyed 2"), never misread; a plan without one is
 * the same bytes as before.  The records are neutral of
 * engine/file.h's struct mpift_pfile: stage/plan.c converts.
 */
#ifndef MPIFT_PLANREC_H
#define MPIFT_PLANREC_H

#include <stddef.h>
#include <stdint.h>

#include "wire/cursor.h"

#define MPIFT_WPLAN_HDR 40
#define MPIFT_WPLAN_REC_FIXED 36   /* an unkeyed record with an empty name */
#define MPIFT_WPLAN_KEY 16
/* How many record types there are: engine/file.h's enum mpift_ptype
 * (stage/plan.c asserts they agree). */
#define MPIFT_WPLAN_TYPES 2

/* A plan's size and its account (nerrors, nunread: what its maker could
 * not plan; see stage/plan.h). */
struct mpift_wplan_hdr {
    uint64_t count, nfiles, bytes, nerrors, nunread;
};

struct mpift_wplan_rec {
    uint8_t type, preserve;
    int32_t target;
    uint64_t size;
    int64_t mtime_sec;
    uint32_t mtime_nsec, mode;
    const char *dest;       /* decode: into the message, not NUL-terminated */
    size_t dest_len;
    uint8_t extract;        /* an archive unpacked on arrival (stage/extract.h) */
    uint8_t keyed;          /* 1: key is the content's (engine/file.h); only a file has one */
    uint8_t key[MPIFT_WPLAN_KEY];
    uint8_t sparse;         /* 1: a copy allocates at most alloc (<= size) bytes; only a file */
    uint64_t alloc;
};

void mpift_wplan_put_hdr(struct mpift_wcur *w, const struct mpift_wplan_hdr *h);
void mpift_wplan_put_rec(struct mpift_wcur *w, const struct mpift_wplan_rec *rec);

/* The header; MPIFT_ERR_PROTO (why says what) when it is cut short or
 * claims more records than the bytes left could hold. */
int mpift_wplan_get_hdr(struct mpift_rcur *r, struct mpift_wplan_hdr *h, char *why, size_t whylen);

/* The next record (k: its index, for why) of a job of `size` ranks;
 * MPIFT_ERR_PROTO when it runs past the end, its name holds a NUL, or a
 * field is out of range: type, preserve (0 or 1), mode (> 07777),
 * mtime_nsec (>= 1e9), target (not -1 .. size-1), flags (keyed and
 * sparse only, both 0 for a folder), alloc (> size).  After the last,
 * mpift_rcur_left() must be 0. */
int mpift_wplan_get_rec(struct mpift_rcur *r, uint64_t k, int size, struct mpift_wplan_rec *rec, char *why,
                        size_t whylen);

#endif
