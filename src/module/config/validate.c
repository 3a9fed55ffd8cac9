/*
 * validate.c - the defaults, and the checks of the top level and its groups
 * (version, paths, transfer, workers) as they are copied into struct
 * mpift_config.  The stage lists are entries.c's.
 *
 * The defaults are the values of the commented example in the spec, except
 * where a measurement chose better (chunk_size, window: see below).
 */
#include "mpift_autoconf.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mpift/mpift.h"
#include "config/loader.h"
#include "config/template.h"

/* chunk_size: see conf/stage.cfg for why. */
#define CHUNK_DEFAULT ((uint64_t)256 << 10)

/* Measured on 200 Mbit/s links (conf/stage.cfg): a tree's relays send to
 * several children and take from several parents, and more than about 1
 * MiB in flight per stream only queues up on those links (64 MiB onto 4
 * nodes: ratio 1.05 with 4 chunks, 1.33 with 32).  A chain gains from a
 * deeper window where links are fast (1 GiB onto 3 local nodes: 2.8 s with
 * 32, 3.1 s with 4). */
#define WINDOW_TREE 4
#define WINDOW_CHAIN 32

/* The one version of the file this mpift reads. */
#define CONFIG_VERSION 1

void mpift_cfg_defaults(struct mpift_config *cfg)
{
    cfg->version = CONFIG_VERSION;
    cfg->chunk_size = CHUNK_DEFAULT;
    cfg->window = 0;   /* unset: chosen by policy in mpift_cfg_validate() */
    cfg->checksum = MPIFT_CKSUM_XXH3;
    /* auto never sends a chunk bigger, drops compression for a file whose
     * chunks do not shrink, and costs a probe per 32 chunks then
     * (engine/compress.c): on by default since it cannot lose much. */
    cfg->compress = MPIFT_COMPRESS_AUTO;
    cfg->retries = 2;
    cfg->fsync = false;
    /* Chunks come every ~10-40 ms on a 200 Mbit/s link: a minute without
     * one is no slow link, and leaves room for a large chunk, a slow disk
     * or a node's scan of its files (see conf/stage.cfg). */
    cfg->timeout = MPIFT_TIMEOUT_DEFAULT;
    cfg->policy = MPIFT_POLICY_PIPELINE;
    cfg->fanout = 2;
    cfg->max_streams = 4;
    cfg->copies = MPIFT_COPIES_PER_NODE;
    cfg->source_shared = MPIFT_SHARED_AUTO;
    cfg->cache_dir = NULL;
    cfg->cache_max_size = MPIFT_CACHE_SIZE_DEFAULT;
}

/* ------------------------------------------------------------------ paths */

/* A template that starts with %t expands to the job's temp dir: absolute. */
static bool abs_template(const char *v)
{
    return v[0] == '/' || strncmp(v, "%t", 2) == 0;
}

/*
 * A path key of `paths` that stage code resolves against the config file's
 * folder when relative.  The folder is escaped ("%" -> "%%") because the
 * result is still a template, expanded later.
 */
static char *resolve_against(struct mpift_cfg_loader *L, const char *dir, const char *v)
{
    size_t n = 2 * strlen(dir) + strlen(v) + 2, used = 0;
    const char *p;
    char *r;

    if (abs_template(v))
        return mpift_cfg_strdup(L, v);
    if (!(r = malloc(n))) {
        mpift_cfg_nomem(L);
        return NULL;
    }
    for (p = dir; *p; p++) {
        if (*p == '%')
            r[used++] = '%';
        r[used++] = *p;
    }
    if (used == 0 || r[used - 1] != '/')
        r[used++] = '/';
    strcpy(r + used, v);
    return r;
}

/* paths.source and paths.collect: a folder on rank 0's side, relative to
 * the configuration file's folder unless absolute.  NULL when absent. */
static char *load_rank0_folder(struct mpift_cfg_loader *L, const config_setting_t *grp, const char *dir,
                               const char *name, bool required, const char *example, const char *purpose)
{
    config_setting_t *s;
    char key[MPIFT_CFG_KEY_MAX];
    const char *v;

    mpift_cfg_join_key(key, sizeof(key), "paths", name);
    v = mpift_cfg_get_string(L, grp, "paths", name, required, example, &s);
    if (v && *v == '\0')
        mpift_cfg_fail(L, MPIFT_ERR_CONFIG, s, key, "empty; name the folder %s "
                       "(relative to the configuration file's folder, or absolute)", purpose);
    else if (v && mpift_cfg_check_template(L, s, key, v))
        return resolve_against(L, dir, v);
    return NULL;
}

/* Does the path have a ".." component? */
static bool has_dotdot(const char *p)
{
    const char *c = p;

    while ((c = strstr(c, "..")) != NULL) {
        if ((c == p || c[-1] == '/') && (c[2] == '\0' || c[2] == '/'))
            return true;
        c += 2;
    }
    return false;
}

