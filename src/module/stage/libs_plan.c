/*
 * libs_plan.c - rank 0: each program of a libs entry, its closure
 * (elf/resolve.h) planned beside it (libs.h).
 */
#include "mpift_autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "elf/resolve.h"
#include "engine/source.h"
#include "fs/fsafe.h"
#include "stage/libs.h"
#include "util/grow.h"
#include "util/log.h"

/* What one set will add to the plan: kept apart until the whole entry is
 * known, so a failed program adds nothing. */
struct adding {
    struct mpift_pfile *f;
    size_t n, cap;
};

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

int mpift_libs_wanted(const struct mpift_config *cfg)
{
    size_t i;

    for (i = 0; i < cfg->n_in; i++)
        if (cfg->in[i].libs)
            return 1;
    return 0;
}

static int push_str(char ***v, size_t *n, size_t *cap, const char *s)
{
    if (mpift_grow(v, cap, *n + 1, sizeof(**v), 8) != MPIFT_OK || !((*v)[*n] = strdup(s)))
        return MPIFT_ERR_NOMEM;
    (*n)++;
    return MPIFT_OK;
}

/* A file (or the folder, type DIR) for the plan, read from real. */
static int add_file(struct adding *a, const char *dest, const char *real, uint8_t type, const char *root)
{
    struct mpift_pfile *f;
    struct stat st;

    if (stat(real, &st) != 0)
        return MPIFT_ERR_IO;
    if (mpift_grow(&a->f, &a->cap, a->n + 1, sizeof(*a->f), 16) != MPIFT_OK)
        return MPIFT_ERR_NOMEM;
    f = &a->f[a->n];
    memset(f, 0, sizeof(*f));
    if (!(f->dest = strdup(dest)) || !(f->src = mpift_src_new(real, &st))) {
        free(f->dest);
        return MPIFT_ERR_NOMEM;
    }
    a->n++;
    f->src->beyond = !mpift_path_within(root, real);
    f->type = type;
    f->size = type == MPIFT_PT_FILE ? (uint64_t)st.st_size : 0;
    f->mtime_sec = st.st_mtim.tv_sec;
    f->mtime_nsec = (uint32_t)st.st_mtim.tv_nsec;
    f->mode = st.st_mode & 07777;
    f->preserve = 1;
    f->target = -1;
    return MPIFT_OK;
}

/* Drop what a holds beyond its first n files. */
static void adding_trim(struct adding *a, size_t n)
{
    while (a->n > n) {
        a->n--;
        free(a->f[a->n].dest);
        free(a->f[a->n].src);
    }
}

/* Is dest already in the plan (not one of ours)? */
static int planned(const struct mpift_plan *plan, const char *dest)
{
    size_t i;

    for (i = 0; i < plan->n; i++)
        if (strcmp(plan->f[i].dest, dest) == 0)
            return 1;
    return 0;
}

/* The set of one program (the plan's file p) from its closure c: its
 * files into a, its names into s.  MPIFT_OK, MPIFT_ERR_CONFIG (said in
 * why: two libraries of one name, a name the plan already holds). */
