/*
 * config.c - load and validate mpift's configuration (a libconfig file).
 *
 * libconfig stays inside this file: it parses the text into a tree, --set
 * overrides edit that tree, and validation walks it once, copying every value
 * into struct mpift_config.  Validation does not stop at the first problem: a
 * user fixing a file wants every mistake in one run, each on its own line as
 * "FILE:LINE: KEY: cause", and the status of the first one.
 *
 * Every key at every level is checked against the known ones, because a
 * misspelt key ("windw") would otherwise be silently ignored and its default
 * used - the worst kind of configuration bug.
 */
#include "mpift_autoconf.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libconfig.h>

#include "mpift/mpift.h"
#include "config/config.h"
#include "fs/fsafe.h"
#include "config/template.h"

/* A configuration is a few hundred bytes; refuse to slurp something huge. */
#define CONFIG_TEXT_MAX ((size_t)16 << 20)
#define KEY_MAX 128   /* "stage_out[123456].recursive" and the like */
#define CAUSE_MAX 1024

/* ------------------------------------------------------------------ schema */

enum kind { K_INT, K_BOOL, K_STRING, K_SIZE, K_GROUP, K_LIST };

struct keydef {
    const char *name;
    enum kind kind;
};

static const struct keydef top_keys[] = {
    {"version", K_INT}, {"paths", K_GROUP}, {"transfer", K_GROUP},
    {"workers", K_GROUP}, {"stage_in", K_LIST}, {"stage_out", K_LIST},
    {NULL, K_INT},
};
static const struct keydef paths_keys[] = {
    {"source", K_STRING}, {"dest", K_STRING}, {"collect", K_STRING}, {NULL, K_INT},
};
static const struct keydef transfer_keys[] = {
    {"chunk_size", K_SIZE}, {"window", K_INT}, {"checksum", K_STRING},
    {"retries", K_INT}, {"fsync", K_BOOL}, {"on_error", K_STRING}, {NULL, K_INT},
};
static const struct keydef workers_keys[] = {
    {"policy", K_STRING}, {"fanout", K_INT}, {"max_streams", K_INT},
    {"copies", K_STRING}, {NULL, K_INT},
};
static const struct keydef entry_keys[] = {
    {"src", K_STRING}, {"dest", K_STRING}, {"recursive", K_BOOL},
    {"preserve", K_BOOL}, {"to", K_STRING}, {NULL, K_INT},
};

/* The groups --set can reach into. */
static const struct keydef group_names[] = {
    {"paths", K_GROUP}, {"transfer", K_GROUP}, {"workers", K_GROUP}, {NULL, K_INT},
};

/* Enum spellings, in the order of their C enums. */
static const char *const cksum_names[] = {"xxh3", "none", NULL};
static const char *const on_error_names[] = {"continue", "abort", NULL};
static const char *const policy_names[] = {"direct", "pipeline", "tree", NULL};
static const char *const copies_names[] = {"per-node", "per-rank", "once", NULL};
static const char *const to_names[] = {"node", "rank", NULL};

static const struct keydef *group_keys(const char *group)
{
    if (strcmp(group, "paths") == 0)
        return paths_keys;
    if (strcmp(group, "transfer") == 0)
        return transfer_keys;
    if (strcmp(group, "workers") == 0)
        return workers_keys;
    return NULL;
}

static const struct keydef *find_key(const struct keydef *keys, const char *name)
{
    for (; keys->name; keys++)
        if (strcmp(keys->name, name) == 0)
            return keys;
    return NULL;
}

/* "a, b, c" */
static void list_keys(const struct keydef *keys, char *buf, size_t len)
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
    size_t la = strlen(a), lb = strlen(b), row[KEY_MAX + 1], i, j;

    if (la > KEY_MAX || lb > KEY_MAX)
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

/* The known key a typo most likely meant, or NULL when none is close. */
static const char *closest_key(const struct keydef *keys, const char *name)
{
    const char *best = NULL;
    size_t bestd = 3; /* up to two edits: "windw", "chunksize", "max_stream" */

    for (; keys->name; keys++) {
        size_t d = edit_distance(keys->name, name);
        if (d < bestd && d < strlen(keys->name)) {
            bestd = d;
            best = keys->name;
        }
    }
    return best;
}

/* ------------------------------------------------------------------ errors */

/* A setting that a --set created, so its errors name the option, not a line. */
struct origin {
    config_setting_t *s;
    const char *arg;
    char key[KEY_MAX];
};

struct loader {
    const char *path;   /* as given, for messages */
    char *err;
    size_t errlen, used;
    int rc;             /* status of the first error reported */
    struct origin *orig;
    size_t norig;
};

