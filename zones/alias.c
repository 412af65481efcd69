/* alias.c: ALIAS records at build time. Once per load, each is followed
 * from its target through CNAMEs and ALIASes inside gtmd's zones to where
 * it ends: a traffic manager profile's name, or a name with A/AAAA records
 * (whose copies, owned by the ALIAS, are made then). For each version of a
 * profile an ALIAS leads to (a new document, or a clone that takes other
 * links), the ALIAS's copy of every endpoint RRset that profile can pick is
 * made with it, in its arena: what a query selects from, and what a
 * signer can sign at load time. */
#include "config.h"
#include "zones/alias.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "gtm/alloc.h"
#include "gtm/err.h"
#include "gtm/policy.h" /* POLICY_NEST_MAX */
#include "gtm/profile.h"
#include "zones/build.h"

/* The ALIASes that end at one profile name: by_target[first, first + n),
 * each one's ord its place there. */
struct alias_group {
    const uint8_t *name; /* NULL: an empty slot */
    uint8_t len;
    uint32_t first, n;
};

struct alias_index {
    const struct alias **v; /* every ALIAS of the load */
    uint32_t n;
    const struct alias **by_target; /* the ALIAS_PROFILE ones, grouped by target */
    struct alias_group *groups;     /* gmask + 1 slots, at most half full */
    uint32_t gmask;
};

#define NAME_TEXT (DNAME_MAXLEN * 4 + 2)

static const char *
text(const uint8_t *name, char *buf)
{
    return dname_to_text(name, buf, NAME_TEXT);
}

static uint32_t
min32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

/* The zone gtmd answers name from (the most specific that holds it), or NULL. */
static const struct zone *
zone_of(const struct gtm_snapshot *s, const uint8_t *name, size_t len)
{
    for (size_t off = 0;; off += (size_t)name[off] + 1) {
        const struct zone *z = snapshot_find_zone(s, name + off, len - off);
        if (z || !name[off])
            return z;
    }
}

/* ---- following a name through gtmd's zones ---- */

enum chase_end { CHASE_STATIC, CHASE_PROFILE, CHASE_NONE };

#define CHASE_WHY (2 * NAME_TEXT + 160)

struct chase {
    const uint8_t *name; /* where it ended: a profile's name, or the name with a/aaaa */
    uint8_t len;
    unsigned hops;                /* CNAMEs and ALIASes followed */
    uint32_t ttl;                 /* the smallest of theirs (and the caller's start) */
    const struct rrset *a, *aaaa; /* CHASE_STATIC */
    char why[CHASE_WHY];
};

/* chase: from name, through CNAMEs (and, for an ALIAS's target, ALIASes)
 * inside gtmd's zones, to a traffic manager name or static addresses. from
 * is the node the chain starts at (an ALIAS's own), or NULL; an endpoint's
 * target (endpoint true) stops at a traffic manager name, and takes an
 * ALIAS's addresses only when they are static. CHASE_NONE with why. */
