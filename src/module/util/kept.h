/*
 * kept.h - the per-chunk hashes of a file kept from the stage that wrote
 * it, so that the next delta (engine/base.h, docs/resume.md) offers them
 * without reading the file again.  Only the node's cache keeps them, with
 * an entry (cache/older.h): a dest holds nothing but the staged files.
 *
 * A kept record is a small sealed file: "MPIFTKH1", what its hashes are
 * bound to (seven u64: a cache entry's content key, which the cache
 * verifies before it uses the entry), the chunk size, the file's size,
 * the count n of chunks, their n XXH3-64s, and an XXH3-64 of all that.
 * A record is read only when it is a regular file of this user reached
 * without following a link, of exactly its length, sealed, bound to the
 * key asked, and of the chunk size and file size asked: anything else is
 * ignored.  Nothing here makes a copy right: a writer still checks each
 * chunk it takes against the source's hash, and the whole file before
 * its rename.
 */
#ifndef MPIFT_KEPT_H
#define MPIFT_KEPT_H

#include <stdint.h>

/* Rank 0's key index in its cache folder (fs/keyindex.h), and beside it
 * a record of each source's chunks (fs/keyhashes.h): the index's name,
 * '-' and the name of the cache entry of the same content
 * ("<size>-<32 hex>"), whose life the record shares (cache/evict.c:
 * counted and removed with that entry).  One whose entry is gone (a
 * content rank 0's node does not cache: a file sent to other ranks
 * only, an archive unpacked, an entry evicted) stays while rank 0 uses
 * it, each load renewing its mtime, and goes once unused for
 * MPIFT_KEPT_SOURCE_IDLE, or with --cache-prune: sweeping it at once
 * made rank 0 read such a source whole on every run.  Their
 * temporaries, "index*.mpift-<pid>-<random>.tmp" (util/tmpname.h), are flocked
 * while written: eviction's sweep removes those no one holds, never one
 * caught between its creation and its lock (util/tmplock.h). */
#define MPIFT_KEPT_INDEX_NAME "index"
#define MPIFT_KEPT_SOURCE_PREFIX MPIFT_KEPT_INDEX_NAME "-"
#define MPIFT_KEPT_SOURCE_IDLE (7 * 24 * 3600)   /* seconds */

/* What a record's hashes are bound to. */
struct mpift_kept_id {
    uint64_t v[7];
};

/* A content key (size and 16 bytes of XXH3-128). */
void mpift_kept_id_key(uint64_t size, const uint8_t key[16], struct mpift_kept_id *id);

/*
 * mpift_kept_save - write the record `name` in dirfd: n hashes of a file
 * of `size` bytes in chunks of `chunk`, bound to id; through the
 * temporary `tmp` (created O_EXCL, never through a link, flocked until
 * renamed) renamed over it, so a reader sees one whole record or none.  0, or the errno of
 * what failed (ENOSPC, EDQUOT, EEXIST, EISDIR...; EINVAL: n does not fit
 * size and chunk; ENOMEM): nothing is then left, and why (unless NULL)
 * says it for a user (mpift_tmp_why when the temporary is in the way).
 */
int mpift_kept_save(int dirfd, const char *name, const char *tmp, const struct mpift_kept_id *id, uint64_t chunk,
                    uint64_t size, const uint64_t *hash, uint64_t n, char *why, size_t whylen);

/*
 * mpift_kept_load - the hashes (malloc'd, *n of them: one per chunk of
 * `size`) of the record `name` in dirfd, if it is whole, sealed, this
 * user's, and bound to id with this chunk size and file size; else NULL
 * with *why saying which (for --verbose).
 */
uint64_t *mpift_kept_load(int dirfd, const char *name, const struct mpift_kept_id *id, uint64_t chunk, uint64_t size,
                          uint64_t *n, const char **why);

#endif
