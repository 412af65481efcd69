/* lab.c: the lab extensions under /gtmd/v1/ (SPEC §7):
 *   GET    /gtmd/v1/status                                   everything the status page shows
 *   GET    /gtmd/v1/profiles/{p}/endpoints/{e}/history       transitions, newest first
 *   GET    /gtmd/v1/profiles/{p}/endpoints/{e}/override      the drill override, if any
 *   PUT    /gtmd/v1/profiles/{p}/endpoints/{e}/override      {"status":"Online"|"Degraded"}
 *   DELETE /gtmd/v1/profiles/{p}/endpoints/{e}/override      back to what the probes say
 *   GET    /gtmd/v1/resolve?name=N[&client=IP[/PREFIX]][&type=T]
 *   POST   /gtmd/v1/reload                                   as SIGHUP, errors in the reply
 *   GET    /gtmd/v1/fleet                                    the fleet's nodes (fleet mode)
 * Names of profiles and endpoints match in any letter case. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <ldns/ldns.h>

#include "api/http.h"
#include "api/status.h"
#include "dns/handle.h"
#include "dns/query.h"
#include "fleet/fleet.h"
#include "gtm/alloc.h"
#include "gtm/ctx.h"
#include "gtm/dname.h"
#include "gtm/health.h"
#include "gtm/nettable.h"
#include "gtm/snapshot.h"
#include "monitor/monitor.h"
#include "policy/explain.h"
#include "policy/policy.h"
#include "zones/build.h"
#include "zones/tm.h"

/* ---- endpoints: history and override ---- */

static void
method_not_allowed(struct api_req *r, const char *allow)
{
    evhttp_add_header(evhttp_request_get_output_headers(r->req), "Allow", allow);
    api_error(r, 405, "MethodNotAllowed", "Allowed here: %s.", allow);
}

static int
user_order(const void *a, const void *b)
{
    const struct tm_user *x = a, *y = b;
    int d = strcasecmp(x->profile, y->profile);
    return d ? d : (x->index > y->index) - (x->index < y->index);
}

/* The other endpoints that share e's probe (and so its state and
 * override), in name order: the slot's own list of users. */
static json_t *
shared_with(const struct gtm_snapshot *s, const struct profile *p, const struct endpoint *e)
{
    json_t *a = json_array();
    const struct tm_user *who;
    uint32_t n = tm_users(s->tmi, e->health_idx, &who);
    struct tm_user *v = n > 1 ? xmalloc(n * sizeof *v) : NULL;
    if (v) {
        memcpy(v, who, n * sizeof *v);
        qsort(v, n, sizeof *v, user_order);
    }
    for (uint32_t i = 0; v && i < n; i++) {
        if (strcasecmp(v[i].profile, p->name) == 0 && v[i].index == (uint32_t)(e - p->endpoints))
            continue;
        char buf[600];
        snprintf(buf, sizeof buf, "%s/%s", v[i].profile, v[i].endpoint);
        json_array_append_new(a, json_string(buf));
    }
    free(v);
    return a;
}

static void
override_reply(struct api_req *r, const struct gtm_snapshot *s, const struct profile *p,
               const struct endpoint *e)
{
    const struct probe_info *pi = obs_probe(r->ctx, e);
    json_t *j = json_pack(
        "{s:s,s:s,s:o,s:s,s:s,s:o}", "profile", p->name, "endpoint", e->name, "override",
        pi && pi->forced ? json_string(ep_status_name((enum ep_status)pi->forced_state))
                         : json_null(),
        "probed", pi ? ep_status_name((enum ep_status)pi->probed) : "", "endpointMonitorStatus",
        ep_status_name(endpoint_status(p, e, s->health)), "sharedWith", shared_with(s, p, e));
    api_reply_json(r, 200, j);
}

