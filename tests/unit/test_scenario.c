/* test_scenario.c: scenario tests without sleeping (STYLE "The test
 * pyramid", point 2). A snapshot is loaded from a temporary profiles
 * directory and zone directory; probe results are scripted through
 * health_step and stored into the snapshot's health table exactly as the
 * monitor does; after each step dns_handle answers raw query bytes and the
 * answer is checked. No sockets, no timers, no sleeping. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ldns/ldns.h>

#include "dns/handle.h"
#include "gtm/health.h"
#include "gtm/profile.h"
#include "gtm/snapshot.h"
#include "policy/policy.h"
#include "unit.h"

#define DOMAIN "gtm.example.net"
#define EP     "Microsoft.Network/trafficManagerProfiles/"

/* endpoint: one external endpoint of an ARM-shaped profile. */
#define ENDPOINT(name, target, extra)                                                              \
    "{\"name\":\"" name "\",\"type\":\"" EP "externalEndpoints\","                                 \
    "\"properties\":{\"target\":\"" target "\"" extra "}}"

/* profile: an ARM-shaped profile document. */
#define PROFILE(name, status, method, ttl, endpoints)                                              \
    "{\"name\":\"" name "\",\"type\":\"Microsoft.Network/trafficManagerProfiles\","                \
    "\"location\":\"global\",\"properties\":{\"profileStatus\":\"" status "\","                    \
    "\"trafficRoutingMethod\":\"" method "\","                                                     \
    "\"dnsConfig\":{\"relativeName\":\"" name "\",\"ttl\":" ttl "},"                               \
    "\"monitorConfig\":{\"protocol\":\"HTTP\",\"port\":80,\"path\":\"/health\","                   \
    "\"intervalInSeconds\":10,\"timeoutInSeconds\":5,\"toleratedNumberOfFailures\":2},"            \
    "\"endpoints\":[" endpoints "]}}"

/* app: Priority over two IPv4 endpoints; 2 failures tolerated (the 3rd
 * makes an endpoint Degraded); TTL 42. */
static const char app_json[] =
    PROFILE("app", "Enabled", "Priority", "42",
            ENDPOINT("primary", "192.0.2.1",
                     ",\"priority\":1") "," ENDPOINT("secondary", "192.0.2.2", ",\"priority\":2"));

/* web: host name targets outside our zones (CNAME answers), TTL 60. */
static const char web_json[] =
    PROFILE("web", "Enabled", "Priority", "60",
            ENDPOINT("web1", "web1.example.org", ",\"priority\":1") "," ENDPOINT(
                "web2", "web2.example.org", ",\"priority\":2"));

/* local: a host name target inside a static zone: the CNAME is chased. */
static const char local_json[] =
    PROFILE("local", "Enabled", "Priority", "20", ENDPOINT("host", "host.example.com", ""));

/* off: a disabled profile. */
static const char off_json[] =
    PROFILE("off", "Disabled", "Priority", "42", ENDPOINT("only", "192.0.2.9", ""));

static const char example_zone[] = "$ORIGIN example.com.\n"
                                   "$TTL 3600\n"
                                   "@ SOA ns1 hostmaster 2026 7200 3600 1209600 300\n"
                                   "@ NS ns1\n"
                                   "ns1 A 192.0.2.53\n"
                                   "host A 198.51.100.7\n"
                                   "www CNAME app." DOMAIN ".\n";

static char *prof_dir, *zone_dir;
static struct gtm_snapshot *snap;
static uint64_t rng = 42;
static struct dns_view view;
static uint8_t resp[DNS_TCP_MAX];

