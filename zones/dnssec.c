/* dnssec.c: keys, signatures and NSEC3 chains at load time (see
 * zones/dnssec.h). ldns does the cryptography (ldns_key_new_frm_fp_l,
 * ldns_sign_public); this file only decides what is signed with which key
 * and lays the results out as prepared wire RRsets. */
#include "config.h"
#include "zones/dnssec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "gtm/alloc.h"
#include "gtm/err.h"
#include "gtm/files.h"
#include "gtm/log.h"
#include "gtm/nsec3.h"
#include "gtm/policy.h"
#include "gtm/profile.h"
#include "zones/build.h"

/* One zone's keys: those with the SEP bit (KSK) sign the DNSKEY RRset,
 * the others (ZSK) everything else; a zone with keys of one kind only
 * signs everything with them (a CSK). */
struct zone_keys {
    uint8_t apex[DNAME_MAXLEN];
    uint8_t apex_len;
    char *file; /* its first key file, for messages */
    ldns_key_list *ksk, *zsk;
    ldns_rr_list *dnskeys; /* the DNSKEY records, from the .key files */
    uint32_t lifetime;
    bool used;
    struct zone_keys *next;
};

struct dnssec_keys {
    struct zone_keys *zones;
    ldns_key_list *all; /* owns every key */
};

/* ---- key files ---- */

static struct zone_keys *
keys_for(const struct dnssec_keys *k, const uint8_t *apex, size_t len)
{
    for (struct zone_keys *z = k ? k->zones : NULL; z; z = z->next)
        if (z->apex_len == len && memcmp(z->apex, apex, len) == 0)
            return z;
    return NULL;
}

/* The DNSKEY record of a .key file (comments and blank lines skipped). */
static int
read_dnskey(const char *path, ldns_rr **out, struct config_errors *errs)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        config_error(errs, path, 0, "cannot open key file: %s", strerror(errno));
        return -1;
    }
    uint32_t ttl = 3600;
    int line = 0;
    ldns_rr *rr = NULL;
    ldns_status st = LDNS_STATUS_SYNTAX_EMPTY;
    while (!feof(fp)) {
        ldns_rdf *origin = NULL, *prev = NULL;
        st = ldns_rr_new_frm_fp_l(&rr, fp, &ttl, &origin, &prev, &line);
        ldns_rdf_deep_free(origin);
        ldns_rdf_deep_free(prev);
        if (st == LDNS_STATUS_OK ||
            (st != LDNS_STATUS_SYNTAX_EMPTY && st != LDNS_STATUS_SYNTAX_TTL &&
             st != LDNS_STATUS_SYNTAX_ORIGIN))
            break;
    }
    fclose(fp);
    if (st != LDNS_STATUS_OK || !rr) {
        config_error(errs, path, (unsigned)line, "no DNSKEY record: %s",
                     st == LDNS_STATUS_OK ? "empty" : ldns_get_errorstr_by_id(st));
        ldns_rr_free(rr);
        return -1;
    }
    if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_DNSKEY || ldns_rr_rd_count(rr) != 4) {
        config_error(errs, path, (unsigned)line, "not a DNSKEY record");
        ldns_rr_free(rr);
        return -1;
    }
    ldns_dname2canonical(ldns_rr_owner(rr));
    *out = rr;
    return 0;
}

/* One pair: base is the path without ".key"/".private"; zone the name the
 * file name gives, alg its algorithm. */
