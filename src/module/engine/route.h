/*
 * route.h - a route as the engine walks it: for one file, the rank this
 * one takes chunks from and the ranks it passes them to, per tree.  Plain
 * data with no MPI type, so that stage/route.h, which computes routes and
 * is unit-tested alone, can fill one without seeing <mpi.h>.
 */
#ifndef MPIFT_ENGINE_ROUTE_H
#define MPIFT_ENGINE_ROUTE_H

#include "config/config.h"

#define MPIFT_TREES_MAX MPIFT_FANOUT_MAX

struct mpift_route {
    int parent;               /* -1 on the source */
    const int *children;
    int nchildren;
    /* ntrees > 1: chunk i travels down tree i % ntrees, whose parent and
     * children (for this rank) are parents[t], kids[t], nkids[t]; tree 0
     * is the one above and also carries every header.  0 or 1: one tree. */
    int ntrees;
    const int *parents;
    const int *const *kids;
    const int *nkids;
    /* striped (engine/stripe.h): every rank of the route reads the chunks
     * of tree `own` itself, from its own open of the source, and passes
     * them down that tree; the others come from parents[t] as usual.  A
     * reader other than `origin` (the rank that sends the headers, own 0)
     * tells it once its share is read; origin hears `nreaders` of them
     * before it sends COMPLETE.  ring[p - 1] is the rank at place p (the
     * reader of tree p).  0 on every other route. */
    int striped;
    int own;
    int origin;
    int nreaders;
    const int *ring;
};

#endif
