/*
 * xfer.h - move one file down a route of ranks: the source reads it, each
 * rank forwards every chunk to its children before writing it itself, and
 * every writer verifies what it received.
 *
 * A route is a tree rooted at the source (or several, each carrying a share
 * of the chunks); "direct" is a star, "pipeline" a chain, "tree" k k-ary
 * trees in which each relay is inside at most one: one code path serves
 * all three.
 *
 * The calls below wait until their file is through, polling under the
 * watchdog (comm/wait.h): a peer that takes or sends nothing for
 * transfer.timeout seconds stops the job.  They are loops over the
 * per-file stream of engine/stream.h, which the master of the mpift.h
 * service drives among its others: one protocol, one implementation.
 */
#ifndef MPIFT_XFER_H
#define MPIFT_XFER_H

#include <mpi.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include "util/hash.h"

#include "config/config.h"
#include "engine/base.h"
#include "engine/compress.h"
#include "engine/file.h"
#include "engine/route.h"
#include "util/log.h"
#include "util/progress.h"
#include "comm/status.h"
#include "comm/watch.h"
#include "wire/proto.h"

/* One rank's transfer state: buffers and requests that every file it
 * sends, relays or receives on `comm` goes through, one file at a time. */
struct mpift_xfer {
    MPI_Comm comm;
    int rank;
    uint64_t chunk;
    int window;
    enum mpift_wire_cksum cksum; /* transfer.checksum, as the wire says it */
    bool fsync;
    int maxchildren;
    unsigned char **buf;      /* [window] buffers of `chunk` bytes */
    MPI_Request *rreq;        /* [window] */
    MPI_Request *sreq;        /* [window * maxchildren] */
    int *sto;                 /* [window * maxchildren] the rank each send goes to */
    int held;                 /* the buffer a wait is on (its message names the rank) */
    struct mpift_watch *watch; /* the context's: how long a wait may last */
    uint64_t base;            /* buffer of the current file's chunk 0 */
    int *arrived;             /* [window] bytes of a chunk received, not yet
                               * written; -1 when its receive is pending */
    unsigned char *hdr;       /* header scratch (largest encoded message) */
    MPI_Request *hreq;        /* [maxchildren] sends of hdr */
    XXH3_state_t *hash;       /* a source's checksum; NULL: checksum none */
    /* A source's XXH3-64 of a file's whole content, zeros included, for
     * the report (`whole_wanted`: --report or a kept result) when the
     * file crossed with hole extents, whose checksum is another
     * (engine/sink.h, mpift_hash_hole).  Only the source pays for it. */
    XXH3_state_t *whole;
    int whole_wanted;
    XXH3_state_t *keyhash;    /* a keyed source's XXH3-128 (source.h's mpift_source_not_key),
                               * made at its first keyed file */
    struct mpift_meter *meter; /* a one-file meter: total from the metadata,
                                * bytes per chunk; NULL: none */
    /* Where this rank reads the files it sends: every f->src->path lies
     * below srcroot, and is opened from srcfd without leaving it
     * (engine/source.h).  Set by the caller before sending; -1: none,
     * and every file is refused. */
    int srcfd;
    const char *srcroot;
    struct mpift_codec codec;   /* transfer.compress: codecs and frame buffers */
    /* The origin of a striped route (engine/stripe.h): its own read of a
     * chunk another rank read, to compare (allocated at its first striped
     * file, `chunk` bytes); each rank's host, to name a reader (NULL:
     * ranks are named by number). */
    unsigned char *check;
    const char (*hosts)[MPIFT_HOST_MAX];
    /* Bases (engine/base.h), set by the caller around one file's
     * transfer.  The source: what the route's keep_m writers hold (NULL:
     * send every chunk).  A writer: resumable (MPIFT_COPY_*, base.h),
     * what a large copy keeps (a record, or its chunk hashes only);
     * hold, what it holds (NULL: none). */
    struct mpift_keep *keep;
    int keep_m;
    int resumable;
    struct mpift_base *hold;
    /* A writer's last committed large copy's chunk hashes (sink.h's kept,
     * malloc'd, kept_n of them; NULL: none), for the caller to keep in
     * the node's cache and free (mpift_xfer_free frees what is left). */
    uint64_t *kept;
    uint64_t kept_n;
};

/* What to do about a source that kept changing while it was read, after
 * its message when it fails for good. */
#define MPIFT_CHANGED_HINT ": not staged; run again once nothing writes to it"
/* ... and about a striped file whose stripe was refused (engine/stripe.h)
 * when no attempt is left to send it from the origin alone. */
#define MPIFT_STRIPE_HINT ": not staged; with transfer.retries of 1 or more it is sent again from rank 0 alone " \
                          "(or set paths.source_shared = \"no\")"

/* Where a writer puts its copy; NULL when this rank only relays. */
struct mpift_target {
    int rootfd;
    const char *root;         /* for messages */
};

