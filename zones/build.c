/* build.c: parsed zones -> the immutable snapshot (arena, hash tables,
 * RDATA as wire bytes, glue and negative SOA prepared once). */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ldns/ldns.h>

#include "gtm/alloc.h"
#include "gtm/err.h"
#include "gtm/geoip.h"
#include "gtm/snapshot.h"
#include "gtm/nettable.h"
#include "gtm/profile.h"
#include "zones/profile_dir.h"
#include "zones/tm.h"
#include "zones/zonefile.h"

void
rrset_prepare(struct arena *a, struct rrset *s)
{
    uint8_t *out = arena_alloc(a, s->wire_len + (size_t)s->count * 12);
    size_t o = 0;
    const uint8_t *rd = s->wire;
    for (uint16_t i = 0; i < s->count; i++) {
        size_t rdlen = (size_t)(rd[0] << 8 | rd[1]);
        const uint8_t fixed[12] = {0xC0,
                                   12,
                                   (uint8_t)(s->type >> 8),
                                   (uint8_t)s->type,
                                   0,
                                   1, /* IN */
                                   (uint8_t)(s->ttl >> 24),
                                   (uint8_t)(s->ttl >> 16),
                                   (uint8_t)(s->ttl >> 8),
                                   (uint8_t)s->ttl};
        memcpy(out + o, fixed, 10);
        memcpy(out + o + 10, rd, rdlen + 2);
        o += rdlen + 12;
        rd += rdlen + 2;
    }
    s->rrs = out;
    s->rrs_len = (uint32_t)o;
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

/* Traffic manager names: <relativeName>.<domain> answers from its profile. */
static void
attach_profiles(struct arena *a, struct node_tab *t, const struct zone_src *src,
                struct profile **profiles, uint32_t n, struct config_errors *errs)
{
    for (uint32_t i = 0; i < n; i++) {
        char text[DNAME_MAXLEN * 4 + 8];
        uint8_t wire[DNAME_MAXLEN];
        char *apex = ldns_rdf2str(src->apex);
        snprintf(text, sizeof text, "%s.%s", profiles[i]->relative_name, apex ? apex : ".");
        free(apex);
        int len = dname_from_text(text, wire);
        if (len < 0) {
            config_error(errs, profiles[i]->file, 0,
                         "dnsConfig.relativeName: '%s' makes the name '%s' too long",
                         profiles[i]->relative_name, text);
            continue;
        }
        struct zone_node *node = tab_find(t, wire, (size_t)len);
        if (node && node->rrsets) {
            config_error(errs, profiles[i]->file, 0,
                         "dnsConfig.relativeName: %s also has records in %s", text, src->file);
            continue;
        }
        node = node_get(a, t, wire, (size_t)len);
        node->profile = profiles[i];
    }
}

static struct zone *
zone_build(struct arena *a, const struct zone_src *src, struct profile **profiles, uint32_t nprof,
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

    if (profiles)
        attach_profiles(a, &t, src, profiles, nprof, errs);

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
            ldns_dname_compare(ldns_rr_owner(rr), src->apex) != 0) {
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

    /* The final table, sized at load time: at most half full. */
    uint32_t size = 16;
    while (size < t.count * 2)
        size *= 2;
    const struct zone_node **table = arena_alloc(a, size * sizeof *table);
    for (uint32_t i = 0; i <= t.mask; i++) {
        if (!t.slot[i])
            continue;
        uint32_t k = dname_hash(t.slot[i]->name, t.slot[i]->name_len) & (size - 1);
        while (table[k])
            k = (k + 1) & (size - 1);
        table[k] = t.slot[i];
    }
    z->table = table;
    z->mask = size - 1;
    z->nnodes = t.count;

out:
    free(t.slot);
    ldns_buffer_free(buf);
    return z->table ? z : NULL;
}

/* The --domain apex when no zone file provides it: SOA and NS like ATM's. */
static int
domain_zone_synth(const char *domain, time_t now, struct zone_src *out, struct config_errors *errs)
{
    char text[1024];
    const char *dot = domain[0] && domain[strlen(domain) - 1] == '.' ? "" : ".";
    ldns_rr *soa = NULL, *ns = NULL;
    memset(out, 0, sizeof *out);
    snprintf(text, sizeof text, "%s%s 30 IN SOA ns1.%s%s hostmaster.%s%s %lu 900 300 2419200 30",
             domain, dot, domain, dot, domain, dot, (unsigned long)(uint32_t)now);
    if (ldns_rr_new_frm_str(&soa, text, 0, NULL, NULL) != LDNS_STATUS_OK) {
        config_error(errs, "--domain", 0, "'%s' is not a valid domain name", domain);
        return GTM_ECONFIG;
    }
    snprintf(text, sizeof text, "%s%s 3600 IN NS ns1.%s%s", domain, dot, domain, dot);
    if (ldns_rr_new_frm_str(&ns, text, 0, NULL, NULL) != LDNS_STATUS_OK) {
        ldns_rr_free(soa);
        config_error(errs, "--domain", 0, "'%s' is not a valid domain name", domain);
        return GTM_ECONFIG;
    }
    ldns_dname2canonical(ldns_rr_owner(soa));
    ldns_dname2canonical(ldns_rr_owner(ns));
    out->file = xstrdup("--domain");
    out->apex = ldns_rdf_clone(ldns_rr_owner(soa));
    out->rrs = ldns_rr_list_new();
    out->lines = xcalloc(2, sizeof *out->lines);
    ldns_rr_list_push_rr(out->rrs, ns); /* NS sorts before SOA */
    ldns_rr_list_push_rr(out->rrs, soa);
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
        }
    }
    s->ntable = t;
    s->nmask = size - 1;
}

