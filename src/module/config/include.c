/*
 * include.c - @include, resolved once: a configuration and every file it
 * includes become one text with no @include left in it.
 *
 * libconfig resolves @include while it parses, on whichever process
 * parses.  In a job only rank 0 reads the configuration and broadcasts its
 * text, so each other rank opened the included files on its own node: a
 * file missing there hung the job, a different one made the ranks disagree
 * (a protocol error far from the cause).  Now rank 0 splices the included
 * files into the text before the broadcast: they are read once, on rank 0,
 * and every rank parses the same bytes.
 *
 * The rules are libconfig's (1.5, Debian 12): a line made of optional
 * blanks, "@include", blanks and a quoted name (\\ and \" escaped), outside
 * comments and strings; a relative name is found in the main
 * configuration's folder (libconfig's include dir), for nested includes
 * too; at most MPIFT_CFG_INCLUDE_DEPTH levels.  An absolute name is used as
 * it is (libconfig 1.5 put the folder in front of it; 1.7 does not).  What
 * libconfig left loose is refused with a message: anything but blanks or a
 * comment after the name on its line, an included file that ends inside a
 * string or a comment.
 *
 * Each spliced file is framed by marker comments, "#@mpift-line N NAME":
 * the next line is line N of NAME (empty: the main file).  N = 0 names
 * what is no file, a line of mpift-stage's SRC... DEST text made from an
 * argument (NAME): messages then name it with no line number.  Every rank reads
 * them back (mpift_cfg_marks), so a message names the file and the line a
 * setting came from, on whichever rank it is made.
 */
#include "mpift_autoconf.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mpift/mpift.h"
#include "util/grow.h"
#include "util/log.h"   /* MPIFT_WHY_MAX */
#include "config/loader.h"

#define MARK "#@mpift-line "

/* Where the scan is at the start of a line: libconfig's scanner states. */
enum lex { LEX_CODE, LEX_COMMENT, LEX_STRING };

/* Past the line at p (its '\n' included), with *st carried over it. */
static const char *lex_line(const char *p, enum lex *st)
{
    for (; *p && *p != '\n'; p++) {
        if (*st == LEX_STRING) {
            if (*p == '\\' && p[1] && p[1] != '\n')
                p++;
            else if (*p == '"')
                *st = LEX_CODE;
        } else if (*st == LEX_COMMENT) {
            if (p[0] == '*' && p[1] == '/')
                *st = LEX_CODE, p++;
        } else if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
            p += strcspn(p, "\n");   /* a comment to the end of the line */
            break;
        } else if (p[0] == '/' && p[1] == '*') {
            *st = LEX_COMMENT, p++;
        } else if (*p == '"') {
            *st = LEX_STRING;
        }
    }
    return *p ? p + 1 : p;
}

/* After an @include's name: blanks and comments only, to the end of the line. */
static bool rest_is_blank(const char *p)
{
    const char *end;

    for (;;) {
        p += strspn(p, " \t\r\f");
        if (*p == '\0' || *p == '\n' || *p == '#' || (p[0] == '/' && p[1] == '/'))
            return true;
        if (!(p[0] == '/' && p[1] == '*') || !(end = strstr(p + 2, "*/")) || memchr(p, '\n', (size_t)(end - p)))
            return false;
        p = end + 2;
    }
}

/*
 * Is the line at p an @include?  0: no; 1: yes, its name unescaped into
 * name; -1: malformed, *why says how.
 */
static int directive(const char *p, char *name, size_t len, const char **why)
{
    size_t n = 0;

    p += strspn(p, " \t");
    if (strncmp(p, "@include", 8) != 0 || (p[8] != ' ' && p[8] != '\t'))
        return 0;
    p += 8 + strspn(p + 8, " \t");
    if (*p++ != '"')
        return 0;
    for (*why = NULL; !*why && *p != '"'; p++) {
        if (*p == '\0' || *p == '\n')
            *why = "its name has no closing \"";
        else if (*p == '\\' && p[1] != '\\' && p[1] != '"')
            *why = "in its name \\ may only escape \\ or \"";
        else if (n + 1 >= len)
            *why = "its name is too long";
        else
            name[n++] = *p == '\\' ? *++p : *p;
    }
    name[n] = '\0';
    if (!*why && n == 0)
        *why = "it names no file";
    if (!*why && !rest_is_blank(p + 1))
        *why = "it must be alone on its line (a comment may follow it)";
    return *why ? -1 : 1;
}

/* The text being made. */
struct splicer {
    struct mpift_cfg_loader *L;
    const char *dir;   /* the main file's folder */
    char *out;
    size_t len, cap;
};

