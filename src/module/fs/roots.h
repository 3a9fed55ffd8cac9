/*
 * roots.h - one run per tree: a run's hold on the root folder it writes
 * into (a stage-in writer's dest root, stage-out's collect folder), which
 * keeps out every other run whose root is that folder, inside it or
 * above it, on this node.
 *
 * Two parts.  The flock on the root folder itself (any user's run into
 * the same folder; what it always was).  And this node's registry of
 * roots in use: a folder of the user's (/run/user/UID/mpift when that
 * runtime folder is the user's and 0700; else root: /run/mpift, or
 * /tmp/mpift-roots-0 where /run cannot take it; others:
 * /tmp/mpift-roots-UID), opened by the checked walk (walk.h), holding one
 * entry per root held, created exclusively under a random name, locked
 * (flock) for as long as its run lives and naming its root with the
 * device and inode of the root and of each folder above it.  A new run
 * enters its root first and then reads the others: a live entry whose
 * root is its own, one of its folders above, or below it (its root among
 * that entry's folders above) refuses the run, naming the other root.
 * Entering before reading means of two runs starting at once at least
 * one sees the other.  An entry whose lock can be taken is a dead run's:
 * removed.  Device and inode, not path strings: a link, a bind mount or
 * another node's folder of the same name (fake nodes share /tmp) are
 * judged by what they are.  docs/paths.md says more.
 */
#ifndef MPIFT_ROOTS_H
#define MPIFT_ROOTS_H

#include <stddef.h>

/* A run's hold on its root: zeroed is "none". */
struct mpift_root_hold {
    int on;          /* an entry is in the registry */
    int fd;          /* the entry, locked while the run lives */
    int dirfd;       /* the registry */
    char name[48];   /* the entry's name in it */
};

/* mpift_root_hold's answers. */
enum {
    MPIFT_HOLD_OK = 0,        /* held: no other run writes in this tree */
    MPIFT_HOLD_NOLOCK,        /* in the registry, but the root's file system cannot flock
                               * (some NFS): another user's run into it is not kept out */
    MPIFT_HOLD_BUSY,          /* another run writes there, above or below: why names its root */
    MPIFT_HOLD_ERROR,         /* the folders above the root cannot be listed: why says why */
    MPIFT_HOLD_NOREG,         /* the root's flock is held but the registry cannot be used
                               * (another user made its folder first, ...): runs into
                               * nested roots are not kept out; why names it, to warn */
};

/*
 * mpift_root_hold - take the flock on rootfd (named root in messages) and
 * enter it in the registry.  On MPIFT_HOLD_BUSY, why is "another mpift
 * run is writing into OTHER" followed, when OTHER is not this root, by
 * ", which holds ROOT" or ", inside ROOT"; on MPIFT_HOLD_NOREG, "the
 * registry of roots in use DIR: cause" (DIR owned by another user, say:
 * that is no reason to refuse a run the root's own flock still guards).  The hold lasts until
 * mpift_root_release (and the flock until rootfd is closed).
 */
int mpift_root_hold(int rootfd, const char *root, struct mpift_root_hold *h, char *why, size_t len);

/* Leave the registry (the entry is removed).  Safe on a zeroed hold. */
void mpift_root_release(struct mpift_root_hold *h);

#endif
