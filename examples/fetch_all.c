/*
 * fetch_all.c - the mpift.h service from an MPI program: every worker
 * fetches a different file from the master at the same time, works on it,
 * puts its result back, and odd workers hand their input straight to the
 * next worker.
 *
 *   mpirun -n 6 ./fetch_all CONFIG [KEY=VALUE ...]
 *
 * The master (rank 0) needs part-1.dat ... part-<N-1>.dat under the
 * configuration's paths.source and writes results under paths.collect;
 * each worker works under its own paths.dest.  KEY=VALUE pairs override
 * the configuration like mpift-stage's --set (workers.max_streams=2).
 *
 * Build:  mpicc fetch_all.c $(pkg-config --cflags --libs mpift) -o fetch_all
 * Exit status: 0 when every transfer landed, 1 otherwise (same on all
 * ranks); mpift_exit_status() of a failed mpift_open; 3 when the job
 * cannot go on (MPI_Abort).
 */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpift/mpift.h>

/* FNV-1a over a file: the "work" a worker does on its input. */
static int digest(const char *path, uint64_t *bytes, uint32_t *hash)
{
    unsigned char buf[65536];
    size_t n, i;
    FILE *f = fopen(path, "rb");

    if (!f)
        return -1;
    *bytes = 0;
    *hash = 2166136261u;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        for (i = 0; i < n; i++)
            *hash = (*hash ^ buf[i]) * 16777619u;
        *bytes += n;
    }
    fclose(f);
    return 0;
}

/* A worker's call failed: say why (mpift_errmsg names the file, the ranks
 * and the cause).  MPI or protocol failures mean the job cannot go on
 * (mpift.h): end it.  Returns 1, "failed". */
static int failed_call(mpift_ctx_t *ctx, int rank, int rc)
{
    fprintf(stderr, "rank %d: %s\n", rank, mpift_errmsg(ctx));
    if (rc == MPIFT_ERR_MPI || rc == MPIFT_ERR_PROTO)
        MPI_Abort(MPI_COMM_WORLD, mpift_exit_status(rc));
    return 1;
}

static int worker(mpift_ctx_t *ctx, int rank, int size)
{
    char in[64], out[64], path[4096], got[4096];
    uint64_t bytes;
    uint32_t hash;
    FILE *f;
    int rc, failed = 0;

    snprintf(in, sizeof(in), "part-%d.dat", rank);
    snprintf(out, sizeof(out), "result-%d.txt", rank);
    rc = mpift_fetch(ctx, in);
    if (rc != MPIFT_OK) {
        failed = failed_call(ctx, rank, rc);
    } else {
        snprintf(path, sizeof(path), "%s/%s", mpift_dest_root(ctx), in);
        if (digest(path, &bytes, &hash) != 0) {
            perror(path);
            failed = 1;
        } else {
            snprintf(path, sizeof(path), "%s/%s", mpift_dest_root(ctx), out);
            f = fopen(path, "w");
            if (!f || fprintf(f, "rank %d %s %llu bytes fnv1a %08x\n", rank, in, (unsigned long long)bytes,
                              hash) < 0 || fclose(f) != 0) {
                perror(path);
                failed = 1;
            } else if ((rc = mpift_put(ctx, out)) != MPIFT_OK) {
                failed = failed_call(ctx, rank, rc);
            } else {
                printf("rank %d: fetched %s (%llu bytes), put %s\n", rank, in, (unsigned long long)bytes, out);
            }
        }
    }
    /* Worker to worker, not through the master: 1 -> 2, 3 -> 4, ... */
    if (rank % 2 == 1 && rank + 1 < size) {
        if ((rc = mpift_send_to(ctx, in, rank + 1)) != MPIFT_OK)
            failed = failed_call(ctx, rank, rc);
    } else if (rank % 2 == 0) {
        if ((rc = mpift_recv_from(ctx, rank - 1, got, sizeof(got))) != MPIFT_OK) {
            failed = failed_call(ctx, rank, rc);
        } else {
            printf("rank %d: received %s from rank %d\n", rank, got, rank - 1);
        }
    }
    fflush(stdout);
    if ((rc = mpift_done(ctx)) != MPIFT_OK)
        failed = failed_call(ctx, rank, rc);
    return failed;
}

int main(int argc, char **argv)
{
    struct mpift_options opts;
    struct mpift_serve_stats st;
    MPI_Comm world = MPI_COMM_WORLD;
    mpift_ctx_t *ctx = NULL;
    int rank, size, rc, failed = 0, anyfailed = 0;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (argc < 2) {
        if (rank == 0)
            fprintf(stderr, "usage: mpirun -n N %s CONFIG [KEY=VALUE ...]\n", argv[0]);
        MPI_Finalize();
        return 2;
    }
    memset(&opts, 0, sizeof(opts));
    opts.size = sizeof(opts);
    opts.config_path = argv[1];
    opts.sets = (const char *const *)(argv + 2);
    opts.nsets = (size_t)(argc - 2);
    rc = mpift_open(&world, &opts, &ctx);
    if (rc != MPIFT_OK) {
        if (rank == 0)
            fprintf(stderr, "mpift_open: %s\n", mpift_strerror(rc));
        /* Ranks that may no longer agree cannot finalise together (mpift.h). */
        if (rc == MPIFT_ERR_MPI || rc == MPIFT_ERR_PROTO || rc == MPIFT_ERR_NOMEM)
            MPI_Abort(MPI_COMM_WORLD, mpift_exit_status(rc));
        MPI_Finalize();
        return mpift_exit_status(rc);
    }
    if (rank == 0) {
        memset(&st, 0, sizeof(st));
        st.size = sizeof(st);
        rc = mpift_serve(ctx, &st);
        if (rc != MPIFT_OK) {
            fprintf(stderr, "master: %s\n", mpift_errmsg(ctx));
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
        printf("master: %llu requests, %llu failed, %llu bytes out, %llu bytes in, "
               "up to %d transfers at once, %.2f s\n", (unsigned long long)st.requests,
               (unsigned long long)st.failed, (unsigned long long)st.bytes_out, (unsigned long long)st.bytes_in,
               st.peak_streams, st.seconds);
        fflush(stdout);
        /* st.failed counts attempts a re-send then repaired: the workers,
         * who see each call's final outcome, say whether the run failed. */
    } else {
        failed = worker(ctx, rank, size);
    }
    MPI_Allreduce(&failed, &anyfailed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    mpift_close(&ctx);
    MPI_Finalize();
    return anyfailed ? 1 : 0;
}
