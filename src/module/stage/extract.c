/*
 * extract.c - stage-in's archives unpacked on arrival (extract.h).
 */
#include "mpift_autoconf.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "comm/agree.h"
#include "engine/source.h"
#include "fs/archive.h"
#include "fs/fsafe.h"
#include "fs/unpack.h"
#include "stage/extract.h"
#include "stage/preflight.h"
#include "stage/stage.h"
#include "stage/stage_in.h"
#include "util/log.h"

#define SHARE "waiting for every rank to take the archives' counts from rank 0"
/* The fields of one item on the wire (uint64 each). */
#define ITEM_WORDS (sizeof(struct mpift_extract_item) / sizeof(uint64_t))

/* Heartbeats while a long archive is read or unpacked. */
static void tick(void *arg)
{
    mpift_watch_tick(arg);
}

/* Rank 0: check and count archive f.  0, or -1 after saying why. */
static int scan_one(struct mpift_in_run *r, const struct mpift_pfile *f, struct mpift_archive_count *c)
{
    char folder[PATH_MAX], why[MPIFT_WHY_MAX];
    struct stat st;
    int code, fd, rc;

    if (mpift_archive_folder(f->dest, folder, sizeof(folder)) != MPIFT_OK) {
        mpift_log_error("%s: extract = true, but %s does not end in " MPIFT_ARCHIVE_SUFFIXES ", which name the "
                        "folder it unpacks into: rename it, or give dest such a name", f->src->path, f->dest);
        return -1;
    }
    fd = mpift_source_open(r->srcfd, r->srcroot, f->src, &st, &code, why, sizeof(why));
    if (fd < 0) {
        mpift_log_error("%s", why);
        return -1;
    }
    rc = mpift_archive_scan(fd, f->src->path, c, tick, &r->ctx->watch, why, sizeof(why));
    close(fd);
    if (rc != MPIFT_OK) {
        mpift_log_error("%s (extract = true, for %s)", why, f->dest);
        return -1;
    }
    return 0;
}

int mpift_extract_scan(struct mpift_in_run *r)
{
    struct mpift_plan *p = &r->plan;
    struct mpift_extracts *ex = &r->ex;
    struct mpift_archive_count c;
    size_t i, o = 0, cap = 0;

    for (i = 0; i < p->n; i++)
        cap += p->f[i].extract;
    if (!cap)
        return MPIFT_OK;
    if (!(ex->item = calloc(cap, sizeof(*ex->item))))
        return MPIFT_ERR_NOMEM;
    for (i = 0; i < p->n; i++) {
        struct mpift_pfile *f = &p->f[i];
        if (f->extract && scan_one(r, f, &c) != 0) {
            mpift_plan_drop(p, f);   /* never sent */
            continue;
        }
        if (f->extract)
            ex->item[ex->n++] = (struct mpift_extract_item){.index = o, .files = c.files, .bytes = c.bytes,
                                                            .bytes4k = c.bytes4k, .inodes = c.inodes};
        p->f[o++] = *f;
    }
    p->n = o;
    return MPIFT_OK;
}

int mpift_extract_share(struct mpift_in_run *r)
{
    struct mpift_ctx *ctx = r->ctx;
    struct mpift_extracts *ex = &r->ex;
    uint64_t n = ex->n;
    int rc, bad = 0, anybad;
    size_t i;

    for (i = 0; i < r->plan.n; i++)
        bad |= r->plan.f[i].extract;
    if (!bad)
        return MPIFT_OK;   /* every rank has the plan, and knows there is none */
    if ((rc = mpift_agree_bcast(ctx->comm, &n, 1, MPI_UINT64_T, 0, &ctx->watch, SHARE)) != MPIFT_OK)
        return rc;
    bad = 0;
    if (r->rank != 0) {
        ex->n = (size_t)n;
        bad = n > r->plan.n || !(ex->item = calloc(n ? n : 1, sizeof(*ex->item)));
    }
    if ((rc = mpift_agree_any(ctx->comm, bad, &anybad, &ctx->watch, SHARE)) != MPIFT_OK)
        return rc;
    if (anybad)
        return MPIFT_ERR_NOMEM;
    return mpift_agree_bcast(ctx->comm, ex->item, (int)(n * ITEM_WORDS), MPI_UINT64_T, 0, &ctx->watch, SHARE);
}

