/*
 * console_cmd.h - the master console's command language.
 *
 *   ranks | send FILE RANK | get FILE RANK | relay FILE FROM TO | bcast FILE
 *   ls RANK | help | quit
 *
 * Words are split on blanks; "double" or 'single' quotes keep blanks in a
 * name, and a backslash escapes the next character (outside single quotes).
 * Pure parsing, no MPI: unit-tested on its own.
 */
#ifndef MPIFT_CONSOLE_CMD_H
#define MPIFT_CONSOLE_CMD_H

#include <stddef.h>

enum mpift_cmd_op {
    MPIFT_CMD_NONE = 0,   /* blank line or comment */
    MPIFT_CMD_RANKS,
    MPIFT_CMD_SEND,
    MPIFT_CMD_GET,
    MPIFT_CMD_RELAY,
    MPIFT_CMD_BCAST,
    MPIFT_CMD_LS,
    MPIFT_CMD_HELP,
    MPIFT_CMD_QUIT,
};

#define MPIFT_CMD_LINE_MAX 8192

struct mpift_cmd {
    enum mpift_cmd_op op;
    char file[MPIFT_CMD_LINE_MAX];
    int rank;     /* send/get/ls: the worker; relay: FROM */
    int to;       /* relay: TO */
};

/*
 * mpift_cmd_parse - parse one line of `len` bytes (as read: a NUL byte in
 * it is refused, since every name past it would be cut short and another
 * file served).  `nranks` is the job size: ranks must be
 * workers, 1..nranks-1.  Returns MPIFT_OK or MPIFT_ERR_USAGE with a
 * one-line cause in err (e.g. "usage: send FILE RANK (2 arguments, got 1)").
 * FILE is returned unquoted but not yet checked against any root.
 */
int mpift_cmd_parse(const char *line, size_t len, int nranks, struct mpift_cmd *cmd, char *err, size_t errlen);

/* The help text, one command a line. */
extern const char mpift_cmd_help[];

#endif
