/* plan.h: the plan stage of the pipeline (STYLE 4.2): name -> what to
 * answer, over a snapshot: zone, delegation, exact node, wildcard, CNAME
 * chain, and a traffic manager name's profile through the policy (dns/ is
 * the policy's only caller at query time). Pure: no allocation, no I/O. */
#ifndef GTM_DNS_PLAN_H
#define GTM_DNS_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "gtm/snapshot.h"
#include "gtm/policy.h"

#define PLAN_MAX_CNAMES 8
#define PLAN_MAX_AN     (PLAN_MAX_CNAMES + 12) /* a chain, then MultiValue's 10 */
#define PLAN_MAX_AR     64
#define PLAN_MAX_NS     12 /* the SOA or NS, then DNSSEC's denial records (dns/dnssec.c) */
#define PLAN_MAX_DENY   4
_Static_assert(PLAN_MAX_AN <= 32, "an_sig_mask has a bit per answer RRset");

/* One RRset to put in a section, under this owner (lowercase wire). */
struct rr_ref {
    const uint8_t *owner;
    uint8_t owner_len;
    const struct rrset *rrset;
};

enum plan_status {
    PLAN_ANSWER,  /* rcode/sections filled in (NOERROR, NXDOMAIN, NODATA, referral) */
    PLAN_REFUSED, /* the name is in none of our zones */
};

/* What a traced query went through (only when the API's resolve asks:
 * struct dns_view's trace): each traffic manager name of the chain with its
 * profile's trace; what the answer holds; the verdict. Written by
 * plan_query (steps) and dns_handle (the rest). */
struct dns_trace {
    bool looked;       /* the name was looked up (false: the code came before) */
    uint8_t ecs_scope; /* the answer's scope, as plan_query left it */
    unsigned nsteps;
    struct dns_trace_step {
        const uint8_t *name; /* the traffic manager name (lowercase wire) */
        uint8_t len;
        struct policy_trace level[POLICY_NEST_MAX]; /* its profile, then nested ones */
    } step[PLAN_MAX_CNAMES];
    unsigned nserved;
    const struct rrset *served[PLAN_MAX_AN]; /* the answer section's RRsets (for an ALIAS's,
                                              * the endpoint RRsets they stand for) */
    /* An ALIAS that answered A/AAAA (NULL: none), the first of its RRsets
     * in the answer section, and the endpoint RRset each stands for (NULL
     * for a static target's). Written by plan_query. */
    const struct alias *alias;
    unsigned alias_at;
    const struct rrset *alias_from[PLAN_MAX_AN];
};

/* What a signed zone must prove for this answer (filled only for zones
 * with an NSEC3 chain; dns/dnssec.c turns each into NSEC3 or DS records
 * when the query has DO). */
enum plan_deny_kind {
    DENY_NXDOMAIN, /* name does not exist: closest encloser proof */
    DENY_NODATA,   /* name (or the wildcard standing in for it) lacks the type */
    DENY_WILDCARD, /* answer synthesised from node (a wildcard): no closer name */
    DENY_REFERRAL, /* delegation at node: its DS, or the proof that it has none */
};

struct plan_deny {
    const struct zone *z;
    const uint8_t *name; /* lowercase wire */
    uint8_t len;
    uint8_t kind;
    const struct zone_node *node; /* the wildcard or the cut */
};

struct plan {
    uint8_t rcode; /* 0 NOERROR or 3 NXDOMAIN */
    bool aa;
    uint8_t ecs_scope; /* client prefix bits the answer depended on (RFC 7871 SCOPE) */
    uint8_t nan, nns;
    uint16_t nar;
    uint8_t ndeny;
    struct rr_ref an[PLAN_MAX_AN];
    struct rr_ref ns[PLAN_MAX_NS];
    struct plan_deny deny[PLAN_MAX_DENY];
    /* DNSSEC: an[i] is sent with an_sig[i] instead of its own RRSIGs when
     * bit i of an_sig_mask is set (a nested profile's answer under its
     * parent's name). */
    uint32_t an_sig_mask;
    const struct rrset *an_sig[PLAN_MAX_AN];
    /* DNSSEC: an[multi_at, multi_at + multi_n) are the answers of one pick
     * of several endpoints (MultiValue) in a signed zone: those of one type
     * are one RRset, signed as one under multi_owner (dns/dnssec.c) when
     * the query has DO. multi_n 0: none. */
    /* The wildcard that answered the question's name, or NULL (response
     * rate limiting keys such answers on it). */
    const struct zone_node *wild;
    uint8_t multi_at, multi_n, multi_owner_len;
    const uint8_t *multi_owner;
    const struct rrsig_signer *multi_signer;
    struct rr_ref ar[PLAN_MAX_AR];
    struct policy_pick pick; /* room for a profile's decision on the way */
};

/* plan_init: r as a plan starts: NOERROR, authoritative, every section
 * and every DNSSEC note empty. Whoever fills a plan (plan_query, the CHAOS
 * answers) starts here, so that nothing of an earlier query is left. */
static inline void
plan_init(struct plan *r)
{
    r->rcode = 0; /* NOERROR */
    r->aa = true;
    r->ecs_scope = 0;
    r->nan = r->nns = 0;
    r->nar = 0;
    r->ndeny = 0;
    r->an_sig_mask = 0;
    r->multi_n = 0;
    r->wild = NULL;
}

/* plan_query: what to answer for (qname, qtype). qname is lowercase wire of
 * qlen bytes, valid for as long as r is used (answers may point into it);
 * qhash is dname_hash(qname, qlen).
 * Follows CNAMEs inside our zones, synthesises wildcards, stops at zone cuts,
 * and runs the profile of a traffic manager name through pc (its health
 * table, PRNG and client), counting the outcome; an A/AAAA query at an
 * ALIAS answers with the addresses of its target (a profile, run the same
 * way and counted as its own answer, or static records). Fills r; returns
 * enum plan_status. Any thread. */
int plan_query(const struct gtm_snapshot *s, const struct policy_ctx *pc, const uint8_t *qname,
               uint8_t qlen, uint32_t qhash, uint16_t qtype, struct plan *r);

/* plan_query_traced: the same, writing the steps of trace [out]. */
int plan_query_traced(const struct gtm_snapshot *s, const struct policy_ctx *pc,
                      const uint8_t *qname, uint8_t qlen, uint32_t qhash, uint16_t qtype,
                      struct plan *r, struct dns_trace *trace);

#endif
