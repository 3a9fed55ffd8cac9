/*
 * mpift.h - public API of mpift, the MPI file-staging engine.
 *
 * Copyright (c) 2026 The mpift developers.  BSD-3-Clause, see COPYING.
 *
 * An MPI application stages or moves files itself by calling these functions
 * on a communicator it passes in.  mpift works on its own MPI_Comm_dup() of
 * that communicator, so its messages never collide with the application's
 * tags.
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
 * Collective calls: every rank of the communicator makes the same
 * collective calls on its context, in the same order.  The service calls
 * pair ranks instead: mpift_serve on rank 0 with the workers' requests,
 * mpift_send_to with mpift_recv_from.
 *
 * No call waits for ever: a rank that goes transfer.timeout seconds
 * (mpift.conf(5); default 60) without progress from the rank it waits on
 * says which on stderr, removes the copy it was writing and ends the job
 * with MPI_Abort (exit 1): a node, link or rank that has gone cannot hang
 * the job.  A rank with nothing to do waits as long as rank 0 is heard
 * from.  So ranks must enter a collective call within transfer.timeout
 * of each other (before mpift_open has read the file: 60 s), and a
 * worker's call waits that long at most for rank 0 to start mpift_serve.
 *
 * Status codes: every function that returns an int returns MPIFT_OK (0) or
 * a negative MPIFT_ERR_* code; mpift_strerror() gives its text and
 * mpift_exit_status() the exit status mpift-stage uses for it (0, 1, 2 or
 * 3; a job it aborts ends with 3).  MPIFT_ERR_MPI, MPIFT_ERR_PROTO and
 * MPIFT_ERR_NOMEM from a collective call mean this rank can no longer
 * agree with the others (some may wait in a collective call that never
 * ends, and their codes may differ): end the job with MPI_Abort(), as
 * mpift-stage does.  Any other code leaves the context usable (a failed
 * mpift_open leaves none).
 *
 * Threads: mpift starts no thread and makes its MPI calls on the thread
 * that calls it.  It never calls MPI_Init_thread() nor checks the level MPI
 * gave: calling mpift from the thread that initialised MPI works at any
 * level; from another thread it needs MPI_THREAD_SERIALIZED, and
 * MPI_THREAD_MULTIPLE if other threads make MPI calls meanwhile.  Calls on
 * one context must not overlap.  Each context has its own message settings
 * (the "host (rank N)" prefix, quiet, verbose, where errors go) and its own
 * progress bar, which every call selects for the thread making it: several
 * contexts may be open at once, and with MPI_THREAD_MULTIPLE used from
 * different threads at the same time.  A context may pass from thread to
 * thread between calls.  mpift_strerror(), mpift_status_name(),
 * mpift_status_exit(), mpift_exit_status() and mpift_version() keep no
 * state and may be called from any thread at any time;
 * mpift_check_config() uses settings of its own for the call and may too;
 * mpift_dest_root(), mpift_errmsg(), mpift_result() and
 * mpift_result_json() only read their context, from any thread while no
 * other call uses it.
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
 * the enum below (MPIFT_ + NAME = value), mpift_strerror()'s text and
 * mpift_exit_status()'s exit code are all built from it (as libuv builds
 * its errors from UV_ERRNO_MAP).  Values are part of the ABI: only ever
 * append.  MPIFT_ERR_ABI comes from a host loading the module (hook.h);
 * no call of this version returns MPIFT_ERR_UNSUPPORTED.
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

/*
 * mpift_strerror - the text of a status code, as MPIFT_STATUS_MAP gives it
 * ("success", "configuration error", ...; "unknown error" for a code not
 * in the list).  Not the cause of one failure: the messages on stderr and
 * mpift_errmsg() say that.  The text is a constant: never free it.
 * Thread-safe.
 */
MPIFT_EXPORT const char *mpift_strerror(int status);

/*
 * mpift_status_name - the name of a status code as the enum spells it:
 * "MPIFT_OK", "MPIFT_ERR_IO", ... (libuv's uv_err_name); NULL for a code
 * not in the list.  The codes are 0, -1, -2, ... with no gap (the list is
 * only ever appended to), so a binding builds its own table from the
 * library by walking them down to the first NULL (the Python package
 * does).  The name is a constant: never free it.  Thread-safe.
 */
