/* fsident.c - which file systems keep a file's identity (fsident.h). */
#include "mpift_autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <sys/vfs.h>

#include "fs/fsident.h"

struct kind {
    uint32_t magic;   /* statfs f_type (linux/magic.h, and the vendors' own) */
    const char *name;
    int keeps;        /* 1: inode numbers persist and the kernel keeps ctime */
};

static const struct kind kinds[] = {
    {0xEF53u, "ext2/3/4", 1},
    {0x58465342u, "xfs", 1},
    {0x9123683Eu, "btrfs", 1},
    {0x2FC12FC1u, "zfs", 1},
    {0xF2F52010u, "f2fs", 1},
    {0x01021994u, "tmpfs", 1},
    {0x00006969u, "nfs", 1},
    {0x0BD00BD0u, "lustre", 1},
    {0x47504653u, "gpfs", 1},
    {0x00C36400u, "ceph", 1},
    {0x19830326u, "beegfs", 1},
    /* Named, so a message says what it is, but not trusted (fsident.h). */
    {0x73717368u, "squashfs", 0},
    {0xE0F5E1E2u, "erofs", 0},
    {0x00009660u, "iso9660", 0},
    {0x65735546u, "fuse", 0},
    {0x794C7630u, "overlay", 0},
};

int mpift_fs_keeps_ident(int fd, char *name, size_t len)
{
    struct statfs sf;
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
        if (kinds[i].magic == magic) {
            if (name)
                snprintf(name, len, "%s", kinds[i].name);
            return kinds[i].keeps;
        }
    if (name)
        snprintf(name, len, "type 0x%08x", (unsigned)magic);
    return 0;
}
