/*
 * main.c - mpift-stage, the launcher.
 *
 * Small on purpose and free of MPI: it parses the command line, loads the
 * engine module through its hook table (loader.c) and hands over.  The
 * exit status is the contract of mpift-stage(1): 0 all staged and verified,
 * 1 one or more files failed, 2 usage or configuration error, 3
 * environment error.
 */
#include "mpift_autoconf.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include <mpift/hook.h>
#include "as_user.h"
#include "cli.h"
#include "loader.h"
#include "slurm.h"

#define PROG "mpift-stage"
#define MAX_SETS 256

enum mode { MODE_IN, MODE_OUT, MODE_SHELL, MODE_CHECK, MODE_CACHE_LIST, MODE_CACHE_PRUNE };

/* --cache-prune=SIZE's bytes (UINT64_MAX, without SIZE: each node's
 * cache.max_size). */
static uint64_t prune_size = UINT64_MAX;

static void usage(FILE *f)
{
    fprintf(f,
"Usage: mpirun -n N " PROG " [OPTION]... SRC... DEST\n"
"       mpirun -n N " PROG " --out [--from ROOT] [OPTION]... PATTERN... COLLECT\n"
"       mpirun -n N " PROG " --config FILE [OPTION]...\n"
"Stage files onto every node's local storage inside an MPI job: one verified\n"
"copy per node, written under a temporary name and renamed when complete.\n"
"\n"
"SRC: files, folders (with all they hold) or globs, as rank 0 sees them;\n"
"each lands in DEST under its own name (\"dir/\": the folder's contents).\n"
"DEST: the node-local folder, absolute, with templates: %%j job id, %%h host,\n"
"%%n node id, %%r rank, %%l local rank, %%u user, %%t the job's temp dir.\n"
"--out gathers the files matching each PATTERN on every node (absolute, or\n"
"below --from ROOT) into COLLECT/<host>/ on rank 0.\n"
"\n"
"Modes (default: stage in):\n"
"      --out              stage out: gather result files onto rank 0\n"
"      --shell            master console on rank 0 (workers serve until quit)\n"
"      --check            validate the configuration and exit; no MPI job needed\n"
"      --cache-list       each node's cache (cache.dir): key, size, last use, in use\n"
"      --cache-prune[=SIZE] trim each node's cache to SIZE (default cache.max_size)\n"
"      --print-config     print the configuration file SRC... DEST means\n"
"\n"
"Settings (each one key of mpift.conf(5); with --config, they override it):\n"
"      --copies WHAT      per-node (default), per-rank, once\n"
"      --policy HOW       pipeline (default), direct, tree\n"
"      --fanout N         trees and children per relay with --policy tree\n"
"      --chunk-size SIZE  bytes per message, 4K..1G (default 256K)\n"
"      --window N         chunks in flight per file\n"
"      --compress HOW     auto (default), lz4, zstd, none\n"
"      --checksum HOW     xxh3 (default), none\n"
"      --retries N        re-sends of a copy that did not verify (default 2)\n"
"      --on-error WHAT    continue (default) or abort at the first failed file\n"
"      --timeout SECONDS  a rank's wait without progress before it stops the job\n"
"      --fsync            fsync each file before its rename\n"
"      --source-shared W  auto (default), yes, no: node leaders read stripes\n"
"      --preserve         keep the permission bits (SRC... DEST)\n"
"      --with-libs        programs with their shared libraries, in PROG.libs/\n"
"      --extract          each SRC is an archive (tar, .gz, .zst, .xz; zip),\n"
"                         unpacked into DEST/NAME less its suffix\n"
"  -s, --set KEY=VALUE    any other key, e.g. --set workers.max_streams=8\n"
"\n"
"Options:\n"
"  -c, --config FILE      libconfig file (see conf/stage.cfg, mpift.conf(5))\n"
"  -f, --force            re-send files that look unchanged (same size and mtime)\n"
"      --dry-run          print the plan, move nothing\n"
"      --progress WHEN    auto (default: on a terminal), always, never, or jsonl\n"
"                         (JSON lines for programs: docs/report.md)\n"
"      --progress-fd N    with jsonl: write the lines to descriptor N, not stderr\n"
"  -q, --quiet            print errors only\n"
"  -v, --verbose          say more: topology source, plan, per-file results\n"
"      --report FILE      write the run's result as JSON\n"
"      --module PATH      load the engine module from PATH (also: MPIFT_MODULE)\n"
"      --as-user USER[:GROUP]  started as root: every rank becomes USER (its\n"
"                         groups too) before it reads or writes a file\n"
"  -V, --version          print version and exit\n"
"  -h, --help             print this help and exit\n"
"\n"
"Exit status: 0 all files staged and verified; 1 one or more files failed;\n"
"2 usage or configuration error (nothing transferred); 3 environment error\n"
"(no MPI/PMIx, module not found).\n"
"\n"
"Examples:\n"
"  mpirun -n 4 " PROG " conf/data /tmp/mpift-%%u/%%j\n"
"  mpirun -n 4 " PROG " --out /tmp/mpift-%%u/%%j/out/'*.log' results\n"
"  " PROG " --print-config conf/data /tmp/mpift-%%u/%%j > stage.cfg\n"
"  mpirun -n 4 " PROG " --config stage.cfg\n");
}

