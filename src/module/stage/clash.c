/*
 * clash.c - rank 0, stage-in, before anything moves: no two copies of the
 * plan may land on one path.
 *
 * A scatter entry (to = "rank") gives each rank its own file, which that
 * rank writes under its own dest root.  When two ranks of one node share
 * that root (paths.dest without %r or %l, as copies = "per-node" invites)
 * and the entry's dest does not tell them apart either, both write one
 * path: every write is verified and atomic, so the run said "4 copies
 * written" while 3 of the 4 ranks read another rank's file.  A rank's own
 * file and one that every node gets can meet the same way.  Rank 0 knows
 * the plan and where every rank writes (its node, and paths.dest expanded
 * for it), so it finds each such path here, names it, and the run stops
 * as a configuration error (exit 2) with nothing written anywhere.
 *
 * A path belongs to a node's own storage, or with copies = "once" to the
 * one shared dest of the whole job.  Ranks there with different roots are
 * taken to write different trees.
 */
#include "mpift_autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpift/mpift.h"
#include "config/template.h"
#include "job/context.h"
#include "stage/clash.h"
#include "util/log.h"

/* Clashes named one by one; more are counted in one last line. */
#define CLASH_SAY 5

struct who {                  /* a rank, by where it writes */
    int rank, domain;
    const char *root;
};

struct rec {                  /* a rank's own file, where that rank writes it */
    int group;                /* the rank's (domain, root) */
    const struct mpift_pfile *f;
};

struct clashes {
    const struct mpift_config *cfg;
    const struct mpift_topo *topo;
    const struct mpift_plan *plan;
    const size_t *first;      /* [n_in + 1]: the plan's first file of each entry */
    char **roots;             /* [size] paths.dest expanded for each rank */
    int *group;               /* [size] */
    int *every;               /* [groups] the rank writing the files every node gets there, or -1 */
    size_t found;
};

static int who_cmp(const void *a, const void *b)
{
    const struct who *x = a, *y = b;
    int c = (x->domain > y->domain) - (x->domain < y->domain);

    if (!c)
        c = strcmp(x->root, y->root);
    return c ? c : (x->rank > y->rank) - (x->rank < y->rank);
}

static int rec_cmp(const void *a, const void *b)
{
    const struct rec *x = a, *y = b;
    int c = (x->group > y->group) - (x->group < y->group);

    if (!c)
        c = strcmp(x->f->dest, y->f->dest);
    return c ? c : (x->f->target > y->f->target) - (x->f->target < y->f->target);
}

static int dest_cmp(const void *a, const void *b)
{
    return strcmp((*(const struct mpift_pfile *const *)a)->dest, (*(const struct mpift_pfile *const *)b)->dest);
}

/* Every rank's root and group (ranks writing one tree); false: no memory. */
static bool group_ranks(struct clashes *c)
{
    const struct mpift_topo *t = c->topo;
    struct mpift_tvars v;
    struct who *w = calloc((size_t)t->size, sizeof(*w));
    char root[PATH_MAX];
    int q, g = -1;

    c->roots = calloc((size_t)t->size, sizeof(*c->roots));
    c->group = calloc((size_t)t->size, sizeof(*c->group));
    c->every = calloc((size_t)t->size, sizeof(*c->every));
    if (!w || !c->roots || !c->group || !c->every) {
        free(w);
        return false;
    }
    for (q = 0; q < t->size; q++) {
        mpift_topo_tvars(t, q, &v);
        /* A root that does not expand stopped the job at its rank already. */
        if (mpift_template_expand(c->cfg->dest, &v, root, sizeof(root)) != MPIFT_OK)
            root[0] = '\0';
        if (!(c->roots[q] = strdup(root))) {
            free(w);
            return false;
        }
        w[q] = (struct who){ q, c->cfg->copies == MPIFT_COPIES_ONCE ? 0 : t->node_of[q], c->roots[q] };
    }
    qsort(w, (size_t)t->size, sizeof(*w), who_cmp);
    for (q = 0; q < t->size; q++) {
        if (q == 0 || w[q].domain != w[q - 1].domain || strcmp(w[q].root, w[q - 1].root) != 0)
            c->every[++g] = -1;
        c->group[w[q].rank] = g;
    }
    for (q = 0; q < t->size; q++)
        if (mpift_copies_writer(t, c->cfg->copies, q) && c->every[c->group[q]] < 0)
            c->every[c->group[q]] = q;
    free(w);
    return true;
}

/* "stage_in[2] (src "...", dest "...")": the entry file f came from. */
static void entry_of(const struct clashes *c, const struct mpift_pfile *f, char *buf, size_t len)
{
    size_t i = (size_t)(f - c->plan->f), e = 0;

    while (e + 1 < c->cfg->n_in && c->first[e + 1] <= i)
        e++;
    mpift_format(buf, len, "stage_in[%zu] (src \"%s\", dest \"%s\")", e, c->cfg->in[e].src, c->cfg->in[e].dest);
}

