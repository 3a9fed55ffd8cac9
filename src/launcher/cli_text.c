/*
 * cli_text.c - the configuration file a command line means (cli.h).
 *
 * The text is what --print-config prints, and what the module loads in
 * its place, so the two cannot differ.  Before each line made from an
 * argument goes a marker comment "#@mpift-line 0 ARGUMENT" (config/
 * include.c reads them), so a value the module refuses is named by the
 * argument the user typed, not by a line of a file they never saw;
 * --print-config leaves the markers out.
 */
#include "mpift_autoconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* A growing text; on out of memory it stays failed and says so once. */
struct buf {
    char *s;
    size_t len, cap;
    int failed;
};

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (b->failed)
        return;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || b->len + (size_t)n + 1 > b->cap) {
        size_t cap = (b->len + (size_t)(n < 0 ? 0 : n) + 1) * 2;
        char *s = n < 0 ? NULL : realloc(b->s, cap);
        if (!s) {
            b->failed = 1;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* A libconfig string: quoted, '\' and '"' escaped (names with control
 * characters were refused before). */
static void put_string(struct buf *b, const char *v, size_t n)
{
    size_t i;

    put(b, "\"");
    for (i = 0; i < n && v[i]; i++)
        put(b, "%s%c", v[i] == '\\' || v[i] == '"' ? "\\" : "", v[i]);
    put(b, "\"");
}

/* The marker naming where the next line came from.  A name in it ends
 * at the line's end, so a newline in an argument is written as a blank. */
static void mark(struct buf *b, const char *what, const char *arg)
{
    const char *p;

    put(b, "#@mpift-line 0 %s%s", what, arg ? " " : "");
    for (p = arg; p && *p; p++)
        put(b, "%c", *p == '\n' ? ' ' : *p);
    put(b, "\n");
}

/* The settings of one group ("" the top level), each after its marker. */
static void put_settings(struct buf *b, const struct mpift_cli *cli, const char *group, const char *indent)
{
    size_t i;

    for (i = 0; i < cli->nset; i++) {
        const struct mpift_cli_setting *s = &cli->set[i];

        if (strcmp(s->group, group) != 0)
            continue;
        mark(b, s->origin, s->arg);
        put(b, "%s%.*s = ", indent, (int)s->keylen, s->key);
        if (s->bare)
            put(b, "%s", s->value);
        else
            put_string(b, s->value, strlen(s->value));
        put(b, ";\n");
    }
}

/* Is key (a setting's) this name? */
static int is_key(const struct mpift_cli_setting *s, const char *name)
{
    return s->keylen == strlen(name) && strncmp(s->key, name, s->keylen) == 0;
}

/* Does any setting before the n-th go into group? */
static int any_in(const struct mpift_cli *cli, const char *group, size_t n)
{
    size_t i;

    for (i = 0; i < n && i < cli->nset; i++)
        if (strcmp(cli->set[i].group, group) == 0)
            return 1;
    return 0;
}

/* One group of the file with its settings, when it has any (paths always). */
static void put_group(struct buf *b, const struct mpift_cli *cli, const char *group)
{
    size_t i;

    for (i = 0; i < cli->nset && strcmp(cli->set[i].group, group) != 0; i++)
        ;
    if (i == cli->nset)
        return;
    put(b, "\n");
    mark(b, cli->set[i].origin, cli->set[i].arg);
    put(b, "%s: {\n", group);
    put_settings(b, cli, group, "  ");
    put(b, "};\n");
}

static void put_entries(struct buf *b, const struct mpift_cli *cli, int out)
{
    size_t i;

    put(b, "\n%s = (\n", out ? "stage_out" : "stage_in");
    for (i = 0; i < cli->nentries; i++) {
        mark(b, out ? "PATTERN" : "SRC", cli->entries[i].src);
        put(b, "  { src = ");
        put_string(b, cli->entries[i].src, strlen(cli->entries[i].src));
        /* Stage-out: "%h/" keeps each node's files apart in COLLECT. */
        put(b, ";%s%s%s%s%s }%s\n", out ? " dest = \"%h/\";" : "",
            cli->entries[i].recursive && !cli->extract ? " recursive = true;" : "",
            cli->preserve ? " preserve = true;" : "", cli->with_libs ? " libs = true;" : "",
            cli->extract ? " extract = true;" : "",
            i + 1 < cli->nentries ? "," : "");
    }
    put(b, ");\n");
}

int mpift_cli_text(struct mpift_cli *cli, int out)
{
    struct buf b = {NULL, 0, 0, 0};
    size_t i;

    /* SRC... DEST give these: a --set of them would contradict it. */
    for (i = 0; i < cli->nset; i++) {
        const struct mpift_cli_setting *s = &cli->set[i];
        if (strcmp(s->group, "paths") == 0 &&
            (is_key(s, "source") || is_key(s, "dest") || is_key(s, "collect"))) {
            mpift_cli_error("%s %s and %s both set paths.%.*s: give one", s->origin, s->arg,
                            out ? "PATTERN... COLLECT" : "SRC... DEST", (int)s->keylen, s->key);
            return 2;
        }
    }
    put(&b, "# mpift configuration (see mpift.conf(5)) for the command line\n#   %s\n", cli->argv_line);
    for (i = 0; i < cli->nset && !(!*cli->set[i].group && is_key(&cli->set[i], "version")); i++)
        ;
    if (i == cli->nset)
        put(&b, "version = 1;\n");
    put_settings(&b, cli, "", "");
    put(&b, "\npaths: {\n");
    if (out) {
        /* Required by the schema; stage-out never reads it. */
        put(&b, "  source = ");
        put_string(&b, cli->collect, strlen(cli->collect));
        put(&b, ";\n");
        mark(&b, cli->from ? "--from" : "PATTERN", cli->from ? cli->from : NULL);
        put(&b, "  dest = ");
        put_string(&b, cli->root, strlen(cli->root));
        put(&b, ";\n");
        mark(&b, "COLLECT", NULL);
        put(&b, "  collect = ");
        put_string(&b, cli->collect, strlen(cli->collect));
        put(&b, ";\n");
    } else {
        mark(&b, "SRC", NULL);
        put(&b, "  source = ");
        put_string(&b, cli->root, strlen(cli->root));
        put(&b, ";\n");
        mark(&b, "DEST", cli->dest);
        put(&b, "  dest = ");
        put_string(&b, cli->dest, strlen(cli->dest));
        put(&b, ";\n");
    }
    put_settings(&b, cli, "paths", "  ");
    put(&b, "};\n");
    put_group(&b, cli, "transfer");
    put_group(&b, cli, "workers");
    /* A --set of a group the schema lacks: written, for the module to name. */
    for (i = 0; i < cli->nset; i++)
        if (*cli->set[i].group && strcmp(cli->set[i].group, "paths") != 0 &&
            strcmp(cli->set[i].group, "transfer") != 0 && strcmp(cli->set[i].group, "workers") != 0 &&
            !any_in(cli, cli->set[i].group, i))
            put_group(&b, cli, cli->set[i].group);
    put_entries(&b, cli, out);
    if (b.failed) {
        free(b.s);
        mpift_cli_error("out of memory");
        return 2;
    }
    cli->text = b.s;
    return 0;
}
