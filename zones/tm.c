/* tm.c: endpoint answers, prepared once per profile, and the health slots
 * and counters a profile keeps in every snapshot that shares it (the index
 * handed from each snapshot to the next). */
#include "config.h"
#include "zones/tm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldns/ldns.h>

#include "gtm/alloc.h"
#include "gtm/health.h"
#include "gtm/probe.h"
#include "gtm/profile.h"
#include "gtm/stats.h"
#include "profiles/profile.h"
#include "zones/build.h"

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
    /* an array of its own size: a spec is copied into every snapshot */
    spec->headers = arena_alloc(a, (n + 1) * sizeof *spec->headers);
    spec->headers[spec->nheaders++] = host ? *host : (struct header_kv){"Host", target};
    for (unsigned i = 0; i < n && spec->nheaders < PROFILE_MAX_HEADERS + 1; i++)
        if (&merged[i] != host)
            spec->headers[spec->nheaders++] = merged[i];
}

/* ---- the slot index ---- */

struct tm_slot {
    struct probe_spec spec; /* its strings live in mem */
    struct arena *mem;
    uint32_t users;      /* endpoints that use it; 0: free, filled by tm_compact */
    bool relabel;        /* its first user may have changed: tm_compact names it again */
    struct tm_user *who; /* the users (xrealloc'd; users of them, in no order) */
    uint32_t who_cap;
};

struct stats_range {
    uint32_t at, len;
};

struct tm_index {
    /* Counters: one row per worker, shared by the snapshots of the line
     * while they fit (cap), so a change carries only what it moved. */
    _Atomic uint64_t *rows;
    uint64_t *base;
    uint32_t row_cap;
    unsigned nworkers;
    struct tm_slot *slot;
    uint32_t nslots, cap;
    uint32_t *map; /* key -> slot + 1 (0: empty), mask + 1 entries, at most half full */
    uint32_t mask;
    uint32_t nstats;               /* counters handed out so far */
    struct stats_range *free_list; /* free counters, sorted, adjacent ones merged */
    uint32_t nfree, free_cap;
};

static uint32_t
key_hash(const char *k)
{
    return dname_hash((const uint8_t *)k, strlen(k));
}

static void
map_rebuild(struct tm_index *t)
{
    uint32_t size = 16;
    while (size < t->nslots * 2 + 2)
        size *= 2;
    free(t->map);
    t->map = xcalloc(size, sizeof *t->map);
    t->mask = size - 1;
    for (uint32_t i = 0; i < t->nslots; i++) {
        uint32_t h = key_hash(t->slot[i].spec.key) & t->mask;
        while (t->map[h])
            h = (h + 1) & t->mask;
        t->map[h] = i + 1;
    }
}

/* The slot of key, or UINT32_MAX. */
static uint32_t
map_find(const struct tm_index *t, const char *key)
{
    for (uint32_t h = key_hash(key) & t->mask; t->map[h]; h = (h + 1) & t->mask)
        if (strcmp(t->slot[t->map[h] - 1].spec.key, key) == 0)
            return t->map[h] - 1;
    return UINT32_MAX;
}

struct tm_index *
tm_index_new(void)
{
    struct tm_index *t = xcalloc(1, sizeof *t);
    map_rebuild(t);
    return t;
}

void
tm_index_free(struct tm_index *t)
{
    if (!t)
        return;
    for (uint32_t i = 0; i < t->nslots; i++) {
        arena_free(t->slot[i].mem);
        free(t->slot[i].who);
    }
    free(t->slot);
    free(t->map);
    free(t->free_list);
    free((void *)t->rows);
    free(t->base);
    free(t);
}

void
tm_prepare_profile(struct arena *a, struct profile *p)
{
    if (p->prepared)
        return;
    struct arena *pa = p->arena ? p->arena : a;
    /* Priority order once, so a query walks it and stops at the first up. */
    uint16_t *order = arena_alloc(pa, (p->nendpoints ? p->nendpoints : 1) * 2);
    profile_priority_order(p, order);
    p->by_priority = order;
    for (uint32_t k = 0; k < p->nendpoints; k++) {
        p->endpoints[k].rrset = endpoint_rrset(pa, p, &p->endpoints[k]);
        p->endpoints[k].health_idx = HEALTH_NONE;
    }
    p->prepared = true;
}

