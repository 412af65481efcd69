/* profile.c: one Azure Traffic Manager profile document (ARM shape or the
 * flattened `az ... profile show` shape) -> a validated struct profile in an
 * arena. Every problem is reported with the document's own JSON path; all of
 * a document's errors are reported, not just the first. */
#include "config.h"
#include "gtm/profile.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <jansson.h>

#include "gtm/alloc.h"
#include "gtm/err.h"
#include "gtm/snapshot.h"

#define PATH_MAX_LEN 160
#define IPATH_LEN    (PATH_MAX_LEN + 32) /* a path with an index or a field added */

static const char *const method_names[] = {
    [ROUTE_PRIORITY] = "Priority",       [ROUTE_WEIGHTED] = "Weighted",
    [ROUTE_PERFORMANCE] = "Performance", [ROUTE_GEOGRAPHIC] = "Geographic",
    [ROUTE_MULTIVALUE] = "MultiValue",   [ROUTE_SUBNET] = "Subnet",
    [ROUTE_ROUNDROBIN] = "RoundRobin",
};

static const char *const status_names[] = {
    [EPS_CHECKING] = "CheckingEndpoint", [EPS_ONLINE] = "Online",     [EPS_DEGRADED] = "Degraded",
    [EPS_DISABLED] = "Disabled",         [EPS_INACTIVE] = "Inactive", [EPS_STOPPED] = "Stopped",
    [EPS_UNMONITORED] = "Unmonitored",
};

const char *
profile_method_name(enum routing_method m)
{
    if ((unsigned)m < GTM_ARRAY_LEN(method_names))
        return method_names[m];
    return "Unknown";
}

const char *
ep_status_name(enum ep_status s)
{
    if ((unsigned)s < GTM_ARRAY_LEN(status_names))
        return status_names[s];
    return "Unknown";
}

static const char *const onoff_names[] = {"Enabled", "Disabled"};
static const char *const proto_names[] = {
    [PROBE_HTTP] = "HTTP", [PROBE_HTTPS] = "HTTPS", [PROBE_TCP] = "TCP"};

/* ---- parse context, paths and messages ---- */

struct pctx {
    struct arena *a;
    const char *file;
    bool strict;
    struct config_errors *errs;
};

/* base + key as a JSON path: "a.b", "a[3]", or either alone when the other is empty. */
static void
path_join(char *out, size_t cap, const char *base, const char *key)
{
    if (!key || !*key)
        snprintf(out, cap, "%s", base);
    else if (!*base)
        snprintf(out, cap, "%s", key);
    else
        snprintf(out, cap, "%s%s%s", base, key[0] == '[' ? "" : ".", key);
}

GTM_PRINTF(5, 0)
static void
report(struct pctx *c, bool error, const char *base, const char *key, const char *fmt, va_list ap)
{
    char msg[400], path[IPATH_LEN + 96];
    vsnprintf(msg, sizeof msg, fmt, ap);
    path_join(path, sizeof path, base, key);
    if (error) {
        if (*path)
            config_error(c->errs, c->file, 0, "%s: %s", path, msg);
        else
            config_error(c->errs, c->file, 0, "%s", msg);
    } else {
        if (*path)
            config_warning(c->file, 0, "%s: %s", path, msg);
        else
            config_warning(c->file, 0, "%s", msg);
    }
}

/* fail: an error at base.key. */
GTM_PRINTF(4, 5)
static void
fail(struct pctx *c, const char *base, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(c, true, base, key, fmt, ap);
    va_end(ap);
}

/* warn: a warning at base.key. */
GTM_PRINTF(4, 5)
static void
warn(struct pctx *c, const char *base, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(c, false, base, key, fmt, ap);
    va_end(ap);
}

/* lab: something Azure rejects but a lab can use: an error with --strict, else a warning. */
GTM_PRINTF(4, 5)
static void
lab(struct pctx *c, const char *base, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(c, c->strict, base, key, fmt, ap);
    va_end(ap);
}

/* show: s made safe to print in a message (quoted by the caller): printable
 * ASCII kept, other bytes as \xNN, cut to about 64 characters. */
static const char *
show(const char *s, char *buf, size_t cap)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (o + 8 >= cap || o >= 64) {
            snprintf(buf + o, cap - o, "...");
            return buf;
        }
        if (*p >= 0x20 && *p < 0x7f && *p != '\\')
            buf[o++] = (char)*p;
        else
            o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", *p);
    }
    buf[o] = 0;
    return buf;
}

#define SHOW(s) show((s), (char[96]){0}, 96)

static const char *
type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a real number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "something else";
}

/* ---- typed member access: 1 present and well typed, 0 absent (or null), -1 reported ---- */

/* member: key's value in o, NULL when absent or null. The exact spelling
 * wins; otherwise a member of any case (ARM property names are
 * case-insensitive). */
static json_t *
member(const json_t *o, const char *key)
{
    if (!o)
        return NULL;
    json_t *v = json_object_get(o, key);
    if (!v) {
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)o, k, x)
        {
            if (strcasecmp(k, key) == 0) {
                v = x;
                break;
            }
        }
    }
    return v && !json_is_null(v) ? v : NULL;
}

enum want { W_STRING, W_INTEGER, W_OBJECT, W_ARRAY };

static const char *const want_names[] = {"a string", "an integer", "an object", "an array"};

static bool
has_type(const json_t *v, enum want w)
{
    switch (w) {
    case W_STRING:
        return json_is_string(v);
    case W_INTEGER:
        return json_is_integer(v);
    case W_OBJECT:
        return json_is_object(v);
    case W_ARRAY:
        return json_is_array(v);
    }
    return false;
}

