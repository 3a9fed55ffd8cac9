/* test_wire.c - the formats of wire/ beyond proto.c: a plan, the striping
 * candidates, a heartbeat, the want list, the programs' libraries.  Each round-trips, and each
 * decoder refuses what its header promises to. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mpift/mpift.h"
#include "wire/beat.h"
#include "wire/cands.h"
#include "wire/cursor.h"
#include "wire/libset.h"
#include "wire/planrec.h"
#include "wire/want.h"
#include "unit_main.h"

static char why[256];

START_TEST(plan_roundtrip_and_refused)
{
    struct mpift_wplan_rec in = { 0, 1, -1, 1ull << 40, -3, 999999999, 0640, "a/b c", 5, 1, 0, {0}, 0, 0 }, out;
    struct mpift_wplan_hdr h = { 1, 1, 1ull << 40, 2, 1 }, g;
    unsigned char buf[128];
    struct mpift_wcur w;
    struct mpift_rcur r;

    mpift_wcur_init(&w, buf, sizeof(buf));
    mpift_wplan_put_hdr(&w, &h);
    mpift_wplan_put_rec(&w, &in);
    ck_assert_uint_eq(w.at, MPIFT_WPLAN_HDR + MPIFT_WPLAN_REC_FIXED + 5);
    mpift_rcur_init(&r, buf, w.at);
    ck_assert_int_eq(mpift_wplan_get_hdr(&r, &g, why, sizeof(why)), MPIFT_OK);
    ck_assert_int_eq(mpift_wplan_get_rec(&r, 0, 4, &out, why, sizeof(why)), MPIFT_OK);
    ck_assert_uint_eq(g.nerrors, 2);
    ck_assert_int_eq(out.target, -1);
    ck_assert_int_eq(out.mtime_sec, -3);
    ck_assert_uint_eq(out.extract, 1);
    ck_assert_uint_eq(out.size, 1ull << 40);
    ck_assert_uint_eq(out.dest_len, 5);
    ck_assert_mem_eq(out.dest, "a/b c", 5);
    ck_assert_uint_eq(mpift_rcur_left(&r), 0);
    ck_assert_uint_eq(out.keyed, 0);
    /* A content key travels with a keyed file only: 16 bytes more. */
    in.keyed = 1;
    memcpy(in.key, "0123456789abcdef", 16);
    mpift_wcur_init(&w, buf, sizeof(buf));
    mpift_wplan_put_hdr(&w, &h);
    mpift_wplan_put_rec(&w, &in);
    ck_assert_uint_eq(w.at, MPIFT_WPLAN_HDR + MPIFT_WPLAN_REC_FIXED + 5 + MPIFT_WPLAN_KEY);
    mpift_rcur_init(&r, buf, w.at);
    ck_assert_int_eq(mpift_wplan_get_hdr(&r, &g, why, sizeof(why)), MPIFT_OK);
    ck_assert_int_eq(mpift_wplan_get_rec(&r, 0, 4, &out, why, sizeof(why)), MPIFT_OK);
    ck_assert_uint_eq(out.keyed, 1);
    ck_assert_mem_eq(out.key, "0123456789abcdef", 16);
    ck_assert_uint_eq(out.sparse, 0);
    ck_assert_uint_eq(out.alloc, 1ull << 40);   /* not sparse: its size */
    ck_assert_uint_eq(mpift_rcur_left(&r), 0);
    /* A sparse file's allocation travels with it alone: 8 bytes more,
     * after its key. */
    in.sparse = 1;
    in.alloc = 12345;
    mpift_wcur_init(&w, buf, sizeof(buf));
    mpift_wplan_put_hdr(&w, &h);
    mpift_wplan_put_rec(&w, &in);
    ck_assert_uint_eq(w.at, MPIFT_WPLAN_HDR + MPIFT_WPLAN_REC_FIXED + 5 + MPIFT_WPLAN_KEY + 8);
    mpift_rcur_init(&r, buf, w.at);
    ck_assert_int_eq(mpift_wplan_get_hdr(&r, &g, why, sizeof(why)), MPIFT_OK);
    ck_assert_int_eq(mpift_wplan_get_rec(&r, 0, 4, &out, why, sizeof(why)), MPIFT_OK);
    ck_assert_uint_eq(out.keyed, 1);
    ck_assert_uint_eq(out.sparse, 1);
    ck_assert_uint_eq(out.alloc, 12345);
    ck_assert_mem_eq(out.key, "0123456789abcdef", 16);
    ck_assert_uint_eq(mpift_rcur_left(&r), 0);
    in.sparse = 0;
    /* Its key cut short. */
    mpift_rcur_init(&r, buf, w.at - 1);
    ck_assert_int_eq(mpift_wplan_get_hdr(&r, &g, why, sizeof(why)), MPIFT_OK);
    ck_assert_int_eq(mpift_wplan_get_rec(&r, 0, 4, &out, why, sizeof(why)), MPIFT_ERR_PROTO);
    in.keyed = 0;
    mpift_wcur_init(&w, buf, sizeof(buf));
    mpift_wplan_put_hdr(&w, &h);
    mpift_wplan_put_rec(&w, &in);
    /* Cut one byte short: the record runs past the end. */
    mpift_rcur_init(&r, buf, w.at - 1);
    ck_assert_int_eq(mpift_wplan_get_hdr(&r, &g, why, sizeof(why)), MPIFT_OK);
    ck_assert_int_eq(mpift_wplan_get_rec(&r, 0, 4, &out, why, sizeof(why)), MPIFT_ERR_PROTO);
    /* More records than the bytes could hold: refused before allocating. */
    h.count = 2;
    mpift_wcur_init(&w, buf, sizeof(buf));
    mpift_wplan_put_hdr(&w, &h);
    mpift_wplan_put_rec(&w, &in);
    mpift_rcur_init(&r, buf, w.at);
    ck_assert_int_eq(mpift_wplan_get_hdr(&r, &g, why, sizeof(why)), MPIFT_ERR_PROTO);
    /* A NUL inside a name. */
    in.dest = "a\0b";
    in.dest_len = 3;
    h.count = 1;
    mpift_wcur_init(&w, buf, sizeof(buf));
    mpift_wplan_put_hdr(&w, &h);
    mpift_wplan_put_rec(&w, &in);
    mpift_rcur_init(&r, buf, w.at);
    ck_assert_int_eq(mpift_wplan_get_hdr(&r, &g, why, sizeof(why)), MPIFT_OK);
    ck_assert_int_eq(mpift_wplan_get_rec(&r, 0, 4, &out, why, sizeof(why)), MPIFT_ERR_PROTO);
}
END_TEST

