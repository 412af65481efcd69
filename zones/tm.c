/* tm.c: endpoint answers and probes, prepared once per snapshot. */
#include "config.h"
#include "zones/tm.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <ldns/ldns.h>

#include "gtm/alloc.h"
#include "gtm/health.h"
#include "gtm/probe.h"
#include "gtm/profile.h"
#include "gtm/stats.h"

/* The answer an endpoint gives: A, AAAA or CNAME, with the profile's TTL. */
static const struct rrset *
endpoint_rrset(struct arena *a, const struct profile *p, const struct endpoint *e)
{
    uint8_t wire[2 + DNAME_MAXLEN];
    size_t rdlen;
    struct rrset *s = arena_alloc(a, sizeof *s);
    switch (e->tkind) {
    case TARGET_IPV4:
        s->type = LDNS_RR_TYPE_A;
        rdlen = 4;
        memcpy(wire + 2, e->addr, 4);
        break;
    case TARGET_IPV6:
        s->type = LDNS_RR_TYPE_AAAA;
        rdlen = 16;
        memcpy(wire + 2, e->addr, 16);
        break;
    case TARGET_NAME:
        s->type = LDNS_RR_TYPE_CNAME;
        rdlen = e->target_wire_len;
        memcpy(wire + 2, e->target_wire, rdlen);
        s->target = e->target_wire;
        s->target_len = e->target_wire_len;
        break;
    case TARGET_NONE:
    default:
        return NULL;
    }
    wire[0] = (uint8_t)(rdlen >> 8);
    wire[1] = (uint8_t)rdlen;
    s->count = 1;
    s->ttl = p->ttl;
    s->wire_len = (uint32_t)(rdlen + 2);
    s->wire = arena_memdup(a, wire, s->wire_len);
    rrset_prepare(a, s);
    return s;
}

const char *
tm_probe_key(struct arena *a, const struct probe_spec *p)
{
    char key[4096];
    static const char *const proto[] = {"http", "https", "tcp"};
    int n = snprintf(key, sizeof key, "%s|%s|%u|%s|%u|%u|%u|", proto[p->proto], p->host, p->port,
                     p->path ? p->path : "", p->interval_ms, p->timeout_ms, p->fall);
    for (unsigned i = 0; i < p->nranges && n > 0 && (size_t)n < sizeof key; i++)
        n +=
            snprintf(key + n, sizeof key - (size_t)n, "%u-%u,", p->ranges[i].min, p->ranges[i].max);
    for (unsigned i = 0; i < p->nheaders && n > 0 && (size_t)n < sizeof key; i++)
        n += snprintf(key + n, sizeof key - (size_t)n, "|%s:%s", p->headers[i].name,
                      p->headers[i].value);
    return arena_strdup(a, key);
}

/* Profile headers, then the endpoint's (same name: the endpoint wins), with
 * Host first: the target unless a header sets it. */
static void
merge_headers(struct arena *a, struct probe_spec *spec, const struct profile *p,
              const struct endpoint *e)
{
    const struct header_kv *host = NULL;
    struct header_kv merged[2 * PROFILE_MAX_HEADERS];
    unsigned n = 0;
    for (unsigned i = 0; i < p->mon.nheaders; i++) {
        bool overridden = false;
        for (unsigned j = 0; j < e->nheaders; j++)
            if (strcasecmp(p->mon.headers[i].name, e->headers[j].name) == 0)
                overridden = true;
        if (!overridden)
            merged[n++] = p->mon.headers[i];
    }
    for (unsigned j = 0; j < e->nheaders; j++)
        merged[n++] = e->headers[j];
    spec->nheaders = 0;
    for (unsigned i = 0; i < n; i++)
        if (strcasecmp(merged[i].name, "Host") == 0)
            host = &merged[i];
    const char *target = e->target;
    if (!host && e->tkind == TARGET_IPV6) {
        /* RFC 7230 5.4: an IPv6 literal goes in brackets */
        char buf[64];
        snprintf(buf, sizeof buf, "[%s]", e->target);
        target = arena_strdup(a, buf);
    }
    spec->headers[spec->nheaders++] = host ? *host : (struct header_kv){"Host", target};
    for (unsigned i = 0; i < n && spec->nheaders < GTM_ARRAY_LEN(spec->headers); i++)
        if (&merged[i] != host)
            spec->headers[spec->nheaders++] = merged[i];
}

/* A small string -> index map for deduplicating probe keys. */
struct key_map {
    const char **keys;
    uint32_t *idx;
    uint32_t mask;
};

