/*
 * copy.h - one file's bytes into another, the cheapest way the file
 * systems allow: a reflink (FICLONE: shared blocks, no bytes read), else
 * copy_file_range (in the kernel, server-side on NFS 4.2), else read and
 * write; either of those only over in's data (SEEK_DATA/SEEK_HOLE), so a
 * sparse file stays sparse.  Used to fill a cache entry and to place one
 * where a hard link cannot go.
 */
#ifndef MPIFT_CACHE_COPY_H
#define MPIFT_CACHE_COPY_H

#include <stdint.h>

/* size bytes of in (from offset 0) into out (empty).  0, or -1 with errno
 * (ENOSPC, EDQUOT, EIO...). */
int mpift_cache_copy(int in, int out, uint64_t size);

#endif
