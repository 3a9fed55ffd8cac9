/* progress.c - see progress.h. */
#include <mpi.h>
#include <stdio.h>
#include <unistd.h>

#include "progress.h"

static void draw(struct mpift_meter *m)
{
    double secs = MPI_Wtime() - m->start;

    m->shown = m->done_files;
    fprintf(stderr, "\rmpift-stage: %llu/%llu files, %.1f/%.1f MB, %.1f MB/s   ",
            (unsigned long long)m->done_files, (unsigned long long)m->files, m->done_bytes / 1e6,
            m->bytes / 1e6, secs > 0 ? m->done_bytes / 1e6 / secs : 0.0);
    fflush(stderr);
}

void mpift_meter_start(struct mpift_meter *m, enum mpift_progress when, int quiet, uint64_t files,
                       uint64_t bytes)
{
    m->on = when == MPIFT_PROGRESS_ALWAYS || (when == MPIFT_PROGRESS_AUTO && !quiet && isatty(2));
    m->files = files;
    m->bytes = bytes;
    m->done_files = m->done_bytes = m->shown = 0;
    m->start = m->last = MPI_Wtime();
}

void mpift_meter_add(struct mpift_meter *m, uint64_t bytes)
{
    double now;

    if (!m->on)
        return;
    m->done_files++;
    m->done_bytes += bytes;
    now = MPI_Wtime();
    if (now - m->last >= 0.2 || m->done_files == m->files) {
        m->last = now;
        draw(m);
    }
}

void mpift_meter_end(struct mpift_meter *m)
{
    if (!m->on)
        return;
    if (m->shown != m->done_files || m->files == 0)
        draw(m);
    fputc('\n', stderr);
    m->on = 0;
}
