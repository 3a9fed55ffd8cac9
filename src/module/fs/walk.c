/* walk.c - open a folder by a path no other user can bend (see walk.h). */
#include "mpift_autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "fs/walk.h"

/* Links followed in one walk before giving up, as the kernel does. */
#define LINKS_MAX 40

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

/* step's answer when comp was a link: its target now starts the rest of
 * the path, to be walked from there. */
#define FOLLOWED 1

struct walk {
    int fd;                 /* the folder reached so far */
    char real[PATH_MAX];    /* its path, links resolved ("" for "/") */
    size_t rlen;
    int loose;              /* someone but the user and root may create names
                             * in it (a sticky folder, a trusted group's, another
                             * user's): the next component and any link in it
                             * must be the user's or root's */
    int open;               /* writable by users this run does not trust
                             * (sticky, or it would have been refused) */
    unsigned flags;         /* MPIFT_WALK_* */
    struct stat st;         /* the folder reached so far */
    uid_t euid;
    char *why;
    size_t len;
};

/* "alice (uid 1001)", or "uid 1001" for a user without a name. */
static void who(uid_t uid, char *buf, size_t len)
{
    char pwbuf[1024];
    struct passwd pw, *res = NULL;

    if (getpwuid_r(uid, &pw, pwbuf, sizeof(pwbuf), &res) == 0 && res)
        snprintf(buf, len, "%s (uid %lu)", res->pw_name, (unsigned long)uid);
    else
        snprintf(buf, len, "uid %lu", (unsigned long)uid);
}

/* The name of group gid, or its number. */
static void group_name(gid_t gid, char *buf, size_t len)
{
    char grbuf[4096];
    struct group gr, *res = NULL;

    if (getgrgid_r(gid, &gr, grbuf, sizeof(grbuf), &res) == 0 && res)
        snprintf(buf, len, "%s", res->gr_name);
    else
        snprintf(buf, len, "%lu", (unsigned long)gid);
}

/* Does this run trust the members of group gid?  A run as root trusts no
 * group but root's; any other run trusts its own groups: those are the
 * colleagues a shared project folder is shared with. */
static int trusts_group(const struct walk *w, gid_t gid)
{
    gid_t *v;
    int n, i, yes = 0;

    if (w->euid == 0)
        return gid == 0;
    if (gid == getegid())
        return 1;
    n = getgroups(0, NULL);
    if (n <= 0 || !(v = malloc((size_t)n * sizeof(*v))))
        return 0;
    n = getgroups(n, v);
    for (i = 0; i < n && !yes; i++)
        yes = v[i] == gid;
    free(v);
    return yes;
}

static const char *shown(const struct walk *w)
{
    return w->rlen ? w->real : "/";
}

/* Where the folder a name lies in lets others create names: the clause
 * the refusals end their first sentence with. */
static const char *loose_kind(mode_t parent_mode)
{
    return parent_mode & S_IWOTH ? "a folder where every user may create names"
                                 : "a folder other users may write in (its group or its owner)";
}

/* Judge the folder just reached (w->st, named w->real); parent_loose: the
 * folder it lies in lets others create names (its mode: pmode); last: it
 * is the end of the path.  0, or MPIFT_ERR_ESCAPE with the reason in
 * w->why. */