static void
override_route(struct api_req *r, const struct gtm_snapshot *s, const struct profile *p,
               const struct endpoint *e)
{
    if (r->method == EVHTTP_REQ_GET || r->method == EVHTTP_REQ_HEAD) {
        override_reply(r, s, p, e);
        return;
    }
    if (r->method != EVHTTP_REQ_PUT && r->method != EVHTTP_REQ_DELETE) {
        method_not_allowed(r, "GET, PUT, DELETE");
        return;
    }
    if (!r->can_write) {
        api_error(r, 403, "AuthorizationFailed", "Changes need a bearer token.");
        return;
    }
    if (e->health_idx == HEALTH_NONE) {
        api_error(r, 409, "Conflict",
                  "Endpoint '%s' of profile '%s' is not probed (%s): there is no monitor status "
                  "to override.",
                  e->name, p->name,
                  !p->enabled            ? "the profile is Disabled"
                  : !e->enabled          ? "it is Disabled"
                  : e->kind == EP_NESTED ? "a nested endpoint follows its child profile"
                  : e->always_serve      ? "alwaysServe is Enabled"
                                         : "it has no target");
        return;
    }
    int state = MONITOR_UNFORCE;
    if (r->method == EVHTTP_REQ_PUT) {
        json_t *body = api_body_json(r);
        if (!body)
            return;
        const char *st = json_string_value(json_object_get(body, "status"));
        if (st && strcasecmp(st, "Online") == 0)
            state = EPS_ONLINE;
        else if (st && strcasecmp(st, "Degraded") == 0)
            state = EPS_DEGRADED;
        json_decref(body);
        if (state == MONITOR_UNFORCE) {
            api_error(r, 400, "BadRequest",
                      "The body must be {\"status\":\"Online\"} or {\"status\":\"Degraded\"}.");
            return;
        }
    }
    if (r->ctx->fleet) {
        /* fleet-wide: committed to etcd first, then applied here (the
         * other nodes apply it from their watch) */
        char why[320];
        if (fleet_commit_override(r->ctx->fleet, p->name, e->name, state, why, sizeof why) != 0) {
            api_error(r, 503, "ServiceUnavailable",
                      "The fleet's store (etcd) did not commit the override: %s. It is not "
                      "applied; retry later (the same request again is harmless).",
                      why);
            return;
        }
    }
    if (monitor_force(r->ctx->monitor, e->health_idx, state) != 0) {
        api_error(r, 500, "InternalServerError", "The monitor does not know this endpoint.");
        return;
    }
    override_reply(r, s, p, e);
}

static void
history_route(struct api_req *r, const struct profile *p, const struct endpoint *e)
{
    if (r->method != EVHTTP_REQ_GET && r->method != EVHTTP_REQ_HEAD) {
        method_not_allowed(r, "GET");
        return;
    }
    json_t *a = json_array();
    const struct history *h =
        e->health_idx == HEALTH_NONE ? NULL : monitor_history(r->ctx->monitor, e->health_idx);
    unsigned n = h ? history_count(h) : 0;
    for (unsigned i = 0; i < n; i++)
        json_array_append_new(a, obs_transition_json(history_get(h, i)));
    (void)p;
    api_reply_json(r, 200, a);
}

/* /gtmd/v1/profiles/{p}/endpoints/{e}/{history|override} */
static bool
endpoint_route(struct api_req *r)
{
    if (r->nseg != 7 || !api_seg_is(r, 2, "profiles") || !api_seg_is(r, 4, "endpoints"))
        return false;
    bool history = api_seg_is(r, 6, "history");
    if (!history && !api_seg_is(r, 6, "override"))
        return false;
    const struct gtm_snapshot *s = atomic_load(&r->ctx->snap);
    const struct profile *p = snapshot_find_profile(s, r->seg[3]);
    if (!p) {
        api_error(r, 404, "NotFound", "Profile '%s' does not exist.", r->seg[3]);
        return true;
    }
    const struct endpoint *e = obs_find_endpoint(p, r->seg[5]);
    if (!e) {
        api_error(r, 404, "NotFound", "Profile '%s' has no endpoint '%s'.", p->name, r->seg[5]);
        return true;
    }
    if (history)
        history_route(r, p, e);
    else
        override_route(r, s, p, e);
    return true;
}

static void add_fleet(const struct gtm_ctx *ctx, const struct gtm_snapshot *s, json_t *list);

