/* test_config.c - configuration loading, validation, --set and sizes. */
#include "mpift_autoconf.h"

#include <check.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "config/agree.h"
#include "config/config.h"
#include "config/loader.h"
#include "unit_main.h"

/* The spec's commented example, verbatim. */
static const char spec_example[] =
    "version = 1;\n"
    "paths: {\n"
    "  source  = \"data\";             # stage-in reads here (rank 0); relative to the config file's folder\n"
    "  dest    = \"/tmp/mpift/%j\";    # node-local root each node writes under\n"
    "  collect = \"results\";          # stage-out writes here (rank 0)\n"
    "};\n"
    "transfer: {\n"
    "  chunk_size = \"4M\";            # bytes per DATA message; K/M/G suffixes\n"
    "  window     = 4;               # chunks in flight per stream\n"
    "  checksum   = \"xxh3\";          # \"xxh3\" | \"none\"\n"
    "  retries    = 2;               # re-sends of a file whose verification failed\n"
    "  fsync      = false;\n"
    "};\n"
    "workers: {\n"
    "  policy      = \"pipeline\";     # \"direct\" | \"pipeline\" | \"tree\"\n"
    "  fanout      = 2;              # children per relay, for \"tree\"\n"
    "  max_streams = 4;              # files in flight at once\n"
    "  copies      = \"per-node\";     # \"per-node\" | \"per-rank\" | \"once\"\n"
    "};\n"
    "stage_in = (\n"
    "  { src = \"inputs/*.dat\";       dest = \"inputs/\"; },\n"
    "  { src = \"ref/\";               dest = \"ref/\"; recursive = true; preserve = true; },\n"
    "  { src = \"shards/part-%r.bin\"; dest = \"shard.bin\"; to = \"rank\"; }      # scatter\n"
    ");\n"
    "stage_out = (\n"
    "  { src = \"out/*.log\"; dest = \"%h/\"; }                                 # gathered onto rank 0\n"
    ");\n";

/* What check_config.sh builds its files from. */
#define BASE "version = 1;\npaths: { source = \"data\"; dest = \"/tmp/mpift-test/%j\"; };\n"
#define LIST "stage_in = ( { src = \"a.dat\"; dest = \"in/\"; } );\n"

static char err[8192];

static int load(const char *path, const char *text, struct mpift_config **cfg)
{
    return mpift_config_load(path, text, NULL, 0, cfg, err, sizeof(err));
}

static int load_sets(const char *text, const char *const *sets, size_t n, struct mpift_config **cfg)
{
    return mpift_config_load("/conf/t.cfg", text, sets, n, cfg, err, sizeof(err));
}

/* Fail with the whole message when `want` is not in err. */
#define ck_err_has(want) ck_assert_msg(strstr(err, (want)) != NULL, "\"%s\" not in: %s", (want), err)

/* One --set over BASE LIST must fail with `code` (err holds why).  Uses the
 * test's `one` (a one-element set list) and `cfg`. */
#define ck_set_fails(arg, code)                                               \
    do {                                                                      \
        one[0] = (arg);                                                       \
        ck_assert_int_eq(load_sets(BASE LIST, one, 1, &cfg), (code));         \
    } while (0)

/* The number of lines in err. */
static int err_lines(void)
{
    int n = err[0] != '\0';
    const char *p;

    for (p = err; *p; p++)
        n += *p == '\n';
    return n;
}

/* ------------------------------------------------------------------ sizes */

START_TEST(size_good)
{
    uint64_t v;

    ck_assert_int_eq(mpift_parse_size("4096", &v), MPIFT_OK);
    ck_assert_uint_eq(v, 4096);
    ck_assert_int_eq(mpift_parse_size("0", &v), MPIFT_OK);
    ck_assert_uint_eq(v, 0);
    ck_assert_int_eq(mpift_parse_size("4K", &v), MPIFT_OK);
    ck_assert_uint_eq(v, 4096);
    ck_assert_int_eq(mpift_parse_size("8M", &v), MPIFT_OK);
    ck_assert_uint_eq(v, 8u << 20);
    ck_assert_int_eq(mpift_parse_size("1G", &v), MPIFT_OK);
    ck_assert_uint_eq(v, 1u << 30);
    ck_assert_int_eq(mpift_parse_size("1GiB", &v), MPIFT_OK);
    ck_assert_uint_eq(v, 1u << 30);
    ck_assert_int_eq(mpift_parse_size("2t", &v), MPIFT_OK);
    ck_assert_uint_eq(v, (uint64_t)2 << 40);
    ck_assert_int_eq(mpift_parse_size("64kb", &v), MPIFT_OK);
    ck_assert_uint_eq(v, 64u << 10);
    ck_assert_int_eq(mpift_parse_size("3mib", &v), MPIFT_OK);
    ck_assert_uint_eq(v, 3u << 20);
    ck_assert_int_eq(mpift_parse_size("512B", &v), MPIFT_OK);
    ck_assert_uint_eq(v, 512);
    ck_assert_int_eq(mpift_parse_size("18446744073709551615", &v), MPIFT_OK);
    ck_assert_uint_eq(v, UINT64_MAX);
    ck_assert_int_eq(mpift_parse_size("16777215T", &v), MPIFT_OK);
    ck_assert_uint_eq(v, (uint64_t)16777215 << 40);
}
END_TEST

START_TEST(size_bad)
{
    uint64_t v = 7;

    ck_assert_int_eq(mpift_parse_size("4X", &v), MPIFT_ERR_CONFIG);
    ck_assert_int_eq(mpift_parse_size("", &v), MPIFT_ERR_CONFIG);
    ck_assert_int_eq(mpift_parse_size("-1", &v), MPIFT_ERR_CONFIG);
    ck_assert_int_eq(mpift_parse_size("+4", &v), MPIFT_ERR_CONFIG);
    ck_assert_int_eq(mpift_parse_size(" 4", &v), MPIFT_ERR_CONFIG);
    ck_assert_int_eq(mpift_parse_size("4 M", &v), MPIFT_ERR_CONFIG);
    ck_assert_int_eq(mpift_parse_size("K", &v), MPIFT_ERR_CONFIG);
    ck_assert_int_eq(mpift_parse_size("1.5G", &v), MPIFT_ERR_CONFIG);
    ck_assert_int_eq(mpift_parse_size("4iB", &v), MPIFT_ERR_CONFIG);
    ck_assert_int_eq(mpift_parse_size("4MM", &v), MPIFT_ERR_CONFIG);
    ck_assert_int_eq(mpift_parse_size("4MBx", &v), MPIFT_ERR_CONFIG);
    ck_assert_int_eq(mpift_parse_size(NULL, &v), MPIFT_ERR_CONFIG);
    ck_assert_int_eq(mpift_parse_size("18446744073709551616", &v), MPIFT_ERR_RANGE);
    ck_assert_int_eq(mpift_parse_size("16777216T", &v), MPIFT_ERR_RANGE);
    ck_assert_int_eq(mpift_parse_size("99999999999999999999999G", &v), MPIFT_ERR_RANGE);
    /* malformed wins over too many digits */
    ck_assert_int_eq(mpift_parse_size("99999999999999999999999X", &v), MPIFT_ERR_CONFIG);
    ck_assert_uint_eq(v, 7); /* untouched on error */
}
END_TEST

