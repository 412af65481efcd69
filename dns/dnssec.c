/* dnssec.c: authenticated denial at answer time (see dns/dnssec.h). */
#include "config.h"
#include "dns/dnssec.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ldns/ldns.h>

#include "gtm/alloc.h"
#include "gtm/log.h"
#include "gtm/nsec3.h"
#include "gtm/rrsig.h"
#include "gtm/snapshot.h"

/* Adds rrset under owner to the authority section, once. */
static void
add_ns(struct plan *r, const uint8_t *owner, uint8_t len, const struct rrset *s)
{
    for (unsigned i = 0; i < r->nns; i++)
        if (r->ns[i].rrset == s)
            return;
    if (r->nns < PLAN_MAX_NS)
        r->ns[r->nns++] = (struct rr_ref){owner, len, s};
}

/* Adds NSEC3 record s of entry e, once per owner: one response must not
 * carry two records of one owner (a validator would see an RRset of two,
 * each signed alone). A NODATA proof needs the record without the type
 * (nodata: s is it); a covering or closest encloser proof is served by
 * either (the bitmaps differ in A, AAAA and CNAME only), so it wins. */
static void
add_nsec3(struct plan *r, const struct nsec3_entry *e, const struct rrset *s, bool nodata)
{
    for (unsigned i = 0; i < r->nns; i++)
        if (r->ns[i].owner == e->owner) {
            if (nodata)
                r->ns[i].rrset = s;
            return;
        }
    add_ns(r, e->owner, e->owner_len, s);
}

/* The NSEC3 that matches (or, match NULL, covers) name in z's chain. */
static const struct nsec3_entry *
lookup(const struct zone *z, const uint8_t *name, size_t len, int *match)
{
    uint8_t h[NSEC3_HASH_LEN];
    const struct nsec3_chain *c = z->nsec3;
    nsec3_hash(name, len, NULL, c->salt_len, c->iterations, h);
    return nsec3_find(c, h, match);
}

static void
add_entry(struct plan *r, const struct nsec3_entry *e)
{
    add_nsec3(r, e, e->rrset, false);
}

/* The NSEC3 that proves e's name has no qtype: at a name whose answers
 * vary by query, the record made without it (zones/dnssec.c). */
static void
add_nodata(struct plan *r, const struct nsec3_entry *e, uint16_t qtype)
{
    unsigned k = qtype == LDNS_RR_TYPE_A      ? NSEC3_NODATA_A
                 : qtype == LDNS_RR_TYPE_AAAA ? NSEC3_NODATA_AAAA
                                              : NSEC3_NODATA_OTHER;
    add_nsec3(r, e, e->nodata[k] ? e->nodata[k] : e->rrset, true);
}

/* The closest encloser of name (absent from z, or only a wildcard's):
 * the longest proper ancestor that has an NSEC3 of its own (a node of the
 * zone that the chain holds). Returns its offset in name; the NSEC3 in *ce. */
static size_t
closest_encloser(const struct zone *z, const uint8_t *name, size_t len,
                 const struct nsec3_entry **ce)
{
    size_t off = (size_t)name[0] + 1;
    while (len - off > z->apex_len) {
        int match = 0;
        if (zone_find_node(z, name + off, len - off)) {
            const struct nsec3_entry *e = lookup(z, name + off, len - off, &match);
            if (match) {
                *ce = e;
                return off;
            }
        }
        off += (size_t)name[off] + 1;
    }
    int match = 0;
    *ce = lookup(z, z->apex, z->apex_len, &match);
    return len - z->apex_len;
}

/* The next closer name: the ancestor of name one label longer than the
 * closest encloser at offset ce_off. */
static size_t
next_closer(const uint8_t *name, size_t ce_off)
{
    size_t off = 0, prev = 0;
    while (off < ce_off) {
        prev = off;
        off += (size_t)name[off] + 1;
    }
    return prev;
}

/* "*." + the closest encloser, covered (NXDOMAIN) or matched (wildcard
 * NODATA for qtype). */