/* ---- resolve ---- */

/* "203.0.113.7" or "203.0.113.0/24" (an ECS subnet), v4 or v6. */
static int
parse_client(const char *text, struct policy_client *cl)
{
    memset(cl, 0, sizeof *cl);
    bool had_prefix;
    if (net_parse(text, &cl->family, cl->addr, &cl->prefix, &had_prefix))
        return -1;
    net_mask(cl->addr, cl->prefix); /* as a resolver sends it: zero past the prefix */
    return 0;
}

/* The records of a section of a response, as JSON, each printed as dig
 * prints it (ldns). */
static json_t *
section_json(const ldns_rr_list *list)
{
    json_t *out = json_array();
    for (size_t i = 0; i < ldns_rr_list_rr_count(list); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(list, i);
        char *owner = ldns_rdf2str(ldns_rr_owner(rr));
        char *type = ldns_rr_type2str(ldns_rr_get_type(rr));
        ldns_buffer *data = ldns_buffer_new(256);
        for (size_t k = 0; data && k < ldns_rr_rd_count(rr); k++) {
            if (k)
                ldns_buffer_printf(data, " ");
            ldns_rdf2buffer_str(data, ldns_rr_rdf(rr, k));
        }
        char *dtext = data ? ldns_buffer_export2str(data) : NULL;
        json_array_append_new(out,
                              json_pack("{s:s,s:s,s:I,s:s}", "name", owner ? owner : "", "type",
                                        type ? type : "", "ttl", (json_int_t)ldns_rr_ttl(rr),
                                        "data", dtext ? dtext : ""));
        free(owner);
        free(type);
        free(dtext);
        ldns_buffer_free(data);
    }
    return out;
}

/* type=: a mnemonic ldns knows, or TYPEnnn (RFC 3597 5), 0 to 65535.
 * Returns 0 or -1. */
static int
parse_qtype(const char *text, uint16_t *out)
{
    if (strncasecmp(text, "TYPE", 4) == 0) {
        const char *d = text + 4;
        size_t n = strspn(d, "0123456789");
        if (n == 0 || n > 5 || d[n])
            return -1;
        unsigned long v = strtoul(d, NULL, 10);
        if (v > 65535)
            return -1;
        *out = (uint16_t)v;
        return 0;
    }
    ldns_rr_type t = ldns_get_rr_type_by_name(text);
    if (t == 0)
        return -1;
    *out = (uint16_t)t;
    return 0;
}

/* A response code as DNS tools print it (dig, dnspython). */
static const char *
rcode_text(uint16_t rcode, char *buf, size_t cap)
{
    static const char *const names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                        "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
                                        "NXRRSET", "NOTAUTH", "NOTZONE"};
    if (rcode < GTM_ARRAY_LEN(names))
        return names[rcode];
    if (rcode == 16)
        return "BADVERS";
    snprintf(buf, cap, "RCODE%u", rcode);
    return buf;
}

