/* console_cmd.c - the console's command parser (see console_cmd.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpift/mpift.h"
#include "service/console_cmd.h"

#define MAX_WORDS 8

const char mpift_cmd_help[] =
    "ranks                  list ranks: rank, host, node id, local rank\n"
    "send FILE RANK         master's FILE (under paths.source) -> worker RANK's dest root\n"
    "get FILE RANK          worker RANK's FILE (under its dest root) -> master's paths.collect\n"
    "relay FILE FROM TO     worker FROM's FILE -> worker TO, straight between the two\n"
    "bcast FILE             master's FILE -> every node, with the configured policy\n"
    "ls RANK                files under worker RANK's dest root\n"
    "help                   this text\n"
    "quit                   stop every worker and end the job (so does end of input)\n"
    "Quote names with blanks: send \"my file.dat\" 2";

static const struct {
    const char *name;
    enum mpift_cmd_op op;
    int nargs;
    const char *usage;
} cmds[] = {
    { "ranks", MPIFT_CMD_RANKS, 0, "ranks" },
    { "send", MPIFT_CMD_SEND, 2, "send FILE RANK" },
    { "get", MPIFT_CMD_GET, 2, "get FILE RANK" },
    { "relay", MPIFT_CMD_RELAY, 3, "relay FILE FROM TO" },
    { "bcast", MPIFT_CMD_BCAST, 1, "bcast FILE" },
    { "ls", MPIFT_CMD_LS, 1, "ls RANK" },
    { "help", MPIFT_CMD_HELP, 0, "help" },
    { "quit", MPIFT_CMD_QUIT, 0, "quit" },
    { "exit", MPIFT_CMD_QUIT, 0, "exit" },
};

/* Split `line` into words in buf (NUL-separated).  Returns the count or -1
 * with err set. */
static int split(const char *line, char *buf, size_t buflen, char **words, char *err, size_t errlen)
{
    const char *p = line;
    size_t o = 0;
    int n = 0;

    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            p++;
        if (*p == '\0' || *p == '#')
            return n;
        if (n == MAX_WORDS) {
            snprintf(err, errlen, "too many words (at most %d)", MAX_WORDS);
            return -1;
        }
        words[n++] = buf + o;
        while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
            char q = 0;
            if (*p == '"' || *p == '\'') {
                q = *p++;
                while (*p && *p != q) {
                    if (q == '"' && *p == '\\' && p[1])
                        p++;
                    if (o + 1 >= buflen)
                        goto toolong;
                    buf[o++] = *p++;
                }
                if (*p != q) {
                    snprintf(err, errlen, "unterminated %c quote", q);
                    return -1;
                }
                p++;
                continue;
            }
            if (*p == '\\' && p[1])
                p++;
            if (o + 1 >= buflen)
                goto toolong;
            buf[o++] = *p++;
        }
        buf[o++] = '\0';
    }
toolong:
    snprintf(err, errlen, "line too long (at most %d bytes)", MPIFT_CMD_LINE_MAX - 1);
    return -1;
}

static int parse_rank(const char *what, const char *s, int nranks, int *out, char *err, size_t errlen)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 || v < INT_MIN || v > INT_MAX) {
        if (nranks < 2)
            snprintf(err, errlen, "%s \"%s\" is not a rank number (and this job has no workers)", what, s);
        else
            snprintf(err, errlen, "%s \"%s\" is not a rank number (workers are 1..%d)", what, s, nranks - 1);
        return MPIFT_ERR_USAGE;
    }
    if (v < 1 || v >= nranks) {
        if (nranks < 2)
            snprintf(err, errlen, "%s %ld: this job has no workers (run with 2 or more ranks)", what, v);
        else if (v == 0)
            snprintf(err, errlen, "%s 0 is the master; workers are 1..%d", what, nranks - 1);
        else
            snprintf(err, errlen, "%s %ld is out of range: workers are 1..%d", what, v, nranks - 1);
        return MPIFT_ERR_USAGE;
    }
    *out = (int)v;
    return MPIFT_OK;
}

int mpift_cmd_parse(const char *line, size_t len, int nranks, struct mpift_cmd *cmd, char *err, size_t errlen)
{
    char buf[MPIFT_CMD_LINE_MAX], *w[MAX_WORDS];
    const char *nul = memchr(line, '\0', len);
    size_t i;
    int n, rc;

    memset(cmd, 0, sizeof(*cmd));
    if (nul) {
        snprintf(err, errlen, "a NUL byte at byte %zu of the line: no file name holds one; refused",
                 (size_t)(nul - line) + 1);
        return MPIFT_ERR_USAGE;
    }
    if (strlen(line) >= MPIFT_CMD_LINE_MAX) {
        snprintf(err, errlen, "line too long (at most %d bytes)", MPIFT_CMD_LINE_MAX - 1);
        return MPIFT_ERR_USAGE;
    }
    n = split(line, buf, sizeof(buf), w, err, errlen);
    if (n < 0)
        return MPIFT_ERR_USAGE;
    if (n == 0)
        return MPIFT_OK;
    for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        if (strcmp(w[0], cmds[i].name) == 0)
            break;
    if (i == sizeof(cmds) / sizeof(cmds[0])) {
        snprintf(err, errlen, "unknown command \"%s\" (type help for the list)", w[0]);
        return MPIFT_ERR_USAGE;
    }
    if (n - 1 != cmds[i].nargs) {
        snprintf(err, errlen, "usage: %s (%d argument%s, got %d)", cmds[i].usage, cmds[i].nargs,
                 cmds[i].nargs == 1 ? "" : "s", n - 1);
        return MPIFT_ERR_USAGE;
    }
    cmd->op = cmds[i].op;
    switch (cmd->op) {
    case MPIFT_CMD_SEND:
    case MPIFT_CMD_GET:
    case MPIFT_CMD_RELAY:
    case MPIFT_CMD_BCAST:
        if (w[1][0] == '\0') {
            snprintf(err, errlen, "usage: %s (FILE is empty)", cmds[i].usage);
            cmd->op = MPIFT_CMD_NONE;
            return MPIFT_ERR_USAGE;
        }
        snprintf(cmd->file, sizeof(cmd->file), "%s", w[1]);
        break;
    default:
        break;
    }
    rc = MPIFT_OK;
    if (cmd->op == MPIFT_CMD_SEND || cmd->op == MPIFT_CMD_GET)
        rc = parse_rank("RANK", w[2], nranks, &cmd->rank, err, errlen);
    else if (cmd->op == MPIFT_CMD_LS)
        rc = parse_rank("RANK", w[1], nranks, &cmd->rank, err, errlen);
    else if (cmd->op == MPIFT_CMD_RELAY) {
        rc = parse_rank("FROM", w[2], nranks, &cmd->rank, err, errlen);
        if (rc == MPIFT_OK)
            rc = parse_rank("TO", w[3], nranks, &cmd->to, err, errlen);
        if (rc == MPIFT_OK && cmd->rank == cmd->to) {
            snprintf(err, errlen, "relay from rank %d to itself: FROM and TO must differ", cmd->to);
            rc = MPIFT_ERR_USAGE;
        }
    }
    if (rc != MPIFT_OK)
        cmd->op = MPIFT_CMD_NONE;
    return rc;
}
