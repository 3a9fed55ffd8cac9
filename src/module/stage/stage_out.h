/*
 * stage_out.h - the state of one stage-out, shared by stage_out.c (the
 * run: the lists, the files taken writer by writer, the end) and
 * stage_out_decide.c (rank 0's decision over the lists).
 */
#ifndef MPIFT_STAGE_OUT_H
#define MPIFT_STAGE_OUT_H

#include <limits.h>
#include <stdint.h>

#include "engine/xfer.h"
#include "fs/roots.h"
#include "job/context.h"
#include "stage/plan.h"
#include "stage/report.h"

/* Rank 0's record of one writer: its list and what became of each file. */
struct writer {
    struct mpift_plan plan;       /* writer 0's is a view of out_run.mine */
    unsigned char *state;         /* [plan.n] enum mpift_fstate; NULL: not a writer */
    uint64_t *digest;             /* --report: [plan.n] xxh3 as the writer sent it */
    uint64_t *wire;               /* --report: [plan.n] bytes it took on the link */
    uint64_t *holes;              /* --report: [plan.n] bytes of it that crossed as hole extents */
    struct mpift_notes notes;     /* --report: why its files failed */
    uint64_t bytes;               /* bytes written from it */
    double secs;                  /* seconds spent taking its files (one writer at a time) */
};

struct out_run {
    struct mpift_ctx *ctx;
    int rank, size;
    struct mpift_xfer x;
    int xfer_on;                  /* x was set up */
    struct mpift_plan mine;       /* a writer's own list (with src) */
    char real[PATH_MAX];          /* a writer: its dest root, resolved: what it reads below */
    int realfd;
    struct writer *w;             /* rank 0: [size] */
    char collect[PATH_MAX];
    int collectfd;
    struct mpift_root_hold hold;  /* collect in this node's registry of roots in use */
    uint64_t written, skipped, failed, bytes, errors, unread;
    int stopped;                  /* on_error = "abort" after a failure */
    struct mpift_meter meter;     /* rank 0: what has come in of what is wanted */
    /* Rank 0 with --report, for the end: */
    double *rows;                 /* [size][MPIFT_TALLY_N] */
    unsigned char *listed;        /* [size] the writers */
    struct mpift_report_rank *ranks; /* [size] */
};

/* 2. Rank 0: clashes (two writers, one final path: neither is copied,
 * both named) and files already in collect, unchanged (skipped unless
 * --force).  MPIFT_OK or MPIFT_ERR_NOMEM. */
int mpift_out_decide(struct out_run *r);

/* Rank 0: the folders of every list, made under collect (each that cannot
 * be is named). */
void mpift_out_make_folders(struct out_run *r);

#endif
