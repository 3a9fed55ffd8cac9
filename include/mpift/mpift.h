/*
 * mpift.h - public API of mpift, the MPI file-staging engine.
 *
 * Copyright (c) 2026 The mpift developers.  BSD-3-Clause, see COPYING.
 *
 * An MPI application stages or moves files itself by calling these functions
 * on a communicator it passes in.  mpift works on its own MPI_Comm_dup() of
 * that communicator, so its messages never collide with the application's
 * tags.  Every rank of the communicator must make the same calls in the same
 * order (they are collective).
 *
 * Lifecycle:
 *
 *     MPI_Init()            (the application's)
 *        mpift_open(comm, &opts, &ctx)      collective
 *           mpift_stage_in(ctx)             collective, any number of times
 *           mpift_stage_out(ctx)            collective, any number of times
 *           the master/worker service       see "Serving workers" below
 *        mpift_close(&ctx)                  collective
 *     MPI_Finalize()        (the application's)
 *
 * Status codes: every function returns MPIFT_OK (0) or a negative MPIFT_ERR_*
 * code; mpift_strerror() names it.  mpift_exit_status() maps a code to the
 * exit status documented for mpift-stage (0, 1, 2 or 3).
 */
#ifndef MPIFT_MPIFT_H
#define MPIFT_MPIFT_H

#include <stddef.h>
#include <stdint.h>

#include <mpift/version.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(MPIFT_BUILDING) && defined(__GNUC__)
#define MPIFT_EXPORT __attribute__((visibility("default")))
#else
#define MPIFT_EXPORT
#endif

/*
 * Status codes: the one list.  Each entry is XX(NAME, value, text, exit):
 * the enum below, mpift_strerror()'s text and mpift_exit_status()'s exit
 * code are all built from it (as libuv builds its errors from
 * UV_ERRNO_MAP).  Values are part of the ABI: only ever append.
 */
#define MPIFT_STATUS_MAP(XX)                                                        \
    XX(OK, 0, "success", 0)                                                         \
    XX(ERR_USAGE, -1, "usage error", 2)                  /* bad command line or argument */ \
    XX(ERR_CONFIG, -2, "configuration error", 2)         /* configuration file invalid */   \
    XX(ERR_NOMEM, -3, "out of memory", 3)                                           \
    XX(ERR_IO, -4, "input/output error", 1)              /* a file system call failed */    \
    XX(ERR_FILES, -5, "one or more files failed", 1)                                \
    XX(ERR_ENV, -6, "environment error (MPI, PMIx or module)", 3)                   \
    XX(ERR_MPI, -7, "MPI error", 3)                      /* an MPI call failed */           \
    XX(ERR_PROTO, -8, "malformed protocol message", 1)                              \
    XX(ERR_CHECKSUM, -9, "checksum mismatch", 1)         /* data did not verify */          \
    XX(ERR_ESCAPE, -10, "path leaves its root", 1)                                  \
    XX(ERR_NOENT, -11, "no such file", 1)                                           \
    XX(ERR_ABI, -12, "module ABI mismatch", 3)           /* module and launcher disagree */ \
    XX(ERR_RANGE, -13, "value out of range", 2)          /* value out of range / too long */ \
    XX(ERR_UNSUPPORTED, -14, "not supported", 2)         /* feature not available */

enum mpift_status {
#define MPIFT_STATUS_ENUM_(name, value, text, exit) MPIFT_##name = value,
    MPIFT_STATUS_MAP(MPIFT_STATUS_ENUM_)
#undef MPIFT_STATUS_ENUM_
};

/* The name of a status code ("unknown error" for a code not in the list).
 * The text is static: never free it. */
MPIFT_EXPORT const char *mpift_strerror(int status);

/*
 * mpift_version - the version of the mpift library this program runs
 * with, "MAJOR.MINOR.PATCH" (e.g. "0.1.0"): a constant, never NULL, never
 * freed.  It can differ from MPIFT_VERSION_STRING (version.h), the version
 * of the headers the program was compiled against, when the library was
 * upgraded or replaced since.  Thread-safe.
 */
MPIFT_EXPORT const char *mpift_version(void);

/* The exit status mpift-stage uses for a status code (1 for a code not in
 * the list). */
static inline int mpift_exit_status(int status)
{
    switch (status) {
#define MPIFT_STATUS_EXIT_(name, value, text, exit) case value: return exit;
    MPIFT_STATUS_MAP(MPIFT_STATUS_EXIT_)
#undef MPIFT_STATUS_EXIT_
    default: return 1;
    }
}

