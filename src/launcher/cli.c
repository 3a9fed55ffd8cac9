/*
 * cli.c - the flags of mpift-stage's configuration-free form and the
 * checks of its command line (cli.h).
 *
 * Each flag is one key of the configuration file, so a command line and
 * the file --print-config makes of it cannot drift apart: with --config
 * the same flags become --set overrides of that file.  A value is not
 * checked here but by the module, like the file's, against the one set
 * of limits in config/; its message names the flag (cli_text.c's markers).
 */
#include "mpift_autoconf.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define PROG "mpift-stage"

/* How a flag's value is written: as given in quotes, as an integer when
 * it is one (else quoted, for the module to refuse by name), or true. */
enum kind { K_STRING, K_INT, K_TRUE };

static const struct flag {
    int code;
    const char *name;
    const char *group;
    const char *key;
    enum kind kind;
} flags[] = {
    {MPIFT_CLI_OPT_COPIES, "--copies", "workers", "copies", K_STRING},
    {MPIFT_CLI_OPT_POLICY, "--policy", "workers", "policy", K_STRING},
    {MPIFT_CLI_OPT_FANOUT, "--fanout", "workers", "fanout", K_INT},
    {MPIFT_CLI_OPT_CHUNK, "--chunk-size", "transfer", "chunk_size", K_STRING},
    {MPIFT_CLI_OPT_WINDOW, "--window", "transfer", "window", K_INT},
    {MPIFT_CLI_OPT_COMPRESS, "--compress", "transfer", "compress", K_STRING},
    {MPIFT_CLI_OPT_CHECKSUM, "--checksum", "transfer", "checksum", K_STRING},
    {MPIFT_CLI_OPT_RETRIES, "--retries", "transfer", "retries", K_INT},
    {MPIFT_CLI_OPT_ON_ERROR, "--on-error", "transfer", "on_error", K_STRING},
    {MPIFT_CLI_OPT_TIMEOUT, "--timeout", "transfer", "timeout", K_INT},
    {MPIFT_CLI_OPT_FSYNC, "--fsync", "transfer", "fsync", K_TRUE},
    {MPIFT_CLI_OPT_SHARED, "--source-shared", "paths", "source_shared", K_STRING},
};

int mpift_cli_rank(void)
{
    /* Open MPI, PMIx (and MPICH's hydra with it), PMI-1/2, Slurm. */
    static const char *const vars[] = {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"};
    size_t i;

    for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
        const char *v = getenv(vars[i]);
        if (v && isdigit((unsigned char)*v))
            return atoi(v);
    }
    return -1;
}