/* The command line, parsed. */
struct args {
    struct mpift_options opts;    /* opts.sets points at sets */
    const char *sets[MAX_SETS];
    const char *module_path;      /* --module, or NULL */
    struct mpift_cli cli;         /* SRC... DEST and its flags (cli.h) */
    const char *as_user_spec;     /* --as-user, or NULL */
    struct mpift_as_user as_user;
    enum mode mode;
    int show_version;
};

/* parse_args's answer when the command line is fine and the run goes on. */
#define ARGS_GO_ON (-1)

/* --cache-prune=SIZE: bytes, with K, M, G or T (powers of 1024).
 * Returns 0, or -1 (said on stderr). */
static int parse_prune(const char *s, uint64_t *out)
{
    static const char units[] = "KMGT";
    unsigned long long v;
    const char *u;
    char *end;
    int shift;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (end == s || errno || *s == '-') {
        fprintf(stderr, PROG ": --cache-prune=%s: not a size (bytes, or with K, M, G, T)\n", s);
        return -1;
    }
    if (*end && (!(u = strchr(units, *end)) || end[1])) {
        fprintf(stderr, PROG ": --cache-prune=%s: unknown unit '%s' (K, M, G or T)\n", s, end);
        return -1;
    }
    shift = *end ? 10 * (int)(u - units + 1) : 0;
    if (shift && v > (UINT64_MAX >> shift)) {
        fprintf(stderr, PROG ": --cache-prune=%s: too large\n", s);
        return -1;
    }
    *out = (uint64_t)v << shift;
    return 0;
}

/* --progress WHEN.  Returns 0, or -1 (said on stderr) for another word. */
static int parse_progress(const char *when, enum mpift_progress *out)
{
    if (strcmp(when, "jsonl") == 0) {
        *out = MPIFT_PROGRESS_JSONL;
        return 0;
    }
    if (strcmp(when, "auto") == 0)
        *out = MPIFT_PROGRESS_AUTO;
    else if (strcmp(when, "always") == 0)
        *out = MPIFT_PROGRESS_ALWAYS;
    else if (strcmp(when, "never") == 0)
        *out = MPIFT_PROGRESS_NEVER;
    else {
        fprintf(stderr, PROG ": --progress takes auto, always, never or jsonl, not '%s'\n", when);
        return -1;
    }
    return 0;
}

/* --progress-fd N: a descriptor number, 1 or more.  Whether it is open is
 * rank 0's matter (only it writes there; under mpirun the other ranks'
 * descriptors are their own): the engine says so there.  Returns 0, or -1
 * (said on stderr). */
