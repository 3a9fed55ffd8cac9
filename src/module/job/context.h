/*
 * context.h - the module's context behind the opaque mpift_ctx_t: what
 * every layer above needs to know of the run (communicators, the
 * configuration, the topology, this rank's dest root, message settings).
 */
#ifndef MPIFT_CTX_H
#define MPIFT_CTX_H

#include <limits.h>
#include <mpi.h>

#include "mpift/mpift.h"
#include "config/config.h"
#include "job/topo.h"
#include "util/log.h"
#include "comm/status.h"
#include "comm/watch.h"

struct mpift_client;

/* A run's result kept for mpift_result() and mpift_result_json(): rank 0
 * makes it (stage/report.c), every rank gets a copy (stage/result.c).
 * json NULL: none kept. */
struct mpift_kept_result {
    struct mpift_result totals;
    char *json;                 /* the report, NUL-terminated */
    size_t len;                 /* its length */
};

struct mpift_ctx {
    MPI_Comm comm;              /* our duplicate: never the host's tags; file data */
    MPI_Comm svc_comm;          /* requests and replies of the service (wire/request.h) */
    int owns_mpi;               /* the hook's init called MPI_Init */
    int force, dry_run;         /* quiet and verbose are in log */
    enum mpift_progress progress;
    int progress_fd;              /* --progress-fd: rank 0's descriptor for JSON lines; 0: stderr */
    char *report_path;          /* --report FILE (rank 0 writes it), or NULL */
    int keep_result;            /* mpift_options.keep_result: keep each run's result */
    struct mpift_kept_result kept; /* the last run's result (stage/result.h) */
    struct mpift_config *cfg;
    struct mpift_topo topo;
    char dest_root[PATH_MAX];   /* this rank's expanded paths.dest */
    /* The mpift.h service calls (service/worker.c, master.c). */
    struct mpift_client *client; /* made at the first call */
    uint64_t next_id;           /* ids of this rank's transfers */
    int served;                 /* rank 0 ran mpift_serve / a worker called mpift_done */
    char errmsg[MPIFT_WHY_MAX]; /* why the last call on this rank failed */
    struct mpift_log log;       /* this context's message settings (util/log.h) */
    struct mpift_watch watch;   /* how long its waits may last (comm/watch.h) */
};

/*
 * mpift_context_open - collective over comm: duplicate it (twice: file
 * data and the service's messages), load the configuration on rank 0 and
 * share its text, discover the topology, expand every rank's dest root,
 * and select the context's message settings while it works (the
 * caller's are put back).  Returns MPIFT_OK with *ctx set, or (as
 * mpift_open in mpift.h says) MPIFT_ERR_CONFIG, _RANGE, _USAGE
 * (configuration refused, reported by rank 0; also any setting that must
 * match and differs between ranks: job/agree.h), MPIFT_ERR_IO (getcwd failed for a relative
 * config path), MPIFT_ERR_MPI, MPIFT_ERR_NOMEM.
 */
int mpift_context_open(MPI_Comm comm, const struct mpift_options *opts, struct mpift_ctx **ctx);

/* Free a context (not collective by itself: MPI_Comm_free is); sets *ctx
 * to NULL.  The layers above free their own state first (api/api.c). */
void mpift_context_free(struct mpift_ctx **ctx);

/* Print a configuration loader's error text, a line per error. */
void mpift_config_print_errors(const char *err);

/* Does rank q write under `copies` (each node's lowest rank, every rank,
 * or rank 0 alone)?  Stage-in keeps its copies there; stage-out gathers
 * from there. */
int mpift_ctx_writer(const struct mpift_ctx *ctx, int q);
/* The same for a topology and a copies policy (rank 0 planning, before a
 * context needs one). */
int mpift_copies_writer(const struct mpift_topo *t, enum mpift_copies copies, int q);

/* Expand one of rank 0's paths.* templates (source, collect) into out. */
int mpift_ctx_rank0_path(const struct mpift_ctx *ctx, const char *tmpl, char *out, size_t len);

#endif
