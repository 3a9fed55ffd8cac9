/*
 * batch.c - many small files down a route in one BATCH message (see
 * xfer.h and wire/proto.h): one message instead of METADATA, DATA and
 * COMPLETE per file.  A batch takes one chunk buffer and goes down the tree
 * its sequence number selects, as a chunk would; each file in it is
 * opened, read and hashed as a streamed one is (engine/source.h), and
 * written with the same verified, atomic sink.
 */
#include "mpift_autoconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "util/hash.h"

#include "mpift/mpift.h"
#include "util/log.h"
#include "comm/wait.h"
#include "wire/tags.h"
#include "engine/inject.h"
#include "engine/outcome.h"
#include "engine/route_io.h"
#include "engine/source.h"
#include "engine/xfer.h"

/* Write one file of a batch below tgt: the same verified, atomic sink as
 * a streamed file, fed in one piece.  `received`: not the source's own
 * copy (only those are subject to MPIFT_TEST_CORRUPT). */
static void batch_write(struct mpift_xfer *x, const struct mpift_pfile *f, const struct mpift_batch_entry *e,
                        const struct mpift_target *tgt, int received, struct mpift_outcome *res)
{
    struct mpift_sink sink;
    struct mpift_expect want = { .size = e->size, .sent = e->size, .mtime_sec = e->mtime_sec,
                                 .mtime_nsec = e->mtime_nsec, .mode = e->mode, .cksum = x->cksum,
                                 .digest = e->digest };

    if (!mpift_outcome_open(x, tgt, f->dest, x->rank, NULL, x->cksum, &sink, res))
        return;
    if (received)
        mpift_sink_chunk(&sink, e->data, (size_t)e->size, 0, 1);
    else
        mpift_sink_write(&sink, e->data, (size_t)e->size, 0);
    mpift_outcome_commit(x, &sink, &want, f->preserve, res);
}

/*
 * Put file f (id) into the batch at `at`, with room for `room` bytes of
 * data after its entry header.  Returns the entry written (status
 * SEND_FAILED with res saying why when it could not be read or no longer
 * fits).
 */
static struct mpift_batch_entry batch_put(struct mpift_xfer *x, uint64_t id, const struct mpift_pfile *f,
                                          unsigned char *at, size_t room, struct mpift_outcome *res)
{
    struct mpift_batch_entry e;
    unsigned char *data = at + MPIFT_BATCH_ENTRY;
    struct stat st;
    int fd, en = 0, code = MPIFT_OK;

    mpift_outcome_clear(res);
    memset(&e, 0, sizeof(e));
    e.file_id = id;
    e.status = MPIFT_SEND_FAILED;
    fd = mpift_source_open(x->srcfd, x->srcroot, f->src, &st, &code, res->why, sizeof(res->why));
    if (fd < 0)
        en = errno;   /* the message is in res->why */
    else if ((uint64_t)st.st_size > room)
        en = EFBIG;   /* it grew after the plan: no room left in this batch */
    else if ((en = mpift_read_chunk(fd, data, (size_t)st.st_size, 0)) == 0 || en == MPIFT_SOURCE_SHRANK) {
        /* Read whole, then checked as a streamed file is at its end. */
        if (mpift_source_changed(fd, &st, en, f->src->path, res->why, sizeof(res->why)) ||
            (en == 0 && mpift_source_not_key(f, XXH3_128bits(data, (size_t)st.st_size), res->why, sizeof(res->why))))
            e.status = MPIFT_SEND_CHANGED;
        else
            e.status = MPIFT_SEND_OK;
        en = 0;
    }
    if (e.status == MPIFT_SEND_OK) {
        e.size = (uint64_t)st.st_size;
        e.mtime_sec = st.st_mtim.tv_sec;
        e.mtime_nsec = (uint32_t)st.st_mtim.tv_nsec;
        e.mode = st.st_mode & 07777;
        /* The content's XXH3-64 is the report's; the checksum is made of
         * it (sink.h), so the bytes are hashed once. */
        res->digest = x->hash ? XXH3_64bits(data, (size_t)e.size) : 0;
        e.digest = x->hash ? mpift_digest_one(res->digest, e.size) : 0;
        e.data = data;
    }
    if (fd >= 0)
        close(fd);
    e.err = en;
    mpift_batch_put_entry(at, &e);
    if (e.status == MPIFT_SEND_OK)
        return e;
    res->source_failed = 1;
    if (e.status == MPIFT_SEND_CHANGED)
        res->status = MPIFT_ERR_CHECKSUM;   /* as a copy that did not verify: it may be sent again */
    else if (fd < 0)
        res->status = code;
    else if (en == EFBIG)
        mpift_outcome_set(res, MPIFT_ERR_IO, "%s: grew to %lld bytes while staging; run again to stage it",
                       f->src->path, (long long)st.st_size);
    else
        mpift_outcome_set(res, MPIFT_ERR_IO, "%s: %s", f->src->path, strerror(en));
    return e;
}

