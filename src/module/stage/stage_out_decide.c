/*
 * stage_out_decide.c - rank 0's decision over every stage-out writer's
 * list (see stage_out.h): two writers with one final path under
 * paths.collect (a clash: neither is copied), files already there and
 * unchanged, and the lists' folders made under collect.
 */
#include "mpift_autoconf.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "engine/sink.h"
#include "fs/fsafe.h"
#include "stage/stage.h"
#include "stage/stage_out.h"
#include "util/log.h"

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

/* Rank 0: the files of keys[i..j) share one final path: none is copied. */
static void clash(struct out_run *r, const struct key *keys, size_t i, size_t j)
{
    char more[64] = "";
    size_t k;

    if (j - i > 2)
        snprintf(more, sizeof(more), " (and %zu more ranks)", j - i - 2);
    mpift_log_error("%s/%s: %s and %s%s both have it: not copied; put %%h or %%r in stage_out's dest "
                    "to keep them apart", r->collect, keys[i].dest, mpift_topo_label(&r->ctx->topo, keys[i].w).s,
                    mpift_topo_label(&r->ctx->topo, keys[i + 1].w).s, more);
    for (k = i; k < j; k++) {
        r->w[keys[k].w].state[keys[k].i] = MPIFT_FS_CLASH;
        r->failed++;
    }
}

/* 2. Rank 0: clashes and unchanged files. */
int mpift_out_decide(struct out_run *r)
{
    struct key *keys;
    size_t n = 0, i, j;
    int w;

    for (w = 0; w < r->size; w++)
        n += r->w[w].plan.n;
    keys = calloc(n ? n : 1, sizeof(*keys));
    if (!keys)
        return MPIFT_ERR_NOMEM;
    n = 0;
    for (w = 0; w < r->size; w++)
        for (i = 0; i < r->w[w].plan.n; i++)
            if (r->w[w].plan.f[i].type == MPIFT_PT_FILE)
                keys[n++] = (struct key){ r->w[w].plan.f[i].dest, w, i };
    qsort(keys, n, sizeof(*keys), key_cmp);
    for (i = 0; i < n; i = j) {
        const struct mpift_pfile *f = &r->w[keys[i].w].plan.f[keys[i].i];
        for (j = i + 1; j < n && strcmp(keys[j].dest, keys[i].dest) == 0; j++)
            ;
        if (j - i > 1) {
            clash(r, keys, i, j);
        } else if (!r->ctx->force && r->collectfd >= 0 &&
                   mpift_sink_unchanged(r->collectfd, f->dest, f->size, f->mtime_sec, f->mtime_nsec)) {
            r->w[keys[i].w].state[keys[i].i] = MPIFT_FS_SKIPPED;
            r->skipped++;
        }
    }
    free(keys);
    return MPIFT_OK;
}

/* Rank 0: folders of the lists, made under collect. */
void mpift_out_make_folders(struct out_run *r)
{
    char why[MPIFT_WHY_MAX];
    size_t i;
    int w, fd;

    for (w = 0; w < r->size; w++)
        for (i = 0; i < r->w[w].plan.n; i++) {
            const struct mpift_pfile *f = &r->w[w].plan.f[i];
            if (f->type != MPIFT_PT_DIR)
                continue;
            fd = mpift_dir_open(r->collectfd, f->dest, true, why, sizeof(why));
            if (fd >= 0)
                close(fd);
            else
                mpift_log_error("%s/%s (from %s): %s", r->collect, f->dest, mpift_topo_label(&r->ctx->topo, w).s, why);
        }
}
