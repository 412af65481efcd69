/* parse.c: one Azure Traffic Manager profile document (ARM shape or the
 * flattened `az ... profile show` shape) -> a validated struct profile in an
 * arena. Every problem is reported with the document's own JSON path; all of
 * a document's errors are reported, not just the first. The endpoints are
 * read by endpoint.c; the shared helpers are in read.h. */
#include "config.h"
#include "gtm/profile.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "gtm/alloc.h"
#include "gtm/err.h"
#include "gtm/json.h"
#include "gtm/snapshot.h"
#include "policy/policy.h"
#include "profiles/read.h"
#include "profiles/profile.h"

const char *const pr_onoff_names[] = {"Enabled", "Disabled"};
static const char *const proto_names[] = {
    [PROBE_HTTP] = "HTTP", [PROBE_HTTPS] = "HTTPS", [PROBE_TCP] = "TCP"};

/* ---- parse context, paths and messages ---- */

/* base + key as a JSON path: "a.b", "a[3]", or either alone when the other is empty. */
void
pr_path_join(char *out, size_t cap, const char *base, const char *key)
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
    pr_path_join(path, sizeof path, base, key);
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

/* pr_fail: an error at base.key. */
GTM_PRINTF(4, 5)
void
pr_fail(struct pctx *c, const char *base, const char *key, const char *fmt, ...)
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

/* pr_lab: something Azure rejects but a lab can use: an error with --strict, else a warning. */
GTM_PRINTF(4, 5)
void
pr_lab(struct pctx *c, const char *base, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(c, c->strict, base, key, fmt, ap);
    va_end(ap);
}

/* pr_show: s made safe to print in a message (quoted by the caller): printable
 * ASCII kept, other bytes as \xNN, cut to about 64 characters. */
const char *
pr_show(const char *s, char *buf, size_t cap)
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

const char *
pr_type_name(const json_t *v)
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

/* pr_member: key's value in o, NULL when absent or null. The exact spelling
 * wins; otherwise a member of any case (ARM property names are
 * case-insensitive). */
json_t *
pr_member(const json_t *o, const char *key)
{
    json_t *v = gtm_json_member(o, key);
    return v && !json_is_null(v) ? v : NULL;
}

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

/* pr_check: v (already fetched, may be NULL) has type w. */
int
pr_check(struct pctx *c, const json_t *v, const char *base, const char *key, enum want w)
{
    if (!v)
        return 0;
    if (!has_type(v, w)) {
        pr_fail(c, base, key, "expected %s, got %s", want_names[w], pr_type_name(v));
        return -1;
    }
    return 1;
}

int
pr_get(struct pctx *c, const json_t *o, const char *base, const char *key, enum want w,
       json_t **out)
{
    *out = pr_member(o, key);
    int r = pr_check(c, *out, base, key, w);
    if (r < 0)
        *out = NULL;
    return r;
}

int
pr_get_str(struct pctx *c, const json_t *o, const char *base, const char *key, const char **out)
{
    json_t *v;
    int r = pr_get(c, o, base, key, W_STRING, &v);
    if (r == 1)
        *out = json_string_value(v);
    return r;
}

/* pr_get_int: an integer in [lo, hi]; *out untouched unless 1 is returned. */
int
pr_get_int(struct pctx *c, const json_t *o, const char *base, const char *key, long long lo,
           long long hi, long long *out)
{
    json_t *v;
    int r = pr_get(c, o, base, key, W_INTEGER, &v);
    if (r != 1)
        return r;
    long long x = (long long)json_integer_value(v);
    if (x < lo || x > hi) {
        pr_fail(c, base, key, "%lld out of range [%lld, %lld]", x, lo, hi);
        return -1;
    }
    *out = x;
    return 1;
}

/* pr_get_enum: a string matching one of names (any case); *out its index. */
int
pr_get_field(struct pctx *c, const json_t *o, const char *base, enum pf_id id, long long *out)
{
    const struct profile_field *f = pf_row(id);
    return pr_get_int(c, o, base, f->key, f->min, f->max, out);
}

int
pr_get_enum(struct pctx *c, const json_t *o, const char *base, const char *key,
            const char *const *names, size_t n, int *out)
{
    const char *s;
    int r = pr_get_str(c, o, base, key, &s);
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
    pr_fail(c, base, key, "'%s' is not one of %s", SHOW(s), list);
    return -1;
}

/* ---- value syntax ---- */

bool
pr_is_alnum(unsigned char ch)
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
        if (!pr_is_alnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
            return false;
    return true;
}

