/*
 * entry_libs.c - an entry's keys for executables with their libraries:
 * libs, libs_system, extra_libs (stage/libs.h does the work).
 *
 * They belong to stage_in only (a stage-out gathers files, it runs
 * nothing), to an entry whose program every writer keeps alike (to =
 * "node"), and libs_system and extra_libs mean nothing without libs:
 * each is refused at load time, so a wrong file moves nothing.
 */
#include "mpift_autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "mpift/mpift.h"
#include "config/loader.h"

/* At most this many extra_libs on one entry. */
#define EXTRA_LIBS_MAX 256

static void load_extra(struct mpift_cfg_loader *L, const config_setting_t *s, const char *key,
                       struct mpift_entry *out)
{
    char what[MPIFT_CFG_WORDS_MAX];
    int i, n = config_setting_length(s);

    if (config_setting_type(s) != CONFIG_TYPE_ARRAY && config_setting_type(s) != CONFIG_TYPE_LIST) {
        mpift_cfg_describe(s, what, sizeof(what));
        mpift_cfg_fail(L, MPIFT_ERR_CONFIG, s, key, "expected an array of library names, e.g. "
                       "[\"libplugin.so\"], got %s", what);
        return;
    }
    if (n > EXTRA_LIBS_MAX) {
        mpift_cfg_fail(L, MPIFT_ERR_RANGE, s, key, "%d names: at most %d", n, EXTRA_LIBS_MAX);
        return;
    }
    if (n > 0 && !(out->extra_libs = calloc((size_t)n, sizeof(*out->extra_libs)))) {
        mpift_cfg_nomem(L);
        return;
    }
    for (i = 0; i < n; i++) {
        const config_setting_t *v = config_setting_get_elem(s, (unsigned)i);
        const char *name = v ? config_setting_get_string(v) : NULL;

        if (!name || !*name) {
            mpift_cfg_fail(L, MPIFT_ERR_CONFIG, v ? v : s, key, "element %d: expected a library's name "
                           "(\"libplugin.so\") or path, got %s", i, name ? "\"\"" : "something else");
            continue;
        }
        if (!(out->extra_libs[out->n_extra_libs] = mpift_cfg_strdup(L, name)))
            return;
        out->n_extra_libs++;
    }
}

void mpift_cfg_load_libs(struct mpift_cfg_loader *L, const config_setting_t *e, const char *prefix,
                         struct mpift_entry *out)
{
    config_setting_t *s = config_setting_get_member(e, "extra_libs");
    char key[MPIFT_CFG_KEY_MAX];

    mpift_cfg_get_bool(L, e, prefix, "libs", &out->libs);
    mpift_cfg_get_bool(L, e, prefix, "libs_system", &out->libs_system);
    mpift_cfg_join_key(key, sizeof(key), prefix, "extra_libs");
    if (s)
        load_extra(L, s, key, out);
    mpift_cfg_join_key(key, sizeof(key), prefix, "libs");
    if (!out->libs && (out->libs_system || s)) {
        mpift_cfg_join_key(key, sizeof(key), prefix, out->libs_system ? "libs_system" : "extra_libs");
        mpift_cfg_fail(L, MPIFT_ERR_CONFIG, e, key, "applies to an entry with libs = true");
    } else if (out->libs && strncmp(prefix, "stage_out", 9) == 0) {
        mpift_cfg_fail(L, MPIFT_ERR_CONFIG, e, key, "libs belongs to stage_in (programs staged to run)");
    } else if (out->libs && out->to == MPIFT_TO_RANK) {
        mpift_cfg_fail(L, MPIFT_ERR_CONFIG, e, key, "libs with to = \"rank\": a program with its libraries "
                       "goes to every node alike (to = \"node\")");
    }
}

void mpift_cfg_free_libs(struct mpift_entry *e)
{
    size_t i;

    for (i = 0; i < e->n_extra_libs; i++)
        free(e->extra_libs[i]);
    free(e->extra_libs);
    e->extra_libs = NULL;
    e->n_extra_libs = 0;
}
