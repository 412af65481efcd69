/* roundrobin.c: RoundRobin routing: the next candidate in turn after the
 * last one served, one cursor per profile for all clients. */
#include "config.h"

#include <stdio.h>

#include "policy/methods.h"

static struct policy_choice
choose(const struct profile *p, const struct policy_ctx *c, struct policy_pick *out, unsigned depth,
       struct policy_trace *t)
{
    (void)t;
    uint16_t idx[PROFILE_MAX_ENDPOINTS];
    unsigned n = policy_candidates(p, c, depth, idx, &out->best_effort);
    if (n == 0)
        return (struct policy_choice){POLICY_NXDOMAIN, NULL};
    /* The cursor counts over all endpoints, so a candidate that drops out
     * does not shift everyone else's turn; 64 bits never wrap. */
    struct profile *mp = (struct profile *)p; /* the cursor is the one mutable field */
    uint64_t turn = atomic_fetch_add_explicit(&mp->rr_next, 1, memory_order_relaxed);
    uint32_t at = (uint32_t)(turn % p->nendpoints);
    unsigned k = 0;
    for (unsigned i = 0; i < n; i++)
        if (idx[i] >= at) {
            k = i;
            break;
        }
    /* Jump the cursor to the one served, so the next query gets the next. */
    uint64_t next = turn + 1 + (idx[k] + p->nendpoints - at) % p->nendpoints;
    uint64_t expect = turn + 1;
    atomic_compare_exchange_strong_explicit(&mp->rr_next, &expect, next, memory_order_relaxed,
                                            memory_order_relaxed);
    return (struct policy_choice){POLICY_OK, &p->endpoints[idx[k]]};
}

static void
reason(const struct policy_trace *t, char *why, size_t cap)
{
    (void)t;
    snprintf(why, cap, "RoundRobin: the next candidate in turn (this resolve took a turn)");
}

const struct policy_ops policy_roundrobin = {
    .name = "RoundRobin",
    .nested_ok = true,
    .choose = choose,
    .reason = reason,
};