/* DNS names: labels of 1..63 chars from [A-Za-z0-9-] (plus '_' when
 * underscore), at most 253 chars; a trailing dot only when absolute_ok. */
bool
pr_valid_dns_name(const char *s, bool underscore, bool absolute_ok)
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
        } else if (pr_is_alnum(ch) || ch == '-' || (underscore && ch == '_')) {
            if (++label > 63)
                return false;
        } else {
            return false;
        }
    }
    return label > 0;
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
    return pr_is_alnum(ch) || (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* customHeaders: [{name, value}], at most 8, no header injection. */
void
pr_parse_headers(struct pctx *c, const json_t *o, const char *base, struct header_kv *out,
                 uint8_t *n)
{
    json_t *arr;
    char hpath[PATH_MAX_LEN];
    *n = 0;
    if (pr_get(c, o, base, "customHeaders", W_ARRAY, &arr) != 1)
        return;
    pr_path_join(hpath, sizeof hpath, base, "customHeaders");
    size_t count = json_array_size(arr);
    if (count > PROFILE_MAX_HEADERS)
        pr_fail(c, hpath, NULL, "at most %d headers, got %zu", PROFILE_MAX_HEADERS, count);
    for (size_t i = 0; i < count; i++) {
        char ipath[IPATH_LEN];
        snprintf(ipath, sizeof ipath, "%s[%zu]", hpath, i);
        json_t *h = json_array_get(arr, i);
        if (!json_is_object(h)) {
            pr_fail(c, ipath, NULL, "expected an object, got %s", pr_type_name(h));
            continue;
        }
        const char *name = NULL, *value = NULL;
        bool ok = true;
        int r = pr_get_str(c, h, ipath, "name", &name);
        if (r == 0)
            pr_fail(c, ipath, "name", "required");
        if (r == 1) {
            bool token = *name != 0;
            for (const char *p = name; *p; p++)
                token = token && is_tchar((unsigned char)*p);
            if (!token) {
                pr_fail(c, ipath, "name", "'%s' is not a valid HTTP header name", SHOW(name));
                ok = false;
            }
        }
        r = pr_get_str(c, h, ipath, "value", &value);
        if (r == 0)
            pr_fail(c, ipath, "value", "required");
        if (r == 1) {
            if (strpbrk(value, "\r\n")) {
                pr_fail(c, ipath, "value", "contains CR or LF (header injection)");
                ok = false;
            } else {
                for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
                    if ((*p < 0x20 && *p != '\t') || *p == 0x7f) {
                        pr_fail(c, ipath, "value", "contains a control character");
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
                pr_fail(c, ipath, "name", "header '%s' is given twice", SHOW(name));
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
        pr_fail(c, rpath, NULL, "at most %d ranges, got %zu", PROFILE_MAX_RANGES, count);
    uint8_t n = 0;
    for (size_t i = 0; i < count; i++) {
        char ipath[IPATH_LEN];
        snprintf(ipath, sizeof ipath, "%s[%zu]", rpath, i);
        json_t *r = json_array_get(arr, i);
        if (!json_is_object(r)) {
            pr_fail(c, ipath, NULL, "expected an object, got %s", pr_type_name(r));
            continue;
        }
        long long lo = 0, hi = 0;
        int r1 = pr_get_field(c, r, ipath, PF_MON_RANGE_MIN, &lo);
        int r2 = pr_get_field(c, r, ipath, PF_MON_RANGE_MAX, &hi);
        if (r1 == 0)
            pr_fail(c, ipath, "min", "required");
        if (r2 == 0)
            pr_fail(c, ipath, "max", "required");
        if (r1 != 1 || r2 != 1)
            continue;
        if (lo > hi) {
            pr_fail(c, ipath, NULL, "min %lld is greater than max %lld", lo, hi);
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
    pr_path_join(mp, sizeof mp, pbase, "monitorConfig");
    pr_get(c, props, pbase, "monitorConfig", W_OBJECT, &mon);

    int proto = PROBE_HTTP;
    pr_get_enum(c, mon, mp, "protocol", proto_names, GTM_ARRAY_LEN(proto_names), &proto);
    m->protocol = (enum probe_proto)proto;
    bool tcp = m->protocol == PROBE_TCP;

    long long port = m->protocol == PROBE_HTTPS ? 443 : pf_row(PF_MON_PORT)->def;
    int r = pr_get_field(c, mon, mp, PF_MON_PORT, &port);
    if (r == 0 && tcp)
        pr_fail(c, mp, "port", "required for protocol TCP");
    m->port = (uint16_t)port;

    const char *path = NULL;
    r = pr_get_str(c, mon, mp, "path", &path);
    if (tcp) {
        if (r == 1 && *path)
            pr_lab(c, mp, "path", "not used with protocol TCP");
        m->path = NULL;
    } else if (r == 1) {
        bool ok = path[0] == '/';
        for (const unsigned char *p = (const unsigned char *)path; ok && *p; p++)
            ok = *p > 0x20 && *p != 0x7f;
        if (!ok)
            pr_fail(c, mp, "path",
                    "'%s' is not a URL path (it must start with '/' and hold no "
                    "spaces or control characters)",
                    SHOW(path));
        m->path = arena_strdup(c->a, path);
    } else {
        m->path = "/";
    }

    long long iv = pf_row(PF_MON_INTERVAL)->def;
    r = pr_get_field(c, mon, mp, PF_MON_INTERVAL, &iv);
    bool azure_iv = pf_azure_accepts(PF_MON_INTERVAL, iv);
    if (r == 1 && !azure_iv)
        pr_lab(c, mp, "intervalInSeconds", "%lld is not one of Azure's intervals (10, 30)", iv);
    m->interval_s = (uint32_t)iv;

    /* The timeout stays below an interval of 10, and is at most the interval. */
    const struct profile_field *tf = pf_row(PF_MON_TIMEOUT);
    long long to = iv == 10 ? 9 : iv < tf->def ? iv : tf->def;
    r = pr_get_field(c, mon, mp, PF_MON_TIMEOUT, &to);
    if (r == 1) {
        if (azure_iv) {
            long long hi = iv == 10 ? 9 : tf->az_max;
            if (to < tf->az_min || to > hi)
                pr_lab(c, mp, "timeoutInSeconds",
                       "%lld out of range [%lld, %lld] for intervalInSeconds %lld", to, tf->az_min,
                       hi, iv);
        } else if (to > iv && !c->strict) {
            warn(c, mp, "timeoutInSeconds", "%lld is longer than intervalInSeconds %lld", to, iv);
        }
    }
    m->timeout_s = (uint32_t)to;

    long long tol = -1; /* absent: PF_MON_TOLERATED's default applies */
    pr_get_field(c, mon, mp, PF_MON_TOLERATED, &tol);
    m->tolerated = (int)tol;

    m->nranges = 1;
    m->ranges[0] = (struct status_range){200, 200};
    json_t *ranges;
    if (pr_get(c, mon, mp, "expectedStatusCodeRanges", W_ARRAY, &ranges) == 1 &&
        json_array_size(ranges) > 0) {
        char rpath[PATH_MAX_LEN];
        pr_path_join(rpath, sizeof rpath, mp, "expectedStatusCodeRanges");
        if (tcp)
            pr_lab(c, rpath, NULL, "only used with protocol HTTP or HTTPS");
        else
            parse_ranges(c, ranges, rpath, m);
    }

    pr_parse_headers(c, mon, mp, m->headers, &m->nheaders);
}

/* ---- the profile ---- */

static void
parse_name(struct pctx *c, const json_t *root, struct profile *p)
{
    const char *name;
    int r = pr_get_str(c, root, "", "name", &name);
    if (r == 1) {
        if (valid_profile_name(name, strlen(name)))
            p->name = arena_strdup(c->a, name);
        else
            pr_fail(c, "", "name",
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
        pr_fail(c, "", "name",
                "missing, and the file name '%s' is not a valid profile name (1 to 63 letters, "
                "digits, '-', '_' or '.')",
                SHOW(tmp));
        return;
    }
    char *d = arena_alloc(c->a, len + 1);
    memcpy(d, base, len);
    p->name = d;
}

/* seg: the segment of an id at *p (up to the next '/') into out, and *p
 * past it and its slash; false when it is empty or does not fit. */
static bool
seg(const char **p, char *out, size_t cap)
{
    size_t n = strcspn(*p, "/");
    if (n == 0 || n >= cap)
        return false;
    memcpy(out, *p, n);
    out[n] = 0;
    *p += n;
    if (**p == '/')
        (*p)++;
    return true;
}

bool
profile_id_owner(const char *id, char sub[PROFILE_OWNER_MAX], char rg[PROFILE_OWNER_MAX])
{
    char word[32];
    if (!id || *id != '/')
        return false;
    const char *p = id + 1;
    return seg(&p, word, sizeof word) && strcasecmp(word, "subscriptions") == 0 &&
           seg(&p, sub, PROFILE_OWNER_MAX) && seg(&p, word, sizeof word) &&
           strcasecmp(word, "resourceGroups") == 0 && seg(&p, rg, PROFILE_OWNER_MAX);
}

/* The owner its id names, if any (the API lists it there). */
static void
parse_owner(struct pctx *c, const json_t *root, struct profile *p)
{
    char sub[PROFILE_OWNER_MAX], rg[PROFILE_OWNER_MAX];
    const json_t *id = pr_member(root, "id");
    if (json_is_string(id) && profile_id_owner(json_string_value(id), sub, rg)) {
        p->owner_sub = arena_strdup(c->a, sub);
        p->owner_rg = arena_strdup(c->a, rg);
    }
}

static void
parse_dns(struct pctx *c, const json_t *props, const char *pbase, struct profile *p)
{
    json_t *dns;
    char dp[PATH_MAX_LEN];
    pr_path_join(dp, sizeof dp, pbase, "dnsConfig");
    int rd = pr_get(c, props, pbase, "dnsConfig", W_OBJECT, &dns);

    const char *rel;
    int r = rd < 0 ? -1 : pr_get_str(c, dns, dp, "relativeName", &rel);
    if (r == 1) {
        if (pr_valid_dns_name(rel, false, false))
            p->relative_name = lower_dup(c->a, rel);
        else
            pr_fail(c, dp, "relativeName",
                    "'%s' is not a valid DNS name (labels of 1 to 63 letters, digits or '-')",
                    SHOW(rel));
    } else if (r == 0) {
        if (c->strict)
            pr_fail(c, dp, "relativeName", "required");
        else if (p->name && pr_valid_dns_name(p->name, false, false)) {
            p->relative_name = lower_dup(c->a, p->name);
            warn(c, dp, "relativeName", "missing, using the profile name '%s'", p->relative_name);
        } else if (p->name) {
            pr_fail(c, dp, "relativeName",
                    "missing, and the profile name '%s' is not a valid DNS name", p->name);
        }
    }

    long long ttl = pf_row(PF_DNS_TTL)->def;
    pr_get_field(c, dns, dp, PF_DNS_TTL, &ttl);
    p->ttl = (uint32_t)ttl;
}

static void
parse_profile(struct pctx *c, const json_t *root, struct profile *p)
{
    json_t *props = pr_member(root, "properties");
    if (props && !json_is_object(props)) {
        pr_check(c, props, "", "properties", W_OBJECT);
        return;
    }
    const json_t *pr = props ? props : root;
    const char *pbase = props ? "properties" : "";

    parse_name(c, root, p);
    parse_owner(c, root, p);

    const char *type;
    if (pr_get_str(c, root, "", "type", &type) == 1 &&
        strcasecmp(type, "Microsoft.Network/trafficManagerProfiles") != 0)
        pr_lab(c, "", "type", "'%s' is not Microsoft.Network/trafficManagerProfiles", SHOW(type));

    int st = 0;
    pr_get_enum(c, pr, pbase, "profileStatus", pr_onoff_names, 2, &st);
    p->enabled = st == 0;

    int m = -1;
    const char *method_names[ROUTE_METHODS]; /* as the registry spells them */
    for (unsigned i = 0; i < ROUTE_METHODS; i++)
        method_names[i] = policy_method((enum routing_method)i)->name;
    int r = pr_get_enum(c, pr, pbase, "trafficRoutingMethod", method_names, ROUTE_METHODS, &m);
    if (r == 0)
        pr_fail(c, pbase, "trafficRoutingMethod",
                "required (Priority, Weighted, Performance, Geographic, MultiValue, Subnet or "
                "RoundRobin)");
    p->method = m >= 0 ? (enum routing_method)m : ROUTE_PRIORITY;

    parse_dns(c, pr, pbase, p);
    parse_monitor(c, pr, pbase, &p->mon);

    long long maxret = pf_row(PF_MAX_RETURN)->def;
    pr_get_field(c, pr, pbase, PF_MAX_RETURN, &maxret);
    p->max_return = (uint32_t)maxret;

    pr_parse_endpoints(c, pr, pbase, p, m >= 0);
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
        config_error(errs, file, 0, "expected an object at the top, got %s", pr_type_name(root));
        json_decref(root);
        return GTM_ECONFIG;
    }
    if (!gtm_json_depth_ok(root, PROFILE_JSON_MAX_DEPTH)) {
        config_error(errs, file, 0, "objects and arrays nested deeper than %d levels",
                     PROFILE_JSON_MAX_DEPTH);
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