int mpift_xfer_batch_source(struct mpift_xfer *x, uint64_t seq, const uint64_t *ids,
                            const struct mpift_pfile *const *f, int n, const struct mpift_route *rt,
                            const struct mpift_target *tgt, struct mpift_outcome *res)
{
    struct mpift_batch_entry e;
    size_t used = MPIFT_BATCH_HDR, cap = (size_t)x->chunk;
    int b = mpift_route_slot(x, 0), k, rc;

    rc = mpift_route_wait_free(x, b, "sending a batch of small files with", f[0]->dest);
    if (rc != MPIFT_OK)
        return rc;
    for (k = 0; k < n; k++) {
        e = batch_put(x, ids[k], f[k], x->buf[b] + used, cap - used - MPIFT_BATCH_ENTRY, &res[k]);
        used += MPIFT_BATCH_ENTRY + (size_t)e.size;
        if (e.status != MPIFT_SEND_OK)
            continue;
        mpift_meter_bytes(x->meter, e.size);
        res[k].wire = e.size;   /* batches travel uncompressed */
        if (tgt)
            batch_write(x, f[k], &e, tgt, 0, &res[k]);
    }
    mpift_batch_seal(x->buf[b], used, (uint32_t)n, x->cksum);
    x->base = (x->base + 1) % (uint64_t)x->window;
    return mpift_route_isend(x, rt, b, (int)used, seq, MPIFT_TAG_BATCH);
}

int mpift_xfer_batch_receive(struct mpift_xfer *x, uint64_t seq, const uint64_t *ids,
                             const struct mpift_pfile *const *f, int n, const struct mpift_route *rt,
                             const struct mpift_target *tgt, struct mpift_outcome *res)
{
    struct mpift_batch_entry *e = NULL;
    struct mpift_wait wt;
    MPI_Status st;
    char why[MPIFT_WHY_MAX];
    uint32_t kind;
    int b = mpift_route_slot(x, 0), k, rc, len, parent = mpift_route_parent(rt, seq);

    rc = mpift_route_wait_free(x, b, "passing on a batch of small files with", f[0]->dest);
    if (rc != MPIFT_OK)
        return rc;
    /* Like a file's header: the parent may be busy with other files first. */
    mpift_wait_start(&wt, x->watch, parent, "waiting for a batch of small files with", f[0]->dest, "from");
    wt.idle = 1;
    while (mpift_inject_silent(x->rank))
        mpift_wait_idle(&wt);
    mpift_wait_end(&wt);
    rc = mpift_wait_recv(&wt, x->buf[b], (int)x->chunk, MPI_BYTE, parent, MPIFT_TAG_BATCH, x->comm, &st);
    if (rc != MPIFT_OK)
        return rc;
    MPI_Get_count(&st, MPI_BYTE, &len);
    e = calloc((size_t)n, sizeof(*e));
    if (!e)
        return MPIFT_ERR_NOMEM;
    rc = mpift_batch_decode(x->buf[b], (size_t)len, ids, (uint32_t)n, e, &kind, why, sizeof(why));
    if (rc == MPIFT_OK && kind != x->cksum) {
        snprintf(why, sizeof(why), "batch sent with checksum kind %u, this rank's is %u: transfer.checksum differs "
                 "between ranks", kind, x->cksum);
        rc = MPIFT_ERR_PROTO;
    }
    if (rc != MPIFT_OK) {
        mpift_log_error("protocol error from rank %d: %s", parent, why);
        goto out;
    }
    /* Pass it on first: the children need not wait for this disk. */
    rc = mpift_route_isend(x, rt, b, len, seq, MPIFT_TAG_BATCH);
    if (rc != MPIFT_OK)
        goto out;
    x->base = (x->base + 1) % (uint64_t)x->window;
    for (k = 0; k < n; k++) {
        mpift_outcome_clear(&res[k]);
        if (!mpift_outcome_sent(&res[k], e[k].status, 0, f[k]->dest))
            continue;
        mpift_meter_bytes(x->meter, e[k].size);
        res[k].wire = e[k].size;
        if (tgt)
            batch_write(x, f[k], &e[k], tgt, 1, &res[k]);
    }
out:
    free(e);
    return rc;
}
