/* dnssec.c: authenticated denial at answer time (see dns/dnssec.h). */
#include "config.h"
#include "dns/dnssec.h"

#include <string.h>

#include <ldns/ldns.h>

#include "gtm/nsec3.h"
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
    add_ns(r, e->owner, e->owner_len, e->rrset);
}

/* The NSEC3 that proves e's name has no qtype: at a name whose answers
 * vary by query, the record made without it (zones/dnssec.c). */
static void
add_nodata(struct plan *r, const struct nsec3_entry *e, uint16_t qtype)
{
    unsigned k = qtype == LDNS_RR_TYPE_A      ? NSEC3_NODATA_A
                 : qtype == LDNS_RR_TYPE_AAAA ? NSEC3_NODATA_AAAA
                                              : NSEC3_NODATA_OTHER;
    add_ns(r, e->owner, e->owner_len, e->nodata[k] ? e->nodata[k] : e->rrset);
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
