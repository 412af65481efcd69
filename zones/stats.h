/* stats.h: reading the query counters (gtm/stats.h) of the published
 * snapshot, and carrying them into the next one, so that counts survive
 * reloads and changes of one profile. Implemented in stats.c. */
#ifndef GTM_ZONES_STATS_H
#define GTM_ZONES_STATS_H

#include <stdint.h>

#include "gtm/stats.h"

struct gtm_ctx;
struct gtm_snapshot;
struct profile;

/* stats_endpoint: answers that returned endpoint k of profile p. Loop thread. */
uint64_t stats_endpoint(const struct gtm_ctx *ctx, const struct profile *p, uint32_t k);
/* stats_profile: queries for p's name by outcome. Loop thread. */
uint64_t stats_profile(const struct gtm_ctx *ctx, const struct profile *p, enum tm_outcome o);
/* stats_carry: adds from's totals to to's by profile and endpoint name; call
 * when from is retired and no worker holds it any more. Loop thread. */
void stats_carry(const struct gtm_snapshot *from, struct gtm_snapshot *to);

#endif
