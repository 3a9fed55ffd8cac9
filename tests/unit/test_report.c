/*
 * test_report.c - the --report JSON: escaping, atomic files, the notes
 * that keep why a copy failed, and the whole report of a stage-in and of a
 * stage-out, key by key (stage/report.c writes both).
 */
#include "mpift_autoconf.h"

#include <check.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "job/context.h"
#include "stage/report.h"
#include "fs/outfile.h"
#include "util/json.h"
#include "unit_main.h"

/* s as mpift_json_str writes it, in a static buffer. */
static const char *json(const char *s)
{
    static char out[1024];
    FILE *f = fmemopen(out, sizeof(out), "w");

    ck_assert_ptr_nonnull(f);
    mpift_json_str(f, s);
    fclose(f);
    return out;
}

START_TEST(escapes)
{
    ck_assert_str_eq(json("plain.dat"), "\"plain.dat\"");
    ck_assert_str_eq(json("with space/\"q\"\\b"), "\"with space/\\\"q\\\"\\\\b\"");
    ck_assert_str_eq(json("a\nb\tc\x01" "d\x7f"), "\"a\\nb\\tc\\u0001d\\u007f\"");
    ck_assert_str_eq(json(""), "\"\"");
}
END_TEST

START_TEST(utf8)
{
    /* Valid UTF-8 passes through; each byte that is not UTF-8 becomes
     * \udcXX (surrogateescape), never the character of the same number. */
    ck_assert_str_eq(json("donn\xc3\xa9" "es-\xc3\xa9.txt"), "\"donn\xc3\xa9" "es-\xc3\xa9.txt\"");
    ck_assert_str_eq(json("\xe6\x97\xa5\xe6\x9c\xac.bin"), "\"\xe6\x97\xa5\xe6\x9c\xac.bin\"");
    ck_assert_str_eq(json("\xf0\x9f\x98\x80"), "\"\xf0\x9f\x98\x80\"");
    ck_assert_str_eq(json("latin1-\xe9.txt"), "\"latin1-\\udce9.txt\"");
    ck_assert_str_eq(json("\xc0\xaf"), "\"\\udcc0\\udcaf\"");           /* overlong '/' */
    ck_assert_str_eq(json("\xed\xa0\x80"), "\"\\udced\\udca0\\udc80\""); /* a surrogate */
    ck_assert_str_eq(json("cut\xe6\x97"), "\"cut\\udce6\\udc97\"");     /* truncated */
    ck_assert_str_eq(json("\xff\x80x"), "\"\\udcff\\udc80x\"");          /* the range's ends */
}
END_TEST

START_TEST(atomic_file)
{
    struct mpift_outfile r;
    char dir[] = "/tmp/mpift-report-XXXXXX", path[256], tmp[sizeof(r.tmp) + 64], why[512];
    struct stat st;
    FILE *f;
    char buf[64] = "";

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/r.json", dir);
    ck_assert_int_eq(mpift_outfile_open(&r, path, ".mpift-", ".tmp", why, sizeof(why)), MPIFT_OK);
    fputs("{\"ok\": true}\n", r.f);
    snprintf(tmp, sizeof(tmp), "%s/%s", dir, r.tmp);
    ck_assert_int_eq(strncmp(r.tmp, ".mpift-", 7), 0);
    ck_assert_int_eq(strlen(r.tmp), 7 + 32 + 4);   /* 128 random bits: no name to plant ahead */
    ck_assert_int_eq(stat(path, &st), -1);      /* nothing at the final path yet */
    ck_assert_int_eq(stat(tmp, &st), 0);
    ck_assert_int_eq(mpift_outfile_close(&r, 1, why, sizeof(why)), MPIFT_OK);
    ck_assert_int_eq(stat(tmp, &st), -1);
    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
    fclose(f);
    ck_assert_str_eq(buf, "{\"ok\": true}\n");
    /* A report given up leaves nothing. */
    unlink(path);
    ck_assert_int_eq(mpift_outfile_open(&r, path, ".mpift-", ".tmp", why, sizeof(why)), MPIFT_OK);
    ck_assert_int_eq(mpift_outfile_close(&r, 0, why, sizeof(why)), MPIFT_OK);
    ck_assert_int_eq(stat(path, &st), -1);
    /* A link planted at the final name is replaced, not followed. */
    snprintf(tmp, sizeof(tmp), "%s/target", dir);
    ck_assert_int_eq(symlink(tmp, path), 0);
    ck_assert_int_eq(mpift_outfile_open(&r, path, ".mpift-", ".tmp", why, sizeof(why)), MPIFT_OK);
    ck_assert_int_eq(mpift_outfile_close(&r, 1, why, sizeof(why)), MPIFT_OK);
    ck_assert_int_eq(lstat(path, &st), 0);
    ck_assert(S_ISREG(st.st_mode));
    ck_assert_int_eq(stat(tmp, &st), -1);
    unlink(path);
    /* An unwritable place is an error, not a crash. */
    ck_assert_int_ne(mpift_outfile_open(&r, "/nonexistent/dir/r.json", ".mpift-", ".tmp", why, sizeof(why)),
                     MPIFT_OK);
    rmdir(dir);
}
END_TEST

