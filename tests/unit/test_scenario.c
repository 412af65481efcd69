/* test_scenario.c: scenario tests without sleeping (STYLE "The test
 * pyramid", point 2). A snapshot is loaded from a temporary profiles
 * directory and zone directory and the real monitor (monitor/monitor.c)
 * probes it through its seams: a clock the test steps, one probe interval
 * per step, and a start function that answers each probe with the result
 * the script gives (or never: a timeout). The monitor publishes into the
 * snapshot's health slots; after each step dns_handle answers raw query
 * bytes and the answer is checked. No sockets, no timers, no sleeping. */
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
#include <curl/curl.h>
#include <event2/event.h>
#include <ldns/ldns.h>

#include "dns/handle.h"
#include "gtm/err.h"
#include "gtm/health.h"
#include "gtm/probe.h"
#include "gtm/profile.h"
#include "gtm/snapshot.h"
#include "monitor/monitor.h"
#include "policy/policy.h"
#include "unit.h"
#include "zones/build.h"

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
static struct event_base *base; /* the monitor's, never dispatched */
static struct monitor *mon;
static int64_t clock_ms; /* the monitor's clock */
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
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return -1;
    base = event_base_new();
    return base ? 0 : -1;
}

static int
teardown(void **state)
{
    (void)state;
    event_base_free(base);
    curl_global_cleanup();
    snapshot_free(snap);
    tmpdir_remove(prof_dir);
    tmpdir_remove(zone_dir);
    free(prof_dir);
    free(zone_dir);
    return 0;
}

/* ---- the monitor, on a clock the test steps ---- */

#define INTERVAL_MS 10000 /* intervalInSeconds of every profile above */
#define TICK_MS     100   /* the clock's step within an interval */

/* What a probe answers in the current step. */
enum verdict { UP, DOWN, HANG };

static struct {
    const char *label;
    enum verdict v;
} verdicts[8];
static unsigned nverdicts, nstarted;

static int64_t
test_clock(void *arg)
{
    (void)arg;
    return clock_ms;
}

/* The seam start: answers the run with the verdict the script set for
 * the probe's label (UP when none), at once, as curl would at the end of
 * the transfer; HANG never answers. */
static void
test_start(void *arg, uint32_t idx, const char *label)
{
    (void)arg;
    enum verdict v = UP;
    for (unsigned i = 0; i < nverdicts; i++)
        if (strcmp(verdicts[i].label, label) == 0)
            v = verdicts[i].v;
    nstarted++;
    if (v != HANG)
        assert_int_equal(monitor_result(mon, idx, v == UP, v == UP ? "HTTP 200" : "HTTP 503", 1500),
                         0);
}

/* verdict: from now on the probe of label answers v. */
static void
verdict(const char *label, enum verdict v)
{
    for (unsigned i = 0; i < nverdicts; i++)
        if (strcmp(verdicts[i].label, label) == 0) {
            verdicts[i].v = v;
            return;
        }
    assert_true(nverdicts < sizeof verdicts / sizeof verdicts[0]);
    verdicts[nverdicts].label = label;
    verdicts[nverdicts++].v = v;
}

/* step: one probe interval, [now, now + INTERVAL_MS), passes in TICK_MS
 * steps of the clock (and its last millisecond); each probe runs once in
 * it (its first run falls somewhere in the first interval). */
static void
step(void)
{
    int64_t end = clock_ms + INTERVAL_MS;
    for (; clock_ms < end; clock_ms += TICK_MS)
        monitor_run_due(mon);
    clock_ms = end - 1;
    monitor_run_due(mon);
    clock_ms = end;
}

/* A fresh monitor for each test: every slot back to CheckingEndpoint, as
 * after a load, and no verdicts. */
static int
monitor_up(void **state)
{
    (void)state;
    static const struct monitor_seams seams = {
        .now_ms = test_clock, .start = test_start, .seed = 11};
    nverdicts = nstarted = 0;
    clock_ms = 1000000;
    mon = monitor_new_seams(base, &seams);
    monitor_reconcile(mon, snap);
    return 0;
}

static int
monitor_down(void **state)
{
    (void)state;
    monitor_free(mon);
    mon = NULL;
    return 0;
}

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