static int
load_pair(struct dnssec_keys *k, const char *base, const char *zone, unsigned alg,
          uint32_t lifetime, struct config_errors *errs)
{
    char priv[4200], pub[4200];
    snprintf(priv, sizeof priv, "%s.private", base);
    snprintf(pub, sizeof pub, "%s.key", base);
    if (alg != LDNS_SIGN_ECDSAP256SHA256 && alg != LDNS_SIGN_ED25519) {
        config_error(errs, priv, 0,
                     "algorithm %u is not supported (13 ECDSAP256SHA256 and 15 ED25519 are)", alg);
        return -1;
    }
    FILE *fp = fopen(priv, "r");
    if (!fp) {
        config_error(errs, priv, 0, "cannot open key file: %s", strerror(errno));
        return -1;
    }
    ldns_key *key = NULL;
    int line = 0;
    ldns_status st = ldns_key_new_frm_fp_l(&key, fp, &line);
    fclose(fp);
    if (st != LDNS_STATUS_OK) {
        config_error(errs, priv, (unsigned)line, "cannot read private key: %s",
                     ldns_get_errorstr_by_id(st));
        return -1;
    }
    if ((unsigned)ldns_key_algorithm(key) != alg) {
        config_error(errs, priv, 0, "algorithm %u, but the file name says %u",
                     (unsigned)ldns_key_algorithm(key), alg);
        ldns_key_deep_free(key);
        return -1;
    }
    ldns_rr *dnskey = NULL;
    if (read_dnskey(pub, &dnskey, errs) != 0) {
        ldns_key_deep_free(key);
        return -1;
    }
    ldns_rdf *want = ldns_dname_new_frm_str(zone);
    if (want)
        ldns_dname2canonical(want);
    int rc = 0;
    if (!want || ldns_dname_compare(want, ldns_rr_owner(dnskey)) != 0) {
        char *o = ldns_rdf2str(ldns_rr_owner(dnskey));
        config_error(errs, pub, 0, "the key's owner %s is not the zone %s its file name gives",
                     o ? o : "?", zone);
        free(o);
        rc = -1;
    }
    ldns_key_set_pubkey_owner(key, ldns_rdf_clone(ldns_rr_owner(dnskey)));
    ldns_key_set_flags(key, ldns_rdf2native_int16(ldns_rr_rdf(dnskey, 0)));
    ldns_rr *derived = rc == 0 ? ldns_key2rr(key) : NULL;
    if (rc == 0 &&
        (!derived || ldns_rdf_compare(ldns_rr_rdf(derived, 2), ldns_rr_rdf(dnskey, 2)) != 0 ||
         ldns_rdf_compare(ldns_rr_rdf(derived, 3), ldns_rr_rdf(dnskey, 3)) != 0)) {
        config_error(errs, pub, 0, "its public key is not the one of %s", priv);
        rc = -1;
    }
    if (rc == 0 && !(ldns_rdf2native_int16(ldns_rr_rdf(dnskey, 0)) & LDNS_KEY_ZONE_KEY)) {
        config_error(errs, pub, 0, "not a zone key (flags %u)",
                     (unsigned)ldns_rdf2native_int16(ldns_rr_rdf(dnskey, 0)));
        rc = -1;
    }
    ldns_rr_free(derived);
    if (rc != 0) {
        ldns_rdf_deep_free(want);
        ldns_rr_free(dnskey);
        ldns_key_deep_free(key);
        return -1;
    }
    ldns_key_set_keytag(key, ldns_calc_keytag(dnskey));
    struct zone_keys *z = keys_for(k, ldns_rdf_data(want), ldns_rdf_size(want));
    if (!z) {
        z = xcalloc(1, sizeof *z);
        z->apex_len = (uint8_t)ldns_rdf_size(want);
        memcpy(z->apex, ldns_rdf_data(want), z->apex_len);
        z->file = xstrdup(pub);
        z->ksk = ldns_key_list_new();
        z->zsk = ldns_key_list_new();
        z->dnskeys = ldns_rr_list_new();
        z->lifetime = lifetime;
        z->next = k->zones;
        k->zones = z;
    }
    ldns_rdf_deep_free(want);
    ldns_key_list_push_key(k->all, key);
    ldns_key_list_push_key((ldns_key_flags(key) & LDNS_KEY_SEP_KEY) ? z->ksk : z->zsk, key);
    ldns_rr_list_push_rr(z->dnskeys, dnskey);
    return 0;
}

/* "K<zone>+<alg>+<id>" -> zone (with its trailing dot) and alg; -1 if not that shape. */
static int
parse_name(const char *stem, char *zone, size_t cap, unsigned *alg)
{
    const char *p2 = strrchr(stem, '+');
    if (stem[0] != 'K' || !p2 || p2 == stem)
        return -1;
    const char *p1 = p2 - 1;
    while (p1 > stem && *p1 != '+')
        p1--;
    if (*p1 != '+' || p1 == stem + 1)
        return -1;
    char *end;
    unsigned long a = strtoul(p1 + 1, &end, 10);
    if (end != p2 || a > 255)
        return -1;
    size_t n = (size_t)(p1 - (stem + 1));
    if (n + 1 >= cap)
        return -1;
    memcpy(zone, stem + 1, n);
    zone[n] = 0;
    *alg = (unsigned)a;
    return 0;
}

int
dnssec_keys_load(const char *dir, uint32_t lifetime, struct dnssec_keys **out,
                 struct config_errors *errs)
{
    unsigned before = errs->count;
    struct dnssec_keys *k = xcalloc(1, sizeof *k);
    k->all = ldns_key_list_new();
    char **privs = NULL, **pubs = NULL;
    size_t npriv = 0, npub = 0;
    if (files_sorted(dir, ".private", &privs, &npriv) != 0 ||
        files_sorted(dir, ".key", &pubs, &npub) != 0) {
        config_error(errs, dir, 0, "cannot open keys directory: %s", strerror(errno));
        goto out;
    }
    for (size_t i = 0; i < npriv; i++) {
        char stem[1024], base[4096], zone[1024];
        unsigned alg = 0;
        snprintf(stem, sizeof stem, "%.*s", (int)(strlen(privs[i]) - 8), privs[i]);
        if ((size_t)snprintf(base, sizeof base, "%s/%s", dir, stem) >= sizeof base) {
            config_error(errs, dir, 0, "path too long");
            continue;
        }
        if (parse_name(stem, zone, sizeof zone, &alg) != 0) {
            config_error(errs, base, 0, "not a key file name (K<zone>+<alg>+<id>.private)");
            continue;
        }
        load_pair(k, base, zone, alg, lifetime, errs);
    }
    /* a public key without its private half */
    for (size_t i = 0; i < npub; i++) {
        char path[4096];
        bool paired = false;
        size_t n = strlen(pubs[i]) - 4;
        for (size_t j = 0; j < npriv && !paired; j++)
            paired = strlen(privs[j]) - 8 == n && strncmp(privs[j], pubs[i], n) == 0;
        snprintf(path, sizeof path, "%s/%.*s.private", dir, (int)n, pubs[i]);
        if (!paired)
            config_error(errs, path, 0, "missing: %s/%s has no private key", dir, pubs[i]);
    }
out:
    if (privs)
        files_free(privs, npriv);
    if (pubs)
        files_free(pubs, npub);
    if (errs->count != before) {
        dnssec_keys_free(k);
        return GTM_ECONFIG;
    }
    *out = k;
    return 0;
}

