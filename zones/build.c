/* build.c: parsed zones and profiles -> the immutable snapshot (arenas,
 * hash tables, RDATA as wire bytes, glue and negative SOA prepared once),
 * and the snapshot that follows one when one profile changes, sharing the
 * rest with it. */
#include "config.h"
#include "zones/build.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <strings.h>
#include <time.h>

#include <ldns/ldns.h>

#include "gtm/alloc.h"
#include "gtm/nameserver.h"
#include "gtm/err.h"
#include "gtm/files.h"
#include "gtm/geoip.h"
#include "gtm/snapshot.h"
#include "gtm/nettable.h"
#include "gtm/profile.h"
#include "profiles/dir.h"
#include "zones/alias.h"
#include "zones/dnssec.h"
#include "zones/owners.h"
#include "zones/tm.h"
#include "zones/zonefile.h"
#include "profiles/profile.h"

/* chaos_txt: a CH TXT RRset of one string (at most 255 bytes of text), TTL
 * 0, prepared like the others but for its class; NULL for NULL. */
static const struct rrset *
chaos_txt(struct arena *a, const char *text)
{
    if (!text)
        return NULL;
    size_t n = strnlen(text, 255);
    uint8_t *wire = arena_alloc(a, n + 3);
    wire[0] = 0;
    wire[1] = (uint8_t)(n + 1);
    wire[2] = (uint8_t)n;
    memcpy(wire + 3, text, n);
    struct rrset *s = arena_alloc(a, sizeof *s);
    memset(s, 0, sizeof *s);
    s->type = LDNS_RR_TYPE_TXT;
    s->count = 1;
    s->wire = wire;
    s->wire_len = (uint32_t)n + 3;
    rrset_prepare(a, s);
    ((uint8_t *)s->rrs)[5] = LDNS_RR_CLASS_CH; /* C0 0C, TYPE, CLASS */
    return s;
}

/* ---- node table while building ---- */

struct node_tab {
    struct zone_node **slot;
    uint32_t mask, count;
};

static struct zone_node *
tab_find(const struct node_tab *t, const uint8_t *name, size_t len)
{
    for (uint32_t i = dname_hash(name, len) & t->mask; t->slot[i]; i = (i + 1) & t->mask)
        if (t->slot[i]->name_len == len && memcmp(t->slot[i]->name, name, len) == 0)
            return t->slot[i];
    return NULL;
}

static void
tab_put(struct node_tab *t, struct zone_node *n)
{
    if ((t->count + 1) * 2 > t->mask + 1) {
        struct node_tab g = {xcalloc((t->mask + 1) * 2, sizeof(*g.slot)), t->mask * 2 + 1, 0};
        for (uint32_t i = 0; i <= t->mask; i++)
            if (t->slot[i])
                tab_put(&g, t->slot[i]);
        free(t->slot);
        *t = g;
    }
    uint32_t i = dname_hash(n->name, n->name_len) & t->mask;
    while (t->slot[i])
        i = (i + 1) & t->mask;
    t->slot[i] = n;
    t->count++;
}

static struct zone_node *
node_get(struct arena *a, struct node_tab *t, const uint8_t *name, size_t len)
{
    struct zone_node *n = tab_find(t, name, len);
    if (!n) {
        n = arena_alloc(a, sizeof *n);
        n->name = arena_memdup(a, name, len);
        n->name_len = (uint8_t)len;
        tab_put(t, n);
    }
    return n;
}

/* RDATA of records [from, to) of one RRset as (RDLENGTH, RDATA) wire. */
static struct rrset *
rrset_build(struct arena *a, ldns_rr_list *rrs, size_t from, size_t to, ldns_buffer *buf)
{
    struct rrset *s = arena_alloc(a, sizeof *s);
    ldns_rr *first = ldns_rr_list_rr(rrs, from);
    s->type = (uint16_t)ldns_rr_get_type(first);
    s->ttl = UINT32_MAX;
    ldns_buffer_clear(buf);
    for (size_t i = from; i < to; i++) {
        ldns_rr *rr = ldns_rr_list_rr(rrs, i);
        size_t at = ldns_buffer_position(buf);
        ldns_buffer_write_u16(buf, 0);
        if (ldns_rr_rdata2buffer_wire(buf, rr) != LDNS_STATUS_OK)
            return NULL;
        size_t rdlen = ldns_buffer_position(buf) - at - 2;
        if (rdlen > 65535)
            return NULL;
        ldns_buffer_write_u16_at(buf, at, (uint16_t)rdlen);
        if (ldns_rr_ttl(rr) < s->ttl)
            s->ttl = ldns_rr_ttl(rr);
        s->count++;
    }
    if (ldns_buffer_status(buf) != LDNS_STATUS_OK || ldns_buffer_position(buf) > 65535)
        return NULL;
    s->wire_len = (uint32_t)ldns_buffer_position(buf);
    s->wire = arena_memdup(a, ldns_buffer_begin(buf), s->wire_len);
    rrset_prepare(a, s);
    if (s->type == LDNS_RR_TYPE_CNAME && ldns_rr_rd_count(first) == 1) {
        ldns_rdf *t = ldns_rdf_clone(ldns_rr_rdf(first, 0));
        ldns_dname2canonical(t);
        s->target_len = (uint8_t)ldns_rdf_size(t);
        s->target = arena_memdup(a, ldns_rdf_data(t), ldns_rdf_size(t));
        ldns_rdf_deep_free(t);
    }
    return s;
}

/* zone_set_table: z's node table, in a, from the nodes of t: sized once,
 * at most half full, probed linearly as zone_find_node does. */
static void
zone_set_table(struct arena *a, struct zone *z, const struct node_tab *t)
{
    uint32_t size = 16;
    while (size < t->count * 2)
        size *= 2;
    const struct zone_node **table = arena_alloc(a, size * sizeof *table);
    for (uint32_t i = 0; i <= t->mask; i++) {
        if (!t->slot[i])
            continue;
        uint32_t k = dname_hash(t->slot[i]->name, t->slot[i]->name_len) & (size - 1);
        while (table[k])
            k = (k + 1) & (size - 1);
        table[k] = t->slot[i];
    }
    z->table = table;
    z->mask = size - 1;
    z->nnodes = t->count;
}

