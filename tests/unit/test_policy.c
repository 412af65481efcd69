/* test_policy.c: policy_choose and endpoint_status over hand-built profiles
 * and health tables (SPEC §5, reference features.md §1.4), with a seeded
 * PRNG so that weighted and round-robin counts are exact. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <ldns/ldns.h>

#include "gtm/alloc.h"
#include "gtm/health.h"
#include "gtm/profile.h"
#include "gtm/rand.h"
#include "gtm/snapshot.h"
#include "policy/policy.h"
#include "unit.h"
#include "profiles/profile.h"

/* ---- hand-built profiles ---- */

#define NEP 6

/* One profile, its endpoints and a health table with one slot per endpoint
 * (slot i belongs to endpoint i unless a test says otherwise). */
struct fx {
    struct profile p; /* first: a child_profile pointer is its fx */
    struct endpoint ep[NEP];
    struct health_slot h[NEP];
    uint16_t order[NEP];
};

/* Priority walks an order: by_priority (the one tm_prepare builds for a
 * snapshot, walked inline by policy.c) or, for a profile nobody prepared,
 * the one priority.c makes on the spot. Tests marked BOTH run once each
 * way; use_order says which. */
static bool use_order;

/* prep_order: p->by_priority as tm_prepare fills it (lowest priority first,
 * list order on ties) into order[], or NULL when !use_order. */
static void
prep_order(struct profile *p, uint16_t *order)
{
    p->by_priority = NULL;
    if (!use_order)
        return;
    profile_priority_order(p, order);
    p->by_priority = order;
}

/* prep: prep_order for f and, through nested endpoints, its children. */
static void
prep(struct fx *f)
{
    prep_order(&f->p, f->order);
    for (uint32_t i = 0; i < f->p.nendpoints; i++)
        if (f->ep[i].kind == EP_NESTED && f->ep[i].child_profile)
            prep((struct fx *)(uintptr_t)f->ep[i].child_profile);
}

static int
order_off(void **state)
{
    (void)state;
    use_order = false;
    return 0;
}

static int
order_on(void **state)
{
    (void)state;
    use_order = true;
    return 0;
}

static const char *const ep_names[NEP] = {"A", "B", "C", "D", "E", "F"};
static const char *const ep_targets[NEP] = {"192.0.2.1", "192.0.2.2", "192.0.2.3",
                                            "192.0.2.4", "192.0.2.5", "192.0.2.6"};

/* fx_init: an enabled profile of method m with n enabled IPv4 endpoints A,
 * B, ... (priority = position, weight 1), every slot CheckingEndpoint. */
static void
fx_init(struct fx *f, const char *name, enum routing_method m, unsigned n)
{
    memset(f, 0, sizeof *f);
    f->p.name = name;
    f->p.relative_name = name;
    f->p.ttl = 30;
    f->p.enabled = true;
    f->p.method = m;
    f->p.max_return = 2;
    f->p.nendpoints = n;
    f->p.endpoints = f->ep;
    atomic_init(&f->p.rr_next, 0);
    for (unsigned i = 0; i < NEP; i++) {
        struct endpoint *e = &f->ep[i];
        e->name = ep_names[i];
        e->kind = EP_EXTERNAL;
        e->target = ep_targets[i];
        e->tkind = TARGET_IPV4;
        inet_pton(AF_INET, ep_targets[i], e->addr);
        e->enabled = true;
        e->priority = (uint16_t)(i + 1);
        e->weight = 1;
        e->min_child = 1;
        e->health_idx = i;
        atomic_init(&f->h[i].status, EPS_CHECKING);
    }
}

static void
set_health(struct fx *f, unsigned i, enum ep_status s)
{
    atomic_store_explicit(&f->h[i].status, (uint8_t)s, memory_order_relaxed);
}

/* set_all: the slots of the first n endpoints all get s. */
static void
set_all(struct fx *f, unsigned n, enum ep_status s)
{
    for (unsigned i = 0; i < n; i++)
        set_health(f, i, s);
}

static const struct policy_client no_client = {0, 0, {0}};

/* choose_h: policy_choose on p over health table h with PRNG state *rng
 * (out poisoned first, so nothing stale passes); returns the rc. */
static int
choose_h(const struct profile *p, const struct health_slot *h, uint64_t *rng,
         struct policy_pick *out)
{
    struct policy_ctx c = {.health = h, .rng = rng, .client = &no_client, .qtype = LDNS_RR_TYPE_A};
    memset(out, 0xA5, sizeof *out);
    return policy_choose(p, &c, out);
}

/* choose: the same on f's profile and table, by_priority prepared. */
static int
choose(struct fx *f, uint64_t *rng, struct policy_pick *out)
{
    prep(f);
    return choose_h(&f->p, f->h, rng, out);
}

/* append: seq += s, bounded (a test failure rather than an overflow). */
static void
append(char *seq, size_t cap, const char *s)
{
    size_t n = strlen(seq), m = strlen(s);
    assert_true(n + m < cap);
    memcpy(seq + n, s, m + 1);
}

/* pick_name: the single endpoint policy_choose returns ("-" when not POLICY_OK). */
static const char *
pick_name(struct fx *f, uint64_t *rng, bool *best_effort)
{
    struct policy_pick pk;
    int rc = choose(f, rng, &pk);
    if (best_effort)
        *best_effort = pk.best_effort;
    if (rc != POLICY_OK)
        return "-";
    assert_int_equal(pk.n, 1);
    assert_int_equal(pk.scope, 0);
    return pk.ep[0]->name;
}

/* ---- Priority ---- */

static void
test_priority_lowest_wins(void **state)
{
    (void)state;
    struct fx f;
    uint64_t rng = 1;
    bool be;
    fx_init(&f, "prio", ROUTE_PRIORITY, 3);
    f.ep[0].priority = 3;
    f.ep[1].priority = 1;
    f.ep[2].priority = 2;
    set_all(&f, 3, EPS_ONLINE);
    assert_string_equal(pick_name(&f, &rng, &be), "B");
    assert_false(be);
    /* Not the list order: the number. */
    f.ep[1].priority = 1000;
    assert_string_equal(pick_name(&f, &rng, &be), "C");
    /* Priority does not consume the PRNG. */
    assert_int_equal(rng, 1);
}

static void
test_priority_tie_first(void **state)
{
    (void)state;
    struct fx f;
    uint64_t rng = 1;
    fx_init(&f, "prio", ROUTE_PRIORITY, 4);
    f.ep[0].priority = 5;
    f.ep[1].priority = 2;
    f.ep[2].priority = 2;
    f.ep[3].priority = 2;
    set_all(&f, 4, EPS_ONLINE);
    for (int i = 0; i < 5; i++)
        assert_string_equal(pick_name(&f, &rng, NULL), "B");
    set_health(&f, 1, EPS_DEGRADED);
    assert_string_equal(pick_name(&f, &rng, NULL), "C");
}

