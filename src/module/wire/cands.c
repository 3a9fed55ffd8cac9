/*
 * cands.c - the striping candidates' bytes (see cands.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpift/mpift.h"
#include "wire/cands.h"
#include "wire/cursor.h"

static void put_all(struct mpift_wcur *w, const char *root, const struct mpift_wcand *c, size_t n)
{
    size_t k;

    mpift_wput_str(w, root, strlen(root) + 1);
    for (k = 0; k < n; k++) {
        size_t pl = strlen(c[k].path) + 1;
        if (pl > UINT32_MAX) {
            w->err = 1;
            return;
        }
        mpift_wput_u64(w, c[k].file);
        mpift_wput_u64(w, c[k].size);
        mpift_wput_u64(w, (uint64_t)c[k].mtime_sec);
        mpift_wput_u32(w, c[k].mtime_nsec);
        mpift_wput_u32(w, (uint32_t)pl);
        mpift_wput_u64(w, c[k].digest);
        mpift_wput_bytes(w, c[k].path, pl);
    }
}

int mpift_wcands_encode(const char *root, const struct mpift_wcand *c, size_t n, unsigned char **out, size_t *len)
{
    struct mpift_wcur w;

    mpift_wcur_init(&w, NULL, 0);
    put_all(&w, root, c, n);
    if (mpift_wcur_status(&w) != MPIFT_OK)
        return MPIFT_ERR_RANGE;
    *len = w.at;
    if (!(*out = malloc(*len)))
        return MPIFT_ERR_NOMEM;
    mpift_wcur_init(&w, *out, *len);
    put_all(&w, root, c, n);
    return mpift_wcur_status(&w);
}

/* A string of n bytes at p: NUL at its end and nowhere else. */
static int whole(const unsigned char *p, size_t n)
{
    return p && n >= 1 && memchr(p, '\0', n) == p + n - 1;
}

/* The next candidate into *c (k: its index; next: the least file it may
 * name). */
static int get_one(struct mpift_rcur *r, size_t k, uint64_t next, uint64_t nfiles, struct mpift_wcand *c, char *why,
                   size_t whylen)
{
    const unsigned char *p;
    uint32_t pl;

    c->file = mpift_wget_u64(r);
    c->size = mpift_wget_u64(r);
    c->mtime_sec = (int64_t)mpift_wget_u64(r);
    c->mtime_nsec = mpift_wget_u32(r);
    pl = mpift_wget_u32(r);
    c->digest = mpift_wget_u64(r);
    p = mpift_wget_bytes(r, pl);
    if (!whole(p, pl)) {
        snprintf(why, whylen, "candidate %zu: its path (%u bytes) is not whole", k, pl);
        return MPIFT_ERR_PROTO;
    }
    if (c->file < next || c->file >= nfiles) {
        snprintf(why, whylen, "candidate %zu: file %llu out of order (after %llu, of %llu)", k,
                 (unsigned long long)c->file, (unsigned long long)next, (unsigned long long)nfiles);
        return MPIFT_ERR_PROTO;
    }
    c->path = (const char *)p;
    return MPIFT_OK;
}

int mpift_wcands_decode(const unsigned char *buf, size_t len, uint64_t nfiles, struct mpift_wcands *t, char *why,
                        size_t whylen)
{
    struct mpift_rcur r;
    const unsigned char *root;
    size_t rl, cap;
    uint64_t next = 0;
    int rc;

    memset(t, 0, sizeof(*t));
    mpift_rcur_init(&r, buf, len);
    root = mpift_wget_str(&r, len, &rl);
    if (!whole(root, rl)) {
        snprintf(why, whylen, "the source root (%zu bytes) is not whole", rl);
        return MPIFT_ERR_PROTO;
    }
    t->root = (const char *)root;
    /* Room for as many as the bytes could hold (each takes its fixed part
     * and a path of one byte at least, files strictly rising below
     * nfiles), taken once: a rank short of memory learns it before it
     * reads a record, not part-way, where another rank might find the
     * list bad instead. */
    cap = mpift_rcur_left(&r) / (MPIFT_WCAND_FIXED + 1);
    if (cap > nfiles)
        cap = (size_t)nfiles;
    if (!(t->c = malloc((cap ? cap : 1) * sizeof(*t->c))))
        return MPIFT_ERR_NOMEM;
    while (mpift_rcur_left(&r) > 0) {
        if (t->n == cap) {
            snprintf(why, whylen, "more than %zu candidates in %zu bytes for %llu files", cap, len,
                     (unsigned long long)nfiles);
            mpift_wcands_free(t);
            return MPIFT_ERR_PROTO;
        }
        if ((rc = get_one(&r, t->n, next, nfiles, &t->c[t->n], why, whylen)) != MPIFT_OK) {
            mpift_wcands_free(t);
            return rc;
        }
        next = t->c[t->n++].file + 1;
    }
    return MPIFT_OK;
}

void mpift_wcands_free(struct mpift_wcands *t)
{
    free(t->c);
    memset(t, 0, sizeof(*t));
}
