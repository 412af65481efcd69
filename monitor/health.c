/* health.c: the per-probe state machine (SPEC §6): one success makes an
 * endpoint Online, the fall-th consecutive failure makes it Degraded. */
#include "config.h"
#include "gtm/health.h"

#include <stdint.h>

bool
health_step(struct health_fsm *h, unsigned fall, bool ok)
{
    uint8_t old = h->state;
    if (ok) {
        h->fails = 0;
        h->state = EPS_ONLINE;
    } else {
        if (h->fails < UINT8_MAX)
            h->fails++;
        if (fall < 1)
            fall = 1;
        if (h->fails >= fall)
            h->state = EPS_DEGRADED;
    }
    return h->state != old;
}