static void
test_priority_degraded_skipped(void **state)
{
    (void)state;
    struct fx f;
    uint64_t rng = 1;
    bool be;
    fx_init(&f, "prio", ROUTE_PRIORITY, 3);
    set_all(&f, 3, EPS_ONLINE);
    set_health(&f, 0, EPS_DEGRADED);
    assert_string_equal(pick_name(&f, &rng, &be), "B");
    assert_false(be);
    set_health(&f, 1, EPS_DEGRADED);
    assert_string_equal(pick_name(&f, &rng, &be), "C");
    assert_false(be);
    set_health(&f, 0, EPS_ONLINE); /* recovered: back to the primary */
    assert_string_equal(pick_name(&f, &rng, &be), "A");
}

static void
test_priority_checking_counts_as_up(void **state)
{
    (void)state;
    struct fx f;
    uint64_t rng = 1;
    bool be;
    fx_init(&f, "prio", ROUTE_PRIORITY, 2);
    set_health(&f, 0, EPS_CHECKING);
    set_health(&f, 1, EPS_ONLINE);
    assert_string_equal(pick_name(&f, &rng, &be), "A");
    assert_false(be);
    /* Not probed at all yet (no slot): also CheckingEndpoint, also up. */
    f.ep[0].health_idx = HEALTH_NONE;
    set_health(&f, 0, EPS_DEGRADED); /* nobody reads it now */
    assert_string_equal(pick_name(&f, &rng, &be), "A");
    assert_false(be);
}

static void
test_priority_always_serve(void **state)
{
    (void)state;
    struct fx f;
    uint64_t rng = 1;
    bool be;
    fx_init(&f, "prio", ROUTE_PRIORITY, 3);
    /* As tm_prepare leaves it: alwaysServe endpoints have no slot. */
    f.ep[1].always_serve = true;
    f.ep[1].health_idx = HEALTH_NONE;
    set_all(&f, 3, EPS_DEGRADED);
    assert_string_equal(pick_name(&f, &rng, &be), "B");
    assert_false(be); /* B is really up: this is not best effort */
    set_health(&f, 0, EPS_ONLINE);
    assert_string_equal(pick_name(&f, &rng, &be), "A");
    /* Even with a slot that says Degraded, alwaysServe is up. */
    f.ep[0].always_serve = true;
    set_health(&f, 0, EPS_DEGRADED);
    assert_string_equal(pick_name(&f, &rng, &be), "A");
    assert_false(be);
}

static void
test_priority_disabled_never(void **state)
{
    (void)state;
    struct fx f;
    uint64_t rng = 1;
    bool be;
    fx_init(&f, "prio", ROUTE_PRIORITY, 3);
    set_all(&f, 3, EPS_ONLINE);
    f.ep[0].enabled = false;
    assert_string_equal(pick_name(&f, &rng, &be), "B");
    /* Nor in best effort: B and C down, A disabled (and even "Online"). */
    set_health(&f, 1, EPS_DEGRADED);
    set_health(&f, 2, EPS_DEGRADED);
    assert_string_equal(pick_name(&f, &rng, &be), "B");
    assert_true(be);
    /* A disabled alwaysServe endpoint is still disabled. */
    f.ep[0].always_serve = true;
    f.ep[0].health_idx = HEALTH_NONE;
    assert_string_equal(pick_name(&f, &rng, &be), "B");
    assert_true(be);
}

static void
test_priority_best_effort(void **state)
{
    (void)state;
    struct fx f;
    uint64_t rng = 1;
    struct policy_pick pk;
    fx_init(&f, "prio", ROUTE_PRIORITY, 3);
    f.ep[0].priority = 2;
    f.ep[1].priority = 1;
    f.ep[2].priority = 3;
    set_all(&f, 3, EPS_DEGRADED);
    assert_int_equal(choose(&f, &rng, &pk), POLICY_OK);
    assert_int_equal(pk.n, 1);
    assert_string_equal(pk.ep[0]->name, "B");
    assert_true(pk.best_effort);
    /* One comes back: no longer best effort, and it is the one served. */
    set_health(&f, 2, EPS_ONLINE);
    assert_int_equal(choose(&f, &rng, &pk), POLICY_OK);
    assert_string_equal(pk.ep[0]->name, "C");
    assert_false(pk.best_effort);
    /* A CheckingEndpoint one is up too: no best effort. */
    set_health(&f, 2, EPS_DEGRADED);
    set_health(&f, 0, EPS_CHECKING);
    assert_int_equal(choose(&f, &rng, &pk), POLICY_OK);
    assert_string_equal(pk.ep[0]->name, "A");
    assert_false(pk.best_effort);
}

static void
test_no_enabled_endpoint_nxdomain(void **state)
{
    (void)state;
    static const enum routing_method methods[] = {ROUTE_PRIORITY, ROUTE_WEIGHTED, ROUTE_ROUNDROBIN};
    for (size_t m = 0; m < GTM_ARRAY_LEN(methods); m++) {
        struct fx f;
        uint64_t rng = 7;
        struct policy_pick pk;
        fx_init(&f, "none", methods[m], 3);
        set_all(&f, 3, EPS_ONLINE);
        for (unsigned i = 0; i < 3; i++)
            f.ep[i].enabled = false;
        f.ep[2].always_serve = true;
        assert_int_equal(choose(&f, &rng, &pk), POLICY_NXDOMAIN);
        assert_int_equal(pk.n, 0);
        assert_false(pk.best_effort);
        /* No endpoints at all. */
        f.p.nendpoints = 0;
        assert_int_equal(choose(&f, &rng, &pk), POLICY_NXDOMAIN);
        assert_int_equal(pk.n, 0);
        assert_int_equal(rng, 7);
    }
}

static void
test_profile_disabled_nxdomain(void **state)
{
    (void)state;
    static const enum routing_method methods[] = {ROUTE_PRIORITY, ROUTE_WEIGHTED, ROUTE_ROUNDROBIN};
    for (size_t m = 0; m < GTM_ARRAY_LEN(methods); m++) {
        struct fx f;
        uint64_t rng = 7;
        struct policy_pick pk;
        fx_init(&f, "off", methods[m], 3);
        set_all(&f, 3, EPS_ONLINE);
        f.ep[0].always_serve = true;
        f.p.enabled = false;
        assert_int_equal(choose(&f, &rng, &pk), POLICY_NXDOMAIN);
        assert_int_equal(pk.n, 0);
        assert_false(pk.best_effort);
        assert_int_equal(rng, 7);
        assert_int_equal(atomic_load(&f.p.rr_next), 0);
    }
}

/* ---- Weighted ---- */

#define DRAWS 100000u

/* draw: DRAWS picks from seed into counts[] by endpoint index; returns the
 * number of best-effort picks. */
static unsigned
draw(struct fx *f, uint64_t seed, unsigned counts[NEP])
{
    uint64_t rng = seed;
    unsigned be = 0;
    memset(counts, 0, NEP * sizeof *counts);
    for (unsigned i = 0; i < DRAWS; i++) {
        struct policy_pick pk;
        assert_int_equal(choose(f, &rng, &pk), POLICY_OK);
        assert_int_equal(pk.n, 1);
        counts[pk.ep[0] - f->ep]++;
        be += pk.best_effort;
    }
    return be;
}

