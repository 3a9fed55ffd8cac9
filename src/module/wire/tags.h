/*
 * tags.h - every MPI tag mpift uses: the one table.
 *
 * mpift never speaks on the host's communicator.  The context holds two
 * duplicates of it (job/context.h), and each has its own tag space, so a
 * rank waiting for a request can never take a chunk of file data:
 *
 *   ctx->comm      file streams (wire/proto.h): enum mpift_tag
 *   ctx->svc_comm  requests, replies and lists (wire/request.h): enum mpift_svc_tag
 *
 * Collectives (MPI_Bcast, MPI_Allreduce, ...) on either carry no tag; the
 * rules for them are in docs/internals.md.
 */
#ifndef MPIFT_TAGS_H
#define MPIFT_TAGS_H

/* On ctx->comm: one file stream is METADATA (or ERROR), nchunks DATA, then
 * COMPLETE on CONTROL; BATCH replaces all three for small files. */
enum mpift_tag {
    MPIFT_TAG_CONTROL = 1,    /* COMPLETE: sender status + checksum */
    MPIFT_TAG_METADATA = 2,   /* a file's header */
    MPIFT_TAG_DATA = 3,       /* chunks of tree 0 (raw bytes) */
    MPIFT_TAG_ERROR = 4,      /* instead of METADATA: the file will not come */
    MPIFT_TAG_BATCH = 7,      /* many small files in one message */
    MPIFT_TAG_STRIPE = 8,     /* a striped route's reader -> origin: its share read, or why not */
    /* Chunks of tree t > 0 travel on MPIFT_TAG_DATA_TREE + t, so each
     * tree's chunks match in their own order (engine/xfer.h). */
    MPIFT_TAG_DATA_TREE = 64,
};

/* On ctx->svc_comm. */
enum mpift_svc_tag {
    MPIFT_TAG_SVC_CONSOLE = 1,  /* console request master -> worker; every reply */
    MPIFT_TAG_SVC_WANT = 2,     /* stage-out: rank 0 -> writer, the ids it wants */
    MPIFT_TAG_SVC_LIST = 3,     /* stage-out: writer -> rank 0, its list of files */
    MPIFT_TAG_SVC_REQUEST = 5,  /* a worker's mpift.h call -> master */
    MPIFT_TAG_SVC_ANNOUNCE = 6, /* mpift_send_to: worker -> worker */
    MPIFT_TAG_SVC_ALIVE = 8,    /* heartbeats and a session's END, rank 0 <-> the others (comm/watch.h) */
};

#endif