/* An ALIAS that answered: what it is, where it leads, and what it answers. */
static json_t *
alias_json(const struct alias *al, const struct dns_trace *t, bool empty)
{
    char owner[DNAME_MAXLEN * 4 + 2], written[DNAME_MAXLEN * 4 + 2], target[DNAME_MAXLEN * 4 + 2];
    char why[1024];
    dname_to_text(al->owner, owner, sizeof owner);
    dname_to_text(al->written, written, sizeof written);
    dname_to_text(al->target, target, sizeof target);
    bool profile = al->kind == ALIAS_PROFILE;
    /* its profile's step is the last one (an ALIAS ends a chain), if there was room */
    const struct dns_trace_step *st = t->nsteps ? &t->step[t->nsteps - 1] : NULL;
    const struct profile *p = profile && st && st->len == al->target_len &&
                                      memcmp(st->name, al->target, al->target_len) == 0
                                  ? st->level[0].p
                                  : NULL;
    size_t n = (size_t)snprintf(why, sizeof why, "%s is an ALIAS to %s", owner, written);
    if (al->hops && n < sizeof why)
        n +=
            (size_t)snprintf(why + n, sizeof why - n, ", which leads to %s (%u CNAME/ALIAS step%s)",
                             target, al->hops, al->hops > 1 ? "s" : "");
    if (n < sizeof why) {
        if (profile && p)
            n += (size_t)snprintf(why + n, sizeof why - n,
                                  ", the traffic manager profile %s: A and AAAA queries get the "
                                  "addresses its routing method picks for this client",
                                  p->name);
        else if (profile)
            n += (size_t)snprintf(why + n, sizeof why - n,
                                  ": no profile has that name now, so NODATA");
        else
            n += (size_t)snprintf(why + n, sizeof why - n,
                                  ": A and AAAA queries get that name's records");
    }
    if (n < sizeof why && (p || !profile))
        n += (size_t)snprintf(why + n, sizeof why - n,
                              ", owned by %s, TTL the smallest of the ALIAS's (%u), the "
                              "CNAMEs' and ALIASes' on the way, and the records'",
                              owner, al->ttl);
    if (n < sizeof why && empty && (p || !profile))
        snprintf(why + n, sizeof why - n,
                 p ? "; the endpoints picked give no address of this type (one whose target "
                     "is a name outside gtmd's zones gives none), so NODATA"
                   : "; it has no records of this type, so NODATA");
    return json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:i,s:s}", "name", owner, "target", written,
                     "resolvedTo", target, "kind", profile ? "profile" : "static", "ttl",
                     (json_int_t)al->ttl, "chainTtl", (json_int_t)al->chain_ttl, "hops",
                     (int)al->hops, "reason", why);
}

