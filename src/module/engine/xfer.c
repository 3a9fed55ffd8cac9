/*
 * xfer.c - one file down a route (see xfer.h).
 *
 * A route may spread a file's chunks over several trees (chunk i down tree
 * i % ntrees), so that every relay forwards only its share: headers always
 * travel down tree 0, which reaches every rank of the route.
 *
 * Up to `window` chunks are in flight per stream: the receiver pre-posts
 * receives for the next chunks, and forwards each chunk (MPI_Issend) before
 * writing it, so a relay passes data on before it spends time on its disk.
 * Chunks of one stream all carry the DATA tag from one parent, and MPI keeps
 * messages between a pair in order, so chunk i lands in the i-th receive.
 */
#include "mpift_autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "mpift/mpift.h"
#include "util/faults.h"
#include "util/log.h"
#include "wire/proto.h"
#include "engine/sink.h"
#include "engine/xfer.h"

#define HDR_MAX MPIFT_META_WIRE_MAX

/*
 * Fault injection for the test suite: MPIFT_TEST_CORRUPT=N makes each
 * receiving rank flip the first byte of the first N non-empty files it
 * writes, as a bad link or bad memory would, so the tests can show that
 * verification catches it and a re-send repairs it.  Unset, it costs one
 * getenv per run.
 */
static int corrupt_left = -1;

static int take_corruption(void)
{
    const char *env;

    if (corrupt_left < 0) {
        env = mpift_fault_env("MPIFT_TEST_CORRUPT");
        corrupt_left = env ? atoi(env) : 0;
        if (corrupt_left < 0)
            corrupt_left = 0;
    }
    if (corrupt_left == 0)
        return 0;
    corrupt_left--;
    return 1;
}

void mpift_xfer_write(struct mpift_sink *sink, const unsigned char *buf, size_t len, uint64_t off, int first)
{
    if (first && len > 0 && take_corruption()) {
        /* The buffer may still be in flight to a child: alter a copy. */
        unsigned char bad = (unsigned char)(buf[0] ^ 0xff);
        mpift_sink_write(sink, &bad, 1, off);
        mpift_sink_write(sink, buf + 1, len - 1, off + 1);
        return;
    }
    mpift_sink_write(sink, buf, len, off);
}

/*
 * Fault injection for the test suite: MPIFT_TEST_KILL=RANK:CHUNKS makes
 * rank RANK kill itself (SIGKILL, no clean-up) once it has written CHUNKS
 * received chunks, as a node that dies mid-transfer would.
 */
static void maybe_die(int rank)
{
    static long long left = -2;

    if (left == -2)
        left = mpift_fault_budget("MPIFT_TEST_KILL", rank);
    if (left >= 0 && left-- == 0)
        raise(SIGKILL);
}

/*
 * Fault injection for the test suite: MPIFT_TEST_BAD_HEADER=RANK makes
 * rank RANK send (or pass on) every METADATA header with protocol version
 * 7, as a rank running another mpift would; its children must refuse it.
 */
static void maybe_damage(struct mpift_xfer *x)
{
    static int who = -2;
    const char *env;

    if (who == -2) {
        env = mpift_fault_env("MPIFT_TEST_BAD_HEADER");
        who = env ? atoi(env) : -1;
    }
    if (who == x->rank)
        x->hdr[4] = 7;   /* the version field (proto.h) */
}

