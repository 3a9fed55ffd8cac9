/* progress.c - see progress.h. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cpu.h"
#include "util/faults.h"
#include "util/log.h"
#include "util/progress.h"

/* The parent of process `pid` (field 4 of /proc/PID/stat), or 0. */
static long parent_of(long pid)
{
    char path[64], buf[512], *close_paren;
    long ppid = 0;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    if (!(f = fopen(path, "r")))
        return 0;
    /* "PID (COMM) STATE PPID ...": COMM may hold blanks and parentheses.
     * A line that does not parse leaves ppid 0. */
    if (fgets(buf, sizeof(buf), f) && (close_paren = strrchr(buf, ')')) != NULL)
        (void)sscanf(close_paren + 1, " %*c %ld", &ppid);
    fclose(f);
    return ppid;
}

/* Hops from a rank up to its launcher at most (wrapper shells, env,
 * numactl...): a chain longer than this is taken for no terminal. */
#define HOPS_MAX 16

/* Does process pid's environment hold NAME=...?  -1 when it cannot be
 * read (another user's process, or gone). */
static int env_has(long pid, const char *name)
{
    char path[64], buf[8192];
    size_t nl = strlen(name), keep = 0, n, i, start;
    int found = 0;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%ld/environ", pid);
    if (!(f = fopen(path, "r")))
        return -1;
    /* NUL-separated entries, read in pieces; an entry cut at the end of
     * a piece is moved to the front of the next. */
    while (!found && (n = fread(buf + keep, 1, sizeof(buf) - keep, f)) > 0) {
        n += keep;
        for (start = 0, i = 0; i < n && !found; i++)
            if (buf[i] == '\0') {
                found = i - start > nl && strncmp(buf + start, name, nl) == 0 && buf[start + nl] == '=';
                start = i + 1;
            }
        keep = start < n && n - start < sizeof(buf) / 2 ? n - start : 0;
        memmove(buf, buf + start, keep);
    }
    fclose(f);
    return found;
}

/* What /proc/PID/fd/FD leads to, into buf; 0 if it cannot be read. */
static int fd_target(long pid, int fd, char *buf, size_t len)
{
    char link[64];
    ssize_t n;

    snprintf(link, sizeof(link), "/proc/%ld/fd/%d", pid, fd);
    n = readlink(link, buf, len - 1);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    return 1;
}

/*
 * The launcher whose terminal a rank's output reaches: 0 when not under
 * one, -1 when it cannot be told (then no terminal is assumed).  Open
 * MPI's mpirun (or orted) starts its local ranks; MPICH's mpiexec (Hydra)
 * starts a proxy that starts them.  Either may start a wrapper (a shell,
 * env, numactl) that starts mpift: the processes that carry the rank's
 * variable (OMPI_COMM_WORLD_RANK, PMI_RANK) are the rank and its
 * wrappers, and *top gets the highest of them.  Open MPI gives a rank's
 * stdout a pty of its own whether or not mpirun's is a terminal, so
 * isatty() alone says nothing under it.
 */
static long launcher_pid(long *top)
{
    int hydra = !getenv("OMPI_COMM_WORLD_SIZE") && getenv("PMI_SIZE") && getenv("MPI_LOCALNRANKS");
    const char *var = getenv("OMPI_COMM_WORLD_SIZE") ? "OMPI_COMM_WORLD_RANK" : hydra ? "PMI_RANK" : NULL;
    long pid = (long)getpid(), up = 0;
    int hops, has = 1;

    *top = pid;
    if (!var)
        return 0;
    for (hops = 0; hops < HOPS_MAX && has == 1; hops++) {
        up = parent_of(pid);
        if (up <= 1 || (has = env_has(up, var)) < 0)
            return -1;
        if (has)
            pid = up;
    }
    if (has)
        return -1;
    *top = pid;
    return hydra ? parent_of(up) : up;
}

/* Does every process from this one up to `top` (its wrappers) write `fd`
 * where this one does?  A wrapper that redirected it (sh -c 'mpift-stage
 * >log') sends it somewhere the launcher's terminal does not show. */
static int fd_kept(int fd, long top)
{
    char mine[PATH_MAX], theirs[PATH_MAX];
    long pid = (long)getpid();
    int hops;

    if (!fd_target(pid, fd, mine, sizeof(mine)))
        return 0;
    for (hops = 0; pid != top && hops < HOPS_MAX; hops++) {
        pid = parent_of(pid);
        if (pid <= 1 || !fd_target(pid, fd, theirs, sizeof(theirs)) || strcmp(mine, theirs) != 0)
            return 0;
    }
    return pid == top;
}

/* The terminal `fd` of this rank reaches through its launcher, into buf;
 * 0 if it reaches none. */
