/*
 * holes.c - a stream's hole extents (see holes.h): how many DATA messages
 * a file with extents sends, how long each is, and the extents passed in
 * file order, between them, on the source and every rank below it.
 */
#include "mpift_autoconf.h"

#include "engine/holes.h"
#include "engine/sink.h"

/* The length of DATA message k: a whole chunk, but for the file's last
 * chunk when that is not in a hole extent. */
int mpift_holes_msg_len(const struct mpift_xfer_stream *s, uint64_t k)
{
    const struct mpift_holes *h = &s->holes;
    int tail_hole = h->n > 0 && h->e[h->n - 1].off + h->e[h->n - 1].len == s->m.size;

    return (int)(k + 1 == s->nmsg && !tail_hole ? s->m.last_chunk : s->m.chunk_size);
}

/* The file's chunking is known (METADATA and its extents): how many DATA
 * messages come. */
void mpift_holes_count(struct mpift_xfer_stream *s)
{
    s->hx = 0;
    s->nmsg = s->m.nchunks - mpift_holes_chunks(&s->holes, s->m.chunk_size);
}

void mpift_holes_whole(struct mpift_xfer_stream *s, const unsigned char *data, uint64_t len)
{
    static const unsigned char zeros[64 << 10];
    struct mpift_xfer *x = s->x;
    int whole = x->whole_wanted && x->whole, key = s->f && s->f->keyed && x->keyhash;
    size_t n;

    if (!s->source || (!whole && !key))
        return;
    /* 16 GiB of zeros: about a second, on the source alone (the key's
     * digest is of the whole content too, holes included).  The report's
     * is of the content, not of the chunks' hashes (sink.h): with a
     * report, the source hashes each chunk twice. */
    for (; len > 0; len -= n, data = data ? data + n : NULL) {
        n = data ? (size_t)len : len < sizeof(zeros) ? (size_t)len : sizeof(zeros);
        if (whole)
            XXH3_64bits_update(x->whole, data ? data : zeros, n);
        if (key)
            XXH3_128bits_update(x->keyhash, data ? data : zeros, n);
    }
}

/* Pass the hole extents that start where the stream stands (s->off): in
 * the checksum (sink.h, mpift_hash_hole) and the copy, each at once. */
void mpift_holes_pass(struct mpift_xfer_stream *s)
{
    const struct mpift_hole *e;

    while (s->hx < s->holes.n && s->holes.e[s->hx].off == s->off) {
        e = &s->holes.e[s->hx++];
        if (s->source && s->x->hash)
            mpift_hash_hole(s->x->hash, e->off, e->len);
        mpift_holes_whole(s, NULL, e->len);
        if (s->have_sink)
            mpift_sink_extent(&s->sink, e->off, e->len);
        mpift_meter_bytes(s->x->meter, e->len);
        s->res->holes += e->len;
        s->off += e->len;
    }
}
