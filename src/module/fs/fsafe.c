/*
 * fsafe.c - keep every read below paths.source and every write below the
 * destination root.
 *
 * Two layers: lexical checks refuse what is wrong on its face (absolute
 * paths, ".." and friends) with a message naming the cause, and the
 * descriptor walk (mpift_dir_open) makes the check hold at run time too:
 * each component is opened with O_NOFOLLOW relative to its parent, so a
 * symlink planted between the check and the write cannot redirect it.
 */
#include "mpift_autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "fs/fsafe.h"
#include "fs/walk.h"

/* The block size assumed where statvfs cannot tell: the common one. */
#define BLOCK_GUESS 4096

/* mpift_path_too_long shows a path of more than TOO_LONG_SHOWN bytes as
 * its first TOO_LONG_HEAD bytes, "..." and its last TOO_LONG_TAIL. */
#define TOO_LONG_SHOWN 400
#define TOO_LONG_HEAD 150
#define TOO_LONG_TAIL 200

/* The component of a relative path at p, after any slashes: its start,
 * with its length in *n (0 at the end of the path). */
static const char *next_component(const char *p, size_t *n)
{
    while (*p == '/')
        p++;
    *n = strcspn(p, "/");
    return p;
}

int mpift_path_check_rel(const char *rel, char *why, size_t whylen)
{
    const char *p, *c;
    size_t n;

    if (strlen(rel) >= PATH_MAX) {
        snprintf(why, whylen, "path is longer than %d bytes", PATH_MAX - 1);
        return MPIFT_ERR_ESCAPE;
    }
    if (rel[0] == '/') {
        snprintf(why, whylen, "absolute path \"%s\" not allowed: paths here are relative to their root", rel);
        return MPIFT_ERR_ESCAPE;
    }
    for (c = rel; *c; c++) {
        if ((unsigned char)*c < 0x20 || *c == 0x7f) {
            snprintf(why, whylen, "path contains a control character (0x%02x)", (unsigned char)*c);
            return MPIFT_ERR_ESCAPE;
        }
    }
    for (p = next_component(rel, &n); n > 0; p = next_component(p + n, &n)) {
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            snprintf(why, whylen, "\"..\" in \"%s\" would leave its root", rel);
            return MPIFT_ERR_ESCAPE;
        }
        /* "." is harmless but a leading "./" is the only place it makes sense. */
        if (n == 1 && p[0] == '.' && p != rel) {
            snprintf(why, whylen, "\".\" component in \"%s\"", rel);
            return MPIFT_ERR_ESCAPE;
        }
    }
    return MPIFT_OK;
}

int mpift_path_normalize(const char *rel, char *out, size_t outlen)
{
    const char *p = rel;
    size_t pos = 0, n;

    if (mpift_path_check_rel(rel, NULL, 0) != MPIFT_OK)
        return MPIFT_ERR_ESCAPE;
    if (outlen == 0)
        return MPIFT_ERR_RANGE;
    if (p[0] == '.' && (p[1] == '/' || p[1] == '\0'))
        p++;
    for (p = next_component(p, &n); n > 0; p = next_component(p + n, &n)) {
        if (pos + (pos > 0) + n >= outlen)
            return MPIFT_ERR_RANGE;
        if (pos > 0)
            out[pos++] = '/';
        memcpy(out + pos, p, n);
        pos += n;
    }
    out[pos] = '\0';
    return MPIFT_OK;
}

int mpift_path_join(const char *a, const char *b, char *out, size_t outlen)
{
    size_t la = strlen(a);
    int n;

    while (la > 1 && a[la - 1] == '/')
        la--;
    while (*b == '/' && la > 0)
        b++;
    if (la == 0)
        n = snprintf(out, outlen, "%s", b);
    else if (*b == '\0')
        n = snprintf(out, outlen, "%.*s", (int)la, a);
    else if (la == 1 && a[0] == '/')
        n = snprintf(out, outlen, "/%s", b);
    else
        n = snprintf(out, outlen, "%.*s/%s", (int)la, a, b);
    return n < 0 || (size_t)n >= outlen ? MPIFT_ERR_RANGE : MPIFT_OK;
}

