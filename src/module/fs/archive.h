/*
 * archive.h - an archive read member by member, each member judged
 * before anyone acts on it (libarchive: tar, plain or compressed with
 * gzip, zstd, xz or bzip2, and zip).
 *
 * An archive is data from elsewhere, and tar x trusts too much of it.
 * Every member a reader of this file sees has passed these checks, or
 * the archive is refused naming the member (mpift_archive_next):
 *
 *   a name that is absolute, or has a ".." component        (libarchive's
 *     ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS and _NODOTDOT, as rules here:
 *     its disk writer resolves names from the process's working folder,
 *     which a library inside an MPI job must not change)
 *   a symbolic link whose target is absolute, climbs above the folder,
 *     or goes back up ("..") after a name: a link on its way could lead
 *     anywhere                                               (_SECURE_SYMLINKS)
 *   a hard link to a name that is absolute or has ".."
 *   a device, FIFO or socket; a name more than MPIFT_ARCHIVE_DEPTH_MAX
 *     folders deep or with a control character
 *
 * What the checks cannot see, a member written through a symbolic link
 * an earlier member made, the unpacking refuses as it walks (fs/unpack.h:
 * every folder on the way opened O_NOFOLLOW, every file created
 * O_EXCL|O_NOFOLLOW beneath its temporary folder).
 */
#ifndef MPIFT_ARCHIVE_H
#define MPIFT_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

/* Folders a member's name may go down: deeper trees are refused (the
 * unpacking and the removal of a tree hold a descriptor per level). */
#define MPIFT_ARCHIVE_DEPTH_MAX 128

enum mpift_member_type { MPIFT_MEMBER_FILE, MPIFT_MEMBER_DIR, MPIFT_MEMBER_SYMLINK, MPIFT_MEMBER_HARDLINK };

/* One member, as checked: names relative to the folder, normalized ("./a//b/"
 * is "a/b"; "" is the folder itself, a DIR). */
struct mpift_member {
    const char *name;
    enum mpift_member_type type;
    const char *target;   /* SYMLINK: its target as given; HARDLINK: the member it links to */
    uint64_t size;        /* FILE */
    uint32_t mode;        /* permission bits */
    int64_t mtime_sec;
    uint32_t mtime_nsec;
};

/* What an archive unpacks into, counted from its headers. */
struct mpift_archive_count {
    uint64_t files;       /* regular files and hard links to them */
    uint64_t bytes;       /* their sizes */
    uint64_t bytes4k;     /* their sizes, each rounded up to 4 KiB */
    uint64_t inodes;      /* files, folders, symbolic links, and the folder itself */
};

struct mpift_archive;

/*
 * mpift_archive_open - read the archive open on fd (not taken: the caller
 * closes it after mpift_archive_close).  `display` names it in messages.
 * MPIFT_OK, MPIFT_ERR_NOMEM, MPIFT_ERR_IO (why says why).
 */
int mpift_archive_open(struct mpift_archive **out, int fd, const char *display, char *why, size_t whylen);

/*
 * mpift_archive_next - the next member, checked.  1 with *m filled (its
 * strings live until the next call), 0 at the end, or a negative status
 * with why naming the archive and the member: MPIFT_ERR_ESCAPE (refused
 * by the rules above), MPIFT_ERR_IO (unreadable, damaged, not an archive).
 */
int mpift_archive_next(struct mpift_archive *a, struct mpift_member *m, char *why, size_t whylen);

/* The current FILE member's next block of data at *off: 1, 0 at its end,
 * or MPIFT_ERR_IO with why. */
int mpift_archive_data(struct mpift_archive *a, const void **buf, size_t *len, int64_t *off, char *why,
                       size_t whylen);

void mpift_archive_close(struct mpift_archive *a);

/*
 * mpift_archive_scan - read every header of the archive on fd, checked,
 * and count what it unpacks into.  tick(arg), when not NULL, is called
 * now and then (a long archive must not starve the caller's heartbeats).
 * MPIFT_OK or mpift_archive_next's statuses.
 */
int mpift_archive_scan(int fd, const char *display, struct mpift_archive_count *c, void (*tick)(void *), void *arg,
                       char *why, size_t whylen);

/*
 * mpift_archive_folder - the folder an archive at `dest` unpacks into:
 * dest less its archive suffix (.tar, .tar.gz, .tgz, .tar.zst, .tzst,
 * .tar.xz, .txz, .tar.bz2, .tbz2, .zip).  MPIFT_OK, MPIFT_ERR_CONFIG when
 * the name has no such suffix (or nothing before it), MPIFT_ERR_RANGE.
 */
int mpift_archive_folder(const char *dest, char *out, size_t outlen);

/* The suffixes mpift_archive_folder knows, for messages. */
#define MPIFT_ARCHIVE_SUFFIXES ".tar, .tar.gz, .tgz, .tar.zst, .tzst, .tar.xz, .txz, .tar.bz2, .tbz2 or .zip"

#endif