int mpift_xfer_init(struct mpift_xfer *x, MPI_Comm comm, const struct mpift_config *cfg, int maxchildren)
{
    int i;

    memset(x, 0, sizeof(*x));
    x->comm = comm;
    MPI_Comm_rank(comm, &x->rank);
    x->chunk = cfg->chunk_size;
    x->window = cfg->window;
    x->cksum = cfg->checksum == MPIFT_CKSUM_XXH3;
    x->fsync = cfg->fsync;
    x->maxchildren = maxchildren > 0 ? maxchildren : 1;
    x->buf = calloc((size_t)x->window, sizeof(*x->buf));
    x->rreq = malloc((size_t)x->window * sizeof(*x->rreq));
    x->sreq = malloc((size_t)x->window * (size_t)x->maxchildren * sizeof(*x->sreq));
    x->hdr = malloc(HDR_MAX);
    x->arrived = malloc((size_t)x->window * sizeof(*x->arrived));
    if (!x->buf || !x->rreq || !x->sreq || !x->hdr || !x->arrived)
        goto nomem;
    for (i = 0; i < x->window; i++) {
        x->rreq[i] = MPI_REQUEST_NULL;
        if (!(x->buf[i] = malloc(x->chunk)))
            goto nomem;
    }
    for (i = 0; i < x->window * x->maxchildren; i++)
        x->sreq[i] = MPI_REQUEST_NULL;
    return MPIFT_OK;
nomem:
    mpift_xfer_free(x);
    return MPIFT_ERR_NOMEM;
}

void mpift_xfer_free(struct mpift_xfer *x)
{
    int i;

    if (x->buf)
        for (i = 0; i < x->window; i++)
            free(x->buf[i]);
    free(x->buf);
    free(x->rreq);
    free(x->sreq);
    free(x->hdr);
    free(x->arrived);
    memset(x, 0, sizeof(*x));
}

static int mpi_ok(int rc)
{
    return rc == MPI_SUCCESS ? MPIFT_OK : MPIFT_ERR_MPI;
}

/* Send the same small message to every child (blocking: headers are tiny). */
static int send_children(const struct mpift_route *rt, const void *buf, int len, int tag, MPI_Comm comm)
{
    int c;
    for (c = 0; c < rt->nchildren; c++)
        if (MPI_Send(buf, len, MPI_BYTE, rt->children[c], tag, comm) != MPI_SUCCESS)
            return MPIFT_ERR_MPI;
    return MPIFT_OK;
}

/* Wait until buffer b's sends to the children are done (unused slots are
 * MPI_REQUEST_NULL, which Waitall takes as done). */
static int wait_sends(struct mpift_xfer *x, int b)
{
    return mpi_ok(MPI_Waitall(x->maxchildren, &x->sreq[b * x->maxchildren], MPI_STATUSES_IGNORE));
}

int mpift_xfer_flush(struct mpift_xfer *x)
{
    int b, rc = MPIFT_OK;
    for (b = 0; b < x->window && rc == MPIFT_OK; b++)
        rc = wait_sends(x, b);
    return rc;
}

/* The buffer of chunk i of the current file: buffers go round across
 * files, so one file's last sends overlap the next file's first chunks. */
static int slot(const struct mpift_xfer *x, uint64_t i)
{
    return (int)((x->base + i) % (uint64_t)x->window);
}

/* The tree chunk i travels down: chunk i % ntrees (tree 0 when one). */
static int tree_of(const struct mpift_route *rt, uint64_t i)
{
    return rt->ntrees > 1 ? (int)(i % (uint64_t)rt->ntrees) : 0;
}

static int chunk_parent(const struct mpift_route *rt, uint64_t i)
{
    int t = tree_of(rt, i);
    return t == 0 ? rt->parent : rt->parents[t];
}

static int chunk_tag(const struct mpift_route *rt, uint64_t i)
{
    int t = tree_of(rt, i);
    return t == 0 ? MPIFT_TAG_DATA : MPIFT_TAG_DATA_TREE + t;
}

/* Post the receive of chunk i into buffer b. */
static int irecv_chunk(struct mpift_xfer *x, const struct mpift_route *rt, int b, uint64_t i)
{
    return mpi_ok(MPI_Irecv(x->buf[b], (int)x->chunk, MPI_BYTE, chunk_parent(rt, i), chunk_tag(rt, i), x->comm,
                            &x->rreq[b]));
}

