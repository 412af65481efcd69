/* owners.h: a snapshot's profiles in the orders the management API lists
 * them (s->by_sub, s->by_rg; gtm/snapshot.h), so that a page of a list
 * costs its own size, O(log n + page), whatever is loaded: those without
 * an owner (files written by hand, listed everywhere) first, by name; then
 * by subscription, (by_rg) resource group, and name; every comparison
 * ignores case, as ARM does. A page is the two ranges that belong to the
 * list merged by name, so a list continues after a name, which stays
 * valid whatever changes between two pages. Built by a sort once per load,
 * carried through a change of one profile by copies (O(n), as the name
 * order is). Loop thread only. */
#ifndef GTM_ZONES_OWNERS_H
#define GTM_ZONES_OWNERS_H

#include <stdbool.h>
#include <stdint.h>

#include "gtm/snapshot.h"
#include "zones/tm.h"

/* owners_build: s->by_sub, s->by_rg and s->nunowned from s->profiles
 * (nprofiles), in s->arena. */
void owners_build(struct gtm_snapshot *s);

/* owners_change: the same for s, made from cur by replacing old (NULL:
 * none) by np (NULL: none), then each swaps[i].from by its clone
 * swaps[i].to (same name and owner): cur's orders copied with the changes
 * made, in s->arena. */
void owners_change(struct gtm_snapshot *s, const struct gtm_snapshot *cur,
                   const struct profile *old, struct profile *np, const struct tm_swap *swaps,
                   uint32_t nswaps);

/* owners_page: the profiles listed for subscription sub (and resource
 * group rg; NULL: the whole subscription), those without an owner among
 * them, in name order: up to max of them, starting after the name after
 * (NULL: at the first), into out. *more: some follow the last one given.
 * Returns how many were given. */
uint32_t owners_page(const struct gtm_snapshot *s, const char *sub, const char *rg,
                     const char *after, uint32_t max, const struct profile **out, bool *more);

/* owners_next_sub: the index in s->by_sub of the first profile after
 * by_sub[i] of another subscription (the first owned one when by_sub[i]
 * has no owner), or nprofiles: from s->nunowned, a walk over the
 * subscriptions named in ids, O(log n) a step. */
uint32_t owners_next_sub(const struct gtm_snapshot *s, uint32_t i);

#endif
