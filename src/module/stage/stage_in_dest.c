/*
 * stage_in_dest.c - a writer's dest root during a stage-in (stage_in.h):
 * opened, held for the run, checked before anything moves.
 *
 * Two runs writing into one root would each take the other's files for
 * their own; so a run holds the root with a lock (flock on the folder)
 * from the start to its end, and a second run refuses at preflight, on
 * every rank, before anything moves.  The ranks of one run and node that
 * write into one root (scatter targets sharing their leader's root) are
 * one holder: the lowest of them takes the lock.  Holding it, a run knows
 * that every temporary file in its folders is a dead run's, and sweeps
 * them, whichever rank wrote them.  The holder also enters the root in
 * its node's registry of roots in use (fs/roots.h), so that a run into a
 * folder inside it or above it is refused the same way.
 *
 * The root's path is walked and checked as it is made (fs/walk.h): a
 * folder on the way that another user owns or may write in is refused,
 * named with its owner or mode (docs/paths.md).
 */
#include "mpift_autoconf.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "config/template.h"
#include "engine/sink.h"
#include "engine/source.h"
#include "fs/fsafe.h"
#include "fs/roots.h"
#include "fs/walk.h"
#include "stage/preflight.h"
#include "stage/stage.h"
#include "stage/stage_in.h"
#include "util/log.h"
#include "comm/status.h"
#include "comm/watch.h"

/* Does this rank hold the lock for its node's writers into its root, that
 * is: does no lower rank of its node write into the same root? */
static int holds_lock(const struct mpift_in_run *r)
{
    const struct mpift_ctx *ctx = r->ctx;
    const struct mpift_topo *t = &ctx->topo;
    unsigned char *writes;
    char root[PATH_MAX];
    struct mpift_tvars v;
    int q, shared = 0, mine = 1;
    size_t i;

    if (t->local_rank == 0)
        return 1;
    /* Who writes at all: every writer of `copies` when any file is for
     * all; a scatter file's target alone. */
    if (!(writes = calloc((size_t)t->size, 1)))
        return 1;
    for (i = 0; i < r->plan.n; i++) {
        if (r->plan.f[i].target < 0)
            shared = 1;
        else if (r->plan.f[i].target < t->size)
            writes[r->plan.f[i].target] = 1;
    }
    for (q = 0; q < r->rank && mine; q++) {
        if (t->node_of[q] != t->nodeid || !(writes[q] || (shared && mpift_ctx_writer(ctx, q))))
            continue;
        mpift_topo_tvars(t, q, &v);
        if (mpift_template_expand(ctx->cfg->dest, &v, root, sizeof(root)) == MPIFT_OK &&
            strcmp(root, ctx->dest_root) == 0)
            mine = 0;
    }
    free(writes);
    return mine;
}

int mpift_in_open_root(struct mpift_in_run *r)
{
    struct mpift_ctx *ctx = r->ctx;
    char cause[MPIFT_WHY_MAX];
    size_t i;
    int any = 0;

    for (i = 0; i < r->plan.n; i++)
        if (mpift_stage_keeps(ctx, r->rank, &r->plan.f[i])) {
            any = 1;
            mpift_folders_add(&r->folders, &r->plan.f[i]);
        }
    if (!any && !(r->rank == 0 && ctx->cfg->copies == MPIFT_COPIES_ONCE))
        return MPIFT_OK;
    if (ctx->dry_run) {
        /* Look at what is there without creating anything. */
        r->rootfd = mpift_walk_open(ctx->dest_root, 0, 0, NULL, cause, sizeof(cause));
        if (r->rootfd == MPIFT_ERR_ESCAPE)
            mpift_log_warn("dest root %s: %s: a run would be refused", ctx->dest_root, cause);
        if (r->rootfd < 0)
            r->rootfd = -1;
        return MPIFT_OK;
    }
    if (mpift_folders_done(&r->folders) != MPIFT_OK) {
        mpift_format(r->root_why, sizeof(r->root_why), "dest root %s: out of memory listing its folders",
                     ctx->dest_root);
        return MPIFT_ERR_IO;
    }
    r->rootfd = mpift_root_open(ctx->dest_root, cause, sizeof(cause));
    if (r->rootfd < 0) {
        mpift_format(r->root_why, sizeof(r->root_why), "dest root %s: %s: nothing was sent; %s or point paths.dest "
                     "elsewhere", ctx->dest_root, cause, r->rootfd == MPIFT_ERR_ESCAPE ? "remove that folder or "
                     "make it yours (or root's) and writable by no one else (mpift.conf(5), paths.dest)" : "fix its permissions");
        r->rootfd = -1;
        return MPIFT_ERR_IO;
    }
    if (!holds_lock(r))
        return MPIFT_OK;
    switch (mpift_root_hold(r->rootfd, ctx->dest_root, &r->hold, cause, sizeof(cause))) {
    case MPIFT_HOLD_OK:
        r->lock = MPIFT_IN_LOCK_HELD;
        break;
    case MPIFT_HOLD_BUSY:
        r->lock = MPIFT_IN_LOCK_BUSY;
        mpift_format(r->root_why, sizeof(r->root_why), "%s: nothing was sent; wait for it to end or point "
                     "paths.dest elsewhere", cause);
        break;
    case MPIFT_HOLD_NOREG:
        /* The root's own flock still keeps out runs into this very root;
         * a user's runs must not all fail because another user made the
         * registry's folder first.  Not held: no temporary is swept. */
        mpift_log_warn("dest root %s: %s: going on with this root's own lock only (a run into a folder inside or "
                       "above it is not kept out); remove that folder", ctx->dest_root, cause);
        break;
    case MPIFT_HOLD_NOLOCK:
        mpift_log_verbose("dest root %s cannot be locked on this file system: another user's run into it is not "
                          "kept out, and no temporary file is swept", ctx->dest_root);
        break;
    default:
        mpift_format(r->root_why, sizeof(r->root_why), "dest root %s: %s: nothing was sent; fix that or point "
                     "paths.dest elsewhere", ctx->dest_root, cause);
        close(r->rootfd);
        r->rootfd = -1;
        return MPIFT_ERR_IO;
    }
    return MPIFT_OK;
}

