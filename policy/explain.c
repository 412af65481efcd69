/* explain.c: the reasons behind a routing decision, as JSON. Mirrors the
 * inputs the methods in select.c, simple.c and client.c look at (and
 * reuses their candidate set), without choosing: which endpoint was chosen
 * is read from the answer the real lookup gave. */
#include "config.h"
#include "policy/explain.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "gtm/nettable.h"
#include "gtm/snapshot.h"
#include "policy/methods.h"

static bool
is_served(const struct profile *p, const struct endpoint *e, const struct rrset *const *served,
          unsigned nserved, unsigned depth)
{
    if (e->kind == EP_NESTED) {
        const struct profile *c = e->child_profile;
        if (!c || depth + 1 >= POLICY_NEST_MAX)
            return false;
        for (uint32_t i = 0; i < c->nendpoints; i++)
            if (is_served(c, &c->endpoints[i], served, nserved, depth + 1))
                return true;
        return false;
    }
    (void)p;
    for (unsigned i = 0; i < nserved; i++)
        if (e->rrset && served[i] == e->rrset)
            return true;
    return false;
}

static char *
addr_text(uint8_t family, const uint8_t *addr, char *out, size_t cap)
{
    if (!inet_ntop(family == AF_INET ? AF_INET : AF_INET6, addr, out, (socklen_t)cap))
        snprintf(out, cap, "?");
    return out;
}

char *
policy_client_text(const struct policy_client *cl, char *out, size_t cap)
{
    if (!cl || !cl->family) {
        snprintf(out, cap, "unknown");
        return out;
    }
    char a[INET6_ADDRSTRLEN];
    snprintf(out, cap, "%s/%u", addr_text(cl->family, cl->addr, a, sizeof a), cl->prefix);
    return out;
}

static json_t *
row_network(const struct net_row *row)
{
    char a[INET6_ADDRSTRLEN], buf[INET6_ADDRSTRLEN + 8];
    snprintf(buf, sizeof buf, "%s/%u", addr_text(row->family, row->addr, a, sizeof a), row->prefix);
    return json_string(buf);
}

static bool
in_list(const uint16_t *idx, unsigned n, uint32_t i)
{
    for (unsigned k = 0; k < n; k++)
        if (idx[k] == i)
            return true;
    return false;
}

/* Performance: the rows of the client's network, and which region won. */
static const char *
explain_performance(const struct profile *p, const struct policy_ctx *c, const uint16_t *idx,
                    unsigned n, json_t *out, char *why, size_t cap)
{
    const struct policy_client *cl = c->client;
    uint32_t rows = 0;
    const struct net_row *row =
        cl && cl->family ? net_table_find(c->latency, cl->family, cl->addr, &rows) : NULL;
    json_t *perf = json_object();
    json_object_set_new(out, "latency", perf);
    json_object_set_new(perf, "table", json_boolean(c->latency != NULL));
    json_object_set_new(perf, "network", row ? row_network(row) : json_null());
    json_t *list = json_array();
    json_object_set_new(perf, "rows", list);
    const char *region = NULL;
    uint32_t region_ms = 0;
    for (uint32_t r = 0; row && r < rows; r++) {
        json_t *here = json_array();
        for (unsigned i = 0; i < n; i++) {
            const char *loc = p->endpoints[idx[i]].location;
            if (loc && strcmp(loc, row[r].name) == 0)
                json_array_append_new(here, json_string(p->endpoints[idx[i]].name));
        }
        if (!region && json_array_size(here)) {
            region = row[r].name;
            region_ms = row[r].latency_ms;
        }
        json_array_append_new(list, json_pack("{s:s,s:I,s:o}", "region", row[r].name, "latencyMs",
                                              (json_int_t)row[r].latency_ms, "candidates", here));
    }
    json_object_set_new(perf, "region", region ? json_string(region) : json_null());
    if (region) {
        snprintf(why, cap,
                 "Performance: the latency table ranks regions for the client's network; the "
                 "closest with an endpoint up is %s (%u ms); among several there, one is kept "
                 "per client network",
                 region, (unsigned)region_ms);
        return region;
    }
    snprintf(why, cap, "Performance: %s: the candidate whose probes answer fastest",
             !c->latency ? "no latency table"
             : row       ? "no region listed for the client's network has an endpoint up"
                         : "no row of the latency table covers the client");
    return NULL;
}

