/*
 * keys.h - rank 0's content keys of a stage-in's files (cache.dir set):
 * what struct mpift_pfile's key and keyed are made of, and the index that
 * spares a second read of a file that did not change (fs/keyindex.h).
 * docs/content_keys.md says what it costs and what it guarantees.
 */
#ifndef MPIFT_KEYS_H
#define MPIFT_KEYS_H

#include "job/context.h"
#include "stage/plan.h"

/*
 * mpift_keys_make - rank 0: key every regular file of plan read below
 * srcroot (srcfd), with rank 0's cache.dir's index.  A file's key is the
 * XXH3-128 of its content, taken from the index when its device, inode,
 * size, mtime and ctime are the ones recorded and its file system keeps
 * a file's identity (fs/fsident.h; elsewhere it is read every run and
 * never recorded), else read whole; it is
 * given (keyed 1) only when the file still has the size and mtime planned
 * and did not change while it was read, and its src is then held to the
 * size, mtime and ctime the key was made from (engine/source.h).  A file
 * that cannot be opened or changed is left without a key: its stream
 * says why.  A problem with the index is a warning (keys are then read);
 * --verbose says how many keys came from where.  MPIFT_OK or
 * MPIFT_ERR_NOMEM.
 * *hashes ([plan->n], NULL without cache.dir): for each keyed file a
 * delta may be taken for (at least MPIFT_BASE_MIN), the XXH3-64 of each
 * of its chunks of cfg->chunk_size, made in the same read as its key or
 * kept beside the index with it (fs/keyhashes.h); NULL where there are
 * none.  Freed with mpift_keys_free.
 */
int mpift_keys_make(struct mpift_ctx *ctx, int srcfd, const char *srcroot, struct mpift_plan *plan,
                    uint64_t ***hashes);

void mpift_keys_free(uint64_t **hashes, size_t n);

/*
 * mpift_keys_forget - rank 0, once a stage-in's rounds are over: a file
 * whose sender found its bytes not of its key (src->key_wrong,
 * engine/source.h's mpift_source_not_key) failed "run again"; take the
 * index's entry of that key out, so the next run reads the file and
 * that advice holds (a warning names each file).  Nothing without
 * cache.dir or such a file.
 */
void mpift_keys_forget(struct mpift_ctx *ctx, const struct mpift_plan *plan);

#endif
