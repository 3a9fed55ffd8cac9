/*
 * entries.c - the stage_in and stage_out lists: each entry's keys, and its
 * src and dest checked to stay below their roots.
 *
 * An entry's paths are checked here, at load time, so that a file with an
 * absolute or ".." path is refused before anything moves (exit 2), rather
 * than found during staging.
 */
#include "mpift_autoconf.h"

#include <stdio.h>
#include <stdlib.h>

#include "mpift/mpift.h"
#include "util/log.h"
#include "config/loader.h"
#include "fs/fsafe.h"

/* src or dest of an entry: a template, and a path that stays below its root. */
static char *entry_path(struct mpift_cfg_loader *L, const config_setting_t *s, const char *key, const char *v)
{
    char why[MPIFT_WHY_MAX];

    if (!mpift_cfg_check_template(L, s, key, v))
        return NULL;
    /* Escapes are configuration errors here (exit 2, nothing moved), not
     * the run-time MPIFT_ERR_ESCAPE of a path found during staging. */
    if (mpift_path_check_rel(v, why, sizeof(why)) != MPIFT_OK) {
        mpift_cfg_fail(L, MPIFT_ERR_CONFIG, s, key, "%s", why);
        return NULL;
    }
    return mpift_cfg_strdup(L, v);
}

static void load_entry(struct mpift_cfg_loader *L, const config_setting_t *e, const char *prefix,
                       struct mpift_entry *out)
{
    config_setting_t *s;
    char key[MPIFT_CFG_KEY_MAX];
    const char *v, *file;
    int i;

    mpift_cfg_where(L, (int)config_setting_source_line(e), &file, &out->line);
    mpift_cfg_check_unknown(L, e, prefix, mpift_cfg_entry_keys, "keys of an entry");

    mpift_cfg_join_key(key, sizeof(key), prefix, "src");
    v = mpift_cfg_get_string(L, e, prefix, "src", true, "\"inputs/*.dat\"", &s);
    if (v && *v == '\0')
        mpift_cfg_fail(L, MPIFT_ERR_CONFIG, s, key, "empty; name a file, a glob or a folder (\"ref/\" for its "
                       "contents)");
    else if (v)
        out->src = entry_path(L, s, key, v);

    mpift_cfg_join_key(key, sizeof(key), prefix, "dest");
    v = mpift_cfg_get_string(L, e, prefix, "dest", false, "\"inputs/\"", &s);
    if (v)
        out->dest = entry_path(L, s, key, v);
    else if (!s)
        out->dest = mpift_cfg_strdup(L, ""); /* the dest root itself */

    mpift_cfg_get_bool(L, e, prefix, "recursive", &out->recursive);
    mpift_cfg_get_bool(L, e, prefix, "preserve", &out->preserve);
    if ((i = mpift_cfg_get_enum(L, e, prefix, "to", mpift_cfg_to_names)) >= 0)
        out->to = (enum mpift_to)i;
    mpift_cfg_load_libs(L, e, prefix, out);
    mpift_cfg_entry_extract(L, e, prefix, out);
}

void mpift_cfg_load_list(struct mpift_cfg_loader *L, const config_setting_t *root, const char *name,
                         struct mpift_entry **list, size_t *n)
{
    config_setting_t *s = config_setting_get_member(root, name);
    char what[MPIFT_CFG_WORDS_MAX], prefix[MPIFT_CFG_KEY_MAX];
    int i, len, t;

    if (!s)
        return;
    t = config_setting_type(s);
    /* An empty list is "()" but an empty array "[]" reads the same to people. */
    if (t != CONFIG_TYPE_LIST && t != CONFIG_TYPE_ARRAY) {
        mpift_cfg_describe(s, what, sizeof(what));
        mpift_cfg_fail(L, MPIFT_ERR_CONFIG, s, name, "expected a list (%s = ( { src = \"...\"; dest = \"...\"; }, "
                       "... );), got %s", name, what);
        return;
    }
    len = config_setting_length(s);
    if (len <= 0)
        return;
    if (!(*list = calloc((size_t)len, sizeof(**list)))) {
        mpift_cfg_nomem(L);
        return;
    }
    *n = (size_t)len;
    for (i = 0; i < len; i++) {
        config_setting_t *e = config_setting_get_elem(s, (unsigned)i);

        snprintf(prefix, sizeof(prefix), "%s[%d]", name, i);
        if (!e)
            continue;
        if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
            mpift_cfg_describe(e, what, sizeof(what));
            mpift_cfg_fail(L, MPIFT_ERR_CONFIG, e, prefix, "expected an entry { src = \"...\"; dest = \"...\"; }, "
                           "got %s", what);
            continue;
        }
        load_entry(L, e, prefix, &(*list)[i]);
    }
}

void mpift_cfg_free_entries(struct mpift_entry *e, size_t n)
{
    size_t i;

    for (i = 0; e && i < n; i++) {
        free(e[i].src);
        free(e[i].dest);
        mpift_cfg_free_libs(&e[i]);
    }
    free(e);
}
