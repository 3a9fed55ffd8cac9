/* outcome.c - a file's outcome and its copy on one rank (see outcome.h). */
#include "mpift_autoconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "mpift/mpift.h"
#include "engine/outcome.h"

void mpift_outcome_set(struct mpift_outcome *res, int status, const char *fmt, ...)
{
    va_list ap;

    res->status = status;
    va_start(ap, fmt);
    vsnprintf(res->why, sizeof(res->why), fmt, ap);
    va_end(ap);
}

int mpift_outcome_sent(struct mpift_outcome *res, uint32_t status, int striped, const char *dest)
{
    if (status == MPIFT_SEND_OK)
        return 1;
    res->source_failed = 1;
    if (status == MPIFT_SEND_CHANGED) {
        mpift_outcome_set(res, MPIFT_ERR_CHECKSUM, "%s: the source changed while it was sent", dest);
    } else if (status == MPIFT_SEND_STRIPE && striped) {
        /* The origin names the stripe and may send the file again, not striped. */
        mpift_outcome_set(res, MPIFT_ERR_CHECKSUM, "%s: a stripe was not the source's", dest);
        res->stripe_failed = 1;
    } else {
        mpift_outcome_set(res, MPIFT_ERR_IO, "%s: the source could not be read", dest);
    }
    return 0;
}

int mpift_outcome_open(struct mpift_xfer *x, const struct mpift_target *tgt, const char *dest, int rank,
                       const struct mpift_meta *m, enum mpift_wire_cksum kind, struct mpift_sink *sink,
                       struct mpift_outcome *res)
{
    struct mpift_base_of of;
    int rc;

    if (x->resumable && m && m->size >= MPIFT_BASE_MIN) {
        of = (struct mpift_base_of){ m->size, m->mtime_sec, m->mtime_nsec, m->chunk_size };
        rc = mpift_sink_open_base(sink, tgt->rootfd, tgt->root, dest, rank, kind, &of, x->hold,
                                  x->resumable == MPIFT_COPY_RESUMABLE, res->why, sizeof(res->why));
    } else {
        rc = mpift_sink_open(sink, tgt->rootfd, tgt->root, dest, rank, kind, res->why, sizeof(res->why));
    }
    if (rc == MPIFT_OK)
        return 1;
    res->status = MPIFT_ERR_IO;
    return 0;
}

void mpift_outcome_commit(struct mpift_xfer *x, struct mpift_sink *sink, const struct mpift_expect *e, bool preserve,
                          struct mpift_outcome *res)
{
    uint64_t resumed = sink->resumed, delta_saved = sink->delta_saved;

    /* A keyed copy over a base is held to its key too (the commit's last check). */
    res->status = mpift_sink_commit(sink, e, preserve, x->fsync, res->why, sizeof(res->why));
    free(x->kept);
    x->kept = sink->kept;   /* NULL unless a large copy was committed */
    x->kept_n = sink->kept_n;
    sink->kept = NULL;
    /* What a base spared is counted where a copy that holds took it: a
     * KEEP frame rank 0 sent to a copy later dropped spared nothing. */
    if (res->status == MPIFT_OK) {
        res->bytes = e->size;
        res->resumed = resumed;
        res->delta_saved = delta_saved;
        res->committed = sink->committed;
    }
}