static void
resolve(struct api_req *r)
{
    if (r->method != EVHTTP_REQ_GET && r->method != EVHTTP_REQ_HEAD) {
        method_not_allowed(r, "GET");
        return;
    }
    const char *name = api_query(r, "name");
    const char *ctext = api_query(r, "client");
    const char *ttext = api_query(r, "type");
    uint8_t qname[DNAME_MAXLEN];
    int qlen = name ? dname_from_text(name, qname) : -1;
    if (!name || qlen <= 0) {
        api_error(r, 400, "BadRequest",
                  "name= must be a domain name, e.g. app.trafficmanager.net.");
        return;
    }
    uint16_t qtype = LDNS_RR_TYPE_A;
    if (ttext && parse_qtype(ttext, &qtype) != 0) {
        api_error(r, 400, "BadRequest", "type=%s is not a record type.", ttext);
        return;
    }
    struct policy_client cl = {0};
    if (ctext && *ctext && parse_client(ctext, &cl) != 0) {
        api_error(r, 400, "BadRequest",
                  "client=%s is not an IPv4 or IPv6 address (optionally /prefix).", ctext);
        return;
    }

    /* The question as a resolver would ask it over TCP: the client as the
     * source address, or as an ECS subnet when a shorter prefix is given. */
    uint8_t req[DNS_QUERY_MAKE_MAX];
    unsigned max = cl.family == AF_INET ? 32 : 128;
    bool ecs = cl.family && cl.prefix > 0 && cl.prefix < max;
    size_t req_len = dns_query_make(req, qname, (uint8_t)qlen, qtype,
                                    ecs ? (cl.family == AF_INET ? 1 : 2) : 0, cl.prefix, cl.addr);
    struct sockaddr_storage source = {0};
    if (cl.family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)&source;
        in->sin_family = AF_INET;
        memcpy(&in->sin_addr, cl.addr, 4);
    } else if (cl.family == AF_INET6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&source;
        in6->sin6_family = AF_INET6;
        memcpy(&in6->sin6_addr, cl.addr, 16);
    }

    /* Answered by the real pipeline, with its trace on. */
    const struct gtm_snapshot *s = atomic_load(&r->ctx->snap);
    uint64_t rng;
    if (getrandom(&rng, sizeof rng, GRND_NONBLOCK) != (ssize_t)sizeof rng)
        rng = (uint64_t)(uintptr_t)&rng ^ s->generation;
    struct dns_view *view = calloc(1, sizeof *view);
    struct dns_trace *trace = calloc(1, sizeof *trace);
    uint8_t *resp = malloc(DNS_TCP_MAX);
    size_t resp_len = 0;
    ldns_pkt *pkt = NULL;
    if (view && trace && resp) {
        dns_view_init(view, s, &rng, NULL, NULL);
        view->client = cl.family ? (const struct sockaddr *)&source : NULL;
        view->trace = trace;
        resp_len = dns_handle(view, req, req_len, DNS_PROTO_TCP, resp, DNS_TCP_MAX);
    }
    if (resp_len == 0 || ldns_wire2pkt(&pkt, resp, resp_len) != LDNS_STATUS_OK) {
        api_error(r, 500, "InternalServerError", "The query could not be answered.");
        goto done;
    }

    uint16_t rcode = (uint16_t)ldns_pkt_get_rcode(pkt);
    char qtext[DNAME_MAXLEN * 4 + 2], ctextbuf[INET6_ADDRSTRLEN + 8], rbuf[16];
    char *type_name = ldns_rr_type2str((ldns_rr_type)qtype);
    json_t *out = json_pack("{s:s,s:s,s:s,s:s}", "name", dname_to_text(qname, qtext, sizeof qtext),
                            "type", type_name ? type_name : "?", "client",
                            policy_client_text(&cl, ctextbuf, sizeof ctextbuf), "rcode",
                            rcode_text(rcode, rbuf, sizeof rbuf));
    if (!trace->looked || rcode == LDNS_RCODE_REFUSED) {
        /* An answer with no records: no lookup, or a name outside the zones. */
        char why[128];
        if (trace->looked)
            snprintf(why, sizeof why, "the name is in none of gtmd's zones");
        else
            snprintf(why, sizeof why, "a query of type %s gets %s for any name, with no records",
                     type_name ? type_name : "?", rcode_text(rcode, rbuf, sizeof rbuf));
        free(type_name);
        json_object_set_new(out, "reason", json_string(why));
        api_reply_json(r, 200, out);
        goto done;
    }
    free(type_name);
    json_object_set_new(out, "authoritative", json_boolean(ldns_pkt_aa(pkt)));
    json_object_set_new(out, "ecsScope", json_integer(trace->ecs_scope));
    if (trace->alias)
        json_object_set_new(
            out, "alias",
            alias_json(trace->alias, trace, ldns_rr_list_rr_count(ldns_pkt_answer(pkt)) == 0));
    json_object_set_new(out, "answer", section_json(ldns_pkt_answer(pkt)));
    json_object_set_new(out, "authority", section_json(ldns_pkt_authority(pkt)));
    json_object_set_new(out, "additional", section_json(ldns_pkt_additional(pkt)));

    /* Every traffic manager name on the way, and why its profile answered
     * as it did. */
    json_t *why = json_array();
    for (unsigned i = 0; i < trace->nsteps; i++) {
        const struct dns_trace_step *st = &trace->step[i];
        char fq[DNAME_MAXLEN * 4 + 2];
        json_t *x = json_pack("{s:s}", "name", dname_to_text(st->name, fq, sizeof fq));
        json_t *ex = policy_explain(st->level, s->health, trace->served, trace->nserved);
        json_object_update(x, ex);
        json_decref(ex);
        json_array_append_new(why, x);
    }
    if (r->ctx->fleet)
        add_fleet(r->ctx, s, why);
    json_object_set_new(out, "profiles", why);
    api_reply_json(r, 200, out);
done:
    ldns_pkt_free(pkt);
    free(resp);
    free(trace);
    free(view);
}

/* ---- fleet ---- */

/* resolve in fleet mode: each probed endpoint of the explained profiles
 * (list, and the child profiles nested in them) gets "fleet": every
 * node's verdict and the quorum, so that a disagreement shows. */
