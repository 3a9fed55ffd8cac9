/*
 * older.h - what a node's cache knows of a file's older versions, for a
 * delta (engine/base.h, docs/resume.md): which content a dest name was
 * last staged as, and the per-chunk hashes of an entry.
 *
 *  - "last-<xxh3-64 of the name>": the size and key last staged (received
 *    or placed) under a dest name, relative to its dest root: jobs of a
 *    campaign stage the same names into dests of their own (%j), so the
 *    name finds the older version in the cache.  Sealed (the name's hash
 *    in it); one per name, written only for files a delta can take
 *    (transfer.delta on, at least 16 MiB), removed by eviction once the
 *    entry it names is gone.  It only points: the
 *    entry it names is looked up and verified as any (store.h).
 *  - "<entry>.kept": the entry's per-chunk XXH3-64s (util/kept.h), bound
 *    to its key: the cache verifies an entry is its key before it is
 *    used, so hashes of that content describe it.  Removed with it, or by
 *    eviction when it outlives it.
 * Both live in the checked folder, reached without following links, and
 * are ignored when they are not whole, sealed and this user's.  A lie
 * never makes a wrong copy: a writer checks each chunk it takes from a
 * base against the source's hash, and a copy that fails is re-sent (or,
 * with transfer.retries = 0, fails).
 */
#ifndef MPIFT_CACHE_OLDER_H
#define MPIFT_CACHE_OLDER_H

#include <stdint.h>

#include "cache/store.h"

#define MPIFT_CACHE_KEPT_SUFFIX ".kept"

/* Dest name `rel` was staged as (size, key) on this node. */
void mpift_cache_older_note(struct mpift_cache *c, const char *rel, uint64_t size, const uint8_t key[MPIFT_CACHE_KEY]);

/*
 * mpift_cache_older - the entry of the version `rel` was last staged as,
 * when it is not (size, key) and still verifies (mpift_cache_get): 1
 * with *fd (owned by the caller when *own, else held by c), its size, its
 * kept hashes (malloc'd, *n of them in chunks of `chunk`; NULL when none
 * are kept) and its name in the cache folder (ename: what a delta base
 * reopens at its file's turn, whatever "last-" says by then); 0 when
 * there is none.
 */
int mpift_cache_older(struct mpift_cache *c, const char *rel, uint64_t size, const uint8_t key[MPIFT_CACHE_KEY],
                      uint64_t chunk, int *fd, int *own, uint64_t *osize, uint64_t **hash, uint64_t *n,
                      char ename[MPIFT_CACHE_NAME]);

/* Is `name`, a file of the cache folder, a "last-*" record or a ".kept"
 * whose entry is gone?  (Eviction removes them: an entry removed by
 * another job between its put and its record, or by hand.) */
int mpift_cache_older_orphan(struct mpift_cache *c, const char *name);

/* Keep the n chunk hashes (chunks of `chunk`) of entry (size, key). */
void mpift_cache_older_keep(struct mpift_cache *c, uint64_t size, const uint8_t key[MPIFT_CACHE_KEY], uint64_t chunk,
                            const uint64_t *hash, uint64_t n);

#endif
