/*
 * test_route.c - the routes of stage/route.h, checked as the transfer uses
 * them: stars (direct), chains (pipeline) and the rotated trees of every
 * fanout, over 0 to 64 receiving nodes.  Every rank's route is built from
 * the same list; then each chunk is walked from the source down its tree
 * and must reach every receiver exactly once, parents and children must
 * agree, the source has no parent, and the relaying is spread over the
 * trees as route.h promises.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "stage/route.h"
#include "unit_main.h"

#define NODES_MAX 64
#define SOURCE 0
#define OUTSIDER 1   /* a rank that receives nothing */

/* check's ck_assert records its place on every call, which millions of
 * checks would pay for: this one costs nothing until it fails. */
#define EXPECT(cond, ...) do { if (!(cond)) ck_abort_msg(__VA_ARGS__); } while (0)

/* Receivers are ranks 2, 4, 6, ... (node leaders of two-rank nodes): the
 * route must use the ranks it is given, not their places. */
static int recv_of(int p) { return 2 * (p + 1); }

/* Every rank's route for one file: place 0 is the source, place p + 1
 * the receiver recv[p]. */
struct routes {
    enum mpift_policy policy;
    int fanout, m;
    int recv[NODES_MAX];
    struct mpift_route rt[NODES_MAX + 1];
    struct mpift_route_space sp[NODES_MAX + 1];
    char what[64];
};

static void build(struct routes *s, enum mpift_policy policy, int fanout, int m)
{
    static const char *names[] = {"direct", "pipeline", "tree"};
    struct mpift_route none;
    int p;

    s->policy = policy;
    s->fanout = fanout;
    s->m = m;
    snprintf(s->what, sizeof(s->what), "%s fanout %d, %d receivers", names[policy], fanout, m);
    for (p = 0; p < m; p++)
        s->recv[p] = recv_of(p);
    EXPECT(mpift_route_build(SOURCE, s->recv, m, SOURCE, policy, fanout, &s->sp[0], &s->rt[0]) == 1,
                  "%s: the source has no route", s->what);
    for (p = 0; p < m; p++)
        EXPECT(mpift_route_build(SOURCE, s->recv, m, s->recv[p], policy, fanout, &s->sp[p + 1],
                                        &s->rt[p + 1]) == 1, "%s: receiver %d has no route", s->what, p);
    EXPECT(mpift_route_build(SOURCE, s->recv, m, OUTSIDER, policy, fanout, &s->sp[0], &none) == 0,
                  "%s: a rank that receives nothing is on the route", s->what);
}

/* The place of rank q (0 the source), or -1. */
static int place_of(const struct routes *s, int q)
{
    int p;

    if (q == SOURCE)
        return 0;
    for (p = 0; p < s->m; p++)
        if (s->recv[p] == q)
            return p + 1;
    return -1;
}

/* Tree t of a route, read as the transfer reads it (engine/xfer.h). */
static int parent_in(const struct mpift_route *rt, int t)
{
    return rt->ntrees > 1 ? rt->parents[t] : rt->parent;
}

static int nkids_in(const struct mpift_route *rt, int t)
{
    return rt->ntrees > 1 ? rt->nkids[t] : rt->nchildren;
}

static int kid_in(const struct mpift_route *rt, int t, int c)
{
    return rt->ntrees > 1 ? rt->kids[t][c] : rt->children[c];
}

static int ntrees(const struct routes *s)
{
    return s->policy == MPIFT_POLICY_TREE ? s->fanout : 1;
}

/* Chunk i, walked from the source down tree i % ntrees: every receiver
 * gets it once, the source never. */
static void walk_chunk(const struct routes *s, int i)
{
    int got[NODES_MAX + 1] = {0}, queue[NODES_MAX + 1], head = 0, tail = 0, t = i % s->rt[0].ntrees, c, p;

    EXPECT(s->rt[0].ntrees == ntrees(s), "%s: %d trees", s->what, s->rt[0].ntrees);
    queue[tail++] = 0;
    while (head < tail) {
        const struct mpift_route *rt = &s->rt[queue[head++]];
        for (c = 0; c < nkids_in(rt, t); c++) {
            p = place_of(s, kid_in(rt, t, c));
            EXPECT(p > 0, "%s: chunk %d: a child %d that does not receive", s->what, i, kid_in(rt, t, c));
            EXPECT(++got[p] == 1, "%s: chunk %d reaches rank %d twice", s->what, i, s->recv[p - 1]);
            EXPECT(tail < NODES_MAX + 1, "%s: chunk %d goes round in circles", s->what, i);
            queue[tail++] = p;
        }
    }
    for (p = 1; p <= s->m; p++)
        EXPECT(got[p] == 1, "%s: chunk %d never reaches rank %d", s->what, i, s->recv[p - 1]);
}

