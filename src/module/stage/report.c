/*
 * report.c - the --report JSON of a stage-in or a stage-out: rank 0 writes
 * what every rank did (report.h).  One writer for both modes; they differ
 * only where they must (a stage-in's plan is shared and each file lists
 * its copies, a stage-out's files each come from one writer):
 *
 *   { "report_version" (MPIFT_REPORT_VERSION), "mpift", "mode", "config", "job",
 *     stage-in: "policy", "copies", "nodes_count", "ranks";  stage-out: "collect",
 *     "seconds", "exit_code", "status", stage-in: "error"?,
 *     "totals": { stage-in: files, bytes,  copies_written, unchanged, failed,
 *                 bytes_written, wire_bytes, hole_bytes,  stage-in: sources_not_planned,
 *                 folders_not_read },
 *   (wire_bytes: what the files' chunks took on one link, compressed or
 *   not, over every attempt: beside bytes, the saving of transfer.compress;
 *   hole_bytes: what crossed as hole extents, no DATA at all;
 *   stage-in's totals and files add resumed_bytes and delta_saved_bytes,
 *   summed over the writers: what they took from what they held, engine/base.h)
 *     "nodes": [ { node, host, ranks[], copies_written, unchanged, failed,
 *                  bytes_written, seconds } ],
 *     "files": [ { path, bytes, wire_bytes, hole_bytes, xxh3 (hex or null),
 *                  stage-in, an archive with extract = true: unpacked: { folder, files, bytes },
 *                  stage-in: copies: [ { rank, host, status, error? } ]
 *                  stage-out: rank, host, status, error? } ] }
 *
 * A copy's status: "written", "unchanged", "failed", "clash" (stage-out:
 * two writers with one final path) or "not sent" (the run stopped first).
 * docs/report.schema.json is this shape as a JSON Schema (docs/report.md):
 * change one, change the other, and MPIFT_REPORT_VERSION when a reader's
 * code would break (a field removed or changed; an added one does not).
 */
#include "mpift_autoconf.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpift/mpift.h"
#include "engine/sink.h"
#include "fs/archive.h"
#include "fs/outfile.h"
#include "stage/libs.h"
#include "stage/report.h"
#include "stage/stage.h"
#include "util/faults.h"
#include "util/grow.h"
#include "util/json.h"
#include "util/log.h"
#include "comm/status.h"

void mpift_notes_add(struct mpift_notes *n, size_t i, const char *why)
{
    char line[MPIFT_WHY_MAX + 32];
    int len;
    char *p;

    len = snprintf(line, sizeof(line), "%zu\t%s\n", i, why);
    if (len < 0)
        return;
    if ((size_t)len >= sizeof(line)) {   /* cut short, but still one line */
        len = (int)sizeof(line) - 1;
        line[len - 1] = '\n';
    }
    for (p = strchr(line, '\t') + 1; p < line + len - 1; p++)
        if (*p == '\n')
            *p = ' ';
    if (mpift_grow(&n->text, &n->cap, n->len + (size_t)len, 1, 2 * sizeof(line)) != MPIFT_OK)
        return;
    memcpy(n->text + n->len, line, (size_t)len);
    n->len += (size_t)len;
}

void mpift_notes_free(struct mpift_notes *n)
{
    free(n->text);
    n->text = NULL;
    n->len = n->cap = 0;
}

/*
 * A rank's notes sorted by file index, so the report finds the note of
 * each copy by binary search: scanning the text for every failed copy
 * would cost the square of the failures (a refused preflight fails every
 * file).  A file with several notes (one per round) reports its first.
 */
struct note {
    size_t i, seq;
    const char *msg;
    size_t len;
};

struct note_index {
    struct note *v;   /* NULL: no notes (or no memory for them: the report has no "error" then) */
    size_t n;
};

