/*
 * extract.c - an entry's `extract = true`: each file it names is an
 * archive (tar, plain or compressed with gzip, zstd or xz; zip), moved
 * and verified as one file, then unpacked by every writer beside its
 * final folder and renamed into place (stage/extract.h, fs/unpack.h).
 *
 * Checked at load time, so a configuration that cannot mean anything is
 * refused before anything moves (exit 2): the unpacking needs libarchive
 * in this build; a folder walked (recursive) is not an archive; stage-out
 * gathers files as they are.
 */
#include "mpift_autoconf.h"

#include <string.h>

#include "mpift/mpift.h"
#include "config/loader.h"

void mpift_cfg_entry_extract(struct mpift_cfg_loader *L, const config_setting_t *e, const char *prefix,
                             struct mpift_entry *out)
{
    config_setting_t *s = config_setting_get_member(e, "extract");
    char key[MPIFT_CFG_KEY_MAX];

    mpift_cfg_get_bool(L, e, prefix, "extract", &out->extract);
    if (!s || !out->extract)
        return;
    mpift_cfg_join_key(key, sizeof(key), prefix, "extract");
#ifndef HAVE_LIBARCHIVE
    mpift_cfg_fail(L, MPIFT_ERR_CONFIG, s, key, "this mpift was built without libarchive, which unpacks "
                   "archives: apt-get install libarchive-dev and build it again (configure --with-libarchive), "
                   "or stage the archive as a file (extract = false)");
#else
    if (strncmp(prefix, "stage_out", 9) == 0)
        mpift_cfg_fail(L, MPIFT_ERR_CONFIG, s, key, "stage-out gathers files as they are; extract belongs to "
                       "stage_in entries");
    else if (out->recursive)
        mpift_cfg_fail(L, MPIFT_ERR_CONFIG, s, key, "extract unpacks the archives src names, recursive walks "
                       "folders: give one (src = \"env.tar.zst\"; extract = true;)");
#endif
}
