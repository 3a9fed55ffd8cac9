/*
 * libset.h - the programs' sets of libraries on the wire (stage/libs.h):
 * rank 0's, from mpift_libs_plan, to every rank, which settles them.
 *
 * Little-endian:
 *   u32 count, then count sets of
 *       u32 nfiles, u32 nlinks (even: a link's path, then its target),
 *       program, folder, nfiles files, nlinks links
 * each string a u32 length (1 .. PATH_MAX - 1) and its bytes (no NUL),
 * and nothing after the last set.
 */
#ifndef MPIFT_LIBSET_H
#define MPIFT_LIBSET_H

#include <stddef.h>

/* One program and what comes with it, relative to the dest root. */
struct mpift_libs_set {
    char *program;
    char *folder;          /* program + ".libs" */
    char **files;          /* the libraries, in folder */
    size_t nfiles, capfiles;   /* ... how many, and room for (util/grow.h) */
    char **links;          /* pairs: a link's path, then its target (a name in folder) */
    size_t nlinks, caplinks;
};

struct mpift_libs {
    struct mpift_libs_set *s;
    size_t n, cap;
};

/* A new buffer (*out, *len bytes: free() it) holding libs.  MPIFT_OK,
 * MPIFT_ERR_NOMEM, MPIFT_ERR_RANGE (a count or a string beyond the
 * format's bounds). */
int mpift_wlibs_encode(const struct mpift_libs *libs, unsigned char **out, size_t *len);

/*
 * mpift_wlibs_decode - validate len bytes as sets into libs (emptied
 * first; every count in it only ever says what its array holds, so
 * mpift_libs_free frees it whatever happened).  MPIFT_OK,
 * MPIFT_ERR_PROTO (why says what; libs freed) or MPIFT_ERR_NOMEM (libs
 * freed).
 */
int mpift_wlibs_decode(const unsigned char *buf, size_t len, struct mpift_libs *libs, char *why, size_t whylen);

void mpift_libs_set_free(struct mpift_libs_set *s);
void mpift_libs_free(struct mpift_libs *libs);

#endif