static int judge(struct walk *w, int parent_loose, mode_t pmode, int last)
{
    const struct stat *st = &w->st;
    int grp = trusts_group(w, st->st_gid), others, theirs;
    char name[128], gname[128];
    uid_t u = st->st_uid;

    theirs = u != 0 && u != w->euid;
    /* In a folder others may create names in, what comes next must be the
     * user's or root's: anyone else's may have been made there to redirect
     * the run.  Elsewhere another user's folder is trusted only by a run
     * that is not root's sharing its group, or as the root that is read
     * (a colleague's data: nothing below it is followed out of it). */
    if (theirs && (parent_loose || ((w->euid == 0 || !grp) && !(last && (w->flags & MPIFT_WALK_READ))))) {
        who(u, name, sizeof(name));
        if (parent_loose)
            snprintf(w->why, w->len, "%s is owned by %s in %s: another user made it, and could redirect what "
                     "is below it", shown(w), name, loose_kind(pmode));
        else
            snprintf(w->why, w->len, "%s is owned by %s, not by you or root: its owner could redirect what is "
                     "below it", shown(w), name);
        return MPIFT_ERR_ESCAPE;
    }
    others = (st->st_mode & S_IWOTH) || ((st->st_mode & S_IWGRP) && !grp);
    w->open = others;
    /* A trusted group may write here, not redirect: the sticky rule holds
     * for it (and for the owner of a colleague's folder) as for others. */
    w->loose = others || ((st->st_mode & S_IWGRP) && st->st_gid != 0) || theirs;
    if (!others || (st->st_mode & S_ISVTX))
        return 0;
    if (st->st_mode & S_IWOTH) {
        snprintf(w->why, w->len, "%s is writable by every user (mode %04o) and has no sticky bit: any of them "
                 "could replace what lies below it", shown(w), (unsigned)(st->st_mode & 07777));
    } else {
        group_name(st->st_gid, gname, sizeof(gname));
        snprintf(w->why, w->len, "%s is writable by group %s (mode %04o) and has no sticky bit: %s", shown(w), gname,
                 (unsigned)(st->st_mode & 07777), w->euid == 0 ? "a run as root trusts no group but root's"
                 : "you are not in that group, and its members could replace what lies below it");
    }
    return MPIFT_ERR_ESCAPE;
}

static int fail_io(struct walk *w, const char *what, const char *name)
{
    int en = errno;

    snprintf(w->why, w->len, "cannot %s %s%s%s: %s", what, w->rlen ? w->real : "", "/", name, strerror(en));
    errno = en;
    return en == ENOENT ? MPIFT_ERR_NOENT : MPIFT_ERR_IO;
}

/* Back to "/" (an absolute link target). */
static int at_root(struct walk *w)
{
    if (w->fd >= 0)
        close(w->fd);
    w->rlen = 0;
    w->real[0] = '\0';
    w->fd = open("/", DIR_FLAGS & ~O_NOFOLLOW);
    if (w->fd < 0 || fstat(w->fd, &w->st) != 0)
        return fail_io(w, "open", "");
    return judge(w, 0, 0, 0);
}

/* ".." in a link's target: back to the folder above, by its resolved
 * path, every component of which was judged on the way down. */
static int up(struct walk *w)
{
    char *slash = strrchr(w->real, '/'), comp[NAME_MAX + 1];
    const char *p;
    size_t n;
    int next;

    if (!slash)
        return 0;   /* "/.." is "/" */
    *slash = '\0';
    w->rlen = (size_t)(slash - w->real);
    close(w->fd);
    w->fd = open("/", DIR_FLAGS & ~O_NOFOLLOW);
    for (p = w->real; w->fd >= 0 && *p; p += n) {
        p += *p == '/';
        n = strcspn(p, "/");
        snprintf(comp, sizeof(comp), "%.*s", (int)n, p);
        next = openat(w->fd, comp, DIR_FLAGS);
        close(w->fd);
        w->fd = next;
    }
    if (w->fd < 0 || fstat(w->fd, &w->st) != 0)
        return fail_io(w, "open", "..");
    w->loose = 0;
    return judge(w, 0, 0, 0);
}

/* The symbolic link comp: its target replaces it in rest (whose tail,
 * after comp, starts at tail).  FOLLOWED or a status. */
static int follow(struct walk *w, const char *comp, const struct stat *st, char *rest, const char *tail)
{
    char target[PATH_MAX], name[128];
    ssize_t n;
    size_t tl = strlen(tail);
    int rc;

    if (w->loose && st->st_uid != 0 && st->st_uid != w->euid) {
        who(st->st_uid, name, sizeof(name));
        snprintf(w->why, w->len, "%s/%s is a symbolic link owned by %s in %s: not followed", w->real, comp, name,
                 loose_kind(w->st.st_mode));
        return MPIFT_ERR_ESCAPE;
    }
    n = readlinkat(w->fd, comp, target, sizeof(target) - 1);
    if (n < 0)
        return fail_io(w, "read the link", comp);
    if ((size_t)n + tl + 2 >= PATH_MAX) {
        errno = ENAMETOOLONG;
        return fail_io(w, "follow the link", comp);
    }
    target[n] = '\0';
    memmove(rest + n + 1, tail, tl + 1);
    memcpy(rest, target, (size_t)n);
    rest[n] = '/';
    rc = target[0] == '/' ? at_root(w) : MPIFT_OK;
    return rc == MPIFT_OK ? FOLLOWED : rc;
}