MPIFT_EXPORT const char *mpift_status_name(int status);

/*
 * mpift_status_exit - mpift_exit_status() below as a library symbol, for
 * bindings that cannot call a static inline function (ctypes, Fortran's
 * bind(C)).  Thread-safe.
 */
MPIFT_EXPORT int mpift_status_exit(int status);

/*
 * mpift_version - the version of the mpift library this program runs
 * with, "MAJOR.MINOR.PATCH" (e.g. "0.1.0"): a constant, never NULL, never
 * freed.  It can differ from MPIFT_VERSION_STRING (version.h), the version
 * of the headers the program was compiled against, when the library was
 * upgraded or replaced since.  Thread-safe.
 */
MPIFT_EXPORT const char *mpift_version(void);

/* The exit status mpift-stage uses for a status code (1 for a code not in
 * the list).  Thread-safe. */
static inline int mpift_exit_status(int status)
{
    switch (status) {
#define MPIFT_STATUS_EXIT_(name, value, text, exit) case value: return exit;
    MPIFT_STATUS_MAP(MPIFT_STATUS_EXIT_)
#undef MPIFT_STATUS_EXIT_
    default: return 1;
    }
}

/* AUTO: a bar on a terminal; ALWAYS: a bar; NEVER: none; JSONL: one JSON
 * object per line for programs, on rank 0's progress_fd (docs/report.md). */
enum mpift_progress { MPIFT_PROGRESS_AUTO = 0, MPIFT_PROGRESS_ALWAYS, MPIFT_PROGRESS_NEVER, MPIFT_PROGRESS_JSONL };

/*
 * Options of one run.  Zero-initialise, set what you need.  `size` must be
 * sizeof(struct mpift_options) as the caller compiled it: fields are only
 * ever added at the end, and the module ignores fields beyond `size`.
 */