/* check: v (already fetched, may be NULL) has type w. */
static int
check(struct pctx *c, const json_t *v, const char *base, const char *key, enum want w)
{
    if (!v)
        return 0;
    if (!has_type(v, w)) {
        fail(c, base, key, "expected %s, got %s", want_names[w], type_name(v));
        return -1;
    }
    return 1;
}

static int
get(struct pctx *c, const json_t *o, const char *base, const char *key, enum want w, json_t **out)
{
    *out = member(o, key);
    int r = check(c, *out, base, key, w);
    if (r < 0)
        *out = NULL;
    return r;
}

static int
get_str(struct pctx *c, const json_t *o, const char *base, const char *key, const char **out)
{
    json_t *v;
    int r = get(c, o, base, key, W_STRING, &v);
    if (r == 1)
        *out = json_string_value(v);
    return r;
}

/* get_int: an integer in [lo, hi]; *out untouched unless 1 is returned. */
static int
get_int(struct pctx *c, const json_t *o, const char *base, const char *key, long long lo,
        long long hi, long long *out)
{
    json_t *v;
    int r = get(c, o, base, key, W_INTEGER, &v);
    if (r != 1)
        return r;
    long long x = (long long)json_integer_value(v);
    if (x < lo || x > hi) {
        fail(c, base, key, "%lld out of range [%lld, %lld]", x, lo, hi);
        return -1;
    }
    *out = x;
    return 1;
}

/* get_enum: a string matching one of names (any case); *out its index. */
static int
get_enum(struct pctx *c, const json_t *o, const char *base, const char *key,
         const char *const *names, size_t n, int *out)
{
    const char *s;
    int r = get_str(c, o, base, key, &s);
    if (r != 1)
        return r;
    for (size_t i = 0; i < n; i++) {
        if (strcasecmp(s, names[i]) == 0) {
            *out = (int)i;
            return 1;
        }
    }
    char list[256];
    size_t o2 = 0;
    for (size_t i = 0; i < n && o2 < sizeof list; i++)
        o2 += (size_t)snprintf(list + o2, sizeof list - o2, "%s%s", i ? ", " : "", names[i]);
    fail(c, base, key, "'%s' is not one of %s", SHOW(s), list);
    return -1;
}

/* ---- value syntax ---- */

static bool
is_alnum(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

/* Profile names: 1..63 of [A-Za-z0-9-_.]. */
static bool
valid_profile_name(const char *s, size_t len)
{
    if (len < 1 || len > 63)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!is_alnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
            return false;
    return true;
}

/* DNS names: labels of 1..63 chars from [A-Za-z0-9-] (plus '_' when
 * underscore), at most 253 chars; a trailing dot only when absolute_ok. */
static bool
valid_dns_name(const char *s, bool underscore, bool absolute_ok)
{
    size_t len = strlen(s);
    if (absolute_ok && len > 1 && s[len - 1] == '.')
        len--;
    if (len < 1 || len > 253)
        return false;
    size_t label = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '.') {
            if (label == 0)
                return false;
            label = 0;
        } else if (is_alnum(ch) || ch == '-' || (underscore && ch == '_')) {
            if (++label > 63)
                return false;
        } else {
            return false;
        }
    }
    return label > 0;
}

/* parse_ip: an IPv4 or IPv6 literal -> family and bytes; 0 when not one. */
static int
parse_ip(const char *s, uint8_t out[16])
{
    memset(out, 0, 16);
    if (inet_pton(AF_INET, s, out) == 1)
        return AF_INET;
    if (inet_pton(AF_INET6, s, out) == 1)
        return AF_INET6;
    return 0;
}

static char *
lower_dup(struct arena *a, const char *s)
{
    char *d = arena_strdup(a, s);
    for (char *p = d; *p; p++)
        *p = (char)dname_lower((uint8_t)*p);
    return d;
}

/* ---- monitorConfig and headers ---- */

