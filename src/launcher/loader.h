/* loader.h - find and dlopen() the mpift module (the only dlopen in mpift). */
#ifndef MPIFT_LOADER_H
#define MPIFT_LOADER_H

#include <stddef.h>
#include <mpift/hook.h>

struct mpift_loaded {
    void *handle;                 /* dlopen handle */
    const struct mpift_hook *hook;
    char path[4096];              /* where it was found */
};

/*
 * mpift_loader_open - load the module and check its hook table.
 *
 * Search order: `explicit_path` (--module), $MPIFT_MODULE, the build tree
 * (<dir of this executable>/.libs/mpift.so, so `make` then
 * src/mpift-stage works with no environment), the installed $(pkglibdir).
 *
 * Returns MPIFT_OK; MPIFT_ERR_ENV when no module could be loaded;
 * MPIFT_ERR_ABI when one was found but its hook table is not one we can use.
 * On failure `why` says what was looked for where and why each failed.
 */
int mpift_loader_open(const char *explicit_path, struct mpift_loaded *out, char *why, size_t whylen);

/* From now on load only a module file root owns and no other user may
 * write (--as-user: root loads it before becoming the user). */
void mpift_loader_root_only(int on);

/* Close the module (NULL-safe, idempotent). */
void mpift_loader_close(struct mpift_loaded *m);

#endif
