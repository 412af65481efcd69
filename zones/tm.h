/* tm.h: what the snapshot prepares for traffic manager profiles: each
 * endpoint's answer RRset, and one probe (health slot) per distinct thing
 * to probe. Loop thread only, at load time. */
#ifndef GTM_ZONES_TM_H
#define GTM_ZONES_TM_H

#include "gtm/snapshot.h"

/* tm_prepare: fills endpoint->rrset, endpoint->health_idx, s->probes,
 * s->health and s->nprobes for s->profiles, and nworkers rows of counters. */
void tm_prepare(struct gtm_snapshot *s, unsigned nworkers);

/* tm_probe_key: the canonical text of a probe spec (equal keys: one probe). */
const char *tm_probe_key(struct arena *a, const struct probe_spec *p);

#endif
