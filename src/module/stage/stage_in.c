/*
 * stage.c - stage-in.
 *
 *  1. rank 0 resolves paths.source and builds the plan; every rank gets it.
 *  2. every writer (node leader, every rank, or rank 0, by `copies`; the
 *     target rank of a scatter entry) marks the files it lacks: missing, or
 *     of another size or mtime, or all with --force.  The marks are shared.
 *  3. file by file, the source (rank 0) sends to the ranks that need it
 *     along the route the policy gives; every writer verifies and renames.
 *  4. copies that failed their checksum are marked again and re-sent, up to
 *     transfer.retries times.
 *  5. counts are summed on rank 0, which prints the summary; every rank
 *     returns the same status, so a node's other ranks wait for their leader.
 */
#include "mpift_autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "fs/fsafe.h"
#include "util/log.h"
#include "stage/plan.h"
#include "wire/proto.h"
#include "engine/sink.h"
#include "util/progress.h"
#include "stage/stage.h"
#include "config/template.h"
#include "engine/xfer.h"
#include "stage/route.h"

#define BATCH_FILES 128  /* most files in one batch */

/* Per-file outcome on a writer (stage.h). */
enum { FS_NONE = MPIFT_FS_NONE, FS_SKIPPED = MPIFT_FS_SKIPPED, FS_DONE = MPIFT_FS_DONE, FS_RETRY = MPIFT_FS_RETRY,
       FS_FAILED = MPIFT_FS_FAILED };

struct run {
    struct mpift_ctx *ctx;
    struct mpift_plan plan;
    struct mpift_xfer x;
    int rank, size;
    int rootfd;                 /* my dest root, when I write anything */
    unsigned char *mine;        /* [nbytes] my need bits */
    unsigned char *all;         /* [size * nbytes] everyone's */
    size_t nbytes;
    unsigned char *state;       /* [plan.n] enum fstate, on writers */
    int *recv;                  /* [size] scratch: receivers of one file */
    struct mpift_route_space route; /* what the route of one file points into */
    uint64_t *bids;             /* [BATCH_FILES] the batch being moved */
    const struct mpift_pfile **bfiles;
    struct mpift_xres *bres;
    uint64_t written, skipped, failed, bytes;
    uint64_t batches, batched;  /* rank 0: batch messages sent, files in them */
    int item_failed;            /* a file failed for good on this rank (on_error) */
    uint64_t *digest;           /* rank 0, with --report: [plan.n] xxh3 as sent */
    char *errs;                 /* with --report: "INDEX\tmessage\n" per failed copy */
    size_t errs_len, errs_cap;
    double t_done;              /* seconds this rank spent until its last file */
    double *stats;              /* rank 0, after summary(): [size][5] every rank's written,
                                 * unchanged, failed, bytes written, t_done */
    int stopped;                /* on_error = "abort" or preflight stopped the run */
    int local_fail;
};

static int bit(const unsigned char *b, size_t i) { return (b[i >> 3] >> (i & 7)) & 1; }
static void setbit(unsigned char *b, size_t i) { b[i >> 3] |= (unsigned char)(1u << (i & 7)); }

/* Does rank q keep a copy of f?  (A scatter file: only its target.) */
static int writes(const void *arg, int q, const struct mpift_pfile *f)
{
    const struct run *r = arg;

    return f->target >= 0 ? f->target == q : mpift_ctx_writer(r->ctx, q);
}

/* Does this rank keep a copy of file f? */
static int is_writer(const struct run *r, const struct mpift_pfile *f)
{
    return writes(r, r->rank, f);
}

static int mpi_ok(int rc) { return rc == MPI_SUCCESS ? MPIFT_OK : MPIFT_ERR_MPI; }

/* Agree on a status: the worst (most negative is not meaningful, so any
 * failure wins; the lowest rank's code is used). */
