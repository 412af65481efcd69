/* client.c: the methods that route by where the client is: Performance
 * (latency table), Geographic (geo table) and Subnet (the profile's own
 * ranges). The client is the ECS subnet when the query has one. */
#include "config.h"

#include <ctype.h>
#include <string.h>
#include <sys/socket.h>

#include "gtm/dname.h"
#include "policy/methods.h"

/* A stable choice among n for one client network: the same client gets the
 * same endpoint while nothing changes; different networks spread evenly. */
static unsigned
client_spread(const struct policy_client *cl, unsigned n)
{
    uint32_t h = dname_hash(cl->addr, cl->family == AF_INET ? 4 : 16) ^ cl->prefix;
    return (unsigned)(((uint64_t)h * n) >> 32);
}

static bool
in_list(const uint16_t *idx, unsigned n, uint16_t i)
{
    for (unsigned k = 0; k < n; k++)
        if (idx[k] == i)
            return true;
    return false;
}

/* Performance: the closest region (by the latency table row of the client's
 * network) that has a candidate; outside the table, the candidate whose
 * probes answer fastest (a documented departure: Azure's table covers the
 * Internet, ours covers the lab). */
int
method_performance(const struct profile *p, const struct policy_ctx *c, struct policy_pick *out,
                   unsigned depth, const struct endpoint **e)
{
    uint16_t idx[PROFILE_MAX_ENDPOINTS];
    unsigned n = policy_candidates(p, c, depth, idx, &out->best_effort);
    if (n == 0)
        return POLICY_NXDOMAIN;
    const struct policy_client *cl = c->client;
    uint32_t rows = 0;
    const struct net_row *row =
        cl->family ? net_table_find(c->latency, cl->family, cl->addr, &rows) : NULL;
    for (uint32_t r = 0; row && r < rows; r++) {
        uint16_t here[PROFILE_MAX_ENDPOINTS];
        unsigned m = 0;
        for (unsigned i = 0; i < n; i++) {
            const char *loc = p->endpoints[idx[i]].location;
            if (loc && strcmp(loc, row[r].name) == 0)
                here[m++] = idx[i];
        }
        if (m) {
            out->scope = net_table_scope(c->latency, cl->family, cl->addr, row);
            *e = &p->endpoints[here[client_spread(cl, m)]];
            return POLICY_OK;
        }
    }
    /* No row, or no candidate in any listed region: the fastest probe. */
    unsigned best = 0;
    uint32_t best_rtt = UINT32_MAX;
    for (unsigned i = 0; i < n; i++) {
        const struct endpoint *ep = &p->endpoints[idx[i]];
        uint32_t rtt = UINT32_MAX - 1; /* not probed: after every measured one */
        if (ep->health_idx != HEALTH_NONE) {
            uint32_t v =
                atomic_load_explicit(&c->health[ep->health_idx].rtt_us, memory_order_relaxed);
            if (v)
                rtt = v;
        }
        if (rtt < best_rtt) {
            best_rtt = rtt;
            best = i;
        }
    }
    out->scope = cl->family ? net_table_scope(c->latency, cl->family, cl->addr, row) : 0;
    *e = &p->endpoints[idx[best]];
    return POLICY_OK;
}

/* The endpoint (enabled) whose geoMapping holds code, or NULL. */
static const struct endpoint *
geo_match(const struct profile *p, const char *code)
{
    for (uint32_t i = 0; i < p->nendpoints; i++) {
        const struct endpoint *ep = &p->endpoints[i];
        if (!ep->enabled)
            continue; /* Disabled endpoints are skipped in matching */
        for (uint16_t k = 0; k < ep->ngeo; k++)
            if (strcmp(ep->geo[k], code) == 0)
                return ep;
    }
    return NULL;
}

/* Geographic: state -> country -> GEO-xx group -> WORLD, from the geo
 * table's row for the client or, when no row covers it, the --geoip
 * database; the mapped endpoint is returned whatever its health (a region
 * maps to one endpoint only); Stopped, or nothing mapped: NODATA. */
int
method_geographic(const struct profile *p, const struct policy_ctx *c, struct policy_pick *out,
                  unsigned depth, const struct endpoint **e)
{
    const struct policy_client *cl = c->client;
    uint32_t rows = 0;
    const struct net_row *row =
        cl->family ? net_table_find(c->geo, cl->family, cl->addr, &rows) : NULL;
    const char *code = row ? row->name : NULL;
    struct geoip_match gm = {.prefix = 0};
    if (!row && c->geoip && cl->family && geoip_lookup(c->geoip, cl->family, cl->addr, &gm))
        code = gm.code;
    const struct endpoint *ep = NULL;
    if (code) {
        char country[8] = {0};
        size_t clen = strcspn(code, "-");
        if (clen < sizeof country)
            memcpy(country, code, clen);
        if (code[clen] == '-')
            ep = geo_match(p, code); /* a state: US-CA */
        if (!ep && country[0])
            ep = geo_match(p, country);
        const char *group = country[0] ? geo_group(country) : NULL;
        if (!ep && group)
            ep = geo_match(p, group);
    }
    out->scope = cl->family ? net_table_scope(c->geo, cl->family, cl->addr, row) : 0;
    if (!row && gm.prefix > out->scope)
        out->scope = gm.prefix; /* the database's network for the client */
    if (!ep)
        ep = geo_match(p, "WORLD");
    if (!ep)
        return POLICY_NODATA;
    enum ep_status st = endpoint_status(p, ep, c->health);
    if (st == EPS_STOPPED)
        return POLICY_NODATA;
    (void)depth;
    *e = ep;
    return POLICY_OK;
}

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

/* Subnet: the endpoint whose ranges hold the client, if it is a candidate;
 * else the endpoint without ranges (the fallback); else NODATA. */
int
method_subnet(const struct profile *p, const struct policy_ctx *c, struct policy_pick *out,
              unsigned depth, const struct endpoint **e)
{
    uint16_t idx[PROFILE_MAX_ENDPOINTS];
    unsigned n = policy_candidates(p, c, depth, idx, &out->best_effort);
    const struct policy_client *cl = c->client;
    size_t alen = cl->family == AF_INET ? 4 : 16;
    out->scope = subnet_exclusion_scope(p, cl, alen);
    for (uint32_t i = 0; cl->family && i < p->nendpoints; i++) {
        const struct endpoint *ep = &p->endpoints[i];
        if (!ep->enabled)
            continue; /* as if it and its ranges did not exist */
        for (uint16_t k = 0; k < ep->nsubnets; k++) {
            const struct subnet_range *r = &ep->subnets[k];
            if (r->family != cl->family || !addr_le(r->first, cl->addr, alen) ||
                !addr_le(cl->addr, r->last, alen))
                continue;
            if (in_list(idx, n, (uint16_t)i)) {
                uint8_t rp = range_prefix(r, alen);
                if (rp > out->scope)
                    out->scope = rp;
                *e = ep;
                return POLICY_OK;
            }
            goto fallback; /* matched, but not up */
        }
    }
fallback:
    for (uint32_t i = 0; i < p->nendpoints; i++)
        if (p->endpoints[i].enabled && p->endpoints[i].nsubnets == 0 &&
            in_list(idx, n, (uint16_t)i)) {
            *e = &p->endpoints[i];
            return POLICY_OK;
        }
    return POLICY_NODATA;
}
