/* history.c: a probe's transition ring and duration histogram. */
#include "config.h"
#include "monitor/history.h"

#include <stdio.h>
#include <stdlib.h>

#include "gtm/alloc.h"

/* From half a millisecond (a probe on the loopback) to 30 s (the longest
 * timeout Azure allows is 10 s; a lab may set more). */
const uint32_t latency_bounds_us[LATENCY_BUCKETS] = {
    500,    1000,   2500,    5000,    10000,   25000,    50000,    100000,
    250000, 500000, 1000000, 2500000, 5000000, 10000000, 30000000,
};

_Static_assert((HISTORY_LEN & (HISTORY_LEN - 1)) == 0 && HISTORY_LEN <= 128,
               "the ring doubles up to HISTORY_LEN, and its size is a uint8_t");

/* Until the ring holds HISTORY_LEN it has never wrapped, so entry k is the
 * k-th pushed, and k % HISTORY_LEN is k: one index rule for both. */
void
history_push(struct history *h, const struct transition *t)
{
    if (h->total >= h->cap && h->cap < HISTORY_LEN) {
        unsigned cap = h->cap ? h->cap * 2u : 1u;
        h->ring = xrealloc(h->ring, cap * sizeof *h->ring);
        h->cap = (uint8_t)cap;
    }
    struct transition *slot = &h->ring[h->total % HISTORY_LEN];
    slot->at_ms = t->at_ms;
    slot->from = t->from;
    slot->to = t->to;
    slot->fails = t->fails;
    snprintf(slot->reason, sizeof slot->reason, "%s", t->reason);
    h->total++;
}

void
history_free(struct history *h)
{
    free(h->ring);
    *h = (struct history){0};
}

unsigned
history_count(const struct history *h)
{
    return h->total < HISTORY_LEN ? (unsigned)h->total : HISTORY_LEN;
}

const struct transition *
history_get(const struct history *h, unsigned i)
{
    if (i >= history_count(h))
        return NULL;
    return &h->ring[(h->total - 1 - i) % HISTORY_LEN];
}

void
latency_observe(struct latency_hist *h, uint32_t us)
{
    unsigned i = 0;
    while (i < LATENCY_BUCKETS && us > latency_bounds_us[i])
        i++;
    h->bucket[i]++;
    h->count++;
    h->sum_us += us;
}

uint64_t
latency_cumulative(const struct latency_hist *h, unsigned i)
{
    uint64_t n = 0;
    for (unsigned k = 0; k <= i && k <= LATENCY_BUCKETS; k++)
        n += h->bucket[k];
    return n;
}
