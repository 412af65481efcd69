/* subnet.c: Subnet routing: the endpoint whose ranges (profile-owned
 * first-last address ranges) hold the client, if it is a candidate; else the
 * endpoint without ranges (the fallback); else NODATA. The client is the
 * ECS subnet when the query has one. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "gtm/nettable.h"
#include "policy/methods.h"

static bool
addr_le(const uint8_t *a, const uint8_t *b, size_t len)
{
    return memcmp(a, b, len) <= 0;
}

/* The prefix length of the range [first, last] when it is exactly one CIDR
 * block, else the full length: the scope an answer from it may be cached for. */
static uint8_t
range_prefix(const struct subnet_range *r, size_t len)
{
    unsigned bits = (unsigned)len * 8, p = 0;
    while (p < bits) {
        uint8_t bit = (uint8_t)(0x80 >> (p % 8));
        if ((r->first[p / 8] & bit) != (r->last[p / 8] & bit))
            break;
        p++;
    }
    for (unsigned q = p; q < bits; q++) {
        uint8_t bit = (uint8_t)(0x80 >> (q % 8));
        if ((r->first[q / 8] & bit) || !(r->last[q / 8] & bit))
            return (uint8_t)bits;
    }
    return (uint8_t)p;
}

/* The scope that keeps the client's network clear of every range it is
 * not in: below a range, the client's /L network ends before `first` once L
 * passes the bits it shares with `first` (above: with `last`). */
static uint8_t
subnet_exclusion_scope(const struct profile *p, const struct policy_client *cl, size_t alen)
{
    unsigned scope = 0;
    for (uint32_t i = 0; i < p->nendpoints; i++) {
        const struct endpoint *ep = &p->endpoints[i];
        for (uint16_t k = 0; ep->enabled && k < ep->nsubnets; k++) {
            const struct subnet_range *r = &ep->subnets[k];
            if (r->family != cl->family)
                continue;
            unsigned need;
            if (!addr_le(r->first, cl->addr, alen))
                need = net_common_prefix(cl->addr, r->first, alen) + 1;
            else if (!addr_le(cl->addr, r->last, alen))
                need = net_common_prefix(cl->addr, r->last, alen) + 1;
            else
                need = range_prefix(r, alen); /* inside: the block (or the address) */
            if (need > scope)
                scope = need;
        }
    }
    return (uint8_t)scope;
}

/* The first candidate endpoint without ranges, or NULL. */
static const struct endpoint *
fallback(const struct profile *p, const uint16_t *idx, unsigned n)
{
    for (uint32_t i = 0; i < p->nendpoints; i++)
        if (p->endpoints[i].enabled && p->endpoints[i].nsubnets == 0 &&
            policy_is_candidate(idx, n, i))
            return &p->endpoints[i];
    return NULL;
}

static struct policy_choice
choose(const struct profile *p, const struct policy_ctx *c, struct policy_pick *out, unsigned depth,
       struct policy_trace *t)
{
    uint16_t idx[PROFILE_MAX_ENDPOINTS];
    unsigned n = policy_candidates(p, c, depth, idx, &out->best_effort);
    const struct policy_client *cl = c->client;
    size_t alen = cl->family == AF_INET ? 4 : 16;
    out->scope = subnet_exclusion_scope(p, cl, alen);
    const struct endpoint *hit = NULL;
    const struct subnet_range *range = NULL;
    for (uint32_t i = 0; cl->family && !hit && i < p->nendpoints; i++) {
        const struct endpoint *ep = &p->endpoints[i];
        if (!ep->enabled)
            continue; /* as if it and its ranges did not exist */
        for (uint16_t k = 0; k < ep->nsubnets; k++) {
            const struct subnet_range *r = &ep->subnets[k];
            if (r->family == cl->family && addr_le(r->first, cl->addr, alen) &&
                addr_le(cl->addr, r->last, alen)) {
                hit = ep;
                range = r;
                break;
            }
        }
    }
    bool up = hit && policy_is_candidate(idx, n, (uint32_t)(hit - p->endpoints));
    if (t) {
        t->parts |= POLICY_TRACE_SUBNET;
        t->subnet.hit = hit;
        t->subnet.range = range;
        t->subnet.hit_candidate = up;
        t->subnet.fallback = fallback(p, idx, n);
    }
    if (up) {
        uint8_t rp = range_prefix(range, alen);
        if (rp > out->scope)
            out->scope = rp;
        return (struct policy_choice){POLICY_OK, hit};
    }
    /* No range holds the client, or the one that does is not up. */
    const struct endpoint *fb = fallback(p, idx, n);
    return (struct policy_choice){fb ? POLICY_OK : POLICY_NODATA, fb};
}

static void
reason(const struct policy_trace *t, char *why, size_t cap)
{
    const struct endpoint *hit = t->subnet.hit, *fb = t->subnet.fallback;
    if (hit && t->subnet.hit_candidate)
        snprintf(why, cap, "Subnet: the client is in a range of endpoint %s", hit->name);
    else if (fb)
        snprintf(why, cap, "Subnet: %s%s%s; the endpoint without ranges, %s, answers",
                 hit ? "the client is in a range of endpoint " : "no range holds the client",
                 hit ? hit->name : "", hit ? ", which is not up" : "", fb->name);
    else
        snprintf(why, cap, "Subnet: %s, and no endpoint without ranges is up: NODATA",
                 hit ? "the endpoint whose range holds the client is not up"
                     : "no range holds the client");
}

const struct policy_ops policy_subnet = {
    .name = "Subnet",
    .nested_ok = true,
    .checks = POLICY_CHECK_SUBNETS,
    .choose = choose,
    .reason = reason,
};