static void
wildcard_at(struct plan *r, const struct zone *z, const uint8_t *ce, size_t ce_len, uint16_t qtype)
{
    uint8_t wild[DNAME_MAXLEN];
    if (ce_len + 2 > DNAME_MAXLEN)
        return;
    wild[0] = 1;
    wild[1] = '*';
    memcpy(wild + 2, ce, ce_len);
    int match = 0;
    const struct nsec3_entry *e = lookup(z, wild, ce_len + 2, &match);
    if (match)
        add_nodata(r, e, qtype);
    else
        add_entry(r, e);
}

/* RFC 5155 7.2.1 (and 7.2.5 for a wildcard without the type). */
static void
prove_absent(struct plan *r, const struct zone *z, const uint8_t *name, size_t len, uint16_t qtype)
{
    const struct nsec3_entry *ce = NULL;
    size_t off = closest_encloser(z, name, len, &ce);
    add_entry(r, ce);
    int match = 0;
    size_t nc = next_closer(name, off);
    add_entry(r, lookup(z, name + nc, len - nc, &match));
    wildcard_at(r, z, name + off, len - off, qtype);
}

void
dns_dnssec_prove(const struct gtm_snapshot *s, struct plan *r, uint16_t qtype)
{
    for (unsigned i = 0; i < r->ndeny; i++) {
        const struct plan_deny *d = &r->deny[i];
        const struct zone *z = d->z;
        /* The --domain zone's nodes point at the load's copy of it; the
         * snapshot's own copy has the profiles' names, and their chain. */
        if (s->domain && z->apex == s->domain->apex)
            z = s->domain;
        int match = 0;
        switch (d->kind) {
        case DENY_NXDOMAIN:
            prove_absent(r, z, d->name, d->len, qtype);
            break;
        case DENY_NODATA: {
            const struct nsec3_entry *e = lookup(z, d->name, d->len, &match);
            if (match)
                add_nodata(r, e, qtype); /* 7.2.3 */
            else
                prove_absent(r, z, d->name, d->len, qtype); /* from a wildcard: 7.2.5 */
            break;
        }
        case DENY_WILDCARD: {
            /* 7.2.6: the closest encloser is the wildcard's parent; cover
             * the name one label below it, toward the question. */
            size_t ce_len = (size_t)d->node->name_len - 2;
            size_t nc = next_closer(d->name, d->len - ce_len);
            add_entry(r, lookup(z, d->name + nc, d->len - nc, &match));
            break;
        }
        case DENY_REFERRAL: {
            const struct rrset *ds = node_find_rrset(d->node, LDNS_RR_TYPE_DS);
            if (ds) {
                add_ns(r, d->node->name, d->node->name_len, ds);
            } else {
                const struct nsec3_entry *e = lookup(z, d->name, d->len, &match);
                add_entry(r, e); /* 7.2.7: the cut's own NSEC3 (no opt-out) */
            }
            break;
        }
        default:
            break;
        }
    }
}

/* ---- signatures over several endpoints' records (MultiValue) ----
 *
 * Which endpoints a MultiValue pick returns depends on health and on the
 * PRNG, so the RRset they make cannot all be signed at load time: each
 * answering thread signs one the first time it answers it and keeps the
 * signature in a table of its own (no lock, no sharing), bounded, keyed
 * by the snapshot's generation, the signer, the owner and the endpoint
 * RRsets; a signature older than half its lifetime is made again. */

#define SIGCACHE_SLOTS 256 /* per thread */
_Static_assert(SIGCACHE_SLOTS % 64 == 0, "busy has a bit per slot; slots pair by their last bit");

struct sig_entry {
    uint64_t generation;
    const struct rrsig_signer *signer;
    uint8_t owner[DNAME_MAXLEN]; /* (a question's name lives in a buffer the next query reuses) */
    uint8_t owner_len;
    uint8_t n;
    uint16_t type;
    const struct rrset *sets[PLAN_MAX_AN]; /* sorted by address */
    int64_t made;
    struct arena *arena; /* holds rrsig */
    const struct rrset *rrsig;
};

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static _Thread_local struct sig_entry *cache;
static _Atomic uint64_t signed_now; /* signatures made at answer time (all threads) */