void
dnssec_keys_free(struct dnssec_keys *k)
{
    if (!k)
        return;
    for (struct zone_keys *z = k->zones, *next; z; z = next) {
        next = z->next;
        /* the lists only borrow the keys (k->all owns them): emptied, not
         * popped (ldns_key_list_pop_key of the last key frees the array
         * and keeps the pointer) */
        ldns_key_list_set_key_count(z->ksk, 0);
        ldns_key_list_set_key_count(z->zsk, 0);
        ldns_key_list_free(z->ksk);
        ldns_key_list_free(z->zsk);
        ldns_rr_list_deep_free(z->dnskeys);
        free(z->file);
        free(z);
    }
    ldns_key_list_free(k->all);
    free(k);
}

void
dnssec_keys_unused(const struct dnssec_keys *k)
{
    for (const struct zone_keys *z = k ? k->zones : NULL; z; z = z->next)
        if (!z->used) {
            char name[DNAME_MAXLEN * 4 + 8];
            log_warn("dnssec: %s: keys for %s, a zone gtmd does not serve", z->file,
                     dname_to_text(z->apex, name, sizeof name));
        }
}

/* ---- signing ---- */

/* The keys for an RRset of type t. */
static ldns_key_list *
keys_of(const struct zone_keys *zk, uint16_t t)
{
    /* RFC 7344 4.1: CDS and CDNSKEY signed by a key the parent's DS names */
    bool dnskey = t == LDNS_RR_TYPE_DNSKEY || t == LDNS_RR_TYPE_CDS || t == LDNS_RR_TYPE_CDNSKEY;
    if (dnskey)
        return ldns_key_list_key_count(zk->ksk) ? zk->ksk : zk->zsk;
    return ldns_key_list_key_count(zk->zsk) ? zk->zsk : zk->ksk;
}

/* Validity of the signatures made from now on: an hour back (clock skew),
 * lifetime ahead. */
static void
keys_set_time(const struct zone_keys *zk, time_t now)
{
    for (int l = 0; l < 2; l++) {
        ldns_key_list *kl = l ? zk->ksk : zk->zsk;
        for (size_t i = 0; i < ldns_key_list_key_count(kl); i++) {
            ldns_key_set_inception(ldns_key_list_key(kl, i), (uint32_t)(now - 3600));
            ldns_key_set_expiration(ldns_key_list_key(kl, i), (uint32_t)now + zk->lifetime);
        }
    }
}

/* An RRset from ldns records (their RDATA as wire), prepared. */
static struct rrset *
rrset_from_list(struct arena *a, const ldns_rr_list *l, uint16_t type, uint32_t ttl)
{
    ldns_buffer *buf = ldns_buffer_new(1024);
    struct rrset *s = arena_alloc(a, sizeof *s);
    s->type = type;
    s->ttl = ttl;
    for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
        size_t at = ldns_buffer_position(buf);
        ldns_buffer_write_u16(buf, 0);
        ldns_rr_rdata2buffer_wire(buf, ldns_rr_list_rr(l, i));
        ldns_buffer_write_u16_at(buf, at, (uint16_t)(ldns_buffer_position(buf) - at - 2));
        s->count++;
    }
    s->wire_len = (uint32_t)ldns_buffer_position(buf);
    s->wire = arena_memdup(a, ldns_buffer_begin(buf), s->wire_len ? s->wire_len : 1);
    ldns_buffer_free(buf);
    rrset_prepare(a, s);
    return s;
}

/* The RRSIGs of RRset s owned by owner, made with zk's keys for its type
 * (in a), or NULL when ldns could not sign. */
