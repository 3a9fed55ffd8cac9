/*
 * beneath.h - open a file to read without leaving its root, whatever
 * other processes do to the tree meanwhile.
 *
 * A path checked a moment ago (realpath, a plan) proves nothing by the
 * time it is opened: any component may since have become a symbolic link
 * to somewhere else, and the file itself a FIFO that blocks open() for
 * ever.  So the open itself walks from the root's descriptor: openat2()
 * with RESOLVE_BENEATH where the kernel has it (Linux 5.6), else one
 * component at a time with O_NOFOLLOW; the last component is never
 * followed and is opened O_NONBLOCK, so a FIFO or a device opens at once
 * and the caller, who checks the type with fstat, refuses it.
 */
#ifndef MPIFT_BENEATH_H
#define MPIFT_BENEATH_H

/*
 * mpift_open_beneath - open `rel` (relative, as a realpath below the root
 * gives it) below the directory rootfd, read-only, O_NONBLOCK and
 * O_CLOEXEC, never following its last component.  Returns an fd, or -1
 * with errno: ELOOP (the last component is a symbolic link), EXDEV (a
 * symbolic link on the way, or a "..", would leave the root: the walk
 * refuses every link on the way, openat2 only those that lead out),
 * ENOENT, EACCES, ...
 */
int mpift_open_beneath(int rootfd, const char *rel);

/*
 * mpift_open_no_links - the same, but no symbolic link is followed
 * anywhere on the way, not even one that stays below dirfd (openat2's
 * RESOLVE_NO_SYMLINKS; the walk refuses them all anyway): for a path
 * already resolved (a library read beneath "/", engine/source.c), where
 * any link now means it changed since.  -1 with ELOOP or EXDEV for one.
 */
int mpift_open_no_links(int dirfd, const char *rel);

/* The same by the O_NOFOLLOW walk alone: what runs where openat2 is
 * missing (ENOSYS, or EPERM from a seccomp filter); public for the unit
 * tests. */
int mpift_open_beneath_walk(int rootfd, const char *rel);

#endif
