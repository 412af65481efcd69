/* priority.c: Priority routing: the endpoint up with the lowest priority
 * value answers (the first listed on a tie); when none is up, the first
 * eligible one in that order (best effort). Priorities must be distinct. */
#include "config.h"

#include <stdio.h>

#include "policy/methods.h"

static struct policy_choice
choose(const struct profile *p, const struct policy_ctx *c, struct policy_pick *out, unsigned depth,
       struct policy_trace *t)
{
    (void)t;
    if (p->by_priority)
        return priority_walk(p, p->by_priority, c, out, depth);
    /* A profile no snapshot prepared (tests): its order, as tm_prepare
     * makes it, then the same walk. */
    uint16_t order[PROFILE_MAX_ENDPOINTS];
    for (uint32_t k = 0; k < p->nendpoints; k++) {
        uint32_t at = k;
        while (at > 0 && p->endpoints[order[at - 1]].priority > p->endpoints[k].priority) {
            order[at] = order[at - 1];
            at--;
        }
        order[at] = (uint16_t)k;
    }
    return priority_walk(p, order, c, out, depth);
}

static void
reason(const struct policy_trace *t, char *why, size_t cap)
{
    (void)t;
    snprintf(why, cap, "Priority: the endpoint up with the lowest priority value answers");
}

const struct policy_ops policy_priority = {
    .name = "Priority",
    .nested_ok = true,
    .checks = POLICY_CHECK_PRIORITIES,
    .choose = choose,
    .reason = reason,
};
