/* zipauto.c - auto's rate model and its choice (see zipauto.h). */
#include "mpift_autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "engine/zipauto.h"

/* How much one measurement moves a candidate's rates: its speed varies
 * little (a quarter), its ratio with the data (a half, so that the
 * model follows a run from text to random data within a few chunks). */
#define SPEED_WEIGHT 0.25
#define RATIO_WEIGHT 0.5
/* ... and the source's other work per byte, which the page cache and
 * the machine's load make noisy. */
#define OTHER_WEIGHT 0.125

/* A candidate that is seen may be sampled while its cost is within this
 * factor of the pick's: it might win once the data changes. */
#define MIGHT_WIN 1.25

static double max2(double a, double b)
{
    return a > b ? a : b;
}

/* The link's seconds per wire byte (0: faster than the source feeds it). */
static double per_wire_byte(const struct mpift_zip_rates *r)
{
    return r->link > 0 ? 1 / r->link : 0;
}

double mpift_zip_cost(const struct mpift_zip_rates *r, int k)
{
    const struct mpift_zip_rate *c = &r->c[k];

    /* the writers take a plain byte no faster than their floor, whatever
     * it took on the wire, and decode it on top */
    if (k == MPIFT_ZIP_NONE || !c->seen)
        return max2(r->other, max2(per_wire_byte(r), r->floor));
    return max2(r->other + c->comp, max2(c->ratio * per_wire_byte(r), r->floor) + c->decomp);
}

int mpift_zip_choose(const struct mpift_zip_rates *r)
{
    double none = mpift_zip_cost(r, MPIFT_ZIP_NONE), best = 0, cost;
    int k, pick = MPIFT_ZIP_NONE;

    for (k = 1; k < MPIFT_ZIP_NCAND; k++) {
        if (!(r->have & (1u << k)) || !r->c[k].seen)
            continue;
        cost = mpift_zip_cost(r, k);
        if (pick == MPIFT_ZIP_NONE || cost < best) {
            pick = k;
            best = cost;
        }
    }
    return pick != MPIFT_ZIP_NONE && best < none * (1 - (r->rough ? MPIFT_ZIP_ROUGH_MARGIN : MPIFT_ZIP_MARGIN))
               ? pick : MPIFT_ZIP_NONE;
}

void mpift_zip_auto_init(struct mpift_zip_auto *a, unsigned have, int window)
{
    memset(a, 0, sizeof(*a));
    a->r.have = have | 1u << MPIFT_ZIP_NONE;
    a->r.link = MPIFT_ZIP_LINK_PRIOR;
    a->state = MPIFT_ZIP_LINK_GUESS;
    a->window = window;
    if (window > 0)
        a->slot = calloc((size_t)window, sizeof(*a->slot));   /* NULL: the link is never measured */
}

void mpift_zip_auto_free(struct mpift_zip_auto *a)
{
    free(a->slot);
    memset(a, 0, sizeof(*a));
}

static void ewma(double *v, double x, double weight, int first)
{
    *v = first ? x : *v + weight * (x - *v);
}

/* The next pick: none until the link held the source back, and while
 * it is being looked at. */
static void repick(struct mpift_zip_auto *a)
{
    a->r.rough = a->state == MPIFT_ZIP_LINK_EARLY;
    a->pick = a->state == MPIFT_ZIP_LINK_PROBE || a->state == MPIFT_ZIP_LINK_GUESS ? MPIFT_ZIP_NONE
                                                                                 : mpift_zip_choose(&a->r);
}

void mpift_zip_auto_fix(struct mpift_zip_auto *a, double link)
{
    a->fixed = 1;
    a->r.link = link > 0 ? link : 0;
    a->state = link > 0 ? MPIFT_ZIP_LINK_SEEN : MPIFT_ZIP_LINK_FAST;
    repick(a);
}

void mpift_zip_auto_measured(struct mpift_zip_auto *a, int k, int plain, int wire, double comp, double decomp)
{
    struct mpift_zip_rate *c = &a->r.c[k];
    int other;

    if (k <= MPIFT_ZIP_NONE || k >= MPIFT_ZIP_NCAND || plain <= 0)
        return;
    /* Bytes one codec cannot shrink, a weaker one (lower in the list)
     * cannot either: random data is learnt once, not once per codec; and
     * what one shrinks to, a stronger one does at least as well. */
    for (other = MPIFT_ZIP_LZ4; other < MPIFT_ZIP_NCAND; other++) {
        struct mpift_zip_rate *o = &a->r.c[other];
        if (o->seen && other < k && wire >= plain)
            ewma(&o->ratio, 1, RATIO_WEIGHT, 0);
        else if (o->seen && other > k && o->ratio > (double)wire / plain)
            o->ratio = (double)wire / plain;
    }
    /* The first time of a codec is a cold one (its tables, the buffers'
     * first pages): the second replaces it. */
    ewma(&c->comp, comp / plain, SPEED_WEIGHT, c->seen < 2);
    ewma(&c->ratio, wire < plain ? (double)wire / plain : 1, RATIO_WEIGHT, !c->seen);
    if (decomp >= 0) {   /* a sample: it counts against the share */
        ewma(&c->decomp, decomp / plain, SPEED_WEIGHT, c->seen < 2);
        a->sampled += comp + decomp;
    }
    c->seen += c->seen < 2;
    repick(a);
}