static void
cache_free(void *p)
{
    struct sig_entry *v = p;
    for (unsigned i = 0; v && i < SIGCACHE_SLOTS; i++)
        arena_free(v[i].arena);
    free(v);
}

static void
cache_key_make(void)
{
    (void)pthread_key_create(&cache_key, cache_free);
}

static int
ptr_cmp(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t) * (const struct rrset *const *)a;
    uintptr_t y = (uintptr_t) * (const struct rrset *const *)b;
    return (x > y) - (x < y);
}

/* The RRSIG RRset over sets[0..n) (one type) under owner, made now. */
static const struct rrset *
make(struct sig_entry *e, const struct rrsig_signer *sg, const uint8_t *owner, uint8_t owner_len,
     const struct rrset *const *sets, unsigned n, int64_t now)
{
    const uint8_t *rd[RRSIG_MAX_RECORDS];
    uint16_t rdlen[RRSIG_MAX_RECORDS];
    unsigned m = 0;
    uint32_t ttl = UINT32_MAX;
    for (unsigned i = 0; i < n; i++) {
        const uint8_t *p = sets[i]->wire;
        if (m + sets[i]->count > RRSIG_MAX_RECORDS)
            return NULL; /* more than one signature covers: the caller sends fewer */
        for (uint16_t k = 0; k < sets[i]->count; k++) {
            rdlen[m] = (uint16_t)(p[0] << 8 | p[1]);
            rd[m] = p + 2;
            p += 2 + rdlen[m++];
        }
        if (sets[i]->ttl < ttl)
            ttl = sets[i]->ttl;
    }
    uint8_t out[2048];
    size_t len = 0;
    int count = rrsig_make(sg, owner, owner_len, sets[0]->type, ttl, rd, rdlen, m, now, out,
                           sizeof out, &len);
    if (count <= 0)
        return NULL;
    arena_free(e->arena);
    e->arena = arena_new_small(len + 256);
    struct rrset *s = arena_alloc(e->arena, sizeof *s);
    s->type = LDNS_RR_TYPE_RRSIG;
    s->count = (uint16_t)count;
    s->ttl = ttl;
    s->wire_len = (uint32_t)len;
    s->wire = arena_memdup(e->arena, out, len);
    rrset_prepare(e->arena, s);
    atomic_fetch_add_explicit(&signed_now, 1, memory_order_relaxed);
    return s;
}

static bool
entry_is(const struct sig_entry *e, const struct gtm_snapshot *snap, const struct rrsig_signer *sg,
         const uint8_t *owner, uint8_t owner_len, const struct rrset *const *sets, unsigned n,
         int64_t now)
{
    return e->rrsig && e->generation == snap->generation && e->signer == sg &&
           e->owner_len == owner_len && memcmp(e->owner, owner, owner_len) == 0 && e->n == n &&
           e->type == sets[0]->type && memcmp(e->sets, sets, n * sizeof *sets) == 0 &&
           now - e->made < sg->lifetime / 2;
}

/* This thread's signature over sets[0..n) (sorted) under owner: from one
 * of the two slots the key hashes to, or made now into the other (the
 * older, unless busy: *busy has a bit per slot this answer already holds a
 * signature from, which must outlive it). */