/* The enabled endpoint whose geoMapping holds code (as client.c matches). */
static const struct endpoint *
geo_match(const struct profile *p, const char *code)
{
    for (uint32_t i = 0; i < p->nendpoints; i++) {
        const struct endpoint *ep = &p->endpoints[i];
        for (uint16_t k = 0; ep->enabled && k < ep->ngeo; k++)
            if (strcmp(ep->geo[k], code) == 0)
                return ep;
    }
    return NULL;
}

static void
explain_geographic(const struct profile *p, const struct policy_ctx *c, json_t *out, char *why,
                   size_t cap)
{
    const struct policy_client *cl = c->client;
    uint32_t rows = 0;
    const struct net_row *row =
        cl && cl->family ? net_table_find(c->geo, cl->family, cl->addr, &rows) : NULL;
    struct geoip_match gm = {.prefix = 0};
    const char *code = row ? row->name : NULL;
    if (!row && c->geoip && cl && cl->family && geoip_lookup(c->geoip, cl->family, cl->addr, &gm))
        code = gm.code;
    json_t *geo = json_object();
    json_object_set_new(out, "geo", geo);
    json_object_set_new(geo, "table", json_boolean(c->geo != NULL));
    json_object_set_new(geo, "database", json_boolean(c->geoip != NULL));
    json_object_set_new(geo, "source", json_string(row ? "table" : code ? "database" : "none"));
    json_object_set_new(geo, "network", row ? row_network(row) : json_null());
    json_object_set_new(geo, "code", code ? json_string(code) : json_null());
    const char *tried[4];
    unsigned nt = 0;
    char country[8] = {0};
    if (code) {
        size_t clen = strcspn(code, "-");
        if (clen < sizeof country)
            memcpy(country, code, clen);
        if (code[clen] == '-')
            tried[nt++] = code;
        if (country[0])
            tried[nt++] = country;
        const char *group = country[0] ? geo_group(country) : NULL;
        if (group)
            tried[nt++] = group;
    }
    tried[nt++] = "WORLD";
    json_t *jt = json_array();
    const struct endpoint *ep = NULL;
    const char *matched = NULL;
    for (unsigned i = 0; i < nt && !ep; i++) {
        json_array_append_new(jt, json_string(tried[i]));
        if ((ep = geo_match(p, tried[i])) != NULL)
            matched = tried[i];
    }
    json_object_set_new(geo, "tried", jt);
    json_object_set_new(geo, "matched", matched ? json_string(matched) : json_null());
    json_object_set_new(geo, "endpoint", ep ? json_string(ep->name) : json_null());
    char who[80];
    if (row)
        snprintf(who, sizeof who, "the client's code %s", row->name);
    else if (code)
        snprintf(who, sizeof who, "the client's code %s (GeoIP database)", code);
    else
        snprintf(who, sizeof who, "a client outside the geo table%s",
                 c->geoip ? " and the GeoIP database" : "");
    if (ep)
        snprintf(why, cap,
                 "Geographic: %s maps to endpoint %s through geoMapping %s; the mapped endpoint "
                 "answers whatever its health",
                 who, ep->name, matched);
    else
        snprintf(why, cap, "Geographic: no endpoint maps %s, its groups or WORLD: NODATA", who);
}

static json_t *
range_json(const struct subnet_range *r)
{
    char a[INET6_ADDRSTRLEN], z[INET6_ADDRSTRLEN], buf[2 * INET6_ADDRSTRLEN + 2];
    snprintf(buf, sizeof buf, "%s-%s", addr_text(r->family, r->first, a, sizeof a),
             addr_text(r->family, r->last, z, sizeof z));
    return json_string(buf);
}

