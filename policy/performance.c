/* performance.c: Performance routing: the closest region (by the latency
 * table row of the client's network, --latency-table) that has a candidate;
 * outside the table, the candidate whose probes answer fastest (a
 * documented departure: Azure's table covers the Internet, ours covers the
 * lab). The client is the ECS subnet when the query has one. */
#include "config.h"

#include <stdio.h>
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

bool
performance_in_region(const struct endpoint *e, const char *region)
{
    return e->location && strcmp(e->location, region) == 0;
}

static struct policy_choice
choose(const struct profile *p, const struct policy_ctx *c, struct policy_pick *out, unsigned depth,
       struct policy_trace *t)
{
    uint16_t idx[PROFILE_MAX_ENDPOINTS];
    unsigned n = policy_candidates(p, c, depth, idx, &out->best_effort);
    if (n == 0 && !t)
        return (struct policy_choice){POLICY_NXDOMAIN, NULL};
    const struct policy_client *cl = c->client;
    uint32_t rows = 0;
    const struct net_row *row =
        cl->family ? net_table_find(c->latency, cl->family, cl->addr, &rows) : NULL;
    if (t) {
        t->parts |= POLICY_TRACE_LATENCY;
        t->latency.table = c->latency != NULL;
        t->latency.row = row;
        t->latency.nrows = row ? rows : 0;
        t->latency.matched = -1;
    }
    if (n == 0)
        return (struct policy_choice){POLICY_NXDOMAIN, NULL};
    for (uint32_t r = 0; row && r < rows; r++) {
        uint16_t here[PROFILE_MAX_ENDPOINTS];
        unsigned m = 0;
        for (unsigned i = 0; i < n; i++)
            if (performance_in_region(&p->endpoints[idx[i]], row[r].name))
                here[m++] = idx[i];
        if (m) {
            out->scope = net_table_scope(c->latency, cl->family, cl->addr, row);
            if (t)
                t->latency.matched = (int32_t)r;
            return (struct policy_choice){POLICY_OK, &p->endpoints[here[client_spread(cl, m)]]};
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
    return (struct policy_choice){POLICY_OK, &p->endpoints[idx[best]]};
}

static void
check(const struct endpoint *e, const struct policy_report *r)
{
    if (!e->location)
        r->fail(r->arg, true, "endpointLocation", "required for Performance routing");
}

static void
reason(const struct policy_trace *t, char *why, size_t cap)
{
    if (t->latency.matched >= 0) {
        const struct net_row *row = &t->latency.row[t->latency.matched];
        snprintf(why, cap,
                 "Performance: the latency table ranks regions for the client's network; the "
                 "closest with an endpoint up is %s (%u ms); among several there, one is kept "
                 "per client network",
                 row->name, (unsigned)row->latency_ms);
        return;
    }
    snprintf(why, cap, "Performance: %s: the candidate whose probes answer fastest",
             !t->latency.table ? "no latency table"
             : t->latency.row  ? "no region listed for the client's network has an endpoint up"
                               : "no row of the latency table covers the client");
}

const struct policy_ops policy_performance = {
    .name = "Performance",
    .nested_ok = true,
    .probe_rtt = true,
    .check = check,
    .choose = choose,
    .reason = reason,
};