static bool
is_tchar(unsigned char ch)
{
    return is_alnum(ch) || (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* customHeaders: [{name, value}], at most 8, no header injection. */
static void
parse_headers(struct pctx *c, const json_t *o, const char *base, struct header_kv *out, uint8_t *n)
{
    json_t *arr;
    char hpath[PATH_MAX_LEN];
    *n = 0;
    if (get(c, o, base, "customHeaders", W_ARRAY, &arr) != 1)
        return;
    path_join(hpath, sizeof hpath, base, "customHeaders");
    size_t count = json_array_size(arr);
    if (count > PROFILE_MAX_HEADERS)
        fail(c, hpath, NULL, "at most %d headers, got %zu", PROFILE_MAX_HEADERS, count);
    for (size_t i = 0; i < count; i++) {
        char ipath[IPATH_LEN];
        snprintf(ipath, sizeof ipath, "%s[%zu]", hpath, i);
        json_t *h = json_array_get(arr, i);
        if (!json_is_object(h)) {
            fail(c, ipath, NULL, "expected an object, got %s", type_name(h));
            continue;
        }
        const char *name = NULL, *value = NULL;
        bool ok = true;
        int r = get_str(c, h, ipath, "name", &name);
        if (r == 0)
            fail(c, ipath, "name", "required");
        if (r == 1) {
            bool token = *name != 0;
            for (const char *p = name; *p; p++)
                token = token && is_tchar((unsigned char)*p);
            if (!token) {
                fail(c, ipath, "name", "'%s' is not a valid HTTP header name", SHOW(name));
                ok = false;
            }
        }
        r = get_str(c, h, ipath, "value", &value);
        if (r == 0)
            fail(c, ipath, "value", "required");
        if (r == 1) {
            if (strpbrk(value, "\r\n")) {
                fail(c, ipath, "value", "contains CR or LF (header injection)");
                ok = false;
            } else {
                for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
                    if ((*p < 0x20 && *p != '\t') || *p == 0x7f) {
                        fail(c, ipath, "value", "contains a control character");
                        ok = false;
                        break;
                    }
                }
            }
        }
        if (!ok || !name || !value)
            continue;
        for (size_t j = 0; j < *n; j++) {
            if (strcasecmp(out[j].name, name) == 0) {
                fail(c, ipath, "name", "header '%s' is given twice", SHOW(name));
                ok = false;
                break;
            }
        }
        if (ok && *n < PROFILE_MAX_HEADERS) {
            out[*n].name = arena_strdup(c->a, name);
            out[*n].value = arena_strdup(c->a, value);
            (*n)++;
        }
    }
}

static void
parse_ranges(struct pctx *c, const json_t *arr, const char *rpath, struct monitor_config *m)
{
    size_t count = json_array_size(arr);
    if (count > PROFILE_MAX_RANGES)
        fail(c, rpath, NULL, "at most %d ranges, got %zu", PROFILE_MAX_RANGES, count);
    uint8_t n = 0;
    for (size_t i = 0; i < count; i++) {
        char ipath[IPATH_LEN];
        snprintf(ipath, sizeof ipath, "%s[%zu]", rpath, i);
        json_t *r = json_array_get(arr, i);
        if (!json_is_object(r)) {
            fail(c, ipath, NULL, "expected an object, got %s", type_name(r));
            continue;
        }
        long long lo = 0, hi = 0;
        int r1 = get_int(c, r, ipath, "min", 100, 599, &lo);
        int r2 = get_int(c, r, ipath, "max", 100, 599, &hi);
        if (r1 == 0)
            fail(c, ipath, "min", "required");
        if (r2 == 0)
            fail(c, ipath, "max", "required");
        if (r1 != 1 || r2 != 1)
            continue;
        if (lo > hi) {
            fail(c, ipath, NULL, "min %lld is greater than max %lld", lo, hi);
            continue;
        }
        if (n < PROFILE_MAX_RANGES)
            m->ranges[n++] = (struct status_range){(uint16_t)lo, (uint16_t)hi};
    }
    if (n)
        m->nranges = n;
}

static void
parse_monitor(struct pctx *c, const json_t *props, const char *pbase, struct monitor_config *m)
{
    json_t *mon;
    char mp[PATH_MAX_LEN];
    path_join(mp, sizeof mp, pbase, "monitorConfig");
    get(c, props, pbase, "monitorConfig", W_OBJECT, &mon);

    int proto = PROBE_HTTP;
    get_enum(c, mon, mp, "protocol", proto_names, GTM_ARRAY_LEN(proto_names), &proto);
    m->protocol = (enum probe_proto)proto;
    bool tcp = m->protocol == PROBE_TCP;

    long long port = m->protocol == PROBE_HTTPS ? 443 : 80;
    int r = get_int(c, mon, mp, "port", 1, 65535, &port);
    if (r == 0 && tcp)
        fail(c, mp, "port", "required for protocol TCP");
    m->port = (uint16_t)port;

    const char *path = NULL;
    r = get_str(c, mon, mp, "path", &path);
    if (tcp) {
        if (r == 1 && *path)
            lab(c, mp, "path", "not used with protocol TCP");
        m->path = NULL;
    } else if (r == 1) {
        bool ok = path[0] == '/';
        for (const unsigned char *p = (const unsigned char *)path; ok && *p; p++)
            ok = *p > 0x20 && *p != 0x7f;
        if (!ok)
            fail(c, mp, "path",
                 "'%s' is not a URL path (it must start with '/' and hold no "
                 "spaces or control characters)",
                 SHOW(path));
        m->path = arena_strdup(c->a, path);
    } else {
        m->path = "/";
    }

    long long iv = 30;
    r = get_int(c, mon, mp, "intervalInSeconds", 1, 3600, &iv);
    bool azure_iv = iv == 10 || iv == 30;
    if (r == 1 && !azure_iv)
        lab(c, mp, "intervalInSeconds", "%lld is not one of Azure's intervals (10, 30)", iv);
    m->interval_s = (uint32_t)iv;

    long long to = iv == 10 ? 9 : iv < 10 ? iv : 10;
    r = get_int(c, mon, mp, "timeoutInSeconds", 1, 3600, &to);
    if (r == 1) {
        if (azure_iv) {
            long long hi = iv == 10 ? 9 : 10;
            if (to < 5 || to > hi)
                lab(c, mp, "timeoutInSeconds",
                    "%lld out of range [5, %lld] for intervalInSeconds %lld", to, hi, iv);
        } else if (to > iv && !c->strict) {
            warn(c, mp, "timeoutInSeconds", "%lld is longer than intervalInSeconds %lld", to, iv);
        }
    }
    m->timeout_s = (uint32_t)to;

    long long tol = -1;
    get_int(c, mon, mp, "toleratedNumberOfFailures", 0, 9, &tol);
    m->tolerated = (int)tol;

    m->nranges = 1;
    m->ranges[0] = (struct status_range){200, 200};
    json_t *ranges;
    if (get(c, mon, mp, "expectedStatusCodeRanges", W_ARRAY, &ranges) == 1 &&
        json_array_size(ranges) > 0) {
        char rpath[PATH_MAX_LEN];
        path_join(rpath, sizeof rpath, mp, "expectedStatusCodeRanges");
        if (tcp)
            lab(c, rpath, NULL, "only used with protocol HTTP or HTTPS");
        else
            parse_ranges(c, ranges, rpath, m);
    }

    parse_headers(c, mon, mp, m->headers, &m->nheaders);
}

/* ---- endpoints ---- */

static const char *const kind_names[] = {[EP_AZURE] = "azureEndpoints",
                                         [EP_EXTERNAL] = "externalEndpoints",
                                         [EP_NESTED] = "nestedEndpoints"};

/* Per-endpoint facts needed by the checks across endpoints. */
struct ep_aux {
    char path[IPATH_LEN];       /* "properties.endpoints[3]" */
    char ppath[IPATH_LEN + 16]; /* where its properties live: path or path + ".properties" */
    bool has_priority, gave_priority;
    bool ok_name;
    bool broken; /* not an object, or bad properties: left out of the checks across endpoints */
};

static int
parse_kind(const char *s, enum endpoint_kind *out)
{
    static const char prefix[] = "Microsoft.Network/trafficManagerProfiles/";
    if (strncasecmp(s, prefix, sizeof prefix - 1) == 0)
        s += sizeof prefix - 1;
    for (size_t i = 0; i < GTM_ARRAY_LEN(kind_names); i++) {
        if (strcasecmp(s, kind_names[i]) == 0) {
            *out = (enum endpoint_kind)i;
            return 0;
        }
    }
    return -1;
}

static bool
valid_endpoint_name(const char *s)
{
    size_t len = strlen(s);
    if (len < 1 || len > 260)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f || strchr("/\\?#", *p))
            return false;
    return true;
}

