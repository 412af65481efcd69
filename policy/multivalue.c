/* multivalue.c: MultiValue routing: up to maxReturn candidates with an
 * address of the queried family (A: IPv4 targets, AAAA: IPv6, ANY: both),
 * from a random start so that every candidate gets its turn. External
 * endpoints with an address only. */
#include "config.h"

#include <stdio.h>

#include <ldns/ldns.h>

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
    bool v4 = c->qtype == LDNS_RR_TYPE_A || c->qtype == LDNS_RR_TYPE_ANY;
    bool v6 = c->qtype == LDNS_RR_TYPE_AAAA || c->qtype == LDNS_RR_TYPE_ANY;
    unsigned m = 0;
    for (unsigned i = 0; i < n; i++) {
        enum target_kind k = p->endpoints[idx[i]].tkind;
        if ((v4 && k == TARGET_IPV4) || (v6 && k == TARGET_IPV6))
            idx[m++] = idx[i];
    }
    if (m == 0)
        return (struct policy_choice){POLICY_NODATA, NULL};
    unsigned max = p->max_return < POLICY_MAX_PICK ? p->max_return : POLICY_MAX_PICK;
    unsigned start = m > max ? gtm_rand_below(c->rng, m) : 0;
    for (unsigned i = 0; i < m && out->n < max; i++)
        out->ep[out->n++] = &p->endpoints[idx[(start + i) % m]];
    return (struct policy_choice){POLICY_OK, NULL};
}

static void
check(const struct endpoint *e, const struct policy_report *r)
{
    if (e->kind != EP_EXTERNAL)
        r->fail(r->arg, false, "type", "MultiValue routing allows only external endpoints");
    else if (e->tkind == TARGET_NAME)
        r->fail(r->arg, true, "target",
                "MultiValue routing needs an IPv4 or IPv6 address, got a host name");
}

static void
reason(const struct policy_trace *t, char *why, size_t cap)
{
    snprintf(why, cap,
             "MultiValue: up to %u candidates with an address of the type queried "
             "(A: IPv4, AAAA: IPv6)",
             (unsigned)t->p->max_return);
}

const struct policy_ops policy_multivalue = {
    .name = "MultiValue",
    .mixed_targets = true,
    .max_return = true,
    .check = check,
    .choose = choose,
    .reason = reason,
};
