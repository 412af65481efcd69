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
    /* A profile no snapshot prepared (tests): the same order, then the
     * same walk. */
    uint16_t order[PROFILE_MAX_ENDPOINTS];
    profile_priority_order(p, order);
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
