/* health.h: the ONLY channel from the monitor to the answering path.
 * The snapshot holds one health slot per distinct probe (endpoints that
 * probe the same thing share one; gtm/probe.h says what each probes). The
 * monitor (loop thread) writes a slot with one atomic store; workers read
 * it with a relaxed load, through health_is_up. How the monitor decides a
 * state is its own business (monitor/fsm.h). */
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

static inline bool
health_is_up(const struct health_slot *h)
{
    return atomic_load_explicit(&h->status, memory_order_relaxed) != EPS_DEGRADED;
}

#endif
