/*
 * peer.h - one named file between two ranks, below a root on each side:
 * the console's send/get/relay and the mpift.h client calls share it.
 * The transfer itself is xfer's: verified, atomic, with the ERROR signal
 * when the source cannot serve the file.
 */
#ifndef MPIFT_PEER_H
#define MPIFT_PEER_H

#include <stddef.h>
#include <stdint.h>

#include "engine/xfer.h"

/*
 * mpift_peer_source - ready to send `name` below `root`: its real path
 * must stay within the real root (a symlink may not lead out), the real
 * root (into rroot, PATH_MAX bytes) is opened (*fd) and *src made (its
 * path is the real one; not planned, so no inode to check): close and
 * free both after sending.  Then mpift_xfer_source_root(x, *fd, rroot).
 * MPIFT_OK, or a status with a message for users in why.
 */
int mpift_peer_source(const char *root, const char *name, char *rroot, struct mpift_src **src, int *fd, char *why,
                      size_t wl);

/* A plan entry for one named file: dest `name`, source `src` (NULL on a
 * receiver), mode kept.  The rest of a plan is not used. */
void mpift_peer_file(struct mpift_pfile *f, const char *name, struct mpift_src *src);

/* Send `name` (below root) to rank `to`; the ERROR signal when it cannot
 * be read.  MPIFT_OK (outcome in res) or MPIFT_ERR_MPI. */
int mpift_peer_send(struct mpift_xfer *x, uint64_t id, const char *root, const char *name, int to,
                    struct mpift_outcome *res);

/* Receive `name` from rank `from` into root (created if need be; without
 * it the data is still drained).  MPIFT_OK (outcome in res),
 * MPIFT_ERR_PROTO or MPIFT_ERR_MPI. */
int mpift_peer_recv(struct mpift_xfer *x, uint64_t id, const char *root, const char *name, int from,
                    struct mpift_outcome *res);

#endif
