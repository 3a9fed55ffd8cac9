/*
 * loader.h - what the files of the configuration loader share; only the
 * .c files of config/ include it (the rest of the module sees config.h, and
 * libconfig stays inside config/).
 *
 * One mpift_config_load is one struct mpift_cfg_loader: load.c parses the
 * text into a libconfig tree, sets.c edits that tree with the --set
 * overrides, validate.c and entries.c walk it once copying every value into
 * struct mpift_config, using the schema and the typed getters of keys.c.
 * Every problem any of them finds goes through messages.c into one error
 * text, a line each, and the status of the first one is the result.
 */
#ifndef MPIFT_CONFIG_LOADER_H
#define MPIFT_CONFIG_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libconfig.h>

#include "config/config.h"

/* A key's full name: "stage_out[123456].recursive" and the like.  A longer
 * one is cut, which only shortens a message. */
#define MPIFT_CFG_KEY_MAX 128

/* A piece of a message that names keys or values: what a setting holds
 * ("the string \"...\""), the keys of a group, an enum's choices. */
#define MPIFT_CFG_WORDS_MAX 256

/* How much of a user's string a message quotes ("%.*s"): enough to know
 * it again, and what lets "the string \"...\"" fit MPIFT_CFG_WORDS_MAX. */
#define MPIFT_CFG_QUOTE_MAX 200

/* The most text a configuration may be, its @include files spliced in:
 * a configuration is a few hundred bytes, refuse to slurp something huge. */
#define MPIFT_CFG_TEXT_MAX ((size_t)16 << 20)

/* @include levels, as libconfig allows (its MAX_INCLUDE_DEPTH). */
#define MPIFT_CFG_INCLUDE_DEPTH 10

/* ------------------------------------------------------------ the loader */

/* From line `at` of the spliced text on, line `line` of file `name` (NULL:
 * the main file): include.c's markers, read back. */
struct mpift_cfg_mark {
    int at, line;
    char *name;
};

/* A setting that a --set created, so its errors name the option, not a line. */
struct mpift_cfg_origin {
    config_setting_t *s;
    const char *arg;
    char key[MPIFT_CFG_KEY_MAX];
};

struct mpift_cfg_loader {
    const char *path;   /* as given, for messages */
    char *err;
    size_t errlen, used;
    int rc;             /* status of the first error reported */
    struct mpift_cfg_origin *orig;
    size_t norig;
    struct mpift_cfg_mark *marks;   /* include.c: where the text's lines come from */
    size_t nmarks, capmarks;        /* ... how many, and room for (util/grow.h) */
};

/* The configuration file's folder, absolute (load.c); NULL after saying why not. */
char *mpift_cfg_abs_dir(struct mpift_cfg_loader *L);

/* ------------------------------------------------------------ include.c */

/*
 * The text with every @include spliced in (files found in `dir`), marked
 * with the file and line each part comes from, into a new *out; false
 * after saying why (a missing file is named with the line including it).
 * A text without @include comes out as it went in.
 */
bool mpift_cfg_expand(struct mpift_cfg_loader *L, const char *dir, const char *text, char **out);

/* Read the markers of a spliced text into L; false when memory ran out. */
bool mpift_cfg_marks(struct mpift_cfg_loader *L, const char *text);

/* Line `line` of the spliced text as the file and line it comes from. */
void mpift_cfg_where(const struct mpift_cfg_loader *L, int line, const char **file, int *orig);

void mpift_cfg_free_marks(struct mpift_cfg_loader *L);

/* ------------------------------------------------------------ messages.c */

/* Add one line to the error text (cut to fit) / keep the first status. */
void mpift_cfg_append(struct mpift_cfg_loader *L, const char *line);
void mpift_cfg_status(struct mpift_cfg_loader *L, int rc);

/*
 * Report a problem with setting `s` (NULL: none to point at) named `key`
 * (NULL: the file as a whole): "FILE:LINE: KEY: cause", "FILE: KEY: cause"
 * without a line, or "--set ARG: cause" when the value came from the
 * command line.
 */
__attribute__((format(printf, 5, 6)))
void mpift_cfg_fail(struct mpift_cfg_loader *L, int rc, const config_setting_t *s, const char *key,
                    const char *fmt, ...);

/* A problem with a --set option itself (before it touched the tree). */
__attribute__((format(printf, 4, 5)))
void mpift_cfg_fail_set(struct mpift_cfg_loader *L, int rc, const char *arg, const char *fmt, ...);

/* "FILE: out of memory", MPIFT_ERR_NOMEM. */
void mpift_cfg_nomem(struct mpift_cfg_loader *L);

/* strdup, or NULL after reporting that memory ran out. */
char *mpift_cfg_strdup(struct mpift_cfg_loader *L, const char *s);

/* What a setting holds, for "expected X, got Y". */
void mpift_cfg_describe(const config_setting_t *s, char *buf, size_t len);

/* "prefix.name" into key, or "name" when prefix is NULL. */
void mpift_cfg_join_key(char *key, size_t len, const char *prefix, const char *name);

/* ------------------------------------------------------------ keys.c */

enum mpift_key_kind {
    MPIFT_KEY_INT, MPIFT_KEY_BOOL, MPIFT_KEY_STRING, MPIFT_KEY_SIZE, MPIFT_KEY_GROUP, MPIFT_KEY_LIST
};