static int make_set(const struct mpift_plan *plan, const struct mpift_pfile *p, const struct mpift_closure *c,
                    const char *root, struct adding *a, struct mpift_libs_set *s, char *why, size_t whylen)
{
    char dest[PATH_MAX], dir[PATH_MAX];
    size_t i, k, j;
    int rc;

    if ((size_t)snprintf(dir, sizeof(dir), "%s" MPIFT_LIBS_SUFFIX, p->dest) >= sizeof(dir) ||
        !(s->program = strdup(p->dest)) || !(s->folder = strdup(dir)))
        return MPIFT_ERR_NOMEM;
    if ((rc = add_file(a, dir, c->o[0].real, MPIFT_PT_DIR, root)) == MPIFT_ERR_IO)
        snprintf(why, whylen, "%s: %s", c->o[0].real, strerror(errno));
    if (rc != MPIFT_OK)
        return rc;
    a->f[a->n - 1].mode = 0755;   /* a folder of its own, not the program's mode */
    for (i = 1; i < c->n; i++) {
        const struct mpift_dso *o = &c->o[i];
        const char *real = base_name(o->real);
        if (o->system || strncmp(real, "ld-linux", 8) == 0 || strncmp(real, "ld64.so.", 8) == 0)
            continue;   /* the node's own; the loader is always the node's */
        mpift_format(dest, sizeof(dest), "%s/%s", dir, real);
        for (j = 0; j < s->nfiles; j++)
            if (strcmp(s->files[j], dest) == 0) {
                snprintf(why, whylen, "two libraries named %s: %s and another one of its closure; only one can "
                         "stand in %s", real, o->real, dir);
                return MPIFT_ERR_CONFIG;
            }
        if (planned(plan, dest)) {
            snprintf(why, whylen, "%s is planned from another source too; its libraries' folder must be theirs alone",
                     dest);
            return MPIFT_ERR_CONFIG;
        }
        if ((rc = add_file(a, dest, o->real, MPIFT_PT_FILE, root)) == MPIFT_ERR_IO)
            snprintf(why, whylen, "%s: %s", o->real, strerror(errno));
        if (rc != MPIFT_OK || (rc = push_str(&s->files, &s->nfiles, &s->capfiles, dest)) != MPIFT_OK)
            return rc;
        for (k = 0; k < o->nnames; k++) {
            /* A name with a '/' is a path the loader opens as given (and
             * "sub/../../x" would put a link outside the folder): no link. */
            if (strcmp(o->names[k], real) == 0 || strchr(o->names[k], '/') || strcmp(o->names[k], "..") == 0 ||
                strcmp(o->names[k], ".") == 0)
                continue;
            mpift_format(dest, sizeof(dest), "%s/%s", dir, o->names[k]);
            if ((rc = push_str(&s->links, &s->nlinks, &s->caplinks, dest)) != MPIFT_OK ||
                (rc = push_str(&s->links, &s->nlinks, &s->caplinks, real)) != MPIFT_OK)
                return rc;
        }
    }
    /* The folder is the set's alone (none when the node has them all). */
    if (s->nfiles > 0 && planned(plan, dir)) {
        snprintf(why, whylen, "%s is planned from another source too; it is the folder of the program's libraries: "
                 "stage that file elsewhere", dir);
        return MPIFT_ERR_CONFIG;
    }
    /* A link must not stand where a library does. */
    for (i = 0; i < s->nlinks; i += 2)
        for (j = 0; j < s->nfiles; j++)
            if (strcmp(s->links[i], s->files[j]) == 0) {
                snprintf(why, whylen, "%s is both a library and a name of %s", s->files[j], s->links[i + 1]);
                return MPIFT_ERR_CONFIG;
            }
    return MPIFT_OK;
}

static struct mpift_libs_set *new_set(struct mpift_libs *libs)
{
    if (mpift_grow(&libs->s, &libs->cap, libs->n + 1, sizeof(*libs->s), 8) != MPIFT_OK)
        return NULL;
    memset(&libs->s[libs->n], 0, sizeof(libs->s[0]));
    return &libs->s[libs->n++];
}

/* Does the file at path get its libraries?  A file of a glob or a
 * folder only when it is a program (an ELF with an interpreter); one the
 * entry names when it is any dynamically linked ELF (an interpreter or a
 * DT_NEEDED), or an ELF that cannot be read here (its closure says why).
 * Anything else (a script, a text, a static program) goes as it is. */
static int wants_libs(const char *path, int named)
{
    struct mpift_elf e;
    char why[256];
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), yes = 0;

    memset(&e, 0, sizeof(e));   /* freed whether read or not */
    if (fd < 0)
        return named;
    if (mpift_elf_is(fd)) {
        if (mpift_elf_read(fd, path, &e, why, sizeof(why)) != MPIFT_OK)
            yes = named;
        else
            yes = e.interp != NULL || (named && e.nneeded > 0);
    }
    mpift_elf_free(&e);
    close(fd);
    return yes;
}

/* Program p of entry e (label names it): its closure, its set, its files
 * into a.  1: done; 0: it failed (reported); <0: no memory. */