static const struct rrset *
sign(struct arena *a, const uint8_t *owner, size_t owner_len, const struct rrset *s,
     const struct zone_keys *zk)
{
    ldns_rr_list *l = ldns_rr_list_new();
    const uint8_t *rd = s->wire;
    uint8_t wire[DNAME_MAXLEN + 10 + 65535];
    for (uint16_t i = 0; i < s->count; i++) {
        size_t rdlen = (size_t)(rd[0] << 8 | rd[1]);
        size_t n = 0;
        memcpy(wire, owner, owner_len);
        n = owner_len;
        const uint8_t fixed[8] = {(uint8_t)(s->type >> 8),
                                  (uint8_t)s->type,
                                  0,
                                  1,
                                  (uint8_t)(s->ttl >> 24),
                                  (uint8_t)(s->ttl >> 16),
                                  (uint8_t)(s->ttl >> 8),
                                  (uint8_t)s->ttl};
        memcpy(wire + n, fixed, 8);
        memcpy(wire + n + 8, rd, rdlen + 2);
        n += 10 + rdlen;
        size_t pos = 0;
        ldns_rr *rr = NULL;
        if (ldns_wire2rr(&rr, wire, n, &pos, LDNS_SECTION_ANSWER) != LDNS_STATUS_OK) {
            ldns_rr_list_deep_free(l);
            return NULL;
        }
        ldns_rr_list_push_rr(l, rr);
        rd += rdlen + 2;
    }
    ldns_rr_list *sigs = ldns_sign_public(l, keys_of(zk, s->type));
    ldns_rr_list_deep_free(l);
    if (!sigs || ldns_rr_list_rr_count(sigs) == 0) {
        ldns_rr_list_deep_free(sigs);
        return NULL;
    }
    const struct rrset *r = rrset_from_list(a, sigs, LDNS_RR_TYPE_RRSIG, s->ttl);
    ldns_rr_list_deep_free(sigs);
    return r;
}

static bool
is_dnssec_type(uint16_t t)
{
    return t == LDNS_RR_TYPE_DNSKEY || t == LDNS_RR_TYPE_RRSIG || t == LDNS_RR_TYPE_NSEC ||
           t == LDNS_RR_TYPE_NSEC3 || t == LDNS_RR_TYPE_NSEC3PARAM;
}

/* A name whose data a signed zone signs: not below a delegation. */
static bool
authoritative(const struct zone_node *n)
{
    return !n->cut || n->cut == n;
}

/* A profile that answers NXDOMAIN whatever its health: disabled, or no
 * endpoint enabled (policy/policy.c): its name is left out of the chain. */
static bool
profile_dark(const struct profile *p)
{
    if (!p->enabled)
        return true;
    for (uint32_t i = 0; i < p->nendpoints; i++)
        if (p->endpoints[i].enabled)
            return false;
    return true;
}

/* The answers profile p can give: its enabled endpoints' RRsets and,
 * through its enabled nested endpoints, its descendants' (depth levels at
 * most, as the policy walks them). Appends to v[*n..cap), once each. */
static void
leaves(const struct profile *p, unsigned depth, const struct rrset **v, unsigned *n, unsigned cap)
{
    for (uint32_t i = 0; i < p->nendpoints; i++) {
        const struct endpoint *e = &p->endpoints[i];
        if (!e->enabled)
            continue;
        if (e->kind == EP_NESTED) {
            if (e->child_profile && e->child_profile->enabled && depth + 1 < POLICY_NEST_MAX)
                leaves(e->child_profile, depth + 1, v, n, cap);
            continue;
        }
        bool seen = !e->rrset;
        for (unsigned k = 0; k < *n && !seen; k++)
            seen = v[k] == e->rrset;
        if (!seen && *n < cap)
            v[(*n)++] = e->rrset;
    }
}

static bool
has_nested(const struct profile *p)
{
    for (uint32_t i = 0; i < p->nendpoints; i++)
        if (p->endpoints[i].kind == EP_NESTED)
            return true;
    return false;
}

static int
leaf_cmp(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t) * (const struct rrset *const *)a;
    uintptr_t y = (uintptr_t) * (const struct rrset *const *)b;
    return (x > y) - (x < y);
}

/* A profile with nested endpoints: its descendants' answers signed under
 * its name (p->nested_sigs), unless it has them all already. p is not
 * published yet when they are missing (a new profile, or the clone made
 * when a child changed). Returns the number of signatures made. */
static unsigned
sign_nested(struct arena *a, struct profile *p, const struct zone_keys *zk)
{
    const struct rrset *v[512];
    unsigned n = 0, made = 0;
    for (uint32_t i = 0; i < p->nendpoints; i++)
        if (p->endpoints[i].kind == EP_NESTED && p->endpoints[i].enabled &&
            p->endpoints[i].child_profile && p->endpoints[i].child_profile->enabled)
            leaves(p->endpoints[i].child_profile, 1, v, &n, GTM_ARRAY_LEN(v));
    bool all = true;
    for (unsigned k = 0; k < n && all; k++)
        all = profile_nested_sig(p, v[k]) != NULL;
    if (all && n == p->nnested_sigs)
        return 0;
    if (n > 1)
        qsort(v, n, sizeof *v, leaf_cmp);
    struct nested_sig *sigs = arena_alloc(a, (n ? n : 1) * sizeof *sigs);
    for (unsigned k = 0; k < n; k++) {
        sigs[k].leaf = v[k];
        sigs[k].rrsig = profile_nested_sig(p, v[k]);
        if (!sigs[k].rrsig) {
            sigs[k].rrsig = sign(a, p->node->name, p->node->name_len, v[k], zk);
            made++;
        }
    }
    p->nested_sigs = sigs;
    p->nnested_sigs = n;
    return made;
}

