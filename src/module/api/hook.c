/*
 * hook.c - the module's one entry point: the versioned hook table.
 */
#include "mpift_autoconf.h"

#include <mpi.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "mpift/hook.h"
#include "job/context.h"
#include "util/log.h"
#include "service/console.h"
#include "util/progress.h"
#include "util/status.h"
#include "util/watch.h"

/*
 * Over TCP, Open MPI sends a message larger than btl_tcp_eager_limit
 * (64 KiB) only after a round trip to its receiver.  On a relay, that
 * handshake travels on the uplink the relay keeps full forwarding data, so
 * it waits behind up to a queue's worth of bytes and the pipeline stalls:
 * 64 MiB through 3 relays on 200 Mbit/s links took 3.53 s with 1 MiB
 * chunks, 2.94 s once chunks up to 1 MiB go eagerly (memory stayed at
 * 23 MB per rank: eager sends still complete only when written).  Only
 * mpift-stage's own MPI_Init gets this, and only where the user set
 * nothing (mpirun --mca passes OMPI_MCA_* variables, which win).
 * Open MPI's TCP transport only: MPICH and its family (ch4 over UCX or
 * libfabric) have other protocols and knobs, and get nothing here.
 */
static void tcp_defaults(void)
{
#ifdef OPEN_MPI
    setenv("OMPI_MCA_btl_tcp_eager_limit", "1049600", 0);
    setenv("OMPI_MCA_btl_tcp_max_send_size", "1049600", 0);
#endif
}

/*
 * The launcher's own message settings, for what it says outside a call on
 * the context: "aborting the job" after a failed mpift_open (the
 * context's settings went with it), prefixed with this rank as the old
 * process-wide settings did.
 */
static struct mpift_log launcher_log;

/* MPI_Init'd by hook_init, whose mpift_open failed: hook_finalize ends it. */
static int mpi_left_up;

static int hook_init(const struct mpift_options *opts, int *argc, char ***argv, mpift_ctx_t **ctx)
{
    int initialized = 0, rc, rank = -1;
    MPI_Comm world = MPI_COMM_WORLD;

    *ctx = NULL;
    /* A file over this rank's RLIMIT_FSIZE (batch systems pass on the
     * submitting shell's) would kill it with SIGXFSZ, silently, the other
     * files unmoved and temporaries left: ignored, the write fails with
     * EFBIG and that file alone fails, named (engine/sink.c). */
    signal(SIGXFSZ, SIG_IGN);
    MPI_Initialized(&initialized);
    if (!initialized)
        tcp_defaults();
    if (!initialized && MPI_Init(argc, argv) != MPI_SUCCESS) {
        fprintf(stderr, MPIFT_PROG ": MPI_Init failed: start mpift-stage under mpirun "
                "(mpirun -n N mpift-stage --config FILE)\n");
        return MPIFT_ERR_ENV;
    }
    MPI_Comm_rank(world, &rank);
    mpift_log_init(&launcher_log, NULL, rank, opts->quiet, opts->verbose);
    if (rank == 0 && mpift_same_terminal())
        launcher_log.err = stdout;
    mpift_log_use(&launcher_log);
    rc = mpift_open(&world, opts, ctx);
    if (rc == MPIFT_OK)
        (*ctx)->owns_mpi = !initialized;
    else
        mpi_left_up = !initialized; /* finalize aborts (a fatal status) or ends it */
    return rc;
}

static int hook_shell(mpift_ctx_t *ctx)
{
    struct mpift_log *was = mpift_log_use(&ctx->log);
    int rc;

    if (ctx->report_path) {
        if (ctx->topo.rank == 0)
            mpift_log_error("--report applies to stage-in and stage-out, not to --shell; run without it");
        rc = MPIFT_ERR_USAGE;
    } else {
        rc = mpift_service_run(ctx, stdin);
    }
    mpift_log_use(was);
    return rc;
}

static int hook_finalize(mpift_ctx_t **ctx, int status)
{
    int owns = *ctx ? (*ctx)->owns_mpi : mpi_left_up, finalized = 0, initialized = 0;

    MPI_Initialized(&initialized);
    MPI_Finalized(&finalized);
    /* An MPI or protocol failure may leave peers blocked in a collective:
     * only an abort ends the job reliably then. */
    if (mpift_status_fatal(status) && initialized && !finalized) {
        if (*ctx)
            mpift_log_use(&(*ctx)->log);
        mpift_log_error("aborting the job: %s", mpift_strerror(status));
        mpift_watch_abort(MPI_COMM_WORLD, 3);
    }
    mpift_close(ctx);
    mpift_log_use(&launcher_log);
    if (owns && initialized && !finalized)
        MPI_Finalize();
    mpi_left_up = 0;
    return MPIFT_OK;
}

static const struct mpift_hook hook = {
    .abi_major = MPIFT_HOOK_ABI_MAJOR,
    .abi_minor = MPIFT_HOOK_ABI_MINOR,
    .name = PACKAGE_NAME,
    .version = MPIFT_VERSION_STRING,
    .check = mpift_check_config,
    .init = hook_init,
    .stage_in = mpift_stage_in,
    .stage_out = mpift_stage_out,
    .shell = hook_shell,
    .finalize = hook_finalize,
    .strerror = mpift_strerror,
};

const struct mpift_hook *mpift_hook_entry(void)
{
    return &hook;
}
