/*
 * agree.c - the settings every rank of a job must share, agreed at start
 * (see agree.h).
 *
 * Each rank hashes each value that must match; one MPI_Iallreduce under
 * the watchdog of (h, ~h) with MPI_MAX tells every rank, in a fixed few
 * hundred bytes, which keys are alike (max(h) == ~max(~h) exactly when
 * every rank has the same h).  Only when one is not, an MPI_Igather of
 * the first differing key's value lets rank 0 name the values and the
 * ranks that hold each.  So a --set given to some ranks only is one clear
 * configuration error (exit 2) before anything moves, never a wait that
 * ends in "may be stuck" or a protocol error mid-transfer.
 */
#include "mpift_autoconf.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/hash.h"

#include "mpift/mpift.h"
#include "config/agree.h"
#include "engine/compress.h"
#include "job/agree.h"
#include "util/log.h"
#include "comm/wait.h"
#include "wire/proto.h"

#define AGREEING "waiting for every rank to compare its settings"

/* The config table's keys, the codecs built in and --dry-run. */
#define KEYS_MAX 32
#define EXTRA_CODECS "the compression libraries built in"
#define EXTRA_DRY_RUN "--dry-run (mpift_options.dry_run)"
#define EXTRA_KEEP_RESULT "mpift_options.keep_result"
#define EXTRA_REPORT "--report (mpift_options.report_path)"

/* Distinct values and rank ranges named in the message at most. */
#define SHOW_VALUES 4
#define SHOW_RANGES 6

struct keyset {
    size_t n;
    const char *key[KEYS_MAX];
    char value[KEYS_MAX][PATH_MAX + 64];
};

static void add_key(struct keyset *ks, const char *key)
{
    ks->key[ks->n++] = key;
}

/* Every value this rank must share, in the same order on every rank. */
static void collect(const struct mpift_ctx *ctx, struct keyset *ks)
{
    size_t i;
    bool per_rank;
    const char *key;

    ks->n = 0;
    for (i = 0; i < mpift_cfg_agree_count() && ks->n < KEYS_MAX - 4; i++) {
        key = mpift_cfg_agree_key(i, &per_rank);
        if (per_rank)
            continue;
        mpift_cfg_agree_value(ctx->cfg, i, ks->value[ks->n], sizeof(ks->value[0]));
        add_key(ks, key);
    }
    /* A rank that compresses with a codec another cannot decode. */
    if (ctx->cfg->compress == MPIFT_COMPRESS_NONE)
        snprintf(ks->value[ks->n], sizeof(ks->value[0]), "not used");
    else
        snprintf(ks->value[ks->n], sizeof(ks->value[0]), "%s%s%s",
                 mpift_codec_builtin() & (1u << MPIFT_WIRE_CODEC_LZ4) ? "lz4 " : "",
                 mpift_codec_builtin() & (1u << MPIFT_WIRE_CODEC_ZSTD) ? "zstd " : "",
                 mpift_codec_builtin() ? "" : "none");
    add_key(ks, EXTRA_CODECS);
    /* A rank that only plans leaves the others waiting for its copies. */
    snprintf(ks->value[ks->n], sizeof(ks->value[0]), "%s", ctx->dry_run ? "yes" : "no");
    add_key(ks, EXTRA_DRY_RUN);
    /* A rank that keeps the result waits for the others to share it. */
    snprintf(ks->value[ks->n], sizeof(ks->value[0]), "%s", ctx->keep_result ? "yes" : "no");
    add_key(ks, EXTRA_KEEP_RESULT);
    /* A report is gathered by collectives every rank must enter, and a
     * stage-out's writers hash each file's content for it (its xxh3).
     * Its path may differ: only rank 0's is written. */
    snprintf(ks->value[ks->n], sizeof(ks->value[0]), "%s", ctx->report_path ? "yes" : "no");
    add_key(ks, EXTRA_REPORT);
}

/* ", 3-5" or ", 7" appended to buf at *pos. */
static void put_range(char *buf, size_t len, size_t *pos, int first, int last)
{
    int n;

    if (*pos >= len)
        return;
    n = first == last ? snprintf(buf + *pos, len - *pos, "%s%d", *pos ? "," : "", first)
                      : snprintf(buf + *pos, len - *pos, "%s%d-%d", *pos ? "," : "", first, last);
    *pos += n > 0 ? (size_t)n : 0;
}

/* The ranks (of `size`) whose value is v, as ranges: "0-2,5". */
static void ranks_of(const char *all, int size, const char *v, char *buf, size_t len)
{
    size_t pos = 0;
    int r, first = -1, ranges = 0;

    buf[0] = '\0';
    for (r = 0; r <= size; r++) {
        bool in = r < size && strcmp(all + (size_t)r * MPIFT_AGREE_VALUE_MAX, v) == 0;
        if (in && first < 0)
            first = r;
        if (!in && first >= 0) {
            if (++ranges > SHOW_RANGES) {
                if (pos + 5 <= len)
                    memcpy(buf + pos, ",...", 5);
                return;
            }
            put_range(buf, len, &pos, first, r - 1);
            first = -1;
        }
    }
}