static int note_cmp(const void *a, const void *b)
{
    const struct note *x = a, *y = b;

    if (x->i != y->i)
        return x->i < y->i ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void index_notes(const struct mpift_report_rank *rr, struct note_index *ix)
{
    const char *p = rr->notes, *end = p ? p + rr->notes_len : NULL;
    size_t cap = 0;

    ix->v = NULL;
    ix->n = 0;
    for (; p && p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *tab = memchr(p, '\t', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        if (tab && tab < eol) {
            if (mpift_grow(&ix->v, &cap, ix->n + 1, sizeof(*ix->v), 16) != MPIFT_OK) {
                free(ix->v);
                ix->v = NULL;
                ix->n = 0;
                return;
            }
            ix->v[ix->n] = (struct note){ .i = (size_t)strtoull(p, NULL, 10), .seq = ix->n, .msg = tab + 1,
                                          .len = (size_t)(eol - tab - 1) };
            ix->n++;
        }
        p = nl ? nl + 1 : end;
    }
    if (ix->n)
        qsort(ix->v, ix->n, sizeof(*ix->v), note_cmp);
}

/* The note a rank kept for file i, as ", "error": ..." (nothing if none). */
static void put_note(FILE *f, const struct note_index *ix, size_t i)
{
    size_t lo = 0, hi = ix->n, mid;
    char msg[MPIFT_WHY_MAX];

    while (lo < hi) {   /* the first note with index >= i */
        mid = lo + (hi - lo) / 2;
        if (ix->v[mid].i < i)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == ix->n || ix->v[lo].i != i)
        return;
    mpift_format(msg, sizeof(msg), "%.*s", (int)ix->v[lo].len, ix->v[lo].msg);
    fputs(", \"error\": ", f);
    mpift_json_str(f, msg);
}

static const char *state_name(unsigned char s)
{
    switch (s) {
    case MPIFT_FS_DONE: return "written";
    case MPIFT_FS_SKIPPED: return "unchanged";
    case MPIFT_FS_FAILED: case MPIFT_FS_RETRY: return "failed";
    case MPIFT_FS_CLASH: return "clash";
    default: return "not sent";
    }
}

/* File i of rank q's list: "path", "bytes", "xxh3" (the entry left open). */
static void put_file(FILE *f, const struct mpift_report_rank *rr, size_t i)
{
    const struct mpift_pfile *pf = &rr->plan->f[i];

    fputs("{ \"path\": ", f);
    mpift_json_str(f, pf->dest);
    fprintf(f, ", \"bytes\": %" PRIu64 ", \"wire_bytes\": %" PRIu64 ", \"hole_bytes\": %" PRIu64, pf->size,
            rr->wire ? rr->wire[i] : 0, rr->holes ? rr->holes[i] : 0);
    if (rr->resumed && rr->delta_saved)
        fprintf(f, ", \"resumed_bytes\": %" PRIu64 ", \"delta_saved_bytes\": %" PRIu64, rr->resumed[i],
                rr->delta_saved[i]);
    fputs(", \"xxh3\": ", f);
    if (rr->digest && rr->digest[i])
        fprintf(f, "\"%016" PRIx64 "\"", rr->digest[i]);
    else
        fputs("null", f);
}

/* Rank q's copy of file i: "rank", "host", "status", "error"? */
static void put_copy(FILE *f, const struct mpift_ctx *ctx, int q, const struct mpift_report_rank *rr,
                     const struct note_index *ix, size_t i)
{
    unsigned char s = rr->state[i];

    fprintf(f, "\"rank\": %d, \"host\": ", q);
    mpift_json_str(f, ctx->topo.hosts[q]);
    fprintf(f, ", \"status\": \"%s\"",
            s == MPIFT_FS_DONE && rr->cache && rr->cache[i] == MPIFT_CM_PLACED ? "cached" : state_name(s));
    if (rr->cache && rr->cache[i] == MPIFT_CM_DISCARDED)
        fputs(", \"cache_discarded\": true", f);
    if (s == MPIFT_FS_FAILED || s == MPIFT_FS_RETRY)
        put_note(f, ix, i);
    else if (s == MPIFT_FS_CLASH)
        fputs(", \"error\": \"another rank has the same final path\"", f);
}

/* An archive's "unpacked": its folder, files and bytes (rank 0's count of
 * its headers: what every node that unpacked it holds). */
static void put_unpacked(FILE *f, const struct mpift_stage_report *rep, size_t i)
{
    const struct mpift_extract_item *it = rep->extracts ? mpift_extract_find(rep->extracts, i) : NULL;
    char folder[PATH_MAX];

    if (!it || mpift_archive_folder(rep->plan->f[i].dest, folder, sizeof(folder)) != MPIFT_OK)
        return;
    fputs(", \"unpacked\": { \"folder\": ", f);
    mpift_json_str(f, folder);
    fprintf(f, ", \"files\": %" PRIu64 ", \"bytes\": %" PRIu64 " }", it->files, it->bytes);
}

/* A stage-in's files: each with its copies on the ranks that keep it;
 * their number and bytes added to res. */
static void put_files_in(FILE *f, const struct mpift_stage_report *rep, const struct note_index *ix,
                         struct mpift_result *res)
{
    const struct mpift_plan *plan = rep->plan;
    size_t i;
    int q, first = 1, firstcopy;

    for (i = 0; i < plan->n; i++) {
        if (plan->f[i].type != MPIFT_PT_FILE)
            continue;
        fputs(first ? "\n    " : ",\n    ", f);
        first = 0;
        put_file(f, &rep->ranks[0], i);
        res->files++;
        res->bytes += plan->f[i].size;
        put_unpacked(f, rep, i);
        fputs(", \"copies\": [", f);
        for (q = 0, firstcopy = 1; q < rep->ctx->topo.size; q++) {
            if (!mpift_stage_keeps(rep->ctx, q, &plan->f[i]))
                continue;
            fputs(firstcopy ? "{ " : ", { ", f);
            firstcopy = 0;
            put_copy(f, rep->ctx, q, &rep->ranks[q], &ix[q], i);
            fputs(" }", f);
        }
        fputs("] }", f);
    }
}

/* A stage-out's files: writer by writer (counted in res). */
static void put_files_out(FILE *f, const struct mpift_stage_report *rep, const struct note_index *ix,
                          struct mpift_result *res)
{
    size_t i;
    int w, first = 1;

    for (w = 0; w < rep->ctx->topo.size; w++) {
        const struct mpift_report_rank *rr = &rep->ranks[w];
        for (i = 0; rr->state && i < rr->plan->n; i++) {
            if (rr->plan->f[i].type != MPIFT_PT_FILE)
                continue;
            fputs(first ? "\n    " : ",\n    ", f);
            first = 0;
            put_file(f, rr, i);
            res->files++;
            res->bytes += rr->plan->f[i].size;
            fputs(", ", f);
            put_copy(f, rep->ctx, w, rr, &ix[w], i);
            fputs(" }", f);
        }
    }
}

/* Per node: its ranks, what they did, how long it took. */
static void put_nodes(FILE *f, const struct mpift_stage_report *rep)
{
    const struct mpift_topo *t = &rep->ctx->topo;
    const struct mpift_tally *ty = rep->tally;
    double c[MPIFT_TALLY_N];
    int n, q, first, ranks;

    for (n = 0; n < t->nnodes; n++) {
        fprintf(f, "%s\n    { \"node\": %d, \"host\": ", n ? "," : "", n);
        mpift_json_str(f, t->hosts[t->leaders[n]]);
        fputs(", \"ranks\": [", f);
        for (q = 0, first = 1; q < t->size; q++) {
            if (t->node_of[q] != n || (ty->listed && !ty->listed[q]))
                continue;
            fprintf(f, "%s%d", first ? "" : ", ", q);
            first = 0;
        }
        mpift_tally_node(ty, t, n, c, &ranks);
        fprintf(f, "], \"copies_written\": %" PRIu64 ", \"unchanged\": %" PRIu64 ", \"failed\": %" PRIu64
                ", \"bytes_written\": %" PRIu64 ", \"seconds\": ", (uint64_t)c[MPIFT_TALLY_WRITTEN],
                (uint64_t)c[MPIFT_TALLY_UNCHANGED], (uint64_t)c[MPIFT_TALLY_FAILED],
                (uint64_t)c[MPIFT_TALLY_BYTES]);
        mpift_json_fixed(f, c[MPIFT_TALLY_SECONDS], 3);
        fputs(" }", f);
    }
}

/* The bytes every file took on one link, or (`holes`) crossed as hole
 * extents (a stage-in's are rank 0's, the source's; a stage-out's each
 * writer's). */
static uint64_t bytes_total(const struct mpift_stage_report *rep, int holes)
{
    const uint64_t *v;
    uint64_t sum = 0;
    size_t i;
    int q;

    for (q = 0; q < (rep->collect ? rep->ctx->topo.size : 1); q++) {
        v = holes ? rep->ranks[q].holes : rep->ranks[q].wire;
        for (i = 0; v && i < rep->ranks[q].plan->n; i++)
            sum += v[i];
    }
    return sum;
}

/* A stage-in's bytes taken from bases (totals: rank 0's per-file counts). */
static uint64_t sum_of(const struct mpift_stage_report *rep, const uint64_t *v)
{
    uint64_t sum = 0;
    size_t i;

    for (i = 0; v && i < rep->plan->n; i++)
        sum += v[i];
    return sum;
}

/* Stage-in with cache.dir: the bytes of the copies placed from a node's
 * cache, and the entries discarded because they no longer verified. */
static void cache_totals(const struct mpift_stage_report *rep, uint64_t *bytes, uint64_t *discarded)
{
    size_t i;
    int q;

    *bytes = *discarded = 0;
    for (q = 0; q < rep->ctx->topo.size; q++)
        for (i = 0; rep->ranks[q].cache && i < rep->plan->n; i++) {
            if (rep->ranks[q].cache[i] == MPIFT_CM_PLACED && rep->ranks[q].state[i] == MPIFT_FS_DONE)
                *bytes += rep->plan->f[i].size;
            else if (rep->ranks[q].cache[i] == MPIFT_CM_DISCARDED)
                (*discarded)++;
        }
}

/* The run as a whole: what, where, how it ended, the totals (kept in
 * res too). */
static void put_run(FILE *f, const struct mpift_stage_report *rep, struct mpift_result *res)
{
    const struct mpift_ctx *ctx = rep->ctx;
    const struct mpift_topo *t = &ctx->topo;
    const uint64_t *tot = rep->tally->total;
    uint64_t cbytes, cgone;

    *res = (struct mpift_result){ .size = sizeof(*res), .status = rep->status, .seconds = rep->seconds,
                                  .mode = rep->collect ? MPIFT_MODE_STAGE_OUT : MPIFT_MODE_STAGE_IN,
                                  .copies_written = tot[MPIFT_TALLY_WRITTEN], .unchanged = tot[MPIFT_TALLY_UNCHANGED],
                                  .failed = tot[MPIFT_TALLY_FAILED], .bytes_written = tot[MPIFT_TALLY_BYTES],
                                  .wire_bytes = bytes_total(rep, 0), .folders_not_read = rep->tally->unread };

    fprintf(f, "{\n  \"report_version\": %d,\n  \"mpift\": \"%s\",\n  \"mode\": \"%s\",\n  \"config\": ",
            MPIFT_REPORT_VERSION, MPIFT_VERSION_STRING, rep->collect ? "stage-out" : "stage-in");
    mpift_json_str(f, ctx->cfg->file);
    fputs(",\n  \"job\": ", f);
    mpift_json_str(f, t->jobid);
    if (rep->collect) {
        fputs(",\n  \"collect\": ", f);
        mpift_json_str(f, rep->collect);
    } else {
        fprintf(f, ",\n  \"policy\": \"%s\",\n  \"copies\": \"%s\",\n  \"nodes_count\": %d,\n  \"ranks\": %d",
                mpift_policy_name(ctx->cfg->policy), mpift_copies_name(ctx->cfg->copies), t->nnodes, t->size);
    }
    fputs(",\n  \"seconds\": ", f);
    mpift_json_fixed(f, rep->seconds, 3);
    fprintf(f, ",\n  \"exit_code\": %d,\n  \"status\": \"%s\"", mpift_exit_status(rep->status),
            rep->status == MPIFT_OK ? "ok" : "failed");
    if (!rep->collect && rep->status != MPIFT_OK) {
        fputs(",\n  \"error\": ", f);
        mpift_json_str(f, mpift_strerror(rep->status));
    }
    fputs(",\n  \"totals\": { ", f);
    if (!rep->collect)
        fprintf(f, "\"files\": %" PRIu64 ", \"bytes\": %" PRIu64 ", ", rep->plan->nfiles, rep->plan->bytes);
    fprintf(f, "\"copies_written\": %" PRIu64 ", \"unchanged\": %" PRIu64 ", \"failed\": %" PRIu64
            ", \"bytes_written\": %" PRIu64, tot[MPIFT_TALLY_WRITTEN], tot[MPIFT_TALLY_UNCHANGED],
            tot[MPIFT_TALLY_FAILED], tot[MPIFT_TALLY_BYTES]);
    fprintf(f, ", \"wire_bytes\": %" PRIu64 ", \"hole_bytes\": %" PRIu64, res->wire_bytes, bytes_total(rep, 1));
    if (!rep->collect)
        fprintf(f, ", \"resumed_bytes\": %" PRIu64 ", \"delta_saved_bytes\": %" PRIu64
                ", \"sources_not_planned\": %zu", sum_of(rep, rep->ranks[0].resumed),
                sum_of(rep, rep->ranks[0].delta_saved), rep->plan->nerrors);
    if (!rep->collect && ctx->cfg->cache_dir) {
        cache_totals(rep, &cbytes, &cgone);
        fprintf(f, ", \"cache_bytes\": %" PRIu64 ", \"cache_discarded\": %" PRIu64, cbytes, cgone);
    }
    /* failed is a lower bound when folders could not be read */
    fprintf(f, ", \"folders_not_read\": %" PRIu64, rep->tally->unread);
    fputs(" },\n  \"nodes\": [", f);
}

/* The whole report into f; its totals in res. */
static void render(FILE *f, const struct mpift_stage_report *rep, const struct note_index *ix,
                   struct mpift_result *res)
{
    put_run(f, rep, res);
    put_nodes(f, rep);
    fputs("\n  ],\n  \"files\": [", f);
    if (rep->collect)
        put_files_out(f, rep, ix, res);
    else
        put_files_in(f, rep, ix, res);
    fputs("\n  ]", f);
    if (rep->libs && rep->libs->n)
        mpift_libs_report(f, rep->libs, rep->ctx->dest_root);
    fputs("\n}\n", f);
}

/* The report as text in memory, into kept (keep_result).  Out of memory
 * (or MPIFT_TEST_NOMEM_RESULT naming rank 0) it keeps nothing and says
 * so: mpift_result() then finds none, and the run is not the worse. */
static void keep(const struct mpift_stage_report *rep, const struct note_index *ix, struct mpift_kept_result *kept)
{
    const char *fault = mpift_fault_env("MPIFT_TEST_NOMEM_RESULT");
    struct mpift_result res;
    char *text = NULL;
    size_t len = 0;
    FILE *f = fault && atoi(fault) == 0 ? NULL : open_memstream(&text, &len);

    if (f) {
        render(f, rep, ix, &res);
        int bad = ferror(f);

        if (fclose(f) != 0 || bad) {
            free(text);
            f = NULL;
        }
    }
    if (!f) {
        mpift_log_error("no memory for the run's result: mpift_result() will find none%s",
                        rep->ctx->report_path ? " (--report is written all the same)" : "");
        return;
    }
    kept->totals = res;
    kept->json = text;
    kept->len = len;
}

/* The report into ctx->report_path: the kept text when there is one (the
 * same bytes), else written as it is made, a big job's report never
 * whole in memory.  MPIFT_OK or MPIFT_ERR_IO (said). */
static int write_file(const struct mpift_stage_report *rep, const struct note_index *ix,
                      const struct mpift_kept_result *kept)
{
    const char *path = rep->ctx->report_path;
    struct mpift_outfile out;
    struct mpift_result res;
    char why[MPIFT_WHY_MAX];
    int rc;

    /* Named like a copy's temporary: walks that skip those skip it. */
    rc = mpift_outfile_open(&out, path, MPIFT_SINK_TMP_PREFIX, MPIFT_SINK_TMP_SUFFIX, why, sizeof(why));
    if (rc != MPIFT_OK) {
        mpift_log_error("--report %s: %s; pick a writable place for the report", path, why);
        return MPIFT_ERR_IO;
    }
    if (kept && kept->json)
        fwrite(kept->json, 1, kept->len, out.f);
    else
        render(out.f, rep, ix, &res);
    rc = mpift_outfile_close(&out, 1, why, sizeof(why));
    if (rc != MPIFT_OK)
        mpift_log_error("--report %s: %s", path, why);
    return rc;
}

int mpift_stage_report_write(const struct mpift_stage_report *rep, struct mpift_kept_result *kept)
{
    int q, size = rep->ctx->topo.size, rc = MPIFT_OK;
    struct note_index *ix = calloc((size_t)size, sizeof(*ix));

    if (!ix) {
        if (rep->ctx->report_path)
            mpift_log_error("%s: out of memory for the report", rep->ctx->report_path);
        else
            mpift_log_error("no memory for the run's result: mpift_result() will find none");
        return rep->ctx->report_path ? MPIFT_ERR_IO : MPIFT_OK;
    }
    for (q = 0; q < size; q++)
        index_notes(&rep->ranks[q], &ix[q]);
    if (kept)
        keep(rep, ix, kept);
    if (rep->ctx->report_path)
        rc = write_file(rep, ix, kept);
    for (q = 0; q < size; q++)
        free(ix[q].v);
    free(ix);
    return rc;
}
