/*
 * result.c - mpift_result, mpift_result_json and mpift_free: the last
 * run's result as the context keeps it (stage/result.h makes it), read
 * without any MPI call.
 */
#include "mpift_autoconf.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "mpift/mpift.h"
#include "job/context.h"

/* The smallest struct mpift_result a caller can have: the first version's. */
#define RESULT_MIN (offsetof(struct mpift_result, seconds) + sizeof(double))

int mpift_result(const mpift_ctx_t *ctx, struct mpift_result *res)
{
    uint32_t size;

    if (!ctx || !res || res->size < RESULT_MIN)
        return MPIFT_ERR_USAGE;
    if (!ctx->kept.json)
        return MPIFT_ERR_NOENT;
    size = res->size;
    memcpy(res, &ctx->kept.totals, size < sizeof(*res) ? size : sizeof(*res));
    res->size = size;
    return MPIFT_OK;
}

int mpift_result_json(const mpift_ctx_t *ctx, char **json, size_t *len)
{
    if (json)
        *json = NULL;
    if (!ctx || !json)
        return MPIFT_ERR_USAGE;
    if (!ctx->kept.json)
        return MPIFT_ERR_NOENT;
    if (!(*json = malloc(ctx->kept.len + 1)))
        return MPIFT_ERR_NOMEM;
    memcpy(*json, ctx->kept.json, ctx->kept.len + 1);
    if (len)
        *len = ctx->kept.len;
    return MPIFT_OK;
}

void mpift_free(void *p)
{
    free(p);
}
