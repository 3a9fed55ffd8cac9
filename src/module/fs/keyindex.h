/*
 * keyindex.h - rank 0's index of content keys: which XXH3-128 a source
 * file had when its identity (device, inode, size, mtime, ctime) was
 * this, so a file that did not change is not read again to know its key
 * (stage/keys.h makes the keys; docs/content_keys.md).
 *
 * The index is one file, INDEX_NAME in the cache folder of rank 0's node
 * (cache.dir), read whole at the start of a run and written whole at its
 * end: a temporary (util/tmpname.h's pattern, mode 0600) renamed over
 * it, so a reader sees the old index or the new one, never a mix; two
 * runs that save at once lose some entries, never corrupt one.  Nothing
 * in it is trusted unchecked:
 *  - the folder must be the user's (made 0700 when missing), no symbolic
 *    link, writable by no one else; the index a regular file of the
 *    user's, opened without following a link.  Else it is refused: not
 *    read, not written (the run reads every source to key it);
 *  - a file that does not parse (magic, length, count, a field out of
 *    range, its digest) is ignored and rewritten;
 *  - at most MPIFT_KEYIDX_MAX entries are kept, this run's first.
 * No MPI, no messages of its own: the caller logs what why says.
 */
#ifndef MPIFT_KEYINDEX_H
#define MPIFT_KEYINDEX_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "util/kept.h"

#define MPIFT_KEYIDX_KEY 16
/* The most entries kept: 64 bytes each, a 64 MiB file at most, read in
 * well under a second; a million source files between two runs. */
#define MPIFT_KEYIDX_MAX ((size_t)1 << 20)
#define MPIFT_KEYIDX_NAME MPIFT_KEPT_INDEX_NAME   /* util/kept.h: the cache sweeps its temporaries */

/* A file's identity, as fstat gave it. */
struct mpift_keyidx_id {
    uint64_t dev, ino, size;
    int64_t mtime_sec, ctime_sec;
    uint32_t mtime_nsec, ctime_nsec;
};

struct mpift_keyidx_ent {
    struct mpift_keyidx_id id;
    uint8_t key[MPIFT_KEYIDX_KEY];
    uint8_t used;           /* found or put by this run: kept first */
};

struct mpift_keyidx {
    int dirfd;              /* the folder; -1: no index (nothing read or saved) */
    struct mpift_keyidx_ent *e;
    size_t n, cap;
    size_t nsorted;         /* e[0..nsorted) is sorted by (dev, ino): looked up by bisection */
    int dirty;              /* something to save */
    char path[PATH_MAX];    /* the index's path, for messages */
};

/* The identity of a file from its fstat. */
void mpift_keyidx_id_of(const struct stat *st, struct mpift_keyidx_id *id);

/*
 * mpift_keyidx_open - open the folder `dir` (absolute) and read its index.
 * MPIFT_OK: read, or none yet.  Else why says what and what was done:
 * MPIFT_ERR_CHECKSUM (the index is corrupt: ignored, rewritten at save),
 * MPIFT_ERR_ESCAPE (the folder or the index is not the user's alone, or
 * a link: refused, ix has no index), MPIFT_ERR_IO (the folder cannot be
 * made or opened: no index), MPIFT_ERR_NOMEM.  In every case ix can be
 * used and must be closed.
 */
int mpift_keyidx_open(struct mpift_keyidx *ix, const char *dir, char *why, size_t whylen);

/* The key of a file of identity id, or NULL: every field must match. */
const uint8_t *mpift_keyidx_find(struct mpift_keyidx *ix, const struct mpift_keyidx_id *id);

/* Remember key for id (replacing what the same device and inode had).
 * MPIFT_OK or MPIFT_ERR_NOMEM (the index just misses it).  Without an
 * index, nothing. */
int mpift_keyidx_put(struct mpift_keyidx *ix, const struct mpift_keyidx_id *id, const uint8_t *key);

/* Forget what the index holds for id's device and inode if it is `key`:
 * a key found not to be of the file's bytes (stage/keys.h), so the next
 * run reads the file instead of taking the same wrong key.  1 when an
 * entry went (saved by mpift_keyidx_save), else 0. */
int mpift_keyidx_drop(struct mpift_keyidx *ix, const struct mpift_keyidx_id *id, const uint8_t *key);

/* Write the index when it changed (see above).  MPIFT_OK, or MPIFT_ERR_IO
 * with why (the old index is left as it was). */
int mpift_keyidx_save(struct mpift_keyidx *ix, char *why, size_t whylen);

void mpift_keyidx_close(struct mpift_keyidx *ix);

#endif
