/* stats.c: reading the query counters, and carrying them across reloads. */
#include "config.h"
#include "zones/stats.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gtm/ctx.h"
#include "gtm/profile.h"
#include "gtm/snapshot.h"
#include "zones/tm.h"

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

/* Adds op's totals in from to np's counters in to: its outcomes, and each
 * endpoint's to np's endpoint of the same name. */
static void
carry_profile(const struct gtm_snapshot *from, struct gtm_snapshot *to, const struct profile *op,
              const struct profile *np)
{
    for (uint32_t o = 0; o < TM_OUTCOMES; o++)
        to->stats_base[np->stats_slot + o] += slot_total(from, op->stats_slot + o);
    for (uint32_t k = 0; k < op->nendpoints; k++) {
        /* the same endpoint at the same place: the common case */
        uint32_t j0 = k < np->nendpoints && op->endpoints[k].name == np->endpoints[k].name ? k : 0;
        for (uint32_t e = j0; e < np->nendpoints; e++)
            if (strcasecmp(op->endpoints[k].name, np->endpoints[e].name) == 0) {
                to->stats_base[np->endpoints[e].stats_slot] +=
                    slot_total(from, op->endpoints[k].stats_slot);
                break;
            }
    }
}

/* op's counters are done with: zero them, and let another profile have them. */
static void
release_profile(struct gtm_snapshot *to, const struct profile *op, bool shared)
{
    uint32_t at = op->stats_slot, len = TM_OUTCOMES + op->nendpoints;
    if (shared && at + len <= to->nstats_stride) {
        for (uint32_t i = at; i < at + len; i++) {
            to->stats_base[i] = 0;
            for (unsigned w = 0; w < to->nworkers; w++)
                atomic_store_explicit(&snapshot_stats_row(to, w)[i], 0, memory_order_relaxed);
        }
    }
    tm_stats_release(to->tmi, at, len);
}

void
stats_carry(const struct gtm_snapshot *from, struct gtm_snapshot *to)
{
    if (!from || !to || !to->stats_base)
        return;
    bool shared = from->stats_base == to->stats_base;
    const struct profile *op = to->changed ? to->moved_from : NULL;
    const struct profile *np = to->changed ? to->moved_to : NULL;
    to->changed = false;
    to->moved_from = to->moved_to = NULL;
    if (shared) {
        /* One line of snapshots counting into the same rows: only the
         * profile that changed has counts to move. */
        if (op && np)
            carry_profile(from, to, op, np);
        if (op)
            release_profile(to, op, true);
        return;
    }
    /* Both lists are sorted by name (any case), names unique: one walk. */
    for (uint32_t i = 0, j = 0; i < from->nprofiles && j < to->nprofiles;) {
        const struct profile *fp = from->profiles[i];
        const struct profile *tp = to->profiles[j];
        int d = fp == tp ? 0 : strcasecmp(fp->name, tp->name);
        if (d < 0) {
            i++; /* deleted: its counts go with it */
            continue;
        }
        if (d > 0) {
            j++;
            continue;
        }
        i++;
        j++;
        carry_profile(from, to, fp, tp);
    }
    if (op)
        release_profile(to, op, false);
}
