/*
 * progress_jsonl.c - --progress=jsonl: the meter's figures as one JSON
 * object per line, for programs that drive mpift-stage (docs/report.md
 * has the keys).  Each line is written with one write(2), so a reader
 * never sees half of one between two of rank 0's lines, and its numbers
 * come from integers (util/json.h): the same in every locale.
 */
#include "mpift_autoconf.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cpu.h"
#include "util/json.h"
#include "util/log.h"
#include "util/progress.h"

/* The shape of a line: "progress_version" (docs/report.md says when it
 * changes, as for the report's). */
#define PROGRESS_VERSION 1

void mpift_meter_label(struct mpift_meter *m, const char *mode, int round, int nnodes,
                       const char (*hosts)[MPIFT_HOST_MAX], const int *leaders)
{
    int n;

    if (!m->on || !m->jsonl)
        return;
    m->mode = mode;
    m->round = round;
    mpift_meter_jsonl_free(m);
    if (nnodes <= 0)
        return;
    m->hosts = calloc((size_t)nnodes, sizeof(*m->hosts));
    m->node_done = calloc((size_t)nnodes, sizeof(*m->node_done));
    m->node_total = calloc((size_t)nnodes, sizeof(*m->node_total));
    m->node_cur = calloc((size_t)nnodes, sizeof(*m->node_cur));
    if (!m->hosts || !m->node_done || !m->node_total || !m->node_cur) {
        mpift_meter_jsonl_free(m);   /* best effort: lines without "lag" */
        return;
    }
    m->nnodes = nnodes;
    for (n = 0; n < nnodes; n++)
        m->hosts[n] = hosts[leaders[n]];
}

void mpift_meter_node(struct mpift_meter *m, int node, uint64_t total)
{
    if (node >= 0 && node < m->nnodes)
        m->node_total[node] += total;
}

void mpift_meter_toward_none(struct mpift_meter *m)
{
    if (m && m->nnodes)
        memset(m->node_cur, 0, (size_t)m->nnodes);
}

void mpift_meter_toward(struct mpift_meter *m, int node)
{
    if (m && node >= 0 && node < m->nnodes)
        m->node_cur[node] = 1;
}

void mpift_meter_toward_total(struct mpift_meter *m, uint64_t bytes)
{
    int n;

    for (n = 0; n < m->nnodes; n++)
        if (m->node_cur[n])
            m->node_total[n] += bytes;
}

void mpift_meter_jsonl_free(struct mpift_meter *m)
{
    free(m->hosts);
    free(m->node_done);
    free(m->node_total);
    free(m->node_cur);
    m->hosts = NULL;
    m->node_done = m->node_total = NULL;
    m->node_cur = NULL;
    m->nnodes = 0;
}

/* "lag": per node its bytes done and to do, and how far it is behind the
 * node furthest ahead (never more than what it has left). */
static void put_lag(FILE *f, const struct mpift_meter *m)
{
    uint64_t ahead = 0, behind;
    int n;

    for (n = 0; n < m->nnodes; n++)
        if (m->node_done[n] > ahead)
            ahead = m->node_done[n];
    fputs(", \"lag\": [", f);
    for (n = 0; n < m->nnodes; n++) {
        behind = (ahead < m->node_total[n] ? ahead : m->node_total[n]);
        behind = behind > m->node_done[n] ? behind - m->node_done[n] : 0;
        fprintf(f, "%s{\"node\": %d, \"host\": ", n ? ", " : "", n);
        mpift_json_str(f, m->hosts[n] ? m->hosts[n] : "");
        fprintf(f, ", \"bytes_done\": %" PRIu64 ", \"bytes_total\": %" PRIu64 ", \"bytes_behind\": %" PRIu64 "}",
                m->node_done[n], m->node_total[n], behind);
    }
    fputc(']', f);
}

void mpift_meter_jsonl(struct mpift_meter *m, int final)
{
    double secs = mpift_now() - m->start;
    char *line = NULL;
    size_t len = 0, off;
    ssize_t w;
    FILE *f;

    if (m->fd < 0)
        return;   /* a write failed: said once, no more lines */
    if (!(f = open_memstream(&line, &len)))
        return;
    fprintf(f, "{\"progress_version\": %d, \"mode\": \"%s\", \"round\": %d, \"seconds\": ", PROGRESS_VERSION,
            m->mode, m->round);
    mpift_json_fixed(f, secs, 3);
    fprintf(f, ", \"bytes_done\": %" PRIu64 ", \"bytes_total\": %" PRIu64 ", \"files_done\": %" PRIu64
            ", \"files_total\": %" PRIu64 ", \"rate\": %" PRIu64, m->done_bytes, m->bytes, m->done_files, m->files,
            secs > 0 ? (uint64_t)((double)m->done_bytes / secs) : 0);
    if (m->nnodes)
        put_lag(f, m);
    fprintf(f, ", \"final\": %s}\n", final ? "true" : "false");
    if (fclose(f) != 0 || !line) {
        free(line);
        return;
    }
    for (off = 0; off < len; off += (size_t)w) {
        w = write(m->fd, line + off, len - off);
        if (w < 0 && errno == EINTR) {
            w = 0;
            continue;
        }
        if (w <= 0) {
            mpift_log_warn("--progress-fd %d: %s: no more progress lines; fix the descriptor (open it in "
                           "rank 0, e.g. 'mpift-stage ... --progress-fd 3 3>FILE')", m->fd,
                           w < 0 ? strerror(errno) : "nothing written");
            m->fd = -1;
            break;
        }
    }
    free(line);
}
