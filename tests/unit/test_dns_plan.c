/* test_dns_plan.c: plan_query over snapshots of several zone files. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <ldns/ldns.h>

#include "gtm/dname.h"
#include "gtm/snapshot.h"
#include "policy/policy.h"
#include "dns/plan.h"
#include "unit.h"
#include "zones/build.h"

#define SOA(origin) "@ IN SOA ns1." origin " hostmaster." origin " 1 7200 3600 1209600 300\n"

/* example.com delegates child.example.com, which is loaded too; other.net
 * is reached through a CNAME; loop.example.com points at itself in two hops. */
static const char zone_parent[] =
    "$ORIGIN example.com.\n"
    "$TTL 3600\n" SOA("example.com.") "@ NS ns1\n"
                                      "ns1 A 192.0.2.1\n"
                                      "www A 192.0.2.20\n"
                                      "www TXT \"www\"\n"
                                      "* A 192.0.2.99\n"
                                      "child NS ns.child\n"
                                      "ns.child A 192.0.2.53\n"
                                      "gone NS ns.gone\n"
                                      "ns.gone A 192.0.2.54\n"
                                      "host.deep.ent A 192.0.2.60\n"
                                      "a CNAME b\n"
                                      "b CNAME a\n"
                                      "c0 CNAME c1\n"
                                      "c1 CNAME c2\n"
                                      "c2 CNAME c3\n"
                                      "c3 CNAME c4\n"
                                      "c4 CNAME c5\n"
                                      "c5 CNAME c6\n"
                                      "c6 CNAME c7\n"
                                      "c7 CNAME c8\n"
                                      "c8 CNAME c9\n"
                                      "c9 A 192.0.2.9\n"
                                      "to-other CNAME www.other.net.\n"
                                      "to-child CNAME www.child.example.com.\n"
                                      "to-gone CNAME x.gone.example.com.\n"
                                      "to-nowhere CNAME www.example.org.\n"
                                      "to-wild CNAME foo.wild.example.com.\n"
                                      "to-nx CNAME nx.child.example.com.\n"
                                      "*.wild CNAME www\n";

static const char zone_child[] = "$TTL 60\n" SOA("child.example.com.") "@ NS ns\n"
                                                                       "ns A 192.0.2.53\n"
                                                                       "www A 198.51.100.1\n";

static const char zone_other[] = "$TTL 120\n" SOA("other.net.") "@ NS ns1.example.com.\n"
                                                                "www AAAA 2001:db8::1\n"
                                                                "www A 203.0.113.1\n";

static char *dir;
static struct gtm_snapshot *snap;

static int
setup(void **state)
{
    (void)state;
    dir = tmpdir_new();
    if (!dir)
        return -1;
    free(tmpfile_write(dir, "example.com.zone", zone_parent));
    free(tmpfile_write(dir, "child.example.com.zone", zone_child));
    free(tmpfile_write(dir, "other.net.zone", zone_other));
    struct errbuf eb;
    struct config_errors errs = errs_init(&eb);
    struct snapshot_params p = {.zones_dir = dir, .domain = "tm.example.net"};
    snap = snapshot_load(&p, &errs);
    if (!snap) {
        print_error("%s", eb.text);
        return -1;
    }
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    snapshot_free(snap);
    tmpdir_remove(dir);
    free(dir);
    return 0;
}

/* The lookup under test, with the name as text. */
static uint8_t qname[DNAME_MAXLEN];

static int
lookup(const struct gtm_snapshot *s, const char *name, uint16_t qtype, struct plan *r)
{
    int len = dname_from_text(name, qname);
    assert_true(len > 0);
    memset(r, 0x5A, sizeof *r);
    /* Static zones need no policy; a client and PRNG as a worker has them. */
    static uint64_t rng = 1;
    static const struct policy_client client = {0, 0, {0}};
    struct policy_ctx pc = {.health = s->health, .rng = &rng, .client = &client, .qtype = qtype};
    return plan_query(s, &pc, qname, (uint8_t)len, dname_hash(qname, (size_t)len), qtype, r);
}

static const char *
text(const uint8_t *name)
{
    static char buf[4][DNAME_MAXLEN * 4 + 2];
    static int i;
    i = (i + 1) % 4;
    return dname_to_text(name, buf[i], sizeof buf[i]);
}

/* The owner of a section entry, as text. */
static const char *
ref_owner(const struct rr_ref *ref)
{
    return text(ref->owner);
}

