/* monitor.h: health probes (HTTP, HTTPS, TCP) on libcurl multi, driven by
 * the control loop's libevent base. Loop thread only. */
#ifndef GTM_MONITOR_MONITOR_H
#define GTM_MONITOR_MONITOR_H

#include <stdint.h>

struct event_base;
struct gtm_snapshot;
struct monitor;

/* What the monitor knows about one probe, for logs, the API and metrics. */
struct probe_info {
    uint8_t state;          /* enum ep_status */
    uint8_t fails;          /* consecutive failures */
    int64_t last_probe_ms;  /* wall clock of the last result, 0: none yet */
    int64_t last_change_ms; /* wall clock of the last transition */
    uint32_t last_rtt_us;   /* duration of the last successful probe */
    uint64_t probes_ok, probes_failed;
    char last_result[128]; /* "HTTP 200", "HTTP 503", "timeout after 10 s", "connection refused" */
};

/* monitor_new: a monitor on base; probes nothing until monitor_reconcile. */
struct monitor *monitor_new(struct event_base *base);

/* monitor_reconcile: makes the monitor probe what snap->probes lists, from
 * now on writing results into snap->health. A probe whose key was in the
 * previous snapshot keeps its state and schedule (its slot in snap is set
 * from it here); new keys start as CheckingEndpoint, first probes spread
 * over their interval; keys that disappeared stop (a probe in flight is
 * abandoned). Call before publishing snap. */
void monitor_reconcile(struct monitor *m, struct gtm_snapshot *snap);

/* monitor_info: the state of probe idx of the snapshot last reconciled. */
const struct probe_info *monitor_info(const struct monitor *m, uint32_t idx);

/* monitor_free: stops every probe and frees. NULL is a no-op. */
void monitor_free(struct monitor *m);

#endif
