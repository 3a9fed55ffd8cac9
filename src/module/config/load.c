/*
 * load.c - mpift_config_load and its kin: read the file, splice its
 * @includes in (include.c), let libconfig parse it, apply the --set
 * overrides, validate, and hand back a struct mpift_config or every
 * problem found.
 *
 * libconfig stays inside config/: it parses the text into a tree, --set
 * overrides (sets.c) edit that tree, and validation (validate.c,
 * entries.c) walks it once, copying every value into struct mpift_config,
 * which is all the rest of the module sees.
 */
#include "mpift_autoconf.h"

#include <errno.h>
#include <stddef.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libconfig.h>

#include "mpift/mpift.h"
#include "util/grow.h"
#include "util/log.h"
#include "config/loader.h"

/* The least room each read of mpift_config_read gets; the buffer starts at
 * twice that and doubles. */
#define READ_MIN 4096

/* Read a whole file; works on pipes too (no seeking). */
int mpift_config_read(const char *path, char **text, size_t *lenp)
{
    FILE *f = fopen(path, "rb");
    size_t cap = 0, len = 0, n;
    char *buf = NULL;
    int rc = MPIFT_ERR_IO;

    if (!f)
        return MPIFT_ERR_IO;
    for (;;) {
        if (cap - len < READ_MIN + 1) {
            if (cap * 2 > MPIFT_CFG_TEXT_MAX + 2 * READ_MIN) {
                errno = EFBIG;
                goto out;
            }
            if (mpift_grow(&buf, &cap, len + READ_MIN + 1, 1, 2 * READ_MIN) != MPIFT_OK) {
                rc = MPIFT_ERR_NOMEM;
                goto out;
            }
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

char *mpift_cfg_abs_dir(struct mpift_cfg_loader *L)
{
    char *dir = abs_dir(L->path);
    int en = errno;

    if (!dir)
        mpift_cfg_fail(L, en == ENOMEM ? MPIFT_ERR_NOMEM : MPIFT_ERR_IO, NULL, NULL,
                       "cannot tell the configuration's folder: %s", strerror(en));
    return dir;
}

/* A new config with the defaults, its file's name and folder; NULL after
 * saying why not. */
static struct mpift_config *new_config(struct mpift_cfg_loader *L)
{
    struct mpift_config *cfg = calloc(1, sizeof(*cfg));

    if (!cfg) {
        mpift_cfg_nomem(L);
        return NULL;
    }
    mpift_cfg_defaults(cfg);
    if (!(cfg->file = strdup(L->path))) {
        mpift_cfg_nomem(L);
        goto fail;
    }
    if (!(cfg->dir = mpift_cfg_abs_dir(L)))
        goto fail;
    return cfg;
fail:
    mpift_config_free(&cfg);
    return NULL;
}

/*
 * Parse the spliced text into lc; false after reporting "FILE:LINE: cause",
 * FILE being the @include'd file the error is in, if any.
 */
static bool parse(struct mpift_cfg_loader *L, config_t *lc, const char *text)
{
    char line[MPIFT_WHY_MAX], at[sizeof(":") + 3 * sizeof(int)] = "";
    const char *why, *where, *hint = "";
    int ln;

    /* Every @include is spliced in already: libconfig must never open a
     * file itself, on whichever rank it runs.  Below /dev/null nothing can
     * be opened, so an @include left over (none should be) fails alike on
     * every rank. */
    config_set_include_dir(lc, "/dev/null");
    if (config_read_string(lc, text) == CONFIG_TRUE)
        return true;
    why = config_error_text(lc) ? config_error_text(lc) : "syntax error";
    mpift_cfg_where(L, config_error_line(lc), &where, &ln);
    if (strcmp(why, "syntax error") == 0)
        hint = " (look at this line and the one before: a missing ';', '}', ')' or '\"' is the usual cause)";
    if (ln > 0)
        snprintf(at, sizeof(at), ":%d", ln);
    snprintf(line, sizeof(line), "%s%s: %s%s", where, at, why, hint);
    mpift_cfg_append(L, line);
    mpift_cfg_status(L, MPIFT_ERR_CONFIG);
    return false;
}

int mpift_config_load(const char *path, const char *text, const char *const *sets, size_t nsets,
                      struct mpift_config **out, char *why, size_t whylen)
{
    struct mpift_cfg_loader L = { .path = path ? path : "(configuration)", .err = why, .errlen = whylen };
    struct mpift_config *cfg = NULL;
    char *buf = NULL, *spliced = NULL;
    config_t lc;
    int rc;

    if (why && whylen)
        why[0] = '\0';
    if (out)
        *out = NULL;
    config_init(&lc);
    if (!out || (!path && !text)) {
        mpift_cfg_append(&L, "mpift_config_load: no configuration given");
        mpift_cfg_status(&L, MPIFT_ERR_USAGE);
        goto out;
    }
    if (!(cfg = new_config(&L)))
        goto out;
    if (!text) {
        if ((rc = mpift_config_read(L.path, &buf, NULL)) != MPIFT_OK) {
            mpift_cfg_fail(&L, rc, NULL, NULL, "%s", rc == MPIFT_ERR_NOMEM ? "out of memory" : strerror(errno));
            goto out;
        }
        text = buf;
    }
    if (!mpift_cfg_expand(&L, cfg->dir, text, &spliced) || !mpift_cfg_marks(&L, spliced) ||
        !parse(&L, &lc, spliced))
        goto out;
    mpift_cfg_apply_sets(&L, config_root_setting(&lc), sets, nsets);
    /* Validating a tree that is not what was asked for would only add noise. */
    if (L.rc != MPIFT_OK)
        goto out;
    mpift_cfg_validate(&L, config_root_setting(&lc), cfg);
    if (L.rc == MPIFT_OK) {
        *out = cfg;
        cfg = NULL;
    }
out:
    config_destroy(&lc);
    free(L.orig);
    mpift_cfg_free_marks(&L);
    free(spliced);
    free(buf);
    mpift_config_free(&cfg);
    return L.rc;
}

const char *mpift_config_text(const struct mpift_options *opts)
{
    /* A caller compiled before the field existed passes a shorter struct. */
    if (!opts || opts->size < offsetof(struct mpift_options, config_text) + sizeof(opts->config_text))
        return NULL;
    return opts->config_text;
}

int mpift_config_refused(const struct mpift_options *opts)
{
    if (!opts || opts->size < offsetof(struct mpift_options, refused) + sizeof(opts->refused))
        return 0;
    return opts->refused != 0;
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
    free(c->cache_dir);
    mpift_cfg_free_entries(c->in, c->n_in);
    mpift_cfg_free_entries(c->out, c->n_out);
    free(c);
    *cfg = NULL;
}