/* Glue for the NS RRset of a cut: the A and AAAA RRsets of its in-zone targets. */
static void
glue_build(struct arena *a, struct node_tab *t, const uint8_t *apex, size_t apex_len,
           ldns_rr_list *rrs, size_t from, size_t to, struct rrset *ns)
{
    struct glue tmp[64];
    uint16_t n = 0;
    for (size_t i = from; i < to && (size_t)n + 2 <= GTM_ARRAY_LEN(tmp); i++) {
        ldns_rdf *target = ldns_rdf_clone(ldns_rr_rdf(ldns_rr_list_rr(rrs, i), 0));
        ldns_dname2canonical(target);
        const uint8_t *name = ldns_rdf_data(target);
        size_t len = ldns_rdf_size(target);
        const struct zone_node *node =
            dname_is_subdomain(name, len, apex, apex_len) ? tab_find(t, name, len) : NULL;
        for (const struct rrset *r = node ? node->rrsets : NULL; r; r = r->next)
            if (r->type == LDNS_RR_TYPE_A || r->type == LDNS_RR_TYPE_AAAA)
                tmp[n++] = (struct glue){node->name, node->name_len, r};
        ldns_rdf_deep_free(target);
    }
    if (n) {
        ns->glue = arena_memdup(a, tmp, n * sizeof tmp[0]);
        ns->nglue = n;
    }
}

/* The ALIASes the zones of a load hold, as zone_build finds them. */
struct alias_list {
    struct alias **v;
    uint32_t n, cap;
};

/* An ALIAS record (records [i, j) of rrs: one, as check_zone makes sure)
 * at node: its part of node, for alias_resolve to follow. */
static void
alias_add(struct arena *a, struct zone_node *node, const struct zone_src *src, size_t i,
          const char *file, struct alias_list *l)
{
    ldns_rr *rr = ldns_rr_list_rr(src->rrs, i);
    ldns_rdf *t = ldns_rdf_clone(ldns_rr_rdf(rr, 0));
    ldns_dname2canonical(t);
    struct alias *al = arena_alloc(a, sizeof *al);
    al->node = node;
    al->owner = node->name;
    al->owner_len = node->name_len;
    al->ttl = ldns_rr_ttl(rr);
    al->written_len = (uint8_t)ldns_rdf_size(t);
    al->written = arena_memdup(a, ldns_rdf_data(t), ldns_rdf_size(t));
    al->file = file;
    al->line = src->lines[i];
    ldns_rdf_deep_free(t);
    node->alias = al;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->v = xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = al;
}

static struct zone *
zone_build(struct arena *a, const struct zone_src *src, struct alias_list *aliases,
           struct config_errors *errs)
{
    struct zone *z = arena_alloc(a, sizeof *z);
    struct node_tab t = {xcalloc(64, sizeof(*t.slot)), 63, 0};
    ldns_buffer *buf = ldns_buffer_new(4096);
    ldns_rr_list *rrs = src->rrs;
    size_t n = ldns_rr_list_rr_count(rrs);

    z->file = arena_strdup(a, src->file);
    z->apex_len = (uint8_t)ldns_rdf_size(src->apex);
    z->apex = arena_memdup(a, ldns_rdf_data(src->apex), z->apex_len);
    z->apex_labels = (uint8_t)dname_labels(z->apex);

    /* One node per owner, one RRset per (owner, type). */
    for (size_t i = 0; i < n;) {
        const ldns_rdf *owner = ldns_rr_owner(ldns_rr_list_rr(rrs, i));
        struct zone_node *node = node_get(a, &t, ldns_rdf_data(owner), ldns_rdf_size(owner));
        struct rrset **tail = (struct rrset **)&node->rrsets;
        while (i < n && ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(rrs, i)), owner) == 0) {
            size_t j = i;
            ldns_rr_type type = ldns_rr_get_type(ldns_rr_list_rr(rrs, i));
            while (j < n && ldns_rr_get_type(ldns_rr_list_rr(rrs, j)) == type &&
                   ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(rrs, j)), owner) == 0)
                j++;
            if ((uint16_t)type == RR_TYPE_ALIAS) { /* never an RRset of its own */
                alias_add(a, node, src, i, z->file, aliases);
                i = j;
                continue;
            }
            struct rrset *s = rrset_build(a, rrs, i, j, buf);
            if (!s) {
                config_error(errs, src->file, src->lines[i], "RRset too large");
                goto out;
            }
            *tail = s;
            tail = (struct rrset **)&s->next;
            if (type == LDNS_RR_TYPE_CNAME)
                node->cname = s;
            if (type == LDNS_RR_TYPE_NS)
                node->ns = s;
            i = j;
        }
    }

    /* Empty non-terminals: every name between an owner and the apex exists. */
    uint32_t owners = t.count;
    struct zone_node **list = xmalloc((owners ? owners : 1) * sizeof *list);
    for (uint32_t i = 0, k = 0; i <= t.mask; i++)
        if (t.slot[i])
            list[k++] = t.slot[i];
    for (uint32_t k = 0; k < owners; k++) {
        const uint8_t *name = list[k]->name;
        size_t len = list[k]->name_len;
        while (len > z->apex_len) {
            len -= (size_t)name[0] + 1;
            name += name[0] + 1;
            node_get(a, &t, name, len);
        }
    }
    free(list);

    struct zone_node *apex = tab_find(&t, z->apex, z->apex_len);
    apex->flags |= NODE_APEX;
    z->apex_node = apex;
    z->soa = node_find_rrset(apex, LDNS_RR_TYPE_SOA);

    /* Negative answers carry the SOA with TTL min(TTL, MINIMUM) (RFC 2308 §5). */
    struct rrset *neg = arena_memdup(a, z->soa, sizeof *z->soa);
    uint32_t minimum = ((uint32_t)z->soa->wire[z->soa->wire_len - 4] << 24) |
                       ((uint32_t)z->soa->wire[z->soa->wire_len - 3] << 16) |
                       ((uint32_t)z->soa->wire[z->soa->wire_len - 2] << 8) |
                       z->soa->wire[z->soa->wire_len - 1];
    neg->ttl = minimum < neg->ttl ? minimum : neg->ttl;
    neg->next = NULL;
    rrset_prepare(a, neg);
    z->neg_soa = neg;

    /* Delegations and their glue. */
    for (size_t i = 0; i < n;) {
        ldns_rr *rr = ldns_rr_list_rr(rrs, i);
        size_t j = i + 1;
        while (j < n && ldns_rr_get_type(ldns_rr_list_rr(rrs, j)) == ldns_rr_get_type(rr) &&
               ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(rrs, j)), ldns_rr_owner(rr)) == 0)
            j++;
        if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS &&
            ldns_dname_compare(ldns_rr_owner(rr), src->apex) == 0) {
            /* The zone's own name servers: their in-zone addresses go with
             * an NS answer (additional section processing, RFC 1034 §4.3.2). */
            glue_build(a, &t, z->apex, z->apex_len, rrs, i, j, (struct rrset *)z->apex_node->ns);
        } else if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS) {
            struct zone_node *cut =
                tab_find(&t, ldns_rdf_data(ldns_rr_owner(rr)), ldns_rdf_size(ldns_rr_owner(rr)));
            cut->flags |= NODE_CUT;
            z->has_cuts = true;
            glue_build(a, &t, z->apex, z->apex_len, rrs, i, j, (struct rrset *)cut->ns);
        }
        i = j;
    }

    /* Each node knows its zone and the delegation it sits at or under. */
    for (uint32_t i = 0; i <= t.mask; i++) {
        struct zone_node *node = t.slot[i];
        if (!node)
            continue;
        node->zone = z;
        if (node->name[0] == 1 && node->name[1] == '*')
            z->has_wildcards = true;
        const uint8_t *name = node->name;
        size_t len = node->name_len;
        while (z->has_cuts && len > z->apex_len) {
            const struct zone_node *up = tab_find(&t, name, len);
            if (up && (up->flags & NODE_CUT))
                node->cut = up; /* keeps the highest one */
            len -= (size_t)name[0] + 1;
            name += name[0] + 1;
        }
    }

    zone_set_table(a, z, &t);

