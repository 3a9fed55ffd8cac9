/*
 * source.h - the source side of a file (engine/ only): opening it to
 * send, the METADATA that announces it, and reading its chunks.
 */
#ifndef MPIFT_SOURCE_H
#define MPIFT_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "wire/proto.h"

/*
 * mpift_source_open - open a file to send.  Returns an fd with st filled,
 * or -1 with errno kept (EINVAL: not a regular file), *code
 * MPIFT_ERR_NOENT or MPIFT_ERR_IO and "PATH: cause" in why.
 */
int mpift_source_open(const char *path, struct stat *st, int *code, char *why, size_t wl);

/* The METADATA of file `id`, sent as `name`, from what fstat said of it. */
void mpift_meta_of(uint64_t id, const char *name, const struct stat *st, uint64_t chunk, struct mpift_meta *m);

/*
 * mpift_read_chunk - read exactly len bytes at off.  Returns 0, or an
 * errno (the file shrank: EIO) with the rest of buf zero-filled, so a
 * stream keeps its announced length and its COMPLETE says it failed.
 */
int mpift_read_chunk(int fd, unsigned char *buf, size_t len, uint64_t off);

#endif
