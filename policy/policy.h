/* policy.h: routing methods as a registry (policy.c holds it). Each method
 * takes a profile and what the client looks like, reads the health table,
 * and picks endpoints into a caller-provided result; with a trace it also
 * writes down why. Pure: no allocation, no lock, no I/O; any worker thread.
 * dns/ is the only caller at query time; the profile loader runs the
 * load-time checks, the API renders a trace. The types are the contract
 * in gtm/policy.h. */
#ifndef GTM_POLICY_POLICY_H
#define GTM_POLICY_POLICY_H

#include "gtm/policy.h"

/* policy_choose_traced: runs p's routing method (nested endpoints run their
 * child profile, at most POLICY_NEST_MAX levels). t: NULL, or room for
 * POLICY_NEST_MAX levels, t[k] written for nesting depth k (t[k].p NULL
 * when not reached: the caller clears them). Returns enum policy_rc. */
int policy_choose_traced(const struct profile *p, const struct policy_ctx *c,
                         struct policy_pick *out, struct policy_trace *t);

/* policy_choose: the same without a trace (the query path). */
int policy_choose(const struct profile *p, const struct policy_ctx *c, struct policy_pick *out);

/* policy_method: the ops of m (Priority's for a value out of range). */
const struct policy_ops *policy_method(enum routing_method m);

/* endpoint_status: an endpoint's monitor status as Azure reports it; for a
 * nested endpoint, aggregated from its child (reference §1.4). */
enum ep_status endpoint_status(const struct profile *p, const struct endpoint *e,
                               const struct health_slot *health);

/* profile_status: derived from the endpoints as Azure does (reference §1.4). */
enum profile_status profile_status(const struct profile *p, const struct health_slot *health);

/* profile_status_name: "CheckingEndpoints", "Online", "Degraded", "Disabled", "Inactive". */
const char *profile_status_name(enum profile_status s);

/* geo_group: the Azure regional grouping (GEO-EU, GEO-NA...) of an ISO
 * country code, or NULL when unknown. */
const char *geo_group(const char *country);

/* One region of Azure's geographic hierarchy (policy/geo.c). */
struct geo_region {
    const char *code;   /* "WORLD", "GEO-EU", "FR", "US-CA" */
    const char *name;   /* "World", "Europe", "France", "California" (UTF-8) */
    const char *parent; /* the parent's code; NULL for WORLD */
};

/* geo_regions: the whole hierarchy, WORLD first and every parent before
 * its children; its length into *n. Static storage. */
const struct geo_region *geo_regions(size_t *n);

#endif
