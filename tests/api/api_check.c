/*
 * api_check.c - the mpift.h service calls' errors, run with 4 ranks by
 * tests/integration/api_fetch.sh on a configuration without
 * paths.collect.  Each failing call must return its documented code and
 * say why in mpift_errmsg(), create nothing, and leave the service
 * working for the next call.  First, mpift_version() must name the
 * version the headers were generated with (both come from this tree).
 * Prints "rank R: ok" or "FAIL ..." lines and exits 1 on any failure.
 *
 * The source folder holds ok.dat, a folder sub/ and a symlink link-out
 * pointing outside it.  The test runs it with MPIFT_TEST_CORRUPT=1, so
 * the first file each rank writes arrives damaged and is re-sent: rank
 * 1's fetch of ok.dat, and rank 2's receive of it from rank 1 (worker to
 * worker).
 */
#include <mpi.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <mpift/mpift.h>

static int failures;

/* The macros are usable in #if, as version.h promises. */
#if !defined(MPIFT_VERSION_MAJOR) || MPIFT_VERSION_MAJOR < 0 || MPIFT_VERSION_MINOR < 0 || MPIFT_VERSION_PATCH < 0
#error "mpift/version.h: MPIFT_VERSION_MAJOR, _MINOR and _PATCH must be numbers"
#endif

