/* plan.c: the plan stage of the pipeline: what to answer for a name. The
 * zone, a delegation, the exact node or the wildcard standing in for it,
 * the CNAME chain, a negative answer; at a traffic manager name, its
 * profile's routing method picks the endpoints (the only query-time call
 * into policy/) and the outcome is counted. Per query: a few hash probes. */
#include "config.h"
#include "dns/plan.h"

#include <string.h>

#include <ldns/ldns.h>

#include "gtm/stats.h"
#include "policy/policy.h"

enum step { STEP_OUTSIDE, STEP_DONE, STEP_CNAME, STEP_NODE };

/* Label start offsets of a valid wire name; offs[nlabels] is the root. */
static unsigned
label_offsets(const uint8_t *name, uint8_t offs[DNAME_MAXLABELS + 1])
{
    unsigned n = 0, i = 0;
    while (name[i]) {
        offs[n++] = (uint8_t)i;
        i += (unsigned)name[i] + 1;
    }
    offs[n] = (uint8_t)i;
    return n;
}

static void
add(struct rr_ref *sec, unsigned idx, const uint8_t *owner, size_t len, const struct rrset *rrset)
{
    sec[idx] = (struct rr_ref){owner, (uint8_t)len, rrset};
}

/* DNSSEC: what a signed zone's answer must prove (dns/dnssec.c adds the
 * records when the query has DO). Unsigned zones: one load and a branch. */
static inline void
deny(struct plan *r, const struct zone *z, const uint8_t *name, uint8_t len, uint8_t kind,
     const struct zone_node *node)
{
    if (__builtin_expect(z->nsec3 != NULL, 0) && r->ndeny < PLAN_MAX_DENY)
        r->deny[r->ndeny++] = (struct plan_deny){z, name, len, kind, node};
}

/* DNSSEC: an answer a nested profile gave is sent under p's name, with the
 * signature made for that name (the last answer added is set's). */
static inline void
nested_sig(struct plan *r, const struct profile *p, const struct rrset *set)
{
    if (__builtin_expect(p->nnested_sigs != 0, 0)) {
        const struct rrset *sig = profile_nested_sig(p, set);
        if (sig) {
            r->an_sig[r->nan - 1] = sig;
            r->an_sig_mask |= 1u << (r->nan - 1);
        }
    }
}

/* DNSSEC: the answers from before on are one pick of several endpoints
 * under owner: to be signed as one RRset per type (dns/dnssec.c). */
__attribute__((noinline, cold)) static void
multi(struct plan *r, unsigned before, const uint8_t *owner, uint8_t owner_len,
      const struct rrsig_signer *sg)
{
    r->multi_at = (uint8_t)before;
    r->multi_n = (uint8_t)(r->nan - before);
    r->multi_owner = owner;
    r->multi_owner_len = owner_len;
    r->multi_signer = sg;
}

/* A negative answer for name (in zone z): the SOA, owned by the apex, which
 * is the tail of the name: the owner points there, so that the answer
 * compresses it into the question when name is the question. */
static void
negative(struct plan *r, const struct zone *z, const uint8_t *name, uint8_t len, uint8_t rcode)
{
    r->rcode = rcode;
    add(r->ns, 0, name + len - z->apex_len, z->apex_len, z->neg_soa);
    r->nns = 1;
    deny(r, z, name, len, rcode == LDNS_RCODE_NXDOMAIN ? DENY_NXDOMAIN : DENY_NODATA, NULL);
}

/* A delegation of the question's name (only the first name of a chain gets
 * one): the cut's NS and glue, not authoritative. */
static void
referral(struct plan *r, const struct zone_node *cut)
{
    r->aa = false;
    add(r->ns, 0, cut->name, cut->name_len, cut->ns);
    r->nns = 1;
    deny(r, cut->zone, cut->name, cut->name_len, DENY_REFERRAL, cut);
    for (uint16_t i = 0; i < cut->ns->nglue && r->nar < PLAN_MAX_AR; i++) {
        const struct glue *g = &cut->ns->glue[i];
        add(r->ar, r->nar++, g->owner, g->owner_len, g->rrset);
    }
}

