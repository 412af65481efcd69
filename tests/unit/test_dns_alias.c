/* test_dns_alias.c: ALIAS answers through plan_query over a snapshot of
 * zone files and profiles: a profile target (health, ECS scope, nested
 * profiles, endpoints that are names, counters, the trace), a static
 * target, the TTL, the types that answer from the zone, and the RRsets
 * following a change of the profile (snapshot_change). */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <ldns/ldns.h>

#include "dns/plan.h"
#include "gtm/dname.h"
#include "gtm/health.h"
#include "gtm/profile.h"
#include "gtm/snapshot.h"
#include "gtm/stats.h"
#include "policy/policy.h"
#include "profiles/profile.h"
#include "unit.h"
#include "zones/build.h"

#define DOMAIN "tm.example.net"
#define EP     "Microsoft.Network/trafficManagerProfiles/"

#define ENDPOINT(name, target, extra)                                                              \
    "{\"name\":\"" name "\",\"type\":\"" EP "externalEndpoints\","                                 \
    "\"properties\":{\"target\":\"" target "\"" extra "}}"

#define NESTED(name, child)                                                                        \
    "{\"name\":\"" name "\",\"type\":\"" EP "nestedEndpoints\",\"properties\":"                    \
    "{\"targetResourceId\":\"/subscriptions/s/resourceGroups/rg/providers/"                        \
    "Microsoft.Network/trafficManagerProfiles/" child "\"}}"

#define PROFILE(name, status, method, ttl, endpoints)                                              \
    "{\"name\":\"" name "\",\"type\":\"Microsoft.Network/trafficManagerProfiles\","                \
    "\"location\":\"global\",\"properties\":{\"profileStatus\":\"" status "\","                    \
    "\"trafficRoutingMethod\":\"" method "\","                                                     \
    "\"dnsConfig\":{\"relativeName\":\"" name "\",\"ttl\":" ttl "},"                               \
    "\"monitorConfig\":{\"protocol\":\"HTTP\",\"port\":80,\"path\":\"/\"},"                        \
    "\"endpoints\":[" endpoints "]}}"

static const struct {
    const char *file, *text;
} profiles[] = {
    {"app.json", PROFILE("app", "Enabled", "Priority", "42",
                         ENDPOINT("primary", "192.0.2.1", ",\"priority\":1") "," ENDPOINT(
                             "secondary", "192.0.2.2", ",\"priority\":2"))},
    {"app6.json", PROFILE("app6", "Enabled", "Priority", "900", ENDPOINT("v6", "2001:db8::1", ""))},
    {"sub.json",
     PROFILE(
         "sub", "Enabled", "Subnet", "60",
         ENDPOINT("office", "192.0.2.10",
                  ",\"subnets\":[{\"first\":\"10.1.0.0\",\"scope\":16}]") "," ENDPOINT("rest",
                                                                                       "192.0.2.11",
                                                                                       ""))},
    {"web.json", PROFILE("web", "Enabled", "Priority", "60",
                         ENDPOINT("outside", "web1.example.org", ",\"priority\":1") "," ENDPOINT(
                             "inside", "host.example.com", ",\"priority\":2"))},
    {"inner.json", PROFILE("inner", "Enabled", "Priority", "20", ENDPOINT("i1", "192.0.2.30", ""))},
    {"outer.json", PROFILE("outer", "Enabled", "Priority", "50", NESTED("to-inner", "inner"))},
    {"off.json", PROFILE("off", "Disabled", "Priority", "42", ENDPOINT("only", "192.0.2.9", ""))},
};

static const char example_zone[] = "$ORIGIN example.com.\n"
                                   "$TTL 3600\n"
                                   "@ SOA ns1 hostmaster 2026 7200 3600 1209600 300\n"
                                   "@ NS ns1\n"
                                   "@ 600 ALIAS app." DOMAIN ".\n"
                                   "@ MX 10 mail\n"
                                   "@ TXT \"apex\"\n"
                                   "ns1 A 192.0.2.53\n"
                                   "mail A 192.0.2.25\n"
                                   "host A 198.51.100.7\n"
                                   "www A 192.0.2.20\n"
                                   "www AAAA 2001:db8::20\n"
                                   "static 120 ALIAS www\n"
                                   "v6 300 ALIAS app6." DOMAIN ".\n"
                                   "sub ALIAS sub." DOMAIN ".\n"
                                   "web ALIAS web." DOMAIN ".\n"
                                   "nest ALIAS outer." DOMAIN ".\n"
                                   "off ALIAS off." DOMAIN ".\n"
                                   "to-apex CNAME @\n"
                                   "via 30 CNAME app." DOMAIN ".\n"
                                   "v ALIAS via\n"
                                   "*.wild ALIAS www\n"
                                   "only ALIAS app." DOMAIN ".\n";

