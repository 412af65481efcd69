/* render.c: the API's JSON as tables for people. */
#include "config.h"
#include "ctl/render.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ctl/table.h"
#include "gtm/compiler.h"

/* ---- helpers ---- */

const json_t *
json_prop(const json_t *obj, const char *key)
{
    const json_t *props = json_object_get(obj, "properties");
    if (json_is_object(props))
        return json_object_get(props, key);
    return json_object_get(obj, key);
}

char *
ctl_id_part(const char *id, const char *name, char *buf, size_t len)
{
    size_t nlen = strlen(name);
    for (const char *p = id ? strchr(id, '/') : NULL; p; p = strchr(p + 1, '/')) {
        if (strncasecmp(p + 1, name, nlen) != 0 || p[1 + nlen] != '/')
            continue;
        const char *v = p + 2 + nlen;
        size_t vlen = strcspn(v, "/");
        if (vlen == 0 || vlen >= len)
            return NULL;
        memcpy(buf, v, vlen);
        buf[vlen] = 0;
        return buf;
    }
    return NULL;
}

const char *
ctl_endpoint_kind(const char *type)
{
    const char *slash = type ? strrchr(type, '/') : NULL;
    if (!slash)
        return NULL;
    const char *k = slash + 1;
    if (strcasecmp(k, "externalEndpoints") == 0 || strcasecmp(k, "azureEndpoints") == 0 ||
        strcasecmp(k, "nestedEndpoints") == 0)
        return k;
    return NULL;
}

/* A JSON scalar as text in buf ("-" for null or absent, "" never). */
static const char *
text(const json_t *v, char *buf, size_t len)
{
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_integer(v))
        snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_real(v))
        snprintf(buf, len, "%g", json_real_value(v));
    else if (json_is_true(v))
        snprintf(buf, len, "yes");
    else if (json_is_false(v))
        snprintf(buf, len, "no");
    else
        snprintf(buf, len, "-");
    return buf;
}

/* The first of several names an object may give a field. */
static const json_t *
field(const json_t *obj, const char *const names[])
{
    for (size_t i = 0; names[i]; i++) {
        const json_t *v = json_prop(obj, names[i]);
        if (v && !json_is_null(v))
            return v;
    }
    return NULL;
}

#define FIELD(obj, ...) field(obj, (const char *const[]){__VA_ARGS__, NULL})

/* A time as the API gives it: an ISO 8601 string, or seconds since the
 * epoch (shown in UTC). */