/* ------------------------------------------------------------------ good files */

START_TEST(spec_example_parses)
{
    struct mpift_config *cfg = NULL;

    ck_assert_msg(load("/etc/mpift/stage.cfg", spec_example, &cfg) == MPIFT_OK, "%s", err);
    ck_assert_ptr_nonnull(cfg);
    ck_assert_str_eq(err, "");
    ck_assert_str_eq(cfg->file, "/etc/mpift/stage.cfg");
    ck_assert_str_eq(cfg->dir, "/etc/mpift");
    ck_assert_int_eq(cfg->version, 1);
    ck_assert_str_eq(cfg->source, "/etc/mpift/data");
    ck_assert_str_eq(cfg->dest, "/tmp/mpift/%j");
    ck_assert_str_eq(cfg->collect, "/etc/mpift/results");
    ck_assert_uint_eq(cfg->chunk_size, 4u << 20);
    ck_assert_int_eq(cfg->window, 4);
    ck_assert_int_eq(cfg->checksum, MPIFT_CKSUM_XXH3);
    ck_assert_int_eq(cfg->retries, 2);
    ck_assert(!cfg->fsync);
    ck_assert_int_eq(cfg->policy, MPIFT_POLICY_PIPELINE);
    ck_assert_int_eq(cfg->fanout, 2);
    ck_assert_int_eq(cfg->max_streams, 4);
    ck_assert_int_eq(cfg->copies, MPIFT_COPIES_PER_NODE);

    ck_assert_uint_eq(cfg->n_in, 3);
    ck_assert_str_eq(cfg->in[0].src, "inputs/*.dat");
    ck_assert_str_eq(cfg->in[0].dest, "inputs/");
    ck_assert(!cfg->in[0].recursive && !cfg->in[0].preserve);
    ck_assert_int_eq(cfg->in[0].to, MPIFT_TO_NODE);
    ck_assert_int_eq(cfg->in[0].line, 21);
    ck_assert_str_eq(cfg->in[1].src, "ref/");
    ck_assert_str_eq(cfg->in[1].dest, "ref/");
    ck_assert(cfg->in[1].recursive && cfg->in[1].preserve);
    ck_assert_int_eq(cfg->in[1].to, MPIFT_TO_NODE);
    ck_assert_int_eq(cfg->in[1].line, 22);
    ck_assert_str_eq(cfg->in[2].src, "shards/part-%r.bin");
    ck_assert_str_eq(cfg->in[2].dest, "shard.bin");
    ck_assert_int_eq(cfg->in[2].to, MPIFT_TO_RANK);
    ck_assert_int_eq(cfg->in[2].line, 23);

    ck_assert_uint_eq(cfg->n_out, 1);
    ck_assert_str_eq(cfg->out[0].src, "out/*.log");
    ck_assert_str_eq(cfg->out[0].dest, "%h/");
    ck_assert_int_eq(cfg->out[0].line, 26);

    mpift_config_free(&cfg);
    ck_assert_ptr_null(cfg);
}
END_TEST

START_TEST(every_value_other_than_default)
{
    static const char text[] =
        "version = 1;\n"
        "paths: { source = \"/srv/in\"; dest = \"%t/stage\"; collect = \"/srv/out/%j\"; };\n"
        "transfer: { chunk_size = 65536; window = 64; checksum = \"none\"; retries = 0; fsync = true; };\n"
        "workers: { policy = \"direct\"; fanout = 64; max_streams = 1; copies = \"per-rank\"; };\n"
        "stage_in = ( { src = \"x\"; } );\n";
    struct mpift_config *cfg = NULL;

    ck_assert_msg(load("t.cfg", text, &cfg) == MPIFT_OK, "%s", err);
    ck_assert_str_eq(cfg->source, "/srv/in");
    ck_assert_str_eq(cfg->dest, "%t/stage");
    ck_assert_str_eq(cfg->collect, "/srv/out/%j");
    ck_assert_uint_eq(cfg->chunk_size, 65536);
    ck_assert_int_eq(cfg->window, 64);
    ck_assert_int_eq(cfg->checksum, MPIFT_CKSUM_NONE);
    ck_assert_int_eq(cfg->retries, 0);
    ck_assert(cfg->fsync);
    ck_assert_int_eq(cfg->policy, MPIFT_POLICY_DIRECT);
    ck_assert_int_eq(cfg->fanout, 64);
    ck_assert_int_eq(cfg->max_streams, 1);
    ck_assert_int_eq(cfg->copies, MPIFT_COPIES_PER_RANK);
    ck_assert_str_eq(cfg->in[0].dest, "");
    ck_assert_ptr_null(cfg->out);
    ck_assert_uint_eq(cfg->n_out, 0);
    mpift_config_free(&cfg);

    /* 64-bit integer and the upper and lower limits */
    ck_assert_msg(load("t.cfg", BASE "transfer: { chunk_size = 1073741824L; };", &cfg) == MPIFT_OK, "%s", err);
    ck_assert_uint_eq(cfg->chunk_size, MPIFT_CHUNK_MAX);
    mpift_config_free(&cfg);
    ck_assert_msg(load("t.cfg", BASE "transfer: { chunk_size = \"4KiB\"; };", &cfg) == MPIFT_OK, "%s", err);
    ck_assert_uint_eq(cfg->chunk_size, MPIFT_CHUNK_MIN);
    mpift_config_free(&cfg);
    ck_assert_msg(load("t.cfg", BASE "workers: { copies = \"once\"; };", &cfg) == MPIFT_OK, "%s", err);
    ck_assert_int_eq(cfg->copies, MPIFT_COPIES_ONCE);
    mpift_config_free(&cfg);
}
END_TEST

