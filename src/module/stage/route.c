/*
 * route.c - the route of one file for each policy (route.h): a star, a
 * chain, or k rotated k-ary trees.  Positions: 0 is the source, p >= 1 the
 * receiver recv[p - 1].
 */
#include "mpift_autoconf.h"

#include "stage/route.h"

/* policy "tree": k rotated k-ary heaps over the m receivers (route.h). */
static void tree_route(int source, const int *recv, int m, int pos, int k, struct mpift_route_space *sp,
                       struct mpift_route *rt)
{
    int a = m > 1 ? (m - 2) / k + 1 : 0, t, idx, c, n;

    for (t = 0; t < k; t++) {
        int *kids = sp->kidbuf[t], shift = m > 0 ? (t * a) % m : 0;
        n = 0;
        if (pos == 0) {
            sp->parents[t] = -1;
            if (m > 0)
                kids[n++] = recv[shift];
        } else {
            idx = ((pos - 1) - shift + m) % m;  /* my place in tree t */
            sp->parents[t] = idx == 0 ? source : recv[((idx - 1) / k + shift) % m];
            for (c = k * idx + 1; c <= k * idx + k && c < m; c++)
                kids[n++] = recv[(c + shift) % m];
        }
        sp->kids[t] = kids;
        sp->nkids[t] = n;
    }
    rt->parent = sp->parents[0];
    rt->children = sp->kids[0];
    rt->nchildren = sp->nkids[0];
    rt->ntrees = k;
    rt->striped = 0;
    rt->parents = sp->parents;
    rt->kids = sp->kids;
    rt->nkids = sp->nkids;
}

int mpift_route_ring(int source, const int *recv, int m, int me, struct mpift_route_space *sp,
                     struct mpift_route *rt)
{
    int n = m + 1, pos = me == source ? 0 : -1, t, q;

    for (q = 0; q < m && pos < 0; q++)
        if (recv[q] == me)
            pos = q + 1;
    if (pos < 0 || n > MPIFT_TREES_MAX)
        return 0;
    for (t = 0; t < n; t++) {
        int before = (pos + n - 1) % n, after = (pos + 1) % n;
        /* place p is recv[p - 1], place 0 the source */
        sp->parents[t] = pos == t ? (t == 0 ? -1 : me) : before == 0 ? source : recv[before - 1];
        sp->kidbuf[t][0] = after == 0 ? source : recv[after - 1];
        sp->kids[t] = sp->kidbuf[t];
        sp->nkids[t] = after == t ? 0 : 1;   /* the place before t ends tree t */
    }
    rt->parent = sp->parents[0];
    rt->children = sp->kids[0];
    rt->nchildren = sp->nkids[0];
    rt->ntrees = n;
    rt->parents = sp->parents;
    rt->kids = sp->kids;
    rt->nkids = sp->nkids;
    rt->striped = 1;
    rt->own = pos;
    rt->origin = source;
    rt->nreaders = pos == 0 ? m : 0;
    rt->ring = recv;
    return 1;
}

int mpift_route_build(int source, const int *recv, int m, int me, enum mpift_policy policy, int fanout,
                      struct mpift_route_space *sp, struct mpift_route *rt)
{
    int pos = -1, q;

    if (me == source)
        pos = 0;
    for (q = 0; q < m && pos < 0; q++)
        if (recv[q] == me)
            pos = q + 1;
    if (pos < 0)
        return 0;
    if (policy == MPIFT_POLICY_TREE) {
        tree_route(source, recv, m, pos, fanout, sp, rt);
        return 1;
    }
    if (policy == MPIFT_POLICY_DIRECT) {
        /* A star: every receiver is a child of the source. */
        rt->parent = pos == 0 ? -1 : source;
        rt->children = recv;
        rt->nchildren = pos == 0 ? m : 0;
    } else {
        /* pipeline: a chain, each position passing to the next. */
        rt->parent = pos == 0 ? -1 : pos == 1 ? source : recv[pos - 2];
        rt->children = recv + pos;
        rt->nchildren = pos < m ? 1 : 0;
    }
    rt->ntrees = 1;
    rt->striped = 0;
    rt->parents = NULL;
    rt->kids = NULL;
    rt->nkids = NULL;
    return 1;
}
