/* test_dnssec.c: DNSSEC (--keys): key files that load and those that are
 * load errors naming the file; the NSEC3 hash against ldns's (RFC 5155
 * Appendix A's salted example, and the RFC 9276 parameters gtmd uses); the
 * chain search; and, over a signed snapshot, what dns_handle puts in the
 * authority section of NXDOMAIN, NODATA and wildcard answers: the closest
 * encloser proof and its parts. Keys are made here with ldns. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <ldns/ldns.h>

#include "dns/handle.h"
#include "dns/query.h"
#include "gtm/nsec3.h"
#include "gtm/profile.h"
#include "gtm/rrsig.h"
#include "gtm/snapshot.h"
#include "profiles/profile.h"
#include "unit.h"
#include "zones/build.h"
#include "zones/dnssec.h"

/* ---- key files ---- */

/* Writes dir/K<zone>+<alg>+<tag>.key/.private for a new key; the stem
 * (without suffix) goes into stem. The .key names owner (zone when NULL). */
static void
make_key(const char *dir, const char *zone, ldns_signing_algorithm alg, bool ksk, const char *owner,
         char *stem, size_t cap)
{
    ldns_key *k = ldns_key_new_frm_algorithm(alg, alg == LDNS_SIGN_RSASHA256 ? 1024 : 256);
    assert_non_null(k);
    ldns_rdf *o = ldns_dname_new_frm_str(owner ? owner : zone);
    ldns_key_set_pubkey_owner(k, o);
    ldns_key_set_flags(k, (uint16_t)(ksk ? 257 : 256));
    ldns_rr *pub = ldns_key2rr(k);
    assert_non_null(pub);
    snprintf(stem, cap, "K%s+%03u+%05u", zone, (unsigned)alg, (unsigned)ldns_calc_keytag(pub));
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.key", dir, stem);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    ldns_rr_print(fp, pub);
    fclose(fp);
    snprintf(path, sizeof path, "%s/%s.private", dir, stem);
    fp = fopen(path, "w");
    assert_non_null(fp);
    ldns_key_print(fp, k);
    fclose(fp);
    ldns_rr_free(pub);
    ldns_key_deep_free(k);
}

/* tmpdir_must: a new directory, or the test stops (so that the compiler,
 * too, knows the name is there). */
static char *
tmpdir_must(void)
{
    char *dir = tmpdir_new();
    if (!dir)
        abort();
    return dir;
}

/* Loads dir; returns the errors' text (empty: it loaded). */
static const char *
load(const char *dir, struct errbuf *eb)
{
    struct config_errors errs = errs_init(eb);
    struct dnssec_keys *k = NULL;
    int rc = dnssec_keys_load(dir, DNSSEC_LIFETIME_DEFAULT, &k, &errs);
    assert_int_equal(rc == 0, eb->n == 0);
    dnssec_keys_free(k);
    return eb->text;
}

static void
test_keys_good(void **state)
{
    (void)state;
    char *dir = tmpdir_must(), stem[256];
    struct errbuf eb;
    make_key(dir, "example.com.", LDNS_SIGN_ECDSAP256SHA256, true, NULL, stem, sizeof stem);
    make_key(dir, "example.com.", LDNS_SIGN_ECDSAP256SHA256, false, NULL, stem, sizeof stem);
    make_key(dir, "example.org.", LDNS_SIGN_ED25519, true, NULL, stem, sizeof stem);
    assert_string_equal(load(dir, &eb), "");
    tmpdir_remove(dir);
    free(dir);
}

static void
test_keys_missing_private(void **state)
{
    (void)state;
    char *dir = tmpdir_must(), stem[256], path[4096], want[9000];
    struct errbuf eb;
    make_key(dir, "example.com.", LDNS_SIGN_ECDSAP256SHA256, true, NULL, stem, sizeof stem);
    snprintf(path, sizeof path, "%s/%s.private", dir, stem);
    unlink(path);
    snprintf(want, sizeof want, "%s: error: missing: %s/%s.key has no private key\n", path, dir,
             stem);
    assert_string_equal(load(dir, &eb), want);
    tmpdir_remove(dir);
    free(dir);
}