static int agree(MPI_Comm comm, int rc)
{
    int in[2], out[2], rank;
    MPI_Comm_rank(comm, &rank);
    in[0] = rc != MPIFT_OK ? 1 : 0;
    in[1] = rank;
    if (!in[0])
        in[1] = INT_MAX;
    /* MINLOC over "not failed" finds the lowest failing rank. */
    in[0] = !in[0];
    if (MPI_Allreduce(in, out, 1, MPI_2INT, MPI_MINLOC, comm) != MPI_SUCCESS)
        return MPIFT_ERR_MPI;
    if (out[0] == 1)
        return MPIFT_OK;
    if (MPI_Bcast(&rc, 1, MPI_INT, out[1], comm) != MPI_SUCCESS)
        return MPIFT_ERR_MPI;
    return rc;
}

/* 1. Rank 0 resolves the source root and plans; then everyone has the plan. */
static int make_plan(struct run *r)
{
    struct mpift_ctx *ctx = r->ctx;
    char src[PATH_MAX], real[PATH_MAX];
    struct mpift_tvars v;
    int rc = MPIFT_OK;

    if (r->rank == 0) {
        mpift_topo_tvars(&ctx->topo, 0, &v);
        rc = mpift_template_expand(ctx->cfg->source, &v, src, sizeof(src));
        if (rc == MPIFT_OK && !realpath(src, real)) {
            mpift_log_error("%s: paths.source %s: %s", ctx->cfg->file, src, strerror(errno));
            rc = MPIFT_ERR_CONFIG;
        } else if (rc == MPIFT_OK) {
            rc = mpift_plan_build(ctx->cfg, real, &ctx->topo, &r->plan);
            if (rc == MPIFT_OK && r->plan.nerrors)
                r->local_fail = 1;
        }
    }
    rc = agree(ctx->comm, rc);
    if (rc != MPIFT_OK)
        return rc;
    return agree(ctx->comm, mpift_plan_bcast(&r->plan, ctx->comm));
}