/* Step into component comp of w->fd (making it with create), judged:
 * MPIFT_OK, FOLLOWED (a link) or a status. */
static int step(struct walk *w, const char *comp, unsigned flags, mode_t mode, char *rest, const char *tail,
                int *links)
{
    struct stat st;
    int next, rc, tries, last = tail[strspn(tail, "/")] == '\0';
    mode_t pmode = w->st.st_mode;

    for (tries = 0;; tries++) {
        if (fstatat(w->fd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0)
            break;
        if (errno != ENOENT || !(flags & MPIFT_WALK_CREATE) || tries > 1)
            return errno == ENOENT ? (snprintf(w->why, w->len, "%s/%s does not exist", w->real, comp),
                                      MPIFT_ERR_NOENT) : fail_io(w, "look at", comp);
        if (mkdirat(w->fd, comp, mode) != 0 && errno != EEXIST)
            return fail_io(w, "create folder", comp);
    }
    if (S_ISLNK(st.st_mode)) {
        if (++*links > LINKS_MAX) {
            errno = ELOOP;
            return fail_io(w, "follow", comp);
        }
        return follow(w, comp, &st, rest, tail);
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(w->why, w->len, "%s/%s is not a folder", w->real, comp);
        return MPIFT_ERR_IO;
    }
    next = openat(w->fd, comp, DIR_FLAGS);
    if (next < 0 || fstat(next, &w->st) != 0) {
        rc = fail_io(w, "open folder", comp);
        if (next >= 0)
            close(next);
        return rc;
    }
    close(w->fd);
    w->fd = next;
    w->rlen += (size_t)snprintf(w->real + w->rlen, sizeof(w->real) - w->rlen, "/%s", comp);
    return judge(w, w->loose, pmode, last);
}

int mpift_walk_open(const char *path, unsigned flags, mode_t mode, char *real, char *why, size_t len)
{
    struct walk w = { .fd = -1, .euid = geteuid(), .flags = flags, .why = why, .len = len };
    char rest[PATH_MAX], comp[NAME_MAX + 1];
    const char *p;
    int rc, links = 0;
    size_t n;

    if (path[0] != '/' || strlen(path) >= sizeof(rest)) {
        snprintf(why, len, "%s: not an absolute path shorter than %d bytes", path, PATH_MAX);
        errno = EINVAL;
        return MPIFT_ERR_ESCAPE;
    }
    snprintf(rest, sizeof(rest), "%s", path);
    rc = at_root(&w);
    for (p = rest; rc == MPIFT_OK;) {
        while (*p == '/')
            p++;
        n = strcspn(p, "/");
        if (n == 0)
            break;
        if (n > NAME_MAX) {
            errno = ENAMETOOLONG;
            rc = fail_io(&w, "open", "(a name)");
            break;
        }
        memcpy(comp, p, n);
        comp[n] = '\0';
        p += n;
        if (strcmp(comp, ".") == 0)
            continue;
        if (strcmp(comp, "..") == 0) {
            rc = up(&w);
            continue;
        }
        /* A link's target is spliced in at the start of rest. */
        rc = step(&w, comp, flags, mode, rest, p, &links);
        if (rc == FOLLOWED) {
            p = rest;
            rc = MPIFT_OK;
        }
    }
    /* A root read is only read: what others plant in it is opened without
     * leaving it (fs/beneath.h). */
    if (rc == MPIFT_OK && w.open && !(flags & (MPIFT_WALK_SHARED | MPIFT_WALK_READ))) {
        snprintf(why, len, "%s is writable by other users (mode %04o): they could plant folders in it; use a "
                 "folder of your own below it", shown(&w), (unsigned)(w.st.st_mode & 07777));
        rc = MPIFT_ERR_ESCAPE;
    }
    if (rc != MPIFT_OK) {
        int en = errno;
        if (w.fd >= 0)
            close(w.fd);
        errno = en;
        return rc;
    }
    if (real)
        snprintf(real, PATH_MAX, "%s", shown(&w));
    return w.fd;
}
