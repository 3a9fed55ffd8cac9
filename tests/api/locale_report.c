/*
 * locale_report.c - an application in a comma-decimal locale stages with
 * a report: run by tests/integration/report_locale.sh with LC_ALL set to
 * such a locale (de_DE.UTF-8).
 *
 *   mpirun -n N locale_report CONFIG REPORT
 *
 * It calls setlocale(LC_ALL, "") first, as programs that print numbers
 * for people do, so printf("%.3f") in its process writes "0,095".  Then
 * mpift_open, mpift_stage_in with report_path = REPORT, mpift_close.  The
 * report must still be JSON (the script parses and validates it).
 * Prints "decimal point: X" (rank 0), so the script knows the locale took
 * hold, and exits with mpift's exit status.
 */
#include <locale.h>
#include <mpi.h>
#include <stdio.h>
#include <string.h>

#include <mpift/mpift.h>

int main(int argc, char **argv)
{
    struct mpift_options opts;
    MPI_Comm world = MPI_COMM_WORLD;
    mpift_ctx_t *ctx = NULL;
    int rank, rc;

    if (!setlocale(LC_ALL, "")) {
        fprintf(stderr, "locale_report: setlocale(LC_ALL, \"\") failed: is the locale installed (locales-all)?\n");
        return 2;
    }
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (argc != 3) {
        if (rank == 0)
            fprintf(stderr, "usage: mpirun -n N %s CONFIG REPORT\n", argv[0]);
        MPI_Finalize();
        return 2;
    }
    if (rank == 0) {
        printf("decimal point: %s\n", localeconv()->decimal_point);
        fflush(stdout);
    }
    memset(&opts, 0, sizeof(opts));
    opts.size = sizeof(opts);
    opts.config_path = argv[1];
    opts.report_path = argv[2];
    opts.quiet = 1;
    rc = mpift_open(&world, &opts, &ctx);
    if (rc == MPIFT_OK)
        rc = mpift_stage_in(ctx);
    if (rc != MPIFT_OK && rank == 0)
        fprintf(stderr, "locale_report: %s: %s\n", mpift_strerror(rc), ctx ? mpift_errmsg(ctx) : "");
    mpift_close(&ctx);
    MPI_Finalize();
    return mpift_exit_status(rc);
}
