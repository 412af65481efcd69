/* tm.h: what snapshots prepare for traffic manager profiles: each
 * endpoint's answer RRset (once per profile), and the slots that a profile
 * shared by several snapshots keeps in all of them: one health slot per
 * distinct thing to probe, and its query counters. Loop thread only. */
#ifndef GTM_ZONES_TM_H
#define GTM_ZONES_TM_H

#include "gtm/snapshot.h"

struct tm_index;

/* tm_prepare_profile: fills p->by_priority and each endpoint's rrset, in
 * p's own arena (a when it has none), once. */
void tm_prepare_profile(struct arena *a, struct profile *p);

/* tm_index_new/tm_index_free: the slot assignment of a line of snapshots
 * (each hands it on to the next). free: NULL is a no-op. */
struct tm_index *tm_index_new(void);
void tm_index_free(struct tm_index *t);

/* tm_add: gives p's probed endpoints their health slots (endpoints that
 * probe the same thing share one) and p its counters. p must be new to the
 * line (no snapshot holds it yet). */
void tm_add(struct tm_index *t, struct profile *p);

/* tm_remove: p leaves: its endpoints no longer use their slots. Its
 * counters stay p's until tm_stats_release. */
void tm_remove(struct tm_index *t, const struct profile *p);

/* tm_stats_release: counters [at, at + len) may go to another profile (no
 * worker counts into them any more, and they are zero). NULL t: no-op. */
void tm_stats_release(struct tm_index *t, uint32_t at, uint32_t len);

/* A profile of a new snapshot replaced by a clone. */
struct tm_swap {
    const struct profile *from;
    struct profile *to;
};

/* tm_compact: moves the last health slots into the ones nobody uses any
 * more, so that the health table has no holes; a profile of v[0..n) that
 * uses a moved slot gets it through a clone, which replaces it in v (a
 * profile no snapshot holds yet is changed in place). Each clone is
 * appended to *swaps (xrealloc'd; *nswaps counts). The probes that stop
 * are freed with dying (the snapshot being replaced), or at once when it
 * is NULL. */
void tm_compact(struct tm_index *t, struct profile **v, uint32_t n, struct gtm_snapshot *dying,
                struct tm_swap **swaps, uint32_t *nswaps);

/* tm_fill: s->probes, s->health, s->nprobes (in s->arena) and nworkers
 * rows of counters for the slots as they are now: the line's own rows
 * while they are large enough (s shares them with dying), else new ones
 * (the old go with dying, or at once when it is NULL). */
void tm_fill(struct tm_index *t, struct gtm_snapshot *s, unsigned nworkers,
             struct gtm_snapshot *dying);

/* A user of a health slot: endpoint index of the profile named profile,
 * named endpoint (the profile's own strings, which its clones share). */
struct tm_user {
    const char *profile, *endpoint;
    uint32_t index;
};

/* tm_users: the endpoints that use health slot idx now (in no order),
 * pointed to by *who (valid until the next change of t); returns how many.
 * t is the current snapshot's (s->tmi): the pointers name profiles it holds. */
uint32_t tm_users(const struct tm_index *t, uint32_t idx, const struct tm_user **who);

/* tm_probe_key: the canonical text of a probe spec (equal keys: one probe). */
const char *tm_probe_key(struct arena *a, const struct probe_spec *p);

#endif
