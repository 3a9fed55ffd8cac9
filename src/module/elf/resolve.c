/* resolve.c - a program's library closure as the loader finds it (resolve.h). */
#include "mpift_autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "elf/resolve.h"
#include "util/grow.h"

/* glibc's own objects, by the start of their names: the node's C library,
 * which must match the node's loader, so never staged by default. */
static const char *const libc_names[] = {
    "libc.so.", "libm.so.", "libmvec.so.", "libpthread.so.", "libdl.so.", "librt.so.", "libresolv.so.",
    "libutil.so.", "libanl.so.", "libnsl.so.", "libBrokenLocale.so.", "libthread_db.so.", "libc_malloc_debug.so.",
    "libmemusage.so", "libpcprofile.so", "ld-linux", "ld64.so.", NULL,
};

int mpift_closure_libc(const char *soname)
{
    size_t i;

    for (i = 0; libc_names[i]; i++)
        if (strncmp(soname, libc_names[i], strlen(libc_names[i])) == 0)
            return 1;
    return 0;
}

void mpift_search_default(struct mpift_search *s)
{
    static char dirs[2][PATH_MAX], lib[128], platform[sizeof(((struct utsname *)0)->machine)];
    static const char *list[7];
    struct utsname u;

    memset(s, 0, sizeof(*s));
    if (uname(&u) != 0)
        snprintf(u.machine, sizeof(u.machine), "x86_64");
    snprintf(platform, sizeof(platform), "%s", u.machine);
    snprintf(dirs[0], sizeof(dirs[0]), "/lib/%s-linux-gnu", u.machine);
    snprintf(dirs[1], sizeof(dirs[1]), "/usr/lib/%s-linux-gnu", u.machine);
    snprintf(lib, sizeof(lib), "lib/%s-linux-gnu", u.machine);   /* Debian's $LIB */
    list[0] = dirs[0];
    list[1] = dirs[1];
    list[2] = "/lib64";
    list[3] = "/usr/lib64";
    list[4] = "/lib";
    list[5] = "/usr/lib";
    list[6] = NULL;
    s->sysdirs = list;
    s->lib = lib;
    s->platform = platform;
}

struct finder {
    const struct mpift_search *s;
    struct mpift_closure *c;
    uint16_t machine;
    char *why;
    size_t whylen;
    char tried[1024];     /* where a missing name was looked for, for its message */
};

/* The folder part of path ("." for none), into out. */
static void dir_of(const char *path, char *out, size_t len)
{
    const char *sl = strrchr(path, '/');

    if (!sl)
        snprintf(out, len, ".");
    else if (sl == path)
        snprintf(out, len, "/");
    else
        snprintf(out, len, "%.*s", (int)(sl - path), path);
}

/* One $TOKEN or ${TOKEN} at *p (after the '$'): its value, or NULL for
 * one the loader does not know. */
static const char *token(const struct finder *f, const char *origin, const char **p)
{
    static const char *const names[] = {"ORIGIN", "LIB", "PLATFORM"};
    const char *vals[] = {origin, f->s->lib, f->s->platform};
    size_t i, n;
    int brace = **p == '{';

    for (i = 0; i < 3; i++) {
        n = strlen(names[i]);
        if (strncmp(*p + brace, names[i], n) != 0)
            continue;
        if (brace && (*p)[n + 1] != '}')
            continue;
        if (!brace && ((*p)[n] == '_' || ((*p)[n] >= 'A' && (*p)[n] <= 'Z') || ((*p)[n] >= 'a' && (*p)[n] <= 'z') ||
                       ((*p)[n] >= '0' && (*p)[n] <= '9')))
            continue;
        *p += n + 2 * brace;
        return vals[i];
    }
    return NULL;
}

/* One element of a search list (len bytes at e) with its tokens expanded
 * into out.  0, or -1: skip it (an unknown token, too long, empty). */
static int expand(const struct finder *f, const char *e, size_t len, const char *origin, char *out, size_t outlen)
{
    const char *p = e, *end = e + len, *v;
    size_t o = 0, n;

    if (len == 0)
        return -1;
    while (p < end) {
        if (*p == '$') {
            p++;
            if (!(v = token(f, origin, &p)) || p > end)
                return -1;
            n = strlen(v);
        } else {
            v = p;
            n = 1;
            p++;
        }
        if (o + n >= outlen)
            return -1;
        memcpy(out + o, v, n);
        o += n;
    }
    out[o] = '\0';
    return 0;
}

/* Is the file at path a 64-bit little-endian ELF of the program's
 * machine?  If so, e gets it (1); 0: pass over it, as the loader does. */