/* Open my dest root and create the plan's folders I will hold. */
static int prepare_root(struct run *r)
{
    struct mpift_ctx *ctx = r->ctx;
    char why[PATH_MAX + 256];
    size_t i;
    int any = 0, fd;

    for (i = 0; i < r->plan.n && !any; i++)
        any = is_writer(r, &r->plan.f[i]);
    if (!any && !(r->rank == 0 && ctx->cfg->copies == MPIFT_COPIES_ONCE))
        return MPIFT_OK;
    if (ctx->dry_run) {
        /* Look at what is there without creating anything. */
        r->rootfd = open(ctx->dest_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return MPIFT_OK;
    }
    r->rootfd = mpift_root_open(ctx->dest_root, why, sizeof(why));
    if (r->rootfd < 0) {
        mpift_log_error("dest root %s: %s", ctx->dest_root, why);
        r->rootfd = -1;
        return MPIFT_ERR_IO;
    }
    for (i = 0; i < r->plan.n; i++) {
        const struct mpift_pfile *f = &r->plan.f[i];
        if (f->type != MPIFT_PT_DIR || !is_writer(r, f))
            continue;
        fd = mpift_dir_open(r->rootfd, f->dest, true, why, sizeof(why));
        if (fd < 0) {
            /* The files below it fail with their own message. */
            mpift_log_error("%s/%s: %s", ctx->dest_root, f->dest, why);
            continue;
        }
        if (f->preserve)
            fchmod(fd, f->mode & 07777);
        close(fd);
    }
    return MPIFT_OK;
}

/*
 * Before any bytes move: does every writer's file system have room for
 * what it is about to receive (each file rounded up to whole blocks), and
 * can it write there?  A shortfall anywhere stops the run on every rank
 * with nothing sent: exit 1, the node, the need and the free space named.
 * The refused node's copies count as failed with that message (summary
 * and --report); the other copies are "not sent".
 */
static void note_error(struct run *r, size_t i, const char *why);

static int preflight(struct run *r)
{
    struct mpift_ctx *ctx = r->ctx;
    uint64_t need = 0, block;
    size_t i;
    int any = 0, bad = 0, anybad = 0;
    char why[2 * PATH_MAX], room[2 * PATH_MAX - 300];

    if (r->rootfd >= 0) {
        block = mpift_fs_block(r->rootfd);
        for (i = 0; i < r->plan.n; i++)
            if (bit(r->mine, i)) {
                need += (r->plan.f[i].size + block - 1) / block * block;
                any = 1;
            }
        if (any && mpift_fs_room(r->rootfd, ctx->dest_root, need, "sent", "paths.dest", room,
                                            sizeof(room)) != 0) {
            snprintf(why, sizeof(why), "%s: %s", ctx->topo.host, room);
            bad = 1;
        }
    }
    if (bad) {
        mpift_log_error("%s", why);
        for (i = 0; i < r->plan.n; i++)
            if (bit(r->mine, i)) {
                r->state[i] = FS_FAILED;
                note_error(r, i, why);
            }
    }
    if (MPI_Allreduce(&bad, &anybad, 1, MPI_INT, MPI_MAX, ctx->comm) != MPI_SUCCESS)
        return MPIFT_ERR_MPI;
    return anybad ? MPIFT_ERR_FILES : MPIFT_OK;
}

/* 2. Mark what I need this round and share the marks.  Returns the number
 * of (file, rank) copies needed anywhere, or a negative status. */
static long long share_needs(struct run *r, int round)
{
    struct mpift_ctx *ctx = r->ctx;
    size_t i;
    long long n = 0, total = 0;

    memset(r->mine, 0, r->nbytes);
    for (i = 0; i < r->plan.n; i++) {
        const struct mpift_pfile *f = &r->plan.f[i];
        if (f->type != MPIFT_PT_FILE || !is_writer(r, f))
            continue;
        if (round == 0) {
            if (r->rootfd < 0 && !ctx->dry_run) {
                r->state[i] = FS_FAILED; /* root unusable, already reported */
                continue;
            }
            if (!ctx->force && r->rootfd >= 0 &&
                mpift_sink_unchanged(r->rootfd, f->dest, f->size, f->mtime_sec, f->mtime_nsec)) {
                r->state[i] = FS_SKIPPED;
                continue;
            }
        } else if (r->state[i] != FS_RETRY) {
            continue;
        }
        setbit(r->mine, i);
        n++;
    }
    if (MPI_Allgather(r->mine, (int)r->nbytes, MPI_BYTE, r->all, (int)r->nbytes, MPI_BYTE,
                      ctx->comm) != MPI_SUCCESS ||
        MPI_Allreduce(&n, &total, 1, MPI_LONG_LONG, MPI_SUM, ctx->comm) != MPI_SUCCESS)
        return MPIFT_ERR_MPI;
    return total;
}

/* The route of file i for this rank; returns 0 if I am not on it. */
static int route_of(struct run *r, size_t i, struct mpift_route *rt, int *root_writes)
{
    const struct mpift_config *cfg = r->ctx->cfg;
    int m = 0, q;

    for (q = 1; q < r->size; q++)
        if (bit(r->all + (size_t)q * r->nbytes, i))
            r->recv[m++] = q;
    *root_writes = bit(r->all, i);
    if (m == 0 && !*root_writes)
        return 0;
    return mpift_route_build(0, r->recv, m, r->rank, cfg->policy, cfg->fanout, &r->route, rt);
}

static double mb(uint64_t b) { return (double)b / 1e6; }

/* --dry-run: rank 0 tells what would move where. */
static void print_plan(struct run *r)
{
    const struct mpift_config *cfg = r->ctx->cfg;
    static const char *pol[] = {"direct", "pipeline", "tree"};
    static const char *cop[] = {"per-node", "per-rank", "once"};
    uint64_t files = 0, bytes = 0;
    size_t i;
    int q, n, rw;

    for (i = 0; i < r->plan.n; i++) {
        const struct mpift_pfile *f = &r->plan.f[i];
        struct mpift_route rt;
        if (f->type != MPIFT_PT_FILE)
            continue;
        if (!route_of(r, i, &rt, &rw)) {
            mpift_log_info("  unchanged  %12llu  %s", (unsigned long long)f->size, f->dest);
            continue;
        }
        n = rw;
        for (q = 1; q < r->size; q++)
            n += bit(r->all + (size_t)q * r->nbytes, i);
        mpift_log_info("  send       %12llu  %s -> %d %s", (unsigned long long)f->size, f->dest, n,
                       n == 1 ? "copy" : "copies");
        files++;
        bytes += f->size;
    }
    mpift_log_info("dry run: %llu of %llu files (%.1f MB) would be sent, policy %s, copies %s, "
                   "%d node%s; nothing was transferred", (unsigned long long)files,
                   (unsigned long long)r->plan.nfiles, mb(bytes), pol[cfg->policy], cop[cfg->copies],
                   r->ctx->topo.nnodes, r->ctx->topo.nnodes == 1 ? "" : "s");
}

/* Keep a failed copy's message for --report (one line; best effort). */
static void note_error(struct run *r, size_t i, const char *why)
{
    char line[PATH_MAX + 320];
    int n;
    char *p;

    if (!r->ctx->report_path)
        return;
    n = snprintf(line, sizeof(line), "%zu\t%s\n", i, why);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(line)) {   /* cut short, but still one line */
        n = (int)sizeof(line) - 1;
        line[n - 1] = '\n';
    }
    for (p = strchr(line, '\t') + 1; p < line + n - 1; p++)
        if (*p == '\n')
            *p = ' ';
    if (r->errs_len + (size_t)n > r->errs_cap) {
        size_t cap = (r->errs_cap + (size_t)n) * 2;
        char *grown = realloc(r->errs, cap);
        if (!grown)
            return;
        r->errs = grown;
        r->errs_cap = cap;
    }
    memcpy(r->errs + r->errs_len, line, (size_t)n);
    r->errs_len += (size_t)n;
}

