/* dnssec.h: the answer-time part of DNSSEC, between plan and answer: the
 * records that prove what a signed zone's answer claims (RFC 5155 7.2),
 * picked from the NSEC3 chain made at load time. The signatures themselves
 * were made at load time too (zones/dnssec.c); answer.c copies them after
 * each RRset. Pure: a few SHA-1 hashes and binary searches, no allocation;
 * but for MultiValue's unions of records, signed once per thread (below). */
#ifndef GTM_DNS_DNSSEC_H
#define GTM_DNS_DNSSEC_H

#include "dns/plan.h"

/* dns_dnssec_prove: (in snapshot s) for each of r->deny (a query with DO whose answer came
 * from signed zones), appends to r's authority section: the closest
 * encloser proof for NXDOMAIN (the closest encloser's NSEC3, the ones
 * covering the next closer name and the wildcard at the closest encloser),
 * the matching NSEC3 for NODATA of qtype (with the wildcard's for a
 * wildcard NODATA; at a name whose answers vary by query, its record made
 * without qtype and CNAME), the NSEC3 covering the next closer name for a wildcard answer,
 * and at a delegation its DS, or the NSEC3 proving it has none. Each NSEC3
 * appears once. Any thread. */
void dns_dnssec_prove(const struct gtm_snapshot *s, struct plan *r, uint16_t qtype);

/* dns_dnssec_union: for a plan with r->multi_n (several endpoints picked,
 * signed zone) and a query with DO: the records of one type among them
 * are one RRset, so they go out with one signature over all of them (the
 * first carries it, r->an_sig; the others none), from this thread's cache
 * or made now with the zone's keys (allocates then). Any thread. */
void dns_dnssec_union(const struct gtm_snapshot *s, struct plan *r);

/* dns_dnssec_signed_now: signatures dns_dnssec_union has made, all threads. */
uint64_t dns_dnssec_signed_now(void);

#endif