/*
 * Send buffer b (chunk i) on to the children of its tree.  Synchronous
 * sends: one completes only once the child has matched it, so `window`
 * bounds what may wait unmatched at a slower child.  (A plain send of a
 * chunk small enough to go eagerly completes as soon as it is written, and
 * a source could then fill a slow relay's memory with a whole file: 315 MB
 * on a relay for 1 GiB before this.)
 */
static int isend_tree(struct mpift_xfer *x, const struct mpift_route *rt, int b, int len, uint64_t i, int tag)
{
    int t = tree_of(rt, i), n = t == 0 ? rt->nchildren : rt->nkids[t], c;
    const int *kids = t == 0 ? rt->children : rt->kids[t];

    for (c = 0; c < n; c++)
        if (MPI_Issend(x->buf[b], len, MPI_BYTE, kids[c], tag, x->comm, &x->sreq[b * x->maxchildren + c]) !=
            MPI_SUCCESS)
            return MPIFT_ERR_MPI;
    return MPIFT_OK;
}

static int isend_chunk(struct mpift_xfer *x, const struct mpift_route *rt, int b, int len, uint64_t i)
{
    return isend_tree(x, rt, b, len, i, chunk_tag(rt, i));
}

/* Read exactly len bytes at off; on failure the rest is zero-filled so the
 * stream keeps its announced length (the COMPLETE then says it failed). */
int mpift_read_chunk(int fd, unsigned char *buf, size_t len, uint64_t off)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(fd, buf + done, len - done, (off_t)(off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = n < 0 ? errno : EIO; /* n == 0: the file shrank under us */
            memset(buf + done, 0, len - done);
            return e;
        }
        done += (size_t)n;
    }
    return 0;
}

static void set_result(struct mpift_xres *res, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_result(struct mpift_xres *res, int status, const char *fmt, ...)
{
    va_list ap;
    res->status = status;
    va_start(ap, fmt);
    vsnprintf(res->why, sizeof(res->why), fmt, ap);
    va_end(ap);
}

int mpift_xfer_refuse(struct mpift_xfer *x, uint64_t id, const struct mpift_route *rt, int code,
                      const char *text, struct mpift_xres *res)
{
    struct mpift_error_msg e;
    int n;

    memset(res, 0, sizeof(*res));
    memset(&e, 0, sizeof(e));
    e.file_id = id;
    e.code = code;
    snprintf(e.text, sizeof(e.text), "%s", text);
    set_result(res, code, "%s", e.text);
    res->source_failed = 1;
    n = mpift_error_encode(&e, x->hdr, HDR_MAX);
    return n < 0 ? n : send_children(rt, x->hdr, n, MPIFT_TAG_ERROR, x->comm);
}

int mpift_source_open(const char *path, struct stat *st, int *code, char *why, size_t wl)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC), en;

    if (fd >= 0 && fstat(fd, st) == 0 && S_ISREG(st->st_mode))
        return fd;
    en = fd < 0 ? errno : (S_ISREG(st->st_mode) ? errno : EINVAL);
    if (fd >= 0)
        close(fd);
    snprintf(why, wl, "%s: %s", path, en == EINVAL ? "not a regular file" : strerror(en));
    *code = en == ENOENT ? MPIFT_ERR_NOENT : MPIFT_ERR_IO;
    errno = en;
    return -1;
}

void mpift_meta_of(uint64_t id, const char *name, const struct stat *st, uint64_t chunk, struct mpift_meta *m)
{
    memset(m, 0, sizeof(*m));
    m->file_id = id;
    m->size = (uint64_t)st->st_size;       /* what will really be sent */
    m->mtime_sec = st->st_mtim.tv_sec;
    m->mtime_nsec = (uint32_t)st->st_mtim.tv_nsec;
    m->mode = st->st_mode & 07777;
    m->chunk_size = chunk;
    mpift_chunking(m->size, m->chunk_size, &m->nchunks, &m->last_chunk);
    snprintf(m->name, sizeof(m->name), "%s", name);
}