static enum chase_end
chase(const struct gtm_snapshot *s, const struct zone_node *from, const uint8_t *name, size_t len,
      bool endpoint, struct chase *c)
{
    const struct zone_node *seen[ALIAS_MAX_HOPS + 2];
    unsigned nseen = 0;
    char t1[NAME_TEXT], t2[NAME_TEXT];
    if (from)
        seen[nseen++] = from;
    c->hops = 0;
    c->a = c->aaaa = NULL;
    for (;;) {
        c->name = name;
        c->len = (uint8_t)len;
        const struct zone_node *n = snapshot_find_name(s, name, len, dname_hash(name, len));
        if (!n) {
            const struct zone *z = zone_of(s, name, len);
            if (!z)
                snprintf(c->why, sizeof c->why, "%s is in none of gtmd's zones", text(name, t1));
            else
                snprintf(c->why, sizeof c->why,
                         "%s is no name of zone %s (a wildcard is not followed)", text(name, t1),
                         text(z->apex, t2));
            return CHASE_NONE;
        }
        if (n->cut && n->cut == n) {
            snprintf(c->why, sizeof c->why, "%s is a delegation: gtmd does not answer for it",
                     text(name, t1));
            return CHASE_NONE;
        }
        if (n->cut) {
            snprintf(c->why, sizeof c->why, "%s is delegated (at %s): gtmd does not answer for it",
                     text(name, t1), text(n->cut->name, t2));
            return CHASE_NONE;
        }
        for (unsigned k = 0; k < nseen; k++) {
            if (seen[k] != n)
                continue;
            int at = snprintf(c->why, sizeof c->why, "a loop: ");
            for (unsigned i = k; i < nseen && at > 0 && (size_t)at < sizeof c->why; i++)
                at += snprintf(c->why + at, sizeof c->why - (size_t)at, "%s -> ",
                               text(seen[i]->name, t1));
            if (at > 0 && (size_t)at < sizeof c->why)
                snprintf(c->why + at, sizeof c->why - (size_t)at, "%s", text(n->name, t1));
            return CHASE_NONE;
        }
        seen[nseen++] = n;
        if (n->profile) {
            if (!endpoint)
                return CHASE_PROFILE;
            snprintf(c->why, sizeof c->why, "%s is a traffic manager name", text(name, t1));
            return CHASE_NONE;
        }
        const uint8_t *next;
        size_t next_len;
        uint32_t ttl;
        if (n->cname && n->cname->target) {
            next = n->cname->target;
            next_len = n->cname->target_len;
            ttl = n->cname->ttl;
        } else if (n->alias && !endpoint) {
            next = n->alias->written;
            next_len = n->alias->written_len;
            ttl = n->alias->ttl;
        } else if (n->alias) {
            if (n->alias->kind != ALIAS_STATIC) {
                snprintf(c->why, sizeof c->why, "%s is an ALIAS to a traffic manager name",
                         text(name, t1));
                return CHASE_NONE;
            }
            c->a = n->alias->a; /* the ALIAS's TTL is in theirs */
            c->aaaa = n->alias->aaaa;
            return CHASE_STATIC;
        } else {
            c->a = node_find_rrset(n, LDNS_RR_TYPE_A);
            c->aaaa = node_find_rrset(n, LDNS_RR_TYPE_AAAA);
            if (c->a || c->aaaa)
                return CHASE_STATIC;
            snprintf(c->why, sizeof c->why, "%s has no A or AAAA records", text(name, t1));
            return CHASE_NONE;
        }
        if (++c->hops > ALIAS_MAX_HOPS) {
            snprintf(c->why, sizeof c->why, "more than %d CNAMEs and ALIASes on the way",
                     ALIAS_MAX_HOPS);
            return CHASE_NONE;
        }
        c->ttl = min32(c->ttl, ttl);
        name = next;
        len = next_len;
    }
}

/* src owned by an ALIAS: its records with TTL min(ttl, src's), in a
 * (answers write them behind the owner, as any RRset). NULL for NULL. */
static const struct rrset *
owner_copy(struct arena *a, const struct rrset *src, uint32_t ttl)
{
    if (!src)
        return NULL;
    struct rrset *c = arena_alloc(a, sizeof *c);
    c->type = src->type;
    c->count = src->count;
    c->ttl = min32(ttl, src->ttl);
    c->wire_len = src->wire_len;
    c->wire = arena_memdup(a, src->wire, src->wire_len);
    rrset_prepare(a, c);
    return c;
}

/* ---- once per load ---- */

static int
target_cmp(const void *x, const void *y)
{
    const struct alias *a = *(const struct alias *const *)x, *b = *(const struct alias *const *)y;
    if (a->target_len != b->target_len)
        return a->target_len < b->target_len ? -1 : 1;
    int c = memcmp(a->target, b->target, a->target_len);
    if (c)
        return c;
    /* then as loaded: ords follow the files */
    c = strcmp(a->file, b->file);
    return c ? c : (a->line > b->line) - (a->line < b->line);
}

/* As written: file, then line. */
static int
line_cmp(const void *x, const void *y)
{
    const struct alias *a = *(const struct alias *const *)x, *b = *(const struct alias *const *)y;
    int c = strcmp(a->file, b->file);
    return c ? c : (a->line > b->line) - (a->line < b->line);
}

static const struct alias_group *
group_find(const struct alias_index *ix, const uint8_t *name, size_t len)
{
    if (!ix || !ix->groups)
        return NULL;
    for (uint32_t i = dname_hash(name, len) & ix->gmask; ix->groups[i].name;
         i = (i + 1) & ix->gmask)
        if (ix->groups[i].len == len && memcmp(ix->groups[i].name, name, len) == 0)
            return &ix->groups[i];
    return NULL;
}

