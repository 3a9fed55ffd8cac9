/*
 * libset.c - the programs' sets of libraries on the wire (see libset.h).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpift/mpift.h"
#include "wire/cursor.h"
#include "wire/libset.h"

/* The smallest set: two counts, two strings of one byte. */
#define SET_MIN (4 + 4 + 2 * (4 + 1))
/* The smallest string. */
#define STR_MIN (4 + 1)

static void put_str(struct mpift_wcur *w, const char *s, int *bad)
{
    size_t n = strlen(s);

    if (n == 0 || n >= PATH_MAX)
        *bad = 1;
    mpift_wput_str(w, s, n);
}

static void put(const struct mpift_libs *libs, struct mpift_wcur *w, int *bad)
{
    size_t i, k;

    if (libs->n > UINT32_MAX)
        *bad = 1;
    mpift_wput_u32(w, (uint32_t)libs->n);
    for (i = 0; i < libs->n; i++) {
        const struct mpift_libs_set *s = &libs->s[i];
        if (s->nfiles > UINT32_MAX || s->nlinks > UINT32_MAX || s->nlinks % 2)
            *bad = 1;
        mpift_wput_u32(w, (uint32_t)s->nfiles);
        mpift_wput_u32(w, (uint32_t)s->nlinks);
        put_str(w, s->program, bad);
        put_str(w, s->folder, bad);
        for (k = 0; k < s->nfiles; k++)
            put_str(w, s->files[k], bad);
        for (k = 0; k < s->nlinks; k++)
            put_str(w, s->links[k], bad);
    }
}

int mpift_wlibs_encode(const struct mpift_libs *libs, unsigned char **out, size_t *len)
{
    struct mpift_wcur w;
    int bad = 0, rc;

    *out = NULL;
    mpift_wcur_init(&w, NULL, 0);   /* sized, then written */
    put(libs, &w, &bad);
    if (bad)
        return MPIFT_ERR_RANGE;
    *len = w.at;
    if (!(*out = malloc(*len ? *len : 1)))
        return MPIFT_ERR_NOMEM;
    mpift_wcur_init(&w, *out, *len);
    put(libs, &w, &bad);
    if ((rc = mpift_wcur_status(&w)) != MPIFT_OK) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

/* The next string, as a new C string: *s NULL and MPIFT_ERR_PROTO for a
 * malformed one (why says which), MPIFT_ERR_NOMEM. */
static int take(struct mpift_rcur *r, const char *what, char **s, char *why, size_t whylen)
{
    size_t n;
    const unsigned char *p = mpift_wget_str(r, PATH_MAX - 1, &n);

    *s = NULL;
    if (!p || n == 0 || memchr(p, '\0', n)) {
        snprintf(why, whylen, "a set's %s: %s", what, !p ? "past the end or too long" : n ? "holds a NUL" : "empty");
        return MPIFT_ERR_PROTO;
    }
    return (*s = strndup((const char *)p, n)) ? MPIFT_OK : MPIFT_ERR_NOMEM;
}

/* n strings into a new array *v of *cap, *have counting those taken. */
static int take_all(struct mpift_rcur *r, const char *what, uint32_t n, char ***v, size_t *have, size_t *cap,
                    char *why, size_t whylen)
{
    int rc = MPIFT_OK;

    if (n > mpift_rcur_left(r) / STR_MIN) {
        snprintf(why, whylen, "%lu %s in %zu bytes", (unsigned long)n, what, mpift_rcur_left(r));
        return MPIFT_ERR_PROTO;
    }
    if (!(*v = calloc(n ? n : 1, sizeof(**v))))
        return MPIFT_ERR_NOMEM;
    *cap = n ? n : 1;
    while (*have < n && (rc = take(r, what, &(*v)[*have], why, whylen)) == MPIFT_OK)
        (*have)++;
    return rc;
}

static int get_set(struct mpift_rcur *r, struct mpift_libs_set *s, char *why, size_t whylen)
{
    uint32_t nfiles = mpift_wget_u32(r), nlinks = mpift_wget_u32(r);
    int rc;

    if (mpift_rcur_status(r) != MPIFT_OK || nlinks % 2) {
        snprintf(why, whylen, "a set's counts: %s", nlinks % 2 ? "links not in pairs" : "past the end");
        return MPIFT_ERR_PROTO;
    }
    if ((rc = take(r, "program", &s->program, why, whylen)) != MPIFT_OK ||
        (rc = take(r, "folder", &s->folder, why, whylen)) != MPIFT_OK ||
        (rc = take_all(r, "libraries", nfiles, &s->files, &s->nfiles, &s->capfiles, why, whylen)) != MPIFT_OK)
        return rc;
    return take_all(r, "links", nlinks, &s->links, &s->nlinks, &s->caplinks, why, whylen);
}

int mpift_wlibs_decode(const unsigned char *buf, size_t len, struct mpift_libs *libs, char *why, size_t whylen)
{
    struct mpift_rcur r;
    uint32_t count;
    int rc = MPIFT_OK;

    memset(libs, 0, sizeof(*libs));
    mpift_rcur_init(&r, buf, len);
    count = mpift_wget_u32(&r);
    if (mpift_rcur_status(&r) != MPIFT_OK || count > mpift_rcur_left(&r) / SET_MIN) {
        snprintf(why, whylen, "%lu sets of libraries in %zu bytes", (unsigned long)count, len);
        return MPIFT_ERR_PROTO;
    }
    if (count && !(libs->s = calloc(count, sizeof(*libs->s))))
        return MPIFT_ERR_NOMEM;
    libs->cap = count;
    while (libs->n < count && rc == MPIFT_OK)
        rc = get_set(&r, &libs->s[libs->n++], why, whylen);
    if (rc == MPIFT_OK && mpift_rcur_left(&r) != 0) {
        snprintf(why, whylen, "%zu bytes after the last set", mpift_rcur_left(&r));
        rc = MPIFT_ERR_PROTO;
    }
    if (rc != MPIFT_OK)
        mpift_libs_free(libs);
    return rc;
}

void mpift_libs_set_free(struct mpift_libs_set *s)
{
    size_t i;

    for (i = 0; i < s->nfiles; i++)
        free(s->files[i]);
    for (i = 0; i < s->nlinks; i++)
        free(s->links[i]);
    free(s->files);
    free(s->links);
    free(s->program);
    free(s->folder);
    memset(s, 0, sizeof(*s));
}

void mpift_libs_free(struct mpift_libs *libs)
{
    size_t i;

    for (i = 0; i < libs->n; i++)
        mpift_libs_set_free(&libs->s[i]);
    free(libs->s);
    memset(libs, 0, sizeof(*libs));
}
