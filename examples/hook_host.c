/*
 * hook_host.c - load the mpift engine module the way a job launcher (a
 * prolog plugin, a workflow engine) does: dlopen, the versioned hook table,
 * ABI check, then init / stage_in / finalize.  No link-time dependency on
 * mpift or MPI: only <mpift/hook.h>.
 *
 *   mpirun -n 4 ./hook_host /usr/local/lib/mpift/mpift.so CONFIG [KEY=VALUE...]
 *
 * Build:  cc -I/usr/local/include hook_host.c -ldl -o hook_host
 * Exit status: mpift's (0, 1, 2, 3).
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <mpift/hook.h>

int main(int argc, char **argv)
{
    const struct mpift_hook *hk;
    uint32_t need_minor = MPIFT_HOOK_ABI_MINOR;  /* fields this host uses */
    mpift_hook_entry_fn *entry;
    struct mpift_options opts;
    mpift_ctx_t *ctx = NULL;
    void *h;
    int rc;

    if (argc < 3) {
        fprintf(stderr, "usage: mpirun -n N %s MODULE CONFIG [KEY=VALUE...]\n", argv[0]);
        return 2;
    }
    /* RTLD_GLOBAL: Open MPI's own plugins need libmpi's symbols visible. */
    h = dlopen(argv[1], RTLD_NOW | RTLD_GLOBAL);
    if (!h) {
        fprintf(stderr, "%s: %s\n", argv[1], dlerror());
        return 3;
    }
    *(void **)&entry = dlsym(h, MPIFT_HOOK_ENTRY_NAME);
    hk = entry ? entry() : NULL;
    if (!hk || hk->abi_major != MPIFT_HOOK_ABI_MAJOR || hk->abi_minor < need_minor || !hk->init ||
        !hk->stage_in || !hk->finalize || !hk->strerror) {
        fprintf(stderr, "%s: not an mpift module of ABI %d.%d\n", argv[1], MPIFT_HOOK_ABI_MAJOR,
                MPIFT_HOOK_ABI_MINOR);
        return 3;
    }
    memset(&opts, 0, sizeof(opts));
    opts.size = sizeof(opts);
    opts.config_path = argv[2];
    opts.module_path = argv[1];
    opts.sets = (const char *const *)(argv + 3);   /* like mpift-stage --set */
    opts.nsets = (size_t)(argc - 3);
    rc = hk->init(&opts, &argc, &argv, &ctx);
    if (rc == 0)
        rc = hk->stage_in(ctx);
    if (rc != 0)
        fprintf(stderr, "hook_host: %s %s: %s\n", hk->name, hk->version, hk->strerror(rc));
    hk->finalize(&ctx, rc);
    return mpift_exit_status(rc);
}