static void append_line(struct loader *L, const char *line)
{
    size_t n;

    if (!L->err || L->errlen == 0 || L->used + 1 >= L->errlen)
        return;
    if (L->used > 0) {
        L->err[L->used++] = '\n';
        L->err[L->used] = '\0';
        if (L->used + 1 >= L->errlen)
            return;
    }
    n = strlen(line);
    if (n > L->errlen - L->used - 1)
        n = L->errlen - L->used - 1;
    memcpy(L->err + L->used, line, n);
    L->used += n;
    L->err[L->used] = '\0';
}

static void note_status(struct loader *L, int rc)
{
    if (L->rc == MPIFT_OK)
        L->rc = rc;
}

static const char *set_origin(const struct loader *L, const config_setting_t *s)
{
    size_t i;

    for (i = 0; s && i < L->norig; i++)
        if (L->orig[i].s == s)
            return L->orig[i].arg;
    return NULL;
}

/*
 * Report a problem with setting `s` (NULL: none to point at) named `key`:
 * "FILE:LINE: KEY: cause", "FILE: KEY: cause" without a line, or
 * "--set ARG: cause" when the value came from the command line.
 */
__attribute__((format(printf, 5, 6)))
static void fail(struct loader *L, int rc, const config_setting_t *s, const char *key, const char *fmt, ...)
{
    char cause[CAUSE_MAX], line[CAUSE_MAX + PATH_MAX + 2 * KEY_MAX];
    const char *arg = set_origin(L, s);
    int lineno = s ? (int)config_setting_source_line(s) : 0;
    /* Settings from an @include'd file carry its name; the main text has none. */
    const char *file = s && config_setting_source_file(s) ? config_setting_source_file(s) : L->path;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(cause, sizeof(cause), fmt, ap);
    va_end(ap);
    if (arg)
        snprintf(line, sizeof(line), "--set %s: %s", arg, cause);
    else if (lineno > 0)
        snprintf(line, sizeof(line), "%s:%d: %s%s%s", file, lineno, key ? key : "", key ? ": " : "", cause);
    else
        snprintf(line, sizeof(line), "%s: %s%s%s", file, key ? key : "", key ? ": " : "", cause);
    append_line(L, line);
    note_status(L, rc);
}

/* A problem with a --set option itself (before it touched the tree). */
__attribute__((format(printf, 4, 5)))
static void fail_set(struct loader *L, int rc, const char *arg, const char *fmt, ...)
{
    char cause[CAUSE_MAX], line[CAUSE_MAX + PATH_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(cause, sizeof(cause), fmt, ap);
    va_end(ap);
    snprintf(line, sizeof(line), "--set %s: %s", arg, cause);
    append_line(L, line);
    note_status(L, rc);
}

static void nomem(struct loader *L)
{
    char line[PATH_MAX + 32];

    snprintf(line, sizeof(line), "%s: out of memory", L->path);
    append_line(L, line);
    note_status(L, MPIFT_ERR_NOMEM);
}

static bool is_int(const config_setting_t *s)
{
    int t = config_setting_type(s);
    return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64;
}

/* What a setting holds, for "expected X, got Y". */
static void describe(const config_setting_t *s, char *buf, size_t len)
{
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        snprintf(buf, len, "the integer %lld", config_setting_get_int64(s));
        break;
    case CONFIG_TYPE_FLOAT:
        snprintf(buf, len, "the number %g", config_setting_get_float(s));
        break;
    case CONFIG_TYPE_STRING:
        snprintf(buf, len, "the string \"%.200s\"", config_setting_get_string(s));
        break;
    case CONFIG_TYPE_BOOL:
        snprintf(buf, len, "the boolean %s", config_setting_get_bool(s) ? "true" : "false");
        break;
    case CONFIG_TYPE_ARRAY: snprintf(buf, len, "an array [ ... ]"); break;
    case CONFIG_TYPE_LIST: snprintf(buf, len, "a list ( ... )"); break;
    case CONFIG_TYPE_GROUP: snprintf(buf, len, "a group { ... }"); break;
    default: snprintf(buf, len, "no value"); break;
    }
}

/* "prefix.name"; a key too long for KEY_MAX is cut, which only shortens a message. */
static void join_key(char *key, size_t len, const char *prefix, const char *name)
{
    int n = prefix ? snprintf(key, len, "%s.%s", prefix, name) : snprintf(key, len, "%s", name);

    if (n < 0)
        key[0] = '\0';
}

/*
 * Refuse every member of `grp` that `keys` does not know.  `prefix` names
 * the group in messages ("transfer", "stage_in[2]", NULL at the top) and
 * `what` says whose keys the hint lists.
 */
