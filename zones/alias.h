/* alias.h: ALIAS records (gtm/snapshot.h struct alias) at build time: each
 * followed to where it ends once per load, and the RRsets it answers with
 * prepared for each version of the profile it leads to. Knows no query.
 * Loop thread (or the load's own thread). Implemented in alias.c. */
#ifndef GTM_ZONES_ALIAS_H
#define GTM_ZONES_ALIAS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gtm/snapshot.h"

struct arena;
struct config_errors;
struct profile;

/* The most CNAMEs and ALIASes an ALIAS's target may go through. */
#define ALIAS_MAX_HOPS 8

/* The ALIASes of one load, and those that lead to each profile name.
 * Lives in the load's arena; shared by every snapshot of the load. */
struct alias_index;

/* alias_resolve: follows each ALIAS of v[0..n) (made by the zone build,
 * their node, owner, written target, TTL, file and line filled in) through
 * the names of s (zones and profiles as loaded: snapshot_find_name) and
 * fills in where it ends: kind, target, chain_ttl, hops, ord, and for a
 * static target the owner's copies a and aaaa (in a). Reports, naming the
 * ALIAS's file and line, each one that leads to no name gtmd serves, to a
 * name without A or AAAA records, into a loop or a chain longer than
 * ALIAS_MAX_HOPS, or that sits at or below a delegation. Returns the index
 * (in a; never NULL); errors go through errs. */
const struct alias_index *alias_resolve(struct arena *a, const struct gtm_snapshot *s,
                                        struct alias *const *v, uint32_t n,
                                        struct config_errors *errs);

/* alias_prepare_profile: p->aliases and p->naliases for the ALIASes of ix
 * that end at p's name (p->node), in p's arena (a when it has none): for
 * each, the owner's copy of every endpoint RRset p can pick (through its
 * nested profiles), with TTL min(chain, endpoint); for an endpoint whose
 * target is a name, the addresses that name has in s's zones (through
 * CNAMEs), or none. Costs the endpoints p can pick times the ALIASes that
 * lead to it; nothing when none does. With warn, says which endpoints give
 * no address. p must be new to the snapshots (no reader sees it yet). */
void alias_prepare_profile(struct arena *a, const struct alias_index *ix,
                           const struct gtm_snapshot *s, struct profile *p, bool warn);

/* alias_warn_gone: a warning for each ALIAS of ix that leads to name (a
 * profile that left): it answers NODATA until a profile has that name again. */
void alias_warn_gone(const struct alias_index *ix, const uint8_t *name, size_t len);

/* alias_count: the ALIASes of ix (0 for NULL). */
uint32_t alias_count(const struct alias_index *ix);

/* alias_at: the i-th ALIAS of ix, i < alias_count(ix): every RRset an ALIAS
 * can answer with is its a/aaaa, or in the profile its target names. */
const struct alias *alias_at(const struct alias_index *ix, uint32_t i);

#endif