/* Room counted per data extent of a sparse source beyond its chunks: the
 * file system's blocks that map the extent in the copy. */
#define ALLOC_MARGIN 4096

void mpift_in_plan_alloc(struct mpift_in_run *r)
{
    char why[MPIFT_WHY_MAX];
    struct stat st;
    size_t i;
    int fd, code;

    for (i = 0; i < r->plan.n; i++) {
        struct mpift_pfile *f = &r->plan.f[i];
        /* A copy's holes are whole chunks: a source whose blocks miss
         * less than a chunk has none worth a walk (nor an open: a plan of
         * many small files opens none of them here). */
        if (f->type != MPIFT_PT_FILE || !f->src || f->src->blocks * 512 + r->ctx->cfg->chunk_size > f->size)
            continue;
        /* Gone or changed since planned: counted whole; its stream says
         * what became of it. */
        fd = mpift_source_open(r->srcfd, r->srcroot, f->src, &st, &code, why, sizeof(why));
        if (fd < 0)
            continue;
        if ((uint64_t)st.st_size == f->size && st.st_mtim.tv_sec == f->mtime_sec &&
            (uint32_t)st.st_mtim.tv_nsec == f->mtime_nsec) {
            f->alloc = mpift_source_alloc(fd, f->size, r->ctx->cfg->chunk_size, ALLOC_MARGIN, &r->ctx->watch);
            f->sparse = f->alloc < f->size;
        }
        close(fd);
        mpift_watch_tick(&r->ctx->watch);   /* the other ranks wait for the plan: they still hear from rank 0 */
    }
}

/* What file i takes of my dest's room: what its copy allocates (a sparse
 * source's data chunks alone), less what the killed run's temporary I
 * resume holds already (it becomes the copy). */
static uint64_t room_of(const struct mpift_in_run *r, size_t i)
{
    const struct mpift_pfile *f = &r->plan.f[i];
    const struct mpift_base *b = r->bases ? r->bases[i] : NULL;
    uint64_t need = f->sparse ? f->alloc : f->size;

    if (b && b->kind == MPIFT_BASE_RESUME)
        need -= need < b->allocated ? need : b->allocated;
    return need;
}

int mpift_in_check_root(struct mpift_in_run *r, char *why, size_t whylen)
{
    struct mpift_ctx *ctx = r->ctx;
    const char *host = ctx->topo.host, *root = ctx->dest_root;
    char cause[MPIFT_WHY_MAX];
    struct mpift_room room;
    size_t i;

    if (r->rootfd < 0 && !r->root_why[0])
        return 0;   /* nothing to write here */
    if (r->rootfd < 0) {
        mpift_format(why, whylen, "%s: %s", host, r->root_why);
    } else if (r->lock == MPIFT_IN_LOCK_BUSY) {
        mpift_format(why, whylen, "%s: %s", host, r->root_why);
    } else {
        mpift_room_start(&room, r->rootfd, root);
        for (i = 0; i < r->plan.n; i++) {
            if (mpift_bit(r->mine, i)) {
                mpift_room_add(&room, room_of(r, i));
                mpift_extract_room(r, i, &room);
                mpift_folders_need(&r->folders, r->plan.f[i].dest);
            } else if (mpift_in_cache_copies(r, i)) {
                /* placed from the cache by a copy, as sparse as the entry (cache/copy.c) */
                mpift_room_add(&room, r->plan.f[i].sparse ? r->plan.f[i].alloc : r->plan.f[i].size);
            }
        }
        if (mpift_folders_check(&r->folders, r->rootfd, root, r->lock == MPIFT_IN_LOCK_HELD, &room, "sent",
                                "paths.dest", cause, sizeof(cause)) != 0) {
            mpift_format(why, whylen, "%s: %s", host, cause);
        } else {
            /* Short of inodes: a file that replaces one takes none (only
             * one temporary at a time); worth the look only then. */
            for (i = 0; i < r->plan.n && mpift_room_inodes_short(&room); i++)
                if (mpift_bit(r->mine, i) && mpift_sink_exists(r->rootfd, r->plan.f[i].dest))
                    mpift_room_replaces(&room);
            return mpift_room_check(&room, host, "sent", "paths.dest", why, whylen);
        }
    }
    mpift_log_error("%s", why);
    return -1;
}