/* Rank 0: "KEY differs between ranks: V1 on ranks R1; V2 on ranks R2". */
static void name_mismatch(const struct mpift_ctx *ctx, const char *key, const char *all, int size, const char *also)
{
    char msg[MPIFT_WHY_MAX], ranks[256];
    size_t pos = 0;
    int r, q, shown = 0, n;

    for (r = 0; r < size && pos < sizeof(msg); r++) {
        const char *v = all + (size_t)r * MPIFT_AGREE_VALUE_MAX;
        for (q = 0; q < r && strcmp(all + (size_t)q * MPIFT_AGREE_VALUE_MAX, v) != 0; q++)
            ;
        if (q < r)
            continue;   /* this value was named already */
        if (++shown > SHOW_VALUES) {
            snprintf(msg + pos, sizeof(msg) - pos, "; and others");
            break;
        }
        ranks_of(all, size, v, ranks, sizeof(ranks));
        n = snprintf(msg + pos, sizeof(msg) - pos, "%s%s on rank%s %s", pos ? "; " : "", v,
                     strpbrk(ranks, ",-") ? "s" : "", ranks);
        pos += n > 0 ? (size_t)n : 0;
    }
    if (strcmp(key, EXTRA_CODECS) == 0)
        mpift_log_error("%s: %s differ between ranks (mpift built with liblz4 or libzstd on some nodes only): %s; "
                        "install one build everywhere, or set transfer.compress = \"none\"",
                        ctx->cfg->file, key, msg);
    else
        mpift_log_error("%s: %s differs between ranks (a --set or option given to some ranks only): %s%s%s; "
                        "give every rank the same settings (man mpift.conf: SETTINGS EVERY RANK SHARES)",
                        ctx->cfg->file, key, msg, also[0] ? "; also differ: " : "", also);
}

int mpift_job_agree(struct mpift_ctx *ctx)
{
    struct keyset *ks = malloc(sizeof(*ks));
    uint64_t mine[2 * KEYS_MAX], all[2 * KEYS_MAX];
    char value[MPIFT_AGREE_VALUE_MAX], *values = NULL;
    int rank = ctx->topo.rank, size = ctx->topo.size, rc;
    size_t k, n;
    MPI_Request rq;

    /* A rank short of memory still takes part: its hashes are of nothing,
     * so the job stops with a named mismatch rather than a hang. */
    memset(mine, 0, sizeof(mine));
    n = KEYS_MAX;
    if (ks) {
        collect(ctx, ks);
        for (k = 0; k < ks->n; k++)
            mine[k] = XXH3_64bits(ks->value[k], strlen(ks->value[k]));
    }
    for (k = 0; k < KEYS_MAX; k++)
        mine[KEYS_MAX + k] = ~mine[k];
    rc = mpift_wait_coll(&ctx->watch, AGREEING,
                         MPI_Iallreduce(mine, all, 2 * KEYS_MAX, MPI_UINT64_T, MPI_MAX, ctx->comm, &rq), &rq);
    if (rc != MPIFT_OK)
        goto out;
    for (k = 0; k < n && all[k] == ~all[KEYS_MAX + k]; k++)
        ;
    if (k == n)
        goto out;
    /* Every rank found the same first differing key k. */
    snprintf(value, sizeof(value), "%s", ks && k < ks->n ? ks->value[k] : "(unknown: out of memory)");
    if (strlen(value) == sizeof(value) - 1)
        memcpy(value + sizeof(value) - 4, "...", 4);
    if (rank == 0 && !(values = malloc((size_t)size * MPIFT_AGREE_VALUE_MAX))) {
        rc = MPIFT_ERR_NOMEM;   /* fatal: the hook stops the job */
        goto out;
    }
    rc = mpift_wait_coll(&ctx->watch, AGREEING,
                         MPI_Igather(value, MPIFT_AGREE_VALUE_MAX, MPI_CHAR, values, MPIFT_AGREE_VALUE_MAX, MPI_CHAR,
                                     0, ctx->comm, &rq), &rq);
    if (rc != MPIFT_OK)
        goto out;
    if (rank == 0) {
        char also[512] = "";
        size_t j, pos = 0;
        for (j = k + 1; ks && j < ks->n && pos < sizeof(also); j++)
            if (all[j] != ~all[KEYS_MAX + j]) {
                int m = snprintf(also + pos, sizeof(also) - pos, "%s%s", pos ? ", " : "", ks->key[j]);
                pos += m > 0 ? (size_t)m : 0;
            }
        name_mismatch(ctx, ks && k < ks->n ? ks->key[k] : "a setting", values, size, also);
    }
    rc = MPIFT_ERR_CONFIG;
out:
    free(values);
    free(ks);
    return rc;
}
