/* test_source.c - a source's holes (engine/source.h): the holes a stream
 * passes chunk by chunk, unread, are kept for the end's check, which sees
 * data written into one of them since; past MPIFT_HOLES_MAX of them a
 * hole is read instead. */
#include "mpift_autoconf.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "wire/proto.h"
#include "engine/source.h"
#include "unit_main.h"

#define CHUNK ((uint64_t)65536)

static char path[64];

/* A file of n chunks, data where `data` says ('d'), holes elsewhere; -1
 * when this file system keeps no holes (or has no SEEK_DATA). */
static int sparse(const char *layout)
{
    unsigned char buf[CHUNK];
    size_t n = strlen(layout), i;
    int fd;

    snprintf(path, sizeof(path), "/tmp/mpift-test-source-XXXXXX");
    fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    unlink(path);
    memset(buf, 0x5a, sizeof(buf));
    ck_assert_int_eq(ftruncate(fd, (off_t)(n * CHUNK)), 0);
    for (i = 0; i < n; i++)
        if (layout[i] == 'd')
            ck_assert_int_eq(pwrite(fd, buf, CHUNK, (off_t)(i * CHUNK)), (ssize_t)CHUNK);
    if (lseek(fd, 0, SEEK_HOLE) != (off_t)CHUNK) {
        close(fd);
        return -1;
    }
    return fd;
}

START_TEST(unread_holes_rechecked)
{
    const char *layout = "dhhdhhhd";
    struct mpift_holes none = { 0 }, unread = { 0 };
    struct mpift_extent e = { 0, 0, 0 };
    int fd = sparse(layout), i;

    if (fd < 0)
        return;   /* nothing to pass unread here */
    for (i = 0; layout[i]; i++)
        ck_assert_int_eq(mpift_source_hole_noted(fd, (uint64_t)i * CHUNK, CHUNK, &e, &unread), layout[i] == 'h');
    /* Two runs of holes, each merged: [1, 3) and [4, 7) chunks. */
    ck_assert_uint_eq(unread.n, 2);
    ck_assert_uint_eq(unread.e[0].off, CHUNK);
    ck_assert_uint_eq(unread.e[0].len, 2 * CHUNK);
    ck_assert_uint_eq(unread.e[1].off, 4 * CHUNK);
    ck_assert_uint_eq(unread.e[1].len, 3 * CHUNK);
    ck_assert_int_eq(mpift_source_holes_filled(fd, &none, &unread), 0);
    /* Written into the second run since it was passed: seen. */
    ck_assert_int_eq(pwrite(fd, "written", 7, (off_t)(5 * CHUNK + 100)), 7);
    ck_assert_int_eq(mpift_source_holes_filled(fd, &none, &unread), 1);
    close(fd);
}
END_TEST

START_TEST(full_list_reads_holes)
{
    struct mpift_holes unread = { 0 };
    struct mpift_extent e = { 0, 0, 0 };
    int fd = sparse("dhd");

    if (fd < 0)
        return;
    /* Full of runs elsewhere (not adjacent to chunk 1): the hole is not
     * noted, so it must be read, and says 0. */
    unread.n = MPIFT_HOLES_MAX;
    for (uint32_t k = 0; k < unread.n; k++)
        unread.e[k] = (struct mpift_hole){ (uint64_t)(100 + 2 * k) * CHUNK, CHUNK };
    ck_assert_int_eq(mpift_source_hole_noted(fd, CHUNK, CHUNK, &e, &unread), 0);
    ck_assert_uint_eq(unread.n, MPIFT_HOLES_MAX);
    close(fd);
}
END_TEST

static Suite *source_suite(void)
{
    Suite *s = suite_create("source");
    TCase *tc = tcase_create("holes");

    tcase_add_test(tc, unread_holes_rechecked);
    tcase_add_test(tc, full_list_reads_holes);
    suite_add_tcase(s, tc);
    return s;
}

MPIFT_UNIT_MAIN(source_suite)
