/* ctx.h - the module's context behind the opaque mpift_ctx_t. */
#ifndef MPIFT_CTX_H
#define MPIFT_CTX_H

#include <limits.h>
#include <mpi.h>

#include "mpift/mpift.h"
#include "config/config.h"
#include "job/topo.h"

struct mpift_client;

struct mpift_ctx {
    MPI_Comm comm;              /* our duplicate: never the host's tags; file data */
    MPI_Comm svc_comm;          /* requests and replies of the service (reqwire.h) */
    int owns_mpi;               /* the hook's init called MPI_Init */
    int force, dry_run, verbose, quiet;
    enum mpift_progress progress;
    char *report_path;          /* --report FILE (rank 0 writes it), or NULL */
    struct mpift_config *cfg;
    struct mpift_topo topo;
    char dest_root[PATH_MAX];   /* this rank's expanded paths.dest */
    /* The mpift.h client calls (client.c). */
    struct mpift_client *client; /* made at the first call */
    uint64_t next_id;           /* ids of this rank's transfers */
    int served;                 /* rank 0 ran mpift_serve / a worker called mpift_done */
    char errmsg[PATH_MAX + 256]; /* why the last call on this rank failed */
};

/* Does rank q write under `copies` (each node's lowest rank, every rank,
 * or rank 0 alone)?  Stage-in keeps its copies there; stage-out gathers
 * from there. */
int mpift_ctx_writer(const struct mpift_ctx *ctx, int q);

/* Expand one of rank 0's paths.* templates (source, collect) into out. */
int mpift_ctx_rank0_path(const struct mpift_ctx *ctx, const char *tmpl, char *out, size_t len);

#endif