/* One record with one field changed: OK at the edge, PROTO past it. */
static int plan_rec_with(int field, long long v, int size)
{
    struct mpift_wplan_rec in = { 1, 0, 3, 10, 5, 0, 0755, "d", 1, 0, 0, {0}, 0, 0 }, out;
    struct mpift_wplan_hdr h = { 1, 0, 10, 0, 0 }, g;
    unsigned char buf[128];
    struct mpift_wcur w;
    struct mpift_rcur r;

    switch (field) {
    case 0: in.type = (uint8_t)v; break;
    case 1: in.preserve = (uint8_t)v; break;
    case 2: in.mode = (uint32_t)v; break;
    case 3: in.mtime_nsec = (uint32_t)v; break;
    case 5: in.extract = (uint8_t)v; break;
    case 6: in.keyed = (uint8_t)v; in.type = 0; break;
    case 7: in.keyed = (uint8_t)v; break;   /* on a folder */
    case 8: in.sparse = 1; in.alloc = (uint64_t)v; in.type = 0; break;
    case 9: in.sparse = (uint8_t)v; break;  /* on a folder */
    default: in.target = (int32_t)v; break;
    }
    mpift_wcur_init(&w, buf, sizeof(buf));
    mpift_wplan_put_hdr(&w, &h);
    mpift_wplan_put_rec(&w, &in);
    mpift_rcur_init(&r, buf, w.at);
    ck_assert_int_eq(mpift_wplan_get_hdr(&r, &g, why, sizeof(why)), MPIFT_OK);
    return mpift_wplan_get_rec(&r, 0, size, &out, why, sizeof(why));
}