static void
test_keys_missing_public(void **state)
{
    (void)state;
    char *dir = tmpdir_must(), stem[256], path[4096];
    struct errbuf eb;
    make_key(dir, "example.com.", LDNS_SIGN_ECDSAP256SHA256, true, NULL, stem, sizeof stem);
    snprintf(path, sizeof path, "%s/%s.key", dir, stem);
    unlink(path);
    const char *t = load(dir, &eb);
    assert_non_null(strstr(t, path));
    assert_non_null(strstr(t, "cannot open key file"));
    tmpdir_remove(dir);
    free(dir);
}

static void
test_keys_unsupported_algorithm(void **state)
{
    (void)state;
    char *dir = tmpdir_must(), stem[256], want[9000];
    struct errbuf eb;
    make_key(dir, "example.com.", LDNS_SIGN_RSASHA256, true, NULL, stem, sizeof stem);
    snprintf(want, sizeof want,
             "%s/%s.private: error: algorithm 8 is not supported (13 ECDSAP256SHA256 and 15 "
             "ED25519 are)\n",
             dir, stem);
    assert_string_equal(load(dir, &eb), want);
    tmpdir_remove(dir);
    free(dir);
}

static void
test_keys_wrong_owner(void **state)
{
    (void)state;
    char *dir = tmpdir_must(), stem[256], want[9000];
    struct errbuf eb;
    make_key(dir, "example.com.", LDNS_SIGN_ECDSAP256SHA256, true, "example.org.", stem,
             sizeof stem);
    snprintf(want, sizeof want,
             "%s/%s.key: error: the key's owner example.org. is not the zone example.com. its "
             "file name gives\n",
             dir, stem);
    assert_string_equal(load(dir, &eb), want);
    tmpdir_remove(dir);
    free(dir);
}

static void
test_keys_halves_disagree(void **state)
{
    (void)state;
    char *dir = tmpdir_must(), a[256], b[256], from[4096], to[4096], want[8400];
    struct errbuf eb;
    make_key(dir, "example.com.", LDNS_SIGN_ECDSAP256SHA256, true, NULL, a, sizeof a);
    make_key(dir, "example.com.", LDNS_SIGN_ECDSAP256SHA256, false, NULL, b, sizeof b);
    snprintf(from, sizeof from, "%s/%s.key", dir, b);
    snprintf(to, sizeof to, "%s/%s.key", dir, a);
    assert_int_equal(rename(from, to), 0); /* a's .key now holds b's public key */
    snprintf(from, sizeof from, "%s/%s.private", dir, b);
    unlink(from);
    snprintf(want, sizeof want, "%s: error: its public key is not the one of %s/%s.private\n", to,
             dir, a);
    assert_string_equal(load(dir, &eb), want);
    tmpdir_remove(dir);
    free(dir);
}

static void
test_keys_garbage(void **state)
{
    (void)state;
    char *dir = tmpdir_new();
    struct errbuf eb;
    free(tmpfile_write(dir, "Kexample.com.+013+00001.private", "not a key\n"));
    free(tmpfile_write(dir, "Kexample.com.+013+00001.key", "not a key\n"));
    const char *t = load(dir, &eb);
    assert_non_null(strstr(t, "Kexample.com.+013+00001.private"));
    assert_non_null(strstr(t, "cannot read private key"));
    tmpdir_remove(dir);
    free(dir);
}

/* ---- the hash ---- */

/* nsec3_hash of text, in base32hex. */
static void
hash_b32(const char *text, const uint8_t *salt, size_t salt_len, unsigned it, char *out)
{
    uint8_t wire[DNAME_MAXLEN], h[NSEC3_HASH_LEN];
    int len = dname_from_text(text, wire);
    assert_true(len > 0);
    nsec3_hash(wire, (size_t)len, salt, salt_len, it, h);
    nsec3_b32(h, out);
    out[NSEC3_B32_LEN] = 0;
}