static int parse_fd(const char *text, int *out)
{
    char *end;
    long n;

    errno = 0;
    n = strtol(text, &end, 10);
    if (errno || end == text || *end || n < 1 || n > INT_MAX) {
        fprintf(stderr, PROG ": --progress-fd takes a file descriptor number (1 or more), not '%s'\n", text);
        return -1;
    }
    *out = (int)n;
    return 0;
}

/* The command line's positional arguments (cli.h); with --as-user, its
 * SRCs are checked with the user's rights.  Returns ARGS_GO_ON or the
 * exit status. */
static int finish(struct args *a, int argc, char **argv)
{
    int rc, back;

    if (a->as_user_spec) {
        if ((rc = mpift_as_user_parse(a->as_user_spec, &a->as_user, &a->opts)) != ARGS_GO_ON)
            return rc;
        if ((rc = mpift_as_user_enter(&a->as_user)) != 0)
            return rc;
    }
    rc = mpift_cli_finish(&a->cli, a->mode == MODE_OUT, argc - optind, argv + optind, argc, argv, &a->opts,
                          a->sets, MAX_SETS);
    if (a->as_user_spec && (back = mpift_as_user_leave(&a->as_user)) != 0)
        return back;
    return rc;
}

/* Read the options into a.  Returns ARGS_GO_ON, or the exit status to end
 * with: 0 after --help, 2 for a usage error (said on stderr). */
static int parse_args(int argc, char **argv, struct args *a)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"set", required_argument, NULL, 's'},
        {"force", no_argument, NULL, 'f'},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {"out", no_argument, NULL, 'O'},
        {"shell", no_argument, NULL, 'S'},
        {"check", no_argument, NULL, 'C'},
        {"cache-list", no_argument, NULL, 'L'},
        {"cache-prune", optional_argument, NULL, 'Z'},
        {"dry-run", no_argument, NULL, 'D'},
        {"progress", required_argument, NULL, 'P'},
        {"progress-fd", required_argument, NULL, 'F'},
        {"report", required_argument, NULL, 'R'},
        {"module", required_argument, NULL, 'M'},
        MPIFT_CLI_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    struct mpift_options *o = &a->opts;
    int nmodes = 0, c;

    memset(a, 0, sizeof(*a));
    o->size = sizeof(*o);
    o->sets = a->sets;
    a->mode = MODE_IN;
    while ((c = getopt_long(argc, argv, "c:s:fqvVh", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': o->config_path = optarg; break;
        case 's':
            if (o->nsets == MAX_SETS) {
                fprintf(stderr, PROG ": too many --set options (at most %d)\n", MAX_SETS);
                return 2;
            }
            a->sets[o->nsets++] = optarg;
            if (mpift_cli_option(&a->cli, c, optarg) != 0)
                return 2;
            break;
        case 'f': o->force = 1; break;
        case 'q': o->quiet = 1; break;
        case 'v': o->verbose = 1; break;
        case 'V': a->show_version = 1; break;
        case 'h': usage(stdout); return 0;
        case 'O': a->mode = MODE_OUT; nmodes++; break;
        case 'S': a->mode = MODE_SHELL; nmodes++; break;
        case 'C': a->mode = MODE_CHECK; nmodes++; break;
        case 'L': a->mode = MODE_CACHE_LIST; nmodes++; break;
        case 'Z':
            a->mode = MODE_CACHE_PRUNE;
            nmodes++;
            if (optarg && parse_prune(optarg, &prune_size) != 0)
                return 2;
            break;
        case 'D': o->dry_run = 1; break;
        case 'P':
            if (parse_progress(optarg, &o->progress) != 0)
                return 2;
            break;
        case 'F':
            if (parse_fd(optarg, &o->progress_fd) != 0)
                return 2;
            break;
        case 'R': o->report_path = optarg; break;
        case 'M': a->module_path = optarg; break;
        case MPIFT_CLI_OPT_AS_USER: a->as_user_spec = optarg; break;
        default:
            if (c >= MPIFT_CLI_OPT_BASE && c < MPIFT_CLI_OPT_END) {
                if (mpift_cli_option(&a->cli, c, optarg) != 0)
                    return 2;
                break;
            }
            fprintf(stderr, "Try '" PROG " --help' for more information.\n");
            return 2;
        }
    }
    if (nmodes > 1) {
        fprintf(stderr, PROG ": --out, --shell, --check, --cache-list and --cache-prune exclude each other\n");
        return 2;
    }
    if (o->quiet && o->verbose) {
        fprintf(stderr, PROG ": --quiet and --verbose exclude each other\n");
        return 2;
    }
    if (o->progress_fd && o->progress != MPIFT_PROGRESS_JSONL) {
        fprintf(stderr, PROG ": --progress-fd applies to --progress=jsonl\n");
        return 2;
    }
    if (a->show_version)
        return ARGS_GO_ON;
    if (a->mode == MODE_SHELL && optind < argc) {
        mpift_cli_error("--shell takes --config FILE, not '%s'", argv[optind]);
        return 2;
    }
    if ((a->mode == MODE_CACHE_LIST || a->mode == MODE_CACHE_PRUNE) && (optind < argc || !o->config_path)) {
        mpift_cli_error("--cache-list and --cache-prune take --config FILE (its cache.dir), not files");
        return 2;
    }
    return finish(a, argc, argv);
}

