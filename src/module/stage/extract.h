/*
 * extract.h - stage-in's archives unpacked on arrival (an entry's
 * extract = true): each moves and verifies as one file to its dest,
 * then every writer that wrote it unpacks it into the folder of that
 * name less its suffix (fs/archive.h mpift_archive_folder: "sw/env.tar.zst"
 * into "sw/env"), beside which it was unpacked first (fs/unpack.h), and
 * removes it.
 *
 *   rank 0, planning: reads each archive's headers (fs/archive.h's
 *     checks: a hostile archive is refused there, naming its member, and
 *     never sent) and counts what it unpacks into; the counts go to every
 *     rank with the plan (mpift_extract_share)
 *   each writer, its needs: an archive whose folder's marker names its
 *     size and mtime is unchanged (not sent, not unpacked: the tree is
 *     left as it is); --force unpacks again
 *   preflight: the archive and its unpacked tree, counted whole (the old
 *     tree is there until the new one is in)
 *   after the last round: each archive this rank wrote is unpacked; one
 *     that cannot be fails that copy, naming the node and the cause
 */
#ifndef MPIFT_EXTRACT_H
#define MPIFT_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One archive of the plan and what it unpacks into (rank 0's count). */
struct mpift_extract_item {
    uint64_t index;       /* in the plan */
    uint64_t files, bytes, bytes4k, inodes;   /* fs/archive.h struct mpift_archive_count */
};

/* The plan's archives, in plan order.  Zeroed: none. */
struct mpift_extracts {
    size_t n;
    struct mpift_extract_item *item;
};

struct mpift_in_run;
struct mpift_room;

/* Rank 0, after planning: check and count each archive of the plan; one
 * refused (or unreadable) is named and taken out of the plan (counted in
 * plan.nerrors).  MPIFT_OK or MPIFT_ERR_NOMEM. */
int mpift_extract_scan(struct mpift_in_run *r);

/* Collective, after the plan is shared: rank 0's counts to every rank. */
int mpift_extract_share(struct mpift_in_run *r);

/* Archive i's count, or NULL when file i is none. */
const struct mpift_extract_item *mpift_extract_find(const struct mpift_extracts *ex, size_t i);

/* Is archive i's folder under my dest root what it unpacks into? */
bool mpift_extract_unchanged(const struct mpift_in_run *r, size_t i);

/* Preflight: archive i's tree on top of the archive itself. */
void mpift_extract_room(const struct mpift_in_run *r, size_t i, struct mpift_room *room);

/* After the rounds: unpack every archive this rank wrote. */
void mpift_extract_unpack(struct mpift_in_run *r);

void mpift_extract_free(struct mpift_extracts *ex);

#endif