#define CHECK(call, want, text)                                                                        \
    do {                                                                                               \
        int rc_ = (call);                                                                              \
        if (rc_ != (want) || !strstr(mpift_errmsg(ctx), (text))) {                                     \
            printf("FAIL rank %d: %s returned %s (%d), wanted %s; errmsg \"%s\" should contain \"%s\"\n", \
                   rank, #call, mpift_strerror(rc_), rc_, #want, mpift_errmsg(ctx), (text));           \
            failures++;                                                                                \
        }                                                                                              \
    } while (0)

/* The library is the version of these headers, and the three numbers
 * spell MPIFT_VERSION_STRING. */
static void check_version(int rank)
{
    char numbers[64];

    snprintf(numbers, sizeof(numbers), "%d.%d.%d", MPIFT_VERSION_MAJOR, MPIFT_VERSION_MINOR, MPIFT_VERSION_PATCH);
    if (!mpift_version() || strcmp(mpift_version(), MPIFT_VERSION_STRING) != 0 ||
        strcmp(numbers, MPIFT_VERSION_STRING) != 0) {
        printf("FAIL rank %d: mpift_version() \"%s\", MPIFT_VERSION_STRING \"%s\", numbers %s\n", rank,
               mpift_version() ? mpift_version() : "(null)", MPIFT_VERSION_STRING, numbers);
        failures++;
    }
}

/* Nothing may exist at dest root/name after a failed call. */
static void absent(mpift_ctx_t *ctx, int rank, const char *name)
{
    char path[4096];
    struct stat st;

    snprintf(path, sizeof(path), "%s/%s", mpift_dest_root(ctx), name);
    if (lstat(path, &st) == 0) {
        printf("FAIL rank %d: %s exists after a failed call\n", rank, path);
        failures++;
    }
}

/* mpift_open_f: the Fortran handle of the world opens a context like the
 * C handle (collective: same dest root as ctx's); the null handle and a
 * NULL ctx are refused at once, on each rank alone. */
static void check_open_f(const struct mpift_options *opts, const mpift_ctx_t *ctx, int rank)
{
    mpift_ctx_t *f = (mpift_ctx_t *)&f;
    int rc;

    rc = mpift_open_f((int)MPI_Comm_c2f(MPI_COMM_WORLD), opts, &f);
    if (rc != MPIFT_OK || strcmp(mpift_dest_root(f), mpift_dest_root(ctx)) != 0) {
        printf("FAIL rank %d: mpift_open_f(MPI_COMM_WORLD): %s, dest root \"%s\"\n", rank, mpift_strerror(rc),
               mpift_dest_root(f));
        failures++;
    }
    mpift_close(&f);
    f = (mpift_ctx_t *)&f;
    rc = mpift_open_f((int)MPI_Comm_c2f(MPI_COMM_NULL), opts, &f);
    if (rc != MPIFT_ERR_USAGE || f != NULL) {
        printf("FAIL rank %d: mpift_open_f(MPI_COMM_NULL) returned %s, wanted usage error and no context\n", rank,
               mpift_strerror(rc));
        failures++;
    }
    if ((rc = mpift_open_f((int)MPI_Comm_c2f(MPI_COMM_WORLD), opts, NULL)) != MPIFT_ERR_USAGE) {
        printf("FAIL rank %d: mpift_open_f(..., NULL) returned %s\n", rank, mpift_strerror(rc));
        failures++;
    }
}

int main(int argc, char **argv)
{
    struct mpift_options opts;
    struct mpift_serve_stats st;
    MPI_Comm world = MPI_COMM_WORLD;
    mpift_ctx_t *ctx = NULL;
    char name[4096];
    int rank, rc, any = 0;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    check_version(rank);
    memset(&opts, 0, sizeof(opts));
    opts.size = sizeof(opts);
    opts.config_path = argc > 1 ? argv[1] : "";
    rc = mpift_open(&world, &opts, &ctx);
    if (rc != MPIFT_OK) {
        printf("FAIL rank %d: mpift_open: %s\n", rank, mpift_strerror(rc));
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    switch (rank) {
    case 0:
        CHECK(mpift_fetch(ctx, "ok.dat"), MPIFT_ERR_USAGE, "rank 0 is the master");
        memset(&st, 0, sizeof(st));
        st.size = sizeof(st);
        CHECK(mpift_serve(ctx, &st), MPIFT_OK, "");
        printf("master: %llu requests, %llu failed\n", (unsigned long long)st.requests,
               (unsigned long long)st.failed);
        CHECK(mpift_serve(ctx, NULL), MPIFT_ERR_USAGE, "called a second time");
        break;
    case 1:
        CHECK(mpift_serve(ctx, NULL), MPIFT_ERR_USAGE, "only rank 0 serves");
        CHECK(mpift_fetch(ctx, "nosuch.dat"), MPIFT_ERR_NOENT, "nosuch.dat: No such file or directory");
        absent(ctx, rank, "nosuch.dat");
        CHECK(mpift_fetch(ctx, "../escape.dat"), MPIFT_ERR_ESCAPE, "would leave its root");
        CHECK(mpift_fetch(ctx, "link-out"), MPIFT_ERR_ESCAPE, "outside");
        absent(ctx, rank, "link-out");
        CHECK(mpift_fetch(ctx, "ok.dat"), MPIFT_OK, "");
        CHECK(mpift_put(ctx, "ok.dat"), MPIFT_ERR_CONFIG, "paths.collect is not set");
        CHECK(mpift_send_to(ctx, "ok.dat", 1), MPIFT_ERR_RANGE, "rank 1 is not another worker");
        CHECK(mpift_send_to(ctx, "ok.dat", 0), MPIFT_ERR_RANGE, "rank 0 is not another worker");
        CHECK(mpift_send_to(ctx, "nosuch.dat", 2), MPIFT_ERR_NOENT, "No such file or directory");
        CHECK(mpift_send_to(ctx, "ok.dat", 2), MPIFT_OK, "");
        CHECK(mpift_done(ctx), MPIFT_OK, "");
        CHECK(mpift_fetch(ctx, "ok.dat"), MPIFT_ERR_USAGE, "after mpift_done");
        break;
    case 2:
        CHECK(mpift_recv_from(ctx, 1, name, sizeof(name)), MPIFT_ERR_NOENT, "No such file or directory");
        absent(ctx, rank, "nosuch.dat");
        CHECK(mpift_recv_from(ctx, 1, name, sizeof(name)), MPIFT_OK, "");
        if (strcmp(name, "ok.dat") != 0) {
            printf("FAIL rank 2: recv_from named \"%s\", not ok.dat\n", name);
            failures++;
        }
        CHECK(mpift_done(ctx), MPIFT_OK, "");
        break;
    default:
        CHECK(mpift_fetch(ctx, "sub"), MPIFT_ERR_IO, "not a regular file");
        absent(ctx, rank, "sub");
        /* mpift's temporary names are never served, either way */
        CHECK(mpift_fetch(ctx, ".mpift-0123-4567-r1.tmp"), MPIFT_ERR_USAGE, "a temporary file of mpift");
        absent(ctx, rank, ".mpift-0123-4567-r1.tmp");
        CHECK(mpift_put(ctx, "sub/ok.dat.mpift-12.tmp"), MPIFT_ERR_USAGE, "a temporary file of mpift");
        CHECK(mpift_done(ctx), MPIFT_OK, "");
        break;
    }
    check_open_f(&opts, ctx, rank);
    if (!failures)
        printf("rank %d: ok\n", rank);
    fflush(stdout);
    MPI_Allreduce(&failures, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    mpift_close(&ctx);
    MPI_Finalize();
    return any ? 1 : 0;
}
