/*
 * libs.c - a program's libraries on every rank (libs.h): the sets shared
 * from rank 0, settled on each writer after the last round, said to the
 * user and written into --report.
 */
#include "mpift_autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "comm/agree.h"
#include "comm/wait.h"
#include "fs/fsafe.h"
#include "stage/libs.h"
#include "stage/stage.h"
#include "stage/stage_in.h"
#include "util/json.h"
#include "util/log.h"
#include "util/tmpname.h"

#define SHARE "waiting for every rank to take the programs' libraries from rank 0"

/* ---------------------------------------------------------------- sharing */

int mpift_libs_share(struct mpift_libs *libs, MPI_Comm comm, struct mpift_watch *w)
{
    unsigned char *buf = NULL;
    uint64_t len = 0;
    MPI_Request rq;
    char why[MPIFT_WHY_MAX];
    int rank, rc, mine = MPIFT_OK;
    size_t n = 0;

    MPI_Comm_rank(comm, &rank);
    if (rank == 0) {
        mine = mpift_wlibs_encode(libs, &buf, &n);
        len = mine != MPIFT_OK || n > INT_MAX ? UINT64_MAX : n;   /* UINT64_MAX: rank 0 has none to give */
    }
    rc = mpift_wait_coll(w, SHARE, MPI_Ibcast(&len, 1, MPI_UINT64_T, 0, comm, &rq), &rq);
    if (rc == MPIFT_OK && len == UINT64_MAX) {
        if (rank == 0)
            mpift_log_error("the programs' libraries cannot be shared: %s", mine == MPIFT_OK
                            ? "more than 2 GiB of names" : mpift_strerror(mine));
        rc = mine == MPIFT_ERR_NOMEM ? MPIFT_ERR_NOMEM : MPIFT_ERR_RANGE;
    }
    if (rc == MPIFT_OK && rank != 0 && !(buf = malloc(len ? len : 1)))
        mine = MPIFT_ERR_NOMEM;
    /* Every rank has room for it, or none takes it. */
    if (rc == MPIFT_OK)
        rc = mpift_agree_status(comm, mine, w, SHARE);
    if (rc == MPIFT_OK && len > 0)
        rc = mpift_wait_coll(w, SHARE, MPI_Ibcast(buf, (int)len, MPI_BYTE, 0, comm, &rq), &rq);
    if (rc == MPIFT_OK && rank != 0 && (rc = mpift_wlibs_decode(buf, (size_t)len, libs, why, sizeof(why))) ==
        MPIFT_ERR_PROTO)
        mpift_log_error("the programs' libraries from rank 0 do not validate (%s): protocol error", why);
    free(buf);
    return rc;
}

/* ---------------------------------------------------------------- settling */

/* The plan's file at dest kept by every writer (target -1), or -1.  The
 * plan is sorted by dest, then target. */
static long find(const struct mpift_plan *plan, const char *dest)
{
    size_t lo = 0, hi = plan->n, mid;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        if (strcmp(plan->f[mid].dest, dest) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < plan->n && strcmp(plan->f[lo].dest, dest) == 0; lo++)
        if (plan->f[lo].target == -1)
            return (long)lo;
    return -1;
}

/* Open rel's folder below rootfd; *name points at its last component. */
static int parent_of(int rootfd, const char *rel, char *name, size_t nlen, char *why, size_t whylen)
{
    char parent[PATH_MAX];

    if (mpift_split_parent(rel, parent, sizeof(parent), name, nlen) != MPIFT_OK) {
        snprintf(why, whylen, "%s: name too long", rel);
        return -1;
    }
    return mpift_dir_open(rootfd, parent, false, why, whylen);
}

/* The link at rel (below rootfd) leads to target: made beside it under a
 * temporary name and renamed over whatever stands there (an old link),
 * or left alone when it already does.  0, or -1 with why. */
