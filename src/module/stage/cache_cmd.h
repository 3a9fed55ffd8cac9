/*
 * cache_cmd.h - mpift-stage --cache-list and --cache-prune[=SIZE]: a job
 * in which each node's leader lists or trims its own node's cache.dir
 * (cache/store.h) and rank 0 prints every node's answer, node by node.
 */
#ifndef MPIFT_STAGE_CACHE_CMD_H
#define MPIFT_STAGE_CACHE_CMD_H

#include <stdint.h>

#include "job/context.h"

/*
 * mpift_cache_cmd - collective.  prune 0: list (key, size, last use, in
 * use); 1: trim to `size` bytes (UINT64_MAX: each node's cache.max_size), least
 * recently used first, passing over entries a running job holds.
 * MPIFT_OK; MPIFT_ERR_CONFIG without cache.dir (said by rank 0);
 * MPIFT_ERR_FILES when a node's folder was refused or could not be read
 * (its line says why); MPIFT_ERR_MPI.  Every rank returns the same.
 */
int mpift_cache_cmd(struct mpift_ctx *ctx, int prune, uint64_t size);

#endif
