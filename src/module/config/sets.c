/*
 * sets.c - the --set KEY=VALUE overrides, applied to the parsed tree before
 * validation.
 *
 * Only keys the schema knows are accepted, so a typo on the command line is
 * as loud as one in the file.  VALUE is typed by the key: a string key
 * always gets a string; true/false become a boolean and integers an integer
 * where those are expected; anything else becomes a string, so a wrong
 * value meets the same validation as in the file.  The settings made here
 * are remembered (struct mpift_cfg_origin) so that their errors name the
 * option rather than a line of the file.
 */
#include "mpift_autoconf.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mpift/mpift.h"
#include "config/loader.h"

/* One --set KEY=VALUE, taken apart. */
struct set_arg {
    const char *arg;                  /* as given, for messages */
    char full[MPIFT_CFG_KEY_MAX];     /* KEY */
    char key[MPIFT_CFG_KEY_MAX];      /* KEY, cut at its dot into group and name */
    const char *gname;                /* the group, or NULL at the top level */
    const char *name;                 /* the key (within its group) */
    const char *value;
    const struct mpift_keydef *def;
};

/* A decimal integer, optionally signed; *overflow when it does not fit. */
static bool parse_integer(const char *v, long long *out, bool *overflow)
{
    const char *d = (*v == '-' || *v == '+') ? v + 1 : v;
    char *end;

    if (!isdigit((unsigned char)*d))
        return false;
    errno = 0;
    *out = strtoll(v, &end, 10);
    if (*end != '\0')
        return false;
    *overflow = errno == ERANGE;
    return true;
}

/* KEY=VALUE into a; false (after saying why) when it is not of that form. */
static bool split_set(struct mpift_cfg_loader *L, struct set_arg *a)
{
    const char *eq = strchr(a->arg, '=');
    size_t klen;
    char *dot;

    if (!eq || eq == a->arg) {
        mpift_cfg_fail_set(L, MPIFT_ERR_USAGE, a->arg, "expected KEY=VALUE, e.g. --set transfer.chunk_size=8M");
        return false;
    }
    klen = (size_t)(eq - a->arg);
    a->value = eq + 1;
    if (klen >= sizeof(a->key)) {
        mpift_cfg_fail_set(L, MPIFT_ERR_CONFIG, a->arg, "unknown key (too long)");
        return false;
    }
    memcpy(a->key, a->arg, klen);
    a->key[klen] = '\0';
    snprintf(a->full, sizeof(a->full), "%s", a->key);
    if (strchr(a->key, '[')) {
        mpift_cfg_fail_set(L, MPIFT_ERR_USAGE, a->arg, "list entries cannot be set from the command line; "
                           "edit stage_in / stage_out in the configuration file");
        return false;
    }
    a->name = a->key;
    if ((dot = strchr(a->key, '.'))) {
        *dot = '\0';
        a->gname = a->key;
        a->name = dot + 1;
    }
    return true;
}

/* KEY is none of `keys` (the top level's or its group's): the likely one. */
static void unknown_key(struct mpift_cfg_loader *L, const struct set_arg *a, const struct mpift_keydef *keys)
{
    const char *guess = mpift_cfg_closest_key(keys, a->name), *g = a->gname;
    const struct mpift_keydef *grp;
    char known[MPIFT_CFG_WORDS_MAX];

    mpift_cfg_list_keys(keys, known, sizeof(known));
    /* "--set window=8": the key exists, in a group the user left out. */
    for (grp = mpift_cfg_group_names; !g && !guess && grp->name; grp++)
        if (mpift_cfg_find_key(mpift_cfg_group_keys(grp->name), a->name)) {
            mpift_cfg_fail_set(L, MPIFT_ERR_CONFIG, a->arg, "unknown key %s; did you mean %s.%s?", a->full,
                               grp->name, a->name);
            return;
        }
    if (guess)
        mpift_cfg_fail_set(L, MPIFT_ERR_CONFIG, a->arg, "unknown key %s; did you mean %s%s%s? (keys%s%s: %s)",
                           a->full, g ? g : "", g ? "." : "", guess, g ? " of " : "", g ? g : "", known);
    else
        mpift_cfg_fail_set(L, MPIFT_ERR_CONFIG, a->arg, "unknown key %s (keys%s%s: %s)", a->full,
                           g ? " of " : "", g ? g : "", known);
}

/* The schema's entry for KEY into a->def; false (after saying why) when
 * KEY is not a value --set can give. */
static bool find_set_key(struct mpift_cfg_loader *L, struct set_arg *a)
{
    const struct mpift_keydef *keys = mpift_cfg_top_keys;
    const char *guess;
    char known[MPIFT_CFG_WORDS_MAX];

    if (a->gname) {
        keys = mpift_cfg_group_keys(a->gname);
        if (!keys) {
            guess = mpift_cfg_closest_key(mpift_cfg_group_names, a->gname);
            if (guess)
                mpift_cfg_fail_set(L, MPIFT_ERR_CONFIG, a->arg, "unknown key %s; did you mean %s.%s? (groups: "
                                   "paths, transfer, workers, cache)", a->full, guess, a->name);
            else
                mpift_cfg_fail_set(L, MPIFT_ERR_CONFIG, a->arg, "unknown key %s (groups: paths, transfer, "
                                   "workers, cache)", a->full);
            return false;
        }
        if (strchr(a->name, '.')) {
            mpift_cfg_fail_set(L, MPIFT_ERR_CONFIG, a->arg, "unknown key %s (groups hold keys, not groups)",
                               a->full);
            return false;
        }
    }
    if (!(a->def = mpift_cfg_find_key(keys, a->name))) {
        unknown_key(L, a, keys);
        return false;
    }
    if (a->def->kind == MPIFT_KEY_GROUP) {
        mpift_cfg_list_keys(mpift_cfg_group_keys(a->name), known, sizeof(known));
        mpift_cfg_fail_set(L, MPIFT_ERR_USAGE, a->arg, "%s is a group; set one of its keys (%s), e.g. --set "
                           "%s.%s=...", a->name, known, a->name, mpift_cfg_group_keys(a->name)->name);
        return false;
    }
    if (a->def->kind == MPIFT_KEY_LIST) {
        mpift_cfg_fail_set(L, MPIFT_ERR_USAGE, a->arg, "%s is a list; edit it in the configuration file",
                           a->name);
        return false;
    }
    return true;
}

