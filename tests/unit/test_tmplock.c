/* test_tmplock.c - util/tmplock.h: a sweep removes a temporary no one
 * holds and never one held; a writer's temporary is held from the moment
 * mpift_tmp_create returns, replaces a dead one of its name, and is never
 * made through a link.  Where flock does not work (NFS's exclusive lock
 * on a file open read-only, Lustre without flock) or is taken for an
 * instant by another job's sweep, the flock below stands in for the
 * kernel's: the core library is linked in statically, so the calls of
 * util/tmplock.c reach this one. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/kept.h"
#include "util/tmplock.h"
#include "util/tmpname.h"
#include "unit_main.h"

#define TMP "index.mpift-4242.tmp"

static char dir[] = "/tmp/mpift-tmplock-XXXXXX";
static char mine[64];   /* a temporary of this pid's name */
static int dfd = -1;

/* How flock behaves: as the kernel's; as NFS's (an exclusive lock needs
 * a file open for writing: EBADF); not at all (ENOLCK). */
static enum { LOCKS_LOCAL, LOCKS_NFS, LOCKS_NONE } locks;
static int held_for;   /* the next `held_for` non-blocking tries find it held */

int flock(int fd, int op)
{
    if (locks == LOCKS_NFS && (op & LOCK_EX) && (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY) {
        errno = EBADF;
        return -1;
    }
    if (locks == LOCKS_NONE && !(op & LOCK_UN)) {
        errno = ENOLCK;
        return -1;
    }
    if (held_for > 0 && (op & LOCK_NB)) {
        held_for--;
        errno = EWOULDBLOCK;
        return -1;
    }
    return (int)syscall(SYS_flock, fd, op);
}

static void setup(void)
{
    ck_assert_ptr_nonnull(mkdtemp(dir));
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ck_assert_int_ge(dfd, 0);
    snprintf(mine, sizeof(mine), "index.mpift-%ld.tmp", (long)getpid());
    locks = LOCKS_LOCAL;
    held_for = 0;
}

static void teardown(void)
{
    unlinkat(dfd, TMP, 0);
    unlinkat(dfd, mine, 0);
    unlinkat(dfd, "target", 0);
    unlinkat(dfd, "rec", 0);
    close(dfd);
    rmdir(dir);
    strcpy(dir, "/tmp/mpift-tmplock-XXXXXX");
}

static int exists(const char *name)
{
    struct stat st;

    return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* A file of that name, as a killed run leaves it: no one holds it. */
static void plant(const char *name)
{
    int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL, 0600);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "dead", 4), 4);
    close(fd);
}

/* Does another open of `name` find it locked? */
static int held(const char *name)
{
    int fd = openat(dfd, name, O_RDONLY), busy;

    ck_assert_int_ge(fd, 0);
    busy = flock(fd, LOCK_EX | LOCK_NB) != 0;
    close(fd);
    return busy;
}

/* mpift_tmp_create's temporary `name`: a new file, not a dead one's bytes. */
static int made_new(const char *name)
{
    struct stat st;
    int fd = mpift_tmp_create(dfd, name, 0600);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(fstat(fd, &st), 0);
    ck_assert_int_eq(st.st_size, 0);
    return fd;
}

START_TEST(unheld_is_swept)
{
    plant(TMP);
    ck_assert_int_eq(mpift_tmp_sweep(dfd, TMP), 1);
    ck_assert(!exists(TMP));
    ck_assert_int_eq(mpift_tmp_sweep(dfd, TMP), 0);   /* nothing there: nothing done */
}
END_TEST

START_TEST(held_is_kept)
{
    int fd = mpift_tmp_create(dfd, TMP, 0600);

    ck_assert_int_ge(fd, 0);
    ck_assert(held(TMP));   /* locked as it is returned: no window for a sweep */
    ck_assert_int_eq(mpift_tmp_sweep(dfd, TMP), 0);
    ck_assert(exists(TMP));
    close(fd);
    ck_assert_int_eq(mpift_tmp_sweep(dfd, TMP), 1);   /* its writer gone: dead */
}
END_TEST

