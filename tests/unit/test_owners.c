/* test_owners.c: the management API's list orders of a snapshot
 * (zones/owners.c) over hand-made profiles: a page merges the profiles
 * without an owner with those of the subscription (or resource group) by
 * name, any case; pages that continue after the last name given list each
 * profile once, whatever was added or removed between them; a change of
 * one profile (and clones swapped in) gives the orders a sort gives; the
 * walk over subscriptions visits each once. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "gtm/alloc.h"
#include "gtm/profile.h"
#include "gtm/snapshot.h"
#include "zones/owners.h"

#define S1 "11111111-1111-1111-1111-111111111111"
#define S2 "22222222-2222-2222-2222-222222222222"

static struct profile *
mk(struct arena *a, const char *name, const char *sub, const char *rg)
{
    struct profile *p = arena_alloc(a, sizeof *p);
    p->name = name;
    p->file = name;
    p->owner_sub = sub;
    p->owner_rg = rg;
    return p;
}

/* A snapshot of v[0..n) with its orders built. */
static struct gtm_snapshot *
snap(struct profile **v, uint32_t n)
{
    struct gtm_snapshot *s = calloc(1, sizeof *s);
    s->arena = arena_new();
    s->profiles = arena_alloc(s->arena, (n ? n : 1) * sizeof *v);
    memcpy(s->profiles, v, n * sizeof *v);
    s->nprofiles = n;
    owners_build(s);
    return s;
}

static void
snap_free(struct gtm_snapshot *s)
{
    arena_free(s->arena);
    free(s);
}

/* A chain of changed snapshots, newest first, then the profiles' arena. */
static void
chain_free(struct gtm_snapshot *const *v, size_t n, struct arena *a)
{
    for (size_t i = 0; i < n; i++)
        snap_free(v[i]);
    arena_free(a);
}

/* Every page of the list (max a page) joined as "name name ..."; pages
 * counts them. */
static void
walk(const struct gtm_snapshot *s, const char *sub, const char *rg, uint32_t max, char *out,
     size_t cap, unsigned *pages)
{
    const struct profile *page[16];
    const char *after = NULL;
    bool more = true;
    size_t o = 0;
    out[0] = 0;
    *pages = 0;
    while (more) {
        uint32_t n = owners_page(s, sub, rg, after, max, page, &more);
        (*pages)++;
        assert_true(n <= max);
        assert_true(n > 0 || !more);
        for (uint32_t i = 0; i < n; i++)
            o += (size_t)snprintf(out + o, cap - o, "%s%s", o ? " " : "", page[i]->name);
        if (n)
            after = page[n - 1]->name;
        assert_true(*pages < 100);
    }
}

static void
test_page_merges_unowned(void **state)
{
    (void)state;
    struct arena *a = arena_new();
    struct profile *v[] = {
        mk(a, "zed", NULL, NULL),
        mk(a, "Alpha", S1, "rg1"),
        mk(a, "beta", S1, "RG1"),
        mk(a, "gamma", S1, "rg2"),
        mk(a, "delta", S2, "rg1"),
        mk(a, "hand-b", NULL, NULL),
        mk(a, "Epsilon", "11111111-1111-1111-1111-11111111111A", "rg1"),
    };
    struct gtm_snapshot *s = snap(v, 7);
    assert_int_equal(s->nunowned, 2);
    char out[512];
    unsigned pages;
    walk(s, S1, "rg1", 10, out, sizeof out, &pages);
    assert_string_equal(out, "Alpha beta hand-b zed");
    assert_int_equal(pages, 1);
    walk(s, "11111111-1111-1111-1111-111111111111", "Rg1", 10, out, sizeof out, &pages);
    assert_string_equal(out, "Alpha beta hand-b zed");
    walk(s, S1, NULL, 10, out, sizeof out, &pages);
    assert_string_equal(out, "Alpha beta gamma hand-b zed");
    walk(s, S2, NULL, 10, out, sizeof out, &pages);
    assert_string_equal(out, "delta hand-b zed");
    walk(s, "11111111-1111-1111-1111-11111111111a", NULL, 10, out, sizeof out, &pages);
    assert_string_equal(out, "Epsilon hand-b zed");
    walk(s, "33333333-3333-3333-3333-333333333333", "rg1", 10, out, sizeof out, &pages);
    assert_string_equal(out, "hand-b zed");
    /* pages of 2, then of 1: the same, in 3 and 5 pages */
    walk(s, S1, NULL, 2, out, sizeof out, &pages);
    assert_string_equal(out, "Alpha beta gamma hand-b zed");
    assert_int_equal(pages, 3);
    walk(s, S1, NULL, 1, out, sizeof out, &pages);
    assert_string_equal(out, "Alpha beta gamma hand-b zed");
    assert_int_equal(pages, 5);

    /* after a name that is not there: what follows it */
    const struct profile *page[8];
    bool more;
    assert_int_equal(owners_page(s, S1, NULL, "c", 2, page, &more), 2);
    assert_string_equal(page[0]->name, "gamma");
    assert_string_equal(page[1]->name, "hand-b");
    assert_true(more);
    assert_int_equal(owners_page(s, S1, NULL, "ZED", 2, page, &more), 0);
    assert_false(more);
    assert_int_equal(owners_page(s, S1, NULL, "HAND-B", 5, page, &more), 1);
    assert_string_equal(page[0]->name, "zed");
    assert_false(more);
    snap_free(s);

    /* nothing loaded */
    s = snap(v, 0);
    assert_int_equal(owners_page(s, S1, "rg1", NULL, 5, page, &more), 0);
    assert_false(more);
    snap_free(s);
    arena_free(a);
}