/* ldns's hash of text: the label of what ldns_nsec3_hash_name returns. */
static void
ldns_b32(const char *text, const uint8_t *salt, uint8_t salt_len, uint16_t it, char *out)
{
    ldns_rdf *name = ldns_dname_new_frm_str(text);
    ldns_rdf *h = ldns_nsec3_hash_name(name, 1, it, salt_len, salt);
    char *s = ldns_rdf2str(h);
    snprintf(out, NSEC3_B32_LEN + 1, "%s", s);
    for (char *p = out; *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    free(s);
    ldns_rdf_deep_free(h);
    ldns_rdf_deep_free(name);
}

static void
test_hash_rfc5155_appendix_a(void **state)
{
    (void)state;
    static const uint8_t salt[] = {0xaa, 0xbb, 0xcc, 0xdd};
    char got[NSEC3_B32_LEN + 1];
    /* RFC 5155 Appendix A: 12 iterations, salt aabbccdd */
    hash_b32("example", salt, 4, 12, got);
    assert_string_equal(got, "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom");
    hash_b32("a.example", salt, 4, 12, got);
    assert_string_equal(got, "35mthgpgcu1qg68fab165klnsnk3dpvl");
    hash_b32("*.w.example", salt, 4, 12, got);
    assert_string_equal(got, "r53bq7cc2uvmubfu5ocmm6pers9tk9en");
}

static void
test_hash_rfc9276_matches_ldns(void **state)
{
    (void)state;
    static const char *const names[] = {"example",          "a.example",   "ai.example",
                                        "x.w.example",      "*.w.example", "xx.example",
                                        "www.example.com.", "example.com", "Mixed.Case.Example."};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char got[NSEC3_B32_LEN + 1], want[NSEC3_B32_LEN + 1];
        hash_b32(names[i], NULL, 0, 0, got);
        ldns_b32(names[i], NULL, 0, 0, want);
        assert_string_equal(got, want);
    }
}

static void
test_chain_find(void **state)
{
    (void)state;
    struct nsec3_entry v[3];
    memset(v, 0, sizeof v);
    v[0].hash[0] = 0x10;
    v[1].hash[0] = 0x50;
    v[2].hash[0] = 0x90;
    struct nsec3_chain c = {0, 0, 3, v};
    uint8_t h[NSEC3_HASH_LEN] = {0x50};
    int match = -1;
    assert_ptr_equal(nsec3_find(&c, h, &match), &v[1]);
    assert_int_equal(match, 1);
    h[0] = 0x60;
    assert_ptr_equal(nsec3_find(&c, h, &match), &v[1]);
    assert_int_equal(match, 0);
    h[0] = 0x05; /* before the first: the last covers it (the chain wraps) */
    assert_ptr_equal(nsec3_find(&c, h, &match), &v[2]);
    assert_int_equal(match, 0);
    h[0] = 0xF0;
    assert_ptr_equal(nsec3_find(&c, h, &match), &v[2]);
    assert_int_equal(match, 0);
}

/* ---- proofs in answers ---- */

static const char zone_text[] = "$ORIGIN example.com.\n"
                                "$TTL 3600\n"
                                "@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300\n"
                                "@ NS ns1\n"
                                "ns1 A 192.0.2.1\n"
                                "www A 192.0.2.20\n"
                                "*.wild A 192.0.2.50\n"
                                "host.deep.ent A 192.0.2.60\n"
                                "sub NS ns1.sub\n"
                                "ns1.sub A 192.0.2.53\n";

static struct gtm_snapshot *snap;
static struct dns_view view;
static uint8_t resp[DNS_TCP_MAX];
static char *keydir;

static int
setup_signed(void **state)
{
    (void)state;
    char stem[256];
    keydir = tmpdir_new();
    make_key(keydir, "example.com.", LDNS_SIGN_ECDSAP256SHA256, true, NULL, stem, sizeof stem);
    make_key(keydir, "example.com.", LDNS_SIGN_ECDSAP256SHA256, false, NULL, stem, sizeof stem);
    struct errbuf eb;
    struct config_errors errs = errs_init(&eb);
    struct snapshot_params p = {.domain = "tm.example.net",
                                .demo_zone = zone_text,
                                .demo_origin = "example.com.",
                                .keys_dir = keydir};
    snap = snapshot_load(&p, &errs);
    if (!snap) {
        print_error("%s", eb.text);
        return -1;
    }
    dns_view_init(&view, snap, NULL, NULL, NULL);
    return 0;
}

static int
teardown_signed(void **state)
{
    (void)state;
    snapshot_free(snap);
    tmpdir_remove(keydir);
    free(keydir);
    return 0;
}