enum mpift_progress { MPIFT_PROGRESS_AUTO = 0, MPIFT_PROGRESS_ALWAYS, MPIFT_PROGRESS_NEVER };

/*
 * Options of one run.  Zero-initialise, set what you need.  `size` must be
 * sizeof(struct mpift_options) as the caller compiled it: fields are only
 * ever added at the end, and the module ignores fields beyond `size`.
 */
struct mpift_options {
    uint32_t size;
    const char *config_path;        /* required: the libconfig file */
    const char *const *sets;        /* "KEY=VALUE" overrides, like --set */
    size_t nsets;
    int force;                      /* re-send files that look unchanged */
    int dry_run;                    /* plan only, move nothing */
    int verbose;                    /* say more (topology source, plan) */
    int quiet;                      /* errors only */
    enum mpift_progress progress;
    const char *report_path;        /* JSON report (NULL: none) */
    const char *module_path;        /* informational: where the module was found */
};

/* Opaque handle of an open mpift context. */
typedef struct mpift_ctx mpift_ctx_t;

/*
 * mpift_open - collective over `comm`: load the configuration on its rank 0,
 * share it, discover the topology (PMIx, or MPI shared-memory splitting).
 *
 * comm     the application's communicator (a pointer to an MPI_Comm, so this
 *          header needs no <mpi.h>); mpift duplicates it.  MPI must be
 *          initialised.
 * opts     options; copied, the caller keeps ownership.
 * ctx      set to a new context the caller releases with mpift_close().
 *
 * Returns MPIFT_OK; MPIFT_ERR_CONFIG / MPIFT_ERR_RANGE / MPIFT_ERR_USAGE when
 * the configuration is invalid (already reported on stderr, on every rank the
 * same code); MPIFT_ERR_MPI, MPIFT_ERR_NOMEM.
 */
MPIFT_EXPORT int mpift_open(void *comm, const struct mpift_options *opts, mpift_ctx_t **ctx);

/*
 * mpift_stage_in - collective: put the configuration's stage_in files on
 * every node's (or rank's) dest root, verified and atomically.
 *
 * Returns MPIFT_OK when every file is in place and verified (or skipped as
 * unchanged); MPIFT_ERR_FILES when one or more failed (each named on stderr
 * by the rank that saw it); MPIFT_ERR_MPI.  Every rank returns the same code.
 */
MPIFT_EXPORT int mpift_stage_in(mpift_ctx_t *ctx);

/*
 * mpift_stage_out - collective: gather the files matching the
 * configuration's stage_out entries under each node's (or rank's, with
 * copies = "per-rank") dest root onto rank 0, under paths.collect, with
 * the dest templates expanded for the rank that holds them ("%h/" keeps
 * nodes apart).  Verified and atomic like stage-in; a file already in
 * collect with the same size and mtime is skipped unless force.  Two
 * ranks with one final path is an error naming both, and neither copy is
 * written.  Returns MPIFT_OK, MPIFT_ERR_FILES (each failure named on
 * stderr), MPIFT_ERR_CONFIG (no stage_out list or no paths.collect),
 * MPIFT_ERR_MPI.  Every rank returns the same code.
 */
MPIFT_EXPORT int mpift_stage_out(mpift_ctx_t *ctx);

/*
 * mpift_close - collective: free the context and its communicator; sets *ctx
 * to NULL.  Returns MPIFT_OK (NULL or *ctx == NULL is accepted).
 */
MPIFT_EXPORT int mpift_close(mpift_ctx_t **ctx);

/*
 * mpift_check_config - validate a configuration without any MPI job.
 * Prints each error (file:line: key: cause) on stderr.
 * Returns MPIFT_OK, MPIFT_ERR_CONFIG, MPIFT_ERR_RANGE, MPIFT_ERR_UNSUPPORTED.
 */
MPIFT_EXPORT int mpift_check_config(const struct mpift_options *opts);

