/*
 * stageout.c - stage-out: gather result files onto rank 0.
 *
 *  1. every writer (each node's leader, every rank, or rank 0 alone, by
 *     `copies`) expands stage_out against its own dest root, templates
 *     expanded for its rank, and sends rank 0 that list;
 *  2. rank 0 decides per file: two writers with one final path under
 *     paths.collect is an error naming both (neither is copied, nothing is
 *     overwritten); a file already in collect with the same size and mtime
 *     is skipped unless --force;
 *  3. writer by writer, rank 0 sends the list of files it wants and the
 *     writer sends them with the verified, atomic transfer of stage-in;
 *     files whose copy did not verify are asked for again, up to
 *     transfer.retries times; an empty list ends the writer's part;
 *  4. rank 0 prints the summary; every rank returns the same status.
 * The lists and requests travel on the service communicator, the files on
 * the data one.
 */
#include "mpift_autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "job/context.h"
#include "fs/fsafe.h"
#include "util/log.h"
#include "stage/plan.h"
#include "wire/tags.h"
#include "util/progress.h"
#include "util/json.h"
#include "engine/sink.h"
#include "stage/stage.h"
#include "engine/xfer.h"


/* Rank 0's view of one file of one writer. */
enum ostate { OS_WANT = 0, OS_SKIP, OS_CLASH, OS_DONE, OS_FAILED };

struct out_run {
    struct mpift_ctx *ctx;
    struct mpift_xfer x;
    int rank, size;
    struct mpift_plan mine;       /* a writer's own list (with src) */
    struct mpift_plan *plans;     /* rank 0: [size] every writer's list */
    unsigned char **state;        /* rank 0: [size][plans[w].n] enum ostate */
    char ***why;                  /* rank 0, --report: [size][n] message of a failed file */
    uint64_t **digest;            /* rank 0, --report: [size][n] xxh3 as the writer sent it */
    uint64_t *wbytes;             /* rank 0, --report: [size] bytes written from each writer */
    double *wsecs;                /* rank 0, --report: [size] seconds spent on each writer */
    char collect[PATH_MAX];
    int collectfd;
    uint64_t written, skipped, failed, bytes, errors;
    int stopped;                  /* on_error = "abort" after a failure */
    struct mpift_meter meter;     /* rank 0: what has come in of what is wanted */
};

static int mpi_ok(int rc) { return rc == MPI_SUCCESS ? MPIFT_OK : MPIFT_ERR_MPI; }

/* Rank 0: is entry i of writer w a file still to be copied? */
static int wanted(const struct out_run *r, int w, size_t i)
{
    return r->plans[w].f[i].type == MPIFT_PT_FILE && r->state[w][i] == OS_WANT;
}

static const char *where(const struct out_run *r, int w)
{
    static char buf[2][300];
    static int k;

    k ^= 1;
    snprintf(buf[k], sizeof(buf[k]), "%s (rank %d)", r->ctx->topo.hosts[w], w);
    return buf[k];
}

/* 1. A writer lists its results. */
static int list_mine(struct out_run *r)
{
    char real[PATH_MAX];

    if (!realpath(r->ctx->dest_root, real)) {
        mpift_log_error("dest root %s: %s: nothing to stage out from this node", r->ctx->dest_root,
                        strerror(errno));
        r->mine.nerrors = 1;
        return MPIFT_OK;
    }
    return mpift_plan_build_out(r->ctx->cfg, real, &r->ctx->topo, r->rank, &r->mine);
}

/* A name for qsort over every writer's files. */
struct key {
    const char *dest;
    int w;
    size_t i;
};

static int key_cmp(const void *a, const void *b)
{
    const struct key *x = a, *y = b;
    int c = strcmp(x->dest, y->dest);
    return c ? c : (x->w > y->w) - (x->w < y->w);
}

