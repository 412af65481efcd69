/* link.c: the checks that span profiles: unique names and relative
 * names, nested endpoints resolved to their child profiles, no loops and at
 * most PROFILE_MAX_NESTING profiles in a chain. */
#include "config.h"
#include "profiles/dir.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "gtm/alloc.h"
#include "gtm/err.h"
#include "gtm/json.h"
#include "gtm/snapshot.h"
#include "policy/policy.h"
#include "profiles/check.h"

/* ---- JSON paths, following each document's shape (only needed for messages) ---- */

/* field_path: the path of a profile field ("dnsConfig.relativeName"), or of
 * an endpoint's field when ep >= 0 (one of its properties when in_props), as
 * the document spells it. */
static void
field_path(const struct profile *p, long ep, const char *field, bool in_props, char *out,
           size_t cap)
{
    json_t *root = p->json ? json_loads(p->json, 0, NULL) : NULL;
    json_t *props = gtm_json_member(root, "properties");
    bool arm = json_is_object(props);
    const char *pre = arm ? "properties." : "";
    if (ep < 0) {
        snprintf(out, cap, "%s%s", pre, field);
    } else {
        json_t *eps = gtm_json_member(arm ? props : root, "endpoints");
        json_t *e = json_array_get(eps, (size_t)ep);
        bool earm = json_is_object(gtm_json_member(e, "properties"));
        snprintf(out, cap, "%sendpoints[%ld].%s%s", pre, ep, earm && in_props ? "properties." : "",
                 field);
    }
    json_decref(root);
}

/* ---- helpers ---- */

static int
prof_cmp(const void *pa, const void *pb)
{
    const struct profile *a = *(struct profile *const *)pa, *b = *(struct profile *const *)pb;
    int d = strcasecmp(a->name, b->name);
    return d ? d : strcmp(a->file, b->file);
}

/* find: the index of the profile named name (any case) in sorted v, or -1. */
static long
find(struct profile **v, uint32_t n, const char *name)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int d = strcasecmp(name, v[mid]->name);
        if (d == 0)
            return mid;
        if (d < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -1;
}

static void
check_names(struct profile **v, uint32_t n, struct config_errors *errs)
{
    for (uint32_t i = 1, first = 0; i < n; i++) {
        if (!profile_same_name(v[i]->name, v[first]->name)) {
            first = i;
            continue;
        }
        config_error(errs, v[i]->file, 0, "name: profile '%s' is also defined in %s", v[i]->name,
                     v[first]->file);
    }
}

static int
rel_cmp(const void *pa, const void *pb)
{
    const struct profile *a = *(struct profile *const *)pa, *b = *(struct profile *const *)pb;
    int d = strcasecmp(a->relative_name, b->relative_name);
    return d ? d : prof_cmp(pa, pb);
}

static void
check_relative_names(struct profile **v, uint32_t n, struct config_errors *errs)
{
    struct profile **s = xcalloc(n ? n : 1, sizeof *s);
    if (n)
        memcpy(s, v, n * sizeof *s);
    if (n > 1) /* qsort(NULL, 0) is undefined */
        qsort(s, n, sizeof *s, rel_cmp);
    for (uint32_t i = 1, first = 0; i < n; i++) {
        if (!profile_same_name(s[i]->relative_name, s[first]->relative_name)) {
            first = i;
            continue;
        }
        char path[128];
        field_path(s[i], -1, "dnsConfig.relativeName", false, path, sizeof path);
        config_error(errs, s[i]->file, 0, "%s: '%s' is also the relativeName of profile '%s' in %s",
                     path, s[i]->relative_name, s[first]->name, s[first]->file);
    }
    free(s);
}

/* The graph of nested endpoints: edges of profile i are [start[i], start[i+1]). */
struct graph {
    uint32_t *start;
    uint32_t *child; /* profile index */
    uint32_t *ep;    /* endpoint index in the parent */
};

static void
resolve_children(struct profile **v, uint32_t n, struct graph *g, struct config_errors *errs)
{
    size_t total = 0;
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = 0; j < v[i]->nendpoints; j++)
            total += v[i]->endpoints[j].kind == EP_NESTED;
    g->start = xcalloc((size_t)n + 1, sizeof *g->start);
    g->child = xcalloc(total ? total : 1, sizeof *g->child);
    g->ep = xcalloc(total ? total : 1, sizeof *g->ep);
    uint32_t m = 0;
    for (uint32_t i = 0; i < n; i++) {
        g->start[i] = m;
        for (uint32_t j = 0; j < v[i]->nendpoints; j++) {
            struct endpoint *e = &v[i]->endpoints[j];
            if (e->kind != EP_NESTED)
                continue;
            char path[128];
            if (!policy_method(v[i]->method)->nested_ok) {
                field_path(v[i], j, "type", false, path, sizeof path);
                config_error(errs, v[i]->file, 0, "%s: a %s profile cannot have nested endpoints",
                             path, policy_method(v[i]->method)->name);
            }
            long c = e->child ? find(v, n, e->child) : -1;
            if (c < 0) {
                field_path(v[i], j, "targetResourceId", true, path, sizeof path);
                config_error(errs, v[i]->file, 0, "%s: no profile named '%s' is loaded", path,
                             e->child ? e->child : "");
                continue;
            }
            e->child_profile = v[c];
            g->child[m] = (uint32_t)c;
            g->ep[m] = j;
            m++;
        }
    }
    g->start[n] = m;
}

