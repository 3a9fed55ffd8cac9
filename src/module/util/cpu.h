/*
 * cpu.h - the monotonic clock of intervals (mpift_now), and the CPU a rank
 * spends over a watch session (comm/watch.h), for
 * the test suite and the benchmarks: a rank with nothing to do during a
 * stage must cost next to nothing while it waits.
 *
 * With MPIFT_TEST_CPU set (fault-injection builds only: util/faults.h),
 * each rank prints when its session ends, on stderr:
 *
 *   mpift-test-cpu rank 3 leader 2: 0.021 s of CPU over 3.412 s (0.6%)
 *
 * (its leader is the lowest rank of its node; a rank whose leader is
 * itself is a node leader).  User and system time both count
 * (getrusage); the wall time is the session's.
 */
#ifndef MPIFT_CPU_H
#define MPIFT_CPU_H

struct mpift_cpu {
    int on;                    /* MPIFT_TEST_CPU is set */
    double wall, used;         /* at the start: wall clock and CPU seconds */
};

/* Seconds on the monotonic clock, for intervals (MPI_Wtime's job in util/). */
double mpift_now(void);

/* Start measuring (a no-op unless MPIFT_TEST_CPU is set). */
void mpift_cpu_start(struct mpift_cpu *c);

/* Print the line above for rank `rank` of the node led by `leader`, if
 * measuring. */
void mpift_cpu_report(const struct mpift_cpu *c, int rank, int leader);

#endif