static int
setup(void **state)
{
    (void)state;
    prof_dir = tmpdir_new();
    zone_dir = tmpdir_new();
    if (!prof_dir || !zone_dir)
        return -1;
    static const struct {
        const char *name, *text;
    } files[] = {{"app.json", app_json},
                 {"web.json", web_json},
                 {"local.json", local_json},
                 {"off.json", off_json}};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char *path = tmpfile_write(prof_dir, files[i].name, files[i].text);
        if (!path)
            return -1;
        free(path);
    }
    char *path = tmpfile_write(zone_dir, "example.com.zone", example_zone);
    if (!path)
        return -1;
    free(path);

    struct errbuf eb;
    struct config_errors errs = errs_init(&eb);
    struct snapshot_params p = {.zones_dir = zone_dir,
                                .profiles_dir = prof_dir,
                                .profiles_must_exist = true,
                                .domain = DOMAIN};
    snap = snapshot_load(&p, &errs);
    if (!snap) {
        print_error("%s", eb.text);
        return -1;
    }
    dns_view_init(&view, snap, &rng, NULL, NULL);
    return 0;
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

/* ---- the monitor, scripted ---- */

/* One probe as the monitor keeps it: its state machine and its slot. */
struct sim_probe {
    uint32_t idx;
    unsigned fall;
    struct health_fsm fsm;
};

static const struct profile *
find_profile(const char *name)
{
    for (uint32_t i = 0; i < snap->nprofiles; i++)
        if (strcmp(snap->profiles[i]->name, name) == 0)
            return snap->profiles[i];
    fail_msg("no profile %s", name);
    return NULL;
}

static const struct endpoint *
find_endpoint(const struct profile *p, const char *name)
{
    for (uint32_t i = 0; i < p->nendpoints; i++)
        if (strcmp(p->endpoints[i].name, name) == 0)
            return &p->endpoints[i];
    fail_msg("no endpoint %s/%s", p->name, name);
    return NULL;
}

/* sim_new: the probe of profile/endpoint, freshly started: every slot of
 * the snapshot back to CheckingEndpoint, as after a load. */
static struct sim_probe
sim_new(const char *profile, const char *endpoint)
{
    const struct endpoint *e = find_endpoint(find_profile(profile), endpoint);
    assert_true(e->health_idx != HEALTH_NONE);
    assert_in_range(e->health_idx, 0, snap->nprobes - 1);
    struct sim_probe s = {e->health_idx, snap->probes[e->health_idx].fall, {EPS_CHECKING, 0}};
    return s;
}

static void
reset_health(void)
{
    for (uint32_t i = 0; i < snap->nprobes; i++)
        atomic_store_explicit(&snap->health[i].status, EPS_CHECKING, memory_order_release);
}

/* probe: one result, as monitor.c record() handles it. */
static void
probe(struct sim_probe *s, bool ok)
{
    if (health_step(&s->fsm, s->fall, ok))
        atomic_store_explicit(&snap->health[s->idx].status, s->fsm.state, memory_order_release);
}

/* ---- asking ---- */

/* mkq: a query (RD set, no EDNS) for name into buf; returns its length. */
static size_t
mkq(uint8_t *buf, uint16_t id, const char *name, uint16_t type)
{
    size_t n = 0;
    static const uint8_t head[] = {0, 0, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
    memcpy(buf, head, sizeof head);
    buf[0] = (uint8_t)(id >> 8);
    buf[1] = (uint8_t)id;
    n = sizeof head;
    for (const char *p = name; *p;) {
        const char *dot = strchr(p, '.');
        size_t ll = dot ? (size_t)(dot - p) : strlen(p);
        buf[n++] = (uint8_t)ll;
        memcpy(buf + n, p, ll);
        n += ll;
        p += ll;
        if (*p == '.')
            p++;
    }
    buf[n++] = 0;
    buf[n++] = (uint8_t)(type >> 8);
    buf[n++] = (uint8_t)type;
    buf[n++] = 0;
    buf[n++] = LDNS_RR_CLASS_IN;
    return n;
}

/* ask: the response to (name, type) over UDP, parsed; checks what every
 * answer shares (id, QR, AA, one question). Free with ldns_pkt_free. */
static ldns_pkt *
ask(const char *name, uint16_t type)
{
    static uint16_t id = 0x1000;
    uint8_t req[512];
    size_t qlen = mkq(req, ++id, name, type);
    size_t len = dns_handle(&view, req, qlen, DNS_PROTO_UDP, resp, sizeof resp);
    assert_in_range(len, 12, 512);
    ldns_pkt *pkt = NULL;
    assert_int_equal(ldns_wire2pkt(&pkt, resp, len), LDNS_STATUS_OK);
    assert_int_equal(ldns_pkt_id(pkt), id);
    assert_true(ldns_pkt_qr(pkt));
    assert_true(ldns_pkt_aa(pkt));
    assert_int_equal(ldns_pkt_qdcount(pkt), 1);
    return pkt;
}

/* section: the records of a section as ldns prints them, one per line. */
static const char *
section(const ldns_rr_list *l)
{
    static char out[4096];
    out[0] = 0;
    for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
        char *s = ldns_rr2str(ldns_rr_list_rr(l, i));
        size_t at = strlen(out);
        snprintf(out + at, sizeof out - at, "%s", s);
        free(s);
    }
    return out;
}