/* assert_shares: counts[i] / DRAWS within 1% (absolute) of w[i] / sum(w). */
static void
assert_shares(const unsigned counts[NEP], const unsigned w[NEP])
{
    unsigned total = 0, sum = 0;
    for (unsigned i = 0; i < NEP; i++) {
        total += w[i];
        sum += counts[i];
    }
    assert_int_equal(sum, DRAWS);
    for (unsigned i = 0; i < NEP; i++) {
        double want = (double)w[i] / total, got = (double)counts[i] / DRAWS;
        if (got - want > 0.01 || want - got > 0.01)
            fail_msg("endpoint %s: share %.4f, weight share %.4f", ep_names[i], got, want);
        if (w[i] == 0)
            assert_int_equal(counts[i], 0);
    }
}

static void
test_weighted_shares(void **state)
{
    (void)state;
    struct fx f;
    unsigned counts[NEP];
    static const unsigned w[NEP] = {1, 2, 7, 0, 0, 0};
    fx_init(&f, "wrr", ROUTE_WEIGHTED, 3);
    for (unsigned i = 0; i < 3; i++)
        f.ep[i].weight = (uint16_t)w[i];
    set_all(&f, 3, EPS_ONLINE);
    assert_int_equal(draw(&f, 42, counts), 0);
    assert_shares(counts, w);
    /* The exact counts for seed 42 (xorshift64*, gtm_rand_below). */
    assert_int_equal(counts[0], 9988);
    assert_int_equal(counts[1], 19920);
    assert_int_equal(counts[2], 70092);

    /* Other seeds: same shares, and the same seed gives the same counts. */
    static const uint64_t seeds[] = {1, 0xdeadbeefcafef00dull, 1234567};
    for (size_t s = 0; s < GTM_ARRAY_LEN(seeds); s++) {
        unsigned again[NEP];
        draw(&f, seeds[s], counts);
        assert_shares(counts, w);
        draw(&f, seeds[s], again);
        assert_memory_equal(counts, again, sizeof again);
    }

    /* Large weights (1..1000): 1000 vs 1 vs 1. */
    static const unsigned wb[NEP] = {1000, 1, 1, 0, 0, 0};
    f.ep[0].weight = 1000;
    f.ep[1].weight = 1;
    f.ep[2].weight = 1;
    draw(&f, 42, counts);
    assert_shares(counts, wb);
    assert_int_equal(counts[0], 99813);
    assert_int_equal(counts[1], 87);
    assert_int_equal(counts[2], 100);
}

/* Weight 1 by default: an even split. */
static void
test_weighted_equal(void **state)
{
    (void)state;
    struct fx f;
    unsigned counts[NEP];
    static const unsigned w[NEP] = {1, 1, 1, 1, 0, 0};
    fx_init(&f, "wrr", ROUTE_WEIGHTED, 4);
    set_all(&f, 4, EPS_CHECKING);
    assert_int_equal(draw(&f, 42, counts), 0);
    assert_shares(counts, w);
    assert_int_equal(counts[0], 24997);
    assert_int_equal(counts[1], 24973);
    assert_int_equal(counts[2], 25095);
    assert_int_equal(counts[3], 24935);
}

static void
test_weighted_degraded_get_none(void **state)
{
    (void)state;
    struct fx f;
    unsigned counts[NEP];
    static const unsigned w[NEP] = {1, 2, 0, 0, 0, 0};
    fx_init(&f, "wrr", ROUTE_WEIGHTED, 4);
    f.ep[0].weight = 1;
    f.ep[1].weight = 2;
    f.ep[2].weight = 7;
    f.ep[3].weight = 5;
    set_all(&f, 4, EPS_ONLINE);
    set_health(&f, 2, EPS_DEGRADED);
    f.ep[3].enabled = false;
    assert_int_equal(draw(&f, 42, counts), 0);
    assert_int_equal(counts[2], 0);
    assert_int_equal(counts[3], 0);
    assert_shares(counts, w);
    assert_int_equal(counts[0], 33169);
    assert_int_equal(counts[1], 66831);
}

static void
test_weighted_best_effort(void **state)
{
    (void)state;
    struct fx f;
    unsigned counts[NEP];
    static const unsigned w[NEP] = {1, 2, 7, 0, 0, 0};
    fx_init(&f, "wrr", ROUTE_WEIGHTED, 4);
    f.ep[0].weight = 1;
    f.ep[1].weight = 2;
    f.ep[2].weight = 7;
    f.ep[3].weight = 1000;
    f.ep[3].enabled = false; /* disabled: not even in best effort */
    set_all(&f, 4, EPS_DEGRADED);
    set_health(&f, 3, EPS_ONLINE);
    assert_int_equal(draw(&f, 42, counts), DRAWS);
    assert_shares(counts, w);
    /* The same draws as with all up: best effort is the full set. */
    assert_int_equal(counts[0], 9988);
    assert_int_equal(counts[1], 19920);
    assert_int_equal(counts[2], 70092);
}

/* One pick advances the PRNG once: the worker's state is shared by picks. */
static void
test_weighted_rng_state(void **state)
{
    (void)state;
    struct fx f;
    struct policy_pick pk;
    fx_init(&f, "wrr", ROUTE_WEIGHTED, 3);
    uint64_t rng = 42, ref = 42;
    for (int i = 0; i < 10; i++) {
        assert_int_equal(choose(&f, &rng, &pk), POLICY_OK);
        uint32_t r = gtm_rand_below(&ref, 3);
        assert_int_equal(rng, ref);
        assert_int_equal(pk.ep[0] - f.ep, r);
    }
    /* Seed 0 is not a fixed point. */
    rng = 0;
    assert_int_equal(choose(&f, &rng, &pk), POLICY_OK);
    assert_true(rng != 0);
}

/* ---- RoundRobin ---- */

static void
test_roundrobin_order(void **state)
{
    (void)state;
    struct fx f;
    uint64_t rng = 5;
    char seq[32] = {0};
    fx_init(&f, "rr", ROUTE_ROUNDROBIN, 3);
    set_all(&f, 3, EPS_ONLINE);
    for (int i = 0; i < 9; i++)
        append(seq, sizeof seq, pick_name(&f, &rng, NULL));
    assert_string_equal(seq, "ABCABCABC");
    assert_int_equal(atomic_load(&f.p.rr_next), 9);
    assert_int_equal(rng, 5); /* no PRNG */
}

