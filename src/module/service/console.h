/*
 * console.h - the master/worker service behind --shell: rank 0 reads
 * console commands, ranks 1..N-1 serve them until quit.
 */
#ifndef MPIFT_CONSOLE_H
#define MPIFT_CONSOLE_H

#include <stdio.h>

#include "job/context.h"

/*
 * mpift_service_run - collective over ctx's communicator.  Rank 0 reads
 * commands from `in` (prompting when it is a terminal) until quit or end
 * of input; the others serve.  A failed command is reported and the
 * console goes on.  After quit (or end of input) every rank returns the
 * same status: MPIFT_OK when every command succeeded, MPIFT_ERR_FILES when
 * any failed (a transfer, an ls, a bcast, a line that is not a command or
 * a name refused: the master says how many); or MPIFT_ERR_MPI /
 * MPIFT_ERR_PROTO when the job cannot go on.
 */
int mpift_service_run(struct mpift_ctx *ctx, FILE *in);

#endif
