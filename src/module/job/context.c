/*
 * context.c - make and free a context: the module's duplicates of the
 * host's communicator, the configuration, the topology, this rank's dest
 * root and its message settings.  The public calls that do it are in
 * api/api.c.
 *
 * Rank 0 reads the configuration file once, with every file it @includes
 * spliced in (config/include.c), and broadcasts that text: the other nodes
 * need not see the files, and every rank validates the same bytes, so they
 * all agree on success or failure.
 */
#include "mpift_autoconf.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/hash.h"

#include "mpift/mpift.h"
#include "comm/agree.h"
#include "job/agree.h"
#include "job/context.h"
#include "util/faults.h"
#include "util/log.h"
#include "util/progress.h"
#include "comm/status.h"
#include "comm/wait.h"
#include "wire/tags.h"
#include "config/template.h"

void mpift_config_print_errors(const char *err)
{
    const char *line = err, *nl;
    while (*line) {
        nl = strchr(line, '\n');
        mpift_log_error("%.*s", (int)(nl ? nl - line : (long)strlen(line)), line);
        if (!nl)
            break;
        line = nl + 1;
    }
}

#define SHARE_CONFIG "waiting for every rank to take the configuration from rank 0"

/*
 * Every rank parsed the same bytes, so all normally reach one verdict and
 * rank 0 speaks for them.  A rank that failed alone (memory, its working
 * folder) must neither stay silent nor leave the others waiting in the
 * next collective: the lowest failing rank says why, and its status
 * becomes every rank's.
 */
static int agree_config(struct mpift_ctx *ctx, int rc, const char *err)
{
    int rank, first, st;

    MPI_Comm_rank(ctx->comm, &rank);
    st = mpift_agree_first(ctx->comm, rc != MPIFT_OK, &first, &ctx->watch, SHARE_CONFIG);
    if (st != MPIFT_OK || first < 0)
        return st;
    /* Printed before the status goes out, so no rank ends before it. */
    if (rank == first)
        mpift_config_print_errors(err);
    st = mpift_agree_status_of(ctx->comm, first, &rc, &ctx->watch, SHARE_CONFIG);
    return st != MPIFT_OK ? st : rc;
}

/* mpift-stage SRC... DEST: every rank made its own text from its own
 * command line, but all parse rank 0's (text), so an option given to some
 * ranks only would be ignored there without a word.  The lowest rank whose
 * arguments differ from rank 0's names the first that differs; every rank
 * returns MPIFT_ERR_USAGE (exit 2). */
static int same_args(struct mpift_ctx *ctx, const struct mpift_options *opts, const char *text, int rank)
{
    char why[MPIFT_WHY_MAX];
    int differs, first, st;

    differs = rank != 0 && mpift_config_text(opts) &&
              mpift_config_args_differ(mpift_config_text(opts), text, rank, why, sizeof(why));
    st = mpift_agree_first(ctx->comm, differs, &first, &ctx->watch, SHARE_CONFIG);
    if (st != MPIFT_OK || first < 0)
        return st;
    if (rank == first)
        mpift_log_error("%s: give every rank the same options (all use rank 0's); nothing was read or written", why);
    return MPIFT_ERR_USAGE;
}

/* Rank 0 gathers the text (includes spliced in); all parse it.  Returns the
 * same code everywhere. */
