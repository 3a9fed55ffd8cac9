/*
 * preflight.c - room and write access before a stage-in or stage-out
 * moves anything (preflight.h).
 */
#include "mpift_autoconf.h"

#include <stdint.h>

#include "fs/fsafe.h"
#include "stage/preflight.h"
#include "util/log.h"
#include "comm/status.h"

void mpift_room_start(struct mpift_room *rm, int dirfd, const char *root)
{
    rm->dirfd = dirfd;
    rm->root = root;
    rm->block = mpift_fs_block(dirfd);
    rm->need = 0;
    rm->inodes = 0;
    rm->replaced = 0;
    rm->any = 0;
}

void mpift_room_add(struct mpift_room *rm, uint64_t size)
{
    rm->need += (size + rm->block - 1) / rm->block * rm->block;
    rm->inodes++;
    rm->any = 1;
}

void mpift_room_add_tree(struct mpift_room *rm, uint64_t bytes, uint64_t bytes4k, uint64_t files, uint64_t inodes)
{
    /* Exact where blocks are 4 KiB or less; beyond, at most a block per file more. */
    rm->need += rm->block <= 4096 ? bytes4k : bytes + files * rm->block;
    rm->inodes += inodes;
    rm->any = 1;
}

void mpift_room_add_folder(struct mpift_room *rm)
{
    rm->inodes++;
    rm->any = 1;
}

int mpift_room_inodes_short(const struct mpift_room *rm)
{
    return rm->inodes > mpift_fs_inodes(rm->dirfd);
}

void mpift_room_replaces(struct mpift_room *rm)
{
    /* The first keeps its inode: the temporary being written while the
     * file it replaces is still there. */
    if (rm->replaced++ > 0 && rm->inodes > 0)
        rm->inodes--;
}

int mpift_room_check(const struct mpift_room *rm, const char *host, const char *verb, const char *setting,
                     char *why, size_t whylen)
{
    char room[MPIFT_WHY_MAX];

    if (!rm->any || mpift_fs_room(rm->dirfd, rm->root, rm->need, rm->inodes, verb, setting, room, sizeof(room)) == 0)
        return 0;
    if (host)
        mpift_format(why, whylen, "%s: %s", host, room);
    else
        mpift_format(why, whylen, "%s", room);
    mpift_log_error("%s", why);
    return -1;
}
