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

    if (k == MPIFT_ZIP_NONE || !c->seen)
        return max2(r->other, per_wire_byte(r));
    return max2(r->other + c->comp, c->ratio * per_wire_byte(r) + c->decomp);
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
    return pick != MPIFT_ZIP_NONE && best < none * (1 - MPIFT_ZIP_MARGIN) ? pick : MPIFT_ZIP_NONE;
}

void mpift_zip_auto_init(struct mpift_zip_auto *a, unsigned have, int window)
{
    memset(a, 0, sizeof(*a));
    a->r.have = have | 1u << MPIFT_ZIP_NONE;
    a->r.link = MPIFT_ZIP_LINK_PRIOR;
    a->state = MPIFT_ZIP_LINK_GUESS;
    a->window = window;
    if (window > 0)
        a->slot = calloc((size_t)window, sizeof(*a->slot));   /* NULL: each chunk counts its own bytes */
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

/* The next pick: none while the link is being looked at. */
static void repick(struct mpift_zip_auto *a)
{
    a->pick = a->state == MPIFT_ZIP_LINK_PROBE ? MPIFT_ZIP_NONE : mpift_zip_choose(&a->r);
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
    static const int first[] = { MPIFT_ZIP_ZSTD1, MPIFT_ZIP_LZ4 };
    double pick_cost;
    int n, k;

    for (n = 0; n < 2; n++)   /* twice: the first is cold */
        if (a->r.have & (1u << first[n]) && a->r.c[first[n]].seen < 2)
            return first[n];
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

/* The link's pace while it holds the source back: the bytes of the
 * sends done since one heard of at the start, over the time since, at a
 * chunk that heard of more (zipauto.h). */
static void saw_link(struct mpift_zip_auto *a, double dt)
{
    double rate;

    if (!a->slot)
        return;
    if (!a->sat) {   /* it starts where a send is heard done */
        a->sat = a->acked_n > 0;
        a->sat_bytes = a->sat_time = 0;
        a->sat_n = 0;
        return;
    }
    a->sat_bytes += a->acked_bytes;
    a->sat_time += dt;
    a->sat_n += a->acked_n;
    if (a->acked_n == 0 || a->sat_n < MPIFT_ZIP_LINK_CHUNKS || a->sat_time <= 0)
        return;
    rate = a->sat_bytes / a->sat_time;
    a->r.link = a->state == MPIFT_ZIP_LINK_SEEN ? (a->r.link + rate) / 2 : rate;
    a->state = MPIFT_ZIP_LINK_SEEN;
    a->sat_bytes = a->sat_time = 0;
    a->sat_n = 0;
}

/* wire bytes went out without a wait: is the link faster than thought? */
static void no_wait(struct mpift_zip_auto *a, int wire)
{
    a->sat = 0;
    a->unwaited += (uint64_t)wire;
    if (a->pick == MPIFT_ZIP_NONE && a->unwaited >= MPIFT_ZIP_UNWAITED) {
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
    if (a->slot && b >= 0 && b < a->window) {
        a->acked_bytes += a->slot[b];
        a->acked_n++;
    }
}

void mpift_zip_auto_sent(struct mpift_zip_auto *a, int b, int plain, int wire, double busy, double zip, double now,
                         int pending)
{
    double dt = a->last > 0 ? now - a->last : busy;
    int backlog = a->window < MPIFT_ZIP_BACKLOG ? a->window : MPIFT_ZIP_BACKLOG;

    a->last = now;
    if (a->slot && b >= 0 && b < a->window)
        a->slot[b] = (uint32_t)wire;
    if (plain <= 0 || dt < 0)
        return;
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
        saw_link(a, dt);
    } else {
        no_wait(a, wire);
    }
    a->acked_bytes = 0;
    a->acked_n = 0;
    repick(a);
}
