/* status.c: the live status as JSON, for the status page and
 * GET /gtmd/v1/status: every profile and endpoint with its state, its
 * probe's last result, latency, failures and override, and the latest
 * transitions of all endpoints. */
#include "config.h"
#include "api/status.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "api/text.h"
#include "gtm/alloc.h"
#include "gtm/ctx.h"
#include "gtm/health.h"
#include "gtm/snapshot.h"
#include "gtm/stats.h"
#include "monitor/monitor.h"
#include "policy/policy.h"
#include "zones/stats.h"
#include "dns/server.h"
#include "fleet/fleet.h"

const struct endpoint *
obs_find_endpoint(const struct profile *p, const char *name)
{
    for (uint32_t k = 0; k < p->nendpoints; k++)
        if (strcasecmp(p->endpoints[k].name, name) == 0)
            return &p->endpoints[k];
    return NULL;
}

const struct probe_info *
obs_probe(const struct gtm_ctx *ctx, const struct endpoint *e)
{
    if (e->health_idx == HEALTH_NONE)
        return NULL;
    return monitor_info(ctx->monitor, e->health_idx);
}

const char *
obs_endpoint_type(enum endpoint_kind k)
{
    return k == EP_AZURE    ? "azureEndpoints"
           : k == EP_NESTED ? "nestedEndpoints"
                            : "externalEndpoints";
}

static const char *
status_name(uint8_t s)
{
    return ep_status_name((enum ep_status)s);
}

static json_t *
time_json(int64_t ms)
{
    char buf[40];
    return ms ? json_string(time_iso8601(ms, buf, sizeof buf)) : json_null();
}

static int64_t
wall_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

json_t *
obs_transition_json(const struct transition *t)
{
    return json_pack("{s:o,s:s,s:s,s:i,s:s}", "time", time_json(t->at_ms), "from",
                     status_name(t->from), "to", status_name(t->to), "failures",
                     (json_int_t)t->fails, "reason", t->reason);
}

static json_t *
probe_json(const struct probe_info *pi)
{
    uint64_t changes = 0;
    for (unsigned f = 0; f < PROBE_STATES; f++)
        for (unsigned t = 0; t < PROBE_STATES; t++)
            changes += pi->transitions[f][t];
    json_t *j = json_pack(
        "{s:s,s:s,s:o,s:s,s:b,s:o,s:o,s:o,s:i,s:I,s:I,s:I}", "state", status_name(pi->state),
        "probed", status_name(pi->probed), "override",
        pi->forced ? json_string(status_name(pi->forced_state)) : json_null(), "lastResult",
        pi->last_result, "lastOk", pi->last_ok, "lastProbe", time_json(pi->last_probe_ms),
        "lastChange", time_json(pi->last_change_ms), "latencyMs",
        pi->last_probe_ms ? json_real(pi->last_duration_us / 1000.0) : json_null(), "failures",
        (json_int_t)pi->fails, "probesOk", (json_int_t)pi->probes_ok, "probesFailed",
        (json_int_t)pi->probes_failed, "transitions", (json_int_t)changes);
    return j;
}

json_t *
obs_endpoint_json(const struct gtm_ctx *ctx, const struct gtm_snapshot *s, const struct profile *p,
                  uint32_t k)
{
    const struct endpoint *e = &p->endpoints[k];
    const struct probe_info *pi = obs_probe(ctx, e);
    json_t *j = json_pack(
        "{s:s,s:s,s:s,s:s,s:i,s:i,s:I}", "name", e->name, "type", obs_endpoint_type(e->kind),
        "endpointStatus", e->enabled ? "Enabled" : "Disabled", "endpointMonitorStatus",
        ep_status_name(endpoint_status(p, e, s->health)), "priority", (json_int_t)e->priority,
        "weight", (json_int_t)e->weight, "answers", (json_int_t)stats_endpoint(ctx, p, k));
    if (e->kind == EP_NESTED)
        json_object_set_new(j, "child", e->child ? json_string(e->child) : json_null());
    else
        json_object_set_new(j, "target", e->target ? json_string(e->target) : json_null());
    if (e->location)
        json_object_set_new(j, "endpointLocation", json_string(e->location));
    json_object_set_new(j, "probe", pi ? probe_json(pi) : json_null());
    if (ctx->fleet && e->health_idx != HEALTH_NONE) /* each node's verdict, and the quorum */
        json_object_set_new(j, "fleet",
                            fleet_probe_json(ctx->fleet, monitor_key(ctx->monitor, e->health_idx)));
    return j;
}

static const char *
proto_name(enum probe_proto p)
{
    return p == PROBE_HTTPS ? "HTTPS" : p == PROBE_TCP ? "TCP" : "HTTP";
}

