/* log.c - user-facing messages, prefixed with the node and rank. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

static char log_host[256];
static int log_rank = -1;
static int log_quiet;
static int log_verbose;
static FILE *log_err;                   /* NULL: stderr */
static void (*log_interrupt)(FILE *f);

void mpift_log_errors_to(FILE *f) { log_err = f; }
void mpift_log_set_interrupt(void (*fn)(FILE *f)) { log_interrupt = fn; }

void mpift_log_setup(const char *host, int rank, int quiet, int verbose)
{
    /* Before topology is known the kernel's host name is the best guess. */
    if (host && *host)
        snprintf(log_host, sizeof(log_host), "%s", host);
    else if (gethostname(log_host, sizeof(log_host) - 1) != 0)
        snprintf(log_host, sizeof(log_host), "?");
    log_rank = rank;
    log_quiet = quiet;
    log_verbose = verbose;
}

int mpift_log_is_verbose(void) { return log_verbose; }
int mpift_log_is_quiet(void) { return log_quiet; }
int mpift_log_rank(void) { return log_rank; }

/* A message is one line whatever the file names in it hold: a newline,
 * tab or other control character in a name is written as \n, \t or \xNN,
 * so a name cannot split an error or forge another line. */
static void put_one_line(FILE *f, const char *line)
{
    char out[8192 * 4 + 2];
    size_t o = 0;
    const unsigned char *p;

    for (p = (const unsigned char *)line; *p && o < sizeof(out) - 6; p++) {
        if (*p == '\n' || *p == '\t') {
            out[o++] = '\\';
            out[o++] = *p == '\n' ? 'n' : 't';
        } else if (*p < 0x20 || *p == 0x7f) {
            o += (size_t)snprintf(out + o, sizeof(out) - o, "\\x%02x", *p);
        } else {
            out[o++] = (char)*p;
        }
    }
    out[o++] = '\n';
    fwrite(out, 1, o, f);
}

/* One fprintf per line: with mpirun forwarding many ranks' output, a line
 * built in pieces can be interleaved with another rank's. */
static void emit(FILE *f, int prefixed, const char *fmt, va_list ap)
{
    char line[8192];
    int n = 0;

    if (prefixed && log_rank >= 0)
        n = snprintf(line, sizeof(line), MPIFT_PROG ": %s (rank %d): ", log_host, log_rank);
    else if (prefixed)
        n = snprintf(line, sizeof(line), MPIFT_PROG ": ");
    if (n < 0 || (size_t)n >= sizeof(line))
        n = 0;
    vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    if (log_interrupt)
        log_interrupt(f);
    if (prefixed)
        put_one_line(f, line);
    else
        fprintf(f, "%s\n", line);
    fflush(f);
}

void mpift_log_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(log_err ? log_err : stderr, 1, fmt, ap);
    va_end(ap);
}

void mpift_log_warn(const char *fmt, ...)
{
    va_list ap;
    if (log_quiet)
        return;
    va_start(ap, fmt);
    emit(log_err ? log_err : stderr, 1, fmt, ap);
    va_end(ap);
}

void mpift_log_info(const char *fmt, ...)
{
    va_list ap;
    if (log_quiet)
        return;
    va_start(ap, fmt);
    emit(stdout, 0, fmt, ap);
    va_end(ap);
}

void mpift_log_verbose(const char *fmt, ...)
{
    va_list ap;
    if (!log_verbose)
        return;
    va_start(ap, fmt);
    emit(stdout, 1, fmt, ap);
    va_end(ap);
}

void mpift_say(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
}