static int loadable(const struct finder *f, const char *path, struct mpift_elf *e)
{
    char why[256];
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), ok = 0;

    if (fd < 0)
        return 0;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && mpift_elf_read(fd, path, e, why, sizeof(why)) == MPIFT_OK)
        ok = e->machine == f->machine;
    if (!ok)
        mpift_elf_free(e);
    close(fd);
    return ok;
}

static void note_tried(struct finder *f, const char *dir)
{
    size_t n = strlen(f->tried);

    if (n + strlen(dir) + 3 < sizeof(f->tried))
        snprintf(f->tried + n, sizeof(f->tried) - n, "%s%s", n ? ", " : "", dir);
    else if (n + 5 < sizeof(f->tried) && strcmp(f->tried + n - 3, "...") != 0)
        snprintf(f->tried + n, sizeof(f->tried) - n, ", ...");
}

/* Search the list (RPATH, LD_LIBRARY_PATH, RUNPATH: ':'-separated; ';'
 * too for LD_LIBRARY_PATH) for name, $ORIGIN being origin. */
static int search_list(struct finder *f, const char *list, const char *origin, const char *name, char *found,
                       struct mpift_elf *e)
{
    char dir[PATH_MAX];
    const char *p = list, *q;

    while (list && *p) {
        q = p + strcspn(p, ":;");
        if (expand(f, p, (size_t)(q - p), origin, dir, sizeof(dir)) == 0) {
            note_tried(f, dir);
            if ((size_t)snprintf(found, PATH_MAX, "%s/%s", dir, name) < PATH_MAX && loadable(f, found, e))
                return 1;
        }
        p = *q ? q + 1 : q;
    }
    return 0;
}

/* The folder of object i, for its $ORIGIN. */
static void origin_of(const struct mpift_closure *c, size_t i, char *out)
{
    dir_of(i == 0 ? c->o[0].real : c->o[i].path, out, PATH_MAX);
}

/* Where the loader finds `name` for object i: 1 with found and e, or 0. */
static int search(struct finder *f, size_t i, const char *name, char *found, struct mpift_elf *e)
{
    struct mpift_closure *c = f->c;
    char origin[PATH_MAX];
    long l;
    size_t k;

    f->tried[0] = '\0';
    if (strchr(name, '/')) {
        note_tried(f, name);
        return snprintf(found, PATH_MAX, "%s", name) < PATH_MAX && loadable(f, found, e);
    }
    if (!c->o[i].elf.runpath)
        for (l = (long)i; l >= 0; l = c->o[l].loader)
            if (!c->o[l].elf.runpath && c->o[l].elf.rpath) {
                origin_of(c, (size_t)l, origin);
                if (search_list(f, c->o[l].elf.rpath, origin, name, found, e))
                    return 1;
            }
    origin_of(c, i, origin);
    if (search_list(f, f->s->ld_library_path, origin, name, found, e) ||
        search_list(f, c->o[i].elf.runpath, origin, name, found, e))
        return 1;
    for (k = 0; f->s->sysdirs && f->s->sysdirs[k]; k++) {
        note_tried(f, f->s->sysdirs[k]);
        if ((size_t)snprintf(found, PATH_MAX, "%s/%s", f->s->sysdirs[k], name) < PATH_MAX && loadable(f, found, e))
            return 1;
    }
    return 0;
}

/* Is `dir` (a real folder) one of the system's? */
static int system_dir(const struct finder *f, const char *real)
{
    char dir[PATH_MAX], sys[PATH_MAX];
    size_t k;

    dir_of(real, dir, sizeof(dir));
    for (k = 0; f->s->sysdirs && f->s->sysdirs[k]; k++)
        if (realpath(f->s->sysdirs[k], sys) && strcmp(sys, dir) == 0)
            return 1;
    return 0;
}

static int add_name(struct mpift_dso *o, const char *name)
{
    size_t k;

    for (k = 0; k < o->nnames; k++)
        if (strcmp(o->names[k], name) == 0)
            return MPIFT_OK;
    if (mpift_grow(&o->names, &o->capnames, o->nnames + 1, sizeof(*o->names), 4) != MPIFT_OK ||
        !(o->names[o->nnames] = strdup(name)))
        return MPIFT_ERR_NOMEM;
    o->nnames++;
    return MPIFT_OK;
}

/* An object already found that answers to name (a name it was needed by,
 * its DT_SONAME, its path), or -1. */
static long loaded(const struct mpift_closure *c, const char *name)
{
    size_t i, k;

    for (i = 1; i < c->n; i++) {
        if ((c->o[i].elf.soname && strcmp(c->o[i].elf.soname, name) == 0) || strcmp(c->o[i].path, name) == 0)
            return (long)i;
        for (k = 0; k < c->o[i].nnames; k++)
            if (strcmp(c->o[i].names[k], name) == 0)
                return (long)i;
    }
    return -1;
}

