/*
 * base.h - what a writer already holds of a file before it comes: a base
 * (docs/resume.md).
 *
 * Two kinds.  A *resume* base is the temporary a killed run left for the
 * same destination and rank, under a name a re-run finds again
 * (".mpift-<hash of the name>-resume-r<rank>.tmp"; a live run's, locked,
 * is never taken: mpift_sink_open_base then uses a name of its own),
 * with its *record* beside it (".mpift-<hash>-record-r<rank>.tmp"): the source version it
 * belongs to (size, mtime, chunk size, the name's hash) and an XXH3-64 of
 * each chunk written, a prefix of the file, written only after an
 * fdatasync of the data it describes, and sealed with its own XXH3.  A
 * *delta* base is the older version at the final path (transfer.delta).
 *
 * The writer offers per-chunk hashes of its base: read and hashed from
 * the base itself, or, for a node cache entry, the hashes kept with it
 * (cache/older.h), which describe that verified content.  The source sends a chunk as a
 * KEEP frame (wire/proto.h) only when every writer of the route offered
 * it with the source's own hash, and the writer checks that hash again
 * as it takes the chunk from its base.  Both names have the shape of
 * util/tmpname.h, so no walk takes them for files; a run's sweep leaves
 * alone the ones it holds (locked) and removes the others.
 */
#ifndef MPIFT_BASE_H
#define MPIFT_BASE_H

#include <stddef.h>
#include <stdint.h>

struct mpift_watch;

/* Only files of at least this many bytes keep a record and take a base:
 * below it a re-send costs less than the record's syncs and the reads of
 * the base (docs/resume.md measures it). */
#define MPIFT_BASE_MIN ((uint64_t)16 << 20)

/* A delta is taken for a file only when at least 1 in this many of its
 * chunks of data (not zeros) can be kept by every writer that needs it,
 * with the source's hash when rank 0 has it (stage_in_base.c): below it
 * the file goes whole, striped where it would be. */
#define MPIFT_DELTA_SHARE 4

/* A record is brought up to date (after an fdatasync of the copy) every
 * this many bytes written: at most this much is sent again after a kill. */
#define MPIFT_RECORD_EVERY ((uint64_t)32 << 20)

/* Room for a resume temporary's or a record's name. */
#define MPIFT_BASE_NAME_MAX 64

enum mpift_base_kind {
    MPIFT_BASE_NONE = 0,
    MPIFT_BASE_RESUME = 1,   /* a killed run's temporary */
    MPIFT_BASE_DELTA = 2,    /* the older version at the final path */
    /* A delta base of which only a sample of chunks was read and hashed
     * (MPIFT_BASE_SAMPLE_CHUNKS): rank 0 judges the sample against the
     * source's same chunks, and the older version is read whole
     * (mpift_base_read_whole, a DELTA then) only where it may pay. */
    MPIFT_BASE_SAMPLE = 3,
};
#define MPIFT_BASE_KINDS 4

/* A delta base that must be read to be offered (no hashes kept) is first
 * hashed at this many chunks spread over the file, when it has at least
 * MPIFT_BASE_SAMPLE_MIN times as many (below, read whole at once): a file
 * whose older version shares nothing with the source is then declined for
 * a read of this many chunks, not of the whole older version. */
#define MPIFT_BASE_SAMPLE_CHUNKS 16
#define MPIFT_BASE_SAMPLE_MIN 4

/* Sample k (< MPIFT_BASE_SAMPLE_CHUNKS) of a file of n chunks: the middle
 * of its k-th of as many equal parts (the writers and rank 0 take the
 * same). */
static inline uint64_t mpift_base_sample(uint64_t n, unsigned k)
{
    return (2 * (uint64_t)k + 1) * n / (2 * MPIFT_BASE_SAMPLE_CHUNKS);
}

/*
 * mpift_base_sample_source - rank 0: the source's own chunks at the
 * samples of a file of n chunks (fd, `size` bytes, chunks of `chunk`),
 * hashed into h[MPIFT_BASE_SAMPLE_CHUNKS].  It ticks w after each read:
 * every other rank waits in a collective meanwhile, and hears rank 0's
 * heartbeats only while it ticks.  0, or -1 (unreadable).
 */
