/*
 * hook.c - the module's one entry point: the versioned hook table.
 */
#include "mpift_autoconf.h"

#include <mpi.h>
#include <errno.h>
#include <grp.h>
#include <ifaddrs.h>
#include <pwd.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpift/hook.h"
#include "job/context.h"
#include "util/ifspeed.h"
#include "util/log.h"
#include "service/console.h"
#include "stage/cache_cmd.h"
#include "util/progress.h"
#include "comm/status.h"
#include "comm/wait.h"
#include "comm/watch.h"
#include "wire/tags.h"
#include "config/config.h"

/*
 * Over TCP, Open MPI sends a message larger than btl_tcp_eager_limit
 * (64 KiB) only after a round trip to its receiver.  On a relay, that
 * handshake travels on the uplink the relay keeps full forwarding data, so
 * it waits behind up to a queue's worth of bytes and the pipeline stalls:
 * 64 MiB through 3 relays on 200 Mbit/s links took 3.53 s with 1 MiB
 * chunks, 2.94 s once chunks up to 1 MiB go eagerly (memory stayed at
 * 23 MB per rank: eager sends still complete only when written), and the
 * fan-out rows lost up to 1.8x without it.  The price is a copy: an eager
 * chunk lands in Open MPI's buffer and every receiver copies it into
 * mpift's (a rendezvous one is PUT in place), the largest cost mpift had
 * beyond the floor's at memory speed (docs/fabric.md).  So the limit is
 * raised only where a link may set the pace: unless every interface
 * Open MPI's TCP transport would use is loopback or at least 25 Gbit/s
 * (util/ifspeed.h; an interface of unknown speed counts as slow, which
 * keeps the raise).
 * btl_tcp_max_send_size, the most a receiver takes in one fragment, is
 * raised in both cases: Open MPI reads a fragment into a buffer of the
 * larger of its own max_send_size and eager limit, unchecked, and nodes
 * whose interfaces differ may decide differently, a raised one sending
 * 1 MiB eagerly to one that did not raise.  So a send size the user set
 * (which may be smaller) makes every node raise alike, as mpift-stage
 * did before it chose per node.  Only mpift-stage's own MPI_Init gets
 * this, and only where the user set nothing (mpirun --mca passes
 * OMPI_MCA_* variables, which win; values in Open MPI's MCA parameter
 * files are not seen here, docs/fabric.md).  Open MPI's TCP transport
 * only: MPICH and its family (ch4 over UCX or libfabric) have other
 * protocols and knobs, and get nothing here.  what (len bytes) says what was chosen and why, for --verbose.
 */
/* Just over 1 MiB: a 1 MiB chunk and Open MPI's headers. */
#define TCP_EAGER_RAISED "1049600"

static void tcp_defaults(char *what, size_t len)
{
#ifdef OPEN_MPI
    struct ifaddrs *ifs = NULL;
    const char *set = getenv("OMPI_MCA_btl_tcp_eager_limit");
    const char *send = getenv("OMPI_MCA_btl_tcp_max_send_size");
    char why[MPIFT_WHY_MAX];
    int fast;

    /* After reading the user's (send): this sets only what is unset. */
    setenv("OMPI_MCA_btl_tcp_max_send_size", TCP_EAGER_RAISED, 0);
    if (set) {
        snprintf(what, len, "Open MPI's TCP eager limit: %s, as set (OMPI_MCA_btl_tcp_eager_limit)", set);
        return;
    }
    /* A send size the user chose is every receiver's buffer, perhaps
     * under 1 MiB: nodes that decided differently would then overflow it
     * (see above), so every node raises alike, as before the choice. */
    if (send) {
        setenv("OMPI_MCA_btl_tcp_eager_limit", TCP_EAGER_RAISED, 0);
        snprintf(what, len, "Open MPI's TCP eager limit raised to 1 MiB on every node: "
                 "OMPI_MCA_btl_tcp_max_send_size is set (%s), so no node may keep a smaller one", send);
        return;
    }
    if (getifaddrs(&ifs) != 0)
        ifs = NULL;
    fast = mpift_if_fast("/sys", getenv("OMPI_MCA_btl_tcp_if_include"), getenv("OMPI_MCA_btl_tcp_if_exclude"), ifs,
                         why, sizeof(why));
    if (ifs)
        freeifaddrs(ifs);
    if (!fast)
        setenv("OMPI_MCA_btl_tcp_eager_limit", TCP_EAGER_RAISED, 0);
    if (fast)
        snprintf(what, len, "Open MPI's TCP eager limit left at its own (chunks land in place): %s", why);
    else
        snprintf(what, len, "Open MPI's TCP eager limit raised to 1 MiB (no handshake before a chunk, copied once "
                 "on arrival): not every interface is loopback or %d Gbit/s: %s", MPIFT_IF_FAST_MBIT / 1000, why);
#else
    (void)len;
    what[0] = '\0';
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

/* uid's supplementary groups with gid among them, in a new array; *n
 * set.  NULL when out of memory. */
static gid_t *user_groups(uid_t uid, gid_t gid, int *n)
{
    struct passwd pw, *p = NULL;
    char buf[16384];
    long max = sysconf(_SC_NGROUPS_MAX);
    gid_t *g;

    if (max < 1)
        max = 65536;
    if (!(g = malloc((size_t)(max + 1) * sizeof(*g))))
        return NULL;
    *n = (int)max + 1;
    if (getpwuid_r(uid, &pw, buf, sizeof(buf), &p) != 0 || !p || getgrouplist(p->pw_name, gid, g, n) < 0) {
        /* No passwd entry (a service's numeric id), or more groups than
         * the kernel takes: the group given, alone. */
        g[0] = gid;
        *n = 1;
    }
    return g;
}

/*
 * MPI_Init, run as root, made shared-memory segments in /dev/shm (Open
 * MPI's vader_segment.*) that MPI_Finalize unlinks: in that sticky folder
 * only their owner may, so after the drop it failed with a warning on
 * every rank (its daemon removes them later).  The segments this rank
 * maps, of this job, are handed to the user it becomes.
 */
static void give_shared_memory(uid_t uid, gid_t gid)
{
    char line[4096];
    FILE *f = fopen("/proc/self/maps", "r");
    struct stat st;

    if (!f)
        return;
    while (fgets(line, sizeof(line), f)) {
        char *path = strstr(line, " /dev/shm/");
        if (!path)
            continue;
        path++;
        path[strcspn(path, "\n")] = '\0';
        if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == 0)
            (void)lchown(path, uid, gid);   /* at worst the warning stays */
    }
    fclose(f);
}