static void
parse_target(struct pctx *c, const json_t *props, const char *pp, struct endpoint *e)
{
    const char *t = NULL;
    int r = get_str(c, props, pp, "target", &t);
    if (e->kind == EP_NESTED) {
        e->tkind = TARGET_NONE; /* the child profile answers */
        return;
    }
    if (r == 0) {
        if (e->kind == EP_AZURE)
            fail(c, pp, "target",
                 "required: gtmd cannot resolve Azure resource IDs (targetResourceId); give "
                 "the resource's DNS name or address as target");
        else
            fail(c, pp, "target", "required for external endpoints");
    }
    if (r != 1)
        return;
    int fam = parse_ip(t, e->addr);
    if (fam == AF_INET) {
        e->tkind = TARGET_IPV4;
    } else if (fam == AF_INET6) {
        e->tkind = TARGET_IPV6;
    } else {
        uint8_t wire[DNAME_MAXLEN];
        int len;
        if (!valid_dns_name(t, true, true) || (len = dname_from_text(t, wire)) < 0) {
            fail(c, pp, "target", "'%s' is not an IPv4 address, an IPv6 address or a host name",
                 SHOW(t));
            return;
        }
        e->tkind = TARGET_NAME;
        e->target_wire = arena_memdup(c->a, wire, (size_t)len);
        e->target_wire_len = (uint8_t)len;
    }
    e->target = arena_strdup(c->a, t);
}

static void
parse_location(struct pctx *c, const json_t *props, const char *pp, struct endpoint *e)
{
    const char *s;
    if (get_str(c, props, pp, "endpointLocation", &s) != 1)
        return;
    char *d = arena_alloc(c->a, strlen(s) + 1);
    size_t o = 0;
    bool ok = true;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == ' ')
            continue;
        if (!is_alnum(*p) && *p != '-' && *p != '_' && *p != '.')
            ok = false;
        d[o++] = (char)dname_lower(*p);
    }
    if (!ok || o == 0 || o > 64) {
        fail(c, pp, "endpointLocation", "'%s' is not a region name", SHOW(s));
        return;
    }
    e->location = d;
}

static void
parse_geo(struct pctx *c, const json_t *props, const char *pp, struct endpoint *e)
{
    json_t *arr;
    if (get(c, props, pp, "geoMapping", W_ARRAY, &arr) != 1)
        return;
    size_t count = json_array_size(arr);
    const char **v = arena_alloc(c->a, (count ? count : 1) * sizeof *v);
    uint16_t n = 0;
    for (size_t i = 0; i < count; i++) {
        char ipath[IPATH_LEN];
        snprintf(ipath, sizeof ipath, "%s.geoMapping[%zu]", pp, i);
        json_t *g = json_array_get(arr, i);
        if (!json_is_string(g)) {
            fail(c, ipath, NULL, "expected a string, got %s", type_name(g));
            continue;
        }
        const char *s = json_string_value(g);
        size_t len = strlen(s);
        bool ok = len >= 1 && len <= 16;
        for (size_t k = 0; ok && k < len; k++)
            ok = is_alnum((unsigned char)s[k]) || s[k] == '-';
        if (!ok) {
            fail(c, ipath, NULL, "'%s' is not a region code", SHOW(s));
            continue;
        }
        char *u = arena_strdup(c->a, s);
        for (char *p = u; *p; p++)
            if (*p >= 'a' && *p <= 'z')
                *p = (char)(*p - 32);
        if (n < UINT16_MAX)
            v[n++] = u;
    }
    e->geo = v;
    e->ngeo = n;
}

static int
addr_cmp(const uint8_t *a, const uint8_t *b, int family)
{
    return memcmp(a, b, family == AF_INET ? 4 : 16);
}

static const char *
addr_text(int family, const uint8_t *a, char *buf, size_t cap)
{
    if (!inet_ntop(family, a, buf, (socklen_t)cap))
        snprintf(buf, cap, "?");
    return buf;
}