/* Parents and children agree, in every tree; the source has no parent. */
static void check_links(const struct routes *s)
{
    int t, p, c, seen, pp;

    for (t = 0; t < ntrees(s); t++) {
        EXPECT(parent_in(&s->rt[0], t) == -1, "%s: the source has a parent in tree %d", s->what, t);
        for (p = 0; p <= s->m; p++) {
            const struct mpift_route *rt = &s->rt[p];
            if (t == 0 && rt->ntrees > 1)   /* tree 0 is also the plain route */
                EXPECT(rt->parent == rt->parents[0] && rt->children == rt->kids[0] && rt->nchildren == rt->nkids[0],
                       "%s: place %d: the plain route is not tree 0", s->what, p);
            EXPECT(nkids_in(rt, t) <= (s->policy == MPIFT_POLICY_DIRECT ? s->m
                                              : s->policy == MPIFT_POLICY_TREE ? s->fanout : 1),
                          "%s: place %d has %d children in tree %d", s->what, p, nkids_in(rt, t), t);
            for (c = 0; c < nkids_in(rt, t); c++) {
                int kid = place_of(s, kid_in(rt, t, c));
                EXPECT(kid > 0, "%s: tree %d: place %d has a child that does not receive", s->what, t, p);
                EXPECT(parent_in(&s->rt[kid], t) == (p ? s->recv[p - 1] : SOURCE),
                              "%s: tree %d: a child of place %d names another parent", s->what, t, p);
            }
            if (p == 0)
                continue;
            pp = place_of(s, parent_in(rt, t));
            EXPECT(pp >= 0, "%s: tree %d: rank %d's parent is not on the route", s->what, t, s->recv[p - 1]);
            for (c = 0, seen = 0; c < nkids_in(&s->rt[pp], t); c++)
                seen += kid_in(&s->rt[pp], t, c) == s->recv[p - 1];
            EXPECT(seen == 1, "%s: tree %d: rank %d's parent lists it %d times", s->what, t, s->recv[p - 1],
                          seen);
        }
    }
}

/* A relay is inner in one tree only when k * a <= m (route.h); else no
 * rank relays in more than ceil(k * a / m) trees. */
static void check_relays(const struct routes *s)
{
    int k = ntrees(s), m = s->m, a = m > 1 ? (m - 2) / k + 1 : 0, most, p, t, inner;

    if (s->policy != MPIFT_POLICY_TREE || m == 0)
        return;
    most = k * a <= m ? 1 : (k * a + m - 1) / m;
    for (p = 1; p <= m; p++) {
        for (t = 0, inner = 0; t < k; t++)
            inner += nkids_in(&s->rt[p], t) > 0;
        EXPECT(inner <= most, "%s: rank %d relays in %d trees (at most %d)", s->what, s->recv[p - 1], inner,
                      most);
    }
}

static void check_all(enum mpift_policy policy, int fanout)
{
    struct routes *s = malloc(sizeof(*s));
    int m, i;

    ck_assert_ptr_nonnull(s);
    for (m = 0; m <= NODES_MAX; m++) {
        build(s, policy, fanout, m);
        check_links(s);
        check_relays(s);
        for (i = 0; i < 2 * ntrees(s) + 1; i++)
            walk_chunk(s, i);
    }
    free(s);
}

START_TEST(stars)
{
    check_all(MPIFT_POLICY_DIRECT, 2);
}
END_TEST

START_TEST(chains)
{
    check_all(MPIFT_POLICY_PIPELINE, 2);
}
END_TEST

START_TEST(trees)
{
    check_all(MPIFT_POLICY_TREE, _i);
}
END_TEST

