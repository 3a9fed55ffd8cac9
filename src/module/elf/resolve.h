/*
 * resolve.h - a program's shared-library closure, found as the dynamic
 * loader (glibc's ld.so) would find it, without running anything.
 *
 * Breadth first from the program, as the loader maps dependencies; a
 * DT_NEEDED name is first matched against the objects already found
 * (their needed names, their DT_SONAME, the same file reached another
 * way), else searched, in order:
 *   1. DT_RPATH of the object needing it and of every object above it up
 *      to the program (its "loader chain"), unless that object has a
 *      DT_RUNPATH, which turns its own DT_RPATH off;
 *   2. LD_LIBRARY_PATH (as the job sets it on rank 0);
 *   3. DT_RUNPATH of the needing object alone (never inherited);
 *   4. the system folders (struct mpift_search's sysdirs).
 * ld.so.cache is not read: what it adds beyond the system folders is
 * /etc/ld.so.conf's folders, which a user names in LD_LIBRARY_PATH.
 * In paths, $ORIGIN (the folder of the object, the program's with links
 * resolved, as /proc/self/exe gives it), $LIB and $PLATFORM, bare or in
 * braces, are expanded; an element with another $ token is skipped, as
 * the loader skips it.  A candidate that exists but is not a 64-bit
 * little-endian ELF of the program's machine is passed over, as well.
 * A name with a '/' is a path, as given.
 *
 * The C library (glibc's own objects: libc, libm, libpthread, ..., and
 * the loader) is the node's and never searched, with_system or not: it
 * must match the node's loader, which is never staged.  A library found
 * in a system folder is the node's too (unless with_system): kept in
 * the list, marked system, its own dependencies not followed.
 */
#ifndef MPIFT_RESOLVE_H
#define MPIFT_RESOLVE_H

#include <stddef.h>

#include "elf/elf.h"

struct mpift_search {
    const char *ld_library_path;   /* NULL: unset */
    const char *const *sysdirs;    /* NULL-terminated: the loader's default folders */
    const char *lib;               /* $LIB */
    const char *platform;          /* $PLATFORM */
    int with_system;               /* stage the system's libraries too */
};

/* One object of the closure. */
struct mpift_dso {
    char *path;          /* where it was found, as the loader opens it */
    char *real;          /* that path with links resolved: the file itself */
    char **names;        /* the names it is needed by (DT_NEEDED, extra), distinct */
    size_t nnames, capnames;   /* ... how many, and room for (util/grow.h) */
    int loader;          /* the object that first needed it; -1: the program itself */
    int system;          /* the node's own: a system folder's, or the C library's */
    struct mpift_elf elf;
};

struct mpift_closure {
    struct mpift_dso *o;  /* o[0]: the program */
    size_t n, cap;
};

/* The system's folders for this machine (Debian's multiarch ones first,
 * then /lib64, /usr/lib64, /lib, /usr/lib) and $LIB, $PLATFORM, into s
 * (static storage). */
void mpift_search_default(struct mpift_search *s);

/*
 * mpift_closure_find - program's closure, and extra[] (names or paths a
 * program dlopen()s, searched as the program's own DT_NEEDED), into c.
 * Returns MPIFT_OK; MPIFT_ERR_NOENT (a library not found: why names it,
 * who needs it, and where it was looked for), MPIFT_ERR_UNSUPPORTED /
 * _IO (the program, or a library named by path, is not a readable ELF of
 * the kind read: elf.h), MPIFT_ERR_NOMEM.  Free c with mpift_closure_free
 * in every case.
 */
int mpift_closure_find(const char *program, const char *const *extra, size_t nextra, const struct mpift_search *s,
                       struct mpift_closure *c, char *why, size_t whylen);

/* Is `soname` one of the C library's own objects (glibc: libc.so.6,
 * libm.so.6, ld-linux-x86-64.so.2, ...)? */
int mpift_closure_libc(const char *soname);

void mpift_closure_free(struct mpift_closure *c);

#endif
