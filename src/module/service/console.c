/*
 * console.c - the master console (--shell) and the workers' service loop.
 *
 * Requests and replies (wire/request.h, tag MPIFT_TAG_SVC_CONSOLE) travel
 * on a communicator of their own (a duplicate of the context's), so a
 * worker waiting for its next request can never take a chunk or a COMPLETE
 * meant for a transfer; the transfers themselves are the engine's, the
 * same verified, atomic code staging uses (through service/peer.h).
 * Every message is validated before use; a worker that receives one that
 * does not validate stops the job (the stream can no longer be trusted).
 *
 * The session's account: a command that fails (a transfer, an ls, a bcast
 * with a failed copy, a line that is not a command, a name refused) is
 * said at once and counted; at the end the master says how many failed,
 * and its QUIT carries that count to every worker, so every rank returns
 * the same status: MPIFT_OK only when every command succeeded.
 */
#include "mpift_autoconf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "fs/walk.h"
#include "service/console_cmd.h"
#include "fs/fsafe.h"
#include "util/log.h"
#include "util/tmpname.h"
#include "util/progress.h"
#include "comm/status.h"
#include "comm/wait.h"
#include "service/peer.h"
#include "wire/proto.h"
#include "service/request_io.h"
#include "wire/request.h"
#include "service/console.h"
#include "stage/stage.h"
#include "config/template.h"
#include "engine/xfer.h"

#define REPLY_MAX (1u << 20)   /* an ls listing is cut to fit */
#define LS_MAX_ENTRIES 2000

struct svc {
    struct mpift_ctx *ctx;
    MPI_Comm comm;            /* requests and replies */
    struct mpift_watch *w;    /* the context's watchdog */
    struct mpift_xfer x;      /* point-to-point transfers on ctx->comm */
    int rank, size;
    uint64_t next_id;
    unsigned char *msg;       /* REPLY_MAX scratch */
    unsigned long commands, failed;   /* master: the session's account */
};

static int send_req(struct svc *s, int to, uint32_t op, int peer, uint64_t id, const char *name)
{
    struct mpift_wait wt;

    mpift_wait_start(&wt, s->w, to, "sending a command to", NULL, NULL);
    return mpift_req_send(&wt, s->comm, to, MPIFT_TAG_SVC_CONSOLE, op, peer, id, name);
}

static int send_reply(struct svc *s, int status, const char *text)
{
    struct mpift_wait wt;

    mpift_wait_start(&wt, s->w, 0, "sending the answer to", NULL, NULL);
    return mpift_reply_send(&wt, s->comm, 0, s->msg, REPLY_MAX, status, text);
}

/* Master: the reply of `from`; text points into s->msg.  The worker may
 * be moving a big file meanwhile: judged on its heartbeats. */
static int recv_reply(struct svc *s, int from, int *status, const char **text)
{
    struct mpift_wait wt;

    mpift_wait_start(&wt, s->w, from, "waiting for the answer of", NULL, NULL);
    wt.idle = 1;
    return mpift_reply_recv(&wt, s->comm, from, s->msg, REPLY_MAX, status, text);
}

/* ------------------------------------------------------------ both sides */

/* bcast: every rank stages one file with the configured policy; every
 * rank returns its status (its failures are reported already). */
static int bcast_file(struct svc *s, const char *name)
{
    struct mpift_config *orig = s->ctx->cfg, tmp = *orig;
    struct mpift_entry e;
    char parent[PATH_MAX], base[NAME_MAX + 1], dest[PATH_MAX + 1];
    int rc;

    memset(&e, 0, sizeof(e));
    if (mpift_split_parent(name, parent, sizeof(parent), base, sizeof(base)) != MPIFT_OK)
        parent[0] = '\0';
    snprintf(dest, sizeof(dest), "%s%s", parent, parent[0] ? "/" : "");
    e.src = (char *)name;
    e.dest = dest;
    e.preserve = true;
    tmp.in = &e;
    tmp.n_in = 1;
    s->ctx->cfg = &tmp;
    rc = mpift_stage_in_run(s->ctx);
    s->ctx->cfg = orig;
    return rc;
}

/* ------------------------------------------------------------ worker */

/* Lists the files below dfd (not mpift's temporaries: each skipped one
 * is named with --verbose on this worker). */