static json_t *
profile_json(const struct gtm_ctx *ctx, const struct gtm_snapshot *s, const struct profile *p,
             const char *domain)
{
    char fqdn[600];
    snprintf(fqdn, sizeof fqdn, "%s.%s", p->relative_name, domain);
    const struct monitor_config *mc = &p->mon;
    json_t *mon =
        json_pack("{s:s,s:i,s:i,s:i,s:o}", "protocol", proto_name(mc->protocol), "port",
                  (json_int_t)mc->port, "intervalInSeconds", (json_int_t)mc->interval_s,
                  "timeoutInSeconds", (json_int_t)mc->timeout_s, "toleratedNumberOfFailures",
                  mc->tolerated >= 0 ? json_integer(mc->tolerated) : json_null());
    if (mc->path)
        json_object_set_new(mon, "path", json_string(mc->path));
    json_t *eps = json_array();
    for (uint32_t k = 0; k < p->nendpoints; k++)
        json_array_append_new(eps, obs_endpoint_json(ctx, s, p, k));
    return json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:o,s:{s:I,s:I,s:I},s:o}", "name", p->name, "relativeName",
        p->relative_name, "fqdn", fqdn, "method", policy_method(p->method)->name, "profileStatus",
        p->enabled ? "Enabled" : "Disabled", "profileMonitorStatus",
        profile_status_name(profile_status(p, s->health)), "ttl", (json_int_t)p->ttl,
        "monitorConfig", mon, "queries", "answer", (json_int_t)stats_profile(ctx, p, TM_ANSWER),
        "nodata", (json_int_t)stats_profile(ctx, p, TM_NODATA), "nxdomain",
        (json_int_t)stats_profile(ctx, p, TM_NXDOMAIN), "endpoints", eps);
}

struct recent {
    int64_t at_ms;
    uint64_t order; /* newer first among equal times */
    const struct transition *t;
    const struct profile *p;
    const struct endpoint *e;
};

static int
recent_cmp(const void *a, const void *b)
{
    const struct recent *x = a, *y = b;
    if (x->at_ms != y->at_ms)
        return x->at_ms > y->at_ms ? -1 : 1;
    if (x->order != y->order)
        return x->order > y->order ? -1 : 1;
    return 0;
}

/* The newest transitions of every probed endpoint, newest first. */
static json_t *
recent_json(const struct gtm_ctx *ctx, const struct gtm_snapshot *s)
{
    size_t n = 0, cap = 0;
    struct recent *v = NULL;
    for (uint32_t i = 0; i < s->nprofiles; i++) {
        const struct profile *p = s->profiles[i];
        for (uint32_t k = 0; k < p->nendpoints; k++) {
            const struct endpoint *e = &p->endpoints[k];
            const struct history *h =
                e->health_idx == HEALTH_NONE ? NULL : monitor_history(ctx->monitor, e->health_idx);
            unsigned c = h ? history_count(h) : 0;
            for (unsigned j = 0; j < c && j < OBS_RECENT; j++) {
                if (n == cap) {
                    cap = cap ? cap * 2 : 64;
                    v = xrealloc(v, cap * sizeof *v);
                }
                const struct transition *t = history_get(h, j);
                v[n++] = (struct recent){t->at_ms, h->total - j, t, p, e};
            }
        }
    }
    if (n)
        qsort(v, n, sizeof *v, recent_cmp);
    json_t *a = json_array();
    for (size_t i = 0; i < n && i < OBS_RECENT; i++) {
        json_t *t = obs_transition_json(v[i].t);
        json_object_set_new(t, "profile", json_string(v[i].p->name));
        json_object_set_new(t, "endpoint", json_string(v[i].e->name));
        json_array_append_new(a, t);
    }
    free(v);
    return a;
}

json_t *
obs_status(struct gtm_ctx *ctx)
{
    const struct gtm_snapshot *s = atomic_load(&ctx->snap);
    char domain[300] = ".";
    if (s->domain)
        dname_to_text(s->domain->apex, domain, sizeof domain);
    size_t dl = strlen(domain);
    if (dl > 1 && domain[dl - 1] == '.')
        domain[dl - 1] = 0; /* fqdn fields are written without the root dot, as Azure does */
    json_t *queries = json_object();
    for (int rc = 0; rc < QR_RCODES; rc++)
        json_object_set_new(queries, stats_rcode_name((enum q_rcode)rc),
                            json_integer((json_int_t)server_rcodes(ctx, (enum q_rcode)rc)));
    json_t *profiles = json_array();
    for (uint32_t i = 0; i < s->nprofiles; i++)
        json_array_append_new(profiles, profile_json(ctx, s, s->profiles[i], domain));
    json_t *out =
        json_pack("{s:s,s:o,s:I,s:o,s:s,s:{s:I,s:I},s:i,s:o,s:o,s:o}", "version", PACKAGE_VERSION,
                  "now", time_json(wall_ms()), "generation", (json_int_t)s->generation, "loaded",
                  time_json((int64_t)s->loaded * 1000), "domain", domain, "reloads", "ok",
                  (json_int_t)ctx->reloads_ok, "failed", (json_int_t)ctx->reloads_failed, "workers",
                  (json_int_t)ctx->nworkers, "queries", queries, "profiles", profiles,
                  "transitions", recent_json(ctx, s));
    if (ctx->fleet)
        json_object_set_new(out, "fleet", fleet_json(ctx->fleet));
    return out;
}
