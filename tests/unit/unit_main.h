/*
 * unit_main.h - the one main() of every check-based unit test:
 *
 *     static Suite *thing_suite(void) { ... }
 *     MPIFT_UNIT_MAIN(thing_suite)
 *
 * Exit status 0 when every test passed, 1 otherwise (automake counts it).
 */
#ifndef MPIFT_UNIT_MAIN_H
#define MPIFT_UNIT_MAIN_H

#include <check.h>
#include <stdlib.h>

static inline int mpift_unit_run(Suite *suite)
{
    SRunner *sr = srunner_create(suite);
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#define MPIFT_UNIT_MAIN(suite_fn) \
    int main(void) { return mpift_unit_run(suite_fn()); }

#endif
