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
 *     hk->finalize(&ctx)                      mpift_close + MPI_Finalize
 *
 * RTLD_GLOBAL matters: Open MPI loads its own components with dlopen and they
 * expect libmpi's symbols to be globally visible.
 *
 * ABI rules: fields are only ever appended.  A new field bumps abi_minor; any
 * other change bumps abi_major.  A host refuses a module of another major, or
 * of an older minor than it was built for (the fields it needs are missing),
 * and refuses any NULL pointer it is about to call.
 */
#ifndef MPIFT_HOOK_H
#define MPIFT_HOOK_H

#include <stdint.h>
#include <mpift/mpift.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MPIFT_HOOK_ABI_MAJOR 1
#define MPIFT_HOOK_ABI_MINOR 0
#define MPIFT_HOOK_ENTRY_NAME "mpift_hook_entry"
#define MPIFT_MODULE_FILENAME "mpift.so"

struct mpift_hook {
    uint32_t abi_major;
    uint32_t abi_minor;
    const char *name;     /* "mpift" */
    const char *version;  /* package version, e.g. "0.1.0" */

    /* Validate the configuration; no MPI.  Returns a status code. */
    int (*check)(const struct mpift_options *opts);
    /* MPI_Init (if not yet initialised) and mpift_open() on MPI_COMM_WORLD. */
    int (*init)(const struct mpift_options *opts, int *argc, char ***argv, mpift_ctx_t **ctx);
    /* Stage in / stage out / master console: collective, return a status. */
    int (*stage_in)(mpift_ctx_t *ctx);
    int (*stage_out)(mpift_ctx_t *ctx);
    int (*shell)(mpift_ctx_t *ctx);
    /* mpift_close() and MPI_Finalize() if init initialised MPI.  `status` is
     * the run's status: a failing one with MPI unusable aborts the job. */
    int (*finalize)(mpift_ctx_t **ctx, int status);
    /* Name of a status code (same as mpift_strerror). */
    const char *(*strerror)(int status);
};

typedef const struct mpift_hook *mpift_hook_entry_fn(void);

/* Exported by the module under MPIFT_HOOK_ENTRY_NAME. */
MPIFT_EXPORT const struct mpift_hook *mpift_hook_entry(void);

#ifdef __cplusplus
}
#endif
#endif /* MPIFT_HOOK_H */