static int load_config(struct mpift_ctx *ctx, const struct mpift_options *opts)
{
    char *text = NULL, err[MPIFT_CONFIG_ERR_MAX] = "";
    size_t len = 0;
    int rank, rc = MPIFT_OK, hdr[2];

    MPI_Comm_rank(ctx->comm, &rank);
    if (rank == 0 && mpift_config_refused(opts)) {
        rc = MPIFT_ERR_USAGE;   /* the launcher said why: stop every rank with it */
    } else if (rank == 0 && mpift_config_text(opts)) {
        /* Given whole (mpift-stage SRC... DEST): nothing to read or splice. */
        if (!(text = strdup(mpift_config_text(opts))))
            rc = MPIFT_ERR_NOMEM;
        len = text ? strlen(text) : 0;
    } else if (rank == 0 && (rc = mpift_config_gather(opts->config_path, &text, &len, err, sizeof(err))) != MPIFT_OK) {
        mpift_config_print_errors(err);   /* nothing is broadcast: an include rank 0 lacks stops all */
    }
    hdr[0] = rc;
    hdr[1] = (int)len;
    if ((rc = mpift_agree_bcast(ctx->comm, hdr, 2, MPI_INT, 0, &ctx->watch, SHARE_CONFIG)) != MPIFT_OK)
        goto out;
    if (hdr[0] != MPIFT_OK) {
        rc = hdr[0];
        goto out;
    }
    if (rank != 0 && !(text = malloc((size_t)hdr[1] + 1))) {
        rc = MPIFT_ERR_NOMEM; /* cannot agree cleanly any more: the caller aborts */
        goto out;
    }
    if ((rc = mpift_agree_bcast(ctx->comm, text, hdr[1] + 1, MPI_CHAR, 0, &ctx->watch, SHARE_CONFIG)) != MPIFT_OK)
        goto out;
    if ((rc = same_args(ctx, opts, text, rank)) != MPIFT_OK)
        goto out;
    rc = mpift_config_load(opts->config_path, text, opts->sets, opts->nsets, &ctx->cfg, err, sizeof(err));
    /* Test builds: this rank alone fails, as a lost working folder would. */
    if (rc == MPIFT_OK && mpift_fault_env("MPIFT_TEST_CONFIG_FAIL") &&
        atoi(mpift_fault_env("MPIFT_TEST_CONFIG_FAIL")) == rank) {
        snprintf(err, sizeof(err), "%s: refused on this rank alone (MPIFT_TEST_CONFIG_FAIL)", opts->config_path);
        rc = MPIFT_ERR_IO;
    }
    rc = agree_config(ctx, rc, err);
    /* Unreadable is a configuration error here: nothing was transferred. */
    if (rc == MPIFT_ERR_IO)
        rc = MPIFT_ERR_CONFIG;
out:
    free(text);
    return rc;
}

#define CHECK_ROOTS "waiting for every rank to check its dest root"

/*
 * %t names the launcher's temp dir.  Under Slurm that is the folder of
 * this one step (one srun), which Slurm deletes when the step ends: a
 * dest or collect there would report success and then vanish before the
 * job's next step.  Refused, the same on every rank (the flag is agreed).
 */
static int refuse_step_tmpdir(const struct mpift_ctx *ctx)
{
    const char *key[2] = { "paths.dest", "paths.collect" };
    const char *tmpl[2] = { ctx->cfg->dest, ctx->cfg->collect };
    unsigned uses;
    int i, bad = 0;

    if (!ctx->topo.tmpdir_per_step)
        return MPIFT_OK;
    for (i = 0; i < 2; i++) {
        if (!tmpl[i] || mpift_template_check(tmpl[i], &uses, NULL, 0) != MPIFT_OK || !(uses & MPIFT_T_TMP))
            continue;
        if (ctx->topo.rank == 0)
            mpift_log_error("%s: %s \"%s\" uses %%t, which here is this job step's own temp dir (%s): "
                            "Slurm deletes it when the step ends, so the job's next steps would find "
                            "nothing there.  Use a node-local folder named by the job instead, e.g. "
                            "%s = \"/tmp/mpift-%%u/%%j\" (see mpift.conf(5))",
                            ctx->cfg->file, key[i], tmpl[i], ctx->topo.tmpdir, key[i]);
        bad = 1;
    }
    return bad ? MPIFT_ERR_CONFIG : MPIFT_OK;
}

/*
 * copies = "per-rank": two ranks of one node with one root would write the
 * same files.  Every rank's root travels as its 64-bit XXH3 digest (a
 * root is up to PATH_MAX bytes; 8 bytes a rank keep this small at any
 * job size); two ranks of one node with equal digests share a root (a
 * false match has odds of 2^-64).  1 if this rank shares its root, 2 if
 * the exchange failed, else 0; of the ranks that share one root, the
 * lowest local rank says so.
 */
