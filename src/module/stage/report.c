/*
 * stage_report.c - the --report JSON of a stage-in: rank 0 writes what
 * every rank gathered to it (see stage.h).
 *
 *   { "mpift", "mode", "config", "job", "policy", "copies", "nodes_count",
 *     "ranks", "seconds", "exit_code", "status", "error"?,
 *     "totals": { files, bytes, copies_written, unchanged, failed,
 *                 bytes_written, sources_not_planned },
 *     "nodes": [ { node, host, ranks[], copies_written, unchanged, failed,
 *                  bytes_written, seconds } ],
 *     "files": [ { path, bytes, xxh3 (hex or null),
 *                  copies: [ { rank, host, status, error? } ] } ] }
 *
 * A copy's status: "written", "unchanged", "failed" or "not sent" (the
 * run stopped first, on_error = "abort").
 */
#include "mpift_autoconf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpift/mpift.h"
#include "util/json.h"
#include "stage/stage.h"

/* The message rank q's segment holds for file i ("i\tmessage\n" lines). */
static void put_error(FILE *f, const struct mpift_stage_report *rep, int q, size_t i)
{
    const char *seg = rep->errs + rep->edispl[q], *end = seg + rep->elen[q], *p = seg;
    char key[32], msg[PATH_MAX + 512];
    int kl = snprintf(key, sizeof(key), "%zu\t", i);

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = (size_t)((nl ? nl : end) - p);
        if (len > (size_t)kl && memcmp(p, key, (size_t)kl) == 0) {
            len -= (size_t)kl;
            if (len >= sizeof(msg))
                len = sizeof(msg) - 1;
            memcpy(msg, p + kl, len);
            msg[len] = '\0';
            fputs(", \"error\": ", f);
            mpift_json_str(f, msg);
            return;
        }
        p = nl ? nl + 1 : end;
    }
}

static const char *state_name(unsigned char s)
{
    switch (s) {
    case MPIFT_FS_DONE: return "written";
    case MPIFT_FS_SKIPPED: return "unchanged";
    case MPIFT_FS_FAILED: case MPIFT_FS_RETRY: return "failed";
    default: return "not sent";
    }
}

int mpift_stage_report_write(const struct mpift_stage_report *rep)
{
    static const char *pol[] = { "direct", "pipeline", "tree" };
    static const char *cop[] = { "per-node", "per-rank", "once" };
    const struct mpift_ctx *ctx = rep->ctx;
    const struct mpift_topo *t = &ctx->topo;
    const struct mpift_plan *plan = rep->plan;
    struct mpift_report out;
    uint64_t tot[4] = { 0, 0, 0, 0 };
    size_t i;
    int q, n, first;

    if (mpift_report_open(&out, ctx->report_path) != MPIFT_OK)
        return MPIFT_ERR_IO;
    for (q = 0; q < t->size; q++)
        for (n = 0; n < 4; n++)
            tot[n] += (uint64_t)rep->stats[q * 5 + n];
    fprintf(out.f, "{\n  \"mpift\": \"%s\",\n  \"mode\": \"%s\",\n  \"config\": ", PACKAGE_VERSION, rep->mode);
    mpift_json_str(out.f, ctx->cfg->file);
    fputs(",\n  \"job\": ", out.f);
    mpift_json_str(out.f, t->jobid);
    fprintf(out.f, ",\n  \"policy\": \"%s\",\n  \"copies\": \"%s\",\n  \"nodes_count\": %d,\n  \"ranks\": %d,\n"
            "  \"seconds\": %.3f,\n  \"exit_code\": %d,\n  \"status\": \"%s\"",
            pol[ctx->cfg->policy], cop[ctx->cfg->copies], t->nnodes, t->size, rep->seconds,
            mpift_exit_status(rep->status), rep->status == MPIFT_OK ? "ok" : "failed");
    if (rep->status != MPIFT_OK) {
        fputs(",\n  \"error\": ", out.f);
        mpift_json_str(out.f, mpift_strerror(rep->status));
    }
    fprintf(out.f, ",\n  \"totals\": { \"files\": %" PRIu64 ", \"bytes\": %" PRIu64 ", \"copies_written\": %" PRIu64
            ", \"unchanged\": %" PRIu64 ", \"failed\": %" PRIu64 ", \"bytes_written\": %" PRIu64
            ", \"sources_not_planned\": %zu },\n  \"nodes\": [",
            plan->nfiles, plan->bytes, tot[0], tot[1], tot[2] + plan->nerrors, tot[3], plan->nerrors);
    for (n = 0; n < t->nnodes; n++) {
        uint64_t c[4] = { 0, 0, 0, 0 };
        double secs = 0;
        fprintf(out.f, "%s\n    { \"node\": %d, \"host\": ", n ? "," : "", n);
        mpift_json_str(out.f, t->hosts[t->leaders[n]]);
        fputs(", \"ranks\": [", out.f);
        for (q = 0, first = 1; q < t->size; q++) {
            if (t->node_of[q] != n)
                continue;
            fprintf(out.f, "%s%d", first ? "" : ", ", q);
            first = 0;
            for (i = 0; i < 4; i++)
                c[i] += (uint64_t)rep->stats[q * 5 + (int)i];
            if (rep->stats[q * 5 + 4] > secs)
                secs = rep->stats[q * 5 + 4];
        }
        fprintf(out.f, "], \"copies_written\": %" PRIu64 ", \"unchanged\": %" PRIu64 ", \"failed\": %" PRIu64
                ", \"bytes_written\": %" PRIu64 ", \"seconds\": %.3f }", c[0], c[1], c[2], c[3], secs);
    }
    fputs("\n  ],\n  \"files\": [", out.f);
    for (i = 0, first = 1; i < plan->n; i++) {
        const struct mpift_pfile *f = &plan->f[i];
        int firstcopy = 1;
        if (f->type != MPIFT_PT_FILE)
            continue;
        fprintf(out.f, "%s\n    { \"path\": ", first ? "" : ",");
        first = 0;
        mpift_json_str(out.f, f->dest);
        fprintf(out.f, ", \"bytes\": %" PRIu64 ", \"xxh3\": ", f->size);
        if (rep->digest && rep->digest[i])
            fprintf(out.f, "\"%016" PRIx64 "\"", rep->digest[i]);
        else
            fputs("null", out.f);
        fputs(", \"copies\": [", out.f);
        for (q = 0; q < t->size; q++) {
            unsigned char s = rep->states[(size_t)q * plan->n + i];
            if (!rep->writes(rep->arg, q, f))
                continue;
            fprintf(out.f, "%s{ \"rank\": %d, \"host\": ", firstcopy ? "" : ", ", q);
            firstcopy = 0;
            mpift_json_str(out.f, t->hosts[q]);
            fprintf(out.f, ", \"status\": \"%s\"", state_name(s));
            if (s == MPIFT_FS_FAILED || s == MPIFT_FS_RETRY)
                put_error(out.f, rep, q, i);
            fputs(" }", out.f);
        }
        fputs("] }", out.f);
    }
    fputs("\n  ]\n}\n", out.f);
    return mpift_report_close(&out, 1);
}
