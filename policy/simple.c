/* simple.c: the methods that do not look at the client: Priority, Weighted,
 * RoundRobin, and MultiValue. */
#include "config.h"

#include <ldns/ldns.h>

#include "gtm/rand.h"
#include "policy/methods.h"

/* Weighted, RoundRobin, and Priority without a precomputed order: one
 * choice among the candidates. */
int
method_simple(const struct profile *p, const struct policy_ctx *c, struct policy_pick *out,
              unsigned depth, const struct endpoint **e)
{
    uint16_t idx[PROFILE_MAX_ENDPOINTS];
    unsigned n = policy_candidates(p, c, depth, idx, &out->best_effort);
    if (n == 0)
        return POLICY_NXDOMAIN;
    unsigned k = 0;
    if (p->method == ROUTE_WEIGHTED) {
        /* One draw, probability proportional to weight. */
        uint32_t total = 0;
        for (unsigned i = 0; i < n; i++)
            total += p->endpoints[idx[i]].weight;
        uint32_t r = gtm_rand_below(c->rng, total);
        for (k = 0; k + 1 < n && r >= p->endpoints[idx[k]].weight; k++)
            r -= p->endpoints[idx[k]].weight;
    } else if (p->method == ROUTE_ROUNDROBIN) {
        /* The next candidate in turn after the last one served, one cursor per
         * profile for all clients. The cursor counts over all endpoints, so a
         * candidate that drops out does not shift everyone else's turn; 64
         * bits never wrap. */
        struct profile *mp = (struct profile *)p; /* the cursor is the one mutable field */
        uint64_t turn = atomic_fetch_add_explicit(&mp->rr_next, 1, memory_order_relaxed);
        uint32_t at = (uint32_t)(turn % p->nendpoints);
        k = 0;
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
    } else {
        /* Priority: the lowest value wins; on a tie, the first listed. */
        for (unsigned i = 1; i < n; i++)
            if (p->endpoints[idx[i]].priority < p->endpoints[idx[k]].priority)
                k = i;
    }
    *e = &p->endpoints[idx[k]];
    return POLICY_OK;
}

/* MultiValue: up to maxReturn candidates with an address of the queried
 * family (A: IPv4 targets, AAAA: IPv6, ANY: both), from a random start so
 * that every candidate gets its turn. */
int
method_multivalue(const struct profile *p, const struct policy_ctx *c, struct policy_pick *out,
                  unsigned depth)
{
    uint16_t idx[PROFILE_MAX_ENDPOINTS];
    unsigned n = policy_candidates(p, c, depth, idx, &out->best_effort);
    if (n == 0)
        return POLICY_NXDOMAIN;
    bool v4 = c->qtype == LDNS_RR_TYPE_A || c->qtype == LDNS_RR_TYPE_ANY;
    bool v6 = c->qtype == LDNS_RR_TYPE_AAAA || c->qtype == LDNS_RR_TYPE_ANY;
    unsigned m = 0;
    for (unsigned i = 0; i < n; i++) {
        enum target_kind t = p->endpoints[idx[i]].tkind;
        if ((v4 && t == TARGET_IPV4) || (v6 && t == TARGET_IPV6))
            idx[m++] = idx[i];
    }
    if (m == 0)
        return POLICY_NODATA;
    unsigned max = p->max_return < POLICY_MAX_PICK ? p->max_return : POLICY_MAX_PICK;
    unsigned start = m > max ? gtm_rand_below(c->rng, m) : 0;
    for (unsigned i = 0; i < m && out->n < max; i++)
        out->ep[out->n++] = &p->endpoints[idx[(start + i) % m]];
    return POLICY_OK;
}