static void
test_roundrobin_degraded_skipped(void **state)
{
    (void)state;
    struct fx f;
    uint64_t rng = 5;
    char seq[32] = {0};
    unsigned n[NEP] = {0};
    fx_init(&f, "rr", ROUTE_ROUNDROBIN, 3);
    set_all(&f, 3, EPS_ONLINE);
    set_health(&f, 1, EPS_DEGRADED);
    for (int i = 0; i < 6; i++)
        append(seq, sizeof seq, pick_name(&f, &rng, NULL));
    assert_string_equal(seq, "ACACAC");
    /* Disabled: the same. Then best effort rotates over every enabled one. */
    set_health(&f, 1, EPS_ONLINE);
    f.ep[1].enabled = false;
    atomic_store(&f.p.rr_next, 0);
    seq[0] = 0;
    for (int i = 0; i < 4; i++)
        append(seq, sizeof seq, pick_name(&f, &rng, NULL));
    assert_string_equal(seq, "ACAC");
    f.ep[1].enabled = true;
    set_all(&f, 3, EPS_DEGRADED);
    atomic_store(&f.p.rr_next, 0);
    seq[0] = 0;
    for (int i = 0; i < 6; i++) {
        bool be;
        append(seq, sizeof seq, pick_name(&f, &rng, &be));
        assert_true(be);
    }
    assert_string_equal(seq, "ABCABC");
    /* Fair over time whatever changes: 3000 picks with B flapping. */
    set_all(&f, 3, EPS_ONLINE);
    for (unsigned i = 0; i < 3000; i++) {
        set_health(&f, 1, i % 100 < 50 ? EPS_ONLINE : EPS_DEGRADED);
        struct policy_pick pk;
        assert_int_equal(choose(&f, &rng, &pk), POLICY_OK);
        n[pk.ep[0] - f.ep]++;
    }
    assert_int_equal(n[0] + n[1] + n[2], 3000);
    /* B is a candidate half the time: a third of those 1500 turns; A and C
     * share the rest evenly. Exact: each 50-pick phase starts where the last
     * turn left off (B gets 17 in each of 30 up phases). */
    assert_int_equal(n[1], 510);
    assert_int_equal(n[0], 1245);
    assert_int_equal(n[2], 1245);
}

static void
test_roundrobin_cursor_per_profile(void **state)
{
    (void)state;
    struct fx f1, f2;
    uint64_t rng = 5;
    char seq[64] = {0};
    fx_init(&f1, "rr1", ROUTE_ROUNDROBIN, 3);
    fx_init(&f2, "rr2", ROUTE_ROUNDROBIN, 2);
    set_all(&f1, 3, EPS_ONLINE);
    set_all(&f2, 2, EPS_ONLINE);
    for (int i = 0; i < 6; i++) {
        append(seq, sizeof seq, pick_name(&f1, &rng, NULL));
        append(seq, sizeof seq, pick_name(&f2, &rng, NULL));
        append(seq, sizeof seq, " ");
    }
    assert_string_equal(seq, "AA BB CA AB BA CB ");
    assert_int_equal(atomic_load(&f1.p.rr_next), 6);
    assert_int_equal(atomic_load(&f2.p.rr_next), 6);
    /* A pick from f1 never moves f2's cursor. */
    pick_name(&f1, &rng, NULL);
    assert_int_equal(atomic_load(&f2.p.rr_next), 6);
}

/* "The next candidate in turn" (SPEC §5) when the candidate set changes:
 * after A B C, with B Degraded, the next in turn is A. */
static void
test_roundrobin_next_in_turn_after_change(void **state)
{
    (void)state;
    struct fx f;
    uint64_t rng = 5;
    char seq[32] = {0};
    fx_init(&f, "rr", ROUTE_ROUNDROBIN, 3);
    set_all(&f, 3, EPS_ONLINE);
    for (int i = 0; i < 3; i++)
        append(seq, sizeof seq, pick_name(&f, &rng, NULL));
    set_health(&f, 1, EPS_DEGRADED);
    for (int i = 0; i < 4; i++)
        append(seq, sizeof seq, pick_name(&f, &rng, NULL));
    assert_string_equal(seq, "ABCACAC");
    /* Past 2^32 turns the rotation goes on (the cursor is 64 bits). */
    atomic_store(&f.p.rr_next, UINT32_MAX);
    set_health(&f, 1, EPS_ONLINE);
    seq[0] = 0;
    for (int i = 0; i < 4; i++)
        append(seq, sizeof seq, pick_name(&f, &rng, NULL));
    assert_string_equal(seq, "ABCA");
}

/* ---- Nested endpoints ---- */

static enum ep_status
status_of(struct fx *f, unsigned i)
{
    return endpoint_status(&f->p, &f->ep[i], f->h);
}

/* nest: parent f's endpoint i becomes a nested endpoint running child. */
static void
nest(struct fx *f, unsigned i, const struct fx *child)
{
    struct endpoint *e = &f->ep[i];
    e->kind = EP_NESTED;
    e->tkind = TARGET_NONE;
    e->target = NULL;
    memset(e->addr, 0, sizeof e->addr);
    e->child = child ? child->p.name : "gone";
    e->child_profile = child ? &child->p : NULL;
    e->health_idx = HEALTH_NONE; /* as tm_prepare leaves it */
}

/* A parent and a child sharing one health table: the child's endpoints use
 * slots 3.. of the parent's table. */
static void
fx_pair(struct fx *parent, struct fx *child)
{
    fx_init(parent, "parent", ROUTE_PRIORITY, 2);
    fx_init(child, "child", ROUTE_PRIORITY, 2);
    child->ep[0].name = "X";
    child->ep[1].name = "Y";
    child->ep[0].health_idx = 3;
    child->ep[1].health_idx = 4;
    nest(parent, 0, child);
    set_health(parent, 1, EPS_ONLINE);
    set_health(parent, 3, EPS_ONLINE);
    set_health(parent, 4, EPS_ONLINE);
}

static void
test_nested_child_chosen(void **state)
{
    (void)state;
    struct fx parent, child;
    uint64_t rng = 1;
    struct policy_pick pk;
    fx_pair(&parent, &child);
    assert_int_equal(choose(&parent, &rng, &pk), POLICY_OK);
    assert_int_equal(pk.n, 1);
    assert_ptr_equal(pk.ep[0], &child.ep[0]);
    assert_false(pk.best_effort);
    /* The child routes by its own method over the shared table. */
    set_health(&parent, 3, EPS_DEGRADED);
    assert_int_equal(choose(&parent, &rng, &pk), POLICY_OK);
    assert_ptr_equal(pk.ep[0], &child.ep[1]);
    child.p.method = ROUTE_ROUNDROBIN;
    set_health(&parent, 3, EPS_ONLINE);
    assert_int_equal(choose(&parent, &rng, &pk), POLICY_OK);
    assert_ptr_equal(pk.ep[0], &child.ep[0]);
    assert_int_equal(choose(&parent, &rng, &pk), POLICY_OK);
    assert_ptr_equal(pk.ep[0], &child.ep[1]);
    assert_int_equal(atomic_load(&parent.p.rr_next), 0);
    /* A lower priority nested endpoint is not chosen while the external one is up. */
    parent.ep[0].priority = 9;
    assert_int_equal(choose(&parent, &rng, &pk), POLICY_OK);
    assert_ptr_equal(pk.ep[0], &parent.ep[1]);
}

