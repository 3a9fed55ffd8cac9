/*
 * unpack.c - an archive unpacked beside its folder and swapped in
 * (unpack.h for the contract; archive.h for the checks of each member).
 */
#include "mpift_autoconf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "fs/archive.h"
#include "fs/unpack.h"
#include "util/grow.h"
#include "util/log.h"
#include "util/tmpname.h"

/* Members (or data blocks) between two ticks. */
#define TICK_EVERY 256
/* The marker's name beside FOLDER: "." FOLDER MARKER_SUFFIX. */
#define MARKER_SUFFIX ".mpift-extract"
#define MARKER_MAX 512
/* Passes over a folder being removed (entries removed during a readdir
 * may hide others from it). */
#define RM_PASSES 3

/* A folder made, and the mode and mtime it gets at the end. */
struct dirrec {
    char *path;           /* below the temporary folder; "" is the folder */
    uint32_t mode;
    int64_t sec;
    uint32_t nsec;
    int timed;            /* the archive gave its mtime */
};

struct unpack {
    struct mpift_archive *x;
    int tfd;              /* the temporary folder */
    const char *display;
    char cached[PATH_MAX]; /* the last parent folder walked, and its fd (-1: none) */
    int cfd;
    struct dirrec *dirs;
    size_t ndirs, cap;
    uint32_t dirmode;     /* a folder the archive does not list: 0777 less the umask */
    void (*tick)(void *);
    void *arg;
    uint64_t ticks;
    struct mpift_unpack_id *id;
    char *why;
    size_t whylen;
};

/* This process's umask, without setting it (umask(2) would, for every
 * thread of a host embedding mpift): from /proc, else the usual 022. */
static uint32_t umask_now(void)
{
    char line[128];
    unsigned m = 022;
    FILE *f = fopen("/proc/self/status", "re");

    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "Umask: %o", &m) == 1)
            break;
    if (f)
        fclose(f);
    return m & 0777;
}

static void tick(struct unpack *u)
{
    if (u->tick && ++u->ticks % TICK_EVERY == 0)
        u->tick(u->arg);
}

