/*
 * log.h - messages for users.  Every error line names where it happened:
 *   mpift-stage: n2 (rank 3): /scratch/in/a.dat: No space left on device
 */
#ifndef MPIFT_LOG_H
#define MPIFT_LOG_H

#include <limits.h>
#include <stdarg.h>
#include <stddef.h>

#include <stdio.h>

#define MPIFT_PROG "mpift-stage"

struct mpift_meter;

/*
 * The size of every message buffer for users ("why" a file failed, a
 * reply's text, a worker's errmsg): room for two paths (a file and its
 * root, or a source and a destination) and a cause.  snprintf cuts a
 * longer one; fs/fsafe.h's mpift_path_too_long keeps long names readable.
 */
#define MPIFT_WHY_MAX (2 * PATH_MAX + 512)

/* A host name as messages and the topology keep it (NUL included). */
#define MPIFT_HOST_MAX 256

/*
 * A context's message settings (job/context.h holds one per context).
 * Messages go by the settings selected last on the calling thread, so two
 * contexts in one process keep their own, and nothing of them is global.
 */
struct mpift_log {
    char host[MPIFT_HOST_MAX];   /* prefix: the node's name */
    int rank;                    /* prefix: the rank; -1 before it is known (no prefix) */
    int quiet, verbose;
    FILE *err;                   /* errors and warnings; NULL: stderr */
    struct mpift_meter *shown;   /* a progress bar on screen (util/progress.h) ... */
    void (*clear)(struct mpift_meter *m, FILE *f); /* ... which this clears from f
                                  * before a line is written there (set with
                                  * shown, by the meter: log.c needs no MPI) */
};

/* Fill l: identify this process in messages; host NULL or "": the kernel's
 * host name (before the topology is known it is the best guess). */
void mpift_log_init(struct mpift_log *l, const char *host, int rank, int quiet, int verbose);

/* Select l for this thread's messages from now on (every entry point of
 * the API selects its context's); NULL: the defaults (no prefix, neither
 * quiet nor verbose).  Returns the selection it replaces (NULL: the
 * defaults), for a call that must put it back.  Select another before l
 * goes away if it may be selected. */
struct mpift_log *mpift_log_use(struct mpift_log *l);

/* An entry point's start: select l (NULL: keep the current selection, for
 * a call refused before it has a context) and return the one to put back
 * with mpift_log_use on the way out. */
struct mpift_log *mpift_log_enter(struct mpift_log *l);

/* The settings in use on this thread (never NULL). */
struct mpift_log *mpift_log_current(void);

/* Error on stderr (or struct mpift_log's err), always printed, prefixed with
 * host and rank. */
void mpift_log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Warning on stderr (not counted as failure), prefixed; shown unless quiet. */
void mpift_log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Informational line on stdout, unprefixed; suppressed by --quiet. */
void mpift_log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Like info, only with --verbose; prefixed with host and rank. */
void mpift_log_verbose(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* snprintf for messages built from several paths: they may be cut at the
 * buffer's end, which is acceptable for text meant for people (and keeps
 * -Wformat-truncation for the places where a cut would matter). */
void mpift_format(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Where errors and warnings go is struct mpift_log's `err` (NULL: stderr).
 * Rank 0 sends them to stdout when both lead to one terminal: mpirun
 * forwards a rank's stdout and stderr on separate channels with no order
 * between them, so on the screen an error could land after the output of
 * the next command or the summary it belongs before; there one stream
 * keeps the order and loses nothing.
 *
 * A thread with no settings selected (outside every call) writes with
 * the defaults: no "host (rank N)" prefix.
 */

/* The settings in use: verbose, quiet, and the rank (-1 before it is known). */
int mpift_log_is_verbose(void);
int mpift_log_rank(void);
int mpift_log_is_quiet(void);

#endif
