/*
 * file.h - one file or folder to move, as every rank knows it: what the
 * engine needs of a file (its name below the dest root, its size, mtime
 * and mode, and on the source rank where to read it), kept in the plans
 * of stage/ (stage/plan.h) and made up for one file by the service.
 */
#ifndef MPIFT_FILE_H
#define MPIFT_FILE_H

#include <stdint.h>

enum mpift_ptype { MPIFT_PT_FILE = 0, MPIFT_PT_DIR = 1 };

/*
 * Where a file is read, on the rank that sends it: the device and inode
 * it had when it was planned, which the file opened must still have (both
 * 0: not planned, not checked), and its absolute path, below the source
 * root the sender reads from (struct mpift_xfer's srcroot).  A stripe
 * reader (stage/source_shared.h) holds the file it judged open in `fd`
 * from the striping agreement to the end of the run, and reads its
 * stripes from that open, never from the name again (-1: not held; the
 * owner of the plan closes it).  One allocation (mpift_src_new,
 * engine/source.h; free() it): only the sending rank and stripe readers
 * hold these, 64 bytes per file more than the path alone.
 */
struct mpift_src {
    uint64_t dev, ino;
    int fd;
    /* A library of a program (stage/libs.h), which may lie outside the
     * source root: read beneath "/" instead, and only as the file planned
     * (dev and ino are always set for one). */
    int beyond;
    /* Rank 0's plan of stage_in: the entry that planned it (its index
     * in the configuration), and whether that entry named it (no glob,
     * no folder walk): stage/libs_plan.c gives an entry's libraries to
     * its own files only. */
    uint32_t entry;
    int named;
    /* Rank 0, a keyed file (struct mpift_pfile's key): the size, mtime
     * and ctime its key was made from, which the file opened to send
     * must still have (mpift_source_open), so no copy is made of other
     * content than its key's.  stamped 0: not keyed, not held to them. */
    int stamped;
    /* Rank 0: the bytes sent were not of the key (mpift_source_not_key):
     * stage/keys.h's mpift_keys_forget takes it out of the key index. */
    int key_wrong;
    /* st_blocks when planned: a source whose blocks hold less than its
     * size (sparse) is walked for what its copies allocate (pfile's
     * alloc); 0 with no stat. */
    uint64_t blocks;
    uint64_t key_size;
    int64_t key_mtime_sec, key_ctime_sec;
    uint32_t key_mtime_nsec, key_ctime_nsec;
    char path[];
};

/* One file or directory to stage.  A small record: memory per file stays
 * bounded for hundreds of thousands of files. */
struct mpift_pfile {
    char *dest;          /* relative to the dest root, normalized */
    struct mpift_src *src; /* the sender's (rank 0's; a stage-out writer's): NULL elsewhere */
    uint64_t size;
    int64_t mtime_sec;
    uint32_t mtime_nsec;
    uint32_t mode;       /* permission bits */
    uint8_t type;        /* mpift_ptype */
    uint8_t preserve;    /* keep mode (mtime is always kept: it is how a re-run
                          * recognises an unchanged file) */
    uint8_t extract;     /* an archive, unpacked by its writers (stage/extract.h) */
    int32_t target;      /* -1: every writer of the copies policy; else one rank (scatter) */
    /* The content key (stage/keys.h): XXH3-128 of the whole content in
     * its canonical big-endian form (XXH128_canonicalFromHash), made by
     * rank 0 when cache.dir is set.  keyed 1: key holds, and a writer
     * that verifies the copy has exactly that content; 0: no key, the
     * file is never taken from nor put in a cache. */
    uint8_t keyed;
    uint8_t key[16];
    /* sparse 1: a copy allocates at most `alloc` bytes (the source's
     * chunks that hold data: holes cross as holes, docs/holes.md), which
     * each writer's preflight counts instead of size; made by rank 0
     * (stage_in_dest.c's mpift_in_plan_alloc).  0: dense, size. */
    uint8_t sparse;
    uint64_t alloc;
};

#endif