static void load_paths(struct mpift_cfg_loader *L, const config_setting_t *root, struct mpift_config *cfg)
{
    config_setting_t *grp = mpift_cfg_get_group(L, root, "paths"), *s;
    const char *v;
    int i;

    /* Without the group both required keys are missing: say so for each. */
    cfg->source = load_rank0_folder(L, grp, cfg->dir, "source", true, "\"data\"", "stage-in reads");

    v = mpift_cfg_get_string(L, grp, "paths", "dest", true, "\"/tmp/mpift-%u/%j\"", &s);
    if (v && !abs_template(v))
        mpift_cfg_fail(L, MPIFT_ERR_CONFIG, s, "paths.dest", "\"%.*s\" is not absolute; the node-local root "
                       "must start with / or with %%t (the job's temp dir)", MPIFT_CFG_QUOTE_MAX, v);
    else if (v && has_dotdot(v))
        /* Every rank writes below it: it must say plainly where that is. */
        mpift_cfg_fail(L, MPIFT_ERR_CONFIG, s, "paths.dest", "\"%.*s\" has a \"..\" component; write the "
                       "folder it means without it", MPIFT_CFG_QUOTE_MAX, v);
    else if (v && mpift_cfg_check_template(L, s, "paths.dest", v))
        cfg->dest = mpift_cfg_strdup(L, v);

    /* collect is only needed by stage-out and get: absent leaves it NULL. */
    cfg->collect = load_rank0_folder(L, grp, cfg->dir, "collect", false, "\"results\"", "stage-out gathers into");
    if (grp && (i = mpift_cfg_get_enum(L, grp, "paths", "source_shared", mpift_cfg_shared_names)) >= 0)
        cfg->source_shared = (enum mpift_src_shared)i;
}

/* ------------------------------------------------------------------ transfer */

/* transfer.compress: a codec this build lacks is refused by name (auto
 * just does without). */
static void load_compress(struct mpift_cfg_loader *L, const config_setting_t *grp, struct mpift_config *cfg)
{
    int i = mpift_cfg_get_enum(L, grp, "transfer", "compress", mpift_cfg_compress_names);
    const char *pkg = NULL;

    if (i < 0)
        return;
#ifndef HAVE_LZ4
    if (i == MPIFT_COMPRESS_LZ4)
        pkg = "liblz4 (Debian: apt-get install liblz4-dev)";
#endif
#ifndef HAVE_ZSTD
    if (i == MPIFT_COMPRESS_ZSTD)
        pkg = "libzstd (Debian: apt-get install libzstd-dev)";
#endif
    if (pkg) {
        mpift_cfg_fail(L, MPIFT_ERR_CONFIG, config_setting_get_member(grp, "compress"), "transfer.compress",
                       "\"%s\" is not in this build of mpift: install %s and rebuild, or use \"auto\" or "
                       "\"none\"", mpift_cfg_compress_names[i], pkg);
        return;
    }
    cfg->compress = (enum mpift_compress)i;
}

static void load_transfer(struct mpift_cfg_loader *L, const config_setting_t *root, struct mpift_config *cfg)
{
    config_setting_t *grp = mpift_cfg_get_group(L, root, "transfer");
    int i;

    if (!grp)
        return;
    mpift_cfg_get_size(L, grp, "transfer", "chunk_size", MPIFT_CHUNK_MIN, MPIFT_CHUNK_MAX,
                       "use 4K..1G (4096..1073741824 bytes)", &cfg->chunk_size);
    mpift_cfg_get_int(L, grp, "transfer", "window", 1, MPIFT_WINDOW_MAX, &cfg->window);
    if ((i = mpift_cfg_get_enum(L, grp, "transfer", "checksum", mpift_cfg_cksum_names)) >= 0)
        cfg->checksum = (enum mpift_cksum)i;
    load_compress(L, grp, cfg);
    if ((i = mpift_cfg_get_enum(L, grp, "transfer", "on_error", mpift_cfg_on_error_names)) >= 0)
        cfg->abort_on_error = i == 1;
    mpift_cfg_get_int(L, grp, "transfer", "retries", 0, MPIFT_RETRIES_MAX, &cfg->retries);
    mpift_cfg_get_bool(L, grp, "transfer", "fsync", &cfg->fsync);
    mpift_cfg_get_int(L, grp, "transfer", "timeout", 0, MPIFT_TIMEOUT_MAX, &cfg->timeout);
}

/* ------------------------------------------------------------------ workers */

