/*
 * peer.c - one named file between two ranks (see peer.h).
 */
#include "mpift_autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "fs/fsafe.h"
#include "fs/walk.h"
#include "util/log.h"
#include "comm/status.h"
#include "service/peer.h"
#include "stage/plan.h"
#include "engine/source.h"

/* `name` below `root` for reading.  The root is opened by the checked
 * walk (fs/walk.h: no other user can bend the path to it; rroot gets its
 * real path); the name's real path must stay within it (a symlink may not
 * lead out), and the open itself is made beneath the root's fd. */
int mpift_peer_source(const char *root, const char *name, char *rroot, struct mpift_src **src, int *fd, char *why,
                      size_t wl)
{
    char path[PATH_MAX], real[PATH_MAX], cause[MPIFT_WHY_MAX];
    int rc;

    *src = NULL;
    *fd = mpift_walk_open(root, MPIFT_WALK_READ, 0, rroot, cause, sizeof(cause));
    if (*fd < 0) {
        rc = *fd;
        *fd = -1;
        mpift_format(why, wl, "paths.source %s: %s", root, cause);
        return rc;
    }
    if (mpift_path_join(rroot, name, path, sizeof(path)) != MPIFT_OK) {
        mpift_format(why, wl, "%s/%s: path too long", rroot, name);
        rc = MPIFT_ERR_RANGE;
        goto out;
    }
    rc = mpift_path_resolve(rroot, NULL, path, real, why, wl);
    if (rc != MPIFT_OK)
        goto out;
    /* Not planned: no device and inode to hold it to; the open itself
     * stays below the root and refuses what is not a regular file. */
    if (!(*src = mpift_src_new(real, NULL))) {
        mpift_format(why, wl, "%s: out of memory", real);
        rc = MPIFT_ERR_NOMEM;
    }
out:
    if (rc != MPIFT_OK) {
        close(*fd);
        *fd = -1;
    }
    return rc;
}

void mpift_peer_file(struct mpift_pfile *f, const char *name, struct mpift_src *src)
{
    memset(f, 0, sizeof(*f));
    f->dest = (char *)name;
    f->src = src;
    f->preserve = 1;
    f->target = -1;
    f->type = MPIFT_PT_FILE;
}

int mpift_peer_send(struct mpift_xfer *x, uint64_t id, const char *root, const char *name, int to,
                    struct mpift_outcome *res)
{
    struct mpift_pfile f;
    struct mpift_src *src;
    struct mpift_route rt = { .parent = -1, .children = &to, .nchildren = 1, .ntrees = 1 };
    char rroot[PATH_MAX], why[MPIFT_WHY_MAX];
    int rc, fd;

    rc = mpift_peer_source(root, name, rroot, &src, &fd, why, sizeof(why));
    if (rc != MPIFT_OK)
        return mpift_xfer_refuse(x, id, &rt, rc, why, res);
    mpift_peer_file(&f, name, src);
    mpift_xfer_source_root(x, fd, rroot);
    rc = mpift_xfer_source(x, id, &f, &rt, NULL, res);
    mpift_xfer_source_root(x, -1, "");
    close(fd);
    free(src);
    return rc;
}

int mpift_peer_recv(struct mpift_xfer *x, uint64_t id, const char *root, const char *name, int from,
                    struct mpift_outcome *res)
{
    struct mpift_pfile f;
    struct mpift_route rt = { .parent = from, .ntrees = 1 };
    struct mpift_target tgt;
    char why[MPIFT_WHY_MAX];
    int fd, rc;

    mpift_peer_file(&f, name, NULL);
    fd = mpift_root_open(root, why, sizeof(why));
    tgt.rootfd = fd;
    tgt.root = root;
    rc = mpift_xfer_receive(x, id, &f, &rt, fd >= 0 ? &tgt : NULL, res);
    if (fd < 0 && rc == MPIFT_OK && !res->source_failed) {
        res->status = MPIFT_ERR_IO;
        mpift_format(res->why, sizeof(res->why), "%s: %s", root, why);
    }
    if (fd >= 0)
        close(fd);
    return rc;
}