static int
str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
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
    DIR *d = opendir(dir);
    if (!d) {
        config_error(errs, dir, 0, "cannot open zones directory: %s", strerror(errno));
        return;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len <= 5 || strcmp(e->d_name + len - 5, ".zone") != 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            names = xrealloc(names, cap * sizeof *names);
        }
        names[n++] = xstrdup(e->d_name);
    }
    closedir(d);
    if (n > 1) /* qsort(NULL, 0) is undefined */
        qsort(names, n, sizeof *names, str_cmp);
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
        free(names[i]);
    }
    free(names);
}

struct gtm_snapshot *
snapshot_load(const struct snapshot_params *p, struct config_errors *errs)
{
    unsigned before = errs->count;
    struct src_list l = {0};
    struct gtm_snapshot *s = xcalloc(1, sizeof *s);
    time_t now = time(NULL);
    s->arena = arena_new();
    s->loaded = now;

    /* Profiles first: their names go into the --domain zone. */
    if (p->profiles_dir)
        profile_load_dir(s->arena, p->profiles_dir, p->profiles_must_exist, p->strict, errs,
                         &s->profiles, &s->nprofiles);
    if (p->demo_profile) {
        struct profile *demo = NULL;
        if (profile_parse(s->arena, "<demo>/demo.json", p->demo_profile, strlen(p->demo_profile),
                          p->strict, errs, &demo) == 0) {
            struct profile **v = arena_alloc(s->arena, (s->nprofiles + 1) * sizeof *v);
            if (s->nprofiles)
                memcpy(v, s->profiles, s->nprofiles * sizeof *v);
            v[s->nprofiles++] = demo;
            s->profiles = v;
        }
    }
    if (errs->count == before)
        profile_link(s->profiles, s->nprofiles, errs);
    if (p->latency_table)
        s->latency = net_table_load(s->arena, p->latency_table, NET_TABLE_LATENCY, errs);
    if (p->geo_table)
        s->geo = net_table_load(s->arena, p->geo_table, NET_TABLE_GEO, errs);
    if (p->geoip)
        s->geoip = geoip_open(p->geoip, errs);

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
        if (domain_zone_synth(p->domain, now, &src, errs) == 0)
            *src_push(&l) = src;
    }
    if (errs->count != before)
        goto out;

    uint32_t size = 8;
    while (size < l.n * 2)
        size *= 2;
    const struct zone **ztable = arena_alloc(s->arena, size * sizeof *ztable);
    s->zmask = size - 1;
    for (size_t i = 0; i < l.n; i++) {
        bool is_domain = dlen > 0 && ldns_rdf_size(l.v[i].apex) == (size_t)dlen &&
                         memcmp(ldns_rdf_data(l.v[i].apex), domain, (size_t)dlen) == 0;
        const struct zone *z = zone_build(s->arena, &l.v[i], is_domain ? s->profiles : NULL,
                                          is_domain ? s->nprofiles : 0, errs);
        if (!z)
            continue;
        if (is_domain)
            s->domain = z;
        uint32_t k = dname_hash(z->apex, z->apex_len) & s->zmask;
        while (ztable[k])
            k = (k + 1) & s->zmask;
        ztable[k] = z;
        s->nzones++;
        if (z->apex_labels > s->max_apex_labels)
            s->max_apex_labels = z->apex_labels;
    }
    s->ztable = ztable;
    names_build(s);
    tm_prepare(s, p->nworkers);
out:
    if (errs->count != before) {
        snapshot_free(s);
        s = NULL;
    }
    for (size_t i = 0; i < l.n; i++)
        zone_src_cleanup(&l.v[i]);
    free(l.v);
    return s;
}

void
snapshot_free(struct gtm_snapshot *s)
{
    if (!s)
        return;
    geoip_close(s->geoip);
    arena_free(s->arena);
    free(s);
}