static void ls_walk(int dfd, const char *prefix, char *out, size_t outlen, size_t *pos, int *count)
{
    DIR *d = fdopendir(dfd);
    struct dirent *de;
    struct stat st;
    char rel[PATH_MAX];
    int sub;

    if (!d) {
        close(dfd);
        return;
    }
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        snprintf(rel, sizeof(rel), "%s%s%s", prefix, prefix[0] ? "/" : "", de->d_name);
        if (!S_ISDIR(st.st_mode) && mpift_tmp_name(de->d_name)) {
            mpift_log_verbose("ls: %s: skipped: " MPIFT_TMP_WHY, rel);
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub >= 0)
                ls_walk(sub, rel, out, outlen, pos, count);
            continue;
        }
        if (++*count > LS_MAX_ENTRIES)
            continue;
        if (*pos < outlen) {
            int n = snprintf(out + *pos, outlen - *pos, "%12llu  %s%s\n", (unsigned long long)st.st_size, rel,
                             S_ISLNK(st.st_mode) ? " (symbolic link)" : "");
            *pos += n > 0 ? (size_t)n : 0;
        }
    }
    closedir(d);
}

static int worker_ls(struct svc *s)
{
    char *out = malloc(REPLY_MAX - 16), why[MPIFT_WHY_MAX];
    size_t pos = 0, cap = REPLY_MAX - 64;
    int fd, count = 0, rc;

    if (!out)
        return send_reply(s, MPIFT_ERR_NOMEM, "out of memory");
    out[0] = '\0';
    /* Walked as a dest root is: no other user's link lists a folder of
     * their choosing. */
    fd = mpift_walk_open(s->ctx->dest_root, 0, 0, NULL, why, sizeof(why));
    if (fd < 0) {   /* a root not made yet is an empty listing */
        snprintf(out, cap, "dest root %s: %s", s->ctx->dest_root, why);
        rc = send_reply(s, fd == MPIFT_ERR_NOENT ? MPIFT_OK : fd, fd == MPIFT_ERR_NOENT ? "" : out);
        free(out);
        return rc;
    }
    ls_walk(fd, "", out, cap, &pos, &count);
    if (pos >= cap)
        pos = cap - 1;
    if (count > LS_MAX_ENTRIES)
        snprintf(out + pos, REPLY_MAX - 16 - pos, "... and %d more files\n", count - LS_MAX_ENTRIES);
    rc = send_reply(s, MPIFT_OK, out);
    free(out);
    return rc;
}

static int worker_loop(struct svc *s)
{
    char why[MPIFT_WHY_MAX], text[MPIFT_WHY_MAX];
    struct mpift_outcome res;
    struct mpift_req r;
    struct mpift_wait wt;
    int rc, src;

    for (;;) {
        /* As long as a person takes to type it: rank 0's heartbeats say
         * the console is still there. */
        mpift_wait_start(&wt, s->w, 0, "waiting for the next command from", NULL, NULL);
        rc = mpift_req_recv(&wt, s->comm, 0, MPIFT_TAG_SVC_CONSOLE, s->size, &r, &src, why, sizeof(why));
        if (rc == MPIFT_OK && r.op != MPIFT_REQ_LS && r.op != MPIFT_REQ_QUIT &&
            mpift_path_check_rel(r.name, why, sizeof(why)) != MPIFT_OK)
            rc = MPIFT_ERR_PROTO;  /* the master checks names: this one was damaged */
        if (rc == MPIFT_ERR_PROTO)
            mpift_log_error("from the master: %s", why);
        if (rc != MPIFT_OK)
            return rc;
        switch (r.op) {
        case MPIFT_REQ_QUIT:   /* id: how many commands of the session failed */
            return r.id ? MPIFT_ERR_FILES : MPIFT_OK;
        case MPIFT_REQ_LS:
            rc = worker_ls(s);
            break;
        case MPIFT_REQ_BCAST:   /* the master counts a failed one */
            rc = bcast_file(s, r.name);
            if (!mpift_status_fatal(rc))
                rc = MPIFT_OK;
            break;
        case MPIFT_REQ_RECV:
            rc = mpift_peer_recv(&s->x, r.id, s->ctx->dest_root, r.name, r.peer, &res);
            if (rc != MPIFT_OK)
                break;
            if (res.status == MPIFT_OK)
                mpift_format(text, sizeof(text), "%llu bytes to %s:%s/%s", (unsigned long long)res.bytes,
                         s->ctx->topo.host, s->ctx->dest_root, r.name);
            rc = send_reply(s, res.status, res.status == MPIFT_OK ? text : res.why);
            break;
        case MPIFT_REQ_SEND:
            rc = mpift_peer_send(&s->x, r.id, s->ctx->dest_root, r.name, r.peer, &res);
            if (rc == MPIFT_OK)
                rc = send_reply(s, res.status, res.status == MPIFT_OK ? "sent" : res.why);
            break;
        default:
            mpift_log_error("from the master: request %u is not a console request: protocol error", r.op);
            rc = MPIFT_ERR_PROTO;
        }
        if (rc != MPIFT_OK)
            return rc;
    }
}