/* The group KEY goes in (made when the file has none), or the root. */
static config_setting_t *set_parent(struct mpift_cfg_loader *L, config_setting_t *root, const struct set_arg *a)
{
    config_setting_t *parent;

    if (!a->gname)
        return root;
    parent = config_setting_get_member(root, a->gname);
    if (!parent) {
        if (!(parent = config_setting_add(root, a->gname, CONFIG_TYPE_GROUP)))
            mpift_cfg_nomem(L);
    } else if (config_setting_type(parent) != CONFIG_TYPE_GROUP) {
        const char *file;
        int line;
        mpift_cfg_where(L, (int)config_setting_source_line(parent), &file, &line);
        mpift_cfg_fail_set(L, MPIFT_ERR_CONFIG, a->arg, "%s is not a group in %s (line %d); fix the file first",
                           a->gname, file, line);
        parent = NULL;
    }
    return parent;
}

/* VALUE, typed by its key, in place of what `parent` had for it; the new
 * setting, or NULL (after saying why) when none was made. */
static config_setting_t *store_value(struct mpift_cfg_loader *L, config_setting_t *parent, const struct set_arg *a)
{
    const char *value = a->value;
    size_t vlen = strlen(value);
    enum mpift_key_kind kind = a->def->kind;
    config_setting_t *s;
    char *str = NULL;
    long long n = 0;
    bool overflow = false;
    int type;

    if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
        type = CONFIG_TYPE_STRING;
        if (!(str = strndup(value + 1, vlen - 2))) {
            mpift_cfg_nomem(L);
            return NULL;
        }
    } else if (kind == MPIFT_KEY_BOOL && (strcasecmp(value, "true") == 0 || strcasecmp(value, "false") == 0)) {
        type = CONFIG_TYPE_BOOL;
    } else if ((kind == MPIFT_KEY_INT || kind == MPIFT_KEY_SIZE) && parse_integer(value, &n, &overflow) &&
               !(overflow && kind == MPIFT_KEY_SIZE)) {
        /* An oversized size stays a string: mpift_parse_size says "too large". */
        if (overflow) {
            mpift_cfg_fail_set(L, MPIFT_ERR_RANGE, a->arg, "%s does not fit in 64 bits", value);
            return NULL;
        }
        type = CONFIG_TYPE_INT64;
    } else {
        type = CONFIG_TYPE_STRING;
    }

    if (config_setting_get_member(parent, a->name))
        config_setting_remove(parent, a->name);
    if (!(s = config_setting_add(parent, a->name, type))) {
        free(str);
        mpift_cfg_nomem(L);
        return NULL;
    }
    switch (type) {
    case CONFIG_TYPE_BOOL: config_setting_set_bool(s, strcasecmp(value, "true") == 0); break;
    case CONFIG_TYPE_INT64: config_setting_set_int64(s, n); break;
    default:
        if (config_setting_set_string(s, str ? str : value) != CONFIG_TRUE)
            mpift_cfg_nomem(L);
        break;
    }
    free(str);
    return s;
}

static void record_origin(struct mpift_cfg_loader *L, const char *key, config_setting_t *s, const char *arg)
{
    size_t i;

    /* A later --set of the same key replaced the earlier setting. */
    for (i = 0; i < L->norig; i++)
        if (strcmp(L->orig[i].key, key) == 0)
            break;
    if (i == L->norig)
        L->norig++;
    L->orig[i].s = s;
    L->orig[i].arg = arg;
    snprintf(L->orig[i].key, sizeof(L->orig[i].key), "%s", key);
}

/* Apply one "KEY=VALUE". */
static void apply_set(struct mpift_cfg_loader *L, config_setting_t *root, const char *arg)
{
    struct set_arg a = { .arg = arg };
    config_setting_t *parent, *s;

    if (!split_set(L, &a) || !find_set_key(L, &a))
        return;
    if (!(parent = set_parent(L, root, &a)) || !(s = store_value(L, parent, &a)))
        return;
    record_origin(L, a.full, s, arg);
}

void mpift_cfg_apply_sets(struct mpift_cfg_loader *L, config_setting_t *root, const char *const *sets,
                          size_t nsets)
{
    size_t i;

    if (nsets == 0)
        return;
    if (!(L->orig = calloc(nsets, sizeof(*L->orig)))) {
        mpift_cfg_nomem(L);
        return;
    }
    for (i = 0; i < nsets; i++)
        apply_set(L, root, sets && sets[i] ? sets[i] : "");
}
