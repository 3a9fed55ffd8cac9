/*
 * cursor.h - the one way bytes that cross a rank boundary are written and
 * read: little-endian fields through a cursor that knows where its buffer
 * ends.
 *
 * A writer past its end, or a reader past the message's, writes or reads
 * nothing more and sets its sticky `err`, so an encoder or decoder makes
 * its calls in a row and checks once at the end (mpift_wcur_status,
 * mpift_rcur_status).  A reader that failed returns 0 (or NULL) from every
 * later call, never a byte outside the buffer.
 *
 * A writer on a NULL buffer only counts: encoders run once that way to
 * size a message, then again to write it, with the same calls.
 */
#ifndef MPIFT_CURSOR_H
#define MPIFT_CURSOR_H

#include <stddef.h>
#include <stdint.h>

struct mpift_wcur {
    unsigned char *p;   /* NULL: count only */
    size_t len, at;
    int err;            /* sticky: something did not fit */
};

struct mpift_rcur {
    const unsigned char *p;
    size_t len, at;
    int err;            /* sticky: a read ran past the end */
};

void mpift_wcur_init(struct mpift_wcur *w, unsigned char *buf, size_t len);
void mpift_wput_u8(struct mpift_wcur *w, uint8_t v);
void mpift_wput_u16(struct mpift_wcur *w, uint16_t v);
void mpift_wput_u32(struct mpift_wcur *w, uint32_t v);
void mpift_wput_u64(struct mpift_wcur *w, uint64_t v);
void mpift_wput_bytes(struct mpift_wcur *w, const void *v, size_t n);
/* A u32 length n, then the n bytes of s (a NUL among them only if the
 * caller counts it in n). */
void mpift_wput_str(struct mpift_wcur *w, const char *s, size_t n);
/* MPIFT_OK, or MPIFT_ERR_RANGE when a put did not fit. */
int mpift_wcur_status(const struct mpift_wcur *w);

void mpift_rcur_init(struct mpift_rcur *r, const unsigned char *buf, size_t len);
uint8_t mpift_wget_u8(struct mpift_rcur *r);
uint16_t mpift_wget_u16(struct mpift_rcur *r);
uint32_t mpift_wget_u32(struct mpift_rcur *r);
uint64_t mpift_wget_u64(struct mpift_rcur *r);
/* n bytes in the message (a pointer into it), or NULL past its end. */
const unsigned char *mpift_wget_bytes(struct mpift_rcur *r, size_t n);
/* A u32 length (*n) of at most max, and that many bytes, as
 * mpift_wput_str wrote them; NULL (and err) when the length is over max
 * or runs past the end. */
const unsigned char *mpift_wget_str(struct mpift_rcur *r, size_t max, size_t *n);
/* Bytes not yet read (0 once failed). */
size_t mpift_rcur_left(const struct mpift_rcur *r);
/* MPIFT_OK, or MPIFT_ERR_PROTO when a get ran past the end. */
int mpift_rcur_status(const struct mpift_rcur *r);

#endif
