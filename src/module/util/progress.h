/*
 * progress.h - a one-line progress meter on rank 0's terminal.
 *
 * Rank 0 sources every file, so it alone knows how far a round has got.
 * On a terminal: a bar redrawn in place at most five times a second
 * (percent, MB done of total, rate, ETA, files done of total), cleared at
 * the end.  Off a terminal, when asked for: a plain line every five
 * seconds.
 *
 * The bar goes to stdout when stdout leads to a terminal: the summary and
 * the console's replies go there too, and mpirun forwards a rank's stdout
 * and stderr on separate channels with no order between them, so a bar on
 * stderr could be drawn (or cleared) after the summary it should precede.
 * Otherwise it goes to stderr, as do plain lines.
 *
 * With --progress=jsonl, neither: one JSON object per line, for programs,
 * on the descriptor asked for (util/progress_jsonl.c, docs/report.md).
 */
#ifndef MPIFT_PROGRESS_H
#define MPIFT_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

#include "mpift/mpift.h"
#include "util/log.h"

struct mpift_meter {
    int on;
    int bar;                     /* redrawn in place (else plain lines) */
    FILE *out;                   /* stdout or stderr, see above */
    int drawn;                   /* a bar is on screen (not cleared) */
    int cols;                    /* the terminal's width: the bar fits in it */
    uint64_t files, bytes;       /* this round's totals */
    uint64_t done_files, done_bytes;
    int dirty;                   /* changed since the last redraw */
    double last;                 /* mpift_now() of the last redraw */
    double start;
    double every;                /* seconds between plain lines */
    struct mpift_log *log;       /* the settings a bar was shown in (util/log.h):
                                  * mpift_meter_end takes it off there */
    /* --progress=jsonl (util/progress_jsonl.c) */
    int jsonl;                   /* lines for programs, not a bar */
    int fd;                      /* where they go */
    const char *mode;            /* "stage-in", "stage-out", "console" */
    int round;                   /* 1, then each retry round */
    int nnodes;                  /* 0: no per-node figures */
    const char **hosts;          /* [nnodes] each node's name (the topology's strings) */
    uint64_t *node_done;         /* [nnodes] bytes sent toward (or taken from) it */
    uint64_t *node_total;        /* [nnodes] what this round moves for it */
    unsigned char *node_cur;     /* [nnodes] the nodes the file in progress goes to */
};

/*
 * mpift_tty_behind - does `fd` lead to a terminal the user sees?  Under
 * mpirun a rank's own fds say nothing: stderr is a pipe, and stdout a pty
 * Open MPI made even when mpirun's stdout is a file.  So there the answer
 * is whether the same fd of the launcher (mpirun, or MPICH's mpiexec) is
 * a terminal, and whether every wrapper between (a shell that starts
 * mpift, found by the rank's variables in its environment) passed this
 * process's fd on unchanged: `sh -c 'mpift-stage >log'` or mpirun's
 * output in a file gets plain lines.  When the chain cannot be read, no
 * terminal.  Run without a launcher (a singleton), it is isatty().
 */
int mpift_tty_behind(int fd);

/* Do stdout and stderr lead to one and the same terminal (judged as
 * mpift_tty_behind does)?  Then rank 0 logs errors to stdout: see
 * struct mpift_log's err. */
int mpift_same_terminal(void);

/* Decide from `when`: always = a bar; auto = a bar when stdout or stderr
 * leads to a terminal, else plain lines if `lines`, unless --quiet; never = nothing;
 * jsonl = JSON lines on `fd` (<= 0: stderr), --quiet or not.
 * m->on says what was decided.  files and bytes are the totals to come. */
void mpift_meter_start(struct mpift_meter *m, enum mpift_progress when, int fd, int quiet, int lines,
                       uint64_t files, uint64_t bytes);
/* A file is done; `bytes` of it not counted yet by mpift_meter_bytes. */
void mpift_meter_add(struct mpift_meter *m, uint64_t bytes);
/* Bytes of a file in progress (per chunk); NULL-safe. */
void mpift_meter_bytes(struct mpift_meter *m, uint64_t bytes);
/* A one-file meter learns its byte total from the file's metadata (a
 * meter of more files ignores it); NULL-safe. */
void mpift_meter_expect(struct mpift_meter *m, uint64_t bytes);
void mpift_meter_end(struct mpift_meter *m);

/*
 * Per-node figures of the JSON lines (nothing unless m->jsonl): what the
 * lines call the run (mode, round), and its nnodes nodes, node n named
 * hosts[leaders[n]] (the topology's: job/topo.h, kept until the end);
 * mpift_meter_node adds to the bytes this round moves for a node.  Before
 * each file, the nodes it goes to: mpift_meter_toward_none, then
 * mpift_meter_toward for each; its bytes then count for them.  Without
 * memory for them the lines have no "lag".
 */
void mpift_meter_label(struct mpift_meter *m, const char *mode, int round, int nnodes,
                       const char (*hosts)[MPIFT_HOST_MAX], const int *leaders);
void mpift_meter_node(struct mpift_meter *m, int node, uint64_t total);
void mpift_meter_toward_none(struct mpift_meter *m);
void mpift_meter_toward(struct mpift_meter *m, int node);
/* Add `bytes` to the round's total of each node marked toward. */
void mpift_meter_toward_total(struct mpift_meter *m, uint64_t bytes);

/* progress_jsonl.c: write one JSON line of m's figures now (`final`: the
 * round's last); free its per-node figures at the end. */
void mpift_meter_jsonl(struct mpift_meter *m, int final);
void mpift_meter_jsonl_free(struct mpift_meter *m);

/* A line is about to be written to f (util/log.c calls this, through
 * struct mpift_log's clear, for the bar its settings show): a bar drawn on
 * f is cleared first. */
void mpift_meter_interrupt(struct mpift_meter *m, FILE *f);

#endif