START_TEST(plan_fields_refused)
{
    ck_assert_int_eq(plan_rec_with(0, 1, 4), MPIFT_OK);
    ck_assert_int_eq(plan_rec_with(0, 2, 4), MPIFT_ERR_PROTO);     /* neither file nor folder */
    ck_assert_int_eq(plan_rec_with(1, 1, 4), MPIFT_OK);
    ck_assert_int_eq(plan_rec_with(1, 2, 4), MPIFT_ERR_PROTO);
    ck_assert_int_eq(plan_rec_with(2, 07777, 4), MPIFT_OK);
    ck_assert_int_eq(plan_rec_with(2, 010000, 4), MPIFT_ERR_PROTO); /* a file type bit, not a permission */
    ck_assert_int_eq(plan_rec_with(3, 999999999, 4), MPIFT_OK);
    ck_assert_int_eq(plan_rec_with(3, 1000000000, 4), MPIFT_ERR_PROTO);
    ck_assert_int_eq(plan_rec_with(5, 1, 4), MPIFT_OK);
    ck_assert_int_eq(plan_rec_with(5, 2, 4), MPIFT_ERR_PROTO);
    ck_assert_int_eq(plan_rec_with(6, 1, 4), MPIFT_OK);
    ck_assert_int_eq(plan_rec_with(6, 4, 4), MPIFT_ERR_PROTO);     /* a flag no build knows (2 is sparse) */
    ck_assert_int_eq(plan_rec_with(7, 0, 4), MPIFT_OK);
    ck_assert_int_eq(plan_rec_with(7, 1, 4), MPIFT_ERR_PROTO);      /* a folder has no content key */
    ck_assert_int_eq(plan_rec_with(8, 10, 4), MPIFT_OK);
    ck_assert_int_eq(plan_rec_with(8, 11, 4), MPIFT_ERR_PROTO);     /* more allocated than its size */
    ck_assert_int_eq(plan_rec_with(9, 0, 4), MPIFT_OK);
    ck_assert_int_eq(plan_rec_with(9, 1, 4), MPIFT_ERR_PROTO);      /* a folder is not sparse */
    ck_assert_int_eq(plan_rec_with(4, -1, 4), MPIFT_OK);
    ck_assert_int_eq(plan_rec_with(4, 3, 4), MPIFT_OK);
    ck_assert_int_eq(plan_rec_with(4, 4, 4), MPIFT_ERR_PROTO);      /* no rank 4 in a job of 4 */
    ck_assert_int_eq(plan_rec_with(4, -2, 4), MPIFT_ERR_PROTO);
    ck_assert_str_ne(why, "");
}
END_TEST

START_TEST(cands_roundtrip_and_refused)
{
    struct mpift_wcand c[2] = { { 2, 10, 5, 6, 77, "x" }, { 5, 20, 7, 8, 88, "d/y" } };
    struct mpift_wcands t;
    unsigned char *buf;
    size_t len;

    ck_assert_int_eq(mpift_wcands_encode("/root", c, 2, &buf, &len), MPIFT_OK);
    ck_assert_int_eq(mpift_wcands_decode(buf, len, 6, &t, why, sizeof(why)), MPIFT_OK);
    ck_assert_str_eq(t.root, "/root");
    ck_assert_uint_eq(t.n, 2);
    ck_assert_uint_eq(t.c[1].file, 5);
    ck_assert_uint_eq(t.c[1].digest, 88);
    ck_assert_str_eq(t.c[1].path, "d/y");
    mpift_wcands_free(&t);
    /* A file beyond the plan, a list cut short, bytes after the last. */
    ck_assert_int_eq(mpift_wcands_decode(buf, len, 5, &t, why, sizeof(why)), MPIFT_ERR_PROTO);
    ck_assert_int_eq(mpift_wcands_decode(buf, len - 1, 6, &t, why, sizeof(why)), MPIFT_ERR_PROTO);
    free(buf);
    /* Out of plan order. */
    c[1].file = 2;
    ck_assert_int_eq(mpift_wcands_encode("/root", c, 2, &buf, &len), MPIFT_OK);
    ck_assert_int_eq(mpift_wcands_decode(buf, len, 6, &t, why, sizeof(why)), MPIFT_ERR_PROTO);
    /* A path whose NUL is not at its stated end. */
    c[1].file = 5;
    free(buf);
    ck_assert_int_eq(mpift_wcands_encode("/root", c, 2, &buf, &len), MPIFT_OK);
    buf[len - 2] = '\0';
    ck_assert_int_eq(mpift_wcands_decode(buf, len, 6, &t, why, sizeof(why)), MPIFT_ERR_PROTO);
    free(buf);
}
END_TEST