out:
    free(t.slot);
    ldns_buffer_free(buf);
    return z->table ? z : NULL;
}

/* An RR from its text into rrs; false (after a config error naming what)
 * when ldns refuses it. */
static bool
synth_rr(ldns_rr_list *rrs, const char *text, const char *what, struct config_errors *errs)
{
    ldns_rr *rr = NULL;
    if (ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL) != LDNS_STATUS_OK) {
        config_error(errs, what, 0, "cannot make the record '%s'", text);
        return false;
    }
    ldns_dname2canonical(ldns_rr_owner(rr));
    ldns_rr_list_push_rr(rrs, rr);
    return true;
}

/* The --domain apex when no zone file provides it: SOA and NS like ATM's,
 * the NS from --ns (default: ns1.<domain>, at the addresses gtmd listens
 * on), and the addresses of those inside the domain, so that the zone's
 * own name servers resolve (RFC 1912 §2.3) and NS answers carry them. */
static int
domain_zone_synth(const struct snapshot_params *p, time_t now, struct zone_src *out,
                  struct config_errors *errs)
{
    const char *domain = p->domain;
    char text[4400], dom[DNAME_MAXLEN * 4 + 8];
    snprintf(dom, sizeof dom, "%s%s", domain,
             domain[0] && domain[strlen(domain) - 1] == '.' ? "" : ".");
    uint8_t dwire[DNAME_MAXLEN];
    int dlen = dname_from_text(dom, dwire);
    memset(out, 0, sizeof *out);
    if (dlen < 0) {
        config_error(errs, "--domain", 0, "'%s' is not a valid domain name", domain);
        return GTM_ECONFIG;
    }
    unsigned before = errs->count;
    ldns_rr_list *rrs = ldns_rr_list_new();
    char first[DNAME_MAXLEN * 4 + 16] = "";
    static const struct gtm_nameserver ns1 = {0}; /* none given: ns1.<domain> */
    const struct gtm_nameserver *list = p->nns ? p->ns : &ns1;
    for (unsigned i = 0; i < (p->nns ? p->nns : 1); i++) {
        const struct gtm_nameserver *ns = &list[i];
        char name[DNAME_MAXLEN * 4 + 16];
        if (ns->name)
            snprintf(name, sizeof name, "%s%s", ns->name,
                     ns->name[strlen(ns->name) - 1] == '.' ? "" : ".");
        else
            snprintf(name, sizeof name, "ns1.%s", dom);
        uint8_t wire[DNAME_MAXLEN];
        int len = dname_from_text(name, wire);
        if (len < 0) {
            config_error(errs, "--ns", 0, "'%s' is not a valid domain name", name);
            continue;
        }
        bool inside = dname_is_subdomain(wire, (size_t)len, dwire, (size_t)dlen) &&
                      (size_t)len != (size_t)dlen;
        if (inside && ns->naddr == 0 && ns->name) {
            config_error(errs, "--ns", 0,
                         "%s is inside %s: give its addresses (--ns %s=ADDR[,ADDR])", ns->name,
                         domain, ns->name);
            continue;
        }
        if (!inside && ns->naddr) {
            config_error(errs, "--ns", 0,
                         "%s is outside %s: its addresses belong in its own zone (write --ns "
                         "%s alone)",
                         ns->name, domain, ns->name);
            continue;
        }
        if (!first[0])
            snprintf(first, sizeof first, "%s", name);
        snprintf(text, sizeof text, "%s 3600 IN NS %s", dom, name);
        synth_rr(rrs, text, "--ns", errs);
        for (unsigned k = 0; k < ns->naddr; k++) {
            char addr[INET6_ADDRSTRLEN];
            inet_ntop(ns->addr[k].family, ns->addr[k].addr, addr, sizeof addr);
            snprintf(text, sizeof text, "%s 3600 IN %s %s", name,
                     ns->addr[k].family == AF_INET ? "A" : "AAAA", addr);
            synth_rr(rrs, text, "--ns", errs);
        }
    }
    if (!first[0])
        snprintf(first, sizeof first, "ns1.%s", dom);
    snprintf(text, sizeof text, "%s 30 IN SOA %s hostmaster.%s %lu 900 300 2419200 30", dom, first,
             dom, (unsigned long)(uint32_t)now);
    if (errs->count != before || !synth_rr(rrs, text, "--domain", errs)) {
        ldns_rr_list_deep_free(rrs);
        return GTM_ECONFIG;
    }
    /* Zone order: as zone_build expects (canonical, the apex's RRsets together). */
    ldns_rr_list_sort(rrs);
    out->file = xstrdup("--domain");
    out->apex = ldns_dname_new_frm_data((uint16_t)dlen, dwire);
    ldns_dname2canonical(out->apex);
    out->rrs = rrs;
    out->lines = xcalloc(ldns_rr_list_rr_count(rrs), sizeof *out->lines);
    return 0;
}