/* A traffic manager name: the profile picks endpoints, whose prepared
 * RRsets answer when their type fits the query (reference §1.3). */
/* Room in trace for the profile of name (NULL when the chain is longer
 * than the room), its levels cleared. */
__attribute__((noinline, cold)) static struct policy_trace *
trace_step(struct dns_trace *trace, const uint8_t *name, uint8_t len)
{
    if (trace->nsteps >= PLAN_MAX_CNAMES)
        return NULL;
    struct dns_trace_step *st = &trace->step[trace->nsteps++];
    st->name = name;
    st->len = len;
    for (unsigned k = 0; k < POLICY_NEST_MAX; k++)
        st->level[k].p = NULL;
    return st->level;
}

static inline __attribute__((always_inline)) enum step
profile_step(const struct zone *z, const struct profile *p, const struct policy_ctx *pc,
             const uint8_t *name, uint8_t len, uint16_t qtype, struct plan *r,
             const struct rrset **next, struct dns_trace *trace)
{
    struct policy_pick *pick = &r->pick;
    int rc = trace ? policy_choose_traced(p, pc, pick, trace_step(trace, name, len))
                   : policy_choose(p, pc, pick);
    if (pick->scope > r->ecs_scope)
        r->ecs_scope = pick->scope;
    if (rc != POLICY_OK) {
        stats_bump(pc->stats, p->stats_slot + (rc == POLICY_NXDOMAIN ? TM_NXDOMAIN : TM_NODATA));
        negative(r, z, name, len, rc == POLICY_NXDOMAIN ? LDNS_RCODE_NXDOMAIN : LDNS_RCODE_NOERROR);
        return STEP_DONE;
    }
    unsigned before = r->nan;
    for (unsigned i = 0; i < pick->n && r->nan < PLAN_MAX_AN; i++) {
        const struct rrset *set = pick->ep[i]->rrset;
        if (set->type == qtype || qtype == LDNS_RR_TYPE_ANY) {
            add(r->an, r->nan++, name, len, set);
            nested_sig(r, p, set);
            stats_bump(pc->stats, pick->ep[i]->stats_slot); /* answers that returned it */
        } else if (set->type == LDNS_RR_TYPE_CNAME &&
                   (qtype == LDNS_RR_TYPE_A || qtype == LDNS_RR_TYPE_AAAA)) {
            add(r->an, r->nan++, name, len, set);
            nested_sig(r, p, set);
            stats_bump(pc->stats, p->stats_slot + TM_ANSWER);
            stats_bump(pc->stats, pick->ep[i]->stats_slot);
            *next = set;
            return STEP_CNAME;
        }
    }
    if (__builtin_expect(r->nan - before > 1, 0) && z->signer.keys)
        multi(r, before, name, len, &z->signer);
    if (r->nan == before) {
        stats_bump(pc->stats, p->stats_slot + TM_NODATA);
        negative(r, z, name, len, LDNS_RCODE_NOERROR); /* NODATA */
        return STEP_DONE;
    }
    stats_bump(pc->stats, p->stats_slot + TM_ANSWER);
    return STEP_DONE;
}

/* Where the answer of an ALIAS is noted in a trace: who answered, from
 * which answer RRset on. */
__attribute__((noinline, cold)) static void
trace_alias(struct dns_trace *trace, const struct alias *al, unsigned at)
{
    trace->alias = al;
    trace->alias_at = at;
    for (unsigned i = at; i < PLAN_MAX_AN; i++)
        trace->alias_from[i] = NULL;
}

/* An A/AAAA query (ANY, at a name with no other data: as A) at a node
 * with an ALIAS: the addresses of the target's answer, owned by name (the
 * node's or the question's), from the RRsets prepared at load time. A
 * profile target is looked up by name, so that its current version
 * answers, and runs through the policy as its own name does: health, ECS
 * and its scope, and its counters. Endpoints whose target is a name out
 * of our zones give no address; nothing to answer: NODATA (the name
 * exists). Always the last step of a chain. */