/* The response to (name, type) with EDNS and DO as asked, parsed by ldns. */
static ldns_pkt *
ask(const char *name, ldns_rr_type type, bool dnssec)
{
    ldns_pkt *q = NULL;
    assert_int_equal(ldns_pkt_query_new_frm_str(&q, name, type, LDNS_RR_CLASS_IN, 0),
                     LDNS_STATUS_OK);
    ldns_pkt_set_edns_udp_size(q, 1232);
    ldns_pkt_set_edns_do(q, dnssec);
    uint8_t *wire = NULL;
    size_t len = 0;
    assert_int_equal(ldns_pkt2wire(&wire, q, &len), LDNS_STATUS_OK);
    ldns_pkt_free(q);
    size_t n = dns_handle(&view, wire, len, DNS_PROTO_UDP, resp, sizeof resp);
    free(wire);
    assert_true(n > 0);
    ldns_pkt *r = NULL;
    assert_int_equal(ldns_wire2pkt(&r, resp, n), LDNS_STATUS_OK);
    return r;
}

/* The hash of name (text) and the NSEC3s of r's authority section. */
static void
hash_of(const char *text, uint8_t h[NSEC3_HASH_LEN])
{
    uint8_t wire[DNAME_MAXLEN];
    int len = dname_from_text(text, wire);
    nsec3_hash(wire, (size_t)len, NULL, 0, 0, h);
}

/* 1: an NSEC3 of the section matches h; 2: one covers it; 0: neither. */
static int
proves(ldns_rr_list *auth, const uint8_t h[NSEC3_HASH_LEN])
{
    char b32[NSEC3_B32_LEN + 1];
    nsec3_b32(h, b32);
    b32[NSEC3_B32_LEN] = 0;
    for (size_t i = 0; i < ldns_rr_list_rr_count(auth); i++) {
        ldns_rr *rr = ldns_rr_list_rr(auth, i);
        if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NSEC3)
            continue;
        const uint8_t *owner = ldns_rdf_data(ldns_rr_owner(rr));
        if (owner[0] == NSEC3_B32_LEN && strncasecmp((const char *)owner + 1, b32, 32) == 0)
            return 1;
    }
    for (size_t i = 0; i < ldns_rr_list_rr_count(auth); i++) {
        ldns_rr *rr = ldns_rr_list_rr(auth, i);
        if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NSEC3)
            continue;
        /* owner's hash < h < next (or the last, wrapping) */
        uint8_t own[NSEC3_HASH_LEN];
        ldns_rdf *label = ldns_dname_label(ldns_rr_owner(rr), 0);
        char *t = ldns_rdf2str(label);
        /* decode base32hex */
        uint64_t acc = 0;
        int bits = 0, o = 0;
        for (int k = 0; k < NSEC3_B32_LEN; k++) {
            char c = t[k];
            int v = c >= '0' && c <= '9' ? c - '0' : (c | 32) - 'a' + 10;
            acc = acc << 5 | (uint64_t)v;
            bits += 5;
            if (bits >= 8) {
                own[o++] = (uint8_t)(acc >> (bits - 8));
                bits -= 8;
            }
        }
        free(t);
        ldns_rdf_deep_free(label);
        const ldns_rdf *next = ldns_rr_rdf(rr, 4);
        const uint8_t *nx = ldns_rdf_data(next) + (ldns_rdf_size(next) == 21 ? 1 : 0);
        bool after = memcmp(own, h, NSEC3_HASH_LEN) < 0, before = memcmp(h, nx, NSEC3_HASH_LEN) < 0;
        bool wraps = memcmp(nx, own, NSEC3_HASH_LEN) <= 0;
        if ((after && before) || (wraps && (after || before)))
            return 2;
    }
    return 0;
}

static unsigned
count_type(ldns_rr_list *l, ldns_rr_type t)
{
    unsigned n = 0;
    for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++)
        n += ldns_rr_get_type(ldns_rr_list_rr(l, i)) == t;
    return n;
}

