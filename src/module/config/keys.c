/*
 * keys.c - the schema of a configuration file: every key it may hold at
 * every level, with its type and, for enums, its spellings; the typed
 * getters that read one key and say what is wrong with it.
 *
 * Every key at every level is checked against the known ones, because a
 * misspelt key ("windw") would otherwise be silently ignored and its default
 * used - the worst kind of configuration bug.  An unknown key names the
 * known key it most likely meant.
 */
#include "mpift_autoconf.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mpift/mpift.h"
#include "util/log.h"
#include "config/loader.h"
#include "config/template.h"

const struct mpift_keydef mpift_cfg_top_keys[] = {
    {"version", MPIFT_KEY_INT}, {"paths", MPIFT_KEY_GROUP}, {"transfer", MPIFT_KEY_GROUP},
    {"workers", MPIFT_KEY_GROUP}, {"cache", MPIFT_KEY_GROUP}, {"stage_in", MPIFT_KEY_LIST},
    {"stage_out", MPIFT_KEY_LIST}, {NULL, MPIFT_KEY_INT},
};
static const struct mpift_keydef paths_keys[] = {
    {"source", MPIFT_KEY_STRING}, {"dest", MPIFT_KEY_STRING}, {"collect", MPIFT_KEY_STRING},
    {"source_shared", MPIFT_KEY_STRING}, {NULL, MPIFT_KEY_INT},
};
static const struct mpift_keydef transfer_keys[] = {
    {"chunk_size", MPIFT_KEY_SIZE}, {"window", MPIFT_KEY_INT}, {"checksum", MPIFT_KEY_STRING},
    {"retries", MPIFT_KEY_INT}, {"fsync", MPIFT_KEY_BOOL}, {"on_error", MPIFT_KEY_STRING},
    {"timeout", MPIFT_KEY_INT}, {"compress", MPIFT_KEY_STRING}, {NULL, MPIFT_KEY_INT},
};
static const struct mpift_keydef workers_keys[] = {
    {"policy", MPIFT_KEY_STRING}, {"fanout", MPIFT_KEY_INT}, {"max_streams", MPIFT_KEY_INT},
    {"copies", MPIFT_KEY_STRING}, {NULL, MPIFT_KEY_INT},
};
static const struct mpift_keydef cache_keys[] = {
    {"dir", MPIFT_KEY_STRING}, {"max_size", MPIFT_KEY_SIZE}, {NULL, MPIFT_KEY_INT},
};
const struct mpift_keydef mpift_cfg_entry_keys[] = {
    {"src", MPIFT_KEY_STRING}, {"dest", MPIFT_KEY_STRING}, {"recursive", MPIFT_KEY_BOOL},
    {"preserve", MPIFT_KEY_BOOL}, {"to", MPIFT_KEY_STRING}, {"libs", MPIFT_KEY_BOOL},
    {"libs_system", MPIFT_KEY_BOOL}, {"extra_libs", MPIFT_KEY_LIST}, {"extract", MPIFT_KEY_BOOL},
    {NULL, MPIFT_KEY_INT},
};
const struct mpift_keydef mpift_cfg_group_names[] = {
    {"paths", MPIFT_KEY_GROUP}, {"transfer", MPIFT_KEY_GROUP}, {"workers", MPIFT_KEY_GROUP},
    {"cache", MPIFT_KEY_GROUP}, {NULL, MPIFT_KEY_INT},
};

const char *const mpift_cfg_cksum_names[] = {"xxh3", "none", NULL};
const char *const mpift_cfg_compress_names[] = {"auto", "lz4", "zstd", "none", NULL};
const char *const mpift_cfg_on_error_names[] = {"continue", "abort", NULL};
const char *const mpift_cfg_policy_names[] = {"direct", "pipeline", "tree", NULL};
const char *const mpift_cfg_copies_names[] = {"per-node", "per-rank", "once", NULL};
const char *const mpift_cfg_to_names[] = {"node", "rank", NULL};
const char *const mpift_cfg_shared_names[] = {"auto", "yes", "no", NULL};

const char *mpift_policy_name(enum mpift_policy p) { return mpift_cfg_policy_names[p]; }
const char *mpift_copies_name(enum mpift_copies c) { return mpift_cfg_copies_names[c]; }

/* Up to two edits make a typo: "windw", "chunksize", "max_stream". */
#define TYPO_EDITS_MAX 2

/* A value in an example ("\"per-node\""). */
#define EXAMPLE_MAX 64

const struct mpift_keydef *mpift_cfg_group_keys(const char *group)
{
    if (strcmp(group, "paths") == 0)
        return paths_keys;
    if (strcmp(group, "transfer") == 0)
        return transfer_keys;
    if (strcmp(group, "workers") == 0)
        return workers_keys;
    if (strcmp(group, "cache") == 0)
        return cache_keys;
    return NULL;
}