/* The shapes themselves, pinned: these are what ranks agree on today. */
START_TEST(shapes)
{
    struct routes *s = malloc(sizeof(*s));

    ck_assert_ptr_nonnull(s);
    build(s, MPIFT_POLICY_DIRECT, 2, 3);     /* 0 -> 2, 4, 6 */
    ck_assert_int_eq(s->rt[0].nchildren, 3);
    ck_assert_int_eq(s->rt[0].children[2], 6);
    ck_assert_int_eq(s->rt[3].parent, 0);
    build(s, MPIFT_POLICY_PIPELINE, 2, 3);   /* 0 -> 2 -> 4 -> 6 */
    ck_assert_int_eq(s->rt[0].children[0], 2);
    ck_assert_int_eq(s->rt[2].parent, 2);
    ck_assert_int_eq(s->rt[2].children[0], 6);
    ck_assert_int_eq(s->rt[3].nchildren, 0);
    /* 6 receivers, fanout 2: a = 3 inner places; tree 0 over 2..12 in
     * order, tree 1 rotated by 3: rooted at 8, then 10 12 2 4 6. */
    build(s, MPIFT_POLICY_TREE, 2, 6);
    ck_assert_int_eq(s->rt[0].ntrees, 2);
    ck_assert(s->rt[0].kids[0][0] == 2 && s->rt[0].kids[1][0] == 8);
    ck_assert(s->rt[1].nkids[0] == 2 && s->rt[1].kids[0][0] == 4 && s->rt[1].kids[0][1] == 6);
    ck_assert(s->rt[1].nkids[1] == 0 && s->rt[1].parents[1] == 10);
    ck_assert(s->rt[4].nkids[1] == 2 && s->rt[4].kids[1][0] == 10 && s->rt[4].kids[1][1] == 12);
    ck_assert(s->rt[6].nkids[1] == 1 && s->rt[6].kids[1][0] == 6 && s->rt[6].parents[0] == 6);
    free(s);
}
END_TEST

/*
 * Striped rings (mpift_route_ring): over n = m + 1 places, chunk i is read
 * by place i % n and walked round the ring from there: it reaches every
 * other place, the source too, exactly once; the reader has no parent in
 * its own tree and is told so (own); tree 0 is the header chain from the
 * source; only the source hears reports (nreaders = m).
 */
START_TEST(rings)
{
    struct routes *s = malloc(sizeof(*s));
    struct mpift_route none;
    int m, p, i, n, got[NODES_MAX + 1], at, steps;

    ck_assert_ptr_nonnull(s);
    for (m = 1; m < MPIFT_TREES_MAX; m++) {
        n = m + 1;
        for (p = 0; p < m; p++)
            s->recv[p] = recv_of(p);
        s->m = m;
        for (p = 0; p < n; p++)
            EXPECT(mpift_route_ring(SOURCE, s->recv, m, p ? s->recv[p - 1] : SOURCE, &s->sp[p], &s->rt[p]) == 1,
                   "ring of %d: place %d has no route", n, p);
        EXPECT(mpift_route_ring(SOURCE, s->recv, m, OUTSIDER, &s->sp[0], &none) == 0, "ring of %d: an outsider", n);
        for (p = 0; p < n; p++) {
            const struct mpift_route *rt = &s->rt[p];
            EXPECT(rt->striped && rt->own == p && rt->ntrees == n && rt->origin == SOURCE &&
                   rt->nreaders == (p ? 0 : m), "ring of %d: place %d: striped %d own %d trees %d readers %d",
                   n, p, rt->striped, rt->own, rt->ntrees, rt->nreaders);
            EXPECT(rt->parent == rt->parents[0] && rt->children == rt->kids[0] && rt->nchildren == rt->nkids[0],
                   "ring of %d: place %d: the plain route is not tree 0", n, p);
        }
        EXPECT(s->rt[0].parent == -1, "ring of %d: the source has a parent for the headers", n);
        for (i = 0; i < 2 * n; i++) {
            memset(got, 0, sizeof(got));
            at = i % n;
            EXPECT(s->rt[at].parents[at] == (at ? s->recv[at - 1] : -1), "ring of %d: reader %d names a parent", n,
                   at);
            for (steps = 0; s->rt[at].nkids[i % n] == 1; steps++) {
                int kid = place_of(s, s->rt[at].kids[i % n][0]);
                EXPECT(kid >= 0 && kid != i % n && ++got[kid] == 1, "ring of %d: chunk %d goes round twice", n, i);
                EXPECT(place_of(s, s->rt[kid].parents[i % n]) == at, "ring of %d: chunk %d: %d's parent", n, i, kid);
                at = kid;
            }
            EXPECT(steps == m, "ring of %d: chunk %d reaches %d places, not %d", n, i, steps, m);
        }
    }
    m = MPIFT_TREES_MAX;
    EXPECT(mpift_route_ring(SOURCE, s->recv, m, SOURCE, &s->sp[0], &none) == 0, "a ring over the trees' limit");
    free(s);
}
END_TEST

static Suite *route_suite(void)
{
    Suite *s = suite_create("route");
    TCase *tc = tcase_create("Core");

    tcase_add_test(tc, stars);
    tcase_add_test(tc, chains);
    tcase_add_loop_test(tc, trees, 1, MPIFT_FANOUT_MAX + 1);
    tcase_add_test(tc, shapes);
    tcase_add_test(tc, rings);
    suite_add_tcase(s, tc);
    return s;
}

MPIFT_UNIT_MAIN(route_suite)
