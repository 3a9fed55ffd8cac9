/*
 * store.h - a node's cache of staged contents across jobs (cache.dir):
 * one folder per node, one entry per content, named by its size and its
 * key (XXH3-128 of the bytes, canonical form: "<size>-<32 hex>").
 *
 * Rules (docs/cache.md):
 *  - The folder is the user's alone: made 0700 when missing; refused when
 *    it is a symbolic link, owned by another user, or writable by group
 *    or others.  It is opened once (O_NOFOLLOW | O_DIRECTORY) and every
 *    name in it is reached relative to that descriptor, never through a
 *    link planted inside.
 *  - Entries are read-only (their mode less every write bit), made whole
 *    before their name appears (a hard link of a verified copy, or a
 *    temporary renamed by link), and never replaced.
 *  - Beside each entry, "<entry>.rec": the identity the entry had when
 *    mpift last knew its bytes (device, inode, size, mtime, ctime).  An
 *    entry whose inode still has that identity is trusted without being
 *    read; any other (no record, a link added or removed, a chmod, a
 *    write) is read and hashed whole, and discarded when it is not its
 *    key.  A record holds only an identity that was verified: the one
 *    an entry had before it was hashed, when it still had it after; one
 *    a job held and placed, as its own link left it.  An entry whose
 *    identity moves between its check and its placing is not placed
 *    (mpift_cache_still).  The record's mtime is the entry's last use
 *    (atime is not kept by most mounts, and the entry shares its inode
 *    with copies).
 *  - A job holds a shared flock on each entry it uses until it closes
 *    the cache; eviction takes an exclusive one without waiting and
 *    passes over what it cannot take.  Puts, discards, records and
 *    eviction serialise on ".lock" (flock), so jobs of one node share
 *    one folder safely; a put copies into its temporary (flocked, so
 *    eviction's sweep passes it over) before it takes the lock.  A lock
 *    busy too long turns the cache off for the run, never fails it; an
 *    entry's own lock busy as long makes that lookup a miss.
 *  - A write into the folder that fails (a full file system, a quota,
 *    no inodes) is told once and ends the run's writes there (nowrite).
 * No MPI: each writer rank opens its node's folder itself.
 */
#ifndef MPIFT_CACHE_STORE_H
#define MPIFT_CACHE_STORE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "fs/fsident.h"

#define MPIFT_CACHE_KEY 16                          /* bytes of a key */
#define MPIFT_CACHE_NAME (20 + 1 + 2 * MPIFT_CACHE_KEY + 1) /* "<size>-<hex>" and its NUL */

/* The store's own temporaries in the folder (util/tmpname.h's shape):
 * an entry being copied in, a record being written. */
#define MPIFT_CACHE_TMP_PUT ".mpift-put-"
#define MPIFT_CACHE_TMP_REC ".mpift-rec-"

/* An entry's identity as its record keeps it: what a check verified. */
struct mpift_cache_id {
    uint64_t dev, ino, size;
    int64_t msec, mnsec, csec, cnsec;
};

/* An entry a job holds, and the identity it was verified as. */
struct mpift_cache_held {
    int fd;
    struct mpift_cache_id id;
};

struct mpift_cache {
    int dirfd;               /* the folder; -1: no cache */
    int lockfd;              /* its ".lock" */
    uint64_t max_size;       /* bytes kept at most (0: no bound) */
    char path[PATH_MAX];     /* the folder as configured, for messages */
    struct mpift_cache_held *held;   /* entries held with LOCK_SH until mpift_cache_close */
    size_t nheld, capheld, maxheld;
    /* Called while waiting for ".lock" and per MiB while an entry is
     * re-hashed (NULL: not): the job's other ranks must still hear from
     * this one, which is working (the caller's watchdog). */
    void (*tick)(void *arg);
    void *tick_arg;
    double lock_wait;        /* seconds to wait for ".lock"; 0: MPIFT_CACHE_LOCK_WAIT */
    /* ".lock" stayed busy past MPIFT_CACHE_LOCK_WAIT: the folder is not
     * used again by this run (lookups miss, puts do nothing); off_why says
     * so for the user, and the caller tells it once (off_told). */
    int off, off_told;
    char off_why[3 * PATH_MAX + 256];
    /* --cache-prune: rank 0's records of chunk hashes whose entry is
     * gone go at once, not only once idle (util/kept.h). */
    int prune;
    /* An entry's shared lock stayed busy past the wait once: later ones
     * are tried once each, so a run waits that long at most once. */
    int entry_waited;
    /* A write into the folder failed (a record, a note, a put: ENOSPC,
     * EDQUOT, no inodes...): nothing more is written there by this run,
     * what is there is still used; nowrite_why says the first failure,
     * and the caller tells it once (nowrite_told). */
    int nowrite, nowrite_told;
    char nowrite_why[PATH_MAX + 2 * MPIFT_CACHE_NAME + 256];
    /* A write there failed for another cause (mpift_cache_nowrite): the
     * first, with advice, told once by the caller (write_told). */
    int write_failed, write_told;
    char write_why[PATH_MAX + 2 * MPIFT_CACHE_NAME + 384];
    /* The folder's file system does not keep a file's identity
     * (fs/fsident.h: FUSE, overlay, an image...): a rewrite may leave an
     * entry's identity as recorded, so no record is trusted (each is
     * only the use stamp) and every entry is hashed before it is used;
     * fskind names the file system for the caller's --verbose line. */
    int untrusted;
    char fskind[MPIFT_FSIDENT_NAME];
};