/* 2. Rank 0: clashes and unchanged files. */
static int decide(struct out_run *r)
{
    struct key *keys;
    size_t n = 0, i, j;
    int w;

    for (w = 0; w < r->size; w++)
        n += r->plans[w].n;
    keys = calloc(n ? n : 1, sizeof(*keys));
    if (!keys)
        return MPIFT_ERR_NOMEM;
    n = 0;
    for (w = 0; w < r->size; w++)
        for (i = 0; i < r->plans[w].n; i++)
            if (r->plans[w].f[i].type == MPIFT_PT_FILE)
                keys[n++] = (struct key){ r->plans[w].f[i].dest, w, i };
    qsort(keys, n, sizeof(*keys), key_cmp);
    for (i = 0; i < n; i = j) {
        for (j = i + 1; j < n && strcmp(keys[j].dest, keys[i].dest) == 0; j++)
            ;
        if (j - i > 1) {
            char more[64] = "";
            if (j - i > 2)
                snprintf(more, sizeof(more), " (and %zu more ranks)", j - i - 2);
            mpift_log_error("%s/%s: %s and %s%s both have it: not copied; put %%h or %%r in stage_out's dest "
                            "to keep them apart", r->collect, keys[i].dest, where(r, keys[i].w),
                            where(r, keys[i + 1].w), more);
            for (size_t k = i; k < j; k++) {
                r->state[keys[k].w][keys[k].i] = OS_CLASH;
                r->failed++;
            }
            continue;
        }
        {
            const struct mpift_pfile *f = &r->plans[keys[i].w].f[keys[i].i];
            if (!r->ctx->force && r->collectfd >= 0 &&
                mpift_sink_unchanged(r->collectfd, f->dest, f->size, f->mtime_sec, f->mtime_nsec)) {
                r->state[keys[i].w][keys[i].i] = OS_SKIP;
                r->skipped++;
            }
        }
    }
    free(keys);
    return MPIFT_OK;
}

/* Rank 0: folders of the lists, made under collect. */
static void make_folders(struct out_run *r)
{
    char why[PATH_MAX + 256];
    size_t i;
    int w, fd;

    for (w = 0; w < r->size; w++)
        for (i = 0; i < r->plans[w].n; i++) {
            const struct mpift_pfile *f = &r->plans[w].f[i];
            if (f->type != MPIFT_PT_DIR || r->ctx->dry_run)
                continue;
            fd = mpift_dir_open(r->collectfd, f->dest, true, why, sizeof(why));
            if (fd >= 0)
                close(fd);
            else
                mpift_log_error("%s/%s (from %s): %s", r->collect, f->dest, where(r, w), why);
        }
}

static int send_want(struct out_run *r, int w, const uint64_t *ids, uint64_t n)
{
    if (MPI_Send(&n, 1, MPI_UINT64_T, w, MPIFT_TAG_SVC_WANT, r->ctx->svc_comm) != MPI_SUCCESS)
        return MPIFT_ERR_MPI;
    return n ? mpi_ok(MPI_Send(ids, (int)n, MPI_UINT64_T, w, MPIFT_TAG_SVC_WANT, r->ctx->svc_comm)) : MPIFT_OK;
}

/* --report: keep why file i of writer w failed. */
static void keep_why(struct out_run *r, int w, size_t i, const char *why)
{
    if (!r->ctx->report_path)
        return;
    if (!r->why[w])
        r->why[w] = calloc(r->plans[w].n + 1, sizeof(char *));
    if (r->why[w] && !r->why[w][i])
        r->why[w][i] = strdup(why);
}

/* --report: per node, what came from its writers and the seconds rank 0
 * spent taking it (writers are served one after another). */