const struct mpift_keydef *mpift_cfg_find_key(const struct mpift_keydef *keys, const char *name)
{
    for (; keys->name; keys++)
        if (strcmp(keys->name, name) == 0)
            return keys;
    return NULL;
}

void mpift_cfg_list_keys(const struct mpift_keydef *keys, char *buf, size_t len)
{
    size_t used = 0;

    buf[0] = '\0';
    for (; keys->name && used < len; keys++) {
        int n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", keys->name);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

/* Case-insensitive Levenshtein distance; SIZE_MAX for names too long to care. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[MPIFT_CFG_KEY_MAX + 1], i, j;

    if (la > MPIFT_CFG_KEY_MAX || lb > MPIFT_CFG_KEY_MAX)
        return SIZE_MAX;
    for (j = 0; j <= lb; j++)
        row[j] = j;
    for (i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *mpift_cfg_closest_key(const struct mpift_keydef *keys, const char *name)
{
    const char *best = NULL;
    size_t bestd = TYPO_EDITS_MAX + 1;

    for (; keys->name; keys++) {
        size_t d = edit_distance(keys->name, name);
        if (d < bestd && d < strlen(keys->name)) {
            bestd = d;
            best = keys->name;
        }
    }
    return best;
}

void mpift_cfg_check_unknown(struct mpift_cfg_loader *L, const config_setting_t *grp, const char *prefix,
                             const struct mpift_keydef *keys, const char *what)
{
    char key[MPIFT_CFG_KEY_MAX], known[MPIFT_CFG_WORDS_MAX];
    int i, n = config_setting_length(grp);

    mpift_cfg_list_keys(keys, known, sizeof(known));
    for (i = 0; i < n; i++) {
        config_setting_t *m = config_setting_get_elem(grp, (unsigned)i);
        const char *name = m ? config_setting_name(m) : NULL;
        const char *guess;

        if (!name || mpift_cfg_find_key(keys, name))
            continue;
        mpift_cfg_join_key(key, sizeof(key), prefix, name);
        guess = mpift_cfg_closest_key(keys, name);
        if (guess)
            mpift_cfg_fail(L, MPIFT_ERR_CONFIG, m, key, "unknown key; did you mean %s? (%s: %s)", guess, what,
                           known);
        else
            mpift_cfg_fail(L, MPIFT_ERR_CONFIG, m, key, "unknown key (%s: %s)", what, known);
    }
}

bool mpift_cfg_is_int(const config_setting_t *s)
{
    int t = config_setting_type(s);
    return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64;
}

/* ------------------------------------------------------------------ getters */

void mpift_cfg_get_int(struct mpift_cfg_loader *L, const config_setting_t *grp, const char *prefix,
                       const char *name, long long min, long long max, int *out)
{
    config_setting_t *s = grp ? config_setting_get_member(grp, name) : NULL;
    char key[MPIFT_CFG_KEY_MAX], what[MPIFT_CFG_WORDS_MAX];
    long long v;

    if (!s)
        return;
    mpift_cfg_join_key(key, sizeof(key), prefix, name);
    if (!mpift_cfg_is_int(s)) {
        mpift_cfg_describe(s, what, sizeof(what));
        mpift_cfg_fail(L, MPIFT_ERR_CONFIG, s, key, "expected an integer (%lld..%lld), got %s", min, max, what);
        return;
    }
    v = config_setting_get_int64(s);
    if (v < min || v > max) {
        mpift_cfg_fail(L, MPIFT_ERR_RANGE, s, key, "%lld is out of range; use %lld..%lld", v, min, max);
        return;
    }
    *out = (int)v;
}

void mpift_cfg_get_bool(struct mpift_cfg_loader *L, const config_setting_t *grp, const char *prefix,
                        const char *name, bool *out)
{
    config_setting_t *s = grp ? config_setting_get_member(grp, name) : NULL;
    char key[MPIFT_CFG_KEY_MAX], what[MPIFT_CFG_WORDS_MAX];

    if (!s)
        return;
    if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
        mpift_cfg_join_key(key, sizeof(key), prefix, name);
        mpift_cfg_describe(s, what, sizeof(what));
        mpift_cfg_fail(L, MPIFT_ERR_CONFIG, s, key, "expected true or false, got %s", what);
        return;
    }
    *out = config_setting_get_bool(s) != 0;
}

void mpift_cfg_get_size(struct mpift_cfg_loader *L, const config_setting_t *grp, const char *prefix,
                        const char *name, uint64_t min, uint64_t max, const char *range, uint64_t *out)
{
    config_setting_t *s = grp ? config_setting_get_member(grp, name) : NULL;
    char key[MPIFT_CFG_KEY_MAX], what[MPIFT_CFG_WORDS_MAX];
    uint64_t v;
    int rc;

    if (!s)
        return;
    mpift_cfg_join_key(key, sizeof(key), prefix, name);
    if (mpift_cfg_is_int(s)) {
        long long n = config_setting_get_int64(s);
        if (n < 0 || (uint64_t)n < min || (uint64_t)n > max) {
            mpift_cfg_fail(L, MPIFT_ERR_RANGE, s, key, "%lld is out of range; %s", n, range);
            return;
        }
        *out = (uint64_t)n;
    } else if (config_setting_type(s) == CONFIG_TYPE_STRING) {
        const char *str = config_setting_get_string(s);
        rc = mpift_parse_size(str, &v);
        if (rc == MPIFT_ERR_CONFIG) {
            mpift_cfg_fail(L, rc, s, key, "\"%.*s\" is not a size; write a number of bytes with an optional "
                           "K, M, G or T suffix (powers of 1024), e.g. \"4M\"", MPIFT_CFG_QUOTE_MAX, str);
            return;
        }
        if (rc != MPIFT_OK || v < min || v > max) {
            mpift_cfg_fail(L, MPIFT_ERR_RANGE, s, key, "\"%.*s\" is out of range; %s", MPIFT_CFG_QUOTE_MAX, str,
                           range);
            return;
        }
        *out = v;
    } else {
        mpift_cfg_describe(s, what, sizeof(what));
        mpift_cfg_fail(L, MPIFT_ERR_CONFIG, s, key, "expected a size such as \"4M\" or 4194304, got %s", what);
    }
}

const char *mpift_cfg_get_string(struct mpift_cfg_loader *L, const config_setting_t *grp, const char *prefix,
                                 const char *name, bool required, const char *example, config_setting_t **sp)
{
    config_setting_t *s = grp ? config_setting_get_member(grp, name) : NULL;
    char key[MPIFT_CFG_KEY_MAX], what[MPIFT_CFG_WORDS_MAX];

    *sp = s;
    mpift_cfg_join_key(key, sizeof(key), prefix, name);
    if (!s) {
        if (required)
            mpift_cfg_fail(L, MPIFT_ERR_CONFIG, grp, key, "required key missing (e.g. %s = %s;)", name, example);
        return NULL;
    }
    if (config_setting_type(s) != CONFIG_TYPE_STRING) {
        mpift_cfg_describe(s, what, sizeof(what));
        mpift_cfg_fail(L, MPIFT_ERR_CONFIG, s, key, "expected a string (e.g. %s = %s;), got %s", name, example,
                       what);
        return NULL;
    }
    return config_setting_get_string(s);
}

int mpift_cfg_get_enum(struct mpift_cfg_loader *L, const config_setting_t *grp, const char *prefix,
                       const char *name, const char *const *names)
{
    config_setting_t *s;
    char key[MPIFT_CFG_KEY_MAX], choices[MPIFT_CFG_WORDS_MAX], example[EXAMPLE_MAX];
    size_t used = 0;
    const char *v;
    int i;

    choices[0] = '\0';
    for (i = 0; names[i] && used < sizeof(choices); i++) {
        int n = snprintf(choices + used, sizeof(choices) - used, "%s\"%s\"", i ? ", " : "", names[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    snprintf(example, sizeof(example), "\"%s\"", names[0]);
    v = mpift_cfg_get_string(L, grp, prefix, name, false, example, &s);
    if (!v)
        return -1;
    for (i = 0; names[i]; i++)
        if (strcmp(v, names[i]) == 0)
            return i;
    mpift_cfg_join_key(key, sizeof(key), prefix, name);
    mpift_cfg_fail(L, MPIFT_ERR_CONFIG, s, key, "\"%.*s\" is not one of %s", MPIFT_CFG_QUOTE_MAX, v, choices);
    return -1;
}

config_setting_t *mpift_cfg_get_group(struct mpift_cfg_loader *L, const config_setting_t *root, const char *name)
{
    config_setting_t *s = config_setting_get_member(root, name);
    char what[MPIFT_CFG_WORDS_MAX], hint[MPIFT_CFG_KEY_MAX];

    if (!s)
        return NULL;
    if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
        mpift_cfg_describe(s, what, sizeof(what));
        mpift_cfg_fail(L, MPIFT_ERR_CONFIG, s, name, "expected a group (%s: { key = value; ... };), got %s", name,
                       what);
        return NULL;
    }
    snprintf(hint, sizeof(hint), "keys of %s", name);
    mpift_cfg_check_unknown(L, s, name, mpift_cfg_group_keys(name), hint);
    return s;
}

bool mpift_cfg_check_template(struct mpift_cfg_loader *L, const config_setting_t *s, const char *key,
                              const char *v)
{
    char why[MPIFT_WHY_MAX];

    if (mpift_template_check(v, NULL, why, sizeof(why)) == MPIFT_OK)
        return true;
    mpift_cfg_fail(L, MPIFT_ERR_CONFIG, s, key, "%s", why);
    return false;
}