START_TEST(beat_roundtrip_and_refused)
{
    struct mpift_beat b = { MPIFT_BEAT_ALIVE, 2, { 3, 1 } }, d;
    unsigned char buf[MPIFT_BEAT_MAX];
    int n = mpift_beat_encode(&b, buf);

    ck_assert_int_eq(n, MPIFT_BEAT_HDR + 8);
    ck_assert_int_eq(mpift_beat_decode(buf, (size_t)n, 4, &d), MPIFT_OK);
    ck_assert_int_eq(d.nsilent, 2);
    ck_assert_int_eq(d.silent[0], 3);
    /* Rank 3 is not a rank of a job of 3; a list cut short; padding. */
    ck_assert_int_eq(mpift_beat_decode(buf, (size_t)n, 3, &d), MPIFT_ERR_PROTO);
    ck_assert_int_eq(mpift_beat_decode(buf, (size_t)n - 1, 4, &d), MPIFT_ERR_PROTO);
    buf[2] = 1;
    ck_assert_int_eq(mpift_beat_decode(buf, (size_t)n, 4, &d), MPIFT_ERR_PROTO);
    b = (struct mpift_beat){ MPIFT_BEAT_ALIVE, MPIFT_SILENT_MANY, { 0 } };
    n = mpift_beat_encode(&b, buf);
    ck_assert_int_eq(n, MPIFT_BEAT_HDR);
    ck_assert_int_eq(mpift_beat_decode(buf, (size_t)n, 4, &d), MPIFT_OK);
    ck_assert_int_eq(d.nsilent, MPIFT_SILENT_MANY);
    buf[0] = MPIFT_BEAT_WORK;
    ck_assert_int_eq(mpift_beat_decode(buf, (size_t)n, 4, &d), MPIFT_OK);
    ck_assert_int_eq(d.kind, MPIFT_BEAT_WORK);
    buf[0] = MPIFT_BEAT_WORK + 1;   /* no such kind */
    ck_assert_int_eq(mpift_beat_decode(buf, (size_t)n, 4, &d), MPIFT_ERR_PROTO);
}
END_TEST

START_TEST(want_roundtrip_and_refused)
{
    static const uint64_t ids[] = { 4, 0, 2 };
    unsigned char *buf;
    uint64_t *got, n;
    size_t len;

    ck_assert_int_eq(mpift_want_encode(ids, 3, &buf, &len), MPIFT_OK);
    ck_assert_uint_eq(len, MPIFT_WANT_HDR + 24);
    ck_assert_int_eq(mpift_want_decode(buf, len, 5, &got, &n, why, sizeof(why)), MPIFT_OK);
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(got[0], 4);
    free(got);
    ck_assert_int_eq(mpift_want_decode(buf, len, 4, &got, &n, why, sizeof(why)), MPIFT_ERR_PROTO);
    ck_assert_ptr_null(got);
    ck_assert_int_eq(mpift_want_decode(buf, len - 8, 5, &got, &n, why, sizeof(why)), MPIFT_ERR_PROTO);
    ck_assert_int_eq(mpift_want_decode(buf, 4, 5, &got, &n, why, sizeof(why)), MPIFT_ERR_PROTO);
    free(buf);
    ck_assert_int_eq(mpift_want_encode(NULL, 0, &buf, &len), MPIFT_OK);
    ck_assert_int_eq(mpift_want_decode(buf, len, 0, &got, &n, why, sizeof(why)), MPIFT_OK);
    ck_assert_uint_eq(n, 0);
    free(buf);
}
END_TEST