/* probe_of: the health slot index of profile/endpoint. */
static uint32_t
probe_of(const char *profile, const char *endpoint)
{
    const struct endpoint *e = find_endpoint(find_profile(profile), endpoint);
    assert_true(e->health_idx != HEALTH_NONE);
    assert_in_range(e->health_idx, 0, snap->nprobes - 1);
    return e->health_idx;
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
    const struct profile *app = find_profile("app");
    const struct endpoint *pe = find_endpoint(app, "primary");
    const struct endpoint *se = find_endpoint(app, "secondary");
    uint32_t prim = probe_of("app", "primary"), sec = probe_of("app", "secondary");
    assert_true(prim != sec);
    assert_int_equal(snap->probes[prim].fall, 3); /* toleratedNumberOfFailures 2, + 1 */
    assert_int_equal(snap->probes[sec].fall, 3);
    assert_int_equal(snap->probes[prim].interval_ms, INTERVAL_MS);
    assert_string_equal(snap->probes[prim].label, "app/primary");
    assert_string_equal(snap->probes[sec].label, "app/secondary");

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
        verdict("app/primary", script[i].primary_ok ? UP : DOWN);
        verdict("app/secondary", script[i].secondary_ok ? UP : DOWN);
        nstarted = 0;
        step();
        assert_int_equal(nstarted, snap->nprobes); /* each probe ran once */
        assert_int_equal(monitor_info(mon, prim)->state, script[i].primary);
        assert_int_equal(monitor_info(mon, sec)->state, script[i].secondary);
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
    assert_true(probe_of("web", "web1") != probe_of("app", "primary"));
    verdict("web/web1", DOWN);
    for (int i = 0; i < 3; i++)
        step();
    assert_answer("web." DOMAIN, LDNS_RR_TYPE_A,
                  "web." DOMAIN ".\t60\tIN\tCNAME\tweb2.example.org.\n");
    assert_answer("app." DOMAIN, LDNS_RR_TYPE_A, APP_A(PRIMARY));
    verdict("web/web1", UP);
    step();
    assert_answer("web." DOMAIN, LDNS_RR_TYPE_A,
                  "web." DOMAIN ".\t60\tIN\tCNAME\tweb1.example.org.\n");
}

/* A probe that never answers: each tick ends the run as a timeout (the
 * timeout, 5 s, is shorter than the interval: the run has had it), which
 * counts as a failure; the third makes the endpoint Degraded. */
static void
test_hanging_probe(void **state)
{
    (void)state;
    uint32_t prim = probe_of("app", "primary");
    assert_int_equal(snap->probes[prim].timeout_ms, 5000);
    verdict("app/primary", HANG);
    step(); /* the first run starts and hangs */
    assert_int_equal(monitor_info(mon, prim)->state, EPS_CHECKING);
    assert_int_equal(monitor_info(mon, prim)->probes_failed, 0);
    step(); /* its tick: the first timeout, and another run */
    step();
    assert_int_equal(monitor_info(mon, prim)->fails, 2);
    assert_string_equal(monitor_info(mon, prim)->last_result, "timeout after 5000 ms");
    assert_answer("app." DOMAIN, LDNS_RR_TYPE_A, APP_A(PRIMARY));
    step(); /* the third timeout */
    assert_int_equal(monitor_info(mon, prim)->state, EPS_DEGRADED);
    assert_int_equal(monitor_info(mon, prim)->probes_failed, 3);
    assert_answer("app." DOMAIN, LDNS_RR_TYPE_A, APP_A(SECONDARY));
    /* it answers again: the run in flight is over at once */
    verdict("app/primary", UP);
    step();
    assert_int_equal(monitor_info(mon, prim)->state, EPS_ONLINE);
    assert_answer("app." DOMAIN, LDNS_RR_TYPE_A, APP_A(PRIMARY));
    /* a result for a run no longer in flight is refused */
    assert_int_equal(monitor_result(mon, prim, false, "late", 0), GTM_EINVAL);
}

/* The schedule: first runs spread over the first interval, then one run
 * per probe per interval, whatever the steps of the clock. */
static void
test_schedule(void **state)
{
    (void)state;
    unsigned total = 0;
    for (int i = 0; i < 5; i++) {
        nstarted = 0;
        step();
        assert_int_equal(nstarted, snap->nprobes);
        total += nstarted;
    }
    /* a stall of the loop (here: of the clock) of three intervals: one run
     * each when it ends, then every interval from then on */
    nstarted = 0;
    clock_ms += 3 * INTERVAL_MS;
    monitor_run_due(mon);
    assert_int_equal(nstarted, snap->nprobes);
    nstarted = 0;
    clock_ms += INTERVAL_MS - 1;
    monitor_run_due(mon);
    assert_int_equal(nstarted, 0);
    clock_ms += 1;
    monitor_run_due(mon);
    assert_int_equal(nstarted, snap->nprobes);
    assert_int_equal(total, 5 * snap->nprobes);
    for (uint32_t i = 0; i < snap->nprobes; i++)
        assert_int_equal(monitor_info(mon, i)->probes_ok, 7);
}

/* ---- record types (features.md §1.3) ---- */

static void
test_ipv4_profile_types(void **state)
{
    (void)state;
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
        cmocka_unit_test_setup_teardown(test_failover_script, monitor_up, monitor_down),
        cmocka_unit_test_setup_teardown(test_profiles_independent, monitor_up, monitor_down),
        cmocka_unit_test_setup_teardown(test_hanging_probe, monitor_up, monitor_down),
        cmocka_unit_test_setup_teardown(test_schedule, monitor_up, monitor_down),
        cmocka_unit_test_setup_teardown(test_ipv4_profile_types, monitor_up, monitor_down),
        cmocka_unit_test_setup_teardown(test_cname_profile_types, monitor_up, monitor_down),
        cmocka_unit_test_setup_teardown(test_cname_chased_into_zone, monitor_up, monitor_down),
        cmocka_unit_test_setup_teardown(test_disabled_profile_nxdomain, monitor_up, monitor_down),
        cmocka_unit_test_setup_teardown(test_ttl, monitor_up, monitor_down),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
