/*
 * cli.h - mpift-stage's configuration-free form: SRC... DEST (stage-in)
 * and --out [--from ROOT] PATTERN... COLLECT (stage-out), and the flags a
 * one-off needs.
 *
 * The launcher turns such a command line into the text of a configuration
 * file (cli_text.c) and hands it to the module in opts.config_text (hook
 * ABI 1.1): the module then loads it exactly as it loads a file, so the
 * command line and the file it prints (--print-config) mean one thing.
 * No MPI here: each rank builds its own text, and rank 0's is the one the
 * module shares, as it shares rank 0's file.
 */
#ifndef MPIFT_CLI_H
#define MPIFT_CLI_H

#include <getopt.h>
#include <stddef.h>

#include <mpift/mpift.h>

/* Room for the settings a command line makes (flags and --set). */
#define MPIFT_CLI_MAX_SETTINGS 64

/* Option codes of the flags below, outside the launcher's own letters. */
enum mpift_cli_opt {
    MPIFT_CLI_OPT_BASE = 0x200,
    MPIFT_CLI_OPT_COPIES = MPIFT_CLI_OPT_BASE,
    MPIFT_CLI_OPT_POLICY,
    MPIFT_CLI_OPT_FANOUT,
    MPIFT_CLI_OPT_CHUNK,
    MPIFT_CLI_OPT_WINDOW,
    MPIFT_CLI_OPT_COMPRESS,
    MPIFT_CLI_OPT_CHECKSUM,
    MPIFT_CLI_OPT_RETRIES,
    MPIFT_CLI_OPT_ON_ERROR,
    MPIFT_CLI_OPT_TIMEOUT,
    MPIFT_CLI_OPT_FSYNC,
    MPIFT_CLI_OPT_SHARED,
    MPIFT_CLI_OPT_PRESERVE,
    MPIFT_CLI_OPT_FROM,
    MPIFT_CLI_OPT_PRINT,
    MPIFT_CLI_OPT_AS_USER,     /* main.c's, as_user.h */
    MPIFT_CLI_OPT_WITH_LIBS,
    MPIFT_CLI_OPT_EXTRACT,
    MPIFT_CLI_OPT_END
};

/* struct option initialisers for the flags, for the launcher's table. */
#define MPIFT_CLI_LONGOPTS \
    {"copies", required_argument, NULL, MPIFT_CLI_OPT_COPIES}, \
    {"policy", required_argument, NULL, MPIFT_CLI_OPT_POLICY}, \
    {"fanout", required_argument, NULL, MPIFT_CLI_OPT_FANOUT}, \
    {"chunk-size", required_argument, NULL, MPIFT_CLI_OPT_CHUNK}, \
    {"window", required_argument, NULL, MPIFT_CLI_OPT_WINDOW}, \
    {"compress", required_argument, NULL, MPIFT_CLI_OPT_COMPRESS}, \
    {"checksum", required_argument, NULL, MPIFT_CLI_OPT_CHECKSUM}, \
    {"retries", required_argument, NULL, MPIFT_CLI_OPT_RETRIES}, \
    {"on-error", required_argument, NULL, MPIFT_CLI_OPT_ON_ERROR}, \
    {"timeout", required_argument, NULL, MPIFT_CLI_OPT_TIMEOUT}, \
    {"fsync", no_argument, NULL, MPIFT_CLI_OPT_FSYNC}, \
    {"source-shared", required_argument, NULL, MPIFT_CLI_OPT_SHARED}, \
    {"preserve", no_argument, NULL, MPIFT_CLI_OPT_PRESERVE}, \
    {"from", required_argument, NULL, MPIFT_CLI_OPT_FROM}, \
    {"print-config", no_argument, NULL, MPIFT_CLI_OPT_PRINT}, \
    {"as-user", required_argument, NULL, MPIFT_CLI_OPT_AS_USER}, \
    {"with-libs", no_argument, NULL, MPIFT_CLI_OPT_WITH_LIBS}, \
    {"extract", no_argument, NULL, MPIFT_CLI_OPT_EXTRACT}

