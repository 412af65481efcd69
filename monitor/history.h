/* history.h: what the monitor remembers about one probe beyond its state:
 * the last transitions (a bounded ring) and a histogram of probe durations.
 * Pure: no clock, no I/O; the ring grows as transitions come (most probes
 * only ever have one or two), up to HISTORY_LEN. Loop thread only. */
#ifndef GTM_MONITOR_HISTORY_H
#define GTM_MONITOR_HISTORY_H

#include <stdbool.h>
#include <stdint.h>

#define HISTORY_LEN        64  /* transitions kept per probe */
#define HISTORY_REASON_LEN 128 /* "HTTP 503", "drill override", ... */

/* One change of the state that answers see. */
struct transition {
    int64_t at_ms;    /* wall clock, milliseconds since the epoch */
    uint8_t from, to; /* enum ep_status */
    uint8_t fails;    /* consecutive failures at the time */
    char reason[HISTORY_REASON_LEN];
};

/* The last HISTORY_LEN transitions; older ones are overwritten. A zeroed
 * struct is an empty history. */
struct history {
    struct transition *ring; /* cap entries, grown by doubling up to HISTORY_LEN */
    uint64_t total;          /* transitions ever pushed */
    uint8_t cap;
};

/* history_push: records t [in] (copied; the reason is truncated to fit).
 * Aborts on OOM. */
void history_push(struct history *h, const struct transition *t);

/* history_free: frees what h holds; h is then empty again. */
void history_free(struct history *h);

/* history_count: how many transitions h holds (at most HISTORY_LEN). */
unsigned history_count(const struct history *h);

/* history_get: the i-th newest transition (0: the latest), or NULL when
 * i >= history_count(h). */
const struct transition *history_get(const struct history *h, unsigned i);

/* Probe durations, Prometheus style: upper bounds in microseconds, the last
 * bucket (+Inf) implicit. */
#define LATENCY_BUCKETS 15
extern const uint32_t latency_bounds_us[LATENCY_BUCKETS];

struct latency_hist {
    /* not cumulative; [LATENCY_BUCKETS]: above all. 32 bits: a probe a second
     * would take 136 years to wrap one */
    uint32_t bucket[LATENCY_BUCKETS + 1];
    uint64_t count;
    uint64_t sum_us;
};

/* latency_observe: one probe that took us microseconds. */
void latency_observe(struct latency_hist *h, uint32_t us);

/* latency_cumulative: observations <= latency_bounds_us[i] (i ==
 * LATENCY_BUCKETS: all of them), as the le="..." buckets count. */
uint64_t latency_cumulative(const struct latency_hist *h, unsigned i);

#endif