/* ------------------------------------------------------------ master */

static const char *host_of(struct svc *s, int rank)
{
    return s->ctx->topo.hosts[rank];
}

static void say_result(struct svc *s, const char *what, int status, const char *text)
{
    if (status == MPIFT_OK) {
        printf("%s: ok, %s\n", what, text);
    } else {
        mpift_log_error("%s: failed: %s", what, text);
        s->failed++;
    }
    fflush(stdout);
}

/* Expand one of rank 0's paths.* templates; false (reported, counted) if it fails. */
static int master_root(struct svc *s, const char *tmpl, const char *key, const char *what, char *root,
                       size_t len)
{
    if (mpift_ctx_rank0_path(s->ctx, tmpl, root, len) == MPIFT_OK)
        return 1;
    s->failed++;
    mpift_log_error("%s: %s \"%s\" does not expand to a path of at most %zu bytes", what, key, tmpl, len - 1);
    return 0;
}

/* A byte meter on the master's terminal for one transfer it takes part in;
 * xfer gives it the file's size and each chunk. */
static void meter_on(struct svc *s, struct mpift_meter *m)
{
    mpift_meter_start(m, s->ctx->progress, s->ctx->progress_fd, s->ctx->log.quiet, 0, 1, 0);
    s->x.meter = m;
}

static void meter_off(struct svc *s, struct mpift_meter *m, const struct mpift_outcome *res)
{
    if (res->status == MPIFT_OK)   /* a failed one has no "100%" to show */
        mpift_meter_add(m, 0);
    mpift_meter_end(m);
    s->x.meter = NULL;
}

/*
 * One file between the master and worker `rank`, with a meter: the worker
 * is asked (op RECV: it receives what the master sends from root; SEND:
 * it sends, the master writes below root), the file moves, the worker
 * replies.  res is the master's side of it.
 */
static int transfer(struct svc *s, int rank, uint32_t op, const char *root, const char *name,
                    struct mpift_outcome *res, int *status, const char **text)
{
    struct mpift_meter m;
    uint64_t id = s->next_id++;
    int rc = send_req(s, rank, op, 0, id, name);

    res->status = MPIFT_ERR_MPI;   /* until a transfer says */
    meter_on(s, &m);
    if (rc == MPIFT_OK)
        rc = op == MPIFT_REQ_RECV ? mpift_peer_send(&s->x, id, root, name, rank, res)
                                  : mpift_peer_recv(&s->x, id, root, name, rank, res);
    meter_off(s, &m, res);
    if (rc == MPIFT_OK)
        rc = recv_reply(s, rank, status, text);
    return rc;
}

static int do_send(struct svc *s, const struct mpift_cmd *c, const char *name)
{
    char root[PATH_MAX], what[MPIFT_WHY_MAX];
    struct mpift_outcome res;
    const char *text;
    int rc, status;

    snprintf(what, sizeof(what), "send %s -> rank %d (%s)", name, c->rank, host_of(s, c->rank));
    if (!master_root(s, s->ctx->cfg->source, "paths.source", what, root, sizeof(root)))
        return MPIFT_OK;
    rc = transfer(s, c->rank, MPIFT_REQ_RECV, root, name, &res, &status, &text);
    if (rc == MPIFT_OK)
        say_result(s, what, res.source_failed ? res.status : status, res.source_failed ? res.why : text);
    return rc;
}

static int do_get(struct svc *s, const struct mpift_cmd *c, const char *name)
{
    char root[PATH_MAX], what[MPIFT_WHY_MAX], msg[MPIFT_WHY_MAX];
    struct mpift_outcome res;
    const char *text;
    int rc, status;

    snprintf(what, sizeof(what), "get %s <- rank %d (%s)", name, c->rank, host_of(s, c->rank));
    if (!s->ctx->cfg->collect) {
        mpift_log_error("%s: paths.collect is not set in %s; get writes there (add collect = \"DIR\";)", what,
                        s->ctx->cfg->file);
        s->failed++;
        return MPIFT_OK;
    }
    if (!master_root(s, s->ctx->cfg->collect, "paths.collect", what, root, sizeof(root)))
        return MPIFT_OK;
    rc = transfer(s, c->rank, MPIFT_REQ_SEND, root, name, &res, &status, &text);
    if (rc != MPIFT_OK)
        return rc;
    if (res.status == MPIFT_OK)
        mpift_format(msg, sizeof(msg), "%llu bytes to %s/%s", (unsigned long long)res.bytes, root, name);
    say_result(s, what, res.status, res.status == MPIFT_OK ? msg : res.why);
    return MPIFT_OK;
}

