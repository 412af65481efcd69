/* policy.c: the registry of routing methods, the one place that switches on
 * a profile's method, and the dispatch every choice goes through: a
 * disabled profile, "every endpoint disabled", nested endpoints (the child
 * decides), and the trace when one is asked for. */
#include "config.h"
#include "policy/policy.h"

#include "gtm/compiler.h"
#include "policy/methods.h"

/* enum routing_method -> its ops. */
static const struct policy_ops *const methods[ROUTE_METHODS] = {
    [ROUTE_PRIORITY] = &policy_priority,       [ROUTE_WEIGHTED] = &policy_weighted,
    [ROUTE_PERFORMANCE] = &policy_performance, [ROUTE_GEOGRAPHIC] = &policy_geographic,
    [ROUTE_MULTIVALUE] = &policy_multivalue,   [ROUTE_SUBNET] = &policy_subnet,
    [ROUTE_ROUNDROBIN] = &policy_roundrobin,
};

const struct policy_ops *
policy_method(enum routing_method m)
{
    if ((unsigned)m < GTM_ARRAY_LEN(methods) && methods[m])
        return methods[m];
    return &policy_priority;
}

/* True when some endpoint of p is enabled. */
static bool
any_enabled(const struct profile *p)
{
    for (uint32_t i = 0; i < p->nendpoints; i++)
        if (p->endpoints[i].enabled)
            return true;
    return false;
}

/* The start of a traced level: the profile, what became of it, and the
 * candidates as every method sees them. */
__attribute__((noinline, cold)) static void
trace_begin(const struct profile *p, const struct policy_ctx *c, unsigned depth,
            struct policy_trace *t)
{
    t->p = p;
    t->outcome = !p->enabled       ? POLICY_PROFILE_DISABLED
                 : !any_enabled(p) ? POLICY_ALL_DISABLED
                                   : POLICY_RAN;
    t->rc = POLICY_NXDOMAIN;
    t->chosen = NULL;
    t->parts = 0;
    t->ncand = (uint16_t)policy_candidates(p, c, depth, t->cand, &t->best_effort);
}

static int dispatch_plain(const struct profile *p, const struct policy_ctx *c,
                          struct policy_pick *out, unsigned depth);
static int dispatch_traced(const struct profile *p, const struct policy_ctx *c,
                           struct policy_pick *out, unsigned depth, struct policy_trace *t);

/* One choice at a nesting depth. Compiled twice: without a trace (t a
 * constant NULL, no trace left in it) and with one. */
static inline __attribute__((always_inline)) int
dispatch(const struct profile *p, const struct policy_ctx *c, struct policy_pick *out,
         unsigned depth, struct policy_trace *t)
{
    if (t)
        trace_begin(p, c, depth, t);
    if (!p->enabled)
        return POLICY_NXDOMAIN;
    /* Priority over the order the snapshot prepared is the common
     * health-checked answer: called directly, inline. */
    struct policy_choice ch = p->method == ROUTE_PRIORITY && p->by_priority
                                  ? priority_walk(p, p->by_priority, c, out, depth)
                                  : policy_method(p->method)->choose(p, c, out, depth, t);
    if (t) {
        t->rc = ch.rc;
        t->chosen = ch.rc == POLICY_OK ? ch.e : NULL;
    }
    if (ch.rc != POLICY_OK) {
        /* "All endpoints disabled": NXDOMAIN, as ATM, whatever the method
         * would say. (No method ever picks a disabled endpoint, so this is
         * only asked when none was picked.) */
        return any_enabled(p) ? ch.rc : POLICY_NXDOMAIN;
    }
    const struct endpoint *e = ch.e;
    if (!e)
        return POLICY_OK; /* the method filled out (MultiValue) */
    if (e->kind == EP_NESTED) {
        /* The child decides; its scope counts if it is narrower. */
        if (!e->child_profile || depth + 1 >= POLICY_NEST_MAX)
            return POLICY_NODATA;
        return t ? dispatch_traced(e->child_profile, c, out, depth + 1, t + 1)
                 : dispatch_plain(e->child_profile, c, out, depth + 1);
    }
    out->ep[0] = e;
    out->n = 1;
    return POLICY_OK;
}

static int
dispatch_plain(const struct profile *p, const struct policy_ctx *c, struct policy_pick *out,
               unsigned depth)
{
    return dispatch(p, c, out, depth, NULL);
}

static int
dispatch_traced(const struct profile *p, const struct policy_ctx *c, struct policy_pick *out,
                unsigned depth, struct policy_trace *t)
{
    return dispatch(p, c, out, depth, t);
}

int
policy_choose(const struct profile *p, const struct policy_ctx *c, struct policy_pick *out)
{
    out->n = 0;
    out->scope = 0;
    out->best_effort = false;
    return dispatch(p, c, out, 0, NULL);
}

int
policy_choose_traced(const struct profile *p, const struct policy_ctx *c, struct policy_pick *out,
                     struct policy_trace *t)
{
    out->n = 0;
    out->scope = 0;
    out->best_effort = false;
    return dispatch_traced(p, c, out, 0, t);
}
