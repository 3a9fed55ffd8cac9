/*
 * worker.h - the worker side of the mpift.h service calls (mpift_fetch,
 * mpift_put, mpift_send_to, mpift_recv_from, mpift_done): each is one
 * blocking request/transfer/reply exchange, re-tried when verification
 * fails.  The master side is master.c.
 */
#ifndef MPIFT_WORKER_H
#define MPIFT_WORKER_H

#include "job/context.h"

/* Free what the client calls made (mpift_close calls it). */
void mpift_client_free(struct mpift_ctx *ctx);

#endif
