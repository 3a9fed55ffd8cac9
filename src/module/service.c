/*
 * service.c - the master console and the workers' service loop.
 *
 * Requests and replies travel on a communicator of their own (a duplicate
 * of the context's), so a worker waiting for its next request can never
 * take a chunk or a COMPLETE meant for a transfer; the transfers themselves
 * are the same verified, atomic xfer code staging uses.
 *
 * Request (master -> worker, CONTROL tag), little-endian:
 *   "MFRQ" u32 op, i32 peer, u32 0, u64 file id, u32 name length, name
 * Reply (worker -> master, CONTROL tag):
 *   "MFRP" i32 status, text (NUL-terminated)
 * Every message is validated before use; a worker that receives one that
 * does not validate stops the job (the stream can no longer be trusted).
 */
#include "mpift_autoconf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "cmd.h"
#include "fsafe.h"
#include "log.h"
#include "progress.h"
#include "proto.h"
#include "service.h"
#include "stage.h"
#include "template.h"
#include "xfer.h"

enum req_op { REQ_RECV = 1, REQ_SEND, REQ_BCAST, REQ_LS, REQ_QUIT };

#define REQ_HDR 28
#define REQ_MAX (REQ_HDR + PATH_MAX)
#define REPLY_MAX (1u << 20)   /* an ls listing is cut to fit */
#define LS_MAX_ENTRIES 2000

struct req {
    uint32_t op;
    int32_t peer;
    uint64_t id;
    char name[PATH_MAX];
};

struct svc {
    struct mpift_ctx *ctx;
    MPI_Comm comm;            /* requests and replies */
    struct mpift_xfer x;      /* point-to-point transfers on ctx->comm */
    int rank, size;
    uint64_t next_id;
    unsigned char *msg;       /* REPLY_MAX scratch */
};

/* ------------------------------------------------------------ wire format */

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16); p[3] = (unsigned char)(v >> 24);
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int req_encode(const struct req *r, unsigned char *buf)
{
    size_t n = strlen(r->name);

    memcpy(buf, "MFRQ", 4);
    put32(buf + 4, r->op);
    put32(buf + 8, (uint32_t)r->peer);
    put32(buf + 12, 0);
    put32(buf + 16, (uint32_t)r->id);
    put32(buf + 20, (uint32_t)(r->id >> 32));
    put32(buf + 24, (uint32_t)n);
    memcpy(buf + REQ_HDR, r->name, n);
    return (int)(REQ_HDR + n);
}

static int req_decode(const unsigned char *buf, int len, int size, struct req *r, char *why, size_t wl)
{
    uint32_t n;

    if (len < REQ_HDR || memcmp(buf, "MFRQ", 4) != 0) {
        snprintf(why, wl, "request of %d bytes without its header", len);
        return MPIFT_ERR_PROTO;
    }
    r->op = get32(buf + 4);
    r->peer = (int32_t)get32(buf + 8);
    r->id = (uint64_t)get32(buf + 16) | (uint64_t)get32(buf + 20) << 32;
    n = get32(buf + 24);
    if (r->op < REQ_RECV || r->op > REQ_QUIT || n != (uint32_t)(len - REQ_HDR) || n >= sizeof(r->name) ||
        memchr(buf + REQ_HDR, '\0', n) || r->peer < 0 || r->peer >= size) {
        snprintf(why, wl, "malformed request (op %u, peer %d, name length %u of %d bytes)", r->op, r->peer,
                 n, len);
        return MPIFT_ERR_PROTO;
    }
    memcpy(r->name, buf + REQ_HDR, n);
    r->name[n] = '\0';
    return MPIFT_OK;
}

static int send_req(struct svc *s, int to, uint32_t op, int peer, uint64_t id, const char *name)
{
    unsigned char buf[REQ_MAX];
    struct req r;
    int n;

    memset(&r, 0, sizeof(r));
    r.op = op;
    r.peer = peer;
    r.id = id;
    snprintf(r.name, sizeof(r.name), "%s", name);
    n = req_encode(&r, buf);
    return MPI_Send(buf, n, MPI_BYTE, to, MPIFT_TAG_CONTROL, s->comm) == MPI_SUCCESS ? MPIFT_OK : MPIFT_ERR_MPI;
}

