/*
 * stage_inputs.c - an MPI application that stages its own inputs with
 * mpift.h right after MPI_Init, works on the node-local copies, and
 * gathers its results with stage-out before it ends.
 *
 *   mpirun -n 4 ./stage_inputs CONFIG
 *
 * CONFIG's stage_in puts the inputs on every node; each rank then reads
 * every staged file from its node's copy (mpift_dest_root), writes
 * out/rank-R.txt (file count and bytes it saw) under its dest root, and
 * stage_out gathers those onto rank 0 under paths.collect.  With the
 * default copies = "per-node", the ranks of a node share one dest root.
 *
 * Build:  cc stage_inputs.c $(pkg-config --cflags --libs mpift) -o stage_inputs
 * Exit status: mpift's (0 all staged and gathered, 1 a file failed, ...).
 */
#include <dirent.h>
#include <errno.h>
#include <mpi.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <mpift/mpift.h>

/* Count the regular files and bytes below dir (depth-first). */
static void walk(const char *dir, long *files, long long *bytes)
{
    char path[4096];
    struct dirent *de;
    struct stat st;
    DIR *d = opendir(dir);

    if (!d)
        return;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || strcmp(de->d_name, "out") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        if (lstat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            walk(path, files, bytes);
        } else if (S_ISREG(st.st_mode)) {
            (*files)++;
            *bytes += st.st_size;
        }
    }
    closedir(d);
}

/* Close and finalise; returns the exit status for rc.  An MPI, protocol or
 * memory failure may leave other ranks waiting in a collective call
 * (mpift.h): only an abort ends the job then. */
static int finish(mpift_ctx_t **ctx, int rc)
{
    if (rc == MPIFT_ERR_MPI || rc == MPIFT_ERR_PROTO || rc == MPIFT_ERR_NOMEM)
        MPI_Abort(MPI_COMM_WORLD, mpift_exit_status(rc));
    mpift_close(ctx);
    MPI_Finalize();
    return mpift_exit_status(rc);
}

int main(int argc, char **argv)
{
    struct mpift_options opts;
    MPI_Comm world = MPI_COMM_WORLD;
    mpift_ctx_t *ctx = NULL;
    char path[4096];
    long files = 0;
    long long bytes = 0;
    int rank, rc;
    FILE *f;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (argc != 2) {
        if (rank == 0)
            fprintf(stderr, "usage: mpirun -n N %s CONFIG\n", argv[0]);
        MPI_Finalize();
        return 2;
    }
    memset(&opts, 0, sizeof(opts));
    opts.size = sizeof(opts);
    opts.config_path = argv[1];
    rc = mpift_open(&world, &opts, &ctx);
    if (rc == MPIFT_OK)
        rc = mpift_stage_in(ctx);   /* the same code on every rank, but for MPI, PROTO, NOMEM */
    if (rc != MPIFT_OK) {
        if (rank == 0)
            fprintf(stderr, "staging the inputs failed: %s\n", mpift_strerror(rc));
        return finish(&ctx, rc);
    }

    /* The "work": read what was staged, from this node's copy. */
    walk(mpift_dest_root(ctx), &files, &bytes);
    snprintf(path, sizeof(path), "%s/out", mpift_dest_root(ctx));
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        perror(path);
    snprintf(path, sizeof(path), "%s/out/rank-%d.txt", mpift_dest_root(ctx), rank);
    f = fopen(path, "w");
    if (!f || fprintf(f, "rank %d saw %ld files, %lld bytes\n", rank, files, bytes) < 0 || fclose(f) != 0)
        perror(path);
    printf("rank %d: %ld staged files, %lld bytes, in %s\n", rank, files, bytes, mpift_dest_root(ctx));
    fflush(stdout);
    MPI_Barrier(MPI_COMM_WORLD);    /* every result written before gathering */

    return finish(&ctx, mpift_stage_out(ctx));
}