/* A nested endpoint without its child (profile_link rejects that at load)
 * is Stopped: never returned; the profile's other endpoints answer, and
 * with no other endpoint there is no candidate at all. */
static void
test_nested_missing_child(void **state)
{
    (void)state;
    struct fx parent;
    uint64_t rng = 1;
    struct policy_pick pk;
    fx_init(&parent, "parent", ROUTE_PRIORITY, 2);
    nest(&parent, 0, NULL);
    set_health(&parent, 1, EPS_DEGRADED);
    assert_int_equal(status_of(&parent, 0), EPS_STOPPED);
    assert_int_equal(choose(&parent, &rng, &pk), POLICY_OK);
    assert_ptr_equal(pk.ep[0], &parent.ep[1]);
    assert_true(pk.best_effort);
    parent.p.nendpoints = 1;
    assert_int_equal(choose(&parent, &rng, &pk), POLICY_NXDOMAIN);
    assert_int_equal(pk.n, 0);
}

/* Ten profiles deep (the top one counted) answer; an eleventh level does not. */
static void
test_nested_depth(void **state)
{
    (void)state;
    static struct fx chain[11];
    uint64_t rng = 1;
    struct policy_pick pk;
    for (unsigned i = 0; i < 11; i++) {
        fx_init(&chain[i], ep_names[i % NEP], ROUTE_PRIORITY, 1);
        set_health(&chain[i], 0, EPS_ONLINE);
    }
    for (unsigned i = 0; i + 1 < 10; i++)
        nest(&chain[i], 0, &chain[i + 1]);
    /* One health table for all (chain[0]'s): every leaf's slot 0 is Online. */
    assert_int_equal(choose(&chain[0], &rng, &pk), POLICY_OK);
    assert_ptr_equal(pk.ep[0], &chain[9].ep[0]);
    nest(&chain[9], 0, &chain[10]);
    assert_int_equal(choose(&chain[0], &rng, &pk), POLICY_NODATA);
}

/* SPEC §5 Nested: "a nested endpoint is up when its child profile has at
 * least minChildEndpoints endpoints Online". */
static void
test_nested_up_needs_min_child(void **state)
{
    (void)state;
    struct fx parent, child;
    uint64_t rng = 1;
    struct policy_pick pk;
    fx_pair(&parent, &child);
    set_health(&parent, 3, EPS_DEGRADED);
    set_health(&parent, 4, EPS_DEGRADED);
    assert_int_equal(choose(&parent, &rng, &pk), POLICY_OK);
    assert_ptr_equal(pk.ep[0], &parent.ep[1]);
    assert_false(pk.best_effort);
    /* minChildEndpoints 2 with one child Online: Degraded too. */
    set_health(&parent, 3, EPS_ONLINE);
    parent.ep[0].min_child = 2;
    assert_int_equal(choose(&parent, &rng, &pk), POLICY_OK);
    assert_ptr_equal(pk.ep[0], &parent.ep[1]);
}

/* SPEC §5: "nested endpoints whose child is Disabled or Inactive (Stopped)
 * are never returned" (features.md §1.4: Stopped, not in DNS answers). */
static void
test_nested_child_disabled_stopped(void **state)
{
    (void)state;
    struct fx parent, child;
    uint64_t rng = 1;
    struct policy_pick pk;
    fx_pair(&parent, &child);
    child.p.enabled = false;
    assert_int_equal(choose(&parent, &rng, &pk), POLICY_OK);
    assert_ptr_equal(pk.ep[0], &parent.ep[1]);
    child.p.enabled = true;
    child.ep[0].enabled = false;
    child.ep[1].enabled = false;
    assert_int_equal(choose(&parent, &rng, &pk), POLICY_OK);
    assert_ptr_equal(pk.ep[0], &parent.ep[1]);
    /* Stopped is not Degraded: not even best effort returns it. */
    set_health(&parent, 1, EPS_DEGRADED);
    assert_int_equal(choose(&parent, &rng, &pk), POLICY_OK);
    assert_ptr_equal(pk.ep[0], &parent.ep[1]);
    assert_true(pk.best_effort);
}

/* Best effort through a nested endpoint: the parent's endpoints are all
 * Degraded (the nested one because its child is), so the parent treats them
 * all as up, picks the nested one by priority, and the child answers best
 * effort too. */
static void
test_nested_best_effort(void **state)
{
    (void)state;
    struct fx parent, child;
    uint64_t rng = 1;
    struct policy_pick pk;
    fx_pair(&parent, &child);
    set_health(&parent, 1, EPS_DEGRADED);
    set_health(&parent, 3, EPS_DEGRADED);
    set_health(&parent, 4, EPS_DEGRADED);
    assert_int_equal(status_of(&parent, 0), EPS_DEGRADED);
    assert_int_equal(choose(&parent, &rng, &pk), POLICY_OK);
    assert_ptr_equal(pk.ep[0], &child.ep[0]);
    assert_true(pk.best_effort);
    /* The external endpoint first by priority: it answers. */
    parent.ep[1].priority = 0;
    assert_int_equal(choose(&parent, &rng, &pk), POLICY_OK);
    assert_ptr_equal(pk.ep[0], &parent.ep[1]);
    assert_true(pk.best_effort);
    /* The child's Y comes back: the nested endpoint is up again. */
    parent.ep[1].priority = 2;
    set_health(&parent, 4, EPS_ONLINE);
    assert_int_equal(choose(&parent, &rng, &pk), POLICY_OK);
    assert_ptr_equal(pk.ep[0], &child.ep[1]);
    assert_false(pk.best_effort);
}

/* ---- endpoint_status: features.md §1.4 ---- */

