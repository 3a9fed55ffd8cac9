/* test_keyindex.c - rank 0's index of content keys (fs/keyindex.h): a hit
 * only when device, inode, size, mtime and ctime all match; a corrupt
 * index ignored and rewritten; a folder or index not the user's alone,
 * or a link, refused and left alone. */
#include "mpift_autoconf.h"

#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "fs/keyindex.h"
#include "unit_main.h"

static char why[512], dir[PATH_MAX], idx[PATH_MAX + 16];
static const uint8_t key_a[16] = "0123456789abcdef", key_b[16] = "fedcba9876543210";

/* The temp folders a test made, removed after it (an index can be
 * 64 MiB). */
static char made[4][64];
static int nmade;

static void remove_made(void)
{
    char cmd[320];
    int k;

    for (k = 0; k < nmade; k++) {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", made[k]);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", made[k]);
    }
    nmade = 0;
}

/* A fresh folder for the cache (not made yet: open makes it). */
static void fresh_dir(void)
{
    char tmpl[] = "/tmp/mpift-keyidx-XXXXXX";

    ck_assert_ptr_nonnull(mkdtemp(tmpl));
    ck_assert_int_lt(nmade, 4);
    snprintf(made[nmade++], sizeof(made[0]), "%s", tmpl);
    snprintf(dir, sizeof(dir), "%s/cache", tmpl);
    snprintf(idx, sizeof(idx), "%s/index", dir);
}

static struct mpift_keyidx_id an_id(void)
{
    return (struct mpift_keyidx_id){ .dev = 2049, .ino = 77, .size = 1 << 20, .mtime_sec = 1700000000,
                                     .mtime_nsec = 5, .ctime_sec = 1700000001, .ctime_nsec = 6 };
}

/* An index in dir holding id -> key_a. */
static void saved_one(void)
{
    struct mpift_keyidx ix;
    struct mpift_keyidx_id id = an_id();

    fresh_dir();
    ck_assert_int_eq(mpift_keyidx_open(&ix, dir, why, sizeof(why)), MPIFT_OK);
    ck_assert_ptr_null(mpift_keyidx_find(&ix, &id));
    ck_assert_int_eq(mpift_keyidx_put(&ix, &id, key_a), MPIFT_OK);
    ck_assert_int_eq(mpift_keyidx_save(&ix, why, sizeof(why)), MPIFT_OK);
    mpift_keyidx_close(&ix);
}