/* --version: this launcher's version (version.h), what the build it comes
 * from has in it (configure's MPIFT_BUILD_*: the launcher links no MPI, so
 * the MPI is the one the module was built against), and the module's
 * version when one loaded (rc).  Returns the exit status: 0, or 3 without
 * a module. */
static int print_version(int rc, const struct mpift_loaded *mod, const char *err)
{
    printf(PROG " %s\n", MPIFT_VERSION_STRING);
    printf("built with MPI %s\n", MPIFT_BUILD_MPI);
    printf("optional parts: %s\n", MPIFT_BUILD_PARTS);
    if (rc == MPIFT_OK)
        printf("module %s %s (hook ABI %u.%u) from %s\n", mod->hook->name, mod->hook->version,
               mod->hook->abi_major, mod->hook->abi_minor, mod->path);
    else
        fprintf(stderr, PROG ": %s\n", err);
    return rc == MPIFT_OK ? 0 : 3;
}

/* --print-config: the configuration SRC... DEST and the flags make, on
 * stdout, once the module has found it valid (its errors on stderr).
 * Returns the exit status. */
static int print_config(const struct mpift_hook *hk, struct args *a)
{
    struct mpift_options o = a->opts;
    int st;

    o.quiet = 1;   /* the text alone on stdout, ready for a file */
    st = hk->check(&o);
    if (st == MPIFT_OK)
        mpift_cli_print(&a->cli);
    return mpift_exit_status(st);
}

/* Check the configuration, or start the job and run the mode, through the
 * module's hook table.  Returns the exit status. */
static int run(const struct mpift_hook *hk, const struct mpift_options *opts, enum mode mode, int *argc,
               char ***argv)
{
    mpift_ctx_t *ctx = NULL;
    int st;

    /* Under srun, before MPI starts: a rank that dies there must not
     * strand the others (quiet keeps errors only). */
    if (!opts->quiet)
        mpift_slurm_warn_kill_on_bad_exit(stderr);
    if (mode == MODE_CHECK) {
        st = hk->check(opts);
        if (st == MPIFT_OK && !opts->quiet)
            printf("%s: configuration is valid\n", opts->config_path);
        return mpift_exit_status(st);
    }

    st = hk->init(opts, argc, argv, &ctx);
    if (st == MPIFT_OK) {
        switch (mode) {
        case MODE_OUT: st = hk->stage_out(ctx); break;
        case MODE_SHELL: st = hk->shell(ctx); break;
        case MODE_CACHE_LIST: st = hk->cache(ctx, 0, 0); break;
        case MODE_CACHE_PRUNE: st = hk->cache(ctx, 1, prune_size); break;
        default: st = hk->stage_in(ctx); break;
        }
    }
    if (st != MPIFT_OK)
        mpift_slurm_keep_exit_status();
    /* finalize gets the status so it can abort the job if ranks disagree. */
    hk->finalize(&ctx, st);
    /* The module stays loaded: unloading Open MPI after MPI_Finalize is not safe. */
    return mpift_exit_status(st);
}