START_TEST(defaults)
{
    struct mpift_config *cfg = NULL;

    /* Neither stage_in nor stage_out: loads; staging says "nothing to stage". */
    ck_assert_msg(load("conf/min.cfg", BASE, &cfg) == MPIFT_OK, "%s", err);
    ck_assert_int_eq(cfg->version, 1);
    ck_assert_ptr_null(cfg->collect);
    ck_assert_uint_eq(cfg->chunk_size, 256u << 10);
    ck_assert_int_eq(cfg->window, 32);
    ck_assert_int_eq(cfg->checksum, MPIFT_CKSUM_XXH3);
    ck_assert_int_eq(cfg->retries, 2);
    ck_assert(!cfg->fsync);
    ck_assert_int_eq(cfg->policy, MPIFT_POLICY_PIPELINE);
    ck_assert_int_eq(cfg->fanout, 2);
    ck_assert_int_eq(cfg->max_streams, 4);
    ck_assert_int_eq(cfg->copies, MPIFT_COPIES_PER_NODE);
    ck_assert_ptr_null(cfg->in);
    ck_assert_uint_eq(cfg->n_in, 0);
    ck_assert_ptr_null(cfg->out);
    ck_assert_uint_eq(cfg->n_out, 0);
    mpift_config_free(&cfg);

    /* The window a tree gets unless one is set (see config/validate.c). */
    ck_assert_msg(load("t.cfg", BASE "workers: { policy = \"tree\"; };", &cfg) == MPIFT_OK, "%s", err);
    ck_assert_int_eq(cfg->window, 4);
    mpift_config_free(&cfg);
    ck_assert_msg(load("t.cfg", BASE "workers: { policy = \"tree\"; }; transfer: { window = 32; };", &cfg) == MPIFT_OK,
                  "%s", err);
    ck_assert_int_eq(cfg->window, 32);
    mpift_config_free(&cfg);
    ck_assert_msg(load("t.cfg", BASE "workers: { policy = \"direct\"; };", &cfg) == MPIFT_OK, "%s", err);
    ck_assert_int_eq(cfg->window, 32);
    mpift_config_free(&cfg);

    ck_assert_msg(load("t.cfg", BASE "stage_in = ( { src = \"a\"; } ); stage_out = ();", &cfg) == MPIFT_OK,
                  "%s", err);
    ck_assert_uint_eq(cfg->n_in, 1);
    ck_assert_str_eq(cfg->in[0].dest, "");
    ck_assert(!cfg->in[0].recursive && !cfg->in[0].preserve);
    ck_assert_int_eq(cfg->in[0].to, MPIFT_TO_NODE);
    ck_assert_uint_eq(cfg->n_out, 0);
    mpift_config_free(&cfg);

    ck_assert_msg(load("t.cfg", BASE "stage_in = [];", &cfg) == MPIFT_OK, "%s", err);
    ck_assert_uint_eq(cfg->n_in, 0);
    mpift_config_free(&cfg);
    mpift_config_free(&cfg); /* NULL-safe */
    mpift_config_free(NULL);
}
END_TEST

START_TEST(relative_paths_resolve_against_the_file)
{
    struct mpift_config *cfg = NULL;
    char cwd[PATH_MAX], want[PATH_MAX + 64];

    ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
    ck_assert_msg(load("conf/./sub//t.cfg", BASE, &cfg) == MPIFT_OK, "%s", err);
    snprintf(want, sizeof(want), "%s/conf/sub", strcmp(cwd, "/") ? cwd : "");
    ck_assert_str_eq(cfg->dir, want);
    snprintf(want, sizeof(want), "%s/conf/sub/data", strcmp(cwd, "/") ? cwd : "");
    ck_assert_str_eq(cfg->source, want);
    ck_assert_str_eq(cfg->file, "conf/./sub//t.cfg");
    mpift_config_free(&cfg);

    ck_assert_msg(load("t.cfg", BASE, &cfg) == MPIFT_OK, "%s", err);
    ck_assert_str_eq(cfg->dir, cwd);
    mpift_config_free(&cfg);

    ck_assert_msg(load("/t.cfg", BASE, &cfg) == MPIFT_OK, "%s", err);
    ck_assert_str_eq(cfg->dir, "/");
    ck_assert_str_eq(cfg->source, "/data");
    mpift_config_free(&cfg);

    /* The folder joins a template: its % must not read as a specifier. */
    ck_assert_msg(load("/x/100%/t.cfg",
                       "version = 1; paths: { source = \"in/%h\"; dest = \"/d\"; collect = \"%t/r\"; };", &cfg) ==
                      MPIFT_OK, "%s", err);
    ck_assert_str_eq(cfg->source, "/x/100%%/in/%h");
    ck_assert_str_eq(cfg->collect, "%t/r");
    mpift_config_free(&cfg);
}
END_TEST

START_TEST(reads_the_file_when_no_text)
{
    char path[] = "/tmp/mpift-test-config-XXXXXX";
    struct mpift_config *cfg = NULL;
    int fd = mkstemp(path);
    FILE *f;

    ck_assert_int_ge(fd, 0);
    f = fdopen(fd, "w");
    ck_assert_ptr_nonnull(f);
    fputs(spec_example, f);
    fclose(f);
    ck_assert_msg(load(path, NULL, &cfg) == MPIFT_OK, "%s", err);
    ck_assert_uint_eq(cfg->n_in, 3);
    ck_assert_str_eq(cfg->source, "/tmp/data");
    mpift_config_free(&cfg);
    unlink(path);

    ck_assert_int_eq(load(path, NULL, &cfg), MPIFT_ERR_IO);
    ck_assert_ptr_null(cfg);
    ck_err_has(path);
    ck_err_has(": No such file or directory");

    ck_assert_int_eq(load("/tmp", NULL, &cfg), MPIFT_ERR_IO);
    ck_err_has("/tmp: Is a directory");
}
END_TEST

/* ------------------------------------------------------------------ errors */

/* Every key of the schema is classed in config/agree.c (must match, or
 * per-rank by nature), so a new key cannot slip past the agreement at
 * start; and every value the table shows differs when the setting does. */
START_TEST(every_key_is_agreed_or_per_rank)
{
    const struct mpift_keydef *top = mpift_cfg_top_keys, *k;
    char full[128], a[MPIFT_AGREE_VALUE_MAX], b[MPIFT_AGREE_VALUE_MAX];
    struct mpift_config *c1 = NULL, *c2 = NULL;
    const char *s1[] = {"transfer.chunk_size=64K"};
    size_t i, differ = 0;
    bool per_rank;

    for (; top->name; top++) {
        if (top->kind != MPIFT_KEY_GROUP) {
            ck_assert_msg(mpift_cfg_agree_known(top->name), "%s is not in config/agree.c", top->name);
            continue;
        }
        for (k = mpift_cfg_group_keys(top->name); k->name; k++) {
            snprintf(full, sizeof(full), "%s.%s", top->name, k->name);
            ck_assert_msg(mpift_cfg_agree_known(full), "%s is not in config/agree.c", full);
        }
    }
    ck_assert_int_eq(load_sets(BASE LIST, NULL, 0, &c1), MPIFT_OK);
    ck_assert_int_eq(load_sets(BASE LIST, s1, 1, &c2), MPIFT_OK);
    for (i = 0; i < mpift_cfg_agree_count(); i++) {
        mpift_cfg_agree_key(i, &per_rank);
        mpift_cfg_agree_value(c1, i, a, sizeof(a));
        mpift_cfg_agree_value(c2, i, b, sizeof(b));
        differ += strcmp(a, b) != 0;
    }
    ck_assert_uint_eq(differ, 1);
    mpift_config_free(&c1);
    mpift_config_free(&c2);
}
END_TEST