static void
test_status_table(void **state)
{
    (void)state;
    struct fx f;
    fx_init(&f, "st", ROUTE_PRIORITY, 3);

    /* Enabled profile, enabled endpoint: the slot's verdict. */
    set_health(&f, 0, EPS_ONLINE);
    assert_int_equal(status_of(&f, 0), EPS_ONLINE);
    set_health(&f, 0, EPS_DEGRADED);
    assert_int_equal(status_of(&f, 0), EPS_DEGRADED);
    set_health(&f, 0, EPS_CHECKING);
    assert_int_equal(status_of(&f, 0), EPS_CHECKING);
    /* No slot (never probed yet): CheckingEndpoint. */
    f.ep[0].health_idx = HEALTH_NONE;
    assert_int_equal(status_of(&f, 0), EPS_CHECKING);
    f.ep[0].health_idx = 0;

    /* alwaysServe: Unmonitored, whatever a slot says. */
    f.ep[1].always_serve = true;
    f.ep[1].health_idx = HEALTH_NONE;
    assert_int_equal(status_of(&f, 1), EPS_UNMONITORED);
    f.ep[1].health_idx = 1;
    set_health(&f, 1, EPS_DEGRADED);
    assert_int_equal(status_of(&f, 1), EPS_UNMONITORED);

    /* Disabled endpoint: Disabled in any profile, even alwaysServe. */
    f.ep[2].enabled = false;
    set_health(&f, 2, EPS_ONLINE);
    assert_int_equal(status_of(&f, 2), EPS_DISABLED);
    f.ep[2].always_serve = true;
    assert_int_equal(status_of(&f, 2), EPS_DISABLED);

    /* Disabled profile: enabled endpoints Inactive, disabled ones Disabled. */
    f.p.enabled = false;
    set_health(&f, 0, EPS_ONLINE);
    assert_int_equal(status_of(&f, 0), EPS_INACTIVE);
    assert_int_equal(status_of(&f, 1), EPS_INACTIVE);
    assert_int_equal(status_of(&f, 2), EPS_DISABLED);

    /* The names the API shows. */
    assert_string_equal(ep_status_name(EPS_CHECKING), "CheckingEndpoint");
    assert_string_equal(ep_status_name(EPS_ONLINE), "Online");
    assert_string_equal(ep_status_name(EPS_DEGRADED), "Degraded");
    assert_string_equal(ep_status_name(EPS_DISABLED), "Disabled");
    assert_string_equal(ep_status_name(EPS_INACTIVE), "Inactive");
    assert_string_equal(ep_status_name(EPS_STOPPED), "Stopped");
    assert_string_equal(ep_status_name(EPS_UNMONITORED), "Unmonitored");
}

/* The "In DNS answers?" column, through policy_choose: one endpoint in each
 * status, alone in its profile. */
static void
test_status_in_answers(void **state)
{
    (void)state;
    static const struct {
        enum ep_status slot;
        bool ep_enabled, always, profile_enabled;
        enum ep_status want;
        int rc;
        bool best_effort;
    } rows[] = {
        {EPS_ONLINE, true, false, false, EPS_INACTIVE, POLICY_NXDOMAIN, false},
        {EPS_ONLINE, false, false, true, EPS_DISABLED, POLICY_NXDOMAIN, false},
        {EPS_ONLINE, true, false, true, EPS_ONLINE, POLICY_OK, false},
        {EPS_DEGRADED, true, false, true, EPS_DEGRADED, POLICY_OK, true},
        {EPS_CHECKING, true, false, true, EPS_CHECKING, POLICY_OK, false},
        {EPS_DEGRADED, true, true, true, EPS_UNMONITORED, POLICY_OK, false},
    };
    for (size_t i = 0; i < GTM_ARRAY_LEN(rows); i++) {
        struct fx f;
        uint64_t rng = 1;
        struct policy_pick pk;
        fx_init(&f, "row", ROUTE_PRIORITY, 1);
        set_health(&f, 0, rows[i].slot);
        f.ep[0].enabled = rows[i].ep_enabled;
        f.ep[0].always_serve = rows[i].always;
        f.p.enabled = rows[i].profile_enabled;
        assert_int_equal(status_of(&f, 0), rows[i].want);
        assert_int_equal(choose(&f, &rng, &pk), rows[i].rc);
        assert_int_equal(pk.best_effort, rows[i].best_effort);
        if (rows[i].rc == POLICY_OK)
            assert_ptr_equal(pk.ep[0], &f.ep[0]);
    }
}

/* Nested rows: child Disabled or Inactive: Stopped; else Online when
 * #Online >= minChildEndpoints, CheckingEndpoint when #Online +
 * #CheckingEndpoint >= minChildEndpoints, else Degraded. */
static void
test_status_nested(void **state)
{
    (void)state;
    struct fx parent, child;
    fx_pair(&parent, &child);
    assert_int_equal(status_of(&parent, 0), EPS_ONLINE);
    set_health(&parent, 3, EPS_DEGRADED);
    assert_int_equal(status_of(&parent, 0), EPS_ONLINE);
    parent.ep[0].min_child = 2;
    assert_int_equal(status_of(&parent, 0), EPS_DEGRADED);
    set_health(&parent, 3, EPS_CHECKING);
    assert_int_equal(status_of(&parent, 0), EPS_CHECKING);
    set_health(&parent, 3, EPS_ONLINE);
    assert_int_equal(status_of(&parent, 0), EPS_ONLINE);
    parent.ep[0].min_child = 3; /* too high: always Degraded */
    assert_int_equal(status_of(&parent, 0), EPS_DEGRADED);
    parent.ep[0].min_child = 1;
    child.p.enabled = false; /* child Disabled */
    assert_int_equal(status_of(&parent, 0), EPS_STOPPED);
    child.p.enabled = true;
    child.ep[0].enabled = false; /* child Inactive: every endpoint Disabled */
    child.ep[1].enabled = false;
    assert_int_equal(status_of(&parent, 0), EPS_STOPPED);
    child.ep[0].enabled = true;
    child.ep[1].enabled = true;

    /* alwaysServe children count as Online. */
    set_health(&parent, 3, EPS_DEGRADED);
    set_health(&parent, 4, EPS_DEGRADED);
    assert_int_equal(status_of(&parent, 0), EPS_DEGRADED);
    child.ep[1].always_serve = true;
    child.ep[1].health_idx = HEALTH_NONE;
    assert_int_equal(status_of(&parent, 0), EPS_ONLINE);
    child.ep[1].always_serve = false;
    child.ep[1].health_idx = 4;

    /* minChildEndpointsIPv4 / IPv6 count children by address family. */
    set_health(&parent, 3, EPS_ONLINE);
    set_health(&parent, 4, EPS_CHECKING);
    parent.ep[0].min_child_v4 = 2;
    assert_int_equal(status_of(&parent, 0), EPS_CHECKING);
    set_health(&parent, 4, EPS_DEGRADED);
    assert_int_equal(status_of(&parent, 0), EPS_DEGRADED);
    set_health(&parent, 4, EPS_ONLINE);
    assert_int_equal(status_of(&parent, 0), EPS_ONLINE);
    parent.ep[0].min_child_v4 = 0;
    parent.ep[0].min_child_v6 = 1; /* no IPv6 child at all */
    assert_int_equal(status_of(&parent, 0), EPS_DEGRADED);
    parent.ep[0].min_child_v6 = 0;

    /* The parent's own settings come first: Disabled, then Inactive. */
    parent.p.enabled = false;
    assert_int_equal(status_of(&parent, 0), EPS_INACTIVE);
    parent.p.enabled = true;
    parent.ep[0].enabled = false;
    assert_int_equal(status_of(&parent, 0), EPS_DISABLED);
}

/* ---- a profile parsed from JSON, as the loader builds it ---- */

