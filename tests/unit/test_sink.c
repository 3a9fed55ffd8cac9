/* test_sink.c - engine/sink.h: the checksum a copy is checked against is
 * XXH3-64 over its chunks' own XXH3-64s (so a writer hashes each chunk
 * once, for the checksum and its record alike), not over its bytes; the
 * copy commits against that digest, and against no other. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpift/mpift.h"
#include "engine/sink.h"
#include "unit_main.h"

#define CHUNK 4096

static char root[64];
static int rootfd = -1;
static unsigned char data[3 * CHUNK - 100];   /* two whole chunks and a short last one */

static void setup(void)
{
    size_t i;

    strcpy(root, "/tmp/mpift-sink.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
    ck_assert_int_ge(rootfd = open(root, O_RDONLY | O_DIRECTORY), 0);
    for (i = 0; i < sizeof(data); i++)
        data[i] = (unsigned char)(i * 7 + i / 251);
}

static void teardown(void)
{
    char cmd[128];

    close(rootfd);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    ck_assert_int_eq(system(cmd), 0);
}

/* The checksum by its definition: each chunk's XXH3-64, little-endian, in
 * file order, hashed. */
static uint64_t chunks_digest(void)
{
    unsigned char list[3 * 8];
    size_t off, n, k = 0;

    for (off = 0; off < sizeof(data); off += n, k++) {
        n = sizeof(data) - off < CHUNK ? sizeof(data) - off : CHUNK;
        mpift_le64_put(list + 8 * k, XXH3_64bits(data + off, n));
    }
    return XXH3_64bits(list, 8 * k);
}

/* Write data to "f" chunk by chunk (split: the first chunk in two
 * writes) and commit it against digest. */
static int copy(uint64_t digest, int split, char *why, size_t whylen)
{
    struct mpift_sink s;
    struct mpift_expect e = { .size = sizeof(data), .sent = sizeof(data), .mode = 0644,
                              .cksum = MPIFT_WIRE_CKSUM_XXH3, .digest = digest };
    size_t off, n;

    ck_assert_int_eq(mpift_sink_open(&s, rootfd, root, "f", 0, MPIFT_WIRE_CKSUM_XXH3, why, whylen), MPIFT_OK);
    for (off = 0; off < sizeof(data); off += n) {
        n = sizeof(data) - off < CHUNK ? sizeof(data) - off : CHUNK;
        if (split && off == 0) {
            mpift_sink_write(&s, data, 10, 0);
            mpift_sink_write(&s, data + 10, n - 10, 10);
        } else {
            mpift_sink_write(&s, data + off, n, off);
        }
    }
    return mpift_sink_commit(&s, &e, false, false, why, whylen);
}

START_TEST(checked_against_the_chunks_hashes)
{
    char why[512], path[128];
    unsigned char back[sizeof(data)];
    int fd;

    ck_assert_int_eq(copy(chunks_digest(), 0, why, sizeof(why)), MPIFT_OK);
    snprintf(path, sizeof(path), "%s/f", root);
    ck_assert_int_ge(fd = open(path, O_RDONLY), 0);
    ck_assert_int_eq(read(fd, back, sizeof(back)), (ssize_t)sizeof(back));
    close(fd);
    ck_assert_int_eq(memcmp(back, data, sizeof(data)), 0);
}
END_TEST

START_TEST(not_against_the_bytes)
{
    char why[512];

    /* the content's own XXH3-64 is the report's, not the checksum */
    ck_assert_int_eq(copy(XXH3_64bits(data, sizeof(data)), 0, why, sizeof(why)), MPIFT_ERR_CHECKSUM);
    ck_assert_ptr_nonnull(strstr(why, "checksum mismatch"));
}
END_TEST

START_TEST(cut_elsewhere_is_another_digest)
{
    char why[512];

    /* the same bytes in other pieces are other chunks */
    ck_assert_int_eq(copy(chunks_digest(), 1, why, sizeof(why)), MPIFT_ERR_CHECKSUM);
}
END_TEST

START_TEST(one_piece)
{
    static const unsigned char small[5] = "abcd";
    unsigned char le[8];

    mpift_le64_put(le, XXH3_64bits(small, sizeof(small)));
    ck_assert_uint_eq(mpift_digest_one(XXH3_64bits(small, sizeof(small)), sizeof(small)), XXH3_64bits(le, 8));
    /* an empty file: no chunk, the hash of nothing, as a stream of none */
    ck_assert_uint_eq(mpift_digest_one(XXH3_64bits(small, 0), 0), XXH3_64bits(small, 0));
}
END_TEST

static Suite *sink_suite(void)
{
    Suite *s = suite_create("sink");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, checked_against_the_chunks_hashes);
    tcase_add_test(tc, not_against_the_bytes);
    tcase_add_test(tc, cut_elsewhere_is_another_digest);
    tcase_add_test(tc, one_piece);
    suite_add_tcase(s, tc);
    return s;
}

MPIFT_UNIT_MAIN(sink_suite)