static void check_unknown(struct loader *L, const config_setting_t *grp, const char *prefix,
                          const struct keydef *keys, const char *what)
{
    char key[KEY_MAX], known[256];
    int i, n = config_setting_length(grp);

    list_keys(keys, known, sizeof(known));
    for (i = 0; i < n; i++) {
        config_setting_t *m = config_setting_get_elem(grp, (unsigned)i);
        const char *name = m ? config_setting_name(m) : NULL;
        const char *guess;

        if (!name || find_key(keys, name))
            continue;
        join_key(key, sizeof(key), prefix, name);
        guess = closest_key(keys, name);
        if (guess)
            fail(L, MPIFT_ERR_CONFIG, m, key, "unknown key; did you mean %s? (%s: %s)", guess, what, known);
        else
            fail(L, MPIFT_ERR_CONFIG, m, key, "unknown key (%s: %s)", what, known);
    }
}

/* ------------------------------------------------------------------ getters */

/* Each getter leaves *out alone (the default) when the key is absent or bad. */

static void get_int(struct loader *L, const config_setting_t *grp, const char *prefix, const char *name,
                    long long min, long long max, int *out)
{
    config_setting_t *s = grp ? config_setting_get_member(grp, name) : NULL;
    char key[KEY_MAX], what[256];
    long long v;

    if (!s)
        return;
    join_key(key, sizeof(key), prefix, name);
    if (!is_int(s)) {
        describe(s, what, sizeof(what));
        fail(L, MPIFT_ERR_CONFIG, s, key, "expected an integer (%lld..%lld), got %s", min, max, what);
        return;
    }
    v = config_setting_get_int64(s);
    if (v < min || v > max) {
        fail(L, MPIFT_ERR_RANGE, s, key, "%lld is out of range; use %lld..%lld", v, min, max);
        return;
    }
    *out = (int)v;
}

static void get_bool(struct loader *L, const config_setting_t *grp, const char *prefix, const char *name,
                     bool *out)
{
    config_setting_t *s = grp ? config_setting_get_member(grp, name) : NULL;
    char key[KEY_MAX], what[256];

    if (!s)
        return;
    if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
        join_key(key, sizeof(key), prefix, name);
        describe(s, what, sizeof(what));
        fail(L, MPIFT_ERR_CONFIG, s, key, "expected true or false, got %s", what);
        return;
    }
    *out = config_setting_get_bool(s) != 0;
}

/*
 * A string key: returns its value (owned by libconfig) or NULL when absent
 * or not a string; *sp receives the setting for later messages.  A missing
 * required key is reported against the group, whose line is the best hint
 * of where to add it.
 */
static const char *get_string(struct loader *L, const config_setting_t *grp, const char *prefix,
                              const char *name, bool required, const char *example,
                              config_setting_t **sp)
{
    config_setting_t *s = grp ? config_setting_get_member(grp, name) : NULL;
    char key[KEY_MAX], what[256];

    *sp = s;
    join_key(key, sizeof(key), prefix, name);
    if (!s) {
        if (required)
            fail(L, MPIFT_ERR_CONFIG, grp, key, "required key missing (e.g. %s = %s;)", name, example);
        return NULL;
    }
    if (config_setting_type(s) != CONFIG_TYPE_STRING) {
        describe(s, what, sizeof(what));
        fail(L, MPIFT_ERR_CONFIG, s, key, "expected a string (e.g. %s = %s;), got %s", name, example, what);
        return NULL;
    }
    return config_setting_get_string(s);
}

/* An enum given as a string; returns its index, or -1 when absent or bad. */
static int get_enum(struct loader *L, const config_setting_t *grp, const char *prefix, const char *name,
                    const char *const *names)
{
    config_setting_t *s;
    char key[KEY_MAX], choices[256], example[64];
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
    v = get_string(L, grp, prefix, name, false, example, &s);
    if (!v)
        return -1;
    for (i = 0; names[i]; i++)
        if (strcmp(v, names[i]) == 0)
            return i;
    join_key(key, sizeof(key), prefix, name);
    fail(L, MPIFT_ERR_CONFIG, s, key, "\"%.200s\" is not one of %s", v, choices);
    return -1;
}

/* A member that must be a group; reports the wrong type and unknown keys. */
static config_setting_t *get_group(struct loader *L, const config_setting_t *root, const char *name)
{
    config_setting_t *s = config_setting_get_member(root, name);
    char what[256], hint[64];

    if (!s)
        return NULL;
    if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
        describe(s, what, sizeof(what));
        fail(L, MPIFT_ERR_CONFIG, s, name, "expected a group (%s: { key = value; ... };), got %s", name, what);
        return NULL;
    }
    snprintf(hint, sizeof(hint), "keys of %s", name);
    check_unknown(L, s, name, group_keys(name), hint);
    return s;
}

static char *dup_or_nomem(struct loader *L, const char *s)
{
    char *d = strdup(s);

    if (!d)
        nomem(L);
    return d;
}

/* Check a path template's % sequences; true when fine. */
static bool check_template(struct loader *L, const config_setting_t *s, const char *key, const char *v)
{
    char why[256];

    if (mpift_template_check(v, NULL, why, sizeof(why)) == MPIFT_OK)
        return true;
    fail(L, MPIFT_ERR_CONFIG, s, key, "%s", why);
    return false;
}