static int do_relay(struct svc *s, const struct mpift_cmd *c, const char *name)
{
    char what[MPIFT_WHY_MAX];
    const char *text;
    int rc, st_from, st_to;
    uint64_t id = s->next_id++;

    snprintf(what, sizeof(what), "relay %s: rank %d (%s) -> rank %d (%s)", name, c->rank, host_of(s, c->rank),
             c->to, host_of(s, c->to));
    /* The receiver first, so it is ready when the bytes come. */
    rc = send_req(s, c->to, MPIFT_REQ_RECV, c->rank, id, name);
    if (rc == MPIFT_OK)
        rc = send_req(s, c->rank, MPIFT_REQ_SEND, c->to, id, name);
    if (rc == MPIFT_OK)
        rc = recv_reply(s, c->rank, &st_from, &text);
    if (rc != MPIFT_OK)
        return rc;
    if (st_from != MPIFT_OK) {
        char copy[MPIFT_WHY_MAX];
        snprintf(copy, sizeof(copy), "%s", text);
        rc = recv_reply(s, c->to, &st_to, &text);  /* it saw the ERROR signal */
        if (rc == MPIFT_OK)
            say_result(s, what, st_from, copy);
        return rc;
    }
    rc = recv_reply(s, c->to, &st_to, &text);
    if (rc == MPIFT_OK)
        say_result(s, what, st_to, text);
    return rc;
}

static int do_ls(struct svc *s, const struct mpift_cmd *c)
{
    const char *text;
    int rc, status;

    rc = send_req(s, c->rank, MPIFT_REQ_LS, 0, 0, "");
    if (rc == MPIFT_OK)
        rc = recv_reply(s, c->rank, &status, &text);
    if (rc != MPIFT_OK)
        return rc;
    if (status != MPIFT_OK) {
        mpift_log_error("ls rank %d (%s): %s", c->rank, host_of(s, c->rank), text);
        s->failed++;
        return MPIFT_OK;
    }
    {
        /* The worker's own root: paths.dest expanded for that rank. */
        struct mpift_tvars v;
        char root[PATH_MAX];
        mpift_topo_tvars(&s->ctx->topo, c->rank, &v);
        if (mpift_template_expand(s->ctx->cfg->dest, &v, root, sizeof(root)) != MPIFT_OK)
            snprintf(root, sizeof(root), "%s", s->ctx->cfg->dest);
        printf("rank %d (%s) %s:\n%s", c->rank, host_of(s, c->rank), root, *text ? text : "(empty)\n");
    }
    fflush(stdout);
    return MPIFT_OK;
}

static void do_ranks(struct svc *s)
{
    const struct mpift_topo *t = &s->ctx->topo;
    int r;

    printf("%5s  %-24s %5s %6s  %s\n", "rank", "host", "node", "local", "role");
    for (r = 0; r < t->size; r++)
        printf("%5d  %-24s %5d %6d  %s\n", r, t->hosts[r], t->node_of[r], t->local_of[r],
               r == 0 ? "master" : "worker");
    fflush(stdout);
}

static int bcast_all(struct svc *s, const char *name)
{
    int r, rc;

    for (r = 1; r < s->size; r++) {
        rc = send_req(s, r, MPIFT_REQ_BCAST, 0, 0, name);
        if (rc != MPIFT_OK)
            return rc;
    }
    rc = bcast_file(s, name);
    if (rc == MPIFT_OK || mpift_status_fatal(rc))
        return rc;
    s->failed++;   /* each failed copy is named already */
    return MPIFT_OK;
}

/* A line refused before it ran (not a command; `name`, when given, not
 * allowed): said and counted like a failed transfer. */
static void refuse(struct svc *s, const char *name, const char *why)
{
    if (name)
        mpift_log_error("%s: %s", name, why);
    else
        mpift_log_error("%s", why);
    s->failed++;
}

/* After the last command: the account, and every worker told it with QUIT
 * (its id is the count of failed commands).  The session's status. */
static int master_end(struct svc *s)
{
    int r, rc;

    if (s->failed)
        mpift_log_error("%lu of %lu command%s failed (exit status 1)", s->failed, s->commands,
                        s->commands == 1 ? "" : "s");
    for (r = 1; r < s->size; r++) {
        rc = send_req(s, r, MPIFT_REQ_QUIT, 0, s->failed, "");
        if (rc != MPIFT_OK)
            return rc;
    }
    return s->failed ? MPIFT_ERR_FILES : MPIFT_OK;
}