/* answer: rcode NOERROR and the answer section as text. */
static void
assert_answer(const char *name, uint16_t type, const char *want)
{
    ldns_pkt *p = ask(name, type);
    assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
    assert_string_equal(section(ldns_pkt_answer(p)), want);
    assert_int_equal(ldns_pkt_nscount(p), 0);
    ldns_pkt_free(p);
}

/* assert_negative: rcode, the answer section as text (possibly a CNAME
 * chain), and one SOA of apex in the authority section. */
static void
assert_negative(const char *name, uint16_t type, ldns_pkt_rcode rcode, const char *answer,
                const char *apex)
{
    ldns_pkt *p = ask(name, type);
    assert_int_equal(ldns_pkt_get_rcode(p), rcode);
    assert_string_equal(section(ldns_pkt_answer(p)), answer);
    const ldns_rr_list *ns = ldns_pkt_authority(p);
    assert_int_equal(ldns_rr_list_rr_count(ns), 1);
    const ldns_rr *soa = ldns_rr_list_rr(ns, 0);
    assert_int_equal(ldns_rr_get_type(soa), LDNS_RR_TYPE_SOA);
    char *owner = ldns_rdf2str(ldns_rr_owner(soa));
    assert_string_equal(owner, apex);
    free(owner);
    ldns_pkt_free(p);
}

#define APP_A(addr) "app." DOMAIN ".\t42\tIN\tA\t" addr "\n"
#define WWW_CNAME   "www.example.com.\t3600\tIN\tCNAME\tapp." DOMAIN ".\n"
#define PRIMARY     "192.0.2.1"
#define SECONDARY   "192.0.2.2"
#define NEG_APEX    DOMAIN "."

/* ---- the scenario ---- */