static int launcher_tty(int fd, char *buf, size_t len)
{
    struct stat st;
    long top, pid;

    /* What a launcher forwards is a pty or a pipe: a file or /dev/null
     * here (a wrapper's redirection) shows nothing on any terminal.  Some
     * shells redirect in the wrapper itself while its command runs, so
     * fd_kept alone cannot tell. */
    if (fstat(fd, &st) != 0 || !(isatty(fd) || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
        return 0;
    pid = launcher_pid(&top);
    if (pid == 0)
        return isatty(fd) && ttyname_r(fd, buf, len) == 0;
    if (pid < 0 || !fd_kept(fd, top) || !fd_target(pid, fd, buf, len))
        return 0;
    return strncmp(buf, "/dev/pts/", 9) == 0 || strncmp(buf, "/dev/tty", 8) == 0;
}

int mpift_tty_behind(int fd)
{
    char target[PATH_MAX];

    return launcher_tty(fd, target, sizeof(target));
}

/* The width of a terminal: the size of the one `fd` reaches through the
 * launcher (a rank's own pty, under Open MPI, is not the user's: it has
 * its own size, often none), else of fd itself, else $COLUMNS, else 80. */
static int terminal_width(int fd)
{
    char target[PATH_MAX];
    struct winsize ws;
    const char *env;
    int tfd, cols = 0;

    if (launcher_tty(fd, target, sizeof(target)) &&
        (tfd = open(target, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)) >= 0) {
        if (ioctl(tfd, TIOCGWINSZ, &ws) == 0)
            cols = ws.ws_col;
        close(tfd);
    }
    if (cols <= 0 && ioctl(fd, TIOCGWINSZ, &ws) == 0)
        cols = ws.ws_col;
    if (cols <= 0 && (env = getenv("COLUMNS")) != NULL)
        cols = atoi(env);
    return cols > 0 ? cols : 80;
}

int mpift_same_terminal(void)
{
    char a[PATH_MAX], b[PATH_MAX];

    return launcher_tty(1, a, sizeof(a)) && launcher_tty(2, b, sizeof(b)) && strcmp(a, b) == 0;
}

/* A line is about to be logged to f: a bar on f is cleared first (it is
 * redrawn at the next tick), so the line does not land on it. */
void mpift_meter_interrupt(struct mpift_meter *m, FILE *f)
{
    if (m->out == f && m->drawn) {
        fputs("\r\033[K", f);
        m->drawn = 0;
        m->last = 0;   /* redraw at the next tick */
    }
}

/* "1:05", or "--:--" before there is a rate. */
static void eta(char *buf, size_t len, double left, double rate)
{
    long s;

    if (rate <= 0 || left < 0) {
        snprintf(buf, len, "--:--");
        return;
    }
    s = (long)(left / rate + 0.5);
    if (s >= 3600)
        snprintf(buf, len, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(buf, len, "%ld:%02ld", s / 60, s % 60);
}

/* The bar's parts, in the order they are shown, and the order they are
 * given room when the terminal is narrow: percent, MB, files, the bar
 * itself (BAR_MIN..BAR_MAX cells), the rate, the ETA. */
enum { PART_BAR, PART_PCT, PART_MB, PART_RATE, PART_ETA, PART_FILES, PARTS };
#define BAR_MIN 5
#define BAR_MAX 20

/* The bar on one line of at most cols - 1 characters (the last column
 * would wrap on some terminals, and \r then redraws the wrong line). */
static void draw_bar(struct mpift_meter *m, double frac, double rate, const char *left)
{
    static const int order[] = {PART_PCT, PART_MB, PART_FILES, PART_BAR, PART_RATE, PART_ETA};
    char text[PARTS][64], line[512];
    int len[PARTS], on[PARTS] = {0}, room = m->cols - 1, used = 0, cells = 0, fill, i, k, n = 0;

    snprintf(text[PART_PCT], sizeof(text[0]), " %3.0f%%", frac * 100);
    snprintf(text[PART_MB], sizeof(text[0]), "  %.1f/%.1f MB", m->done_bytes / 1e6, m->bytes / 1e6);
    snprintf(text[PART_RATE], sizeof(text[0]), "  %.1f MB/s", rate / 1e6);
    snprintf(text[PART_ETA], sizeof(text[0]), "  ETA %s", left);
    snprintf(text[PART_FILES], sizeof(text[0]), "  %llu/%llu files", (unsigned long long)m->done_files,
             (unsigned long long)m->files);
    text[PART_BAR][0] = '\0';
    for (i = 0; i < PARTS; i++)
        len[i] = (int)strlen(text[i]);
    len[PART_BAR] = BAR_MIN + 2;
    for (k = 0; k < PARTS; k++) {
        i = order[k];
        if (used + len[i] <= room) {
            on[i] = 1;
            used += len[i];
        }
    }
    if (on[PART_BAR]) {   /* the bar takes what is left, up to its full width */
        cells = BAR_MIN + (room - used < BAR_MAX - BAR_MIN ? room - used : BAR_MAX - BAR_MIN);
        fill = (int)(frac * cells + 0.5);
        text[PART_BAR][0] = '[';
        for (k = 0; k < cells; k++)
            text[PART_BAR][1 + k] = k < fill ? '#' : '.';
        text[PART_BAR][1 + cells] = ']';
        text[PART_BAR][2 + cells] = '\0';
    } else if (!on[PART_PCT]) {   /* narrower than anything: the percent, cut */
        on[PART_PCT] = 1;
    }
    for (i = 0; i < PARTS; i++)
        if (on[i])
            n += snprintf(line + n, sizeof(line) - (size_t)n, "%s", text[i] + (i == PART_PCT && !on[PART_BAR]));
    if (n > room)
        n = room > 0 ? room : 0;
    /* \r and erase-to-end: the line is redrawn in place. */
    m->drawn = 1;
    fprintf(m->out, "\r%.*s\033[K", n, line);
    fflush(m->out);
}

static void draw(struct mpift_meter *m)
{
    double secs = mpift_now() - m->start, rate = secs > 0 ? (double)m->done_bytes / secs : 0;
    double frac = m->bytes ? (double)m->done_bytes / (double)m->bytes : (m->files ? 1.0 * m->done_files / m->files : 0);
    char left[32];

    m->dirty = 0;
    if (frac > 1)
        frac = 1;
    eta(left, sizeof(left), (double)m->bytes - (double)m->done_bytes, rate);
    if (!m->bar) {
        fprintf(m->out, "mpift-stage: %3.0f%% (%.1f/%.1f MB, %llu/%llu files), %.1f MB/s, ETA %s\n", frac * 100,
                m->done_bytes / 1e6, m->bytes / 1e6, (unsigned long long)m->done_files,
                (unsigned long long)m->files, rate / 1e6, left);
        return;
    }
    draw_bar(m, frac, rate, left);
}

/* Redraw a bar at most five times a second (and when `now_too`); a plain
 * line every five seconds (MPIFT_TEST_PROGRESS_EVERY seconds in the test
 * builds, so a short test sees lines). */
static void tick(struct mpift_meter *m, int now_too)
{
    double now = mpift_now();

    if (m->jsonl) {   /* a line every `every` seconds; the last at the end */
        if (now - m->last >= m->every) {
            m->last = now;
            mpift_meter_jsonl(m, 0);
        }
        return;
    }
    m->dirty = 1;
    if (m->bar ? (now_too || now - m->last >= 0.2) : now - m->last >= m->every) {
        m->last = now;
        draw(m);
    }
}

void mpift_meter_start(struct mpift_meter *m, enum mpift_progress when, int fd, int quiet, int lines,
                       uint64_t files, uint64_t bytes)
{
    int jsonl = when == MPIFT_PROGRESS_JSONL;
    int tty_out = !jsonl && mpift_tty_behind(1), tty = tty_out || (!jsonl && mpift_tty_behind(2));
    const char *test;

    memset(m, 0, sizeof(*m));
    m->jsonl = jsonl;
    m->fd = fd > 0 ? fd : 2;
    m->mode = "console";
    m->round = 1;
    m->bar = when == MPIFT_PROGRESS_ALWAYS || (when == MPIFT_PROGRESS_AUTO && !quiet && tty);
    m->out = m->bar && tty_out ? stdout : stderr;
    m->cols = m->bar ? terminal_width(fileno(m->out)) : 80;
    /* Plain lines every five seconds, JSON lines every second. */
    m->every = (test = mpift_fault_env("MPIFT_TEST_PROGRESS_EVERY")) ? atof(test) : jsonl ? 1.0 : 5.0;
    m->drawn = 0;
    m->log = NULL;
    if (m->bar) {
        m->log = mpift_log_current();
        m->log->shown = m;
        m->log->clear = mpift_meter_interrupt;
    }
    m->on = m->bar || jsonl || (lines && when == MPIFT_PROGRESS_AUTO && !quiet);
    m->files = files;
    m->bytes = bytes;
    m->done_files = m->done_bytes = 0;
    m->dirty = 1;   /* even an empty round shows its line */
    m->start = m->last = mpift_now();
}

/* Bytes that went toward the nodes the file in progress goes to. */
static void credit(struct mpift_meter *m, uint64_t bytes)
{
    int n;

    m->done_bytes += bytes;
    for (n = 0; n < m->nnodes; n++)
        if (m->node_cur[n])
            m->node_done[n] += bytes;
}

void mpift_meter_add(struct mpift_meter *m, uint64_t bytes)
{
    if (!m->on)
        return;
    m->done_files++;
    credit(m, bytes);
    tick(m, m->done_files == m->files);
}

void mpift_meter_bytes(struct mpift_meter *m, uint64_t bytes)
{
    if (!m || !m->on)
        return;
    credit(m, bytes);
    tick(m, 0);
}

void mpift_meter_expect(struct mpift_meter *m, uint64_t bytes)
{
    if (m && m->files == 1)   /* a round of many files knows its total */
        m->bytes = bytes;
}

void mpift_meter_end(struct mpift_meter *m)
{
    if (!m->on)
        return;
    if (m->jsonl) {   /* the round's last line, whatever the interval */
        mpift_meter_jsonl(m, 1);
        mpift_meter_jsonl_free(m);
    }
    /* A bar is cleared (the summary follows); plain lines just stop. */
    if (m->bar) {
        fputs("\r\033[K", m->out);
        fflush(m->out);
        if (m->log && m->log->shown == m) {
            m->log->shown = NULL;
            m->log->clear = NULL;
        }
    }
    m->on = 0;
}
