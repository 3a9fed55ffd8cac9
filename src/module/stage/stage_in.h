/*
 * stage_in.h - the state of one stage-in, shared by its files:
 * stage_in.c (the run from plan to status: needs, preflight, rounds, the
 * end), stage_in_round.c (one round of transfers: each file or batch of
 * small files down its route, and the dry run's plan) and stage_in_dest.c
 * (a writer's dest root: its lock, folders and preflight) and
 * stage_in_base.c (what the writers hold already: resume and delta).
 */
#ifndef MPIFT_STAGE_IN_H
#define MPIFT_STAGE_IN_H

#include <stddef.h>
#include <stdint.h>

#include "cache/store.h"
#include "fs/roots.h"
#include "engine/xfer.h"
#include "job/context.h"
#include "stage/extract.h"
#include "stage/folders.h"
#include "stage/libs.h"
#include "stage/plan.h"
#include "stage/report.h"
#include "stage/route.h"
#include "stage/source_shared.h"

#define BATCH_FILES 128  /* most files in one batch */

/* The small files moved as one message (stage_in_round.c). */
struct batch {
    uint64_t ids[BATCH_FILES];
    const struct mpift_pfile *files[BATCH_FILES];
    struct mpift_outcome res[BATCH_FILES];
};

/* One stage-in on this rank; run_init (stage_in.c) sets every field. */
/* The very cache entry a writer's delta base was offered from, reopened
 * at its file's turn (stage_in_base.c): not looked up again by name, so
 * a "last-" another rank or job rewrote, a cache gone off mid-run or an
 * eviction does not drop a base rank 0 already sends KEEP frames for. */
struct mpift_in_entry {
    int heldfd;                     /* the cache's own descriptor of it (held until the job ends), or -1 */
    char name[MPIFT_CACHE_NAME];    /* its name in cache.dir ("": none) */
};

struct mpift_in_run {
    struct mpift_ctx *ctx;
    struct mpift_plan plan;
    struct mpift_libs libs;     /* programs staged with their libraries (libs.h) */
    int rank, size;
    struct mpift_xfer x;
    int xfer_on;                /* x was set up (not on a dry run) */
    int rootfd;                 /* my dest root, when I write anything */
    int lock;                   /* MPIFT_IN_LOCK_*: the run's hold on my dest root */
    struct mpift_root_hold hold; /* my dest root in this node's registry of roots in use */
    struct mpift_folders folders; /* the folders my copies go into */
    int folders_made;           /* preflight agreed and they were made: their modes are due */
    char root_why[MPIFT_WHY_MAX]; /* why my dest root could not be opened ("": it was) */
    int srcfd;                  /* rank 0 (and a stripe reader, source_shared.h): paths.source,
                                 * resolved (srcroot), read below */
    char srcroot[PATH_MAX];
    size_t nbytes;              /* bytes of one rank's need bits */
    unsigned char *all;         /* [size][nbytes] every rank's need bits this round */
    unsigned char *mine;        /* my row of all */
    unsigned char *state;       /* [plan.n] enum mpift_fstate, on writers */
    int *recv;                  /* [size] the receivers of one file */
    struct mpift_route_space route; /* what the route of one file points into */
    struct mpift_shared shared; /* paths.source_shared: who reads which file itself */
    struct mpift_extracts ex;   /* the plan's archives (extract = true) and what they unpack into */
    struct batch *batch;
    uint64_t written, bytes;    /* copies I wrote, and their bytes */
    uint64_t batches, batched;  /* rank 0: batch messages sent, files in them */
    int item_failed;            /* a file failed for good on this rank (on_error) */
    int stopped;                /* on_error = "abort" or preflight stopped the run */
    int refused;                /* preflight stopped it: nothing was written, nothing is touched */
    int local_fail;             /* something failed on this rank */
    double t_done;              /* seconds this rank spent until its last file */
    struct mpift_notes notes;   /* with --report: why my copies failed */
    struct mpift_base **bases;  /* a writer's, [plan.n]: what it holds of a file it needs (NULL: nothing) */
    struct mpift_in_entry *entries; /* a writer's, [plan.n]: the cache entry a base was offered from */
    struct mpift_keep **keeps;  /* rank 0's, [plan.n]: what the writers hold, merged (NULL: nothing) */
    uint64_t **srchash;         /* rank 0's, [plan.n]: the source's chunk hashes (stage/keys.h; NULL: unknown) */
    struct mpift_cache cache;   /* cache.dir on this node (stage_in_cache.c); dirfd -1: none */
    unsigned char *cmark;       /* with a cache: [plan.n] enum mpift_cmark */
    int *cslot;                 /* with a cache: [plan.n] a hit's entry held by cache (mpift_cache_held), or -1 */
    int cache_stop;             /* a write there failed (full, quota): no more this run */
    int cache_refetch;          /* a hit's entry went before it was placed: fetched in an added round */
    /* Rank 0, to gather the end into: */
    double *rows;               /* [size][MPIFT_TALLY_N] */
    uint64_t *digest;           /* with --report: [plan.n] xxh3 as sent */
    uint64_t *wire;             /* with --report: [plan.n] bytes sent on one link */
    uint64_t *holes;            /* with --report: [plan.n] bytes sent as hole extents */
    uint64_t *resumed;          /* with --report: [plan.n] bytes taken from resume temporaries */
    uint64_t *delta_saved;      /* with --report: [plan.n] bytes taken from older versions */
    int *nlens, *ndispls;       /* with --report: [size] each rank's notes (one block) */
};


