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

#ifdef __cplusplus
extern "C" {
#endif

#if defined(MPIFT_BUILDING) && defined(__GNUC__)
#define MPIFT_EXPORT __attribute__((visibility("default")))
#else
#define MPIFT_EXPORT
#endif

/* Status codes.  Numbers are part of the ABI: only ever append. */
enum mpift_status {
    MPIFT_OK = 0,
    MPIFT_ERR_USAGE = -1,    /* bad command line or argument          -> exit 2 */
    MPIFT_ERR_CONFIG = -2,   /* configuration file invalid            -> exit 2 */
    MPIFT_ERR_NOMEM = -3,    /* out of memory                         -> exit 3 */
    MPIFT_ERR_IO = -4,       /* a file system call failed             -> exit 1 */
    MPIFT_ERR_FILES = -5,    /* one or more files failed to stage     -> exit 1 */
    MPIFT_ERR_ENV = -6,      /* no MPI / PMIx / module                -> exit 3 */
    MPIFT_ERR_MPI = -7,      /* an MPI call failed                    -> exit 3 */
    MPIFT_ERR_PROTO = -8,    /* malformed protocol message            -> exit 1 */
    MPIFT_ERR_CHECKSUM = -9, /* data did not verify                   -> exit 1 */
    MPIFT_ERR_ESCAPE = -10,  /* path leaves its root                  -> exit 1 */
    MPIFT_ERR_NOENT = -11,   /* no such file                          -> exit 1 */
    MPIFT_ERR_ABI = -12,     /* module and launcher disagree on ABI   -> exit 3 */
    MPIFT_ERR_RANGE = -13,   /* value out of range / too long         -> exit 2 */
    MPIFT_ERR_UNSUPPORTED = -14, /* feature not available             -> exit 2 */
};

/* What mpift_strerror() answers for an unknown code. */
MPIFT_EXPORT const char *mpift_strerror(int status);

/* The exit status mpift-stage uses for a status code. */
static inline int mpift_exit_status(int status)
{
    switch (status) {
    case MPIFT_OK: return 0;
    case MPIFT_ERR_USAGE: case MPIFT_ERR_CONFIG: case MPIFT_ERR_RANGE:
    case MPIFT_ERR_UNSUPPORTED: return 2;
    case MPIFT_ERR_NOMEM: case MPIFT_ERR_ENV: case MPIFT_ERR_MPI:
    case MPIFT_ERR_ABI: return 3;
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

#ifdef __cplusplus
}
#endif
#endif /* MPIFT_MPIFT_H */