int mpift_base_sample_source(int fd, uint64_t size, uint64_t chunk, uint64_t n, uint64_t *h, struct mpift_watch *w);

/* The version of the source a copy is made of (METADATA's). */
struct mpift_base_of {
    uint64_t size;
    int64_t mtime_sec;
    uint32_t mtime_nsec;
    uint64_t chunk;
};

/* Where a delta base was found, so its file's turn opens it again. */
enum mpift_base_from {
    MPIFT_BASE_FROM_DEST = 0,   /* the older version at the final path */
    MPIFT_BASE_FROM_CACHE = 1,  /* the node's cache entry of the version last staged under the name */
};

struct mpift_base {
    enum mpift_base_kind kind;
    struct mpift_base_of of; /* the version it was found for: used for that version alone */
    /* resume: the temporary (locked, read-write), held from its offer on;
     * delta: the old file (read), -1 from its offer to its file's turn
     * (mpift_base_reopen): a re-stage of thousands of large files would
     * otherwise hold a descriptor each, and run out (EMFILE). */
    int fd;
    int recfd;               /* resume: the record (locked) */
    uint64_t nchunks;
    uint64_t prefix;         /* resume: chunks 0..prefix-1 all held (what a new record may claim) */
    uint64_t held;           /* chunks offered */
    unsigned char *have;     /* a bit per chunk: offered */
    uint64_t *hash;          /* [nchunks] XXH3-64 of each chunk offered */
    unsigned new_mode;       /* resume: the mode the copy was created with (0666 less the umask) */
    enum mpift_base_from from; /* delta: where it was found */
    uint64_t dev, ino;       /* delta: the file offered, which its reopening must find again */
    uint64_t fsize;          /* delta: its size then */
    int64_t mtime_sec;       /* delta: its mtime then */
    uint32_t mtime_nsec;
    uint64_t allocated;      /* resume: what its held chunks take on disk (st_blocks at most), for preflight */
    int keyed;               /* the file has a content key (engine/file.h): a copy over this base is held to it */
    uint8_t key[16];
    struct mpift_watch *watch; /* told of the work while the base is read (NULL: none) */
};

/* What a copy of a large file keeps (engine/xfer.h's resumable). */
enum {
    MPIFT_COPY_PLAIN = 0,      /* nothing */
    MPIFT_COPY_RESUMABLE = 1,  /* a record beside its temporary, and its chunk hashes at the commit */
    MPIFT_COPY_HASHED = 2,     /* its chunk hashes at the commit only (a copy no run resumes) */
};

/* Most chunks a base may have: its hashes stay within 32 MiB of memory. */
#define MPIFT_BASE_CHUNKS_MAX ((uint64_t)1 << 22)

/* The names of the resume temporary and record of final name `name` for `rank`. */
void mpift_base_names(const char *name, int rank, char *tmp, char *rec);

/* A cache entry of an older version of the file (stage_in_base.c): the
 * delta base preferred to the file at the final path, which would be
 * read.  fd is read, never written; hash (NULL: none kept, the entry is
 * read and hashed) holds n chunk hashes of it (cache/older.h). */
struct mpift_base_alt {
    int fd;
    uint64_t size;
    const uint64_t *hash;
    uint64_t n;
};

/* How to look that entry up, called only when a delta base is wanted (no
 * resume base taken): looking it up may read and hash a whole entry
 * whose identity moved.  look returns it (held by the caller, who frees
 * it after mpift_base_find) or NULL. */
struct mpift_base_older {
    const struct mpift_base_alt *(*look)(void *arg);
    void *arg;
};

/*
 * mpift_base_find - what the folder of `rel` below rootfd holds of it for
 * this rank and version `of`: a resume base whose record is whole, sealed
 * and of this version (chunks that no longer hash as recorded are not
 * offered), else with `delta` a delta base (a regular file at `name`
 * whose size or mtime differ, read and hashed; the cache entry of an
 * older version `older` looks up (may be NULL) is preferred to it:
 * offered from the cache's kept hashes unread, or read).  Never follows a link; a temporary another
 * live run holds (locked) is left alone.  b->kind NONE: nothing to offer.
 * `why` says, for --verbose, why a resume temporary was not taken, or
 * what the delta base was made of ("" if none).
 * Reading a large base takes long, before the first collective: per chunk
 * read, w (may be NULL) is told this rank works (mpift_watch_work), so that
 * rank 0, waiting in that collective, does not take it for stuck.
 */
