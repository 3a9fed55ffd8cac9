/* roots.c - one run per tree: a root's flock and the node's registry of
 * roots in use (see roots.h). */
#include "mpift_autoconf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "fs/fsafe.h"
#include "fs/outfile.h"
#include "fs/roots.h"
#include "fs/walk.h"
#include "util/grow.h"

/* An entry: its first line, then one "DEV INO" line per folder from the
 * root up to "/", then "root " and the root's path to the end. */
#define ENTRY_MAGIC "mpift-root 1"
#define ENTRY_SUFFIX ".root"
/* An entry is at most this long (a root of PATH_MAX bytes has at most
 * PATH_MAX / 2 folders above it, each a line of at most 42 bytes). */
#define ENTRY_MAX ((size_t)PATH_MAX * 24)

struct id {
    uint64_t dev, ino;
};

struct chain {
    struct id *v;   /* v[0]: the root; then each folder above it, "/" last */
    size_t n;
};

/* The user's runtime folder /run/user/UID (what XDG_RUNTIME_DIR names
 * under systemd): there when it is the user's own, mode 0700, so no
 * other user can make a name in it first.  Taken by its fixed path, not
 * from the environment: two runs of one user must find one registry
 * whatever each was started with. */
static int runtime_dir(char *dir, size_t dlen)
{
    struct stat st;
    char d[64];

    snprintf(d, sizeof(d), "/run/user/%lu", (unsigned long)geteuid());
    if (lstat(d, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077))
        return 0;
    snprintf(dir, dlen, "%s/mpift", d);
    return 1;
}

/* The registry's folder, opened (walk.h): one per user and node, the
 * user's own, where no other user can make its name first: the user's
 * runtime folder, else root's /run/mpift, else /tmp/mpift-roots-UID (a
 * read-only /run in some containers; a user without a runtime folder).
 * In /tmp another user may have made that name first: the caller then
 * does without.  A fd, or a status with why. */
static int registry_open(char *dir, size_t dlen, char *why, size_t len)
{
    struct stat st;
    int fd = MPIFT_ERR_NOENT;

    if (runtime_dir(dir, dlen)) {
        fd = mpift_walk_open(dir, MPIFT_WALK_CREATE, 0700, NULL, why, len);
        if (fd >= 0)
            return fd;
    }
    if (geteuid() == 0 && stat("/run", &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(dir, dlen, "/run/mpift");
        fd = mpift_walk_open(dir, MPIFT_WALK_CREATE, 0700, NULL, why, len);
        if (fd >= 0 || fd == MPIFT_ERR_ESCAPE)
            return fd;
    }
    snprintf(dir, dlen, "/tmp/mpift-roots-%lu", (unsigned long)geteuid());
    return mpift_walk_open(dir, MPIFT_WALK_CREATE, 0700, NULL, why, len);
}

/* The root's folder and every folder above it, by "..".  0 or -1. */
static int chain_of(int rootfd, struct chain *c)
{
    struct stat st, upst;
    size_t cap = 0;
    int fd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), up;

    c->v = NULL;
    c->n = 0;
    while (fd >= 0 && fstat(fd, &st) == 0) {
        if (mpift_grow(&c->v, &cap, c->n + 1, sizeof(*c->v), 32) != MPIFT_OK)
            break;
        c->v[c->n++] = (struct id){ (uint64_t)st.st_dev, (uint64_t)st.st_ino };
        up = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (up < 0 || fstat(up, &upst) != 0 || (upst.st_dev == st.st_dev && upst.st_ino == st.st_ino)) {
            if (up >= 0)
                close(up);
            close(fd);
            return 0;   /* "/" */
        }
        close(fd);
        fd = up;
    }
    if (fd >= 0)
        close(fd);
    return -1;
}

static int has(const struct chain *c, size_t from, struct id id)
{
    size_t i;

    for (i = from; i < c->n; i++)
        if (c->v[i].dev == id.dev && c->v[i].ino == id.ino)
            return 1;
    return 0;
}

/* Write my entry into fd.  0 or -1. */
static int write_entry(int fd, const struct chain *c, const char *root)
{
    FILE *f = fdopen(dup(fd), "w");
    size_t i;
    int bad;

    if (!f)
        return -1;
    fprintf(f, ENTRY_MAGIC "\n");
    for (i = 0; i < c->n; i++)
        fprintf(f, "%" PRIu64 " %" PRIu64 "\n", c->v[i].dev, c->v[i].ino);
    fprintf(f, "root %s", root);
    bad = fflush(f) != 0 || ferror(f);
    return fclose(f) != 0 || bad ? -1 : 0;
}

/* Read the entry at fd: its folders into c, its root's path into root.
 * 0, or -1 when it is not an entry (one being written: skipped). */