static int shared_root(struct mpift_ctx *ctx)
{
    const struct mpift_topo *t = &ctx->topo;
    uint64_t mine = XXH3_64bits(ctx->dest_root, strlen(ctx->dest_root)), *all;
    MPI_Request rq;
    int r, partner = -1, lowest = 1;

    if (!(all = malloc((size_t)t->size * sizeof(*all))))
        return 2;
    if (mpift_wait_coll(&ctx->watch, CHECK_ROOTS,
                        MPI_Iallgather(&mine, 1, MPI_UINT64_T, all, 1, MPI_UINT64_T, ctx->comm, &rq), &rq) != MPIFT_OK) {
        free(all);
        return 2;
    }
    for (r = 0; r < t->size; r++)
        if (r != t->rank && t->node_of[r] == t->nodeid && all[r] == mine) {
            if (partner < 0)
                partner = r;
            if (t->local_of[r] < t->local_rank)
                lowest = 0;
        }
    if (partner >= 0 && lowest)
        mpift_log_error("copies = \"per-rank\" but local ranks %d and %d share the dest root %s: "
                        "put %%r or %%l in paths.dest", t->local_rank, t->local_of[partner], ctx->dest_root);
    free(all);
    return partner >= 0;
}

/* Every rank's dest root, expanded; per-rank copies need them distinct per node. */
static int setup_roots(struct mpift_ctx *ctx)
{
    struct mpift_tvars v;
    int rc, bad = 0, anybad = 0;

    mpift_topo_tvars(&ctx->topo, ctx->topo.rank, &v);
    rc = mpift_template_expand(ctx->cfg->dest, &v, ctx->dest_root, sizeof(ctx->dest_root));
    if (rc != MPIFT_OK) {
        mpift_log_error("%s: paths.dest \"%s\" does not expand: %s", ctx->cfg->file, ctx->cfg->dest,
                        mpift_strerror(rc));
        bad = 1;
    } else if (ctx->dest_root[0] != '/') {
        mpift_log_error("%s: paths.dest expands to \"%s\", which is not an absolute path",
                        ctx->cfg->file, ctx->dest_root);
        bad = 1;
    }
    if ((rc = mpift_agree_any(ctx->comm, bad, &anybad, &ctx->watch, CHECK_ROOTS)) != MPIFT_OK)
        return rc;
    if (anybad)
        return MPIFT_ERR_CONFIG;

    if (ctx->cfg->copies == MPIFT_COPIES_PER_RANK) {
        bad = shared_root(ctx);
        if ((rc = mpift_agree_any(ctx->comm, bad, &anybad, &ctx->watch, CHECK_ROOTS)) != MPIFT_OK)
            return rc;
        if (anybad)
            return anybad == 1 ? MPIFT_ERR_CONFIG : MPIFT_ERR_MPI;
    }
    return MPIFT_OK;
}

int mpift_copies_writer(const struct mpift_topo *t, enum mpift_copies copies, int q)
{
    switch (copies) {
    case MPIFT_COPIES_PER_RANK: return 1;
    case MPIFT_COPIES_ONCE: return q == 0;
    default: return t->leaders[t->node_of[q]] == q;
    }
}

int mpift_ctx_writer(const struct mpift_ctx *ctx, int q)
{
    return mpift_copies_writer(&ctx->topo, ctx->cfg->copies, q);
}

int mpift_ctx_rank0_path(const struct mpift_ctx *ctx, const char *tmpl, char *out, size_t len)
{
    struct mpift_tvars v;

    mpift_topo_tvars(&ctx->topo, 0, &v);
    return mpift_template_expand(tmpl, &v, out, len);
}

#define JOINING "waiting for every rank to open its context"

