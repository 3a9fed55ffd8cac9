/* cache_cmd.c - --cache-list and --cache-prune, node by node (cache_cmd.h). */
#include "mpift_autoconf.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mpift/mpift.h"
#include "cache/store.h"
#include "comm/agree.h"
#include "comm/wait.h"
#include "config/template.h"
#include "stage/cache_cmd.h"
#include "util/log.h"

#define DOING "waiting for every node's cache"

/* The listing of c into f. */
static int list(struct mpift_cache *c, FILE *f)
{
    struct mpift_cache_item *v;
    struct tm tm;
    char when[32];
    uint64_t total = 0;
    size_t n, i;
    int rc = mpift_cache_list(c, &v, &n);

    if (rc != MPIFT_OK)
        return rc;
    for (i = 0; i < n; i++)
        total += v[i].size;
    fprintf(f, "%zu entr%s, %" PRIu64 " bytes (cache.max_size %" PRIu64 ")\n", n, n == 1 ? "y" : "ies", total,
            c->max_size);
    if (n)
        fprintf(f, "  %-54s %14s  %-19s  %s\n", "key (size-xxh3_128)", "bytes", "last use", "in use");
    for (i = 0; i < n; i++) {
        time_t t = (time_t)v[i].last_use;
        if (v[i].last_use && localtime_r(&t, &tm))
            strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
        else
            snprintf(when, sizeof(when), "never recorded");
        fprintf(f, "  %-54s %14" PRIu64 "  %-19s  %s\n", v[i].name, v[i].size, when, v[i].in_use ? "yes" : "no");
    }
    free(v);
    return MPIFT_OK;
}

/* A node leader's answer, as text (*text malloc'd); 1 when it failed. */
static int node_answer(struct mpift_ctx *ctx, int prune, uint64_t size, char **text, size_t *len)
{
    struct mpift_cache c;
    struct mpift_tvars v;
    char dir[PATH_MAX], why[MPIFT_WHY_MAX];
    uint64_t kept, freed, linked;
    FILE *f = open_memstream(text, len);
    int bad = 1, rc;

    if (!f)
        return 1;
    mpift_topo_tvars(&ctx->topo, ctx->topo.rank, &v);
    fprintf(f, "%s: ", ctx->topo.host);
    if (mpift_template_expand(ctx->cfg->cache_dir, &v, dir, sizeof(dir)) != MPIFT_OK) {
        fprintf(f, "cache.dir %s cannot be expanded here\n", ctx->cfg->cache_dir);
        goto out;
    }
    if (mpift_cache_open(&c, dir, ctx->cfg->cache_max_size, ctx->topo.host, why, sizeof(why)) != MPIFT_OK) {
        fprintf(f, "%s\n", why);
        goto out;
    }
    fprintf(f, "cache.dir %s: ", dir);
    if (size == UINT64_MAX)
        size = c.max_size;
    if (prune) {
        c.prune = 1;
        rc = mpift_cache_evict(&c, size, &kept, &freed, &linked);
        if (rc == MPIFT_OK)
            fprintf(f, "%" PRIu64 " bytes freed, %" PRIu64 " kept (to at most %" PRIu64 "%s)", freed, kept, size,
                    kept > size ? "; the rest is in use by a job" : "");
        if (rc == MPIFT_OK && linked)
            fprintf(f, "; %" PRIu64 " bytes more left the cache but are still held by copies placed from it "
                    "(hard links in dests: removing those frees them)", linked);
        if (rc == MPIFT_OK)
            fputc('\n', f);
    } else {
        rc = list(&c, f);
    }
    if (rc != MPIFT_OK && c.off)
        fprintf(f, "%s\n", c.off_why);   /* its lock stayed busy */
    else if (rc != MPIFT_OK)
        fprintf(f, "cannot read it: %s\n", mpift_strerror(rc));
    bad = rc != MPIFT_OK;
    mpift_cache_close(&c);
out:
    if (fclose(f) != 0)
        return 1;
    return bad;
}

int mpift_cache_cmd(struct mpift_ctx *ctx, int prune, uint64_t size)
{
    const struct mpift_topo *t = &ctx->topo;
    char *text = NULL, *all = NULL;
    size_t len = 0;
    int *lens = NULL, *displs = NULL, mine = 0, bad = 0, any = 0, q, rc, ok = 1;
    long long total = 0;
    MPI_Request rq;

    if (!ctx->cfg->cache_dir) {
        if (t->rank == 0)
            mpift_log_error("%s: cache.dir is not set: there is no cache to %s", ctx->cfg->file,
                            prune ? "prune" : "list");
        return MPIFT_ERR_CONFIG;
    }
    if (t->rank == t->leader) {
        bad = node_answer(ctx, prune, size, &text, &len);
        mine = text && len < INT_MAX ? (int)len : 0;
    }
    if (t->rank == 0) {
        lens = calloc((size_t)t->size, sizeof(*lens));
        displs = calloc((size_t)t->size, sizeof(*displs));
        ok = lens && displs;
    }
    rc = mpift_wait_coll(&ctx->watch, DOING, MPI_Ibcast(&ok, 1, MPI_INT, 0, ctx->comm, &rq), &rq);
    if (rc == MPIFT_OK && ok)
        rc = mpift_wait_coll(&ctx->watch, DOING, MPI_Igather(&mine, 1, MPI_INT, lens, 1, MPI_INT, 0, ctx->comm, &rq),
                             &rq);
    if (rc == MPIFT_OK && ok && t->rank == 0) {
        for (q = 0; q < t->size; q++) {
            displs[q] = (int)total;
            total += lens[q];
        }
        ok = total < INT_MAX && (all = malloc((size_t)total + 1)) != NULL;
    }
    if (rc == MPIFT_OK)
        rc = mpift_wait_coll(&ctx->watch, DOING, MPI_Ibcast(&ok, 1, MPI_INT, 0, ctx->comm, &rq), &rq);
    if (rc == MPIFT_OK && ok)
        rc = mpift_wait_coll(&ctx->watch, DOING, MPI_Igatherv(text ? text : "", mine, MPI_CHAR, all, lens, displs,
                                                              MPI_CHAR, 0, ctx->comm, &rq), &rq);
    if (rc == MPIFT_OK && t->rank == 0) {
        if (ok) {
            /* Node by node: each node's leader is the lowest of its ranks. */
            for (q = 0; q < t->nnodes; q++)
                fwrite(all + displs[t->leaders[q]], 1, (size_t)lens[t->leaders[q]], stdout);
            fflush(stdout);
        } else {
            mpift_log_error("out of memory gathering %d nodes' caches", t->nnodes);
        }
    }
    if (rc == MPIFT_OK)
        rc = mpift_agree_any(ctx->comm, bad || !ok, &any, &ctx->watch, DOING);
    free(text);
    free(all);
    free(lens);
    free(displs);
    return rc != MPIFT_OK ? rc : any ? MPIFT_ERR_FILES : MPIFT_OK;
}