/* The orders of s against a sort of the same profiles. */
static void
same_orders(const struct gtm_snapshot *s)
{
    struct gtm_snapshot *t = snap(s->profiles, s->nprofiles);
    assert_int_equal(s->nunowned, t->nunowned);
    for (uint32_t i = 0; i < s->nprofiles; i++) {
        assert_ptr_equal(s->by_sub[i], t->by_sub[i]);
        assert_ptr_equal(s->by_rg[i], t->by_rg[i]);
    }
    snap_free(t);
}

/* The snapshot after cur with old replaced by np (either NULL), its
 * profiles in name order, orders made by owners_change. */
static struct gtm_snapshot *
change(const struct gtm_snapshot *cur, struct profile *old, struct profile *np,
       const struct tm_swap *swaps, uint32_t nswaps)
{
    struct gtm_snapshot *s = calloc(1, sizeof *s);
    s->arena = arena_new();
    s->profiles = arena_alloc(s->arena, (cur->nprofiles + 1) * sizeof *s->profiles);
    for (uint32_t i = 0; i < cur->nprofiles; i++)
        if (cur->profiles[i] != old)
            s->profiles[s->nprofiles++] = cur->profiles[i];
    if (np)
        s->profiles[s->nprofiles++] = np;
    for (uint32_t i = 0; i < s->nprofiles; i++)
        for (uint32_t k = 0; k < nswaps; k++)
            if (s->profiles[i] == swaps[k].from)
                s->profiles[i] = swaps[k].to;
    owners_change(s, cur, old, np, swaps, nswaps);
    return s;
}

static void
test_change_is_a_sort(void **state)
{
    (void)state;
    struct arena *a = arena_new();
    struct profile *v[32];
    uint32_t n = 0;
    static const char *const subs[] = {NULL, S1, S2};
    static const char *const rgs[] = {"rg-a", "RG-B", "rg-c"};
    char *names = arena_alloc(a, 32 * 8);
    for (uint32_t i = 0; i < 24; i++) {
        char *nm = names + i * 8;
        snprintf(nm, 8, "p%02u", (i * 7) % 24);
        v[n++] = mk(a, nm, subs[i % 3], i % 3 ? rgs[i % 5 % 3] : NULL);
    }
    struct gtm_snapshot *s = snap(v, n);
    same_orders(s);

    /* a profile in, one out, one moved to another owner, one to none */
    struct gtm_snapshot *s2 = change(s, NULL, mk(a, "new", S1, "rg-b"), NULL, 0);
    same_orders(s2);
    struct gtm_snapshot *s3 = change(s2, v[4], NULL, NULL, 0);
    same_orders(s3);
    assert_int_equal(s3->nprofiles, 24);
    struct gtm_snapshot *s4 = change(s3, v[5], mk(a, v[5]->name, S2, "rg-z"), NULL, 0);
    same_orders(s4);
    struct gtm_snapshot *s5 = change(s4, v[7], mk(a, v[7]->name, NULL, NULL), NULL, 0);
    same_orders(s5);
    assert_int_equal(s5->nunowned, s4->nunowned + 1);

    /* clones (same name and owner) take the place of those they copy */
    struct tm_swap swaps[2] = {{v[1], mk(a, v[1]->name, v[1]->owner_sub, v[1]->owner_rg)},
                               {v[2], mk(a, v[2]->name, v[2]->owner_sub, v[2]->owner_rg)}};
    struct gtm_snapshot *s6 = change(s5, v[9], mk(a, v[9]->name, S1, "rg-a"), swaps, 2);
    same_orders(s6);
    bool seen = false;
    for (uint32_t i = 0; i < s6->nprofiles; i++) {
        assert_ptr_not_equal(s6->by_sub[i], v[1]);
        assert_ptr_not_equal(s6->by_rg[i], v[2]);
        seen = seen || s6->by_rg[i] == swaps[1].to;
    }
    assert_true(seen);

    /* pages of the changed snapshot still list each once */
    char out[1024];
    unsigned pages;
    walk(s6, S1, NULL, 3, out, sizeof out, &pages);
    char *all = strdup(out);
    walk(s6, S1, NULL, 16, out, sizeof out, &pages);
    assert_string_equal(all, out);
    free(all);

    chain_free((struct gtm_snapshot *[]){s6, s5, s4, s3, s2, s}, 6, a);
}

