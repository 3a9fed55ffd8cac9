/* kept.c - a file's per-chunk hashes kept beside it (see kept.h). */
#include "mpift_autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/faults.h"
#include "util/hash.h"
#include "util/kept.h"
#include "util/le64.h"
#include "util/tmplock.h"

#define KEPT_MAGIC "MPIFTKH1"
#define KEPT_HEAD (8 + 7 * 8 + 3 * 8)   /* magic, id, chunk, size, n */
/* At most this many chunks (32 MiB of hashes): engine/base.h's bound. */
#define KEPT_MAX ((uint64_t)1 << 22)

void mpift_kept_id_key(uint64_t size, const uint8_t key[16], struct mpift_kept_id *id)
{
    memset(id, 0, sizeof(*id));
    /* The last fields all ones: the mark of a key (the record format
     * once bound files too, by their ctime, which is never -1 s). */
    id->v[0] = size;
    id->v[1] = mpift_le64_get(key);
    id->v[2] = mpift_le64_get(key + 8);
    id->v[5] = id->v[6] = UINT64_MAX;
}

static uint64_t chunks_of(uint64_t size, uint64_t chunk)
{
    return chunk ? (size + chunk - 1) / chunk : 0;
}

int mpift_kept_save(int dirfd, const char *name, const char *tmp, const struct mpift_kept_id *id, uint64_t chunk,
                    uint64_t size, const uint64_t *hash, uint64_t n, char *why, size_t whylen)
{
    size_t sz = KEPT_HEAD + 8 * (size_t)n + 8, done = 0;
    unsigned char *p = NULL;
    ssize_t w = 0;
    int fd, hold, k, rc;

    if (why && whylen)
        why[0] = '\0';
    if (!n || n > KEPT_MAX || n != chunks_of(size, chunk)) {
        rc = EINVAL;
        goto out;
    }
    if (!(p = malloc(sz))) {
        rc = ENOMEM;
        goto out;
    }
    memcpy(p, KEPT_MAGIC, 8);
    for (k = 0; k < 7; k++)
        mpift_le64_put(p + 8 + 8 * k, id->v[k]);
    mpift_le64_put(p + 64, chunk);
    mpift_le64_put(p + 72, size);
    mpift_le64_put(p + 80, n);
    for (uint64_t i = 0; i < n; i++)
        mpift_le64_put(p + KEPT_HEAD + 8 * i, hash[i]);
    mpift_le64_put(p + sz - 8, XXH3_64bits(p, sz - 8));
    fd = mpift_tmp_create(dirfd, tmp, 0600);
    if (fd < 0) {
        rc = errno;
        if (why)
            mpift_tmp_why(why, whylen, tmp, rc);
        goto out;
    }
    /* Held (by `hold`, past the close that reports a delayed write's
     * error) until renamed: a sweep (cache/evict.c) passes it over.  No
     * descriptor for it (EMFILE): no save, not one renamed unheld. */
    hold = dup(fd);
    rc = hold < 0 ? errno : 0;
    while (!rc && done < sz && ((w = write(fd, p + done, sz - done)) > 0 || (w < 0 && errno == EINTR)))
        done += w > 0 ? (size_t)w : 0;
    if (!rc && done < sz)
        rc = w < 0 ? errno : ENOSPC;   /* a write of 0 bytes: no room */
    if (close(fd) != 0 && !rc)
        rc = errno;   /* NFS, a quota: a delayed write's error */
    if (!rc && renameat(dirfd, tmp, dirfd, name) != 0)
        rc = errno;
    if (rc)
        unlinkat(dirfd, tmp, 0);
    if (hold >= 0)
        close(hold);
out:
    /* Unless mpift_tmp_why said it already. */
    if (rc && why && whylen && !why[0])
        snprintf(why, whylen, "%s", strerror(rc));
    free(p);
    return rc;
}

uint64_t *mpift_kept_load(int dirfd, const char *name, const struct mpift_kept_id *id, uint64_t chunk, uint64_t size,
                          uint64_t *n, const char **why)
{
    uint64_t want = chunks_of(size, chunk), *h = NULL, i;
    size_t sz = KEPT_HEAD + 8 * (size_t)want + 8, done = 0;
    unsigned char *p = NULL;
    struct stat st;
    ssize_t r;
    int fd, k;

    *why = "none is kept (or it is a link, or not a file of this user)";
    fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid())
        goto out;
    *why = "it is cut short, altered or of another chunk size";
    if (!want || want > KEPT_MAX || (uint64_t)st.st_size != sz || !(p = malloc(sz)))
        goto out;
    while (done < sz && ((r = pread(fd, p + done, sz - done, (off_t)done)) > 0 || (r < 0 && errno == EINTR)))
        done += r > 0 ? (size_t)r : 0;
    if (done != sz || memcmp(p, KEPT_MAGIC, 8) != 0 || mpift_le64_get(p + sz - 8) != XXH3_64bits(p, sz - 8) ||
        mpift_le64_get(p + 64) != chunk || mpift_le64_get(p + 72) != size || mpift_le64_get(p + 80) != want)
        goto out;
    *why = "the file changed since (its device, inode, size, mtime or ctime are not those kept)";
    for (k = 0; k < 7 && !mpift_fault_env("MPIFT_TEST_KEPT_LIE"); k++)
        if (mpift_le64_get(p + 8 + 8 * k) != id->v[k])
            goto out;
    if (!(h = malloc((size_t)want * sizeof(*h))))
        goto out;
    for (i = 0; i < want; i++)
        h[i] = mpift_le64_get(p + KEPT_HEAD + 8 * i);
    *n = want;
    *why = NULL;
out:
    free(p);
    close(fd);
    return h;
}
