/*
 * stripe.c - a striped route's own reads, the origin's check of every
 * stripe against its own read, and the readers' reports (see stripe.h).
 * The report is an ERROR-shaped message (wire/proto.h: file id, a status,
 * a text for users) on its own tag, MPIFT_TAG_STRIPE: code 0 when the
 * share was read whole from a file that did not change.  It names why a
 * stripe went wrong; it is not what makes a copy right: the origin's
 * comparison is.
 */
#include "mpift_autoconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "util/log.h"
#include "comm/wait.h"
#include "wire/tags.h"
#include "engine/inject.h"
#include "engine/source.h"
#include "engine/stripe.h"

/* Keep the reader's first failure: status, "HOST: PATH: cause". */
static void failed(struct mpift_xfer_stream *s, int code, const char *cause)
{
    char host[MPIFT_HOST_MAX] = "";

    if (s->stripe_code)
        return;
    if (gethostname(host, sizeof(host) - 1) != 0)
        snprintf(host, sizeof(host), "rank %d", s->x->rank);
    s->stripe_code = code;
    mpift_format(s->stripe_why, sizeof(s->stripe_why), "%s: %s", host, cause);
}

void mpift_stripe_open(struct mpift_xfer_stream *s)
{
    struct mpift_xfer *x = s->x;
    char why[MPIFT_WHY_MAX];
    int code;

    if (!s->f->src) {
        /* stage/source_shared.c gives every reader its path: not given, not read. */
        mpift_format(why, sizeof(why), "%s: no source path on this rank", s->f->dest);
        s->read_err = EINVAL;
        failed(s, MPIFT_ERR_IO, why);
        return;
    }
    if (s->f->src->fd >= 0) {
        /* The open judged at the agreement: a file put at the path since
         * is not the one read. */
        s->fd = s->f->src->fd;
        s->fd_held = 1;
        if (fstat(s->fd, &s->st) != 0) {
            mpift_format(why, sizeof(why), "%s: %s", s->f->src->path, strerror(errno));
            s->read_err = errno ? errno : EIO;
            failed(s, MPIFT_ERR_IO, why);
            return;
        }
    } else {
        s->fd = mpift_source_open(x->srcfd, x->srcroot, s->f->src, &s->st, &code, why, sizeof(why));
    }
    if (s->fd < 0) {
        s->read_err = errno ? errno : EIO;
        failed(s, MPIFT_ERR_IO, why);
    } else if ((uint64_t)s->st.st_size != s->m.size || s->st.st_mtim.tv_sec != s->m.mtime_sec ||
               (uint32_t)s->st.st_mtim.tv_nsec != s->m.mtime_nsec) {
        /* Not the file rank 0 announced (any more): what this rank would
         * read could be another version. */
        if ((uint64_t)s->st.st_size != s->m.size)
            mpift_format(why, sizeof(why), "%s: changed while being staged (%llu bytes here, %llu when rank %d "
                         "opened it)", s->f->src->path, (unsigned long long)s->st.st_size,
                         (unsigned long long)s->m.size, s->rt->origin);
        else
            mpift_format(why, sizeof(why), "%s: changed while being staged (its mtime here is not the one rank %d "
                         "saw)", s->f->src->path, s->rt->origin);
        s->read_err = ESTALE;
        failed(s, MPIFT_ERR_CHECKSUM, why);
    }
}

void mpift_stripe_read(struct mpift_xfer_stream *s, int b, uint64_t i)
{
    struct mpift_xfer *x = s->x;
    int len = (int)(i + 1 == s->m.nchunks ? s->m.last_chunk : s->m.chunk_size);

    if (!s->read_err)
        s->read_err = mpift_read_chunk(s->fd, x->buf[b], (size_t)len, i * s->m.chunk_size);
    else
        memset(x->buf[b], 0, (size_t)len);
    mpift_inject_pause_chunk(x->rank, i);
    x->arrived[b] = len;
}

int mpift_stripe_start(struct mpift_xfer_stream *s, char *why, size_t whylen)
{
    struct mpift_xfer *x = s->x;

    if (x->check || (x->check = malloc(x->chunk)))
        return 0;
    mpift_format(why, whylen, "%s: out of memory for a chunk to check the stripes against: not sent", s->f->src->path);
    return -1;
}

const unsigned char *mpift_stripe_check(struct mpift_xfer_stream *s, int b, int len)
{
    struct mpift_xfer *x = s->x;

    if (!s->read_err)
        s->read_err = mpift_read_chunk(s->fd, x->check, (size_t)len, s->off);
    else
        memset(x->check, 0, (size_t)len);
    if (!s->stripe_diff && memcmp(x->check, x->buf[b], (size_t)len) != 0)
        s->stripe_diff = s->next + 1;
    return x->check;
}