struct mpift_options {
    uint32_t size;
    const char *config_path;        /* required: the libconfig file (with
                                     * config_text: only its name in messages) */
    const char *const *sets;        /* "KEY=VALUE" overrides, like --set */
    size_t nsets;
    int force;                      /* re-send files that look unchanged */
    int dry_run;                    /* plan only, move nothing */
    int verbose;                    /* say more (topology source, plan) */
    int quiet;                      /* errors only */
    enum mpift_progress progress;
    const char *report_path;        /* JSON report (NULL: none); set on every
                                       rank or none: rank 0's path is written */
    const char *module_path;        /* informational: where the module was found */
    /* The configuration itself, instead of reading config_path (hook ABI
     * 1.1; mpift-stage's SRC... DEST form builds it): used as rank 0's
     * text, as if it were config_path's contents with every @include
     * spliced in (so it should hold none: each rank would resolve it).
     * Relative paths in it resolve against config_path's folder, as for
     * a file.  NULL: read config_path. */
    const char *config_text;
    /* The hook table's init only (mpift-stage --as-user; hook ABI 1.1):
     * when as_user is set, every rank, started as root, becomes as_uid:
     * as_gid with that user's groups, for good, right after MPI_Init and
     * before it reads the configuration or opens any source or
     * destination.  mpift_open ignores them: an application that calls it
     * chooses its own identity. */
    int as_user;
    uint32_t as_uid;
    uint32_t as_gid;
    /* With progress = MPIFT_PROGRESS_JSONL (hook ABI 1.2): the file
     * descriptor rank 0 writes the lines to; 0 (the default) or less:
     * standard error. */
    int progress_fd;
    /* The hook table's init only (hook ABI 1.2): this rank's launcher
     * refused its command line on grounds only this rank can judge (a SRC
     * as rank 0 sees it, a value the configuration refuses) and said why.
     * The module starts MPI and fails the configuration with
     * MPIFT_ERR_USAGE, so every rank ends with exit 2 together: a rank
     * that left before MPI_Init would leave MPICH's mpiexec waiting for
     * ever on the others. */
    int refused;
    /* Keep each stage-in's and stage-out's result in memory on every
     * rank, for mpift_result() and mpift_result_json(); the same on
     * every rank (a setting the ranks must agree on).  It costs what a
     * --report costs (rank 0 gathers what every rank did with every
     * file) and one broadcast of the report's text; no file is written
     * unless report_path is set.  0: none kept (mpift-stage's choice;
     * the hook ABI does not change). */
    int keep_result;
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
 * ctx      set to a new context the caller releases with mpift_close(); set
 *          to NULL on failure (nothing to release).
 *
 * Configuration errors are reported on stderr by rank 0 (file:line: key:
 * cause); a dest root that does not work, by the rank it belongs to.
 * Returns, the same code on every rank unless said otherwise:
 *   MPIFT_OK
 *   MPIFT_ERR_CONFIG  the configuration file cannot be read, does not
 *                     parse, has an unknown key, a value of the wrong type
 *                     or lacks a required one; paths.dest does not expand
 *                     to an absolute path on some rank; copies =
 *                     "per-rank" and two ranks of a node share a dest root;
 *                     transfer.checksum differs between ranks (opts->sets
 *                     given to some ranks only)
 *   MPIFT_ERR_RANGE   a value is out of range (version other than 1, a
 *                     size or count beyond its limits)
 *   MPIFT_ERR_USAGE   a malformed opts->sets entry (not KEY=VALUE, a group,
 *                     a list); at once, on this rank alone: comm, opts or
 *                     opts->config_path NULL, or opts->size too small
 *   MPIFT_ERR_ENV     at once, on this rank alone: MPI is not initialised
 *   MPIFT_ERR_IO      a relative config_path on a rank whose working
 *                     folder cannot be named (getcwd() failed), on that rank
 *   MPIFT_ERR_MPI, MPIFT_ERR_NOMEM   (abort the job, see above)
 */
MPIFT_EXPORT int mpift_open(void *comm, const struct mpift_options *opts, mpift_ctx_t **ctx);

/*
 * mpift_open_f - mpift_open for a Fortran communicator handle: MPI_Fint,
 * what MPI_COMM_WORLD and the communicators of `use mpi` or mpif.h are
 * (comm%MPI_VAL with `use mpi_f08`).  The library converts it with
 * MPI_Comm_f2c; everything else, the returns included, is mpift_open's,
 * and MPIFT_ERR_USAGE for a handle that converts to MPI_COMM_NULL (one
 * MPI does not know may instead stop the job with MPI's own error).  A
 * NULL opts->config_path on any rank (the Fortran module refusing an
 * argument that holds a NUL byte) is MPIFT_ERR_USAGE on every rank, with
 * no file loaded: the ranks agree on it first.
 * MPI_Fint is an int in every MPI libmpift builds with (checked when it
 * is built), so this header still needs no <mpi.h>.  The Fortran module
 * `mpift` (mpift.mod, libmpift_fortran) calls it for Fortran programs.
 */
MPIFT_EXPORT int mpift_open_f(int comm, const struct mpift_options *opts, mpift_ctx_t **ctx);

/*
 * mpift_stage_in - collective: put the configuration's stage_in files on
 * every node's (or rank's) dest root, verified and atomically.  Each
 * failure is named on stderr by the rank that saw it; rank 0 prints the
 * summary (and the plan, with dry_run).
 *
 * Returns, the same code on every rank (MPI, PROTO and NOMEM aside):
 *   MPIFT_OK          every file is in place and verified, or skipped as
 *                     unchanged (same size and mtime, without force); with
 *                     dry_run, the plan was printed and nothing moved
 *   MPIFT_ERR_FILES   one or more copies failed: a source that cannot be
 *                     staged (missing, leaving paths.source, not a regular
 *                     file, a folder without recursive, two with one
 *                     destination, replaced since it was planned), a copy
 *                     still wrong, or a source still changing while it is
 *                     read, after transfer.retries re-sends; a file over a
 *                     writer's RLIMIT_FSIZE (see below); refused before
 *                     anything is sent (nothing was): too little room or
 *                     too few inodes on a node, a dest root or folder that
 *                     cannot be made or written in, another run writing
 *                     into a node's dest root; the first failure with
 *                     transfer.on_error = "abort"; a --report file that
 *                     could not be written
 *
 * A file larger than a writer's file size limit (RLIMIT_FSIZE, "ulimit
 * -f", which batch systems pass on from the submitting shell) makes the
 * kernel send that rank SIGXFSZ, which kills it unless ignored.
 * mpift-stage ignores it, so the file fails alone (EFBIG, named with the
 * limit) and the others move; an application that stages with mpift
 * should do the same before mpift_stage_in: signal(SIGXFSZ, SIG_IGN).
 *   MPIFT_ERR_CONFIG  stage_in lists no files; paths.source does not exist
 *   MPIFT_ERR_RANGE   paths.source expands to a path longer than PATH_MAX
 *   MPIFT_ERR_USAGE   ctx is NULL
 *   MPIFT_ERR_MPI, MPIFT_ERR_PROTO (the plan or a file's stream from
 *   another rank did not validate), MPIFT_ERR_NOMEM   (abort the job)
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
 * written.  Each failure is named on stderr; rank 0 prints the summary.
 *
 * Returns, the same code on every rank (MPI, PROTO and NOMEM aside):
 *   MPIFT_OK          every file is in collect and verified, or skipped as
 *                     unchanged; with dry_run, the plan was printed
 *   MPIFT_ERR_FILES   one or more copies failed: a writer's dest root or
 *                     one of its files cannot be listed, two ranks with
 *                     one final path, paths.collect cannot be made, too
 *                     little room or too few inodes under it, or another
 *                     run writing into it (nothing was sent), a copy
 *                     still wrong (or a file still changing while it is
 *                     read) after the retries, the first failure with
 *                     on_error = "abort", a --report file that could not
 *                     be written
 *   MPIFT_ERR_CONFIG  no stage_out list or no paths.collect; on rank 0
 *                     alone (abort the job): paths.collect expands to a
 *                     path longer than PATH_MAX
 *   MPIFT_ERR_RANGE   on a writer alone (abort the job): its list of files
 *                     is too long to send (over 2 GiB of names)
 *   MPIFT_ERR_USAGE   ctx is NULL
 *   MPIFT_ERR_MPI, MPIFT_ERR_PROTO, MPIFT_ERR_NOMEM   (abort the job)
 */
MPIFT_EXPORT int mpift_stage_out(mpift_ctx_t *ctx);

/*
 * mpift_close - collective: free the context and its communicators; sets
 * *ctx to NULL.  Call it before MPI_Finalize().  Always returns MPIFT_OK
 * (ctx NULL or *ctx NULL is accepted and does nothing).
 */
MPIFT_EXPORT int mpift_close(mpift_ctx_t **ctx);

/*
 * mpift_check_config - validate a configuration without any MPI job (opts
 * must not be NULL; config_path, sets, quiet and verbose are used).
 * Prints each error (file:line: key: cause) on stderr, with message
 * settings of its own (an open context's are left as they are).
 * Returns:
 *   MPIFT_OK
 *   MPIFT_ERR_CONFIG  the file cannot be read, does not parse, has an
 *                     unknown key, a wrong type or a missing required key
 *   MPIFT_ERR_RANGE   a value is out of range
 *   MPIFT_ERR_USAGE   config_path is NULL; a malformed opts->sets entry
 *   MPIFT_ERR_NOMEM
 */
MPIFT_EXPORT int mpift_check_config(const struct mpift_options *opts);

/*
 * ---------------------------------------------------------------------------
 * The result of a run, in memory: what mpift_stage_in or mpift_stage_out
 * did, the same on every rank, when the context was opened with
 * opts->keep_result set.  The figures are those of the --report file
 * (docs/report.md), which mpift_result_json gives whole.
 *
 *     opts.keep_result = 1;  mpift_open(&comm, &opts, &ctx);
 *     rc = mpift_stage_in(ctx);                       MPIFT_OK or _ERR_FILES
 *     struct mpift_result res = { .size = sizeof(res) };
 *     if (mpift_result(ctx, &res) == MPIFT_OK)
 *         printf("%llu failed\n", (unsigned long long)res.failed);
 *     char *json;
 *     if (mpift_result_json(ctx, &json, NULL) == MPIFT_OK) { ...; mpift_free(json); }
 */

/* Which call a result is of. */
enum mpift_mode { MPIFT_MODE_STAGE_IN = 1, MPIFT_MODE_STAGE_OUT = 2 };

/* Totals of one run.  Set `size` to sizeof(struct mpift_result): fields
 * are only ever appended, and the library fills only what fits in size. */
struct mpift_result {
    uint32_t size;
    int status;                /* what the call returned: MPIFT_OK or MPIFT_ERR_FILES */
    int mode;                  /* enum mpift_mode */
    uint64_t files;            /* entries of the report's "files" list: the files
                                * planned (stage-in) or found on the writers (stage-out) */
    uint64_t bytes;            /* their sizes, summed */
    uint64_t copies_written;   /* copies written, over every node */
    uint64_t unchanged;        /* copies left as they were (same size and mtime) */
    uint64_t failed;           /* copies that failed, and sources that could not
                                * be planned (a lower bound when folders_not_read) */
    uint64_t bytes_written;    /* bytes written, over every node */
    uint64_t wire_bytes;       /* what the files' chunks took on one link
                                * (compressed or not, every attempt) */
    uint64_t folders_not_read; /* source folders that could not be listed */
    double seconds;            /* the run's time, to the microsecond */
};

/*
 * mpift_result - the totals of the last mpift_stage_in or mpift_stage_out
 * on this context, into *res (up to res->size).  Not collective: any rank,
 * any time until the next run or mpift_close.
 * Returns:
 *   MPIFT_OK
 *   MPIFT_ERR_NOENT   no result is kept: opts->keep_result was 0, no run
 *                     yet, the last one was a dry run, or it returned
 *                     neither MPIFT_OK nor MPIFT_ERR_FILES, or memory ran
 *                     out gathering it (said on stderr)
 *   MPIFT_ERR_USAGE   ctx or res NULL, res->size too small
 */
MPIFT_EXPORT int mpift_result(const mpift_ctx_t *ctx, struct mpift_result *res);

/*
 * mpift_result_json - the last run's report, the JSON that --report FILE
 * would hold (report_version 1, docs/report.schema.json), as a new
 * NUL-terminated string in *json that the caller releases with
 * mpift_free(); its length in *len unless len is NULL.  Works whether or
 * not report_path was set.  Returns mpift_result()'s codes (*json NULL on
 * failure), MPIFT_ERR_USAGE for a NULL json, and MPIFT_ERR_NOMEM.
 */
MPIFT_EXPORT int mpift_result_json(const mpift_ctx_t *ctx, char **json, size_t *len);

/* Release memory the library gave the caller (mpift_result_json).  NULL
 * is accepted. */
MPIFT_EXPORT void mpift_free(void *p);

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
 * MPIFT_ERR_PROTO mean the job cannot go on (abort it; the call said so on
 * stderr too).
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
 * until every worker has called mpift_done().  stats may be NULL; it is
 * filled (up to its size) unless the call returns MPIFT_ERR_USAGE.
 * Returns:
 *   MPIFT_OK          every worker is done (failed transfers are counted,
 *                     and reported to the worker that asked)
 *   MPIFT_ERR_USAGE   ctx is NULL; called on another rank, or a second time
 *   MPIFT_ERR_CONFIG  paths.source or paths.collect expands to a path
 *                     longer than PATH_MAX
 *   MPIFT_ERR_PROTO   a worker sent something that does not validate
 *   MPIFT_ERR_MPI, MPIFT_ERR_NOMEM
 * A failure other than MPIFT_ERR_USAGE leaves workers waiting: abort the
 * job.
 */
MPIFT_EXPORT int mpift_serve(mpift_ctx_t *ctx, struct mpift_serve_stats *stats);

/*
 * mpift_fetch - a worker: copy the master's paths.source/NAME to this
 * rank's dest root/NAME.  The copy lands there (a temporary name, then
 * rename) only when the call succeeds; the dest root and NAME's folders
 * may be made either way.  The first worker call on a rank allocates its
 * transfer buffers (transfer.window x transfer.chunk_size).  Returns:
 *   MPIFT_OK
 *   MPIFT_ERR_NOENT     no such file on the master
 *   MPIFT_ERR_ESCAPE    NAME is not a relative path below its root
 *                       (absolute, a ".." or inner "." component, a
 *                       control character, PATH_MAX bytes or more), or
 *                       leads out of it through a symlink
 *   MPIFT_ERR_RANGE     NAME names the root itself ("" or "."), or is too
 *                       long once joined to the root
 *   MPIFT_ERR_IO        the master cannot read it (not a regular file, a
 *                       read error), or this rank cannot write it
 *   MPIFT_ERR_CHECKSUM  still wrong after transfer.retries re-sends
 *   MPIFT_ERR_USAGE     ctx or NAME is NULL; called on rank 0 or after
 *                       mpift_done
 *   MPIFT_ERR_NOMEM     no memory for the transfer buffers
 *   MPIFT_ERR_MPI, MPIFT_ERR_PROTO   (abort the job)
 */
MPIFT_EXPORT int mpift_fetch(mpift_ctx_t *ctx, const char *name);

/*
 * mpift_put - a worker: copy this rank's dest root/NAME to the master's
 * paths.collect/NAME.  Same returns as mpift_fetch with the sides swapped
 * (MPIFT_ERR_NOENT: no such file on this rank; MPIFT_ERR_IO: this rank
 * cannot read it, or the master cannot make paths.collect or write there),
 * and MPIFT_ERR_CONFIG when paths.collect is not set.
 */
MPIFT_EXPORT int mpift_put(mpift_ctx_t *ctx, const char *name);

/*
 * mpift_send_to - a worker: copy this rank's dest root/NAME straight to
 * worker `rank`'s dest root/NAME (not through the master).  That worker
 * must call mpift_recv_from(ctx, <this rank>, ...): the pair is matched
 * like MPI_Send and MPI_Recv.  Same returns as mpift_put (the receiver's
 * verdict on its copy; no MPIFT_ERR_CONFIG), and MPIFT_ERR_RANGE for a
 * rank that is not another worker.  A call refused before anything is
 * sent (MPIFT_ERR_USAGE, _ESCAPE or _RANGE for NAME or `rank`,
 * MPIFT_ERR_NOMEM) does not reach the receiver: its mpift_recv_from
 * waits for this rank's next mpift_send_to.
 */
MPIFT_EXPORT int mpift_send_to(mpift_ctx_t *ctx, const char *name, int rank);

/*
 * mpift_recv_from - a worker: receive the file worker `rank` sends with
 * mpift_send_to into this rank's dest root; its name (relative to the
 * root) is copied to name (namelen bytes, cut to fit) unless name is NULL,
 * once the sender's announcement came (also when the copy then failed).
 * Returns MPIFT_OK; the sender's failure (MPIFT_ERR_NOENT, _ESCAPE, _RANGE,
 * _IO: it could not read its file; no copy is written here);
 * MPIFT_ERR_IO (this rank cannot write it); MPIFT_ERR_CHECKSUM (still
 * wrong after the retries); MPIFT_ERR_RANGE (`rank` is not another
 * worker); MPIFT_ERR_USAGE (ctx NULL, on rank 0, after mpift_done);
 * MPIFT_ERR_NOMEM; MPIFT_ERR_MPI, MPIFT_ERR_PROTO (abort the job).
 */
MPIFT_EXPORT int mpift_recv_from(mpift_ctx_t *ctx, int rank, char *name, size_t namelen);

/*
 * mpift_done - a worker: no more requests to the master from this rank.
 * Returns MPIFT_OK; MPIFT_ERR_USAGE (ctx NULL, on rank 0, a second call);
 * MPIFT_ERR_NOMEM (the transfer buffers, if no call made them yet: the
 * master still waits for this rank); MPIFT_ERR_MPI.
 */
MPIFT_EXPORT int mpift_done(mpift_ctx_t *ctx);

/* This rank's dest root (paths.dest expanded for it): where fetch and
 * recv_from put files and where put and send_to read them.  Owned by the
 * context, valid until mpift_close; "" for a NULL ctx. */
MPIFT_EXPORT const char *mpift_dest_root(const mpift_ctx_t *ctx);

/* Why the last failed service call (mpift_serve, mpift_fetch ... mpift_done)
 * on this rank failed; "" once a call starts, and after one that succeeded
 * (a call refused for a NULL ctx or NAME leaves it as it was).  Owned by
 * the context: the next service call overwrites it.  "" for a NULL ctx. */
MPIFT_EXPORT const char *mpift_errmsg(const mpift_ctx_t *ctx);

#ifdef __cplusplus
}
#endif
#endif /* MPIFT_MPIFT_H */