START_TEST(unknown_keys_everywhere)
{
    struct mpift_config *cfg = NULL;

    ck_assert_int_eq(load("unknown.cfg", BASE "transfer: {\n  chunk_size = \"8M\";\n  windw = 3;\n};\n" LIST, &cfg),
                     MPIFT_ERR_CONFIG);
    ck_assert_ptr_null(cfg);
    ck_err_has("unknown.cfg:5: transfer.windw: unknown key; did you mean window?");
    ck_err_has("chunk_size, window, checksum, retries, fsync");

    ck_assert_int_eq(load("u.cfg", BASE "trasnfer: { };\nfoo = 1;\n", &cfg), MPIFT_ERR_CONFIG);
    ck_err_has("u.cfg:3: trasnfer: unknown key; did you mean transfer?");
    ck_err_has("u.cfg:4: foo: unknown key (top-level keys: version, paths, transfer, workers, cache, stage_in, stage_out)");
    ck_assert_int_eq(err_lines(), 2);

    ck_assert_int_eq(load("u.cfg", BASE "stage_in = (\n { src = \"a\"; },\n { sorce = \"b\"; src = \"c\"; }\n);\n",
                          &cfg), MPIFT_ERR_CONFIG);
    ck_err_has("u.cfg:5: stage_in[1].sorce: unknown key; did you mean src?");

    ck_assert_int_eq(load("u.cfg", "version = 1;\npaths: { source = \"d\"; dest = \"/d\"; extra = 1; };\n", &cfg),
                     MPIFT_ERR_CONFIG);
    ck_err_has("u.cfg:2: paths.extra: unknown key (keys of paths: source, dest, collect, source_shared)");

    ck_assert_int_eq(load("u.cfg", BASE "workers: { nested: { policy = \"direct\"; }; };\n", &cfg), MPIFT_ERR_CONFIG);
    ck_err_has("u.cfg:3: workers.nested: unknown key");
}
END_TEST

START_TEST(wrong_types)
{
    struct mpift_config *cfg = NULL;

    ck_assert_int_eq(load("type.cfg", BASE "transfer: {\n  window = \"four\";\n};\n" LIST, &cfg), MPIFT_ERR_CONFIG);
    ck_err_has("type.cfg:4: transfer.window: expected an integer (1..64), got the string \"four\"");

    ck_assert_int_eq(load("t.cfg", BASE "transfer: { fsync = 1; };", &cfg), MPIFT_ERR_CONFIG);
    ck_err_has("t.cfg:3: transfer.fsync: expected true or false, got the integer 1");
    ck_assert_int_eq(load("t.cfg", BASE "transfer: { chunk_size = 4.5; };", &cfg), MPIFT_ERR_CONFIG);
    ck_err_has("t.cfg:3: transfer.chunk_size: expected a size");
    ck_assert_int_eq(load("t.cfg", BASE "workers: { policy = 1; };", &cfg), MPIFT_ERR_CONFIG);
    ck_err_has("t.cfg:3: workers.policy: expected a string");
    ck_assert_int_eq(load("t.cfg", BASE "transfer = 3;", &cfg), MPIFT_ERR_CONFIG);
    ck_err_has("t.cfg:3: transfer: expected a group");
    ck_assert_int_eq(load("t.cfg", BASE "stage_in = { src = \"a\"; };", &cfg), MPIFT_ERR_CONFIG);
    ck_err_has("t.cfg:3: stage_in: expected a list");
    ck_assert_int_eq(load("t.cfg", BASE "stage_in = ( \"a.dat\" );", &cfg), MPIFT_ERR_CONFIG);
    ck_err_has("t.cfg:3: stage_in[0]: expected an entry");
    ck_assert_int_eq(load("t.cfg", BASE "stage_in = ( { src = \"a\"; recursive = \"yes\"; } );", &cfg),
                     MPIFT_ERR_CONFIG);
    ck_err_has("t.cfg:3: stage_in[0].recursive: expected true or false, got the string \"yes\"");
    ck_assert_int_eq(load("t.cfg", "version = \"1\";\npaths: { source = \"d\"; dest = \"/d\"; };", &cfg),
                     MPIFT_ERR_CONFIG);
    ck_err_has("t.cfg:1: version: expected the integer 1");
}
END_TEST

START_TEST(out_of_range)
{
    struct mpift_config *cfg = NULL;

    ck_assert_int_eq(load("range.cfg", BASE "transfer: {\n\n  window = 0;\n};\n" LIST, &cfg), MPIFT_ERR_RANGE);
    ck_err_has("range.cfg:5: transfer.window: 0 is out of range; use 1..64");
    ck_assert_int_eq(load("t.cfg", BASE "transfer: { window = 65; };", &cfg), MPIFT_ERR_RANGE);
    ck_assert_int_eq(load("t.cfg", BASE "transfer: { retries = -1; };", &cfg), MPIFT_ERR_RANGE);
    ck_err_has("transfer.retries: -1 is out of range; use 0..100");
    ck_assert_int_eq(load("t.cfg", BASE "transfer: { retries = 101; };", &cfg), MPIFT_ERR_RANGE);
    ck_assert_int_eq(load("t.cfg", BASE "workers: { fanout = 1; };", &cfg), MPIFT_ERR_RANGE);
    ck_err_has("workers.fanout: 1 is out of range; use 2..64");
    ck_assert_int_eq(load("t.cfg", BASE "workers: { max_streams = 0; };", &cfg), MPIFT_ERR_RANGE);
    ck_err_has("workers.max_streams: 0 is out of range; use 1..64");
    ck_assert_int_eq(load("t.cfg", BASE "workers: { max_streams = 5000000000L; };", &cfg), MPIFT_ERR_RANGE);
    ck_assert_int_eq(load("t.cfg", "version = 2;\npaths: { source = \"d\"; dest = \"/d\"; };", &cfg),
                     MPIFT_ERR_RANGE);
    ck_err_has("t.cfg:1: version: 2 is not supported");

    ck_assert_int_eq(load("t.cfg", BASE "transfer: { chunk_size = 4095; };", &cfg), MPIFT_ERR_RANGE);
    ck_err_has("t.cfg:3: transfer.chunk_size: 4095 is out of range; use 4K..1G");
    ck_assert_int_eq(load("t.cfg", BASE "transfer: { chunk_size = \"2G\"; };", &cfg), MPIFT_ERR_RANGE);
    ck_err_has("t.cfg:3: transfer.chunk_size: \"2G\" is out of range");
    ck_assert_int_eq(load("t.cfg", BASE "transfer: { chunk_size = \"99999999999999999999\"; };", &cfg),
                     MPIFT_ERR_RANGE);
    ck_assert_int_eq(load("t.cfg", BASE "transfer: { chunk_size = -4096; };", &cfg), MPIFT_ERR_RANGE);
    ck_assert_int_eq(load("size.cfg", BASE "transfer: { chunk_size = \"4X\"; };\n" LIST, &cfg), MPIFT_ERR_CONFIG);
    ck_err_has("size.cfg:3: transfer.chunk_size: \"4X\" is not a size");
    ck_assert_int_eq(load("t.cfg", BASE "transfer: { chunk_size = \"\"; };", &cfg), MPIFT_ERR_CONFIG);
}
END_TEST