static int read_entry(int fd, struct chain *c, char *root, size_t rlen)
{
    char *buf = malloc(ENTRY_MAX + 1), *p, *nl;
    ssize_t got;
    size_t n = 0, cap = 0;
    unsigned long long dev, ino;
    int rc = -1;

    c->v = NULL;
    c->n = 0;
    if (!buf)
        return -1;
    while (n < ENTRY_MAX && (got = pread(fd, buf + n, ENTRY_MAX - n, (off_t)n)) > 0)
        n += (size_t)got;
    buf[n] = '\0';
    if (strncmp(buf, ENTRY_MAGIC "\n", sizeof(ENTRY_MAGIC)) != 0)
        goto out;
    for (p = buf + sizeof(ENTRY_MAGIC); (nl = strchr(p, '\n')) && sscanf(p, "%llu %llu", &dev, &ino) == 2;
         p = nl + 1) {
        if (mpift_grow(&c->v, &cap, c->n + 1, sizeof(*c->v), 32) != MPIFT_OK)
            goto out;
        c->v[c->n++] = (struct id){ dev, ino };
    }
    if (c->n && strncmp(p, "root ", 5) == 0) {
        snprintf(root, rlen, "%s", p + 5);
        rc = 0;
    }
out:
    free(buf);
    if (rc != 0) {
        free(c->v);
        c->v = NULL;
        c->n = 0;
    }
    return rc;
}

/* Look at every other live entry; sweep dead ones.  0, or 1 with why
 * naming the first root in the way. */
static int scan(struct mpift_root_hold *h, const struct chain *mine, const char *root, char *why, size_t len)
{
    char other[PATH_MAX];
    struct chain oc;
    struct dirent *e;
    struct stat st;
    size_t nl;
    int dfd = openat(h->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd, busy = 0;
    DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;

    if (!d) {
        if (dfd >= 0)
            close(dfd);
        return 0;
    }
    while (!busy && (e = readdir(d)) != NULL) {
        nl = strlen(e->d_name);
        if (nl <= sizeof(ENTRY_SUFFIX) - 1 || strcmp(e->d_name + nl - (sizeof(ENTRY_SUFFIX) - 1), ENTRY_SUFFIX) ||
            strcmp(e->d_name, h->name) == 0)
            continue;
        fd = openat(h->dirfd, e->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
            continue;
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            close(fd);
            continue;
        }
        if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
            unlinkat(h->dirfd, e->d_name, 0);   /* no run holds it: a dead run's */
            close(fd);
            continue;
        }
        if (read_entry(fd, &oc, other, sizeof(other)) == 0) {
            busy = 1;
            if (mine->v[0].dev == oc.v[0].dev && mine->v[0].ino == oc.v[0].ino)
                snprintf(why, len, "another mpift run is writing into %s", other);
            else if (has(mine, 1, oc.v[0]))
                snprintf(why, len, "another mpift run is writing into %s, which holds %s", other, root);
            else if (has(&oc, 1, mine->v[0]))
                snprintf(why, len, "another mpift run is writing into %s, inside %s", other, root);
            else
                busy = 0;
            free(oc.v);
        }
        close(fd);
    }
    closedir(d);
    return busy;
}

/* Enter rootfd in the registry (h->fd, h->name), then scan it. */
static int enter(int rootfd, const char *root, struct mpift_root_hold *h, char *why, size_t len)
{
    char dir[80], cause[512], tmp[64];
    struct chain mine;
    int rc = MPIFT_HOLD_ERROR, en;

    if (chain_of(rootfd, &mine) != 0) {
        snprintf(why, len, "cannot list the folders above %s: %s", root, strerror(errno));
        return MPIFT_HOLD_ERROR;
    }
    h->dirfd = registry_open(dir, sizeof(dir), cause, sizeof(cause));
    if (h->dirfd < 0) {
        snprintf(why, len, "the registry of roots in use %s: %s", dir, cause);
        rc = MPIFT_HOLD_NOREG;
        goto out;
    }
    /* Written under a name no reader takes, locked, then renamed into
     * place: an entry a reader finds is always locked by a live run. */
    h->fd = mpift_create_excl(h->dirfd, ".new-", "", 0600, tmp, sizeof(tmp));
    if (h->fd < 0 || flock(h->fd, LOCK_EX | LOCK_NB) != 0 || write_entry(h->fd, &mine, root) != 0 ||
        snprintf(h->name, sizeof(h->name), "%s" ENTRY_SUFFIX, tmp + 5) <= 0 ||
        renameat(h->dirfd, tmp, h->dirfd, h->name) != 0) {
        en = errno;
        if (h->fd >= 0) {
            unlinkat(h->dirfd, tmp, 0);
            close(h->fd);
        }
        close(h->dirfd);
        snprintf(why, len, "the registry of roots in use %s: cannot enter %s: %s", dir, root, strerror(en));
        rc = MPIFT_HOLD_NOREG;
        goto out;
    }
    h->on = 1;
    rc = scan(h, &mine, root, why, len) ? MPIFT_HOLD_BUSY : MPIFT_HOLD_OK;
    if (rc == MPIFT_HOLD_BUSY)
        mpift_root_release(h);
out:
    free(mine.v);
    return rc;
}

int mpift_root_hold(int rootfd, const char *root, struct mpift_root_hold *h, char *why, size_t len)
{
    int lock = mpift_root_lock(rootfd), rc;

    memset(h, 0, sizeof(*h));
    if (lock == 1) {
        snprintf(why, len, "another mpift run is writing into %s", root);
        return MPIFT_HOLD_BUSY;
    }
    rc = enter(rootfd, root, h, why, len);
    return rc == MPIFT_HOLD_OK && lock != 0 ? MPIFT_HOLD_NOLOCK : rc;
}

void mpift_root_release(struct mpift_root_hold *h)
{
    if (!h->on)
        return;
    unlinkat(h->dirfd, h->name, 0);   /* while still locked: no reader takes it for a dead run's */
    close(h->fd);
    close(h->dirfd);
    memset(h, 0, sizeof(*h));
}