/* Appends " -> name" (or the first name) to a chain text, "..." when full. */
static void
chain_add(char *buf, size_t cap, size_t *len, const char *name)
{
    if (*len >= cap - 1)
        return;
    int r = snprintf(buf + *len, cap - *len, "%s%s", *len ? " -> " : "", name);
    if (r < 0 || (size_t)r >= cap - *len) {
        snprintf(buf + (cap > 4 ? cap - 4 : 0), 4, "...");
        *len = cap - 1;
        return;
    }
    *len += (size_t)r;
}

/* Depth-first over the nested graph: loops are reported as they are found
 * (a back edge), and heights (profiles in the longest chain from each one)
 * computed on the way back. */
static void
check_nesting(struct profile **v, uint32_t n, const struct graph *g, struct config_errors *errs)
{
    uint8_t *color = xcalloc(n ? n : 1, 1); /* 0 new, 1 on the stack, 2 done */
    uint32_t *height = xcalloc(n ? n : 1, sizeof *height);
    uint32_t *pos = xcalloc(n ? n : 1, sizeof *pos);
    long *next = xcalloc(n ? n : 1, sizeof *next); /* edge to the deepest child, -1 */
    struct frame {
        uint32_t node, edge;
    } *stack = xcalloc(n ? n : 1, sizeof *stack);
    bool loops = false;

    for (uint32_t root = 0; root < n; root++) {
        if (color[root])
            continue;
        size_t sp = 0;
        stack[sp++] = (struct frame){root, g->start[root]};
        color[root] = 1;
        pos[root] = 0;
        height[root] = 1;
        next[root] = -1;
        while (sp) {
            struct frame *f = &stack[sp - 1];
            uint32_t u = f->node;
            if (f->edge < g->start[u + 1]) {
                uint32_t e = f->edge++;
                uint32_t c = g->child[e];
                if (color[c] == 1) {
                    char chain[400], path[128];
                    size_t len = 0;
                    for (size_t k = pos[c]; k < sp; k++)
                        chain_add(chain, sizeof chain, &len, v[stack[k].node]->name);
                    chain_add(chain, sizeof chain, &len, v[c]->name);
                    /* the edge c is following now (e itself for a self-loop) */
                    uint32_t ce = stack[pos[c]].edge - 1;
                    field_path(v[c], g->ep[ce], "targetResourceId", true, path, sizeof path);
                    config_error(errs, v[c]->file, 0, "%s: nested profiles form a loop: %s", path,
                                 chain);
                    loops = true;
                } else if (color[c] == 0) {
                    color[c] = 1;
                    pos[c] = (uint32_t)sp;
                    height[c] = 1;
                    next[c] = -1;
                    stack[sp++] = (struct frame){c, g->start[c]};
                } else if (height[c] + 1 > height[u]) {
                    height[u] = height[c] + 1;
                    next[u] = e;
                }
                continue;
            }
            color[u] = 2;
            sp--;
            if (sp) {
                uint32_t p = stack[sp - 1].node;
                if (height[u] + 1 > height[p]) {
                    height[p] = height[u] + 1;
                    next[p] = stack[sp - 1].edge - 1;
                }
            }
        }
    }

    if (!loops) {
        /* Report each too-deep chain once, from its top. */
        bool *deep_parent = xcalloc(n ? n : 1, sizeof *deep_parent);
        for (uint32_t i = 0; i < n; i++)
            if (height[i] > PROFILE_MAX_NESTING)
                for (uint32_t e = g->start[i]; e < g->start[i + 1]; e++)
                    deep_parent[g->child[e]] = true;
        for (uint32_t i = 0; i < n; i++) {
            if (height[i] <= PROFILE_MAX_NESTING || deep_parent[i])
                continue;
            char chain[400], path[128];
            size_t len = 0;
            for (long u = i; u >= 0; u = next[u] >= 0 ? (long)g->child[next[u]] : -1)
                chain_add(chain, sizeof chain, &len, v[u]->name);
            field_path(v[i], g->ep[next[i]], "targetResourceId", true, path, sizeof path);
            config_error(errs, v[i]->file, 0,
                         "%s: nested profiles go %u levels deep, more than %d: %s", path, height[i],
                         PROFILE_MAX_NESTING, chain);
        }
        free(deep_parent);
    }
    free(color);
    free(height);
    free(pos);
    free(next);
    free(stack);
}

int
profile_link(struct profile **v, uint32_t n, struct config_errors *errs)
{
    unsigned before = errs->count;
    if (n == 0)
        return 0;
    if (n > 1) /* qsort(NULL, 0) is undefined */
        qsort(v, n, sizeof *v, prof_cmp);
    check_names(v, n, errs);
    check_relative_names(v, n, errs);
    struct graph g;
    resolve_children(v, n, &g, errs);
    check_nesting(v, n, &g, errs);
    free(g.start);
    free(g.child);
    free(g.ep);
    return errs->count != before ? GTM_ECONFIG : 0;
}