const struct alias_index *
alias_resolve(struct arena *a, const struct gtm_snapshot *s, struct alias *const *v, uint32_t n,
              struct config_errors *errs)
{
    struct alias_index *ix = arena_alloc(a, sizeof *ix);
    struct alias **all = arena_alloc(a, (n ? n : 1) * sizeof *all);
    if (n)
        memcpy(all, v, n * sizeof *all);
    if (n > 1)
        qsort(all, n, sizeof *all, line_cmp); /* errors in the order of the files */
    uint32_t nprof = 0;
    char t1[NAME_TEXT], t2[NAME_TEXT];
    for (uint32_t i = 0; i < n; i++) {
        struct alias *al = all[i];
        if (al->node->cut) {
            config_error(errs, al->file, al->line,
                         "ALIAS at %s, at or below the delegation %s: gtmd never answers there",
                         text(al->owner, t1), text(al->node->cut->name, t2));
            continue;
        }
        struct chase c = {.ttl = al->ttl};
        enum chase_end end = chase(s, al->node, al->written, al->written_len, false, &c);
        if (end == CHASE_NONE) {
            config_error(errs, al->file, al->line, "ALIAS to %s: %s", text(al->written, t1), c.why);
            continue;
        }
        al->hops = (uint8_t)c.hops;
        al->chain_ttl = c.ttl;
        al->target_len = c.len;
        al->target = c.name == al->written ? al->written : arena_memdup(a, c.name, c.len);
        al->target_hash = dname_hash(al->target, al->target_len);
        if (end == CHASE_PROFILE) {
            al->kind = ALIAS_PROFILE;
            nprof++;
        } else {
            al->kind = ALIAS_STATIC;
            al->a = owner_copy(a, c.a, c.ttl);
            al->aaaa = owner_copy(a, c.aaaa, c.ttl);
        }
    }
    ix->v = (const struct alias **)all;
    ix->n = n;
    if (!nprof)
        return ix;

    /* Those that end at a profile, grouped by its name. */
    const struct alias **by = arena_alloc(a, nprof * sizeof *by);
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++)
        if (all[i]->kind == ALIAS_PROFILE && all[i]->target)
            by[k++] = all[i];
    nprof = k;
    if (nprof > 1)
        qsort(by, nprof, sizeof *by, target_cmp);
    uint32_t size = 8;
    while (size < nprof * 2)
        size *= 2;
    ix->groups = arena_alloc(a, size * sizeof *ix->groups);
    ix->gmask = size - 1;
    ix->by_target = by;
    for (uint32_t i = 0; i < nprof;) {
        uint32_t j = i;
        while (j < nprof && by[j]->target_len == by[i]->target_len &&
               memcmp(by[j]->target, by[i]->target, by[i]->target_len) == 0) {
            ((struct alias *)by[j])->ord = j - i;
            j++;
        }
        uint32_t h = dname_hash(by[i]->target, by[i]->target_len) & ix->gmask;
        while (ix->groups[h].name)
            h = (h + 1) & ix->gmask;
        ix->groups[h] = (struct alias_group){by[i]->target, by[i]->target_len, i, j - i};
        i = j;
    }
    return ix;
}

uint32_t
alias_count(const struct alias_index *ix)
{
    return ix ? ix->n : 0;
}

const struct alias *
alias_at(const struct alias_index *ix, uint32_t i)
{
    return ix->v[i];
}

void
alias_warn_gone(const struct alias_index *ix, const uint8_t *name, size_t len)
{
    const struct alias_group *g = group_find(ix, name, len);
    char t1[NAME_TEXT];
    for (uint32_t k = 0; g && k < g->n; k++) {
        const struct alias *al = ix->by_target[g->first + k];
        config_warning(al->file, al->line,
                       "ALIAS to %s: no profile has that name any more: it answers NODATA "
                       "until one has (and a reload fails until then)",
                       text(al->target, t1));
    }
}

/* ---- per version of a profile ---- */

/* An endpoint RRset p can pick, and the addresses it stands for. */
struct pickable {
    const struct rrset *rrset;
    const struct profile *p; /* for warnings */
    const struct endpoint *e;
    const struct rrset *a, *aaaa; /* the endpoint's own, or its name's in our zones */
    uint32_t ttl;                 /* min over the way to them */
    char *why;                    /* a name with no addresses: why (xstrdup'd), or NULL */
};

struct picks {
    struct pickable *v;
    uint32_t n, cap;
};

/* Every endpoint RRset that p and the profiles nested in it can pick, as
 * deep as the policy goes (policy.c: a child at depth d + 1 <
 * POLICY_NEST_MAX). A profile reached again is walked again only when it
 * is reached higher up (its children may then go deeper); links have no
 * loops (profile_link), so this ends. */