START_TEST(hit_and_misses)
{
    struct mpift_keyidx ix;
    struct mpift_keyidx_id id = an_id(), other;
    struct stat st;
    const uint8_t *k;
    int field;

    saved_one();
    ck_assert_int_eq(stat(dir, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0700);
    ck_assert_int_eq(stat(idx, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0600);
    ck_assert_int_eq(mpift_keyidx_open(&ix, dir, why, sizeof(why)), MPIFT_OK);
    k = mpift_keyidx_find(&ix, &id);
    ck_assert_ptr_nonnull(k);
    ck_assert_mem_eq(k, key_a, 16);
    /* Any one field moved: a miss. */
    for (field = 0; field < 7; field++) {
        other = id;
        switch (field) {
        case 0: other.dev++; break;
        case 1: other.ino++; break;
        case 2: other.size--; break;
        case 3: other.mtime_sec++; break;
        case 4: other.mtime_nsec++; break;
        case 5: other.ctime_sec++; break;
        default: other.ctime_nsec++; break;
        }
        ck_assert_msg(mpift_keyidx_find(&ix, &other) == NULL, "field %d changed, still a hit", field);
    }
    /* The same file changed: its new identity replaces the old one. */
    other = id;
    other.ctime_nsec = 7;
    ck_assert_int_eq(mpift_keyidx_put(&ix, &other, key_b), MPIFT_OK);
    ck_assert_int_eq(mpift_keyidx_save(&ix, why, sizeof(why)), MPIFT_OK);
    mpift_keyidx_close(&ix);
    ck_assert_int_eq(mpift_keyidx_open(&ix, dir, why, sizeof(why)), MPIFT_OK);
    ck_assert_uint_eq(ix.n, 1);
    ck_assert_ptr_null(mpift_keyidx_find(&ix, &id));
    ck_assert_mem_eq(mpift_keyidx_find(&ix, &other), key_b, 16);
    mpift_keyidx_close(&ix);
}
END_TEST

/* A key found wrong is dropped only for its own device, inode and key:
 * the entry goes at the next save, the others stay (review s6 #1). */
START_TEST(drop_wrong_key)
{
    struct mpift_keyidx ix;
    struct mpift_keyidx_id id = an_id(), other = an_id(), fresh = an_id();

    saved_one();
    other.ino = 78;
    fresh.ino = 79;
    ck_assert_int_eq(mpift_keyidx_open(&ix, dir, why, sizeof(why)), MPIFT_OK);
    ck_assert_int_eq(mpift_keyidx_put(&ix, &other, key_a), MPIFT_OK);
    ck_assert_int_eq(mpift_keyidx_save(&ix, why, sizeof(why)), MPIFT_OK);
    mpift_keyidx_close(&ix);
    ck_assert_int_eq(mpift_keyidx_open(&ix, dir, why, sizeof(why)), MPIFT_OK);
    ck_assert_int_eq(mpift_keyidx_put(&ix, &fresh, key_b), MPIFT_OK);   /* past the sorted part */
    ck_assert_int_eq(mpift_keyidx_drop(&ix, &id, key_b), 0);            /* not the key it holds */
    ck_assert_int_eq(mpift_keyidx_drop(&ix, &id, key_a), 1);
    ck_assert_int_eq(mpift_keyidx_drop(&ix, &fresh, key_b), 1);
    ck_assert_ptr_null(mpift_keyidx_find(&ix, &id));
    ck_assert_ptr_null(mpift_keyidx_find(&ix, &fresh));
    ck_assert_mem_eq(mpift_keyidx_find(&ix, &other), key_a, 16);
    ck_assert_int_eq(mpift_keyidx_save(&ix, why, sizeof(why)), MPIFT_OK);
    mpift_keyidx_close(&ix);
    ck_assert_int_eq(mpift_keyidx_open(&ix, dir, why, sizeof(why)), MPIFT_OK);
    ck_assert_uint_eq(ix.n, 1);
    ck_assert_ptr_null(mpift_keyidx_find(&ix, &id));
    ck_assert_mem_eq(mpift_keyidx_find(&ix, &other), key_a, 16);
    mpift_keyidx_close(&ix);
}
END_TEST

/* Write `len` bytes of what the index holds, changed by `how`, back. */
static void damage(int how)
{
    unsigned char buf[256];
    ssize_t n;
    int fd = open(idx, O_RDWR);

    ck_assert_int_ge(fd, 0);
    n = read(fd, buf, sizeof(buf));
    ck_assert_int_gt(n, 16);
    switch (how) {
    case 0: buf[20] ^= 1; break;                     /* a bit of a record: the digest */
    case 1: n -= 1; break;                           /* cut short */
    case 2: memcpy(buf, "NOTINDEX", 8); break;       /* not ours */
    default: buf[8] = 9; break;                      /* a count the length cannot hold */
    }
    ck_assert_int_eq(ftruncate(fd, 0), 0);
    ck_assert_int_eq(pwrite(fd, buf, (size_t)n, 0), n);
    close(fd);
}

START_TEST(corrupt_is_ignored_and_rewritten)
{
    struct mpift_keyidx ix;
    struct mpift_keyidx_id id = an_id();
    int how;

    for (how = 0; how < 4; how++) {
        saved_one();
        damage(how);
        ck_assert_int_eq(mpift_keyidx_open(&ix, dir, why, sizeof(why)), MPIFT_ERR_CHECKSUM);
        ck_assert_msg(strstr(why, "ignored; the sources are read again") != NULL, "%s", why);
        ck_assert_msg(strstr(why, idx) != NULL, "%s", why);
        ck_assert_ptr_null(mpift_keyidx_find(&ix, &id));
        ck_assert_int_eq(mpift_keyidx_put(&ix, &id, key_b), MPIFT_OK);
        ck_assert_int_eq(mpift_keyidx_save(&ix, why, sizeof(why)), MPIFT_OK);
        mpift_keyidx_close(&ix);
        ck_assert_int_eq(mpift_keyidx_open(&ix, dir, why, sizeof(why)), MPIFT_OK);
        ck_assert_mem_eq(mpift_keyidx_find(&ix, &id), key_b, 16);
        mpift_keyidx_close(&ix);
    }
}
END_TEST

/* Refused: nothing read from it, nothing written over it. */
static void refused(const char *want)
{
    struct mpift_keyidx ix;
    struct mpift_keyidx_id id = an_id();

    ck_assert_int_eq(mpift_keyidx_open(&ix, dir, why, sizeof(why)), MPIFT_ERR_ESCAPE);
    ck_assert_msg(strstr(why, want) != NULL, "\"%s\" not in: %s", want, why);
    ck_assert_ptr_null(mpift_keyidx_find(&ix, &id));
    ck_assert_int_eq(mpift_keyidx_put(&ix, &id, key_b), MPIFT_OK);
    ck_assert_int_eq(mpift_keyidx_save(&ix, why, sizeof(why)), MPIFT_OK);
    mpift_keyidx_close(&ix);
}

START_TEST(symlinks_refused)
{
    char target[PATH_MAX + 32], st_dir[PATH_MAX];
    struct stat st;

    /* The index a link to a good index elsewhere. */
    saved_one();
    snprintf(target, sizeof(target), "%s.elsewhere", idx);
    ck_assert_int_eq(rename(idx, target), 0);
    ck_assert_int_eq(symlink(target, idx), 0);
    refused("is a symbolic link: refused and left alone");
    ck_assert_int_eq(lstat(idx, &st), 0);
    ck_assert(S_ISLNK(st.st_mode));
    /* The folder a link. */
    snprintf(st_dir, sizeof(st_dir), "%s", dir);
    fresh_dir();
    ck_assert_int_eq(symlink(st_dir, dir), 0);
    refused("is a symbolic link: refused");
}
END_TEST

/* No descriptor left to hold the temporary's lock past its close
 * (EMFILE): the save fails, told, rather than renaming it unheld. */
START_TEST(no_hold_no_save)
{
    struct mpift_keyidx ix;
    struct mpift_keyidx_id id = an_id();
    struct rlimit was, lim;
    struct stat st;
    int lowest, rc;

    fresh_dir();
    ck_assert_int_eq(mpift_keyidx_open(&ix, dir, why, sizeof(why)), MPIFT_OK);
    ck_assert_int_eq(mpift_keyidx_put(&ix, &id, key_a), MPIFT_OK);
    /* the lowest free descriptor, whether stdin is open or not */
    ck_assert_int_ge(lowest = open("/dev/null", O_RDONLY | O_CLOEXEC), 0);
    close(lowest);
    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &was), 0);
    lim = was;
    lim.rlim_cur = (rlim_t)lowest + 1;   /* the temporary opens, its dup does not */
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &lim), 0);
    rc = mpift_keyidx_save(&ix, why, sizeof(why));
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &was), 0);
    mpift_keyidx_close(&ix);
    ck_assert_int_eq(rc, MPIFT_ERR_IO);
    ck_assert_ptr_nonnull(strstr(why, "Too many open files"));
    ck_assert_int_ne(stat(idx, &st), 0);
}
END_TEST