int mpift_xfer_source(struct mpift_xfer *x, uint64_t id, const struct mpift_pfile *f,
                      const struct mpift_route *rt, const struct mpift_target *tgt, struct mpift_xres *res)
{
    struct mpift_meta m;
    struct mpift_complete c;
    struct mpift_sink sink;
    struct stat st;
    XXH3_state_t *h = NULL;
    char text[PATH_MAX + 64];
    int fd = -1, rc = MPIFT_OK, have_sink = 0, len, b, read_err = 0, code;
    uint64_t i, off = 0;

    memset(res, 0, sizeof(*res));
    fd = mpift_source_open(f->src, &st, &code, text, sizeof(text));
    if (fd < 0) {
        rc = mpift_xfer_refuse(x, id, rt, code, text, res);
        goto out;
    }
    mpift_meta_of(id, f->dest, &st, x->chunk, &m);
    mpift_meter_expect(x->meter, m.size);
    len = mpift_meta_encode(&m, x->hdr, HDR_MAX);
    if (len < 0) {
        rc = len;
        goto out;
    }
    maybe_damage(x);
    rc = send_children(rt, x->hdr, len, MPIFT_TAG_METADATA, x->comm);
    if (rc != MPIFT_OK)
        goto out;
#ifdef POSIX_FADV_SEQUENTIAL
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    if (tgt) {
        if (mpift_sink_open(&sink, tgt->rootfd, tgt->root, f->dest, x->rank, res->why,
                            sizeof(res->why)) == MPIFT_OK)
            have_sink = 1;
        else
            res->status = MPIFT_ERR_IO;
    }
    h = XXH3_createState();
    if (!h || XXH3_64bits_reset(h) != XXH_OK) {
        rc = MPIFT_ERR_NOMEM;
        goto out;
    }
    for (i = 0; i < m.nchunks; i++) {
        b = slot(x, i);
        len = (int)(i + 1 == m.nchunks ? m.last_chunk : m.chunk_size);
        rc = wait_sends(x, b);
        if (rc != MPIFT_OK)
            goto out;
        if (!read_err)
            read_err = mpift_read_chunk(fd, x->buf[b], (size_t)len, off);
        else
            memset(x->buf[b], 0, (size_t)len);
        rc = isend_chunk(x, rt, b, len, i);
        if (rc != MPIFT_OK)
            goto out;
        if (x->cksum)
            XXH3_64bits_update(h, x->buf[b], (size_t)len);
        if (have_sink)
            mpift_sink_write(&sink, x->buf[b], (size_t)len, off);
        mpift_meter_bytes(x->meter, (uint64_t)len);
        off += (uint64_t)len;
    }
    x->base = (x->base + m.nchunks) % (uint64_t)x->window;  /* sends may still be going out */
    memset(&c, 0, sizeof(c));
    c.file_id = id;
    c.size = m.size;
    c.status = read_err ? MPIFT_SEND_FAILED : MPIFT_SEND_OK;
    c.err = read_err;
    c.cksum_kind = x->cksum ? 1 : 0;
    c.digest = x->cksum ? XXH3_64bits_digest(h) : 0;
    res->digest = c.digest;
    len = mpift_complete_encode(&c, x->hdr, HDR_MAX);
    rc = send_children(rt, x->hdr, len, MPIFT_TAG_CONTROL, x->comm);
    if (read_err) {
        set_result(res, MPIFT_ERR_IO, "%s: read failed: %s", f->src, strerror(read_err));
        res->source_failed = 1;
    } else if (have_sink) {
        int st2 = mpift_sink_commit(&sink, &m, &c, f->preserve, x->fsync, res->why, sizeof(res->why));
        have_sink = 0;
        res->status = st2;
        if (st2 == MPIFT_OK)
            res->bytes = m.size;
    }
out:
    if (have_sink)
        mpift_sink_abort(&sink);
    XXH3_freeState(h);
    if (fd >= 0)
        close(fd);
    return rc;
}