/* ------------------------------------------------------------------ paths */

/* A template that starts with %t expands to the job's temp dir: absolute. */
static bool abs_template(const char *v)
{
    return v[0] == '/' || strncmp(v, "%t", 2) == 0;
}

/*
 * The config file's folder, absolute and lexically tidied ("." and empty
 * components dropped).  Deliberately not realpath(): ranks other than 0 get
 * the text, not the file, and every rank must compute the same string.
 * ".." is kept, since collapsing it lexically is wrong across symlinks.
 */
static char *abs_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t dlen = slash ? (size_t)(slash - path) : 0;
    char cwd[PATH_MAX], *full, *out, *tok, *save = NULL;
    size_t used = 0;

    if (path[0] == '/') {
        full = strndup(path, dlen);
    } else {
        if (!getcwd(cwd, sizeof(cwd)))
            return NULL;
        full = malloc(strlen(cwd) + dlen + 2);
        if (full)
            sprintf(full, "%s/%.*s", cwd, (int)dlen, path);
    }
    if (!full)
        return NULL;
    out = malloc(strlen(full) + 2);
    if (!out) {
        free(full);
        return NULL;
    }
    for (tok = strtok_r(full, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
        if (strcmp(tok, ".") == 0)
            continue;
        used += (size_t)sprintf(out + used, "/%s", tok);
    }
    if (used == 0)
        strcpy(out, "/");
    free(full);
    return out;
}

/*
 * A path key of `paths` that stage code resolves against the config file's
 * folder when relative.  The folder is escaped ("%" -> "%%") because the
 * result is still a template, expanded later.
 */
