/* stats.c: reading the query counters, and carrying them across reloads. */
#include "config.h"
#include "gtm/stats.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns/server.h"
#include "gtm/ctx.h"
#include "gtm/profile.h"
#include "gtm/snapshot.h"

/* One counter of a snapshot: what earlier snapshots counted plus every row. */
static uint64_t
slot_total(const struct gtm_snapshot *s, uint32_t slot)
{
    if (!s || slot >= s->nstats)
        return 0;
    uint64_t n = s->stats_base[slot];
    for (unsigned w = 0; w < s->nworkers; w++)
        n += atomic_load_explicit(&snapshot_stats_row(s, w)[slot], memory_order_relaxed);
    return n;
}

uint64_t
stats_endpoint(const struct gtm_ctx *ctx, const struct profile *p, uint32_t k)
{
    if (k >= p->nendpoints)
        return 0;
    return slot_total(atomic_load(&((struct gtm_ctx *)ctx)->snap), p->endpoints[k].stats_slot);
}

uint64_t
stats_profile(const struct gtm_ctx *ctx, const struct profile *p, enum tm_outcome o)
{
    return slot_total(atomic_load(&((struct gtm_ctx *)ctx)->snap), p->stats_slot + (uint32_t)o);
}

uint64_t
stats_rcode(const struct gtm_ctx *ctx, enum q_rcode rc)
{
    return server_rcodes(ctx, rc);
}

const char *
stats_rcode_name(enum q_rcode rc)
{
    static const char *const names[QR_RCODES] = {"NOERROR", "FORMERR", "NXDOMAIN", "NOTIMP",
                                                 "REFUSED", "BADVERS", "dropped"};
    return (unsigned)rc < QR_RCODES ? names[rc] : "unknown";
}

static const struct profile *
find_profile(const struct gtm_snapshot *s, const char *name)
{
    for (uint32_t i = 0; i < s->nprofiles; i++)
        if (strcasecmp(s->profiles[i]->name, name) == 0)
            return s->profiles[i];
    return NULL;
}

void
stats_carry(const struct gtm_snapshot *from, struct gtm_snapshot *to)
{
    if (!from || !to || !to->stats_base)
        return;
    for (uint32_t i = 0; i < from->nprofiles; i++) {
        const struct profile *op = from->profiles[i];
        const struct profile *np = find_profile(to, op->name);
        if (!np)
            continue; /* deleted: its counts go with it */
        for (uint32_t o = 0; o < TM_OUTCOMES; o++)
            to->stats_base[np->stats_slot + o] += slot_total(from, op->stats_slot + o);
        for (uint32_t k = 0; k < op->nendpoints; k++)
            for (uint32_t j = 0; j < np->nendpoints; j++)
                if (strcasecmp(op->endpoints[k].name, np->endpoints[j].name) == 0) {
                    to->stats_base[np->endpoints[j].stats_slot] +=
                        slot_total(from, op->endpoints[k].stats_slot);
                    break;
                }
    }
}
