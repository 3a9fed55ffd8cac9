/* test_fsafe.c - path containment: lexical checks and the O_NOFOLLOW walk. */
#include "mpift_autoconf.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "fs/beneath.h"
#include "fs/fsafe.h"
#include "fs/walk.h"
#include "unit_main.h"

static char err[512];

START_TEST(check_rel_accepts)
{
    static const char *ok[] = { "", "a", "a/b/c", "a//b/", "./a", "with space/d\xc3\xa9j\xc3\xa0",
                                "...", "..a", "a..", ".hidden/x", "inputs/*.dat" };
    size_t i;

    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        ck_assert_msg(mpift_path_check_rel(ok[i], err, sizeof(err)) == MPIFT_OK, "%s refused: %s", ok[i], err);
}
END_TEST

START_TEST(check_rel_refuses)
{
    static const char *bad[] = { "/etc/passwd", "..", "../x", "a/../../x", "a/..", "a/./b", "a\nb", "a\tb", "/" };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(mpift_path_check_rel(bad[i], err, sizeof(err)) == MPIFT_ERR_ESCAPE, "%s accepted", bad[i]);
    mpift_path_check_rel("../../etc/shadow", err, sizeof(err));
    ck_assert_ptr_nonnull(strstr(err, "\"..\""));
}
END_TEST

START_TEST(check_rel_refuses_too_long)
{
    char *p = malloc(PATH_MAX + 10);

    memset(p, 'a', PATH_MAX + 9);
    p[PATH_MAX + 9] = '\0';
    ck_assert_int_eq(mpift_path_check_rel(p, err, sizeof(err)), MPIFT_ERR_ESCAPE);
    free(p);
}
END_TEST

START_TEST(normalize)
{
    char out[64];

    ck_assert_int_eq(mpift_path_normalize("./a//b///c/", out, sizeof(out)), MPIFT_OK);
    ck_assert_str_eq(out, "a/b/c");
    ck_assert_int_eq(mpift_path_normalize(".", out, sizeof(out)), MPIFT_OK);
    ck_assert_str_eq(out, "");
    ck_assert_int_eq(mpift_path_normalize("", out, sizeof(out)), MPIFT_OK);
    ck_assert_str_eq(out, "");
    ck_assert_int_eq(mpift_path_normalize("a/../b", out, sizeof(out)), MPIFT_ERR_ESCAPE);
    ck_assert_int_eq(mpift_path_normalize("abcdef", out, 4), MPIFT_ERR_RANGE);
}
END_TEST

START_TEST(join)
{
    char out[32];

    ck_assert_int_eq(mpift_path_join("a/", "b", out, sizeof(out)), MPIFT_OK);
    ck_assert_str_eq(out, "a/b");
    ck_assert_int_eq(mpift_path_join("", "b", out, sizeof(out)), MPIFT_OK);
    ck_assert_str_eq(out, "b");
    ck_assert_int_eq(mpift_path_join("a", "", out, sizeof(out)), MPIFT_OK);
    ck_assert_str_eq(out, "a");
    ck_assert_int_eq(mpift_path_join("/", "x", out, sizeof(out)), MPIFT_OK);
    ck_assert_str_eq(out, "/x");
    ck_assert_int_eq(mpift_path_join("/r", "/x", out, sizeof(out)), MPIFT_OK);
    ck_assert_str_eq(out, "/r/x");
    ck_assert_int_eq(mpift_path_join("0123456789abcdef", "0123456789abcdef", out, sizeof(out)), MPIFT_ERR_RANGE);
}
END_TEST

START_TEST(within)
{
    ck_assert(mpift_path_within("/a/b", "/a/b"));
    ck_assert(mpift_path_within("/a/b", "/a/b/c"));
    ck_assert(mpift_path_within("/a/b/", "/a/b/c"));
    ck_assert(!mpift_path_within("/a/b", "/a/bc"));
    ck_assert(!mpift_path_within("/a/b", "/a"));
    ck_assert(!mpift_path_within("/a/b", "/etc/passwd"));
    ck_assert(mpift_path_within("/", "/anything"));
}
END_TEST

