/* own.c: the lifetime of a profile shared between snapshots: parsed into an
 * arena of its own, held by each snapshot that serves it (a reference
 * count), cloned when a new snapshot must give it other links, and freed
 * by its last holder. */
#include "config.h"
#include "gtm/profile.h"

#include <string.h>

#include "gtm/alloc.h"
#include "gtm/err.h"
#include "profiles/profile.h"

int
profile_parse_owned(const char *file, const char *text, size_t len, bool strict,
                    struct config_errors *errs, struct profile **out)
{
    /* what a profile of this text takes, about: the text kept, its strings */
    struct arena *a = arena_new_small(3 * len + 1024);
    struct profile *p = NULL;
    if (profile_parse(a, file, text, len, strict, errs, &p) != 0) {
        arena_free(a);
        *out = NULL;
        return GTM_ECONFIG;
    }
    p->arena = a;
    atomic_init(&p->refs, 0);
    *out = p;
    return 0;
}

struct profile *
profile_copy(struct arena *a, const struct profile *p)
{
    struct profile *c = arena_alloc(a, sizeof *c);
    /* Member by member where atomics are involved; the rest as it is. */
    c->name = p->name;
    c->file = p->file;
    c->relative_name = p->relative_name;
    c->ttl = p->ttl;
    c->enabled = p->enabled;
    c->method = p->method;
    c->max_return = p->max_return;
    c->mon = p->mon;
    c->nendpoints = p->nendpoints;
    if (p->nendpoints)
        c->endpoints = arena_memdup(a, p->endpoints, p->nendpoints * sizeof *p->endpoints);
    c->json = p->json;
    c->owner_sub = p->owner_sub;
    c->owner_rg = p->owner_rg;
    c->stats_slot = p->stats_slot;
    c->by_priority = p->by_priority;
    c->node = NULL; /* its own: the node leads to the profile */
    atomic_init(&c->rr_next, atomic_load_explicit(&p->rr_next, memory_order_relaxed));
    atomic_init(&c->refs, 0);
    c->prepared = p->prepared;
    return c;
}

struct profile *
profile_clone(const struct profile *p)
{
    const struct profile *origin = p->origin ? p->origin : p;
    struct arena *a =
        arena_new_small(sizeof *p + p->nendpoints * sizeof *p->endpoints + 2 * sizeof(void *));
    struct profile *c = profile_copy(a, p);
    c->arena = a;
    c->origin = origin;
    profile_ref((struct profile *)origin);
    return c;
}

void
profile_ref(struct profile *p)
{
    atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
}

void
profile_unref(struct profile *p)
{
    if (!p || !p->arena)
        return;
    if (atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) != 1)
        return;
    struct profile *origin = (struct profile *)p->origin;
    arena_free(p->arena);
    profile_unref(origin);
}

void
profile_discard(struct profile *p)
{
    if (!p)
        return;
    profile_ref(p);
    profile_unref(p);
}
