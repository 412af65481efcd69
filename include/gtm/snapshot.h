/* snapshot.h: the immutable data the answering path reads. Built by zones/
 * on the loop thread, published atomically, freed once every worker has
 * moved on (see src/reload.c). Workers never write to it. A snapshot made
 * for a change of one profile shares every other profile, and every zone
 * but the --domain one, with the snapshot it replaces: each profile is
 * reference-counted, the zones belong to the load they came from. */
#ifndef GTM_GTM_SNAPSHOT_H
#define GTM_GTM_SNAPSHOT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "gtm/compiler.h"
#include "gtm/dname.h"
#include "gtm/err.h" /* struct config_errors, config_error */
#include "gtm/rrsig.h"

struct arena;
struct rrset;
struct profile;
struct zone_node;
struct probe_spec;
struct health_slot;
struct net_table;
struct geoip;

/* Glue for a delegation: an in-zone address RRset of one name server. */
struct glue {
    const uint8_t *owner; /* lowercase wire */
    uint8_t owner_len;
    const struct rrset *rrset;
};

/* One RRset, its RDATA prepared as wire bytes at load time. */
struct rrset {
    uint16_t type;
    uint16_t count;      /* records */
    uint32_t ttl;        /* the minimum TTL of its records */
    uint32_t wire_len;   /* bytes in wire */
    const uint8_t *wire; /* count x (RDLENGTH in network order, RDATA); names uncompressed */
    const uint8_t *rrs;  /* the whole RRset as it goes into an answer owned by the question
                          * name: count x (C0 0C, TYPE, CLASS, TTL, RDLENGTH, RDATA) */
    uint32_t rrs_len;
    const uint8_t *target; /* CNAME: lowercase wire of the target name, else NULL */
    uint8_t target_len;
    uint16_t nglue;
    const struct glue *glue; /* NS at a zone cut: A/AAAA of in-zone name servers */
    const struct rrset *next;
    /* DNSSEC (--keys): the RRSIG RRset that covers this one, prepared the
     * same way (type RRSIG, one record per key), or NULL: unsigned. Written
     * at load time by zones/dnssec.c; the answer path only copies it. */
    const struct rrset *rrsig;
};

/* rrset_prepare: fills s->rrs/rrs_len from s->wire, s->type and s->ttl,
 * in a (load time, or a cache's own arena). */
struct arena;
void rrset_prepare(struct arena *a, struct rrset *s);

/* One NSEC3 record of a signed zone's chain (RFC 5155), made at load time. */
struct nsec3_entry {
    uint8_t hash[20];  /* SHA-1 of the owner it stands for: the sort key */
    uint8_t owner_len; /* base32hex(hash) + "." + apex, lowercase wire */
    const uint8_t *owner;
    const struct rrset *rrset; /* the NSEC3 RRset (one record) and its rrsig */
    /* A name whose A, AAAA or CNAME answer depends on the query (a
     * profile's, an ALIAS's): rrset lists every type it can answer; a
     * NODATA proof there takes nodata[NSEC3_NODATA_A] for A,
     * [NSEC3_NODATA_AAAA] for AAAA, [NSEC3_NODATA_OTHER] for the rest: the
     * same record without the type asked nor CNAME, signed too. NULL:
     * rrset already lacks them. */
    const struct rrset *nodata[3];
};
enum { NSEC3_NODATA_A, NSEC3_NODATA_AAAA, NSEC3_NODATA_OTHER };

/* A signed zone's NSEC3 chain: parameters (RFC 9276: SHA-1, no extra
 * iterations, no salt, no opt-out) and the entries sorted by hash. */
struct nsec3_chain {
    uint16_t iterations; /* always 0 */
    uint8_t salt_len;    /* always 0 */
    uint32_t n;
    const struct nsec3_entry *v;
};

struct zone_keys; /* zones/dnssec.c: a signed zone's keys (loop thread only) */

enum {
    NODE_APEX = 1 << 0,
    NODE_CUT = 1 << 1, /* NS below the apex: a delegation */
};

/* ALIAS (PowerDNS's type 65401): "NAME TTL IN ALIAS target." in a zone
 * file. It is never an RRset of its node and never goes on the wire: A and
 * AAAA queries at NAME (where the node has no such RRset: a zone file may
 * not have both) answer with the addresses of the target's answer, owned
 * by NAME. zones/alias.c follows the target through CNAMEs and ALIASes
 * inside gtmd's zones at load time, to a traffic manager profile's name or
 * to static A/AAAA RRsets. Every RRset an ALIAS can answer with is made at
 * load time, owned by NAME, with its TTL the smallest on the way: for a
 * static target here (a, aaaa), for a profile in the profile
 * (profile->aliases[ord], struct alias_answers), so that a new version of
 * the profile brings its own. */
#define RR_TYPE_ALIAS 65401

enum alias_kind {
    ALIAS_STATIC,  /* a, aaaa: the target's A/AAAA RRsets */
    ALIAS_PROFILE, /* the profile named target (looked up per query: the current one) */
};