/* Counters: a run of len, first fit among the free ones, else new. */
static uint32_t
stats_take(struct tm_index *t, uint32_t len)
{
    for (uint32_t i = 0; i < t->nfree; i++) {
        struct stats_range *r = &t->free_list[i];
        if (r->len < len)
            continue;
        uint32_t at = r->at;
        r->at += len;
        r->len -= len;
        if (r->len == 0) {
            memmove(r, r + 1, (t->nfree - i - 1) * sizeof *r);
            t->nfree--;
        }
        return at;
    }
    uint32_t at = t->nstats;
    t->nstats += len;
    return at;
}

static void
stats_give(struct tm_index *t, uint32_t at, uint32_t len)
{
    if (!len)
        return;
    uint32_t i = 0;
    while (i < t->nfree && t->free_list[i].at < at)
        i++;
    if (t->nfree == t->free_cap) {
        t->free_cap = t->free_cap ? t->free_cap * 2 : 16;
        t->free_list = xrealloc(t->free_list, t->free_cap * sizeof *t->free_list);
    }
    memmove(&t->free_list[i + 1], &t->free_list[i], (t->nfree - i) * sizeof *t->free_list);
    t->free_list[i] = (struct stats_range){at, len};
    t->nfree++;
    /* merge with the next, then with the previous */
    if (i + 1 < t->nfree && t->free_list[i].at + t->free_list[i].len == t->free_list[i + 1].at) {
        t->free_list[i].len += t->free_list[i + 1].len;
        memmove(&t->free_list[i + 1], &t->free_list[i + 2],
                (t->nfree - i - 2) * sizeof *t->free_list);
        t->nfree--;
    }
    if (i > 0 && t->free_list[i - 1].at + t->free_list[i - 1].len == t->free_list[i].at) {
        t->free_list[i - 1].len += t->free_list[i].len;
        memmove(&t->free_list[i], &t->free_list[i + 1], (t->nfree - i - 1) * sizeof *t->free_list);
        t->nfree--;
    }
}

/* The probe of endpoint e of p, its strings in a. */
static void
spec_build(struct arena *a, struct probe_spec *spec, const struct profile *p,
           const struct endpoint *e)
{
    memset(spec, 0, sizeof *spec);
    spec->proto = p->mon.protocol;
    spec->host = arena_strdup(a, e->target);
    spec->port = p->mon.port;
    spec->path = p->mon.protocol == PROBE_TCP ? NULL : arena_strdup(a, p->mon.path);
    spec->interval_ms = p->mon.interval_s * 1000;
    spec->timeout_ms = p->mon.timeout_s * 1000;
    spec->fall = (uint8_t)(p->mon.tolerated >= 0 ? p->mon.tolerated + 1 : 3);
    spec->nranges = p->mon.nranges;
    memcpy(spec->ranges, p->mon.ranges, sizeof spec->ranges);
    if (spec->proto != PROBE_TCP) {
        merge_headers(a, spec, p, e);
        for (unsigned i = 0; i < spec->nheaders; i++)
            spec->headers[i] = (struct header_kv){arena_strdup(a, spec->headers[i].name),
                                                  arena_strdup(a, spec->headers[i].value)};
    }
    spec->key = tm_probe_key(a, spec);
}

/* One more user of slot idx: endpoint k of p. */
static void
who_add(struct tm_slot *sl, const struct profile *p, uint32_t k)
{
    if (sl->users == sl->who_cap) {
        sl->who_cap = sl->who_cap ? sl->who_cap * 2 : 2;
        sl->who = xrealloc(sl->who, sl->who_cap * sizeof *sl->who);
    }
    sl->who[sl->users++] = (struct tm_user){p->name, p->endpoints[k].name, k};
}

/* Endpoint k of p no longer uses the slot (a clone names its original's
 * strings: the same pointers). */