/* File a for rank ra and file b for rank rb would be one path. */
static void say(struct clashes *c, const struct mpift_pfile *a, int ra, const struct mpift_pfile *b, int rb,
                size_t more)
{
    const struct mpift_topo *t = c->topo;
    char ea[MPIFT_WHY_MAX], eb[MPIFT_WHY_MAX], extra[64] = "";

    if (c->found++ >= CLASH_SAY)
        return;
    entry_of(c, a, ea, sizeof(ea));
    entry_of(c, b, eb, sizeof(eb));
    if (more)
        snprintf(extra, sizeof(extra), " (and %zu more rank%s)", more, more == 1 ? "" : "s");
    if (ra == rb)
        mpift_log_error("%s: rank %d (%s) would write both %s and %s to %s/%s: give the two entries different "
                        "dests; nothing was staged", c->cfg->file, ra, t->hosts[ra], ea, eb, c->roots[ra], a->dest);
    else if (strcmp(ea, eb) == 0 && strcmp(t->hosts[ra], t->hosts[rb]) == 0)
        mpift_log_error("%s: %s: ranks %d and %d%s on %s would both write %s/%s: put %%r or %%l in its dest (or "
                        "in paths.dest) so that each rank's file has a path of its own; nothing was staged",
                        c->cfg->file, ea, ra, rb, extra, t->hosts[ra], c->roots[ra], a->dest);
    else
        mpift_log_error("%s: %s for rank %d (%s) and %s for rank %d (%s)%s would both write %s/%s: put %%r or %%l "
                        "in a dest (or in paths.dest) so that each has a path of its own; nothing was staged",
                        c->cfg->file, ea, ra, t->hosts[ra], eb, rb, t->hosts[rb], extra, c->roots[ra], a->dest);
}

/*
 * recs[i..j): the ranks' own files of one path.  Two ranks there clash;
 * so does a file every node gets, written at that path by `every` rank.
 */
static void check_path(struct clashes *c, const struct rec *recs, size_t i, size_t j,
                       const struct mpift_pfile *const *shared, size_t nshared)
{
    const struct mpift_pfile *a = recs[i].f, *const *hit;
    size_t k, ranks = 1, dirs = a->type == MPIFT_PT_DIR, other = j;
    int ev = c->every[recs[i].group];

    for (k = i + 1; k < j; k++) {
        dirs += recs[k].f->type == MPIFT_PT_DIR;
        if (recs[k].f->target != recs[k - 1].f->target && ranks++ == 1)
            other = k;
    }
    /* Two folders of one name are one folder; one rank's duplicates are plan.c's to name. */
    if (ranks > 1 && dirs < j - i)
        say(c, a, a->target, recs[other].f, recs[other].f->target, ranks - 2);
    if (ev < 0 || nshared == 0)
        return;
    hit = bsearch(&a, shared, nshared, sizeof(*shared), dest_cmp);
    if (hit && !(a->type == MPIFT_PT_DIR && (*hit)->type == MPIFT_PT_DIR))
        say(c, a, a->target, *hit, ev, 0);
}

/* The ranks' own files, by where they land, and the files every node gets, by name. */
static int check_files(struct clashes *c)
{
    const struct mpift_plan *p = c->plan;
    struct rec *recs = calloc(p->n + 1, sizeof(*recs));
    const struct mpift_pfile **shared = calloc(p->n + 1, sizeof(*shared));
    size_t i, j, n = 0, nshared = 0;

    if (!recs || !shared) {
        free(recs);
        free(shared);
        return MPIFT_ERR_NOMEM;
    }
    for (i = 0; i < p->n; i++) {
        if (p->f[i].target < 0)
            shared[nshared++] = &p->f[i];
        else if (p->f[i].target < c->topo->size)
            recs[n++] = (struct rec){ c->group[p->f[i].target], &p->f[i] };
    }
    qsort(recs, n, sizeof(*recs), rec_cmp);
    qsort(shared, nshared, sizeof(*shared), dest_cmp);
    for (i = 0; i < n; i = j) {
        for (j = i + 1; j < n && recs[j].group == recs[i].group && strcmp(recs[j].f->dest, recs[i].f->dest) == 0;
             j++)
            ;
        check_path(c, recs, i, j, shared, nshared);
    }
    free(recs);
    free(shared);
    return MPIFT_OK;
}

int mpift_plan_clashes(const struct mpift_config *cfg, const struct mpift_topo *topo, const struct mpift_plan *plan,
                       const size_t *first)
{
    struct clashes c = { .cfg = cfg, .topo = topo, .plan = plan, .first = first };
    int q, rc = group_ranks(&c) ? check_files(&c) : MPIFT_ERR_NOMEM;

    if (rc == MPIFT_OK && c.found > CLASH_SAY)
        mpift_log_error("%s: %zu more paths that two copies would share, as above; nothing was staged", cfg->file,
                        c.found - CLASH_SAY);
    if (rc == MPIFT_OK && c.found)
        rc = MPIFT_ERR_CONFIG;
    for (q = 0; c.roots && q < topo->size; q++)
        free(c.roots[q]);
    free(c.roots);
    free(c.group);
    free(c.every);
    return rc;
}
