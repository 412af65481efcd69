/* endpoint.c: the endpoints of a profile document, each on its own
 * and across them (names, priorities, geo mappings, subnets, target kinds). */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <jansson.h>

#include "gtm/alloc.h"
#include "gtm/profile.h"
#include "policy/policy.h"
#include "profiles/read.h"

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

static void
parse_target(struct pctx *c, const json_t *props, const char *pp, struct endpoint *e)
{
    const char *t = NULL;
    int r = pr_get_str(c, props, pp, "target", &t);
    if (e->kind == EP_NESTED) {
        e->tkind = TARGET_NONE; /* the child profile answers */
        return;
    }
    if (r == 0) {
        if (e->kind == EP_AZURE)
            pr_fail(c, pp, "target",
                    "required: gtmd cannot resolve Azure resource IDs (targetResourceId); give "
                    "the resource's DNS name or address as target");
        else
            pr_fail(c, pp, "target", "required for external endpoints");
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
        if (!pr_valid_dns_name(t, true, true) || (len = dname_from_text(t, wire)) < 0) {
            pr_fail(c, pp, "target", "'%s' is not an IPv4 address, an IPv6 address or a host name",
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
    if (pr_get_str(c, props, pp, "endpointLocation", &s) != 1)
        return;
    char *d = arena_alloc(c->a, strlen(s) + 1);
    size_t o = 0;
    bool ok = true;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == ' ')
            continue;
        if (!pr_is_alnum(*p) && *p != '-' && *p != '_' && *p != '.')
            ok = false;
        d[o++] = (char)dname_lower(*p);
    }
    if (!ok || o == 0 || o > 64) {
        pr_fail(c, pp, "endpointLocation", "'%s' is not a region name", SHOW(s));
        return;
    }
    e->location = d;
}

static void
parse_geo(struct pctx *c, const json_t *props, const char *pp, struct endpoint *e)
{
    json_t *arr;
    if (pr_get(c, props, pp, "geoMapping", W_ARRAY, &arr) != 1)
        return;
    size_t count = json_array_size(arr);
    const char **v = arena_alloc(c->a, (count ? count : 1) * sizeof *v);
    uint16_t n = 0;
    for (size_t i = 0; i < count; i++) {
        char ipath[IPATH_LEN];
        snprintf(ipath, sizeof ipath, "%s.geoMapping[%zu]", pp, i);
        json_t *g = json_array_get(arr, i);
        if (!json_is_string(g)) {
            pr_fail(c, ipath, NULL, "expected a string, got %s", pr_type_name(g));
            continue;
        }
        const char *s = json_string_value(g);
        size_t len = strlen(s);
        bool ok = len >= 1 && len <= 16;
        for (size_t k = 0; ok && k < len; k++)
            ok = pr_is_alnum((unsigned char)s[k]) || s[k] == '-';
        if (!ok) {
            pr_fail(c, ipath, NULL, "'%s' is not a region code", SHOW(s));
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
    int rf = pr_get_str(c, s, ipath, "first", &first);
    int rl = pr_get_str(c, s, ipath, "last", &last);
    json_t *sv;
    int rs = pr_get(c, s, ipath, "scope", W_INTEGER, &sv);
    if (rs == 1)
        scope = (long long)json_integer_value(sv);
    if (rf == 0)
        pr_fail(c, ipath, "first", "required");
    if (rf != 1 || rl < 0 || rs < 0)
        return false;
    int fam = parse_ip(first, out->first);
    if (!fam) {
        pr_fail(c, ipath, "first", "'%s' is not an IPv4 or IPv6 address", SHOW(first));
        return false;
    }
    out->family = (uint8_t)fam;
    int bits = fam == AF_INET ? 32 : 128;
    size_t alen = fam == AF_INET ? 4 : 16;
    char t1[INET6_ADDRSTRLEN], t2[INET6_ADDRSTRLEN];
    memcpy(out->last, out->first, 16);
    if (rs == 1) {
        if (scope < 0 || scope > bits) {
            pr_fail(c, ipath, "scope", "%lld out of range [0, %d]", scope, bits);
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
            pr_fail(c, ipath, "first", "%s is not the network address of its /%lld (%s)",
                    addr_text(fam, out->first, t1, sizeof t1), scope,
                    addr_text(fam, net, t2, sizeof t2));
            return false;
        }
    }
    if (rl == 1) {
        uint8_t l[16];
        int lfam = parse_ip(last, l);
        if (!lfam) {
            pr_fail(c, ipath, "last", "'%s' is not an IPv4 or IPv6 address", SHOW(last));
            return false;
        }
        if (lfam != fam) {
            pr_fail(c, ipath, "last", "%s is not of the same address family as first", SHOW(last));
            return false;
        }
        if (rs == 1) {
            if (addr_cmp(l, out->last, fam) != 0) {
                pr_fail(c, ipath, "last", "%s does not match first/scope (%s)", SHOW(last),
                        addr_text(fam, out->last, t1, sizeof t1));
                return false;
            }
        } else {
            if (addr_cmp(out->first, l, fam) > 0) {
                pr_fail(c, ipath, NULL, "first %s is greater than last %s",
                        addr_text(fam, out->first, t1, sizeof t1),
                        addr_text(fam, l, t2, sizeof t2));
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
    if (pr_get(c, props, pp, "subnets", W_ARRAY, &arr) != 1)
        return;
    size_t count = json_array_size(arr);
    struct subnet_range *v = arena_alloc(c->a, (count ? count : 1) * sizeof *v);
    uint16_t n = 0;
    for (size_t i = 0; i < count; i++) {
        char ipath[IPATH_LEN];
        snprintf(ipath, sizeof ipath, "%s.subnets[%zu]", pp, i);
        json_t *s = json_array_get(arr, i);
        if (!json_is_object(s)) {
            pr_fail(c, ipath, NULL, "expected an object, got %s", pr_type_name(s));
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
    int r = pr_get_str(c, ev, x->path, "name", &name);
    if (r == 0)
        pr_fail(c, x->path, "name", "required");
    if (r == 1) {
        if (valid_endpoint_name(name)) {
            e->name = arena_strdup(c->a, name);
            x->ok_name = true;
        } else {
            pr_fail(c, x->path, "name",
                    "'%s' is not a valid endpoint name (1 to 260 characters, no control "
                    "characters, '/', '\\', '?' or '#')",
                    SHOW(name));
        }
    }

    const char *type;
    e->kind = EP_EXTERNAL;
    r = pr_get_str(c, ev, x->path, "type", &type);
    if (r == 0 && c->strict)
        pr_fail(c, x->path, "type", "required");
    if (r == 1 && parse_kind(type, &e->kind) != 0)
        pr_fail(c, x->path, "type",
                "'%s' is not an endpoint type (Microsoft.Network/trafficManagerProfiles/"
                "azureEndpoints, externalEndpoints or nestedEndpoints)",
                SHOW(type));

    json_t *props = pr_member(ev, "properties");
    if (props && !json_is_object(props)) {
        pr_check(c, props, x->path, "properties", W_OBJECT);
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
    pr_get_enum(c, p, pp, "endpointStatus", pr_onoff_names, 2, &st);
    e->enabled = st == 0;
    int as = 1;
    if (pr_get_enum(c, p, pp, "alwaysServe", pr_onoff_names, 2, &as) == 1 && as == 0 &&
        e->kind == EP_NESTED) {
        pr_lab(c, pp, "alwaysServe", "cannot be used on nested endpoints");
        as = 1;
    }
    e->always_serve = as == 0;

    /* Default: the place in the list (within the range). */
    const struct profile_field *pf = pf_row(PF_EP_PRIORITY);
    long long prio = (long long)pos + 1 > pf->max ? pf->max : (long long)pos + 1;
    int rp = pr_get_field(c, p, pp, PF_EP_PRIORITY, &prio);
    x->has_priority = rp == 1;
    x->gave_priority = rp != 0; /* even when wrong: no "required" on top */
    e->priority = (uint16_t)prio;
    long long weight = pf_row(PF_EP_WEIGHT)->def;
    pr_get_field(c, p, pp, PF_EP_WEIGHT, &weight);
    e->weight = (uint16_t)weight;

    parse_location(c, p, pp, e);
    parse_geo(c, p, pp, e);
    parse_subnets(c, p, pp, e);

    const char *rid;
    r = pr_get_str(c, p, pp, "targetResourceId", &rid);
    if (e->kind == EP_NESTED) {
        if (r == 0)
            pr_fail(c, pp, "targetResourceId", "required for nested endpoints");
        if (r == 1) {
            const char *slash = strrchr(rid, '/');
            const char *child = slash ? slash + 1 : rid;
            if (!*child)
                pr_fail(c, pp, "targetResourceId", "'%s' does not end with a profile name",
                        SHOW(rid));
            else
                e->child = arena_strdup(c->a, child);
        }
    }

    long long mc = pf_row(PF_EP_MIN_CHILD)->def, m4 = pf_row(PF_EP_MIN_CHILD_V4)->def,
              m6 = pf_row(PF_EP_MIN_CHILD_V6)->def;
    pr_get_field(c, p, pp, PF_EP_MIN_CHILD, &mc);
    pr_get_field(c, p, pp, PF_EP_MIN_CHILD_V4, &m4);
    pr_get_field(c, p, pp, PF_EP_MIN_CHILD_V6, &m6);
    e->min_child = (uint32_t)mc;
    e->min_child_v4 = (uint32_t)m4;
    e->min_child_v6 = (uint32_t)m6;

    pr_parse_headers(c, p, pp, e->headers, &e->nheaders);

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
        pr_fail(c, x[k[i].ep].path, "name", "'%s' is also the name of %s", SHOW(k[i].key),
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
            pr_lab(c, path, NULL, "'%s' is listed twice", k[i].key);
        else
            pr_fail(c, path, NULL, "'%s' is already mapped to %s", k[i].key, x[k[first].ep].path);
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
            pr_fail(c, p1, NULL, "overlaps %s.subnets[%u]", x[hit->ep].ppath, hit->sub);
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
                pr_fail(c, x[i].ppath, "priority",
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
            pr_lab(c, x[i].ppath, "priority", "%u is also the priority of %s", pr,
                   x[seen[pr]].path);
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

/* What the routing method requires of one endpoint, reported at its path. */
struct ep_report {
    struct pctx *c;
    const struct ep_aux *x;
};

static void
ep_fail(void *arg, bool in_props, const char *field, const char *msg)
{
    struct ep_report *r = arg;
    pr_fail(r->c, in_props ? r->x->ppath : r->x->path, field, "%s", msg);
}

static void
check_endpoints(struct pctx *c, enum routing_method method, bool method_ok,
                const struct endpoint *v, const struct ep_aux *x, size_t n)
{
    check_names(c, v, x, n);
    if (!method_ok)
        return;
    const struct policy_ops *ops = policy_method(method);
    long first_t = -1;
    for (size_t i = 0; i < n; i++) {
        const struct endpoint *e = &v[i];
        if (x[i].broken)
            continue;
        if (ops->check) {
            struct ep_report er = {c, &x[i]};
            ops->check(e, &(struct policy_report){ep_fail, &er});
        }
        if (ops->mixed_targets || e->tkind == TARGET_NONE)
            continue;
        if (first_t < 0)
            first_t = (long)i;
        else if (v[first_t].tkind != e->tkind)
            pr_lab(c, x[i].ppath, "target",
                   "%s, but %s has %s (one kind of target per profile, except MultiValue)",
                   tkind_text(e->tkind), x[first_t].path, tkind_text(v[first_t].tkind));
    }
    if (ops->checks & POLICY_CHECK_PRIORITIES)
        check_priorities(c, v, x, n);
    if (ops->checks & POLICY_CHECK_GEO)
        check_geo(c, v, x, n);
    if (ops->checks & POLICY_CHECK_SUBNETS)
        check_subnets(c, v, x, n);
}

void
pr_parse_endpoints(struct pctx *c, const json_t *props, const char *pbase, struct profile *p,
                   bool method_ok)
{
    json_t *arr;
    char base[PATH_MAX_LEN];
    pr_path_join(base, sizeof base, pbase, "endpoints");
    if (pr_get(c, props, pbase, "endpoints", W_ARRAY, &arr) != 1)
        return;
    size_t n = json_array_size(arr);
    if (n > PROFILE_MAX_ENDPOINTS)
        pr_fail(c, base, NULL, "at most %d endpoints, got %zu", PROFILE_MAX_ENDPOINTS, n);
    struct endpoint *v = arena_alloc(c->a, (n ? n : 1) * sizeof *v);
    struct ep_aux *x = xcalloc(n ? n : 1, sizeof *x);
    for (size_t i = 0; i < n; i++) {
        snprintf(x[i].path, sizeof x[i].path, "%s[%zu]", base, i);
        snprintf(x[i].ppath, sizeof x[i].ppath, "%s", x[i].path);
        json_t *ev = json_array_get(arr, i);
        v[i].health_idx = HEALTH_NONE;
        if (!json_is_object(ev)) {
            pr_fail(c, x[i].path, NULL, "expected an object, got %s", pr_type_name(ev));
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
