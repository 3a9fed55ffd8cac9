/* log.c - user-facing messages, prefixed with the node and rank. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

/* A line: the "mpift-stage: host (rank N): " prefix and a message. */
#define MPIFT_LOG_LINE_MAX (MPIFT_WHY_MAX + MPIFT_HOST_MAX + 64)

/* The settings selected on this thread; NULL: `defaults`. */
static _Thread_local struct mpift_log *current;
static _Thread_local struct mpift_log defaults = {.rank = -1};

void mpift_log_init(struct mpift_log *l, const char *host, int rank, int quiet, int verbose)
{
    memset(l, 0, sizeof(*l));
    if (host && *host)
        snprintf(l->host, sizeof(l->host), "%s", host);
    else if (gethostname(l->host, sizeof(l->host) - 1) != 0)
        snprintf(l->host, sizeof(l->host), "?");
    l->rank = rank;
    l->quiet = quiet;
    l->verbose = verbose;
}

struct mpift_log *mpift_log_use(struct mpift_log *l)
{
    struct mpift_log *was = current;

    current = l;
    return was;
}
struct mpift_log *mpift_log_enter(struct mpift_log *l)
{
    struct mpift_log *was = current;

    if (l)
        current = l;
    return was;
}

struct mpift_log *mpift_log_current(void) { return current ? current : &defaults; }

int mpift_log_is_verbose(void) { return mpift_log_current()->verbose; }
int mpift_log_is_quiet(void) { return mpift_log_current()->quiet; }
int mpift_log_rank(void) { return mpift_log_current()->rank; }

/* A message is one line whatever the file names in it hold: a newline,
 * tab or other control character in a name is written as \n, \t or \xNN,
 * so a name cannot split an error or forge another line. */
static void put_one_line(FILE *f, const char *line)
{
    char out[MPIFT_LOG_LINE_MAX * 4 + 2];   /* every byte may become \xNN */
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
    const struct mpift_log *l = mpift_log_current();
    char line[MPIFT_LOG_LINE_MAX];
    int n = 0;

    if (prefixed && l->rank >= 0)
        n = snprintf(line, sizeof(line), MPIFT_PROG ": %s (rank %d): ", l->host, l->rank);
    else if (prefixed)
        n = snprintf(line, sizeof(line), MPIFT_PROG ": ");
    if (n < 0 || (size_t)n >= sizeof(line))
        n = 0;
    vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    if (l->shown && l->clear)
        l->clear(l->shown, f);
    if (prefixed)
        put_one_line(f, line);
    else
        fprintf(f, "%s\n", line);
    fflush(f);
}

/* The four kinds of message: where each goes, whether it carries the
 * "host (rank N)" prefix, and which setting silences it. */
enum kind { K_ERROR, K_WARN, K_INFO, K_VERBOSE };

static void say(enum kind k, const char *fmt, va_list ap)
{
    const struct mpift_log *l = mpift_log_current();
    FILE *err = l->err ? l->err : stderr;

    if ((k == K_WARN || k == K_INFO) && l->quiet)
        return;
    if (k == K_VERBOSE && !l->verbose)
        return;
    emit(k == K_ERROR || k == K_WARN ? err : stdout, k != K_INFO, fmt, ap);
}

/* clang-format off */
void mpift_log_error(const char *fmt, ...) { va_list ap; va_start(ap, fmt); say(K_ERROR, fmt, ap); va_end(ap); }
void mpift_log_warn(const char *fmt, ...) { va_list ap; va_start(ap, fmt); say(K_WARN, fmt, ap); va_end(ap); }
void mpift_log_info(const char *fmt, ...) { va_list ap; va_start(ap, fmt); say(K_INFO, fmt, ap); va_end(ap); }
void mpift_log_verbose(const char *fmt, ...) { va_list ap; va_start(ap, fmt); say(K_VERBOSE, fmt, ap); va_end(ap); }
/* clang-format on */

void mpift_format(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
}
