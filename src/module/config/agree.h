/*
 * agree.h - which configuration keys every rank of a job must share.
 *
 * Every rank parses rank 0's text, but each applies its own --set
 * overrides (struct mpift_options), so ranks can hold different values.
 * The one table in agree.c classes every key of the schema: a key that
 * changes the protocol or the plan must be equal on every rank (the job
 * agrees on them at start, job/agree.c); a key that is per-rank by nature
 * may differ.  tests/unit/test_config.c checks that every schema key is
 * in the table, so a new key cannot be left unclassed.
 */
#ifndef MPIFT_CONFIG_AGREE_H
#define MPIFT_CONFIG_AGREE_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"

/* A value as shown when ranks disagree (longer ones are cut). */
#define MPIFT_AGREE_VALUE_MAX 64

/* The number of keys in the table. */
size_t mpift_cfg_agree_count(void);

/* Key i's full name ("transfer.chunk_size") and whether it may differ
 * between ranks. */
const char *mpift_cfg_agree_key(size_t i, bool *per_rank);

/* Key i's effective value in cfg, as text (at most
 * MPIFT_AGREE_VALUE_MAX - 1 bytes). */
void mpift_cfg_agree_value(const struct mpift_config *cfg, size_t i, char *buf, size_t len);

/* Whether full key `key` is in the table (tests). */
bool mpift_cfg_agree_known(const char *key);

#endif