static void
who_remove(struct tm_slot *sl, const struct profile *p, uint32_t k)
{
    for (uint32_t i = 0; i < sl->users; i++)
        if (sl->who[i].profile == p->name && sl->who[i].index == k) {
            sl->who[i] = sl->who[--sl->users];
            return;
        }
    sl->users--; /* not listed: cannot happen */
}

void
tm_add(struct tm_index *t, struct profile *p)
{
    /* Probed: enabled endpoints of enabled profiles, but not alwaysServe
     * (always up) nor nested ones (their child's health counts). */
    for (uint32_t k = 0; k < p->nendpoints; k++) {
        struct endpoint *e = &p->endpoints[k];
        e->health_idx = HEALTH_NONE;
        if (!p->enabled || !e->enabled || e->always_serve || e->kind == EP_NESTED || !e->target)
            continue;
        struct arena *mem = arena_new_small(256); /* a probe's strings: most need less */
        struct probe_spec spec;
        spec_build(mem, &spec, p, e);
        uint32_t idx = map_find(t, spec.key);
        if (idx != UINT32_MAX) {
            arena_free(mem);
            who_add(&t->slot[idx], p, k);
            t->slot[idx].relabel = true;
            e->health_idx = idx;
            continue;
        }
        char label[300];
        snprintf(label, sizeof label, "%s/%s", p->name, e->name);
        spec.label = arena_strdup(mem, label);
        if (t->nslots == t->cap) {
            t->cap = t->cap ? t->cap * 2 : 64;
            t->slot = xrealloc(t->slot, t->cap * sizeof *t->slot);
        }
        idx = t->nslots++;
        t->slot[idx] = (struct tm_slot){spec, mem, 0, false, NULL, 0};
        who_add(&t->slot[idx], p, k);
        if (t->nslots * 2 + 2 > t->mask + 1) {
            map_rebuild(t);
        } else {
            uint32_t h = key_hash(spec.key) & t->mask;
            while (t->map[h])
                h = (h + 1) & t->mask;
            t->map[h] = idx + 1;
        }
        e->health_idx = idx;
    }
    /* Query counters: its outcomes, then one per endpoint. */
    p->stats_slot = stats_take(t, TM_OUTCOMES + p->nendpoints);
    for (uint32_t k = 0; k < p->nendpoints; k++)
        p->endpoints[k].stats_slot = p->stats_slot + TM_OUTCOMES + k;
}

void
tm_remove(struct tm_index *t, const struct profile *p)
{
    for (uint32_t k = 0; k < p->nendpoints; k++) {
        uint32_t idx = p->endpoints[k].health_idx;
        if (idx != HEALTH_NONE && idx < t->nslots && t->slot[idx].users) {
            who_remove(&t->slot[idx], p, k);
            t->slot[idx].relabel = true;
        }
    }
    /* Its counters are freed by tm_stats_release, once no worker counts
     * into them any more. */
}

void
tm_stats_release(struct tm_index *t, uint32_t at, uint32_t len)
{
    if (t)
        stats_give(t, at, len);
}

/* Frees a block with the snapshot that may still read it. */
static void
retire_block(struct gtm_snapshot *dying, void *block)
{
    if (!dying) {
        free(block);
        return;
    }
    dying->blocks = xrealloc(dying->blocks, (dying->nblocks + 1) * sizeof *dying->blocks);
    dying->blocks[dying->nblocks++] = block;
}

static void
retire(struct gtm_snapshot *dying, struct arena *mem)
{
    if (!dying) {
        arena_free(mem);
        return;
    }
    dying->garbage = xrealloc(dying->garbage, (dying->ngarbage + 1) * sizeof *dying->garbage);
    dying->garbage[dying->ngarbage++] = mem;
}