struct alias {
    const struct zone_node *node; /* its owner's node */
    const uint8_t *owner;         /* lowercase wire: the ALIAS's own name (a wildcard's "*" kept) */
    uint8_t owner_len;
    uint8_t written_len;
    uint8_t target_len;
    uint8_t hops; /* CNAMEs and ALIASes followed from written to target */
    enum alias_kind kind;
    uint32_t ttl;                 /* the ALIAS record's TTL */
    uint32_t chain_ttl;           /* the smallest TTL from the ALIAS to target (its own included) */
    const uint8_t *written;       /* lowercase wire: the target as the zone file gives it */
    const uint8_t *target;        /* lowercase wire: where the chain ends (a profile's name, or
                                   * the name holding a and aaaa) */
    uint32_t target_hash;         /* dname_hash(target) */
    uint32_t ord;                 /* ALIAS_PROFILE: its index in the target profile's aliases[] */
    const struct rrset *a, *aaaa; /* ALIAS_STATIC: owner's copies (NULL: none of that type) */
    const char *file;             /* where it is written, for messages */
    unsigned line;
};

/* What an ALIAS answers when its profile picks an endpoint: the endpoint's
 * RRset (from, a key only: never read), and the ALIAS owner's copy of it,
 * or of the addresses of the name it names inside gtmd's zones. */
struct alias_rrsets {
    const struct rrset *from;
    const struct rrset *a, *aaaa;
};

/* One ALIAS's answers over every endpoint its profile (and the profiles
 * nested in it) can pick: an open-addressed table keyed by the endpoint
 * RRset, at most half full. */
struct alias_answers {
    const struct alias *alias;
    uint32_t mask;                   /* slot has mask + 1 entries */
    uint32_t n;                      /* used */
    const struct alias_rrsets *slot; /* from NULL: empty */
};

/* alias_slot_of: where the answers for endpoint RRset from start looking. */
static inline uint32_t
alias_slot_of(const struct rrset *from, uint32_t mask)
{
    return (uint32_t)(((uintptr_t)from >> 4) * 0x9E3779B1u) & mask;
}

/* alias_rrsets_find: the answers for endpoint RRset from, or NULL. */
static inline const struct alias_rrsets *
alias_rrsets_find(const struct alias_answers *aa, const struct rrset *from)
{
    uint32_t i = alias_slot_of(from, aa->mask);
    for (const struct alias_rrsets *e; (e = &aa->slot[i])->from; i = (i + 1) & aa->mask)
        if (e->from == from)
            return e;
    return NULL;
}

struct zone_node {
    const uint8_t *name; /* lowercase wire */
    uint8_t name_len;
    uint8_t flags;
    /* The zone it belongs to: its apex and SOAs. Look names up through the
     * snapshot's tables (snapshot_find_zone, ztable): the --domain zone's
     * names are shared by the snapshots of one load, each of which has its
     * own table of them. */
    const struct zone *zone;
    const struct zone_node *cut;   /* the delegation at or above it, or NULL */
    const struct profile *profile; /* a traffic manager name: the answer comes from it */
    const struct rrset *rrsets;    /* NULL for an empty non-terminal */
    const struct rrset *cname;     /* shortcut into rrsets */
    const struct rrset *ns;        /* shortcut into rrsets */
    const struct alias *alias;     /* its ALIAS, or NULL: looked at only when an A/AAAA
                                    * lookup finds no RRset */
};

struct zone {
    const uint8_t *apex; /* lowercase wire */
    uint8_t apex_len;
    uint8_t apex_labels;
    bool has_cuts;
    bool has_wildcards; /* some name starts with the label "*" */
    const char *file;   /* where it came from, for messages */
    const struct zone_node *apex_node;
    const struct rrset *soa;     /* the SOA as an answer */
    const struct rrset *neg_soa; /* the SOA for negative answers: TTL = min(TTL, MINIMUM) */
    uint32_t nnodes;
    uint32_t mask; /* table has mask + 1 slots */
    const struct zone_node **table;
    /* DNSSEC: NULL for a zone without keys. */
    const struct nsec3_chain *nsec3; /* authenticated denial, read by dns/dnssec.c */
    const struct zone_keys *keys;    /* the keys that signed it (loop thread only) */
    struct rrsig_signer signer;      /* what signs at query time (keys NULL: unsigned) */
};

struct snapshot_base;
struct tm_index;

/* Longest NSID a snapshot carries (a node name, see --node). */
#define SNAPSHOT_NSID_MAX 63

