/* owners.c: the management API's list orders of a snapshot (owners.h). */
#include "config.h"
#include "zones/owners.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gtm/alloc.h"
#include "gtm/profile.h"

typedef int order_fn(const struct profile *a, const struct profile *b);

/* Text in any case; NULL (no owner) before everything. */
static int
text_cmp(const char *a, const char *b)
{
    if (!a || !b)
        return (a != NULL) - (b != NULL);
    return strcasecmp(a, b);
}

/* The name order of s->profiles (zones/build.c): name, then file. */
static int
name_order(const struct profile *a, const struct profile *b)
{
    int d = strcasecmp(a->name, b->name);
    return d ? d : text_cmp(a->file, b->file);
}

static int
sub_order(const struct profile *a, const struct profile *b)
{
    int d = text_cmp(a->owner_sub, b->owner_sub);
    return d ? d : name_order(a, b);
}

static int
rg_order(const struct profile *a, const struct profile *b)
{
    int d = text_cmp(a->owner_sub, b->owner_sub);
    if (d == 0)
        d = text_cmp(a->owner_rg, b->owner_rg);
    return d ? d : name_order(a, b);
}

static int
sort_sub(const void *a, const void *b)
{
    return sub_order(*(struct profile *const *)a, *(struct profile *const *)b);
}

static int
sort_rg(const void *a, const void *b)
{
    return rg_order(*(struct profile *const *)a, *(struct profile *const *)b);
}

/* The first index of v[0..n) that does not sort before key. */
static uint32_t
lower_bound(struct profile *const *v, uint32_t n, const struct profile *key, order_fn *cmp)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (cmp(v[mid], key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Where p is in v[0..n), found by its place in the order (or, should the
 * order not hold, by a walk); UINT32_MAX when absent. */
static uint32_t
find(struct profile *const *v, uint32_t n, const struct profile *p, order_fn *cmp)
{
    for (uint32_t i = lower_bound(v, n, p, cmp); i < n && cmp(v[i], p) == 0; i++)
        if (v[i] == p)
            return i;
    for (uint32_t i = 0; i < n; i++)
        if (v[i] == p)
            return i;
    return UINT32_MAX;
}

void
owners_build(struct gtm_snapshot *s)
{
    uint32_t n = s->nprofiles;
    size_t bytes = (n ? n : 1) * sizeof *s->by_sub;
    s->by_sub = arena_alloc(s->arena, bytes);
    s->by_rg = arena_alloc(s->arena, bytes);
    if (n) {
        memcpy(s->by_sub, s->profiles, n * sizeof *s->by_sub);
        memcpy(s->by_rg, s->profiles, n * sizeof *s->by_rg);
        qsort(s->by_sub, n, sizeof *s->by_sub, sort_sub);
        qsort(s->by_rg, n, sizeof *s->by_rg, sort_rg);
    }
    uint32_t lo = 0, hi = n; /* the unowned come first */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (!s->by_sub[mid]->owner_sub)
            lo = mid + 1;
        else
            hi = mid;
    }
    s->nunowned = lo;
}

/* v[0..n) with old taken out and np put in its place, into a; *k counts
 * what it holds. */
static struct profile **
change_order(struct arena *a, struct profile *const *v, uint32_t n, const struct profile *old,
             struct profile *np, order_fn *cmp, uint32_t *k)
{
    struct profile **out = arena_alloc(a, (n + 1) * sizeof *out);
    uint32_t at_old = old ? find(v, n, old, cmp) : UINT32_MAX;
    uint32_t at_np = np ? lower_bound(v, n, np, cmp) : n;
    *k = 0;
    for (uint32_t i = 0; i <= n; i++) {
        if (np && i == at_np)
            out[(*k)++] = np;
        if (i < n && i != at_old)
            out[(*k)++] = v[i];
    }
    return out;
}

/* from's place in v[0..n) goes to to, which sorts where it does. */
static void
replace(struct profile **v, uint32_t n, const struct profile *from, struct profile *to,
        order_fn *cmp)
{
    uint32_t i = find(v, n, from, cmp);
    if (i != UINT32_MAX)
        v[i] = to;
}

void
owners_change(struct gtm_snapshot *s, const struct gtm_snapshot *cur, const struct profile *old,
              struct profile *np, const struct tm_swap *swaps, uint32_t nswaps)
{
    uint32_t nsub = 0, nrg = 0;
    if (cur->by_sub && cur->by_rg) {
        s->by_sub = change_order(s->arena, cur->by_sub, cur->nprofiles, old, np, sub_order, &nsub);
        s->by_rg = change_order(s->arena, cur->by_rg, cur->nprofiles, old, np, rg_order, &nrg);
    }
    if (nsub != s->nprofiles || nrg != s->nprofiles) {
        /* cur did not hold old after all: sort, as a load does */
        owners_build(s);
        return;
    }
    for (uint32_t i = 0; i < nswaps; i++) {
        replace(s->by_sub, s->nprofiles, swaps[i].from, swaps[i].to, sub_order);
        replace(s->by_rg, s->nprofiles, swaps[i].from, swaps[i].to, rg_order);
    }
    s->nunowned = cur->nunowned - (old && !old->owner_sub) + (np && !np->owner_sub);
}

/* ---- lists ---- */

/* p's owner against (sub, rg); rg NULL: the subscription alone. */
static int
owner_cmp(const struct profile *p, const char *sub, const char *rg)
{
    int d = strcasecmp(p->owner_sub, sub);
    return d || !rg ? d : strcasecmp(p->owner_rg, rg);
}

/* The first index of v[lo..hi) (owned profiles) whose owner comes at
 * (past: after) (sub, rg). */
static uint32_t
owner_bound(struct profile *const *v, uint32_t lo, uint32_t hi, const char *sub, const char *rg,
            bool past)
{
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int d = owner_cmp(v[mid], sub, rg);
        if (d < 0 || (past && d == 0))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The first index of v[lo..hi) (in name order) whose name comes after
 * after (NULL: lo). */
static uint32_t
name_after(struct profile *const *v, uint32_t lo, uint32_t hi, const char *after)
{
    while (after && lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (strcasecmp(v[mid]->name, after) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

uint32_t
owners_page(const struct gtm_snapshot *s, const char *sub, const char *rg, const char *after,
            uint32_t max, const struct profile **out, bool *more)
{
    struct profile *const *v = rg ? s->by_rg : s->by_sub;
    uint32_t n = v ? s->nprofiles : 0;
    uint32_t uend = s->nunowned < n ? s->nunowned : n;
    uint32_t lo = owner_bound(v, uend, n, sub, rg, false);
    uint32_t oend = owner_bound(v, lo, n, sub, rg, true);
    uint32_t i = name_after(v, 0, uend, after), j = name_after(v, lo, oend, after);
    uint32_t k = 0;
    while (k < max && (i < uend || j < oend)) {
        if (j >= oend || (i < uend && strcasecmp(v[i]->name, v[j]->name) < 0))
            out[k++] = v[i++];
        else
            out[k++] = v[j++];
    }
    *more = i < uend || j < oend;
    return k;
}

uint32_t
owners_next_sub(const struct gtm_snapshot *s, uint32_t i)
{
    if (!s->by_sub || i >= s->nprofiles)
        return s->nprofiles;
    if (i < s->nunowned)
        return s->nunowned;
    return owner_bound(s->by_sub, i, s->nprofiles, s->by_sub[i]->owner_sub, NULL, true);
}
