/*
 * result_check.c - the result API of mpift.h, run on several ranks by
 * tests/integration/result.sh: CONFIG OUTDIR.
 *
 *  1. mpift_status_name and mpift_status_exit agree with MPIFT_STATUS_MAP
 *     for every code, and give NULL / 1 for the first code past the list.
 *  2. A context opened with keep_result (and no report_path): before any
 *     run mpift_result says MPIFT_ERR_NOENT; after mpift_stage_in, every
 *     rank prints the totals ("rank R: in1 ...") and writes the report's
 *     text to OUTDIR/in1.R (the script compares the ranks' copies and
 *     checks them against docs/report.schema.json); a second stage-in
 *     ("in2") finds every copy unchanged; a stage-out ("out") counts the
 *     files found on the writers.
 *  3. A context without keep_result keeps nothing (MPIFT_ERR_NOENT).
 *  4. Wrong arguments are MPIFT_ERR_USAGE.
 * Prints "FAIL ..." lines and exits 1 on any failure.
 *
 * CONFIG OUTDIR REPORT instead: one stage-in with keep_result and
 * report_path REPORT ("-": none); each rank prints "rank R: keep
 * status=NAME result=NAME" (what mpift_stage_in and then mpift_result
 * returned) and, with a result, writes its text to OUTDIR/keep.R.  Under
 * MPIFT_TEST_NOMEM_RESULT (tests/libmpift_faults.la) the script checks
 * that a result with no memory costs the run nothing.
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpift/mpift.h>

static int failures, rank;

#define EXPECT(cond, ...)                                   \
    do {                                                    \
        if (!(cond)) {                                      \
            printf("FAIL rank %d: %s: ", rank, #cond);      \
            printf(__VA_ARGS__);                            \
            printf("\n");                                   \
            failures++;                                     \
        }                                                   \
    } while (0)

static void check_names(void)
{
    const char *name;

#define CHECK_NAME_(nm, value, text, exit)                                                             \
    name = mpift_status_name(value);                                                                   \
    EXPECT(name && strcmp(name, "MPIFT_" #nm) == 0, "%d is named %s", value, name ? name : "NULL"); \
    EXPECT(mpift_status_exit(value) == (exit), "%d exits %d", value, mpift_status_exit(value));
    MPIFT_STATUS_MAP(CHECK_NAME_)
#undef CHECK_NAME_
    EXPECT(mpift_status_name(MPIFT_ERR_UNSUPPORTED - 1) == NULL, "a code past the list has a name");
    EXPECT(mpift_status_name(1) == NULL, "1 has a name");
    EXPECT(mpift_status_exit(MPIFT_ERR_UNSUPPORTED - 1) == 1, "a code past the list exits %d",
           mpift_status_exit(MPIFT_ERR_UNSUPPORTED - 1));
}

/* One run's result: a line of totals, the text into OUTDIR/TAG.RANK. */
static void show(mpift_ctx_t *ctx, const char *tag, const char *outdir, int rc)
{
    struct mpift_result res;
    char *json = NULL, path[4096];
    size_t len = 0;
    FILE *f;

    memset(&res, 0xff, sizeof(res));
    res.size = sizeof(res);
    EXPECT(mpift_result(ctx, &res) == MPIFT_OK, "%s: no result", tag);
    EXPECT(res.size == sizeof(res) && res.status == rc, "%s: status %d, the call returned %d", tag, res.status, rc);
    EXPECT(mpift_result_json(ctx, &json, &len) == MPIFT_OK && json && strlen(json) == len, "%s: no JSON", tag);
    printf("rank %d: %s status=%s mode=%d files=%llu bytes=%llu written=%llu unchanged=%llu failed=%llu "
           "bytes_written=%llu wire=%s unread=%llu\n", rank, tag, mpift_status_name(res.status), res.mode,
           (unsigned long long)res.files, (unsigned long long)res.bytes, (unsigned long long)res.copies_written,
           (unsigned long long)res.unchanged, (unsigned long long)res.failed,
           (unsigned long long)res.bytes_written, res.wire_bytes > 0 ? "yes" : "no",
           (unsigned long long)res.folders_not_read);
    snprintf(path, sizeof(path), "%s/%s.%d", outdir, tag, rank);
    if (json && (f = fopen(path, "w"))) {
        fputs(json, f);
        fclose(f);
    }
    mpift_free(json);
}

