/*
 * as_user.c - mpift-stage --as-user: a copy service started as root that
 * stages for a user (the data movers that run "dcp --uid --gid").
 *
 * The ranks become the user for good in the module, right after MPI_Init
 * (api/hook.c, util/identity.c): MPI cannot start as the user under a
 * root mpirun.  Before that, the launcher checks SRC... on rank 0 with
 * the user's effective ids, so a source the user may not see is refused
 * as it would be for the user, then takes root's back for MPI_Init.
 */
#include "mpift_autoconf.h"

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "as_user.h"
#include "cli.h"

/* A decimal id, all digits; -1 otherwise. */
static long number(const char *s, size_t n)
{
    size_t i;

    if (n == 0 || n > 10)
        return -1;
    for (i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return -1;
    return strtol(s, NULL, 10);
}

/* The user's groups into u (gid among them); its passwd name if any. */
static int list_groups(struct mpift_as_user *u, const char *name)
{
    long max = sysconf(_SC_NGROUPS_MAX);

    if (max < 1)
        max = 65536;
    if (!(u->groups = malloc((size_t)(max + 1) * sizeof(gid_t)))) {
        mpift_cli_error("out of memory");
        return 2;
    }
    u->ngroups = (int)max + 1;
    if (!name || getgrouplist(name, u->gid, u->groups, &u->ngroups) < 0) {
        u->groups[0] = u->gid;
        u->ngroups = 1;
    }
    return -1;
}

int mpift_as_user_parse(const char *spec, struct mpift_as_user *u, struct mpift_options *opts)
{
    const char *colon = strchr(spec, ':');
    size_t ulen = colon ? (size_t)(colon - spec) : strlen(spec);
    char user[256];
    struct passwd *pw;
    struct group *gr;
    long v;

    if (geteuid() != 0) {
        mpift_cli_error("--as-user needs root (this runs as uid %u): start the job as root, or leave --as-user out",
                        (unsigned)geteuid());
        return 2;
    }
    if (ulen == 0 || ulen >= sizeof(user) || (colon && colon[1] == '\0')) {
        mpift_cli_error("--as-user '%s': give USER[:GROUP], names or numbers", spec);
        return 2;
    }
    memcpy(user, spec, ulen);
    user[ulen] = '\0';
    if ((v = number(user, ulen)) >= 0) {
        pw = getpwuid((uid_t)v);
        u->uid = (uid_t)v;
    } else if ((pw = getpwnam(user))) {
        u->uid = pw->pw_uid;
    } else {
        mpift_cli_error("--as-user '%s': no user named '%s'", spec, user);
        return 2;
    }
    if (u->uid == 0 && strcmp(user, "root") != 0) {
        mpift_cli_error("--as-user '%s': uid 0 is root; write --as-user root to stage as root on purpose", spec);
        return 2;
    }
    if (colon && (v = number(colon + 1, strlen(colon + 1))) >= 0) {
        u->gid = (gid_t)v;
    } else if (colon && (gr = getgrnam(colon + 1))) {
        u->gid = gr->gr_gid;
    } else if (colon) {
        mpift_cli_error("--as-user '%s': no group named '%s'", spec, colon + 1);
        return 2;
    } else if (pw) {
        u->gid = pw->pw_gid;
    } else {
        mpift_cli_error("--as-user '%s': uid %s has no passwd entry: give its group too (USER:GROUP)", spec, user);
        return 2;
    }
    opts->as_user = 1;
    opts->as_uid = (uint32_t)u->uid;
    opts->as_gid = (uint32_t)u->gid;
    return list_groups(u, pw ? pw->pw_name : NULL);
}

int mpift_as_user_enter(struct mpift_as_user *u)
{
    int n = getgroups(0, NULL);

    free(u->root_groups);   /* entered more than once: root's groups again */
    u->root_groups = NULL;
    if (n < 0 || !(u->root_groups = malloc(((size_t)n + 1) * sizeof(gid_t))) ||
        (u->nroot = getgroups(n, u->root_groups)) < 0) {
        mpift_cli_error("--as-user: cannot list root's groups: %s", strerror(errno));
        return 3;
    }
    if (setgroups((size_t)u->ngroups, u->groups) != 0 || setegid(u->gid) != 0 || seteuid(u->uid) != 0) {
        mpift_cli_error("--as-user %u:%u: cannot take the user's ids: %s", (unsigned)u->uid, (unsigned)u->gid,
                        strerror(errno));
        return 3;
    }
    return 0;
}

int mpift_as_user_leave(struct mpift_as_user *u)
{
    if (seteuid(0) != 0 || setegid(0) != 0 || setgroups((size_t)u->nroot, u->root_groups) != 0) {
        mpift_cli_error("--as-user: cannot take root's ids back to start MPI: %s", strerror(errno));
        return 3;
    }
    return 0;
}

void mpift_as_user_free(struct mpift_as_user *u)
{
    free(u->groups);
    free(u->root_groups);
    u->groups = u->root_groups = NULL;
}