/* The --domain zone's own file: an ALIAS there too. */
static const char domain_zone[] = "$TTL 300\n"
                                  "@ SOA ns1 hostmaster 1 900 300 2419200 30\n"
                                  "@ NS ns1\n"
                                  "ns1 A 192.0.2.53\n"
                                  "front ALIAS app." DOMAIN ".\n";

static char *prof_dir, *zone_dir;

/* load: a new snapshot of the files (a test that changes it loads its own). */
static struct gtm_snapshot *
load(void)
{
    struct errbuf eb;
    struct config_errors errs = errs_init(&eb);
    struct snapshot_params p = {.zones_dir = zone_dir,
                                .profiles_dir = prof_dir,
                                .profiles_must_exist = true,
                                .domain = DOMAIN,
                                .nworkers = 1};
    struct gtm_snapshot *s = snapshot_load(&p, &errs);
    if (!s)
        print_error("%s", eb.text);
    return s;
}

static struct gtm_snapshot *snap;

static int
setup(void **state)
{
    (void)state;
    prof_dir = tmpdir_new();
    zone_dir = tmpdir_new();
    if (!prof_dir || !zone_dir)
        return -1;
    for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++)
        free(tmpfile_write(prof_dir, profiles[i].file, profiles[i].text));
    free(tmpfile_write(zone_dir, "example.com.zone", example_zone));
    free(tmpfile_write(zone_dir, DOMAIN ".zone", domain_zone));
    snap = load();
    return snap ? 0 : -1;
}

static int
teardown(void **state)
{
    (void)state;
    snapshot_free(snap);
    tmpdir_remove(prof_dir);
    tmpdir_remove(zone_dir);
    free(prof_dir);
    free(zone_dir);
    return 0;
}

/* ---- asking ---- */

static uint8_t qname[DNAME_MAXLEN];
static struct policy_client client;
static _Atomic uint64_t *counters; /* the one worker row of the snapshot asked */

static int
ask_traced(const struct gtm_snapshot *s, const char *name, uint16_t qtype, struct plan *r,
           struct dns_trace *trace)
{
    int len = dname_from_text(name, qname);
    assert_true(len > 0);
    memset(r, 0x5A, sizeof *r);
    static uint64_t rng = 1;
    counters = snapshot_stats_row(s, 0);
    struct policy_ctx pc = {
        .health = s->health, .rng = &rng, .client = &client, .qtype = qtype, .stats = counters};
    uint32_t h = dname_hash(qname, (size_t)len);
    return trace ? plan_query_traced(s, &pc, qname, (uint8_t)len, h, qtype, r, trace)
                 : plan_query(s, &pc, qname, (uint8_t)len, h, qtype, r);
}

static int
ask(const struct gtm_snapshot *s, const char *name, uint16_t qtype, struct plan *r)
{
    return ask_traced(s, name, qtype, r, NULL);
}

static const char *
text(const uint8_t *name)
{
    static char buf[4][DNAME_MAXLEN * 4 + 2];
    static int i;
    i = (i + 1) % 4;
    return dname_to_text(name, buf[i], sizeof buf[i]);
}

/* The address in a one-record A or AAAA RRset. */
static const char *
addr(const struct rrset *set)
{
    static char buf[INET6_ADDRSTRLEN];
    assert_int_equal(set->count, 1);
    int af = set->type == LDNS_RR_TYPE_A ? AF_INET : AF_INET6;
    assert_non_null(inet_ntop(af, set->wire + 2, buf, sizeof buf));
    return buf;
}