static int fail(struct unpack *u, int rc, const char *member, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(struct unpack *u, int rc, const char *member, const char *fmt, ...)
{
    char cause[MPIFT_WHY_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(cause, sizeof(cause), fmt, ap);
    va_end(ap);
    mpift_format(u->why, u->whylen, "%s: member \"%.200s\": %s%s", u->display, member, cause,
                 rc == MPIFT_ERR_ESCAPE ? ": the archive is refused, nothing of it unpacked" : "");
    return rc;
}

/* Keep (or update) the mode and mtime folder `path` gets at the end. */
static int note_dir(struct unpack *u, const char *path, uint32_t mode, const struct mpift_member *m)
{
    struct dirrec *d = NULL;
    size_t i;

    for (i = u->ndirs; m && i-- > 0;)   /* a folder listed after its files: rare, look back */
        if (strcmp(u->dirs[i].path, path) == 0) {
            d = &u->dirs[i];
            break;
        }
    if (!d) {
        if (mpift_grow(&u->dirs, &u->cap, u->ndirs + 1, sizeof(*u->dirs), 64) != MPIFT_OK)
            return MPIFT_ERR_NOMEM;
        d = &u->dirs[u->ndirs];
        if (!(d->path = strdup(path)))
            return MPIFT_ERR_NOMEM;
        u->ndirs++;
    }
    d->mode = mode;
    d->timed = m != NULL;
    d->sec = m ? m->mtime_sec : 0;
    d->nsec = m ? m->mtime_nsec : 0;
    return MPIFT_OK;
}

/* Open the folder `path` (len bytes of it) below the temporary folder,
 * component by component, never following a link; with `create`, make
 * the missing ones (0700, their modes noted).  A new fd, or a negative
 * status with why. */
static int walk_dir(struct unpack *u, const char *path, size_t len, int create, const char *member)
{
    char comp[NAME_MAX + 1], sofar[PATH_MAX];
    size_t i = 0, n;
    int fd = dup(u->tfd), next, rc;

    while (fd >= 0 && i < len) {
        n = strcspn(path + i, "/");
        if (n > len - i)
            n = len - i;
        if (n > NAME_MAX) {
            close(fd);
            return fail(u, MPIFT_ERR_IO, member, "a name component too long");
        }
        memcpy(comp, path + i, n);
        comp[n] = '\0';
        next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0 && errno == ENOENT && create) {
            snprintf(sofar, sizeof(sofar), "%.*s", (int)(i + n), path);
            if (mkdirat(fd, comp, 0700) != 0 && errno != EEXIST) {
                rc = fail(u, MPIFT_ERR_IO, member, "cannot make folder %s: %s", sofar, strerror(errno));
                close(fd);
                return rc;
            }
            if ((rc = note_dir(u, sofar, u->dirmode, NULL)) != MPIFT_OK) {
                close(fd);
                return rc;
            }
            next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (next < 0) {
            int en = errno;
            close(fd);
            if (en == ELOOP || en == ENOTDIR)
                return fail(u, MPIFT_ERR_ESCAPE, member, "goes through \"%.*s\", which an earlier member made "
                            "a symbolic link or a file, not a folder", (int)(i + n), path);
            return fail(u, MPIFT_ERR_IO, member, "%.*s: %s", (int)(i + n), path, strerror(en));
        }
        close(fd);
        fd = next;
        i += n + 1;
    }
    if (fd < 0)
        return fail(u, MPIFT_ERR_IO, member, "%s", strerror(errno));
    return fd;
}

/* The folder of member `name`, made when missing (the last one is kept
 * open: an archive lists a folder's files together).  *base gets the
 * name's last component.  An fd the caller must not close, or a status. */
static int parent_of(struct unpack *u, const char *name, const char **base)
{
    const char *slash = strrchr(name, '/');
    size_t len = slash ? (size_t)(slash - name) : 0;
    int fd;

    *base = slash ? slash + 1 : name;
    if (u->cfd >= 0 && strlen(u->cached) == len && strncmp(u->cached, name, len) == 0)
        return u->cfd;
    if ((fd = walk_dir(u, name, len, 1, name)) < 0)
        return fd;
    if (u->cfd >= 0)
        close(u->cfd);
    u->cfd = fd;
    snprintf(u->cached, sizeof(u->cached), "%.*s", (int)len, name);
    return fd;
}

/* `base` in pfd is taken: an earlier member of the same name.  A later
 * member replaces it, as tar does, unless it is a folder. */
static int make_room(struct unpack *u, int pfd, const char *base, const char *member)
{
    struct stat st;

    if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
        return fail(u, MPIFT_ERR_ESCAPE, member, "a member in place of a folder an earlier member made");
    if (unlinkat(pfd, base, 0) != 0 && errno != ENOENT)
        return fail(u, MPIFT_ERR_IO, member, "cannot replace an earlier member: %s", strerror(errno));
    return MPIFT_OK;
}

static int put_file(struct unpack *u, const struct mpift_member *m)
{
    struct timespec ts[2] = {{m->mtime_sec, m->mtime_nsec}, {m->mtime_sec, m->mtime_nsec}};
    const char *base;
    const void *buf;
    size_t len;
    int64_t off;
    uint64_t end = 0;
    int pfd = parent_of(u, m->name, &base), fd, rc = MPIFT_OK, r;

    if (pfd < 0)
        return pfd;
    fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST && (rc = make_room(u, pfd, base, m->name)) == MPIFT_OK)
        fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return rc != MPIFT_OK ? rc : fail(u, MPIFT_ERR_IO, m->name, "cannot create: %s", strerror(errno));
    while ((r = mpift_archive_data(u->x, &buf, &len, &off, u->why, u->whylen)) == 1) {
        const char *p = buf;
        size_t done = 0;
        while (done < len) {
            ssize_t w = pwrite(fd, p + done, len - done, (off_t)off + (off_t)done);
            if (w < 0) {
                rc = fail(u, MPIFT_ERR_IO, m->name, "cannot write: %s", strerror(errno));
                goto out;
            }
            done += (size_t)w;
        }
        if ((uint64_t)off + len > end)
            end = (uint64_t)off + len;
        tick(u);
    }
    if (r < 0) {
        rc = r;
        goto out;
    }
    /* A sparse member's holes, at its end too. */
    if ((end < m->size && ftruncate(fd, (off_t)m->size) != 0) || fchmod(fd, m->mode & 0777) != 0 ||
        futimens(fd, ts) != 0)
        rc = fail(u, MPIFT_ERR_IO, m->name, "%s", strerror(errno));
    u->id->files++;
    u->id->bytes += end > m->size ? end : m->size;
out:
    if (close(fd) != 0 && rc == MPIFT_OK)
        rc = fail(u, MPIFT_ERR_IO, m->name, "cannot write: %s", strerror(errno));
    return rc;
}

static int put_dir(struct unpack *u, const struct mpift_member *m)
{
    const char *base;
    struct stat st;
    int pfd;

    if (!*m->name)
        return note_dir(u, "", m->mode & 01777, m);
    if ((pfd = parent_of(u, m->name, &base)) < 0)
        return pfd;
    if (mkdirat(pfd, base, 0700) != 0) {
        if (errno != EEXIST)
            return fail(u, MPIFT_ERR_IO, m->name, "cannot make the folder: %s", strerror(errno));
        if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode))
            return fail(u, MPIFT_ERR_ESCAPE, m->name, "a folder in place of a link or file an earlier member "
                        "made");
    }
    return note_dir(u, m->name, m->mode & 01777, m);
}

