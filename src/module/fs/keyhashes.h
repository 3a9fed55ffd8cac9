/*
 * keyhashes.h - rank 0's per-chunk hashes of its sources, kept beside its
 * key index (fs/keyindex.h) so that a delta's "does it pay" rule
 * (stage/stage_in_base.c, docs/resume.md) compares the writers' offers
 * with the source's own chunks without reading the source again.
 *
 * One small file per content, "index-<size>-<32 hex of the key>" in the
 * index's folder: util/kept.h's sealed record, bound to that content key
 * (size and XXH3-128), so a record describes the bytes of every file of
 * that key, whatever its inode.  Read only when whole, sealed, this
 * user's, never through a link, of the chunk size asked; a lie only
 * changes which files take a delta, never a copy's bytes (each chunk a
 * writer takes from its base is checked against the source's hash as it
 * is sent).  A record whose key the index no longer holds is removed
 * when the index is saved (mpift_keyhashes_sweep), so there are never
 * more of them than index entries of large files; and the cache's
 * eviction (cache/evict.c) counts and removes each with the cache entry
 * of the same content, so they are bounded by cache.max_size too.
 */
#ifndef MPIFT_KEYHASHES_H
#define MPIFT_KEYHASHES_H

#include <stddef.h>
#include <stdint.h>

#include "fs/keyindex.h"

/* The n chunk hashes (malloc'd) of content (size, key) in chunks of
 * `chunk`, from ix's folder; NULL when none is kept (or ix has no folder). */
uint64_t *mpift_keyhashes_load(const struct mpift_keyidx *ix, uint64_t size, const uint8_t *key, uint64_t chunk,
                               uint64_t *n);

/* Keep them (nothing when ix has no folder).  MPIFT_OK, or MPIFT_ERR_IO /
 * _NOMEM with why naming the folder, the record and the cause (ENOSPC,
 * EDQUOT...): nothing is then kept, and the next run reads the source
 * again for them. */
int mpift_keyhashes_save(const struct mpift_keyidx *ix, uint64_t size, const uint8_t *key, uint64_t chunk,
                         const uint64_t *hash, uint64_t n, char *why, size_t whylen);

/* Remove every record of ix's folder whose content no entry of ix has. */
void mpift_keyhashes_sweep(const struct mpift_keyidx *ix);

#endif
