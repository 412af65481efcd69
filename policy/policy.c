/* policy.c: the common rules (SPEC §5): candidates are enabled endpoints
 * that are not Degraded; when none is up, every enabled endpoint counts as
 * up (best effort); then the profile's method picks among them. */
#include "config.h"
#include "policy/policy.h"

#include <ldns/ldns.h>

#include "gtm/rand.h"

#define NEST_MAX 10

enum ep_status
endpoint_status(const struct profile *p, const struct endpoint *e, const struct health_slot *health)
{
    if (!e->enabled)
        return EPS_DISABLED;
    if (!p->enabled)
        return EPS_INACTIVE;
    if (e->always_serve)
        return EPS_UNMONITORED;
    if (e->health_idx == HEALTH_NONE)
        return EPS_CHECKING;
    return (enum ep_status)atomic_load_explicit(&health[e->health_idx].status,
                                                memory_order_relaxed);
}

static bool
is_up(const struct profile *p, const struct endpoint *e, const struct health_slot *health)
{
    (void)p;
    if (e->always_serve || e->health_idx == HEALTH_NONE)
        return true;
    return health_is_up(&health[e->health_idx]);
}

/* Candidates into idx[]; returns how many. best_effort is set when none is
 * up and all enabled ones are returned instead. */
static unsigned
candidates(const struct profile *p, const struct policy_ctx *c, uint16_t *idx, bool *best_effort)
{
    unsigned n = 0, enabled = 0;
    for (uint32_t i = 0; i < p->nendpoints; i++) {
        const struct endpoint *e = &p->endpoints[i];
        if (!e->enabled)
            continue;
        enabled++;
        if (is_up(p, e, c->health))
            idx[n++] = (uint16_t)i;
    }
    *best_effort = false;
    if (n == 0 && enabled) {
        *best_effort = true;
        for (uint32_t i = 0; i < p->nendpoints; i++)
            if (p->endpoints[i].enabled)
                idx[n++] = (uint16_t)i;
    }
    return n;
}

static unsigned
pick_priority(const struct profile *p, const uint16_t *idx, unsigned n)
{
    unsigned best = 0;
    for (unsigned i = 1; i < n; i++)
        if (p->endpoints[idx[i]].priority < p->endpoints[idx[best]].priority)
            best = i;
    return best;
}

static unsigned
pick_weighted(const struct profile *p, const uint16_t *idx, unsigned n, uint64_t *rng)
{
    uint32_t total = 0;
    for (unsigned i = 0; i < n; i++)
        total += p->endpoints[idx[i]].weight;
    uint32_t r = gtm_rand_below(rng, total);
    for (unsigned i = 0; i < n; i++) {
        if (r < p->endpoints[idx[i]].weight)
            return i;
        r -= p->endpoints[idx[i]].weight;
    }
    return n - 1;
}

static unsigned
pick_roundrobin(struct profile *p, unsigned n)
{
    uint32_t turn = atomic_fetch_add_explicit(&p->rr_next, 1, memory_order_relaxed);
    return turn % n;
}

static int
choose(const struct profile *p, const struct policy_ctx *c, struct policy_pick *out,
       unsigned depth)
{
    uint16_t idx[PROFILE_MAX_ENDPOINTS];
    if (!p->enabled)
        return POLICY_NXDOMAIN;
    unsigned n = candidates(p, c, idx, &out->best_effort);
    if (n == 0)
        return POLICY_NXDOMAIN;

    unsigned k;
    switch (p->method) {
    case ROUTE_WEIGHTED:
        k = pick_weighted(p, idx, n, c->rng);
        break;
    case ROUTE_ROUNDROBIN:
        k = pick_roundrobin((struct profile *)p, n);
        break;
    case ROUTE_PRIORITY:
    default:
        k = pick_priority(p, idx, n);
        break;
    }
    const struct endpoint *e = &p->endpoints[idx[k]];
    if (e->kind == EP_NESTED) {
        if (!e->child_profile || depth >= NEST_MAX)
            return POLICY_NODATA;
        return choose(e->child_profile, c, out, depth + 1);
    }
    out->ep[0] = e;
    out->n = 1;
    return POLICY_OK;
}

int
policy_choose(const struct profile *p, const struct policy_ctx *c, struct policy_pick *out)
{
    out->n = 0;
    out->scope = 0;
    out->best_effort = false;
    return choose(p, c, out, 0);
}
