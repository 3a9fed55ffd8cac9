/*
 * fsafe.h - file system safety: every path mpift writes or reads is
 * relative to a root and may not leave it.
 *
 * Lexical checks (mpift_path_*) refuse what is wrong on its face: absolute
 * paths, ".." components, empty components, control characters.  The
 * descriptor-based calls then walk a relative path from an open root
 * directory one component at a time with openat(O_NOFOLLOW), so a symlink
 * planted in the tree can never redirect a write outside the root.
 */
#ifndef MPIFT_FSAFE_H
#define MPIFT_FSAFE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * mpift_path_check_rel - is `rel` a safe relative path?  Refuses absolute
 * paths, "." or ".." components, control characters (newline included),
 * and paths over PATH_MAX.  Empty string is accepted (the root itself);
 * repeated or trailing slashes are accepted.
 * Returns MPIFT_OK or MPIFT_ERR_ESCAPE with a cause in why (why may be NULL
 * when whylen is 0: only the answer is wanted).
 */
int mpift_path_check_rel(const char *rel, char *why, size_t whylen);

/*
 * mpift_path_normalize - copy `rel` into out collapsing "//" and dropping a
 * leading "./" and trailing "/".  Fails (MPIFT_ERR_ESCAPE) where
 * mpift_path_check_rel fails, MPIFT_ERR_RANGE if out is too small.
 */
int mpift_path_normalize(const char *rel, char *out, size_t outlen);

/*
 * mpift_path_join - out = a "/" b (no doubled slash; either may be empty).
 * Returns MPIFT_OK or MPIFT_ERR_RANGE.
 */
int mpift_path_join(const char *a, const char *b, char *out, size_t outlen);

/*
 * mpift_path_within - is the absolute, already resolved path `p` equal to
 * or below the resolved `root`?  (String test on realpath() results: "/a/bc"
 * is not within "/a/b".)
 */
bool mpift_path_within(const char *root, const char *p);

/*
 * mpift_path_resolve - realpath() `path` and make sure the result is equal
 * to or below `root` (itself already resolved).  `label` names the root in
 * messages ("paths.source"), or NULL.  Returns MPIFT_OK with real filled
 * (PATH_MAX bytes); MPIFT_ERR_NOENT / MPIFT_ERR_IO ("PATH: cause") or
 * MPIFT_ERR_ESCAPE ("PATH: resolves to REAL, outside LABEL ROOT: refused")
 * with the message in why.
 */
int mpift_path_resolve(const char *root, const char *label, const char *path, char *real, char *why,
                       size_t whylen);

/*
 * mpift_root_open - mkdir -p the absolute `root` (mode 0755) and open it as a
 * directory, every component of its path checked as it is walked
 * (mpift_walk_open, walk.h): no other user can bend it.  Returns an fd >= 0,
 * or a negative MPIFT_ERR_* (MPIFT_ERR_ESCAPE: a component fails the
 * checks) with errno kept and a cause in why naming the component.
 */
int mpift_root_open(const char *root, char *why, size_t whylen);

/*
 * mpift_dir_open - open (creating when `create`) the directory `rel` below
 * rootfd, walking each component with openat(O_NOFOLLOW|O_DIRECTORY).
 * A symlink component fails with MPIFT_ERR_ESCAPE.  Returns an fd >= 0 or a
 * negative status (errno kept).
 */
int mpift_dir_open(int rootfd, const char *rel, bool create, char *why, size_t whylen);

/*
 * mpift_split_parent - split "a/b/c" into parent "a/b" and name "c" (parent
 * "" for a bare name).  Returns MPIFT_OK or MPIFT_ERR_RANGE / _ESCAPE.
 */
int mpift_split_parent(const char *rel, char *parent, size_t plen, char *name, size_t nlen);

/*
 * mpift_path_too_long - "DIR/NAME: path too long (N bytes; the limit is
 * M)" into buf (NAME may be NULL), with a path of more than a few hundred
 * bytes shortened in the middle ("head...tail"): the message keeps its
 * cause and the end of the name, which say what to fix.
 */
void mpift_path_too_long(char *buf, size_t len, const char *dir, const char *name);

/*
 * Preflight, before any bytes move.  mpift_fs_block: the block size a file
 * takes space in under dirfd (sizes are rounded up to it).
 * mpift_fs_room: can that file system take `need` more bytes and `inodes`
 * more files and folders (a file system that counts no inodes at all,
 * f_files 0, is not limited by them), and may we create files under `root`
 * (its fd, dirfd: write and search permission for this user)?  0 if so
 * (or if statvfs cannot say); -1 with a message for users in `why`: the
 * need and what is free, or the access error, then "nothing was VERB" and
 * what to do ("free space there or point SETTING elsewhere").
 */
uint64_t mpift_fs_block(int dirfd);
/* The inodes this user may still take under dirfd: UINT64_MAX when the
 * file system does not count them or cannot say. */
uint64_t mpift_fs_inodes(int dirfd);
int mpift_fs_room(int dirfd, const char *root, uint64_t need, uint64_t inodes, const char *verb,
                  const char *setting, char *why, size_t whylen);

/*
 * mpift_root_lock - take the exclusive lock of a run on the root folder
 * rootfd (flock LOCK_EX, without waiting), held until rootfd is closed.
 * Returns 0 (held), 1 (another process holds it: another run is writing
 * there) or -1 (the file system cannot lock, e.g. some NFS: errno kept;
 * the run goes on without the lock).
 */
int mpift_root_lock(int rootfd);

/*
 * mpift_dir_nearest - the deepest folder of `rel` below rootfd that exists
 * (walked with O_NOFOLLOW; rootfd itself when none does): returns its fd,
 * with in *have the bytes of rel it covers and in *missing how many
 * components below it do not exist yet (0: rel exists).  A negative
 * status when a component cannot be opened (MPIFT_ERR_ESCAPE: it is a
 * symbolic link; MPIFT_ERR_IO: errno kept).
 */
int mpift_dir_nearest(int rootfd, const char *rel, size_t *have, unsigned *missing);

#endif