/*
 * This process becomes uid:gid with the user's groups (getgrouplist of its
 * passwd name, or gid alone when uid has none), for good: setgroups,
 * setgid, setuid last, then checked that no id is left at root's and that
 * setuid(0) fails.  The groups and the gid can only be set while still
 * root.  Returns MPIFT_OK, or MPIFT_ERR_ENV (_NOMEM) with why.
 */
static int identity_drop(uid_t uid, gid_t gid, char *why, size_t whylen)
{
    gid_t *groups;
    int n = 0, rc = MPIFT_ERR_ENV;

    if (!(groups = user_groups(uid, gid, &n))) {
        snprintf(why, whylen, "cannot list the groups of uid %u: out of memory", (unsigned)uid);
        return MPIFT_ERR_NOMEM;
    }
    give_shared_memory(uid, gid);
    if (setgroups((size_t)n, groups) != 0)
        snprintf(why, whylen, "setgroups (%d groups of uid %u): %s", n, (unsigned)uid, strerror(errno));
    else if (setgid(gid) != 0)
        snprintf(why, whylen, "setgid(%u): %s", (unsigned)gid, strerror(errno));
    else if (setuid(uid) != 0)
        snprintf(why, whylen, "setuid(%u): %s", (unsigned)uid, strerror(errno));
    else if (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid)
        snprintf(why, whylen, "the ids did not all change (uid %u/%u, gid %u/%u)", (unsigned)getuid(),
                 (unsigned)geteuid(), (unsigned)getgid(), (unsigned)getegid());
    else if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
        snprintf(why, whylen, "root could be regained after setuid(%u)", (unsigned)uid);
    else
        rc = MPIFT_OK;
    free(groups);
    return rc;
}

/* One collective before any context, under a watch of its own (util/
 * wait.h): a rank that never comes stops the job after the default
 * timeout, naming what was awaited, instead of a hang. */
static int world_allreduce(void *in, void *out, int n, MPI_Datatype type, MPI_Op op, const char *doing)
{
    struct mpift_watch w;
    MPI_Request rq;
    int rc;

    if (mpift_watch_init(&w, MPI_COMM_WORLD, MPIFT_TAG_SVC_ALIVE, MPIFT_TIMEOUT_DEFAULT) != MPIFT_OK)
        return MPIFT_ERR_NOMEM;
    rc = mpift_wait_coll(&w, doing, MPI_Iallreduce(in, out, n, type, op, MPI_COMM_WORLD, &rq), &rq);
    mpift_watch_free(&w);
    return rc;
}

/* Does every rank have the same --as-user?  {as_user, uid, gid} and their
 * negations, reduced by MIN: equal everywhere when min == -max. */
static int as_user_agreed(const struct mpift_options *opts, int rank)
{
    long long v[6], all[6];
    int rc;

    v[0] = opts->as_user != 0;
    v[1] = opts->as_user ? (long long)opts->as_uid : -1;
    v[2] = opts->as_user ? (long long)opts->as_gid : -1;
    v[3] = -v[0];
    v[4] = -v[1];
    v[5] = -v[2];
    rc = world_allreduce(v, all, 6, MPI_LONG_LONG, MPI_MIN, "waiting for every rank to agree on --as-user");
    if (rc != MPIFT_OK)
        return rc;
    if (all[0] == -all[3] && all[1] == -all[4] && all[2] == -all[5])
        return MPIFT_OK;
    if (rank == 0)
        mpift_log_error("--as-user differs between ranks (%s): give every rank the same --as-user, or none; "
                        "nothing was read or written", all[0] != -all[3] ? "some ranks have it, some do not"
                        : "they name different users or groups");
    return MPIFT_ERR_USAGE;
}