static int put_link(struct unpack *u, const struct mpift_member *m)
{
    struct timespec ts[2] = {{m->mtime_sec, m->mtime_nsec}, {m->mtime_sec, m->mtime_nsec}};
    const char *base, *tbase = NULL;
    struct stat st;
    int pfd = parent_of(u, m->name, &base), tfd = -1, rc = MPIFT_OK, r, made = 0;

    if (pfd < 0)
        return pfd;
    if (m->type == MPIFT_MEMBER_HARDLINK) {
        const char *slash = strrchr(m->target, '/');
        tbase = slash ? slash + 1 : m->target;
        if ((tfd = walk_dir(u, m->target, slash ? (size_t)(slash - m->target) : 0, 0, m->name)) < 0)
            return tfd;
        if (fstatat(tfd, tbase, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) {
            close(tfd);
            return fail(u, MPIFT_ERR_ESCAPE, m->name, "a hard link to \"%.200s\", which is no file of this "
                        "archive", m->target);
        }
    }
    for (r = 0; r < 2; r++) {
        made = tfd >= 0 ? linkat(tfd, tbase, pfd, base, 0) == 0 : symlinkat(m->target, pfd, base) == 0;
        if (made || errno != EEXIST || r > 0 || (rc = make_room(u, pfd, base, m->name)) != MPIFT_OK)
            break;
    }
    if (rc == MPIFT_OK && !made)
        rc = fail(u, MPIFT_ERR_IO, m->name, "cannot make the link: %s", strerror(errno));
    if (rc == MPIFT_OK && tfd >= 0)
        u->id->files++;
    else if (rc == MPIFT_OK)
        utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW);   /* best effort, as tar's */
    if (tfd >= 0)
        close(tfd);
    return rc;
}

/* Every folder its mode and mtime, deepest (latest made) first, so that
 * neither a read-only folder nor a later change undoes a parent's. */
static int finish_dirs(struct unpack *u)
{
    size_t i;

    for (i = u->ndirs; i-- > 0;) {
        struct dirrec *d = &u->dirs[i];
        struct timespec ts[2] = {{d->sec, d->nsec}, {d->sec, d->nsec}};
        int fd = walk_dir(u, d->path, strlen(d->path), 0, *d->path ? d->path : ".");
        if (fd < 0)
            return fd;
        if (fchmod(fd, d->mode) != 0 || (d->timed && futimens(fd, ts) != 0)) {
            close(fd);
            return fail(u, MPIFT_ERR_IO, *d->path ? d->path : ".", "%s", strerror(errno));
        }
        close(fd);
    }
    return MPIFT_OK;
}

/* Remove `name` in dirfd and everything below it, never following a
 * link; folders made writable first (a read-only folder of the archive).
 * Best effort: what cannot go stays. */
static void rm_tree(int at, const char *name, unsigned depth)
{
    struct dirent *de;
    DIR *d;
    int fd, pass;

    if (unlinkat(at, name, 0) == 0 || (errno != EISDIR && errno != EPERM))
        return;
    for (pass = 0; pass < RM_PASSES && depth <= MPIFT_ARCHIVE_DEPTH_MAX + 1; pass++) {
        fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            return;
        (void)fchmod(fd, 0700);
        if (!(d = fdopendir(fd))) {
            close(fd);
            return;
        }
        while ((de = readdir(d)) != NULL)
            if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                rm_tree(dirfd(d), de->d_name, depth + 1);
        closedir(d);
        if (unlinkat(at, name, AT_REMOVEDIR) == 0 || errno != ENOTEMPTY)
            return;
    }
}

