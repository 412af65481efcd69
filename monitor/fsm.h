/* fsm.h: the monitor's per-probe state machine (SPEC §6), a pure function
 * of (state, consecutive failures, fall, one probe result): no clock, no
 * I/O. Private to monitor/; policy/ sees only the state it publishes into
 * the health slot (gtm/health.h). */
#ifndef GTM_MONITOR_FSM_H
#define GTM_MONITOR_FSM_H

#include <stdbool.h>
#include <stdint.h>

/* Where one probe stands. */
struct fsm {
    uint8_t state; /* enum ep_status: EPS_CHECKING, EPS_ONLINE, EPS_DEGRADED */
    uint8_t fails; /* consecutive failures so far (saturates at 255) */
};

/* fsm_next: the state after one probe result. A success makes it Online at
 * once and forgets the failures; the fall-th consecutive failure makes it
 * Degraded (from CheckingEndpoint too); a fall below 1 counts as 1. */
struct fsm fsm_next(struct fsm cur, unsigned fall, bool ok);

#endif
