/*
 * plan.c - expand stage_in entries into files and directories (rank 0) and
 * share the result.
 *
 * Semantics (documented in conf/stage.cfg and mpift.conf(5)):
 *   src "a.dat", dest "x/"      -> x/a.dat        (dest ending in / is a folder)
 *   src "a.dat", dest "b.dat"   -> b.dat
 *   src "*.dat", dest "d"       -> d/<each match> (a glob's dest is a folder)
 *   src "ref",  recursive        -> dest/ref/...   (the directory itself)
 *   src "ref/", recursive        -> dest/...       (its contents)
 *   to = "rank": src/dest templates expand per rank, each rank its own file.
 * Nothing is read outside the source root: every path is resolved with
 * realpath() and must stay below the resolved root.
 */
#include "mpift_autoconf.h"

#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mpift/mpift.h"
#include "comm/agree.h"
#include "engine/source.h"
#include "fs/fsafe.h"
#include "util/log.h"
#include "util/grow.h"
#include "stage/clash.h"
#include "stage/plan.h"
#include "comm/status.h"
#include "util/tmpname.h"
#include "comm/wait.h"
#include "wire/cursor.h"
#include "wire/planrec.h"
#include "wire/tags.h"
#include "config/template.h"

struct builder {
    struct mpift_plan *plan;
    const char *root;          /* resolved source root */
    const char *label;         /* "stage_in[2]" for messages */
    const struct mpift_entry *e;
    int target;
    int oom;
    int named;                 /* the source being added was named by the entry (no glob, no walk) */
    size_t entry;              /* the entry's index in its list */
};