static void
collect(const struct gtm_snapshot *s, const struct profile *p, struct picks *out)
{
    struct visit {
        const struct profile *p;
        unsigned depth;
    } *todo = xmalloc(8 * sizeof *todo), *seen = NULL;
    uint32_t ntodo = 0, tcap = 8, nseen = 0;
    todo[ntodo++] = (struct visit){p, 0};
    while (ntodo) {
        struct visit v = todo[--ntodo];
        bool again = false;
        for (uint32_t i = 0; i < nseen && !again; i++)
            if (seen[i].p == v.p) {
                again = seen[i].depth <= v.depth;
                if (!again)
                    seen[i].depth = v.depth;
            }
        if (again)
            continue;
        seen = xrealloc(seen, (nseen + 1) * sizeof *seen);
        seen[nseen++] = v;
        for (uint32_t k = 0; k < v.p->nendpoints; k++) {
            const struct endpoint *e = &v.p->endpoints[k];
            if (e->kind == EP_NESTED) {
                if (e->child_profile && v.depth + 1 < POLICY_NEST_MAX) {
                    if (ntodo == tcap) {
                        tcap *= 2;
                        todo = xrealloc(todo, tcap * sizeof *todo);
                    }
                    todo[ntodo++] = (struct visit){e->child_profile, v.depth + 1};
                }
                continue;
            }
            if (!e->rrset)
                continue;
            if (out->n == out->cap) {
                out->cap = out->cap ? out->cap * 2 : 16;
                out->v = xrealloc(out->v, out->cap * sizeof *out->v);
            }
            struct pickable *pk = &out->v[out->n++];
            memset(pk, 0, sizeof *pk);
            pk->rrset = e->rrset;
            pk->p = v.p;
            pk->e = e;
            pk->ttl = e->rrset->ttl;
            if (e->rrset->type == LDNS_RR_TYPE_A) {
                pk->a = e->rrset;
            } else if (e->rrset->type == LDNS_RR_TYPE_AAAA) {
                pk->aaaa = e->rrset;
            } else if (e->rrset->target) {
                struct chase c = {.ttl = e->rrset->ttl};
                if (chase(s, NULL, e->rrset->target, e->rrset->target_len, true, &c) ==
                    CHASE_STATIC) {
                    pk->a = c.a;
                    pk->aaaa = c.aaaa;
                    pk->ttl = c.ttl;
                } else {
                    pk->why = xstrdup(c.why);
                }
            }
        }
    }
    free(todo);
    free(seen);
}

void
alias_prepare_profile(struct arena *a, const struct alias_index *ix, const struct gtm_snapshot *s,
                      struct profile *p, bool warn)
{
    p->aliases = NULL;
    p->naliases = 0;
    const struct alias_group *g = p->node ? group_find(ix, p->node->name, p->node->name_len) : NULL;
    if (!g)
        return;
    struct arena *pa = p->arena ? p->arena : a;
    struct picks pk = {0};
    collect(s, p, &pk);
    uint32_t size = 4;
    while (size < pk.n * 2)
        size *= 2;
    const struct alias_answers **out = arena_alloc(pa, g->n * sizeof *out);
    char t1[NAME_TEXT];
    for (uint32_t k = 0; k < g->n; k++) {
        const struct alias *al = ix->by_target[g->first + k];
        struct alias_answers *aa = arena_alloc(pa, sizeof *aa);
        struct alias_rrsets *slot = arena_alloc(pa, size * sizeof *slot);
        aa->alias = al;
        aa->mask = size - 1;
        for (uint32_t i = 0; i < pk.n; i++) {
            const struct pickable *x = &pk.v[i];
            if (alias_rrsets_find(&(struct alias_answers){.mask = size - 1, .slot = slot},
                                  x->rrset))
                continue; /* reached twice (a child nested twice) */
            uint32_t h = alias_slot_of(x->rrset, size - 1);
            while (slot[h].from)
                h = (h + 1) & (size - 1);
            uint32_t ttl = min32(al->chain_ttl, x->ttl);
            slot[h] = (struct alias_rrsets){x->rrset, owner_copy(pa, x->a, ttl),
                                            owner_copy(pa, x->aaaa, ttl)};
            aa->n++;
            if (warn && !x->a && !x->aaaa)
                config_warning(al->file, al->line,
                               "ALIAS to %s: endpoint %s/%s gives no address (%s): when the "
                               "profile picks it, the ALIAS answers NODATA",
                               text(al->target, t1), x->p->name, x->e->name,
                               x->why ? x->why : "its target is not an address");
        }
        aa->slot = slot;
        out[k] = aa;
    }
    for (uint32_t i = 0; i < pk.n; i++)
        free(pk.v[i].why);
    free(pk.v);
    p->aliases = out;
    p->naliases = g->n;
}