/* A job of 3 ranks on 2 nodes (ranks 0 and 1 on hostA, rank 2 on hostB). */
static int node_of[3] = {0, 0, 1}, leaders[2] = {0, 2};
static char hosts[3][MPIFT_HOST_MAX] = {"hostA", "hostA", "hostB"};
static struct mpift_config cfg;
static struct mpift_ctx ctx;
static char dir[64], path[256];

static void job_setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/mpift-report-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/r.json", dir);
    memset(&cfg, 0, sizeof(cfg));
    cfg.file = "job.cfg";
    cfg.policy = MPIFT_POLICY_TREE;
    cfg.copies = MPIFT_COPIES_PER_NODE;
    memset(&ctx, 0, sizeof(ctx));
    ctx.cfg = &cfg;
    ctx.report_path = path;
    ctx.topo.size = 3;
    ctx.topo.nnodes = 2;
    ctx.topo.node_of = node_of;
    ctx.topo.leaders = leaders;
    ctx.topo.hosts = hosts;
    snprintf(ctx.topo.jobid, sizeof(ctx.topo.jobid), "job-1");
}

static void job_teardown(void)
{
    unlink(path);
    rmdir(dir);
}

/* The report as written, in a static buffer. */
static const char *written(const struct mpift_stage_report *rep)
{
    static char buf[4096];
    FILE *f;
    size_t n;

    ck_assert_int_eq(mpift_stage_report_write(rep, NULL), MPIFT_OK);
    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static struct mpift_pfile files[3] = {
    {"sub", NULL, 0, 0, 0, 0755, MPIFT_PT_DIR, 0, 0, -1, 0, {0}, 0, 0},
    {"sub/a.dat", NULL, 10, 0, 0, 0644, MPIFT_PT_FILE, 0, 0, -1, 0, {0}, 0, 0},
    {"b \"q\".dat", NULL, 20, 0, 0, 0644, MPIFT_PT_FILE, 0, 0, -1, 0, {0}, 0, 0},
};

START_TEST(notes)
{
    struct mpift_notes n = {NULL, 0, 0};

    mpift_notes_add(&n, 7, "a.dat: first\nline");
    mpift_notes_add(&n, 12, "b.dat: second");
    ck_assert_uint_eq(n.len, strlen("7\ta.dat: first line\n12\tb.dat: second\n"));
    ck_assert(memcmp(n.text, "7\ta.dat: first line\n12\tb.dat: second\n", n.len) == 0);
    mpift_notes_free(&n);
    ck_assert_ptr_null(n.text);
    ck_assert_uint_eq(n.len, 0);
}
END_TEST

/* Rank 0 wrote both files, hostB's leader (rank 2) damaged a.dat and had
 * b unchanged; rank 1 keeps nothing (copies per node). */
START_TEST(stage_in)
{
    struct mpift_plan plan = {files, 3, 3, 1, 2, 30, 0};
    unsigned char states[3][3] = {{0, MPIFT_FS_DONE, MPIFT_FS_DONE}, {0, 0, 0}, {0, MPIFT_FS_FAILED, MPIFT_FS_SKIPPED}};
    uint64_t digest[3] = {0, 0xabc, 0};
    struct mpift_notes n2 = {NULL, 0, 0};
    double rows[3][MPIFT_TALLY_N] = {{2, 0, 0, 30, 0.25}, {0, 0, 0, 0, 0.5}, {0, 1, 1, 0, 0.125}};
    struct mpift_tally t = {{2, 1, 2, 30}, &rows[0][0], NULL, 0, 1, 0};
    struct mpift_report_rank ranks[3];
    struct mpift_stage_report rep = {&ctx, &plan, NULL, NULL, ranks, &t, 1.5, MPIFT_ERR_FILES, NULL};
    uint64_t wire[3] = {0, 4, 20};   /* the folder, a.dat compressed, b as it is */
    uint64_t holes[3] = {0, 0, 8};   /* b: 8 bytes as a hole extent */
    uint64_t resumed[3] = {0, 3, 0}, delta[3] = {0, 0, 5};   /* taken from what the writers held */
    char want[4096];
    int q;

    mpift_notes_add(&n2, 1, "sub/a.dat: checksum mismatch");
    for (q = 0; q < 3; q++)
        ranks[q] = (struct mpift_report_rank){&plan, states[q], digest, q == 2 ? n2.text : NULL, q == 2 ? n2.len : 0,
                                              wire, holes, resumed, delta, NULL};
    snprintf(want, sizeof(want),
             "{\n  \"report_version\": 1,\n  \"mpift\": \"%s\",\n  \"mode\": \"stage-in\",\n  \"config\": \"job.cfg\",\n  \"job\": \"job-1\",\n"
             "  \"policy\": \"tree\",\n  \"copies\": \"per-node\",\n  \"nodes_count\": 2,\n  \"ranks\": 3,\n"
             "  \"seconds\": 1.500,\n  \"exit_code\": 1,\n  \"status\": \"failed\",\n  \"error\": \"%s\",\n"
             "  \"totals\": { \"files\": 2, \"bytes\": 30, \"copies_written\": 2, \"unchanged\": 1, \"failed\": 2, "
             "\"bytes_written\": 30, \"wire_bytes\": 24, \"hole_bytes\": 8, \"resumed_bytes\": 3, \"delta_saved_bytes\": 5, "
             "\"sources_not_planned\": 1, \"folders_not_read\": 0 },\n  \"nodes\": [\n"
             "    { \"node\": 0, \"host\": \"hostA\", \"ranks\": [0, 1], \"copies_written\": 2, \"unchanged\": 0, "
             "\"failed\": 0, \"bytes_written\": 30, \"seconds\": 0.500 },\n"
             "    { \"node\": 1, \"host\": \"hostB\", \"ranks\": [2], \"copies_written\": 0, \"unchanged\": 1, "
             "\"failed\": 1, \"bytes_written\": 0, \"seconds\": 0.125 }\n  ],\n  \"files\": [\n"
             "    { \"path\": \"sub/a.dat\", \"bytes\": 10, \"wire_bytes\": 4, \"hole_bytes\": 0, \"resumed_bytes\": 3, \"delta_saved_bytes\": 0, "
             "\"xxh3\": \"0000000000000abc\", \"copies\": ["
             "{ \"rank\": 0, \"host\": \"hostA\", \"status\": \"written\" }, { \"rank\": 2, \"host\": \"hostB\", "
             "\"status\": \"failed\", \"error\": \"sub/a.dat: checksum mismatch\" }] },\n"
             "    { \"path\": \"b \\\"q\\\".dat\", \"bytes\": 20, \"wire_bytes\": 20, \"hole_bytes\": 8, \"resumed_bytes\": 0, \"delta_saved_bytes\": 5, "
             "\"xxh3\": null, \"copies\": ["
             "{ \"rank\": 0, \"host\": \"hostA\", \"status\": \"written\" }, { \"rank\": 2, \"host\": \"hostB\", "
             "\"status\": \"unchanged\" }] }\n  ]\n}\n", PACKAGE_VERSION, mpift_strerror(MPIFT_ERR_FILES));
    ck_assert_str_eq(written(&rep), want);
    mpift_notes_free(&n2);
}
END_TEST

/* Writers 0 and 2 both have b: a clash; 0's a.dat came, 2's failed. */
START_TEST(stage_out)
{
    struct mpift_plan p0 = {files, 3, 3, 0, 2, 30, 0}, p2 = {files + 1, 2, 2, 0, 2, 30, 0}, none = {NULL, 0, 0, 0, 0, 0, 0};
    unsigned char s0[3] = {0, MPIFT_FS_DONE, MPIFT_FS_CLASH}, s2[2] = {MPIFT_FS_FAILED, MPIFT_FS_CLASH};
    uint64_t d0[3] = {0, 0xfeed, 0}, d2[2] = {0, 0}, w0[3] = {0, 3, 0}, h0[3] = {0, 5, 0};
    unsigned char listed[3] = {1, 0, 1};
    struct mpift_notes n2 = {NULL, 0, 0};
    double rows[3][MPIFT_TALLY_N] = {{1, 0, 1, 10, 0.25}, {0, 0, 0, 0, 0}, {0, 0, 2, 0, 0.5}};
    struct mpift_tally t = {{1, 0, 3, 10}, &rows[0][0], listed, 1, 0, 0};
    struct mpift_report_rank ranks[3];
    struct mpift_stage_report rep = {&ctx, NULL, NULL, "/c", ranks, &t, 2, MPIFT_ERR_FILES, NULL};
    char want[4096];

    mpift_notes_add(&n2, 0, "sub/a.dat: No such file or directory");
    ranks[0] = (struct mpift_report_rank){&p0, s0, d0, NULL, 0, w0, h0, NULL, NULL, NULL};
    ranks[1] = (struct mpift_report_rank){&none, NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL};
    ranks[2] = (struct mpift_report_rank){&p2, s2, d2, n2.text, n2.len, NULL, NULL, NULL, NULL, NULL};
    snprintf(want, sizeof(want),
             "{\n  \"report_version\": 1,\n  \"mpift\": \"%s\",\n  \"mode\": \"stage-out\",\n  \"config\": \"job.cfg\",\n  \"job\": \"job-1\",\n"
             "  \"collect\": \"/c\",\n  \"seconds\": 2.000,\n  \"exit_code\": 1,\n  \"status\": \"failed\",\n"
             "  \"totals\": { \"copies_written\": 1, \"unchanged\": 0, \"failed\": 3, \"bytes_written\": 10, \"wire_bytes\": 3, \"hole_bytes\": 5, \"folders_not_read\": 0 },\n"
             "  \"nodes\": [\n"
             "    { \"node\": 0, \"host\": \"hostA\", \"ranks\": [0], \"copies_written\": 1, \"unchanged\": 0, "
             "\"failed\": 1, \"bytes_written\": 10, \"seconds\": 0.250 },\n"
             "    { \"node\": 1, \"host\": \"hostB\", \"ranks\": [2], \"copies_written\": 0, \"unchanged\": 0, "
             "\"failed\": 2, \"bytes_written\": 0, \"seconds\": 0.500 }\n  ],\n  \"files\": [\n"
             "    { \"path\": \"sub/a.dat\", \"bytes\": 10, \"wire_bytes\": 3, \"hole_bytes\": 5, \"xxh3\": \"000000000000feed\", \"rank\": 0, "
             "\"host\": \"hostA\", \"status\": \"written\" },\n"
             "    { \"path\": \"b \\\"q\\\".dat\", \"bytes\": 20, \"wire_bytes\": 0, \"hole_bytes\": 0, \"xxh3\": null, \"rank\": 0, \"host\": \"hostA\", "
             "\"status\": \"clash\", \"error\": \"another rank has the same final path\" },\n"
             "    { \"path\": \"sub/a.dat\", \"bytes\": 10, \"wire_bytes\": 0, \"hole_bytes\": 0, \"xxh3\": null, \"rank\": 2, \"host\": \"hostB\", "
             "\"status\": \"failed\", \"error\": \"sub/a.dat: No such file or directory\" },\n"
             "    { \"path\": \"b \\\"q\\\".dat\", \"bytes\": 20, \"wire_bytes\": 0, \"hole_bytes\": 0, \"xxh3\": null, \"rank\": 2, \"host\": \"hostB\", "
             "\"status\": \"clash\", \"error\": \"another rank has the same final path\" }\n  ]\n}\n",
             PACKAGE_VERSION);
    ck_assert_str_eq(written(&rep), want);
    mpift_notes_free(&n2);
}
END_TEST

/* Numbers with a fraction are written from integers: the same in every
 * locale (a comma-decimal one would make printf's %f write "0,095"). */
START_TEST(fixed)
{
    static const struct { double v; int places; const char *want; } cases[] = {
        {0.095, 3, "0.095"}, {1.5, 3, "1.500"}, {0, 3, "0.000"}, {12.0004, 3, "12.000"}, {0.9996, 3, "1.000"},
        {-2.25, 2, "-2.25"}, {-0.0001, 3, "0.000"}, {7.6, 0, "8"}, {INFINITY, 3, "0.000"},
    };
    char buf[64];
    size_t i, n;
    FILE *f;

    /* Debian's locales-all has it; without it the case still runs in C. */
    (void)setlocale(LC_ALL, "de_DE.UTF-8");
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        f = fmemopen(buf, sizeof(buf), "w");
        ck_assert_ptr_nonnull(f);
        mpift_json_fixed(f, cases[i].v, cases[i].places);
        n = (size_t)ftell(f);
        fclose(f);
        buf[n] = '\0';
        ck_assert_str_eq(buf, cases[i].want);
    }
    (void)setlocale(LC_ALL, "C");
}
END_TEST

static Suite *report_suite(void)
{
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("Core");

    tcase_add_test(tc, escapes);
    tcase_add_test(tc, utf8);
    tcase_add_test(tc, atomic_file);
    tcase_add_test(tc, notes);
    tcase_add_test(tc, fixed);
    suite_add_tcase(s, tc);
    tc = tcase_create("Stage");
    tcase_add_checked_fixture(tc, job_setup, job_teardown);
    tcase_add_test(tc, stage_in);
    tcase_add_test(tc, stage_out);
    suite_add_tcase(s, tc);
    return s;
}

MPIFT_UNIT_MAIN(report_suite)
