/* fsident.c - which file systems keep a file's identity (fsident.h). */
#include "mpift_autoconf.h"

#include <dirent.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "fs/fsident.h"

struct kind {
    uint32_t magic;   /* statfs f_type (linux/magic.h, and the vendors' own) */
    const char *name;
    int keeps;        /* 1: inode numbers persist and the kernel keeps ctime */
    int block;        /* 1: on a block device, which may hold an image */
};

static const struct kind kinds[] = {
    {0xEF53u, "ext2/3/4", 1, 1},
    {0x58465342u, "xfs", 1, 1},
    {0x9123683Eu, "btrfs", 1, 1},
    {0x2FC12FC1u, "zfs", 1, 0},
    {0xF2F52010u, "f2fs", 1, 1},
    {0x01021994u, "tmpfs", 1, 0},
    {0x00006969u, "nfs", 1, 0},
    {0x0BD00BD0u, "lustre", 1, 0},
    {0x47504653u, "gpfs", 1, 0},
    {0x00C36400u, "ceph", 1, 0},
    {0x19830326u, "beegfs", 1, 0},
    /* Named, so a message says what it is, but not trusted (fsident.h). */
    {0x73717368u, "squashfs", 0, 1},
    {0xE0F5E1E2u, "erofs", 0, 1},
    {0x00009660u, "iso9660", 0, 1},
    {0x65735546u, "fuse", 0, 0},
    {0x794C7630u, "overlay", 0, 0},
};

/*
 * Block devices attached to a file, which a later attach hands the same
 * number: loop (a disk image) and nbd (a remote one).  Partitions of them
 * are named after them (loop0p1), so a name's prefix is the test.
 */
static int attached_name(const char *name)
{
    static const char *const prefixes[] = {"loop", "nbd"};
    size_t i, n;

    for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        n = strlen(prefixes[i]);
        if (strncmp(name, prefixes[i], n) == 0 && name[n] >= '0' && name[n] <= '9')
            return 1;
    }
    return 0;
}

/*
 * Is the block device at sysfs folder `sys` (/sys/dev/block/M:m or
 * /sys/class/block/NAME) attached to a file, itself or a device under it
 * (device-mapper's slaves/, a few levels down)?  Its sysfs name says.
 */
static int attached_sys(const char *sys, int depth)
{
    char link[PATH_MAX], path[PATH_MAX];
    const char *base;
    struct dirent *e;
    ssize_t n;
    DIR *d;
    int yes = 0;

    n = readlink(sys, link, sizeof(link) - 1);
    if (n > 0) {
        link[n] = '\0';
        /* .../block/loop0 or, for a partition, .../block/loop0/loop0p1 */
        for (base = link; (base = strstr(base, "/")) != NULL; base++)
            if (attached_name(base + 1))
                return 1;
    }
    if (depth >= 4 || snprintf(path, sizeof(path), "%s/slaves", sys) >= (int)sizeof(path) || !(d = opendir(path)))
        return 0;
    while (!yes && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        yes = attached_name(e->d_name) ||
              (snprintf(path, sizeof(path), "/sys/class/block/%s", e->d_name) < (int)sizeof(path) &&
               attached_sys(path, depth + 1));
    }
    closedir(d);
    return yes;
}

/* Block device majors of loop and nbd (Documentation/admin-guide/devices.txt):
 * known without sysfs, which a container may not show. */
#define LOOP_MAJOR 7u
#define NBD_MAJOR 43u

/* fd's mount id, from /proc/self/fdinfo (Linux 3.15), or -1. */
static long mount_id(int fd)
{
    char path[64], line[256];
    long id = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
    if (!(f = fopen(path, "re")))
        return -1;
    while (id < 0 && fgets(line, sizeof(line), f))
        if (sscanf(line, "mnt_id: %ld", &id) != 1)
            id = -1;
    fclose(f);
    return id;
}

/* Undo mountinfo's octal escapes (\040 for a space, ...) in place. */
static void unescape(char *s)
{
    char *o = s;

    for (; *s; s++, o++) {
        if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
            *o = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
            s += 3;
        } else {
            *o = *s;
        }
    }
    *o = '\0';
}

/*
 * The block device under the mount that holds fd, whose st_dev is
 * anonymous (btrfs gives each subvolume its own, never the superblock's
 * that mountinfo shows): the source of the mount's /proc/self/mountinfo
 * line, found by the fd's mount id, when that is a device node.  0 when
 * it cannot be told.
 */
static dev_t mounted_from(int fd)
{
    char *line = NULL, *sep, *src, *end;
    size_t cap = 0;
    long id = mount_id(fd), lid;
    struct stat st;
    dev_t found = 0;
    FILE *f;

    if (id < 0 || !(f = fopen("/proc/self/mountinfo", "re")))
        return 0;
    while (getline(&line, &cap, f) > 0) {
        if (sscanf(line, "%ld", &lid) != 1 || lid != id)
            continue;
        /* "... - FSTYPE SOURCE SUPEROPTS" */
        if ((sep = strstr(line, " - ")) && (src = strchr(sep + 3, ' '))) {
            src++;
            if ((end = strchr(src, ' ')))
                *end = '\0';
            unescape(src);
            if (stat(src, &st) == 0 && S_ISBLK(st.st_mode))
                found = st.st_rdev;
        }
        break;
    }
    free(line);
    fclose(f);
    return found;
}

/* Is fd's file system on a block device attached to a file (above)?  1
 * also when its device cannot be told (what cannot be checked is not
 * trusted); `dev` says which, for a message. */
static int on_attached(int fd, char *dev, size_t len)
{
    char sys[64];
    struct stat st;
    dev_t d;

    d = fstat(fd, &st) != 0 ? 0 : major(st.st_dev) ? st.st_dev : mounted_from(fd);
    if (!d) {
        snprintf(dev, len, "a device that cannot be checked");
        return 1;
    }
    snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u", major(d), minor(d));
    snprintf(dev, len, "loop/nbd device %u:%u", major(d), minor(d));
    return major(d) == LOOP_MAJOR || major(d) == NBD_MAJOR || attached_sys(sys, 0);
}

int mpift_fs_keeps_ident(int fd, char *name, size_t len)
{
    const struct kind *k = NULL;
    struct statfs sf;
    struct statvfs sv;
    char dev[48];
    uint32_t magic;
    size_t i;

    if (fstatfs(fd, &sf) != 0) {
        if (name)
            snprintf(name, len, "unknown file system");
        return 0;
    }
    /* f_type is a long: a magic past 2^31 is negative where it is 32 bits. */
    magic = (uint32_t)sf.f_type;
    for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (kinds[i].magic == magic)
            k = &kinds[i];
    if (!k) {
        if (name)
            snprintf(name, len, "type 0x%08x", (unsigned)magic);
        return 0;
    }
    if (name)
        snprintf(name, len, "%s", k->name);
    if (!k->keeps)
        return 0;
    /* The format is necessary, not sufficient: an image of it (mke2fs -d,
     * a deterministic build) holds ctimes as data, numbers inodes in walk
     * order, and its loop device's number comes back with the next image;
     * a read-only mount is nearly always such an image or a snapshot. */
    if (k->block && on_attached(fd, dev, sizeof(dev))) {
        if (name)
            snprintf(name, len, "%s on %s", k->name, dev);
        return 0;
    }
    if (fstatvfs(fd, &sv) == 0 && (sv.f_flag & ST_RDONLY)) {
        if (name)
            snprintf(name, len, "%s mounted read-only", k->name);
        return 0;
    }
    return 1;
}
