/*
 * fuzz_config.c - libFuzzer target: the configuration loader on arbitrary
 * text (libconfig's parser, then every check of ours), with and without
 * a --set override.  It must report errors, never crash or leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mpift/mpift.h"
#include "util/log.h"
#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const sets[] = { "transfer.window=8", "workers.policy=tree" };
    struct mpift_config *cfg = NULL;
    char err[MPIFT_WHY_MAX];
    char *text = malloc(size + 1);

    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    if (mpift_config_load("/fuzz/stage.cfg", text, NULL, 0, &cfg, err, sizeof(err)) == MPIFT_OK)
        mpift_config_free(&cfg);
    if (mpift_config_load("/fuzz/stage.cfg", text, sets, 2, &cfg, err, sizeof(err)) == MPIFT_OK)
        mpift_config_free(&cfg);
    free(text);
    return 0;
}