/* The outcome of file i on this rank. */
static void account(struct run *r, size_t i, const struct mpift_xres *res, int mine, int round, int last_round)
{
    /* A source that cannot be read is named once, by rank 0; every other
     * failure by the writer that saw it. */
    if (r->rank == 0 && res->source_failed) {
        mpift_log_error("%s", res->why);
        r->item_failed = 1;
    }
    if (r->digest && res->digest)
        r->digest[i] = res->digest;
    if (!mine)
        return;
    if (res->status == MPIFT_OK) {
        r->state[i] = FS_DONE;
        r->written++;
        r->bytes += res->bytes;
    } else if (res->status == MPIFT_ERR_CHECKSUM && !last_round) {
        r->state[i] = FS_RETRY;
        mpift_log_warn("%s; re-sending (attempt %d of %d)", res->why, round + 2, r->ctx->cfg->retries + 1);
    } else {
        r->state[i] = FS_FAILED;
        r->item_failed = 1;
        note_error(r, i, res->why);
        if (!res->source_failed)
            mpift_log_error("%s%s", res->why, res->status == MPIFT_ERR_CHECKSUM && round > 0
                                                  ? " (after all retries)" : "");
    }
}

/*
 * Small files travel in batches, many to a message: a file of at most an
 * eighth of a chunk, by its planned size, so every rank decides alike.
 */
static int batchable(const struct run *r, const struct mpift_pfile *f)
{
    return f->type == MPIFT_PT_FILE && f->size <= r->ctx->cfg->chunk_size / 8;
}

/* Does any rank need file i this round? */
static int anyone_needs(const struct run *r, size_t i)
{
    int q;
    for (q = 0; q < r->size; q++)
        if (bit(r->all + (size_t)q * r->nbytes, i))
            return 1;
    return 0;
}

/* Do files i and j go to the same ranks (and so down the same route)? */
static int same_route(const struct run *r, size_t i, size_t j)
{
    int q;
    for (q = 0; q < r->size; q++)
        if (bit(r->all + (size_t)q * r->nbytes, i) != bit(r->all + (size_t)q * r->nbytes, j))
            return 0;
    return 1;
}

/*
 * The batch that starts at file i: the following small files with the
 * same route, while they fit in one chunk-sized message (up to
 * BATCH_FILES).  Folders in between are passed over.  Fills r->bids and
 * r->bfiles; returns the count.  Every rank of the route computes the same.
 */
