/*
 * request_io.h - sending and receiving the service's requests and replies
 * (their bytes: wire/request.h) on the service communicator.
 */
#ifndef MPIFT_REQUEST_IO_H
#define MPIFT_REQUEST_IO_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "comm/wait.h"
#include "wire/request.h"

/*
 * The calls that send or receive wait under wt (comm/wait.h), which the
 * caller starts: the rank it names and what for ("waiting for the next
 * command from" rank 0), and whether it is idle.
 */

/* Send one request. */
int mpift_req_send(struct mpift_wait *wt, MPI_Comm comm, int to, int tag, uint32_t op, int peer, uint64_t id,
                   const char *name);

/*
 * mpift_req_recv - receive and validate one request from `from` (or
 * MPI_ANY_SOURCE) with `tag`; *src gets the sender.  Returns MPIFT_OK,
 * MPIFT_ERR_PROTO (why says what was wrong; the message was consumed) or
 * MPIFT_ERR_MPI.
 */
int mpift_req_recv(struct mpift_wait *wt, MPI_Comm comm, int from, int tag, int size, struct mpift_req *r, int *src,
                   char *why, size_t whylen);

/* Encode into scratch and send. */
int mpift_reply_send(struct mpift_wait *wt, MPI_Comm comm, int to, unsigned char *scratch, size_t cap, int status,
                     const char *text);

/*
 * mpift_reply_recv - the next reply (CONTROL tag) from `from` into buf
 * (cap bytes); *text points into buf.  A reply that does not validate is
 * reported (naming the rank) and gives MPIFT_ERR_PROTO.
 */
int mpift_reply_recv(struct mpift_wait *wt, MPI_Comm comm, int from, unsigned char *buf, size_t cap, int *status,
                     const char **text);

#endif
