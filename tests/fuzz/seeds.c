/*
 * seeds.c - write the fuzz targets' seed inputs, each made by the
 * encoder of its format, into DIR/<target>/seed-<name> (run.sh runs it
 * before every fuzzing run, so the seeds follow the formats).
 *   seeds DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpift/mpift.h"
#include "wire/beat.h"
#include "wire/cands.h"
#include "wire/cursor.h"
#include "wire/planrec.h"
#include "wire/proto.h"
#include "wire/request.h"
#include "wire/libset.h"
#include "wire/want.h"
#include "wire/offers.h"

static const char *dir;

static void seed(const char *target, const char *name, const void *buf, size_t len)
{
    char path[4096];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s/seed-%s", dir, target, name);
    if (!(f = fopen(path, "wb")) || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

static void plan_seeds(void)
{
    static const struct mpift_wplan_rec recs[] = {
        { 1, 1, -1, 0, 1700000000, 5, 0755, "d", 1, 0, 0, {0}, 0, 0 },
        { 0, 0, -1, 1 << 20, 1700000001, 999999999, 0644, "d/big.bin", 9, 0, 1, "0123456789abcdef", 0, 0 },
        { 0, 1, 3, 7, -1, 0, 0600, "d/\xc3\xa9t\xc3\xa9 %r.txt", 14, 1, 0, {0}, 0, 0 },
        { 0, 0, -1, 1 << 30, 1700000002, 0, 0644, "sparse.img", 10, 0, 1, "fedcba9876543210", 1, 4 << 20 },
    };
    struct mpift_wplan_hdr h = { 4, 3, (1 << 20) + (1 << 30) + 7, 1, 0 };
    unsigned char buf[512];
    struct mpift_wcur w;
    size_t k;

    mpift_wcur_init(&w, buf, sizeof(buf));
    mpift_wplan_put_hdr(&w, &h);
    for (k = 0; k < sizeof(recs) / sizeof(recs[0]); k++)
        mpift_wplan_put_rec(&w, &recs[k]);
    seed("plan", "three", buf, w.at);
    h = (struct mpift_wplan_hdr){ 0, 0, 0, 0, 0 };
    mpift_wcur_init(&w, buf, sizeof(buf));
    mpift_wplan_put_hdr(&w, &h);
    seed("plan", "empty", buf, w.at);
}

static void cands_seeds(void)
{
    static const struct mpift_wcand c[] = {
        { 1, 1 << 21, 1700000000, 1, 0x0123456789abcdefull, "a/big.bin" },
        { 4, 5 << 20, 1700000002, 999999999, 42, "b/\xc3\xa9.dat" },
    };
    unsigned char *buf;
    size_t len;

    if (mpift_wcands_encode("/shared/inputs", c, 2, &buf, &len) != MPIFT_OK)
        exit(1);
    seed("cands", "two", buf, len);
    free(buf);
    if (mpift_wcands_encode("/", c, 0, &buf, &len) != MPIFT_OK)
        exit(1);
    seed("cands", "none", buf, len);
    free(buf);
}

static void beat_seeds(void)
{
    struct mpift_beat alive = { MPIFT_BEAT_ALIVE, 0, {0} }, end = { MPIFT_BEAT_END, 0, {0} },
                      list = { MPIFT_BEAT_ALIVE, 3, {1, 2, 6} }, many = { MPIFT_BEAT_ALIVE, MPIFT_SILENT_MANY, {0} };
    unsigned char buf[MPIFT_BEAT_MAX];

    seed("beat", "alive", buf, (size_t)mpift_beat_encode(&alive, buf));
    seed("beat", "end", buf, (size_t)mpift_beat_encode(&end, buf));
    seed("beat", "list", buf, (size_t)mpift_beat_encode(&list, buf));
    seed("beat", "many", buf, (size_t)mpift_beat_encode(&many, buf));
}

static void want_seeds(void)
{
    static const uint64_t ids[] = { 0, 2, 1 };
    unsigned char *buf;
    size_t len;

    if (mpift_want_encode(ids, 3, &buf, &len) != MPIFT_OK)
        exit(1);
    seed("want", "three", buf, len);
    free(buf);
    if (mpift_want_encode(NULL, 0, &buf, &len) != MPIFT_OK)
        exit(1);
    seed("want", "done", buf, len);
    free(buf);
}

static void offers_seeds(void)
{
    static const unsigned char have[8] = { 0x0b };
    static const uint64_t hash[] = { 1, 2, 0, 4 };
    struct mpift_offers_buf ob;

    memset(&ob, 0, sizeof(ob));
    mpift_offers_add(&ob, 0, 1, 4, have, hash);
    mpift_offers_add(&ob, 2, 2, 64, have, hash);
    if (mpift_offers_finish(&ob) != MPIFT_OK)
        exit(1);
    seed("offers", "two", ob.p, ob.len);
    free(ob.p);
}

static void libs_seeds(void)
{
    char *files[] = {"app.libs/liba.so.1.2"}, *links[] = {"app.libs/liba.so.1", "liba.so.1.2"};
    struct mpift_libs_set set = {"app", "app.libs", files, 1, links, 2};
    struct mpift_libs one = {&set, 1, 1}, none = {NULL, 0, 0};
    unsigned char *buf;
    size_t len;

    if (mpift_wlibs_encode(&one, &buf, &len) != MPIFT_OK)
        exit(1);
    seed("libs", "one", buf, len);
    free(buf);
    if (mpift_wlibs_encode(&none, &buf, &len) != MPIFT_OK)
        exit(1);
    seed("libs", "none", buf, len);
    free(buf);
}

static void proto_seeds(void)
{
    static unsigned char buf[MPIFT_HEAD_WIRE_MAX];
    static struct mpift_holes h = { 2, { { 0, 4096 }, { 8192, 10000 - 8192 } } };   /* chunk 1 is data */
    struct mpift_meta m = { .file_id = 3, .size = 10000, .mtime_sec = 1700000000, .mode = 0644, .chunk_size = 4096 };
    struct mpift_complete c = { 3, 10000, MPIFT_SEND_OK, 0, MPIFT_WIRE_CKSUM_XXH3, 0xfeedull, 0xfeedull };
    struct mpift_error_msg e = { 3, MPIFT_ERR_IO, "in/a.bin: read failed: Input/output error" };
    struct mpift_batch_entry be = { 0, 5, 1700000000, 0, 0644, MPIFT_SEND_OK, 0, 7, NULL };
    struct mpift_req rq = { MPIFT_REQ_FETCH, 0, 9, "data/x.bin" };

    mpift_chunking(m.size, m.chunk_size, &m.nchunks, &m.last_chunk);
    strcpy(m.name, "dir/a.bin");
    seed("proto", "meta", buf, (size_t)mpift_meta_encode(&m, buf, sizeof(buf)));
    m.nholes = h.n;
    seed("proto", "head_holes", buf, (size_t)mpift_head_encode(&m, &h, buf, sizeof(buf)));
    m.nholes = 0;
    seed("proto", "complete", buf, (size_t)mpift_complete_encode(&c, buf, sizeof(buf)));
    seed("proto", "error", buf, (size_t)mpift_error_encode(&e, buf, sizeof(buf)));
    mpift_batch_put_entry(buf + MPIFT_BATCH_HDR, &be);
    memcpy(buf + MPIFT_BATCH_HDR + MPIFT_BATCH_ENTRY, "hello", 5);
    mpift_batch_seal(buf, MPIFT_BATCH_HDR + MPIFT_BATCH_ENTRY + 5, 1, MPIFT_WIRE_CKSUM_XXH3);
    seed("proto", "batch", buf, MPIFT_BATCH_HDR + MPIFT_BATCH_ENTRY + 5);
    seed("proto", "request", buf, (size_t)mpift_req_encode(&rq, buf));
    seed("proto", "reply", buf, (size_t)mpift_reply_encode(buf, sizeof(buf), MPIFT_OK, "go"));
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: seeds DIR\n");
        return 2;
    }
    dir = argv[1];
    proto_seeds();
    plan_seeds();
    cands_seeds();
    beat_seeds();
    want_seeds();
    offers_seeds();
    libs_seeds();
    return 0;
}
