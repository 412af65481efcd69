/* methods.h: what the routing methods share, private to policy/: the
 * candidate set and statuses (candidates.c), Priority's walk (inline, for
 * policy.c's fast path), and each method's ops (one file each). */
#ifndef GTM_POLICY_METHODS_H
#define GTM_POLICY_METHODS_H

#include "policy/policy.h"

/* policy_candidates: indexes of the candidates of p into idx (room for
 * PROFILE_MAX_ENDPOINTS): eligible (not Disabled/Stopped) and not Degraded,
 * or, when none is up, every eligible one (*best_effort set). */
unsigned policy_candidates(const struct profile *p, const struct policy_ctx *c, unsigned depth,
                           uint16_t *idx, bool *best_effort);

/* policy_is_candidate: whether endpoint index i is among idx[0..n). */
bool policy_is_candidate(const uint16_t *idx, unsigned n, uint32_t i);

/* policy_status_slow: endpoint_status at a nesting depth, every case. */
enum ep_status policy_status_slow(const struct profile *p, const struct endpoint *e,
                                  const struct health_slot *health, unsigned depth);

/* policy_status_enabled: the same for an endpoint of a profile known to be
 * enabled, with the common case (an enabled, probed endpoint) inline: one
 * load of its health slot. */
static inline enum ep_status
policy_status_enabled(const struct profile *p, const struct endpoint *e,
                      const struct health_slot *health, unsigned depth)
{
    if (e->enabled && e->kind != EP_NESTED && !e->always_serve && e->health_idx != HEALTH_NONE)
        return (enum ep_status)atomic_load_explicit(&health[e->health_idx].status,
                                                    memory_order_relaxed);
    return policy_status_slow(p, e, health, depth);
}

/* policy_status_at: the same for any profile. */
static inline enum ep_status
policy_status_at(const struct profile *p, const struct endpoint *e,
                 const struct health_slot *health, unsigned depth)
{
    return p->enabled ? policy_status_enabled(p, e, health, depth)
                      : policy_status_slow(p, e, health, depth);
}

/* priority_walk: Priority over the order of endpoint indexes order[] (the
 * lowest priority first, list order on ties) of an enabled profile: the
 * first endpoint that is up; when none is, the first eligible one (best
 * effort). Walks no further than it must. Inline, its verdict returned in
 * registers: it is the common health-checked answer, and policy.c calls it
 * directly when the snapshot has prepared the order. */
static inline struct policy_choice
priority_walk(const struct profile *p, const uint16_t *order, const struct policy_ctx *c,
              struct policy_pick *out, unsigned depth)
{
    const struct endpoint *fallback = NULL;
    for (uint32_t k = 0; k < p->nendpoints; k++) {
        const struct endpoint *ep = &p->endpoints[order[k]];
        enum ep_status st = policy_status_enabled(p, ep, c->health, depth);
        if (st == EPS_DISABLED || st == EPS_STOPPED || st == EPS_INACTIVE)
            continue;
        if (st != EPS_DEGRADED)
            return (struct policy_choice){POLICY_OK, ep};
        if (!fallback)
            fallback = ep;
    }
    if (!fallback)
        return (struct policy_choice){POLICY_NXDOMAIN, NULL};
    out->best_effort = true;
    return (struct policy_choice){POLICY_OK, fallback};
}

/* performance_in_region: whether endpoint e is in the region of a latency
 * table row (Performance's rule, also used to render its trace). */
bool performance_in_region(const struct endpoint *e, const char *region);

/* The methods, in policy.c's registry. */
extern const struct policy_ops policy_priority, policy_weighted, policy_performance,
    policy_geographic, policy_multivalue, policy_subnet, policy_roundrobin;

#endif
