/*
 * fsident.h - does a file system keep a file's identity: do its device,
 * inode number, size, mtime and ctime name one version of the file's
 * bytes for as long as they are seen?  Rank 0's key index
 * (fs/keyindex.h, stage/keys.h) takes a key from that identity without
 * reading the file, so it trusts it only where this says yes.
 *
 * It holds where the kernel keeps ctime (set by the kernel at every
 * change, never from stored data a user wrote) and inode numbers are
 * persistent: the local file systems written in place and the cluster
 * file systems whose servers keep both.  It does not hold on image file
 * systems (squashfs, erofs, iso9660: ctime is the image's mtime, the
 * same in every build of a reproducible image, inodes are numbered in
 * walk order, and a loop device's number is reused after umount), on
 * FUSE (inode numbers are per-mount counters, ctime often mtime at 1 s),
 * on overlay (a lower file's identity is its image's) or on anything
 * not known.  So the list is an allowlist, by fstatfs's f_type: the one
 * home of its magic numbers.  A trusted format is not enough: an image of
 * ext4, xfs, btrfs or f2fs (mke2fs -d, a deterministic build) carries its
 * ctimes as data just as squashfs does, so a file system on a loop or nbd
 * device (itself, a partition of it, or device-mapper over it), or
 * mounted read-only, is not trusted either.
 */
#ifndef MPIFT_FSIDENT_H
#define MPIFT_FSIDENT_H

#include <stddef.h>

/* The room a file system's name takes in mpift_fs_keeps_ident's `name`. */
#define MPIFT_FSIDENT_NAME 64

/*
 * mpift_fs_keeps_ident - 1 when fd's file system keeps a file's identity
 * (above); 0 when it does not, or fstatfs fails.  name (MPIFT_FSIDENT_NAME
 * bytes, or NULL) gets the file system's kind for messages: "ext2/3/4",
 * "squashfs", "fuse", "xfs on loop/nbd device 7:0", "ext2/3/4 mounted
 * read-only", ... or "type 0x..." when it is not named here.
 */
int mpift_fs_keeps_ident(int fd, char *name, size_t len);

#endif
