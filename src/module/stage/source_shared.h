/*
 * source_shared.h - paths.source_shared: which files every receiver can
 * read from the source itself, so that the file's route is a ring of
 * stripe readers (route.h's mpift_route_ring, engine/stripe.h) rather
 * than rank 0 reading and sending all of it.
 *
 * Decided once per stage-in, per file, from what each rank sees: rank 0
 * names every file larger than a chunk (path below its source root, size,
 * mtime, a digest of a few samples); every other rank that keeps a copy
 * of one opens it below the same root, beneath it as rank 0 does, and
 * says whether it sees the same file, and keeps that open to read its
 * stripes from (engine/file.h).  A file is striped when every rank that
 * receives it in a round saw it so; with "yes" a file one of them could
 * not see fails (naming the node and why), with "auto" it goes from rank
 * 0 as the policy says.  This only chooses: what makes a striped copy
 * right is rank 0's check of every stripe against its own read
 * (engine/stripe.h, docs/striping.md), and a file whose stripe it
 * refused goes from rank 0 alone from then on (mpift_shared_unstripe).
 */
#ifndef MPIFT_STAGE_SOURCE_SHARED_H
#define MPIFT_STAGE_SOURCE_SHARED_H

#include <limits.h>
#include <stddef.h>

struct mpift_in_run;
struct mpift_src;

/* What the ranks saw (every rank holds the same). */
struct mpift_shared {
    int on;             /* the ranks compared what they see (auto or yes, two nodes or more) */
    size_t n;           /* candidates: files larger than a chunk that rank 0 could open */
    size_t striped;     /* rank 0: candidates every rank keeping them sees as rank 0 does */
    int *cand;          /* [plan.n] the candidate index of file i; -1: none */
    int *codes;         /* [size][n] 0: rank q sees candidate k as rank 0 does (or keeps no copy
                         * of it); else why not: an errno, or MPIFT_SHARED_DIFF_* */
    /* A reader's (every rank but 0), for its run to take over
     * (mpift_shared_agree): rank 0's source root as this node resolves
     * it, opened by the checked walk (-1: not opened), and [n] the source
     * of each candidate this rank keeps (held open when judged the same:
     * its stripes are read from it), else NULL. */
    int srcfd;
    char srcroot[PATH_MAX];
    struct mpift_src **src;
};

/* Why a rank does not see rank 0's file (else an errno). */
enum {
    MPIFT_SHARED_DIFF_SIZE = -1,
    MPIFT_SHARED_DIFF_MTIME = -2,
    MPIFT_SHARED_DIFF_DATA = -3,   /* a sample's digest differs */
};

/* A file's route, as mpift_shared_choice decides it. */
enum mpift_stripe_choice {
    MPIFT_STRIPE_NO,       /* from rank 0, as the policy says */
    MPIFT_STRIPE_YES,      /* a ring of stripe readers */
    MPIFT_STRIPE_REFUSE,   /* source_shared = "yes" and a receiver cannot read it: the file fails */
};

/*
 * mpift_shared_agree - compare what the ranks see (collective, after the
 * plan is shared; nothing with "no", on one node or with copies = "once")
 * and fill *sh, the table; r (its plan, and on rank 0 its source root)
 * is only read.  With sh->on, ranks that keep a candidate get rank 0's
 * source root opened for reading (sh->srcfd, sh->srcroot) and their
 * candidates' sources (sh->src), which the run then takes over
 * (stage_in.c); without, *sh holds nothing.  --verbose: rank 0 says what
 * was chosen and why.  MPIFT_OK, MPIFT_ERR_NOMEM or MPIFT_ERR_MPI.
 */
int mpift_shared_agree(const struct mpift_in_run *r, struct mpift_shared *sh);

/* The route of file i to the m receivers recv[]; *who: with REFUSE, the
 * first receiver that cannot read it. */
enum mpift_stripe_choice mpift_shared_choice(const struct mpift_in_run *r, size_t i, const int *recv, int m,
                                             int *who);

/* Rank 0: why file i fails (REFUSE by rank `who`), for users. */
void mpift_shared_refusal(const struct mpift_in_run *r, size_t i, int who, char *why, size_t whylen);

/* File i had a stripe refused on its route (or takes a delta base): not
 * striped again in this run.  Every rank of that route (the only ranks
 * that may route it in a later round) learns it from the file's COMPLETE
 * (or rank 0's bits of taken bases), so they stay alike.  1 when it was
 * to be striped. */
int mpift_shared_unstripe(struct mpift_in_run *r, size_t i);

/* The table, and the files readers hold open (in the plan, once taken
 * over: see mpift_shared_agree). */
void mpift_shared_free(struct mpift_in_run *r);

#endif