/* One answer RRset: its owner (text), type, TTL and address. */
static void
assert_one(const struct plan *r, const char *owner, uint16_t type, uint32_t ttl, const char *a)
{
    assert_int_equal(r->rcode, LDNS_RCODE_NOERROR);
    assert_true(r->aa);
    assert_int_equal(r->nan, 1);
    assert_int_equal(r->nns, 0);
    assert_string_equal(text(r->an[0].owner), owner);
    assert_int_equal(r->an[0].rrset->type, type);
    assert_int_equal(r->an[0].rrset->ttl, ttl);
    assert_string_equal(addr(r->an[0].rrset), a);
    /* the prepared records carry the same TTL (what goes on the wire) */
    const uint8_t *rr = r->an[0].rrset->rrs;
    assert_int_equal((uint32_t)rr[6] << 24 | (uint32_t)rr[7] << 16 | (uint32_t)rr[8] << 8 | rr[9],
                     ttl);
}

static void
assert_nodata(const struct plan *r, const char *apex)
{
    assert_int_equal(r->rcode, LDNS_RCODE_NOERROR);
    assert_int_equal(r->nan, 0);
    assert_int_equal(r->nns, 1);
    assert_int_equal(r->ns[0].rrset->type, LDNS_RR_TYPE_SOA);
    assert_string_equal(text(r->ns[0].owner), apex);
}

static const struct profile *
prof(const struct gtm_snapshot *s, const char *name)
{
    const struct profile *p = snapshot_find_profile(s, name);
    assert_non_null(p);
    return p;
}

static void
set_health(const struct gtm_snapshot *s, const char *profile, const char *endpoint,
           enum ep_status st)
{
    const struct profile *p = prof(s, profile);
    for (uint32_t k = 0; k < p->nendpoints; k++)
        if (strcmp(p->endpoints[k].name, endpoint) == 0) {
            assert_int_not_equal(p->endpoints[k].health_idx, HEALTH_NONE);
            atomic_store(&s->health[p->endpoints[k].health_idx].status, st);
            return;
        }
    fail_msg("no endpoint %s/%s", profile, endpoint);
}

static uint64_t
count(uint32_t slot)
{
    return atomic_load(&counters[slot]);
}

/* ---- a profile target ---- */

