/* check.c: one profile against the others (see check.h). Name clashes are
 * one comparison; nesting is checked by profile_link itself, run on copies
 * of the few profiles that take part in nesting, so that a change costs
 * what it touches and its messages are those of a full load. */
#include "config.h"
#include "profiles/check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gtm/alloc.h"
#include "gtm/err.h"
#include "gtm/profile.h"
#include "gtm/snapshot.h"
#include "profiles/dir.h"
#include "profiles/profile.h"

bool
profile_same_name(const char *a, const char *b)
{
    return strcasecmp(a, b) == 0;
}

const struct profile *
profile_clash(const struct gtm_snapshot *s, const struct profile *old, const struct profile *np)
{
    if (!s || !np)
        return NULL;
    /* Each profile's DNS name is a node of the --domain zone, in lowercase
     * as relativeName is kept: a lookup there is the rule below, at once. */
    char text[DNAME_MAXLEN * 4 + 8];
    uint8_t wire[DNAME_MAXLEN + 1];
    int len = snprintf(text, sizeof text, "%s.", np->relative_name) < (int)sizeof text
                  ? dname_from_text(text, wire)
                  : -1;
    const struct zone *z = s->domain;
    if (z && len > 1 && (size_t)len - 1 + z->apex_len <= DNAME_MAXLEN) {
        memcpy(wire + len - 1, z->apex, z->apex_len); /* over the root label */
        const struct zone_node *n = zone_find_node(z, wire, (size_t)len - 1 + z->apex_len);
        const struct profile *q = n ? n->profile : NULL;
        return q && q != old && profile_same_name(q->relative_name, np->relative_name) ? q : NULL;
    }
    for (uint32_t i = 0; i < s->nprofiles; i++) {
        const struct profile *q = s->profiles[i];
        if (q != old && profile_same_name(q->relative_name, np->relative_name))
            return q;
    }
    return NULL;
}

static bool
has_nested(const struct profile *p)
{
    for (uint32_t k = 0; k < p->nendpoints; k++)
        if (p->endpoints[k].kind == EP_NESTED)
            return true;
    return false;
}

/* Whether some profile of v[0..n) names p as a child. */
static bool
is_child(const struct profile *p, struct profile *const *v, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t k = 0; k < v[i]->nendpoints; k++) {
            const struct endpoint *e = &v[i]->endpoints[k];
            if (e->kind == EP_NESTED && e->child && profile_same_name(e->child, p->name))
                return true;
        }
    return false;
}

int
profile_check(const struct gtm_snapshot *s, const struct profile *old, const struct profile *np,
              struct config_errors *errs)
{
    uint32_t n = s ? s->nprofiles : 0;
    if ((!s || !s->nnested) && (!np || !has_nested(np)))
        return 0; /* nothing nests: nothing to check */

    /* The parents: every profile with a nested endpoint, old left out. */
    struct profile **parents = xcalloc((size_t)n + 1, sizeof *parents);
    uint32_t np_ = 0;
    for (uint32_t i = 0; i < n; i++)
        if (s->profiles[i] != old && has_nested(s->profiles[i]))
            parents[np_++] = s->profiles[i];
    if (np && has_nested(np))
        parents[np_++] = (struct profile *)np;
    /* The set: the parents and every profile one of them names (the others
     * cannot be on a chain). Copies, so that profile_link may link them. */
    struct arena *a = arena_new();
    struct profile **v = xcalloc((size_t)n + 1, sizeof *v);
    uint32_t m = 0;
    for (uint32_t i = 0; i < n; i++) {
        struct profile *q = s->profiles[i];
        if (q != old && (has_nested(q) || is_child(q, parents, np_)))
            v[m++] = profile_copy(a, q);
    }
    if (np && (has_nested(np) || is_child(np, parents, np_)))
        v[m++] = profile_copy(a, np);
    int rc = profile_link(v, m, errs);
    arena_free(a);
    free(v);
    free(parents);
    return rc;
}