/* A name belongs in the exact-name table when no other loaded zone below
 * its own zone's apex also covers it (that zone would be authoritative). */
static bool
most_specific(const struct gtm_snapshot *s, const struct zone_node *n)
{
    const uint8_t *name = n->name;
    size_t len = n->name_len;
    while (len > n->zone->apex_len) {
        if (snapshot_find_zone(s, name, len))
            return false;
        len -= (size_t)name[0] + 1;
        name += name[0] + 1;
    }
    return true;
}

static void
names_build(struct gtm_snapshot *s)
{
    s->nnames = 0;
    uint32_t total = 0;
    for (uint32_t i = 0; i <= s->zmask; i++)
        if (s->ztable[i])
            total += s->ztable[i]->nnodes;
    uint32_t size = 16;
    while (size < total * 2)
        size *= 2;
    const struct zone_node **t = arena_alloc(s->arena, size * sizeof *t);
    for (uint32_t i = 0; i <= s->zmask; i++) {
        const struct zone *z = s->ztable[i];
        for (uint32_t k = 0; z && k <= z->mask; k++) {
            const struct zone_node *n = z->table[k];
            if (!n || !most_specific(s, n))
                continue;
            uint32_t h = dname_hash(n->name, n->name_len) & (size - 1);
            while (t[h])
                h = (h + 1) & (size - 1);
            t[h] = n;
            s->nnames++;
        }
    }
    s->ntable = t;
    s->nmask = size - 1;
}

struct src_list {
    struct zone_src *v;
    size_t n, cap;
};

static struct zone_src *
src_push(struct src_list *l)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->v = xrealloc(l->v, l->cap * sizeof *l->v);
    }
    return &l->v[l->n++];
}

static void
load_dir(const char *dir, struct src_list *l, struct config_errors *errs)
{
    char **names;
    size_t n;
    if (files_sorted(dir, ".zone", &names, &n) != 0) {
        config_error(errs, dir, 0, "cannot open zones directory: %s", strerror(errno));
        return;
    }
    for (size_t i = 0; i < n; i++) {
        char path[4096], origin[1024];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        snprintf(origin, sizeof origin, "%.*s.", (int)(strlen(names[i]) - 5), names[i]);
        FILE *fp = fopen(path, "r");
        if (!fp) {
            config_error(errs, path, 0, "cannot open: %s", strerror(errno));
        } else {
            struct zone_src src;
            if (zonefile_parse(fp, path, origin, errs, &src) == 0)
                *src_push(l) = src;
            fclose(fp);
        }
    }
    files_free(names, n);
}

/* ---- what the snapshots of one load share ---- */

struct snapshot_base {
    _Atomic uint32_t refs;
    struct arena *arena;       /* the zones, the tables, names made for profiles */
    struct geoip *geoip;       /* --geoip, or NULL */
    const struct zone *domain; /* the --domain zone's own records, without profiles */
    char *domain_text;         /* its apex, as profile names are made from it */
    const struct zone **zones; /* the others */
    uint32_t nzones;
    struct node_tab ents; /* empty non-terminals made for dotted relativeNames */
    unsigned nworkers;
    const struct alias_index *aliases; /* every ALIAS of the load, followed */
    struct dnssec_keys *keys;          /* --keys: the zones' signing keys, or NULL */
};

static struct snapshot_base *
base_new(void)
{
    struct snapshot_base *b = xcalloc(1, sizeof *b);
    b->arena = arena_new();
    b->ents = (struct node_tab){xcalloc(16, sizeof(*b->ents.slot)), 15, 0};
    atomic_init(&b->refs, 1);
    return b;
}

static void
base_unref(struct snapshot_base *b)
{
    if (!b || atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) != 1)
        return;
    geoip_close(b->geoip);
    dnssec_keys_free(b->keys);
    free(b->domain_text);
    free(b->ents.slot);
    free(b->zones);
    arena_free(b->arena);
    free(b);
}

static int
prof_cmp(const struct profile *a, const struct profile *b)
{
    int d = strcasecmp(a->name, b->name);
    return d ? d : strcmp(a->file, b->file);
}