static bool
parse_subnet(struct pctx *c, const json_t *s, const char *ipath, struct subnet_range *out)
{
    const char *first = NULL, *last = NULL;
    long long scope = -1;
    int rf = get_str(c, s, ipath, "first", &first);
    int rl = get_str(c, s, ipath, "last", &last);
    json_t *sv;
    int rs = get(c, s, ipath, "scope", W_INTEGER, &sv);
    if (rs == 1)
        scope = (long long)json_integer_value(sv);
    if (rf == 0)
        fail(c, ipath, "first", "required");
    if (rf != 1 || rl < 0 || rs < 0)
        return false;
    int fam = parse_ip(first, out->first);
    if (!fam) {
        fail(c, ipath, "first", "'%s' is not an IPv4 or IPv6 address", SHOW(first));
        return false;
    }
    out->family = (uint8_t)fam;
    int bits = fam == AF_INET ? 32 : 128;
    size_t alen = fam == AF_INET ? 4 : 16;
    char t1[INET6_ADDRSTRLEN], t2[INET6_ADDRSTRLEN];
    memcpy(out->last, out->first, 16);
    if (rs == 1) {
        if (scope < 0 || scope > bits) {
            fail(c, ipath, "scope", "%lld out of range [0, %d]", scope, bits);
            return false;
        }
        uint8_t net[16] = {0};
        for (size_t i = 0; i < alen; i++) {
            int keep = (int)scope - (int)i * 8;
            uint8_t mask = keep >= 8 ? 0xff : keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
            net[i] = out->first[i] & mask;
            out->last[i] = (uint8_t)(out->first[i] | (uint8_t)~mask);
        }
        if (memcmp(net, out->first, alen) != 0) {
            fail(c, ipath, "first", "%s is not the network address of its /%lld (%s)",
                 addr_text(fam, out->first, t1, sizeof t1), scope,
                 addr_text(fam, net, t2, sizeof t2));
            return false;
        }
    }
    if (rl == 1) {
        uint8_t l[16];
        int lfam = parse_ip(last, l);
        if (!lfam) {
            fail(c, ipath, "last", "'%s' is not an IPv4 or IPv6 address", SHOW(last));
            return false;
        }
        if (lfam != fam) {
            fail(c, ipath, "last", "%s is not of the same address family as first", SHOW(last));
            return false;
        }
        if (rs == 1) {
            if (addr_cmp(l, out->last, fam) != 0) {
                fail(c, ipath, "last", "%s does not match first/scope (%s)", SHOW(last),
                     addr_text(fam, out->last, t1, sizeof t1));
                return false;
            }
        } else {
            if (addr_cmp(out->first, l, fam) > 0) {
                fail(c, ipath, NULL, "first %s is greater than last %s",
                     addr_text(fam, out->first, t1, sizeof t1), addr_text(fam, l, t2, sizeof t2));
                return false;
            }
            memcpy(out->last, l, 16);
        }
    }
    return true;
}

static void
parse_subnets(struct pctx *c, const json_t *props, const char *pp, struct endpoint *e)
{
    json_t *arr;
    if (get(c, props, pp, "subnets", W_ARRAY, &arr) != 1)
        return;
    size_t count = json_array_size(arr);
    struct subnet_range *v = arena_alloc(c->a, (count ? count : 1) * sizeof *v);
    uint16_t n = 0;
    for (size_t i = 0; i < count; i++) {
        char ipath[IPATH_LEN];
        snprintf(ipath, sizeof ipath, "%s.subnets[%zu]", pp, i);
        json_t *s = json_array_get(arr, i);
        if (!json_is_object(s)) {
            fail(c, ipath, NULL, "expected an object, got %s", type_name(s));
            continue;
        }
        if (parse_subnet(c, s, ipath, &v[n]) && n < UINT16_MAX)
            n++;
    }
    e->subnets = v;
    e->nsubnets = n;
}