bool mpift_path_within(const char *root, const char *p)
{
    size_t n = strlen(root);

    while (n > 1 && root[n - 1] == '/')
        n--;
    if (n == 1 && root[0] == '/')
        return p[0] == '/';
    return strncmp(root, p, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

int mpift_path_resolve(const char *root, const char *label, const char *path, char *real, char *why,
                       size_t whylen)
{
    int en;

    if (!realpath(path, real)) {
        en = errno;
        snprintf(why, whylen, "%s: %s", path, strerror(en));
        errno = en;
        return en == ENOENT ? MPIFT_ERR_NOENT : MPIFT_ERR_IO;
    }
    if (!mpift_path_within(root, real)) {
        snprintf(why, whylen, "%s: resolves to %s, outside %s%s%s: refused", path, real, label ? label : "",
                 label ? " " : "", root);
        return MPIFT_ERR_ESCAPE;
    }
    return MPIFT_OK;
}

int mpift_root_open(const char *root, char *why, size_t whylen)
{
    /* Walked from "/" and checked (walk.h): the root's path is the
     * administrator's or the user's choice, so links in it (a /scratch ->
     * /local/scratch) are followed, but only where no other user could
     * have planted them; what lies below it is walked without following. */
    return mpift_walk_open(root, MPIFT_WALK_CREATE, 0755, NULL, why, whylen);
}

/* Open folder `comp` of fd, never following a link.  An fd, or
 * MPIFT_ERR_ESCAPE (it is a symbolic link), _NOENT or _IO with errno kept. */
static int open_sub(int fd, const char *comp)
{
    struct stat st;
    int next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), en;

    if (next >= 0)
        return next;
    en = errno;
    next = fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode) ? MPIFT_ERR_ESCAPE
         : en == ENOENT ? MPIFT_ERR_NOENT : MPIFT_ERR_IO;
    errno = en;
    return next;
}

int mpift_dir_open(int rootfd, const char *rel, bool create, char *why, size_t whylen)
{
    char comp[NAME_MAX + 1];
    const char *p;
    int fd, next, saved, rc;
    size_t n;

    rc = mpift_path_check_rel(rel, why, whylen);
    if (rc != MPIFT_OK) {
        errno = EINVAL;
        return rc;
    }
    fd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        saved = errno;
        snprintf(why, whylen, "cannot open root folder: %s", strerror(saved));
        errno = saved;
        return MPIFT_ERR_IO;
    }
    for (p = next_component(rel, &n); n > 0; p = next_component(p + n, &n)) {
        if (n > NAME_MAX) {
            snprintf(why, whylen, "a name in \"%s\" is longer than %d bytes", rel, NAME_MAX);
            close(fd);
            errno = ENAMETOOLONG;
            return MPIFT_ERR_IO;
        }
        memcpy(comp, p, n);
        comp[n] = '\0';
        if (n == 1 && comp[0] == '.')
            continue;
        if (create && mkdirat(fd, comp, 0755) != 0 && errno != EEXIST) {
            saved = errno;
            snprintf(why, whylen, "cannot create folder \"%s\": %s", comp, strerror(saved));
            close(fd);
            errno = saved;
            return MPIFT_ERR_IO;
        }
        next = open_sub(fd, comp);
        if (next < 0) {
            saved = errno;
            if (next == MPIFT_ERR_ESCAPE)
                snprintf(why, whylen, "\"%s\" is a symbolic link: refusing to follow it out of the destination",
                         comp);
            else if (next == MPIFT_ERR_NOENT)
                snprintf(why, whylen, "folder \"%s\" does not exist", comp);
            else
                snprintf(why, whylen, "cannot open folder \"%s\": %s", comp, strerror(saved));
            close(fd);
            errno = saved;
            return next;
        }
        close(fd);
        fd = next;
    }
    return fd;
}

int mpift_split_parent(const char *rel, char *parent, size_t plen, char *name, size_t nlen)
{
    char norm[PATH_MAX];
    const char *slash;
    size_t pl;
    int rc;

    rc = mpift_path_normalize(rel, norm, sizeof(norm));
    if (rc != MPIFT_OK)
        return rc;
    if (norm[0] == '\0')
        return MPIFT_ERR_ESCAPE;  /* the root has no parent within the root */
    slash = strrchr(norm, '/');
    pl = slash ? (size_t)(slash - norm) : 0;
    if (pl >= plen || strlen(slash ? slash + 1 : norm) >= nlen)
        return MPIFT_ERR_RANGE;
    memcpy(parent, norm, pl);
    parent[pl] = '\0';
    snprintf(name, nlen, "%s", slash ? slash + 1 : norm);
    return MPIFT_OK;
}