/* The source's seconds per plain byte with candidate k. */
static double cpu_cost(const struct mpift_zip_rates *r, int k)
{
    return r->other + (k != MPIFT_ZIP_NONE && r->c[k].seen ? r->c[k].comp : 0);
}

/* Does candidate k leave the source's CPU idle, waiting for the link? */
static int link_bound(const struct mpift_zip_rates *r, int k)
{
    return mpift_zip_cost(r, k) > cpu_cost(r, k);
}

int mpift_zip_auto_sample(struct mpift_zip_auto *a)
{
    static const int first[] = { MPIFT_ZIP_LZ4, MPIFT_ZIP_ZSTD1 };
    double pick_cost;
    int n, k;

    if (a->state == MPIFT_ZIP_LINK_GUESS)   /* none is sent: a sample could change nothing */
        return -1;
    /* once a link holds the source back, what the data shrinks to */
    for (n = 0; n < 2 && (a->state == MPIFT_ZIP_LINK_EARLY || a->state == MPIFT_ZIP_LINK_SEEN); n++) {
        k = first[n];
        if (a->r.c[k].seen && a->r.c[k].ratio >= 1)
            break;      /* what the fastest cannot shrink, zstd hardly does */
        if (a->r.have & (1u << k) && a->r.c[k].seen < 2)
            return k;   /* twice: the first is cold */
    }
    if (a->sampled > MPIFT_ZIP_SAMPLE_SHARE * a->spent + MPIFT_ZIP_SPARE_SHARE * a->spare)
        return -1;
    pick_cost = mpift_zip_cost(&a->r, a->pick);
    for (n = 1; n < MPIFT_ZIP_NCAND; n++) {
        k = 1 + (a->next_sample + n) % (MPIFT_ZIP_NCAND - 1);
        if (k == a->pick || !(a->r.have & (1u << k)))
            continue;
        /* A higher level is worth a look only while a codec is the pick
         * and leaves the CPU waiting for the link (where none is, the
         * fast codecs show whether the data shrinks at all); any, only
         * while it is near the pick. */
        if (k >= MPIFT_ZIP_ZSTD3 && (a->pick == MPIFT_ZIP_NONE || !link_bound(&a->r, a->pick)))
            continue;
        if (!a->r.c[k].seen || mpift_zip_cost(&a->r, k) <= pick_cost * MIGHT_WIN) {
            a->next_sample = k;
            return k;
        }
    }
    return -1;
}

/* A pace measured over sat_n sends of sat_cand's chunks (zipauto.h):
 * the link's rate, or the floor the writers set.  A codec's chunks that
 * crossed slower than the link takes their wire bytes went at the
 * writers' pace (or at the source's, when it was no faster: then they
 * show neither); none's chunks, or a codec's at the wire's pace, show
 * the link, and the writers kept up with them. */
static void paced(struct mpift_zip_auto *a)
{
    const struct mpift_zip_rate *c = &a->r.c[a->sat_cand];
    double rate = a->sat_bytes / a->sat_time, plain_s = a->sat_time / a->sat_plain;
    double writers = plain_s - (a->sat_cand != MPIFT_ZIP_NONE && c->seen ? c->decomp : 0);
    int known = a->state == MPIFT_ZIP_LINK_SEEN || a->state == MPIFT_ZIP_LINK_EARLY;

    if (writers < 0)
        writers = 0;
    if (a->sat_cand != MPIFT_ZIP_NONE && known && a->r.link > 0 && rate * MPIFT_ZIP_FLOOR_SLACK < a->r.link) {
        if (cpu_cost(&a->r, a->sat_cand) * MPIFT_ZIP_FLOOR_SLACK < plain_s) {
            a->r.floor = writers;
            if (a->state == MPIFT_ZIP_LINK_EARLY)   /* its rough rate counts these chunks too: none measures it */
                a->state = MPIFT_ZIP_LINK_PROBE;
        }
        return;
    }
    if (a->r.floor > writers)
        a->r.floor = writers;
    a->r.link = a->state == MPIFT_ZIP_LINK_SEEN ? (a->r.link + rate) / 2 : rate;
    a->state = MPIFT_ZIP_LINK_SEEN;
}

/* The link's pace while it holds the source back: the bytes of the
 * sends done since one heard of at the start, over the time since, at a
 * chunk that heard of more, all of one candidate (zipauto.h). */
static void saw_link(struct mpift_zip_auto *a, double dt)
{
    if (!a->slot)
        return;
    if (!a->sat || a->acked_other) {   /* it starts where a send is heard done, again at another candidate's */
        a->sat = a->acked_n > 0 && a->acked_cand >= 0;
        a->sat_cand = a->acked_cand;
        a->sat_bytes = a->sat_plain = a->sat_time = 0;
        a->sat_n = 0;
        return;
    }
    a->sat_bytes += a->acked_bytes;
    a->sat_plain += a->acked_plain;
    a->sat_time += dt;
    a->sat_n += a->acked_n;
    if (a->acked_n == 0 || a->sat_n < MPIFT_ZIP_LINK_CHUNKS || a->sat_time <= 0 || a->sat_plain <= 0)
        return;
    paced(a);
    a->sat_bytes = a->sat_plain = a->sat_time = 0;
    a->sat_n = 0;
}