static void report_nodes(const struct out_run *r, FILE *f)
{
    const struct mpift_topo *t = &r->ctx->topo;
    int n, w, first;
    size_t i;

    for (n = 0; n < t->nnodes; n++) {
        unsigned long long c[3] = { 0, 0, 0 }, bytes = 0;
        double secs = 0;
        fprintf(f, "%s\n    { \"node\": %d, \"host\": ", n ? "," : "", n);
        mpift_json_str(f, t->hosts[t->leaders[n]]);
        fputs(", \"ranks\": [", f);
        for (w = 0, first = 1; w < r->size; w++) {
            if (t->node_of[w] != n || !r->state[w])
                continue;
            fprintf(f, "%s%d", first ? "" : ", ", w);
            first = 0;
            for (i = 0; i < r->plans[w].n; i++) {
                unsigned char st = r->state[w][i];
                if (r->plans[w].f[i].type == MPIFT_PT_FILE && st != OS_WANT)   /* not sent: no node count */
                    c[st == OS_DONE ? 0 : st == OS_SKIP ? 1 : 2]++;
            }
            bytes += r->wbytes ? r->wbytes[w] : 0;
            secs += r->wsecs ? r->wsecs[w] : 0;
        }
        fprintf(f, "], \"copies_written\": %llu, \"unchanged\": %llu, \"failed\": %llu, \"bytes_written\": %llu, "
                "\"seconds\": %.3f }", c[0], c[1], c[2], bytes, secs);
    }
}

/* --report for stage-out: rank 0 saw every file. */
static int write_report(struct out_run *r, int status, double secs)
{
    static const char *names[] = { "not sent", "unchanged", "clash", "written", "failed" };
    struct mpift_report out;
    size_t i;
    int w, first = 1;

    if (mpift_report_open(&out, r->ctx->report_path) != MPIFT_OK)
        return MPIFT_ERR_IO;
    fprintf(out.f, "{\n  \"mpift\": \"%s\",\n  \"mode\": \"stage-out\",\n  \"config\": ", PACKAGE_VERSION);
    mpift_json_str(out.f, r->ctx->cfg->file);
    fputs(",\n  \"job\": ", out.f);
    mpift_json_str(out.f, r->ctx->topo.jobid);
    fputs(",\n  \"collect\": ", out.f);
    mpift_json_str(out.f, r->collect);
    fprintf(out.f, ",\n  \"seconds\": %.3f,\n  \"exit_code\": %d,\n  \"status\": \"%s\",\n"
            "  \"totals\": { \"copies_written\": %llu, \"unchanged\": %llu, \"failed\": %llu, \"bytes_written\": %llu },\n"
            "  \"nodes\": [", secs, mpift_exit_status(status), status == MPIFT_OK ? "ok" : "failed",
            (unsigned long long)r->written, (unsigned long long)r->skipped,
            (unsigned long long)(r->failed + r->errors), (unsigned long long)r->bytes);
    report_nodes(r, out.f);
    fputs("\n  ],\n  \"files\": [", out.f);
    for (w = 0; w < r->size; w++)
        for (i = 0; r->state[w] && i < r->plans[w].n; i++) {
            const struct mpift_pfile *f = &r->plans[w].f[i];
            unsigned char st = r->state[w][i];
            if (f->type != MPIFT_PT_FILE)
                continue;
            fprintf(out.f, "%s\n    { \"path\": ", first ? "" : ",");
            first = 0;
            mpift_json_str(out.f, f->dest);
            fprintf(out.f, ", \"bytes\": %llu, \"xxh3\": ", (unsigned long long)f->size);
            if (st == OS_DONE && r->digest && r->digest[w] && r->digest[w][i])
                fprintf(out.f, "\"%016llx\"", (unsigned long long)r->digest[w][i]);
            else
                fputs("null", out.f);
            fprintf(out.f, ", \"rank\": %d, \"host\": ", w);
            mpift_json_str(out.f, r->ctx->topo.hosts[w]);
            fprintf(out.f, ", \"status\": \"%s\"", st == OS_WANT ? names[0] : st == OS_SKIP ? names[1]
                    : st == OS_CLASH ? names[2] : st == OS_DONE ? names[3] : names[4]);
            if (r->why && r->why[w] && r->why[w][i]) {
                fputs(", \"error\": ", out.f);
                mpift_json_str(out.f, r->why[w][i]);
            } else if (st == OS_CLASH) {
                fputs(", \"error\": \"another rank has the same final path\"", out.f);
            }
            fputs(" }", out.f);
        }
    fputs("\n  ]\n}\n", out.f);
    return mpift_report_close(&out, 1);
}