START_TEST(dead_namesake_replaced)
{
    int fd;

    plant(TMP);
    fd = made_new(TMP);
    ck_assert(held(TMP));
    close(fd);
}
END_TEST

START_TEST(held_namesake_left)
{
    int fd = mpift_tmp_create(dfd, TMP, 0600), again;

    ck_assert_int_ge(fd, 0);
    again = mpift_tmp_create(dfd, TMP, 0600);
    ck_assert_int_eq(again, -1);
    ck_assert_int_eq(errno, EEXIST);
    ck_assert(held(TMP));
    close(fd);
}
END_TEST

START_TEST(link_never_followed)
{
    struct stat st;
    int fd;

    plant("target");
    ck_assert_int_eq(symlinkat("target", dfd, TMP), 0);
    /* The shared sweep leaves a link: by the time it would remove the
     * name, a writer may have made its live temporary there. */
    ck_assert_int_eq(mpift_tmp_sweep(dfd, TMP), 0);
    ck_assert_int_eq(fstatat(dfd, TMP, &st, AT_SYMLINK_NOFOLLOW), 0);
    ck_assert(S_ISLNK(st.st_mode));
    fd = mpift_tmp_create(dfd, TMP, 0600);   /* its own name: the link removed */
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(fstatat(dfd, TMP, &st, AT_SYMLINK_NOFOLLOW), 0);
    ck_assert(S_ISREG(st.st_mode));
    ck_assert_int_eq(fstatat(dfd, "target", &st, 0), 0);
    ck_assert_int_eq(st.st_size, 4);   /* the target untouched */
    close(fd);
}
END_TEST

/* NFS: the sweep locks what it opens for writing; a killed run's
 * temporary no one holds goes as on a local disk. */
START_TEST(nfs_dead_is_swept)
{
    locks = LOCKS_NFS;
    plant(TMP);
    ck_assert_int_eq(mpift_tmp_sweep(dfd, TMP), 1);
    ck_assert(!exists(TMP));
}
END_TEST

/* No locks at all: a sweep cannot tell the dead from the live and
 * removes nothing, and a writer does not remove a file of its own pid's
 * name either: jobs in pid namespaces share a pid, and one may be live
 * (a review found the rule that did remove it). */
START_TEST(lockless_own_namesake_left)
{
    locks = LOCKS_NONE;
    plant(mine);
    ck_assert_int_eq(mpift_tmp_sweep(dfd, mine), 0);
    ck_assert(exists(mine));
    ck_assert_int_eq(mpift_tmp_create(dfd, mine, 0600), -1);
    ck_assert_int_eq(errno, ENOLCK);
    ck_assert(exists(mine));
}
END_TEST

/* Unique names: what keeps a dead temporary from blocking a save where
 * locks do not work.  Two names differ, carry the prefix and are
 * temporaries' names (the sweep's and every walk's test). */
START_TEST(unique_names)
{
    char a[MPIFT_TMP_UNIQUE_MAX], b[MPIFT_TMP_UNIQUE_MAX];
    int fd;

    ck_assert_int_eq(mpift_tmp_unique(a, sizeof(a), ".mpift-put-"), 0);
    ck_assert_int_eq(mpift_tmp_unique(b, sizeof(b), ".mpift-put-"), 0);
    ck_assert_str_ne(a, b);
    ck_assert_int_eq(strncmp(a, ".mpift-put-", 11), 0);
    ck_assert(mpift_tmp_name(a));
    locks = LOCKS_NONE;
    plant(mine);   /* a killed run's, of this pid: not in the way */
    fd = mpift_tmp_create(dfd, a, 0600);
    ck_assert_int_ge(fd, 0);
    close(fd);
    unlinkat(dfd, a, 0);
    ck_assert_int_eq(mpift_tmp_unique(a, 24, ".mpift-put-"), ENAMETOOLONG);   /* never cut short */
}
END_TEST