static inline __attribute__((always_inline)) enum step
alias_step(const struct gtm_snapshot *s, const struct alias *al, const struct policy_ctx *pc,
           const uint8_t *name, uint32_t len_qtype, struct plan *r, struct dns_trace *trace)
{
    const struct zone *z = al->node->zone;
    uint8_t len = (uint8_t)len_qtype;
    uint16_t qtype = (uint16_t)(len_qtype >> 8);
    bool want_a = qtype != LDNS_RR_TYPE_AAAA;
    if (trace)
        trace_alias(trace, al, r->nan);
    if (al->kind == ALIAS_STATIC) {
        const struct rrset *set = want_a ? al->a : al->aaaa;
        if (set)
            add(r->an, r->nan++, name, len, set);
        else
            negative(r, z, name, len, LDNS_RCODE_NOERROR);
        return STEP_DONE;
    }
    const struct zone_node *tn = snapshot_find_name(s, al->target, al->target_len, al->target_hash);
    const struct profile *p = tn ? tn->profile : NULL;
    const struct alias_answers *aa = p && al->ord < p->naliases ? p->aliases[al->ord] : NULL;
    if (!aa) { /* the profile left since the load: as Azure DNS's alias to a deleted resource */
        negative(r, z, name, len, LDNS_RCODE_NOERROR);
        return STEP_DONE;
    }
    struct policy_pick *pick = &r->pick;
    int rc = trace ? policy_choose_traced(p, pc, pick, trace_step(trace, tn->name, tn->name_len))
                   : policy_choose(p, pc, pick);
    if (pick->scope > r->ecs_scope)
        r->ecs_scope = pick->scope;
    if (rc != POLICY_OK) {
        stats_bump(pc->stats, p->stats_slot + (rc == POLICY_NXDOMAIN ? TM_NXDOMAIN : TM_NODATA));
        negative(r, z, name, len, LDNS_RCODE_NOERROR); /* the ALIAS's name exists */
        return STEP_DONE;
    }
    unsigned before = r->nan;
    for (unsigned i = 0; i < pick->n && r->nan < PLAN_MAX_AN; i++) {
        const struct alias_rrsets *e = alias_rrsets_find(aa, pick->ep[i]->rrset);
        const struct rrset *set = e ? (want_a ? e->a : e->aaaa) : NULL;
        if (!set)
            continue;
        if (trace)
            trace->alias_from[r->nan] = pick->ep[i]->rrset;
        add(r->an, r->nan++, name, len, set);
        stats_bump(pc->stats, pick->ep[i]->stats_slot);
    }
    if (__builtin_expect(r->nan - before > 1, 0) && z->signer.keys)
        multi(r, before, al->owner, al->owner_len, &z->signer);
    if (r->nan == before) {
        stats_bump(pc->stats, p->stats_slot + TM_NODATA);
        negative(r, z, name, len, LDNS_RCODE_NOERROR);
        return STEP_DONE;
    }
    stats_bump(pc->stats, p->stats_slot + TM_ANSWER);
    return STEP_DONE;
}

/* The ALIAS step, out of line: the untraced copy, and the traced one. The
 * name's length and the query type come in one argument (qtype << 8 | len),
 * so that all go in registers, and the code around the call (every
 * answer's) keeps the registers it had without it. */
__attribute__((noinline)) static enum step
alias_plain(const struct gtm_snapshot *s, const struct alias *al, const struct policy_ctx *pc,
            const uint8_t *name, uint32_t len_qtype, struct plan *r)
{
    return alias_step(s, al, pc, name, len_qtype, r, NULL);
}

__attribute__((noinline, cold)) static enum step
alias_traced(const struct gtm_snapshot *s, const struct alias *al, const struct policy_ctx *pc,
             const uint8_t *name, uint32_t len_qtype, struct plan *r, struct dns_trace *trace)
{
    return alias_step(s, al, pc, name, len_qtype, r, trace);
}

/* What walk found: STEP_NODE and the wildcard to answer from, or the end
 * of this step (STEP_OUTSIDE, or STEP_DONE with NXDOMAIN or a referral). */
struct walked {
    enum step st;
    const struct zone_node *node;
};