/* An ALIAS's copies of a target's A and AAAA (either NULL), signed under
 * its owner (a wildcard's "*" kept: the signature says so in its labels)
 * unless they are already. Returns the number of RRsets signed. */
static unsigned
alias_sign_pair(struct arena *a, const struct alias *al, const struct rrset *v4,
                const struct rrset *v6, const struct zone_keys *zk)
{
    unsigned n = 0;
    const struct rrset *v[2] = {v4, v6};
    for (int i = 0; i < 2; i++)
        if (v[i] && !v[i]->rrsig) {
            ((struct rrset *)v[i])->rrsig = sign(a, al->owner, al->owner_len, v[i], zk);
            n++;
        }
    return n;
}

/* ---- the NSEC3 chain ---- */

/* The types a name's answers can lack or have by query (a profile's, an
 * ALIAS's): their NODATA proofs need NSEC3 records without them. */
enum { DYN_A = 1, DYN_AAAA = 2, DYN_CNAME = 4 };

struct pending {
    uint8_t hash[NSEC3_HASH_LEN];
    uint8_t bitmap[2 + 32 * 2 + 34]; /* a few windows are enough for gtmd's types */
    uint16_t bitmap_len;
    uint16_t types[64]; /* what bitmap lists */
    uint8_t ntypes;
    uint8_t dyn; /* DYN_* */
};

/* RFC 4034 4.1.2 type bitmap of types[0..n) (sorted, distinct). */
static uint16_t
bitmap_make(const uint16_t *types, unsigned n, uint8_t *out, size_t cap)
{
    size_t o = 0;
    for (unsigned i = 0; i < n;) {
        unsigned win = types[i] >> 8;
        uint8_t bits[32] = {0};
        unsigned maxo = 0;
        for (; i < n && (types[i] >> 8) == win; i++) {
            unsigned lo = types[i] & 0xFF;
            bits[lo / 8] |= (uint8_t)(0x80 >> (lo % 8));
            if (lo / 8 + 1 > maxo)
                maxo = lo / 8 + 1;
        }
        if (o + 2 + maxo > cap)
            break;
        out[o] = (uint8_t)win;
        out[o + 1] = (uint8_t)maxo;
        memcpy(out + o + 2, bits, maxo);
        o += 2 + maxo;
    }
    return (uint16_t)o;
}

static int
u16_cmp(const void *a, const void *b)
{
    uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
    return (x > y) - (x < y);
}

static int
pending_cmp(const void *a, const void *b)
{
    return memcmp(((const struct pending *)a)->hash, ((const struct pending *)b)->hash,
                  NSEC3_HASH_LEN);
}

static uint8_t
dyn_bit(uint16_t t)
{
    return t == LDNS_RR_TYPE_A       ? DYN_A
           : t == LDNS_RR_TYPE_AAAA  ? DYN_AAAA
           : t == LDNS_RR_TYPE_CNAME ? DYN_CNAME
                                     : 0;
}

/* The types of node n as its NSEC3 lists them; *dyn those its answers
 * have by query (DYN_*): a profile's, and the A and AAAA of an ALIAS
 * (listed whatever its target has: a NODATA proof there leaves them out). */
static unsigned
node_types(const struct zone_node *n, uint16_t *t, unsigned cap, uint8_t *dyn)
{
    unsigned k = 0;
    bool signed_any = false;
    *dyn = 0;
    if (n->profile) {
        /* the types its answers (its own endpoints', its descendants') have */
        const struct rrset *v[512];
        unsigned nv = 0;
        leaves(n->profile, 0, v, &nv, GTM_ARRAY_LEN(v));
        for (unsigned i = 0; i < nv && k + 2 < cap; i++) {
            bool seen = false;
            for (unsigned j = 0; j < k; j++)
                seen = seen || t[j] == v[i]->type;
            if (!seen)
                t[k++] = v[i]->type;
            *dyn |= dyn_bit(v[i]->type);
            signed_any = true;
        }
    } else {
        bool cut = n->cut == n && !(n->flags & NODE_APEX);
        for (const struct rrset *r = n->rrsets; r && k + 2 < cap; r = r->next) {
            t[k++] = r->type;
            if (!cut || r->type == LDNS_RR_TYPE_DS)
                signed_any = true;
        }
        if (n->alias && !cut && k + 4 < cap) {
            t[k++] = LDNS_RR_TYPE_A;
            t[k++] = LDNS_RR_TYPE_AAAA;
            *dyn = DYN_A | DYN_AAAA;
            signed_any = true;
        }
    }
    if (signed_any)
        t[k++] = LDNS_RR_TYPE_RRSIG;
    if (k > 1)
        qsort(t, k, sizeof *t, u16_cmp);
    return k;
}

