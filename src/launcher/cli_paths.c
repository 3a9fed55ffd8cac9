/*
 * cli_paths.c - SRC... (and stage-out's PATTERN...) as one root and an
 * entry per argument, the shape of the configuration file.
 *
 * A file has one paths.source and entries below it; a command line names
 * files anywhere.  The root is the deepest folder that holds every SRC
 * (their common parent) and each SRC becomes an entry relative to it,
 * named as the user named it, so DEST/<its name> is where it lands, as
 * with cp: a file or a folder by its own name, "dir/" its contents, a
 * glob each match by its name (the module expands a glob on rank 0, as it
 * does a file's).  SRC are checked on rank 0 only, which is where they are
 * read: other nodes may not see them, and their text is not used.
 */
#include "mpift_autoconf.h"

#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static int has_glob(const char *s)
{
    return strpbrk(s, "*?[") != NULL;
}

char *mpift_cli_escape_pct(const char *s)
{
    size_t n = strlen(s), i, k = 0;
    char *out = malloc(2 * n + 1);

    if (!out)
        return NULL;
    for (i = 0; i < n; i++) {
        out[k++] = s[i];
        if (s[i] == '%')
            out[k++] = '%';
    }
    out[k] = '\0';
    return out;
}

/* dir made absolute: realpath on rank 0, where it must exist; elsewhere
 * (or for stage-out's node-local patterns) by joining it to the working
 * folder.  "." and empty components go either way.  NULL: said why. */
static char *absolute(const char *dir, int must_exist, const char *arg)
{
    char buf[PATH_MAX], *out, *tok, *save = NULL, *copy;
    size_t used = 0;

    if (must_exist) {
        if (realpath(dir, buf))
            return strdup(buf);
        mpift_cli_error("'%s': %s", arg, strerror(errno));
        return NULL;
    }
    if (dir[0] == '/' || dir[0] == '%')
        snprintf(buf, sizeof(buf), "%s", dir);
    else if (!getcwd(buf, sizeof(buf)) ||
             snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "/%s", dir) >= (int)(sizeof(buf) - strlen(buf))) {
        mpift_cli_error("'%s': cannot name it from the working folder", arg);
        return NULL;
    }
    if (!(copy = strdup(buf)) || !(out = malloc(strlen(buf) + 2))) {
        free(copy);
        mpift_cli_error("out of memory");
        return NULL;
    }
    for (tok = strtok_r(copy, "/", &save); tok; tok = strtok_r(NULL, "/", &save))
        if (strcmp(tok, ".") != 0)
            used += (size_t)sprintf(out + used, "%s%s", used || buf[0] == '/' ? "/" : "", tok);
    if (used == 0)
        strcpy(out, "/");
    free(copy);
    return out;
}

/*
 * One argument split where the fixed part ends: *dir the folder it is in
 * (before its first component with a glob, or its last one), *name the
 * rest, a trailing "/" kept.  Returns 0, or 2 for an argument that names
 * no entry ("/", ".." as a last component).
 */
static int split(const char *arg, char **dir, char **name)
{
    char *s = strdup(arg), *cut = NULL, *p;
    size_t n;

    *dir = *name = NULL;
    if (!s)
        return 2;
    for (n = strlen(s); n > 1 && s[n - 1] == '/' && s[n - 2] == '/'; n--)
        s[n - 1] = '\0';   /* "dir//" is "dir/" */
    for (p = s; *p; p = cut + 1) {
        char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (len && memchr(p, '*', len) == NULL && memchr(p, '?', len) == NULL && memchr(p, '[', len) == NULL &&
            slash && slash[1] != '\0') {
            cut = slash;
            continue;
        }
        if (len == 0 && slash) {     /* a leading or doubled '/' */
            cut = slash;
            continue;
        }
        break;
    }
    /* p: the first component with a glob, or the last one. */
    if (!*p || strcmp(p, ".") == 0 || strcmp(p, "./") == 0 || strcmp(p, "..") == 0 || strcmp(p, "../") == 0) {
        free(s);
        return 2;
    }
    *name = strdup(p);
    if (p == s)
        *dir = strdup(".");
    else if (p == s + 1)
        *dir = strdup("/");
    else {
        p[-1] = '\0';
        *dir = strdup(s);
    }
    free(s);
    return *dir && *name ? 0 : 2;
}