static char *resolve_against(struct loader *L, const char *dir, const char *v)
{
    size_t n = 2 * strlen(dir) + strlen(v) + 2, used = 0;
    const char *p;
    char *r;

    if (abs_template(v))
        return dup_or_nomem(L, v);
    if (!(r = malloc(n))) {
        nomem(L);
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
static char *load_rank0_folder(struct loader *L, const config_setting_t *grp, const char *dir,
                               const char *name, bool required, const char *example, const char *purpose)
{
    config_setting_t *s;
    char key[32];
    const char *v;

    snprintf(key, sizeof(key), "paths.%s", name);
    v = get_string(L, grp, "paths", name, required, example, &s);
    if (v && *v == '\0')
        fail(L, MPIFT_ERR_CONFIG, s, key, "empty; name the folder %s "
             "(relative to the configuration file's folder, or absolute)", purpose);
    else if (v && check_template(L, s, key, v))
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

static void load_paths(struct loader *L, const config_setting_t *root, struct mpift_config *cfg)
{
    config_setting_t *grp = get_group(L, root, "paths"), *s;
    const char *v;

    /* Without the group both required keys are missing: say so for each. */
    cfg->source = load_rank0_folder(L, grp, cfg->dir, "source", true, "\"data\"", "stage-in reads");

    v = get_string(L, grp, "paths", "dest", true, "\"/tmp/mpift/%j\"", &s);
    if (v && !abs_template(v))
        fail(L, MPIFT_ERR_CONFIG, s, "paths.dest", "\"%.200s\" is not absolute; the node-local root "
             "must start with / or with %%t (the job's temp dir)", v);
    else if (v && has_dotdot(v))
        /* Every rank writes below it: it must say plainly where that is. */
        fail(L, MPIFT_ERR_CONFIG, s, "paths.dest", "\"%.200s\" has a \"..\" component; write the folder "
             "it means without it", v);
    else if (v && check_template(L, s, "paths.dest", v))
        cfg->dest = dup_or_nomem(L, v);

    /* collect is only needed by stage-out and get: absent leaves it NULL. */
    cfg->collect = load_rank0_folder(L, grp, cfg->dir, "collect", false, "\"results\"", "stage-out gathers into");
}

/* ------------------------------------------------------------------ transfer */

static void load_chunk_size(struct loader *L, const config_setting_t *grp, struct mpift_config *cfg)
{
    config_setting_t *s = grp ? config_setting_get_member(grp, "chunk_size") : NULL;
    const char *key = "transfer.chunk_size", *range = "use 4K..1G (4096..1073741824 bytes)";
    char what[256];
    uint64_t v;
    int rc;

    if (!s)
        return;
    if (is_int(s)) {
        long long n = config_setting_get_int64(s);
        if (n < (long long)MPIFT_CHUNK_MIN || (uint64_t)n > MPIFT_CHUNK_MAX) {
            fail(L, MPIFT_ERR_RANGE, s, key, "%lld is out of range; %s", n, range);
            return;
        }
        cfg->chunk_size = (uint64_t)n;
    } else if (config_setting_type(s) == CONFIG_TYPE_STRING) {
        const char *str = config_setting_get_string(s);
        rc = mpift_parse_size(str, &v);
        if (rc == MPIFT_ERR_CONFIG) {
            fail(L, rc, s, key, "\"%.200s\" is not a size; write a number of bytes with an optional "
                 "K, M, G or T suffix (powers of 1024), e.g. \"4M\"", str);
            return;
        }
        if (rc != MPIFT_OK || v < MPIFT_CHUNK_MIN || v > MPIFT_CHUNK_MAX) {
            fail(L, MPIFT_ERR_RANGE, s, key, "\"%.200s\" is out of range; %s", str, range);
            return;
        }
        cfg->chunk_size = v;
    } else {
        describe(s, what, sizeof(what));
        fail(L, MPIFT_ERR_CONFIG, s, key, "expected a size such as \"4M\" or 4194304, got %s", what);
    }
}

static void load_transfer(struct loader *L, const config_setting_t *root, struct mpift_config *cfg)
{
    config_setting_t *grp = get_group(L, root, "transfer");
    int i;

    if (!grp)
        return;
    load_chunk_size(L, grp, cfg);
    get_int(L, grp, "transfer", "window", 1, MPIFT_WINDOW_MAX, &cfg->window);
    if ((i = get_enum(L, grp, "transfer", "checksum", cksum_names)) >= 0)
        cfg->checksum = (enum mpift_cksum)i;
    if ((i = get_enum(L, grp, "transfer", "on_error", on_error_names)) >= 0)
        cfg->abort_on_error = i == 1;
    get_int(L, grp, "transfer", "retries", 0, MPIFT_RETRIES_MAX, &cfg->retries);
    get_bool(L, grp, "transfer", "fsync", &cfg->fsync);
}

/* ------------------------------------------------------------------ workers */

static void load_workers(struct loader *L, const config_setting_t *root, struct mpift_config *cfg)
{
    config_setting_t *grp = get_group(L, root, "workers");
    int i;

    if (!grp)
        return;
    if ((i = get_enum(L, grp, "workers", "policy", policy_names)) >= 0)
        cfg->policy = (enum mpift_policy)i;
    get_int(L, grp, "workers", "fanout", 2, MPIFT_FANOUT_MAX, &cfg->fanout);
    get_int(L, grp, "workers", "max_streams", 1, MPIFT_STREAMS_MAX, &cfg->max_streams);
    if ((i = get_enum(L, grp, "workers", "copies", copies_names)) >= 0)
        cfg->copies = (enum mpift_copies)i;
}

/* ------------------------------------------------------------------ stage lists */

/* src or dest of an entry: a template, and a path that stays below its root. */
static char *entry_path(struct loader *L, const config_setting_t *s, const char *key, const char *v)
{
    char why[PATH_MAX + 128];

    if (!check_template(L, s, key, v))
        return NULL;
    /* Escapes are configuration errors here (exit 2, nothing moved), not
     * the run-time MPIFT_ERR_ESCAPE of a path found during staging. */
    if (mpift_path_check_rel(v, why, sizeof(why)) != MPIFT_OK) {
        fail(L, MPIFT_ERR_CONFIG, s, key, "%s", why);
        return NULL;
    }
    return dup_or_nomem(L, v);
}

static void load_entry(struct loader *L, const config_setting_t *e, const char *prefix, struct mpift_entry *out)
{
    config_setting_t *s;
    char key[KEY_MAX];
    const char *v;
    int i;

    out->line = (int)config_setting_source_line(e);
    check_unknown(L, e, prefix, entry_keys, "keys of an entry");

    join_key(key, sizeof(key), prefix, "src");
    v = get_string(L, e, prefix, "src", true, "\"inputs/*.dat\"", &s);
    if (v && *v == '\0')
        fail(L, MPIFT_ERR_CONFIG, s, key, "empty; name a file, a glob or a folder (\"ref/\" for its contents)");
    else if (v)
        out->src = entry_path(L, s, key, v);

    join_key(key, sizeof(key), prefix, "dest");
    v = get_string(L, e, prefix, "dest", false, "\"inputs/\"", &s);
    if (v)
        out->dest = entry_path(L, s, key, v);
    else if (!s)
        out->dest = dup_or_nomem(L, ""); /* the dest root itself */

    get_bool(L, e, prefix, "recursive", &out->recursive);
    get_bool(L, e, prefix, "preserve", &out->preserve);
    if ((i = get_enum(L, e, prefix, "to", to_names)) >= 0)
        out->to = (enum mpift_to)i;
}

static void load_list(struct loader *L, const config_setting_t *root, const char *name,
                      struct mpift_entry **list, size_t *n)
{
    config_setting_t *s = config_setting_get_member(root, name);
    char what[256], prefix[KEY_MAX];
    int i, len, t;

    if (!s)
        return;
    t = config_setting_type(s);
    /* An empty list is "()" but an empty array "[]" reads the same to people. */
    if (t != CONFIG_TYPE_LIST && t != CONFIG_TYPE_ARRAY) {
        describe(s, what, sizeof(what));
        fail(L, MPIFT_ERR_CONFIG, s, name, "expected a list (%s = ( { src = \"...\"; dest = \"...\"; }, ... );), got %s",
             name, what);
        return;
    }
    len = config_setting_length(s);
    if (len <= 0)
        return;
    if (!(*list = calloc((size_t)len, sizeof(**list)))) {
        nomem(L);
        return;
    }
    *n = (size_t)len;
    for (i = 0; i < len; i++) {
        config_setting_t *e = config_setting_get_elem(s, (unsigned)i);

        snprintf(prefix, sizeof(prefix), "%s[%d]", name, i);
        if (!e)
            continue;
        if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
            describe(e, what, sizeof(what));
            fail(L, MPIFT_ERR_CONFIG, e, prefix, "expected an entry { src = \"...\"; dest = \"...\"; }, got %s", what);
            continue;
        }
        load_entry(L, e, prefix, &(*list)[i]);
    }
}

/* ------------------------------------------------------------------ --set */

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

static void record_origin(struct loader *L, const char *key, config_setting_t *s, const char *arg)
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

/*
 * Apply one "KEY=VALUE".  Only keys this file knows are accepted, so a typo
 * on the command line is as loud as one in the file.  VALUE is typed by the
 * key: a string key always gets a string; true/false become a boolean and
 * integers an integer where those are expected; anything else becomes a
 * string, so a wrong value meets the same validation as in the file.
 */
static void apply_set(struct loader *L, config_setting_t *root, const char *arg)
{
    const char *eq = strchr(arg, '='), *value, *gname = NULL, *name, *guess;
    const struct keydef *keys = top_keys, *def;
    config_setting_t *parent = root, *s;
    char key[KEY_MAX], full[KEY_MAX], known[256], *dot, *str = NULL;
    size_t klen, vlen;
    long long n = 0;
    bool overflow = false;
    int type;

    if (!eq || eq == arg) {
        fail_set(L, MPIFT_ERR_USAGE, arg, "expected KEY=VALUE, e.g. --set transfer.chunk_size=8M");
        return;
    }
    klen = (size_t)(eq - arg);
    value = eq + 1;
    if (klen >= sizeof(key)) {
        fail_set(L, MPIFT_ERR_CONFIG, arg, "unknown key (too long)");
        return;
    }
    memcpy(key, arg, klen);
    key[klen] = '\0';
    snprintf(full, sizeof(full), "%s", key);
    if (strchr(key, '[')) {
        fail_set(L, MPIFT_ERR_USAGE, arg, "list entries cannot be set from the command line; "
                 "edit stage_in / stage_out in the configuration file");
        return;
    }
    name = key;
    if ((dot = strchr(key, '.'))) {
        *dot = '\0';
        gname = key;
        name = dot + 1;
        keys = group_keys(gname);
        if (!keys) {
            guess = closest_key(group_names, gname);
            if (guess)
                fail_set(L, MPIFT_ERR_CONFIG, arg, "unknown key %s; did you mean %s.%s? (groups: paths, "
                         "transfer, workers)", full, guess, name);
            else
                fail_set(L, MPIFT_ERR_CONFIG, arg, "unknown key %s (groups: paths, transfer, workers)", full);
            return;
        }
        if (strchr(name, '.')) {
            fail_set(L, MPIFT_ERR_CONFIG, arg, "unknown key %s (groups hold keys, not groups)", full);
            return;
        }
    }
    if (!(def = find_key(keys, name))) {
        const struct keydef *g;

        list_keys(keys, known, sizeof(known));
        guess = closest_key(keys, name);
        /* "--set window=8": the key exists, in a group the user left out. */
        for (g = group_names; !gname && !guess && g->name; g++)
            if (find_key(group_keys(g->name), name)) {
                fail_set(L, MPIFT_ERR_CONFIG, arg, "unknown key %s; did you mean %s.%s?", full, g->name, name);
                return;
            }
        if (guess)
            fail_set(L, MPIFT_ERR_CONFIG, arg, "unknown key %s; did you mean %s%s%s? (keys%s%s: %s)", full,
                     gname ? gname : "", gname ? "." : "", guess, gname ? " of " : "", gname ? gname : "", known);
        else
            fail_set(L, MPIFT_ERR_CONFIG, arg, "unknown key %s (keys%s%s: %s)", full,
                     gname ? " of " : "", gname ? gname : "", known);
        return;
    }
    if (def->kind == K_GROUP) {
        list_keys(group_keys(name), known, sizeof(known));
        fail_set(L, MPIFT_ERR_USAGE, arg, "%s is a group; set one of its keys (%s), e.g. --set %s.%s=...", name,
                 known, name, group_keys(name)->name);
        return;
    }
    if (def->kind == K_LIST) {
        fail_set(L, MPIFT_ERR_USAGE, arg, "%s is a list; edit it in the configuration file", name);
        return;
    }

    if (gname) {
        parent = config_setting_get_member(root, gname);
        if (!parent) {
            if (!(parent = config_setting_add(root, gname, CONFIG_TYPE_GROUP))) {
                nomem(L);
                return;
            }
        } else if (config_setting_type(parent) != CONFIG_TYPE_GROUP) {
            fail_set(L, MPIFT_ERR_CONFIG, arg, "%s is not a group in %s (line %d); fix the file first", gname,
                     L->path, (int)config_setting_source_line(parent));
            return;
        }
    }

    /* Type the value. */
    vlen = strlen(value);
    if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
        type = CONFIG_TYPE_STRING;
        if (!(str = strndup(value + 1, vlen - 2))) {
            nomem(L);
            return;
        }
    } else if (def->kind == K_BOOL && (strcasecmp(value, "true") == 0 || strcasecmp(value, "false") == 0)) {
        type = CONFIG_TYPE_BOOL;
    } else if ((def->kind == K_INT || def->kind == K_SIZE) && parse_integer(value, &n, &overflow) &&
               !(overflow && def->kind == K_SIZE)) {
        /* An oversized size stays a string: mpift_parse_size says "too large". */
        if (overflow) {
            fail_set(L, MPIFT_ERR_RANGE, arg, "%s does not fit in 64 bits", value);
            return;
        }
        type = CONFIG_TYPE_INT64;
    } else {
        type = CONFIG_TYPE_STRING;
    }

    if (config_setting_get_member(parent, name))
        config_setting_remove(parent, name);
    s = config_setting_add(parent, name, type);
    if (!s) {
        free(str);
        nomem(L);
        return;
    }
    switch (type) {
    case CONFIG_TYPE_BOOL: config_setting_set_bool(s, strcasecmp(value, "true") == 0); break;
    case CONFIG_TYPE_INT64: config_setting_set_int64(s, n); break;
    default:
        if (config_setting_set_string(s, str ? str : value) != CONFIG_TRUE)
            nomem(L);
        break;
    }
    free(str);
    record_origin(L, full, s, arg);
}

/* ------------------------------------------------------------------ load */

/* Read a whole file; works on pipes too (no seeking). */
int mpift_config_read(const char *path, char **text, size_t *lenp)
{
    FILE *f = fopen(path, "rb");
    size_t cap = 0, len = 0, n;
    char *buf = NULL, *nb;
    int rc = MPIFT_ERR_IO;

    if (!f)
        return MPIFT_ERR_IO;
    for (;;) {
        if (cap - len < 4096 + 1) {
            cap = cap ? cap * 2 : 8192;
            if (cap > CONFIG_TEXT_MAX + 8192) {
                errno = EFBIG;
                goto out;
            }
            if (!(nb = realloc(buf, cap))) {
                rc = MPIFT_ERR_NOMEM;
                goto out;
            }
            buf = nb;
        }
        n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0) {
            if (ferror(f))
                goto out; /* errno from the failed read, e.g. EISDIR */
            break;
        }
    }
    buf[len] = '\0';
    *text = buf;
    if (lenp)
        *lenp = len;
    buf = NULL;
    rc = MPIFT_OK;
out:
    free(buf);
    fclose(f);
    return rc;
}

