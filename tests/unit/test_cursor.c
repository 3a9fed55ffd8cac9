/* test_cursor.c - the wire's little-endian cursor: exact bytes, and no
 * write or read past the end. */
#include <check.h>
#include <string.h>

#include "mpift/mpift.h"
#include "wire/cursor.h"
#include "unit_main.h"

START_TEST(little_endian_bytes)
{
    static const unsigned char want[] = { 0xab, 0x34, 0x12, 0x78, 0x56, 0x34, 0x12,
                                          0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
                                          3, 0, 0, 0, 'a', 'b', 0 };
    unsigned char buf[sizeof(want)];
    struct mpift_wcur w;

    mpift_wcur_init(&w, buf, sizeof(buf));
    mpift_wput_u8(&w, 0xab);
    mpift_wput_u16(&w, 0x1234);
    mpift_wput_u32(&w, 0x12345678u);
    mpift_wput_u64(&w, 0x0102030405060708ull);
    mpift_wput_str(&w, "ab", 3);
    ck_assert_int_eq(mpift_wcur_status(&w), MPIFT_OK);
    ck_assert_uint_eq(w.at, sizeof(want));
    ck_assert_mem_eq(buf, want, sizeof(want));
}
END_TEST

START_TEST(roundtrip)
{
    unsigned char buf[64];
    struct mpift_wcur w;
    struct mpift_rcur r;
    const unsigned char *s;
    size_t n;

    mpift_wcur_init(&w, buf, sizeof(buf));
    mpift_wput_u8(&w, 200);
    mpift_wput_u16(&w, 65535);
    mpift_wput_u32(&w, 0xfffffffeu);
    mpift_wput_u64(&w, (uint64_t)-5);
    mpift_wput_str(&w, "hello", 5);
    mpift_wput_bytes(&w, "xyz", 3);
    ck_assert_int_eq(mpift_wcur_status(&w), MPIFT_OK);
    mpift_rcur_init(&r, buf, w.at);
    ck_assert_uint_eq(mpift_wget_u8(&r), 200);
    ck_assert_uint_eq(mpift_wget_u16(&r), 65535);
    ck_assert_uint_eq(mpift_wget_u32(&r), 0xfffffffeu);
    ck_assert_int_eq((int64_t)mpift_wget_u64(&r), -5);
    s = mpift_wget_str(&r, 16, &n);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(n, 5);
    ck_assert_mem_eq(s, "hello", 5);
    ck_assert_mem_eq(mpift_wget_bytes(&r, 3), "xyz", 3);
    ck_assert_uint_eq(mpift_rcur_left(&r), 0);
    ck_assert_int_eq(mpift_rcur_status(&r), MPIFT_OK);
}
END_TEST

/* A writer one byte short writes nothing past its end and stays failed. */
START_TEST(writer_stops_at_end)
{
    unsigned char buf[8];
    struct mpift_wcur w;

    memset(buf, 0xee, sizeof(buf));
    mpift_wcur_init(&w, buf, 7);
    mpift_wput_u32(&w, 1);
    mpift_wput_u32(&w, 2);      /* 8 > 7: refused whole */
    ck_assert_int_eq(mpift_wcur_status(&w), MPIFT_ERR_RANGE);
    ck_assert_uint_eq(buf[4], 0xee);
    ck_assert_uint_eq(buf[7], 0xee);
    mpift_wput_u8(&w, 3);       /* would fit, but the error is sticky */
    ck_assert_uint_eq(buf[4], 0xee);
    ck_assert_int_eq(mpift_wcur_status(&w), MPIFT_ERR_RANGE);
    mpift_wcur_init(&w, buf, sizeof(buf));
    mpift_wput_str(&w, "abcdefgh", 5);   /* 4 + 5 > 8 */
    ck_assert_int_eq(mpift_wcur_status(&w), MPIFT_ERR_RANGE);
}
END_TEST

/* A NULL buffer counts what an encoder would write. */
START_TEST(writer_counts)
{
    struct mpift_wcur w;

    mpift_wcur_init(&w, NULL, 0);
    mpift_wput_u64(&w, 1);
    mpift_wput_str(&w, "abc", 4);
    ck_assert_int_eq(mpift_wcur_status(&w), MPIFT_OK);
    ck_assert_uint_eq(w.at, 16);
}
END_TEST

/* A reader past the end returns 0 / NULL, fails, and stays failed. */
START_TEST(reader_stops_at_end)
{
    static const unsigned char msg[] = { 1, 2, 3, 4, 5, 0xff, 0xff, 0xff, 0x7f };
    struct mpift_rcur r;
    size_t n;

    mpift_rcur_init(&r, msg, 5);
    ck_assert_uint_eq(mpift_wget_u32(&r), 0x04030201u);
    ck_assert_uint_eq(mpift_wget_u16(&r), 0);     /* 1 byte left */
    ck_assert_int_eq(mpift_rcur_status(&r), MPIFT_ERR_PROTO);
    ck_assert_uint_eq(mpift_wget_u8(&r), 0);      /* sticky */
    ck_assert_uint_eq(mpift_rcur_left(&r), 0);
    ck_assert_ptr_null(mpift_wget_bytes(&r, 0));
    /* A string whose length runs past the end, or over its limit. */
    mpift_rcur_init(&r, msg + 5, 4);
    ck_assert_ptr_null(mpift_wget_str(&r, SIZE_MAX, &n));
    ck_assert_int_eq(mpift_rcur_status(&r), MPIFT_ERR_PROTO);
    mpift_rcur_init(&r, (const unsigned char *)"\x02\0\0\0ab", 6);
    ck_assert_ptr_null(mpift_wget_str(&r, 1, &n));
    ck_assert_int_eq(mpift_rcur_status(&r), MPIFT_ERR_PROTO);
    /* A huge length does not wrap the bounds check. */
    mpift_rcur_init(&r, msg, sizeof(msg));
    ck_assert_ptr_nonnull(mpift_wget_bytes(&r, 1));
    ck_assert_ptr_null(mpift_wget_bytes(&r, SIZE_MAX));
    ck_assert_int_eq(mpift_rcur_status(&r), MPIFT_ERR_PROTO);
}
END_TEST

static Suite *cursor_suite(void)
{
    Suite *s = suite_create("cursor");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, little_endian_bytes);
    tcase_add_test(tc, roundtrip);
    tcase_add_test(tc, writer_stops_at_end);
    tcase_add_test(tc, writer_counts);
    tcase_add_test(tc, reader_stops_at_end);
    suite_add_tcase(s, tc);
    return s;
}

MPIFT_UNIT_MAIN(cursor_suite)
