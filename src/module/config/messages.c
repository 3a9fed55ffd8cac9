/*
 * messages.c - the configuration loader's error text.
 *
 * Validation does not stop at the first problem: a user fixing a file
 * wants every mistake in one run, each on its own line as
 * "FILE:LINE: KEY: cause" (or "--set KEY=VALUE: cause" for a value from the
 * command line), and the status of the first one.  Every line goes through
 * here, so they all read alike and the caller's buffer is never overrun.
 */
#include "mpift_autoconf.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpift/mpift.h"
#include "util/log.h"
#include "config/loader.h"

/*
 * A line is a message for users (MPIFT_WHY_MAX); its cause is cut shorter,
 * by room for the file's name and the key, so that a long cause (one that
 * quotes a path) never pushes out the file and key that say where to look.
 */
#define CAUSE_MAX (MPIFT_WHY_MAX - PATH_MAX - 2 * MPIFT_CFG_KEY_MAX)

void mpift_cfg_append(struct mpift_cfg_loader *L, const char *line)
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

void mpift_cfg_status(struct mpift_cfg_loader *L, int rc)
{
    if (L->rc == MPIFT_OK)
        L->rc = rc;
}

/* The --set that created setting s, or NULL when it comes from the file. */
static const char *set_origin(const struct mpift_cfg_loader *L, const config_setting_t *s)
{
    size_t i;

    for (i = 0; s && i < L->norig; i++)
        if (L->orig[i].s == s)
            return L->orig[i].arg;
    return NULL;
}

/* One line: "--set ARG: cause" when arg is given, else against setting s. */
__attribute__((format(printf, 6, 0)))
static void report(struct mpift_cfg_loader *L, int rc, const char *arg, const config_setting_t *s, const char *key,
                   const char *fmt, va_list ap)
{
    char cause[CAUSE_MAX], line[MPIFT_WHY_MAX];
    const char *file;
    int lineno;

    /* The line in the spliced text, as the file it came from (include.c). */
    mpift_cfg_where(L, s ? (int)config_setting_source_line(s) : 0, &file, &lineno);
    vsnprintf(cause, sizeof(cause), fmt, ap);
    if (arg)
        snprintf(line, sizeof(line), "--set %s: %s", arg, cause);
    else if (lineno > 0)
        snprintf(line, sizeof(line), "%s:%d: %s%s%s", file, lineno, key ? key : "", key ? ": " : "", cause);
    else
        snprintf(line, sizeof(line), "%s: %s%s%s", file, key ? key : "", key ? ": " : "", cause);
    mpift_cfg_append(L, line);
    mpift_cfg_status(L, rc);
}

void mpift_cfg_fail(struct mpift_cfg_loader *L, int rc, const config_setting_t *s, const char *key,
                    const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    report(L, rc, set_origin(L, s), s, key, fmt, ap);
    va_end(ap);
}

void mpift_cfg_fail_set(struct mpift_cfg_loader *L, int rc, const char *arg, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    report(L, rc, arg, NULL, NULL, fmt, ap);
    va_end(ap);
}

void mpift_cfg_nomem(struct mpift_cfg_loader *L)
{
    mpift_cfg_fail(L, MPIFT_ERR_NOMEM, NULL, NULL, "out of memory");
}

char *mpift_cfg_strdup(struct mpift_cfg_loader *L, const char *s)
{
    char *d = strdup(s);

    if (!d)
        mpift_cfg_nomem(L);
    return d;
}

void mpift_cfg_describe(const config_setting_t *s, char *buf, size_t len)
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
        snprintf(buf, len, "the string \"%.*s\"", MPIFT_CFG_QUOTE_MAX, config_setting_get_string(s));
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

void mpift_cfg_join_key(char *key, size_t len, const char *prefix, const char *name)
{
    int n = prefix ? snprintf(key, len, "%s.%s", prefix, name) : snprintf(key, len, "%s", name);

    if (n < 0)
        key[0] = '\0';
}