/* A name absent from the exact-name table: the zone that holds it, then
 * a delegation above it or the wildcard that stands in for it. */
static struct walked
walk(const struct gtm_snapshot *s, const uint8_t *name, uint8_t len, bool first, struct plan *r)
{
    uint8_t offs[DNAME_MAXLABELS + 1];
    unsigned nl = label_offsets(name, offs);
    unsigned zi = nl > s->max_apex_labels ? nl - s->max_apex_labels : 0;
    const struct zone *z = NULL;
    for (; zi <= nl; zi++)
        if ((z = snapshot_find_zone(s, name + offs[zi], len - offs[zi])) != NULL)
            break;
    if (!z)
        return (struct walked){STEP_OUTSIDE, NULL};
    if (!z->has_cuts && !z->has_wildcards) {
        negative(r, z, name, len, LDNS_RCODE_NXDOMAIN); /* nothing below can match */
        return (struct walked){STEP_DONE, NULL};
    }

    /* Walk down from the apex: delegations first, then the closest encloser.
     * The name itself (offset 0) is known to be absent. */
    const struct zone_node *encloser = z->apex_node;
    for (unsigned i = zi; i-- > 1;) {
        const struct zone_node *n = zone_find_node(z, name + offs[i], len - offs[i]);
        if (!n)
            break;
        encloser = n;
        if (n->flags & NODE_CUT) {
            if (first)
                referral(r, n);
            else
                r->aa = true; /* the chain so far is ours; the rest is theirs */
            return (struct walked){STEP_DONE, NULL};
        }
    }
    /* RFC 4592: the source of synthesis is "*." + the closest encloser. */
    uint8_t wild[DNAME_MAXLEN];
    const struct zone_node *w = NULL;
    if (z->has_wildcards && encloser->name_len + 2 <= DNAME_MAXLEN) {
        wild[0] = 1;
        wild[1] = '*';
        memcpy(wild + 2, encloser->name, encloser->name_len);
        w = zone_find_node(z, wild, encloser->name_len + 2u);
    }
    if (!w) {
        negative(r, z, name, len, LDNS_RCODE_NXDOMAIN);
        return (struct walked){STEP_DONE, NULL};
    }
    return (struct walked){STEP_NODE, w};
}

/* The data of a node (exact, or the wildcard standing in for the name). */
static inline __attribute__((always_inline)) enum step
answer_node(const struct gtm_snapshot *s, const struct zone *z, const struct zone_node *node,
            const struct policy_ctx *pc, const uint8_t *name, uint8_t len, uint16_t qtype,
            struct plan *r, const struct rrset **next, struct dns_trace *trace)
{
    if (node->profile)
        return profile_step(z, node->profile, pc, name, len, qtype, r, next, trace);
    const struct rrset *set = NULL;
    if (node->cname && qtype != LDNS_RR_TYPE_CNAME) {
        add(r->an, r->nan++, name, len, node->cname);
        *next = node->cname;
        return STEP_CNAME;
    }
    if (qtype == LDNS_RR_TYPE_ANY)
        set = node->rrsets; /* RFC 8482: one RRset is enough */
    else
        set = node_find_rrset(node, qtype);
    if (set) {
        add(r->an, r->nan++, name, len, set);
        /* The apex NS: its in-zone name servers' addresses (glue_build). */
        for (uint16_t i = 0; __builtin_expect(set->nglue != 0, 0) && i < set->nglue; i++)
            if (r->nar < PLAN_MAX_AR)
                add(r->ar, r->nar++, set->glue[i].owner, set->glue[i].owner_len,
                    set->glue[i].rrset);
    } else if (__builtin_expect(node->alias != NULL, 0) &&
               (qtype == LDNS_RR_TYPE_A || qtype == LDNS_RR_TYPE_AAAA || qtype == LDNS_RR_TYPE_ANY))
        return trace ? alias_traced(s, node->alias, pc, name, (uint32_t)qtype << 8 | len, r, trace)
                     : alias_plain(s, node->alias, pc, name, (uint32_t)qtype << 8 | len, r);
    else
        negative(r, z, name, len, LDNS_RCODE_NOERROR);
    return STEP_DONE;
}