static void
parse_endpoint(struct pctx *c, const json_t *ev, struct endpoint *e, struct ep_aux *x, size_t pos)
{
    const char *name;
    int r = get_str(c, ev, x->path, "name", &name);
    if (r == 0)
        fail(c, x->path, "name", "required");
    if (r == 1) {
        if (valid_endpoint_name(name)) {
            e->name = arena_strdup(c->a, name);
            x->ok_name = true;
        } else {
            fail(c, x->path, "name",
                 "'%s' is not a valid endpoint name (1 to 260 characters, no control "
                 "characters, '/', '\\', '?' or '#')",
                 SHOW(name));
        }
    }

    const char *type;
    e->kind = EP_EXTERNAL;
    r = get_str(c, ev, x->path, "type", &type);
    if (r == 0 && c->strict)
        fail(c, x->path, "type", "required");
    if (r == 1 && parse_kind(type, &e->kind) != 0)
        fail(c, x->path, "type",
             "'%s' is not an endpoint type (Microsoft.Network/trafficManagerProfiles/"
             "azureEndpoints, externalEndpoints or nestedEndpoints)",
             SHOW(type));

    json_t *props = member(ev, "properties");
    if (props && !json_is_object(props)) {
        check(c, props, x->path, "properties", W_OBJECT);
        x->broken = true;
        return;
    }
    if (props)
        snprintf(x->ppath, sizeof x->ppath, "%s.properties", x->path);
    else
        snprintf(x->ppath, sizeof x->ppath, "%s", x->path);
    const json_t *p = props ? props : ev;
    const char *pp = x->ppath;

    parse_target(c, p, pp, e);

    int st = 0;
    get_enum(c, p, pp, "endpointStatus", onoff_names, 2, &st);
    e->enabled = st == 0;
    int as = 1;
    if (get_enum(c, p, pp, "alwaysServe", onoff_names, 2, &as) == 1 && as == 0 &&
        e->kind == EP_NESTED) {
        lab(c, pp, "alwaysServe", "cannot be used on nested endpoints");
        as = 1;
    }
    e->always_serve = as == 0;

    long long prio = pos + 1 > 1000 ? 1000 : (long long)pos + 1;
    int rp = get_int(c, p, pp, "priority", 1, 1000, &prio);
    x->has_priority = rp == 1;
    x->gave_priority = rp != 0; /* even when wrong: no "required" on top */
    e->priority = (uint16_t)prio;
    long long weight = 1;
    get_int(c, p, pp, "weight", 1, 1000, &weight);
    e->weight = (uint16_t)weight;

    parse_location(c, p, pp, e);
    parse_geo(c, p, pp, e);
    parse_subnets(c, p, pp, e);

    const char *rid;
    r = get_str(c, p, pp, "targetResourceId", &rid);
    if (e->kind == EP_NESTED) {
        if (r == 0)
            fail(c, pp, "targetResourceId", "required for nested endpoints");
        if (r == 1) {
            const char *slash = strrchr(rid, '/');
            const char *child = slash ? slash + 1 : rid;
            if (!*child)
                fail(c, pp, "targetResourceId", "'%s' does not end with a profile name", SHOW(rid));
            else
                e->child = arena_strdup(c->a, child);
        }
    }

    long long mc = 1, m4 = 0, m6 = 0;
    get_int(c, p, pp, "minChildEndpoints", 1, 2147483647, &mc);
    get_int(c, p, pp, "minChildEndpointsIPv4", 0, 2147483647, &m4);
    get_int(c, p, pp, "minChildEndpointsIPv6", 0, 2147483647, &m6);
    e->min_child = (uint32_t)mc;
    e->min_child_v4 = (uint32_t)m4;
    e->min_child_v6 = (uint32_t)m6;

    parse_headers(c, p, pp, e->headers, &e->nheaders);

    e->health_idx = HEALTH_NONE;
    e->rrset = NULL;
    e->child_profile = NULL;
}

/* ---- checks across endpoints ---- */

struct key_item {
    const char *key;
    uint32_t ep, sub;
};

static int
key_cmp(const void *pa, const void *pb)
{
    const struct key_item *a = pa, *b = pb;
    int d = strcasecmp(a->key, b->key);
    if (d)
        return d;
    return a->ep < b->ep ? -1 : a->ep > b->ep ? 1 : (a->sub > b->sub) - (a->sub < b->sub);
}

static void
check_names(struct pctx *c, const struct endpoint *v, const struct ep_aux *x, size_t n)
{
    struct key_item *k = xcalloc(n ? n : 1, sizeof *k);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (x[i].ok_name)
            k[m++] = (struct key_item){v[i].name, (uint32_t)i, 0};
    if (m > 1) /* qsort(NULL, 0) is undefined */
        qsort(k, m, sizeof *k, key_cmp);
    for (size_t i = 1, first = 0; i < m; i++) {
        if (strcasecmp(k[i].key, k[first].key) != 0) {
            first = i;
            continue;
        }
        fail(c, x[k[i].ep].path, "name", "'%s' is also the name of %s", SHOW(k[i].key),
             x[k[first].ep].path);
    }
    free(k);
}

static void
check_geo(struct pctx *c, const struct endpoint *v, const struct ep_aux *x, size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += v[i].ngeo;
    struct key_item *k = xcalloc(total ? total : 1, sizeof *k);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        for (uint16_t j = 0; j < v[i].ngeo; j++)
            k[m++] = (struct key_item){v[i].geo[j], (uint32_t)i, j};
    if (m > 1) /* qsort(NULL, 0) is undefined */
        qsort(k, m, sizeof *k, key_cmp);
    for (size_t i = 1, first = 0; i < m; i++) {
        if (strcmp(k[i].key, k[first].key) != 0) {
            first = i;
            continue;
        }
        char path[IPATH_LEN + 64];
        snprintf(path, sizeof path, "%s.geoMapping[%u]", x[k[i].ep].ppath, k[i].sub);
        if (k[i].ep == k[first].ep)
            lab(c, path, NULL, "'%s' is listed twice", k[i].key);
        else
            fail(c, path, NULL, "'%s' is already mapped to %s", k[i].key, x[k[first].ep].path);
    }
    free(k);
}

struct net_item {
    const struct subnet_range *r;
    uint32_t ep, sub;
};

static int
net_cmp(const void *pa, const void *pb)
{
    const struct net_item *a = pa, *b = pb;
    if (a->r->family != b->r->family)
        return a->r->family < b->r->family ? -1 : 1;
    int d = addr_cmp(a->r->first, b->r->first, a->r->family);
    if (d)
        return d;
    return a->ep < b->ep ? -1 : a->ep > b->ep ? 1 : (a->sub > b->sub) - (a->sub < b->sub);
}

/* Subnets of different endpoints must not overlap: one sweep over the
 * ranges sorted by start, keeping the furthest-reaching range, and the
 * furthest-reaching one of any other endpoint. */