static void
test_failover_script(void **state)
{
    (void)state;
    reset_health();
    const struct profile *app = find_profile("app");
    const struct endpoint *pe = find_endpoint(app, "primary");
    const struct endpoint *se = find_endpoint(app, "secondary");
    struct sim_probe prim = sim_new("app", "primary");
    struct sim_probe sec = sim_new("app", "secondary");
    assert_true(prim.idx != sec.idx);
    assert_int_equal(prim.fall, 3); /* toleratedNumberOfFailures 2, + 1 */
    assert_int_equal(sec.fall, 3);
    assert_string_equal(snap->probes[prim.idx].label, "app/primary");
    assert_string_equal(snap->probes[sec.idx].label, "app/secondary");

    static const struct {
        const char *when;
        bool primary_ok, secondary_ok;
        const char *want;
        enum ep_status primary, secondary;
    } script[] = {
        {"t=0 ok ok", true, true, PRIMARY, EPS_ONLINE, EPS_ONLINE},
        {"t=10 fail #1", false, true, PRIMARY, EPS_ONLINE, EPS_ONLINE},
        {"t=20 fail #2", false, true, PRIMARY, EPS_ONLINE, EPS_ONLINE},
        {"t=30 fail #3", false, true, SECONDARY, EPS_DEGRADED, EPS_ONLINE},
        {"t=40 fail #4", false, true, SECONDARY, EPS_DEGRADED, EPS_ONLINE},
        {"t=50 ok", true, true, PRIMARY, EPS_ONLINE, EPS_ONLINE},
        /* Both go down: while one is up it answers; when both are
         * Degraded, best effort answers with the primary. */
        {"t=60 both fail #1", false, false, PRIMARY, EPS_ONLINE, EPS_ONLINE},
        {"t=70 both fail #2", false, false, PRIMARY, EPS_ONLINE, EPS_ONLINE},
        {"t=80 both fail #3", false, false, PRIMARY, EPS_DEGRADED, EPS_DEGRADED},
        {"t=90 secondary ok", false, true, SECONDARY, EPS_DEGRADED, EPS_ONLINE},
        {"t=100 primary ok", true, false, PRIMARY, EPS_ONLINE, EPS_ONLINE},
    };

    /* Before any probe result: CheckingEndpoint counts as up. */
    assert_int_equal(endpoint_status(app, pe, snap->health), EPS_CHECKING);
    assert_int_equal(endpoint_status(app, se, snap->health), EPS_CHECKING);
    assert_answer("app." DOMAIN, LDNS_RR_TYPE_A, APP_A(PRIMARY));

    for (size_t i = 0; i < sizeof script / sizeof script[0]; i++) {
        char want[256];
        print_message("# %s\n", script[i].when);
        probe(&prim, script[i].primary_ok);
        probe(&sec, script[i].secondary_ok);
        assert_int_equal(endpoint_status(app, pe, snap->health), script[i].primary);
        assert_int_equal(endpoint_status(app, se, snap->health), script[i].secondary);
        snprintf(want, sizeof want, "app." DOMAIN ".\t42\tIN\tA\t%s\n", script[i].want);
        assert_answer("app." DOMAIN, LDNS_RR_TYPE_A, want);
        /* The same through a static CNAME in another zone. */
        snprintf(want, sizeof want, WWW_CNAME "app." DOMAIN ".\t42\tIN\tA\t%s\n", script[i].want);
        assert_answer("www.example.com", LDNS_RR_TYPE_A, want);
        /* Case does not matter to routing. */
        snprintf(want, sizeof want, "APP.Gtm.Example.NET.\t42\tIN\tA\t%s\n", script[i].want);
        assert_answer("APP.Gtm.Example.NET", LDNS_RR_TYPE_A, want);
    }
}

/* The probe of one endpoint does not move another profile's answer. */
static void
test_profiles_independent(void **state)
{
    (void)state;
    reset_health();
    struct sim_probe web1 = sim_new("web", "web1");
    struct sim_probe prim = sim_new("app", "primary");
    assert_true(web1.idx != prim.idx);
    for (int i = 0; i < 3; i++)
        probe(&web1, false);
    assert_answer("web." DOMAIN, LDNS_RR_TYPE_A,
                  "web." DOMAIN ".\t60\tIN\tCNAME\tweb2.example.org.\n");
    assert_answer("app." DOMAIN, LDNS_RR_TYPE_A, APP_A(PRIMARY));
    probe(&web1, true);
    assert_answer("web." DOMAIN, LDNS_RR_TYPE_A,
                  "web." DOMAIN ".\t60\tIN\tCNAME\tweb1.example.org.\n");
}

/* ---- record types (features.md §1.3) ---- */

static void
test_ipv4_profile_types(void **state)
{
    (void)state;
    reset_health();
    /* A: the endpoint; AAAA and CNAME: NODATA with the domain's SOA. */
    assert_answer("app." DOMAIN, LDNS_RR_TYPE_A, APP_A(PRIMARY));
    assert_negative("app." DOMAIN, LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR, "", NEG_APEX);
    assert_negative("app." DOMAIN, LDNS_RR_TYPE_CNAME, LDNS_RCODE_NOERROR, "", NEG_APEX);
    assert_negative("app." DOMAIN, LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR, "", NEG_APEX);
    assert_negative("app." DOMAIN, LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR, "", NEG_APEX);
    /* ANY: the endpoint's record. */
    assert_answer("app." DOMAIN, LDNS_RR_TYPE_ANY, APP_A(PRIMARY));
    /* Through the static CNAME: the chain, then NODATA. */
    assert_negative("www.example.com", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR, WWW_CNAME, NEG_APEX);
    /* A CNAME query for www is answered by the zone itself. */
    assert_answer("www.example.com", LDNS_RR_TYPE_CNAME, WWW_CNAME);
}

