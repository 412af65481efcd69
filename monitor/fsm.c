/* fsm.c: the per-probe state machine (SPEC §6): one success makes an
 * endpoint Online, the fall-th consecutive failure makes it Degraded. */
#include "config.h"
#include "monitor/fsm.h"

#include <stdint.h>

#include "gtm/profile.h"

struct fsm
fsm_next(struct fsm cur, unsigned fall, bool ok)
{
    struct fsm next = cur;
    if (ok) {
        next.fails = 0;
        next.state = EPS_ONLINE;
        return next;
    }
    if (next.fails < UINT8_MAX)
        next.fails++;
    if (next.fails >= (fall < 1 ? 1 : fall))
        next.state = EPS_DEGRADED;
    return next;
}