/*
 * 2b. Rank 0, before any bytes move: room under collect for every file it
 * will take (whole blocks), and write access there.  If not, every wanted
 * file fails with the reason and the writers are released having sent
 * nothing (exit 1; the report names the cause per file).  Returns 0 if
 * the run may go on.
 */
static int preflight(struct out_run *r)
{
    char why[2 * PATH_MAX];
    uint64_t need = 0, block = mpift_fs_block(r->collectfd);
    size_t i;
    int w, any = 0;

    for (w = 0; w < r->size; w++)
        for (i = 0; r->state[w] && i < r->plans[w].n; i++)
            if (wanted(r, w, i)) {
                need += (r->plans[w].f[i].size + block - 1) / block * block;
                any = 1;
            }
    if (!any || mpift_fs_room(r->collectfd, r->collect, need, "copied", "paths.collect", why, sizeof(why)) == 0)
        return 0;
    mpift_log_error("%s", why);
    for (w = 0; w < r->size; w++)
        for (i = 0; r->state[w] && i < r->plans[w].n; i++)
            if (wanted(r, w, i)) {
                r->state[w][i] = OS_FAILED;
                r->failed++;
                keep_why(r, w, i, why);
            }
    return -1;
}

/* 3. Rank 0: every wanted file of writer w, with the retries. */
static int collect_from(struct out_run *r, int w, uint64_t *ids)
{
    struct mpift_plan *p = &r->plans[w];
    struct mpift_target tgt = { r->collectfd, r->collect };
    struct mpift_route from = { w, NULL, 0, 1, NULL, NULL, NULL }, local = { -1, NULL, 0, 1, NULL, NULL, NULL };
    struct mpift_xres res;
    uint64_t n = 0, k, again;
    size_t i;
    int round, rc = MPIFT_OK;

    for (i = 0; i < p->n; i++)
        if (wanted(r, w, i))
            ids[n++] = i;
    for (round = 0; rc == MPIFT_OK; round++) {
        if (w != 0)
            rc = send_want(r, w, ids, n);
        if (rc != MPIFT_OK || n == 0)
            break;
        for (k = 0, again = 0; k < n && rc == MPIFT_OK; k++) {
            struct mpift_pfile *f = &p->f[ids[k]];
            if (r->stopped) {
                /* The writer sends its whole list: take the rest, keep none. */
                r->failed++;
                if (w != 0)
                    rc = mpift_xfer_receive(&r->x, ids[k], f, &from, NULL, &res);
                mpift_meter_add(&r->meter, 0);
                continue;
            }
            rc = w == 0 ? mpift_xfer_source(&r->x, ids[k], f, &local, &tgt, &res)
                        : mpift_xfer_receive(&r->x, ids[k], f, &from, &tgt, &res);
            if (rc != MPIFT_OK)
                break;
            if (res.status == MPIFT_ERR_CHECKSUM && round < r->ctx->cfg->retries)
                r->meter.bytes += f->size;   /* it comes again */
            else
                mpift_meter_add(&r->meter, 0);   /* its bytes were counted chunk by chunk */
            if (res.status == MPIFT_OK) {
                r->written++;
                r->bytes += res.bytes;
                r->state[w][ids[k]] = OS_DONE;
                if (r->digest && r->digest[w])
                    r->digest[w][ids[k]] = res.digest;
                if (r->wbytes)
                    r->wbytes[w] += res.bytes;
            } else if (res.status == MPIFT_ERR_CHECKSUM && round < r->ctx->cfg->retries) {
                mpift_log_warn("%s (from %s); re-sending (attempt %d of %d)", res.why, where(r, w), round + 2,
                               r->ctx->cfg->retries + 1);
                ids[again++] = ids[k];
            } else {
                r->failed++;
                r->state[w][ids[k]] = OS_FAILED;
                keep_why(r, w, ids[k], res.why);
                /* The writer names a file it could not read; rank 0 the rest. */
                if (!res.source_failed || w == 0)
                    mpift_log_error("%s (from %s)", res.why, where(r, w));
                if (r->ctx->cfg->abort_on_error) {
                    r->stopped = 1;
                    r->failed += again;  /* never copied */
                    again = 0;
                }
            }
        }
        n = again;
    }
    return rc;  /* the last (empty) list released the writer */
}