static void
add_fleet(const struct gtm_ctx *ctx, const struct gtm_snapshot *s, json_t *list)
{
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x)
    {
        const struct profile *p =
            snapshot_find_profile(s, json_string_value(json_object_get(x, "profile")));
        size_t k;
        json_t *ej;
        json_array_foreach(json_object_get(x, "endpoints"), k, ej)
        {
            const struct endpoint *e =
                p ? obs_find_endpoint(p, json_string_value(json_object_get(ej, "name"))) : NULL;
            if (e && e->health_idx != HEALTH_NONE)
                json_object_set_new(
                    ej, "fleet",
                    fleet_probe_json(ctx->fleet, monitor_key(ctx->monitor, e->health_idx)));
            json_t *child = json_object_get(ej, "child");
            if (json_is_object(child)) {
                json_t *one = json_array();
                json_array_append(one, child);
                add_fleet(ctx, s, one);
                json_decref(one);
            }
        }
    }
}

static void
fleet_route(struct api_req *r)
{
    if (r->method != EVHTTP_REQ_GET && r->method != EVHTTP_REQ_HEAD) {
        method_not_allowed(r, "GET");
        return;
    }
    if (!r->ctx->fleet) {
        api_error(r, 404, "NotFound", "This gtmd runs alone: no --etcd, no fleet.");
        return;
    }
    api_reply_json(r, 200, fleet_json(r->ctx->fleet));
}

/* ---- reload ---- */

static void
reload_error(void *arg, const char *file, unsigned line, const char *msg)
{
    char text[1024];
    if (line)
        snprintf(text, sizeof text, "%s:%u: error: %s", file, line, msg);
    else
        snprintf(text, sizeof text, "%s: error: %s", file, msg);
    json_array_append_new(arg,
                          json_pack("{s:s,s:s}", "code", "InvalidConfiguration", "message", text));
}

static void
reload(struct api_req *r)
{
    if (r->method != EVHTTP_REQ_POST) {
        method_not_allowed(r, "POST");
        return;
    }
    if (!r->can_write) {
        api_error(r, 403, "AuthorizationFailed", "Changes need a bearer token.");
        return;
    }
    json_t *details = json_array();
    struct config_errors errs = {0, reload_error, details};
    if (r->ctx->reload_now(r->ctx, &errs) != 0) {
        char msg[128];
        size_t n = json_array_size(details);
        snprintf(msg, sizeof msg, "%zu error%s; still serving the previous configuration", n,
                 n == 1 ? "" : "s");
        api_reply_json(r, 400,
                       json_pack("{s:{s:s,s:s,s:o}}", "error", "code", "InvalidConfiguration",
                                 "message", msg, "details", details));
        return;
    }
    json_decref(details);
    const struct gtm_snapshot *s = atomic_load(&r->ctx->snap);
    api_reply_json(r, 200,
                   json_pack("{s:s,s:I,s:i,s:i,s:i}", "result", "reloaded", "generation",
                             (json_int_t)s->generation, "profiles", (json_int_t)s->nprofiles,
                             "zones", (json_int_t)s->nzones, "probes", (json_int_t)s->nprobes));
}

bool
lab_route(struct api_req *r)
{
    if (!api_seg_is(r, 0, "gtmd") || !api_seg_is(r, 1, "v1"))
        return false;
    if (r->nseg == 3 && api_seg_is(r, 2, "status")) {
        if (r->method != EVHTTP_REQ_GET && r->method != EVHTTP_REQ_HEAD)
            method_not_allowed(r, "GET");
        else
            api_reply_json(r, 200, obs_status(r->ctx));
        return true;
    }
    if (r->nseg == 3 && api_seg_is(r, 2, "resolve")) {
        resolve(r);
        return true;
    }
    if (r->nseg == 3 && api_seg_is(r, 2, "fleet")) {
        fleet_route(r);
        return true;
    }
    if (r->nseg == 3 && api_seg_is(r, 2, "reload")) {
        reload(r);
        return true;
    }
    if (endpoint_route(r))
        return true;
    api_error(r, 404, "NotFound",
              "Unknown lab route: see /gtmd/v1/status, /gtmd/v1/resolve, /gtmd/v1/fleet and "
              "/gtmd/v1/profiles/{profile}/endpoints/{endpoint}/history|override.");
    return true;
}