static bool emit(struct splicer *x, const char *s, size_t n)
{
    if (x->len + n + 1 > x->cap) {
        if (x->len + n + 1 > MPIFT_CFG_TEXT_MAX) {
            mpift_cfg_fail(x->L, MPIFT_ERR_CONFIG, NULL, NULL, "with its @include files over %zu MiB: too large",
                           MPIFT_CFG_TEXT_MAX >> 20);
            return false;
        }
        if (mpift_grow(&x->out, &x->cap, x->len + n + 1, 1, 4096) != MPIFT_OK) {
            mpift_cfg_nomem(x->L);
            return false;
        }
    }
    memcpy(x->out + x->len, s, n);
    x->len += n;
    x->out[x->len] = '\0';
    return true;
}

/* "#@mpift-line N NAME\n": the next line is line N of name (NULL: the main file). */
static bool mark(struct splicer *x, int line, const char *name)
{
    char buf[sizeof(MARK) + 3 * sizeof(int) + 2];

    snprintf(buf, sizeof(buf), MARK "%d ", line);
    return emit(x, buf, strlen(buf)) && emit(x, name ? name : "", name ? strlen(name) : 0) && emit(x, "\n", 1);
}

static bool splice(struct splicer *x, const char *name, const char *text, int depth);

/* One message, "FILE:LINE: cause" ("FILE: cause" when line is 0), naming an
 * included file as libconfig does: as written. */
__attribute__((format(printf, 4, 5)))
static void fail_at(struct splicer *x, const char *file, int line, const char *fmt, ...)
{
    char cause[MPIFT_WHY_MAX / 2], msg[MPIFT_WHY_MAX], at[sizeof(":") + 3 * sizeof(int)] = "";
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(cause, sizeof(cause), fmt, ap);
    va_end(ap);
    if (line > 0)
        snprintf(at, sizeof(at), ":%d", line);
    snprintf(msg, sizeof(msg), "%s%s: %s", file ? file : x->L->path, at, cause);
    mpift_cfg_append(x->L, msg);
    mpift_cfg_status(x->L, MPIFT_ERR_CONFIG);
}

/* Line `line` of file `in` (NULL: the main one) includes `inc`: its text in
 * place of that line, then the rest of `in` from the next line. */
static bool include(struct splicer *x, const char *in, int line, const char *inc, int depth)
{
    char path[PATH_MAX], *text = NULL;
    struct stat st;
    int n, rc;
    bool ok;

    if (depth >= MPIFT_CFG_INCLUDE_DEPTH) {
        fail_at(x, in, line, "@include \"%s\": more than %d levels of @include (does a file include itself?)",
                inc, MPIFT_CFG_INCLUDE_DEPTH);
        return false;
    }
    n = inc[0] == '/' ? snprintf(path, sizeof(path), "%s", inc)
                      : snprintf(path, sizeof(path), "%s%s%s", x->dir, strcmp(x->dir, "/") ? "/" : "", inc);
    if (n < 0 || (size_t)n >= sizeof(path)) {
        fail_at(x, in, line, "@include \"%s\": the path is longer than %d bytes", inc, PATH_MAX - 1);
        return false;
    }
    /* Only a file: a pipe or a device could keep rank 0 reading forever. */
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        fail_at(x, in, line, "@include \"%s\": %s is not a regular file", inc, path);
        return false;
    }
    if ((rc = mpift_config_read(path, &text, NULL)) != MPIFT_OK) {
        if (rc == MPIFT_ERR_NOMEM)
            mpift_cfg_nomem(x->L);
        else
            fail_at(x, in, line, "@include \"%s\": cannot read %s: %s", inc, path, strerror(errno));
        return false;
    }
    ok = mark(x, 1, inc) && splice(x, inc, text, depth + 1) && mark(x, line + 1, in);
    free(text);
    return ok;
}

/* Copy `text` (of file `name`, NULL: the main one) with its @includes spliced in. */
static bool splice(struct splicer *x, const char *name, const char *text, int depth)
{
    char inc[PATH_MAX];
    const char *p = text, *next, *why;
    enum lex st = LEX_CODE;
    int line, d;

    for (line = 1; *p; line++, p = next) {
        d = st == LEX_CODE ? directive(p, inc, sizeof(inc), &why) : 0;
        if (d < 0) {
            fail_at(x, name, line, "@include: %s", why);
            return false;
        }
        next = lex_line(p, &st);
        if (d > 0 ? !include(x, name, line, inc, depth) : !emit(x, p, (size_t)(next - p)))
            return false;
    }
    if (name && st != LEX_CODE) {
        fail_at(x, name, 0, "ends inside a %s: close it in this file (it is @include'd)",
                st == LEX_STRING ? "string" : "/* comment");
        return false;
    }
    /* The marker after an included file starts a line of its own. */
    return !name || p == text || p[-1] == '\n' || emit(x, "\n", 1);
}