/* The outcome of one file on this rank. */
struct mpift_outcome {
    int status;               /* MPIFT_OK, _CHECKSUM (retry may help), _IO, _NOENT */
    int source_failed;        /* the source could not be read: nobody got the file
                               * (status _CHECKSUM: it changed while it was read) */
    uint64_t bytes;           /* bytes this rank wrote */
    uint64_t digest;          /* the source's xxh3 of what it sent (0: none) */
    uint64_t wire;            /* bytes its chunks took on one link, compressed
                               * or not (the source's sent, a receiver's taken) */
    uint64_t holes;           /* bytes of it that crossed as hole extents, not DATA */
    uint64_t resumed;         /* bytes of this rank's copy taken from a killed run's temporary */
    uint64_t delta_saved;     /* bytes of this rank's copy taken from the older version */
    int stripe_failed;        /* a striped route refused a stripe (status _CHECKSUM):
                               * send it again from the source alone */
    struct stat committed;    /* the copy's identity at its commit (sink.h; st_ino 0: none) */
    char why[MPIFT_WHY_MAX];  /* message for users when status != OK */
    /* (a field added here is cleared in mpift_outcome_clear, outcome.h) */
};

/* Buffers and requests for `maxchildren` children at most; the waits go
 * under `watch` (the context's).  MPIFT_OK or MPIFT_ERR_NOMEM. */
int mpift_xfer_init(struct mpift_xfer *x, MPI_Comm comm, const struct mpift_config *cfg, int maxchildren,
                    struct mpift_watch *watch);

/* The root this rank reads the files it sends below (see srcfd above):
 * the caller owns fd and root, and keeps them while it sends. */
static inline void mpift_xfer_source_root(struct mpift_xfer *x, int fd, const char *root)
{
    x->srcfd = fd;
    x->srcroot = root;
}

/*
 * mpift_xfer_flush - wait until every chunk sent has been taken by its
 * receiver.  A transfer returns with its last chunks possibly still going
 * out (the next one waits for a buffer before reusing it); call this
 * before mpift_xfer_free on the way out of a run that went well.
 * Returns MPIFT_OK or MPIFT_ERR_MPI.
 */
int mpift_xfer_flush(struct mpift_xfer *x);

/* Free the buffers (after mpift_xfer_flush, or when the job is aborting). */
void mpift_xfer_free(struct mpift_xfer *x);

/*
 * mpift_xfer_source - on the source rank: send file `id` (f->src) down the
 * route; write a copy too when tgt is not NULL.  A source that cannot be
 * read sends ERROR so every rank of the route skips the file.
 * Returns MPIFT_OK (the outcome is in res) or MPIFT_ERR_MPI.
 */
int mpift_xfer_source(struct mpift_xfer *x, uint64_t id, const struct mpift_pfile *f,
                      const struct mpift_route *rt, const struct mpift_target *tgt, struct mpift_outcome *res);

/*
 * mpift_xfer_refuse - on the source rank: tell the route that file `id`
 * will not come (ERROR with `code` and `text`, the original error signal);
 * receivers skip it and create nothing.  res gets the same outcome.
 * Returns MPIFT_OK or MPIFT_ERR_MPI.
 */
int mpift_xfer_refuse(struct mpift_xfer *x, uint64_t id, const struct mpift_route *rt, int code,
                      const char *text, struct mpift_outcome *res);

/*
 * mpift_xfer_receive - on a rank of the route other than the source:
 * receive file `id`, forward to children, write when tgt is not NULL.
 * Returns MPIFT_OK (outcome in res), MPIFT_ERR_PROTO when the parent sent
 * something that does not validate (the stream cannot be trusted: the
 * caller must abort the job), or MPIFT_ERR_MPI.
 */
int mpift_xfer_receive(struct mpift_xfer *x, uint64_t id, const struct mpift_pfile *f,
                       const struct mpift_route *rt, const struct mpift_target *tgt, struct mpift_outcome *res);

/*
 * Batches: n small files (ids[k], f[k]) that have the same route travel as
 * one BATCH message (proto.h), down the tree `seq` selects (as a chunk's
 * index does).  The caller groups files the same way on every rank; each
 * file must fit, with its entry header, in one chunk-sized buffer.  Every
 * file gets its own outcome in res[k] (a file the source could not read:
 * source_failed); the writes are the usual verified, atomic ones.
 * Returns MPIFT_OK, MPIFT_ERR_PROTO (receive: the batch did not validate;
 * reported), MPIFT_ERR_MPI or MPIFT_ERR_NOMEM.
 */
int mpift_xfer_batch_source(struct mpift_xfer *x, uint64_t seq, const uint64_t *ids,
                            const struct mpift_pfile *const *f, int n, const struct mpift_route *rt,
                            const struct mpift_target *tgt, struct mpift_outcome *res);
int mpift_xfer_batch_receive(struct mpift_xfer *x, uint64_t seq, const uint64_t *ids,
                             const struct mpift_pfile *const *f, int n, const struct mpift_route *rt,
                             const struct mpift_target *tgt, struct mpift_outcome *res);

#endif
