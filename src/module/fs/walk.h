/*
 * walk.h - open a folder by its absolute path so that no other user can
 * bend the path: the walk of a careful `mkdir -p` run as root.
 *
 * Every component is looked at as it is walked, from "/", each opened
 * relative to the one before with O_NOFOLLOW and judged by fstat on the
 * open descriptor (what is judged is what is used):
 *
 *  - its owner must be root or the running user (a run that is not
 *    root's also trusts a folder whose group is one of the user's: a
 *    shared project folder);
 *  - it may be writable only by those it trusts, unless it has the
 *    sticky bit (/tmp);
 *  - in a folder anyone but the user and root may write in (sticky, a
 *    trusted group's, another user's) what comes next in the path, folder
 *    or link, must be owned by the user or root: a group the run trusts
 *    may write there, not redirect the run;
 *  - a symbolic link is followed (a /scratch -> /local/scratch set up by
 *    the site) by walking its target the same way;
 *  - a missing component is made (with `create`) by mkdirat on its
 *    checked parent, then opened and judged like the others.
 *
 * docs/paths.md gives the rules and the reasons.
 */
#ifndef MPIFT_WALK_H
#define MPIFT_WALK_H

#include <stddef.h>
#include <sys/types.h>

/* Make the missing components (mode & ~umask). */
#define MPIFT_WALK_CREATE 1u
/* The folder itself may be writable by others when it has the sticky bit
 * (/tmp as a report's folder: one file is created in it, exclusively, and
 * renamed within it).  Without it such a folder is refused: a dest root
 * another user can plant folders in is not the user's. */
#define MPIFT_WALK_SHARED 2u
/* A root that is read (paths.source): the folder itself may be another
 * user's (a colleague's data) when it does not lie in a folder others may
 * write in, and may be writable by others: files below it are opened
 * without leaving it (beneath.h).  Everything above it obeys the rules. */
#define MPIFT_WALK_READ 4u

/*
 * mpift_walk_open - open the folder at the absolute `path` as above.
 * Returns a directory fd, or a negative status with a clause for users in
 * why ("FOLDER is owned by alice (uid 1001), not by you or root, ..."):
 * MPIFT_ERR_ESCAPE (a component that fails the rules: it is named with its
 * owner or mode), MPIFT_ERR_NOENT (a component is missing and not
 * `create`), MPIFT_ERR_IO (a call failed; errno kept; a path that is not absolute is MPIFT_ERR_ESCAPE).  `real`, when not
 * NULL (PATH_MAX bytes), gets the path with its links resolved.
 */
int mpift_walk_open(const char *path, unsigned flags, mode_t mode, char *real, char *why, size_t len);

#endif