const struct mpift_extract_item *mpift_extract_find(const struct mpift_extracts *ex, size_t i)
{
    size_t lo = 0, hi = ex->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ex->item[mid].index == i)
            return &ex->item[mid];
        if (ex->item[mid].index < i)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Archive dest's parent folder below rootfd (not made), and the archive's
 * and its folder's names in it.  An fd, or -1. */
static int open_parent(int rootfd, const char *dest, char *name, char *folder, size_t len)
{
    char parent[PATH_MAX], why[MPIFT_WHY_MAX];

    if (mpift_split_parent(dest, parent, sizeof(parent), name, len) != MPIFT_OK ||
        mpift_archive_folder(name, folder, len) != MPIFT_OK)
        return -1;
    return *parent ? mpift_dir_open(rootfd, parent, false, why, sizeof(why)) : dup(rootfd);
}

bool mpift_extract_unchanged(const struct mpift_in_run *r, size_t i)
{
    const struct mpift_pfile *f = &r->plan.f[i];
    struct mpift_unpack_id id = {.size = f->size, .mtime_sec = f->mtime_sec, .mtime_nsec = f->mtime_nsec}, got;
    char name[PATH_MAX], folder[PATH_MAX];
    int fd = open_parent(r->rootfd, f->dest, name, folder, sizeof(name));
    bool same;

    if (fd < 0)
        return false;
    same = mpift_unpack_current(fd, folder, &id, &got);
    close(fd);
    return same;
}

void mpift_extract_room(const struct mpift_in_run *r, size_t i, struct mpift_room *room)
{
    const struct mpift_extract_item *it = mpift_extract_find(&r->ex, i);

    if (it)
        mpift_room_add_tree(room, it->bytes, it->bytes4k, it->files, it->inodes);
}

/* Unpack archive i, which this rank wrote, and remove it. */
static void unpack_one(struct mpift_in_run *r, size_t i)
{
    const struct mpift_pfile *f = &r->plan.f[i];
    struct mpift_ctx *ctx = r->ctx;
    struct mpift_unpack_id id = {.size = f->size, .mtime_sec = f->mtime_sec, .mtime_nsec = f->mtime_nsec};
    char name[PATH_MAX], folder[PATH_MAX], display[PATH_MAX + 64], why[MPIFT_WHY_MAX], msg[MPIFT_WHY_MAX];
    int fd = open_parent(r->rootfd, f->dest, name, folder, sizeof(name)), rc;

    snprintf(display, sizeof(display), "%s/%s", ctx->dest_root, f->dest);
    if (fd < 0) {
        mpift_format(why, sizeof(why), "%s: its folder cannot be opened to unpack it", display);
        rc = MPIFT_ERR_IO;
    } else {
        rc = mpift_unpack(fd, name, folder, display, r->lock == MPIFT_IN_LOCK_HELD, &id, tick, &ctx->watch, why,
                          sizeof(why));
        /* The archive has done its job, or failed it: its tree (or the
         * old one, and the next run's need) is what counts. */
        unlinkat(fd, name, 0);
        close(fd);
    }
    if (rc == MPIFT_OK) {
        mpift_log_verbose("%s: unpacked %llu files (%.1f MB) into %s", display, (unsigned long long)id.files,
                          (double)id.bytes / 1e6, folder);
        return;
    }
    mpift_format(msg, sizeof(msg), "%s: %s", ctx->topo.host, why);
    mpift_log_error("%s", msg);
    r->state[i] = MPIFT_FS_FAILED;
    r->local_fail = 1;
    mpift_in_note(r, i, msg);
}

void mpift_extract_unpack(struct mpift_in_run *r)
{
    size_t k;

    for (k = 0; k < r->ex.n && r->rootfd >= 0; k++) {
        size_t i = (size_t)r->ex.item[k].index;
        if (i < r->plan.n && r->state[i] == MPIFT_FS_DONE && mpift_stage_keeps(r->ctx, r->rank, &r->plan.f[i]))
            unpack_one(r, i);
    }
}

void mpift_extract_free(struct mpift_extracts *ex)
{
    free(ex->item);
    memset(ex, 0, sizeof(*ex));
}