static void
check_subnets(struct pctx *c, const struct endpoint *v, const struct ep_aux *x, size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += v[i].nsubnets;
    struct net_item *k = xcalloc(total ? total : 1, sizeof *k);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        for (uint16_t j = 0; j < v[i].nsubnets; j++)
            k[m++] = (struct net_item){&v[i].subnets[j], (uint32_t)i, j};
    if (m > 1) /* qsort(NULL, 0) is undefined */
        qsort(k, m, sizeof *k, net_cmp);
    const struct net_item *best = NULL, *other = NULL;
    for (size_t i = 0; i < m; i++) {
        const struct net_item *it = &k[i];
        int fam = it->r->family;
        if (best && best->r->family != fam)
            best = other = NULL;
        const struct net_item *hit = NULL;
        if (best && best->ep != it->ep && addr_cmp(it->r->first, best->r->last, fam) <= 0)
            hit = best;
        else if (other && other->ep != it->ep && addr_cmp(it->r->first, other->r->last, fam) <= 0)
            hit = other;
        if (hit) {
            char p1[IPATH_LEN + 64];
            snprintf(p1, sizeof p1, "%s.subnets[%u]", x[it->ep].ppath, it->sub);
            fail(c, p1, NULL, "overlaps %s.subnets[%u]", x[hit->ep].ppath, hit->sub);
        }
        /* keep best = furthest last; other = furthest last of an endpoint other than best's */
        if (!best || addr_cmp(it->r->last, best->r->last, fam) > 0) {
            if (best && best->ep != it->ep)
                other = best;
            best = it;
        } else if (it->ep != best->ep &&
                   (!other || addr_cmp(it->r->last, other->r->last, fam) > 0)) {
            other = it;
        }
    }
    free(k);
}

static void
check_priorities(struct pctx *c, const struct endpoint *v, const struct ep_aux *x, size_t n)
{
    size_t given = 0, whole = 0;
    for (size_t i = 0; i < n; i++) {
        given += x[i].gave_priority;
        whole += !x[i].broken;
    }
    if (c->strict && given && given < whole)
        for (size_t i = 0; i < n; i++)
            if (!x[i].gave_priority && !x[i].broken)
                fail(c, x[i].ppath, "priority",
                     "required: if a priority is specified, it must be specified on all "
                     "endpoints");
    int32_t seen[1001];
    for (size_t i = 0; i < GTM_ARRAY_LEN(seen); i++)
        seen[i] = -1;
    for (size_t i = 0; i < n; i++) {
        if (!x[i].has_priority)
            continue;
        uint16_t pr = v[i].priority;
        if (seen[pr] >= 0)
            lab(c, x[i].ppath, "priority", "%u is also the priority of %s", pr, x[seen[pr]].path);
        else
            seen[pr] = (int32_t)i;
    }
}

static const char *
tkind_text(enum target_kind k)
{
    switch (k) {
    case TARGET_IPV4:
        return "an IPv4 address";
    case TARGET_IPV6:
        return "an IPv6 address";
    case TARGET_NAME:
        return "a host name";
    case TARGET_NONE:
        break;
    }
    return "no target";
}

static void
check_endpoints(struct pctx *c, enum routing_method method, bool method_ok,
                const struct endpoint *v, const struct ep_aux *x, size_t n)
{
    check_names(c, v, x, n);
    if (!method_ok)
        return;
    long first_t = -1;
    for (size_t i = 0; i < n; i++) {
        const struct endpoint *e = &v[i];
        if (x[i].broken)
            continue;
        switch (method) {
        case ROUTE_MULTIVALUE:
            if (e->kind != EP_EXTERNAL)
                fail(c, x[i].path, "type", "MultiValue routing allows only external endpoints");
            else if (e->tkind == TARGET_NAME)
                fail(c, x[i].ppath, "target",
                     "MultiValue routing needs an IPv4 or IPv6 address, got a host name");
            break;
        case ROUTE_PERFORMANCE:
            if (!e->location)
                fail(c, x[i].ppath, "endpointLocation", "required for Performance routing");
            break;
        case ROUTE_GEOGRAPHIC:
            if (e->ngeo == 0)
                fail(c, x[i].ppath, "geoMapping",
                     "required for Geographic routing (at least one region code)");
            break;
        default:
            break;
        }
        if (method == ROUTE_MULTIVALUE || e->tkind == TARGET_NONE)
            continue;
        if (first_t < 0)
            first_t = (long)i;
        else if (v[first_t].tkind != e->tkind)
            lab(c, x[i].ppath, "target",
                "%s, but %s has %s (one kind of target per profile, except MultiValue)",
                tkind_text(e->tkind), x[first_t].path, tkind_text(v[first_t].tkind));
    }
    if (method == ROUTE_PRIORITY)
        check_priorities(c, v, x, n);
    if (method == ROUTE_GEOGRAPHIC)
        check_geo(c, v, x, n);
    if (method == ROUTE_SUBNET)
        check_subnets(c, v, x, n);
}

static void
parse_endpoints(struct pctx *c, const json_t *props, const char *pbase, struct profile *p,
                bool method_ok)
{
    json_t *arr;
    char base[PATH_MAX_LEN];
    path_join(base, sizeof base, pbase, "endpoints");
    if (get(c, props, pbase, "endpoints", W_ARRAY, &arr) != 1)
        return;
    size_t n = json_array_size(arr);
    if (n > PROFILE_MAX_ENDPOINTS)
        fail(c, base, NULL, "at most %d endpoints, got %zu", PROFILE_MAX_ENDPOINTS, n);
    struct endpoint *v = arena_alloc(c->a, (n ? n : 1) * sizeof *v);
    struct ep_aux *x = xcalloc(n ? n : 1, sizeof *x);
    for (size_t i = 0; i < n; i++) {
        snprintf(x[i].path, sizeof x[i].path, "%s[%zu]", base, i);
        snprintf(x[i].ppath, sizeof x[i].ppath, "%s", x[i].path);
        json_t *ev = json_array_get(arr, i);
        v[i].health_idx = HEALTH_NONE;
        if (!json_is_object(ev)) {
            fail(c, x[i].path, NULL, "expected an object, got %s", type_name(ev));
            x[i].broken = true;
            continue;
        }
        parse_endpoint(c, ev, &v[i], &x[i], i);
    }
    check_endpoints(c, p->method, method_ok, v, x, n);
    free(x);
    p->endpoints = v;
    p->nendpoints = (uint32_t)n;
}