START_TEST(libs_roundtrip_and_refused)
{
    char *files[] = {"app.libs/liba.so.1.2", "app.libs/libb.so.2"}, *links[] = {"app.libs/liba.so.1", "liba.so.1.2"};
    struct mpift_libs_set sets[] = {
        { .program = "app", .folder = "app.libs", .files = files, .nfiles = 2, .links = links, .nlinks = 2 },
        { .program = "x/y", .folder = "x/y.libs" }};
    struct mpift_libs in = {sets, 2, 2}, out;
    unsigned char *buf, bad[64];
    struct mpift_wcur w;
    size_t len, cut;

    ck_assert_int_eq(mpift_wlibs_encode(&in, &buf, &len), MPIFT_OK);
    ck_assert_int_eq(mpift_wlibs_decode(buf, len, &out, why, sizeof(why)), MPIFT_OK);
    ck_assert_uint_eq(out.n, 2);
    ck_assert_str_eq(out.s[0].program, "app");
    ck_assert_str_eq(out.s[0].folder, "app.libs");
    ck_assert_uint_eq(out.s[0].nfiles, 2);
    ck_assert_str_eq(out.s[0].files[1], "app.libs/libb.so.2");
    ck_assert_uint_eq(out.s[0].nlinks, 2);
    ck_assert_str_eq(out.s[0].links[1], "liba.so.1.2");
    ck_assert_str_eq(out.s[1].folder, "x/y.libs");
    ck_assert_uint_eq(out.s[1].nfiles + out.s[1].nlinks, 0);
    mpift_libs_free(&out);
    /* Cut anywhere, or one byte more: refused, nothing kept. */
    for (cut = 0; cut < len; cut++) {
        ck_assert_int_eq(mpift_wlibs_decode(buf, cut, &out, why, sizeof(why)), MPIFT_ERR_PROTO);
        ck_assert_ptr_null(out.s);
        ck_assert_uint_eq(out.n, 0);
    }
    free(buf);
    /* A set promising 2^32 - 1 libraries after its names, links not in
     * pairs, an empty name, a NUL in one. */
    mpift_wcur_init(&w, bad, sizeof(bad));
    mpift_wput_u32(&w, 1);
    mpift_wput_u32(&w, UINT32_MAX);
    mpift_wput_u32(&w, 0);
    mpift_wput_str(&w, "app", 3);
    mpift_wput_str(&w, "app.libs", 8);
    ck_assert_int_eq(mpift_wlibs_decode(bad, w.at, &out, why, sizeof(why)), MPIFT_ERR_PROTO);
    ck_assert_ptr_null(out.s);
    memcpy(bad + 4, "\0\0\0\0\1\0\0\0", 8);   /* nfiles 0, nlinks 1 */
    ck_assert_int_eq(mpift_wlibs_decode(bad, w.at, &out, why, sizeof(why)), MPIFT_ERR_PROTO);
    ck_assert_ptr_nonnull(strstr(why, "pairs"));
    memset(bad + 4, 0, 8);
    ck_assert_int_eq(mpift_wlibs_decode(bad, w.at, &out, why, sizeof(why)), MPIFT_OK);
    mpift_libs_free(&out);
    bad[12 + 4 + 1] = '\0';   /* "a\0p" */
    ck_assert_int_eq(mpift_wlibs_decode(bad, w.at, &out, why, sizeof(why)), MPIFT_ERR_PROTO);
    sets[1].program = "";
    ck_assert_int_eq(mpift_wlibs_encode(&in, &buf, &len), MPIFT_ERR_RANGE);
    ck_assert_ptr_null(buf);
}
END_TEST

static Suite *wire_suite(void)
{
    Suite *s = suite_create("wire");
    TCase *tc = tcase_create("formats");

    tcase_add_test(tc, plan_roundtrip_and_refused);
    tcase_add_test(tc, plan_fields_refused);
    tcase_add_test(tc, cands_roundtrip_and_refused);
    tcase_add_test(tc, beat_roundtrip_and_refused);
    tcase_add_test(tc, want_roundtrip_and_refused);
    tcase_add_test(tc, libs_roundtrip_and_refused);
    suite_add_tcase(s, tc);
    return s;
}

MPIFT_UNIT_MAIN(wire_suite)
