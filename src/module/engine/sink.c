/* sink.c - verified, atomic writes (see sink.h for the contract). */
#include "mpift_autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "util/faults.h"
#include "fs/fsafe.h"
#include "util/log.h"
#include "util/status.h"
#include "engine/sink.h"

bool mpift_sink_unchanged(int rootfd, const char *rel, uint64_t size, int64_t sec, uint32_t nsec)
{
    char parent[PATH_MAX], name[NAME_MAX + 1], why[MPIFT_WHY_MAX];
    struct stat st;
    int dfd;
    bool same = false;

    if (mpift_split_parent(rel, parent, sizeof(parent), name, sizeof(name)) != MPIFT_OK)
        return false;
    dfd = mpift_dir_open(rootfd, parent, false, why, sizeof(why));
    if (dfd < 0)
        return false;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
        (uint64_t)st.st_size == size && st.st_mtim.tv_sec == sec && (uint32_t)st.st_mtim.tv_nsec == nsec)
        same = true;
    close(dfd);
    return same;
}

int mpift_sink_open(struct mpift_sink *s, int rootfd, const char *root, const char *rel, int rank,
                    enum mpift_wire_cksum kind, char *why, size_t whylen)
{
    char parent[PATH_MAX], cause[MPIFT_WHY_MAX];
    struct stat st;
    int rc;

    memset(s, 0, sizeof(*s));
    s->dirfd = s->fd = -1;
    snprintf(s->display, sizeof(s->display), "%s/%s", root, rel);
    rc = mpift_split_parent(rel, parent, sizeof(parent), s->name, sizeof(s->name));
    if (rc != MPIFT_OK) {
        snprintf(why, whylen, "%s: invalid destination path", s->display);
        return rc;
    }
    rc = mpift_dir_open(rootfd, parent, true, cause, sizeof(cause));
    if (rc < 0) {
        snprintf(why, whylen, "%s: cannot create its folder: %s", s->display, cause);
        return rc;
    }
    s->dirfd = rc;
    /* A short, fixed-length temporary name: the final name may already be
     * NAME_MAX long.  Rank in the name: ranks of a node never share one. */
    snprintf(s->tmp, sizeof(s->tmp), ".mpift-%016llx-r%d.tmp",
             (unsigned long long)XXH3_64bits(s->name, strlen(s->name)), rank);
    /* A stale temporary from a killed run is ours to replace. */
    unlinkat(s->dirfd, s->tmp, 0);
    /* Created 0666: the kernel takes the umask off at this moment, and
     * atomically, so the mode a new file gets is known without umask(0)
     * then umask(old) (between which any thread of a host embedding mpift
     * would create its files 0666).  Then 0600 while it fills, so no one
     * reads it half-written; commit gives it the mode it was created with. */
    s->fd = openat(s->dirfd, s->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (s->fd < 0 || fstat(s->fd, &st) != 0 || fchmod(s->fd, 0600) != 0) {
        snprintf(why, whylen, "%s: cannot create temporary file: %s", s->display, strerror(errno));
        if (s->fd >= 0) {
            close(s->fd);
            unlinkat(s->dirfd, s->tmp, 0);
            s->fd = -1;
        }
        close(s->dirfd);
        s->dirfd = -1;
        return MPIFT_ERR_IO;
    }
    s->new_mode = st.st_mode & 0777;
    if (kind == MPIFT_WIRE_CKSUM_NONE)
        return MPIFT_OK;
    s->hash = XXH3_createState();
    if (!s->hash || XXH3_64bits_reset(s->hash) != XXH_OK) {
        snprintf(why, whylen, "%s: out of memory", s->display);
        mpift_sink_abort(s);
        return MPIFT_ERR_NOMEM;
    }
    return MPIFT_OK;
}

/*
 * Fault injection for the test suite: MPIFT_TEST_ENOSPC=RANK:BYTES makes
 * every write of rank RANK fail with ENOSPC once it has written BYTES, as
 * a node-local disk that fills up mid-run would.
 */
static int disk_full(int rank, size_t len)
{
    static long long left = -2;

    if (left == -2)
        left = mpift_fault_budget("MPIFT_TEST_ENOSPC", rank);
    if (left < 0)
        return 0;
    if ((long long)len > left) {
        left = 0;
        return 1;
    }
    left -= (long long)len;
    return 0;
}

void mpift_sink_write(struct mpift_sink *s, const void *buf, size_t len, uint64_t off)
{
    const char *p = buf;
    size_t done = 0;

    if (s->hash)
        XXH3_64bits_update(s->hash, buf, len);
    s->received += len;
    if (!s->err && disk_full(mpift_log_rank(), len))
        s->err = ENOSPC;
    while (!s->err && done < len) {
        ssize_t n = pwrite(s->fd, p + done, len - done, (off_t)(off + done));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            s->err = errno;
        } else {
            done += (size_t)n;
        }
    }
}