/* No locks, and the name is another pid's: not this writer's to remove. */
START_TEST(lockless_foreign_left)
{
    locks = LOCKS_NONE;
    plant(TMP);
    ck_assert_int_eq(mpift_tmp_create(dfd, TMP, 0600), -1);
    ck_assert_int_eq(errno, ENOLCK);
    ck_assert(exists(TMP));
}
END_TEST

/* Another job's sweep holds a dead namesake for an instant: the writer
 * tries again rather than failing its save. */
START_TEST(briefly_held_namesake_replaced)
{
    int fd;

    plant(mine);
    held_for = 2;
    fd = mpift_tmp_create(dfd, mine, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert(held(mine));
    close(fd);
}
END_TEST

/* A save whose temporary is in the way says which, on which node, why,
 * and what to do; not "File exists". */
START_TEST(blocked_save_told)
{
    char why[MPIFT_TMP_WHY_MAX], host[MPIFT_HOST_MAX] = "", want[MPIFT_HOST_MAX + 64];
    uint64_t hash = 1;
    struct mpift_kept_id id;
    uint8_t key[16] = { 0 };
    int fd = mpift_tmp_create(dfd, mine, 0600);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(gethostname(host, sizeof(host) - 1), 0);
    mpift_kept_id_key(4096, key, &id);
    ck_assert_int_eq(mpift_kept_save(dfd, "rec", mine, &id, 4096, 4096, &hash, 1, why, sizeof(why)), EEXIST);
    ck_assert_ptr_nonnull(strstr(why, mine));
    ck_assert_ptr_nonnull(strstr(why, "held by another live process on "));
    snprintf(want, sizeof(want), "remove it if no mpift job runs on %s", host);
    ck_assert_ptr_nonnull(strstr(why, want));
    ck_assert(!exists("rec"));
    close(fd);
    locks = LOCKS_NONE;
    plant(TMP);
    ck_assert_int_eq(mpift_tmp_create(dfd, TMP, 0600), -1);
    mpift_tmp_why(why, sizeof(why), TMP, errno);
    ck_assert_ptr_nonnull(strstr(why, TMP));
    ck_assert_ptr_nonnull(strstr(why, "does not support flock"));
    ck_assert_ptr_nonnull(strstr(why, want));
}
END_TEST

/* No descriptor left to hold the lock past the close (EMFILE): the save
 * fails rather than renaming a temporary no one holds. */
START_TEST(no_hold_no_save)
{
    struct rlimit was, lim;
    char why[MPIFT_TMP_WHY_MAX];
    uint64_t hash = 1;
    struct mpift_kept_id id;
    uint8_t key[16] = { 0 };
    int lowest = open("/dev/null", O_RDONLY | O_CLOEXEC), rc;   /* the lowest free descriptor */

    ck_assert_int_ge(lowest, 0);
    close(lowest);
    mpift_kept_id_key(4096, key, &id);
    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &was), 0);
    lim = was;
    lim.rlim_cur = (rlim_t)lowest + 1;   /* the temporary opens, its dup does not */
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &lim), 0);
    rc = mpift_kept_save(dfd, "rec", mine, &id, 4096, 4096, &hash, 1, why, sizeof(why));
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &was), 0);
    ck_assert_int_eq(rc, EMFILE);
    ck_assert(!exists("rec"));
    ck_assert(!exists(mine));
}
END_TEST

static Suite *tmplock_suite(void)
{
    Suite *s = suite_create("tmplock");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, unheld_is_swept);
    tcase_add_test(tc, held_is_kept);
    tcase_add_test(tc, dead_namesake_replaced);
    tcase_add_test(tc, held_namesake_left);
    tcase_add_test(tc, link_never_followed);
    tcase_add_test(tc, nfs_dead_is_swept);
    tcase_add_test(tc, lockless_own_namesake_left);
    tcase_add_test(tc, unique_names);
    tcase_add_test(tc, lockless_foreign_left);
    tcase_add_test(tc, briefly_held_namesake_replaced);
    tcase_add_test(tc, blocked_save_told);
    tcase_add_test(tc, no_hold_no_save);
    suite_add_tcase(s, tc);
    return s;
}

MPIFT_UNIT_MAIN(tmplock_suite)
