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
 */
#ifndef MPIFT_TMPLOCK_H
#define MPIFT_TMPLOCK_H

#include <sys/types.h>

/*
 * mpift_tmp_create - the temporary `tmp` of dirfd created (O_EXCL, never
 * through a link, `mode`, write-only) and exclusively flocked, its name
 * checked to be this file under the lock.  A file of that name no one
 * holds (a killed run's, of this pid) is replaced.  The descriptor, its
 * lock held until it is closed; -1 with errno set.
 */
int mpift_tmp_create(int dirfd, const char *tmp, mode_t mode);

/*
 * mpift_tmp_sweep - remove the temporary `name` of dirfd unless someone
 * holds its lock (a live writer): 1 when it was removed.  A symbolic link
 * of that name is removed too (no writer makes one).
 */
int mpift_tmp_sweep(int dirfd, const char *name);

#endif