static void sink_close(struct mpift_sink *s)
{
    if (s->fd >= 0)
        close(s->fd);
    if (s->dirfd >= 0)
        close(s->dirfd);
    XXH3_freeState(s->hash);
    s->fd = s->dirfd = -1;
    s->hash = NULL;
}

void mpift_sink_abort(struct mpift_sink *s)
{
    if (s->dirfd >= 0)
        unlinkat(s->dirfd, s->tmp, 0);
    sink_close(s);
}

int mpift_sink_commit(struct mpift_sink *s, const struct mpift_meta *m, const struct mpift_complete *c,
                      bool preserve, bool do_fsync, char *why, size_t whylen)
{
    struct timespec ts[2];
    struct stat st;
    uint64_t digest = s->hash ? XXH3_64bits_digest(s->hash) : 0;
    int rc = MPIFT_ERR_IO;

    if (s->err) {
        snprintf(why, whylen, "%s: %s", s->display, strerror(s->err));
        goto fail;
    }
    if (fstat(s->fd, &st) != 0 || (uint64_t)st.st_size != m->size || s->received != m->size ||
        c->size != m->size) {
        snprintf(why, whylen, "%s: size mismatch (expected %llu bytes, have %llu)", s->display,
                 (unsigned long long)m->size, (unsigned long long)st.st_size);
        rc = MPIFT_ERR_CHECKSUM;
        goto fail;
    }
    /* No hash of ours (a sender that says xxh3 to a rank told "none")
     * cannot match: the copy is not trusted. */
    if (c->cksum_kind == MPIFT_WIRE_CKSUM_XXH3 && (!s->hash || digest != c->digest)) {
        snprintf(why, whylen, "%s: checksum mismatch (xxh3 %016llx, expected %016llx)", s->display,
                 (unsigned long long)digest, (unsigned long long)c->digest);
        rc = MPIFT_ERR_CHECKSUM;
        goto fail;
    }
    /* Mode: the source's when preserving, else what a new file got when
     * it was created (0666 less the umask: see mpift_sink_open). */
    if (fchmod(s->fd, preserve ? m->mode & 07777 : s->new_mode) != 0)
        goto errno_fail;
    ts[0].tv_sec = ts[1].tv_sec = (time_t)m->mtime_sec;
    ts[0].tv_nsec = ts[1].tv_nsec = (long)m->mtime_nsec;
    if (futimens(s->fd, ts) != 0)
        goto errno_fail;
    if (do_fsync && fsync(s->fd) != 0)
        goto errno_fail;
    if (renameat(s->dirfd, s->tmp, s->dirfd, s->name) != 0)
        goto errno_fail;
    if (do_fsync)
        fsync(s->dirfd);
    sink_close(s);
    return MPIFT_OK;

errno_fail:
    snprintf(why, whylen, "%s: %s", s->display, strerror(errno));
fail:
    mpift_sink_abort(s);
    return rc;
}
