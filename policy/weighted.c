/* weighted.c: Weighted routing: one random draw among the candidates, each
 * in proportion to its weight. */
#include "config.h"

#include <stdio.h>

#include "gtm/rand.h"
#include "policy/methods.h"

static struct policy_choice
choose(const struct profile *p, const struct policy_ctx *c, struct policy_pick *out, unsigned depth,
       struct policy_trace *t)
{
    (void)t;
    uint16_t idx[PROFILE_MAX_ENDPOINTS];
    unsigned n = policy_candidates(p, c, depth, idx, &out->best_effort);
    if (n == 0)
        return (struct policy_choice){POLICY_NXDOMAIN, NULL};
    uint32_t total = 0;
    for (unsigned i = 0; i < n; i++)
        total += p->endpoints[idx[i]].weight;
    uint32_t r = gtm_rand_below(c->rng, total);
    unsigned k;
    for (k = 0; k + 1 < n && r >= p->endpoints[idx[k]].weight; k++)
        r -= p->endpoints[idx[k]].weight;
    return (struct policy_choice){POLICY_OK, &p->endpoints[idx[k]]};
}

static void
reason(const struct policy_trace *t, char *why, size_t cap)
{
    unsigned long total = 0;
    for (unsigned i = 0; i < t->ncand; i++)
        total += t->p->endpoints[t->cand[i]].weight;
    snprintf(why, cap,
             "Weighted: a random draw among the %u candidates, each in proportion to its "
             "weight (total %lu)",
             (unsigned)t->ncand, total);
}

const struct policy_ops policy_weighted = {
    .name = "Weighted",
    .nested_ok = true,
    .choose = choose,
    .reason = reason,
};