static struct rrset *
rrset_copy(struct arena *a, const struct rrset *s)
{
    struct rrset *c = arena_memdup(a, s, sizeof *s);
    c->wire = arena_memdup(a, s->wire, s->wire_len ? s->wire_len : 1);
    c->rrs = arena_memdup(a, s->rrs, s->rrs_len ? s->rrs_len : 1);
    c->next = NULL;
    c->rrsig = s->rrsig ? rrset_copy(a, s->rrsig) : NULL;
    return c;
}

/* The NSEC3 record of name p (entry e, its owner set) pointing at next,
 * without the types of drop (DYN_*), TTL ttl, signed; old (prev's, NULL:
 * none) taken with its signature when it is the same record. */
static const struct rrset *
nsec3_record(struct arena *a, const struct nsec3_entry *e, const struct pending *p,
             const uint8_t *next, uint8_t drop, uint32_t ttl, const struct rrset *old,
             const struct zone_keys *zk, uint32_t *reused)
{
    uint8_t bitmap[sizeof p->bitmap];
    const uint8_t *bm = p->bitmap;
    uint16_t bm_len = p->bitmap_len;
    if (drop) {
        uint16_t t[GTM_ARRAY_LEN(p->types)];
        unsigned nt = 0;
        for (unsigned j = 0; j < p->ntypes; j++)
            if (!(dyn_bit(p->types[j]) & drop))
                t[nt++] = p->types[j];
        bm_len = bitmap_make(t, nt, bitmap, sizeof bitmap);
        bm = bitmap;
    }
    uint8_t rd[2 + 6 + NSEC3_HASH_LEN + sizeof p->bitmap];
    size_t rdlen = 6 + NSEC3_HASH_LEN + bm_len;
    rd[0] = (uint8_t)(rdlen >> 8);
    rd[1] = (uint8_t)rdlen;
    rd[2] = 1;         /* SHA-1 */
    rd[3] = 0;         /* flags: no opt-out */
    rd[4] = rd[5] = 0; /* iterations */
    rd[6] = 0;         /* salt length */
    rd[7] = NSEC3_HASH_LEN;
    memcpy(rd + 8, next, NSEC3_HASH_LEN);
    memcpy(rd + 8 + NSEC3_HASH_LEN, bm, bm_len);
    /* the same record in the chain before: its signature still holds */
    if (old && old->ttl == ttl && old->wire_len == rdlen + 2 &&
        memcmp(old->wire, rd, rdlen + 2) == 0 && old->rrsig) {
        (*reused)++;
        return rrset_copy(a, old);
    }
    struct rrset *s = arena_alloc(a, sizeof *s);
    s->type = LDNS_RR_TYPE_NSEC3;
    s->count = 1;
    s->ttl = ttl;
    s->wire_len = (uint32_t)(rdlen + 2);
    s->wire = arena_memdup(a, rd, s->wire_len);
    rrset_prepare(a, s);
    s->rrsig = sign(a, e->owner, e->owner_len, s, zk);
    return s;
}

/* z's chain over its names (in a), reusing prev's unchanged records. */
static const struct nsec3_chain *
chain_build(struct arena *a, const struct zone *z, const struct zone_keys *zk,
            const struct nsec3_chain *prev)
{
    struct pending *v = xmalloc((z->nnodes ? z->nnodes : 1) * sizeof *v);
    uint32_t n = 0;
    for (uint32_t i = 0; i <= z->mask; i++) {
        const struct zone_node *node = z->table[i];
        if (!node || !authoritative(node) || (node->profile && profile_dark(node->profile)))
            continue;
        struct pending *p = &v[n++];
        p->ntypes = (uint8_t)node_types(node, p->types, GTM_ARRAY_LEN(p->types), &p->dyn);
        nsec3_hash(node->name, node->name_len, NULL, 0, 0, p->hash);
        p->bitmap_len = bitmap_make(p->types, p->ntypes, p->bitmap, sizeof p->bitmap);
    }
    qsort(v, n, sizeof *v, pending_cmp);
    struct nsec3_entry *e = arena_alloc(a, (n ? n : 1) * sizeof *e);
    uint32_t ttl = z->neg_soa->ttl; /* RFC 9077: min(SOA TTL, MINIMUM) */
    uint32_t reused = 0;
    for (uint32_t i = 0; i < n; i++) {
        memcpy(e[i].hash, v[i].hash, NSEC3_HASH_LEN);
        uint8_t owner[DNAME_MAXLEN];
        owner[0] = NSEC3_B32_LEN;
        nsec3_b32(v[i].hash, (char *)owner + 1);
        memcpy(owner + 1 + NSEC3_B32_LEN, z->apex, z->apex_len);
        e[i].owner_len = (uint8_t)(1 + NSEC3_B32_LEN + z->apex_len);
        e[i].owner = arena_memdup(a, owner, e[i].owner_len);
        int match = 0;
        const struct nsec3_entry *old =
            prev && prev->n ? nsec3_find(prev, v[i].hash, &match) : NULL;
        if (!match)
            old = NULL;
        const uint8_t *next = v[(i + 1) % n].hash;
        e[i].rrset =
            nsec3_record(a, &e[i], &v[i], next, 0, ttl, old ? old->rrset : NULL, zk, &reused);
        /* the NODATA records of a name whose answers vary by query */
        static const uint16_t qt[3] = {LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA, 0};
        for (int k = 0; k < 3 && v[i].dyn; k++) {
            uint8_t drop = (uint8_t)((dyn_bit(qt[k]) | DYN_CNAME) & v[i].dyn);
            if (drop)
                e[i].nodata[k] = nsec3_record(a, &e[i], &v[i], next, drop, ttl,
                                              old ? old->nodata[k] : NULL, zk, &reused);
        }
    }
    free(v);
    struct nsec3_chain *c = arena_alloc(a, sizeof *c);
    c->n = n;
    c->v = e;
    if (prev)
        log_debug("dnssec: NSEC3 chain of %u names, %u signatures kept", n, reused);
    return c;
}

