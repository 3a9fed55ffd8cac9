/*
 * source.h - the source side of a file (engine/ only): opening it to
 * send, the METADATA that announces it, reading its chunks, and telling
 * whether it changed while it was read.
 */
#ifndef MPIFT_SOURCE_H
#define MPIFT_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "engine/file.h"
#include "util/hash.h"
#include "wire/proto.h"

/*
 * mpift_source_open - open src->path, which lies below `root` (rootfd),
 * from rootfd without leaving it (fs/beneath.h): a symbolic link is never
 * followed out, a FIFO or device is refused at once.  It must be a
 * regular file, and the one planned when src has a device and inode.
 * Returns an fd (blocking again) with st filled, or -1 with *code
 * (MPIFT_ERR_NOENT, _ESCAPE or _IO) and "PATH: cause" in why.
 */
int mpift_source_open(int rootfd, const char *root, const struct mpift_src *src, struct stat *st, int *code,
                      char *why, size_t whylen);

/* A new record of a source at `path` (see engine/file.h), planned as st
 * says (NULL: not planned, nothing to hold it to).  NULL: no memory. */
struct mpift_src *mpift_src_new(const char *path, const struct stat *st);

/* The METADATA of file `id`, sent as `name`, from what fstat said of it. */
void mpift_meta_of(uint64_t id, const char *name, const struct stat *st, uint64_t chunk, struct mpift_meta *m);

/* mpift_read_chunk's answer when the file ended before `len` bytes: it
 * shrank while it was read (not an errno). */
#define MPIFT_SOURCE_SHRANK (-1)

/*
 * mpift_read_chunk - read exactly len bytes at off.  Returns 0, an errno,
 * or MPIFT_SOURCE_SHRANK, with the rest of buf zero-filled, so a stream
 * keeps its announced length and its COMPLETE says it failed.
 */
int mpift_read_chunk(int fd, unsigned char *buf, size_t len, uint64_t off);

/* The extent of a source last asked about: [from, to) is all hole or all
 * data.  Zeroed at a file's start (an empty extent). */
struct mpift_extent {
    uint64_t from, to;
    int hole;
};

/* Is [off, off+len) of fd a hole (SEEK_DATA finds no data in it)?  A file
 * system without SEEK_DATA says every byte is data: 0.  *e keeps the
 * extent found, so a file is asked once per extent, not once per chunk
 * (a dense file: once). */
int mpift_source_hole(int fd, uint64_t off, size_t len, struct mpift_extent *e);

/*
 * mpift_source_hole_noted - as mpift_source_hole, for a chunk that will
 * not be read when it is a hole: its range is added to `unread` (merged
 * with the one before), which the end re-checks as it does the METADATA
 * extents (mpift_source_holes_filled).  Once `unread` is full a hole
 * says 0: the chunk is read (a hole reads as zeros, from no disk) and
 * its bytes are checked as any data's are.
 */
int mpift_source_hole_noted(int fd, uint64_t off, size_t len, struct mpift_extent *e, struct mpift_holes *unread);

/*
 * mpift_source_holes - the hole extents of fd for m (its size and
 * chunking) into h: each run of whole chunks SEEK_DATA finds no data in
 * (a chunk that holds any data is not one), merged, at most
 * MPIFT_HOLES_MAX (later holes go chunk by chunk, mpift_source_hole).
 * A file system without SEEK_DATA has none.  Sets m->nholes.
 */
void mpift_source_holes(int fd, struct mpift_meta *m, struct mpift_holes *h);

struct mpift_watch;

/*
 * mpift_source_alloc - the bytes a copy of fd (`size` bytes, chunks of
 * `chunk`) allocates at most: every chunk that holds data is written
 * whole, the others cross as holes (engine/holes.h) and stay holes; plus
 * `margin` per data extent (the file system's own blocks for it).  Walks
 * the extents (SEEK_DATA, SEEK_HOLE); past as many as mpift_source_holes
 * walks, or without SEEK_DATA, the rest counts as data.  At most size.
 * Ticks w (when not NULL) as it walks: rank 0 walks while the others wait.
 */
uint64_t mpift_source_alloc(int fd, uint64_t size, uint64_t chunk, uint64_t margin, struct mpift_watch *w);

/* Does any of h's extents, or of `unread`'s (the holes
 * mpift_source_hole_noted passed unread), of fd hold data now (written
 * after they were looked at)?  1 or 0: what was sent as holes is then not
 * the file, whatever its mtime says. */
int mpift_source_holes_filled(int fd, const struct mpift_holes *h, const struct mpift_holes *unread);

/*
 * mpift_source_changed - after the last byte of fd was read: did the file
 * change since it was opened (`at_open`: what fstat said then)?  Its size,
 * mtime or ctime moved, or a read found it shorter (read_err
 * MPIFT_SOURCE_SHRANK).  0 if not; else 1 with "PATH: changed while being
 * staged (how)" in why: what was read may mix two versions.
 */
int mpift_source_changed(int fd, const struct stat *at_open, int read_err, const char *path, char *why, size_t whylen);

/*
 * mpift_source_not_key - a keyed file (f->keyed) read whole and unchanged
 * by its stat: is h, the XXH3-128 of the bytes sent, other than its key?
 * A write in the same tick of the file system's clock as the key's read
 * leaves size, mtime and ctime as they were; this catches it, so no copy
 * of other bytes is kept under the key.  0 if they agree (or f has no
 * key); else 1 with "PATH: changed since planning (...)" in why, and
 * f->src->key_wrong set (the plan's source record, though f is const)
 * so rank 0 takes the key out of its index (stage/keys.h).
 */
int mpift_source_not_key(const struct mpift_pfile *f, XXH128_hash_t h, char *why, size_t whylen);

#endif
