/*
 * tmplock.h - the temporaries of a folder that a sweep may remove (the
 * node cache's: cache/evict.c), made and removed under one rule so that
 * the sweep never takes a live one for a killed run's.
 *
 * A writer's temporary is created, then flocked for as long as it lives.
 * Between the two a sweep once found it unlocked and removed it, losing
 * that save (the writer wrote into a file no name led to, and its rename
 * failed).  A time rule (sweep only the old) would need a clock the
 * writer and the file system share and a bound on how long a writer may
 * stall there; instead both sides check the name under the lock:
 *  - the sweep removes a name only while it holds that file's exclusive
 *    lock and the name is still that file;
 *  - the writer, once it holds its lock, checks that the name is still
 *    its file, and makes it again when a sweep removed it first.
 * Whoever locks first wins, and neither loses: a sweep passes over a
 * locked file, a writer whose file was swept makes another.
 *
 * Where flock does not work (NFS turns it into an fcntl lock, whose
 * exclusive kind needs a file open for writing: the sweep opens
 * read-write when it may; Lustre mounted without flock) a sweep cannot
 * tell a dead temporary from a live one and removes none.  So that a
 * killed run's temporary never blocks a later save there, every name
 * is unique (mpift_tmp_unique: the pid and 64 random bits): a pid alone
 * is no owner, as jobs in pid namespaces share one, and two such jobs
 * may run at once.
 */
#ifndef MPIFT_TMPLOCK_H
#define MPIFT_TMPLOCK_H

#include <stddef.h>
#include <sys/types.h>

#include "util/log.h"

/*
 * mpift_tmp_create - the temporary `tmp` of dirfd created (O_EXCL, never
 * through a link, `mode`, write-only) and exclusively flocked, its name
 * checked to be this file under the lock.  A file of that name no one
 * holds, or a symbolic link, is replaced, after a few short waits when
 * its lock is taken (another job's sweep holds a dead one's for an
 * instant).  The descriptor, its lock held until it is closed; -1 with
 * errno set: EEXIST (a live process holds a file of that name), ENOLCK
 * (a file of that name is there and locks do not work there), EAGAIN
 * (swept before its lock on every try), or another open's error.
 */
int mpift_tmp_create(int dirfd, const char *tmp, mode_t mode);

/*
 * mpift_tmp_unique - into buf (len bytes) a temporary's name no other
 * process makes: prefix, this pid, "-", 16 hex digits of getrandom (the
 * time and a count where it fails), MPIFT_TMP_SUFFIX.  0, or
 * ENAMETOOLONG when it would not fit (cut short, it would lose the
 * suffix by which the sweep knows it).
 */
int mpift_tmp_unique(char *buf, size_t len, const char *prefix);

/*
 * mpift_tmp_make - a temporary of dirfd named by mpift_tmp_unique(tmp,
 * len, prefix) and made by mpift_tmp_create: the one way a writer makes
 * one the cache's sweep may remove.  Its descriptor, or -1 with errno
 * (ENAMETOOLONG, or mpift_tmp_create's); tmp holds the name either way.
 */
int mpift_tmp_make(int dirfd, const char *prefix, char *tmp, size_t len, mode_t mode);
/* Room for one: a prefix of at most 40 bytes. */
#define MPIFT_TMP_UNIQUE_MAX 80

/*
 * mpift_tmp_why - into buf (len bytes), for a user, why mpift_tmp_create
 * of `tmp` failed with err: the temporary in the way (its name: the
 * caller names its folder), the node, the cause (a live holder, or a file
 * system without flock) and what to do.
 */
void mpift_tmp_why(char *buf, size_t len, const char *tmp, int err);
/* Room for it: two host names, a temporary's name and the text. */
#define MPIFT_TMP_WHY_MAX (2 * MPIFT_HOST_MAX + 320)

/*
 * mpift_tmp_sweep - remove the temporary `name` of dirfd unless someone
 * holds its lock (a live writer): 1 when it was removed.  A symbolic link
 * of that name is left (a writer's create could replace it with its live
 * temporary before the sweep's removal): mpift_tmp_create removes one at
 * its own name.
 */
int mpift_tmp_sweep(int dirfd, const char *name);

#endif
