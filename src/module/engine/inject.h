/*
 * inject.h - the engine's fault injection for the test suite (engine/
 * only): a damaged copy, a rank that dies mid-transfer, a header from
 * another protocol version, a source rank that stops at a known moment
 * (so a test can change a source under it), a rank that never answers.
 * Each is switched on by an MPIFT_TEST_* variable that only the
 * fault-injection build reads (util/faults.h); unset, each costs one
 * getenv per process.
 */
#ifndef MPIFT_INJECT_H
#define MPIFT_INJECT_H

#include <stddef.h>
#include <stdint.h>

#include "engine/xfer.h"

/* MPIFT_TEST_CORRUPT=N: true for the first N files a rank receives, whose
 * first chunk mpift_sink_chunk (engine/sink.h) then damages on disk, so
 * tests can show that verification catches it and a re-send repairs it.
 * Call once per file, at its first chunk. */
int mpift_inject_corrupt_file(void);

/* MPIFT_TEST_CORRUPT_COMPRESSED=N: the first N compressed chunks a rank
 * sends are damaged (their codec's first and last bytes flipped) after
 * their checksum was taken, as a faulty peer would: each writer must
 * refuse the file, and a re-send repair it.  Call per frame sent. */
void mpift_inject_corrupt_frame(unsigned char *frame, int len);

/* MPIFT_TEST_KILL=RANK:CHUNKS: rank RANK kills itself (SIGKILL, no
 * clean-up) once it has written CHUNKS received chunks.  Call per chunk. */
void mpift_inject_kill(int rank);

/* MPIFT_TEST_BAD_HEADER=RANK: rank RANK sends (or passes on) every
 * METADATA in x->hdr with protocol version 7; its children must refuse it. */
void mpift_inject_bad_header(struct mpift_xfer *x);

/*
 * MPIFT_TEST_PAUSE=RANK:CHUNK:SECONDS: rank RANK stops for SECONDS once it
 * has read chunk CHUNK (from 0) of a file it sends; once per process.
 * Call per chunk read.
 */
void mpift_inject_pause_chunk(int rank, uint64_t chunk);

/* MPIFT_TEST_PAUSE_AFTER_PLAN=SECONDS: a stage-in's rank 0 stops for
 * SECONDS once its plan is made, before anything is opened to send. */
void mpift_inject_pause_after_plan(void);

/* MPIFT_TEST_PAUSE_AFTER_SHARED=SECONDS: a stage-in's rank 0 stops for
 * SECONDS once the striping agreement is made (stage/source_shared.h),
 * before any striped file starts: a test changes what a reader sees. */
void mpift_inject_pause_after_shared(void);

/* MPIFT_TEST_PAUSE_BEFORE_PLACE=RANK:SECONDS: in a stage-in with
 * cache.dir, rank RANK stops for SECONDS after its cache lookups, before
 * it places its hits: a test prunes the cache in between. */
void mpift_inject_pause_before_place(int rank);

/* The pauses, with MPIFT_TEST_PAUSE_FILE=PATH set, create PATH when they
 * start and end as soon as PATH is removed (SECONDS is then a bound): the
 * test waits for PATH, changes what it wants, removes PATH. */
/*
 * MPIFT_TEST_FILL_HOLE=RANK:CHUNK: rank RANK, about to send DATA message
 * CHUNK (from 0) of a file with hole extents, writes 16 bytes into the
 * middle of its first extent (already sent as a hole, or about to be) by
 * its own descriptor, as another program would: the copies must not
 * keep the hole.  Once per process.  Call per DATA message sent.
 */
void mpift_inject_fill_hole(int rank, int fd, const struct mpift_holes *h, uint64_t chunk);

/* MPIFT_TEST_SAME_TICK=RANK: rank RANK, at the end of a file it sent,
 * takes the mtime and ctime its source has now for those it had at the
 * open (a write within the file system's clock tick moves neither): only
 * the size and the holes' re-check can then tell that the file changed. */
struct stat;
void mpift_inject_same_tick(int rank, int fd, struct stat *at_open);

/* MPIFT_TEST_COLLIDE=1: a chunk taken from a base whose bytes do not
 * hash to the KEEP frame's hash is taken all the same, as bytes crafted
 * to collide in XXH3-64 would be.  True when set. */
int mpift_inject_collide(void);

/* MPIFT_TEST_NO_SEEK_DATA=1: lseek's SEEK_DATA and SEEK_HOLE fail with
 * EINVAL, as on a file system without them: a sparse source is read as
 * dense.  True when set. */
int mpift_inject_no_seek_data(void);

/* MPIFT_TEST_SILENT=RANK: rank RANK never takes a file's first message
 * (its header) from its parent, though it goes on polling: a peer alive
 * but deaf, for the watchdog to name.  True on that rank. */
int mpift_inject_silent(int rank);

#endif
