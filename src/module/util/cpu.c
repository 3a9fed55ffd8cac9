/* cpu.c - the CPU a rank spends over a watch session (see cpu.h). */
#include "mpift_autoconf.h"

#include <stdio.h>
#include <sys/resource.h>
#include <time.h>

#include "util/cpu.h"
#include "util/faults.h"
#include "util/json.h"

/* Seconds on the monotonic clock (util/ has no MPI_Wtime: no MPI below comm/). */
double mpift_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* User plus system seconds of this process so far. */
static double cpu_now(void)
{
    struct rusage ru;

    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

void mpift_cpu_start(struct mpift_cpu *c)
{
    c->on = mpift_fault_env("MPIFT_TEST_CPU") != NULL;
    if (!c->on)
        return;
    c->wall = mpift_now();
    c->used = cpu_now();
}

void mpift_cpu_report(const struct mpift_cpu *c, int rank, int leader)
{
    double wall, used;
    char line[160];
    FILE *f;

    if (!c->on)
        return;
    wall = mpift_now() - c->wall;
    used = cpu_now() - c->used;
    /* Read by tests/integration/wait_cpu.sh: numbers the same in every
     * locale (util/json.h), the line written at once. */
    if (!(f = fmemopen(line, sizeof(line), "w")))
        return;
    fprintf(f, "mpift-test-cpu rank %d leader %d: ", rank, leader);
    mpift_json_fixed(f, used, 3);
    fputs(" s of CPU over ", f);
    mpift_json_fixed(f, wall, 3);
    fputs(" s (", f);
    mpift_json_fixed(f, wall > 0 ? 100 * used / wall : 0, 1);
    fputs("%)\n", f);
    fputc('\0', f);
    fclose(f);
    fputs(line, stderr);
}