START_TEST(enums)
{
    struct mpift_config *cfg = NULL;

    ck_assert_int_eq(load("tree.cfg", BASE LIST "workers: {\n  policy = \"tree\";\n  fanout = 3;\n};\n", &cfg),
                     MPIFT_OK);
    ck_assert_int_eq(cfg->policy, MPIFT_POLICY_TREE);
    ck_assert_int_eq(cfg->fanout, 3);
    mpift_config_free(&cfg);
    ck_assert_int_eq(load("t.cfg", BASE "workers: { policy = \"star\"; };", &cfg), MPIFT_ERR_CONFIG);
    ck_err_has("t.cfg:3: workers.policy: \"star\" is not one of \"direct\", \"pipeline\", \"tree\"");
    ck_assert_int_eq(load("dd.cfg", "version = 1;\npaths: { source = \"s\"; dest = \"/scratch/%u/../../etc\"; };\n",
                          &cfg), MPIFT_ERR_CONFIG);
    ck_err_has("dd.cfg:2: paths.dest: \"/scratch/%u/../../etc\" has a \"..\" component");
    ck_assert_int_eq(load("dd.cfg", "version = 1;\npaths: { source = \"s\"; dest = \"/scratch/a..b/..c\"; };\n", &cfg),
                     MPIFT_OK);   /* dots inside names are fine */
    mpift_config_free(&cfg);
    ck_assert_int_eq(load("t.cfg", BASE "transfer: { on_error = \"abort\"; };", &cfg), MPIFT_OK);
    ck_assert(cfg->abort_on_error);
    mpift_config_free(&cfg);
    ck_assert_int_eq(load("t.cfg", BASE "transfer: { on_error = \"stop\"; };", &cfg), MPIFT_ERR_CONFIG);
    ck_err_has("transfer.on_error: \"stop\" is not one of \"continue\", \"abort\"");
    ck_assert_int_eq(load("t.cfg", BASE "transfer: { checksum = \"md5\"; };", &cfg), MPIFT_ERR_CONFIG);
    ck_err_has("transfer.checksum: \"md5\" is not one of \"xxh3\", \"none\"");
    ck_assert_int_eq(load("t.cfg", BASE "workers: { copies = \"per_node\"; };", &cfg), MPIFT_ERR_CONFIG);
    ck_err_has("workers.copies: \"per_node\" is not one of \"per-node\", \"per-rank\", \"once\"");
    ck_assert_int_eq(load("t.cfg", BASE "stage_in = ( { src = \"a\"; to = \"host\"; } );", &cfg), MPIFT_ERR_CONFIG);
    ck_err_has("t.cfg:3: stage_in[0].to: \"host\" is not one of \"node\", \"rank\"");
    ck_assert_int_eq(load("t.cfg", BASE, &cfg), MPIFT_OK);
    ck_assert_int_eq(cfg->source_shared, MPIFT_SHARED_AUTO);
    mpift_config_free(&cfg);
    ck_assert_int_eq(load("s.cfg", "version = 1;\npaths: { source = \"s\"; dest = \"/d\"; source_shared = \"no\"; };\n",
                          &cfg), MPIFT_OK);
    ck_assert_int_eq(cfg->source_shared, MPIFT_SHARED_NO);
    mpift_config_free(&cfg);
    ck_assert_int_eq(load("s.cfg", "version = 1;\npaths: { source = \"s\"; dest = \"/d\"; source_shared = \"yes\"; };\n",
                          &cfg), MPIFT_OK);
    ck_assert_int_eq(cfg->source_shared, MPIFT_SHARED_YES);
    mpift_config_free(&cfg);
    ck_assert_int_eq(load("s.cfg", "version = 1;\npaths: { source = \"s\"; dest = \"/d\"; source_shared = true; };\n",
                          &cfg), MPIFT_ERR_CONFIG);
    ck_err_has("s.cfg:2: paths.source_shared: expected a string");
    ck_assert_int_eq(load("s.cfg", "version = 1;\npaths: { source = \"s\"; dest = \"/d\"; source_shared = \"maybe\"; };\n",
                          &cfg), MPIFT_ERR_CONFIG);
    ck_err_has("s.cfg:2: paths.source_shared: \"maybe\" is not one of \"auto\", \"yes\", \"no\"");
}
END_TEST

/* transfer.compress: auto by default; a codec this build lacks is
 * refused and names its package; anything else lists the choices. */
START_TEST(compress_values)
{
    struct mpift_config *cfg = NULL;

    ck_assert_msg(load("t.cfg", BASE, &cfg) == MPIFT_OK, "%s", err);
    ck_assert_int_eq(cfg->compress, MPIFT_COMPRESS_AUTO);
    mpift_config_free(&cfg);
    ck_assert_msg(load("t.cfg", BASE "transfer: { compress = \"none\"; };", &cfg) == MPIFT_OK, "%s", err);
    ck_assert_int_eq(cfg->compress, MPIFT_COMPRESS_NONE);
    mpift_config_free(&cfg);
#ifdef HAVE_LZ4
    ck_assert_msg(load("t.cfg", BASE "transfer: { compress = \"lz4\"; };", &cfg) == MPIFT_OK, "%s", err);
    ck_assert_int_eq(cfg->compress, MPIFT_COMPRESS_LZ4);
    mpift_config_free(&cfg);
#else
    ck_assert_int_eq(load("t.cfg", BASE "transfer: { compress = \"lz4\"; };", &cfg), MPIFT_ERR_CONFIG);
    ck_err_has("t.cfg:3: transfer.compress: \"lz4\" is not in this build of mpift: install liblz4 "
               "(Debian: apt-get install liblz4-dev) and rebuild");
#endif
#ifdef HAVE_ZSTD
    ck_assert_msg(load("t.cfg", BASE "transfer: { compress = \"zstd\"; };", &cfg) == MPIFT_OK, "%s", err);
    ck_assert_int_eq(cfg->compress, MPIFT_COMPRESS_ZSTD);
    mpift_config_free(&cfg);
#else
    ck_assert_int_eq(load("t.cfg", BASE "transfer: { compress = \"zstd\"; };", &cfg), MPIFT_ERR_CONFIG);
    ck_err_has("t.cfg:3: transfer.compress: \"zstd\" is not in this build of mpift: install libzstd "
               "(Debian: apt-get install libzstd-dev) and rebuild");
#endif
    ck_assert_int_eq(load("t.cfg", BASE "transfer: { compress = \"gzip\"; };", &cfg), MPIFT_ERR_CONFIG);
    ck_err_has("transfer.compress: \"gzip\" is not one of \"auto\", \"lz4\", \"zstd\", \"none\"");
    ck_assert_int_eq(load("t.cfg", BASE "transfer: { compress = true; };", &cfg), MPIFT_ERR_CONFIG);
    ck_err_has("transfer.compress");
}
END_TEST

START_TEST(syntax_error)
{
    struct mpift_config *cfg = NULL;

    ck_assert_int_eq(load("syntax.cfg", BASE LIST "transfer: { retries = 3 \n", &cfg), MPIFT_ERR_CONFIG);
    ck_assert_ptr_null(cfg);
    ck_assert_msg(strncmp(err, "syntax.cfg:", 11) == 0, "%s", err);
    ck_err_has("syntax error");
    ck_assert_int_eq(load("syntax.cfg", "version = 1;\nversion = 1;\n", &cfg), MPIFT_ERR_CONFIG);
    ck_err_has("syntax.cfg:2: duplicate setting name");
}
END_TEST

