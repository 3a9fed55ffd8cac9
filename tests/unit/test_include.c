/*
 * test_include.c - @include resolved once (config/include.c): the text
 * rank 0 broadcasts has every included file spliced in, loads without
 * them, recognises @include exactly where libconfig does, refuses what
 * libconfig left loose, and keeps every message's file and line.
 */
#include "mpift_autoconf.h"

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libconfig.h>

#include "mpift/mpift.h"
#include "config/config.h"
#include "unit_main.h"

static char dir[PATH_MAX], main_cfg[PATH_MAX + 16], err[8192];

/* dir/name holds text. */
static void put(const char *name, const char *text)
{
    char path[PATH_MAX * 2];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static void setup(void)
{
    char tmpl[] = "/tmp/mpift-include-XXXXXX";

    ck_assert_ptr_nonnull(mkdtemp(tmpl));
    snprintf(dir, sizeof(dir), "%s", tmpl);
    snprintf(main_cfg, sizeof(main_cfg), "%s/main.cfg", dir);
    put("transfer.cfg", "transfer: {\n  window = 3;\n};\n");
}

static void teardown(void)
{
    char cmd[PATH_MAX + 16];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* main.cfg holds text; what mpift_config_gather makes of it (NULL when it fails). */
static char *gather(const char *text)
{
    char *out = NULL;
    size_t len = 0;

    put("main.cfg", text);
    if (mpift_config_gather(main_cfg, &out, &len, err, sizeof(err)) != MPIFT_OK)
        return NULL;
    ck_assert_uint_eq(len, strlen(out));
    return out;
}

#define ck_err_has(want) ck_assert_msg(strstr(err, want) != NULL, "no '%s' in: %s", want, err)

#define HEAD "version = 1;\npaths: { source = \"s\"; dest = \"/d\"; };\n"

START_TEST(spliced_once)
{
    struct mpift_config *cfg = NULL;
    char *text = gather(HEAD "@include \"transfer.cfg\"   # how\n");
    char path[PATH_MAX * 2];

    ck_assert_msg(text != NULL, "%s", err);
    ck_assert_ptr_null(strstr(text, "@include"));
    ck_assert_ptr_nonnull(strstr(text, "window = 3;"));
    /* What every other rank does: load the text, the files gone. */
    snprintf(path, sizeof(path), "%s/transfer.cfg", dir);
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_msg(mpift_config_load(main_cfg, text, NULL, 0, &cfg, err, sizeof(err)) == MPIFT_OK, "%s", err);
    ck_assert_int_eq(cfg->window, 3);
    mpift_config_free(&cfg);
    free(text);
}
END_TEST

START_TEST(nested_relative_to_the_main_file_and_absolute)
{
    struct mpift_config *cfg = NULL;
    char line[PATH_MAX * 2], *text;

    snprintf(line, sizeof(line), "mkdir -p '%s/sub'", dir);
    ck_assert_int_eq(system(line), 0);
    /* sub/a.cfg names its include from the main file's folder, as libconfig does. */
    put("sub/a.cfg", "@include \"sub/b.cfg\"\n");
    put("sub/b.cfg", "workers: { fanout = 5; };");   /* no newline at its end */
    snprintf(line, sizeof(line), HEAD "@include \"sub/a.cfg\"\n@include \"%s/transfer.cfg\"\n", dir);
    text = gather(line);
    ck_assert_msg(text != NULL, "%s", err);
    ck_assert_msg(mpift_config_load(main_cfg, text, NULL, 0, &cfg, err, sizeof(err)) == MPIFT_OK, "%s", err);
    ck_assert_int_eq(cfg->fanout, 5);
    ck_assert_int_eq(cfg->window, 3);
    mpift_config_free(&cfg);
    free(text);
}
END_TEST

/* Not an @include, for libconfig either: in comments, in a string. */
START_TEST(only_where_libconfig_sees_one)
{
    const char *in = HEAD
        "/* @include \"nope1.cfg\"\n"
        "@include \"nope2.cfg\" */\n"
        "# @include \"nope3.cfg\"\n"
        "// @include \"nope4.cfg\"\n"
        /* A string on two lines: "@include " is its end, "b" is glued on. */
        "s = \"a \\\" still the string\n"
        "@include \" \"b\";\n";
    char *text = gather(in);
    config_t lc;

    ck_assert_msg(text != NULL, "%s", err);
    ck_assert_str_eq(text, in);   /* nothing spliced */
    free(text);
    /* libconfig itself, allowed to open files here, opens none of them. */
    config_init(&lc);
    config_set_include_dir(&lc, dir);
    ck_assert_msg(config_read_string(&lc, in) == CONFIG_TRUE, "libconfig: line %d: %s", config_error_line(&lc),
                  config_error_text(&lc));
    config_destroy(&lc);
    /* Not at a line's start, or with no blank before the name: no @include for either. */
    text = gather(HEAD "x = 1; @include \"nope.cfg\"\n@include\"nope.cfg\"\n");
    ck_assert_ptr_nonnull(text);
    ck_assert_ptr_nonnull(strstr(text, "@include"));
    free(text);
}
END_TEST

START_TEST(escaped_name)
{
    char *text;

    put("q\"b\\.cfg", "workers: { fanout = 7; };\n");
    text = gather(HEAD "  @include\t\"q\\\"b\\\\.cfg\"\n");
    ck_assert_msg(text != NULL, "%s", err);
    ck_assert_ptr_nonnull(strstr(text, "fanout = 7;"));
    free(text);
}
END_TEST

START_TEST(refused)
{
    ck_assert_ptr_null(gather(HEAD "@include \"missing.cfg\"\n"));
    ck_err_has("main.cfg:3: @include \"missing.cfg\": cannot read ");
    ck_err_has("/missing.cfg: No such file or directory");
    ck_assert_ptr_null(gather(HEAD "@include \"transfer.cfg\" x = 1;\n"));
    ck_err_has("main.cfg:3: @include: it must be alone on its line");
    ck_assert_ptr_null(gather(HEAD "@include \"transfer.cfg\n"));
    ck_err_has("main.cfg:3: @include: its name has no closing \"");
    ck_assert_ptr_null(gather(HEAD "@include \"\"\n"));
    ck_err_has("it names no file");
    ck_assert_ptr_null(gather(HEAD "@include \"a\\x.cfg\"\n"));
    ck_err_has("may only escape");
    put("self.cfg", "@include \"self.cfg\"\n");
    ck_assert_ptr_null(gather(HEAD "@include \"self.cfg\"\n"));
    ck_err_has("self.cfg:1: @include \"self.cfg\": more than 10 levels of @include");
    put("open.cfg", "/* never closed\n");
    ck_assert_ptr_null(gather(HEAD "@include \"open.cfg\"\n"));
    ck_err_has("open.cfg: ends inside a /* comment");
    ck_assert_ptr_null(gather(HEAD "@include \".\"\n"));
    ck_err_has("is not a regular file");
    ck_assert_int_eq(mpift_config_gather("/nonexistent/x.cfg", &(char *){ NULL }, &(size_t){ 0 }, err, sizeof(err)),
                     MPIFT_ERR_CONFIG);
    ck_err_has("/nonexistent/x.cfg: cannot read configuration: No such file or directory");
}
END_TEST

/* Every message names the file and line a setting came from, whether the
 * loader reads the files itself (--check) or gets rank 0's text. */
START_TEST(messages_keep_file_and_line)
{
    struct mpift_config *cfg = NULL;
    const char *in = HEAD "@include \"bad.cfg\"\nworkers: { fanout = 0; };\n";
    char *text;
    int pass;

    put("bad.cfg", "\ntransfer: {\n  window = 0;\n};\n");
    for (pass = 0; pass < 2; pass++) {
        text = pass ? gather(in) : NULL;
        if (!pass)
            put("main.cfg", in);
        ck_assert_int_ne(mpift_config_load(main_cfg, text, NULL, 0, &cfg, err, sizeof(err)), MPIFT_OK);
        ck_err_has("bad.cfg:3: transfer.window: 0 is out of range");
        ck_err_has("main.cfg:4: workers.fanout: 0 is out of range");
        free(text);
    }
    put("bad.cfg", "transfer: {\n  window = ;\n};\n");
    text = gather(in);
    ck_assert_int_eq(mpift_config_load(main_cfg, text, NULL, 0, &cfg, err, sizeof(err)), MPIFT_ERR_CONFIG);
    ck_err_has("bad.cfg:2: syntax error");
    free(text);
}
END_TEST

/* A comment of the user's own that spells the line marker: still a
 * comment, and nothing is read past the text's end when it is the last
 * bytes (found by make fuzz; the sanitizer build caught the read).
 * libconfig itself refuses a comment that ends the text without a
 * newline: that one must fail as a syntax error, not crash. */
START_TEST(marker_spelled_by_the_user)
{
    struct mpift_config *cfg = NULL;
    const char *tails[] = { "#@mpift-line \n", "#@mpift-line 7\n", "#@mpift-line x\n", "#@mpift-line -1 a\n",
                            "#@mpift-line ", "#@mpift-line 7" };
    char text[512];
    size_t i;
    int rc;

    for (i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
        snprintf(text, sizeof(text), "%s%s", HEAD, tails[i]);
        put("main.cfg", text);
        rc = mpift_config_load(main_cfg, text, NULL, 0, &cfg, err, sizeof(err));
        if (strchr(tails[i], '\n'))
            ck_assert_msg(rc == MPIFT_OK, "%s: %s", tails[i], err);
        else
            ck_assert_msg(rc == MPIFT_ERR_CONFIG && strstr(err, "main.cfg:3: syntax error"), "%s: %d %s", tails[i], rc,
                          err);
        mpift_config_free(&cfg);
    }
}
END_TEST

static Suite *include_suite(void)
{
    Suite *s = suite_create("include");
    TCase *splice = tcase_create("splice"), *errors = tcase_create("errors");

    tcase_add_checked_fixture(splice, setup, teardown);
    tcase_add_test(splice, spliced_once);
    tcase_add_test(splice, nested_relative_to_the_main_file_and_absolute);
    tcase_add_test(splice, only_where_libconfig_sees_one);
    tcase_add_test(splice, escaped_name);
    suite_add_tcase(s, splice);
    tcase_add_checked_fixture(errors, setup, teardown);
    tcase_add_test(errors, refused);
    tcase_add_test(errors, messages_keep_file_and_line);
    tcase_add_test(errors, marker_spelled_by_the_user);
    suite_add_tcase(s, errors);
    return s;
}

MPIFT_UNIT_MAIN(include_suite)