/* An RRset appended to node n's list. */
static void
node_append(struct zone_node *n, struct rrset *s)
{
    if (!n->rrsets) {
        n->rrsets = s;
        return;
    }
    struct rrset *last = (struct rrset *)n->rrsets;
    while (last->next)
        last = (struct rrset *)last->next;
    last->next = s;
}

/* CDS and CDNSKEY (RFC 7344) at the apex: the key signing keys (every key
 * of a zone with one kind only), the DS as SHA-256, so that a parent that
 * scans for them can follow a rollover. A zone file that has its own
 * (a "delete" CDS, RFC 8078) keeps them. */
static void
publish_cds(struct arena *a, struct zone_node *apex, const struct zone_keys *zk, uint32_t ttl)
{
    if (node_find_rrset(apex, LDNS_RR_TYPE_CDS) || node_find_rrset(apex, LDNS_RR_TYPE_CDNSKEY))
        return;
    bool have_ksk = ldns_key_list_key_count(zk->ksk) != 0;
    ldns_rr_list *cds = ldns_rr_list_new(), *cdnskey = ldns_rr_list_new();
    for (size_t i = 0; i < ldns_rr_list_rr_count(zk->dnskeys); i++) {
        const ldns_rr *k = ldns_rr_list_rr(zk->dnskeys, i);
        if (have_ksk && !(ldns_rdf2native_int16(ldns_rr_rdf(k, 0)) & LDNS_KEY_SEP_KEY))
            continue;
        ldns_rr *ds = ldns_key_rr2ds(k, LDNS_SHA256);
        if (ds) {
            ldns_rr_set_type(ds, LDNS_RR_TYPE_CDS);
            ldns_rr_list_push_rr(cds, ds);
        }
        ldns_rr *c = ldns_rr_clone(k);
        ldns_rr_set_type(c, LDNS_RR_TYPE_CDNSKEY);
        ldns_rr_list_push_rr(cdnskey, c);
    }
    if (ldns_rr_list_rr_count(cds))
        node_append(apex, rrset_from_list(a, cds, LDNS_RR_TYPE_CDS, ttl));
    if (ldns_rr_list_rr_count(cdnskey))
        node_append(apex, rrset_from_list(a, cdnskey, LDNS_RR_TYPE_CDNSKEY, ttl));
    ldns_rr_list_deep_free(cds);
    ldns_rr_list_deep_free(cdnskey);
}

int
dnssec_zone_sign(struct arena *a, struct zone *z, const struct dnssec_keys *k,
                 struct config_errors *errs)
{
    struct zone_keys *zk = keys_for(k, z->apex, z->apex_len);
    if (!zk)
        return 0;
    zk->used = true;
    for (uint32_t i = 0; i <= z->mask; i++) {
        const struct zone_node *n = z->table[i];
        for (const struct rrset *r = n ? n->rrsets : NULL; r; r = r->next)
            if (is_dnssec_type(r->type)) {
                char name[DNAME_MAXLEN * 4 + 8];
                config_error(errs, z->file, 0,
                             "%s has %s records: gtmd signs this zone with the keys in %s and "
                             "makes them itself",
                             dname_to_text(n->name, name, sizeof name),
                             ldns_rr_descript(r->type) ? ldns_rr_descript(r->type)->_name : "?",
                             zk->file);
                return GTM_ECONFIG;
            }
    }
    time_t now = time(NULL);
    keys_set_time(zk, now);

