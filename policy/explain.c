/* explain.c: a routing decision as JSON, rendered from the trace the
 * method filled while choosing (struct policy_trace) and the answer the
 * query got: no rule is applied here. */
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

/* Performance: the rows of the client's network, and which region won. */
static void
explain_performance(const struct policy_trace *t, json_t *out)
{
    const struct profile *p = t->p;
    const struct net_row *row = t->latency.row;
    json_t *perf = json_object();
    json_object_set_new(out, "latency", perf);
    json_object_set_new(perf, "table", json_boolean(t->latency.table));
    json_object_set_new(perf, "network", row ? row_network(row) : json_null());
    json_t *list = json_array();
    json_object_set_new(perf, "rows", list);
    for (uint32_t r = 0; row && r < t->latency.nrows; r++) {
        json_t *here = json_array();
        for (unsigned i = 0; i < t->ncand; i++)
            if (performance_in_region(&p->endpoints[t->cand[i]], row[r].name))
                json_array_append_new(here, json_string(p->endpoints[t->cand[i]].name));
        json_array_append_new(list, json_pack("{s:s,s:I,s:o}", "region", row[r].name, "latencyMs",
                                              (json_int_t)row[r].latency_ms, "candidates", here));
    }
    json_object_set_new(perf, "region",
                        t->latency.matched >= 0 ? json_string(row[t->latency.matched].name)
                                                : json_null());
}

static void
explain_geographic(const struct policy_trace *t, json_t *out)
{
    json_t *geo = json_object();
    json_object_set_new(out, "geo", geo);
    json_object_set_new(geo, "table", json_boolean(t->geo.table));
    json_object_set_new(geo, "database", json_boolean(t->geo.database));
    json_object_set_new(geo, "source",
                        json_string(t->geo.row    ? "table"
                                    : t->geo.code ? "database"
                                                  : "none"));
    json_object_set_new(geo, "network", t->geo.row ? row_network(t->geo.row) : json_null());
    json_object_set_new(geo, "code", t->geo.code ? json_string(t->geo.code) : json_null());
    json_t *jt = json_array();
    for (unsigned i = 0; i < t->geo.ntried; i++)
        json_array_append_new(jt, json_string(t->geo.tried[i]));
    json_object_set_new(geo, "tried", jt);
    json_object_set_new(geo, "matched", t->geo.matched ? json_string(t->geo.matched) : json_null());
    json_object_set_new(geo, "endpoint", t->geo.ep ? json_string(t->geo.ep->name) : json_null());
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
explain_subnet(const struct policy_trace *t, json_t *out)
{
    json_t *sub = json_object();
    json_object_set_new(out, "subnet", sub);
    const struct endpoint *hit = t->subnet.hit, *fb = t->subnet.fallback;
    json_object_set_new(sub, "matched",
                        hit ? json_pack("{s:s,s:o,s:b}", "endpoint", hit->name, "range",
                                        range_json(t->subnet.range), "candidate",
                                        t->subnet.hit_candidate)
                            : json_null());
    json_object_set_new(sub, "fallback", fb ? json_string(fb->name) : json_null());
}

static json_t *explain_at(const struct policy_trace *t, const struct health_slot *health,
                          const struct rrset *const *served, unsigned nserved, unsigned depth);

static json_t *
endpoint_json(const struct policy_trace *t, const struct endpoint *e,
              const struct health_slot *health, bool candidate, bool served,
              const struct rrset *const *served_sets, unsigned nserved, unsigned depth)
{
    const struct profile *p = t->p;
    json_t *j = json_pack("{s:s,s:s,s:s,s:b,s:b,s:i,s:i}", "name", e->name, "endpointStatus",
                          e->enabled ? "Enabled" : "Disabled", "status",
                          ep_status_name(policy_status_at(p, e, health, depth)), "candidate",
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
    if (policy_method(p->method)->probe_rtt && e->health_idx != HEALTH_NONE) {
        uint32_t us = atomic_load_explicit(&health[e->health_idx].rtt_us, memory_order_relaxed);
        json_object_set_new(j, "probeMs", us ? json_real(us / 1000.0) : json_null());
    }
    if (e->kind == EP_NESTED) {
        json_object_set_new(j, "childProfile", e->child ? json_string(e->child) : json_null());
        /* The child as it chose: the next level of the trace. */
        if (served && e->child_profile && depth + 1 < POLICY_NEST_MAX && t[1].p == e->child_profile)
            json_object_set_new(j, "child",
                                explain_at(t + 1, health, served_sets, nserved, depth + 1));
    }
    return j;
}

static json_t *
explain_at(const struct policy_trace *t, const struct health_slot *health,
           const struct rrset *const *served, unsigned nserved, unsigned depth)
{
    const struct profile *p = t->p;
    const struct policy_ops *ops = policy_method(p->method);
    char why[512] = "";
    json_t *out = json_pack("{s:s,s:s,s:s}", "profile", p->name, "method", ops->name,
                            "profileStatus", p->enabled ? "Enabled" : "Disabled");
    json_object_set_new(out, "profileMonitorStatus",
                        json_string(profile_status_name(profile_status(p, health))));
    json_t *eps = json_array(), *names = json_array();
    for (uint32_t i = 0; i < p->nendpoints; i++) {
        const struct endpoint *e = &p->endpoints[i];
        bool srv = is_served(p, e, served, nserved, depth);
        if (srv)
            json_array_append_new(names, json_string(e->name));
        bool cand = p->enabled && policy_is_candidate(t->cand, t->ncand, i);
        json_array_append_new(eps, endpoint_json(t, e, health, cand, srv, served, nserved, depth));
    }
    json_object_set_new(out, "bestEffort",
                        json_boolean(t->outcome == POLICY_RAN && t->best_effort));
    const char *result = json_array_size(names) ? "answer" : "NODATA";
    if (t->outcome == POLICY_PROFILE_DISABLED) {
        result = "NXDOMAIN";
        snprintf(why, sizeof why, "the profile is Disabled: NXDOMAIN");
    } else if (t->outcome == POLICY_ALL_DISABLED) {
        result = "NXDOMAIN";
        snprintf(why, sizeof why, "every endpoint is Disabled: NXDOMAIN");
    } else {
        ops->reason(t, why, sizeof why);
        if (ops->max_return)
            json_object_set_new(out, "maxReturn", json_integer(p->max_return));
        if (t->parts & POLICY_TRACE_LATENCY)
            explain_performance(t, out);
        if (t->parts & POLICY_TRACE_GEO)
            explain_geographic(t, out);
        if (t->parts & POLICY_TRACE_SUBNET)
            explain_subnet(t, out);
        if (t->best_effort && t->ncand) {
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
policy_explain(const struct policy_trace *t, const struct health_slot *health,
               const struct rrset *const *served, unsigned nserved)
{
    return explain_at(t, health, served, nserved, 0);
}