START_TEST(split_parent)
{
    char parent[32], name[16];

    ck_assert_int_eq(mpift_split_parent("a/b/c.dat", parent, sizeof(parent), name, sizeof(name)), MPIFT_OK);
    ck_assert_str_eq(parent, "a/b");
    ck_assert_str_eq(name, "c.dat");
    ck_assert_int_eq(mpift_split_parent("c.dat", parent, sizeof(parent), name, sizeof(name)), MPIFT_OK);
    ck_assert_str_eq(parent, "");
    ck_assert_str_eq(name, "c.dat");
    ck_assert_int_eq(mpift_split_parent("", parent, sizeof(parent), name, sizeof(name)), MPIFT_ERR_ESCAPE);
    ck_assert_int_eq(mpift_split_parent("../x", parent, sizeof(parent), name, sizeof(name)), MPIFT_ERR_ESCAPE);
    ck_assert_int_eq(mpift_split_parent("a/a-very-long-file-name", parent, sizeof(parent), name, sizeof(name)),
                     MPIFT_ERR_RANGE);
}
END_TEST

/* A scratch folder per test, removed by the shell-free rm below. */
static char tmp[PATH_MAX];

static void mk_tmp(void)
{
    snprintf(tmp, sizeof(tmp), "%s/mpift-fsafe-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(tmp));
}

static void rm_tmp(void)
{
    char cmd[PATH_MAX + 16];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(root_open_creates_and_dir_open_walks)
{
    char root[PATH_MAX + 32], p[PATH_MAX + 64];
    struct stat st;
    int rfd, dfd;

    mk_tmp();
    snprintf(root, sizeof(root), "%s/x/y/root", tmp);
    rfd = mpift_root_open(root, err, sizeof(err));
    ck_assert_msg(rfd >= 0, "root_open: %s", err);

    dfd = mpift_dir_open(rfd, "a/b c/d\xc3\xa9", true, err, sizeof(err));
    ck_assert_msg(dfd >= 0, "dir_open create: %s", err);
    close(dfd);
    snprintf(p, sizeof(p), "%s/a/b c/d\xc3\xa9", root);
    ck_assert_int_eq(stat(p, &st), 0);
    ck_assert(S_ISDIR(st.st_mode));

    /* Without create, a missing folder is reported, not made. */
    dfd = mpift_dir_open(rfd, "a/missing", false, err, sizeof(err));
    ck_assert_int_eq(dfd, MPIFT_ERR_NOENT);
    snprintf(p, sizeof(p), "%s/a/missing", root);
    ck_assert_int_ne(stat(p, &st), 0);

    /* "" is the root itself */
    dfd = mpift_dir_open(rfd, "", false, err, sizeof(err));
    ck_assert_int_ge(dfd, 0);
    close(dfd);

    ck_assert_int_eq(mpift_dir_open(rfd, "../escape", true, err, sizeof(err)), MPIFT_ERR_ESCAPE);
    close(rfd);
    rm_tmp();
}
END_TEST

START_TEST(dir_open_refuses_symlinks)
{
    char root[PATH_MAX + 32], outside[PATH_MAX + 32], link[PATH_MAX + 64], p[PATH_MAX + 64];
    struct stat st;
    int rfd, dfd;

    mk_tmp();
    snprintf(root, sizeof(root), "%s/root", tmp);
    snprintf(outside, sizeof(outside), "%s/outside", tmp);
    ck_assert_int_eq(mkdir(outside, 0755), 0);
    rfd = mpift_root_open(root, err, sizeof(err));
    ck_assert_int_ge(rfd, 0);
    snprintf(link, sizeof(link), "%s/planted", root);
    ck_assert_int_eq(symlink(outside, link), 0);

    dfd = mpift_dir_open(rfd, "planted/sub", true, err, sizeof(err));
    ck_assert_int_eq(dfd, MPIFT_ERR_ESCAPE);
    ck_assert_ptr_nonnull(strstr(err, "symbolic link"));
    snprintf(p, sizeof(p), "%s/sub", outside);
    ck_assert_msg(stat(p, &st) != 0, "a folder was created through the symlink");

    /* A regular file where a folder should be */
    snprintf(p, sizeof(p), "%s/file", root);
    close(open(p, O_CREAT | O_WRONLY, 0644));
    ck_assert_int_eq(mpift_dir_open(rfd, "file/x", true, err, sizeof(err)), MPIFT_ERR_IO);
    close(rfd);
    rm_tmp();
}
END_TEST

START_TEST(resolve_stays_within)
{
    char root[PATH_MAX], p[PATH_MAX + 32], link[PATH_MAX + 32], real[PATH_MAX];

    mk_tmp();
    ck_assert_ptr_nonnull(realpath(tmp, root));
    snprintf(p, sizeof(p), "%s/in.dat", root);
    close(open(p, O_CREAT | O_WRONLY, 0644));
    ck_assert_int_eq(mpift_path_resolve(root, "paths.source", p, real, err, sizeof(err)), MPIFT_OK);
    ck_assert_str_eq(real, p);

    snprintf(link, sizeof(link), "%s/escape", root);
    ck_assert_int_eq(symlink("/etc", link), 0);
    ck_assert_int_eq(mpift_path_resolve(root, "paths.source", link, real, err, sizeof(err)), MPIFT_ERR_ESCAPE);
    ck_assert_ptr_nonnull(strstr(err, "escape: resolves to /etc, outside paths.source "));
    ck_assert_int_eq(mpift_path_resolve(root, NULL, link, real, err, sizeof(err)), MPIFT_ERR_ESCAPE);
    ck_assert_ptr_nonnull(strstr(err, ", outside /"));

    snprintf(p, sizeof(p), "%s/missing.dat", root);
    ck_assert_int_eq(mpift_path_resolve(root, NULL, p, real, err, sizeof(err)), MPIFT_ERR_NOENT);
    ck_assert_ptr_nonnull(strstr(err, "missing.dat: No such file or directory"));
    rm_tmp();
}
END_TEST

START_TEST(root_open_reports_failure)
{
    char root[PATH_MAX + 32], p[PATH_MAX + 32];

    mk_tmp();
    snprintf(p, sizeof(p), "%s/file", tmp);
    close(open(p, O_CREAT | O_WRONLY, 0644));
    snprintf(root, sizeof(root), "%s/file/root", tmp);
    ck_assert_int_lt(mpift_root_open(root, err, sizeof(err)), 0);
    ck_assert_ptr_nonnull(strstr(err, "file"));
    ck_assert_int_eq(mpift_root_open("relative/root", err, sizeof(err)), MPIFT_ERR_ESCAPE);
    rm_tmp();
}
END_TEST

/* Both ways of opening a source below its root: openat2 where the kernel
 * has it, and the O_NOFOLLOW walk that stands in for it. */
static void open_beneath_cases(int (*open_fn)(int, const char *))
{
    char root[PATH_MAX + 32], p[PATH_MAX + 64], q[PATH_MAX + 64];
    struct stat st;
    int rfd, fd;

    mk_tmp();
    snprintf(root, sizeof(root), "%s/root", tmp);
    rfd = mpift_root_open(root, err, sizeof(err));
    ck_assert_int_ge(rfd, 0);
    ck_assert_int_ge(mpift_dir_open(rfd, "d/e", true, err, sizeof(err)), 0);
    snprintf(p, sizeof(p), "%s/d/e/f.dat", root);
    close(open(p, O_CREAT | O_WRONLY, 0644));
    snprintf(p, sizeof(p), "%s/secret", tmp);
    close(open(p, O_CREAT | O_WRONLY, 0600));

    fd = open_fn(rfd, "d/e/f.dat");
    ck_assert_msg(fd >= 0, "a regular file below the root: %s", strerror(errno));
    ck_assert_int_eq(fstat(fd, &st), 0);
    ck_assert(S_ISREG(st.st_mode));
    close(fd);
    ck_assert_int_eq(open_fn(rfd, "d/nosuch"), -1);
    ck_assert_int_eq(errno, ENOENT);

    /* The last component a link (even to a file inside): not followed. */
    snprintf(q, sizeof(q), "%s/d/e/link", root);
    ck_assert_int_eq(symlink(p, q), 0);
    ck_assert_int_eq(open_fn(rfd, "d/e/link"), -1);
    ck_assert_int_eq(errno, ELOOP);

    /* A folder on the way swapped for a link out of the root. */
    snprintf(q, sizeof(q), "%s/out", root);
    ck_assert_int_eq(symlink(tmp, q), 0);
    ck_assert_int_eq(open_fn(rfd, "out/secret"), -1);
    ck_assert_int_eq(errno, EXDEV);
    ck_assert_int_eq(open_fn(rfd, "../secret"), -1);
    ck_assert_int_eq(errno, EXDEV);

    /* A FIFO opens at once (no writer): the caller refuses it by type. */
    snprintf(q, sizeof(q), "%s/fifo", root);
    ck_assert_int_eq(mkfifo(q, 0644), 0);
    fd = open_fn(rfd, "fifo");
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(fstat(fd, &st), 0);
    ck_assert(S_ISFIFO(st.st_mode));
    close(fd);
    close(rfd);
    rm_tmp();
}

/* A path already resolved (a library beyond the root): a link on the
 * way, even one that stays below, is refused. */
START_TEST(open_no_links_follows_none)
{
    char root[PATH_MAX + 32], p[PATH_MAX + 64];
    int rfd, fd;

    mk_tmp();
    snprintf(root, sizeof(root), "%s/root", tmp);
    rfd = mpift_root_open(root, err, sizeof(err));
    ck_assert_int_ge(rfd, 0);
    ck_assert_int_ge(mpift_dir_open(rfd, "d/e", true, err, sizeof(err)), 0);
    snprintf(p, sizeof(p), "%s/d/e/f.dat", root);
    close(open(p, O_CREAT | O_WRONLY, 0644));
    snprintf(p, sizeof(p), "%s/in", root);
    ck_assert_int_eq(symlink("d", p), 0);   /* relative, below the root */
    fd = mpift_open_no_links(rfd, "d/e/f.dat");
    ck_assert_msg(fd >= 0, "no link on the way: %s", strerror(errno));
    close(fd);
    ck_assert_int_eq(mpift_open_no_links(rfd, "in/e/f.dat"), -1);
    ck_assert_msg(errno == ELOOP || errno == EXDEV, "%s", strerror(errno));
    close(rfd);
    rm_tmp();
}
END_TEST

START_TEST(open_beneath_stays_below)
{
    open_beneath_cases(mpift_open_beneath);
}
END_TEST

START_TEST(open_beneath_walk_stays_below)
{
    open_beneath_cases(mpift_open_beneath_walk);
}
END_TEST

START_TEST(nearest_folder_and_lock)
{
    char root[PATH_MAX + 32];
    size_t have;
    unsigned missing;
    int rfd, fd, other;

    mk_tmp();
    snprintf(root, sizeof(root), "%s/root", tmp);
    rfd = mpift_root_open(root, err, sizeof(err));
    ck_assert_int_ge(rfd, 0);
    ck_assert_int_ge(mpift_dir_open(rfd, "a/b", true, err, sizeof(err)), 0);
    fd = mpift_dir_nearest(rfd, "a/b/c/d", &have, &missing);
    ck_assert_int_ge(fd, 0);
    ck_assert_uint_eq(have, 3);
    ck_assert_uint_eq(missing, 2);
    close(fd);
    fd = mpift_dir_nearest(rfd, "a/b", &have, &missing);
    ck_assert_int_ge(fd, 0);
    ck_assert_uint_eq(missing, 0);
    close(fd);
    fd = mpift_dir_nearest(rfd, "x", &have, &missing);
    ck_assert_int_ge(fd, 0);
    ck_assert_uint_eq(have, 0);
    ck_assert_uint_eq(missing, 1);
    close(fd);

    /* One run holds the root; another open of it is refused. */
    other = open(root, O_RDONLY | O_DIRECTORY);
    ck_assert_int_eq(mpift_root_lock(rfd), 0);
    ck_assert_int_eq(mpift_root_lock(other), 1);
    close(rfd);
    ck_assert_int_eq(mpift_root_lock(other), 0);
    close(other);
    rm_tmp();
}
END_TEST

START_TEST(room_names_need_and_free_space)
{
    int fd = open("/", O_RDONLY | O_DIRECTORY);
    uint64_t block = mpift_fs_block(fd);
    char why[512] = "";

    ck_assert_int_ge(fd, 0);
    ck_assert(block >= 512 && (block & (block - 1)) == 0);
    if (access("/", W_OK) == 0)
        ck_assert_int_eq(mpift_fs_room(fd, "/", 0, 0, "sent", "paths.dest", why, sizeof(why)), 0);
    /* No file system has 2^62 bytes free. */
    ck_assert_int_eq(mpift_fs_room(fd, "/", (uint64_t)1 << 62, 0, "sent", "paths.dest", why, sizeof(why)), -1);
    ck_assert_msg(strstr(why, "needs 4611686018427.4 MB for / but its file system has ") &&
                  strstr(why, " MB free: nothing was sent; free space there or point paths.dest elsewhere"), "%s",
                  why);
    close(fd);
}
END_TEST

START_TEST(too_long_keeps_the_cause)
{
    char dir[3000], msg[1024];

    mpift_path_too_long(msg, sizeof(msg), "/src", "a");
    ck_assert_str_eq(msg, "/src/a: path too long (6 bytes; the limit is 4095)");
    memset(dir, 'd', sizeof(dir) - 1);
    dir[0] = '/';
    dir[sizeof(dir) - 1] = '\0';
    mpift_path_too_long(msg, sizeof(msg), dir, "last.txt");
    ck_assert_msg(strlen(msg) < 500, "not shortened: %zu bytes", strlen(msg));
    ck_assert_msg(strstr(msg, "ddd...ddd") && strstr(msg, "d/last.txt: path too long (3008 bytes; the limit is 4095)"),
                  "%s", msg);
    mpift_path_too_long(msg, sizeof(msg), dir, NULL);
    ck_assert_msg(strstr(msg, "d: path too long (2999 bytes;"), "%s", msg);
}
END_TEST

/* mpift_walk_open's rules as another user (uid 5555) in group 4321 would
 * meet them: a shared project folder of one of its groups (another user's,
 * group-writable, setgid) is trusted, a folder of another user not shared
 * with it or one every user may write in is not; as root, no group is. */
static int walk_as(const char *path, unsigned flags, int in_group)
{
    gid_t g = 4321;
    char why[512];
    int st, fd;
    pid_t pid = fork();

    if (pid == 0) {
        if (setgroups(in_group ? 1 : 0, &g) != 0 || setresgid(5555, 5555, 5555) != 0 ||
            setresuid(5555, 5555, 5555) != 0)
            _exit(3);
        fd = mpift_walk_open(path, flags, 0755, NULL, why, sizeof(why));
        _exit(fd >= 0 ? 0 : fd == MPIFT_ERR_ESCAPE ? 1 : 2);
    }
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert(WIFEXITED(st));
    return WEXITSTATUS(st);
}

START_TEST(walk_trusts_by_owner_group_and_mode)
{
    char base[] = "/tmp/mpift-walk-XXXXXX", p[256], why[512];
    int fd;

    if (geteuid() != 0)
        return;   /* needs folders of other users: root only */
    ck_assert_ptr_nonnull(mkdtemp(base));
    ck_assert_int_eq(chmod(base, 0755), 0);
    snprintf(p, sizeof(p), "%s/proj", base);
    ck_assert_int_eq(mkdir(p, 0755), 0);
    ck_assert_int_eq(chown(p, 1234, 4321), 0);
    ck_assert_int_eq(chmod(p, 02775), 0);
    ck_assert_int_eq(walk_as(p, 0, 1), 0);                  /* my group's project folder */
    snprintf(p, sizeof(p), "%s/proj/mine", base);
    ck_assert_int_eq(walk_as(p, MPIFT_WALK_CREATE, 1), 0);  /* made below it */
    snprintf(p, sizeof(p), "%s/proj", base);
    ck_assert_int_eq(walk_as(p, 0, 0), 1);                  /* not my group: another user's */
    fd = mpift_walk_open(p, 0, 0, NULL, why, sizeof(why));  /* root trusts no group */
    ck_assert_int_eq(fd, MPIFT_ERR_ESCAPE);
    ck_assert_ptr_nonnull(strstr(why, "is owned by uid 1234, not by you or root"));
    snprintf(p, sizeof(p), "%s/open", base);
    ck_assert_int_eq(mkdir(p, 0777), 0);
    ck_assert_int_eq(chmod(p, 0777), 0);
    ck_assert_int_eq(walk_as(p, 0, 1), 1);                  /* every user may write: never */
    snprintf(p, sizeof(p), "%s/grp", base);
    ck_assert_int_eq(mkdir(p, 0775), 0);
    ck_assert_int_eq(chown(p, 5555, 4321), 0);
    ck_assert_int_eq(chmod(p, 0775), 0);
    ck_assert_int_eq(walk_as(p, 0, 1), 0);                  /* mine, writable by my group */
    ck_assert_int_eq(walk_as(p, 0, 0), 1);                  /* writable by a group I am not in */
    /* Links: ".." in a target, followed and resolved. */
    snprintf(p, sizeof(p), "%s/grp/up", base);
    ck_assert_int_eq(symlink("../proj/mine", p), 0);
    snprintf(p, sizeof(p), "%s/grp/up", base);
    ck_assert_int_eq(walk_as(p, 0, 1), 0);
    snprintf(p, sizeof(p), "rm -rf '%s'", base);
    ck_assert_int_eq(system(p), 0);
}
END_TEST

/* A group the user is in may write in a folder, not redirect the run:
 * in a folder a trusted group (or another user, its owner) may write in,
 * a folder or link that is not the user's or root's is refused, as in a
 * sticky folder. */
START_TEST(walk_group_may_write_not_redirect)
{
    char base[] = "/tmp/mpift-walk-XXXXXX", p[256], t[256];

    if (geteuid() != 0)
        return;   /* needs folders of other users: root only */
    ck_assert_ptr_nonnull(mkdtemp(base));
    ck_assert_int_eq(chmod(base, 0755), 0);
    snprintf(p, sizeof(p), "%s/elsewhere", base);
    ck_assert_int_eq(mkdir(p, 0755), 0);
    ck_assert_int_eq(chown(p, 5555, 5555), 0);
    snprintf(p, sizeof(p), "%s/proj", base);   /* a colleague's project folder, my group */
    ck_assert_int_eq(mkdir(p, 0755), 0);
    ck_assert_int_eq(chown(p, 1234, 4321), 0);
    ck_assert_int_eq(chmod(p, 02775), 0);
    snprintf(p, sizeof(p), "%s/proj/theirs", base);   /* a folder the colleague made in it */
    ck_assert_int_eq(mkdir(p, 0755), 0);
    ck_assert_int_eq(chown(p, 1234, 4321), 0);
    ck_assert_int_eq(walk_as(p, 0, 1), 1);
    snprintf(t, sizeof(t), "%s/elsewhere", base);
    snprintf(p, sizeof(p), "%s/proj/redir", base);   /* the colleague's link */
    ck_assert_int_eq(symlink(t, p), 0);
    ck_assert_int_eq(lchown(p, 1234, 4321), 0);
    ck_assert_int_eq(walk_as(p, 0, 1), 1);
    snprintf(p, sizeof(p), "%s/proj/mylink", base);   /* my own link there is followed */
    ck_assert_int_eq(symlink(t, p), 0);
    ck_assert_int_eq(lchown(p, 5555, 5555), 0);
    ck_assert_int_eq(walk_as(p, 0, 1), 0);
    snprintf(p, sizeof(p), "%s/grp", base);   /* my folder, writable by my group */
    ck_assert_int_eq(mkdir(p, 0775), 0);
    ck_assert_int_eq(chown(p, 5555, 4321), 0);
    ck_assert_int_eq(chmod(p, 0775), 0);
    snprintf(p, sizeof(p), "%s/grp/redir", base);   /* a group member's link in it */
    ck_assert_int_eq(symlink(t, p), 0);
    ck_assert_int_eq(lchown(p, 1234, 4321), 0);
    ck_assert_int_eq(walk_as(p, 0, 1), 1);
    snprintf(p, sizeof(p), "rm -rf '%s'", base);
    ck_assert_int_eq(system(p), 0);
}
END_TEST

static Suite *fsafe_suite(void)
{
    Suite *s = suite_create("fsafe");
    TCase *lex = tcase_create("Lexical"), *walk = tcase_create("Walk");

    tcase_add_test(lex, check_rel_accepts);
    tcase_add_test(lex, check_rel_refuses);
    tcase_add_test(lex, check_rel_refuses_too_long);
    tcase_add_test(lex, normalize);
    tcase_add_test(lex, join);
    tcase_add_test(lex, within);
    tcase_add_test(lex, split_parent);
    tcase_add_test(walk, root_open_creates_and_dir_open_walks);
    tcase_add_test(walk, dir_open_refuses_symlinks);
    tcase_add_test(walk, resolve_stays_within);
    tcase_add_test(walk, root_open_reports_failure);
    tcase_add_test(walk, room_names_need_and_free_space);
    tcase_add_test(walk, open_beneath_stays_below);
    tcase_add_test(walk, open_beneath_walk_stays_below);
    tcase_add_test(walk, open_no_links_follows_none);
    tcase_add_test(walk, nearest_folder_and_lock);
    tcase_add_test(walk, walk_trusts_by_owner_group_and_mode);
    tcase_add_test(walk, walk_group_may_write_not_redirect);
    tcase_add_test(lex, too_long_keeps_the_cause);
    suite_add_tcase(s, lex);
    suite_add_tcase(s, walk);
    return s;
}

MPIFT_UNIT_MAIN(fsafe_suite)