static int one_program(const struct mpift_entry *e, const char *label, const struct mpift_plan *plan,
                       const struct mpift_pfile *p, const char *root, struct mpift_libs *libs, struct adding *a)
{
    struct mpift_search s;
    struct mpift_closure c;
    struct mpift_libs_set *set;
    char why[MPIFT_WHY_MAX];
    size_t before = a->n;
    int rc;

    mpift_search_default(&s);
    s.ld_library_path = getenv("LD_LIBRARY_PATH");
    s.with_system = e->libs_system;
    rc = mpift_closure_find(p->src->path, (const char *const *)e->extra_libs, e->n_extra_libs, &s, &c, why,
                            sizeof(why));
    if (rc == MPIFT_OK) {
        if (!(set = new_set(libs)))
            rc = MPIFT_ERR_NOMEM;
        else if ((rc = make_set(plan, p, &c, root, a, set, why, sizeof(why))) != MPIFT_OK) {
            mpift_libs_set_free(set);
            libs->n--;
        }
    }
    mpift_closure_free(&c);
    if (rc == MPIFT_ERR_NOMEM)
        return -1;
    if (rc == MPIFT_OK) {
        if (set->nfiles == 0) {   /* nothing but the node's own: no folder */
            mpift_libs_set_free(set);
            libs->n--;
            adding_trim(a, before);
        }
        return 1;
    }
    adding_trim(a, before);
    mpift_log_error("%s: not staged: %s; it would not run without its libraries (%s)", p->src->path, why, label);
    return 0;
}

struct walk {
    const char *root;
    struct mpift_plan *plan;
    struct mpift_libs *libs;
    struct adding a;
    unsigned char *seen;   /* [plan->n] 1: a program taken; 2: taken out of the plan */
};

/* The plan's file i, planned by entry e (which has libs): its set, when
 * it is a program.  Only the files the entry itself planned count (kept
 * in their src by mpift_plan_build): not a file of another entry that
 * happens to be the same source, and whatever the link or the name that
 * led the entry to it. */
static int entry_file(struct walk *w, const struct mpift_entry *e, size_t i)
{
    struct mpift_pfile *f = &w->plan->f[i];
    char label[64];
    int r;

    snprintf(label, sizeof(label), "stage_in[%" PRIu32 "]", f->src->entry);
    if (!wants_libs(f->src->path, f->src->named)) {
        mpift_log_verbose("%s: not %s: staged without libraries (%s)", f->src->path,
                          f->src->named ? "a dynamically linked ELF object" : "a program (an ELF with an interpreter)",
                          label);
        return MPIFT_OK;
    }
    r = one_program(e, label, w->plan, f, w->root, w->libs, &w->a);
    w->seen[i] = r > 0 ? 1 : 2;
    /* Staged to run: it keeps its mode (the execute bits) as its
     * libraries do theirs, preserve or not. */
    if (r > 0)
        f->preserve = 1;
    return r < 0 ? MPIFT_ERR_NOMEM : MPIFT_OK;
}

/* The programs that failed out, the libraries in, the plan sorted again. */
static int merge(struct walk *w)
{
    struct mpift_plan *p = w->plan;
    size_t i, o = 0;

    for (i = 0; i < p->n; i++) {
        if (w->seen[i] != 2) {
            p->f[o++] = p->f[i];
            continue;
        }
        mpift_plan_drop(p, &p->f[i]);
    }
    p->n = o;
    if (mpift_grow(&p->f, &p->cap, p->n + w->a.n, sizeof(*p->f), 256) != MPIFT_OK)
        return MPIFT_ERR_NOMEM;
    for (i = 0; i < w->a.n; i++) {
        p->f[p->n++] = w->a.f[i];
        if (w->a.f[i].type == MPIFT_PT_FILE) {
            p->nfiles++;
            p->bytes += w->a.f[i].size;
        }
    }
    w->a.n = 0;
    mpift_plan_sort(p);
    return MPIFT_OK;
}

int mpift_libs_plan(const struct mpift_config *cfg, const char *root, struct mpift_plan *plan,
                    struct mpift_libs *libs)
{
    struct walk w = {root, plan, libs, {NULL, 0, 0}, NULL};
    size_t i, n = plan->n;   /* merge adds the libraries after */
    int rc = MPIFT_OK;

    memset(libs, 0, sizeof(*libs));
    if (!(w.seen = calloc(n ? n : 1, 1)))
        return MPIFT_ERR_NOMEM;
    for (i = 0; i < n && rc == MPIFT_OK; i++) {
        const struct mpift_pfile *f = &plan->f[i];
        if (f->type == MPIFT_PT_FILE && f->src && f->src->entry < cfg->n_in && cfg->in[f->src->entry].libs)
            rc = entry_file(&w, &cfg->in[f->src->entry], i);
    }
    if (rc == MPIFT_OK)
        rc = merge(&w);
    adding_trim(&w.a, 0);
    free(w.a.f);
    free(w.seen);
    return rc;
}
