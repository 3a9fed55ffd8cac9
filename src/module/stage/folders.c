/* folders.c - the folders a writer's copies go into (see folders.h). */
#include "mpift_autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "engine/sink.h"
#include "fs/fsafe.h"
#include "stage/folders.h"
#include "util/grow.h"
#include "util/log.h"
#include "comm/status.h"

/* Is (p, n) the last folder listed, or one of its ancestors (listed
 * before it)? */
static int listed_last(const struct mpift_folders *fl, const char *p, size_t n)
{
    const struct mpift_folder *l = fl->n ? &fl->v[fl->n - 1] : NULL;

    return l && l->len >= n && memcmp(l->path, p, n) == 0 && (l->len == n || l->path[n] == '/');
}

static void push(struct mpift_folders *fl, const char *p, size_t n, const struct mpift_pfile *dir)
{
    struct mpift_folder *v = fl->n ? &fl->v[fl->n - 1] : NULL;

    /* Listed already, unless it is a folder of the plan met below the
     * last one listed (lists of several writers): then again, with its
     * mode, and mpift_folders_done merges the two. */
    if (listed_last(fl, p, n) && (!dir || v->len == n)) {
        if (!dir)
            return;
    } else {
        if (mpift_grow(&fl->v, &fl->cap, fl->n + 1, sizeof(*fl->v), 64) != MPIFT_OK) {
            fl->oom = 1;
            return;
        }
        v = &fl->v[fl->n++];
        *v = (struct mpift_folder){ .path = p, .len = (uint32_t)n };
    }
    if (dir) {
        v->dir = 1;
        v->preserve = dir->preserve;
        v->mode = dir->mode & 07777;
    }
}

void mpift_folders_add(struct mpift_folders *fl, const struct mpift_pfile *f)
{
    const char *d = f->dest, *slash = strrchr(d, '/');
    size_t len = f->type == MPIFT_PT_DIR ? strlen(d) : slash ? (size_t)(slash - d) : 0, l;

    for (l = 1; l < len; l++)
        if (d[l] == '/')
            push(fl, d, l, NULL);
    if (len > 0)
        push(fl, d, len, f->type == MPIFT_PT_DIR ? f : NULL);
}

/* By name, bytewise: a folder sorts before what it holds. */
static int cmp_folder(const void *a, const void *b)
{
    const struct mpift_folder *x = a, *y = b;
    int c = memcmp(x->path, y->path, x->len < y->len ? x->len : y->len);

    return c ? c : (x->len > y->len) - (x->len < y->len);
}

int mpift_folders_done(struct mpift_folders *fl)
{
    size_t i, o = 0;

    if (fl->oom)
        return MPIFT_ERR_NOMEM;
    if (fl->n == 0)
        return MPIFT_OK;
    qsort(fl->v, fl->n, sizeof(*fl->v), cmp_folder);
    for (i = 0; i < fl->n; i++) {
        if (o > 0 && cmp_folder(&fl->v[o - 1], &fl->v[i]) == 0) {
            if (fl->v[i].dir) {
                fl->v[o - 1].dir = 1;
                fl->v[o - 1].preserve = fl->v[i].preserve;
                fl->v[o - 1].mode = fl->v[i].mode;
            }
            continue;
        }
        fl->v[o++] = fl->v[i];
    }
    fl->n = o;
    return MPIFT_OK;
}

/* The listed folder with the first n bytes of p, or NULL. */
static struct mpift_folder *find(const struct mpift_folders *fl, const char *p, size_t n)
{
    struct mpift_folder key = { .path = p, .len = (uint32_t)n };

    return fl->n ? bsearch(&key, fl->v, fl->n, sizeof(*fl->v), cmp_folder) : NULL;
}

void mpift_folders_need(struct mpift_folders *fl, const char *dest)
{
    const char *slash = strrchr(dest, '/');
    struct mpift_folder *f;

    if (slash && (f = find(fl, dest, (size_t)(slash - dest))) != NULL)
        f->needed = 1;
}