START_TEST(required_keys)
{
    struct mpift_config *cfg = NULL;

    ck_assert_int_eq(load("nodest.cfg", "version = 1;\npaths: { source = \"data\"; };\n" LIST, &cfg),
                     MPIFT_ERR_CONFIG);
    ck_err_has("nodest.cfg:2: paths.dest: required key missing");
    ck_assert_int_eq(err_lines(), 1);

    ck_assert_int_eq(load("nopaths.cfg", "version = 1;\n" LIST, &cfg), MPIFT_ERR_CONFIG);
    ck_err_has("nopaths.cfg: paths.source: required key missing");
    ck_err_has("nopaths.cfg: paths.dest: required key missing");

    ck_assert_int_eq(load("nov.cfg", "paths: { source = \"d\"; dest = \"/d\"; };", &cfg), MPIFT_ERR_CONFIG);
    ck_err_has("nov.cfg: version: required key missing");

    ck_assert_int_eq(load("t.cfg", BASE "stage_in = (\n { dest = \"x\"; }\n);\n", &cfg), MPIFT_ERR_CONFIG);
    ck_err_has("t.cfg:4: stage_in[0].src: required key missing");
    ck_assert_int_eq(load("t.cfg", BASE "stage_in = ( { src = \"\"; } );", &cfg), MPIFT_ERR_CONFIG);
    ck_err_has("t.cfg:3: stage_in[0].src: empty");
    ck_assert_int_eq(load("t.cfg", "version = 1; paths: { source = \"\"; dest = \"/d\"; };", &cfg), MPIFT_ERR_CONFIG);
    ck_err_has("t.cfg:1: paths.source: empty");
}
END_TEST

START_TEST(paths_that_escape)
{
    struct mpift_config *cfg = NULL;

    ck_assert_int_eq(load("abs.cfg", BASE "stage_in = (\n  { src = \"a.dat\"; dest = \"/etc/passwd\"; }\n);\n", &cfg),
                     MPIFT_ERR_CONFIG);
    ck_err_has("abs.cfg:4: stage_in[0].dest: absolute path \"/etc/passwd\" not allowed");
    ck_assert_int_eq(load("dotdot.cfg",
                          BASE "stage_in = (\n  { src = \"ok.dat\"; },\n  { src = \"../../etc/shadow\"; }\n);\n", &cfg),
                     MPIFT_ERR_CONFIG);
    ck_err_has("dotdot.cfg:5: stage_in[1].src: \"..\" in \"../../etc/shadow\" would leave its root");
    ck_assert_int_eq(err_lines(), 1);
    ck_assert_int_eq(load("t.cfg", BASE "stage_out = ( { src = \"out/*.log\"; dest = \"a/../../b\"; } );", &cfg),
                     MPIFT_ERR_CONFIG);
    ck_err_has("t.cfg:3: stage_out[0].dest: \"..\"");
    ck_assert_int_eq(load("t.cfg", BASE "stage_in = ( { src = \"/etc/\"; recursive = true; } );", &cfg),
                     MPIFT_ERR_CONFIG);
    ck_err_has("t.cfg:3: stage_in[0].src: absolute path");

    /* paths.dest must be absolute (or start at the job's temp dir) */
    ck_assert_int_eq(load("t.cfg", "version = 1;\npaths: { source = \"d\";\n dest = \"scratch/%j\"; };", &cfg),
                     MPIFT_ERR_CONFIG);
    ck_err_has("t.cfg:3: paths.dest: \"scratch/%j\" is not absolute");
    ck_err_has("%t");
    ck_assert_int_eq(load("t.cfg", "version = 1;\npaths: { source = \"d\"; dest = \"%h/x\"; };", &cfg),
                     MPIFT_ERR_CONFIG);

    /* templates: known ones pass, unknown ones are named */
    ck_assert_int_eq(load("t.cfg", "version = 1;\npaths: { source = \"d\"; dest = \"/s/%x\"; };", &cfg),
                     MPIFT_ERR_CONFIG);
    ck_err_has("t.cfg:2: paths.dest: unknown template %x");
    ck_assert_int_eq(load("t.cfg", BASE "stage_in = ( { src = \"a-%q\"; dest = \"b%\"; } );", &cfg),
                     MPIFT_ERR_CONFIG);
    ck_err_has("t.cfg:3: stage_in[0].src: unknown template %q");
    ck_err_has("t.cfg:3: stage_in[0].dest: template ends with a lone %");
    ck_assert_int_eq(err_lines(), 2);
}
END_TEST

START_TEST(every_error_is_reported)
{
    struct mpift_config *cfg = NULL;
    static const char text[] =
        "version = 1;\n"
        "paths: { source = \"data\"; };\n"                     /* 2: no dest */
        "transfer: { windw = 2; chunk_size = \"1T\"; };\n"     /* 3: unknown, range */
        "workers: { policy = \"ring\"; };\n"                   /* 4: not a policy */
        "stage_in = ( { src = \"../x\"; dest = \"/y\"; } );\n"; /* 5: two escapes */

    ck_assert_int_eq(load("many.cfg", text, &cfg), MPIFT_ERR_CONFIG); /* the first one's */
    ck_err_has("many.cfg:2: paths.dest: required key missing");
    ck_err_has("many.cfg:3: transfer.windw: unknown key");
    ck_err_has("many.cfg:3: transfer.chunk_size: \"1T\" is out of range");
    ck_err_has("many.cfg:4: workers.policy: \"ring\" is not one of");
    ck_err_has("many.cfg:5: stage_in[0].src:");
    ck_err_has("many.cfg:5: stage_in[0].dest:");
    ck_assert_int_eq(err_lines(), 6);

    /* the first status wins: a range error before a config error */
    ck_assert_int_eq(load("t.cfg", BASE "transfer: { window = 0; checksum = \"md5\"; };", &cfg), MPIFT_ERR_RANGE);
    ck_assert_int_eq(err_lines(), 2);
}
END_TEST

START_TEST(small_error_buffer)
{
    struct mpift_config *cfg = NULL;
    char small[16];

    memset(small, 'x', sizeof(small));
    ck_assert_int_eq(mpift_config_load("t.cfg", BASE "transfer: { windw = 2; };", NULL, 0, &cfg, small, sizeof(small)),
                     MPIFT_ERR_CONFIG);
    ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
    ck_assert_int_eq(mpift_config_load("t.cfg", BASE "transfer: { windw = 2; };", NULL, 0, &cfg, NULL, 0),
                     MPIFT_ERR_CONFIG);
    ck_assert_ptr_null(cfg);
}
END_TEST

/* transfer.timeout: seconds, 0 (no watchdog) to a day; 60 unless set. */
/* Files "t.cfg" that must be refused with status rc and a message holding msg. */
struct refusal {
    const char *file;
    int rc;
    const char *msg;
};

