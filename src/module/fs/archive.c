/*
 * archive.c - an archive's members, each checked before it is given out
 * (archive.h): libarchive reads, the rules here judge.
 */
#include "mpift_autoconf.h"

#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpift/mpift.h"
#include "fs/archive.h"
#include "util/log.h"

static const char *const suffixes[] = {".tar", ".tar.gz", ".tgz", ".tar.zst", ".tzst", ".tar.xz", ".txz",
                                       ".tar.bz2", ".tbz2", ".zip", NULL};

int mpift_archive_folder(const char *dest, char *out, size_t outlen)
{
    const char *base = strrchr(dest, '/');
    size_t n = strlen(dest), best = 0, i, s;

    base = base ? base + 1 : dest;
    for (i = 0; suffixes[i]; i++) {
        s = strlen(suffixes[i]);
        /* The longest that fits: "x.tar.gz" is x, not "x.tar". */
        if (s > best && (size_t)(dest + n - base) > s && strcmp(dest + n - s, suffixes[i]) == 0)
            best = s;
    }
    if (!best)
        return MPIFT_ERR_CONFIG;
    if (n - best >= outlen)
        return MPIFT_ERR_RANGE;
    memcpy(out, dest, n - best);
    out[n - best] = '\0';
    return MPIFT_OK;
}

#ifdef HAVE_LIBARCHIVE

#include <archive.h>
#include <archive_entry.h>

/* What libarchive reads at a time from the file. */
#define READ_BLOCK (256 * 1024)
/* Members (or data blocks) between two ticks of a scan. */
#define TICK_EVERY 256

struct mpift_archive {
    struct archive *a;
    locale_t utf8, was;   /* this thread's locale while the archive is read, and the one before */
    const char *display;
    char name[PATH_MAX];
    char target[PATH_MAX];
};

#define STR_(x) #x
#define STR(x) STR_(x)

enum name_fault { NAME_OK, NAME_ABSOLUTE, NAME_DOTDOT, NAME_DEEP, NAME_LONG, NAME_CONTROL };

static const char *const name_faults[] = {
    "", "an absolute name would land outside the folder", "a \"..\" component would leave the folder",
    "more than " STR(MPIFT_ARCHIVE_DEPTH_MAX) " folders deep", "name too long",
    "a control character in the name"};

/* The next component of the path at *p, empty ones and "." skipped: its
 * start, with its length in *len; NULL at the end. */
static const char *component(const char **p, size_t *len)
{
    const char *s = *p, *e;

    for (; *s; s = *p) {
        e = s + strcspn(s, "/");
        *p = *e ? e + 1 : e;
        if (e > s && !(e - s == 1 && *s == '.')) {
            *len = (size_t)(e - s);
            return s;
        }
    }
    return NULL;
}

static bool dotdot(const char *c, size_t len)
{
    return len == 2 && c[0] == '.' && c[1] == '.';
}

/* `in` as a name below the folder: "", "." and empty components dropped,
 * the rest joined by one '/' into out; *depth its components. */
static enum name_fault normalize(const char *in, char *out, size_t outlen, unsigned *depth)
{
    size_t used = 0, len;
    const char *p = in, *c;

