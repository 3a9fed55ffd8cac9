/*
 * fuzz_proto.c - libFuzzer target: every decoder of a received message
 * (METADATA, METADATA with its HOLES, COMPLETE, ERROR, BATCH, and the service's requests and
 * replies) on arbitrary bytes.  They must reject what does not validate
 * and never read outside the buffer.
 */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mpift/mpift.h"
#include "wire/proto.h"
#include "wire/request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint64_t ids[8] = { 0, 1, 2, 3, 4, 5, 6, 7 };
    struct mpift_meta m;
    static struct mpift_holes h;
    struct mpift_complete c;
    struct mpift_error_msg e;
    struct mpift_batch_entry be[8];
    struct mpift_req rq;
    const char *text;
    uint32_t kind, count;
    int status, ranks, len = (int)(size > INT_MAX ? INT_MAX : size);   /* the service decoders take an int */
    char err[256];
    /* An exact-size copy, so ASan sees any read past the message. */
    unsigned char *buf = malloc(size ? size : 1);

    if (!buf)
        return 0;
    memcpy(buf, data, size);
    (void)mpift_meta_decode(buf, size, &m, err, sizeof(err));
    if (mpift_head_decode(buf, size, &m, &h, err, sizeof(err)) == MPIFT_OK &&
        (h.n != m.nholes || mpift_holes_chunks(&h, m.chunk_size) > m.nchunks))
        abort();   /* accepted extents that do not fit the file */
    (void)mpift_complete_decode(buf, size, &c, err, sizeof(err));
    (void)mpift_error_decode(buf, size, &e, err, sizeof(err));
    for (count = 0; count <= 8; count++)
        if (mpift_batch_decode(buf, size, ids, count, be, &kind, err, sizeof(err)) == MPIFT_OK)
            for (uint32_t k = 0; k < count; k++)
                if (be[k].data && be[k].size)   /* touch every byte it claims */
                    (void)((volatile const unsigned char *)be[k].data)[be[k].size - 1];
    for (ranks = 1; ranks <= 64; ranks *= 4)
        if (mpift_req_decode(buf, len, ranks, &rq, err, sizeof(err)) == MPIFT_OK &&
            (strlen(rq.name) >= sizeof(rq.name) || rq.op < MPIFT_REQ_RECV || rq.op > MPIFT_REQ_OP_MAX || rq.peer < 0 ||
             rq.peer >= ranks))
            abort();   /* accepted what it promises to refuse */
    if (mpift_reply_decode(buf, len, &status, &text) == MPIFT_OK)
        (void)strlen(text);   /* NUL-terminated within the message */
    free(buf);
    return 0;
}