static void each_refused(const struct refusal *bad, size_t n)
{
    struct mpift_config *cfg = NULL;
    size_t k;

    for (k = 0; k < n; k++) {
        ck_assert_int_eq(load("t.cfg", bad[k].file, &cfg), bad[k].rc);
        ck_err_has(bad[k].msg);
    }
}

START_TEST(timeout_key)
{
    struct mpift_config *cfg = NULL;
    const char *five[] = {"transfer.timeout=5"};

    ck_assert_msg(load("t.cfg", BASE LIST, &cfg) == MPIFT_OK, "%s", err);
    ck_assert_int_eq(cfg->timeout, 60);
    mpift_config_free(&cfg);
    ck_assert_msg(load("t.cfg", BASE "transfer: { timeout = 0; };" LIST, &cfg) == MPIFT_OK, "%s", err);
    ck_assert_int_eq(cfg->timeout, 0);
    mpift_config_free(&cfg);
    ck_assert_msg(load_sets(BASE LIST, five, 1, &cfg) == MPIFT_OK, "%s", err);
    ck_assert_int_eq(cfg->timeout, 5);
    mpift_config_free(&cfg);
    {
        /* What is refused, and the message that says why. */
        static const struct refusal bad[] = {
            {BASE "transfer: { timeout = -1; };", MPIFT_ERR_RANGE,
             "t.cfg:3: transfer.timeout: -1 is out of range; use 0..86400"},
            {BASE "transfer: { timeout = 86401; };", MPIFT_ERR_RANGE, "86401 is out of range"},
            {BASE "transfer: { timeout = \"60s\"; };", MPIFT_ERR_CONFIG,
             "transfer.timeout: expected an integer (0..86400), got the string \"60s\""},
            {BASE "transfer: { timeuot = 5; };", MPIFT_ERR_CONFIG,
             "transfer.timeuot: unknown key; did you mean timeout?"},
        };
        each_refused(bad, sizeof(bad) / sizeof(bad[0]));
    }
}
END_TEST

/* cache.dir and cache.max_size: unset means no cache; a folder kept
 * across jobs, one per node, so per-job and per-rank templates are refused. */
START_TEST(cache_keys)
{
    struct mpift_config *cfg = NULL;
    const char *sets[] = {"cache.dir=/var/tmp/c-%u", "cache.max_size=1G"};

    ck_assert_msg(load("t.cfg", BASE LIST, &cfg) == MPIFT_OK, "%s", err);
    ck_assert_ptr_null(cfg->cache_dir);
    ck_assert_uint_eq(cfg->cache_max_size, MPIFT_CACHE_SIZE_DEFAULT);
    mpift_config_free(&cfg);
    ck_assert_msg(load("t.cfg", BASE "cache: { dir = \"/var/tmp/mpift-cache-%u/%h\"; max_size = \"2G\"; };" LIST,
                       &cfg) == MPIFT_OK, "%s", err);
    ck_assert_str_eq(cfg->cache_dir, "/var/tmp/mpift-cache-%u/%h");
    ck_assert_uint_eq(cfg->cache_max_size, 2ull << 30);
    mpift_config_free(&cfg);
    ck_assert_msg(load("t.cfg", BASE "cache: { max_size = 1048576; };" LIST, &cfg) == MPIFT_OK, "%s", err);
    ck_assert_ptr_null(cfg->cache_dir);
    ck_assert_uint_eq(cfg->cache_max_size, MPIFT_CACHE_SIZE_MIN);
    mpift_config_free(&cfg);
    ck_assert_msg(load_sets(BASE LIST, sets, 2, &cfg) == MPIFT_OK, "%s", err);
    ck_assert_str_eq(cfg->cache_dir, "/var/tmp/c-%u");
    ck_assert_uint_eq(cfg->cache_max_size, 1ull << 30);
    mpift_config_free(&cfg);
    /* --set reaches the group, and a misspelt one or a key left without
     * it is named. */
    {
        const char *typo[] = {"cach.dir=/x"}, *bare[] = {"max_size=2G"};
        ck_assert_int_eq(load_sets(BASE LIST, typo, 1, &cfg), MPIFT_ERR_CONFIG);
        ck_err_has("unknown key cach.dir; did you mean cache.dir?");
        ck_assert_int_eq(load_sets(BASE LIST, bare, 1, &cfg), MPIFT_ERR_CONFIG);
        ck_err_has("unknown key max_size; did you mean cache.max_size?");
    }
    {
        static const struct refusal bad[] = {
            {BASE "cache: { dir = \"cache\"; };", MPIFT_ERR_CONFIG, "t.cfg:3: cache.dir: \"cache\" is not absolute"},
            {BASE "cache: { dir = \"%t/c\"; };", MPIFT_ERR_CONFIG, "is not absolute"},
            {BASE "cache: { dir = \"/tmp/c/%j\"; };", MPIFT_ERR_CONFIG,
             "cache.dir: \"/tmp/c/%j\" changes with the job; a cache is kept across jobs"},
            {BASE "cache: { dir = \"/tmp/c-%r\"; };", MPIFT_ERR_CONFIG, "changes with the rank"},
            {BASE "cache: { dir = \"/tmp/c-%l\"; };", MPIFT_ERR_CONFIG, "changes with the rank"},
            {BASE "cache: { dir = \"/tmp/../c\"; };", MPIFT_ERR_CONFIG, "has a \"..\" component"},
            {BASE "cache: { dir = \"/tmp/%q\"; };", MPIFT_ERR_CONFIG, "cache.dir: unknown template %q"},
            {BASE "cache: { dir = 5; };", MPIFT_ERR_CONFIG, "cache.dir: expected a string"},
            {BASE "cache: { max_size = \"512K\"; };", MPIFT_ERR_RANGE,
             "cache.max_size: \"512K\" is out of range; use 1M or more"},
            {BASE "cache: { max_size = -1; };", MPIFT_ERR_RANGE, "cache.max_size: -1 is out of range"},
            {BASE "cache: { max_size = \"lots\"; };", MPIFT_ERR_CONFIG, "\"lots\" is not a size"},
            {BASE "cache: { dri = \"/tmp/c\"; };", MPIFT_ERR_CONFIG, "cache.dri: unknown key; did you mean dir?"},
        };
        each_refused(bad, sizeof(bad) / sizeof(bad[0]));
    }
}
END_TEST

/* ------------------------------------------------------------------ --set */