    /* DNSKEY (the .key files) and NSEC3PARAM (RFC 9276: 1 0 0 -) at the apex. */
    struct zone_node *apex = (struct zone_node *)z->apex_node;
    uint32_t ttl = UINT32_MAX;
    for (size_t i = 0; i < ldns_rr_list_rr_count(zk->dnskeys); i++)
        if (ldns_rr_ttl(ldns_rr_list_rr(zk->dnskeys, i)) < ttl)
            ttl = ldns_rr_ttl(ldns_rr_list_rr(zk->dnskeys, i));
    node_append(apex, rrset_from_list(a, zk->dnskeys, LDNS_RR_TYPE_DNSKEY, ttl));
    publish_cds(a, apex, zk, ttl);
    static const uint8_t param[] = {0, 5, 1, 0, 0, 0, 0};
    struct rrset *p = arena_alloc(a, sizeof *p);
    p->type = LDNS_RR_TYPE_NSEC3PARAM;
    p->count = 1;
    p->ttl = 0;
    p->wire_len = sizeof param;
    p->wire = param;
    rrset_prepare(a, p);
    node_append(apex, p);

    /* Every RRset a positive answer can hold: not NS at a delegation, not
     * below one (glue); DS at one is the parent's and signed. */
    unsigned nsig = 0;
    for (uint32_t i = 0; i <= z->mask; i++) {
        const struct zone_node *n = z->table[i];
        if (!n || !authoritative(n))
            continue;
        bool cut = n->cut == n && !(n->flags & NODE_APEX);
        for (const struct rrset *r = n->rrsets; r; r = r->next) {
            if (cut && r->type != LDNS_RR_TYPE_DS)
                continue;
            const struct rrset *sig = sign(a, n->name, n->name_len, r, zk);
            if (!sig) {
                config_error(errs, zk->file, 0, "cannot sign the zone %s", z->file);
                return GTM_ECONFIG;
            }
            ((struct rrset *)r)->rrsig = sig;
            nsig++;
        }
    }
    /* The negative SOA: its own TTL, so its own signature. */
    ((struct rrset *)z->neg_soa)->rrsig = sign(a, z->apex, z->apex_len, z->neg_soa, zk);
    z->keys = zk;
    z->signer =
        (struct rrsig_signer){keys_of(zk, LDNS_RR_TYPE_A), zk->apex, zk->apex_len, zk->lifetime};
    z->nsec3 = chain_build(a, z, zk, NULL);
    log_info("dnssec: %s signed: %u RRsets, %u NSEC3 records", z->file, nsig, z->nsec3->n);
    return 0;
}

/* The ALIASes that lead to a profile: its answers under their owners,
 * with their zones' keys (those of a signed zone that names a profile of
 * the domain, signed or not). Returns the number of RRsets signed. */
static unsigned
sign_alias_answers(const struct gtm_snapshot *s, struct arena *a)
{
    unsigned n = 0;
    const struct zone_keys *timed = NULL;
    for (uint32_t i = 0; i < s->nprofiles; i++) {
        const struct profile *p = s->profiles[i];
        for (uint32_t k = 0; k < p->naliases; k++) {
            const struct alias_answers *aa = p->aliases[k];
            const struct zone_keys *ak = aa->alias->node->zone->keys;
            if (!ak)
                continue;
            if (ak != timed) {
                keys_set_time(ak, time(NULL));
                timed = ak;
            }
            for (uint32_t j = 0; j <= aa->mask; j++)
                if (aa->slot[j].from)
                    n += alias_sign_pair(a, aa->alias, aa->slot[j].a, aa->slot[j].aaaa, ak);
        }
    }
    return n;
}

void
dnssec_snapshot_sign(struct gtm_snapshot *s, const struct gtm_snapshot *prev, struct arena *a)
{
    unsigned nalias = sign_alias_answers(s, a);
    struct zone *z = (struct zone *)s->domain;
    if (!z || !z->keys) {
        if (nalias)
            log_debug("dnssec: %u ALIAS answers signed", nalias);
        return;
    }
    const struct zone_keys *zk = z->keys;
    keys_set_time(zk, time(NULL));
    unsigned nsig = 0;
    for (uint32_t i = 0; i < s->nprofiles; i++) {
        const struct profile *p = s->profiles[i];
        if (!p->node || !authoritative(p->node))
            continue;
        for (uint32_t k = 0; k < p->nendpoints; k++) {
            struct rrset *r = (struct rrset *)p->endpoints[k].rrset;
            if (!r || r->rrsig)
                continue;
            r->rrsig = sign(a, p->node->name, p->node->name_len, r, zk);
            nsig++;
        }
        if (has_nested(p))
            nsig += sign_nested(a, s->profiles[i], zk);
    }
    z->nsec3 = chain_build(s->arena, z, zk, prev && prev->domain ? prev->domain->nsec3 : NULL);
    log_debug("dnssec: %u endpoint RRsets, %u ALIAS answers signed", nsig, nalias);
}

void
dnssec_alias_sign(struct arena *a, const struct alias *al)
{
    const struct zone_keys *zk = al->node->zone->keys;
    if (!zk || al->kind != ALIAS_STATIC)
        return;
    keys_set_time(zk, time(NULL));
    alias_sign_pair(a, al, al->a, al->aaaa, zk);
}