static void
test_zone_selection_nested(void **state)
{
    (void)state;
    struct plan r;
    /* The parent delegates child, but the child zone is loaded: it answers. */
    assert_int_equal(lookup(snap, "www.child.example.com", LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_int_equal(r.rcode, 0);
    assert_true(r.aa);
    assert_int_equal(r.nan, 1);
    assert_int_equal(r.nns, 0);
    assert_int_equal(r.an[0].rrset->type, LDNS_RR_TYPE_A);
    assert_int_equal(r.an[0].rrset->ttl, 60);

    assert_int_equal(lookup(snap, "child.example.com", LDNS_RR_TYPE_SOA, &r), PLAN_ANSWER);
    assert_true(r.aa);
    assert_int_equal(r.nan, 1);
    assert_int_equal(r.an[0].rrset->type, LDNS_RR_TYPE_SOA);

    assert_int_equal(lookup(snap, "child.example.com", LDNS_RR_TYPE_NS, &r), PLAN_ANSWER);
    assert_true(r.aa);
    assert_int_equal(r.nan, 1);
    assert_int_equal(r.nns, 0);

    /* The child's NXDOMAIN carries the child's SOA. */
    assert_int_equal(lookup(snap, "nope.child.example.com", LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_int_equal(r.rcode, LDNS_RCODE_NXDOMAIN);
    assert_true(r.aa);
    assert_int_equal(r.nns, 1);
    assert_string_equal(ref_owner(&r.ns[0]), "child.example.com.");
    assert_int_equal(r.ns[0].rrset->ttl, 60);

    /* Without the child zone loaded the parent refers. */
    assert_int_equal(lookup(snap, "www.gone.example.com", LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_false(r.aa);
    assert_int_equal(r.nan, 0);
    assert_int_equal(r.nns, 1);
    assert_int_equal(r.ns[0].rrset->type, LDNS_RR_TYPE_NS);
    assert_string_equal(ref_owner(&r.ns[0]), "gone.example.com.");
    assert_int_equal(r.nar, 1);
    assert_string_equal(ref_owner(&r.ar[0]), "ns.gone.example.com.");

    assert_int_equal(lookup(snap, "www.example.org", LDNS_RR_TYPE_A, &r), PLAN_REFUSED);
    assert_int_equal(lookup(snap, "com", LDNS_RR_TYPE_A, &r), PLAN_REFUSED);
    assert_int_equal(lookup(snap, ".", LDNS_RR_TYPE_NS, &r), PLAN_REFUSED);
    assert_int_equal(lookup(snap, "net", LDNS_RR_TYPE_NS, &r), PLAN_REFUSED);
}

static void
test_ent_nodata(void **state)
{
    (void)state;
    struct plan r;
    static const char *const ents[] = {"deep.ent.example.com", "ent.example.com"};
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(lookup(snap, ents[i], LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
        assert_int_equal(r.rcode, 0);
        assert_true(r.aa);
        assert_int_equal(r.nan, 0);
        assert_int_equal(r.nns, 1);
        assert_int_equal(r.ns[0].rrset->type, LDNS_RR_TYPE_SOA);
        assert_int_equal(r.ns[0].rrset->ttl, 300);
        assert_string_equal(ref_owner(&r.ns[0]), "example.com.");
    }
    /* ... and the wildcard does not cover an empty non-terminal. */
    assert_int_equal(lookup(snap, "ent.example.com", LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_int_equal(r.nan, 0);
}

static void
test_wildcard_scope(void **state)
{
    (void)state;
    struct plan r;
    /* A name that does not exist: synthesised from *.example.com. */
    assert_int_equal(lookup(snap, "nothing.example.com", LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_int_equal(r.rcode, 0);
    assert_int_equal(r.nan, 1);
    assert_ptr_equal(r.an[0].owner, qname);
    assert_int_equal(r.an[0].rrset->type, LDNS_RR_TYPE_A);
    assert_int_equal(r.an[0].rrset->wire[5], 99);

    /* Several labels below the apex: still the closest encloser's wildcard. */
    assert_int_equal(lookup(snap, "x.y.z.example.com", LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_int_equal(r.nan, 1);

    /* An existing name: its own data or NODATA, never the wildcard. */
    assert_int_equal(lookup(snap, "www.example.com", LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_int_equal(r.an[0].rrset->wire[5], 20);
    assert_int_equal(lookup(snap, "www.example.com", LDNS_RR_TYPE_MX, &r), PLAN_ANSWER);
    assert_int_equal(r.rcode, 0);
    assert_int_equal(r.nan, 0);
    assert_int_equal(r.nns, 1);

    /* Below an existing name: its closest encloser is www, which has no *. */
    assert_int_equal(lookup(snap, "x.www.example.com", LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_int_equal(r.rcode, LDNS_RCODE_NXDOMAIN);
    assert_int_equal(r.nan, 0);
    assert_int_equal(r.nns, 1);
    assert_int_equal(lookup(snap, "x.host.deep.ent.example.com", LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_int_equal(r.rcode, LDNS_RCODE_NXDOMAIN);
    /* Below an empty non-terminal: also not the apex wildcard. */
    assert_int_equal(lookup(snap, "x.ent.example.com", LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_int_equal(r.rcode, LDNS_RCODE_NXDOMAIN);

    /* The wildcard name itself is an ordinary name. */
    assert_int_equal(lookup(snap, "*.example.com", LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_int_equal(r.nan, 1);
    assert_int_equal(r.an[0].rrset->wire[5], 99);

    /* A wildcard CNAME is followed from the synthesised name. */
    assert_int_equal(lookup(snap, "q.wild.example.com", LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_int_equal(r.nan, 2);
    assert_string_equal(ref_owner(&r.an[0]), "q.wild.example.com.");
    assert_int_equal(r.an[0].rrset->type, LDNS_RR_TYPE_CNAME);
    assert_string_equal(ref_owner(&r.an[1]), "www.example.com.");
}

static void
test_cname_loop(void **state)
{
    (void)state;
    struct plan r;
    assert_int_equal(lookup(snap, "a.example.com", LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_int_equal(r.rcode, 0);
    assert_true(r.aa);
    assert_int_equal(r.nan, PLAN_MAX_CNAMES);
    for (unsigned i = 0; i < r.nan; i++) {
        assert_int_equal(r.an[i].rrset->type, LDNS_RR_TYPE_CNAME);
        assert_string_equal(ref_owner(&r.an[i]), i % 2 ? "b.example.com." : "a.example.com.");
    }
    assert_int_equal(r.nns, 0);

    /* A chain of 9 CNAMEs then an A: cut after PLAN_MAX_CNAMES. */
    assert_int_equal(lookup(snap, "c0.example.com", LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_int_equal(r.nan, PLAN_MAX_CNAMES);
    assert_string_equal(ref_owner(&r.an[PLAN_MAX_CNAMES - 1]), "c7.example.com.");

    /* Chains that fit are followed to the end. */
    assert_int_equal(lookup(snap, "c3.example.com", LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_int_equal(r.nan, 7);
    assert_int_equal(r.an[6].rrset->type, LDNS_RR_TYPE_A);
}

static void
test_cname_across_zones(void **state)
{
    (void)state;
    struct plan r;
    assert_int_equal(lookup(snap, "to-other.example.com", LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_int_equal(r.rcode, 0);
    assert_true(r.aa);
    assert_int_equal(r.nan, 2);
    assert_int_equal(r.an[0].rrset->type, LDNS_RR_TYPE_CNAME);
    assert_string_equal(ref_owner(&r.an[1]), "www.other.net.");
    assert_int_equal(r.an[1].rrset->type, LDNS_RR_TYPE_A);
    assert_int_equal(r.an[1].rrset->ttl, 120);

    /* Into the child zone, which the parent delegates. */
    assert_int_equal(lookup(snap, "to-child.example.com", LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_int_equal(r.nan, 2);
    assert_int_equal(r.an[1].rrset->ttl, 60);

    /* Into a delegation we do not serve: the CNAME alone, AA, no referral. */
    assert_int_equal(lookup(snap, "to-gone.example.com", LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_true(r.aa);
    assert_int_equal(r.rcode, 0);
    assert_int_equal(r.nan, 1);
    assert_int_equal(r.nns, 0);
    assert_int_equal(r.nar, 0);

    /* Out of our zones. */
    assert_int_equal(lookup(snap, "to-nowhere.example.com", LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_true(r.aa);
    assert_int_equal(r.nan, 1);
    assert_int_equal(r.nns, 0);

    /* Through a wildcard CNAME. */
    assert_int_equal(lookup(snap, "to-wild.example.com", LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_int_equal(r.nan, 3);
    assert_int_equal(r.an[2].rrset->type, LDNS_RR_TYPE_A);

    /* NXDOMAIN at the end of a chain: the rcode of the last name (RFC 6604),
     * with the SOA of the zone that said so. */
    assert_int_equal(lookup(snap, "to-nx.example.com", LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_int_equal(r.rcode, LDNS_RCODE_NXDOMAIN);
    assert_true(r.aa);
    assert_int_equal(r.nan, 1);
    assert_int_equal(r.nns, 1);
    assert_string_equal(ref_owner(&r.ns[0]), "child.example.com.");
}

static void
test_domain_synth(void **state)
{
    (void)state;
    struct plan r;
    time_t before = time(NULL);
    struct errbuf eb;
    struct config_errors errs = errs_init(&eb);
    struct snapshot_params p = {.domain = "tm.example.net."};
    struct gtm_snapshot *s = snapshot_load(&p, &errs);
    time_t after = time(NULL);
    assert_non_null(s);
    assert_int_equal(errs.count, 0);
    assert_int_equal(s->nzones, 1);

    assert_int_equal(lookup(s, "tm.example.net", LDNS_RR_TYPE_SOA, &r), PLAN_ANSWER);
    assert_true(r.aa);
    assert_int_equal(r.nan, 1);
    const struct rrset *soa = r.an[0].rrset;
    assert_int_equal(soa->type, LDNS_RR_TYPE_SOA);
    assert_int_equal(soa->ttl, 30);
    assert_int_equal(soa->count, 1);
    /* RDATA: ns1.tm.example.net. hostmaster.tm.example.net. SERIAL 900 300 2419200 30 */
    static const uint8_t names[] = "\3ns1\2tm\7example\3net\0\12hostmaster\2tm\7example\3net";
    size_t nl = sizeof names; /* the final root byte is the string's NUL */
    assert_int_equal(soa->wire_len, 2 + nl + 20);
    assert_int_equal(soa->wire[0] << 8 | soa->wire[1], nl + 20);
    assert_memory_equal(soa->wire + 2, names, nl);
    const uint8_t *t = soa->wire + 2 + nl;
    uint32_t v[5];
    for (int i = 0; i < 5; i++)
        v[i] = (uint32_t)t[4 * i] << 24 | (uint32_t)t[4 * i + 1] << 16 |
               (uint32_t)t[4 * i + 2] << 8 | t[4 * i + 3];
    assert_in_range(v[0], (uint32_t)before, (uint32_t)after);
    assert_int_equal(v[0], (uint32_t)s->loaded);
    assert_int_equal(v[1], 900);
    assert_int_equal(v[2], 300);
    assert_int_equal(v[3], 2419200);
    assert_int_equal(v[4], 30);

    assert_int_equal(lookup(s, "tm.example.net", LDNS_RR_TYPE_NS, &r), PLAN_ANSWER);
    assert_int_equal(r.nan, 1);
    assert_int_equal(r.an[0].rrset->ttl, 3600);
    static const uint8_t ns1[] = "\0\024\3ns1\2tm\7example\3net";
    assert_int_equal(r.an[0].rrset->wire_len, sizeof ns1);
    assert_memory_equal(r.an[0].rrset->wire, ns1, sizeof ns1);

    /* Names below: NXDOMAIN with SOA TTL min(30, 30). */
    assert_int_equal(lookup(s, "profile.tm.example.net", LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_int_equal(r.rcode, LDNS_RCODE_NXDOMAIN);
    assert_int_equal(r.nns, 1);
    assert_int_equal(r.ns[0].rrset->ttl, 30);
    assert_int_equal(lookup(s, "tm.example.net", LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_int_equal(r.rcode, 0);
    assert_int_equal(r.nan, 0);
    assert_int_equal(lookup(s, "example.net", LDNS_RR_TYPE_A, &r), PLAN_REFUSED);
    snapshot_free(s);

    /* The domain as written in any case is found in lowercase. */
    p.domain = "Tm.Example.NET";
    s = snapshot_load(&p, &errs);
    assert_non_null(s);
    assert_int_equal(lookup(s, "tm.example.net", LDNS_RR_TYPE_SOA, &r), PLAN_ANSWER);
    assert_int_equal(r.nan, 1);
    snapshot_free(s);

    /* An invalid domain is a configuration error. */
    p.domain = "a..b";
    assert_null(snapshot_load(&p, &errs));
    assert_string_equal(eb.text, "--domain: error: 'a..b' is not a valid domain name\n");
}

static void
test_domain_from_file(void **state)
{
    (void)state;
    /* A zone file for the --domain apex replaces the synthesised one. */
    struct plan r;
    struct errbuf eb;
    struct config_errors errs = errs_init(&eb);
    struct snapshot_params p = {.zones_dir = dir, .domain = "other.net"};
    struct gtm_snapshot *s = snapshot_load(&p, &errs);
    assert_non_null(s);
    assert_int_equal(s->nzones, 3);
    assert_int_equal(lookup(s, "other.net", LDNS_RR_TYPE_SOA, &r), PLAN_ANSWER);
    assert_int_equal(r.nan, 1);
    assert_int_equal(r.an[0].rrset->ttl, 120);
    snapshot_free(s);

    /* The default snapshot: 3 files + tm.example.net. */
    assert_int_equal(snap->nzones, 4);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zone_selection_nested), cmocka_unit_test(test_ent_nodata),
        cmocka_unit_test(test_wildcard_scope),        cmocka_unit_test(test_cname_loop),
        cmocka_unit_test(test_cname_across_zones),    cmocka_unit_test(test_domain_synth),
        cmocka_unit_test(test_domain_from_file),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
