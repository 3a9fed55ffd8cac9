/* progress.c - see progress.h. */
#include <mpi.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "progress.h"

int mpift_tty_behind(int fd)
{
    char link[64], target[64];
    ssize_t n;

    if (isatty(fd))
        return 1;
    snprintf(link, sizeof(link), "/proc/%ld/fd/%d", (long)getppid(), fd);
    n = readlink(link, target, sizeof(target) - 1);
    if (n <= 0)
        return 0;
    target[n] = '\0';
    return strncmp(target, "/dev/pts/", 9) == 0 || strncmp(target, "/dev/tty", 8) == 0;
}

static void draw(struct mpift_meter *m)
{
    double secs = MPI_Wtime() - m->start;

    m->dirty = 0;
    fprintf(stderr, "\rmpift-stage: %llu/%llu files, %.1f/%.1f MB, %.1f MB/s   ",
            (unsigned long long)m->done_files, (unsigned long long)m->files, m->done_bytes / 1e6,
            m->bytes / 1e6, secs > 0 ? m->done_bytes / 1e6 / secs : 0.0);
    fflush(stderr);
}

/* Redraw at most five times a second, and when `now_too`. */
static void tick(struct mpift_meter *m, int now_too)
{
    double now = MPI_Wtime();

    m->dirty = 1;
    if (now_too || now - m->last >= 0.2) {
        m->last = now;
        draw(m);
    }
}

void mpift_meter_start(struct mpift_meter *m, enum mpift_progress when, int quiet, uint64_t files,
                       uint64_t bytes)
{
    m->on = when == MPIFT_PROGRESS_ALWAYS || (when == MPIFT_PROGRESS_AUTO && !quiet && mpift_tty_behind(2));
    m->files = files;
    m->bytes = bytes;
    m->done_files = m->done_bytes = 0;
    m->dirty = 1;   /* even an empty round shows its line */
    m->start = m->last = MPI_Wtime();
}

void mpift_meter_add(struct mpift_meter *m, uint64_t bytes)
{
    if (!m->on)
        return;
    m->done_files++;
    m->done_bytes += bytes;
    tick(m, m->done_files == m->files);
}

void mpift_meter_bytes(struct mpift_meter *m, uint64_t bytes)
{
    if (!m || !m->on)
        return;
    m->done_bytes += bytes;
    tick(m, 0);
}

void mpift_meter_expect(struct mpift_meter *m, uint64_t bytes)
{
    if (m)
        m->bytes = bytes;
}

void mpift_meter_end(struct mpift_meter *m)
{
    if (!m->on)
        return;
    if (m->dirty)
        draw(m);
    fputc('\n', stderr);
    m->on = 0;
}