static int send_reply(struct svc *s, int status, const char *text)
{
    size_t n = strlen(text);

    if (n > REPLY_MAX - 9)
        n = REPLY_MAX - 9;
    memcpy(s->msg, "MFRP", 4);
    put32(s->msg + 4, (uint32_t)status);
    memcpy(s->msg + 8, text, n);
    s->msg[8 + n] = '\0';
    return MPI_Send(s->msg, (int)(9 + n), MPI_BYTE, 0, MPIFT_TAG_CONTROL, s->comm) == MPI_SUCCESS
               ? MPIFT_OK : MPIFT_ERR_MPI;
}

/* Master: the reply of `from`; text points into s->msg. */
static int recv_reply(struct svc *s, int from, int *status, const char **text)
{
    MPI_Status st;
    int len;

    if (MPI_Probe(from, MPIFT_TAG_CONTROL, s->comm, &st) != MPI_SUCCESS)
        return MPIFT_ERR_MPI;
    MPI_Get_count(&st, MPI_BYTE, &len);
    if (len < 9 || (unsigned)len > REPLY_MAX) {
        mpift_log_error("rank %d sent a reply of %d bytes: protocol error", from, len);
        return MPIFT_ERR_PROTO;
    }
    if (MPI_Recv(s->msg, len, MPI_BYTE, from, MPIFT_TAG_CONTROL, s->comm, &st) != MPI_SUCCESS)
        return MPIFT_ERR_MPI;
    if (memcmp(s->msg, "MFRP", 4) != 0 || s->msg[len - 1] != '\0') {
        mpift_log_error("rank %d sent a malformed reply: protocol error", from);
        return MPIFT_ERR_PROTO;
    }
    *status = (int32_t)get32(s->msg + 4);
    *text = (const char *)s->msg + 8;
    return MPIFT_OK;
}

/* ------------------------------------------------------------ both sides */

/* Messages built from several paths may be cut at the buffer's end; that
 * is acceptable for text meant for people, and said once here. */
static void say(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
}

/*
 * Resolve `name` below `root` for reading: the real path must stay within
 * the real root.  Returns MPIFT_OK with real filled, or a status with why.
 */
static int resolve_source(const char *root, const char *name, char *real, char *why, size_t wl)
{
    char rroot[PATH_MAX], path[PATH_MAX];

    if (!realpath(root, rroot)) {
        snprintf(why, wl, "%s: %s", root, strerror(errno));
        return errno == ENOENT ? MPIFT_ERR_NOENT : MPIFT_ERR_IO;
    }
    if (mpift_path_join(rroot, name, path, sizeof(path)) != MPIFT_OK) {
        say(why, wl, "%s/%s: path too long", rroot, name);
        return MPIFT_ERR_RANGE;
    }
    return mpift_path_resolve(rroot, NULL, path, real, why, wl);
}

/* Send `name` (below root) to rank `to`; the ERROR signal if it cannot. */
static int source_file(struct svc *s, uint64_t id, const char *root, const char *name, int to,
                       struct mpift_xres *res)
{
    struct mpift_pfile f;
    struct mpift_route rt = { -1, &to, 1 };
    char real[PATH_MAX], why[PATH_MAX + 256];
    int rc;

    rc = resolve_source(root, name, real, why, sizeof(why));
    if (rc != MPIFT_OK)
        return mpift_xfer_refuse(&s->x, id, &rt, rc, why, res);
    memset(&f, 0, sizeof(f));
    f.dest = (char *)name;
    f.src = real;
    f.preserve = 1;
    f.target = -1;
    f.type = MPIFT_PT_FILE;
    return mpift_xfer_source(&s->x, id, &f, &rt, NULL, res);
}

/* Receive `name` from rank `from` into root (created if need be). */
static int sink_file(struct svc *s, uint64_t id, const char *root, const char *name, int from,
                     struct mpift_xres *res)
{
    struct mpift_pfile f;
    struct mpift_route rt = { from, NULL, 0 };
    struct mpift_target tgt;
    char why[PATH_MAX + 256];
    int fd, rc;