int mpift_context_open(MPI_Comm comm, const struct mpift_options *opts, struct mpift_ctx **out)
{
    struct mpift_ctx *ctx;
    struct mpift_log *was;
    MPI_Request rq;
    int rc, rank;

    *out = NULL;
    ctx = calloc(1, sizeof(*ctx));
    if (!ctx)
        return MPIFT_ERR_NOMEM;
    /* Until the communicators are made, the watch has the host's; until
     * the configuration says otherwise, the default timeout. */
    if (mpift_watch_init(&ctx->watch, comm, MPIFT_TAG_SVC_ALIVE, MPIFT_TIMEOUT_DEFAULT) != MPIFT_OK) {
        free(ctx);
        return MPIFT_ERR_NOMEM;
    }
    ctx->comm = MPI_COMM_NULL;
    ctx->svc_comm = MPI_COMM_NULL;
    ctx->next_id = 1;
    ctx->force = opts->force;
    ctx->dry_run = opts->dry_run;
    ctx->progress = opts->progress;
    /* Options of a caller built before hook ABI 1.2 end before it. */
    if (opts->size >= offsetof(struct mpift_options, progress_fd) + sizeof(opts->progress_fd))
        ctx->progress_fd = opts->progress_fd;
    if (opts->size >= offsetof(struct mpift_options, keep_result) + sizeof(opts->keep_result))
        ctx->keep_result = opts->keep_result != 0;
    mpift_log_init(&ctx->log, NULL, -1, opts->quiet, opts->verbose);
    was = mpift_log_use(&ctx->log);
    if ((rc = mpift_wait_coll(&ctx->watch, JOINING, MPI_Comm_idup(comm, &ctx->comm, &rq), &rq)) != MPIFT_OK)
        goto out;
    /* Errors come back as codes: we decide what a failed call means. */
    MPI_Comm_set_errhandler(ctx->comm, MPI_ERRORS_RETURN);
    if ((rc = mpift_wait_coll(&ctx->watch, JOINING, MPI_Comm_idup(ctx->comm, &ctx->svc_comm, &rq), &rq)) != MPIFT_OK)
        goto out;
    ctx->watch.comm = ctx->svc_comm;
    MPI_Comm_rank(ctx->comm, &rank);
    mpift_log_init(&ctx->log, NULL, rank, opts->quiet, opts->verbose);
    if (opts->report_path && !(ctx->report_path = strdup(opts->report_path))) {
        rc = MPIFT_ERR_NOMEM;
        goto out;
    }
    rc = load_config(ctx, opts);
    if (rc != MPIFT_OK)
        goto out;
    mpift_watch_set(&ctx->watch, ctx->cfg->timeout, ctx->cfg->file, NULL, 0);
    rc = mpift_topo_discover(ctx->comm, &ctx->watch, &ctx->topo);
    if (rc != MPIFT_OK)
        goto out;
    mpift_watch_set(&ctx->watch, ctx->cfg->timeout, ctx->cfg->file, ctx->topo.hosts[0], MPIFT_HOST_MAX);
    mpift_log_init(&ctx->log, ctx->topo.host, rank, opts->quiet, opts->verbose);
    if (rank == 0 && mpift_same_terminal())
        ctx->log.err = stdout;
    if (rank == 0 && opts->module_path)
        mpift_log_verbose("engine module %s", opts->module_path);
    rc = mpift_job_agree(ctx);
    if (rc == MPIFT_OK)
        rc = refuse_step_tmpdir(ctx);
    if (rc == MPIFT_OK)
        rc = setup_roots(ctx);
out:
    mpift_log_use(was);
    if (rc != MPIFT_OK) {
        mpift_context_free(&ctx);
        return rc;
    }
    *out = ctx;
    return MPIFT_OK;
}

void mpift_context_free(struct mpift_ctx **pctx)
{
    struct mpift_ctx *ctx = *pctx;

    if (!ctx)
        return;
    if (mpift_log_current() == &ctx->log)
        mpift_log_use(NULL);
    mpift_watch_free(&ctx->watch);
    mpift_topo_free(&ctx->topo);
    mpift_config_free(&ctx->cfg);
    free(ctx->report_path);
    free(ctx->kept.json);
    if (ctx->svc_comm != MPI_COMM_NULL)
        MPI_Comm_free(&ctx->svc_comm);
    if (ctx->comm != MPI_COMM_NULL)
        MPI_Comm_free(&ctx->comm);
    free(ctx);
    *pctx = NULL;
}
