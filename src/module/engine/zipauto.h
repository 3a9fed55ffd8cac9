/*
 * zipauto.h - what transfer.compress = "auto" sends a chunk with, from
 * rates it measures (engine/ only; plain arithmetic, no MPI, no clock of
 * its own: the caller passes the time, so that tests can feed it).
 *
 * The candidates are none, lz4 and zstd at levels 1, 3 and 6 (those the
 * build has).  For each, the source keeps the seconds it takes to
 * compress a plain byte, to decompress one, and the share of the bytes
 * that goes on the wire, from the chunks it sends and from an occasional
 * sample (a chunk compressed once more with another candidate, into a
 * scratch buffer, never sent).  It also keeps the seconds per byte of all
 * else it does for a chunk (read, hash, its own copy) and the rate at
 * which the link, and the ranks past it, take wire bytes.  A chunk with
 * candidate c then costs about
 *
 *     max(other + compress_c,  ratio_c / link + decompress_c)
 *
 * seconds per plain byte: the source's work, or the link's with the
 * writers' decoding; the run sends with the cheapest, none unless a codec
 * is cheaper by MPIFT_ZIP_MARGIN.
 *
 * The link's rate is only seen while it holds the source back: the
 * sends of MPIFT_ZIP_BACKLOG chunks or more are not done yet (or the
 * source waits for a buffer), and sends are done at the link's pace:
 * the bytes of the sends done over the time between chunks.  Until then
 * the source sends as it is and samples nothing: none fills the link
 * fastest, so that a link slower than the source shows within a few
 * chunks, and a fast one costs nothing.  At the first backlog the link
 * gets a rough rate (LINK_EARLY): with no send done yet, less than the
 * first chunk over the time since it started; then the bytes of the
 * sends done after the first over the time since it.  A codec must win
 * by MPIFT_ZIP_ROUGH_MARGIN until the link is measured.  A codec that puts
 * MPIFT_ZIP_UNWAITED_ZIP wire bytes out without a backlog, where the
 * model expected the link to hold it back, means the link is faster than
 * thought: the source sends as it is until it sees the link's rate, or
 * puts MPIFT_ZIP_UNWAITED bytes out without a backlog, i.e. the link
 * takes all the source can give as it is, so that none is cheapest for
 * the rest of the run.
 *
 * What holds the source back may be the writers, not the wire: ranks
 * that receive, hash, write and decompress each plain byte at a pace no
 * codec shortens (a busy CPU, a slow disk).  So the pace is measured in
 * plain bytes too, per candidate: a codec whose chunks cross slower than
 * its ratio over the link's rate predicts (by MPIFT_ZIP_FLOOR_SLACK)
 * shows that floor, and the model then costs every candidate at least
 * the floor plus its decoding (mpift_zip_cost).
 */
#ifndef MPIFT_ZIPAUTO_H
#define MPIFT_ZIPAUTO_H

#include <stdint.h>

/* The candidates, cheapest CPU first. */
enum mpift_zip_cand {
    MPIFT_ZIP_NONE = 0,
    MPIFT_ZIP_LZ4,
    MPIFT_ZIP_ZSTD1,
    MPIFT_ZIP_ZSTD3,
    MPIFT_ZIP_ZSTD6,
    MPIFT_ZIP_NCAND
};

/* A codec must be this much cheaper than none to be used ("when in
 * doubt, none"): 2%, the noise of a rate measured over a few chunks. */
#define MPIFT_ZIP_MARGIN 0.02

/* A codec must be this much cheaper than none while the link's rate is
 * only the rough bound of the first backlog (LINK_EARLY): that bound was
 * within a factor of 2 of the rate measured later on the bench's links,
 * whose first sends wait for the receivers to start. */
#define MPIFT_ZIP_ROUGH_MARGIN 0.25

/* A codec's chunks crossing this much slower than their wire bytes over
 * the link's rate predict show a floor: the writers, not the wire, set
 * the pace (above the noise of a pace measured over a few sends). */
#define MPIFT_ZIP_FLOOR_SLACK 1.5

/* The link's rate before it was ever seen, wire bytes/s: 1 Gbit/s; it
 * only decides which candidates are worth a sample before the first
 * backlog (none is sent until then). */
#define MPIFT_ZIP_LINK_PRIOR 125e6

/* Sends not yet done that show the link holding the source back: more
 * than a send's own round trip leaves pending at memory speed. */
#define MPIFT_ZIP_BACKLOG 8

/* Wire bytes a codec may put out without a backlog, where the link was
 * expected to hold it back, before the source tries none to see the
 * link: above what a TCP socket's send buffer (4 MiB, Linux's default)
 * and a backlog of compressed chunks take, so that a slow link still
 * filling them is not misjudged (if it is, none fills them fast and the
 * link is seen). */
#define MPIFT_ZIP_UNWAITED_ZIP ((uint64_t)8 << 20)

/* Wire bytes none may put out without a backlog before the link is
 * taken for faster than the source: a socket's send buffer and a backlog
 * of default chunks (8 x 256 KiB), with room to spare. */
#define MPIFT_ZIP_UNWAITED ((uint64_t)12 << 20)

/* Sends done per estimate of the link's pace: few, since none is what
 * measures it while it looks. */
#define MPIFT_ZIP_LINK_CHUNKS 4

/* The share of the time the source waits for a link it saw that samples
 * may take: the CPU it leaves idle is shared with the other ranks. */
#define MPIFT_ZIP_SPARE_SHARE 0.1

/* The share of the source's time samples may take (incompressible data
 * pays at most this). */
#define MPIFT_ZIP_SAMPLE_SHARE 0.01