/* ---- the profile ---- */

static void
parse_name(struct pctx *c, const json_t *root, struct profile *p)
{
    const char *name;
    int r = get_str(c, root, "", "name", &name);
    if (r == 1) {
        if (valid_profile_name(name, strlen(name)))
            p->name = arena_strdup(c->a, name);
        else
            fail(c, "", "name",
                 "'%s' is not a valid profile name (1 to 63 letters, digits, '-', '_' or '.')",
                 SHOW(name));
        return;
    }
    if (r < 0)
        return;
    const char *file = c->file ? c->file : "";
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    size_t len = strlen(base);
    if (len > 5 && strcmp(base + len - 5, ".json") == 0)
        len -= 5;
    if (!valid_profile_name(base, len)) {
        char tmp[72];
        snprintf(tmp, sizeof tmp, "%.*s", (int)(len > 70 ? 70 : len), base);
        fail(c, "", "name",
             "missing, and the file name '%s' is not a valid profile name (1 to 63 letters, "
             "digits, '-', '_' or '.')",
             SHOW(tmp));
        return;
    }
    char *d = arena_alloc(c->a, len + 1);
    memcpy(d, base, len);
    p->name = d;
}

static void
parse_dns(struct pctx *c, const json_t *props, const char *pbase, struct profile *p)
{
    json_t *dns;
    char dp[PATH_MAX_LEN];
    path_join(dp, sizeof dp, pbase, "dnsConfig");
    int rd = get(c, props, pbase, "dnsConfig", W_OBJECT, &dns);

    const char *rel;
    int r = rd < 0 ? -1 : get_str(c, dns, dp, "relativeName", &rel);
    if (r == 1) {
        if (valid_dns_name(rel, false, false))
            p->relative_name = lower_dup(c->a, rel);
        else
            fail(c, dp, "relativeName",
                 "'%s' is not a valid DNS name (labels of 1 to 63 letters, digits or '-')",
                 SHOW(rel));
    } else if (r == 0) {
        if (c->strict)
            fail(c, dp, "relativeName", "required");
        else if (p->name && valid_dns_name(p->name, false, false)) {
            p->relative_name = lower_dup(c->a, p->name);
            warn(c, dp, "relativeName", "missing, using the profile name '%s'", p->relative_name);
        } else if (p->name) {
            fail(c, dp, "relativeName",
                 "missing, and the profile name '%s' is not a valid DNS name", p->name);
        }
    }

    long long ttl = 300;
    get_int(c, dns, dp, "ttl", 0, 2147483647, &ttl);
    p->ttl = (uint32_t)ttl;
}

static void
parse_profile(struct pctx *c, const json_t *root, struct profile *p)
{
    json_t *props = member(root, "properties");
    if (props && !json_is_object(props)) {
        check(c, props, "", "properties", W_OBJECT);
        return;
    }
    const json_t *pr = props ? props : root;
    const char *pbase = props ? "properties" : "";

    parse_name(c, root, p);

    const char *type;
    if (get_str(c, root, "", "type", &type) == 1 &&
        strcasecmp(type, "Microsoft.Network/trafficManagerProfiles") != 0)
        lab(c, "", "type", "'%s' is not Microsoft.Network/trafficManagerProfiles", SHOW(type));

    int st = 0;
    get_enum(c, pr, pbase, "profileStatus", onoff_names, 2, &st);
    p->enabled = st == 0;

    int m = -1;
    int r = get_enum(c, pr, pbase, "trafficRoutingMethod", method_names,
                     GTM_ARRAY_LEN(method_names), &m);
    if (r == 0)
        fail(c, pbase, "trafficRoutingMethod",
             "required (Priority, Weighted, Performance, Geographic, MultiValue, Subnet or "
             "RoundRobin)");
    p->method = m >= 0 ? (enum routing_method)m : ROUTE_PRIORITY;

    parse_dns(c, pr, pbase, p);
    parse_monitor(c, pr, pbase, &p->mon);

    long long maxret = 2;
    get_int(c, pr, pbase, "maxReturn", 1, 10, &maxret);
    p->max_return = (uint32_t)maxret;

    parse_endpoints(c, pr, pbase, p, m >= 0);
}

int
profile_parse(struct arena *a, const char *file, const char *text, size_t len, bool strict,
              struct config_errors *errs, struct profile **out)
{
    struct pctx c = {a, file, strict, errs};
    unsigned before = errs->count;
    json_error_t jerr;
    json_t *root = json_loadb(text, len, 0, &jerr);
    if (!root) {
        if (jerr.line > 0)
            config_error(errs, file, (unsigned)jerr.line, "column %d: %s", jerr.column, jerr.text);
        else
            config_error(errs, file, 0, "%s", jerr.text);
        return GTM_ECONFIG;
    }
    if (!json_is_object(root)) {
        config_error(errs, file, 0, "expected an object at the top, got %s", type_name(root));
        json_decref(root);
        return GTM_ECONFIG;
    }
    struct profile *p = arena_alloc(a, sizeof *p);
    p->file = arena_strdup(a, file ? file : "");
    parse_profile(&c, root, p);
    json_decref(root);
    if (errs->count != before)
        return GTM_ECONFIG;
    char *copy = arena_alloc(a, len + 1);
    memcpy(copy, text, len);
    copy[len] = 0;
    p->json = copy;
    atomic_init(&p->rr_next, 0);
    *out = p;
    return 0;
}