/* cache.dir's missing parents are made, 0700, as the cache makes them:
 * rank 0 may open the index before its node's cache made the folder. */
START_TEST(missing_parents_made)
{
    struct mpift_keyidx ix;
    struct mpift_keyidx_id id = an_id();
    char top[PATH_MAX + 8];
    struct stat st;

    fresh_dir();
    snprintf(top, sizeof(top), "%s/a", dir);
    snprintf(dir + strlen(dir), sizeof(dir) - strlen(dir), "/a/b");
    ck_assert_int_eq(mpift_keyidx_open(&ix, dir, why, sizeof(why)), MPIFT_OK);
    ck_assert_int_eq(mpift_keyidx_put(&ix, &id, key_a), MPIFT_OK);
    ck_assert_int_eq(mpift_keyidx_save(&ix, why, sizeof(why)), MPIFT_OK);
    mpift_keyidx_close(&ix);
    ck_assert_int_eq(stat(top, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0700);
    ck_assert_int_eq(stat(dir, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0700);
    ck_assert_int_eq(mpift_keyidx_open(&ix, dir, why, sizeof(why)), MPIFT_OK);
    ck_assert_ptr_nonnull(mpift_keyidx_find(&ix, &id));
    mpift_keyidx_close(&ix);
}
END_TEST

START_TEST(foreign_refused)
{
    struct stat st;

    /* The folder writable by others. */
    saved_one();
    ck_assert_int_eq(chmod(dir, 0777), 0);
    refused("is writable by others (mode 0777): refused");
    ck_assert_int_eq(chmod(dir, 0700), 0);
    if (geteuid() != 0)
        return;   /* only root can give a file away (tests run as root in CI) */
    /* The index another user's. */
    ck_assert_int_eq(chown(idx, 4242, 4242), 0);
    refused("is owned by uid 4242, not by you");
    ck_assert_int_eq(stat(idx, &st), 0);
    ck_assert_uint_eq(st.st_uid, 4242);   /* left alone */
    /* The folder another user's. */
    ck_assert_int_eq(chown(dir, 4242, 4242), 0);
    refused("cache.dir");
    ck_assert_msg(strstr(why, "owned by uid 4242") != NULL, "%s", why);
}
END_TEST

/* At most MPIFT_KEYIDX_MAX entries: over it, this run's are kept and
 * older ones go. */
START_TEST(bounded_this_runs_first)
{
    struct mpift_keyidx ix;
    struct mpift_keyidx_id id = an_id();
    size_t k;

    fresh_dir();
    ck_assert_int_eq(mpift_keyidx_open(&ix, dir, why, sizeof(why)), MPIFT_OK);
    for (k = 0; k < MPIFT_KEYIDX_MAX; k++) {
        id.ino = 1000 + k;
        ck_assert_int_eq(mpift_keyidx_put(&ix, &id, key_a), MPIFT_OK);
    }
    ck_assert_int_eq(mpift_keyidx_save(&ix, why, sizeof(why)), MPIFT_OK);
    mpift_keyidx_close(&ix);
    ck_assert_int_eq(mpift_keyidx_open(&ix, dir, why, sizeof(why)), MPIFT_OK);
    ck_assert_uint_eq(ix.n, MPIFT_KEYIDX_MAX);
    /* This run: one old entry found, ten new files. */
    id.ino = 1000 + MPIFT_KEYIDX_MAX - 1;
    ck_assert_ptr_nonnull(mpift_keyidx_find(&ix, &id));
    for (k = 0; k < 10; k++) {
        id.ino = 10 + k;   /* below every old one: sorted first */
        ck_assert_int_eq(mpift_keyidx_put(&ix, &id, key_b), MPIFT_OK);
    }
    ck_assert_int_eq(mpift_keyidx_save(&ix, why, sizeof(why)), MPIFT_OK);
    mpift_keyidx_close(&ix);
    ck_assert_int_eq(mpift_keyidx_open(&ix, dir, why, sizeof(why)), MPIFT_OK);
    ck_assert_uint_eq(ix.n, MPIFT_KEYIDX_MAX);
    for (k = 0; k < 10; k++) {
        id.ino = 10 + k;
        ck_assert_ptr_nonnull(mpift_keyidx_find(&ix, &id));
    }
    id.ino = 1000 + MPIFT_KEYIDX_MAX - 1;
    ck_assert_ptr_nonnull(mpift_keyidx_find(&ix, &id));
    mpift_keyidx_close(&ix);
}
END_TEST

static Suite *keyindex_suite(void)
{
    Suite *s = suite_create("keyindex");
    TCase *t = tcase_create("Core");

    tcase_add_test(t, hit_and_misses);
    tcase_add_test(t, drop_wrong_key);
    tcase_add_test(t, corrupt_is_ignored_and_rewritten);
    tcase_add_test(t, symlinks_refused);
    tcase_add_test(t, missing_parents_made);
    tcase_add_test(t, foreign_refused);
    tcase_add_test(t, bounded_this_runs_first);
    tcase_add_test(t, no_hold_no_save);
    tcase_set_timeout(t, 60);
    tcase_add_checked_fixture(t, NULL, remove_made);
    suite_add_tcase(s, t);
    return s;
}

MPIFT_UNIT_MAIN(keyindex_suite)