static void
test_nxdomain_closest_encloser_proof(void **state)
{
    (void)state;
    ldns_pkt *r = ask("a.b.www.example.com.", LDNS_RR_TYPE_A, true);
    assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NXDOMAIN);
    ldns_rr_list *auth = ldns_pkt_authority(r);
    uint8_t h[NSEC3_HASH_LEN];
    hash_of("www.example.com.", h); /* the closest encloser: matched */
    assert_int_equal(proves(auth, h), 1);
    hash_of("b.www.example.com.", h); /* the next closer name: covered */
    assert_int_equal(proves(auth, h), 2);
    hash_of("*.www.example.com.", h); /* no wildcard at the closest encloser */
    assert_int_equal(proves(auth, h), 2);
    assert_int_equal(count_type(auth, LDNS_RR_TYPE_SOA), 1);
    unsigned n3 = count_type(auth, LDNS_RR_TYPE_NSEC3);
    assert_true(n3 >= 2 && n3 <= 3);
    assert_int_equal(count_type(auth, LDNS_RR_TYPE_RRSIG), n3 + 1);
    ldns_pkt_free(r);

    /* without DO: as unsigned */
    r = ask("a.b.www.example.com.", LDNS_RR_TYPE_A, false);
    assert_int_equal(ldns_rr_list_rr_count(ldns_pkt_authority(r)), 1);
    ldns_pkt_free(r);
}

static void
test_nodata_and_ent(void **state)
{
    (void)state;
    uint8_t h[NSEC3_HASH_LEN];
    ldns_pkt *r = ask("www.example.com.", LDNS_RR_TYPE_MX, true);
    assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
    hash_of("www.example.com.", h);
    assert_int_equal(proves(ldns_pkt_authority(r), h), 1);
    assert_int_equal(count_type(ldns_pkt_authority(r), LDNS_RR_TYPE_NSEC3), 1);
    ldns_pkt_free(r);
    r = ask("deep.ent.example.com.", LDNS_RR_TYPE_A, true); /* an empty non-terminal */
    hash_of("deep.ent.example.com.", h);
    assert_int_equal(proves(ldns_pkt_authority(r), h), 1);
    ldns_pkt_free(r);
}

static void
test_wildcard_next_closer(void **state)
{
    (void)state;
    ldns_pkt *r = ask("x.y.wild.example.com.", LDNS_RR_TYPE_A, true);
    assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
    assert_int_equal(count_type(ldns_pkt_answer(r), LDNS_RR_TYPE_A), 1);
    assert_int_equal(count_type(ldns_pkt_answer(r), LDNS_RR_TYPE_RRSIG), 1);
    /* the RRSIG's labels say it came from *.wild.example.com (3 labels) */
    for (size_t i = 0; i < ldns_rr_list_rr_count(ldns_pkt_answer(r)); i++) {
        ldns_rr *rr = ldns_rr_list_rr(ldns_pkt_answer(r), i);
        if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG)
            assert_int_equal(ldns_rdf2native_int8(ldns_rr_rrsig_labels(rr)), 3);
    }
    uint8_t h[NSEC3_HASH_LEN];
    hash_of("y.wild.example.com.", h); /* the next closer name */
    assert_int_equal(proves(ldns_pkt_authority(r), h), 2);
    assert_int_equal(count_type(ldns_pkt_authority(r), LDNS_RR_TYPE_NSEC3), 1);
    ldns_pkt_free(r);
}

static void
test_referral_no_ds(void **state)
{
    (void)state;
    ldns_pkt *r = ask("host.sub.example.com.", LDNS_RR_TYPE_A, true);
    assert_false(ldns_pkt_aa(r));
    uint8_t h[NSEC3_HASH_LEN];
    hash_of("sub.example.com.", h);
    assert_int_equal(proves(ldns_pkt_authority(r), h), 1);
    /* NS of a delegation and glue are not signed */
    assert_int_equal(count_type(ldns_pkt_authority(r), LDNS_RR_TYPE_RRSIG), 1);
    assert_int_equal(count_type(ldns_pkt_additional(r), LDNS_RR_TYPE_RRSIG), 0);
    ldns_pkt_free(r);
}

/* ---- the traffic manager zone, and a change of one profile ---- */

static const char profile_fmt[] =
    "{\"name\":\"%s\",\"properties\":{\"trafficRoutingMethod\":\"Priority\","
    "\"dnsConfig\":{\"relativeName\":\"%s\",\"ttl\":30},"
    "\"monitorConfig\":{\"protocol\":\"TCP\",\"port\":80},\"endpoints\":["
    "{\"name\":\"one\",\"properties\":{\"target\":\"%s\",\"alwaysServe\":\"Enabled\"}}]}}\n";