/* Wait until `in` has input (or its end), sending heartbeats meanwhile:
 * the workers wait for the next command as long as a person thinks. */
static void wait_input(struct svc *s, FILE *in)
{
    struct pollfd p = { fileno(in), POLLIN, 0 };
    int ms, n;

    for (;;) {
        mpift_watch_tick(s->w);
        /* Wake up for each heartbeat due (every timeout/4 seconds). */
        ms = s->w->session ? (int)(s->w->timeout * 1000 / 8) + 1 : -1;
        n = poll(&p, 1, ms);
        if (n > 0 || (n < 0 && errno != EINTR))
            return;   /* input, its end, or an error getline will meet */
    }
}

static int master_loop(struct svc *s, FILE *in)
{
    char *line = NULL, err[MPIFT_WHY_MAX], name[PATH_MAX];
    size_t cap = 0;
    ssize_t got;
    struct mpift_cmd c;
    /* Under mpirun rank 0's stdin is a pipe even when a person types. */
    int tty = fileno(in) == 0 ? mpift_tty_behind(0) : isatty(fileno(in)), rc = MPIFT_OK;

    if (tty)
        printf("mpift %s master console: %d workers; type help\n", MPIFT_VERSION_STRING, s->size - 1);
    /* Unbuffered, so that poll() on its fd tells whether a line waits. */
    setvbuf(in, NULL, _IONBF, 0);
    for (;;) {
        if (tty) {
            printf("master> ");
            fflush(stdout);
        }
        wait_input(s, in);
        if ((got = getline(&line, &cap, in)) < 0)
            break;
        if (mpift_cmd_parse(line, (size_t)got, s->size, &c, err, sizeof(err)) != MPIFT_OK) {
            s->commands++;
            refuse(s, NULL, err);
            continue;
        }
        if (c.op == MPIFT_CMD_QUIT)
            break;
        s->commands += c.op != MPIFT_CMD_NONE;
        if (c.op == MPIFT_CMD_SEND || c.op == MPIFT_CMD_GET || c.op == MPIFT_CMD_RELAY || c.op == MPIFT_CMD_BCAST) {
            if (mpift_path_check_rel(c.file, err, sizeof(err)) != MPIFT_OK) {
                refuse(s, c.file, err);
                continue;
            }
            if (mpift_path_normalize(c.file, name, sizeof(name)) != MPIFT_OK || name[0] == '\0') {
                refuse(s, c.file, "not a file name (too long, or the root itself)");
                continue;
            }
            if (mpift_tmp_path(name)) {
                refuse(s, c.file, MPIFT_TMP_WHY);
                continue;
            }
        }
        switch (c.op) {
        case MPIFT_CMD_NONE: rc = MPIFT_OK; break;
        case MPIFT_CMD_HELP: printf("%s\n", mpift_cmd_help); fflush(stdout); break;
        case MPIFT_CMD_RANKS: do_ranks(s); break;
        case MPIFT_CMD_SEND: rc = do_send(s, &c, name); break;
        case MPIFT_CMD_GET: rc = do_get(s, &c, name); break;
        case MPIFT_CMD_RELAY: rc = do_relay(s, &c, name); break;
        case MPIFT_CMD_BCAST: rc = bcast_all(s, name); break;
        case MPIFT_CMD_LS: rc = do_ls(s, &c); break;
        default: break;
        }
        if (rc != MPIFT_OK)
            break;
    }
    if (tty && rc == MPIFT_OK)
        printf("\n");
    free(line);
    return rc == MPIFT_OK ? master_end(s) : rc;
}

/* ------------------------------------------------------------ entry */

int mpift_service_run(struct mpift_ctx *ctx, FILE *in)
{
    struct svc s;
    int rc;

    memset(&s, 0, sizeof(s));
    s.ctx = ctx;
    s.comm = ctx->svc_comm;
    s.w = &ctx->watch;
    s.rank = ctx->topo.rank;
    s.size = ctx->topo.size;
    s.next_id = 1;
    s.msg = malloc(REPLY_MAX);
    rc = s.msg ? mpift_xfer_init(&s.x, ctx->comm, ctx->cfg, 1, s.w) : MPIFT_ERR_NOMEM;
    if (rc == MPIFT_OK) {
        mpift_watch_begin(s.w);
        rc = s.rank == 0 ? master_loop(&s, in) : worker_loop(&s);
        if (rc == MPIFT_OK)
            rc = mpift_xfer_flush(&s.x);
        if (rc == MPIFT_OK)
            rc = mpift_watch_end(s.w);
        mpift_xfer_free(&s.x);
    }
    free(s.msg);
    return rc;
}