static void validate(struct loader *L, config_setting_t *root, struct mpift_config *cfg)
{
    config_setting_t *s;
    char what[256];

    check_unknown(L, root, NULL, top_keys, "top-level keys");

    /* version is required: a file of another version may mean other keys. */
    s = config_setting_get_member(root, "version");
    if (!s) {
        fail(L, MPIFT_ERR_CONFIG, NULL, "version", "required key missing (start the file with version = 1;)");
    } else if (!is_int(s)) {
        describe(s, what, sizeof(what));
        fail(L, MPIFT_ERR_CONFIG, s, "version", "expected the integer 1 (version = 1;), got %s", what);
    } else if (config_setting_get_int64(s) != 1) {
        fail(L, MPIFT_ERR_RANGE, s, "version", "%lld is not supported; this mpift reads version = 1",
             config_setting_get_int64(s));
    }
    load_paths(L, root, cfg);
    load_transfer(L, root, cfg);
    load_workers(L, root, cfg);
    /* Measured on 200 Mbit/s links (conf/stage.cfg): a tree's relays send
     * to several children and take from several parents, and more than
     * about 1 MiB in flight per stream only queues up on those links (64
     * MiB onto 4 nodes: ratio 1.05 with 4 chunks, 1.33 with 32).  A chain
     * gains from a deeper window where links are fast (1 GiB onto 3 local
     * nodes: 2.8 s with 32, 3.1 s with 4). */
    if (cfg->window == 0)
        cfg->window = cfg->policy == MPIFT_POLICY_TREE ? 4 : 32;
    load_list(L, root, "stage_in", &cfg->in, &cfg->n_in);
    load_list(L, root, "stage_out", &cfg->out, &cfg->n_out);
}