int mpift_stripe_refused(struct mpift_xfer_stream *s, char *why, size_t whylen)
{
    const struct mpift_xfer *x = s->x;
    uint64_t i = s->stripe_diff - 1;
    int t, reader;

    if (s->stripe_diff) {
        /* The first chunk that differs names its reader: it holds another
         * file at this path than the one this rank reads (replaced since
         * it was judged, or a look-alike from the start). */
        t = (int)(i % (uint64_t)s->rt->ntrees);
        reader = t == 0 ? s->rt->origin : s->rt->ring[t - 1];
        mpift_format(why, whylen, "%s: the stripe %s (rank %d) read is not the file rank %d reads (chunk %llu, at byte "
                     "%llu, differs): that node holds another file at this path; no copy was kept",
                     s->f->src->path, x->hosts ? x->hosts[reader] : "the node", reader, x->rank,
                     (unsigned long long)i, (unsigned long long)(i * s->m.chunk_size));
        return 1;
    }
    if (s->stripe_code) {
        mpift_format(why, whylen, "%s; its stripe was not used, no copy was kept", s->stripe_why);
        return 1;
    }
    return 0;
}

int mpift_stripe_report(struct mpift_xfer_stream *s)
{
    struct mpift_error_msg e;
    char why[MPIFT_WHY_MAX];
    int n;

    if (!s->stripe_code && (s->read_err == 0 || s->read_err == MPIFT_SOURCE_SHRANK) &&
        mpift_source_changed(s->fd, &s->st, s->read_err, s->f->src->path, why, sizeof(why)))
        failed(s, MPIFT_ERR_CHECKSUM, why);
    if (!s->stripe_code && s->read_err) {
        mpift_format(why, sizeof(why), "%s: read failed: %s", s->f->src->path, strerror(s->read_err));
        failed(s, MPIFT_ERR_IO, why);
    }
    memset(&e, 0, sizeof(e));
    e.file_id = s->id;
    e.code = s->stripe_code;
    mpift_format(e.text, sizeof(e.text), "%s", s->stripe_why);
    n = mpift_error_encode(&e, s->stripe_msg, sizeof(s->stripe_msg));
    if (n < 0)
        return n;
    return mpift_mpi_status(MPI_Isend(s->stripe_msg, n, MPI_BYTE, s->rt->origin, MPIFT_TAG_STRIPE, s->x->comm,
                                      &s->stripe_req));
}

int mpift_stripe_sent(struct mpift_xfer_stream *s, int *rc)
{
    int flag = 1;

    if (s->stripe_req != MPI_REQUEST_NULL && MPI_Test(&s->stripe_req, &flag, MPI_STATUS_IGNORE) != MPI_SUCCESS)
        *rc = MPIFT_ERR_MPI;
    return flag;
}

/* Take one report that has come (probed: this waits for nothing). */
static int take(struct mpift_xfer_stream *s, const MPI_Status *st)
{
    struct mpift_error_msg e;
    struct mpift_wait wt;
    int len, rc;

    s->from = st->MPI_SOURCE;
    MPI_Get_count(st, MPI_BYTE, &len);
    if (len < 0 || (size_t)len > sizeof(s->stripe_msg)) {
        mpift_wait_start(&wt, s->x->watch, s->from, "receiving a stripe's report from", NULL, NULL);
        mpift_wait_recv(&wt, NULL, 0, MPI_BYTE, s->from, MPIFT_TAG_STRIPE, s->x->comm, MPI_STATUS_IGNORE);
        snprintf(s->why, sizeof(s->why), "a stripe's report of %d bytes", len);
        return MPIFT_ERR_PROTO;
    }
    mpift_wait_start(&wt, s->x->watch, s->from, "receiving a stripe's report from", NULL, NULL);
    wt.idle = 0;
    rc = mpift_wait_recv(&wt, s->stripe_msg, len, MPI_BYTE, s->from, MPIFT_TAG_STRIPE, s->x->comm,
                         MPI_STATUS_IGNORE);
    if (rc != MPIFT_OK)
        return rc;
    rc = mpift_error_decode(s->stripe_msg, (size_t)len, &e, s->why, sizeof(s->why));
    if (rc != MPIFT_OK)
        return rc;
    if (e.file_id != s->id) {
        snprintf(s->why, sizeof(s->why), "a stripe's report of file %llu while %s (file %llu) was sent",
                 (unsigned long long)e.file_id, s->f->dest, (unsigned long long)s->id);
        return MPIFT_ERR_PROTO;
    }
    if (e.code != MPIFT_OK && e.code != MPIFT_ERR_CHECKSUM && e.code != MPIFT_ERR_IO) {
        snprintf(s->why, sizeof(s->why), "a stripe's report of %s with status %d", s->f->dest, (int)e.code);
        return MPIFT_ERR_PROTO;
    }
    if (e.code != MPIFT_OK && !s->stripe_code) {
        s->stripe_code = e.code;
        mpift_format(s->stripe_why, sizeof(s->stripe_why), "%s", e.text);
    }
    s->stripe_heard++;
    return MPIFT_OK;
}

int mpift_stripe_heard(struct mpift_xfer_stream *s, int *rc)
{
    MPI_Status st;
    int flag;

    while (s->stripe_heard < s->rt->nreaders) {
        if (MPI_Iprobe(MPI_ANY_SOURCE, MPIFT_TAG_STRIPE, s->x->comm, &flag, &st) != MPI_SUCCESS) {
            *rc = MPIFT_ERR_MPI;
            return 0;
        }
        if (!flag)
            return 0;
        *rc = take(s, &st);
        if (*rc != MPIFT_OK)
            return 0;
    }
    return 1;
}