static void
explain_subnet(const struct profile *p, const struct policy_ctx *c, const uint16_t *idx, unsigned n,
               json_t *out, char *why, size_t cap)
{
    const struct policy_client *cl = c->client;
    size_t alen = cl && cl->family == AF_INET ? 4 : 16;
    json_t *sub = json_object();
    json_object_set_new(out, "subnet", sub);
    const struct endpoint *hit = NULL;
    const struct subnet_range *range = NULL;
    for (uint32_t i = 0; cl && cl->family && i < p->nendpoints && !hit; i++) {
        const struct endpoint *ep = &p->endpoints[i];
        for (uint16_t k = 0; ep->enabled && k < ep->nsubnets; k++) {
            const struct subnet_range *r = &ep->subnets[k];
            if (r->family == cl->family && memcmp(r->first, cl->addr, alen) <= 0 &&
                memcmp(cl->addr, r->last, alen) <= 0) {
                hit = ep;
                range = r;
                break;
            }
        }
    }
    bool hit_up = hit && in_list(idx, n, (uint32_t)(hit - p->endpoints));
    const struct endpoint *fallback = NULL;
    for (uint32_t i = 0; i < p->nendpoints && !fallback; i++)
        if (p->endpoints[i].enabled && p->endpoints[i].nsubnets == 0 && in_list(idx, n, i))
            fallback = &p->endpoints[i];
    json_object_set_new(sub, "matched",
                        hit ? json_pack("{s:s,s:o,s:b}", "endpoint", hit->name, "range",
                                        range_json(range), "candidate", hit_up)
                            : json_null());
    json_object_set_new(sub, "fallback", fallback ? json_string(fallback->name) : json_null());
    if (hit && hit_up)
        snprintf(why, cap, "Subnet: the client is in a range of endpoint %s", hit->name);
    else if (fallback)
        snprintf(why, cap, "Subnet: %s%s%s; the endpoint without ranges, %s, answers",
                 hit ? "the client is in a range of endpoint " : "no range holds the client",
                 hit ? hit->name : "", hit ? ", which is not up" : "", fallback->name);
    else
        snprintf(why, cap, "Subnet: %s, and no endpoint without ranges is up: NODATA",
                 hit ? "the endpoint whose range holds the client is not up"
                     : "no range holds the client");
}

static json_t *explain_at(const struct profile *p, const struct policy_ctx *c,
                          const struct rrset *const *served, unsigned nserved, unsigned depth);

static json_t *
endpoint_json(const struct profile *p, const struct endpoint *e, const struct policy_ctx *c,
              bool candidate, bool served, const struct rrset *const *served_sets, unsigned nserved,
              unsigned depth)
{
    json_t *j = json_pack("{s:s,s:s,s:s,s:b,s:b,s:i,s:i}", "name", e->name, "endpointStatus",
                          e->enabled ? "Enabled" : "Disabled", "status",
                          ep_status_name(policy_status_at(p, e, c->health, depth)), "candidate",
                          candidate, "served", served, "priority", (json_int_t)e->priority,
                          "weight", (json_int_t)e->weight);
    if (e->target)
        json_object_set_new(j, "target", json_string(e->target));
    if (e->location)
        json_object_set_new(j, "location", json_string(e->location));
    if (e->ngeo) {
        json_t *g = json_array();
        for (uint16_t k = 0; k < e->ngeo; k++)
            json_array_append_new(g, json_string(e->geo[k]));
        json_object_set_new(j, "geoMapping", g);
    }
    if (e->nsubnets) {
        json_t *s = json_array();
        for (uint16_t k = 0; k < e->nsubnets; k++)
            json_array_append_new(s, range_json(&e->subnets[k]));
        json_object_set_new(j, "subnets", s);
    }
    if (p->method == ROUTE_PERFORMANCE && e->health_idx != HEALTH_NONE) {
        uint32_t us = atomic_load_explicit(&c->health[e->health_idx].rtt_us, memory_order_relaxed);
        json_object_set_new(j, "probeMs", us ? json_real(us / 1000.0) : json_null());
    }
    if (e->kind == EP_NESTED) {
        json_object_set_new(j, "childProfile", e->child ? json_string(e->child) : json_null());
        if (served && e->child_profile && depth + 1 < POLICY_NEST_MAX)
            json_object_set_new(j, "child",
                                explain_at(e->child_profile, c, served_sets, nserved, depth + 1));
    }
    return j;
}