/* A known key; tables of them end with a NULL name. */
struct mpift_keydef {
    const char *name;
    enum mpift_key_kind kind;
};

extern const struct mpift_keydef mpift_cfg_top_keys[];
extern const struct mpift_keydef mpift_cfg_entry_keys[];
extern const struct mpift_keydef mpift_cfg_group_names[];   /* the groups --set can reach into */

/* The spellings of the enums, in the order of their C enums; NULL-ended. */
extern const char *const mpift_cfg_cksum_names[];
extern const char *const mpift_cfg_compress_names[];
extern const char *const mpift_cfg_on_error_names[];
extern const char *const mpift_cfg_delta_names[];
extern const char *const mpift_cfg_policy_names[];
extern const char *const mpift_cfg_copies_names[];
extern const char *const mpift_cfg_to_names[];
extern const char *const mpift_cfg_shared_names[];

/* The keys of group `group` ("paths", "transfer", "workers", "cache"), or NULL. */
const struct mpift_keydef *mpift_cfg_group_keys(const char *group);
const struct mpift_keydef *mpift_cfg_find_key(const struct mpift_keydef *keys, const char *name);
/* "a, b, c" */
void mpift_cfg_list_keys(const struct mpift_keydef *keys, char *buf, size_t len);
/* The known key a typo most likely meant, or NULL when none is close. */
const char *mpift_cfg_closest_key(const struct mpift_keydef *keys, const char *name);

/*
 * Refuse every member of `grp` that `keys` does not know.  `prefix` names
 * the group in messages ("transfer", "stage_in[2]", NULL at the top) and
 * `what` says whose keys the hint lists.
 */
void mpift_cfg_check_unknown(struct mpift_cfg_loader *L, const config_setting_t *grp, const char *prefix,
                             const struct mpift_keydef *keys, const char *what);

bool mpift_cfg_is_int(const config_setting_t *s);

/*
 * The typed getters: each reads member `name` of `grp` (NULL: absent),
 * named prefix.name in messages, and reports a wrong type or value.
 * get_int and get_bool leave *out alone (the default) when the key is
 * absent or bad.  get_string returns the value (owned by libconfig) or NULL
 * when absent or not a string, with *sp the setting for later messages; a
 * missing required key is reported against the group, whose line is the
 * best hint of where to add it.  get_enum returns the index of the value
 * in `names`, or -1 when absent or bad.
 */
void mpift_cfg_get_int(struct mpift_cfg_loader *L, const config_setting_t *grp, const char *prefix,
                       const char *name, long long min, long long max, int *out);
void mpift_cfg_get_bool(struct mpift_cfg_loader *L, const config_setting_t *grp, const char *prefix,
                        const char *name, bool *out);
const char *mpift_cfg_get_string(struct mpift_cfg_loader *L, const config_setting_t *grp, const char *prefix,
                                 const char *name, bool required, const char *example, config_setting_t **sp);
int mpift_cfg_get_enum(struct mpift_cfg_loader *L, const config_setting_t *grp, const char *prefix,
                       const char *name, const char *const *names);
/* A size: an integer or a string mpift_parse_size reads ("4M"), min..max
 * bytes (`range` says so to the user: "use 4K..1G"); *out kept when absent
 * or bad. */
void mpift_cfg_get_size(struct mpift_cfg_loader *L, const config_setting_t *grp, const char *prefix,
                        const char *name, uint64_t min, uint64_t max, const char *range, uint64_t *out);

/* Member `name` of the root, which must be a group; reports the wrong type
 * and unknown keys.  NULL when absent or not a group. */
config_setting_t *mpift_cfg_get_group(struct mpift_cfg_loader *L, const config_setting_t *root, const char *name);

/* Check a path template's % sequences; true when fine. */
bool mpift_cfg_check_template(struct mpift_cfg_loader *L, const config_setting_t *s, const char *key,
                              const char *v);

/* ------------------------------------------------------------ the parts */

/* validate.c: the defaults, then every key of the tree into cfg. */
void mpift_cfg_defaults(struct mpift_config *cfg);
void mpift_cfg_validate(struct mpift_cfg_loader *L, config_setting_t *root, struct mpift_config *cfg);

/* entry_libs.c: an entry's libs, libs_system and extra_libs (prefix
 * "stage_in[2]"), and freeing the last. */
void mpift_cfg_load_libs(struct mpift_cfg_loader *L, const config_setting_t *e, const char *prefix,
                         struct mpift_entry *out);
void mpift_cfg_free_libs(struct mpift_entry *e);

/* entries.c: the list `name` (stage_in, stage_out) into *list, *n. */
void mpift_cfg_load_list(struct mpift_cfg_loader *L, const config_setting_t *root, const char *name,
                         struct mpift_entry **list, size_t *n);
void mpift_cfg_free_entries(struct mpift_entry *e, size_t n);

/* extract.c: an entry's `extract`, after its other keys (it refuses
 * recursive, stage_out, and a build without libarchive). */
void mpift_cfg_entry_extract(struct mpift_cfg_loader *L, const config_setting_t *e, const char *prefix,
                             struct mpift_entry *out);

/* sets.c: apply the nsets "KEY=VALUE" overrides to the tree. */
void mpift_cfg_apply_sets(struct mpift_cfg_loader *L, config_setting_t *root, const char *const *sets,
                          size_t nsets);

#endif