static void load_workers(struct mpift_cfg_loader *L, const config_setting_t *root, struct mpift_config *cfg)
{
    config_setting_t *grp = mpift_cfg_get_group(L, root, "workers");
    int i;

    if (!grp)
        return;
    if ((i = mpift_cfg_get_enum(L, grp, "workers", "policy", mpift_cfg_policy_names)) >= 0)
        cfg->policy = (enum mpift_policy)i;
    mpift_cfg_get_int(L, grp, "workers", "fanout", 2, MPIFT_FANOUT_MAX, &cfg->fanout);
    mpift_cfg_get_int(L, grp, "workers", "max_streams", 1, MPIFT_STREAMS_MAX, &cfg->max_streams);
    if ((i = mpift_cfg_get_enum(L, grp, "workers", "copies", mpift_cfg_copies_names)) >= 0)
        cfg->copies = (enum mpift_copies)i;
}

/* ------------------------------------------------------------------ cache */

/*
 * cache.dir: one folder per node that outlives the job, so its template
 * may name the node and the user (%h, %n, %u) but nothing that changes
 * with the job (%j, %t: a new, empty cache every run) or the rank (%r,
 * %l: the node's ranks share one cache).
 */
static void load_cache(struct mpift_cfg_loader *L, const config_setting_t *root, struct mpift_config *cfg)
{
    const unsigned refused = MPIFT_T_JOB | MPIFT_T_TMP | MPIFT_T_RANK | MPIFT_T_LOCAL;
    config_setting_t *grp = mpift_cfg_get_group(L, root, "cache"), *s;
    const char *v;
    unsigned uses = 0;

    if (!grp)
        return;
    mpift_cfg_get_size(L, grp, "cache", "max_size", MPIFT_CACHE_SIZE_MIN, UINT64_MAX,
                       "use 1M or more, e.g. \"20G\"", &cfg->cache_max_size);
    v = mpift_cfg_get_string(L, grp, "cache", "dir", false, "\"/var/tmp/mpift-cache-%u\"", &s);
    if (!v)
        return;
    if (v[0] != '/')
        mpift_cfg_fail(L, MPIFT_ERR_CONFIG, s, "cache.dir", "\"%.*s\" is not absolute; name a node-local folder "
                       "from / (e.g. \"/var/tmp/mpift-cache-%%u\")", MPIFT_CFG_QUOTE_MAX, v);
    else if (has_dotdot(v))
        mpift_cfg_fail(L, MPIFT_ERR_CONFIG, s, "cache.dir", "\"%.*s\" has a \"..\" component; write the "
                       "folder it means without it", MPIFT_CFG_QUOTE_MAX, v);
    else if (!mpift_cfg_check_template(L, s, "cache.dir", v))
        return;
    else if (mpift_template_check(v, &uses, NULL, 0) == MPIFT_OK && (uses & refused))
        mpift_cfg_fail(L, MPIFT_ERR_CONFIG, s, "cache.dir", "\"%.*s\" changes with the %s; a cache is kept "
                       "across jobs, one per node: use only %%h, %%n and %%u", MPIFT_CFG_QUOTE_MAX, v,
                       uses & (MPIFT_T_JOB | MPIFT_T_TMP) ? "job" : "rank");
    else
        cfg->cache_dir = mpift_cfg_strdup(L, v);
}

/* ------------------------------------------------------------------ the file */

void mpift_cfg_validate(struct mpift_cfg_loader *L, config_setting_t *root, struct mpift_config *cfg)
{
    config_setting_t *s;
    char what[MPIFT_CFG_WORDS_MAX];

    mpift_cfg_check_unknown(L, root, NULL, mpift_cfg_top_keys, "top-level keys");

    /* version is required: a file of another version may mean other keys. */
    s = config_setting_get_member(root, "version");
    if (!s) {
        mpift_cfg_fail(L, MPIFT_ERR_CONFIG, NULL, "version", "required key missing (start the file with "
                       "version = %d;)", CONFIG_VERSION);
    } else if (!mpift_cfg_is_int(s)) {
        mpift_cfg_describe(s, what, sizeof(what));
        mpift_cfg_fail(L, MPIFT_ERR_CONFIG, s, "version", "expected the integer %d (version = %d;), got %s",
                       CONFIG_VERSION, CONFIG_VERSION, what);
    } else if (config_setting_get_int64(s) != CONFIG_VERSION) {
        mpift_cfg_fail(L, MPIFT_ERR_RANGE, s, "version", "%lld is not supported; this mpift reads version = %d",
                       config_setting_get_int64(s), CONFIG_VERSION);
    }
    load_paths(L, root, cfg);
    load_transfer(L, root, cfg);
    load_workers(L, root, cfg);
    load_cache(L, root, cfg);
    if (cfg->window == 0)
        cfg->window = cfg->policy == MPIFT_POLICY_TREE ? WINDOW_TREE : WINDOW_CHAIN;
    mpift_cfg_load_list(L, root, "stage_in", &cfg->in, &cfg->n_in);
    mpift_cfg_load_list(L, root, "stage_out", &cfg->out, &cfg->n_out);
}