/* Is the argument there, on rank 0?  A glob must match.  0 or 2. */
static int exists(const char *arg, int *is_dir)
{
    struct stat st;

    *is_dir = 0;
    if (has_glob(arg)) {
        glob_t g;
        int rc = glob(arg, 0, NULL, &g);

        globfree(&g);
        if (rc == 0)
            return 0;
        mpift_cli_error("SRC '%s': no file matches", arg);
        return 2;
    }
    if (stat(arg, &st) != 0) {
        mpift_cli_error("SRC '%s': %s", arg, strerror(errno));
        return 2;
    }
    *is_dir = S_ISDIR(st.st_mode);
    if (arg[strlen(arg) - 1] == '/' && !*is_dir) {
        mpift_cli_error("SRC '%s': not a folder (a trailing / means a folder's contents)", arg);
        return 2;
    }
    return 0;
}

/* How many leading characters of a and b are whole path components both
 * share ("/a/b" and "/a/bc": "/a"). */
static size_t common(const char *a, const char *b)
{
    size_t i = 0, last = 0;

    for (; a[i] && a[i] == b[i]; i++)
        if (a[i] == '/')
            last = i;
    if ((a[i] == '\0' || a[i] == '/') && (b[i] == '\0' || b[i] == '/'))
        last = i;
    return last == 0 && a[0] == '/' ? 1 : last;
}

/* Entries from the n split arguments, relative to the common parent of
 * their dirs, which becomes cli->root.  Returns 0, or 2 (said). */
static int make_entries(struct mpift_cli *cli, size_t n, char **dirs, char **names, const int *recursive,
                        int escape)
{
    size_t root = strlen(dirs[0]), i;

    for (i = 1; i < n; i++)
        if (common(dirs[0], dirs[i]) < root)
            root = common(dirs[0], dirs[i]);
    if (!(cli->entries = calloc(n, sizeof(*cli->entries))) || !(cli->root = strndup(dirs[0], root)))
        goto nomem;
    cli->nentries = n;
    for (i = 0; i < n; i++) {
        const char *below = dirs[i] + root;
        char *rel;
        int len;

        below += *below == '/';
        len = snprintf(NULL, 0, "%s%s%s", below, *below ? "/" : "", names[i]);
        if (!(rel = malloc((size_t)len + 1)))
            goto nomem;
        snprintf(rel, (size_t)len + 1, "%s%s%s", below, *below ? "/" : "", names[i]);
        cli->entries[i].src = escape ? mpift_cli_escape_pct(rel) : rel;
        if (escape)
            free(rel);
        if (!cli->entries[i].src)
            goto nomem;
        cli->entries[i].recursive = recursive[i];
    }
    if (escape) {
        char *r = mpift_cli_escape_pct(cli->root);
        free(cli->root);
        if (!(cli->root = r))
            goto nomem;
    }
    return 0;
nomem:
    mpift_cli_error("out of memory");
    return 2;
}

/* Two plain SRC with one name would land on one DEST path. */
static int same_names(char *const *src, char **names, const int *plain, int n)
{
    int i, j;

    for (i = 0; i < n; i++)
        for (j = i + 1; j < n; j++)
            if (plain[i] && plain[j] && strcmp(names[i], names[j]) == 0) {
                mpift_cli_error("SRC '%s' and '%s' would both be DEST/%s: stage them in two runs, or their "
                                "folders", src[i], src[j], names[i]);
                return 2;
            }
    return 0;
}

/* No newline or other control character: a configuration file's string
 * could not hold it as the user sees it. */
static int printable(const char *what, const char *arg)
{
    const char *p;

    for (p = arg; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            mpift_cli_error("%s '%s': a name with a control character cannot go in a configuration", what, arg);
            return 2;
        }
    return 0;
}

/* Free the split arguments; pass rc through. */
static int release(int rc, int n, char **dirs, char **names, int *flags)
{
    int i;

    for (i = 0; i < n; i++) {
        free(dirs[i]);
        free(names[i]);
    }
    free(dirs);
    free(names);
    free(flags);
    return rc;
}