static void
write_profile(const char *dir, const char *name, const char *target)
{
    char text[1024], file[256];
    snprintf(text, sizeof text, profile_fmt, name, name, target);
    snprintf(file, sizeof file, "%s.json", name);
    free(tmpfile_write(dir, file, text));
}

/* The NSEC3 entry of a name (text) in chain c, or NULL. */
static const struct nsec3_entry *
entry_of(const struct nsec3_chain *c, const char *text)
{
    uint8_t h[NSEC3_HASH_LEN];
    hash_of(text, h);
    int match = 0;
    const struct nsec3_entry *e = nsec3_find(c, h, &match);
    return match ? e : NULL;
}

static void
test_profile_change_signs_only_what_changed(void **state)
{
    (void)state;
    char stem[256];
    char *kdir = tmpdir_new(), *pdir = tmpdir_new();
    make_key(kdir, "tm.example.net.", LDNS_SIGN_ECDSAP256SHA256, true, NULL, stem, sizeof stem);
    for (int i = 0; i < 20; i++) {
        char name[16], addr[32];
        snprintf(name, sizeof name, "p%02d", i);
        snprintf(addr, sizeof addr, "192.0.2.%d", i + 1);
        write_profile(pdir, name, addr);
    }
    struct errbuf eb;
    struct config_errors errs = errs_init(&eb);
    struct snapshot_params p = {.domain = "tm.example.net", .profiles_dir = pdir, .keys_dir = kdir};
    struct gtm_snapshot *s1 = snapshot_load(&p, &errs);
    assert_non_null(s1);
    const struct nsec3_chain *c1 = s1->domain->nsec3;
    assert_non_null(c1);
    assert_int_equal(c1->n, 21); /* the apex and 20 profiles */
    const struct profile *p05 = snapshot_find_profile(s1, "p05");
    const struct rrset *sig05 = p05->endpoints[0].rrset->rrsig;
    assert_non_null(sig05);

    /* one more profile: its name comes into the chain */
    char text[1024], path[4096];
    snprintf(text, sizeof text, profile_fmt, "new", "new", "192.0.2.99");
    snprintf(path, sizeof path, "%s/new.json", pdir);
    struct profile *np = NULL;
    assert_int_equal(profile_parse_owned(path, text, strlen(text), false, &errs, &np), 0);
    struct gtm_snapshot *s2 = snapshot_change(s1, NULL, np, &errs);
    assert_non_null(s2);
    const struct nsec3_chain *c2 = s2->domain->nsec3;
    assert_int_equal(c2->n, 22);
    assert_non_null(entry_of(c2, "new.tm.example.net."));
    assert_null(entry_of(c1, "new.tm.example.net."));
    assert_non_null(np->endpoints[0].rrset->rrsig);
    /* the others keep their signatures: not made again */
    assert_ptr_equal(snapshot_find_profile(s2, "p05")->endpoints[0].rrset->rrsig, sig05);
    /* every NSEC3 record but the new one and its predecessor (whose next
     * hash changed) is the same record with the same signature (ECDSA
     * signatures made again would differ: they are randomised) */
    unsigned same = 0;
    for (uint32_t i = 0; i < c2->n; i++) {
        int match = 0;
        const struct nsec3_entry *old = nsec3_find(c1, c2->v[i].hash, &match);
        if (match && old->rrset->rrsig->rrs_len == c2->v[i].rrset->rrsig->rrs_len &&
            memcmp(old->rrset->rrsig->rrs, c2->v[i].rrset->rrsig->rrs,
                   old->rrset->rrsig->rrs_len) == 0)
            same++;
    }
    assert_int_equal(same, c2->n - 2);

    /* the new name answers signed, and an absent one is proved absent */
    dns_view_init(&view, s2, NULL, NULL, NULL);
    ldns_pkt *r = ask("new.tm.example.net.", LDNS_RR_TYPE_A, true);
    assert_int_equal(count_type(ldns_pkt_answer(r), LDNS_RR_TYPE_RRSIG), 1);
    ldns_pkt_free(r);
    r = ask("none.tm.example.net.", LDNS_RR_TYPE_A, true);
    assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NXDOMAIN);
    uint8_t h[NSEC3_HASH_LEN];
    hash_of("tm.example.net.", h);
    assert_int_equal(proves(ldns_pkt_authority(r), h), 1);
    hash_of("none.tm.example.net.", h);
    assert_int_equal(proves(ldns_pkt_authority(r), h), 2);
    ldns_pkt_free(r);
    r = ask("new.tm.example.net.", LDNS_RR_TYPE_AAAA, true); /* NODATA at a profile */
    hash_of("new.tm.example.net.", h);
    assert_int_equal(proves(ldns_pkt_authority(r), h), 1);
    ldns_pkt_free(r);

    snapshot_free(s1);
    snapshot_free(s2);
    tmpdir_remove(kdir);
    tmpdir_remove(pdir);
    free(kdir);
    free(pdir);
}