/* Receive one header message from the parent into x->hdr. */
static int recv_hdr(struct mpift_xfer *x, int parent, int *tag, int *len, char *why, size_t whylen)
{
    MPI_Status st;

    if (MPI_Probe(parent, MPI_ANY_TAG, x->comm, &st) != MPI_SUCCESS)
        return MPIFT_ERR_MPI;
    MPI_Get_count(&st, MPI_BYTE, len);
    *tag = st.MPI_TAG;
    if (*len < 0 || *len > HDR_MAX || (*tag != MPIFT_TAG_METADATA && *tag != MPIFT_TAG_ERROR &&
                                       *tag != MPIFT_TAG_CONTROL)) {
        snprintf(why, whylen, "unexpected message from rank %d (tag %d, %d bytes)", parent, *tag, *len);
        /* Drain it so the job can still end in order. */
        MPI_Recv(NULL, 0, MPI_BYTE, parent, *tag, x->comm, MPI_STATUS_IGNORE);
        return MPIFT_ERR_PROTO;
    }
    return mpi_ok(MPI_Recv(x->hdr, *len, MPI_BYTE, parent, *tag, x->comm, MPI_STATUS_IGNORE));
}

int mpift_xfer_receive(struct mpift_xfer *x, uint64_t id, const struct mpift_pfile *f,
                       const struct mpift_route *rt, const struct mpift_target *tgt, struct mpift_xres *res)
{
    struct mpift_meta m;
    struct mpift_complete c;
    struct mpift_sink sink;
    MPI_Status st;
    char why[256];
    int rc, tag, len, have_sink = 0, b, count, t, ntrees = rt->ntrees > 1 ? rt->ntrees : 1;
    uint64_t i, posted = 0, off = 0, nextfwd[MPIFT_TREES_MAX];

    memset(res, 0, sizeof(*res));
    rc = recv_hdr(x, rt->parent, &tag, &len, why, sizeof(why));
    if (rc != MPIFT_OK)
        goto proto;
    if (tag == MPIFT_TAG_ERROR) {
        struct mpift_error_msg e;
        rc = mpift_error_decode(x->hdr, (size_t)len, &e, why, sizeof(why));
        if (rc != MPIFT_OK || e.file_id != id)
            goto proto_id;
        /* The source reports it; relays pass it on and skip the file. */
        set_result(res, e.code, "%s", e.text);
        res->source_failed = 1;
        return send_children(rt, x->hdr, len, MPIFT_TAG_ERROR, x->comm);
    }
    if (tag != MPIFT_TAG_METADATA) {
        snprintf(why, sizeof(why), "tag %d where metadata was expected", tag);
        rc = MPIFT_ERR_PROTO;
        goto proto;
    }
    rc = mpift_meta_decode(x->hdr, (size_t)len, &m, why, sizeof(why));
    if (rc != MPIFT_OK)
        goto proto;
    if (m.file_id != id || strcmp(m.name, f->dest) != 0 || m.chunk_size != x->chunk)
        goto proto_id;
    mpift_meter_expect(x->meter, m.size);
    maybe_damage(x);
    rc = send_children(rt, x->hdr, len, MPIFT_TAG_METADATA, x->comm);
    if (rc != MPIFT_OK)
        return rc;
    if (tgt) {
        if (mpift_sink_open(&sink, tgt->rootfd, tgt->root, f->dest, x->rank, res->why,
                            sizeof(res->why)) == MPIFT_OK)
            have_sink = 1;
        else
            res->status = MPIFT_ERR_IO;
    }
    for (b = 0; b < x->window; b++)
        x->arrived[b] = -1;
    for (posted = 0; posted < m.nchunks && posted < (uint64_t)x->window; posted++) {
        b = slot(x, posted);
        rc = wait_sends(x, b); /* an earlier file's chunk may still be on its way out */
        if (rc == MPIFT_OK)
            rc = irecv_chunk(x, rt, b, posted);
        if (rc != MPIFT_OK)
            goto out;
    }
    for (t = 0; t < ntrees; t++)
        nextfwd[t] = (uint64_t)t;
    for (i = 0; i < m.nchunks; i++) {
        b = slot(x, i);
        /* Forward every chunk as soon as it and the earlier chunks of its
         * tree are here: with several trees chunk i+1 may come (from
         * another parent) before chunk i, and holding it back would tie
         * each tree's relays to the others' pace (measured: half the link
         * rate).  Within a tree the order is kept, since a child matches
         * that tree's chunks in the order they are sent.  Writing, and so
         * hashing, stays in file order. */
        while (x->arrived[b] < 0) {
            int j;
            uint64_t cn, want;

            if (MPI_Waitany(x->window, x->rreq, &j, &st) != MPI_SUCCESS || j == MPI_UNDEFINED) {
                rc = MPIFT_ERR_MPI;
                goto out;
            }
            cn = i + (uint64_t)((j - b + x->window) % x->window);  /* the chunk in slot j */
            want = cn + 1 == m.nchunks ? m.last_chunk : m.chunk_size;
            MPI_Get_count(&st, MPI_BYTE, &count);
            if (count < 0 || (uint64_t)count != want) {
                snprintf(why, sizeof(why), "chunk %llu of %s has %d bytes, expected %llu",
                         (unsigned long long)cn, f->dest, count, (unsigned long long)want);
                rc = MPIFT_ERR_PROTO;
                goto proto;
            }
            x->arrived[j] = count;
            for (t = 0; t < ntrees; t++)
                while (nextfwd[t] < posted && x->arrived[slot(x, nextfwd[t])] >= 0) {
                    int s2 = slot(x, nextfwd[t]);
                    rc = isend_chunk(x, rt, s2, x->arrived[s2], nextfwd[t]);
                    if (rc != MPIFT_OK)
                        goto out;
                    nextfwd[t] += (uint64_t)ntrees;
                }
        }
        count = x->arrived[b];
        x->arrived[b] = -1;
        if (have_sink)
            mpift_xfer_write(&sink, x->buf[b], (size_t)count, off, i == 0);
        maybe_die(x->rank);
        mpift_meter_bytes(x->meter, (uint64_t)count);
        off += (uint64_t)count;
        if (posted < m.nchunks) {
            rc = wait_sends(x, b);
            if (rc != MPIFT_OK)
                goto out;
            rc = irecv_chunk(x, rt, b, posted);
            if (rc != MPIFT_OK)
                goto out;
            posted++;
        }
    }
    /* The forwards may still be going out: the next file waits for a
     * buffer's sends before it reuses it, so a relay never waits here for
     * its children to catch up (per small file, that wait cost 3x). */
    x->base = (x->base + m.nchunks) % (uint64_t)x->window;
    rc = recv_hdr(x, rt->parent, &tag, &len, why, sizeof(why));
    if (rc != MPIFT_OK)
        goto proto;
    if (tag != MPIFT_TAG_CONTROL) {
        snprintf(why, sizeof(why), "tag %d where COMPLETE was expected", tag);
        rc = MPIFT_ERR_PROTO;
        goto proto;
    }
    rc = mpift_complete_decode(x->hdr, (size_t)len, &c, why, sizeof(why));
    if (rc != MPIFT_OK)
        goto proto;
    if (c.file_id != id)
        goto proto_id;
    rc = send_children(rt, x->hdr, len, MPIFT_TAG_CONTROL, x->comm);
    if (rc != MPIFT_OK)
        goto out;
    res->digest = c.digest;
    if (c.status != MPIFT_SEND_OK) {
        /* The source names the failure; here the copy is just dropped. */
        set_result(res, MPIFT_ERR_IO, "%s: the source could not be read", f->dest);
        res->source_failed = 1;
    } else if (have_sink) {
        res->status = mpift_sink_commit(&sink, &m, &c, f->preserve, x->fsync, res->why, sizeof(res->why));
        have_sink = 0;
        if (res->status == MPIFT_OK)
            res->bytes = m.size;
    }
    goto out;

proto_id:
    snprintf(why, sizeof(why), "message for another file (expected file %llu, %s)",
             (unsigned long long)id, f->dest);
    rc = MPIFT_ERR_PROTO;
proto:
    if (rc == MPIFT_ERR_PROTO)
        mpift_log_error("protocol error from rank %d: %s", rt->parent, why);
out:
    if (have_sink)
        mpift_sink_abort(&sink);
    return rc;
}

