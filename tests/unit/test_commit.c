/* test_commit.c - a verified copy onto its final name (engine/sink.h): over
 * an older file, by exchanging the names and removing the older one (no
 * ext4 writeback forced at the commit), the final name never holds
 * anything but the old file or the new one, another link of the old file
 * (a cache entry's) keeps its bytes, no temporary is left; over a folder
 * the copy fails and the folder stays; over a symbolic link the link is
 * replaced, never followed. */
#include "mpift_autoconf.h"

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "util/hash.h"
#include "engine/sink.h"
#include "unit_main.h"

static char root[64];
static int rootfd = -1;

static void setup(void)
{
    snprintf(root, sizeof(root), "/tmp/mpift-test-sink-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
    rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ck_assert_int_ge(rootfd, 0);
}

static void teardown(void)
{
    char cmd[128];

    close(rootfd);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    ck_assert_int_eq(system(cmd), 0);
}

static void put_file(const char *rel, const char *text)
{
    int fd = openat(rootfd, rel, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static const char *get_file(const char *rel)
{
    static char buf[256];
    int fd = openat(rootfd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    ssize_t n;

    ck_assert_int_ge(fd, 0);
    n = read(fd, buf, sizeof(buf) - 1);
    ck_assert_int_ge(n, 0);
    buf[n] = '\0';
    close(fd);
    return buf;
}

/* Stage `text` as `rel` through a sink: the commit's status. */
static int stage(const char *rel, const char *text)
{
    struct mpift_sink s;
    struct mpift_expect e;
    char why[512];
    int rc;

    rc = mpift_sink_open(&s, rootfd, root, rel, 1, MPIFT_WIRE_CKSUM_XXH3, why, sizeof(why));
    ck_assert_msg(rc == MPIFT_OK, "%s", why);
    mpift_sink_write(&s, text, strlen(text), 0);
    memset(&e, 0, sizeof(e));
    e.size = e.sent = strlen(text);
    e.mtime_sec = 1000000000;
    e.mode = 0644;
    e.cksum = MPIFT_WIRE_CKSUM_XXH3;
    e.digest = XXH3_64bits(text, strlen(text));
    rc = mpift_sink_commit(&s, &e, false, false, why, sizeof(why));
    free(s.kept);
    return rc;
}

/* How many names in the root are mpift temporaries. */
static int temporaries(void)
{
    DIR *d = opendir(root);
    struct dirent *de;
    int n = 0;

    ck_assert_ptr_nonnull(d);
    while ((de = readdir(d)) != NULL)
        n += strstr(de->d_name, ".mpift-") != NULL;
    closedir(d);
    return n;
}

START_TEST(over_an_older_file)
{
    struct stat st;

    put_file("f", "old version");
    ck_assert_int_eq(linkat(rootfd, "f", rootfd, "entry", 0), 0);   /* as a cache entry links it */
    ck_assert_int_eq(stage("f", "new version, longer"), MPIFT_OK);
    ck_assert_str_eq(get_file("f"), "new version, longer");
    ck_assert_str_eq(get_file("entry"), "old version");
    ck_assert_int_eq(fstatat(rootfd, "entry", &st, 0), 0);
    ck_assert_int_eq(st.st_nlink, 1);   /* the old file's other name is gone */
    ck_assert_int_eq(temporaries(), 0);
    ck_assert_int_eq(stage("new", "a file where none was"), MPIFT_OK);
    ck_assert_str_eq(get_file("new"), "a file where none was");
    ck_assert_int_eq(temporaries(), 0);
}
END_TEST

START_TEST(over_a_folder_fails)
{
    struct stat st;

    ck_assert_int_eq(mkdirat(rootfd, "d", 0755), 0);
    put_file("d/inside", "kept");
    ck_assert_int_ne(stage("d", "a file"), MPIFT_OK);
    ck_assert_int_eq(fstatat(rootfd, "d", &st, AT_SYMLINK_NOFOLLOW), 0);
    ck_assert(S_ISDIR(st.st_mode));
    ck_assert_str_eq(get_file("d/inside"), "kept");
    ck_assert_int_eq(temporaries(), 0);
}
END_TEST

START_TEST(over_a_link_replaces_it)
{
    struct stat st;

    put_file("target", "not to be touched");
    ck_assert_int_eq(symlinkat("target", rootfd, "l"), 0);
    ck_assert_int_eq(stage("l", "the copy"), MPIFT_OK);
    ck_assert_int_eq(fstatat(rootfd, "l", &st, AT_SYMLINK_NOFOLLOW), 0);
    ck_assert(S_ISREG(st.st_mode));
    ck_assert_str_eq(get_file("l"), "the copy");
    ck_assert_str_eq(get_file("target"), "not to be touched");
    ck_assert_int_eq(temporaries(), 0);
}
END_TEST

static Suite *commit_suite(void)
{
    Suite *s = suite_create("commit");
    TCase *tc = tcase_create("commit");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, over_an_older_file);
    tcase_add_test(tc, over_a_folder_fails);
    tcase_add_test(tc, over_a_link_replaces_it);
    suite_add_tcase(s, tc);
    return s;
}

MPIFT_UNIT_MAIN(commit_suite)