/* Seconds a put, record, discard or eviction waits for ".lock" before the
 * run gives the cache up: the lock is held only around a link and a
 * record (copies are made outside it), so a longer wait means a stuck
 * process or a user's flock, and filling the cache never fails a job.
 * A lookup waits as long for an entry's own lock (held exclusively only
 * for an instant by eviction) before it takes the entry for a miss.
 * (A stage-in waits less under a shorter transfer.timeout: lock_wait.) */
#define MPIFT_CACHE_LOCK_WAIT 5

/*
 * mpift_cache_open - open (making it 0700 when missing) the folder `dir`
 * and check it (above).  `host` names this node in messages.  MPIFT_OK,
 * or MPIFT_ERR_IO / MPIFT_ERR_CONFIG with why naming the folder, the
 * node, the cause and what to do; c is then closed (dirfd -1).
 */
int mpift_cache_open(struct mpift_cache *c, const char *dir, uint64_t max_size, const char *host, char *why,
                     size_t whylen);

/* Release every held entry and close the folder.  Safe on a closed one. */
void mpift_cache_close(struct mpift_cache *c);

/* The entry's name for (size, key). */
void mpift_cache_name(uint64_t size, const uint8_t key[MPIFT_CACHE_KEY], char name[MPIFT_CACHE_NAME]);

enum mpift_cache_found {
    MPIFT_CACHE_MISS = 0,    /* no entry */
    MPIFT_CACHE_HIT,         /* *fd: the entry, verified (held until close when *held) */
    MPIFT_CACHE_BAD,         /* there was one, it is not its key: discarded (why says how) */
};

/*
 * mpift_cache_get - the entry of (size, key), verified as above; on a
 * hit *fd is the entry opened read-only with a shared flock, and its use
 * is stamped; *id (unless NULL) the identity verified.  *slot >= 0: c
 * holds it until mpift_cache_close (do not close it; mpift_cache_held
 * gives it and its identity again); -1: c holds a quarter of the
 * open-file limit already, the caller owns fd and closes it once done
 * (the entry is protected only while it is open).  A miss with why set
 * (the entry is left): a read error while verifying, an entry that
 * changed while it was hashed, its lock held past the wait.
 */
enum mpift_cache_found mpift_cache_get(struct mpift_cache *c, uint64_t size, const uint8_t key[MPIFT_CACHE_KEY],
                                       int *fd, int *slot, struct mpift_cache_id *id, char *why, size_t whylen);

/* The entry c holds in `slot` (mpift_cache_get): its descriptor, and in
 * *id (unless NULL) the identity it was verified as. */
int mpift_cache_held(const struct mpift_cache *c, int slot, struct mpift_cache_id *id);

/*
 * mpift_cache_still - may entry fd (of size, key), verified as `id`, be
 * placed now?  1 when its identity is still `id`, or is the one its
 * record holds (another rank or job placed it meanwhile, and recorded
 * it), with that identity in *now; 0 when it changed in any other way (a
 * write, a chmod, a touch behind mpift's back): not to be placed.  Asked
 * under the folder's lock when it can be had: another's link and its
 * record (mpift_cache_touch) are then one step, never seen apart.
 */
int mpift_cache_still(struct mpift_cache *c, uint64_t size, const uint8_t key[MPIFT_CACHE_KEY], int fd,
                      const struct mpift_cache_id *id, struct mpift_cache_id *now);