/* ------------------------------------------------------------ batches */

/* A batch goes down the tree `seq` selects, as chunk `seq` would. */
static int isend_batch(struct mpift_xfer *x, const struct mpift_route *rt, int b, int len, uint64_t seq)
{
    return isend_tree(x, rt, b, len, seq, MPIFT_TAG_BATCH);
}

/* Write one file of a batch below tgt: the same verified, atomic sink as
 * a streamed file, fed in one piece.  `received`: not the source's own
 * copy (only those are subject to MPIFT_TEST_CORRUPT). */
static void batch_write(struct mpift_xfer *x, const struct mpift_pfile *f, const struct mpift_batch_entry *e,
                        uint32_t cksum_kind, const struct mpift_target *tgt, int received, struct mpift_xres *res)
{
    struct mpift_sink sink;
    struct mpift_meta m;
    struct mpift_complete c;

    if (mpift_sink_open(&sink, tgt->rootfd, tgt->root, f->dest, x->rank, res->why, sizeof(res->why)) != MPIFT_OK) {
        res->status = MPIFT_ERR_IO;
        return;
    }
    if (received)
        mpift_xfer_write(&sink, e->data, (size_t)e->size, 0, 1);
    else
        mpift_sink_write(&sink, e->data, (size_t)e->size, 0);
    memset(&m, 0, sizeof(m));
    m.file_id = e->file_id;
    m.size = e->size;
    m.mtime_sec = e->mtime_sec;
    m.mtime_nsec = e->mtime_nsec;
    m.mode = e->mode;
    memset(&c, 0, sizeof(c));
    c.file_id = e->file_id;
    c.size = e->size;
    c.status = MPIFT_SEND_OK;
    c.cksum_kind = cksum_kind;
    c.digest = e->digest;
    res->status = mpift_sink_commit(&sink, &m, &c, f->preserve, x->fsync, res->why, sizeof(res->why));
    if (res->status == MPIFT_OK)
        res->bytes = e->size;
}