int mpift_config_load(const char *path, const char *text, const char *const *sets, size_t nsets,
                      struct mpift_config **out, char *err, size_t errlen)
{
    struct loader L = { .path = path ? path : "(configuration)", .err = err, .errlen = errlen };
    struct mpift_config *cfg = NULL;
    char *buf = NULL, line[PATH_MAX + 256];
    config_t lc;
    size_t i;

    if (err && errlen)
        err[0] = '\0';
    if (out)
        *out = NULL;
    config_init(&lc);
    if (!out || (!path && !text)) {
        append_line(&L, "mpift_config_load: no configuration given");
        note_status(&L, MPIFT_ERR_USAGE);
        goto out;
    }

    if (!(cfg = calloc(1, sizeof(*cfg)))) {
        nomem(&L);
        goto out;
    }
    /* Defaults: the values of the commented example in the spec. */
    cfg->version = 1;
    cfg->chunk_size = (uint64_t)256 << 10;  /* see conf/stage.cfg for why */
    cfg->window = 0;   /* unset: chosen by policy in validate() */
    cfg->checksum = MPIFT_CKSUM_XXH3;
    cfg->retries = 2;
    cfg->fsync = false;
    cfg->policy = MPIFT_POLICY_PIPELINE;
    cfg->fanout = 2;
    cfg->max_streams = 4;
    cfg->copies = MPIFT_COPIES_PER_NODE;