struct profile *
snapshot_find_profile(const struct gtm_snapshot *s, const char *name)
{
    uint32_t lo = 0, hi = s ? s->nprofiles : 0;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int d = strcasecmp(name, s->profiles[mid]->name);
        if (d == 0)
            return s->profiles[mid];
        if (d < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

const struct profile *
snapshot_find_relative(const struct gtm_snapshot *s, const char *relative_name)
{
    const struct snapshot_base *b = s ? s->base : NULL;
    if (!b || !b->domain_text || !s->ntable) { /* no --domain zone: no names to look up */
        for (uint32_t i = 0; s && i < s->nprofiles; i++)
            if (strcasecmp(s->profiles[i]->relative_name, relative_name) == 0)
                return s->profiles[i];
        return NULL;
    }
    char text[DNAME_MAXLEN * 4 + 8];
    uint8_t wire[DNAME_MAXLEN];
    int n = snprintf(text, sizeof text, "%s.%s", relative_name, b->domain_text);
    int len = n > 0 && (size_t)n < sizeof text ? dname_from_text(text, wire) : -1;
    if (len <= 0)
        return NULL;
    const struct zone_node *node =
        snapshot_find_name(s, wire, (size_t)len, dname_hash(wire, (size_t)len));
    return node ? node->profile : NULL;
}

static uint32_t
count_dotted(struct profile *const *v, uint32_t n)
{
    uint32_t c = 0;
    for (uint32_t i = 0; i < n; i++)
        c += v[i] && strchr(v[i]->relative_name, '.') != NULL;
    return c;
}

static uint32_t
count_nested(struct profile *const *v, uint32_t n)
{
    uint32_t c = 0;
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t k = 0; k < v[i]->nendpoints; k++)
            c += v[i]->endpoints[k].kind == EP_NESTED;
    return c;
}

static void zones_index(struct gtm_snapshot *s, const struct zone *domain);

/* ---- the --domain zone: its own records and the profiles' names ----
 * Its own records are built once per load (base->domain). Each profile's
 * node lives with the profile, so the snapshots that share a profile share
 * its node; each snapshot has its own table of the names. */

/* The highest delegation at or above name in the --domain zone, or NULL. */
static const struct zone_node *
cut_above(const struct zone *z, const uint8_t *name, size_t len)
{
    const struct zone_node *cut = NULL;
    while (z->has_cuts && len > z->apex_len) {
        const struct zone_node *up = zone_find_node(z, name, len);
        if (up && (up->flags & NODE_CUT))
            cut = up;
        len -= (size_t)name[0] + 1;
        name += name[0] + 1;
    }
    return cut;
}

/* p's name in the --domain zone (wire into out, its length), after the
 * checks that the name makes: -1 after reporting a problem. */
static int
profile_name(const struct snapshot_base *b, const struct profile *p, uint8_t *out,
             struct config_errors *errs)
{
    char text[DNAME_MAXLEN * 4 + 8];
    snprintf(text, sizeof text, "%s.%s", p->relative_name, b->domain_text);
    int len = dname_from_text(text, out);
    if (len < 0) {
        config_error(errs, p->file, 0, "dnsConfig.relativeName: '%s' makes the name '%s' too long",
                     p->relative_name, text);
        return -1;
    }
    const struct zone_node *st = zone_find_node(b->domain, out, (size_t)len);
    if (st && (st->rrsets || st->alias)) {
        config_error(errs, p->file, 0, "dnsConfig.relativeName: %s also has records in %s", text,
                     b->domain->file);
        return -1;
    }
    return len;
}

/* p's node (made once, in p's arena): the --domain zone's node of that
 * name, if it has one (an empty non-terminal), with p in it. */
static const struct zone_node *
profile_node(struct snapshot_base *b, struct profile *p, const uint8_t *wire, size_t len)
{
    if (p->node)
        return p->node;
    struct arena *a = p->arena ? p->arena : b->arena;
    struct zone_node *n = arena_alloc(a, sizeof *n);
    const struct zone_node *st = zone_find_node(b->domain, wire, len);
    if (st)
        *n = *st;
    n->name = arena_memdup(a, wire, len);
    n->name_len = (uint8_t)len;
    n->zone = b->domain;
    n->cut = cut_above(b->domain, wire, len);
    n->profile = p;
    p->node = n;
    return n;
}

/* The empty non-terminal of a name made by a dotted relativeName (made
 * once per load). */
static const struct zone_node *
ent_node(struct snapshot_base *b, const uint8_t *name, size_t len)
{
    struct zone_node *n = tab_find(&b->ents, name, len);
    if (!n) {
        n = node_get(b->arena, &b->ents, name, len);
        n->zone = b->domain;
        n->cut = cut_above(b->domain, name, len);
    }
    return n;
}

/* Puts n in t, over the node of the same name if there is one. */
static void
tab_set(struct node_tab *t, const struct zone_node *n)
{
    for (uint32_t i = dname_hash(n->name, n->name_len) & t->mask; t->slot[i]; i = (i + 1) & t->mask)
        if (t->slot[i]->name_len == n->name_len &&
            memcmp(t->slot[i]->name, n->name, n->name_len) == 0) {
            t->slot[i] = (struct zone_node *)n;
            return;
        }
    tab_put(t, (struct zone_node *)n);
}

/* The --domain zone of s from scratch: its own records and every profile. */
static const struct zone *
domain_full(struct gtm_snapshot *s, struct config_errors *errs)
{
    struct snapshot_base *b = s->base;
    unsigned before = errs->count;
    const struct zone *dz = b->domain;
    struct node_tab t = {xcalloc(64, sizeof(*t.slot)), 63, 0};
    for (uint32_t i = 0; i <= dz->mask; i++)
        if (dz->table[i])
            tab_put(&t, (struct zone_node *)dz->table[i]);
    for (uint32_t i = 0; i < s->nprofiles; i++) {
        uint8_t wire[DNAME_MAXLEN];
        int len = profile_name(b, s->profiles[i], wire, errs);
        if (len >= 0)
            tab_set(&t, profile_node(b, s->profiles[i], wire, (size_t)len));
    }
    /* Every name between a profile's and the apex exists. */
    for (uint32_t i = 0; i < s->nprofiles && errs->count == before; i++) {
        const struct zone_node *n = s->profiles[i]->node;
        const uint8_t *name = n->name;
        size_t len = n->name_len;
        while (len > dz->apex_len) {
            len -= (size_t)name[0] + 1;
            name += name[0] + 1;
            if (!tab_find(&t, name, len))
                tab_put(&t, (struct zone_node *)ent_node(b, name, len));
        }
    }
    struct zone *z = NULL;
    if (errs->count == before) {
        z = arena_memdup(s->arena, dz, sizeof *dz);
        zone_set_table(s->arena, z, &t);
    }
    free(t.slot);
    return z;
}

/* Takes slot i out of an open-addressing table (linear probing), moving
 * back the entries after it that would no longer be found. */
static void
slot_delete(const struct zone_node **t, uint32_t mask, uint32_t i)
{
    for (uint32_t j = i;;) {
        t[i] = NULL;
        for (;;) {
            j = (j + 1) & mask;
            if (!t[j])
                return;
            uint32_t k = dname_hash(t[j]->name, t[j]->name_len) & mask;
            bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
            if (!stays)
                break;
        }
        t[i] = t[j];
        i = j;
    }
}

/* The slot of node n (that very node) in t, or UINT32_MAX. */
static uint32_t
slot_of(const struct zone_node *const *t, uint32_t mask, const struct zone_node *n)
{
    for (uint32_t i = dname_hash(n->name, n->name_len) & mask; t[i]; i = (i + 1) & mask)
        if (t[i] == n)
            return i;
    return UINT32_MAX;
}

static void
slot_insert(const struct zone_node **t, uint32_t mask, const struct zone_node *n)
{
    uint32_t i = dname_hash(n->name, n->name_len) & mask;
    while (t[i])
        i = (i + 1) & mask;
    t[i] = n;
}

/* The --domain zone and the name table of s from those of prev, with the
 * nodes of gone[] taken out and those of came[] put in (their names were
 * checked). False when that cannot be done in place (a dotted name, whose
 * empty non-terminals may come or go; a name the zone's own records also
 * use; a table that would be more than half full): then build in full. */
static bool
names_patch(struct gtm_snapshot *s, const struct gtm_snapshot *prev,
            const struct profile *const *gone, uint32_t ngone, struct profile *const *came,
            uint32_t ncame)
{
    struct snapshot_base *b = s->base;
    const struct zone *pd = prev->domain;
    if (!pd || prev->ndotted || (pd->nnodes + ncame) * 2 > pd->mask + 1 ||
        (prev->nnames + ncame) * 2 > prev->nmask + 1)
        return false;
    for (uint32_t i = 0; i < ngone + ncame; i++) {
        const struct profile *p = i < ngone ? gone[i] : came[i - ngone];
        if (strchr(p->relative_name, '.'))
            return false;
    }
    for (uint32_t i = 0; i < ncame; i++) {
        uint8_t wire[DNAME_MAXLEN];
        char text[DNAME_MAXLEN * 4 + 8];
        snprintf(text, sizeof text, "%s.%s", came[i]->relative_name, b->domain_text);
        int len = dname_from_text(text, wire);
        if (len < 0 || zone_find_node(b->domain, wire, (size_t)len))
            return false;
        /* a name in use but by one of those that go: build in full */
        const struct zone_node *there = zone_find_node(pd, wire, (size_t)len);
        bool going = false;
        for (uint32_t k = 0; there && k < ngone; k++)
            going = going || there == gone[k]->node;
        if (there && !going)
            return false;
        profile_node(b, came[i], wire, (size_t)len);
    }
    for (uint32_t i = 0; i < ngone; i++)
        if (!gone[i]->node ||
            zone_find_node(b->domain, gone[i]->node->name, gone[i]->node->name_len))
            return false;

    struct zone *z = arena_memdup(s->arena, pd, sizeof *pd);
    const struct zone_node **zt = arena_memdup(s->arena, pd->table, (pd->mask + 1) * sizeof *zt);
    const struct zone_node **nt =
        arena_memdup(s->arena, prev->ntable, (prev->nmask + 1) * sizeof *nt);
    s->nmask = prev->nmask;
    s->nnames = prev->nnames;
    for (uint32_t i = 0; i < ngone; i++) {
        const struct zone_node *n = gone[i]->node;
        uint32_t at = slot_of(zt, z->mask, n);
        if (at != UINT32_MAX) {
            slot_delete(zt, z->mask, at);
            z->nnodes--;
        }
        at = slot_of(nt, s->nmask, n);
        if (at != UINT32_MAX) {
            slot_delete(nt, s->nmask, at);
            s->nnames--;
        }
    }
    z->table = zt;
    for (uint32_t i = 0; i < ncame; i++) {
        slot_insert(zt, z->mask, came[i]->node);
        z->nnodes++;
    }
    zones_index(s, z);
    s->ntable = nt;
    for (uint32_t i = 0; i < ncame; i++)
        if (most_specific(s, came[i]->node)) {
            slot_insert(nt, s->nmask, came[i]->node);
            s->nnames++;
        }
    return true;
}

/* The zone table of s: the shared zones and its --domain zone. */
static void
zones_index(struct gtm_snapshot *s, const struct zone *domain)
{
    const struct snapshot_base *b = s->base;
    uint32_t n = b->nzones + (domain ? 1 : 0);
    uint32_t size = 8;
    while (size < n * 2)
        size *= 2;
    const struct zone **ztable = arena_alloc(s->arena, size * sizeof *ztable);
    s->zmask = size - 1;
    s->nzones = 0;
    s->max_apex_labels = 0;
    for (uint32_t i = 0; i < n; i++) {
        const struct zone *z = i < b->nzones ? b->zones[i] : domain;
        uint32_t k = dname_hash(z->apex, z->apex_len) & s->zmask;
        while (ztable[k])
            k = (k + 1) & s->zmask;
        ztable[k] = z;
        s->nzones++;
        if (z->apex_labels > s->max_apex_labels)
            s->max_apex_labels = z->apex_labels;
    }
    s->domain = domain;
    s->ztable = ztable;
}

/* Holds every profile of s: from now on snapshot_free lets them go. */
static void
hold_profiles(struct gtm_snapshot *s)
{
    for (uint32_t i = 0; i < s->nprofiles; i++)
        profile_ref(s->profiles[i]);
}

struct gtm_snapshot *
snapshot_load(const struct snapshot_params *p, struct config_errors *errs)
{
    unsigned before = errs->count;
    struct src_list l = {0};
    struct alias_list aliases = {0};
    struct gtm_snapshot *s = xcalloc(1, sizeof *s);
    time_t now = time(NULL);
    s->arena = arena_new();
    s->base = base_new();
    s->loaded = now;
    struct arena *ba = s->base->arena;

    /* Profiles first: their names go into the --domain zone. Each lives in
     * an arena of its own, so that later snapshots can share it. */
    if (p->profiles_dir)
        profile_load_dir_owned(s->arena, p->profiles_dir, p->profiles_must_exist, p->strict, errs,
                               &s->profiles, &s->nprofiles);
    if (p->demo_profile) {
        struct profile *demo = NULL;
        if (profile_parse_owned("<demo>/demo.json", p->demo_profile, strlen(p->demo_profile),
                                p->strict, errs, &demo) == 0) {
            struct profile **v = arena_alloc(s->arena, (s->nprofiles + 1) * sizeof *v);
            if (s->nprofiles)
                memcpy(v, s->profiles, s->nprofiles * sizeof *v);
            v[s->nprofiles++] = demo;
            s->profiles = v;
        }
    }
    hold_profiles(s);
    owners_build(s);
    if (errs->count == before)
        profile_link(s->profiles, s->nprofiles, errs);
    if (p->latency_table)
        s->latency = net_table_load(ba, p->latency_table, NET_TABLE_LATENCY, errs);
    if (p->geo_table)
        s->geo = net_table_load(ba, p->geo_table, NET_TABLE_GEO, errs);
    if (p->geoip)
        s->geoip = s->base->geoip = geoip_open(p->geoip, errs);
    s->chaos_id = chaos_txt(ba, p->chaos_id);
    s->chaos_version = chaos_txt(ba, p->chaos_version);
    if (p->nsid && p->nsid[0]) {
        size_t n = strnlen(p->nsid, SNAPSHOT_NSID_MAX);
        s->nsid = arena_memdup(ba, p->nsid, n);
        s->nsid_len = (uint8_t)n;
    }

    if (p->keys_dir)
        dnssec_keys_load(p->keys_dir,
                         p->rrsig_lifetime ? p->rrsig_lifetime : DNSSEC_LIFETIME_DEFAULT,
                         &s->base->keys, errs);

    if (p->demo_zone) {
        FILE *fp = fmemopen((void *)p->demo_zone, strlen(p->demo_zone), "r");
        struct zone_src src;
        if (fp && zonefile_parse(fp, "<demo>", p->demo_origin, errs, &src) == 0)
            *src_push(&l) = src;
        if (fp)
            fclose(fp);
    }
    if (p->zones_dir)
        load_dir(p->zones_dir, &l, errs);

    /* One file per apex; the --domain apex is synthesised when no file has it. */
    uint8_t domain[DNAME_MAXLEN];
    int dlen = dname_from_text(p->domain, domain);
    if (dlen < 0)
        config_error(errs, "--domain", 0, "'%s' is not a valid domain name", p->domain);
    bool have_domain = false;
    for (size_t i = 0; i < l.n; i++) {
        const ldns_rdf *apex = l.v[i].apex;
        if (dlen > 0 && ldns_rdf_size(apex) == (size_t)dlen &&
            memcmp(ldns_rdf_data(apex), domain, (size_t)dlen) == 0)
            have_domain = true;
        for (size_t j = 0; j < i; j++)
            if (ldns_dname_compare(apex, l.v[j].apex) == 0) {
                char *name = ldns_rdf2str(apex);
                config_error(errs, l.v[i].file, 0, "zone %s is already loaded from %s",
                             name ? name : "?", l.v[j].file);
                free(name);
            }
    }
    if (dlen > 0 && !have_domain) {
        struct zone_src src;
        if (domain_zone_synth(p, now, &src, errs) == 0)
            *src_push(&l) = src;
    }
    if (errs->count != before)
        goto out;

    /* Every zone but the --domain one is built once, into the shared part;
     * the --domain zone holds the profiles' names and is built per snapshot. */
    struct snapshot_base *b = s->base;
    b->zones = xcalloc(l.n ? l.n : 1, sizeof *b->zones);
    for (size_t i = 0; i < l.n; i++) {
        bool is_domain = dlen > 0 && ldns_rdf_size(l.v[i].apex) == (size_t)dlen &&
                         memcmp(ldns_rdf_data(l.v[i].apex), domain, (size_t)dlen) == 0;
        const struct zone *z = zone_build(ba, &l.v[i], &aliases, errs);
        if (!z || (b->keys && dnssec_zone_sign(ba, (struct zone *)z, b->keys, errs) != 0))
            continue;
        if (is_domain) {
            b->domain = z;
            char *apex = ldns_rdf2str(l.v[i].apex);
            b->domain_text = xstrdup(apex ? apex : ".");
            free(apex);
        } else {
            b->zones[b->nzones++] = z;
        }
    }
    if (errs->count != before)
        goto out;
    const struct zone *dz = domain_full(s, errs);
    if (errs->count != before)
        goto out;
    zones_index(s, dz);
    names_build(s);
    /* Where each ALIAS leads, now that every name is known. */
    b->aliases = alias_resolve(ba, s, aliases.v, aliases.n, errs);
    /* In a signed zone, an ALIAS to static records answers with copies
     * signed under its owner (those to a profile: dnssec_snapshot_sign). */
    for (uint32_t i = 0; i < alias_count(b->aliases); i++)
        dnssec_alias_sign(ba, alias_at(b->aliases, i));
    if (errs->count != before)
        goto out;
    b->nworkers = p->nworkers;
    s->nnested = count_nested(s->profiles, s->nprofiles);
    s->ndotted = count_dotted(s->profiles, s->nprofiles);
    s->tmi = tm_index_new();
    for (uint32_t i = 0; i < s->nprofiles; i++) {
        tm_prepare_profile(s->arena, s->profiles[i]);
        tm_add(s->tmi, s->profiles[i]);
    }
    /* The RRsets of the ALIASes that lead to profiles (nested ones linked). */
    for (uint32_t i = 0; alias_count(b->aliases) && i < s->nprofiles; i++)
        alias_prepare_profile(s->arena, b->aliases, s, s->profiles[i], true);
    tm_fill(s->tmi, s, p->nworkers, NULL);
    dnssec_snapshot_sign(s, NULL, b->arena);
    dnssec_keys_unused(b->keys);
out:
    if (errs->count != before) {
        snapshot_free(s);
        s = NULL;
    }
    for (size_t i = 0; i < l.n; i++)
        zone_src_cleanup(&l.v[i]);
    free(l.v);
    free(aliases.v);
    return s;
}

/* ---- one profile changed ---- */

/* Where np goes in v[0..n) (sorted), old taken out. */
static uint32_t
change_list(struct arena *a, const struct gtm_snapshot *cur, const struct profile *old,
            struct profile *np, struct profile ***out)
{
    uint32_t n = cur->nprofiles;
    struct profile **v = arena_alloc(a, (n + 1) * sizeof *v);
    uint32_t k = 0;
    /* old out: its place is found as np's is, by name */
    uint32_t at_old = UINT32_MAX;
    if (old) {
        uint32_t lo = 0, hi = n;
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (prof_cmp(cur->profiles[mid], old) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        at_old = lo < n && cur->profiles[lo] == old ? lo : UINT32_MAX;
        for (uint32_t i = 0; at_old == UINT32_MAX && i < n; i++)
            if (cur->profiles[i] == old)
                at_old = i;
    }
    uint32_t at_np = n;
    if (np) {
        uint32_t lo = 0, hi = n;
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (prof_cmp(np, cur->profiles[mid]) < 0)
                hi = mid;
            else
                lo = mid + 1;
        }
        at_np = lo;
    }
    for (uint32_t i = 0; i <= n; i++) {
        if (np && i == at_np)
            v[k++] = np;
        if (i < n && i != at_old)
            v[k++] = cur->profiles[i];
    }
    *out = v;
    return k;
}

/* Replaces from by to in v, and points every nested endpoint that led to
 * from at to, cloning the parents that a published snapshot shares (their
 * own parents follow in turn). */
static void
swap_children(struct profile **v, uint32_t n, struct tm_swap **swaps, uint32_t *nswaps)
{
    for (uint32_t done = 0; done < *nswaps; done++) {
        const struct profile *from = (*swaps)[done].from;
        struct profile *to = (*swaps)[done].to;
        for (uint32_t i = 0; i < n; i++) {
            struct profile *p = v[i];
            bool uses = false;
            for (uint32_t k = 0; k < p->nendpoints && !uses; k++)
                uses = p->endpoints[k].child_profile == from;
            if (!uses)
                continue;
            if (atomic_load(&p->refs) != 0) {
                struct profile *c = profile_clone(p);
                *swaps = xrealloc(*swaps, (*nswaps + 1) * sizeof **swaps);
                (*swaps)[(*nswaps)++] = (struct tm_swap){p, c};
                v[i] = p = c;
            }
            for (uint32_t k = 0; k < p->nendpoints; k++)
                if (p->endpoints[k].child_profile == from)
                    p->endpoints[k].child_profile = to;
        }
    }
}

/* np's nested endpoints lead to the profiles of v with their names. */
static void
resolve_new(struct gtm_snapshot *s, struct profile *np)
{
    for (uint32_t k = 0; np && k < np->nendpoints; k++) {
        struct endpoint *e = &np->endpoints[k];
        if (e->kind == EP_NESTED)
            e->child_profile = e->child ? snapshot_find_profile(s, e->child) : NULL;
    }
}

int
snapshot_change_check(const struct gtm_snapshot *cur, const struct profile *np,
                      struct config_errors *errs)
{
    uint8_t wire[DNAME_MAXLEN];
    const struct snapshot_base *b = cur->base;
    return np && b->domain && profile_name(b, np, wire, errs) < 0 ? GTM_ECONFIG : 0;
}

struct gtm_snapshot *
snapshot_change(struct gtm_snapshot *cur, const struct profile *old, struct profile *np,
                struct config_errors *errs)
{
    struct snapshot_base *b = cur->base;
    /* The one check that needs the --domain zone: the name np makes. */
    uint8_t wire[DNAME_MAXLEN];
    if (np && b->domain && profile_name(b, np, wire, errs) < 0) {
        profile_discard(np);
        return NULL;
    }

    struct gtm_snapshot *s = xcalloc(1, sizeof *s);
    s->arena = arena_new();
    s->base = b;
    atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
    s->loaded = time(NULL);
    s->latency = cur->latency;
    s->geo = cur->geo;
    s->geoip = cur->geoip;
    s->nsid = cur->nsid;
    s->nsid_len = cur->nsid_len;
    s->chaos_id = cur->chaos_id;
    s->chaos_version = cur->chaos_version;
    s->nprofiles = change_list(s->arena, cur, old, np, &s->profiles);

    /* From here on nothing fails: cur hands its slot index on. */
    s->tmi = cur->tmi;
    cur->tmi = NULL;
    if (np)
        tm_prepare_profile(s->arena, np);
    if (old)
        tm_remove(s->tmi, old);
    if (np)
        tm_add(s->tmi, np);
    resolve_new(s, np);
    struct tm_swap *swaps = xmalloc(sizeof *swaps);
    uint32_t nswaps = 0;
    if (old && np)
        swaps[nswaps++] = (struct tm_swap){old, np};
    tm_compact(s->tmi, s->profiles, s->nprofiles, cur, &swaps, &nswaps);
    if (cur->nnested || (np && count_nested(&np, 1)))
        swap_children(s->profiles, s->nprofiles, &swaps, &nswaps);
    uint32_t replaced = old && np ? 1 : 0; /* swaps[0]: old -> np */
    owners_change(s, cur, old, np, swaps + replaced, nswaps - replaced);

    /* The names: what left, what came (np, and the clones of the others). */
    const struct profile **gone = xmalloc((nswaps + 1) * sizeof *gone);
    struct profile **came = xmalloc((nswaps + 1) * sizeof *came);
    uint32_t ngone = 0, ncame = 0;
    if (old)
        gone[ngone++] = old;
    if (np)
        came[ncame++] = np;
    for (uint32_t i = old && np ? 1 : 0; i < nswaps; i++) {
        gone[ngone++] = swaps[i].from;
        came[ncame++] = swaps[i].to;
    }
    if (b->domain && !names_patch(s, cur, gone, ngone, came, ncame)) {
        zones_index(s, domain_full(s, errs));
        names_build(s);
    } else if (!b->domain) {
        zones_index(s, NULL);
        names_build(s);
    }
    /* The ALIASes that lead to a profile that came (np, and each clone:
     * a clone prepares its own, its children may be new) follow it: the
     * cost is what those profiles can pick times the ALIASes to them. */
    if (alias_count(b->aliases)) {
        for (uint32_t i = 0; i < ncame; i++) /* warnings for a new document only */
            alias_prepare_profile(s->arena, b->aliases, s, came[i], np && came[i] == np);
        if (old && old->node &&
            (!np || !np->node || np->node->name_len != old->node->name_len ||
             memcmp(np->node->name, old->node->name, old->node->name_len) != 0))
            alias_warn_gone(b->aliases, old->node->name, old->node->name_len);
    }
    free(gone);
    free(came);
    free(swaps);
    hold_profiles(s);
    s->ndotted =
        cur->ndotted - count_dotted((struct profile *const *)&old, 1) + count_dotted(&np, 1);
    s->nnested = cur->nnested - (old ? count_nested((struct profile *const *)&old, 1) : 0) +
                 (np ? count_nested(&np, 1) : 0);
    tm_fill(s->tmi, s, b->nworkers, cur);
    dnssec_snapshot_sign(s, cur, b->arena);
    s->changed = true;
    s->moved_from = old;
    s->moved_to = np;
    return s;
}

void
snapshot_free(struct gtm_snapshot *s)
{
    if (!s)
        return;
    for (uint32_t i = 0; i < s->nprofiles; i++)
        profile_unref(s->profiles[i]);
    for (uint32_t i = 0; i < s->ngarbage; i++)
        arena_free(s->garbage[i]);
    free(s->garbage);
    for (uint32_t i = 0; i < s->nblocks; i++)
        free(s->blocks[i]);
    free(s->blocks);
    tm_index_free(s->tmi);
    base_unref(s->base);
    arena_free(s->arena);
    free(s);
}
