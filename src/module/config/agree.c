/*
 * agree.c - the one table of which configuration keys every rank must
 * share (see agree.h), and each key's effective value as text.
 *
 * Must match (the default, for every key that is not per-rank by nature):
 * a rank that routes, chunks, windows, retries, aborts, compresses,
 * checksums, stripes, times out or plans differently from the others
 * meets other collectives or waits for messages that never come.
 * paths.source and paths.collect name rank 0's folders and every rank
 * expands them (with rank 0's variables) for its messages and choices,
 * so they match too.  May differ: paths.dest (each writer's own root;
 * its template is expanded per rank anyway, and copies = "per-rank"
 * compares the roots themselves) and transfer.fsync (how hard a writer
 * pushes its own disk; nothing on the wire depends on it).  cache.dir
 * matches (a cache on some nodes only changes what every rank exchanges
 * before bytes move; the template is still expanded per node);
 * cache.max_size may differ (each node trims its own cache).
 */
#include "mpift_autoconf.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "util/hash.h"

#include "config/agree.h"
#include "config/loader.h"

enum show {
    SHOW_INT_VERSION, SHOW_SOURCE, SHOW_DEST, SHOW_COLLECT, SHOW_SHARED, SHOW_CHUNK, SHOW_WINDOW,
    SHOW_CHECKSUM, SHOW_RETRIES, SHOW_FSYNC, SHOW_ON_ERROR, SHOW_TIMEOUT, SHOW_COMPRESS, SHOW_POLICY,
    SHOW_FANOUT, SHOW_STREAMS, SHOW_COPIES, SHOW_CACHE_DIR, SHOW_CACHE_MAX, SHOW_STAGE_IN, SHOW_STAGE_OUT
};

static const struct {
    const char *key;
    bool per_rank;
    enum show show;
} table[] = {
    /* In the order a mismatch is named: a key before those whose
     * defaults it decides (workers.policy before transfer.window). */
    {"version", false, SHOW_INT_VERSION},
    {"paths.source", false, SHOW_SOURCE},
    {"paths.dest", true, SHOW_DEST},
    {"paths.collect", false, SHOW_COLLECT},
    {"paths.source_shared", false, SHOW_SHARED},
    {"workers.policy", false, SHOW_POLICY},
    {"workers.fanout", false, SHOW_FANOUT},
    {"workers.max_streams", false, SHOW_STREAMS},
    {"workers.copies", false, SHOW_COPIES},
    {"transfer.chunk_size", false, SHOW_CHUNK},
    {"transfer.window", false, SHOW_WINDOW},
    {"transfer.checksum", false, SHOW_CHECKSUM},
    {"transfer.retries", false, SHOW_RETRIES},
    {"transfer.fsync", true, SHOW_FSYNC},
    {"transfer.on_error", false, SHOW_ON_ERROR},
    {"transfer.timeout", false, SHOW_TIMEOUT},
    {"transfer.compress", false, SHOW_COMPRESS},
    {"cache.dir", false, SHOW_CACHE_DIR},
    {"cache.max_size", true, SHOW_CACHE_MAX},
    {"stage_in", false, SHOW_STAGE_IN},
    {"stage_out", false, SHOW_STAGE_OUT},
};

size_t mpift_cfg_agree_count(void)
{
    return sizeof(table) / sizeof(table[0]);
}

const char *mpift_cfg_agree_key(size_t i, bool *per_rank)
{
    *per_rank = table[i].per_rank;
    return table[i].key;
}

bool mpift_cfg_agree_known(const char *key)
{
    size_t i;

    for (i = 0; i < mpift_cfg_agree_count(); i++)
        if (strcmp(table[i].key, key) == 0)
            return true;
    return false;
}

/* A list of entries: their count and a digest of every field, since a
 * list cannot be shown whole in one line. */
static void show_entries(const struct mpift_entry *e, size_t n, char *buf, size_t len)
{
    XXH3_state_t *h = XXH3_createState();
    size_t i;

    if (!h) {
        snprintf(buf, len, "%zu entries", n);
        return;
    }
    XXH3_64bits_reset(h);
    for (i = 0; i < n; i++) {
        unsigned char flags[4] = {e[i].recursive, e[i].preserve, (unsigned char)e[i].to, e[i].extract};
        XXH3_64bits_update(h, e[i].src, strlen(e[i].src) + 1);
        XXH3_64bits_update(h, e[i].dest, strlen(e[i].dest) + 1);
        XXH3_64bits_update(h, flags, sizeof(flags));
    }
    snprintf(buf, len, "%zu entr%s (xxh3 %016" PRIx64 ")", n, n == 1 ? "y" : "ies", (uint64_t)XXH3_64bits_digest(h));
    XXH3_freeState(h);
}

void mpift_cfg_agree_value(const struct mpift_config *cfg, size_t i, char *buf, size_t len)
{
    switch (table[i].show) {
    case SHOW_INT_VERSION: snprintf(buf, len, "%d", cfg->version); break;
    case SHOW_SOURCE: snprintf(buf, len, "\"%s\"", cfg->source ? cfg->source : ""); break;
    case SHOW_DEST: snprintf(buf, len, "\"%s\"", cfg->dest ? cfg->dest : ""); break;
    case SHOW_COLLECT: snprintf(buf, len, cfg->collect ? "\"%s\"" : "unset", cfg->collect); break;
    case SHOW_SHARED: snprintf(buf, len, "\"%s\"", mpift_cfg_shared_names[cfg->source_shared]); break;
    case SHOW_CHUNK: snprintf(buf, len, "%" PRIu64, cfg->chunk_size); break;
    case SHOW_WINDOW: snprintf(buf, len, "%d", cfg->window); break;
    case SHOW_CHECKSUM: snprintf(buf, len, "\"%s\"", mpift_cfg_cksum_names[cfg->checksum]); break;
    case SHOW_RETRIES: snprintf(buf, len, "%d", cfg->retries); break;
    case SHOW_FSYNC: snprintf(buf, len, "%s", cfg->fsync ? "true" : "false"); break;
    case SHOW_ON_ERROR: snprintf(buf, len, "\"%s\"", mpift_cfg_on_error_names[cfg->abort_on_error ? 1 : 0]); break;
    case SHOW_TIMEOUT: snprintf(buf, len, "%d", cfg->timeout); break;
    case SHOW_COMPRESS: snprintf(buf, len, "\"%s\"", mpift_cfg_compress_names[cfg->compress]); break;
    case SHOW_POLICY: snprintf(buf, len, "\"%s\"", mpift_cfg_policy_names[cfg->policy]); break;
    case SHOW_FANOUT: snprintf(buf, len, "%d", cfg->fanout); break;
    case SHOW_STREAMS: snprintf(buf, len, "%d", cfg->max_streams); break;
    case SHOW_COPIES: snprintf(buf, len, "\"%s\"", mpift_cfg_copies_names[cfg->copies]); break;
    case SHOW_CACHE_DIR: snprintf(buf, len, cfg->cache_dir ? "\"%s\"" : "unset", cfg->cache_dir); break;
    case SHOW_CACHE_MAX: snprintf(buf, len, "%" PRIu64, cfg->cache_max_size); break;
    case SHOW_STAGE_IN: show_entries(cfg->in, cfg->n_in, buf, len); break;
    case SHOW_STAGE_OUT: show_entries(cfg->out, cfg->n_out, buf, len); break;
    }
}
