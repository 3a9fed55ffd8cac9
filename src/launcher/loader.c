/*
 * loader.c - find the mpift module and load it with plain dlopen().
 *
 * Like PMIx and libfabric we use dlopen/dlsym directly rather than libltdl:
 * we only target systems with a POSIX dynamic loader, and a library of our
 * own between us and dlerror() would only blur the messages users see.
 */
#include "mpift_autoconf.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader.h"

/* Append a formatted line to why (keeps what is already there). */
static void appendf(char *why, size_t whylen, const char *fmt, ...)
{
    size_t used = strlen(why);
    va_list ap;

    if (used + 1 >= whylen)
        return;
    va_start(ap, fmt);
    vsnprintf(why + used, whylen - used, fmt, ap);
    va_end(ap);
}

/* The folder of the running executable, from /proc/self/exe. */
static int exe_dir(char *out, size_t outlen)
{
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
    char *slash;

    if (n <= 0)
        return -1;
    buf[n] = '\0';
    slash = strrchr(buf, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    if ((size_t)snprintf(out, outlen, "%s", buf) >= outlen)
        return -1;
    return 0;
}

/* Check a loaded hook table.  Returns MPIFT_OK or MPIFT_ERR_ABI. */
static int check_hook(const struct mpift_hook *hk, const char *path, char *why, size_t whylen)
{
    /* A variable, not the macro: with minor 0 the test is otherwise "always false". */
    static const uint32_t need_minor = MPIFT_HOOK_ABI_MINOR;

    if (!hk) {
        appendf(why, whylen, "  %s: its entry point returned no hook table\n", path);
        return MPIFT_ERR_ABI;
    }
    if (hk->abi_major != MPIFT_HOOK_ABI_MAJOR) {
        appendf(why, whylen, "  %s: hook ABI %u.%u, this launcher needs %u.x: "
                "install a launcher and module of the same mpift version\n",
                path, hk->abi_major, hk->abi_minor, MPIFT_HOOK_ABI_MAJOR);
        return MPIFT_ERR_ABI;
    }
    /* An older minor lacks fields this launcher was built to call. */
    if (hk->abi_minor < need_minor) {
        appendf(why, whylen, "  %s: hook ABI %u.%u is older than the %u.%u this launcher needs: "
                "install a newer module\n", path, hk->abi_major, hk->abi_minor,
                MPIFT_HOOK_ABI_MAJOR, MPIFT_HOOK_ABI_MINOR);
        return MPIFT_ERR_ABI;
    }
    if (!hk->check || !hk->init || !hk->stage_in || !hk->stage_out || !hk->shell ||
        !hk->finalize || !hk->strerror || !hk->cache) {
        appendf(why, whylen, "  %s: hook table lacks a required function\n", path);
        return MPIFT_ERR_ABI;
    }
    return MPIFT_OK;
}

/* Try one path.  Returns MPIFT_OK, MPIFT_ERR_ENV (not loadable), MPIFT_ERR_ABI. */
/* mpift_loader_root_only's setting. */
static int root_only;

void mpift_loader_root_only(int on)
{
    root_only = on;
}

static int try_path(const char *path, struct mpift_loaded *out, char *why, size_t whylen)
{
    void *h;
    mpift_hook_entry_fn *entry;
    const struct mpift_hook *hk;
    int rc;

    char byfd[64];
    struct stat st;
    int fd = -1;

    if (access(path, F_OK) != 0) {
        appendf(why, whylen, "  %s: %s\n", path, strerror(errno));
        return MPIFT_ERR_ENV;
    }
    /* Root about to become a user (--as-user) runs the module's code as
     * root first: only a file root owns and no one else may write, judged
     * on the open file and loaded from it, not from a path swapped since. */
    if (root_only) {
        if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0) {
            appendf(why, whylen, "  %s: %s\n", path, strerror(errno));
            if (fd >= 0)
                close(fd);
            return MPIFT_ERR_ENV;
        }
        if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH))) {
            appendf(why, whylen, "  %s: owned by uid %u, mode %04o: with --as-user only a module root owns and no "
                    "one else may write is loaded\n", path, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
            close(fd);
            return MPIFT_ERR_ENV;
        }
        snprintf(byfd, sizeof(byfd), "/proc/self/fd/%d", fd);
    }
    /* RTLD_GLOBAL: Open MPI's own plugins need libmpi's symbols visible. */
    h = dlopen(fd >= 0 ? byfd : path, RTLD_NOW | RTLD_GLOBAL);
    if (fd >= 0)
        close(fd);   /* the mapping stays */
    if (!h) {
        appendf(why, whylen, "  %s: %s\n", path, dlerror());
        return MPIFT_ERR_ENV;
    }
    *(void **)&entry = dlsym(h, MPIFT_HOOK_ENTRY_NAME);
    if (!entry) {
        appendf(why, whylen, "  %s: no symbol %s (not an mpift module?)\n", path, MPIFT_HOOK_ENTRY_NAME);
        dlclose(h);
        return MPIFT_ERR_ABI;
    }
    hk = entry();
    rc = check_hook(hk, path, why, whylen);
    if (rc != MPIFT_OK) {
        dlclose(h);
        return rc;
    }
    out->handle = h;
    out->hook = hk;
    snprintf(out->path, sizeof(out->path), "%s", path);
    return MPIFT_OK;
}

int mpift_loader_open(const char *explicit_path, struct mpift_loaded *out, char *why, size_t whylen)
{
    char candidates[3][PATH_MAX + 32];
    int n = 0, rc = MPIFT_ERR_ENV, i;
    const char *env = getenv("MPIFT_MODULE");
    char dir[PATH_MAX];

    memset(out, 0, sizeof(*out));
    why[0] = '\0';
    appendf(why, whylen, "cannot load the mpift module (" MPIFT_MODULE_FILENAME "); looked in:\n");

    /* An explicit choice is final: falling back would run another build. */
    if (explicit_path && *explicit_path) {
        rc = try_path(explicit_path, out, why, whylen);
        goto out;
    }
    if (env && *env) {
        rc = try_path(env, out, why, whylen);
        if (rc != MPIFT_OK)
            appendf(why, whylen, "  (from MPIFT_MODULE; unset it to use the default locations)\n");
        goto out;
    }
    if (exe_dir(dir, sizeof(dir)) == 0)
        snprintf(candidates[n++], sizeof(candidates[0]), "%s/.libs/" MPIFT_MODULE_FILENAME, dir);
    snprintf(candidates[n++], sizeof(candidates[0]), "%s/" MPIFT_MODULE_FILENAME, MPIFT_PKGLIBDIR);

    for (i = 0; i < n; i++) {
        /* The build-tree candidate is normal to be absent once installed. */
        if (i == 0 && n == 2 && access(candidates[i], F_OK) != 0)
            continue;
        rc = try_path(candidates[i], out, why, whylen);
        if (rc == MPIFT_OK || rc == MPIFT_ERR_ABI)
            goto out;
    }
out:
    if (rc != MPIFT_OK)
        appendf(why, whylen, "Use --module PATH or MPIFT_MODULE=PATH to name the module, "
                "or reinstall mpift (make install puts it in %s).", MPIFT_PKGLIBDIR);
    return rc;
}

void mpift_loader_close(struct mpift_loaded *m)
{
    if (m && m->handle) {
        dlclose(m->handle);
        m->handle = NULL;
        m->hook = NULL;
    }
}