    if (!(cfg->file = strdup(L.path))) {
        nomem(&L);
        goto out;
    }
    if (!(cfg->dir = abs_dir(L.path))) {
        snprintf(line, sizeof(line), "%s: cannot tell the configuration's folder: %s", L.path, strerror(errno));
        append_line(&L, line);
        note_status(&L, errno == ENOMEM ? MPIFT_ERR_NOMEM : MPIFT_ERR_IO);
        goto out;
    }

    if (!text) {
        int rc = mpift_config_read(L.path, &buf, NULL);
        if (rc != MPIFT_OK) {
            snprintf(line, sizeof(line), "%s: %s", L.path, rc == MPIFT_ERR_NOMEM ? "out of memory" : strerror(errno));
            append_line(&L, line);
            note_status(&L, rc);
            goto out;
        }
        text = buf;
    }

    /* @include "x.cfg" resolves beside the file, as config_read_file would. */
    config_set_include_dir(&lc, cfg->dir);
    if (config_read_string(&lc, text) != CONFIG_TRUE) {
        int ln = config_error_line(&lc);
        const char *why = config_error_text(&lc);
        /* Set only when the error is in an @include'd file. */
        const char *where = config_error_file(&lc) ? config_error_file(&lc) : L.path;
        const char *hint = "";
        char at[32] = "";

        if (!why)
            why = "syntax error";
        if (strcmp(why, "syntax error") == 0)
            hint = " (look at this line and the one before: a missing ';', '}', ')' or '\"' is the usual cause)";
        if (ln > 0)
            snprintf(at, sizeof(at), ":%d", ln);
        snprintf(line, sizeof(line), "%s%s: %s%s", where, at, why, hint);
        append_line(&L, line);
        note_status(&L, MPIFT_ERR_CONFIG);
        goto out;
    }

    if (nsets > 0) {
        if (!(L.orig = calloc(nsets, sizeof(*L.orig)))) {
            nomem(&L);
            goto out;
        }
        for (i = 0; i < nsets; i++)
            apply_set(&L, config_root_setting(&lc), sets && sets[i] ? sets[i] : "");
        /* Validating a tree that is not what was asked for would only add noise. */
        if (L.rc != MPIFT_OK)
            goto out;
    }

    validate(&L, config_root_setting(&lc), cfg);
    if (L.rc == MPIFT_OK) {
        *out = cfg;
        cfg = NULL;
    }
out:
    config_destroy(&lc);
    free(L.orig);
    free(buf);
    mpift_config_free(&cfg);
    return L.rc;
}

static void free_entries(struct mpift_entry *e, size_t n)
{
    size_t i;

    for (i = 0; e && i < n; i++) {
        free(e[i].src);
        free(e[i].dest);
    }
    free(e);
}

void mpift_config_free(struct mpift_config **cfg)
{
    struct mpift_config *c;

    if (!cfg || !*cfg)
        return;
    c = *cfg;
    free(c->file);
    free(c->dir);
    free(c->source);
    free(c->dest);
    free(c->collect);
    free_entries(c->in, c->n_in);
    free_entries(c->out, c->n_out);
    free(c);
    *cfg = NULL;
}
