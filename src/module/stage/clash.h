/*
 * clash.h - two copies of a stage-in plan on one path: refused before
 * anything moves (clash.c says why and how).
 */
#ifndef MPIFT_STAGE_CLASH_H
#define MPIFT_STAGE_CLASH_H

#include <stddef.h>

#include "config/config.h"
#include "job/topo.h"
#include "stage/plan.h"

/*
 * mpift_plan_clashes - rank 0: would two ranks write one path (of one
 * node; of the whole job with copies = "once"), with `plan` as built from
 * cfg->in before duplicates are dropped?  first[e] is the index of entry
 * e's first file (cfg->n_in + 1 of them), to name the entries.  Each such
 * path is reported (the entries, both ranks and their hosts, the path, and
 * what to change).  Returns MPIFT_OK, MPIFT_ERR_CONFIG (clashes found) or
 * MPIFT_ERR_NOMEM.
 */
int mpift_plan_clashes(const struct mpift_config *cfg, const struct mpift_topo *topo, const struct mpift_plan *plan,
                       const size_t *first);

#endif
