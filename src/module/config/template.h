/*
 * template.h - path templates: %h host, %n node id, %r rank, %l local rank,
 * %j job id, %t the job's temp dir, %u user, %% a percent sign.
 */
#ifndef MPIFT_TEMPLATE_H
#define MPIFT_TEMPLATE_H

#include <stddef.h>

struct mpift_tvars {
    const char *host;
    int nodeid;
    int rank;
    int local_rank;
    const char *jobid;
    const char *tmpdir;
    const char *user;
};

/*
 * mpift_template_check - is every % sequence in `tmpl` one we know?
 * Returns MPIFT_OK or MPIFT_ERR_CONFIG; on error writes the cause (e.g.
 * "unknown template %x (known: %h %n %r %l %j %t %u %%)") into why.
 * `uses`, if not NULL, receives a bit mask of the specifiers used:
 * MPIFT_T_HOST, MPIFT_T_NODE, ...
 */
#define MPIFT_T_HOST  0x01
#define MPIFT_T_NODE  0x02
#define MPIFT_T_RANK  0x04
#define MPIFT_T_LOCAL 0x08
#define MPIFT_T_JOB   0x10
#define MPIFT_T_TMP   0x20
#define MPIFT_T_USER  0x40
int mpift_template_check(const char *tmpl, unsigned *uses, char *why, size_t whylen);

/*
 * mpift_template_expand - expand `tmpl` into out (outlen bytes, NUL included).
 * A NULL string variable expands to "unknown".  Returns MPIFT_OK,
 * MPIFT_ERR_CONFIG on an unknown specifier or a trailing lone %,
 * MPIFT_ERR_RANGE if the result does not fit.
 */
int mpift_template_expand(const char *tmpl, const struct mpift_tvars *v, char *out, size_t outlen);

#endif