int mpift_xfer_batch_source(struct mpift_xfer *x, uint64_t seq, const uint64_t *ids,
                            const struct mpift_pfile *const *f, int n, const struct mpift_route *rt,
                            const struct mpift_target *tgt, struct mpift_xres *res)
{
    struct mpift_batch_entry e;
    size_t used = MPIFT_BATCH_HDR, cap = (size_t)x->chunk;
    int b = slot(x, 0), k, rc;

    rc = wait_sends(x, b);
    if (rc != MPIFT_OK)
        return rc;
    for (k = 0; k < n; k++) {
        unsigned char *data = x->buf[b] + used + MPIFT_BATCH_ENTRY;
        struct stat st;
        int fd, en = 0, code = MPIFT_OK;

        memset(&res[k], 0, sizeof(res[k]));
        memset(&e, 0, sizeof(e));
        e.file_id = ids[k];
        e.status = MPIFT_SEND_FAILED;
        fd = mpift_source_open(f[k]->src, &st, &code, res[k].why, sizeof(res[k].why));
        if (fd < 0)
            en = errno;   /* the message is in res[k].why */
        else if ((uint64_t)st.st_size > cap - used - MPIFT_BATCH_ENTRY)
            en = EFBIG;   /* it grew after the plan: no room left in this batch */
        else if ((en = mpift_read_chunk(fd, data, (size_t)st.st_size, 0)) == 0) {
            e.status = MPIFT_SEND_OK;
            e.size = (uint64_t)st.st_size;
            e.mtime_sec = st.st_mtim.tv_sec;
            e.mtime_nsec = (uint32_t)st.st_mtim.tv_nsec;
            e.mode = st.st_mode & 07777;
            e.digest = x->cksum ? XXH3_64bits(data, (size_t)e.size) : 0;
        }
        if (fd >= 0)
            close(fd);
        e.err = en;
        mpift_batch_put_entry(x->buf[b] + used, &e);
        used += MPIFT_BATCH_ENTRY + (size_t)e.size;
        if (e.status != MPIFT_SEND_OK) {
            res[k].source_failed = 1;
            if (fd < 0)
                res[k].status = code;
            else if (en == EFBIG)
                set_result(&res[k], MPIFT_ERR_IO, "%s: grew to %lld bytes while staging; run again to stage it",
                           f[k]->src, (long long)st.st_size);
            else
                set_result(&res[k], MPIFT_ERR_IO, "%s: %s", f[k]->src, strerror(en));
            continue;
        }
        e.data = data;
        mpift_meter_bytes(x->meter, e.size);
        res[k].digest = e.digest;
        if (tgt)
            batch_write(x, f[k], &e, x->cksum ? 1 : 0, tgt, 0, &res[k]);
    }
    mpift_batch_seal(x->buf[b], used, (uint32_t)n, x->cksum ? 1 : 0);
    x->base = (x->base + 1) % (uint64_t)x->window;
    return isend_batch(x, rt, b, (int)used, seq);
}