/* Profiles added and removed between two pages: every profile there
 * throughout is listed once, none twice. */
static void
test_pages_across_changes(void **state)
{
    (void)state;
    struct arena *a = arena_new();
    struct profile *v[20];
    char *names = arena_alloc(a, 20 * 8);
    for (uint32_t i = 0; i < 20; i++) {
        char *nm = names + i * 8;
        snprintf(nm, 8, "m%02u", i);
        v[i] = mk(a, nm, i % 4 ? S1 : NULL, i % 2 ? "rg" : "other");
    }
    struct gtm_snapshot *s = snap(v, 20);
    const struct profile *page[8];
    bool more;
    char seen[20] = {0};
    uint32_t n = owners_page(s, S1, NULL, NULL, 5, page, &more);
    assert_int_equal(n, 5);
    for (uint32_t i = 0; i < n; i++)
        seen[atoi(page[i]->name + 1)]++;
    const char *after = page[n - 1]->name; /* m04 */
    /* before the next page: the last one given goes, one before it and one
     * after it come, one after it goes */
    struct gtm_snapshot *s2 = change(s, v[4], NULL, NULL, 0);
    struct gtm_snapshot *s3 = change(s2, NULL, mk(a, "m00a", S1, "rg"), NULL, 0);
    struct gtm_snapshot *s4 = change(s3, NULL, mk(a, "m10a", S1, "rg"), NULL, 0);
    struct gtm_snapshot *s5 = change(s4, v[12], NULL, NULL, 0);
    bool added = false;
    while (more) {
        n = owners_page(s5, S1, NULL, after, 5, page, &more);
        for (uint32_t i = 0; i < n; i++) {
            if (strcmp(page[i]->name, "m10a") == 0) {
                added = true;
                continue;
            }
            assert_string_not_equal(page[i]->name, "m00a");
            seen[atoi(page[i]->name + 1)]++;
        }
        after = n ? page[n - 1]->name : after;
    }
    assert_true(added);
    for (uint32_t i = 0; i < 20; i++)
        assert_int_equal(seen[i], i == 12 ? 0 : 1);
    chain_free((struct gtm_snapshot *[]){s5, s4, s3, s2, s}, 5, a);
}

static void
test_subscription_walk(void **state)
{
    (void)state;
    struct arena *a = arena_new();
    struct profile *v[] = {
        mk(a, "a", S2, "x"),
        mk(a, "b", NULL, NULL),
        mk(a, "c", S1, "y"),
        mk(a, "d", S1, "x"),
        mk(a, "e", S2, "z"),
        mk(a, "f", "33333333-3333-3333-3333-33333333333A", "x"),
        mk(a, "g", "33333333-3333-3333-3333-33333333333a", "q"),
    };
    struct gtm_snapshot *s = snap(v, 7);
    const char *got[8];
    unsigned k = 0;
    for (uint32_t i = s->nunowned; i < s->nprofiles; i = owners_next_sub(s, i))
        got[k++] = s->by_sub[i]->owner_sub;
    assert_int_equal(k, 3);
    assert_string_equal(got[0], S1);
    assert_string_equal(got[1], S2);
    assert_int_equal(strcasecmp(got[2], "33333333-3333-3333-3333-33333333333a"), 0);
    assert_int_equal(owners_next_sub(s, 0), s->nunowned);
    assert_int_equal(owners_next_sub(s, s->nprofiles), s->nprofiles);
    snap_free(s);
    arena_free(a);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_page_merges_unowned),
        cmocka_unit_test(test_change_is_a_sort),
        cmocka_unit_test(test_pages_across_changes),
        cmocka_unit_test(test_subscription_walk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
