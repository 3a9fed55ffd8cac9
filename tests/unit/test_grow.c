/* test_grow.c - util/grow.h: an array's capacity doubled from its first,
 * its contents kept, and nothing changed when the size would overflow. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "mpift/mpift.h"
#include "util/grow.h"
#include "unit_main.h"

struct pair {
    uint64_t a, b;
};

START_TEST(doubles_from_first)
{
    struct pair *v = NULL;
    size_t cap = 0, n, seen[70], k = 0;

    for (n = 0; n < 70; n++) {
        ck_assert_int_eq(mpift_grow(&v, &cap, n + 1, sizeof(*v), 16), MPIFT_OK);
        ck_assert_uint_ge(cap, n + 1);
        if (k == 0 || seen[k - 1] != cap)
            seen[k++] = cap;
        v[n] = (struct pair){ n, ~(uint64_t)n };
    }
    ck_assert_uint_eq(k, 4);   /* 16, 32, 64, 128: one realloc each */
    ck_assert_uint_eq(seen[0], 16);
    ck_assert_uint_eq(seen[1], 32);
    ck_assert_uint_eq(seen[2], 64);
    ck_assert_uint_eq(seen[3], 128);
    for (n = 0; n < 70; n++) {   /* every element kept across the reallocs */
        ck_assert_uint_eq(v[n].a, n);
        ck_assert_uint_eq(v[n].b, ~(uint64_t)n);
    }
    free(v);
}
END_TEST

START_TEST(room_enough_is_left_alone)
{
    char *v = NULL, *was;
    size_t cap = 0;

    ck_assert_int_eq(mpift_grow(&v, &cap, 5, 1, 64), MPIFT_OK);
    ck_assert_ptr_nonnull(v);
    ck_assert_uint_eq(cap, 64);
    was = v;
    ck_assert_int_eq(mpift_grow(&v, &cap, 64, 1, 64), MPIFT_OK);
    ck_assert_ptr_eq(v, was);
    ck_assert_uint_eq(cap, 64);
    /* far past double: doubled until it fits, not just doubled once */
    ck_assert_int_eq(mpift_grow(&v, &cap, 1000, 1, 64), MPIFT_OK);
    ck_assert_uint_eq(cap, 1024);
    free(v);
}
END_TEST

START_TEST(no_first_starts_at_one)
{
    int *v = NULL;
    size_t cap = 0;

    ck_assert_int_eq(mpift_grow(&v, &cap, 1, sizeof(*v), 0), MPIFT_OK);
    ck_assert_uint_eq(cap, 1);
    ck_assert_int_eq(mpift_grow(&v, &cap, 3, sizeof(*v), 0), MPIFT_OK);
    ck_assert_uint_eq(cap, 4);
    free(v);
}
END_TEST

START_TEST(overflow_is_refused_and_changes_nothing)
{
    struct pair *v = NULL, *was;
    size_t cap = 0;

    ck_assert_int_eq(mpift_grow(&v, &cap, 8, sizeof(*v), 8), MPIFT_OK);
    was = v;
    v[7].a = 42;
    /* elements * size past SIZE_MAX */
    ck_assert_int_eq(mpift_grow(&v, &cap, SIZE_MAX / sizeof(*v) + 1, sizeof(*v), 8), MPIFT_ERR_NOMEM);
    ck_assert_ptr_eq(v, was);
    ck_assert_uint_eq(cap, 8);
    /* a count whose doubling would wrap */
    ck_assert_int_eq(mpift_grow(&v, &cap, SIZE_MAX, 1, 8), MPIFT_ERR_NOMEM);
    ck_assert_ptr_eq(v, was);
    ck_assert_uint_eq(cap, 8);
    ck_assert_uint_eq(v[7].a, 42);
    free(v);
}
END_TEST

static Suite *grow_suite(void)
{
    Suite *s = suite_create("grow");
    TCase *tc = tcase_create("grow");

    tcase_add_test(tc, doubles_from_first);
    tcase_add_test(tc, room_enough_is_left_alone);
    tcase_add_test(tc, no_first_starts_at_one);
    tcase_add_test(tc, overflow_is_refused_and_changes_nothing);
    suite_add_tcase(s, tc);
    return s;
}

MPIFT_UNIT_MAIN(grow_suite)
