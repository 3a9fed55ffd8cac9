/*
 * request.h - the request/reply messages of the master/worker service.
 *
 * They travel on the context's service communicator (never the one file
 * data uses), so a rank waiting for a request can never take a chunk.
 *
 * Request, little-endian:
 *   "MFRQ" u32 op, i32 peer, u32 0, u64 file id, u32 name length, name
 * Reply:
 *   "MFRP" i32 status (an MPIFT_* status code of mpift.h), text (NUL-terminated)
 *
 * Tags on the service communicator (wire/tags.h): the console's master ->
 * worker requests and every reply use MPIFT_TAG_SVC_CONSOLE; a worker's
 * own requests to the master (the mpift.h client calls) use
 * MPIFT_TAG_SVC_REQUEST; a worker announcing a file to another worker uses
 * MPIFT_TAG_SVC_ANNOUNCE.  Receivers validate every message before they
 * use a field of it.  Sending and receiving them is the service's
 * (service/request_io.h): this file holds no MPI.
 */
#ifndef MPIFT_REQUEST_H
#define MPIFT_REQUEST_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "util/log.h"
#include "wire/tags.h"

enum mpift_req_op {
    MPIFT_REQ_RECV = 1,   /* console: receive NAME from rank `peer` */
    MPIFT_REQ_SEND,       /* console: send NAME to rank `peer` */
    MPIFT_REQ_BCAST,      /* console: stage NAME onto every node */
    MPIFT_REQ_LS,         /* console: list your dest root */
    MPIFT_REQ_QUIT,       /* console: stop serving; id: the session's failed commands */
    MPIFT_REQ_FETCH,      /* client: master, send me NAME from paths.source */
    MPIFT_REQ_PUT,        /* client: master, take NAME into paths.collect */
    MPIFT_REQ_DONE,       /* client: no more requests from me */
    MPIFT_REQ_PUSH,       /* client: worker `peer`, here comes NAME */
};
#define MPIFT_REQ_OP_MAX MPIFT_REQ_PUSH


#define MPIFT_REQ_MAGIC "MFRQ"      /* 4 bytes, no NUL on the wire */
#define MPIFT_REPLY_MAGIC "MFRP"
#define MPIFT_MAGIC_LEN 4
#define MPIFT_REQ_HDR 28
#define MPIFT_REQ_MAX (MPIFT_REQ_HDR + PATH_MAX)
#define MPIFT_REPLY_HDR 8
/* A reply of the mpift.h service: a status and a message for users.
 * Senders cut the text to fit; receivers take no more. */
#define MPIFT_REPLY_CAP (MPIFT_REPLY_HDR + MPIFT_WHY_MAX)

struct mpift_req {
    uint32_t op;
    int32_t peer;
    uint64_t id;
    char name[PATH_MAX];
};

/* Encode into buf (MPIFT_REQ_MAX bytes); returns the length, or
 * MPIFT_ERR_RANGE when the name does not fit. */
int mpift_req_encode(const struct mpift_req *r, unsigned char *buf);

/* Validate len bytes as a request of a job of `size` ranks (op known,
 * peer a rank, name length exact and without NUL).  MPIFT_OK or
 * MPIFT_ERR_PROTO with the cause in why. */
int mpift_req_decode(const unsigned char *buf, int len, int size, struct mpift_req *r, char *why, size_t whylen);

/* Encode a reply into buf (cap bytes, at least MPIFT_REPLY_HDR + 1); a
 * text too long is cut.  Returns the length. */
int mpift_reply_encode(unsigned char *buf, size_t cap, int status, const char *text);

/* Validate a reply; *text points into buf.  MPIFT_OK or MPIFT_ERR_PROTO. */
int mpift_reply_decode(const unsigned char *buf, int len, int *status, const char **text);

#endif