static void
test_apex_profile(void **state)
{
    (void)state;
    struct plan r;
    assert_int_equal(ask(snap, "example.com", LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    /* owned by the question (compressed to it), TTL min(ALIAS 600, profile 42) */
    assert_one(&r, "example.com.", LDNS_RR_TYPE_A, 42, "192.0.2.1");
    assert_ptr_equal(r.an[0].owner, qname);
    assert_int_equal(r.ecs_scope, 0);
    /* Case does not matter; nor does where the ALIAS is (the --domain zone). */
    assert_int_equal(ask(snap, "EXAMPLE.com", LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_one(&r, "example.com.", LDNS_RR_TYPE_A, 42, "192.0.2.1");
    assert_int_equal(ask(snap, "front." DOMAIN, LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_one(&r, "front." DOMAIN ".", LDNS_RR_TYPE_A, 42, "192.0.2.1");
    /* never the endpoint's own RRset: the ALIAS owner's copy */
    assert_ptr_not_equal(r.an[0].rrset, prof(snap, "app")->endpoints[0].rrset);
}

static void
test_failover(void **state)
{
    (void)state;
    struct plan r;
    set_health(snap, "app", "primary", EPS_DEGRADED);
    assert_int_equal(ask(snap, "example.com", LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_one(&r, "example.com.", LDNS_RR_TYPE_A, 42, "192.0.2.2");
    assert_int_equal(ask(snap, "app." DOMAIN, LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_string_equal(addr(r.an[0].rrset), "192.0.2.2");
    set_health(snap, "app", "primary", EPS_ONLINE);
    assert_int_equal(ask(snap, "example.com", LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_one(&r, "example.com.", LDNS_RR_TYPE_A, 42, "192.0.2.1");
}

/* Other types answer from the zone; the ALIAS type is never an answer. */
static void
test_other_types(void **state)
{
    (void)state;
    struct plan r;
    assert_int_equal(ask(snap, "example.com", LDNS_RR_TYPE_AAAA, &r), PLAN_ANSWER);
    assert_nodata(&r, "example.com."); /* app has IPv4 endpoints only */
    assert_int_equal(ask(snap, "example.com", LDNS_RR_TYPE_MX, &r), PLAN_ANSWER);
    assert_int_equal(r.nan, 1);
    assert_int_equal(r.an[0].rrset->type, LDNS_RR_TYPE_MX);
    assert_int_equal(ask(snap, "example.com", LDNS_RR_TYPE_TXT, &r), PLAN_ANSWER);
    assert_int_equal(r.nan, 1);
    assert_int_equal(r.an[0].rrset->type, LDNS_RR_TYPE_TXT);
    assert_int_equal(ask(snap, "example.com", RR_TYPE_ALIAS, &r), PLAN_ANSWER);
    assert_nodata(&r, "example.com.");
    /* ANY: one RRset of the zone's, as at any name (RFC 8482) */
    assert_int_equal(ask(snap, "example.com", LDNS_RR_TYPE_ANY, &r), PLAN_ANSWER);
    assert_int_equal(r.nan, 1);
    assert_int_equal(r.an[0].rrset->type, LDNS_RR_TYPE_NS);
    /* A name with nothing but its ALIAS: ANY gets what A gets, TXT nothing. */
    assert_int_equal(ask(snap, "only.example.com", LDNS_RR_TYPE_ANY, &r), PLAN_ANSWER);
    assert_one(&r, "only.example.com.", LDNS_RR_TYPE_A, 42, "192.0.2.1");
    assert_int_equal(ask(snap, "only.example.com", LDNS_RR_TYPE_TXT, &r), PLAN_ANSWER);
    assert_nodata(&r, "example.com.");
    assert_int_equal(ask(snap, "only.example.com", RR_TYPE_ALIAS, &r), PLAN_ANSWER);
    assert_nodata(&r, "example.com.");
    /* No node holds an ALIAS RRset. */
    for (uint32_t i = 0; i <= snap->nmask; i++)
        for (const struct rrset *s = snap->ntable[i] ? snap->ntable[i]->rrsets : NULL; s;
             s = s->next)
            assert_int_not_equal(s->type, RR_TYPE_ALIAS);
}

static void
test_static_target(void **state)
{
    (void)state;
    struct plan r;
    assert_int_equal(ask(snap, "static.example.com", LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_one(&r, "static.example.com.", LDNS_RR_TYPE_A, 120, "192.0.2.20");
    assert_int_equal(ask(snap, "static.example.com", LDNS_RR_TYPE_AAAA, &r), PLAN_ANSWER);
    assert_one(&r, "static.example.com.", LDNS_RR_TYPE_AAAA, 120, "2001:db8::20");
    assert_int_equal(ask(snap, "static.example.com", LDNS_RR_TYPE_MX, &r), PLAN_ANSWER);
    assert_nodata(&r, "example.com.");
    /* a wildcard ALIAS: owned by the question */
    assert_int_equal(ask(snap, "Foo.wild.example.com", LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_one(&r, "foo.wild.example.com.", LDNS_RR_TYPE_A, 3600, "192.0.2.20");
    assert_ptr_equal(r.an[0].owner, qname);
}

/* TTL: the smallest of the ALIAS's, the chain's and the records'. */
static void
test_ttl(void **state)
{
    (void)state;
    struct plan r;
    assert_int_equal(ask(snap, "v6.example.com", LDNS_RR_TYPE_AAAA, &r), PLAN_ANSWER);
    assert_one(&r, "v6.example.com.", LDNS_RR_TYPE_AAAA, 300, "2001:db8::1"); /* not 900 */
    assert_int_equal(ask(snap, "v6.example.com", LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_nodata(&r, "example.com.");
    assert_int_equal(ask(snap, "v.example.com", LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_one(&r, "v.example.com.", LDNS_RR_TYPE_A, 30, "192.0.2.1"); /* the CNAME's 30 */
}

/* ECS: the client the profile routes by, and the scope it sets. */
static void
test_ecs_scope(void **state)
{
    (void)state;
    struct plan r;
    client = (struct policy_client){AF_INET, 24, {10, 1, 2, 0}};
    assert_int_equal(ask(snap, "sub." DOMAIN, LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    uint8_t own = r.ecs_scope;
    assert_true(own > 0);
    assert_string_equal(addr(r.an[0].rrset), "192.0.2.10");
    assert_int_equal(ask(snap, "sub.example.com", LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_one(&r, "sub.example.com.", LDNS_RR_TYPE_A, 60, "192.0.2.10");
    assert_int_equal(r.ecs_scope, own);
    client = (struct policy_client){AF_INET, 24, {10, 9, 0, 0}};
    assert_int_equal(ask(snap, "sub.example.com", LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_one(&r, "sub.example.com.", LDNS_RR_TYPE_A, 60, "192.0.2.11");
    assert_true(r.ecs_scope > 0);
    client = (struct policy_client){0, 0, {0}};
}

/* Endpoints that are names: the addresses of one inside our zones, none
 * for one outside (NODATA: the pick is kept, no other endpoint stands in). */
static void
test_endpoint_names(void **state)
{
    (void)state;
    struct plan r;
    assert_int_equal(ask(snap, "web.example.com", LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_nodata(&r, "example.com.");
    set_health(snap, "web", "outside", EPS_DEGRADED);
    assert_int_equal(ask(snap, "web.example.com", LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    /* min(ALIAS 3600, the profile's CNAME 60, host's A 3600) */
    assert_one(&r, "web.example.com.", LDNS_RR_TYPE_A, 60, "198.51.100.7");
    set_health(snap, "web", "outside", EPS_ONLINE);
}

static void
test_nested_and_disabled(void **state)
{
    (void)state;
    struct plan r;
    assert_int_equal(ask(snap, "nest.example.com", LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_one(&r, "nest.example.com.", LDNS_RR_TYPE_A, 20, "192.0.2.30");
    /* a Disabled profile is NXDOMAIN at its own name; the ALIAS's name exists */
    assert_int_equal(ask(snap, "off." DOMAIN, LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_int_equal(r.rcode, LDNS_RCODE_NXDOMAIN);
    assert_int_equal(ask(snap, "off.example.com", LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_nodata(&r, "example.com.");
}

/* A CNAME chain into an ALIAS name: its addresses, owned by that name. */
static void
test_chain_into_alias(void **state)
{
    (void)state;
    struct plan r;
    assert_int_equal(ask(snap, "to-apex.example.com", LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_int_equal(r.nan, 2);
    assert_int_equal(r.an[0].rrset->type, LDNS_RR_TYPE_CNAME);
    assert_string_equal(text(r.an[1].owner), "example.com.");
    assert_string_equal(addr(r.an[1].rrset), "192.0.2.1");
    assert_int_equal(r.an[1].rrset->ttl, 42);
}

/* Counted as the profile's own answers. */
static void
test_counters(void **state)
{
    (void)state;
    struct plan r;
    const struct profile *app = prof(snap, "app"), *off = prof(snap, "off");
    const struct profile *web = prof(snap, "web");
    ask(snap, "example.com", LDNS_RR_TYPE_A, &r);
    uint64_t answers = count(app->stats_slot + TM_ANSWER);
    uint64_t primary = count(app->endpoints[0].stats_slot);
    uint64_t nodata = count(app->stats_slot + TM_NODATA);
    ask(snap, "example.com", LDNS_RR_TYPE_A, &r);
    ask(snap, "app." DOMAIN, LDNS_RR_TYPE_A, &r);
    assert_int_equal(count(app->stats_slot + TM_ANSWER), answers + 2);
    assert_int_equal(count(app->endpoints[0].stats_slot), primary + 2);
    ask(snap, "example.com", LDNS_RR_TYPE_AAAA, &r);
    assert_int_equal(count(app->stats_slot + TM_NODATA), nodata + 1);
    /* the static data of the name is not the profile's */
    ask(snap, "example.com", LDNS_RR_TYPE_MX, &r);
    assert_int_equal(count(app->stats_slot + TM_NODATA), nodata + 1);
    assert_int_equal(count(app->stats_slot + TM_ANSWER), answers + 2);
    /* the profile's outcome: NXDOMAIN (the ALIAS answers NODATA) */
    uint64_t nx = count(off->stats_slot + TM_NXDOMAIN);
    ask(snap, "off.example.com", LDNS_RR_TYPE_A, &r);
    assert_int_equal(count(off->stats_slot + TM_NXDOMAIN), nx + 1);
    /* an endpoint that gives no address: NODATA, and not that endpoint's */
    uint64_t wn = count(web->stats_slot + TM_NODATA), we = count(web->endpoints[0].stats_slot);
    ask(snap, "web.example.com", LDNS_RR_TYPE_A, &r);
    assert_int_equal(count(web->stats_slot + TM_NODATA), wn + 1);
    assert_int_equal(count(web->endpoints[0].stats_slot), we);
}

static void
test_trace(void **state)
{
    (void)state;
    struct plan r;
    static struct dns_trace t;
    memset(&t, 0x5A, sizeof t);
    t.nsteps = 0;
    assert_int_equal(ask_traced(snap, "example.com", LDNS_RR_TYPE_A, &r, &t), PLAN_ANSWER);
    assert_non_null(t.alias);
    assert_string_equal(text(t.alias->owner), "example.com.");
    assert_string_equal(text(t.alias->written), "app." DOMAIN ".");
    assert_int_equal(t.alias->kind, ALIAS_PROFILE);
    assert_int_equal(t.alias_at, 0);
    assert_ptr_equal(t.alias_from[0], prof(snap, "app")->endpoints[0].rrset);
    assert_int_equal(t.nsteps, 1);
    assert_string_equal(text(t.step[0].name), "app." DOMAIN ".");
    assert_ptr_equal(t.step[0].level[0].p, prof(snap, "app"));
    /* no ALIAS: none in the trace */
    t.nsteps = 0;
    assert_int_equal(ask_traced(snap, "www.example.com", LDNS_RR_TYPE_A, &r, &t), PLAN_ANSWER);
    assert_null(t.alias);
    t.nsteps = 0;
    assert_int_equal(ask_traced(snap, "to-apex.example.com", LDNS_RR_TYPE_A, &r, &t), PLAN_ANSWER);
    assert_int_equal(t.alias_at, 1);
    assert_ptr_equal(t.alias_from[1], prof(snap, "app")->endpoints[0].rrset);
}

/* ---- the RRsets follow the profile ---- */

static struct profile *
parse(const char *file, const char *text)
{
    struct errbuf eb;
    struct config_errors errs = errs_init(&eb);
    struct profile *p = NULL;
    assert_int_equal(profile_parse_owned(file, text, strlen(text), false, &errs, &p), 0);
    return p;
}

static struct gtm_snapshot *
change(struct gtm_snapshot *cur, const char *old, struct profile *np)
{
    struct errbuf eb;
    struct config_errors errs = errs_init(&eb);
    struct gtm_snapshot *s =
        snapshot_change(cur, old ? snapshot_find_profile(cur, old) : NULL, np, &errs);
    assert_non_null(s);
    assert_string_equal(eb.text, "");
    snapshot_free(cur); /* published over (nothing reads it in a test) */
    return s;
}

static void
test_profile_change(void **state)
{
    (void)state;
    struct plan r;
    struct gtm_snapshot *s = load();
    assert_non_null(s);
    /* A new document: its own endpoints, its own RRsets for the ALIASes. */
    s = change(
        s, "app",
        parse("app.json", PROFILE("app", "Enabled", "Priority", "10",
                                  ENDPOINT("n1", "192.0.2.100", ",\"priority\":1") "," ENDPOINT(
                                      "n2", "2001:db8::100", ",\"priority\":2"))));
    assert_int_equal(ask(s, "example.com", LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_one(&r, "example.com.", LDNS_RR_TYPE_A, 10, "192.0.2.100");
    assert_int_equal(ask(s, "front." DOMAIN, LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_one(&r, "front." DOMAIN ".", LDNS_RR_TYPE_A, 10, "192.0.2.100");
    set_health(s, "app", "n1", EPS_DEGRADED);
    assert_int_equal(ask(s, "example.com", LDNS_RR_TYPE_AAAA, &r), PLAN_ANSWER);
    assert_one(&r, "example.com.", LDNS_RR_TYPE_AAAA, 10, "2001:db8::100");
    /* example.com, front, v (through the CNAME via) and only end there */
    assert_int_equal(prof(s, "app")->naliases, 4);

    /* Another profile leaves: the slots move, clones take the new ones,
     * and the ALIASes of a clone still answer and follow its health. */
    s = change(s, "app6", NULL);
    set_health(s, "app", "n1", EPS_ONLINE);
    assert_int_equal(ask(s, "example.com", LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_one(&r, "example.com.", LDNS_RR_TYPE_A, 10, "192.0.2.100");
    /* an ALIAS to the profile that left: NODATA, as Azure DNS's alias to a
     * deleted resource */
    assert_int_equal(ask(s, "v6.example.com", LDNS_RR_TYPE_AAAA, &r), PLAN_ANSWER);
    assert_nodata(&r, "example.com.");
    /* and back */
    s = change(s, NULL,
               parse("app6.json", PROFILE("app6", "Enabled", "Priority", "100",
                                          ENDPOINT("v6b", "2001:db8::2", ""))));
    assert_int_equal(ask(s, "v6.example.com", LDNS_RR_TYPE_AAAA, &r), PLAN_ANSWER);
    assert_one(&r, "v6.example.com.", LDNS_RR_TYPE_AAAA, 100, "2001:db8::2");

    /* A nested child changes: its parent is cloned, and the parent's
     * ALIAS answers the new child's endpoints. */
    s = change(s, "inner",
               parse("inner.json", PROFILE("inner", "Enabled", "Priority", "25",
                                           ENDPOINT("i2", "192.0.2.31", ""))));
    assert_int_equal(ask(s, "nest.example.com", LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_one(&r, "nest.example.com.", LDNS_RR_TYPE_A, 25, "192.0.2.31");
    /* The others, untouched, answer as before. */
    assert_int_equal(ask(s, "sub.example.com", LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_one(&r, "sub.example.com.", LDNS_RR_TYPE_A, 60, "192.0.2.11");
    snapshot_free(s);
}

/* A profile cannot take a name that holds an ALIAS. */
static void
test_name_clash(void **state)
{
    (void)state;
    struct errbuf eb;
    struct config_errors errs = errs_init(&eb);
    struct profile *np = parse("front.json", PROFILE("front", "Enabled", "Priority", "10",
                                                     ENDPOINT("f", "192.0.2.7", "")));
    assert_int_not_equal(snapshot_change_check(snap, np, &errs), 0);
    assert_non_null(strstr(eb.text, "front." DOMAIN ". also has records"));
    profile_discard(np);
}

/* The bundled examples load together, and example.org's apex follows
 * the Weighted example profile. */
static void
test_examples(void **state)
{
    (void)state;
    const char *src = getenv("GTM_SRCDIR");
    char zones[4096], profs[4096];
    snprintf(zones, sizeof zones, "%s/examples/zones", src && *src ? src : ".");
    snprintf(profs, sizeof profs, "%s/examples/profiles", src && *src ? src : ".");
    struct errbuf eb;
    struct config_errors errs = errs_init(&eb);
    struct snapshot_params p = {.zones_dir = zones,
                                .profiles_dir = profs,
                                .profiles_must_exist = true,
                                .strict = true,
                                .domain = "trafficmanager.net"};
    struct gtm_snapshot *s = snapshot_load(&p, &errs);
    assert_string_equal(eb.text, "");
    assert_non_null(s);
    struct plan r;
    assert_int_equal(ask(s, "example.org", LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_int_equal(r.nan, 1);
    assert_string_equal(text(r.an[0].owner), "example.org.");
    assert_int_equal(r.an[0].rrset->ttl, 30); /* the profile's */
    const char *a = addr(r.an[0].rrset);
    assert_true(strcmp(a, "192.0.2.10") == 0 || strcmp(a, "192.0.2.20") == 0);
    assert_int_equal(ask(s, "example.org", LDNS_RR_TYPE_MX, &r), PLAN_ANSWER);
    assert_int_equal(r.an[0].rrset->type, LDNS_RR_TYPE_MX);
    assert_int_equal(ask(s, "smtp.example.org", LDNS_RR_TYPE_A, &r), PLAN_ANSWER);
    assert_one(&r, "smtp.example.org.", LDNS_RR_TYPE_A, 300, "192.0.2.25");
    snapshot_free(s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_apex_profile),
        cmocka_unit_test(test_failover),
        cmocka_unit_test(test_other_types),
        cmocka_unit_test(test_static_target),
        cmocka_unit_test(test_ttl),
        cmocka_unit_test(test_ecs_scope),
        cmocka_unit_test(test_endpoint_names),
        cmocka_unit_test(test_nested_and_disabled),
        cmocka_unit_test(test_chain_into_alias),
        cmocka_unit_test(test_counters),
        cmocka_unit_test(test_trace),
        cmocka_unit_test(test_profile_change),
        cmocka_unit_test(test_name_clash),
        cmocka_unit_test(test_examples),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