int mpift_xfer_batch_receive(struct mpift_xfer *x, uint64_t seq, const uint64_t *ids,
                             const struct mpift_pfile *const *f, int n, const struct mpift_route *rt,
                             const struct mpift_target *tgt, struct mpift_xres *res)
{
    struct mpift_batch_entry *e = NULL;
    MPI_Status st;
    char why[256];
    uint32_t kind;
    int b = slot(x, 0), k, rc, len, parent = chunk_parent(rt, seq);

    rc = wait_sends(x, b);
    if (rc != MPIFT_OK)
        return rc;
    if (MPI_Recv(x->buf[b], (int)x->chunk, MPI_BYTE, parent, MPIFT_TAG_BATCH, x->comm, &st) != MPI_SUCCESS)
        return MPIFT_ERR_MPI;
    MPI_Get_count(&st, MPI_BYTE, &len);
    e = calloc((size_t)n, sizeof(*e));
    if (!e)
        return MPIFT_ERR_NOMEM;
    rc = mpift_batch_decode(x->buf[b], (size_t)len, ids, (uint32_t)n, e, &kind, why, sizeof(why));
    if (rc != MPIFT_OK) {
        mpift_log_error("protocol error from rank %d: %s", parent, why);
        goto out;
    }
    /* Pass it on first: the children need not wait for this disk. */
    rc = isend_batch(x, rt, b, len, seq);
    if (rc != MPIFT_OK)
        goto out;
    x->base = (x->base + 1) % (uint64_t)x->window;
    for (k = 0; k < n; k++) {
        memset(&res[k], 0, sizeof(res[k]));
        if (e[k].status != MPIFT_SEND_OK) {
            /* The source names the failure; here the file is just skipped. */
            set_result(&res[k], MPIFT_ERR_IO, "%s: the source could not be read", f[k]->dest);
            res[k].source_failed = 1;
            continue;
        }
        mpift_meter_bytes(x->meter, e[k].size);
        if (tgt)
            batch_write(x, f[k], &e[k], kind, tgt, 1, &res[k]);
    }
out:
    free(e);
    return rc;
}