static size_t gather_batch(struct run *r, size_t i)
{
    uint64_t used = MPIFT_BATCH_HDR + MPIFT_BATCH_ENTRY + r->plan.f[i].size;
    size_t n = 0, j;

    r->bids[n] = i;
    r->bfiles[n++] = &r->plan.f[i];
    for (j = i + 1; j < r->plan.n && n < BATCH_FILES; j++) {
        const struct mpift_pfile *f = &r->plan.f[j];
        if (f->type != MPIFT_PT_FILE)
            continue;
        if (!batchable(r, f) || !same_route(r, i, j) ||
            used + MPIFT_BATCH_ENTRY + f->size > r->ctx->cfg->chunk_size)
            break;
        used += MPIFT_BATCH_ENTRY + f->size;
        r->bids[n] = j;
        r->bfiles[n++] = f;
    }
    return n;
}

/*
 * on_error = "abort": before file i, do all ranks agree nothing has failed
 * for good?  (One small collective per file or batch, only in this mode.)
 * If something has, every copy not yet made counts as failed and the run
 * stops here on every rank alike.
 */
static int stop_here(struct run *r, size_t i)
{
    int any = 0;
    size_t k;

    if (MPI_Allreduce(&r->item_failed, &any, 1, MPI_INT, MPI_MAX, r->ctx->comm) != MPI_SUCCESS)
        return MPIFT_ERR_MPI;
    if (!any)
        return MPIFT_OK;
    r->stopped = 1;
    for (k = i; k < r->plan.n; k++)
        if (bit(r->mine, k) && r->state[k] != FS_DONE)
            r->state[k] = FS_FAILED;
    if (r->rank == 0)
        mpift_log_error("stopping at the first failure (transfer.on_error = \"abort\" in %s): the files not yet "
                        "sent are counted as failed", r->ctx->cfg->file);
    return MPIFT_OK;
}

/* 3. One round over every file somebody needs. */
static int transfer_round(struct run *r, int round, int last_round)
{
    struct mpift_ctx *ctx = r->ctx;
    struct mpift_target tgt = {r->rootfd, ctx->dest_root};
    struct mpift_xres res;
    struct mpift_route rt;
    struct mpift_meter meter;
    size_t i;
    int rc = MPIFT_OK, rw, mine;

    if (r->rank == 0) {
        mpift_meter_start(&meter, ctx->progress, ctx->quiet, 1, 0, 0);
        /* The round's totals cost a pass over the plan: only for a meter. */
        for (i = 0; meter.on && i < r->plan.n; i++)
            if (r->plan.f[i].type == MPIFT_PT_FILE && route_of(r, i, &rt, &rw)) {
                meter.files++;
                meter.bytes += r->plan.f[i].size;
            }
        /* xfer counts the bytes chunk by chunk; files are counted here. */
        r->x.meter = meter.on ? &meter : NULL;
    }
    for (i = 0; i < r->plan.n && rc == MPIFT_OK; i++) {
        const struct mpift_pfile *f = &r->plan.f[i];
        if (ctx->cfg->abort_on_error && i > 0 && f->type == MPIFT_PT_FILE) {
            rc = stop_here(r, i);
            if (rc != MPIFT_OK || r->stopped)
                break;
        }
        if (f->type != MPIFT_PT_FILE)
            continue;
        if (batchable(r, f) && anyone_needs(r, i)) {
            /* Every rank steps over the same batch, on its route or not,
             * so that all stay in step (stop_here is collective). */
            size_t n = gather_batch(r, i), k;
            if (!route_of(r, i, &rt, &rw)) {
                i = (size_t)r->bids[n - 1];
                continue;
            }
            mine = bit(r->mine, i);
            if (r->rank == 0) {
                rc = mpift_xfer_batch_source(&r->x, i, r->bids, r->bfiles, (int)n, &rt, mine ? &tgt : NULL, r->bres);
                r->batches++;
                r->batched += n;
            } else {
                rc = mpift_xfer_batch_receive(&r->x, i, r->bids, r->bfiles, (int)n, &rt, mine ? &tgt : NULL,
                                              r->bres);
            }
            for (k = 0; rc == MPIFT_OK && k < n; k++) {
                if (r->rank == 0)
                    mpift_meter_add(&meter, 0);
                account(r, (size_t)r->bids[k], &r->bres[k], mine, round, last_round);
            }
            i = (size_t)r->bids[n - 1];
            continue;
        }
        if (!route_of(r, i, &rt, &rw))
            continue;
        mine = bit(r->mine, i);
        if (r->rank == 0)
            rc = mpift_xfer_source(&r->x, i, f, &rt, mine ? &tgt : NULL, &res);
        else
            rc = mpift_xfer_receive(&r->x, i, f, &rt, mine ? &tgt : NULL, &res);
        if (rc != MPIFT_OK)
            break;
        if (r->rank == 0)
            mpift_meter_add(&meter, 0);
        account(r, i, &res, mine, round, last_round);
    }
    if (r->rank == 0) {
        mpift_meter_end(&meter);
        r->x.meter = NULL;
    }
    return rc;
}

