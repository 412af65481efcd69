/* candidates.c: what every method shares (SPEC §5): endpoint statuses
 * (nested ones counted from their child), the candidate set (enabled and not
 * Degraded; best effort when none is up), and the profile's status. */
#include "config.h"
#include "policy/policy.h"
#include "policy/methods.h"

#define status_at policy_status_at
static enum ep_status nested_status(const struct endpoint *e, const struct health_slot *health,
                                    unsigned depth);

/* A nested endpoint: its child's endpoints, counted (reference §1.4 table). */
static enum ep_status
nested_status(const struct endpoint *e, const struct health_slot *health, unsigned depth)
{
    const struct profile *c = e->child_profile;
    if (!c || !c->enabled || depth >= POLICY_NEST_MAX)
        return EPS_STOPPED;
    uint32_t active = 0, online = 0, checking = 0, v4 = 0, v6 = 0, v4c = 0, v6c = 0;
    for (uint32_t i = 0; i < c->nendpoints; i++) {
        const struct endpoint *ce = &c->endpoints[i];
        enum ep_status st = status_at(c, ce, health, depth + 1);
        if (st == EPS_DISABLED || st == EPS_STOPPED || st == EPS_INACTIVE)
            continue;
        active++;
        bool on = st == EPS_ONLINE || st == EPS_UNMONITORED;
        bool chk = st == EPS_CHECKING;
        online += on;
        checking += chk;
        if (ce->tkind == TARGET_IPV4) {
            v4 += on;
            v4c += on || chk;
        } else if (ce->tkind == TARGET_IPV6) {
            v6 += on;
            v6c += on || chk;
        }
    }
    if (active == 0)
        return EPS_STOPPED; /* the child is Inactive */
    if (online >= e->min_child && v4 >= e->min_child_v4 && v6 >= e->min_child_v6)
        return EPS_ONLINE;
    if (online + checking >= e->min_child && v4c >= e->min_child_v4 && v6c >= e->min_child_v6)
        return EPS_CHECKING;
    return EPS_DEGRADED;
}

enum ep_status
policy_status_slow(const struct profile *p, const struct endpoint *e,
                   const struct health_slot *health, unsigned depth)
{
    if (!e->enabled)
        return EPS_DISABLED;
    if (!p->enabled)
        return EPS_INACTIVE;
    if (e->kind == EP_NESTED)
        return nested_status(e, health, depth);
    if (e->always_serve)
        return EPS_UNMONITORED;
    if (e->health_idx == HEALTH_NONE)
        return EPS_CHECKING;
    return (enum ep_status)atomic_load_explicit(&health[e->health_idx].status,
                                                memory_order_relaxed);
}

enum ep_status
endpoint_status(const struct profile *p, const struct endpoint *e, const struct health_slot *health)
{
    return status_at(p, e, health, 0);
}

unsigned
policy_candidates(const struct profile *p, const struct policy_ctx *c, unsigned depth,
                  uint16_t *idx, bool *best_effort)
{
    unsigned n = 0, eligible = 0;
    for (uint32_t i = 0; i < p->nendpoints; i++) {
        enum ep_status st = status_at(p, &p->endpoints[i], c->health, depth);
        if (st == EPS_DISABLED || st == EPS_STOPPED || st == EPS_INACTIVE)
            continue; /* never returned, not even in best effort */
        eligible++;
        if (st != EPS_DEGRADED)
            idx[n++] = (uint16_t)i;
    }
    *best_effort = false;
    if (n == 0 && eligible) {
        /* Azure's rule: when every eligible endpoint is Degraded, answer as
         * if they were all Online, so a name never goes dark. */
        *best_effort = true;
        for (uint32_t i = 0; i < p->nendpoints; i++) {
            enum ep_status st = status_at(p, &p->endpoints[i], c->health, depth);
            if (st == EPS_DEGRADED)
                idx[n++] = (uint16_t)i;
        }
    }
    return n;
}

bool
policy_is_candidate(const uint16_t *idx, unsigned n, uint32_t i)
{
    for (unsigned k = 0; k < n; k++)
        if (idx[k] == i)
            return true;
    return false;
}

enum profile_status
profile_status(const struct profile *p, const struct health_slot *health)
{
    if (!p->enabled)
        return PS_DISABLED;
    bool online = false, checking = false;
    for (uint32_t i = 0; i < p->nendpoints; i++) {
        switch (endpoint_status(p, &p->endpoints[i], health)) {
        case EPS_DEGRADED:
            return PS_DEGRADED; /* one is enough, as in Azure */
        case EPS_ONLINE:
        case EPS_UNMONITORED:
            online = true;
            break;
        case EPS_CHECKING:
            checking = true;
            break;
        default:
            break;
        }
    }
    return online ? PS_ONLINE : checking ? PS_CHECKING : PS_INACTIVE;
}

const char *
profile_status_name(enum profile_status s)
{
    static const char *const names[] = {"CheckingEndpoints", "Online", "Degraded", "Disabled",
                                        "Inactive"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "Unknown";
}