/* Load the module and run the mode.  Returns the exit status. */
static int launch(struct args *a, int *argc, char ***argv)
{
    struct mpift_loaded mod;
    char err[8192];
    int rc, back;

    memset(&mod, 0, sizeof(mod));
    mpift_loader_root_only(a->as_user_spec != NULL);
    rc = mpift_loader_open(a->module_path, &mod, err, sizeof(err));
    if (a->show_version)
        return print_version(rc, &mod, err);
    if (rc != MPIFT_OK) {
        fprintf(stderr, PROG ": %s\n", err);
        return 3;
    }
    a->opts.module_path = mod.path;

    /* What reads the configuration (and its @includes) without MPI reads
     * it with the user's rights under --as-user, as the job will. */
    if (a->as_user_spec && (a->cli.print_config || a->mode == MODE_CHECK || a->opts.config_text) &&
        (rc = mpift_as_user_enter(&a->as_user)) != 0)
        return rc;
    if (a->cli.print_config)
        rc = print_config(mod.hook, a);
    else if (a->mode == MODE_CHECK)
        rc = run(mod.hook, &a->opts, a->mode, argc, argv);
    /* SRC... DEST: rank 0 checks the configuration they make before MPI
     * starts, as it checked the SRCs, so a refused value is said once.
     * Under a launcher it still starts MPI, refused, and every rank ends
     * with exit 2 together (MPICH's mpiexec would wait for ever on ranks
     * that one leaving early left in MPI_Init). */
    else if (a->opts.config_text && mpift_cli_rank() <= 0 && (rc = mod.hook->check(&a->opts)) != MPIFT_OK) {
        if (mpift_cli_rank() < 0)
            rc = mpift_exit_status(rc);
        else {
            a->opts.refused = 1;
            rc = 0;
        }
    } else
        rc = 0;
    /* Root's ids back: to start MPI, and so that a process ending here is
     * not left half root, half the user (the sanitizers cannot stop it). */
    if (a->as_user_spec && (a->cli.print_config || a->mode == MODE_CHECK || a->opts.config_text) &&
        (back = mpift_as_user_leave(&a->as_user)) != 0)
        return back;
    if (rc != 0 || a->cli.print_config || a->mode == MODE_CHECK)
        return rc;
    return run(mod.hook, &a->opts, a->mode, argc, argv);
}

int main(int argc, char **argv)
{
    struct args a;
    int rc;

    rc = parse_args(argc, argv, &a);
    /* A SRC only rank 0 can see is missing: said once; every rank stops
     * after MPI starts (mpift_options.refused), not rank 0 alone. */
    if (rc == 2 && a.cli.refused_alone && mpift_cli_rank() == 0 && a.mode != MODE_CHECK && !a.cli.print_config) {
        a.opts.refused = 1;
        a.opts.config_path = MPIFT_CLI_CONFIG_NAME;
        rc = launch(&a, &argc, &argv);
        rc = rc == 0 ? 2 : rc;
    } else if (rc == ARGS_GO_ON)
        rc = launch(&a, &argc, &argv);
    mpift_cli_free(&a.cli);
    mpift_as_user_free(&a.as_user);
    return rc;
}
