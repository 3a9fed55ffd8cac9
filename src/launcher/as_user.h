/* as_user.h - mpift-stage --as-user USER[:GROUP]: whom a root launcher stages for. */
#ifndef MPIFT_AS_USER_H
#define MPIFT_AS_USER_H

#include <grp.h>
#include <sys/types.h>

#include <mpift/mpift.h>

struct mpift_as_user {
    uid_t uid;
    gid_t gid;
    gid_t *groups;      /* the user's groups, for the launcher's checks */
    int ngroups;
    gid_t *root_groups; /* root's, kept by enter for leave */
    int nroot;
};

/*
 * Parse SPEC (USER[:GROUP], each a name or a number; GROUP defaults to
 * the user's primary group) into u and opts (as_user, as_uid, as_gid).
 * Refused, exit 2 (said): not running as root; UID 0 unless spelt
 * "root" (a variable that came out empty or 0 must not stage as root);
 * an unknown name; a number without a passwd entry and no GROUP.
 * Returns -1 to go on, or 2.
 */
int mpift_as_user_parse(const char *spec, struct mpift_as_user *u, struct mpift_options *opts);

/* The launcher's checks of SRC... as the user: effective ids and groups
 * become the user's (enter) and root's again (leave: before MPI starts,
 * which needs root's; the module drops them for good after).  Each
 * returns 0, or 3 after saying why. */
int mpift_as_user_enter(struct mpift_as_user *u);
int mpift_as_user_leave(struct mpift_as_user *u);

void mpift_as_user_free(struct mpift_as_user *u);

#endif