/* RFC 4035 3.1.4.1: DS at a zone cut is the parent's data. When the
 * parent zone is served here too, the apex of the child (which the
 * exact-name table holds) gives way to the parent's delegation node:
 * the parent's DS, or its NODATA with its proof. NULL when no zone above
 * is served or it does not delegate this name. Only DS queries at an
 * apex come here. */
static const struct zone_node *
parent_side(const struct gtm_snapshot *s, const struct zone_node *apex)
{
    const uint8_t *name = apex->name;
    size_t len = apex->name_len;
    while (len > 1) {
        len -= (size_t)name[0] + 1;
        name += name[0] + 1;
        const struct zone *z = snapshot_find_zone(s, name, len);
        if (z) {
            const struct zone_node *n = zone_find_node(z, apex->name, apex->name_len);
            return n && n->cut == n ? n : NULL;
        }
    }
    return NULL;
}

/* One name of the chain. On STEP_CNAME, *next is the target to follow. */
static inline __attribute__((always_inline)) enum step
step(const struct gtm_snapshot *s, const struct policy_ctx *pc, const uint8_t *name, uint8_t len,
     uint32_t hash, uint16_t qtype, bool first, struct plan *r, const struct rrset **next,
     struct dns_trace *trace)
{
    /* The common case: a name that exists, in the zone authoritative for it. */
    const struct zone_node *node = snapshot_find_name(s, name, len, hash);
    if (!node) {
        struct walked wk = walk(s, name, len, first, r);
        if (wk.st != STEP_NODE)
            return wk.st;
        node = wk.node;
        deny(r, node->zone, name, len, DENY_WILDCARD, node);
        if (first)
            r->wild = node;
    } else if (__builtin_expect(qtype == LDNS_RR_TYPE_DS && (node->flags & NODE_APEX), 0)) {
        const struct zone_node *up = parent_side(s, node);
        if (up)
            node = up;
    } else if (node->cut && !(node->cut == node && qtype == LDNS_RR_TYPE_DS && node->zone->nsec3)) {
        /* (a signed parent answers DS at its own cut: RFC 4035 3.1.4.1) */
        if (first)
            referral(r, node->cut);
        else
            r->aa = true;
        return STEP_DONE;
    }
    return answer_node(s, node->zone, node, pc, name, len, qtype, r, next, trace);
}

/* The walk; its untraced copy (trace a constant NULL) has no trace in it. */
static inline __attribute__((always_inline)) int
plan(const struct gtm_snapshot *s, const struct policy_ctx *pc, const uint8_t *qname, uint8_t qlen,
     uint32_t qhash, uint16_t qtype, struct plan *r, struct dns_trace *trace)
{
    plan_init(r);
    if (trace)
        trace->alias = NULL;

    const uint8_t *name = qname;
    uint8_t len = qlen;
    uint32_t hash = qhash;
    for (unsigned hops = 0;; hops++) {
        const struct rrset *cname = NULL;
        enum step st = step(s, pc, name, len, hash, qtype, hops == 0, r, &cname, trace);
        if (st == STEP_OUTSIDE)
            return hops == 0 ? PLAN_REFUSED : PLAN_ANSWER;
        if (st == STEP_DONE || hops + 1 >= PLAN_MAX_CNAMES || !cname->target)
            return PLAN_ANSWER;
        name = cname->target;
        len = cname->target_len;
        hash = dname_hash(name, len);
    }
}

int
plan_query(const struct gtm_snapshot *s, const struct policy_ctx *pc, const uint8_t *qname,
           uint8_t qlen, uint32_t qhash, uint16_t qtype, struct plan *r)
{
    return plan(s, pc, qname, qlen, qhash, qtype, r, NULL);
}

int
plan_query_traced(const struct gtm_snapshot *s, const struct policy_ctx *pc, const uint8_t *qname,
                  uint8_t qlen, uint32_t qhash, uint16_t qtype, struct plan *r,
                  struct dns_trace *trace)
{
    return plan(s, pc, qname, qlen, qhash, qtype, r, trace);
}