static int make_link(int rootfd, const char *rel, const char *target, int rank, char *why, size_t whylen)
{
    char name[NAME_MAX + 1], tmp[NAME_MAX + 64], have[NAME_MAX + 1];
    int dfd = parent_of(rootfd, rel, name, sizeof(name), why, whylen), rc = -1;
    ssize_t n;

    if (dfd < 0)
        return -1;
    n = readlinkat(dfd, name, have, sizeof(have) - 1);
    if (n >= 0 && (size_t)n == strlen(target) && memcmp(have, target, (size_t)n) == 0) {
        close(dfd);
        return 0;
    }
    mpift_format(tmp, sizeof(tmp), "%s%slink-r%d%s", name, MPIFT_TMP_MARK, rank, MPIFT_TMP_SUFFIX);
    unlinkat(dfd, tmp, 0);
    if (symlinkat(target, dfd, tmp) != 0 || renameat(dfd, tmp, dfd, name) != 0) {
        mpift_format(why, whylen, "%s -> %s: %s", rel, target, strerror(errno));
        unlinkat(dfd, tmp, 0);
    } else {
        rc = 0;
    }
    close(dfd);
    return rc;
}

/* Remove the program's copy at rel; its failure is said but changes
 * nothing of the verdict (the program already counts as failed). */
static void remove_program(int rootfd, const char *rel)
{
    char name[NAME_MAX + 1], why[MPIFT_WHY_MAX];
    int dfd = parent_of(rootfd, rel, name, sizeof(name), why, sizeof(why));

    if (dfd < 0 || (unlinkat(dfd, name, 0) != 0 && errno != ENOENT))
        mpift_log_error("%s: could not be removed (%s): run it with care, its libraries failed here", rel,
                        dfd < 0 ? why : strerror(errno));
    if (dfd >= 0)
        close(dfd);
}

/* The first library of s not here, or a link that could not be made:
 * why says which; 0 when the whole set stands. */
static int set_broken(struct mpift_in_run *r, const struct mpift_libs_set *s, char *why, size_t whylen)
{
    char cause[MPIFT_WHY_MAX];
    size_t k;
    long i;

    for (k = 0; k < s->nfiles; k++) {
        i = find(&r->plan, s->files[k]);
        if (i < 0 || (r->state[i] != MPIFT_FS_DONE && r->state[i] != MPIFT_FS_SKIPPED)) {
            mpift_format(why, whylen, "its library %s did not arrive on this node", s->files[k]);
            return 1;
        }
    }
    for (k = 0; k + 1 < s->nlinks; k += 2)
        if (make_link(r->rootfd, s->links[k], s->links[k + 1], r->rank, cause, sizeof(cause)) != 0) {
            mpift_format(why, whylen, "the link its loader needs could not be made: %s", cause);
            return 1;
        }
    return 0;
}

void mpift_libs_settle(struct mpift_in_run *r)
{
    char why[MPIFT_WHY_MAX], msg[MPIFT_WHY_MAX];
    size_t k;
    long p;

    /* A run stopped by on_error = "abort" is settled too: what it did not
     * send counts as not arrived.  One preflight refused wrote nothing. */
    if (r->rootfd < 0 || r->ctx->dry_run || r->refused)
        return;
    for (k = 0; k < r->libs.n; k++) {
        const struct mpift_libs_set *s = &r->libs.s[k];
        p = find(&r->plan, s->program);
        if (p < 0 || !mpift_stage_keeps(r->ctx, r->rank, &r->plan.f[p]) ||
            (r->state[p] != MPIFT_FS_DONE && r->state[p] != MPIFT_FS_SKIPPED) || !set_broken(r, s, why, sizeof(why)))
            continue;
        remove_program(r->rootfd, s->program);
        if (r->state[p] == MPIFT_FS_DONE && r->written > 0) {
            r->written--;
            r->bytes -= r->plan.f[p].size;
        }
        r->state[p] = MPIFT_FS_FAILED;
        mpift_format(msg, sizeof(msg), "%s: removed from this node: %s; a program is never left without its "
                     "libraries", s->program, why);
        mpift_log_error("%s", msg);
        mpift_in_note(r, (size_t)p, msg);
    }
}

/* ---------------------------------------------------------------- telling */