/* wire bytes went out without a wait, `pending` sends not done: is the
 * link faster than thought? */
static void no_wait(struct mpift_zip_auto *a, int wire, int pending, int backlog)
{
    a->sat = 0;
    a->unwaited += (uint64_t)wire;
    if (a->state == MPIFT_ZIP_LINK_EARLY && a->pick != MPIFT_ZIP_NONE && pending <= backlog / 2) {
        /* the first backlog cleared under a codec: the receivers were
         * slow to start, or the codec holds the source back; none shows
         * which */
        a->state = MPIFT_ZIP_LINK_PROBE;
        a->unwaited = 0;
    } else if (a->pick == MPIFT_ZIP_NONE && a->unwaited >= MPIFT_ZIP_UNWAITED) {
        a->state = MPIFT_ZIP_LINK_FAST;    /* it takes all the source gives */
        a->r.link = 0;
        a->unwaited = 0;
    } else if (a->pick != MPIFT_ZIP_NONE && a->unwaited >= MPIFT_ZIP_UNWAITED_ZIP &&
               (a->state != MPIFT_ZIP_LINK_SEEN || link_bound(&a->r, a->pick))) {
        a->state = MPIFT_ZIP_LINK_PROBE;   /* look at it with none */
        a->unwaited = 0;
    }
}

void mpift_zip_auto_acked(struct mpift_zip_auto *a, int b)
{
    const struct mpift_zip_slot *s;

    if (!a->slot || b < 0 || b >= a->window)
        return;
    s = &a->slot[b];
    a->acked_bytes += s->wire;
    a->acked_plain += s->plain;
    a->acked_total += s->wire;
    a->acked_other += s->cand != a->sat_cand;
    a->acked_cand = s->cand;
    a->acked_n++;
}

/* The link's rate, roughly, from the first backlog until it is measured
 * (zipauto.h): with no send done yet, less than the first chunk's bytes
 * over the time since it started (the source outran the link from its
 * first chunk on: a slow link, or receivers slow to start); once sends
 * are done, the bytes of those after the first over the time since it,
 * not since the first chunk, so that the receivers' start is not taken
 * for a slow link. */
static void rough_link(struct mpift_zip_auto *a, double now)
{
    if (a->fixed || (a->state != MPIFT_ZIP_LINK_EARLY && a->state != MPIFT_ZIP_LINK_GUESS))
        return;
    if (a->first_done == 0 && now > a->first) {
        a->r.link = a->first_wire / (now - a->first);
        a->state = MPIFT_ZIP_LINK_EARLY;
    } else if (a->first_done > 0 && a->acked_total > a->first_bytes && now > a->first_done) {
        a->r.link = (a->acked_total - a->first_bytes) / (now - a->first_done);
        a->state = MPIFT_ZIP_LINK_EARLY;
    }
}

void mpift_zip_auto_sent(struct mpift_zip_auto *a, int b, int plain, int wire, int cand, double busy, double zip,
                         double now, int pending)
{
    double dt = a->last > 0 ? now - a->last : busy;
    int backlog = a->window < MPIFT_ZIP_BACKLOG ? a->window : MPIFT_ZIP_BACKLOG;

    if (a->first == 0) {
        a->first = now - busy;
        a->first_wire = wire;
    }
    if (a->first_done == 0 && a->acked_n > 0) {
        a->first_done = now;
        a->first_bytes = a->acked_total;
    }
    a->last = now;
    if (a->slot && b >= 0 && b < a->window) {
        a->slot[b].wire = (uint32_t)wire;
        a->slot[b].plain = (uint32_t)(plain > 0 ? plain : 0);
        a->slot[b].cand = plain > 0 ? cand : -1;
    }
    if (plain <= 0 || dt < 0) {
        a->acked_bytes = a->acked_plain = 0;
        a->acked_n = a->acked_other = 0;
        return;
    }
    a->spent += dt;
    if (a->state == MPIFT_ZIP_LINK_SEEN)   /* the CPU the source leaves idle waiting for a link it saw */
        a->spare += plain * (mpift_zip_cost(&a->r, a->pick) - cpu_cost(&a->r, a->pick));
    if (busy >= zip && wire > 1)   /* a hole (a one-byte frame) is no measure of the source's work */
        ewma(&a->r.other, (busy - zip) / plain, OTHER_WEIGHT, a->r.other == 0);
    if (a->fixed) {
        a->waited = 0;
    } else if (a->waited || pending >= backlog) {
        a->waited = 0;
        a->unwaited = 0;
        rough_link(a, now);
        saw_link(a, dt);
    } else {
        no_wait(a, wire, pending, backlog);
    }
    a->acked_bytes = a->acked_plain = 0;
    a->acked_n = a->acked_other = 0;
    repick(a);
}