/* ---- rrsig_make: checked by ldns's verifier ---- */

/* rrsig_make's records for owner (text) as an ldns RRSIG list. */
static ldns_rr_list *
sigs_of(const uint8_t *out, size_t len, int count, const char *owner)
{
    ldns_rr_list *l = ldns_rr_list_new();
    size_t o = 0;
    for (int i = 0; i < count; i++) {
        size_t rdlen = (size_t)(out[o] << 8 | out[o + 1]);
        char text[65536];
        int n = snprintf(text, sizeof text, "%s 60 IN TYPE46 \\# %zu ", owner, rdlen);
        for (size_t k = 0; k < rdlen; k++)
            n += snprintf(text + n, sizeof text - (size_t)n, "%02x", out[o + 2 + k]);
        ldns_rr *rr = NULL;
        assert_int_equal(ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL), LDNS_STATUS_OK);
        ldns_rr_list_push_rr(l, rr);
        o += 2 + rdlen;
    }
    assert_int_equal(o, len);
    return l;
}

static void
test_rrsig_make_verifies(void **state)
{
    (void)state;
    ldns_key *k = ldns_key_new_frm_algorithm(LDNS_SIGN_ECDSAP256SHA256, 256);
    assert_non_null(k);
    ldns_key_set_pubkey_owner(k, ldns_dname_new_frm_str("example.com."));
    ldns_key_set_flags(k, 256);
    ldns_rr *dnskey = ldns_key2rr(k);
    ldns_key_set_keytag(k, ldns_calc_keytag(dnskey));
    ldns_key_list *kl = ldns_key_list_new();
    ldns_key_list_push_key(kl, k);
    ldns_rr_list *keys = ldns_rr_list_new();
    ldns_rr_list_push_rr(keys, dnskey);
    static const uint8_t apex[] = "\7example\3com";
    struct rrsig_signer sg = {(const struct ldns_struct_key_list *)kl, apex, sizeof apex, 3600};

    /* three records given out of order, one twice: signed as the RRset of
     * the three, which ldns verifies however it orders them */
    static const uint8_t a1[] = {192, 0, 2, 1}, a2[] = {192, 0, 2, 2}, a3[] = {10, 0, 0, 9};
    const uint8_t *rd[] = {a2, a1, a3, a2};
    const uint16_t rdlen[] = {4, 4, 4, 4};
    static const uint8_t owner[] = "\2mv\7example\3com";
    uint8_t out[1024];
    size_t len = 0;
    int n = rrsig_make(&sg, owner, sizeof owner, LDNS_RR_TYPE_A, 60, rd, rdlen, 4, time(NULL), out,
                       sizeof out, &len);
    assert_int_equal(n, 1);
    ldns_rr_list *sigs = sigs_of(out, len, n, "mv.example.com.");
    ldns_rr_list *set = ldns_rr_list_new();
    const char *recs[] = {"mv.example.com. 60 IN A 10.0.0.9", "mv.example.com. 60 IN A 192.0.2.1",
                          "mv.example.com. 60 IN A 192.0.2.2"};
    for (int i = 0; i < 3; i++) {
        ldns_rr *rr = NULL;
        assert_int_equal(ldns_rr_new_frm_str(&rr, recs[i], 0, NULL, NULL), LDNS_STATUS_OK);
        ldns_rr_list_push_rr(set, rr);
    }
    ldns_rr_list *good = ldns_rr_list_new();
    assert_int_equal(ldns_verify(set, sigs, keys, good), LDNS_STATUS_OK);
    assert_int_equal(ldns_rdf2native_int8(ldns_rr_rrsig_labels(ldns_rr_list_rr(sigs, 0))), 3);
    /* one record less: the signature does not cover it */
    ldns_rr_free(ldns_rr_list_pop_rr(set));
    assert_int_not_equal(ldns_verify(set, sigs, keys, good), LDNS_STATUS_OK);
    ldns_rr_list_deep_free(sigs);
    ldns_rr_list_deep_free(set);

    /* a wildcard owner: its "*" is not counted, the answer's name verifies */
    static const uint8_t wild[] = "\1*\7example\3com";
    n = rrsig_make(&sg, wild, sizeof wild, LDNS_RR_TYPE_A, 60, rd, rdlen, 1, time(NULL), out,
                   sizeof out, &len);
    assert_int_equal(n, 1);
    sigs = sigs_of(out, len, n, "x.example.com.");
    assert_int_equal(ldns_rdf2native_int8(ldns_rr_rrsig_labels(ldns_rr_list_rr(sigs, 0))), 2);
    set = ldns_rr_list_new();
    ldns_rr *rr = NULL;
    assert_int_equal(ldns_rr_new_frm_str(&rr, "x.example.com. 60 IN A 192.0.2.2", 0, NULL, NULL),
                     LDNS_STATUS_OK);
    ldns_rr_list_push_rr(set, rr);
    assert_int_equal(ldns_verify(set, sigs, keys, good), LDNS_STATUS_OK);

    /* 32 AAAA records under a long owner: more than a kilobyte signed */
    uint8_t v6[32][16];
    const uint8_t *rd6[32];
    uint16_t len6[32];
    for (int i = 0; i < 32; i++) {
        memset(v6[i], 0x20, 16);
        v6[i][15] = (uint8_t)i;
        rd6[i] = v6[i];
        len6[i] = 16;
    }
    uint8_t longname[200];
    size_t ln = 0;
    for (int i = 0; i < 3; i++) {
        longname[ln++] = 60;
        memset(longname + ln, 'a' + i, 60);
        ln += 60;
    }
    memcpy(longname + ln, apex, sizeof apex);
    ln += sizeof apex;
    n = rrsig_make(&sg, longname, ln, LDNS_RR_TYPE_AAAA, 60, rd6, len6, 32, time(NULL), out,
                   sizeof out, &len);
    assert_int_equal(n, 1);

    /* out of range, no room */
    assert_int_equal(rrsig_make(&sg, owner, sizeof owner, LDNS_RR_TYPE_A, 60, rd, rdlen, 0,
                                time(NULL), out, sizeof out, &len),
                     -1);
    assert_int_equal(rrsig_make(&sg, owner, sizeof owner, LDNS_RR_TYPE_A, 60, rd, rdlen, 2,
                                time(NULL), out, 20, &len),
                     -1);
    ldns_rr_list_deep_free(sigs);
    ldns_rr_list_deep_free(set);
    ldns_rr_list_free(good);
    ldns_rr_list_deep_free(keys);
    ldns_key_list_free(kl); /* and its key */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_good),
        cmocka_unit_test(test_keys_missing_private),
        cmocka_unit_test(test_keys_missing_public),
        cmocka_unit_test(test_keys_unsupported_algorithm),
        cmocka_unit_test(test_keys_wrong_owner),
        cmocka_unit_test(test_keys_halves_disagree),
        cmocka_unit_test(test_keys_garbage),
        cmocka_unit_test(test_hash_rfc5155_appendix_a),
        cmocka_unit_test(test_hash_rfc9276_matches_ldns),
        cmocka_unit_test(test_chain_find),
        cmocka_unit_test_setup_teardown(test_nxdomain_closest_encloser_proof, setup_signed,
                                        teardown_signed),
        cmocka_unit_test_setup_teardown(test_nodata_and_ent, setup_signed, teardown_signed),
        cmocka_unit_test_setup_teardown(test_wildcard_next_closer, setup_signed, teardown_signed),
        cmocka_unit_test_setup_teardown(test_referral_no_ds, setup_signed, teardown_signed),
        cmocka_unit_test(test_profile_change_signs_only_what_changed),
        cmocka_unit_test(test_rrsig_make_verifies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