static json_t *
explain_at(const struct profile *p, const struct policy_ctx *c, const struct rrset *const *served,
           unsigned nserved, unsigned depth)
{
    char why[512] = "";
    json_t *out =
        json_pack("{s:s,s:s,s:s}", "profile", p->name, "method", profile_method_name(p->method),
                  "profileStatus", p->enabled ? "Enabled" : "Disabled");
    json_object_set_new(out, "profileMonitorStatus",
                        json_string(profile_status_name(profile_status(p, c->health))));
    uint16_t idx[PROFILE_MAX_ENDPOINTS];
    bool best_effort = false;
    unsigned n = policy_candidates(p, c, depth, idx, &best_effort);
    bool any_enabled = false;
    for (uint32_t i = 0; i < p->nendpoints; i++)
        any_enabled = any_enabled || p->endpoints[i].enabled;

    json_t *eps = json_array(), *names = json_array();
    for (uint32_t i = 0; i < p->nendpoints; i++) {
        const struct endpoint *e = &p->endpoints[i];
        bool srv = is_served(p, e, served, nserved, depth);
        if (srv)
            json_array_append_new(names, json_string(e->name));
        json_array_append_new(eps, endpoint_json(p, e, c, p->enabled && in_list(idx, n, i), srv,
                                                 served, nserved, depth));
    }
    json_object_set_new(out, "bestEffort", json_boolean(p->enabled && any_enabled && best_effort));
    const char *result = json_array_size(names) ? "answer" : "NODATA";

    if (!p->enabled) {
        result = "NXDOMAIN";
        snprintf(why, sizeof why, "the profile is Disabled: NXDOMAIN");
    } else if (!any_enabled) {
        result = "NXDOMAIN";
        snprintf(why, sizeof why, "every endpoint is Disabled: NXDOMAIN");
    } else {
        switch (p->method) {
        case ROUTE_PRIORITY:
            snprintf(why, sizeof why,
                     "Priority: the endpoint up with the lowest priority value answers");
            break;
        case ROUTE_WEIGHTED: {
            unsigned long total = 0;
            for (unsigned i = 0; i < n; i++)
                total += p->endpoints[idx[i]].weight;
            snprintf(why, sizeof why,
                     "Weighted: a random draw among the %u candidates, each in proportion to its "
                     "weight (total %lu)",
                     n, total);
            break;
        }
        case ROUTE_ROUNDROBIN:
            snprintf(why, sizeof why,
                     "RoundRobin: the next candidate in turn (this resolve took a turn)");
            break;
        case ROUTE_MULTIVALUE:
            snprintf(why, sizeof why,
                     "MultiValue: up to %u candidates with an address of the type queried "
                     "(A: IPv4, AAAA: IPv6)",
                     (unsigned)p->max_return);
            json_object_set_new(out, "maxReturn", json_integer(p->max_return));
            break;
        case ROUTE_PERFORMANCE:
            explain_performance(p, c, idx, n, out, why, sizeof why);
            break;
        case ROUTE_GEOGRAPHIC:
            explain_geographic(p, c, out, why, sizeof why);
            break;
        case ROUTE_SUBNET:
            explain_subnet(p, c, idx, n, out, why, sizeof why);
            break;
        }
        if (best_effort && n) {
            size_t l = strlen(why);
            snprintf(why + l, sizeof why - l,
                     "; no endpoint is up, so all are treated as up (best effort)");
        }
    }
    json_object_set_new(out, "result", json_string(result));
    json_object_set_new(out, "reason", json_string(why));
    json_object_set_new(out, "served", names);
    json_object_set_new(out, "endpoints", eps);
    return out;
}

json_t *
policy_explain(const struct profile *p, const struct policy_ctx *c,
               const struct rrset *const *served, unsigned nserved)
{
    return explain_at(p, c, served, nserved, 0);
}