START_TEST(set_good)
{
    const char *sets[] = {
        "transfer.chunk_size=8M", "workers.policy=direct", "transfer.fsync=true", "transfer.window=16",
        "workers.max_streams=8", "paths.dest=\"/scratch/%u\"", "transfer.retries=1", "transfer.retries=5",
        "paths.collect=123", "version=1",
    };
    struct mpift_config *cfg = NULL;

    /* workers is absent from the file: --set creates the group */
    ck_assert_msg(load_sets(BASE "transfer: { window = 2; fsync = false; };\n" LIST, sets, 10, &cfg) == MPIFT_OK,
                  "%s", err);
    ck_assert_uint_eq(cfg->chunk_size, 8u << 20);
    ck_assert_int_eq(cfg->policy, MPIFT_POLICY_DIRECT);
    ck_assert(cfg->fsync);
    ck_assert_int_eq(cfg->window, 16);
    ck_assert_int_eq(cfg->max_streams, 8);
    ck_assert_str_eq(cfg->dest, "/scratch/%u");
    ck_assert_int_eq(cfg->retries, 5); /* the last --set wins */
    ck_assert_str_eq(cfg->collect, "/conf/123");
    mpift_config_free(&cfg);

    {
        const char *s2[] = {"transfer.chunk_size=65536"};
        ck_assert_msg(load_sets(BASE, s2, 1, &cfg) == MPIFT_OK, "%s", err);
        ck_assert_uint_eq(cfg->chunk_size, 65536);
        mpift_config_free(&cfg);
    }
    {
        /* --set can supply a required key the file lacks */
        const char *s3[] = {"paths.dest=/tmp/x"};
        ck_assert_msg(load_sets("version = 1;\npaths: { source = \"d\"; };", s3, 1, &cfg) == MPIFT_OK, "%s", err);
        ck_assert_str_eq(cfg->dest, "/tmp/x");
        mpift_config_free(&cfg);
    }
}
END_TEST

START_TEST(set_bad)
{
    struct mpift_config *cfg = NULL;
    const char *one[1];

    ck_set_fails("transfer.window=0", MPIFT_ERR_RANGE);
    ck_assert_ptr_null(cfg);
    ck_err_has("--set transfer.window=0: 0 is out of range; use 1..64");
    ck_assert_int_eq(err_lines(), 1);

    ck_set_fails("nosuch.key=1", MPIFT_ERR_CONFIG);
    ck_err_has("--set nosuch.key=1: unknown key nosuch.key");

    ck_set_fails("transfer.windw=3", MPIFT_ERR_CONFIG);
    ck_err_has("--set transfer.windw=3: unknown key transfer.windw; did you mean transfer.window?");

    ck_set_fails("trasnfer.window=3", MPIFT_ERR_CONFIG);
    ck_err_has("--set trasnfer.window=3: unknown key trasnfer.window; did you mean transfer.window?");
    ck_set_fails("versoin=1", MPIFT_ERR_CONFIG);
    ck_err_has("--set versoin=1: unknown key versoin; did you mean version?");

    ck_set_fails("window=8", MPIFT_ERR_CONFIG);
    ck_err_has("--set window=8: unknown key window; did you mean transfer.window?");

    ck_set_fails("transfer.window", MPIFT_ERR_USAGE);
    ck_err_has("--set transfer.window: expected KEY=VALUE");
    ck_set_fails("=3", MPIFT_ERR_USAGE);

    ck_set_fails("stage_in[0].dest=x", MPIFT_ERR_USAGE);
    ck_err_has("--set stage_in[0].dest=x: list entries cannot be set");
    ck_set_fails("transfer=3", MPIFT_ERR_USAGE);
    ck_err_has("--set transfer=3: transfer is a group");
    ck_set_fails("stage_in=3", MPIFT_ERR_USAGE);
    ck_set_fails("transfer.window.x=3", MPIFT_ERR_CONFIG);

    /* values meet the same validation as in the file */
    ck_set_fails("transfer.window=four", MPIFT_ERR_CONFIG);
    ck_err_has("--set transfer.window=four: expected an integer (1..64), got the string \"four\"");
    ck_set_fails("transfer.fsync=yes", MPIFT_ERR_CONFIG);
    ck_err_has("--set transfer.fsync=yes: expected true or false");
    ck_set_fails("transfer.chunk_size=4X", MPIFT_ERR_CONFIG);
    ck_err_has("--set transfer.chunk_size=4X: \"4X\" is not a size");
    ck_set_fails("transfer.chunk_size=99999999999999999999", MPIFT_ERR_RANGE);
    ck_set_fails("transfer.window=99999999999999999999", MPIFT_ERR_RANGE);
    ck_set_fails("workers.policy=ring", MPIFT_ERR_CONFIG);
    ck_err_has("--set workers.policy=ring: \"ring\" is not one of \"direct\", \"pipeline\", \"tree\"");
    ck_set_fails("paths.dest=relative", MPIFT_ERR_CONFIG);
    ck_err_has("--set paths.dest=relative: \"relative\" is not absolute");
    ck_set_fails("version=2", MPIFT_ERR_RANGE);

    /* a group the file made something else cannot take a key */
    one[0] = "transfer.window=2";
    ck_assert_int_eq(load_sets(BASE "transfer = 3;\n", one, 1, &cfg), MPIFT_ERR_CONFIG);
    ck_err_has("--set transfer.window=2: transfer is not a group in /conf/t.cfg (line 3)");

    /* file errors keep their line beside --set errors */
    one[0] = "transfer.retries=-1";
    ck_assert_int_eq(load_sets(BASE "transfer: { window = 0; retries = 1; };\n", one, 1, &cfg), MPIFT_ERR_RANGE);
    ck_err_has("/conf/t.cfg:3: transfer.window: 0 is out of range");
    ck_err_has("--set transfer.retries=-1: -1 is out of range; use 0..100");
    ck_assert_int_eq(err_lines(), 2);

    /* every bad --set is named, and nothing is validated after them */
    {
        const char *two[] = {"a.b=1", "transfer.window"};
        ck_assert_int_eq(load_sets(BASE "transfer: { window = 0; };", two, 2, &cfg), MPIFT_ERR_CONFIG);
        ck_err_has("--set a.b=1: unknown key a.b");
        ck_err_has("--set transfer.window: expected KEY=VALUE");
        ck_assert_int_eq(err_lines(), 2);
    }
}
END_TEST

static Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *t = tcase_create("sizes");

    tcase_add_test(t, size_good);
    tcase_add_test(t, size_bad);
    suite_add_tcase(s, t);

    t = tcase_create("load");
    tcase_add_test(t, spec_example_parses);
    tcase_add_test(t, every_value_other_than_default);
    tcase_add_test(t, defaults);
    tcase_add_test(t, relative_paths_resolve_against_the_file);
    tcase_add_test(t, reads_the_file_when_no_text);
    suite_add_tcase(s, t);

    t = tcase_create("errors");
    tcase_add_test(t, unknown_keys_everywhere);
    tcase_add_test(t, every_key_is_agreed_or_per_rank);
    tcase_add_test(t, wrong_types);
    tcase_add_test(t, out_of_range);
    tcase_add_test(t, timeout_key);
    tcase_add_test(t, cache_keys);
    tcase_add_test(t, enums);
    tcase_add_test(t, syntax_error);
    tcase_add_test(t, required_keys);
    tcase_add_test(t, paths_that_escape);
    tcase_add_test(t, every_error_is_reported);
    tcase_add_test(t, small_error_buffer);
    suite_add_tcase(s, t);

    t = tcase_create("set");
    tcase_add_test(t, set_good);
    tcase_add_test(t, set_bad);
    tcase_add_test(t, compress_values);
    suite_add_tcase(s, t);
    return s;
}

MPIFT_UNIT_MAIN(config_suite)
