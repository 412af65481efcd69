/* arm_render.c: profiles and endpoints as Azure's GET returns them: the
 * stored document with every default filled in, dnsConfig.fqdn, the live
 * monitor statuses and ids; unknown members kept (SPEC §3). */
#include "config.h"
#include "api/arm_doc.h"

#include <stdio.h>
#include <string.h>

#include "policy/policy.h"
#include "profiles/fields.h"

static const char *
onoff(bool on)
{
    return on ? "Enabled" : "Disabled";
}

static json_t *
obj_or_null(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_object(v) ? v : NULL;
}

/* copy_rest: every member of src that dst does not have yet, copied. */
static void
copy_rest(json_t *dst, const json_t *src)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)src, key, v)
    {
        if (!json_object_get(dst, key))
            json_object_set_new(dst, key, json_deep_copy(v));
    }
}

/* keep: src's member key copied into dst when present. */
static void
keep(json_t *dst, const json_t *src, const char *key)
{
    json_t *v = json_object_get(src, key);
    if (v)
        json_object_set_new(dst, key, json_deep_copy(v));
}

void
arm_profile_id(const struct profile *p, const struct arm_view *v, char *out, size_t cap)
{
    snprintf(out, cap, "/subscriptions/%s/resourceGroups/%s/providers/%s/%s", v->sub, v->rg,
             ARM_PROFILE_TYPE, p->name);
}

void
arm_endpoint_id(const char *pid, const struct endpoint *e, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s/%s", pid, strrchr(arm_endpoint_type(e->kind), '/') + 1, e->name);
}

static json_t *
render_endpoint(const struct profile *p, const json_t *stored, uint32_t i, const char *pid,
                const struct arm_view *v)
{
    const struct endpoint *e = &p->endpoints[i];
    const char *type = arm_endpoint_type(e->kind);
    json_t *sp = obj_or_null(stored, "properties");
    char id[1024];
    arm_endpoint_id(pid, e, id, sizeof id);

    json_t *out = json_object();
    json_object_set_new(out, "id", json_string(id));
    json_object_set_new(out, "name", json_string(e->name));
    json_object_set_new(out, "type", json_string(type));

    json_t *pr = json_object();
    json_object_set_new(pr, "endpointStatus", json_string(onoff(e->enabled)));
    json_object_set_new(pr, "endpointMonitorStatus",
                        json_string(ep_status_name(endpoint_status(p, e, v->health))));
    keep(pr, sp, "targetResourceId");
    if (e->target)
        json_object_set_new(pr, "target", json_string(e->target));
    json_object_set_new(pr, "weight", json_integer(e->weight));
    json_object_set_new(pr, "priority", json_integer(e->priority));
    keep(pr, sp, "endpointLocation");
    json_object_set_new(pr, "alwaysServe", json_string(onoff(e->always_serve)));
    if (e->kind == EP_NESTED) {
        json_object_set_new(pr, "minChildEndpoints", json_integer(e->min_child));
        json_object_set_new(pr, "minChildEndpointsIPv4", json_integer(e->min_child_v4));
        json_object_set_new(pr, "minChildEndpointsIPv6", json_integer(e->min_child_v6));
    }
    if (sp)
        copy_rest(pr, sp);
    json_object_set_new(out, "properties", pr);
    if (json_is_object(stored))
        copy_rest(out, stored);
    return out;
}

static json_t *
render_dns(const struct profile *p, const json_t *sd, const struct arm_view *v)
{
    json_t *d = json_object();
    const char *rel = json_string_value(json_object_get(sd, "relativeName"));
    if (!rel)
        rel = p->relative_name;
    json_object_set_new(d, "relativeName", json_string(rel));
    json_object_set_new(d, "fqdn", json_sprintf("%s.%s", rel, v->domain));
    json_object_set_new(d, "ttl", json_integer(p->ttl));
    if (sd)
        copy_rest(d, sd);
    return d;
}

static json_t *
render_monitor(const struct profile *p, const json_t *sm, const struct arm_view *v)
{
    static const char *const protos[] = {
        [PROBE_HTTP] = "HTTP", [PROBE_HTTPS] = "HTTPS", [PROBE_TCP] = "TCP"};
    const struct monitor_config *m = &p->mon;
    json_t *o = json_object();
    json_object_set_new(o, "profileMonitorStatus",
                        json_string(profile_status_name(profile_status(p, v->health))));
    json_object_set_new(o, "protocol", json_string(protos[m->protocol]));
    json_object_set_new(o, "port", json_integer(m->port));
    if (m->path)
        json_object_set_new(o, "path", json_string(m->path));
    json_object_set_new(o, "intervalInSeconds", json_integer(m->interval_s));
    json_object_set_new(o, "timeoutInSeconds", json_integer(m->timeout_s));
    json_object_set_new(
        o, "toleratedNumberOfFailures",
        json_integer(m->tolerated < 0 ? pf_row(PF_MON_TOLERATED)->def : m->tolerated));
    if (sm)
        copy_rest(o, sm);
    return o;
}

json_t *
arm_render_endpoint(const struct profile *p, const json_t *doc, uint32_t i,
                    const struct arm_view *v)
{
    char pid[512];
    arm_profile_id(p, v, pid, sizeof pid);
    json_t *sp = obj_or_null(doc, "properties");
    json_t *eps = json_object_get(sp, "endpoints");
    return render_endpoint(p, json_array_get(eps, i), i, pid, v);
}

json_t *
arm_render_profile(const struct profile *p, const json_t *doc, const struct arm_view *v)
{
    char pid[512];
    arm_profile_id(p, v, pid, sizeof pid);
    json_t *sp = obj_or_null(doc, "properties");

    json_t *out = json_object();
    json_object_set_new(out, "id", json_string(pid));
    json_object_set_new(out, "name", json_string(p->name));
    json_object_set_new(out, "type", json_string(ARM_PROFILE_TYPE));
    json_t *loc = json_object_get(doc, "location");
    json_object_set_new(out, "location",
                        json_is_string(loc) ? json_deep_copy(loc)
                                            : json_string(pf_row(PF_LOCATION)->sdef));
    json_t *tags = json_object_get(doc, "tags");
    json_object_set_new(out, "tags", tags ? json_deep_copy(tags) : json_object());

    json_t *pr = json_object();
    json_object_set_new(pr, "profileStatus", json_string(onoff(p->enabled)));
    json_object_set_new(pr, "trafficRoutingMethod", json_string(policy_method(p->method)->name));
    json_object_set_new(pr, "dnsConfig", render_dns(p, obj_or_null(sp, "dnsConfig"), v));
    json_object_set_new(pr, "monitorConfig",
                        render_monitor(p, obj_or_null(sp, "monitorConfig"), v));
    json_t *eps = json_array(), *seps = json_object_get(sp, "endpoints");
    for (uint32_t i = 0; i < p->nendpoints; i++)
        json_array_append_new(eps, render_endpoint(p, json_array_get(seps, i), i, pid, v));
    json_object_set_new(pr, "endpoints", eps);
    json_t *tv = json_object_get(sp, "trafficViewEnrollmentStatus");
    json_object_set_new(pr, "trafficViewEnrollmentStatus",
                        json_is_string(tv) ? json_deep_copy(tv)
                                           : json_string(pf_row(PF_TRAFFIC_VIEW)->sdef));
    if (policy_method(p->method)->max_return)
        json_object_set_new(pr, "maxReturn", json_integer(p->max_return));
    if (sp)
        copy_rest(pr, sp);
    json_object_set_new(out, "properties", pr);
    if (json_is_object(doc))
        copy_rest(out, doc);
    return out;
}
