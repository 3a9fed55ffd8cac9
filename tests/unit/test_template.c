/* test_template.c - path template checking and expansion. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mpift/mpift.h"
#include "config/template.h"
#include "unit_main.h"

static const struct mpift_tvars vars = {
    .host = "node07", .nodeid = 6, .rank = 13, .local_rank = 1,
    .jobid = "4242", .tmpdir = "/tmp/job4242", .user = "alice",
};

START_TEST(expand_each_specifier)
{
    char out[256];

    ck_assert_int_eq(mpift_template_expand("/s/%h/%n/%r/%l/%j/%u", &vars, out, sizeof(out)), MPIFT_OK);
    ck_assert_str_eq(out, "/s/node07/6/13/1/4242/alice");
    ck_assert_int_eq(mpift_template_expand("%t/in", &vars, out, sizeof(out)), MPIFT_OK);
    ck_assert_str_eq(out, "/tmp/job4242/in");
    ck_assert_int_eq(mpift_template_expand("100%%-%r%%", &vars, out, sizeof(out)), MPIFT_OK);
    ck_assert_str_eq(out, "100%-13%");
    ck_assert_int_eq(mpift_template_expand("", &vars, out, sizeof(out)), MPIFT_OK);
    ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(null_variables_read_unknown)
{
    struct mpift_tvars v = vars;
    char out[64];

    v.jobid = NULL;
    v.host = "";
    ck_assert_int_eq(mpift_template_expand("%j-%h", &v, out, sizeof(out)), MPIFT_OK);
    ck_assert_str_eq(out, "unknown-unknown");
}
END_TEST

START_TEST(expand_refuses_overflow)
{
    char out[8];

    /* exactly fits: 7 characters + NUL */
    ck_assert_int_eq(mpift_template_expand("abc%h", &(struct mpift_tvars){ .host = "defg" }, out, sizeof(out)),
                     MPIFT_OK);
    ck_assert_str_eq(out, "abcdefg");
    ck_assert_int_eq(mpift_template_expand("abc%h", &(struct mpift_tvars){ .host = "defgh" }, out, sizeof(out)),
                     MPIFT_ERR_RANGE);
    ck_assert_int_eq(mpift_template_expand("%t", &vars, out, 0), MPIFT_ERR_RANGE);
}
END_TEST

START_TEST(expand_refuses_unknown)
{
    char out[64];

    ck_assert_int_eq(mpift_template_expand("/a/%x", &vars, out, sizeof(out)), MPIFT_ERR_CONFIG);
    ck_assert_int_eq(mpift_template_expand("/a/%", &vars, out, sizeof(out)), MPIFT_ERR_CONFIG);
}
END_TEST

START_TEST(check_reports_uses_and_errors)
{
    char err[128];
    unsigned uses = 0;

    ck_assert_int_eq(mpift_template_check("/scratch/%u/%j/%r", &uses, err, sizeof(err)), MPIFT_OK);
    ck_assert_uint_eq(uses, MPIFT_T_USER | MPIFT_T_JOB | MPIFT_T_RANK);
    ck_assert_int_eq(mpift_template_check("/plain/100%%", &uses, err, sizeof(err)), MPIFT_OK);
    ck_assert_uint_eq(uses, 0);
    ck_assert_int_eq(mpift_template_check("%h%n%l%t", NULL, err, sizeof(err)), MPIFT_OK);

    ck_assert_int_eq(mpift_template_check("/scratch/%q", &uses, err, sizeof(err)), MPIFT_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(err, "unknown template %q"));
    ck_assert_ptr_nonnull(strstr(err, "%h %n %r %l %j %t %u %%"));
    ck_assert_int_eq(mpift_template_check("/scratch/%", &uses, err, sizeof(err)), MPIFT_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(err, "lone %"));
}
END_TEST

static Suite *template_suite(void)
{
    Suite *s = suite_create("template");
    TCase *tc = tcase_create("Core");

    tcase_add_test(tc, expand_each_specifier);
    tcase_add_test(tc, null_variables_read_unknown);
    tcase_add_test(tc, expand_refuses_overflow);
    tcase_add_test(tc, expand_refuses_unknown);
    tcase_add_test(tc, check_reports_uses_and_errors);
    suite_add_tcase(s, tc);
    return s;
}

MPIFT_UNIT_MAIN(template_suite)