/* The run's hold on a writer's dest root (stage_in_dest.c). */
enum {
    MPIFT_IN_LOCK_NONE = 0,     /* not taken: a lower rank of this run and node holds it, or the
                                 * file system cannot lock (nothing is swept then) */
    MPIFT_IN_LOCK_HELD,         /* held for the run: no other run writes there */
    MPIFT_IN_LOCK_BUSY,         /* another run holds it, or a root inside or above it (root_why
                                 * says which): this one must not write */
};

/* Bit i of a need-bit array. */
static inline int mpift_bit(const unsigned char *b, size_t i)
{
    return (b[i >> 3] >> (i & 7)) & 1;
}

/* Does rank q need file i this round? */
static inline int mpift_in_needs(const struct mpift_in_run *r, int q, size_t i)
{
    return mpift_bit(r->all + (size_t)q * r->nbytes, i);
}

/* Keep why file i failed here, for --report or the kept result. */
static inline void mpift_in_note(struct mpift_in_run *r, size_t i, const char *why)
{
    if (mpift_report_wanted(r->ctx))
        mpift_notes_add(&r->notes, i, why);
}

/* A writer's dest root (stage_in_dest.c).  Open it when I write anything
 * (creating it), take the run's lock on it and list my folders;
 * MPIFT_ERR_IO (root_why says why) or MPIFT_OK. */
int mpift_in_open_root(struct mpift_in_run *r);

/* Rank 0, once the plan is made: each sparse source's (struct
 * mpift_src's blocks less than its size) bytes its copies allocate at
 * most (struct mpift_pfile's alloc), walked from its extents. */
void mpift_in_plan_alloc(struct mpift_in_run *r);

/* Preflight under my root: the lock, dead runs' temporaries swept, room,
 * inodes, folders that can be made.  0, or -1 with the refusal (naming my
 * node) logged and in why. */
int mpift_in_check_root(struct mpift_in_run *r, char *why, size_t whylen);

/* 3. One round over every file somebody needs (collective).  MPIFT_OK or
 * a status that ends the run. */
int mpift_in_round(struct mpift_in_run *r, int round, int last_round);

/* Before the first round (collective): every writer finds what it holds
 * of the files it needs and rank 0 merges their offers (stage_in_base.c).
 * MPIFT_OK, or a status that ends the run. */
int mpift_in_bases(struct mpift_in_run *r);

/* Around file i's transfer: the bases of round 0 set on r->x, then
 * counted (rank 0) and released. */
void mpift_in_base_begin(struct mpift_in_run *r, size_t i, int round);
void mpift_in_base_end(struct mpift_in_run *r, size_t i);
void mpift_in_bases_free(struct mpift_in_run *r);
/* The node's cache (stage_in_cache.c).  Open it for my copies (a refused
 * folder is warned about and not used); look file i up in round 0 (1: a
 * verified entry is held, the file is not asked for); place every held
 * entry once preflight passed; put file i once its copy is verified;
 * trim the cache at the end.  None fails the run: a copy the cache cannot
 * give is fetched, one it cannot take is left in place. */
void mpift_in_cache_open(struct mpift_in_run *r);
int mpift_in_cache_lookup(struct mpift_in_run *r, size_t i);
/* Will hit i be placed by a copy (it takes room), not a hard link? */
int mpift_in_cache_copies(const struct mpift_in_run *r, size_t i);
void mpift_in_cache_place(struct mpift_in_run *r);
void mpift_in_cache_put(struct mpift_in_run *r, size_t i, const struct stat *committed);
/* Collective, once the rounds are over (cache.dir set): rank 0 tells
 * every rank which files its sender found not of their key
 * (engine/source.h's key_wrong); a copy a rank placed from its cache
 * under such a key is another version of the file: removed, the file
 * failed and named.  MPIFT_OK or the collective's error. */
int mpift_in_cache_wrong(struct mpift_in_run *r);
void mpift_in_cache_end(struct mpift_in_run *r);

/* --dry-run: rank 0 tells what would move where. */
void mpift_in_dry_run(struct mpift_in_run *r);

#endif
