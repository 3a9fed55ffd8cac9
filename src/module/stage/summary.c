/*
 * summary.c - rank 0's last words on a stage-in or stage-out (summary.h):
 * the summary line, the per-node table, and a dry run's plan.  Both modes
 * print through here, so their lines read alike.
 */
#include "mpift_autoconf.h"

#include <stdarg.h>
#include <stdio.h>

#include "mpift/mpift.h"
#include "stage/summary.h"
#include "util/log.h"

static double mb(double b) { return b / 1e6; }

void mpift_tally_node(const struct mpift_tally *t, const struct mpift_topo *topo, int n,
                      double out[MPIFT_TALLY_N], int *nranks)
{
    const double *row;
    int q, k;

    for (k = 0; k < MPIFT_TALLY_N; k++)
        out[k] = 0;
    *nranks = 0;
    for (q = 0; q < topo->size; q++) {
        if (topo->node_of[q] != n || (t->listed && !t->listed[q]))
            continue;
        ++*nranks;
        row = t->rank + (size_t)q * MPIFT_TALLY_N;
        for (k = 0; k < MPIFT_TALLY_SECONDS; k++)
            out[k] += row[k];
        if (t->serial)
            out[MPIFT_TALLY_SECONDS] += row[MPIFT_TALLY_SECONDS];
        else if (row[MPIFT_TALLY_SECONDS] > out[MPIFT_TALLY_SECONDS])
            out[MPIFT_TALLY_SECONDS] = row[MPIFT_TALLY_SECONDS];
    }
}

void mpift_summary_print(const char *head, const struct mpift_tally *t, const struct mpift_topo *topo,
                         double secs, int table)
{
    double c[MPIFT_TALLY_N], bytes = (double)t->total[MPIFT_TALLY_BYTES];
    char left[160] = "";
    int n, ranks;

    /* What could not be planned is in "failed" too, and a folder that
     * could not be read hides how many files it holds: say so rather
     * than let a user take the count for what is missing. */
    if (t->unread)
        snprintf(left, sizeof(left), " (%llu could not be planned; %llu folder%s could not be read, the files in "
                 "%s not counted)", (unsigned long long)t->unplanned, (unsigned long long)t->unread,
                 t->unread == 1 ? "" : "s", t->unread == 1 ? "it" : "them");
    else if (t->unplanned)
        snprintf(left, sizeof(left), " (%llu could not be planned)", (unsigned long long)t->unplanned);
    mpift_log_info("mpift-stage: %s: %llu copies written, %llu unchanged, %s%llu failed%s; %.1f MB in %.2f s "
                   "(%.1f MB/s)", head, (unsigned long long)t->total[MPIFT_TALLY_WRITTEN],
                   (unsigned long long)t->total[MPIFT_TALLY_UNCHANGED], t->unread ? "at least " : "",
                   (unsigned long long)t->total[MPIFT_TALLY_FAILED], left, mb(bytes), secs,
                   secs > 0 ? mb(bytes) / secs : 0.0);
    if (!table)
        return;
    mpift_log_info("  %4s  %-20s %5s %8s %10s %7s %10s %8s %9s", "node", "host", "ranks", "written", "unchanged",
                   "failed", "MB", "seconds", "MB/s");
    for (n = 0; n < topo->nnodes; n++) {
        double s;
        mpift_tally_node(t, topo, n, c, &ranks);
        s = c[MPIFT_TALLY_SECONDS];
        mpift_log_info("  %4d  %-20s %5d %8.0f %10.0f %7.0f %10.1f %8.2f %9.1f", n, topo->hosts[topo->leaders[n]],
                       ranks, c[MPIFT_TALLY_WRITTEN], c[MPIFT_TALLY_UNCHANGED], c[MPIFT_TALLY_FAILED],
                       mb(c[MPIFT_TALLY_BYTES]), s, s > 0 ? mb(c[MPIFT_TALLY_BYTES]) / s : 0.0);
    }
}

void mpift_dry_run_file(struct mpift_dry_run *d, enum mpift_fstate st, const struct mpift_pfile *f,
                        const char *tail)
{
    const char *what = st == MPIFT_FS_SKIPPED ? "unchanged" : st == MPIFT_FS_CLASH ? "clash" : "send";

    mpift_log_info("  %-10s %12llu  %s%s", what, (unsigned long long)f->size, f->dest, tail);
    if (st == MPIFT_FS_NONE) {
        d->files++;
        d->bytes += f->size;
    }
}

void mpift_dry_run_end(const struct mpift_dry_run *d, const struct mpift_ctx *ctx, const struct mpift_plan *plan,
                       const char *collect)
{
    const struct mpift_topo *t = &ctx->topo;

    if (collect)
        mpift_log_info("dry run: stage-out would gather %llu files (%.1f MB) into %s; nothing was transferred",
                       (unsigned long long)d->files, mb((double)d->bytes), collect);
    else
        mpift_log_info("dry run: %llu of %llu files (%.1f MB) would be sent, policy %s, copies %s, %d node%s; "
                       "nothing was transferred", (unsigned long long)d->files, (unsigned long long)plan->nfiles,
                       mb((double)d->bytes), mpift_policy_name(ctx->cfg->policy),
                       mpift_copies_name(ctx->cfg->copies), t->nnodes, t->nnodes == 1 ? "" : "s");
}