/*
 * 5. Rank 0 prints the summary line, then a table per node: files written,
 * unchanged and failed there, megabytes written, and the seconds its
 * slowest rank took.  (Errors were named as they happened.)
 */
static void summary(struct run *r, double secs)
{
    double in[5] = {(double)r->written, (double)r->skipped, (double)r->failed, (double)r->bytes, r->t_done};
    double *all = r->rank == 0 ? calloc((size_t)r->size * 5, sizeof(double)) : NULL;

    r->stats = all;   /* --report uses them too */
    const struct mpift_topo *t = &r->ctx->topo;
    uint64_t out[4] = {0, 0, 0, 0};
    int q, n, k;

    /* Doubles hold counts and bytes exactly up to 2^53: far beyond a run. */
    MPI_Gather(in, 5, MPI_DOUBLE, all, 5, MPI_DOUBLE, 0, r->ctx->comm);
    if (r->rank != 0 || !all)
        return;
    for (q = 0; q < r->size; q++)
        for (k = 0; k < 4; k++)
            out[k] += (uint64_t)all[q * 5 + k];
    out[2] += r->plan.nerrors;
    mpift_log_info("mpift-stage: %llu file%s (%.1f MB) onto %d node%s, %d rank%s: %llu copies written, "
                   "%llu unchanged, %llu failed; %.1f MB in %.2f s (%.1f MB/s)",
                   (unsigned long long)r->plan.nfiles, r->plan.nfiles == 1 ? "" : "s", mb(r->plan.bytes), t->nnodes,
                   t->nnodes == 1 ? "" : "s", t->size, t->size == 1 ? "" : "s",
                   (unsigned long long)out[0], (unsigned long long)out[1], (unsigned long long)out[2],
                   mb(out[3]), secs, secs > 0 ? mb(out[3]) / secs : 0.0);
    mpift_log_info("  %4s  %-20s %5s %8s %10s %7s %10s %8s %9s", "node", "host", "ranks", "written", "unchanged",
                   "failed", "MB", "seconds", "MB/s");
    for (n = 0; n < t->nnodes; n++) {
        double c[4] = {0, 0, 0, 0}, slowest = 0;
        int ranks = 0;
        for (q = 0; q < r->size; q++) {
            if (t->node_of[q] != n)
                continue;
            ranks++;
            for (k = 0; k < 4; k++)
                c[k] += all[q * 5 + k];
            if (all[q * 5 + 4] > slowest)
                slowest = all[q * 5 + 4];
        }
        mpift_log_info("  %4d  %-20s %5d %8.0f %10.0f %7.0f %10.1f %8.2f %9.1f", n, t->hosts[t->leaders[n]], ranks,
                       c[0], c[1], c[2], c[3] / 1e6, slowest, slowest > 0 ? c[3] / 1e6 / slowest : 0.0);
    }
}