    *depth = 0;
    out[0] = '\0';
    if (*in == '/')
        return NAME_ABSOLUTE;
    while ((c = component(&p, &len)) != NULL) {
        if (dotdot(c, len))
            return NAME_DOTDOT;
        if (used + len + 2 > outlen)
            return NAME_LONG;
        if (used)
            out[used++] = '/';
        memcpy(out + used, c, len);
        used += len;
        out[used] = '\0';
        if (++*depth > MPIFT_ARCHIVE_DEPTH_MAX)
            return NAME_DEEP;
    }
    for (c = out; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            return NAME_CONTROL;
    return NAME_OK;
}

/* A symbolic link's target, from a member `depth` components deep: only
 * ".." first (at most depth - 1 of them: the link's own folder's depth),
 * then names.  A ".." after a name is refused: the name could be a link
 * (made by this archive) and ".." from there lead anywhere. */
static const char *link_fault(const char *target, unsigned depth)
{
    const char *p = target, *c;
    unsigned up = 0, names = 0;
    size_t len;

    if (!*target)
        return "a symbolic link with an empty target";
    if (*target == '/')
        return "a symbolic link to an absolute path, outside the folder";
    while ((c = component(&p, &len)) != NULL) {
        if (!dotdot(c, len))
            names++;
        else if (names)
            return "a symbolic link whose target goes back up (\"..\") after a name: a link on its way "
                   "could lead outside the folder";
        else if (++up >= depth)
            return "a symbolic link leading outside the folder";
    }
    return NULL;
}

static const char *type_name(unsigned t)
{
    switch (t) {
    case AE_IFCHR: return "a character device";
    case AE_IFBLK: return "a block device";
    case AE_IFIFO: return "a FIFO";
    case AE_IFSOCK: return "a socket";
    default: return "a member of an unknown type";
    }
}

int mpift_archive_open(struct mpift_archive **out, int fd, const char *display, char *why, size_t whylen)
{
    struct mpift_archive *x = calloc(1, sizeof(*x));
    int rc = MPIFT_OK;

    *out = NULL;
    if (!x)
        return MPIFT_ERR_NOMEM;
    x->display = display;
    /* Names in zips (and pax headers) are UTF-8, which libarchive turns
     * into this thread's charset: in the C locale MPI jobs often run in,
     * it cannot, and the name is lost.  So C.UTF-8 for this thread only
     * (uselocale), until mpift_archive_close: the names come out as the
     * bytes unzip and tar write. */
    if ((x->utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0)) != (locale_t)0)
        x->was = uselocale(x->utf8);
    if (!(x->a = archive_read_new())) {
        mpift_archive_close(x);
        return MPIFT_ERR_NOMEM;
    }
    /* The compressions and formats of issue #22, and bzip2; never a raw
     * stream, so a file that is no archive is refused, not "unpacked". */
    archive_read_support_filter_gzip(x->a);
    archive_read_support_filter_zstd(x->a);
    archive_read_support_filter_xz(x->a);
    archive_read_support_filter_bzip2(x->a);
    archive_read_support_format_tar(x->a);
    archive_read_support_format_gnutar(x->a);
    archive_read_support_format_zip(x->a);
    if (archive_read_open_fd(x->a, fd, READ_BLOCK) != ARCHIVE_OK) {
        mpift_format(why, whylen, "%s: not an archive mpift can unpack (tar, .gz, .zst, .xz, .bz2; zip): %s",
                     display, archive_error_string(x->a) ? archive_error_string(x->a) : "unreadable");
        rc = MPIFT_ERR_IO;
        mpift_archive_close(x);
        return rc;
    }
    *out = x;
    return rc;
}

void mpift_archive_close(struct mpift_archive *x)
{
    if (!x)
        return;
    if (x->a)
        archive_read_free(x->a);
    if (x->utf8 != (locale_t)0) {
        uselocale(x->was);
        freelocale(x->utf8);
    }
    free(x);
}

static int refuse(const struct mpift_archive *x, const char *member, const char *cause, char *why, size_t whylen)
{
    mpift_format(why, whylen, "%s: member \"%.200s\": %s: the archive is refused, nothing of it unpacked",
                 x->display, member, cause);
    return MPIFT_ERR_ESCAPE;
}

/* The member `e` into m, or a refusal. */
static int check(struct mpift_archive *x, struct archive_entry *e, struct mpift_member *m, char *why,
                 size_t whylen)
{
    const char *path = archive_entry_pathname(e), *link = archive_entry_hardlink(e), *cause;
    unsigned t = archive_entry_filetype(e), depth, ldepth;
    enum name_fault nf;

    if (!path)
        return refuse(x, "?", "a name that cannot be read in this locale", why, whylen);
    if ((nf = normalize(path, x->name, sizeof(x->name), &depth)) != NAME_OK)
        return refuse(x, path, name_faults[nf], why, whylen);
    memset(m, 0, sizeof(*m));
    m->name = x->name;
    m->mode = (uint32_t)archive_entry_perm(e);
    m->mtime_sec = (int64_t)archive_entry_mtime(e);
    m->mtime_nsec = (uint32_t)archive_entry_mtime_nsec(e);
    if (link) {
        if ((nf = normalize(link, x->target, sizeof(x->target), &ldepth)) != NAME_OK)
            return refuse(x, path, nf == NAME_ABSOLUTE || nf == NAME_DOTDOT ? "a hard link to outside the folder"
                          : name_faults[nf], why, whylen);
        if (!*x->target || !depth)
            return refuse(x, path, "a hard link to or as the folder itself", why, whylen);
        m->type = MPIFT_MEMBER_HARDLINK;
        m->target = x->target;
        return MPIFT_OK;
    }
    switch (t) {
    case AE_IFREG:
        if (!depth)
            return refuse(x, path, "a file in place of the folder itself", why, whylen);
        m->type = MPIFT_MEMBER_FILE;
        m->size = archive_entry_size_is_set(e) && archive_entry_size(e) > 0 ? (uint64_t)archive_entry_size(e) : 0;
        return MPIFT_OK;
    case AE_IFDIR:
        m->type = MPIFT_MEMBER_DIR;
        return MPIFT_OK;
    case AE_IFLNK:
        if (!depth)
            return refuse(x, path, "a symbolic link in place of the folder itself", why, whylen);
        link = archive_entry_symlink(e);
        if ((cause = link_fault(link ? link : "", depth)) != NULL)
            return refuse(x, path, cause, why, whylen);
        snprintf(x->target, sizeof(x->target), "%s", link);
        m->type = MPIFT_MEMBER_SYMLINK;
        m->target = x->target;
        return MPIFT_OK;
    default:
        return refuse(x, path, type_name(t), why, whylen);
    }
}