static const char *
time_text(const json_t *v, char *buf, size_t len)
{
    if (json_is_number(v)) {
        time_t t = (time_t)json_number_value(v);
        struct tm tm;
        if (gmtime_r(&t, &tm) && strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
            return buf;
    }
    /* "2026-11-21T10:02:11.123Z" -> "2026-11-21T10:02:11Z": seconds are
     * enough in a table. */
    const char *s = json_string_value(v);
    const char *dot = s ? strchr(s, '.') : NULL;
    if (dot && dot - s < 32 && strspn(dot + 1, "0123456789") > 0 &&
        strcmp(dot + 1 + strspn(dot + 1, "0123456789"), "Z") == 0) {
        snprintf(buf, len, "%.*sZ", (int)(dot - s), s);
        return buf;
    }
    return text(v, buf, len);
}

/* A latency in milliseconds ("12 ms", "0.4 ms"). */
static const char *
ms_text(const json_t *v, char *buf, size_t len)
{
    if (!json_is_number(v))
        return text(v, buf, len);
    double ms = json_number_value(v);
    if (ms < 10 && ms != (double)(long long)ms)
        snprintf(buf, len, "%.1f ms", ms);
    else
        snprintf(buf, len, "%.0f ms", ms);
    return buf;
}

static const char *
short_kind(const char *type)
{
    const char *k = ctl_endpoint_kind(type);
    if (!k)
        return type;
    if (strncasecmp(k, "external", 8) == 0)
        return "external";
    if (strncasecmp(k, "azure", 5) == 0)
        return "azure";
    return "nested";
}

void
render_json(const json_t *j, FILE *out)
{
    json_dumpf(j, out, JSON_INDENT(2));
    fputc('\n', out);
}

/* ---- ARM views ---- */

void
render_profiles(const json_t *list, FILE *out)
{
    static const char *const head[] = {"NAME", "RESOURCE GROUP", "ROUTING", "STATUS", "MONITOR",
                                       "TTL",  "ENDPOINTS",      "FQDN"};
    struct table *t = table_new(8, head);
    const json_t *value = json_is_array(list) ? list : json_object_get(list, "value");
    size_t i;
    const json_t *p;
    json_array_foreach(value, i, p)
    {
        char rgbuf[256], ttl[32], n[32];
        const char *rg = ctl_id_part(json_string_value(json_object_get(p, "id")), "resourceGroups",
                                     rgbuf, sizeof rgbuf);
        if (!rg)
            rg = json_string_value(json_object_get(p, "resourceGroup"));
        const json_t *dns = json_prop(p, "dnsConfig");
        const json_t *mon = json_prop(p, "monitorConfig");
        const json_t *eps = json_prop(p, "endpoints");
        snprintf(n, sizeof n, "%zu", json_array_size(eps));
        const char *row[] = {
            json_string_value(json_object_get(p, "name")),
            rg,
            json_string_value(json_prop(p, "trafficRoutingMethod")),
            json_string_value(json_prop(p, "profileStatus")),
            json_string_value(json_prop(mon, "profileMonitorStatus")),
            text(json_prop(dns, "ttl"), ttl, sizeof ttl),
            n,
            json_string_value(json_prop(dns, "fqdn")),
        };
        table_add(t, row);
    }
    table_print(t, out);
    table_free(t);
}

void
render_endpoints(const json_t *profile, FILE *out)
{
    static const char *const head[] = {"NAME",    "TYPE",     "TARGET", "STATUS",
                                       "MONITOR", "PRIORITY", "WEIGHT", "LOCATION"};
    struct table *t = table_new(8, head);
    const json_t *eps = json_is_array(profile) ? profile : json_prop(profile, "endpoints");
    size_t i;
    const json_t *e;
    json_array_foreach(eps, i, e)
    {
        char prio[32], weight[32];
        /* A nested or Azure endpoint names a resource: its last segment is
         * enough to read the table. */
        const char *target = json_string_value(json_prop(e, "target"));
        const char *rid = json_string_value(json_prop(e, "targetResourceId"));
        if (!target && rid)
            target = strrchr(rid, '/') && strrchr(rid, '/')[1] ? strrchr(rid, '/') + 1 : rid;
        const char *row[] = {
            json_string_value(json_object_get(e, "name")),
            short_kind(json_string_value(json_object_get(e, "type"))),
            target,
            json_string_value(json_prop(e, "endpointStatus")),
            json_string_value(json_prop(e, "endpointMonitorStatus")),
            text(json_prop(e, "priority"), prio, sizeof prio),
            text(json_prop(e, "weight"), weight, sizeof weight),
            json_string_value(json_prop(e, "endpointLocation")),
        };
        table_add(t, row);
    }
    table_print(t, out);
    table_free(t);
}

/* ---- lab views ---- */

size_t
render_status(const json_t *status, const char *profile, FILE *out)
{
    static const char *const head[] = {"PROFILE", "ENDPOINT", "STATUS",  "STATE",   "LAST",
                                       "LATENCY", "FAILS",    "CHANGED", "OVERRIDE"};
    struct table *t = table_new(9, head);
    const json_t *profiles = json_is_array(status) ? status : json_object_get(status, "profiles");
    size_t shown = 0, i;
    const json_t *p;
    json_array_foreach(profiles, i, p)
    {
        const char *pname = json_string_value(json_object_get(p, "name"));
        if (profile && (!pname || strcasecmp(pname, profile) != 0))
            continue;
        shown++;
        size_t k;
        const json_t *e;
        json_array_foreach(json_object_get(p, "endpoints"), k, e)
        {
            /* probe is null for endpoints that are not probed (disabled,
             * nested, alwaysServe). */
            const json_t *probe = json_object_get(e, "probe");
            char lat[32], fails[32], chg[64];
            const char *row[] = {
                pname,
                json_string_value(json_object_get(e, "name")),
                json_string_value(json_object_get(e, "endpointStatus")),
                json_string_value(json_object_get(e, "endpointMonitorStatus")),
                json_string_value(json_object_get(probe, "lastResult")),
                ms_text(json_object_get(probe, "latencyMs"), lat, sizeof lat),
                text(json_object_get(probe, "failures"), fails, sizeof fails),
                time_text(json_object_get(probe, "lastChange"), chg, sizeof chg),
                json_string_value(json_object_get(probe, "override")),
            };
            table_add(t, row);
        }
    }
    if (shown || !profile)
        table_print(t, out);
    table_free(t);
    return shown;
}

void
render_history(const json_t *history, FILE *out)
{
    static const char *const head[] = {"TIME", "FROM", "TO", "FAILS", "REASON"};
    struct table *t = table_new(5, head);
    const json_t *items =
        json_is_array(history) ? history : FIELD(history, "history", "transitions", "value");
    size_t i;
    const json_t *h;
    json_array_foreach(items, i, h)
    {
        char when[64], fails[32];
        const char *row[] = {
            time_text(json_object_get(h, "time"), when, sizeof when),
            json_string_value(json_object_get(h, "from")),
            json_string_value(json_object_get(h, "to")),
            text(json_object_get(h, "failures"), fails, sizeof fails),
            json_string_value(json_object_get(h, "reason")),
        };
        table_add(t, row);
    }
    table_print(t, out);
    table_free(t);
}

GTM_PRINTF(2, 3)
static void
line(FILE *out, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    ctl_fputs_clean(buf, out);
    fputc('\n', out);
}

static const char *
str(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "-";
}

/* A section of records: NAME, TYPE, TTL, DATA. */
static void
records(const char *title, const json_t *rrs, FILE *out)
{
    if (json_array_size(rrs) == 0)
        return;
    static const char *const head[] = {"NAME", "TYPE", "TTL", "DATA"};
    struct table *t = table_new(4, head);
    size_t i;
    const json_t *rr;
    json_array_foreach(rrs, i, rr)
    {
        char ttl[32];
        const char *row[] = {str(rr, "name"), str(rr, "type"),
                             text(json_object_get(rr, "ttl"), ttl, sizeof ttl), str(rr, "data")};
        table_add(t, row);
    }
    line(out, "%s", title);
    table_print(t, out);
    table_free(t);
}

/* One profile of the explanation, and the child profiles it went through. */
static void
explained(const json_t *x, const char *via, unsigned depth, FILE *out)
{
    fputc('\n', out);
    const char *name = json_string_value(json_object_get(x, "name"));
    line(out, "profile %s%s%s%s%s: %s, monitor %s%s -> %s", str(x, "profile"), name ? " (" : "",
         name ? name : "", name ? ")" : "", via ? via : "", str(x, "method"),
         str(x, "profileMonitorStatus"),
         json_is_true(json_object_get(x, "bestEffort")) ? ", best effort" : "", str(x, "result"));
    line(out, "  %s", str(x, "reason"));
    static const char *const head[] = {"ENDPOINT", "STATUS",   "STATE",  "CANDIDATE",
                                       "SERVED",   "PRIORITY", "WEIGHT", "TARGET"};
    struct table *t = table_new(8, head);
    size_t i;
    const json_t *e;
    json_array_foreach(json_object_get(x, "endpoints"), i, e)
    {
        char cand[8], served[8], prio[32], weight[32];
        const char *target = json_string_value(json_object_get(e, "target"));
        const char *row[] = {
            str(e, "name"),
            str(e, "endpointStatus"),
            str(e, "status"),
            text(json_object_get(e, "candidate"), cand, sizeof cand),
            text(json_object_get(e, "served"), served, sizeof served),
            text(json_object_get(e, "priority"), prio, sizeof prio),
            text(json_object_get(e, "weight"), weight, sizeof weight),
            target ? target : json_string_value(json_object_get(e, "childProfile")),
        };
        table_add(t, row);
    }
    table_print(t, out);
    table_free(t);
    json_array_foreach(json_object_get(x, "endpoints"), i, e)
    {
        const json_t *child = json_object_get(e, "child");
        if (json_is_object(child) && depth < 8) {
            char v[512];
            snprintf(v, sizeof v, " via %s/%s", str(x, "profile"), str(e, "name"));
            explained(child, v, depth + 1, out);
        }
    }
}

void
render_resolve(const json_t *r, FILE *out)
{
    char scope[48] = "";
    json_int_t ecs = json_integer_value(json_object_get(r, "ecsScope"));
    if (ecs > 0 && ecs <= 128)
        snprintf(scope, sizeof scope, ", ECS scope /%d", (int)ecs);
    line(out, "%s %s for client %s: %s%s%s", str(r, "name"), str(r, "type"), str(r, "client"),
         str(r, "rcode"),
         json_is_true(json_object_get(r, "authoritative")) ? ", authoritative" : "", scope);
    const char *reason = json_string_value(json_object_get(r, "reason"));
    if (reason)
        line(out, "  %s", reason);
    const char *alias = json_string_value(json_object_get(json_object_get(r, "alias"), "reason"));
    if (alias)
        line(out, "  %s", alias);
    records("ANSWER", json_object_get(r, "answer"), out);
    records("AUTHORITY", json_object_get(r, "authority"), out);
    records("ADDITIONAL", json_object_get(r, "additional"), out);
    size_t i;
    const json_t *x;
    json_array_foreach(json_object_get(r, "profiles"), i, x)
    {
        explained(x, NULL, 0, out);
    }
}

void
render_override(const json_t *j, FILE *out)
{
    const char *p = json_string_value(json_object_get(j, "profile"));
    const char *e = json_string_value(json_object_get(j, "endpoint"));
    const char *forced = json_string_value(json_object_get(j, "override"));
    const char *probed = json_string_value(json_object_get(j, "probed"));
    const char *now = json_string_value(json_object_get(j, "endpointMonitorStatus"));
    char buf[1024];
    if (forced)
        snprintf(buf, sizeof buf, "%s/%s: monitor status forced %s (probes say %s)", p ? p : "-",
                 e ? e : "-", forced, probed && *probed ? probed : "-");
    else
        snprintf(buf, sizeof buf, "%s/%s: override cleared, monitor status %s", p ? p : "-",
                 e ? e : "-", now ? now : "-");
    ctl_fputs_clean(buf, out);
    fputc('\n', out);
    const json_t *shared = json_object_get(j, "sharedWith");
    if (json_array_size(shared)) {
        fputs("  the same probe, so the same state: ", out);
        size_t i;
        const json_t *s;
        json_array_foreach(shared, i, s)
        {
            if (i)
                fputs(", ", out);
            ctl_fputs_clean(json_string_value(s) ? json_string_value(s) : "-", out);
        }
        fputc('\n', out);
    }
}

void
render_reload(const json_t *j, FILE *out)
{
    char g[32], p[32], z[32], n[32];
    line(out, "%s (generation %s): profiles %s, zones %s, probes %s",
         json_string_value(json_object_get(j, "result")) ? str(j, "result") : "reloaded",
         text(json_object_get(j, "generation"), g, sizeof g),
         text(json_object_get(j, "profiles"), p, sizeof p),
         text(json_object_get(j, "zones"), z, sizeof z),
         text(json_object_get(j, "probes"), n, sizeof n));
}

void
render_fleet(const json_t *fleet, const json_t *status, FILE *out)
{
    static const char *const nhead[] = {"NODE", "VERSION", "API", "STARTED", "SELF"};
    struct table *t = table_new(5, nhead);
    const char *self = json_string_value(json_object_get(fleet, "node"));
    size_t i;
    const json_t *n;
    json_t *names = json_array();
    json_array_foreach(json_object_get(fleet, "nodes"), i, n)
    {
        char when[64];
        const char *name = json_string_value(json_object_get(n, "name"));
        json_t *started = json_object_get(n, "started");
        json_t *iso = NULL;
        if (json_is_integer(started)) {
            time_t secs = (time_t)(json_integer_value(started) / 1000);
            struct tm tm;
            char buf[32];
            if (gmtime_r(&secs, &tm) && strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm))
                iso = json_string(buf);
        }
        const char *row[] = {
            name,
            json_string_value(json_object_get(n, "version")),
            json_string_value(json_object_get(n, "api")),
            iso ? time_text(iso, when, sizeof when) : NULL,
            name && self && strcmp(name, self) == 0 ? "*" : "",
        };
        table_add(t, row);
        json_decref(iso);
        if (name)
            json_array_append_new(names, json_string(name));
    }
    const json_t *etcd = json_object_get(fleet, "etcd");
    line(out, "etcd %s (%s), revision %lld, quorum %s", str(etcd, "url"),
         json_is_true(json_object_get(etcd, "reachable")) ? "reachable" : "NOT reachable",
         (long long)json_integer_value(json_object_get(etcd, "revision")), str(fleet, "quorum"));
    table_print(t, out);
    table_free(t);
    fputc('\n', out);

    /* one column per node, at most what a table holds */
    const char *head[TABLE_MAX_COLS] = {"PROFILE", "ENDPOINT", "FLEET", "QUORUM"};
    unsigned ncols = 4;
    json_array_foreach(names, i, n)
    {
        if (ncols < TABLE_MAX_COLS)
            head[ncols++] = json_string_value(n);
    }
    struct table *v = table_new(ncols, head);
    size_t pi, ei;
    const json_t *p, *e;
    json_array_foreach(json_object_get(status, "profiles"), pi, p)
    {
        json_array_foreach(json_object_get(p, "endpoints"), ei, e)
        {
            const json_t *f = json_object_get(e, "fleet");
            if (!json_is_object(f))
                continue;
            char quorum[32];
            snprintf(quorum, sizeof quorum, "%lld/%lld",
                     (long long)json_integer_value(json_object_get(f, "degraded")),
                     (long long)json_integer_value(json_object_get(f, "quorum")));
            const char *row[TABLE_MAX_COLS] = {str(p, "name"), str(e, "name"), str(f, "state"),
                                               quorum};
            for (unsigned k = 4; k < ncols; k++)
                row[k] = str(json_object_get(json_object_get(f, "nodes"), head[k]), "state");
            table_add(v, row);
        }
    }
    table_print(v, out);
    table_free(v);
    json_decref(names);
}