static struct mpift_dso *append(struct mpift_closure *c)
{
    if (mpift_grow(&c->o, &c->cap, c->n + 1, sizeof(*c->o), 16) != MPIFT_OK)
        return NULL;
    memset(&c->o[c->n], 0, sizeof(c->o[c->n]));
    return &c->o[c->n++];
}

/* name, needed by object i (the program for extra_libs): found, matched,
 * or the error naming it and who needs it. */
static int need(struct finder *f, size_t i, const char *name)
{
    struct mpift_closure *c = f->c;
    char found[PATH_MAX], real[PATH_MAX];
    struct mpift_elf e;
    struct mpift_dso *o;
    long k = loaded(c, name);
    size_t j;

    if (k >= 0)
        return add_name(&c->o[k], name);
    /* The C library is the node's whatever libs_system says: it must be
     * the very one of the node's loader, which is never staged. */
    if (mpift_closure_libc(name))
        return MPIFT_OK;
    if (c->o[0].elf.interp && strcmp(name, c->o[0].elf.interp) == 0)
        return MPIFT_OK;
    if (!search(f, i, name, found, &e)) {
        snprintf(f->why, f->whylen, "%s, needed by %s, not found (looked in %s)", name, c->o[i].path,
                 *f->tried ? f->tried : "nothing");
        return MPIFT_ERR_NOENT;
    }
    if (!realpath(found, real)) {
        mpift_elf_free(&e);
        snprintf(f->why, f->whylen, "%s: %s", found, strerror(errno));
        return MPIFT_ERR_IO;
    }
    for (j = 1; j < c->n; j++)   /* the same file another way: one object */
        if (strcmp(c->o[j].real, real) == 0) {
            mpift_elf_free(&e);
            return add_name(&c->o[j], name);
        }
    if (!(o = append(c))) {
        mpift_elf_free(&e);
        return MPIFT_ERR_NOMEM;
    }
    o->elf = e;
    o->loader = (int)i;
    o->system = mpift_closure_libc(name) || (!f->s->with_system && system_dir(f, real));
    if (!(o->path = strdup(found)) || !(o->real = strdup(real)))
        return MPIFT_ERR_NOMEM;
    return add_name(o, strchr(name, '/') ? strrchr(name, '/') + 1 : name);
}

int mpift_closure_find(const char *program, const char *const *extra, size_t nextra, const struct mpift_search *s,
                       struct mpift_closure *c, char *why, size_t whylen)
{
    struct finder f = {s, c, 0, why, whylen, ""};
    struct mpift_dso *p;
    size_t i, k;
    int rc = MPIFT_OK, fd, pass;

    memset(c, 0, sizeof(*c));
    if (!(p = append(c)) || !(p->path = strdup(program)))
        return MPIFT_ERR_NOMEM;
    p->loader = -1;
    if (!(p->real = realpath(program, NULL))) {
        snprintf(why, whylen, "%s: %s", program, strerror(errno));
        return errno == ENOMEM ? MPIFT_ERR_NOMEM : MPIFT_ERR_IO;
    }
    if ((fd = open(p->real, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0) {
        snprintf(why, whylen, "%s: %s", program, strerror(errno));
        return MPIFT_ERR_IO;
    }
    rc = mpift_elf_read(fd, program, &p->elf, why, whylen);
    close(fd);
    f.machine = c->o[0].elf.machine;
    /* Breadth first, as the loader maps them (c->o moves as it grows);
     * then what the program dlopen()s, once all that is loaded, and what
     * those need (the second pass finds the first's objects loaded). */
    for (pass = 0; pass < 2 && rc == MPIFT_OK; pass++) {
        for (k = 0; pass == 1 && k < nextra && rc == MPIFT_OK; k++)
            rc = need(&f, 0, extra[k]);
        for (i = 0; i < c->n && rc == MPIFT_OK; i++)
            for (k = 0; !c->o[i].system && k < c->o[i].elf.nneeded && rc == MPIFT_OK; k++)
                rc = need(&f, i, c->o[i].elf.needed[k]);
    }
    return rc;
}

void mpift_closure_free(struct mpift_closure *c)
{
    size_t i, k;

    for (i = 0; i < c->n; i++) {
        for (k = 0; k < c->o[i].nnames; k++)
            free(c->o[i].names[k]);
        free(c->o[i].names);
        free(c->o[i].path);
        free(c->o[i].real);
        mpift_elf_free(&c->o[i].elf);
    }
    free(c->o);
    memset(c, 0, sizeof(*c));
}