/* 3. A writer: send what rank 0 asks for until it asks for nothing. */
static int serve_rank0(struct out_run *r)
{
    struct mpift_route to0;
    struct mpift_xres res;
    uint64_t n, k, *ids = NULL;
    int zero = 0, rc = MPIFT_OK;

    to0 = (struct mpift_route){ -1, &zero, 1, 1, NULL, NULL, NULL };
    for (;;) {
        if (MPI_Recv(&n, 1, MPI_UINT64_T, 0, MPIFT_TAG_SVC_WANT, r->ctx->svc_comm, MPI_STATUS_IGNORE) != MPI_SUCCESS) {
            rc = MPIFT_ERR_MPI;
            break;
        }
        if (n == 0)
            break;
        if (n > r->mine.n || !(ids = realloc(ids, n * sizeof(*ids)))) {
            rc = n > r->mine.n ? MPIFT_ERR_PROTO : MPIFT_ERR_NOMEM;
            break;
        }
        if (MPI_Recv(ids, (int)n, MPI_UINT64_T, 0, MPIFT_TAG_SVC_WANT, r->ctx->svc_comm, MPI_STATUS_IGNORE) != MPI_SUCCESS) {
            rc = MPIFT_ERR_MPI;
            break;
        }
        for (k = 0; k < n && rc == MPIFT_OK; k++) {
            if (ids[k] >= r->mine.n || r->mine.f[ids[k]].type != MPIFT_PT_FILE) {
                mpift_log_error("rank 0 asked for file %llu of %zu: protocol error", (unsigned long long)ids[k],
                                r->mine.n);
                rc = MPIFT_ERR_PROTO;
                break;
            }
            rc = mpift_xfer_source(&r->x, ids[k], &r->mine.f[ids[k]], &to0, NULL, &res);
            if (rc == MPIFT_OK && res.source_failed)
                mpift_log_error("%s", res.why);
        }
        if (rc != MPIFT_OK)
            break;
    }
    free(ids);
    return rc;
}

static void print_plan(struct out_run *r)
{
    static const char *what[] = { "send", "unchanged", "clash" };
    uint64_t files = 0, bytes = 0;
    size_t i;
    int w;

    for (w = 0; w < r->size; w++)
        for (i = 0; i < r->plans[w].n; i++) {
            const struct mpift_pfile *f = &r->plans[w].f[i];
            if (f->type != MPIFT_PT_FILE)
                continue;
            mpift_log_info("  %-10s %12llu  %s <- %s", what[r->state[w][i] < 3 ? r->state[w][i] : 0],
                           (unsigned long long)f->size, f->dest, where(r, w));
            if (r->state[w][i] == OS_WANT) {
                files++;
                bytes += f->size;
            }
        }
    mpift_log_info("dry run: stage-out would gather %llu files (%.1f MB) into %s; nothing was transferred",
                   (unsigned long long)files, (double)bytes / 1e6, r->collect);
}