/*
 * mpift_cache_reverify - entry fd (of size, key) moved since it was
 * verified (mpift_cache_still said no): hash it again, here, as a lookup
 * does.  Most such moves are ordinary (another job's copies of it deleted,
 * a link of ours that could not be recorded: only its ctime moved), and
 * a local read beats a fetch.  MPIFT_CACHE_HIT with *id the identity
 * verified (and recorded); MPIFT_CACHE_BAD (not its key: discarded) or
 * MPIFT_CACHE_MISS with why.  Not under the folder's lock (a hash takes
 * long).
 */
enum mpift_cache_found mpift_cache_reverify(struct mpift_cache *c, uint64_t size, const uint8_t key[MPIFT_CACHE_KEY],
                                            int fd, struct mpift_cache_id *id, char *why, size_t whylen);

/* The entry fd, whose identity was `before` (mpift_cache_still) just
 * before it was linked as a copy, changed its ctime by that link: record
 * it again so the next job trusts it, if its inode, size and mtime are
 * still those.  The caller holds the folder's lock since that check. */
void mpift_cache_touch(struct mpift_cache *c, uint64_t size, const uint8_t key[MPIFT_CACHE_KEY], int fd,
                       const struct mpift_cache_id *before);

/*
 * mpift_cache_put - keep the verified copy `name` in dirfd (its content
 * is (size, key)): a hard link when the folders share a file system (the
 * copy loses its write bits: it is the entry), else a copy.  MPIFT_OK
 * (also when the entry was already there, or the folder is off), or an
 * error with why (a full file system, a quota, no inodes): the caller
 * warns, the copy stays.  `verified`: the copy's bytes were checked
 * against the source (transfer.checksum xxh3); else the entry is put
 * without a record, so the first lookup hashes it whole and discards it
 * if it is not its key (a copy received under checksum "none" is never
 * trusted unread).  `committed` is the copy's identity at its commit
 * (engine/sink.h): a copy whose identity is not that one now, or moves
 * while it is copied in, is not put: MPIFT_ERR_CHECKSUM with why (the
 * caller says so; the cache stays in use).
 */
int mpift_cache_put(struct mpift_cache *c, uint64_t size, const uint8_t key[MPIFT_CACHE_KEY], int dirfd,
                    const char *name, const struct stat *committed, int verified, char *why, size_t whylen);

/* One entry, as listed. */
struct mpift_cache_item {
    char name[MPIFT_CACHE_NAME];
    uint64_t size;           /* the entry's bytes, its .kept's (cache/older.h) and its source record's
                              * (util/kept.h): what cache.max_size bounds */
    uint64_t kept;           /* of size, the .kept's and the source record's */
    int64_t last_use;        /* seconds since the epoch (0: never recorded) */
    int in_use;              /* a running job holds it */
};

/*
 * mpift_cache_list - every entry, oldest use first, into *items (malloc'd,
 * *n of them; free() it).  MPIFT_OK or MPIFT_ERR_NOMEM / _IO.
 */
int mpift_cache_list(struct mpift_cache *c, struct mpift_cache_item **items, size_t *n);

/*
 * mpift_cache_evict - least recently used first, remove entries until
 * the folder holds at most `max` bytes, passing over those a job holds.
 * *kept: bytes left; of those removed, *freed: given back to the file
 * system, *linked: still held by copies placed from the cache (an entry
 * hard-linked into a dest loses only the cache's name).  MPIFT_OK or an
 * error.
 */
int mpift_cache_evict(struct mpift_cache *c, uint64_t max, uint64_t *kept, uint64_t *freed, uint64_t *linked);

/* The folder's lock (".lock", exclusive): puts, records, discards and
 * eviction take it, across the jobs of a node.  0, or -1 when it stayed
 * busy for MPIFT_CACHE_LOCK_WAIT seconds (or did before): c is then off. */
int mpift_cache_lock(struct mpift_cache *c);
void mpift_cache_unlock(struct mpift_cache *c);

/* A write into the folder failed with err (what: the file, for the
 * user).  A want of room (mpift_cache_no_room): the first goes into
 * nowrite_why, and nothing more is written there by this run (nowrite).
 * Any other cause (too many open files, a read-only or stale file
 * system, permissions) is this write's alone: the first goes into
 * write_why with advice that fits it, and the cache is still written. */
void mpift_cache_nowrite(struct mpift_cache *c, const char *what, int err);

/* Is err a want of room: ENOSPC (blocks or inodes), EDQUOT, EFBIG? */
int mpift_cache_no_room(int err);

/* Does `base` name an entry ("<size>-<32 hex>")?  *size gets its size. */
int mpift_cache_entry_name(const char *base, uint64_t *size);

#endif
