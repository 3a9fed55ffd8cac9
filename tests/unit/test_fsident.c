/* test_fsident.c - which file systems keep a file's identity
 * (fs/fsident.h): a tmpfs does; the same tmpfs bound read-only, an ext4
 * image on a loop device, /proc and a pipe do not.  The mounts need root
 * (each test runs in its own process, in a mount namespace of its own);
 * without root, or without mke2fs or a loop device, those tests say so
 * on stderr and pass without asserting. */
#define _GNU_SOURCE
#include "mpift_autoconf.h"

#include <check.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/fsident.h"
#include "unit_main.h"

/* top: a fresh name from TOP_TEMPLATE in each test (under valgrind every
 * test runs in one process, CK_FORK=no, and mkdtemp overwrites its XXXXXX). */
#define TOP_TEMPLATE "/tmp/mpift-fsident-XXXXXX"
static char name[MPIFT_FSIDENT_NAME], top[] = TOP_TEMPLATE;

/* A private mount namespace with a fresh tmpfs at top; 0 when it cannot
 * be had (not root). */
static int own_tmpfs(const char *test)
{
    if (geteuid() != 0 || unshare(CLONE_NEWNS) != 0 || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0) {
        fprintf(stderr, "%s: skipped, needs root to mount (unshare: %m)\n", test);
        return 0;
    }
    memcpy(top, TOP_TEMPLATE, sizeof(top));
    ck_assert_ptr_nonnull(mkdtemp(top));
    ck_assert_int_eq(mount("tmpfs", top, "tmpfs", 0, "size=16m"), 0);
    return 1;
}

/* The verdict on path, its kind in name. */
static int verdict(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY), keeps;

    ck_assert_int_ge(fd, 0);
    keeps = mpift_fs_keeps_ident(fd, name, sizeof(name));
    close(fd);
    return keeps;
}

START_TEST(tmpfs_kept)
{
    if (!own_tmpfs("tmpfs_kept"))
        return;
    ck_assert_int_eq(verdict(top), 1);
    ck_assert_str_eq(name, "tmpfs");
    umount(top);
    rmdir(top);
}
END_TEST

START_TEST(read_only_bind_not_kept)
{
    char ro[sizeof(top) + 8];

    if (!own_tmpfs("read_only_bind_not_kept"))
        return;
    snprintf(ro, sizeof(ro), "%s/ro", top);
    ck_assert_int_eq(mkdir(ro, 0700), 0);
    ck_assert_int_eq(mount(top, ro, "none", MS_BIND, NULL), 0);
    ck_assert_int_eq(mount("none", ro, "none", MS_BIND | MS_REMOUNT | MS_RDONLY, NULL), 0);
    ck_assert_int_eq(verdict(top), 1);
    ck_assert_int_eq(verdict(ro), 0);
    ck_assert_str_eq(name, "tmpfs mounted read-only");
    umount(ro);
    umount(top);
    rmdir(top);
}
END_TEST

/* An image made by `mkfs` (a shell command on "$1", the image file), by
 * `tool`, mounted with `opts` on a loop device (detached with the
 * namespace: mount's autoclear): not kept, named `named` then the
 * device.  Skipped, said, without the tool or a loop device. */
static void loop_not_kept(const char *test, const char *mkfs, const char *tool, const char *opts, const char *named)
{
    char cmd[512];

    if (!own_tmpfs(test))
        return;
    snprintf(cmd, sizeof(cmd), "sh -c '%s' - %s/img >/dev/null 2>&1 && mkdir %s/m", mkfs, top, top);
    if (system(cmd) != 0) {
        fprintf(stderr, "%s: skipped, no %s\n", test, tool);
        return;
    }
    snprintf(cmd, sizeof(cmd), "mount %s %s/img %s/m 2>/dev/null", opts, top, top);
    if (system(cmd) != 0) {
        fprintf(stderr, "%s: skipped, no loop device to mount the image on\n", test);
        return;
    }
    snprintf(cmd, sizeof(cmd), "%s/m", top);
    ck_assert_int_eq(verdict(cmd), 0);
    ck_assert_msg(strncmp(name, named, strlen(named)) == 0, "named \"%s\"", name);
    umount(cmd);
}

/* An ext4 image mounted read-write: only the loop device tells. */
START_TEST(loop_image_not_kept)
{
    loop_not_kept("loop_image_not_kept", "mke2fs -q -F -t ext4 \"$1\" 4M", "mke2fs", "-o loop,noatime",
                  "ext2/3/4 on loop/nbd device 7:");
}
END_TEST

/* A btrfs image on a loop device: btrfs gives each subvolume an
 * anonymous st_dev, never the superblock's that mountinfo shows, so the
 * device is found by the file's mount id (review s6/cachefix2 #1). */
START_TEST(loop_btrfs_not_kept)
{
    loop_not_kept("loop_btrfs_not_kept", "truncate -s 128M \"$1\" && mkfs.btrfs -q -f \"$1\"",
                  "mkfs.btrfs (btrfs-progs)", "-t btrfs -o loop", "btrfs on loop/nbd device 7:");
}
END_TEST

START_TEST(proc_and_pipe_not_kept)
{
    int p[2];

    ck_assert_int_eq(verdict("/proc"), 0);
    ck_assert_str_eq(name, "type 0x00009fa0");
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(mpift_fs_keeps_ident(p[0], name, sizeof(name)), 0);
    close(p[0]);
    close(p[1]);
}
END_TEST

static Suite *fsident_suite(void)
{
    Suite *s = suite_create("fsident");
    TCase *t = tcase_create("Core");

    tcase_add_test(t, tmpfs_kept);
    tcase_add_test(t, read_only_bind_not_kept);
    tcase_add_test(t, loop_image_not_kept);
    tcase_add_test(t, loop_btrfs_not_kept);
    tcase_add_test(t, proc_and_pipe_not_kept);
    tcase_set_timeout(t, 60);
    suite_add_tcase(s, t);
    return s;
}

MPIFT_UNIT_MAIN(fsident_suite)
