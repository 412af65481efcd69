/* methods.h: the routing methods behind policy_choose. Private to policy/. */
#ifndef GTM_POLICY_METHODS_H
#define GTM_POLICY_METHODS_H

#include "policy/policy.h"

/* policy_candidates: indexes of the candidates of p into idx (room for
 * PROFILE_MAX_ENDPOINTS): eligible (not Disabled/Stopped) and not Degraded,
 * or, when none is up, every eligible one (*best_effort set). */
unsigned policy_candidates(const struct profile *p, const struct policy_ctx *c, unsigned depth,
                           uint16_t *idx, bool *best_effort);

/* policy_status_slow: endpoint_status at a nesting depth, every case. */
enum ep_status policy_status_slow(const struct profile *p, const struct endpoint *e,
                                  const struct health_slot *health, unsigned depth);

/* policy_status_at: the same, with the common case (an enabled, probed
 * endpoint of an enabled profile) inline: one load of its health slot. */
static inline enum ep_status
policy_status_at(const struct profile *p, const struct endpoint *e,
                 const struct health_slot *health, unsigned depth)
{
    if (e->enabled && p->enabled && e->kind != EP_NESTED && !e->always_serve &&
        e->health_idx != HEALTH_NONE)
        return (enum ep_status)atomic_load_explicit(&health[e->health_idx].status,
                                                    memory_order_relaxed);
    return policy_status_slow(p, e, health, depth);
}

/* A method's verdict: enum policy_rc, and with POLICY_OK the endpoint it
 * chose (which may be nested), or NULL when it filled the pick itself. */
struct choice {
    int rc;
    const struct endpoint *e;
};

/* Priority: the first endpoint in priority order that is up; when none is,
 * the first eligible one (best effort). Walks no further than it must.
 * Needs p->by_priority (set when the snapshot is built). Inline, and its
 * verdict returned in registers: it is the common health-checked answer. */
static inline struct choice
method_priority(const struct profile *p, const struct policy_ctx *c, struct policy_pick *out,
                unsigned depth)
{
    const struct endpoint *fallback = NULL;
    for (uint32_t k = 0; k < p->nendpoints; k++) {
        const struct endpoint *ep = &p->endpoints[p->by_priority[k]];
        enum ep_status st = policy_status_at(p, ep, c->health, depth);
        if (st == EPS_DISABLED || st == EPS_STOPPED || st == EPS_INACTIVE)
            continue;
        if (st != EPS_DEGRADED)
            return (struct choice){POLICY_OK, ep};
        if (!fallback)
            fallback = ep;
    }
    if (!fallback)
        return (struct choice){POLICY_NXDOMAIN, NULL};
    out->best_effort = true;
    return (struct choice){POLICY_OK, fallback};
}

/* policy_dispatch: policy_choose at a nesting depth. */
int policy_dispatch(const struct profile *p, const struct policy_ctx *c, struct policy_pick *out,
                    unsigned depth);

/* Each method either fills out (MultiValue) or chooses one endpoint *e
 * (which may be nested: the caller runs the child). */
int method_simple(const struct profile *p, const struct policy_ctx *c, struct policy_pick *out,
                  unsigned depth, const struct endpoint **e);
int method_multivalue(const struct profile *p, const struct policy_ctx *c, struct policy_pick *out,
                      unsigned depth);
int method_performance(const struct profile *p, const struct policy_ctx *c, struct policy_pick *out,
                       unsigned depth, const struct endpoint **e);
int method_geographic(const struct profile *p, const struct policy_ctx *c, struct policy_pick *out,
                      unsigned depth, const struct endpoint **e);
int method_subnet(const struct profile *p, const struct policy_ctx *c, struct policy_pick *out,
                  unsigned depth, const struct endpoint **e);

#endif
