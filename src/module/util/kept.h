/*
 * kept.h - the per-chunk hashes of a file kept from the stage that wrote
 * it, so that the next delta (engine/base.h, docs/resume.md) offers them
 * without reading the file again.
 *
 * A kept record is a small sealed file: "MPIFTKH1", what its hashes are
 * bound to (seven u64), the chunk size, the file's size, the count n of
 * chunks, their n XXH3-64s, and an XXH3-64 of all that.  It is bound
 * either to a file's identity (device, inode, size, mtime, ctime: a
 * copy in a dest, beside it) or to a content key (a cache entry, whose
 * content the cache verifies by that key).  Any write, chmod, link or
 * touch of the file moves its ctime, which no user can set back, so a
 * record whose identity is not the file's now is not used: the file is
 * read.  A record is read only when it is a regular file of this user
 * reached without following a link, of exactly its length, sealed, and
 * of the chunk size and file size asked: anything else is ignored.
 * Nothing here makes a copy right: a writer still checks each chunk it
 * takes against the source's hash, and the whole file before its rename.
 */
#ifndef MPIFT_KEPT_H
#define MPIFT_KEPT_H

#include <stdint.h>
#include <sys/stat.h>

/* What a record's hashes are bound to. */
struct mpift_kept_id {
    uint64_t v[7];
};

/* The identity of the file st describes (dev, ino, size, mtime, ctime). */
void mpift_kept_id_file(const struct stat *st, struct mpift_kept_id *id);

/* A content key (size and 16 bytes of XXH3-128). */
void mpift_kept_id_key(uint64_t size, const uint8_t key[16], struct mpift_kept_id *id);

/*
 * mpift_kept_save - write the record `name` in dirfd: n hashes of a file
 * of `size` bytes in chunks of `chunk`, bound to id; through the
 * temporary `tmp` (created O_EXCL, never through a link) renamed over
 * it, so a reader sees one whole record or none.  0, or -1 (nothing left).
 */
int mpift_kept_save(int dirfd, const char *name, const char *tmp, const struct mpift_kept_id *id, uint64_t chunk,
                    uint64_t size, const uint64_t *hash, uint64_t n);

/*
 * mpift_kept_load - the hashes (malloc'd, *n of them: one per chunk of
 * `size`) of the record `name` in dirfd, if it is whole, sealed, this
 * user's, and bound to id with this chunk size and file size; else NULL
 * with *why saying which (for --verbose).
 */
uint64_t *mpift_kept_load(int dirfd, const char *name, const struct mpift_kept_id *id, uint64_t chunk, uint64_t size,
                          uint64_t *n, const char **why);

#endif