static void
test_cname_profile_types(void **state)
{
    (void)state;
    reset_health();
    static const char web1[] = "web." DOMAIN ".\t60\tIN\tCNAME\tweb1.example.org.\n";
    /* A, AAAA, CNAME and ANY: the CNAME (its target is not ours). */
    assert_answer("web." DOMAIN, LDNS_RR_TYPE_A, web1);
    assert_answer("web." DOMAIN, LDNS_RR_TYPE_AAAA, web1);
    assert_answer("web." DOMAIN, LDNS_RR_TYPE_CNAME, web1);
    assert_answer("web." DOMAIN, LDNS_RR_TYPE_ANY, web1);
    /* Another type: NODATA. */
    assert_negative("web." DOMAIN, LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR, "", NEG_APEX);
}

/* A host name target in one of our zones: the CNAME is followed there. */
static void
test_cname_chased_into_zone(void **state)
{
    (void)state;
    reset_health();
    assert_answer("local." DOMAIN, LDNS_RR_TYPE_A,
                  "local." DOMAIN ".\t20\tIN\tCNAME\thost.example.com.\n"
                  "host.example.com.\t3600\tIN\tA\t198.51.100.7\n");
    assert_answer("local." DOMAIN, LDNS_RR_TYPE_CNAME,
                  "local." DOMAIN ".\t20\tIN\tCNAME\thost.example.com.\n");
    assert_negative("local." DOMAIN, LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR,
                    "local." DOMAIN ".\t20\tIN\tCNAME\thost.example.com.\n", "example.com.");
}

/* ---- NXDOMAIN ---- */

static void
test_disabled_profile_nxdomain(void **state)
{
    (void)state;
    reset_health();
    const struct profile *off = find_profile("off");
    assert_false(off->enabled);
    assert_int_equal(off->endpoints[0].health_idx, HEALTH_NONE); /* not probed */
    assert_int_equal(endpoint_status(off, &off->endpoints[0], snap->health), EPS_INACTIVE);
    assert_negative("off." DOMAIN, LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, "", NEG_APEX);
    assert_negative("off." DOMAIN, LDNS_RR_TYPE_AAAA, LDNS_RCODE_NXDOMAIN, "", NEG_APEX);
    /* A name no profile has. */
    assert_negative("nothing." DOMAIN, LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, "", NEG_APEX);
    /* Nor below a profile's name. */
    assert_negative("x.app." DOMAIN, LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, "", NEG_APEX);
}

/* TTL: dnsConfig.ttl on the endpoint record; the domain's negative SOA keeps its own. */
static void
test_ttl(void **state)
{
    (void)state;
    reset_health();
    ldns_pkt *p = ask("app." DOMAIN, LDNS_RR_TYPE_A);
    assert_int_equal(ldns_rr_list_rr_count(ldns_pkt_answer(p)), 1);
    assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_answer(p), 0)), 42);
    ldns_pkt_free(p);
    p = ask("web." DOMAIN, LDNS_RR_TYPE_A);
    assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_answer(p), 0)), 60);
    ldns_pkt_free(p);
    p = ask("app." DOMAIN, LDNS_RR_TYPE_AAAA);
    assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_authority(p), 0)), 30);
    ldns_pkt_free(p);
    assert_int_equal(find_profile("app")->ttl, 42);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_failover_script),
        cmocka_unit_test(test_profiles_independent),
        cmocka_unit_test(test_ipv4_profile_types),
        cmocka_unit_test(test_cname_profile_types),
        cmocka_unit_test(test_cname_chased_into_zone),
        cmocka_unit_test(test_disabled_profile_nxdomain),
        cmocka_unit_test(test_ttl),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