/*
 * --report: gather every rank's states, counts, times and messages on
 * rank 0, which writes the file.  Collective; returns the same code on
 * every rank (MPIFT_ERR_IO when the report could not be written).
 */
static int report(struct run *r, int status, double secs)
{
    struct mpift_stage_report rep;
    int size = r->size, len = (int)r->errs_len, ok = 1, q, rc = MPIFT_OK;
    unsigned char *states = NULL;
    int *lens = NULL, *displs = NULL;
    char *errs = NULL;
    size_t total = 0;

    if (r->plan.n > INT_MAX)
        ok = 0;
    if (r->rank == 0 && ok) {
        states = calloc((size_t)size * (r->plan.n ? r->plan.n : 1), 1);
        lens = calloc((size_t)size, sizeof(*lens));
        displs = calloc((size_t)size, sizeof(*displs));
        ok = r->stats && states && lens && displs;   /* stats: gathered by summary() */
    }
    if (MPI_Bcast(&ok, 1, MPI_INT, 0, r->ctx->comm) != MPI_SUCCESS) {
        rc = MPIFT_ERR_MPI;
        goto out;
    }
    if (!ok) {
        if (r->rank == 0)
            mpift_log_error("--report %s: not written: out of memory for %zu files x %d ranks", r->ctx->report_path,
                            r->plan.n, size);
        rc = MPIFT_ERR_IO;
        goto out;
    }
    if (MPI_Gather(r->state, (int)r->plan.n, MPI_BYTE, states, (int)r->plan.n, MPI_BYTE, 0, r->ctx->comm) !=
            MPI_SUCCESS ||
        MPI_Gather(&len, 1, MPI_INT, lens, 1, MPI_INT, 0, r->ctx->comm) != MPI_SUCCESS) {
        rc = MPIFT_ERR_MPI;
        goto out;
    }
    if (r->rank == 0) {
        for (q = 0; q < size; q++) {
            displs[q] = (int)total;
            total += (size_t)lens[q];
        }
        errs = malloc(total + 1);   /* messages are kept short: ranks x failures */
    }
    if (MPI_Gatherv(r->errs ? r->errs : "", len, MPI_CHAR, errs, lens, displs, MPI_CHAR, 0, r->ctx->comm) !=
        MPI_SUCCESS) {
        rc = MPIFT_ERR_MPI;
        goto out;
    }
    if (r->rank == 0) {
        memset(&rep, 0, sizeof(rep));
        rep.ctx = r->ctx;
        rep.plan = &r->plan;
        rep.mode = "stage-in";
        rep.states = states;
        rep.stats = r->stats;
        rep.errs = errs ? errs : "";
        rep.elen = lens;
        rep.edispl = displs;
        rep.digest = r->digest;
        rep.writes = writes;
        rep.arg = r;
        rep.seconds = secs;
        rep.status = status;
        rc = mpift_stage_report_write(&rep);
    }
    if (MPI_Bcast(&rc, 1, MPI_INT, 0, r->ctx->comm) != MPI_SUCCESS)
        rc = MPIFT_ERR_MPI;
out:
    free(states);
    free(lens);
    free(displs);
    free(errs);
    return rc;
}