static void plan_error(struct builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void plan_error(struct builder *b, const char *fmt, ...)
{
    char msg[MPIFT_WHY_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    mpift_log_error("%s (%s)", msg, b->label);
    b->plan->nerrors++;
}

/* DIR/NAME (NAME may be NULL) is too long: say so, keeping the message
 * readable (see mpift_path_too_long). */
static void plan_too_long(struct builder *b, const char *dir, const char *name)
{
    char msg[MPIFT_WHY_MAX];

    mpift_path_too_long(msg, sizeof(msg), dir, name);
    plan_error(b, "%s", msg);
}

static int add(struct builder *b, uint8_t type, const char *src, const char *dest, const struct stat *st)
{
    struct mpift_plan *p = b->plan;
    struct mpift_pfile *f;
    char norm[PATH_MAX];
    char why[MPIFT_WHY_MAX];

    if (mpift_path_check_rel(dest, why, sizeof(why)) != MPIFT_OK ||
        mpift_path_normalize(dest, norm, sizeof(norm)) != MPIFT_OK) {
        plan_error(b, "%s: cannot be staged: destination %s", src, why);
        return MPIFT_OK;
    }
    if (type == MPIFT_PT_DIR && norm[0] == '\0')
        return MPIFT_OK; /* the dest root itself: every writer creates it */
    /* A copy by such a name would be taken for one in progress: skipped
     * by the next stage-out, swept by the next run. */
    if (type == MPIFT_PT_FILE && mpift_tmp_path(norm)) {
        plan_error(b, "%s: cannot be staged as %s: " MPIFT_TMP_WHY, src, norm);
        return MPIFT_OK;
    }
    if (mpift_grow(&p->f, &p->cap, p->n + 1, sizeof(*p->f), 256) != MPIFT_OK) {
        b->oom = 1;
        return MPIFT_ERR_NOMEM;
    }
    f = &p->f[p->n];
    memset(f, 0, sizeof(*f));
    f->dest = strdup(norm);
    f->src = mpift_src_new(src, st);
    if (!f->dest || !f->src) {
        free(f->dest);
        free(f->src);
        b->oom = 1;
        return MPIFT_ERR_NOMEM;
    }
    f->src->entry = (uint32_t)b->entry;
    f->src->named = b->named;
    f->type = type;
    f->size = type == MPIFT_PT_FILE ? (uint64_t)st->st_size : 0;
    f->mtime_sec = st->st_mtim.tv_sec;
    f->mtime_nsec = (uint32_t)st->st_mtim.tv_nsec;
    f->mode = st->st_mode & 07777;
    f->preserve = b->e->preserve;
    f->extract = type == MPIFT_PT_FILE && b->e->extract;
    f->target = b->target;
    p->n++;
    return MPIFT_OK;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* A file mpift is writing, or one a killed run left (util/tmpname.h), is
 * never taken for a file: skipped in a walk or a glob's matches (said with
 * --verbose), an error when an entry names it.  Both the name and, for a
 * link, what it leads to count.  Returns 1 when `path` is such a file. */
static int temporary(struct builder *b, const char *path, const char *real)
{
    if (!mpift_tmp_path(path) && !mpift_tmp_path(real))
        return 0;
    if (b->named)
        plan_error(b, "%s: " MPIFT_TMP_WHY, path);
    else
        mpift_log_verbose("%s: skipped: " MPIFT_TMP_WHY " (%s)", path, b->label);
    return 1;
}

/* Resolve `path` and make sure it stays under the root.  Returns 0 with
 * st filled (following links) or -1 after reporting. */
static int resolve(struct builder *b, const char *path, char *real, struct stat *st)
{
    char why[MPIFT_WHY_MAX];

    if (mpift_path_resolve(b->root, "paths.source", path, real, why, sizeof(why)) != MPIFT_OK) {
        plan_error(b, "%s", why);
        return -1;
    }
    if (stat(real, st) != 0) {
        plan_error(b, "%s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int walk(struct builder *b, const char *dir, const char *dest);

/* Add one resolved source (file or directory) under dest name `dest`.
 * add_path and walk recurse once per folder level, and a tree can be
 * ~2,000 levels deep within PATH_MAX ("a/a/a/..."): their path buffers
 * live on the heap, so the stack holds a few hundred bytes per level, not
 * 16 KiB (which overflowed 8 MiB of stack at 2,000 levels). */
static int add_resolved(struct builder *b, const char *path, const char *real, const struct stat *st,
                        const char *dest)
{
    if (S_ISREG(st->st_mode))
        return temporary(b, path, real) ? MPIFT_OK : add(b, MPIFT_PT_FILE, real, dest, st);
    if (S_ISDIR(st->st_mode)) {
        if (!b->e->recursive) {
            plan_error(b, "%s: is a directory; set recursive = true to stage its contents", path);
            return MPIFT_OK;
        }
        if (add(b, MPIFT_PT_DIR, real, dest, st) != MPIFT_OK)
            return MPIFT_ERR_NOMEM;
        return walk(b, real, dest);
    }
    plan_error(b, "%s: not a regular file or directory", path);
    return MPIFT_OK;
}

static int add_path(struct builder *b, const char *path, const char *dest)
{
    char *real = malloc(PATH_MAX);
    struct stat st;
    int rc = MPIFT_OK;

    if (!real)
        return MPIFT_ERR_NOMEM;
    if (resolve(b, path, real, &st) == 0)
        rc = add_resolved(b, path, real, &st, dest);
    free(real);
    return rc;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Recurse into a directory, in name order so plans are reproducible.  The
 * folder is read whole and closed before going down, so the depth of a
 * tree never costs open file descriptors. */
static int walk(struct builder *b, const char *dir, const char *dest)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, cap = 0, i;
    int rc = MPIFT_OK;
    char *path = NULL, *sub, *real;   /* [PATH_MAX] each, on the heap: see add_path */
    struct stat lst;

    if (!d) {
        /* Its files cannot be counted: the summary says the count of
         * failures is a lower bound (plan.h, nunread). */
        plan_error(b, "%s: %s: the files below it are not staged, and not counted", dir, strerror(errno));
        b->plan->nunread++;
        return MPIFT_OK;
    }
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (mpift_grow(&names, &cap, n + 1, sizeof(*names), 64) != MPIFT_OK) {
            rc = MPIFT_ERR_NOMEM;
            goto out;
        }
        if (!(names[n] = strdup(de->d_name))) {
            rc = MPIFT_ERR_NOMEM;
            goto out;
        }
        n++;
    }
    closedir(d);
    d = NULL;
    if (n > 1)   /* names is NULL for an empty folder */
        qsort(names, n, sizeof(*names), cmp_names);
    if (n > 0 && !(path = malloc(3 * (size_t)PATH_MAX))) {
        rc = MPIFT_ERR_NOMEM;
        goto out;
    }
    sub = path + PATH_MAX;
    real = sub + PATH_MAX;
    for (i = 0; i < n && rc == MPIFT_OK; i++) {
        b->named = 0;
        if (mpift_path_join(dir, names[i], path, PATH_MAX) != MPIFT_OK ||
            mpift_path_join(dest, names[i], sub, PATH_MAX) != MPIFT_OK) {
            plan_too_long(b, dir, names[i]);
            continue;
        }
        if (lstat(path, &lst) != 0) {
            plan_error(b, "%s: %s", path, strerror(errno));
            continue;
        }
        /* A link to a directory is not followed: it could loop or fan out
         * far beyond what the user meant to stage. */
        if (S_ISLNK(lst.st_mode)) {
            struct stat st;
            if (resolve(b, path, real, &st) != 0)
                continue;
            if (!S_ISREG(st.st_mode)) {
                plan_error(b, "%s: symbolic link to a directory or special file: not followed", path);
                continue;
            }
            if (!temporary(b, path, real))
                rc = add(b, MPIFT_PT_FILE, real, sub, &st);
            continue;
        }
        /* dir is resolved and contained, and this entry is no link: it
         * is its own real path (realpath on each level of a deep tree
         * made the walk cubic: 2,000 levels took 70 s). */
        rc = add_resolved(b, path, path, &lst, sub);
    }
out:
    for (i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(path);
    if (d)
        closedir(d);
    return rc;
}

static int has_glob(const char *s)
{
    return strpbrk(s, "*?[") != NULL;
}

/* Expand one (already template-expanded) src pattern. */
static int expand(struct builder *b, const char *src, const char *dest)
{
    char path[PATH_MAX], d[PATH_MAX];
    size_t slen = strlen(src);
    int rc = MPIFT_OK;

    if (mpift_path_join(b->root, src, path, sizeof(path)) != MPIFT_OK) {
        plan_too_long(b, src, NULL);
        return MPIFT_OK;
    }
    if (has_glob(src)) {
        glob_t g;
        size_t i;
        int grc = glob(path, GLOB_NOSORT | GLOB_MARK, NULL, &g);

        if (grc == GLOB_NOMATCH) {
            plan_error(b, "%s: no file matches in %s", src, b->root);
            return MPIFT_OK;
        }
        if (grc != 0) {
            plan_error(b, "%s: cannot expand pattern", src);
            globfree(&g);
            return grc == GLOB_NOSPACE ? MPIFT_ERR_NOMEM : MPIFT_OK;
        }
        qsort(g.gl_pathv, g.gl_pathc, sizeof(char *), cmp_names);
        for (i = 0; i < g.gl_pathc && rc == MPIFT_OK; i++) {
            char *m = g.gl_pathv[i];
            size_t ml = strlen(m);
            if (ml > 1 && m[ml - 1] == '/')
                m[ml - 1] = '\0'; /* GLOB_MARK: a directory; copy it, not its contents */
            if (mpift_path_join(dest, base_name(m), d, sizeof(d)) != MPIFT_OK) {
                plan_too_long(b, m, NULL);
                continue;
            }
            b->named = 0;
            rc = add_path(b, m, d);
        }
        globfree(&g);
        return rc;
    }
    if (slen > 0 && src[slen - 1] == '/') {
        /* "dir/": the directory's contents go straight into dest. */
        char real[PATH_MAX];
        struct stat st;
        if (resolve(b, path, real, &st) != 0)
            return MPIFT_OK;
        if (!S_ISDIR(st.st_mode)) {
            plan_error(b, "%s: not a directory (a trailing / means a directory's contents)", src);
            return MPIFT_OK;
        }
        if (!b->e->recursive) {
            plan_error(b, "%s: is a directory; set recursive = true to stage its contents", src);
            return MPIFT_OK;
        }
        if (add(b, MPIFT_PT_DIR, real, dest, &st) != MPIFT_OK)
            return MPIFT_ERR_NOMEM;
        return walk(b, real, dest);
    }
    /* A plain name: dest is a folder if empty or ending in '/', or when the
     * source is a directory. */
    {
        size_t dl = strlen(dest);
        struct stat st;
        int folder = dl == 0 || dest[dl - 1] == '/' ||
                     (stat(path, &st) == 0 && S_ISDIR(st.st_mode));
        b->named = 1;
        if (folder) {
            if (mpift_path_join(dest, base_name(src), d, sizeof(d)) != MPIFT_OK) {
                plan_too_long(b, src, NULL);
                return MPIFT_OK;
            }
            return add_path(b, path, d);
        }
        return add_path(b, path, dest);
    }
}

static int cmp_pfile(const void *a, const void *b)
{
    const struct mpift_pfile *x = a, *y = b;
    int c = strcmp(x->dest, y->dest);
    if (c)
        return c;
    return (x->target > y->target) - (x->target < y->target);
}

/* By destination: directories then precede their contents, and
 * neighbours share parent folders. */
void mpift_plan_sort(struct mpift_plan *p)
{
    if (p->n > 0)   /* p->f may be NULL: qsort must not see it */
        qsort(p->f, p->n, sizeof(*p->f), cmp_pfile);
}

/* Sort, and refuse two sources for one path. */
static void dedupe(struct mpift_plan *p)
{
    size_t i, o = 0;

    if (p->n == 0)
        return;
    mpift_plan_sort(p);
    for (i = 0; i < p->n; i++) {
        struct mpift_pfile *f = &p->f[i];
        if (o > 0 && p->f[o - 1].target == f->target && strcmp(p->f[o - 1].dest, f->dest) == 0) {
            struct mpift_pfile *k = &p->f[o - 1];
            if (!(k->type == MPIFT_PT_DIR && f->type == MPIFT_PT_DIR)) {
                mpift_log_error("%s: both %s and %s would be written there; keeping the first, "
                                "fix stage_in so each destination has one source", f->dest, k->src->path,
                                f->src->path);
                p->nerrors++;
            }
            free(f->dest);
            free(f->src);
            continue;
        }
        p->f[o++] = *f;
    }
    p->n = o;
}

/* Plan `list` below `root`; templates expand for `rank` (every rank for
 * scatter entries).  `what` names the list in messages; first (NULL: not
 * wanted) gets the index of each entry's first file, n + 1 of them.
 * Duplicates are still in: finish drops them. */
static int build(const struct mpift_entry *list, size_t n, const char *what, const char *root,
                 const struct mpift_topo *topo, int rank, struct mpift_plan *plan, size_t *starts)
{
    struct builder b;
    struct mpift_tvars v;
    char label[64], src[PATH_MAX], dest[PATH_MAX];
    size_t i;
    int r, rc = MPIFT_OK;

    memset(plan, 0, sizeof(*plan));
    memset(&b, 0, sizeof(b));
    b.plan = plan;
    b.root = root;
    b.label = label;
    for (i = 0; i < n && rc == MPIFT_OK; i++) {
        const struct mpift_entry *e = &list[i];
        int first = e->to == MPIFT_TO_RANK ? 0 : rank;
        int last = e->to == MPIFT_TO_RANK ? topo->size - 1 : rank;

        snprintf(label, sizeof(label), "%s[%zu]", what, i);
        b.e = e;
        b.entry = i;
        if (starts)
            starts[i] = plan->n;
        for (r = first; r <= last && rc == MPIFT_OK; r++) {
            mpift_topo_tvars(topo, r, &v);
            b.target = e->to == MPIFT_TO_RANK ? r : -1;
            if (e->to == MPIFT_TO_RANK)
                snprintf(label, sizeof(label), "%s[%zu], for rank %d", what, i, r);
            if (mpift_template_expand(e->src, &v, src, sizeof(src)) != MPIFT_OK ||
                mpift_template_expand(e->dest, &v, dest, sizeof(dest)) != MPIFT_OK) {
                plan_error(&b, "%s: template expands beyond PATH_MAX", e->src);
                continue;
            }
            rc = expand(&b, src, dest);
        }
    }
    if (starts)
        starts[n] = plan->n;
    return b.oom ? MPIFT_ERR_NOMEM : rc;
}

/* Drop duplicates, count files and bytes. */
static void finish(struct mpift_plan *plan)
{
    size_t i;

    dedupe(plan);
    for (i = 0; i < plan->n; i++)
        if (plan->f[i].type == MPIFT_PT_FILE) {
            plan->nfiles++;
            plan->bytes += plan->f[i].size;
        }
}

int mpift_plan_build(const struct mpift_config *cfg, const char *source_root,
                     const struct mpift_topo *topo, struct mpift_plan *plan)
{
    size_t *first = calloc(cfg->n_in + 1, sizeof(*first));
    int rc = first ? build(cfg->in, cfg->n_in, "stage_in", source_root, topo, 0, plan, first) : MPIFT_ERR_NOMEM;

    /* Before finish: a clash is named by its entries, which sorting loses. */
    if (rc == MPIFT_OK)
        rc = mpift_plan_clashes(cfg, topo, plan, first);
    if (rc == MPIFT_OK)
        finish(plan);
    free(first);
    return rc;
}

int mpift_plan_build_out(const struct mpift_config *cfg, const char *dest_root, const struct mpift_topo *topo,
                         int rank, struct mpift_plan *plan)
{
    int rc = build(cfg->out, cfg->n_out, "stage_out", dest_root, topo, rank, plan, NULL);

    if (rc == MPIFT_OK)
        finish(plan);
    return rc;
}

#define SHARE_PLAN "waiting for every rank to take the plan from rank 0"

/* MPI counts are int: move big buffers in pieces. */
static int bcast_bytes(void *buf, uint64_t len, MPI_Comm comm, struct mpift_watch *w)
{
    uint64_t off = 0;
    int rc;
    while (off < len) {
        int n = (int)((len - off) > (1u << 30) ? (1u << 30) : (len - off));
        if ((rc = mpift_agree_bcast(comm, (char *)buf + off, n, MPI_BYTE, 0, w, SHARE_PLAN)) != MPIFT_OK)
            return rc;
        off += (uint64_t)n;
    }
    return MPIFT_OK;
}

/* Write plan (dest names, not src) through w (wire/planrec.h); with
 * `account`, its nerrors and nunread too (else 0). */
static void plan_put(const struct mpift_plan *plan, int account, struct mpift_wcur *w)
{
    struct mpift_wplan_hdr h = { plan->n, plan->nfiles, plan->bytes, account ? plan->nerrors : 0,
                                 account ? plan->nunread : 0 };
    uint64_t i;

    mpift_wplan_put_hdr(w, &h);
    for (i = 0; i < plan->n; i++) {
        const struct mpift_pfile *f = &plan->f[i];
        struct mpift_wplan_rec rec = { f->type, f->preserve, f->target, f->size, f->mtime_sec, f->mtime_nsec,
                                       f->mode, f->dest, strlen(f->dest), f->extract, f->keyed, {0},
                                       f->sparse, f->alloc };
        if (f->keyed)
            memcpy(rec.key, f->key, sizeof(rec.key));
        mpift_wplan_put_rec(w, &rec);
    }
}

/* Serialise plan into a new buffer of *len bytes: sized, then written. */
static int plan_pack(const struct mpift_plan *plan, int account, unsigned char **out, uint64_t *len)
{
    struct mpift_wcur w;

    mpift_wcur_init(&w, NULL, 0);
    plan_put(plan, account, &w);
    *len = w.at;
    if (!(*out = malloc(w.at)))
        return MPIFT_ERR_NOMEM;
    mpift_wcur_init(&w, *out, (size_t)*len);
    plan_put(plan, account, &w);
    return mpift_wcur_status(&w);
}

_Static_assert(MPIFT_PT_DIR + 1 == MPIFT_WPLAN_TYPES, "wire/planrec.h counts engine/file.h's types");
_Static_assert(MPIFT_PT_FILE == 0, "wire/planrec.c keys type 0 only");
_Static_assert(sizeof(((struct mpift_pfile *)0)->key) == MPIFT_WPLAN_KEY, "one size of content key");

/* The inverse, every record checked before it is used (targets against
 * the `size` ranks of comm). */
static int plan_unpack(const unsigned char *buf, uint64_t len, MPI_Comm comm, struct mpift_plan *plan)
{
    struct mpift_wplan_hdr h;
    struct mpift_wplan_rec rec;
    struct mpift_rcur r;
    char why[128];
    uint64_t i;
    int rc, size;

    memset(plan, 0, sizeof(*plan));
    MPI_Comm_size(comm, &size);
    mpift_rcur_init(&r, buf, (size_t)len);
    if ((rc = mpift_wplan_get_hdr(&r, &h, why, sizeof(why))) != MPIFT_OK)
        goto bad;
    plan->f = calloc(h.count ? h.count : 1, sizeof(*plan->f));
    if (!plan->f)
        return MPIFT_ERR_NOMEM;
    plan->cap = h.count;
    plan->nfiles = h.nfiles;
    plan->bytes = h.bytes;
    plan->nerrors = h.nerrors;
    plan->nunread = h.nunread;
    for (i = 0; i < h.count; i++) {
        struct mpift_pfile *f = &plan->f[i];
        if ((rc = mpift_wplan_get_rec(&r, i, size, &rec, why, sizeof(why))) != MPIFT_OK)
            goto bad;
        *f = (struct mpift_pfile){ .size = rec.size, .mtime_sec = rec.mtime_sec, .mtime_nsec = rec.mtime_nsec,
                                   .mode = rec.mode, .type = rec.type, .preserve = rec.preserve,
                                   .target = rec.target, .extract = rec.extract, .keyed = rec.keyed,
                                   .sparse = rec.sparse, .alloc = rec.alloc };
        memcpy(f->key, rec.key, sizeof(f->key));
        if (!(f->dest = strndup(rec.dest, rec.dest_len)))
            return MPIFT_ERR_NOMEM;
        plan->n++;
    }
    if (mpift_rcur_left(&r) == 0)
        return MPIFT_OK;
    snprintf(why, sizeof(why), "%zu bytes after the list of files", mpift_rcur_left(&r));
bad:
    mpift_log_error("a list of files that does not validate (%s): protocol error", why);
    return MPIFT_ERR_PROTO;
}

int mpift_plan_bcast(struct mpift_plan *plan, MPI_Comm comm, struct mpift_watch *w)
{
    int rank, rc = MPIFT_OK, st, bad, anybad;
    uint64_t len = 0;
    unsigned char *buf = NULL;

    MPI_Comm_rank(comm, &rank);
    if (rank == 0)
        rc = plan_pack(plan, 0, &buf, &len);   /* nerrors, nunread: rank 0's account only */
    if ((st = mpift_agree_bcast(comm, &len, 1, MPI_UINT64_T, 0, w, SHARE_PLAN)) != MPIFT_OK) {
        free(buf);
        return st;
    }
    if (rank != 0 && !(buf = malloc(len ? len : 1)))
        rc = MPIFT_ERR_NOMEM;
    /* Every rank must learn whether any rank failed before the next collective. */
    bad = rc != MPIFT_OK;
    if ((st = mpift_agree_any(comm, bad, &anybad, w, SHARE_PLAN)) != MPIFT_OK)
        rc = st;
    else if (anybad)
        rc = MPIFT_ERR_NOMEM;
    if (rc == MPIFT_OK)
        rc = bcast_bytes(buf, len, comm, w);
    if (rc == MPIFT_OK && rank != 0)
        rc = plan_unpack(buf, len, comm, plan);
    free(buf);
    return rc;
}

int mpift_plan_send(const struct mpift_plan *plan, int to, MPI_Comm comm, struct mpift_watch *w)
{
    struct mpift_wait wt;
    uint64_t len;
    unsigned char *buf = NULL;
    int rc = plan_pack(plan, 1, &buf, &len);

    if (rc != MPIFT_OK) {
        free(buf);
        return rc;
    }
    mpift_wait_start(&wt, w, to, "sending the list of files to", NULL, NULL);
    if (len > INT_MAX)
        rc = MPIFT_ERR_RANGE;   /* tens of millions of files from one node */
    else if (mpift_wait_send(&wt, &len, 1, MPI_UINT64_T, to, MPIFT_TAG_SVC_LIST, comm) != MPIFT_OK ||
             mpift_wait_send(&wt, buf, (int)len, MPI_BYTE, to, MPIFT_TAG_SVC_LIST, comm) != MPIFT_OK)
        rc = MPIFT_ERR_MPI;
    free(buf);
    return rc;
}

int mpift_plan_recv(struct mpift_plan *plan, int from, MPI_Comm comm, struct mpift_watch *w)
{
    struct mpift_wait wt;
    uint64_t len;
    unsigned char *buf;
    int rc;

    memset(plan, 0, sizeof(*plan));
    mpift_wait_start(&wt, w, from, "waiting for the list of files of", NULL, NULL);
    if (mpift_wait_recv(&wt, &len, 1, MPI_UINT64_T, from, MPIFT_TAG_SVC_LIST, comm, MPI_STATUS_IGNORE) != MPIFT_OK)
        return MPIFT_ERR_MPI;
    if (len > INT_MAX)
        return MPIFT_ERR_PROTO;
    if (!(buf = malloc(len ? len : 1)))
        return MPIFT_ERR_NOMEM;
    rc = mpift_wait_recv(&wt, buf, (int)len, MPI_BYTE, from, MPIFT_TAG_SVC_LIST, comm, MPI_STATUS_IGNORE);
    if (rc == MPIFT_OK)
        rc = plan_unpack(buf, len, comm, plan);
    free(buf);
    return rc;
}

void mpift_plan_free(struct mpift_plan *plan)
{
    size_t i;

    if (!plan)
        return;
    for (i = 0; i < plan->n; i++) {
        free(plan->f[i].dest);
        free(plan->f[i].src);
    }
    free(plan->f);
    memset(plan, 0, sizeof(*plan));
}