int mpift_archive_next(struct mpift_archive *x, struct mpift_member *m, char *why, size_t whylen)
{
    struct archive_entry *e;
    int r = archive_read_next_header(x->a, &e);

    if (r == ARCHIVE_EOF)
        return 0;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
        mpift_format(why, whylen, "%s: cannot be read as an archive: %s", x->display,
                     archive_error_string(x->a) ? archive_error_string(x->a) : "damaged");
        return MPIFT_ERR_IO;
    }
    r = check(x, e, m, why, whylen);
    return r == MPIFT_OK ? 1 : r;
}

int mpift_archive_data(struct mpift_archive *x, const void **buf, size_t *len, int64_t *off, char *why,
                       size_t whylen)
{
    la_int64_t o = 0;
    int r = archive_read_data_block(x->a, buf, len, &o);

    *off = (int64_t)o;
    if (r == ARCHIVE_EOF)
        return 0;
    if (r == ARCHIVE_OK || r == ARCHIVE_WARN)
        return 1;
    mpift_format(why, whylen, "%s: %s: cannot be read: %s", x->display, x->name,
                 archive_error_string(x->a) ? archive_error_string(x->a) : "damaged");
    return MPIFT_ERR_IO;
}

int mpift_archive_scan(int fd, const char *display, struct mpift_archive_count *c, void (*tick)(void *), void *arg,
                       char *why, size_t whylen)
{
    struct mpift_archive *x;
    struct mpift_member m;
    uint64_t n = 0;
    int rc;

    memset(c, 0, sizeof(*c));
    c->inodes = 1;   /* the folder */
    if ((rc = mpift_archive_open(&x, fd, display, why, whylen)) != MPIFT_OK)
        return rc;
    while ((rc = mpift_archive_next(x, &m, why, whylen)) == 1) {
        if (tick && ++n % TICK_EVERY == 0)
            tick(arg);
        if (m.type == MPIFT_MEMBER_FILE || m.type == MPIFT_MEMBER_HARDLINK)
            c->files++;
        if (m.type == MPIFT_MEMBER_FILE) {
            c->bytes += m.size;
            c->bytes4k += (m.size + 4095) / 4096 * 4096;
        }
        if (m.type != MPIFT_MEMBER_HARDLINK && *m.name)
            c->inodes++;
    }
    mpift_archive_close(x);
    return rc;
}

#else /* !HAVE_LIBARCHIVE: config/extract.c refuses extract = true, so none of this is reached */

int mpift_archive_open(struct mpift_archive **out, int fd, const char *display, char *why, size_t whylen)
{
    (void)fd;
    *out = NULL;
    mpift_format(why, whylen, "%s: this mpift was built without libarchive", display);
    return MPIFT_ERR_UNSUPPORTED;
}

int mpift_archive_next(struct mpift_archive *a, struct mpift_member *m, char *why, size_t whylen)
{
    (void)a, (void)m, (void)why, (void)whylen;
    return MPIFT_ERR_UNSUPPORTED;
}

int mpift_archive_data(struct mpift_archive *a, const void **buf, size_t *len, int64_t *off, char *why,
                       size_t whylen)
{
    (void)a, (void)buf, (void)len, (void)off, (void)why, (void)whylen;
    return MPIFT_ERR_UNSUPPORTED;
}

void mpift_archive_close(struct mpift_archive *a)
{
    (void)a;
}

int mpift_archive_scan(int fd, const char *display, struct mpift_archive_count *c, void (*tick)(void *), void *arg,
                       char *why, size_t whylen)
{
    struct mpift_archive *x;

    (void)tick, (void)arg;
    memset(c, 0, sizeof(*c));
    return mpift_archive_open(&x, fd, display, why, whylen);
}

#endif
