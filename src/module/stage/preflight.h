/*
 * preflight.h - before any bytes move, one check for stage-in (each
 * writer, under its dest root) and stage-out (rank 0, under collect): can
 * the file system take the files about to arrive, each rounded up to whole
 * blocks, and may we write there?  A refused run has sent nothing.
 */
#ifndef MPIFT_PREFLIGHT_H
#define MPIFT_PREFLIGHT_H

#include <stddef.h>
#include <stdint.h>

/* The room files need under one root.  Fill with mpift_room_start. */
struct mpift_room {
    int dirfd;
    const char *root;     /* for messages */
    uint64_t block;       /* what each file's size is rounded up to */
    uint64_t need;
    uint64_t inodes;      /* files and folders to be made */
    uint64_t replaced;    /* files counted that replace one already there */
    int any;              /* a file or folder was added */
};

void mpift_room_start(struct mpift_room *rm, int dirfd, const char *root);

/* One more file of `size` bytes to come. */
void mpift_room_add(struct mpift_room *rm, uint64_t size);

/* An archive's unpacked tree (stage/extract.h): its files' bytes, those
 * rounded up to 4 KiB each (rank 0 counts them without knowing the
 * writer's blocks), its files and inodes. */
void mpift_room_add_tree(struct mpift_room *rm, uint64_t bytes, uint64_t bytes4k, uint64_t files, uint64_t inodes);

/* One more folder to be made. */
void mpift_room_add_folder(struct mpift_room *rm);

/* Are there fewer inodes free than counted?  (Then the caller may take
 * back the files that replace one already there: mpift_room_replaces.) */
int mpift_room_inodes_short(const struct mpift_room *rm);

/* One of the files counted replaces a file already there: it needs no
 * inode of its own (all of them one, for the temporary being written). */
void mpift_room_replaces(struct mpift_room *rm);

/*
 * mpift_room_check - 0 when there is room (or nothing comes); else -1,
 * with the reason logged and in why: the need and the free space, or the
 * access error, then "nothing was VERB" and what to do about SETTING.
 * host, when not NULL, leads the message (a writer names its node).
 */
int mpift_room_check(const struct mpift_room *rm, const char *host, const char *verb, const char *setting,
                     char *why, size_t whylen);

#endif
