/*
 * template.c - expand %h %n %r %l %j %t %u %% in path templates.
 *
 * Templates come from users' configuration files, so every specifier is
 * checked up front (mpift_template_check, at load time) and expansion never
 * writes past its buffer: a path that does not fit is an error, not a
 * silently truncated path that would land somewhere else.
 */
#include <stdio.h>
#include <string.h>

#include "mpift/mpift.h"
#include "config/template.h"

#define KNOWN "%h %n %r %l %j %t %u %%"

/* An int in decimal: at most 3 digits a byte, a sign and the NUL. */
#define INT_TEXT_MAX (3 * sizeof(int) + 2)

static unsigned spec_bit(char c)
{
    switch (c) {
    case 'h': return MPIFT_T_HOST;
    case 'n': return MPIFT_T_NODE;
    case 'r': return MPIFT_T_RANK;
    case 'l': return MPIFT_T_LOCAL;
    case 'j': return MPIFT_T_JOB;
    case 't': return MPIFT_T_TMP;
    case 'u': return MPIFT_T_USER;
    default: return 0;
    }
}

int mpift_template_check(const char *tmpl, unsigned *uses, char *why, size_t whylen)
{
    unsigned mask = 0;
    const char *p;

    for (p = tmpl; *p; p++) {
        if (*p != '%')
            continue;
        p++;
        if (*p == '%')
            continue;
        if (*p == '\0') {
            snprintf(why, whylen, "template ends with a lone %% (write %%%% for a percent sign)");
            return MPIFT_ERR_CONFIG;
        }
        if (!spec_bit(*p)) {
            snprintf(why, whylen, "unknown template %%%c (known: %s)", *p, KNOWN);
            return MPIFT_ERR_CONFIG;
        }
        mask |= spec_bit(*p);
    }
    if (uses)
        *uses = mask;
    return MPIFT_OK;
}

/* Append s to out at *pos; false when it does not fit. */
static int put(char *out, size_t outlen, size_t *pos, const char *s)
{
    size_t n = strlen(s);

    if (*pos + n >= outlen)
        return 0;
    memcpy(out + *pos, s, n);
    *pos += n;
    out[*pos] = '\0';
    return 1;
}

static const char *or_unknown(const char *s)
{
    return s && *s ? s : "unknown";
}

int mpift_template_expand(const char *tmpl, const struct mpift_tvars *v, char *out, size_t outlen)
{
    char num[INT_TEXT_MAX], one[2] = { 0, 0 };
    size_t pos = 0;
    const char *p, *s;

    if (outlen == 0)
        return MPIFT_ERR_RANGE;
    out[0] = '\0';
    for (p = tmpl; *p; p++) {
        if (*p != '%') {
            one[0] = *p;
            s = one;
        } else {
            switch (*++p) {
            case '%': s = "%"; break;
            case 'h': s = or_unknown(v->host); break;
            case 'j': s = or_unknown(v->jobid); break;
            case 't': s = or_unknown(v->tmpdir); break;
            case 'u': s = or_unknown(v->user); break;
            case 'n': snprintf(num, sizeof(num), "%d", v->nodeid); s = num; break;
            case 'r': snprintf(num, sizeof(num), "%d", v->rank); s = num; break;
            case 'l': snprintf(num, sizeof(num), "%d", v->local_rank); s = num; break;
            default:
                return MPIFT_ERR_CONFIG;  /* includes a trailing lone % */
            }
        }
        if (!put(out, outlen, &pos, s))
            return MPIFT_ERR_RANGE;
    }
    return MPIFT_OK;
}
