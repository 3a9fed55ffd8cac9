/* fake_module.c - a module with a foreign hook ABI, to test that the
 * launcher refuses it (exit 3) and says why. */
#include <stddef.h>
#include "mpift/hook.h"

static int nope(const struct mpift_options *o) { (void)o; return MPIFT_ERR_ENV; }

static const struct mpift_hook hook = {
    .abi_major = MPIFT_HOOK_ABI_MAJOR + 98,
    .abi_minor = 0,
    .name = "fake",
    .version = "0",
    .check = nope,
};

MPIFT_EXPORT const struct mpift_hook *mpift_hook_entry(void);
const struct mpift_hook *mpift_hook_entry(void) { return &hook; }