/* May this user create files in the folder fd?  A kept-mode folder of
 * this user's (f) counts as writable: mpift_folders_make opens it up. */
static int writable(int fd, const struct mpift_folder *f, int *en)
{
    struct stat st;

    if (faccessat(fd, ".", W_OK | X_OK, AT_EACCESS) == 0)
        return 1;
    *en = errno;
    return *en == EACCES && f && f->preserve && fstat(fd, &st) == 0 && st.st_uid == geteuid();
}

int mpift_folders_check(const struct mpift_folders *fl, int rootfd, const char *root, int sweep,
                        struct mpift_room *rm, const char *verb, const char *setting, char *why, size_t whylen)
{
    char path[PATH_MAX];
    size_t i, have;
    unsigned missing;
    int fd, en = 0, bad = 0;

    if (sweep)
        mpift_sink_sweep(rootfd);
    for (i = 0; i < fl->n && !bad; i++) {
        const struct mpift_folder *f = &fl->v[i];
        memcpy(path, f->path, f->len);
        path[f->len] = '\0';
        fd = mpift_dir_nearest(rootfd, path, &have, &missing);
        if (fd < 0)
            continue;   /* a link or an error there: its files fail with their own message */
        if (missing == 0 && sweep)
            mpift_sink_sweep(fd);
        if (missing > 0)
            mpift_room_add_folder(rm);
        /* Deeper missing folders are below one checked already. */
        if (missing == 0 && f->needed && !writable(fd, f, &en)) {
            mpift_format(why, whylen, "cannot write in %s/%s: %s: nothing was %s; fix its permissions or point %s "
                         "elsewhere", root, path, strerror(en), verb, setting);
            bad = 1;
        } else if (missing == 1 && !writable(fd, have ? find(fl, path, have) : NULL, &en)) {
            mpift_format(why, whylen, "cannot create folder %s/%s: %s%s%.*s is not writable (%s): nothing was %s; "
                         "fix its permissions or point %s elsewhere", root, path, root, have ? "/" : "", (int)have,
                         path, strerror(en), verb, setting);
            bad = 1;
        }
        close(fd);
    }
    return bad ? -1 : 0;
}

void mpift_folders_make(const struct mpift_folders *fl, int rootfd, const char *root)
{
    char path[PATH_MAX], why[MPIFT_WHY_MAX];
    struct stat st;
    size_t i;
    int fd;

    for (i = 0; i < fl->n; i++) {
        const struct mpift_folder *f = &fl->v[i];
        if (!f->dir)
            continue;   /* made with the first file below it */
        memcpy(path, f->path, f->len);
        path[f->len] = '\0';
        fd = mpift_dir_open(rootfd, path, true, why, sizeof(why));
        if (fd < 0) {
            mpift_log_error("%s/%s: %s", root, path, why);
            continue;
        }
        /* Until its files are in, its owner may write in it. */
        if (f->preserve && fstat(fd, &st) == 0 && (st.st_mode & 07777) != (f->mode | S_IRWXU))
            fchmod(fd, f->mode | S_IRWXU);
        close(fd);
    }
}

void mpift_folders_modes(const struct mpift_folders *fl, int rootfd)
{
    char path[PATH_MAX], why[MPIFT_WHY_MAX];
    size_t i;
    int fd;

    for (i = fl->n; i-- > 0;) {
        const struct mpift_folder *f = &fl->v[i];
        if (!f->preserve)
            continue;
        memcpy(path, f->path, f->len);
        path[f->len] = '\0';
        fd = mpift_dir_open(rootfd, path, false, why, sizeof(why));
        if (fd < 0)
            continue;
        fchmod(fd, f->mode);
        close(fd);
    }
}

void mpift_folders_free(struct mpift_folders *fl)
{
    free(fl->v);
    memset(fl, 0, sizeof(*fl));
}
