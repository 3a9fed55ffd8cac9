/*
 * route.h - the route of one file from its source to the ranks that
 * receive it, for each transfer policy: which rank this one takes the
 * chunks from and which it passes them to.  Pure arithmetic on plain
 * inputs (no MPI, no context), so that it can be tested on its own: every
 * rank computes the same routes from the same list of receivers.
 *
 *   direct    a star: the source sends every chunk to every receiver.
 *   pipeline  a chain in the order of the list.
 *   tree      k = fanout trees over the m receivers, chunk i down tree
 *             i % k.  Each is a k-ary heap over the list rotated by t * a
 *             places, a being the number of inner (relaying) places of
 *             such a heap, so the relays of different trees are different
 *             ranks whenever k * a <= m; otherwise the rotation spreads the
 *             relaying evenly (no rank is inner in more than
 *             ceil(k * a / m) trees).  Every relay then sends its 1/k of
 *             the chunks to k children, where a single k-ary tree has
 *             every relay send the whole file k times.  The source sends
 *             each tree's share to that tree's root.
 */
#ifndef MPIFT_STAGE_ROUTE_H
#define MPIFT_STAGE_ROUTE_H

#include "config/config.h"
#include "engine/route.h"

/* Where a route's lists live: the struct mpift_route that
 * mpift_route_build fills points into it (and into the receivers' list),
 * so both must outlive the route.  No set-up: any instance will do. */
struct mpift_route_space {
    int parents[MPIFT_TREES_MAX];
    int nkids[MPIFT_TREES_MAX];
    const int *kids[MPIFT_TREES_MAX];
    int kidbuf[MPIFT_TREES_MAX][MPIFT_FANOUT_MAX];
};

/*
 * mpift_route_build - the route of one file for rank `me`.
 *
 * source   the rank that reads the file and sends it.
 * recv     the m ranks that receive it (the source not among them), in the
 *          same order on every rank.
 * policy   direct, pipeline or tree; fanout (1..MPIFT_FANOUT_MAX) is used
 *          by tree only.
 *
 * Fills rt (parent -1 on the source; for a tree, ntrees = fanout and the
 * per-tree lists) and returns 1, or returns 0 when `me` is neither the
 * source nor a receiver: it has no part in this file.
 */
int mpift_route_build(int source, const int *recv, int m, int me, enum mpift_policy policy, int fanout,
                      struct mpift_route_space *sp, struct mpift_route *rt);

/*
 * mpift_route_ring - the striped route of one file for rank `me`
 * (engine/stripe.h): the source and the m receivers, in that order, make
 * a ring of n = m + 1 places (n <= MPIFT_TREES_MAX); chunk i goes down
 * tree i % n, which place i % n reads and passes to the next place, and
 * so on round the ring to the place before it.  So each rank sends and
 * receives (n - 1) / n of the file; the source also reads the whole
 * file to check every stripe against (engine/stripe.h), the others read
 * 1 / n.  Headers go down tree 0 (the source's), a chain in list order.
 * rt->ring points into recv, which must outlive the route.  Returns 1,
 * or 0 when `me` is not on it.
 */
int mpift_route_ring(int source, const int *recv, int m, int me, struct mpift_route_space *sp,
                     struct mpift_route *rt);

#endif
