/* health.h: the ONLY channel from the monitor to the answering path.
 * The snapshot holds one health slot per distinct probe (endpoints that
 * probe the same thing share one), and what each slot probes. The monitor
 * (loop thread) writes a slot with one atomic store; workers read it with
 * a relaxed load, through health_is_up. How the monitor decides a state
 * is its own business (monitor/fsm.h). */
#ifndef GTM_GTM_HEALTH_H
#define GTM_GTM_HEALTH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "gtm/profile.h"

struct health_slot {
    _Atomic uint8_t status;  /* enum ep_status: EPS_CHECKING, EPS_ONLINE or EPS_DEGRADED */
    _Atomic uint32_t rtt_us; /* duration of the last successful probe (Performance fallback) */
};

/* What one slot probes: built at load time from the profile and endpoint. */
struct probe_spec {
    enum probe_proto proto;
    const char *host; /* the endpoint target: connect there (name or address) */
    uint16_t port;
    const char *path; /* HTTP(S) only */
    uint32_t interval_ms, timeout_ms;
    uint8_t fall; /* consecutive failures that make it Degraded (tolerated + 1, or 3) */
    uint8_t nranges, nheaders;
    struct status_range ranges[PROFILE_MAX_RANGES];
    struct header_kv headers[PROFILE_MAX_HEADERS + 1]; /* merged; Host first (target unless set) */
    const char *label; /* "profile/endpoint" of the first endpoint using it, for logs */
    const char *key;   /* canonical text of everything above but label: equal keys, same probe */
};

static inline bool
health_is_up(const struct health_slot *h)
{
    return atomic_load_explicit(&h->status, memory_order_relaxed) != EPS_DEGRADED;
}

#endif