void mpift_cli_error(const char *fmt, ...)
{
    va_list ap;

    if (mpift_cli_rank() > 0)
        return;
    va_start(ap, fmt);
    fputs(PROG ": ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* A decimal integer, optionally signed, and nothing else. */
static int is_integer(const char *v)
{
    if (*v == '-' || *v == '+')
        v++;
    if (!*v)
        return 0;
    for (; *v; v++)
        if (!isdigit((unsigned char)*v))
            return 0;
    return 1;
}

/* Record group.key = value (checked for contradictions at the end). */
static int add(struct mpift_cli *cli, const char *group, const char *key, size_t keylen, const char *value,
               int bare, const char *origin, const char *arg)
{
    struct mpift_cli_setting *s;

    if (cli->nset == MPIFT_CLI_MAX_SETTINGS) {
        mpift_cli_error("too many settings on the command line (at most %d)", MPIFT_CLI_MAX_SETTINGS);
        return 2;
    }
    s = &cli->set[cli->nset++];
    snprintf(s->group, sizeof(s->group), "%s", group);
    s->key = key;
    s->keylen = keylen;
    s->value = value;
    s->bare = bare;
    s->origin = origin;
    s->arg = arg;
    return 0;
}

/* Two settings of one key contradict each other, except two --set with
 * --config (later wins there, as it always did).  Returns 0, or 2. */
static int contradictions(const struct mpift_cli *cli, int with_config)
{
    size_t i, j;

    for (i = 0; i < cli->nset; i++)
        for (j = i + 1; j < cli->nset; j++) {
            const struct mpift_cli_setting *a = &cli->set[i], *b = &cli->set[j];
            if (strcmp(a->group, b->group) != 0 || a->keylen != b->keylen ||
                strncmp(a->key, b->key, a->keylen) != 0)
                continue;
            if (with_config && strcmp(a->origin, "--set") == 0 && strcmp(b->origin, "--set") == 0)
                continue;
            mpift_cli_error("%s %s and %s %s both set %s%s%.*s: give one", a->origin, a->arg, b->origin, b->arg,
                            a->group, *a->group ? "." : "", (int)a->keylen, a->key);
            return 2;
        }
    return 0;
}

/* --set KEY=VALUE as a setting: typed as the module types it (sets.c):
 * an integer or true/false bare, anything else a string. */
static int add_set(struct mpift_cli *cli, const char *arg)
{
    const char *eq = strchr(arg, '='), *dot;
    char group[16] = "";
    int bare;

    if (!eq || eq == arg) {
        mpift_cli_error("--set %s: expected KEY=VALUE, e.g. --set transfer.chunk_size=8M", arg);
        return 2;
    }
    dot = memchr(arg, '.', (size_t)(eq - arg));
    if (dot) {
        if ((size_t)(dot - arg) >= sizeof(group) || dot == arg) {
            mpift_cli_error("--set %s: no such group; the groups are paths, transfer and workers", arg);
            return 2;
        }
        memcpy(group, arg, (size_t)(dot - arg));
    }
    bare = is_integer(eq + 1) || strcmp(eq + 1, "true") == 0 || strcmp(eq + 1, "false") == 0;
    return add(cli, group, dot ? dot + 1 : arg, (size_t)(eq - (dot ? dot + 1 : arg)), eq + 1, bare, "--set", arg);
}

int mpift_cli_option(struct mpift_cli *cli, int c, const char *arg)
{
    size_t i;

    if (c == 's')
        return add_set(cli, arg);
    switch (c) {
    case MPIFT_CLI_OPT_PRESERVE: cli->preserve = 1; return 0;
    case MPIFT_CLI_OPT_WITH_LIBS: cli->with_libs = 1; return 0;
    case MPIFT_CLI_OPT_PRINT: cli->print_config = 1; return 0;
    case MPIFT_CLI_OPT_EXTRACT: cli->extract = 1; return 0;
    case MPIFT_CLI_OPT_FROM: cli->from = arg; return 0;
    default: break;
    }
    for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
        if (flags[i].code == c) {
            const struct flag *f = &flags[i];
            return add(cli, f->group, f->key, strlen(f->key), f->kind == K_TRUE ? "true" : arg,
                       f->kind == K_TRUE || (f->kind == K_INT && is_integer(arg)), f->name, arg ? arg : "");
        }
    return 2;
}

/* With --config: the flags as --set overrides, after the user's --set
 * (which stay where main.c put them). */
static int flags_as_sets(struct mpift_cli *cli, struct mpift_options *opts, const char **sets, size_t max_sets)
{
    size_t i;
    int n;

    if (cli->preserve) {
        mpift_cli_error("--preserve applies to SRC... DEST; with --config set preserve = true in the entries");
        return 2;
    }
    if (cli->with_libs) {
        mpift_cli_error("--with-libs applies to SRC... DEST; with --config set libs = true in the entries");
        return 2;
    }
    if (cli->extract) {
        mpift_cli_error("--extract applies to SRC... DEST; with --config set extract = true in the entries");
        return 2;
    }
    for (i = 0; i < cli->nset; i++) {
        struct mpift_cli_setting *s = &cli->set[i];
        char *kv;

        if (strcmp(s->origin, "--set") == 0)
            continue;
        if (opts->nsets == max_sets) {
            mpift_cli_error("too many settings on the command line (at most %zu)", max_sets);
            return 2;
        }
        n = snprintf(NULL, 0, "%s.%.*s=%s", s->group, (int)s->keylen, s->key, s->value);
        if (!(kv = malloc((size_t)n + 1))) {
            mpift_cli_error("out of memory");
            return 2;
        }
        snprintf(kv, (size_t)n + 1, "%s.%.*s=%s", s->group, (int)s->keylen, s->key, s->value);
        cli->owned[cli->nowned++] = kv;   /* at most one per setting */
        sets[opts->nsets++] = kv;
    }
    return -1;
}

/* The command line, quoted where a shell would need it, for the text's
 * header: which one-off this configuration was made from. */
static char *join_argv(int argc, char *const *argv)
{
    size_t len = 1;
    char *out, *p;
    int i;

    for (i = 0; i < argc; i++)
        len += strlen(argv[i]) * 4 + 3;
    if (!(out = p = malloc(len)))
        return NULL;
    for (i = 0; i < argc; i++) {
        const char *a = i == 0 ? PROG : argv[i];
        int plain = *a && strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,%+@") ==
                    strlen(a);
        if (i)
            *p++ = ' ';
        if (plain) {
            p += sprintf(p, "%s", a);
            continue;
        }
        *p++ = '\'';
        for (; *a; a++)
            p += *a == '\'' ? sprintf(p, "'\\''") : sprintf(p, "%c", *a == '\n' ? ' ' : *a);
        *p++ = '\'';
    }
    *p = '\0';
    return out;
}

int mpift_cli_finish(struct mpift_cli *cli, int out, int n, char *const *pos, int argc, char *const *argv,
                     struct mpift_options *opts, const char **sets, size_t max_sets)
{
    int rc;

    if (cli->with_libs && out) {
        mpift_cli_error("--with-libs belongs to stage-in: SRC... DEST");
        return 2;
    }
    if (cli->extract && cli->with_libs) {
        mpift_cli_error("--extract and --with-libs contradict each other: an archive is unpacked, it has no libraries");
        return 2;
    }
    if (cli->extract && out) {
        mpift_cli_error("--extract unpacks archives on arrival: it belongs to stage-in (SRC... DEST), not --out");
        return 2;
    }
    if (cli->from && !out) {
        mpift_cli_error("--from ROOT belongs to stage-out: --out --from ROOT PATTERN... COLLECT");
        return 2;
    }
    if ((rc = contradictions(cli, opts->config_path != NULL)) != 0)
        return rc;
    if (opts->config_path) {
        if (n > 0) {
            mpift_cli_error("--config FILE and %s %s exclude each other: the file names what to stage",
                            out ? "PATTERN... COLLECT" : "SRC... DEST", pos[0]);
            return 2;
        }
        if (cli->print_config) {
            mpift_cli_error("--print-config prints what SRC... DEST means; with --config the file is the "
                            "configuration");
            return 2;
        }
        if (cli->from) {
            mpift_cli_error("--from ROOT and --config exclude each other: the file's paths.dest is the root");
            return 2;
        }
        return flags_as_sets(cli, opts, sets, max_sets);
    }
    if (n == 0) {
        mpift_cli_error("nothing to stage: give SRC... DEST (e.g. " PROG " data /tmp/mpift-%%u/%%j) or --config FILE");
        return 2;
    }
    if (n == 1) {
        if (out)
            mpift_cli_error("no COLLECT: give --out PATTERN... COLLECT (COLLECT: the folder on rank 0 that "
                            "gathers them)");
        else
            mpift_cli_error("no DEST: give SRC... DEST (DEST: the node-local folder, e.g. /tmp/mpift-%%u/%%j)");
        return 2;
    }
    rc = out ? mpift_cli_paths_out(cli, n - 1, pos, pos[n - 1]) : mpift_cli_paths_in(cli, n - 1, pos);
    if (rc != 0)
        return rc;
    if (!out) {
        cli->dest = pos[n - 1];
        if (cli->dest[0] != '/' && strncmp(cli->dest, "%t", 2) != 0) {
            mpift_cli_error("DEST '%s' is not absolute: give the node-local folder, e.g. /tmp/mpift-%%u/%%j", cli->dest);
            return 2;
        }
    }
    if (!(cli->argv_line = join_argv(argc, argv))) {
        mpift_cli_error("out of memory");
        return 2;
    }
    if (mpift_cli_text(cli, out) != 0)
        return 2;
    opts->config_path = MPIFT_CLI_CONFIG_NAME;
    opts->config_text = cli->text;
    opts->nsets = 0;   /* every --set is in the text */
    return -1;
}

void mpift_cli_print(const struct mpift_cli *cli)
{
    const char *p = cli->text, *nl;

    for (; *p; p = nl) {
        nl = strchr(p, '\n');
        nl = nl ? nl + 1 : p + strlen(p);
        if (strncmp(p, "#@mpift-line ", 13) != 0)
            fwrite(p, 1, (size_t)(nl - p), stdout);
    }
}

void mpift_cli_free(struct mpift_cli *cli)
{
    size_t i;

    if (!cli)
        return;
    for (i = 0; i < cli->nentries; i++)
        free(cli->entries[i].src);
    for (i = 0; i < cli->nowned; i++)
        free(cli->owned[i]);
    cli->nowned = 0;
    free(cli->entries);
    free(cli->root);
    free(cli->collect);
    free(cli->text);
    free(cli->argv_line);
    cli->entries = NULL;
    cli->root = cli->collect = cli->text = cli->argv_line = NULL;
    cli->nentries = 0;
}