void
tm_compact(struct tm_index *t, struct profile **v, uint32_t n, struct gtm_snapshot *dying,
           struct tm_swap **swaps, uint32_t *nswaps)
{
    bool moved = false;
    for (uint32_t d = 0; d < t->nslots; d++) {
        if (t->slot[d].users)
            continue;
        retire(dying, t->slot[d].mem);
        free(t->slot[d].who);
        moved = true;
        /* Unused slots at the end just go. */
        while (t->nslots > d + 1 && t->slot[t->nslots - 1].users == 0) {
            retire(dying, t->slot[--t->nslots].mem);
            free(t->slot[t->nslots].who);
        }
        uint32_t last = t->nslots - 1;
        if (last == d) {
            t->nslots--;
            break;
        }
        t->slot[d] = t->slot[last];
        t->nslots--;
        for (uint32_t i = 0; i < n; i++) {
            struct profile *p = v[i];
            bool uses = false;
            for (uint32_t k = 0; k < p->nendpoints && !uses; k++)
                uses = p->endpoints[k].health_idx == last;
            if (!uses)
                continue;
            if (atomic_load(&p->refs) != 0) { /* shared with a published snapshot */
                struct profile *c = profile_clone(p);
                *swaps = xrealloc(*swaps, (*nswaps + 1) * sizeof **swaps);
                (*swaps)[(*nswaps)++] = (struct tm_swap){p, c};
                v[i] = p = c;
            }
            for (uint32_t k = 0; k < p->nendpoints; k++)
                if (p->endpoints[k].health_idx == last)
                    p->endpoints[k].health_idx = d;
        }
    }
    if (moved)
        map_rebuild(t);

    /* A slot is labelled after its first user in name order, as a full
     * load labels it: name again those whose users changed. */
    bool any = false;
    for (uint32_t i = 0; i < t->nslots && !any; i++)
        any = t->slot[i].relabel;
    for (uint32_t i = 0; any && i < n; i++)
        for (uint32_t k = 0; k < v[i]->nendpoints; k++) {
            uint32_t idx = v[i]->endpoints[k].health_idx;
            if (idx == HEALTH_NONE || idx >= t->nslots || !t->slot[idx].relabel)
                continue;
            struct tm_slot *sl = &t->slot[idx];
            char label[300];
            snprintf(label, sizeof label, "%s/%s", v[i]->name, v[i]->endpoints[k].name);
            if (strcmp(label, sl->spec.label) != 0)
                sl->spec.label = arena_strdup(sl->mem, label);
            sl->relabel = false;
        }
    for (uint32_t i = 0; i < t->nslots; i++)
        t->slot[i].relabel = false;
}

void
tm_fill(struct tm_index *t, struct gtm_snapshot *s, unsigned nworkers, struct gtm_snapshot *dying)
{
    uint32_t n = t->nslots;
    struct probe_spec *probes = arena_alloc(s->arena, (n ? n : 1) * sizeof *probes);
    for (uint32_t i = 0; i < n; i++)
        probes[i] = t->slot[i].spec;
    s->probes = probes;
    s->nprobes = n;
    s->health = arena_alloc(s->arena, (n ? n : 1) * sizeof *s->health);
    for (uint32_t i = 0; i < n; i++)
        atomic_init(&s->health[i].status, EPS_CHECKING);

    /* One row of counters per worker, each starting on its own cache line,
     * kept while the slots fit; then larger ones, which the snapshot
     * being replaced hands over by name (stats_carry). */
    uint32_t slots = t->nstats;
    if (!t->base || slots > t->row_cap || nworkers != t->nworkers) {
        uint32_t cap = t->row_cap ? t->row_cap : 64;
        while (cap < slots)
            cap *= 2;
        cap = (cap + 7) & ~7u;
        retire_block(dying, (void *)t->rows);
        retire_block(dying, t->base);
        t->rows = NULL;
        if (nworkers) {
            size_t bytes = (size_t)nworkers * cap * sizeof(uint64_t);
            t->rows = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
            if (!t->rows)
                abort();
            memset((void *)t->rows, 0, bytes);
        }
        t->base = xcalloc(cap, sizeof *t->base);
        t->row_cap = cap;
        t->nworkers = nworkers;
    }
    s->nstats = slots;
    s->nstats_stride = t->row_cap;
    s->nworkers = nworkers;
    s->stats_base = t->base;
    s->stats = slots ? t->rows : NULL;
}

uint32_t
tm_users(const struct tm_index *t, uint32_t idx, const struct tm_user **who)
{
    if (!t || idx >= t->nslots) {
        *who = NULL;
        return 0;
    }
    *who = t->slot[idx].who;
    return t->slot[idx].users;
}