static void
test_parsed_profile(void **state)
{
    (void)state;
    static const char doc[] =
        "{\"name\":\"w\",\"type\":\"Microsoft.Network/trafficManagerProfiles\","
        "\"properties\":{\"profileStatus\":\"Enabled\",\"trafficRoutingMethod\":\"Weighted\","
        "\"dnsConfig\":{\"relativeName\":\"w\",\"ttl\":60},"
        "\"monitorConfig\":{\"protocol\":\"HTTP\",\"port\":80,\"path\":\"/\"},"
        "\"endpoints\":["
        "{\"name\":\"one\",\"type\":\"Microsoft.Network/trafficManagerProfiles/"
        "externalEndpoints\",\"properties\":{\"target\":\"192.0.2.1\",\"weight\":3}},"
        "{\"name\":\"two\",\"type\":\"Microsoft.Network/trafficManagerProfiles/"
        "externalEndpoints\",\"properties\":{\"target\":\"192.0.2.2\"}},"
        "{\"name\":\"off\",\"type\":\"Microsoft.Network/trafficManagerProfiles/"
        "externalEndpoints\",\"properties\":{\"target\":\"192.0.2.3\",\"weight\":1000,"
        "\"endpointStatus\":\"Disabled\"}}]}}";
    struct arena *a = arena_new();
    struct errbuf eb;
    struct config_errors errs = errs_init(&eb);
    struct profile *p = NULL;
    assert_int_equal(profile_parse(a, "w.json", doc, strlen(doc), false, &errs, &p), 0);
    assert_string_equal(eb.text, "");
    assert_int_equal(p->method, ROUTE_WEIGHTED);
    assert_int_equal(p->nendpoints, 3);
    assert_int_equal(p->endpoints[0].weight, 3);
    assert_int_equal(p->endpoints[1].weight, 1); /* the default */
    assert_int_equal(p->endpoints[0].priority, 1);
    assert_int_equal(p->endpoints[1].priority, 2); /* position when absent */
    assert_false(p->endpoints[2].enabled);
    struct health_slot h[3];
    for (uint32_t i = 0; i < 3; i++) {
        p->endpoints[i].health_idx = i;
        atomic_init(&h[i].status, EPS_ONLINE);
    }
    uint16_t order[3];
    prep_order(p, order);
    unsigned counts[3] = {0};
    uint64_t rng = 42;
    for (unsigned i = 0; i < DRAWS; i++) {
        struct policy_pick pk;
        assert_int_equal(choose_h(p, h, &rng, &pk), POLICY_OK);
        counts[pk.ep[0] - p->endpoints]++;
    }
    assert_int_equal(counts[2], 0);
    assert_int_equal(counts[0], 75065);
    assert_int_equal(counts[1], 24935);
    /* Switched to Priority: endpoint "one" (position 1). */
    p->method = ROUTE_PRIORITY;
    prep_order(p, order);
    struct policy_pick pk;
    assert_int_equal(choose_h(p, h, &rng, &pk), POLICY_OK);
    assert_string_equal(pk.ep[0]->name, "one");
    arena_free(a);
}

/* The trace a traced choice writes, level by level: the same choice as
 * without one; the candidates; a nested endpoint's child on the next level,
 * the levels below left alone. */
static void
test_trace_nested(void **state)
{
    (void)state;
    struct fx parent, child;
    fx_pair(&parent, &child);
    set_health(&parent, 3, EPS_DEGRADED);
    prep(&parent);
    uint64_t rng = 1;
    struct policy_ctx c = {
        .health = parent.h, .rng = &rng, .client = &no_client, .qtype = LDNS_RR_TYPE_A};
    struct policy_pick plain, traced;
    static struct policy_trace t[POLICY_NEST_MAX];
    for (unsigned k = 0; k < POLICY_NEST_MAX; k++)
        t[k].p = NULL;
    assert_int_equal(policy_choose(&parent.p, &c, &plain), POLICY_OK);
    assert_int_equal(policy_choose_traced(&parent.p, &c, &traced, t), POLICY_OK);
    assert_ptr_equal(plain.ep[0], traced.ep[0]);
    assert_ptr_equal(traced.ep[0], &child.ep[1]);
    assert_ptr_equal(t[0].p, &parent.p);
    assert_int_equal(t[0].outcome, POLICY_RAN);
    assert_int_equal(t[0].ncand, 2); /* the nested endpoint (its child is up) and B */
    assert_ptr_equal(t[0].chosen, &parent.ep[0]);
    assert_ptr_equal(t[1].p, &child.p);
    assert_int_equal(t[1].ncand, 1); /* Y: X is Degraded */
    assert_int_equal(t[1].cand[0], 1);
    assert_false(t[1].best_effort);
    assert_ptr_equal(t[1].chosen, &child.ep[1]);
    assert_null(t[2].p);
    /* A disabled profile: its level says so. */
    parent.p.enabled = false;
    assert_int_equal(policy_choose_traced(&parent.p, &c, &traced, t), POLICY_NXDOMAIN);
    assert_int_equal(t[0].outcome, POLICY_PROFILE_DISABLED);
}

/* A Subnet trace: the range that holds the client, whether its endpoint is
 * a candidate, and the fallback. */
static void
test_trace_subnet(void **state)
{
    (void)state;
    struct fx f;
    fx_init(&f, "sub", ROUTE_SUBNET, 2);
    struct subnet_range r = {.family = AF_INET};
    inet_pton(AF_INET, "203.0.113.0", r.first);
    inet_pton(AF_INET, "203.0.113.127", r.last);
    f.ep[0].subnets = &r;
    f.ep[0].nsubnets = 1;
    set_health(&f, 0, EPS_DEGRADED);
    set_health(&f, 1, EPS_ONLINE);
    struct policy_client cl = {.family = AF_INET, .prefix = 32};
    inet_pton(AF_INET, "203.0.113.9", cl.addr);
    uint64_t rng = 1;
    struct policy_ctx c = {.health = f.h, .rng = &rng, .client = &cl, .qtype = LDNS_RR_TYPE_A};
    static struct policy_trace t[POLICY_NEST_MAX];
    struct policy_pick pk;
    assert_int_equal(policy_choose_traced(&f.p, &c, &pk, t), POLICY_OK);
    assert_ptr_equal(pk.ep[0], &f.ep[1]);
    assert_true(t[0].parts & POLICY_TRACE_SUBNET);
    assert_ptr_equal(t[0].subnet.hit, &f.ep[0]);
    assert_ptr_equal(t[0].subnet.range, &r);
    assert_false(t[0].subnet.hit_candidate);
    assert_ptr_equal(t[0].subnet.fallback, &f.ep[1]);
    char why[256];
    policy_method(ROUTE_SUBNET)->reason(&t[0], why, sizeof why);
    assert_string_equal(why, "Subnet: the client is in a range of endpoint A, which is not up; "
                             "the endpoint without ranges, B, answers");
}

/* The registry: one ops per method, named as the profile documents name it
 * (profile_parse reads the names from it); only MultiValue refuses nested
 * endpoints and has maxReturn. */