static const struct rrset *
union_sig(const struct gtm_snapshot *snap, const struct rrsig_signer *sg, const uint8_t *owner,
          uint8_t owner_len, const struct rrset **sets, unsigned n,
          uint64_t busy[SIGCACHE_SLOTS / 64])
{
    if (!cache) {
        pthread_once(&cache_once, cache_key_make);
        cache = xcalloc(SIGCACHE_SLOTS, sizeof *cache);
        (void)pthread_setspecific(cache_key, cache);
    }
    uint64_t h = dname_hash(owner, owner_len) * 0x9E3779B97F4A7C15ull;
    for (unsigned i = 0; i < n; i++)
        h = (h ^ (uintptr_t)sets[i]) * 0x9E3779B97F4A7C15ull;
    unsigned slot[2] = {(unsigned)(h >> 40) % SIGCACHE_SLOTS, 0};
    slot[1] = slot[0] ^ 1;
    int64_t now = (int64_t)time(NULL);
    for (int k = 0; k < 2; k++)
        if (entry_is(&cache[slot[k]], snap, sg, owner, owner_len, sets, n, now)) {
            busy[slot[k] / 64] |= 1ull << (slot[k] % 64);
            return cache[slot[k]].rrsig;
        }
    bool busy0 = busy[slot[0] / 64] >> (slot[0] % 64) & 1;
    bool busy1 = busy[slot[1] / 64] >> (slot[1] % 64) & 1;
    if (busy0 && busy1)
        return NULL;
    unsigned v = busy0                                       ? slot[1]
                 : busy1                                     ? slot[0]
                 : cache[slot[1]].made < cache[slot[0]].made ? slot[1]
                                                             : slot[0];
    struct sig_entry *e = &cache[v];
    e->rrsig = make(e, sg, owner, owner_len, sets, n, now);
    if (!e->rrsig) {
        log_rl_warn("dnssec: cannot sign %u RRsets as one at answer time", n);
        return NULL;
    }
    e->generation = snap->generation;
    e->signer = sg;
    memcpy(e->owner, owner, owner_len);
    e->owner_len = owner_len;
    e->n = (uint8_t)n;
    e->type = sets[0]->type;
    memcpy(e->sets, sets, n * sizeof *sets);
    e->made = now;
    busy[v / 64] |= 1ull << (v % 64);
    return e->rrsig;
}

void
dns_dnssec_union(const struct gtm_snapshot *s, struct plan *r)
{
    unsigned end = (unsigned)r->multi_at + r->multi_n;
    uint32_t done = 0, drop = 0;
    uint64_t busy[SIGCACHE_SLOTS / 64] = {0};
    for (unsigned i = r->multi_at; i < end; i++) {
        if (done >> i & 1)
            continue;
        const struct rrset *sets[PLAN_MAX_AN];
        unsigned at[PLAN_MAX_AN], n = 0;
        for (unsigned j = i; j < end; j++)
            if (r->an[j].rrset->type == r->an[i].rrset->type) {
                at[n] = j;
                sets[n++] = r->an[j].rrset;
                done |= 1u << j;
            }
        if (n < 2)
            continue; /* alone of its type: its own signature */
        qsort(sets, n, sizeof *sets, ptr_cmp);
        const struct rrset *sig =
            union_sig(s, r->multi_signer, r->multi_owner, r->multi_owner_len, sets, n, busy);
        for (unsigned k = 0; k < n; k++) {
            if (!sig) { /* the first alone, with its own signature, rather than bogus */
                if (k)
                    drop |= 1u << at[k];
                continue;
            }
            r->an_sig[at[k]] = k == 0 ? sig : NULL;
            r->an_sig_mask |= 1u << at[k];
        }
    }
    if (drop) {
        unsigned o = r->multi_at;
        for (unsigned i = r->multi_at; i < r->nan; i++) {
            if (drop >> i & 1)
                continue;
            r->an[o] = r->an[i];
            r->an_sig[o] = r->an_sig[i];
            r->an_sig_mask = (r->an_sig_mask & ~(1u << o)) | (((r->an_sig_mask >> i) & 1u) << o);
            o++;
        }
        r->an_sig_mask &= o < 32 ? (1u << o) - 1 : ~0u;
        r->nan = (uint8_t)o;
    }
}

uint64_t
dns_dnssec_signed_now(void)
{
    return atomic_load_explicit(&signed_now, memory_order_relaxed);
}