    memset(&f, 0, sizeof(f));
    f.dest = (char *)name;
    f.preserve = 1;
    f.target = -1;
    f.type = MPIFT_PT_FILE;
    fd = mpift_root_open(root, why, sizeof(why));
    /* Without a root the data must still be drained: receive, write nothing. */
    tgt.rootfd = fd;
    tgt.root = root;
    rc = mpift_xfer_receive(&s->x, id, &f, &rt, fd >= 0 ? &tgt : NULL, res);
    if (fd < 0 && rc == MPIFT_OK && !res->source_failed) {
        res->status = MPIFT_ERR_IO;
        say(res->why, sizeof(res->why), "%s: %s", root, why);
    }
    if (fd >= 0)
        close(fd);
    return rc;
}

/* bcast: every rank stages one file with the configured policy. */
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
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
            strncmp(de->d_name, ".mpift-", 7) == 0)
            continue;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        snprintf(rel, sizeof(rel), "%s%s%s", prefix, prefix[0] ? "/" : "", de->d_name);
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
    char *out = malloc(REPLY_MAX - 16);
    size_t pos = 0, cap = REPLY_MAX - 64;
    int fd, count = 0, rc;

    if (!out)
        return send_reply(s, MPIFT_ERR_NOMEM, "out of memory");
    out[0] = '\0';
    fd = open(s->ctx->dest_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        int en = errno;   /* a root not made yet is an empty listing */
        snprintf(out, cap, "%s: %s", s->ctx->dest_root, strerror(en));
        rc = send_reply(s, en == ENOENT ? MPIFT_OK : MPIFT_ERR_IO, en == ENOENT ? "" : out);
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
    unsigned char buf[REQ_MAX];
    char why[256], text[PATH_MAX * 2 + 256];
    struct mpift_xres res;
    struct req r;
    MPI_Status st;
    int len, rc;

    for (;;) {
        if (MPI_Probe(0, MPIFT_TAG_CONTROL, s->comm, &st) != MPI_SUCCESS)
            return MPIFT_ERR_MPI;
        MPI_Get_count(&st, MPI_BYTE, &len);
        if (len < 0 || len > REQ_MAX) {
            mpift_log_error("request of %d bytes from the master: protocol error", len);
            return MPIFT_ERR_PROTO;
        }
        if (MPI_Recv(buf, len, MPI_BYTE, 0, MPIFT_TAG_CONTROL, s->comm, &st) != MPI_SUCCESS)
            return MPIFT_ERR_MPI;
        rc = req_decode(buf, len, s->size, &r, why, sizeof(why));
        if (rc == MPIFT_OK && r.op != REQ_LS && r.op != REQ_QUIT &&
            mpift_path_check_rel(r.name, why, sizeof(why)) != MPIFT_OK)
            rc = MPIFT_ERR_PROTO;  /* the master checks names: this one was damaged */
        if (rc != MPIFT_OK) {
            mpift_log_error("from the master: %s", why);
            return rc;
        }
        switch (r.op) {
        case REQ_QUIT:
            return MPIFT_OK;
        case REQ_LS:
            rc = worker_ls(s);
            break;
        case REQ_BCAST:
            rc = bcast_file(s, r.name);
            rc = rc == MPIFT_ERR_MPI || rc == MPIFT_ERR_PROTO || rc == MPIFT_ERR_NOMEM ? rc : MPIFT_OK;
            break;
        case REQ_RECV:
            rc = sink_file(s, r.id, s->ctx->dest_root, r.name, r.peer, &res);
            if (rc != MPIFT_OK)
                break;
            if (res.status == MPIFT_OK)
                say(text, sizeof(text), "%llu bytes to %s:%s/%s", (unsigned long long)res.bytes,
                         s->ctx->topo.host, s->ctx->dest_root, r.name);
            rc = send_reply(s, res.status, res.status == MPIFT_OK ? text : res.why);
            break;
        case REQ_SEND:
            rc = source_file(s, r.id, s->ctx->dest_root, r.name, r.peer, &res);
            if (rc == MPIFT_OK)
                rc = send_reply(s, res.status, res.status == MPIFT_OK ? "sent" : res.why);
            break;
        default:
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

static void say_result(const char *what, int status, const char *text)
{
    if (status == MPIFT_OK)
        printf("%s: ok, %s\n", what, text);
    else
        mpift_log_error("%s: failed: %s", what, text);
    fflush(stdout);
}

/* Expand one of rank 0's paths.* templates; false (reported) if it fails. */
static int master_root(struct svc *s, const char *tmpl, const char *key, const char *what, char *root,
                       size_t len)
{
    struct mpift_tvars v;

    mpift_topo_tvars(&s->ctx->topo, 0, &v);
    if (mpift_template_expand(tmpl, &v, root, len) == MPIFT_OK)
        return 1;
    mpift_log_error("%s: %s \"%s\" does not expand to a path of at most %zu bytes", what, key, tmpl, len - 1);
    return 0;
}

/* A byte meter on the master's terminal for one transfer it takes part in;
 * xfer gives it the file's size and each chunk. */
static void meter_on(struct svc *s, struct mpift_meter *m)
{
    mpift_meter_start(m, s->ctx->progress, s->ctx->quiet, 1, 0);
    s->x.meter = m;
}

static void meter_off(struct svc *s, struct mpift_meter *m)
{
    mpift_meter_add(m, 0);
    mpift_meter_end(m);
    s->x.meter = NULL;
}

static int do_send(struct svc *s, const struct mpift_cmd *c, const char *name)
{
    char root[PATH_MAX], what[PATH_MAX + 64];
    struct mpift_xres res;
    struct mpift_meter m;
    const char *text;
    int rc, status;
    uint64_t id = s->next_id++;

    snprintf(what, sizeof(what), "send %s -> rank %d (%s)", name, c->rank, host_of(s, c->rank));
    if (!master_root(s, s->ctx->cfg->source, "paths.source", what, root, sizeof(root)))
        return MPIFT_OK;
    rc = send_req(s, c->rank, REQ_RECV, 0, id, name);
    meter_on(s, &m);
    if (rc == MPIFT_OK)
        rc = source_file(s, id, root, name, c->rank, &res);
    meter_off(s, &m);
    if (rc == MPIFT_OK)
        rc = recv_reply(s, c->rank, &status, &text);
    if (rc == MPIFT_OK)
        say_result(what, res.source_failed ? res.status : status, res.source_failed ? res.why : text);
    return rc;
}

static int do_get(struct svc *s, const struct mpift_cmd *c, const char *name)
{
    char root[PATH_MAX], what[PATH_MAX + 64], msg[PATH_MAX * 2 + 64];
    struct mpift_meter m;
    struct mpift_xres res;
    const char *text;
    int rc, status;
    uint64_t id = s->next_id++;

    snprintf(what, sizeof(what), "get %s <- rank %d (%s)", name, c->rank, host_of(s, c->rank));
    if (!s->ctx->cfg->collect) {
        mpift_log_error("%s: paths.collect is not set in %s; get writes there (add collect = \"DIR\";)", what,
                        s->ctx->cfg->file);
        return MPIFT_OK;
    }
    if (!master_root(s, s->ctx->cfg->collect, "paths.collect", what, root, sizeof(root)))
        return MPIFT_OK;
    rc = send_req(s, c->rank, REQ_SEND, 0, id, name);
    meter_on(s, &m);
    if (rc == MPIFT_OK)
        rc = sink_file(s, id, root, name, c->rank, &res);
    meter_off(s, &m);
    if (rc == MPIFT_OK)
        rc = recv_reply(s, c->rank, &status, &text);
    if (rc != MPIFT_OK)
        return rc;
    if (res.status == MPIFT_OK)
        snprintf(msg, sizeof(msg), "%llu bytes to %s/%s", (unsigned long long)res.bytes, root, name);
    say_result(what, res.status, res.status == MPIFT_OK ? msg : res.why);
    return MPIFT_OK;
}

static int do_relay(struct svc *s, const struct mpift_cmd *c, const char *name)
{
    char what[PATH_MAX + 96];
    const char *text;
    int rc, st_from, st_to;
    uint64_t id = s->next_id++;

    snprintf(what, sizeof(what), "relay %s: rank %d (%s) -> rank %d (%s)", name, c->rank, host_of(s, c->rank),
             c->to, host_of(s, c->to));
    /* The receiver first, so it is ready when the bytes come. */
    rc = send_req(s, c->to, REQ_RECV, c->rank, id, name);
    if (rc == MPIFT_OK)
        rc = send_req(s, c->rank, REQ_SEND, c->to, id, name);
    if (rc == MPIFT_OK)
        rc = recv_reply(s, c->rank, &st_from, &text);
    if (rc != MPIFT_OK)
        return rc;
    if (st_from != MPIFT_OK) {
        char copy[PATH_MAX + 256];
        snprintf(copy, sizeof(copy), "%s", text);
        rc = recv_reply(s, c->to, &st_to, &text);  /* it saw the ERROR signal */
        if (rc == MPIFT_OK)
            say_result(what, st_from, copy);
        return rc;
    }
    rc = recv_reply(s, c->to, &st_to, &text);
    if (rc == MPIFT_OK)
        say_result(what, st_to, text);
    return rc;
}

static int do_ls(struct svc *s, const struct mpift_cmd *c)
{
    const char *text;
    int rc, status;

    rc = send_req(s, c->rank, REQ_LS, 0, 0, "");
    if (rc == MPIFT_OK)
        rc = recv_reply(s, c->rank, &status, &text);
    if (rc != MPIFT_OK)
        return rc;
    if (status != MPIFT_OK) {
        mpift_log_error("ls rank %d (%s): %s", c->rank, host_of(s, c->rank), text);
        return MPIFT_OK;
    }
    printf("rank %d (%s) %s:\n%s", c->rank, host_of(s, c->rank), s->ctx->cfg->dest, *text ? text : "(empty)\n");
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
        rc = send_req(s, r, REQ_BCAST, 0, 0, name);
        if (rc != MPIFT_OK)
            return rc;
    }
    rc = bcast_file(s, name);
    return rc == MPIFT_ERR_MPI || rc == MPIFT_ERR_PROTO || rc == MPIFT_ERR_NOMEM ? rc : MPIFT_OK;
}

static int master_loop(struct svc *s, FILE *in)
{
    char *line = NULL, err[512], name[PATH_MAX];
    size_t cap = 0;
    struct mpift_cmd c;
    /* Under mpirun rank 0's stdin is a pipe even when a person types. */
    int tty = fileno(in) == 0 ? mpift_tty_behind(0) : isatty(fileno(in)), rc = MPIFT_OK, r;

    if (tty)
        printf("mpift %s master console: %d workers; type help\n", PACKAGE_VERSION, s->size - 1);
    for (;;) {
        if (tty) {
            printf("master> ");
            fflush(stdout);
        }
        if (getline(&line, &cap, in) < 0)
            break;
        if (mpift_cmd_parse(line, s->size, &c, err, sizeof(err)) != MPIFT_OK) {
            mpift_log_error("%s", err);
            continue;
        }
        if (c.op == MPIFT_CMD_QUIT)
            break;
        if (c.op == MPIFT_CMD_SEND || c.op == MPIFT_CMD_GET || c.op == MPIFT_CMD_RELAY || c.op == MPIFT_CMD_BCAST) {
            if (mpift_path_check_rel(c.file, err, sizeof(err)) != MPIFT_OK) {
                mpift_log_error("%s: %s", c.file, err);
                continue;
            }
            if (mpift_path_normalize(c.file, name, sizeof(name)) != MPIFT_OK || name[0] == '\0') {
                mpift_log_error("%s: not a file name (too long, or the root itself)", c.file);
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
    if (rc != MPIFT_OK)
        return rc;
    for (r = 1; r < s->size; r++) {
        rc = send_req(s, r, REQ_QUIT, 0, 0, "");
        if (rc != MPIFT_OK)
            return rc;
    }
    return MPIFT_OK;
}

/* ------------------------------------------------------------ entry */

int mpift_service_run(struct mpift_ctx *ctx, FILE *in)
{
    struct svc s;
    int rc;

    memset(&s, 0, sizeof(s));
    s.ctx = ctx;
    s.comm = MPI_COMM_NULL;
    s.rank = ctx->topo.rank;
    s.size = ctx->topo.size;
    s.next_id = 1;
    s.msg = malloc(REPLY_MAX);
    if (MPI_Comm_dup(ctx->comm, &s.comm) != MPI_SUCCESS) {
        rc = MPIFT_ERR_MPI;
        goto out;
    }
    MPI_Comm_set_errhandler(s.comm, MPI_ERRORS_RETURN);
    rc = s.msg ? mpift_xfer_init(&s.x, ctx->comm, ctx->cfg, 1) : MPIFT_ERR_NOMEM;
    if (rc != MPIFT_OK)
        goto out;
    rc = s.rank == 0 ? master_loop(&s, in) : worker_loop(&s);
    mpift_xfer_free(&s.x);
out:
    if (s.comm != MPI_COMM_NULL)
        MPI_Comm_free(&s.comm);
    free(s.msg);
    return rc;
}