static mpift_ctx_t *open_ctx(const char *config, int keep, const char *report)
{
    struct mpift_options o;
    MPI_Comm comm = MPI_COMM_WORLD;
    mpift_ctx_t *ctx = NULL;

    memset(&o, 0, sizeof(o));
    o.size = sizeof(o);
    o.config_path = config;
    o.quiet = 1;
    o.keep_result = keep;
    o.report_path = report;
    EXPECT(mpift_open(&comm, &o, &ctx) == MPIFT_OK, "mpift_open %s", config);
    return ctx;
}

/* One stage-in with keep_result and report_path `report`. */
static void keep_once(const char *config, const char *outdir, const char *report)
{
    struct mpift_result res = { .size = sizeof(res) };
    mpift_ctx_t *ctx = open_ctx(config, 1, strcmp(report, "-") ? report : NULL);
    char *json = NULL, path[4096];
    int rc, got;
    FILE *f;

    if (!ctx)
        return;
    rc = mpift_stage_in(ctx);
    got = mpift_result(ctx, &res);
    printf("rank %d: keep status=%s result=%s\n", rank, mpift_status_name(rc), mpift_status_name(got));
    if (got == MPIFT_OK && mpift_result_json(ctx, &json, NULL) == MPIFT_OK) {
        snprintf(path, sizeof(path), "%s/keep.%d", outdir, rank);
        if ((f = fopen(path, "w"))) {
            fputs(json, f);
            fclose(f);
        }
        mpift_free(json);
    }
    mpift_close(&ctx);
}

int main(int argc, char **argv)
{
    struct mpift_result res;
    mpift_ctx_t *ctx;
    char *json = (char *)"untouched";
    int rc;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: result_check CONFIG OUTDIR [REPORT]\n");
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    if (argc == 4) {
        keep_once(argv[1], argv[2], argv[3]);
        MPI_Finalize();
        return failures ? 1 : 0;
    }
    check_names();

    if ((ctx = open_ctx(argv[1], 1, NULL))) {
        res.size = sizeof(res);
        EXPECT(mpift_result(ctx, &res) == MPIFT_ERR_NOENT, "a result before any run");
        EXPECT(mpift_result_json(ctx, &json, NULL) == MPIFT_ERR_NOENT && json == NULL, "JSON before any run");
        rc = mpift_stage_in(ctx);
        show(ctx, "in1", argv[2], rc);
        rc = mpift_stage_in(ctx);
        show(ctx, "in2", argv[2], rc);
        rc = mpift_stage_out(ctx);
        show(ctx, "out", argv[2], rc);
        /* Wrong arguments. */
        EXPECT(mpift_result(NULL, &res) == MPIFT_ERR_USAGE, "NULL ctx");
        EXPECT(mpift_result(ctx, NULL) == MPIFT_ERR_USAGE, "NULL res");
        res.size = 4;
        EXPECT(mpift_result(ctx, &res) == MPIFT_ERR_USAGE, "res.size 4");
        EXPECT(mpift_result_json(ctx, NULL, NULL) == MPIFT_ERR_USAGE, "NULL json");
        mpift_close(&ctx);
    }
    if ((ctx = open_ctx(argv[1], 0, NULL))) {
        rc = mpift_stage_in(ctx);
        res.size = sizeof(res);
        EXPECT(rc == MPIFT_OK && mpift_result(ctx, &res) == MPIFT_ERR_NOENT, "kept without keep_result (%d)", rc);
        mpift_close(&ctx);
    }
    printf("rank %d: %s\n", rank, failures ? "failed" : "ok");
    MPI_Finalize();
    return failures ? 1 : 0;
}
