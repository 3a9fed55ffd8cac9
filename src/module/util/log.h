/*
 * log.h - messages for users.  Every error line names where it happened:
 *   mpift-stage: n2 (rank 3): /scratch/in/a.dat: No space left on device
 */
#ifndef MPIFT_LOG_H
#define MPIFT_LOG_H

#include <stdarg.h>
#include <stddef.h>

#include <stdio.h>

#define MPIFT_PROG "mpift-stage"

/* Identify this process in messages (before setup: no host/rank prefix). */
void mpift_log_setup(const char *host, int rank, int quiet, int verbose);

/* Error on stderr (see mpift_log_errors_to), always printed, prefixed with
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
void mpift_say(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * mpift_log_errors_to - where this process's errors and warnings go
 * (stderr by default).  Rank 0 sends them to stdout when both lead to one
 * terminal: mpirun forwards a rank's stdout and stderr on separate
 * channels with no order between them, so on the screen an error could
 * land after the output of the next command or the summary it belongs
 * before; there one stream keeps the order and loses nothing.
 */
void mpift_log_errors_to(FILE *f);
/* A function called with the stream before every line written to it (the
 * progress bar clears itself so the line does not land on the bar); NULL
 * for none. */
void mpift_log_set_interrupt(void (*fn)(FILE *f));

int mpift_log_is_verbose(void);
/* The rank given to mpift_log_setup (-1 before). */
int mpift_log_rank(void);
int mpift_log_is_quiet(void);

#endif
