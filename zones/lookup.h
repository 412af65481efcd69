/* lookup.h: name -> answer plan over a snapshot. Pure: no allocation, no I/O. */
#ifndef GTM_ZONES_LOOKUP_H
#define GTM_ZONES_LOOKUP_H

#include <stdbool.h>
#include <stdint.h>

#include "gtm/snapshot.h"
#include "policy/policy.h"

#define LOOKUP_MAX_CNAMES 8
#define LOOKUP_MAX_AN     (LOOKUP_MAX_CNAMES + 12) /* a chain, then MultiValue's 10 */
#define LOOKUP_MAX_AR     64

/* One RRset to put in a section, under this owner (lowercase wire). */
struct rr_ref {
    const uint8_t *owner;
    uint8_t owner_len;
    const struct rrset *rrset;
};

enum lookup_status {
    LOOKUP_ANSWER,  /* rcode/sections filled in (NOERROR, NXDOMAIN, NODATA, referral) */
    LOOKUP_REFUSED, /* the name is in none of our zones */
};

struct lookup_result {
    uint8_t rcode; /* 0 NOERROR or 3 NXDOMAIN */
    bool aa;
    uint8_t ecs_scope; /* client prefix bits the answer depended on (RFC 7871 SCOPE) */
    uint8_t nan, nns;
    uint16_t nar;
    struct rr_ref an[LOOKUP_MAX_AN];
    struct rr_ref ns[1];
    struct rr_ref ar[LOOKUP_MAX_AR];
    struct policy_pick pick; /* room for a profile's decision on the way */
};

/* zone_lookup: what to answer for (qname, qtype). qname is lowercase wire of
 * qlen bytes, valid for as long as r is used (answers may point into it);
 * qhash is dname_hash(qname, qlen).
 * Follows CNAMEs inside our zones, synthesises wildcards, stops at zone cuts,
 * and runs the profile of a traffic manager name through pc (its health
 * table, PRNG and client). Fills r; returns enum lookup_status. Any thread. */
int zone_lookup(const struct gtm_snapshot *s, const struct policy_ctx *pc, const uint8_t *qname,
                uint8_t qlen, uint32_t qhash, uint16_t qtype, struct lookup_result *r);

#endif