#define TELL "waiting for every rank to say which programs it holds"
/* Sets told per collective: a bounded buffer on the stack. */
#define TELL_BLOCK 64

/* Does this rank keep set s's program but not have it (failed, or
 * removed by settling)? */
static int lacks(const struct mpift_in_run *r, const struct mpift_libs_set *s)
{
    long p = find(&r->plan, s->program);

    return p >= 0 && mpift_stage_keeps(r->ctx, r->rank, &r->plan.f[p]) && r->state &&
           r->state[p] != MPIFT_FS_DONE && r->state[p] != MPIFT_FS_SKIPPED;
}

int mpift_libs_tell(struct mpift_in_run *r)
{
    const char *tpl = r->ctx->cfg->dest;
    /* A dest root by node or rank: rank 0's is one of several. */
    int per_node = strstr(tpl, "%h") || strstr(tpl, "%n") || strstr(tpl, "%r") || strstr(tpl, "%l"), rc;
    uint64_t lack[TELL_BLOCK], sum[TELL_BLOCK];
    MPI_Request rq;
    size_t k, i, m;

    if (r->ctx->dry_run)
        return MPIFT_OK;
    for (k = 0; k < r->libs.n; k += m) {
        m = r->libs.n - k < TELL_BLOCK ? r->libs.n - k : TELL_BLOCK;
        for (i = 0; i < m; i++)
            lack[i] = (uint64_t)lacks(r, &r->libs.s[k + i]);
        rc = mpift_wait_coll(&r->ctx->watch, TELL, MPI_Ireduce(lack, sum, (int)m, MPI_UINT64_T, MPI_SUM, 0,
                                                               r->ctx->comm, &rq), &rq);
        if (rc != MPIFT_OK)
            return rc;
        for (i = 0; r->rank == 0 && i < m; i++) {
            const struct mpift_libs_set *s = &r->libs.s[k + i];
            char failed[128] = "";
            if (sum[i])
                snprintf(failed, sizeof(failed), "%llu cop%s failed (said above); where it landed, ",
                         (unsigned long long)sum[i], sum[i] == 1 ? "y" : "ies");
            mpift_log_info("%s: %zu librar%s in %s/; %srun it with LD_LIBRARY_PATH=%s/%s%s", s->program, s->nfiles,
                           s->nfiles == 1 ? "y" : "ies", s->folder, failed, r->ctx->dest_root, s->folder,
                           per_node ? " (rank 0's dest root: each node's own in its place)" : "");
        }
    }
    return MPIFT_OK;
}

static void json_strs(FILE *f, char *const *v, size_t n)
{
    size_t i;

    fputc('[', f);
    for (i = 0; i < n; i++) {
        fputs(i ? ", " : "", f);
        mpift_json_str(f, v[i]);
    }
    fputc(']', f);
}

void mpift_libs_report(FILE *f, const struct mpift_libs *libs, const char *dest_root)
{
    char path[PATH_MAX];
    size_t k, i;

    fputs(",\n  \"libraries\": [", f);
    for (k = 0; k < libs->n; k++) {
        const struct mpift_libs_set *s = &libs->s[k];
        fputs(k ? ",\n    { \"program\": " : "\n    { \"program\": ", f);
        mpift_json_str(f, s->program);
        fputs(", \"folder\": ", f);
        mpift_json_str(f, s->folder);
        mpift_format(path, sizeof(path), "%s/%s", dest_root, s->folder);
        fputs(", \"ld_library_path\": ", f);
        mpift_json_str(f, path);
        fputs(",\n      \"files\": ", f);
        json_strs(f, s->files, s->nfiles);
        fputs(",\n      \"links\": [", f);
        for (i = 0; i + 1 < s->nlinks; i += 2) {
            fputs(i ? ", { \"path\": " : "{ \"path\": ", f);
            mpift_json_str(f, s->links[i]);
            fputs(", \"target\": ", f);
            mpift_json_str(f, s->links[i + 1]);
            fputs(" }", f);
        }
        fputs("] }", f);
    }
    fputs(libs->n ? "\n  ]" : "]", f);
}