bool mpift_cfg_expand(struct mpift_cfg_loader *L, const char *dir, const char *text, char **out)
{
    struct splicer x = { .L = L, .dir = dir };

    *out = NULL;
    if (!emit(&x, "", 0) || !splice(&x, NULL, text, 0)) {
        free(x.out);
        return false;
    }
    *out = x.out;
    return true;
}

bool mpift_cfg_marks(struct mpift_cfg_loader *L, const char *text)
{
    struct mpift_cfg_mark *m;
    const char *p = text, *name;
    enum lex st = LEX_CODE;
    int line, n;
    char *end;
    long v;

    for (line = 1; *p; line++) {
        if (st == LEX_CODE && strncmp(p, MARK, strlen(MARK)) == 0) {
            errno = 0;
            v = strtol(p + strlen(MARK), &end, 10);
            /* A line of the user's own text may spell the marker and end
             * there: the name starts only after the space. */
            if (errno == 0 && v >= 0 && v < INT_MAX && *end == ' ') {
                name = end + 1;
                n = (int)strcspn(name, "\n");
                if (mpift_grow(&L->marks, &L->capmarks, L->nmarks + 1, sizeof(*L->marks), 16) != MPIFT_OK) {
                    mpift_cfg_nomem(L);
                    return false;
                }
                m = L->marks + L->nmarks;
                m->at = line + 1;
                m->line = (int)v;
                m->name = n > 0 ? strndup(name, (size_t)n) : NULL;
                L->nmarks++;
                if (n > 0 && !m->name) {
                    mpift_cfg_nomem(L);
                    return false;
                }
            }
        }
        p = lex_line(p, &st);
    }
    return true;
}

void mpift_cfg_where(const struct mpift_cfg_loader *L, int line, const char **file, int *orig)
{
    size_t i = L->nmarks;

    *file = L->path;
    *orig = line;
    while (line > 0 && i-- > 0)
        if (L->marks[i].at <= line) {
            *file = L->marks[i].name ? L->marks[i].name : L->path;
            *orig = L->marks[i].line + (line - L->marks[i].at);
            return;
        }
}

void mpift_cfg_free_marks(struct mpift_cfg_loader *L)
{
    size_t i;

    for (i = 0; i < L->nmarks; i++)
        free(L->marks[i].name);
    free(L->marks);
    L->marks = NULL;
    L->nmarks = L->capmarks = 0;
}

int mpift_config_gather(const char *path, char **text, size_t *len, char *why, size_t whylen)
{
    struct mpift_cfg_loader L = { .path = path, .err = why, .errlen = whylen };
    char *buf = NULL, *dir = NULL;
    int rc, en;

    *text = NULL;
    if (why && whylen)
        why[0] = '\0';
    if ((rc = mpift_config_read(path, &buf, NULL)) != MPIFT_OK) {
        en = errno;
        if (rc == MPIFT_ERR_NOMEM)
            mpift_cfg_nomem(&L);
        else
            mpift_cfg_fail(&L, MPIFT_ERR_CONFIG, NULL, NULL, "cannot read configuration: %s", strerror(en));
    } else if ((dir = mpift_cfg_abs_dir(&L)) && mpift_cfg_expand(&L, dir, buf, text)) {
        *len = strlen(*text);
    }
    free(buf);
    free(dir);
    return L.rc;
}

/* The next marker line of an argument at or after *p ("#@mpift-line 0
 * WHAT ARG", but for SRC and PATTERN), its length in *n; NULL at the end. */
static const char *next_arg(const char **p, size_t *n)
{
    const char *l = *p, *nl;

    for (; *l; l = nl) {
        nl = strchr(l, '\n');
        nl = nl ? nl + 1 : l + strlen(l);
        if (strncmp(l, MARK "0 ", sizeof(MARK "0 ") - 1) != 0)
            continue;
        l += sizeof(MARK "0 ") - 1;
        if (strncmp(l, "SRC", 3) == 0 || strncmp(l, "PATTERN", 7) == 0)
            continue;
        *n = (size_t)(nl - l) - (nl[-1] == '\n');
        *p = nl;
        return l;
    }
    *p = l;
    return NULL;
}

int mpift_config_args_differ(const char *mine, const char *first, int rank, char *why, size_t len)
{
    const char *a, *b;
    size_t an = 0, bn = 0;

    do {
        a = next_arg(&first, &an);
        b = next_arg(&mine, &bn);
        if (!a && !b)
            return 0;
    } while (a && b && an == bn && memcmp(a, b, an) == 0);
    mpift_format(why, len, "the command lines differ between ranks 0 and %d: rank 0 has %s%.*s%s, rank %d has "
                 "%s%.*s%s", rank, a ? "'" : "", a ? (int)an : 4, a ? a : "none", a ? "'" : "", rank,
                 b ? "'" : "", b ? (int)bn : 4, b ? b : "none", b ? "'" : "");
    return 1;
}