static void
test_registry(void **state)
{
    (void)state;
    static const char *const names[ROUTE_METHODS] = {
        [ROUTE_PRIORITY] = "Priority",       [ROUTE_WEIGHTED] = "Weighted",
        [ROUTE_PERFORMANCE] = "Performance", [ROUTE_GEOGRAPHIC] = "Geographic",
        [ROUTE_MULTIVALUE] = "MultiValue",   [ROUTE_SUBNET] = "Subnet",
        [ROUTE_ROUNDROBIN] = "RoundRobin",
    };
    for (int m = 0; m < ROUTE_METHODS; m++) {
        const struct policy_ops *ops = policy_method((enum routing_method)m);
        assert_non_null(ops->choose);
        assert_non_null(ops->reason);
        assert_string_equal(ops->name, names[m]);
        assert_int_equal(ops->nested_ok, m != ROUTE_MULTIVALUE);
        assert_int_equal(ops->max_return, m == ROUTE_MULTIVALUE);
    }
    assert_ptr_equal(policy_method((enum routing_method)99), policy_method(ROUTE_PRIORITY));
}

/* The geographic hierarchy (policy/geo.c): one table, WORLD first, every
 * parent before its children, the countries one sorted run (geo_group
 * searches it), the groups and states where Azure has them. */
static void
test_geo_regions(void **state)
{
    (void)state;
    size_t n;
    const struct geo_region *g = geo_regions(&n);
    assert_true(n > 300);
    assert_string_equal(g[0].code, "WORLD");
    assert_string_equal(g[0].name, "World");
    assert_null(g[0].parent);
    size_t groups = 0, countries = 0, states = 0, first_country = 0;
    for (size_t i = 1; i < n; i++) {
        assert_non_null(g[i].parent);
        assert_true(g[i].name[0] != 0);
        size_t len = strlen(g[i].code);
        /* the parent comes first; no code twice */
        size_t p = 0;
        while (p < i && strcmp(g[p].code, g[i].parent) != 0)
            p++;
        assert_true(p < i);
        for (size_t k = 0; k < i; k++)
            assert_string_not_equal(g[k].code, g[i].code);
        if (strncmp(g[i].code, "GEO-", 4) == 0) {
            assert_int_equal(p, 0); /* groups hang from WORLD, before any country */
            assert_int_equal(countries, 0);
            groups++;
        } else if (len == 2) {
            assert_true(strncmp(g[i].parent, "GEO-", 4) == 0);
            assert_int_equal(states, 0); /* one run of countries, sorted */
            if (countries++ == 0)
                first_country = i;
            else
                assert_true(strcmp(g[i - 1].code, g[i].code) < 0);
            assert_string_equal(geo_group(g[i].code), g[i].parent);
        } else {
            /* a state: "CC-XX" under its country CC */
            assert_true(len > 3 && g[i].code[2] == '-');
            assert_int_equal(strlen(g[i].parent), 2);
            assert_memory_equal(g[i].code, g[i].parent, 2);
            states++;
        }
    }
    assert_int_equal(groups, 8);
    assert_int_equal(first_country, 9);
    assert_true(countries >= 249); /* ISO 3166-1 and Azure's own codes */
    assert_true(states >= 51 + 13 + 8);
    assert_string_equal(geo_group("FR"), "GEO-EU");
    assert_string_equal(geo_group("US"), "GEO-NA");
    assert_string_equal(geo_group("AU"), "GEO-AP");
    assert_string_equal(geo_group("XK"), "GEO-EU");
    assert_string_equal(geo_group("AQ"), "GEO-AN");
    assert_null(geo_group("ZZ"));
    assert_null(geo_group("fr"));
    assert_null(geo_group("US-CA"));
    assert_null(geo_group(""));
    assert_null(geo_group("GEO-EU"));
}

/* The same tests with by_priority filled in (order_on runs first). */
#define SORTED_VARIANT(fn)                                                                         \
    static void fn##_sorted(void **state)                                                          \
    {                                                                                              \
        fn(state);                                                                                 \
    }
SORTED_VARIANT(test_priority_lowest_wins)
SORTED_VARIANT(test_priority_tie_first)
SORTED_VARIANT(test_priority_degraded_skipped)
SORTED_VARIANT(test_priority_checking_counts_as_up)
SORTED_VARIANT(test_priority_always_serve)
SORTED_VARIANT(test_priority_disabled_never)
SORTED_VARIANT(test_priority_best_effort)
SORTED_VARIANT(test_no_enabled_endpoint_nxdomain)
SORTED_VARIANT(test_profile_disabled_nxdomain)
SORTED_VARIANT(test_nested_child_chosen)
SORTED_VARIANT(test_nested_missing_child)
SORTED_VARIANT(test_nested_depth)
SORTED_VARIANT(test_nested_up_needs_min_child)
SORTED_VARIANT(test_nested_child_disabled_stopped)
SORTED_VARIANT(test_nested_best_effort)
SORTED_VARIANT(test_status_in_answers)
SORTED_VARIANT(test_parsed_profile)

int
main(void)
{
/* T: a test run without by_priority; SORTED: the same with it. */
#define T(fn)      cmocka_unit_test_setup(fn, order_off)
#define SORTED(fn) cmocka_unit_test_setup_teardown(fn##_sorted, order_on, order_off)
    const struct CMUnitTest tests[] = {
        T(test_priority_lowest_wins),
        SORTED(test_priority_lowest_wins),
        T(test_priority_tie_first),
        SORTED(test_priority_tie_first),
        T(test_priority_degraded_skipped),
        SORTED(test_priority_degraded_skipped),
        T(test_priority_checking_counts_as_up),
        SORTED(test_priority_checking_counts_as_up),
        T(test_priority_always_serve),
        SORTED(test_priority_always_serve),
        T(test_registry),
        T(test_geo_regions),
        T(test_trace_nested),
        T(test_trace_subnet),
        T(test_priority_disabled_never),
        SORTED(test_priority_disabled_never),
        T(test_priority_best_effort),
        SORTED(test_priority_best_effort),
        T(test_no_enabled_endpoint_nxdomain),
        SORTED(test_no_enabled_endpoint_nxdomain),
        T(test_profile_disabled_nxdomain),
        SORTED(test_profile_disabled_nxdomain),
        T(test_weighted_shares),
        T(test_weighted_equal),
        T(test_weighted_degraded_get_none),
        T(test_weighted_best_effort),
        T(test_weighted_rng_state),
        T(test_roundrobin_order),
        T(test_roundrobin_degraded_skipped),
        T(test_roundrobin_cursor_per_profile),
        T(test_roundrobin_next_in_turn_after_change),
        T(test_nested_child_chosen),
        SORTED(test_nested_child_chosen),
        T(test_nested_missing_child),
        SORTED(test_nested_missing_child),
        T(test_nested_depth),
        SORTED(test_nested_depth),
        T(test_nested_up_needs_min_child),
        SORTED(test_nested_up_needs_min_child),
        T(test_nested_child_disabled_stopped),
        SORTED(test_nested_child_disabled_stopped),
        T(test_nested_best_effort),
        SORTED(test_nested_best_effort),
        T(test_status_table),
        T(test_status_in_answers),
        SORTED(test_status_in_answers),
        T(test_status_nested),
        T(test_parsed_profile),
        SORTED(test_parsed_profile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
