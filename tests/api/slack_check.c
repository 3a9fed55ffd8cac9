/*
 * slack_check.c - libmpift leaves the calling thread's timer slack as it
 * found it (tests/integration/wait_cpu.sh): mpift tightens it only while
 * one of its waits pauses (comm/watch.h).  CONFIG: the thread's slack is
 * set to 50 us (Linux's default), then read after mpift_open, after a
 * stage-in and after mpift_close; each rank prints "rank R: slack
 * OPEN IN CLOSE (ns)" and exits 1 unless all three are 50000 and the
 * stage-in returned MPIFT_OK.
 */
#include <mpi.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include <mpift/mpift.h>

#define OWN_SLACK_NS 50000L

int main(int argc, char **argv)
{
    struct mpift_options o;
    MPI_Comm comm = MPI_COMM_WORLD;
    mpift_ctx_t *ctx = NULL;
    long opened = -1, staged = -1, closed;
    int rank, rc = MPIFT_ERR_USAGE;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (argc != 2) {
        fprintf(stderr, "usage: slack_check CONFIG\n");
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    prctl(PR_SET_TIMERSLACK, OWN_SLACK_NS, 0, 0, 0);
    memset(&o, 0, sizeof(o));
    o.size = sizeof(o);
    o.config_path = argv[1];
    o.quiet = 1;
    if (mpift_open(&comm, &o, &ctx) == MPIFT_OK) {
        opened = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
        rc = mpift_stage_in(ctx);
        staged = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
        mpift_close(&ctx);
    }
    closed = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
    printf("rank %d: slack %ld %ld %ld (stage-in %s)\n", rank, opened, staged, closed, mpift_status_name(rc));
    MPI_Finalize();
    return rc == MPIFT_OK && opened == OWN_SLACK_NS && staged == OWN_SLACK_NS && closed == OWN_SLACK_NS ? 0 : 1;
}