/* One key the command line sets: a line of the configuration's text. */
struct mpift_cli_setting {
    char group[16];          /* "paths", "transfer", "workers"; "" top level */
    const char *key;         /* points into the argument */
    size_t keylen;
    const char *value;
    int bare;                /* written unquoted (an integer, true, false) */
    const char *origin;      /* the flag, "--set" or "DEST", for messages */
    const char *arg;         /* the argument as given, for messages */
};

/* One entry of stage_in or stage_out, as the configuration writes it. */
struct mpift_cli_entry {
    char *src;               /* relative to the root, '%' escaped */
    int recursive;
};

struct mpift_cli {
    struct mpift_cli_setting set[MPIFT_CLI_MAX_SETTINGS];
    size_t nset;
    int preserve;            /* --preserve */
    int with_libs;           /* --with-libs: libs = true on every entry */
    int print_config;        /* --print-config */
    int extract;             /* --extract: each SRC an archive, unpacked on arrival */
    const char *from;        /* --out's --from ROOT */

    /* Built by mpift_cli_build: */
    char *root;              /* paths.source (stage-in) or paths.dest (stage-out) */
    const char *dest;        /* DEST (stage-in) */
    char *collect;           /* COLLECT (stage-out), absolute */
    struct mpift_cli_entry *entries;
    size_t nentries;
    char *text;              /* the configuration, with markers */
    char *argv_line;         /* the command line, for the text's header */
    char *owned[MPIFT_CLI_MAX_SETTINGS];   /* flags made --set (with --config) */
    size_t nowned;
    /* The command line was refused on grounds only rank 0 judges (a SRC
     * as rank 0 sees it): the other ranks found nothing wrong, so under a
     * launcher rank 0 must not leave alone before MPI starts (see
     * mpift_options.refused). */
    int refused_alone;
};

/* What the launcher calls its configuration in messages when the command
 * line is the configuration. */
#define MPIFT_CLI_CONFIG_NAME "command line"

/* This process's rank as its launcher (mpirun, srun, mpiexec) announces
 * it in the environment, or -1 when none does. */
int mpift_cli_rank(void);

/* Say a usage error: one line on stderr, from rank 0 only (or where no
 * rank is known), so an mpirun of N ranks prints it once. */
void mpift_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One flag of MPIFT_CLI_LONGOPTS (code c, argument arg) or a --set
 * (c == 's').  Returns 0, or 2 after saying why. */
int mpift_cli_option(struct mpift_cli *cli, int c, const char *arg);

/*
 * The rest of the command line once options are read: the positional
 * arguments (n of them), and the options the launcher parsed.  With
 * --config, the flags become --set overrides in opts (the file stays the
 * configuration) and positional arguments are refused; without it the
 * positional arguments are the SRC... DEST or PATTERN... COLLECT form and
 * opts->config_text gets the configuration they and the flags make.
 * Returns -1 to go on, or the exit status: 2 after a usage error.
 */
int mpift_cli_finish(struct mpift_cli *cli, int out, int n, char *const *pos, int argc, char *const *argv,
                     struct mpift_options *opts, const char **sets, size_t max_sets);

/* The configuration's text for --print-config: without the markers that
 * point messages at the flags.  Printed on stdout. */
void mpift_cli_print(const struct mpift_cli *cli);

/* Free what mpift_cli_finish made (NULL-safe). */
void mpift_cli_free(struct mpift_cli *cli);

/* cli_paths.c: SRC... into cli->root (paths.source) and the entries; or
 * PATTERN... into cli->root (paths.dest) and the entries, and COLLECT into
 * cli->collect.  Returns 0, or 2 after a usage error. */
int mpift_cli_paths_in(struct mpift_cli *cli, int n, char *const *src);
int mpift_cli_paths_out(struct mpift_cli *cli, int n, char *const *pat, const char *collect);

/* cli_text.c: the configuration's text into cli->text.  Returns 0, or 2
 * (said): a --set of a path the arguments give, or out of memory. */
int mpift_cli_text(struct mpift_cli *cli, int out);

/* A file's name for the text, where templates are expanded: each '%'
 * doubled.  NULL when out of memory. */
char *mpift_cli_escape_pct(const char *s);

#endif