/* ".FOLDER.mpift-extract" into buf; -1 when too long for a name. */
static int marker_name(const char *folder, char *buf, size_t len)
{
    int n = snprintf(buf, len, ".%s" MARKER_SUFFIX, folder);

    return n < 0 || (size_t)n >= len || n > NAME_MAX ? -1 : 0;
}

bool mpift_unpack_current(int dirfd, const char *folder, const struct mpift_unpack_id *id,
                          struct mpift_unpack_id *got)
{
    char name[NAME_MAX + 1], text[MARKER_MAX];
    unsigned long long size, files, bytes;
    long long sec;
    unsigned nsec;
    struct stat st;
    ssize_t n;
    int fd;

    if (marker_name(folder, name, sizeof(name)) != 0 || fstatat(dirfd, folder, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISDIR(st.st_mode))
        return false;
    if ((fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0)
        return false;
    n = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? read(fd, text, sizeof(text) - 1) : -1;
    close(fd);
    if (n <= 0)
        return false;
    text[n] = '\0';
    if (sscanf(text, "mpift-extract 1\nsize %llu\nmtime %lld.%u\nfiles %llu\nbytes %llu\n", &size, &sec, &nsec,
               &files, &bytes) != 5 || size != id->size || sec != id->mtime_sec || nsec != id->mtime_nsec)
        return false;
    got->files = files;
    got->bytes = bytes;
    return true;
}

/* The marker for id, written whole under a temporary name and renamed. */
static int write_marker(int dirfd, const char *folder, const struct mpift_unpack_id *id)
{
    char name[NAME_MAX + 1], tmp[NAME_MAX + 16], text[MARKER_MAX];
    int fd, n, rc = -1;

    if (marker_name(folder, name, sizeof(name)) != 0)
        return -1;
    snprintf(tmp, sizeof(tmp), "%s.w.tmp", name);   /* *.mpift-*.tmp: swept, never staged */
    n = snprintf(text, sizeof(text), "mpift-extract 1\nsize %" PRIu64 "\nmtime %" PRId64 ".%09" PRIu32
                 "\nfiles %" PRIu64 "\nbytes %" PRIu64 "\n", id->size, id->mtime_sec, id->mtime_nsec, id->files,
                 id->bytes);
    unlinkat(dirfd, tmp, 0);
    fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    if (write(fd, text, (size_t)n) == n && close(fd) == 0)
        rc = renameat(dirfd, tmp, dirfd, name);
    else
        close(fd);
    if (rc != 0)
        unlinkat(dirfd, tmp, 0);
    return rc;
}

/* The new tree `tmp` in place of `folder`: *old gets where the old one
 * went ("" when there was none).  0, or -1 with errno. */
static int swap_in(int dirfd, const char *tmp, const char *folder, char *old, size_t oldlen)
{
    old[0] = '\0';
    if (renameat2(dirfd, tmp, dirfd, folder, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno == EEXIST && renameat2(dirfd, tmp, dirfd, folder, RENAME_EXCHANGE) == 0) {
        snprintf(old, oldlen, "%s", tmp);
        return 0;
    }
    if (errno != EINVAL && errno != ENOSYS && errno != EEXIST)
        return -1;
    /* A file system without RENAME_NOREPLACE or _EXCHANGE: the old one aside,
     * the new one in (a moment without the folder). */
    snprintf(old, oldlen, "%s.old.tmp", tmp);
    if (renameat(dirfd, folder, dirfd, old) != 0) {
        if (errno != ENOENT)
            return -1;
        old[0] = '\0';
    }
    if (renameat(dirfd, tmp, dirfd, folder) == 0)
        return 0;
    if (old[0])
        renameat(dirfd, old, dirfd, folder);
    return -1;
}

/* A dead run's temporary folders of `folder` (".FOLDER.mpift-*.tmp": a
 * tree half unpacked, an old one not yet removed, a marker half written)
 * removed.  Only for a run that holds its root's lock: no other run
 * writes there, so every such name is a dead one's. */
static void sweep(int dirfd, const char *folder)
{
    char prefix[NAME_MAX + 16];
    size_t pl, sl = strlen(MPIFT_TMP_SUFFIX), n;
    struct dirent *de;
    DIR *d;
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    pl = (size_t)snprintf(prefix, sizeof(prefix), ".%s" MPIFT_TMP_MARK, folder);
    if (fd < 0 || pl >= sizeof(prefix) || !(d = fdopendir(fd))) {
        if (fd >= 0)
            close(fd);
        return;
    }
    while ((de = readdir(d)) != NULL) {
        n = strlen(de->d_name);
        if (n > pl + sl && strncmp(de->d_name, prefix, pl) == 0 && strcmp(de->d_name + n - sl, MPIFT_TMP_SUFFIX) == 0)
            rm_tree(dirfd, de->d_name, 0);
    }
    closedir(d);
}

/* Every member of the archive into the temporary folder. */
static int unpack_all(struct unpack *u)
{
    struct mpift_member m;
    int r, rc = MPIFT_OK;

    while (rc == MPIFT_OK && (r = mpift_archive_next(u->x, &m, u->why, u->whylen)) != 0) {
        if (r < 0)
            return r;
        tick(u);
        switch (m.type) {
        case MPIFT_MEMBER_FILE: rc = put_file(u, &m); break;
        case MPIFT_MEMBER_DIR: rc = put_dir(u, &m); break;
        default: rc = put_link(u, &m); break;
        }
    }
    return rc == MPIFT_OK ? finish_dirs(u) : rc;
}

int mpift_unpack(int dirfd, const char *archive, const char *folder, const char *display, bool swept,
                 struct mpift_unpack_id *id, void (*tickfn)(void *), void *arg, char *why, size_t whylen)
{
    struct unpack u = {.tfd = -1, .cfd = -1, .display = display, .tick = tickfn, .arg = arg, .id = id,
                       .why = why, .whylen = whylen};
    char tmp[NAME_MAX + 1], old[NAME_MAX + 16], marker[NAME_MAX + 1];
    uint64_t r = 0;
    int afd = -1, made = 0, rc;
    size_t i;

    id->files = id->bytes = 0;
    u.dirmode = 0777 & ~umask_now();
    if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
        r = (uint64_t)getpid() << 20 ^ (uint64_t)time(NULL);
    if ((size_t)snprintf(tmp, sizeof(tmp), ".%.200s" MPIFT_TMP_MARK "%016" PRIx64 MPIFT_TMP_SUFFIX, folder, r) >=
            sizeof(tmp) ||
        marker_name(folder, marker, sizeof(marker)) != 0) {
        mpift_format(why, whylen, "%s: folder name %s too long for its marker", display, folder);
        return MPIFT_ERR_RANGE;
    }
    if (swept)
        sweep(dirfd, folder);
    afd = openat(dirfd, archive, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (afd < 0) {
        mpift_format(why, whylen, "%s: %s", display, strerror(errno));
        return MPIFT_ERR_IO;
    }
    rc = mpift_archive_open(&u.x, afd, display, why, whylen);
    if (rc == MPIFT_OK && mkdirat(dirfd, tmp, 0700) != 0)
        rc = fail(&u, MPIFT_ERR_IO, ".", "cannot make the temporary folder %s: %s", tmp, strerror(errno));
    made = rc == MPIFT_OK;
    if (rc == MPIFT_OK && (u.tfd = openat(dirfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        rc = fail(&u, MPIFT_ERR_IO, ".", "%s: %s", tmp, strerror(errno));
    if (rc == MPIFT_OK && (rc = note_dir(&u, "", u.dirmode, NULL)) == MPIFT_OK)
        rc = unpack_all(&u);
    if (u.cfd >= 0)
        close(u.cfd);
    if (u.tfd >= 0)
        close(u.tfd);
    mpift_archive_close(u.x);
    close(afd);
    /* The marker goes first: stopped between here and its return, the
     * next run finds none and unpacks again. */
    if (rc == MPIFT_OK && unlinkat(dirfd, marker, 0) != 0 && errno != ENOENT)
        rc = fail(&u, MPIFT_ERR_IO, ".", "cannot remove the marker %s: %s", marker, strerror(errno));
    if (rc == MPIFT_OK && swap_in(dirfd, tmp, folder, old, sizeof(old)) != 0)
        rc = fail(&u, MPIFT_ERR_IO, ".", "cannot rename %s into place as %s: %s", tmp, folder, strerror(errno));
    if (rc == MPIFT_OK) {
        made = 0;
        if (write_marker(dirfd, folder, id) != 0)
            mpift_log_warn("%s: unpacked into %s, but its marker %s could not be written: the next run unpacks "
                           "it again", display, folder, marker);
        if (old[0])
            rm_tree(dirfd, old, 0);
    }
    if (made)
        rm_tree(dirfd, tmp, 0);
    for (i = 0; i < u.ndirs; i++)
        free(u.dirs[i].path);
    free(u.dirs);
    return rc;
}