uint64_t mpift_fs_block(int dirfd)
{
    struct statvfs vfs;

    return fstatvfs(dirfd, &vfs) == 0 && vfs.f_frsize ? (uint64_t)vfs.f_frsize : BLOCK_GUESS;
}

uint64_t mpift_fs_inodes(int dirfd)
{
    struct statvfs vfs;

    /* f_files 0: a file system without an inode limit (btrfs, many FUSE
     * ones) says nothing of them. */
    if (fstatvfs(dirfd, &vfs) != 0 || vfs.f_files == 0)
        return UINT64_MAX;
    return (uint64_t)vfs.f_favail;
}

int mpift_fs_room(int dirfd, const char *root, uint64_t need, uint64_t inodes, const char *verb,
                  const char *setting, char *why, size_t whylen)
{
    struct statvfs vfs;
    uint64_t avail;

    if (fstatvfs(dirfd, &vfs) == 0) {
        avail = (uint64_t)vfs.f_bavail * (vfs.f_frsize ? vfs.f_frsize : BLOCK_GUESS);
        if (need > avail) {
            snprintf(why, whylen, "needs %.1f MB for %s but its file system has %.1f MB free: nothing was %s; free "
                     "space there or point %s elsewhere", (double)need / 1e6, root, (double)avail / 1e6, verb,
                     setting);
            return -1;
        }
    }
    if (inodes > mpift_fs_inodes(dirfd)) {
        snprintf(why, whylen, "needs %llu inodes (files and folders) for %s but its file system has %llu free: nothing "
                 "was %s; remove files there or point %s elsewhere", (unsigned long long)inodes, root,
                 (unsigned long long)mpift_fs_inodes(dirfd), verb, setting);
        return -1;
    }
    if (faccessat(dirfd, ".", W_OK | X_OK, AT_EACCESS) != 0) {
        snprintf(why, whylen, "cannot write under %s: %s: nothing was %s; fix its permissions or point %s elsewhere",
                 root, strerror(errno), verb, setting);
        return -1;
    }
    return 0;
}

int mpift_root_lock(int rootfd)
{
    if (flock(rootfd, LOCK_EX | LOCK_NB) == 0)
        return 0;
    return errno == EWOULDBLOCK ? 1 : -1;
}

int mpift_dir_nearest(int rootfd, const char *rel, size_t *have, unsigned *missing)
{
    char comp[NAME_MAX + 1];
    const char *p;
    size_t n;
    int fd, next, en;

    *have = 0;
    *missing = 0;
    fd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return MPIFT_ERR_IO;
    for (p = next_component(rel, &n); n > 0 && !*missing; p = next_component(p + n, &n)) {
        snprintf(comp, sizeof(comp), "%.*s", (int)n, p);
        next = n > NAME_MAX ? (errno = ENAMETOOLONG, MPIFT_ERR_IO) : open_sub(fd, comp);
        if (next == MPIFT_ERR_NOENT) {
            *missing = 1;
            break;
        }
        if (next < 0) {
            en = errno;
            close(fd);
            errno = en;
            return next;
        }
        close(fd);
        fd = next;
        *have = (size_t)(p + n - rel);
    }
    /* Each component below the first missing one is missing too. */
    for (p = next_component(p + n, &n); *missing && n > 0; p = next_component(p + n, &n))
        ++*missing;
    return fd;
}

void mpift_path_too_long(char *buf, size_t len, const char *dir, const char *name)
{
    size_t dl = strlen(dir), nl = name ? strlen(name) + 1 : 0, n = dl + nl;
    char tail[TOO_LONG_TAIL + 1];

    /* The last TOO_LONG_TAIL bytes of DIR/NAME, without building it whole. */
    if (nl >= TOO_LONG_TAIL) {
        snprintf(tail, sizeof(tail), "%s", name + (nl - TOO_LONG_TAIL));
    } else {
        size_t from_dir = TOO_LONG_TAIL - nl < dl ? TOO_LONG_TAIL - nl : dl;
        snprintf(tail, sizeof(tail), "%s%s%s", dir + dl - from_dir, name ? "/" : "", name ? name : "");
    }
    if (n > TOO_LONG_SHOWN)
        snprintf(buf, len, "%.*s...%s: path too long (%zu bytes; the limit is %d)", TOO_LONG_HEAD, dir, tail, n,
                 PATH_MAX - 1);
    else
        snprintf(buf, len, "%s%s%s: path too long (%zu bytes; the limit is %d)", dir, name ? "/" : "",
                 name ? name : "", n, PATH_MAX - 1);
}