/*
 * --as-user (a copy service started as root that stages for a user, as
 * data movers run "dcp --uid --gid"): every rank becomes the user right
 * after MPI_Init (before it, MPI cannot start: its launcher's shared
 * files are root's) and before mpift_open reads the configuration.  The
 * ranks first agree that they all have the same --as-user (a wrapper
 * passing it to some ranks only would leave the others root; exit 2 on
 * every rank), then say whether each became the user, so none goes on as
 * root, nor waits in mpift_open for one that stopped.  Both under a watch:
 * no context, so no watchdog, exists yet.  A caller whose options predate
 * the field has no --as-user anywhere: nothing to agree.
 */
/* Does the caller's struct have the --as-user fields (hook ABI 1.1)? */
static int knows_as_user(const struct mpift_options *opts)
{
    return opts->size >= offsetof(struct mpift_options, as_gid) + sizeof(opts->as_gid);
}

static int become_user(const struct mpift_options *opts, int rank)
{
    char why[256] = "";
    int rc, all = 0;

    if (!knows_as_user(opts))
        return MPIFT_OK;
    if ((rc = as_user_agreed(opts, rank)) != MPIFT_OK || !opts->as_user)
        return rc;
    rc = identity_drop((uid_t)opts->as_uid, (gid_t)opts->as_gid, why, sizeof(why));
    if (rc != MPIFT_OK)
        mpift_log_error("--as-user %u:%u: %s; nothing was read or written", (unsigned)opts->as_uid,
                        (unsigned)opts->as_gid, why);
    rc = world_allreduce(&rc, &all, 1, MPI_INT, MPI_MIN, "waiting for every rank to become the --as-user user");
    return rc != MPIFT_OK ? rc : all;
}

/*
 * With --as-user, ranks talk over the shared memory MPI_Init made while
 * they were root.  UCX (MPICH's ch4 here) maps a peer's segment when it
 * first sends to it, after the drop: a SysV segment is root's (shmat:
 * EACCES), and a POSIX one is reached through /proc/PID/fd, which a
 * process that changed its ids may not open.  Measured under MPICH 4.0.2:
 * the job hung in its first collective.  So, where the user set neither,
 * UCX leaves SysV out and opens POSIX segments by name, in /dev/shm,
 * which become_user hands over like Open MPI's.
 */
static void as_user_shm_defaults(const struct mpift_options *opts)
{
    if (!knows_as_user(opts) || !opts->as_user)
        return;
    setenv("UCX_TLS", "^sysv", 0);
    setenv("UCX_POSIX_USE_PROC_LINK", "n", 0);
}

static int hook_init(const struct mpift_options *opts, int *argc, char ***argv, mpift_ctx_t **ctx)
{
    int initialized = 0, rc, rank = -1;
    MPI_Comm world = MPI_COMM_WORLD;
    char tcp[MPIFT_WHY_MAX + 256] = "";
    const char *local = getenv("OMPI_COMM_WORLD_LOCAL_RANK");

    *ctx = NULL;
    /* A file over this rank's RLIMIT_FSIZE (batch systems pass on the
     * submitting shell's) would kill it with SIGXFSZ, silently, the other
     * files unmoved and temporaries left: ignored, the write fails with
     * EFBIG and that file alone fails, named (engine/sink.c). */
    signal(SIGXFSZ, SIG_IGN);
    MPI_Initialized(&initialized);
    if (!initialized) {
        tcp_defaults(tcp, sizeof(tcp));
        as_user_shm_defaults(opts);
    }
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
    /* Once per node (its first rank): nodes may differ. */
    if (tcp[0] && (!local || strcmp(local, "0") == 0))
        mpift_log_verbose("%s", tcp);
    if ((rc = become_user(opts, rank)) == MPIFT_OK)
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

/* --cache-list / --cache-prune: one session of the watchdog, like every
 * collective call (api.c). */
static int hook_cache(mpift_ctx_t *ctx, int prune, uint64_t size)
{
    struct mpift_log *was = mpift_log_use(&ctx->log);
    int rc, end;

    mpift_watch_begin(&ctx->watch);
    rc = mpift_cache_cmd(ctx, prune, size);
    if (!mpift_status_fatal(rc)) {
        end = mpift_watch_end(&ctx->watch);
        rc = end != MPIFT_OK ? end : rc;
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
    .cache = hook_cache,
};

const struct mpift_hook *mpift_hook_entry(void)
{
    return &hook;
}