static uint32_t
key_hash(const char *k)
{
    return dname_hash((const uint8_t *)k, strlen(k));
}

void
tm_prepare(struct gtm_snapshot *s, unsigned nworkers)
{
    uint32_t max = 0;
    for (uint32_t i = 0; i < s->nprofiles; i++)
        max += s->profiles[i]->nendpoints;
    struct probe_spec *probes = arena_alloc(s->arena, (max ? max : 1) * sizeof *probes);
    uint32_t size = 16;
    while (size < max * 2)
        size *= 2;
    struct key_map map = {xcalloc(size, sizeof(char *)), xcalloc(size, sizeof(uint32_t)), size - 1};
    uint32_t n = 0;

    for (uint32_t i = 0; i < s->nprofiles; i++) {
        struct profile *p = s->profiles[i];
        /* Priority order once, so a query walks it and stops at the first up. */
        uint16_t *order = arena_alloc(s->arena, (p->nendpoints ? p->nendpoints : 1) * 2);
        for (uint32_t k = 0; k < p->nendpoints; k++) {
            uint32_t at = k;
            while (at > 0 && p->endpoints[order[at - 1]].priority > p->endpoints[k].priority) {
                order[at] = order[at - 1];
                at--;
            }
            order[at] = (uint16_t)k;
        }
        p->by_priority = order;
        for (uint32_t k = 0; k < p->nendpoints; k++) {
            struct endpoint *e = &p->endpoints[k];
            e->rrset = endpoint_rrset(s->arena, p, e);
            e->health_idx = HEALTH_NONE;
            /* Probed: enabled endpoints of enabled profiles, but not alwaysServe
             * (always up) nor nested ones (their child's health counts). */
            if (!p->enabled || !e->enabled || e->always_serve || e->kind == EP_NESTED || !e->target)
                continue;
            struct probe_spec spec = {0};
            char label[300];
            spec.proto = p->mon.protocol;
            spec.host = e->target;
            spec.port = p->mon.port;
            spec.path = p->mon.protocol == PROBE_TCP ? NULL : p->mon.path;
            spec.interval_ms = p->mon.interval_s * 1000;
            spec.timeout_ms = p->mon.timeout_s * 1000;
            spec.fall = (uint8_t)(p->mon.tolerated >= 0 ? p->mon.tolerated + 1 : 3);
            spec.nranges = p->mon.nranges;
            memcpy(spec.ranges, p->mon.ranges, sizeof spec.ranges);
            if (spec.proto != PROBE_TCP)
                merge_headers(s->arena, &spec, p, e);
            spec.key = tm_probe_key(s->arena, &spec);
            uint32_t h = key_hash(spec.key) & map.mask;
            while (map.keys[h] && strcmp(map.keys[h], spec.key) != 0)
                h = (h + 1) & map.mask;
            if (!map.keys[h]) {
                snprintf(label, sizeof label, "%s/%s", p->name, e->name);
                spec.label = arena_strdup(s->arena, label);
                map.keys[h] = spec.key;
                map.idx[h] = n;
                probes[n++] = spec;
            }
            e->health_idx = map.idx[h];
        }
    }
    free(map.keys);
    free(map.idx);

    /* Query counters: per profile its outcomes, then one per endpoint; one
     * row per worker, each starting on its own cache line. */
    uint32_t slots = 0;
    for (uint32_t i = 0; i < s->nprofiles; i++) {
        struct profile *p = s->profiles[i];
        p->stats_slot = slots;
        slots += TM_OUTCOMES;
        for (uint32_t k = 0; k < p->nendpoints; k++)
            p->endpoints[k].stats_slot = slots++;
    }
    s->nstats = slots;
    s->nstats_stride = (slots + 7) & ~7u;
    s->nworkers = nworkers;
    s->stats_base = arena_alloc(s->arena, (slots ? slots : 1) * sizeof *s->stats_base);
    if (nworkers && slots) {
        size_t bytes = (size_t)nworkers * s->nstats_stride * sizeof(uint64_t) + 64;
        uintptr_t raw = (uintptr_t)arena_alloc(s->arena, bytes);
        s->stats = (_Atomic uint64_t *)((raw + 63) & ~(uintptr_t)63);
    }
    s->probes = probes;
    s->nprobes = n;
    s->health = arena_alloc(s->arena, (n ? n : 1) * sizeof *s->health);
    for (uint32_t i = 0; i < n; i++)
        atomic_init(&s->health[i].status, EPS_CHECKING);
}