/* Rank 0's part. */
static int run_rank0(struct out_run *r)
{
    char why[PATH_MAX + 256];
    uint64_t *ids = NULL, most = 0;
    int w, rc = MPIFT_OK;

    r->plans = calloc((size_t)r->size, sizeof(*r->plans));
    r->state = calloc((size_t)r->size, sizeof(*r->state));
    r->why = calloc((size_t)r->size, sizeof(*r->why));
    if (!r->plans || !r->state || !r->why)
        return MPIFT_ERR_NOMEM;
    if (r->ctx->report_path) {
        r->digest = calloc((size_t)r->size, sizeof(*r->digest));
        r->wbytes = calloc((size_t)r->size, sizeof(*r->wbytes));
        r->wsecs = calloc((size_t)r->size, sizeof(*r->wsecs));
        if (!r->digest || !r->wbytes || !r->wsecs)
            return MPIFT_ERR_NOMEM;
    }
    for (w = 0; w < r->size && rc == MPIFT_OK; w++) {
        if (!mpift_ctx_writer(r->ctx, w))
            continue;
        if (w == 0)
            r->plans[0] = r->mine;   /* a view: r->mine owns the records */
        else
            rc = mpift_plan_recv(&r->plans[w], w, r->ctx->svc_comm);
        if (rc != MPIFT_OK)
            break;
        r->errors += r->plans[w].nerrors;
        if (!(r->state[w] = calloc(r->plans[w].n + 1, 1)))
            rc = MPIFT_ERR_NOMEM;
        if (r->digest && !(r->digest[w] = calloc(r->plans[w].n + 1, sizeof(uint64_t))))
            rc = MPIFT_ERR_NOMEM;
        if (r->plans[w].n > most)
            most = r->plans[w].n;
    }
    if (rc != MPIFT_OK)
        return rc;
    r->collectfd = r->ctx->dry_run ? open(r->collect, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                                   : mpift_root_open(r->collect, why, sizeof(why));
    if (r->collectfd < 0 && !r->ctx->dry_run) {
        mpift_log_error("paths.collect %s: %s", r->collect, why);
        rc = MPIFT_ERR_IO;
    }
    if (r->collectfd < 0)
        r->collectfd = -1;
    if (rc == MPIFT_OK)
        rc = decide(r);
    if (rc == MPIFT_OK && r->ctx->dry_run) {
        print_plan(r);
        for (w = 1; w < r->size && rc == MPIFT_OK; w++)
            if (mpift_ctx_writer(r->ctx, w))
                rc = send_want(r, w, NULL, 0);
        return rc;
    }
    if (rc == MPIFT_OK && preflight(r) == 0)
        make_folders(r);
    if (rc == MPIFT_OK) {
        size_t i;
        mpift_meter_start(&r->meter, r->ctx->progress, r->ctx->quiet, 1, 0, 0);
        /* The totals cost a pass over every list: only for a meter. */
        for (w = 0; r->meter.on && w < r->size; w++)
            for (i = 0; r->state[w] && i < r->plans[w].n; i++)
                if (wanted(r, w, i)) {
                    r->meter.files++;
                    r->meter.bytes += r->plans[w].f[i].size;
                }
        r->x.meter = r->meter.on ? &r->meter : NULL;
    }
    ids = malloc((most ? most : 1) * sizeof(*ids));
    if (!ids && rc == MPIFT_OK)
        rc = MPIFT_ERR_NOMEM;
    for (w = 0; w < r->size; w++) {
        if (!mpift_ctx_writer(r->ctx, w))
            continue;
        if (rc == MPIFT_OK && r->stopped) {
            size_t i;
            for (i = 0; i < r->plans[w].n; i++)
                r->failed += wanted(r, w, i);
            rc = w != 0 ? send_want(r, w, NULL, 0) : MPIFT_OK;
        } else if (rc == MPIFT_OK) {
            double t0 = MPI_Wtime();
            rc = collect_from(r, w, ids);
            if (r->wsecs)
                r->wsecs[w] = MPI_Wtime() - t0;
        }
        else if (rc == MPIFT_ERR_IO && w != 0 && send_want(r, w, NULL, 0) != MPIFT_OK)
            rc = MPIFT_ERR_MPI;  /* no collect folder: release every writer */
    }
    free(ids);
    mpift_meter_end(&r->meter);
    r->x.meter = NULL;
    if (r->stopped)
        mpift_log_error("stopped at the first failure (transfer.on_error = \"abort\" in %s): the files not yet "
                        "copied are counted as failed", r->ctx->cfg->file);
    return rc;
}

int mpift_stage_out_run(struct mpift_ctx *ctx)
{
    struct out_run r;
    double t0 = MPI_Wtime(), secs;
    int rc, w, status;

    memset(&r, 0, sizeof(r));
    r.ctx = ctx;
    r.rank = ctx->topo.rank;
    r.size = ctx->topo.size;
    r.collectfd = -1;
    if (ctx->cfg->n_out == 0 || !ctx->cfg->collect) {
        if (r.rank == 0)
            mpift_log_error("%s: %s: nothing to stage out (add %s)", ctx->cfg->file,
                            ctx->cfg->n_out == 0 ? "stage_out lists no files" : "paths.collect is not set",
                            ctx->cfg->n_out == 0 ? "stage_out = ( { src = \"out/*\"; dest = \"%h/\"; } );"
                                                 : "collect = \"DIR\"; to paths");
        return MPIFT_ERR_CONFIG;
    }
    if (r.rank == 0 && mpift_ctx_rank0_path(ctx, ctx->cfg->collect, r.collect, sizeof(r.collect)) != MPIFT_OK) {
        mpift_log_error("%s: paths.collect does not expand to a path", ctx->cfg->file);
        return MPIFT_ERR_CONFIG;
    }
    rc = mpift_xfer_init(&r.x, ctx->comm, ctx->cfg, 1);
    if (rc == MPIFT_OK && mpift_ctx_writer(ctx, r.rank))
        rc = list_mine(&r);
    if (rc == MPIFT_OK && r.rank != 0 && mpift_ctx_writer(ctx, r.rank))
        rc = mpift_plan_send(&r.mine, 0, ctx->svc_comm);
    if (rc == MPIFT_OK && r.rank == 0)
        rc = run_rank0(&r);
    else if (rc == MPIFT_OK && mpift_ctx_writer(ctx, r.rank))
        rc = serve_rank0(&r);
    if (rc == MPIFT_OK)
        rc = mpift_xfer_flush(&r.x);
    /* The verdict is rank 0's: it saw every file. */
    status = rc != MPIFT_OK ? rc : (r.failed || r.errors) ? MPIFT_ERR_FILES : MPIFT_OK;
    if (rc == MPIFT_OK || rc == MPIFT_ERR_IO) {
        if (MPI_Bcast(&status, 1, MPI_INT, 0, ctx->comm) != MPI_SUCCESS)
            status = MPIFT_ERR_MPI;
    }
    secs = MPI_Wtime() - t0;
    if (r.rank == 0 && ctx->report_path && !ctx->dry_run && r.state && (rc == MPIFT_OK || rc == MPIFT_ERR_IO) &&
        write_report(&r, status, secs) != MPIFT_OK && status == MPIFT_OK)
        status = MPIFT_ERR_FILES;   /* all ranks learn it below */
    if (ctx->report_path && !ctx->dry_run && (rc == MPIFT_OK || rc == MPIFT_ERR_IO) &&
        MPI_Bcast(&status, 1, MPI_INT, 0, ctx->comm) != MPI_SUCCESS)
        status = MPIFT_ERR_MPI;
    if (r.rank == 0 && !ctx->dry_run && (rc == MPIFT_OK || rc == MPIFT_ERR_IO))
        mpift_log_info("mpift-stage: stage-out into %s: %llu copies written, %llu unchanged, %llu failed; "
                       "%.1f MB in %.2f s (%.1f MB/s)", r.collect, (unsigned long long)r.written,
                       (unsigned long long)r.skipped, (unsigned long long)(r.failed + r.errors),
                       (double)r.bytes / 1e6, secs, secs > 0 ? (double)r.bytes / 1e6 / secs : 0.0);
    if (r.collectfd >= 0)
        close(r.collectfd);
    mpift_xfer_free(&r.x);
    for (w = 1; r.plans && w < r.size; w++)   /* plans[0] is a view of r.mine */
        mpift_plan_free(&r.plans[w]);
    for (w = 0; r.state && w < r.size; w++)
        free(r.state[w]);
    for (w = 0; r.why && w < r.size; w++) {
        for (size_t i = 0; r.why[w] && i < r.plans[w].n; i++)
            free(r.why[w][i]);
        free(r.why[w]);
    }
    free(r.why);
    for (w = 0; r.digest && w < r.size; w++)
        free(r.digest[w]);
    free(r.digest);
    free(r.wbytes);
    free(r.wsecs);
    free(r.plans);
    free(r.state);
    mpift_plan_free(&r.mine);
    return status == MPIFT_ERR_IO ? MPIFT_ERR_FILES : status;
}