int mpift_stage_in_run(struct mpift_ctx *ctx)
{
    struct run r;
    double t0 = MPI_Wtime();
    long long need;
    int rc, round, maxkids, any_fail = 0, i;
    size_t k;

    memset(&r, 0, sizeof(r));
    r.ctx = ctx;
    r.rootfd = -1;
    r.rank = ctx->topo.rank;
    r.size = ctx->topo.size;
    if (ctx->cfg->n_in == 0) {
        if (r.rank == 0)
            mpift_log_error("%s: stage_in lists no files: nothing to stage in", ctx->cfg->file);
        return MPIFT_ERR_CONFIG;
    }
    rc = make_plan(&r);
    if (rc != MPIFT_OK)
        goto out;

    r.nbytes = (r.plan.n + 7) / 8 + 1;
    r.mine = calloc(r.nbytes, 1);
    r.all = calloc((size_t)r.size, r.nbytes);
    r.state = calloc(r.plan.n + 1, 1);
    r.recv = calloc((size_t)r.size, sizeof(int));
    r.bids = calloc(BATCH_FILES, sizeof(*r.bids));
    r.bfiles = calloc(BATCH_FILES, sizeof(*r.bfiles));
    r.bres = calloc(BATCH_FILES, sizeof(*r.bres));
    if (ctx->report_path && r.rank == 0)
        r.digest = calloc(r.plan.n + 1, sizeof(*r.digest));
    maxkids = ctx->cfg->policy == MPIFT_POLICY_DIRECT ? r.size
            : ctx->cfg->policy == MPIFT_POLICY_TREE ? ctx->cfg->fanout : 1;
    rc = (!r.mine || !r.all || !r.state || !r.recv || !r.bids || !r.bfiles || !r.bres || (ctx->report_path && r.rank == 0 && !r.digest))
         ? MPIFT_ERR_NOMEM
       : ctx->dry_run ? MPIFT_OK : mpift_xfer_init(&r.x, ctx->comm, ctx->cfg, maxkids);
    rc = agree(ctx->comm, rc);
    if (rc != MPIFT_OK)
        goto out;
    if (prepare_root(&r) != MPIFT_OK)
        r.local_fail = 1;

    for (round = 0; round <= ctx->cfg->retries; round++) {
        need = share_needs(&r, round);
        if (need < 0) {
            rc = (int)need;
            goto out;
        }
        if (ctx->dry_run) {
            if (r.rank == 0)
                print_plan(&r);
            break;
        }
        if (round == 0 && need > 0) {
            rc = preflight(&r);
            if (rc == MPIFT_ERR_FILES) {   /* refused: summary and report say so */
                rc = MPIFT_OK;
                r.stopped = 1;
                break;
            }
            if (rc != MPIFT_OK)
                goto out;
        }
        if (need == 0)
            break;
        rc = transfer_round(&r, round, round == ctx->cfg->retries);
        if (rc != MPIFT_OK)
            goto out;
        if (r.stopped)
            break;
    }
    if (!ctx->dry_run) {
        rc = mpift_xfer_flush(&r.x);
        if (rc != MPIFT_OK)
            goto out;
    }
    r.t_done = MPI_Wtime() - t0;
    for (k = 0; k < r.plan.n; k++) {
        if (r.state[k] == FS_SKIPPED)
            r.skipped++;
        else if (r.state[k] == FS_FAILED || r.state[k] == FS_RETRY)
            r.failed++;
    }
    if (r.failed)
        r.local_fail = 1;
    if (!ctx->dry_run)
        summary(&r, MPI_Wtime() - t0);
    if (r.rank == 0 && r.batches)
        mpift_log_verbose("%llu small files went in %llu batch messages", (unsigned long long)r.batched,
                          (unsigned long long)r.batches);
    i = r.local_fail;
    rc = mpi_ok(MPI_Allreduce(&i, &any_fail, 1, MPI_INT, MPI_MAX, ctx->comm));
    if (rc == MPIFT_OK && any_fail)
        rc = MPIFT_ERR_FILES;
    if ((rc == MPIFT_OK || rc == MPIFT_ERR_FILES) && ctx->report_path && !ctx->dry_run) {
        int rrc = report(&r, rc, MPI_Wtime() - t0);
        if (rrc != MPIFT_OK && rc == MPIFT_OK)
            rc = rrc == MPIFT_ERR_IO ? MPIFT_ERR_FILES : rrc;
        else if (rrc == MPIFT_ERR_MPI)
            rc = rrc;
    }
out:
    if (r.rootfd >= 0)
        close(r.rootfd);
    if (!ctx->dry_run)
        mpift_xfer_free(&r.x);
    free(r.mine);
    free(r.all);
    free(r.state);
    free(r.recv);
    free(r.bids);
    free(r.bfiles);
    free(r.bres);
    free(r.digest);
    free(r.errs);
    free(r.stats);
    mpift_plan_free(&r.plan);
    return rc;
}