/* What a candidate was measured at; seen 0: never, 1: once (cold), 2: more. */
struct mpift_zip_rate {
    double comp;     /* seconds to compress a plain byte */
    double decomp;   /* seconds to decompress one (a writer's) */
    double ratio;    /* wire bytes per plain byte, at most 1 */
    int seen;
};

/* The chooser's inputs. */
struct mpift_zip_rates {
    unsigned have;   /* the candidates this build has, a bit (1 << MPIFT_ZIP_*) each */
    double other;    /* the source's seconds per plain byte besides compressing */
    double link;     /* wire bytes/s the link takes; 0: more than the source gives it */
    double floor;    /* the writers' seconds per plain byte whatever the codec (0: not seen) */
    int rough;       /* link is a rough bound: a codec must win by MPIFT_ZIP_ROUGH_MARGIN */
    struct mpift_zip_rate c[MPIFT_ZIP_NCAND];
};

/* Seconds per plain byte with candidate k (never seen: as none):
 * max(other + compress_k, max(ratio_k / link, floor) + decompress_k). */
double mpift_zip_cost(const struct mpift_zip_rates *r, int k);

/* The cheapest candidate: none unless a codec wins by MPIFT_ZIP_MARGIN
 * (MPIFT_ZIP_ROUGH_MARGIN while the link's rate is rough). */
int mpift_zip_choose(const struct mpift_zip_rates *r);

/* How the link is known. */
enum mpift_zip_link {
    MPIFT_ZIP_LINK_GUESS,   /* never held the source back yet: none, no samples */
    MPIFT_ZIP_LINK_SEEN,    /* measured while it held the source back */
    MPIFT_ZIP_LINK_FAST,    /* takes all the source gives as it is */
    MPIFT_ZIP_LINK_PROBE,   /* a codec did not fill it as expected: none, to see it */
    MPIFT_ZIP_LINK_EARLY    /* a rough bound from the first backlog */
};

/* What one buffer's chunk took on the wire, for the pace of its send. */
struct mpift_zip_slot {
    uint32_t wire, plain;
    int cand;                  /* its candidate; -1: a hole or KEEP frame, no measure */
};

/* One source rank's account over the run (every file). */
struct mpift_zip_auto {
    struct mpift_zip_rates r;
    int pick;                  /* the candidate chunks go with */
    int state;                 /* enum mpift_zip_link */
    int waited;                /* the source waited for a buffer since its last chunk */
    int sat;                   /* the link's pace is being measured (a backlog) */
    int sat_cand;              /* ... on chunks of this candidate, */
    int sat_n;                 /* ... over this many sends done, */
    double sat_bytes, sat_plain, sat_time;   /* ... of these wire and plain bytes, in this time */
    int acked_n;               /* sends done since the last chunk */
    int acked_other;           /* ... of them with another candidate than sat_cand */
    int acked_cand;            /* ... the candidate of the last */
    double acked_bytes, acked_plain;   /* ... and their wire and plain bytes */
    double acked_total;        /* wire bytes of every send done (the first backlog's bound) */
    double first;              /* when the first chunk was started; 0: none yet */
    double first_wire;         /* ... and its wire bytes */
    double first_done;         /* when the first send done was heard of; 0: not yet */
    double first_bytes;        /* ... and acked_total then */
    uint64_t unwaited;         /* wire bytes since the last wait */
    double last;               /* when the last chunk was sent; 0: none yet */
    double spent, sampled;     /* seconds since the first chunk, and of samples */
    double spare;              /* seconds the source was idle, waiting for a link it saw */
    int next_sample;           /* round robin over the codecs */
    struct mpift_zip_slot *slot;   /* each buffer's chunk (a window's), NULL: unknown */
    int window;
    int fixed;                 /* the link's rate is given (mpift_zip_auto_fix), never measured */
};

void mpift_zip_auto_init(struct mpift_zip_auto *a, unsigned have, int window);
void mpift_zip_auto_free(struct mpift_zip_auto *a);

/* Take the link for `link` wire bytes/s (0: faster than the source)
 * and never measure it: the test suite's MPIFT_TEST_ZIP_LINK, so that
 * what auto chooses does not hang on the machine's load. */
void mpift_zip_auto_fix(struct mpift_zip_auto *a, double link);

/* A candidate's chunk of `plain` bytes took `wire` bytes, `comp` seconds
 * to compress and (a sample, else < 0) `decomp` to decompress. */
void mpift_zip_auto_measured(struct mpift_zip_auto *a, int k, int plain, int wire, double comp, double decomp);

/* The candidate to sample now besides the chunk's own, or -1: once the
 * link held the source back (never before: none is sent until then),
 * lz4 and zstd -1 twice at once (the first time is cold), the others
 * only where they might win, and
 * within MPIFT_ZIP_SPARE_SHARE of the time the source spent idle waiting
 * for a link it saw plus MPIFT_ZIP_SAMPLE_SHARE of all its time. */
int mpift_zip_auto_sample(struct mpift_zip_auto *a);

/* The source found the buffer of its next chunk still being sent. */
static inline void mpift_zip_auto_wait(struct mpift_zip_auto *a)
{
    a->waited = 1;
}

/* The send of buffer b is done: its bytes crossed the link. */
void mpift_zip_auto_acked(struct mpift_zip_auto *a, int b);

/* A chunk of `plain` bytes went out from buffer b as `wire` bytes with
 * candidate `cand` (the one it was packed with, which the pick may no
 * longer be; -1: a hole or KEEP frame, no measure of any codec's pace) at
 * time `now` (seconds), the source busy `busy` seconds on it of which
 * `zip` compressing or sampling, `pending` chunks' sends not yet done:
 * learn, and choose the next pick. */
void mpift_zip_auto_sent(struct mpift_zip_auto *a, int b, int plain, int wire, int cand, double busy, double zip,
                         double now, int pending);

#endif