int mpift_cli_paths_in(struct mpift_cli *cli, int n, char *const *src)
{
    char **dirs = calloc((size_t)n, sizeof(char *)), **names = calloc((size_t)n, sizeof(char *));
    int *flags = calloc(2 * (size_t)n, sizeof(int)), *plain, rank0 = mpift_cli_rank() <= 0, i, is_dir;

    if (!dirs || !names || !flags) {
        mpift_cli_error("out of memory");
        return release(2, n, dirs, names, flags);
    }
    plain = flags + n;
    for (i = 0; i < n; i++) {
        char *d;

        is_dir = 0;
        if (printable("SRC", src[i]) != 0)
            return release(2, i, dirs, names, flags);
        if (rank0 && exists(src[i], &is_dir) != 0) {
            cli->refused_alone = 1;
            return release(2, i, dirs, names, flags);
        }
        if (cli->extract && is_dir) {
            mpift_cli_error("SRC '%s' is a folder: --extract unpacks archives (.tar, .tar.zst, .zip, ...)", src[i]);
            cli->refused_alone = 1;
            return release(2, i, dirs, names, flags);
        }
        if (split(src[i], &d, &names[i]) != 0) {
            free(d);
            mpift_cli_error("SRC '%s': name a file or a folder below it (e.g. '%s/data'), not a parent", src[i],
                            src[i]);
            return release(2, i + 1, dirs, names, flags);
        }
        dirs[i] = absolute(d, rank0, src[i]);
        free(d);
        if (!dirs[i]) {
            cli->refused_alone = rank0;   /* realpath on rank 0 (or out of memory) */
            return release(2, i + 1, dirs, names, flags);
        }
        flags[i] = has_glob(names[i]) || !rank0 || is_dir;   /* recursive */
        plain[i] = !has_glob(names[i]) && names[i][strlen(names[i]) - 1] != '/';
    }
    if (same_names(src, names, plain, n) != 0)
        return release(2, n, dirs, names, flags);
    return release(make_entries(cli, (size_t)n, dirs, names, flags, 1), n, dirs, names, flags);
}

/* A node-local path: absolute, or in the job's temp dir. */
static int node_absolute(const char *p)
{
    return p[0] == '/' || strncmp(p, "%t", 2) == 0;
}

int mpift_cli_paths_out(struct mpift_cli *cli, int n, char *const *pat, const char *collect)
{
    char **dirs = calloc((size_t)n, sizeof(char *)), **names = calloc((size_t)n, sizeof(char *));
    int *flags = calloc((size_t)n, sizeof(int)), i;

    if (!dirs || !names || !flags) {
        mpift_cli_error("out of memory");
        return release(2, n, dirs, names, flags);
    }
    if (printable("COLLECT", collect) != 0 || !(cli->collect = absolute(collect, 0, collect)))
        return release(2, n, dirs, names, flags);
    if (cli->from && !node_absolute(cli->from)) {
        mpift_cli_error("--from '%s' is not absolute: give the node-local folder the files are in, e.g. "
                        "/tmp/mpift-%%u/%%j", cli->from);
        return release(2, n, dirs, names, flags);
    }
    for (i = 0; i < n; i++) {
        flags[i] = 1;
        if (printable("PATTERN", pat[i]) != 0)
            return release(2, i, dirs, names, flags);
        if (cli->from) {
            /* Relative to ROOT as given: the entry is the pattern itself. */
            if (pat[i][0] == '/') {
                mpift_cli_error("PATTERN '%s' is absolute: with --from ROOT, name it below ROOT", pat[i]);
                return release(2, i, dirs, names, flags);
            }
            if (!(dirs[i] = strdup(cli->from)) || !(names[i] = strdup(pat[i]))) {
                mpift_cli_error("out of memory");
                return release(2, i + 1, dirs, names, flags);
            }
            continue;
        }
        if (!node_absolute(pat[i])) {
            mpift_cli_error("PATTERN '%s' is not absolute: name the files on the nodes (e.g. /tmp/mpift-%%u/%%j/out/*.log)"
                            ", or give --from ROOT", pat[i]);
            return release(2, i, dirs, names, flags);
        }
        if (split(pat[i], &dirs[i], &names[i]) != 0) {
            mpift_cli_error("PATTERN '%s': name files or a folder below a folder, not a folder's parent", pat[i]);
            return release(2, i + 1, dirs, names, flags);
        }
    }
    /* With --from every dir is ROOT, so ROOT is the root. */
    return release(make_entries(cli, (size_t)n, dirs, names, flags, 0), n, dirs, names, flags);
}