void mpift_base_find(struct mpift_base *b, int rootfd, const char *rel, int rank, const struct mpift_base_of *of,
                     int delta, const struct mpift_base_older *older, struct mpift_watch *w, char *why,
                     size_t whylen);

/*
 * mpift_base_reopen - a delta base's file opened again at its file's turn
 * (it holds no descriptor from its offer on): from the cache, `cachefd`
 * (the entry looked up again; the caller keeps its own), else the file at
 * `rel` below rootfd, never through a link.  Only the same file (device,
 * inode, size, mtime) is taken: else the base is let go (kind NONE), said
 * with --verbose, and a KEEP frame for it then drops the copy, which is
 * sent again whole (as for a base changed in place).  0 or -1.
 */
int mpift_base_reopen(struct mpift_base *b, int rootfd, const char *rel, int cachefd);

/*
 * mpift_base_read_whole - a SAMPLE base, which rank 0 found may pay: its
 * file opened again (as mpift_base_reopen, the same file only) and every
 * chunk whole at the same offset read and hashed, a DELTA base then (its
 * file closed again until its turn).  0, or -1 with the base let go.
 */
int mpift_base_read_whole(struct mpift_base *b, int rootfd, const char *rel, int cachefd);

/* Does the base offer chunk i with hash h? */
int mpift_base_has(const struct mpift_base *b, uint64_t i, uint64_t h);

/* Was b found for version `of` (size, mtime, chunk size)?  A base is used
 * for that version alone: its chunk count, prefix and hashes were made for
 * it, and a source that changed since (METADATA's) has another. */
int mpift_base_for(const struct mpift_base *b, const struct mpift_base_of *of);

void mpift_base_free(struct mpift_base *b);

/* Rank 0, per file: what the writers offered, merged (stage/stage_in_base.c). */
struct mpift_keep {
    uint64_t nchunks;
    uint64_t *hash;          /* [nchunks] the hash the writers offered */
    uint32_t *count;         /* [nchunks] how many offered it (UINT32_MAX: they disagree) */
    uint32_t nkind[MPIFT_BASE_KINDS]; /* writers offering a base of each kind: a resume is always taken */
};

/* May chunk i (hash h) go as a KEEP frame to a route of m writers? */
static inline int mpift_keep_chunk(const struct mpift_keep *k, uint32_t m, uint64_t i, uint64_t h)
{
    return k && m > 0 && i < k->nchunks && k->count[i] == m && k->hash[i] == h;
}

/* A record being written beside a resumable copy (sink.c), and the
 * chunk hashes of any large copy, handed over at its commit (sink.h's
 * kept: the node's cache keeps them with its entry, cache/older.h). */
struct mpift_record {
    int fd;                  /* -1: no record file (hash may still be collected) */
    struct mpift_base_of of;
    uint64_t name_hash;
    uint64_t nchunks;
    uint64_t done;           /* chunks 0..done-1 written, in order */
    uint64_t claimed;        /* chunks the record on disk claims */
    uint64_t unsynced;       /* bytes written since the last fdatasync */
    uint64_t *hash;          /* [nchunks] */
    unsigned new_mode;
};

/* Start the record of final name `name` in dirfd (any file at `rec` is
 * replaced, never followed), claiming the base's held prefix; recname
 * NULL: the hashes are only collected, no record file kept.  Failure
 * only means no record: the copy is made as before. */
void mpift_record_start(struct mpift_record *rec, int dirfd, const char *name, const char *recname,
                        const struct mpift_base_of *of, const struct mpift_base *base, unsigned new_mode);

/* Chunk i (hash h) is written to datafd: every MPIFT_RECORD_EVERY bytes,
 * fdatasync datafd, then write the record claiming what was synced. */
void mpift_record_chunk(struct mpift_record *rec, int datafd, uint64_t i, uint64_t h, uint64_t len);

/* Close it; with `remove`, unlink it from dirfd first (the copy was
 * committed or dropped). */
void mpift_record_close(struct mpift_record *rec, int dirfd, const char *recname, int remove);

#endif
