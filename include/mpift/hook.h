/*
 * hook.h - the versioned hook table through which a launcher loads mpift.
 *
 * Copyright (c) 2026 The mpift developers.  BSD-3-Clause, see COPYING.
 *
 * The engine is a shared module (mpift.so).  Its one entry point,
 * MPIFT_HOOK_ENTRY_NAME, returns a pointer to a static, read-only table.  A
 * host (mpift-stage, a job launcher's prolog plugin) does:
 *
 *     void *h = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
 *     mpift_hook_entry_fn *entry = dlsym(h, MPIFT_HOOK_ENTRY_NAME);
 *     const struct mpift_hook *hk = entry();
 *     if (hk->abi_major != MPIFT_HOOK_ABI_MAJOR ||
 *         hk->abi_minor < MPIFT_HOOK_ABI_MINOR) refuse;
 *
 *     hk->check(&opts)                        validate config, no MPI needed
 *   or
 *     hk->init(&opts, argc, argv, &ctx)       MPI_Init + mpift_open on WORLD
 *     hk->stage_in(ctx)  | hk->stage_out(ctx) | hk->shell(ctx)
 *     hk->finalize(&ctx, status)              mpift_close + MPI_Finalize
 *
 * RTLD_GLOBAL matters: Open MPI loads its own components with dlopen and they
 * expect libmpi's symbols to be globally visible.
 *
 * ABI rules: fields are only ever appended.  A new field bumps abi_minor; any
 * other change bumps abi_major.  A host refuses a module of another major, or
 * of an older minor than it was built for (the fields it needs are missing),
 * and refuses any NULL pointer it is about to call.
 *
 * 1.1: check and init take the configuration's text from
 * opts->config_text when it is set, and init honours opts->as_user
 * (struct mpift_options).
 * 1.2: opts->progress may be MPIFT_PROGRESS_JSONL, written to
 * opts->progress_fd.
 * 1.3: cache (mpift-stage --cache-list, --cache-prune).
 */
#ifndef MPIFT_HOOK_H
#define MPIFT_HOOK_H

#include <stdint.h>
#include <mpift/mpift.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MPIFT_HOOK_ABI_MAJOR 1
#define MPIFT_HOOK_ABI_MINOR 3
#define MPIFT_HOOK_ENTRY_NAME "mpift_hook_entry"
#define MPIFT_MODULE_FILENAME "mpift.so"

/*
 * The functions return the status codes of mpift.h.  On any status the
 * host does the same: after init, whatever init returned, it calls
 * finalize(&ctx, status) once with the run's status (which ends the job
 * with MPI_Abort where the ranks can no longer agree), then exits with
 * mpift_exit_status(status), as mpift-stage does.  Threads: as mpift.h
 * says; init may call MPI_Init, so call it from the main thread.
 */
struct mpift_hook {
    uint32_t abi_major;
    uint32_t abi_minor;
    const char *name;     /* "mpift" */
    const char *version;  /* the module's version, e.g. "0.1.0": its
                           * mpift_version(), not this header's
                           * MPIFT_VERSION_STRING */

    /* mpift_check_config(): validate the configuration; no MPI, no init
     * or finalize.  Returns MPIFT_OK, MPIFT_ERR_CONFIG, _RANGE, _USAGE or
     * _NOMEM, each error already printed on stderr. */
    int (*check)(const struct mpift_options *opts);
    /* MPI_Init (unless MPI is initialised already: then the host's MPI is
     * used and left to the host) and mpift_open() on MPI_COMM_WORLD.
     * Before its MPI_Init it sets OMPI_MCA_btl_tcp_eager_limit and
     * OMPI_MCA_btl_tcp_max_send_size in the environment, unless set.
     * Returns mpift_open()'s codes, or MPIFT_ERR_ENV when MPI_Init failed
     * (not started under mpirun; said on stderr).  On failure *ctx is
     * NULL and an MPI that init started stays up until finalize (the host
     * calls finalize and nothing else), so the host can settle its exit
     * first: every rank leaves MPI_Finalize at its own moment, and under
     * srun --kill-on-bad-exit the first rank out with an error has Slurm
     * kill the others (mpift-stage ignores SIGTERM there). */
    int (*init)(const struct mpift_options *opts, int *argc, char ***argv, mpift_ctx_t **ctx);
    /* mpift_stage_in() / mpift_stage_out(): collective, their codes in
     * mpift.h. */
    int (*stage_in)(mpift_ctx_t *ctx);
    int (*stage_out)(mpift_ctx_t *ctx);
    /* The master console (mpift-stage --shell): collective; rank 0 reads
     * commands from stdin until quit or end of input, the others serve.
     * Returns MPIFT_OK after quit (a failed command is reported and the
     * console goes on); MPIFT_ERR_USAGE when opts->report_path was set at
     * init (said by rank 0); MPIFT_ERR_MPI, _PROTO or _NOMEM when the job
     * cannot go on. */
    int (*shell)(mpift_ctx_t *ctx);
    /* mpift_close(), then MPI_Finalize() if init called MPI_Init.  `status`
     * is the run's status: with MPIFT_ERR_MPI, _PROTO or _NOMEM it calls
     * MPI_Abort(MPI_COMM_WORLD, 3) first and does not return.  Returns
     * MPIFT_OK; *ctx is NULL after.  Keep the module loaded afterwards:
     * unloading Open MPI after MPI_Finalize is not safe. */
    int (*finalize)(mpift_ctx_t **ctx, int status);
    /* mpift_strerror(): the text of a status code; a constant, never NULL. */
    const char *(*strerror)(int status);
    /* The node caches (cache.dir; hook ABI 1.3): collective; each node's
     * leader lists its cache (prune 0: key, size, last use, in use) or
     * trims it to `size` bytes (prune 1; size UINT64_MAX: the node's
     * cache.max_size), and rank 0 prints every node's answer on stdout.
     * Returns MPIFT_OK, MPIFT_ERR_CONFIG (no cache.dir), MPIFT_ERR_FILES
     * (a node's folder refused or unreadable: its line says why) or
     * MPIFT_ERR_MPI. */
    int (*cache)(mpift_ctx_t *ctx, int prune, uint64_t size);
};

typedef const struct mpift_hook *mpift_hook_entry_fn(void);

/* Exported by the module under MPIFT_HOOK_ENTRY_NAME. */
MPIFT_EXPORT const struct mpift_hook *mpift_hook_entry(void);

#ifdef __cplusplus
}
#endif
#endif /* MPIFT_HOOK_H */
