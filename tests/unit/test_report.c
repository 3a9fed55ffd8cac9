/* test_report.c - the --report JSON writer: escaping and atomic files. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpift/mpift.h"
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
    /* Valid UTF-8 passes through; bytes that are not UTF-8 become \u00XX. */
    ck_assert_str_eq(json("donn\xc3\xa9" "es-\xc3\xa9.txt"), "\"donn\xc3\xa9" "es-\xc3\xa9.txt\"");
    ck_assert_str_eq(json("\xe6\x97\xa5\xe6\x9c\xac.bin"), "\"\xe6\x97\xa5\xe6\x9c\xac.bin\"");
    ck_assert_str_eq(json("\xf0\x9f\x98\x80"), "\"\xf0\x9f\x98\x80\"");
    ck_assert_str_eq(json("latin1-\xe9.txt"), "\"latin1-\\u00e9.txt\"");
    ck_assert_str_eq(json("\xc0\xaf"), "\"\\u00c0\\u00af\"");           /* overlong '/' */
    ck_assert_str_eq(json("\xed\xa0\x80"), "\"\\u00ed\\u00a0\\u0080\""); /* a surrogate */
    ck_assert_str_eq(json("cut\xe6\x97"), "\"cut\\u00e6\\u0097\"");     /* truncated */
}
END_TEST

START_TEST(atomic_file)
{
    struct mpift_report r;
    char dir[] = "/tmp/mpift-report-XXXXXX", path[256], tmp[sizeof(r.tmp)];
    struct stat st;
    FILE *f;
    char buf[64] = "";

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/r.json", dir);
    ck_assert_int_eq(mpift_report_open(&r, path), MPIFT_OK);
    fputs("{\"ok\": true}\n", r.f);
    snprintf(tmp, sizeof(tmp), "%s", r.tmp);
    ck_assert_int_eq(stat(path, &st), -1);      /* nothing at the final path yet */
    ck_assert_int_eq(mpift_report_close(&r, 1), MPIFT_OK);
    ck_assert_int_eq(stat(tmp, &st), -1);
    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
    fclose(f);
    ck_assert_str_eq(buf, "{\"ok\": true}\n");
    /* A report given up leaves nothing. */
    unlink(path);
    ck_assert_int_eq(mpift_report_open(&r, path), MPIFT_OK);
    ck_assert_int_eq(mpift_report_close(&r, 0), MPIFT_OK);
    ck_assert_int_eq(stat(path, &st), -1);
    /* An unwritable place is an error, not a crash. */
    ck_assert_int_eq(mpift_report_open(&r, "/nonexistent/dir/r.json"), MPIFT_ERR_IO);
    rmdir(dir);
}
END_TEST

static Suite *report_suite(void)
{
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("Core");

    tcase_add_test(tc, escapes);
    tcase_add_test(tc, utf8);
    tcase_add_test(tc, atomic_file);
    suite_add_tcase(s, tc);
    return s;
}

MPIFT_UNIT_MAIN(report_suite)
