/*
 * api.c - the public calls of mpift.h that open, use and close a context:
 * mpift_open, mpift_stage_in, mpift_stage_out, mpift_close and
 * mpift_check_config.  They check their arguments, select the context's
 * message settings for this thread, and hand over to the layer below
 * (job/ makes the context, stage/ moves the files): dependencies only
 * point down from here.
 */
#include "mpift_autoconf.h"

#include <stddef.h>

#include "mpift/mpift.h"
#include "config/config.h"
#include "job/context.h"
#include "service/worker.h"
#include "stage/result.h"
#include "stage/stage.h"
#include "util/cpu.h"
#include "util/log.h"
#include "comm/status.h"
#include "comm/watch.h"

int mpift_check_config(const struct mpift_options *opts)
{
    struct mpift_config *cfg = NULL;
    struct mpift_log log, *was;
    char err[MPIFT_CONFIG_ERR_MAX] = "";
    int rc;

    if (!opts || !opts->config_path)
        return MPIFT_ERR_USAGE;
    mpift_log_init(&log, NULL, -1, opts->quiet, opts->verbose);
    was = mpift_log_use(&log);
    rc = mpift_config_load(opts->config_path, mpift_config_text(opts), opts->sets, opts->nsets, &cfg, err, sizeof(err));
    if (rc != MPIFT_OK)
        mpift_config_print_errors(err);
    /* An unreadable config file is a configuration error (exit 2), as in
     * a real run: nothing was transferred. */
    if (rc == MPIFT_ERR_IO)
        rc = MPIFT_ERR_CONFIG;
    mpift_config_free(&cfg);
    mpift_log_use(was);
    return rc;
}

int mpift_open(void *comm, const struct mpift_options *opts, mpift_ctx_t **out)
{
    int initialized = 0;

    if (!out)
        return MPIFT_ERR_USAGE;
    *out = NULL;
    if (!comm || !opts || !opts->config_path || opts->size < offsetof(struct mpift_options, module_path))
        return MPIFT_ERR_USAGE;
    MPI_Initialized(&initialized);
    if (!initialized)
        return MPIFT_ERR_ENV;
    return mpift_context_open(*(MPI_Comm *)comm, opts, out);
}

/*
 * A collective call is one session of the watchdog (comm/watch.h): the
 * heartbeats that let a rank with nothing to do wait while the others
 * work run from its start to its end.  A failure that stops the job
 * (mpift_status_fatal) leaves the end out: the job is aborting.  The call
 * runs with its context's message settings selected and puts the
 * caller's back on the way out: no selection outlives a call.
 */
static int session(struct mpift_ctx *ctx, int (*run)(struct mpift_ctx *ctx))
{
    struct mpift_log *was = mpift_log_use(&ctx->log);
    struct mpift_cpu cpu;
    int rc, end;

    mpift_cpu_start(&cpu);
    mpift_stage_result_clear(ctx);   /* a run that keeps none shows none */
    mpift_watch_begin(&ctx->watch);
    rc = run(ctx);
    if (!mpift_status_fatal(rc)) {
        end = mpift_watch_end(&ctx->watch);
        rc = end != MPIFT_OK ? end : rc;
    }
    mpift_cpu_report(&cpu, ctx->topo.rank, ctx->topo.leader);
    mpift_log_use(was);
    return rc;
}

int mpift_stage_in(mpift_ctx_t *ctx)
{
    if (!ctx)
        return MPIFT_ERR_USAGE;
    return session(ctx, mpift_stage_in_run);
}

int mpift_stage_out(mpift_ctx_t *ctx)
{
    if (!ctx)
        return MPIFT_ERR_USAGE;
    return session(ctx, mpift_stage_out_run);
}

int mpift_close(mpift_ctx_t **pctx)
{
    struct mpift_ctx *ctx = pctx ? *pctx : NULL;

    if (!ctx)
        return MPIFT_OK;
    mpift_client_free(ctx);
    mpift_context_free(pctx);
    return MPIFT_OK;
}