struct gtm_snapshot {
    struct arena *arena;        /* its own parts: lists, --domain zone, tables, counters */
    struct snapshot_base *base; /* shared: zones, tables and geoip of the load */
    struct tm_index *tmi;       /* health slots and counters; handed to the next snapshot */
    struct arena **garbage;     /* probes stopped by the next snapshot: freed with this one */
    uint32_t ngarbage;
    void **blocks; /* counters the next snapshot outgrew: freed with this one */
    uint32_t nblocks;
    /* What this snapshot changed from the one before it (snapshot_change),
     * for stats_carry: np took old's place (np NULL: old deleted). */
    const struct profile *moved_from, *moved_to;
    bool changed;
    uint32_t nnested;          /* nested endpoints over all profiles */
    uint32_t ndotted;          /* profiles whose relativeName has a dot (empty non-terminals) */
    struct profile **profiles; /* sorted by name; each held (profile_ref) */
    uint32_t nprofiles;
    /* The same profiles in the orders the management API lists them
     * (zones/owners.h): those without an owner first, by name (nunowned of
     * them); then by subscription (by_sub) or by subscription and resource
     * group (by_rg), then by name. Loop thread only. */
    struct profile **by_sub, **by_rg;
    uint32_t nunowned;
    const struct zone *domain;  /* the --domain zone, where profile names live */
    struct probe_spec *probes;  /* one per distinct probe */
    struct health_slot *health; /* nprobes slots, written by the monitor only */
    uint32_t nstats;            /* counters per worker row (see gtm/stats.h) */
    uint32_t nworkers;          /* rows */
    _Atomic uint64_t *stats;    /* nworkers rows of nstats_stride, each on its own cache lines;
                                 * shared by the snapshots of one load while they fit */
    uint32_t nstats_stride;
    uint64_t *stats_base;            /* totals carried over from earlier rows (loop thread) */
    const struct net_table *latency; /* --latency-table, or NULL */
    const struct net_table *geo;     /* --geo-table, or NULL */
    struct geoip *geoip;             /* --geoip database (mapped), or NULL */
    uint32_t nprobes;
    uint32_t nzones;
    uint32_t zmask; /* zone table has zmask + 1 slots */
    const struct zone **ztable;
    /* Every name that the most specific zone holding it defines, across
     * zones: one probe answers the common case (an exact name). */
    uint32_t nmask;
    const struct zone_node **ntable;
    uint32_t nnames; /* entries in ntable */
    uint8_t max_apex_labels;
    const struct rrset *chaos_id;      /* CH TXT of id.server, hostname.bind, or NULL */
    const struct rrset *chaos_version; /* CH TXT of version.bind, version.server, or NULL */
    uint8_t nsid_len;                  /* bytes of nsid; 0: no NSID is answered */
    const uint8_t *nsid;               /* NSID (RFC 5001) answered to a query that asks for it: this
                                        * node's name (shared by the snapshots of one load) */
    time_t loaded;
    uint64_t generation;
};

/* snapshot_stats_row: worker w's row of counters (NULL when none). */
static inline _Atomic uint64_t *
snapshot_stats_row(const struct gtm_snapshot *s, unsigned w)
{
    return s->stats && w < s->nworkers ? s->stats + (size_t)w * s->nstats_stride : NULL;
}

/* stats_bump: one more in a worker's own counter: a plain load and store
 * (one writer per row), atomic only so that the loop may read it. */
static inline void
stats_bump(_Atomic uint64_t *row, uint32_t slot)
{
    if (row)
        atomic_store_explicit(&row[slot],
                              atomic_load_explicit(&row[slot], memory_order_relaxed) + 1,
                              memory_order_relaxed);
}

/* snapshot_find_node: the node of a lowercase wire name inside zone z, or NULL. */
static inline const struct zone_node *
zone_find_node(const struct zone *z, const uint8_t *name, size_t len)
{
    uint32_t i = dname_hash(name, len) & z->mask;
    for (const struct zone_node *n; (n = z->table[i]) != NULL; i = (i + 1) & z->mask)
        if (n->name_len == len && dname_equal(n->name, name, len))
            return n;
    return NULL;
}

/* snapshot_find_name: the node of an exact name in the zone that is
 * authoritative for it, or NULL (then walk the zones). hash is
 * dname_hash(name, len), which the query parser computes as it reads. */
static inline const struct zone_node *
snapshot_find_name(const struct gtm_snapshot *s, const uint8_t *name, size_t len, uint32_t hash)
{
    uint32_t i = hash & s->nmask;
    for (const struct zone_node *n; (n = s->ntable[i]) != NULL; i = (i + 1) & s->nmask)
        if (n->name_len == len && dname_equal(n->name, name, len))
            return n;
    return NULL;
}

/* snapshot_find_zone: the zone whose apex is exactly this lowercase wire name, or NULL. */
static inline const struct zone *
snapshot_find_zone(const struct gtm_snapshot *s, const uint8_t *name, size_t len)
{
    uint32_t i = dname_hash(name, len) & s->zmask;
    for (const struct zone *z; (z = s->ztable[i]) != NULL; i = (i + 1) & s->zmask)
        if (z->apex_len == len && dname_equal(z->apex, name, len))
            return z;
    return NULL;
}

/* rrset_find: the RRset of a type at a node, or NULL. */
static inline const struct rrset *
node_find_rrset(const struct zone_node *n, uint16_t type)
{
    for (const struct rrset *r = n->rrsets; r; r = r->next)
        if (r->type == type)
            return r;
    return NULL;
}

#endif