/*
 * ---------------------------------------------------------------------------
 * Serving workers: rank 0 is the master, ranks 1..N-1 are workers.
 *
 *     rank 0                               ranks 1..N-1, each on its own
 *     mpift_serve(ctx, &stats)             mpift_fetch(ctx, "in/part-3.dat")
 *       (returns when every worker         mpift_put(ctx, "out/result-3.txt")
 *        has called mpift_done)            mpift_send_to(ctx, "x.dat", 4)
 *                                          mpift_recv_from(ctx, 2, name, len)
 *                                          mpift_done(ctx)
 *
 * While mpift_serve runs, the master serves every worker's requests at
 * once, up to workers.max_streams transfers in flight; more wait their
 * turn.  Names are relative paths: on the master below paths.source
 * (fetch) or paths.collect (put), on a worker below its own paths.dest
 * (templates expanded for that rank).  Every transfer is verified (size
 * and checksum where it lands), atomic (a temporary name, then rename),
 * and re-sent up to transfer.retries times when verification fails.
 *
 * The worker calls block until their transfer is over and return a status;
 * they print nothing (a re-send warning aside): mpift_errmsg() says why the
 * last one failed (naming the file, the rank and host, and the cause).
 * A failed transfer never stops the service; MPIFT_ERR_MPI or
 * MPIFT_ERR_PROTO mean the job cannot go on (abort it).
 */

/* What mpift_serve did.  Set `size` to sizeof(struct mpift_serve_stats). */
struct mpift_serve_stats {
    uint32_t size;
    uint64_t requests;         /* fetch + put requests answered (a re-send
                                * after a failed verification is one more) */
    uint64_t failed;           /* of them, how many failed on the master's
                                * side: refused, unreadable, a put that did
                                * not verify (a fetch is verified by the
                                * worker, whose call reports it) */
    uint64_t bytes_out;        /* bytes fetched from the master */
    uint64_t bytes_in;         /* bytes put onto the master */
    int peak_streams;          /* most transfers in flight at once */
    double seconds;            /* time in mpift_serve */
};

/*
 * mpift_serve - rank 0 only: serve the workers' fetch and put requests
 * until every worker has called mpift_done().  stats may be NULL.
 * Returns MPIFT_OK (failed transfers are counted, and reported to the
 * worker that asked), MPIFT_ERR_USAGE on another rank or a second call,
 * MPIFT_ERR_MPI, MPIFT_ERR_PROTO (a worker sent something that does not
 * validate), MPIFT_ERR_NOMEM.
 */
MPIFT_EXPORT int mpift_serve(mpift_ctx_t *ctx, struct mpift_serve_stats *stats);

/*
 * mpift_fetch - a worker: copy the master's paths.source/NAME to this
 * rank's dest root/NAME.  Returns MPIFT_OK; MPIFT_ERR_NOENT (no such file
 * on the master: nothing is created), MPIFT_ERR_ESCAPE (NAME leaves its
 * root), MPIFT_ERR_IO, MPIFT_ERR_CHECKSUM (still wrong after the retries),
 * MPIFT_ERR_USAGE (called on rank 0 or after mpift_done), MPIFT_ERR_MPI,
 * MPIFT_ERR_PROTO.
 */
MPIFT_EXPORT int mpift_fetch(mpift_ctx_t *ctx, const char *name);

/*
 * mpift_put - a worker: copy this rank's dest root/NAME to the master's
 * paths.collect/NAME.  Same returns as mpift_fetch; MPIFT_ERR_CONFIG when
 * paths.collect is not set.
 */
MPIFT_EXPORT int mpift_put(mpift_ctx_t *ctx, const char *name);

/*
 * mpift_send_to - a worker: copy this rank's dest root/NAME straight to
 * worker `rank`'s dest root/NAME (not through the master).  That worker
 * must call mpift_recv_from(ctx, <this rank>, ...): the pair is matched
 * like MPI_Send and MPI_Recv.  Same returns as mpift_fetch, and
 * MPIFT_ERR_RANGE for a rank that is not another worker.
 */
MPIFT_EXPORT int mpift_send_to(mpift_ctx_t *ctx, const char *name, int rank);

/*
 * mpift_recv_from - a worker: receive the file worker `rank` sends with
 * mpift_send_to into this rank's dest root; its name (relative to the
 * root) is copied to name (namelen bytes, cut to fit) unless name is NULL.
 */
MPIFT_EXPORT int mpift_recv_from(mpift_ctx_t *ctx, int rank, char *name, size_t namelen);

/* mpift_done - a worker: no more requests to the master from this rank. */
MPIFT_EXPORT int mpift_done(mpift_ctx_t *ctx);

/* This rank's dest root (paths.dest expanded for it): where fetch and
 * recv_from put files and where put and send_to read them. */
MPIFT_EXPORT const char *mpift_dest_root(const mpift_ctx_t *ctx);

/* Why the last failed call on this rank failed ("" if none). */
MPIFT_EXPORT const char *mpift_errmsg(const mpift_ctx_t *ctx);

#ifdef __cplusplus
}
#endif
#endif /* MPIFT_MPIFT_H */
