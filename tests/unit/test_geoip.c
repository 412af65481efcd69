/* test_geoip.c: --geoip lookups (lib/geoip.c) over MaxMind DB files that
 * tests/system/mmdb.py writes at test time, and Geographic routing from the
 * database through policy_choose, the geo table first. Skipped when gtmd
 * was built without libmaxminddb. */
#include "config.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <cmocka.h>
#include <ldns/ldns.h>
#include "gtm/alloc.h"
#include "gtm/geoip.h"
#include "gtm/health.h"
#include "gtm/nettable.h"
#include "gtm/profile.h"
#include "gtm/snapshot.h"
#include "policy/policy.h"
#include "unit.h"
#include "profiles/profile.h"
#include "zones/build.h"

static char *dir;

/* mmdb: writes dir/name with tests/system/mmdb.py and the given arguments;
 * returns the path (free it). */
static char *
mmdb(const char *name, const char *args)
{
    const char *src = getenv("GTM_SRCDIR");
    char path[4096], cmd[8192];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(cmd, sizeof cmd, "python3 '%s/tests/system/mmdb.py' '%s' %s", src && *src ? src : ".",
             path, args);
    assert_int_equal(system(cmd), 0);
    return strdup(path);
}

static const char v6_nets[] = "203.0.113.0/24=US-CA 198.51.100.0/24=FR 2001:db8:1::/48=BR "
                              "10.0.0.0/8=DE 10.1.0.0/16=us-ny "
                              "'192.0.2.0/24={\"registered_country\":{\"iso_code\":\"JP\"}}' "
                              "'192.0.3.0/24={\"city\":{\"names\":{\"en\":\"X\"}}}'";

static int
setup(void **state)
{
    (void)state;
    dir = tmpdir_new();
    return dir ? 0 : -1;
}

static int
teardown(void **state)
{
    (void)state;
    tmpdir_remove(dir);
    free(dir);
    return 0;
}

static bool
look(const struct geoip *g, const char *text, struct geoip_match *m)
{
    uint8_t a[16];
    uint8_t family = strchr(text, ':') ? AF_INET6 : AF_INET;
    assert_int_equal(inet_pton(family, text, a), 1);
    memset(m, 0xA5, sizeof *m);
    return geoip_lookup(g, family, a, m);
}

static void
test_lookup_ipv6_tree(void **state)
{
    (void)state;
    if (!geoip_available())
        skip();
    char *path = mmdb("six.mmdb", v6_nets);
    struct errbuf eb;
    struct config_errors errs = errs_init(&eb);
    struct geoip *g = geoip_open(path, &errs);
    assert_string_equal(eb.text, "");
    assert_non_null(g);
    struct geoip_match m;
    assert_true(look(g, "203.0.113.5", &m));
    assert_string_equal(m.code, "US-CA");
    assert_int_equal(m.prefix, 24);
    assert_true(look(g, "198.51.100.200", &m));
    assert_string_equal(m.code, "FR");
    assert_int_equal(m.prefix, 24);
    assert_true(look(g, "2001:db8:1:2::7", &m));
    assert_string_equal(m.code, "BR");
    assert_int_equal(m.prefix, 48);
    assert_true(look(g, "10.200.0.1", &m));
    assert_string_equal(m.code, "DE");
    assert_int_equal(m.prefix, 9);        /* the /8 is split around 10.1.0.0/16 */
    assert_true(look(g, "10.1.2.3", &m)); /* more specific; codes uppercased */
    assert_string_equal(m.code, "US-NY");
    assert_int_equal(m.prefix, 16);
    assert_true(look(g, "192.0.2.1", &m)); /* registered_country when no country */
    assert_string_equal(m.code, "JP");
    assert_false(look(g, "192.0.3.1", &m)); /* a record without a country */
    assert_string_equal(m.code, "");
    assert_int_equal(m.prefix, 24);
    assert_false(look(g, "192.0.4.1", &m)); /* no record: the empty network's prefix */
    assert_string_equal(m.code, "");
    assert_true(m.prefix > 0 && m.prefix <= 24);
    assert_false(look(g, "2001:db8:2::1", &m));
    assert_true(m.prefix > 0 && m.prefix <= 48);
    assert_false(geoip_lookup(g, 0, (const uint8_t[16]){0}, &m));
    assert_int_equal(m.prefix, 0);
    geoip_close(g);
    free(path);
}

static void
test_lookup_ipv4_tree(void **state)
{
    (void)state;
    if (!geoip_available())
        skip();
    char *path = mmdb("four.mmdb", "--ip-version 4 --record-size 32 203.0.113.0/25=GB-ENG");
    struct errbuf eb;
    struct config_errors errs = errs_init(&eb);
    struct geoip *g = geoip_open(path, &errs);
    assert_non_null(g);
    struct geoip_match m;
    assert_true(look(g, "203.0.113.127", &m));
    assert_string_equal(m.code, "GB-ENG");
    assert_int_equal(m.prefix, 25);
    assert_false(look(g, "203.0.113.128", &m));
    assert_int_equal(m.prefix, 25);
    assert_false(look(g, "2001:db8::1", &m)); /* IPv6 in an IPv4 database */
    assert_int_equal(m.prefix, 0);
    geoip_close(g);
    free(path);
}

static void
test_open_errors_name_the_file(void **state)
{
    (void)state;
    if (!geoip_available())
        skip();
    struct errbuf eb;
    struct config_errors errs = errs_init(&eb);
    char missing[4096];
    snprintf(missing, sizeof missing, "%s/missing.mmdb", dir);
    assert_null(geoip_open(missing, &errs));
    assert_int_equal(errs.count, 1);
    assert_non_null(strstr(eb.text, missing));
    assert_non_null(strstr(eb.text, "No such file"));

    char *bad = tmpfile_write(dir, "bad.mmdb", "this is not a MaxMind DB file\n");
    errs = errs_init(&eb);
    assert_null(geoip_open(bad, &errs));
    assert_int_equal(errs.count, 1);
    assert_non_null(strstr(eb.text, bad));
    free(bad);
    geoip_close(NULL);
}

static const char geo_doc[] =
    "{\"name\":\"g\",\"type\":\"Microsoft.Network/trafficManagerProfiles\","
    "\"properties\":{\"profileStatus\":\"Enabled\",\"trafficRoutingMethod\":\"Geographic\","
    "\"dnsConfig\":{\"relativeName\":\"g\",\"ttl\":60},"
    "\"monitorConfig\":{\"protocol\":\"HTTP\",\"port\":80,\"path\":\"/\"},"
    "\"endpoints\":["
    "{\"name\":\"ca\",\"type\":\"Microsoft.Network/trafficManagerProfiles/externalEndpoints\","
    "\"properties\":{\"target\":\"192.0.2.1\",\"geoMapping\":[\"US-CA\"]}},"
    "{\"name\":\"eu\",\"type\":\"Microsoft.Network/trafficManagerProfiles/externalEndpoints\","
    "\"properties\":{\"target\":\"192.0.2.2\",\"geoMapping\":[\"GEO-EU\"]}},"
    "{\"name\":\"us\",\"type\":\"Microsoft.Network/trafficManagerProfiles/externalEndpoints\","
    "\"properties\":{\"target\":\"192.0.2.3\",\"geoMapping\":[\"US\"]}},"
    "{\"name\":\"world\",\"type\":\"Microsoft.Network/trafficManagerProfiles/externalEndpoints\","
    "\"properties\":{\"target\":\"192.0.2.4\",\"geoMapping\":[\"WORLD\"]}}]}}";

/* route: the endpoint name and scope for client text/srclen ("-" if none). */
static const char *
route(const struct profile *p, const struct health_slot *h, const struct net_table *geo,
      const struct geoip *db, const char *text, uint8_t srclen, uint8_t *scope)
{
    struct policy_client cl = {.prefix = srclen};
    cl.family = strchr(text, ':') ? AF_INET6 : AF_INET;
    assert_int_equal(inet_pton(cl.family, text, cl.addr), 1);
    uint64_t rng = 1;
    struct policy_ctx c = {
        .health = h, .rng = &rng, .client = &cl, .qtype = LDNS_RR_TYPE_A, .geo = geo, .geoip = db};
    struct policy_pick pk;
    memset(&pk, 0xA5, sizeof pk);
    int rc = policy_choose(p, &c, &pk);
    *scope = pk.scope;
    if (rc != POLICY_OK)
        return "-";
    assert_int_equal(pk.n, 1);
    return pk.ep[0]->name;
}

static void
test_geographic_from_database(void **state)
{
    (void)state;
    if (!geoip_available())
        skip();
    struct arena *a = arena_new();
    struct errbuf eb;
    struct config_errors errs = errs_init(&eb);
    struct profile *p = NULL;
    assert_int_equal(profile_parse(a, "g.json", geo_doc, strlen(geo_doc), false, &errs, &p), 0);
    struct health_slot h[4];
    for (uint32_t i = 0; i < p->nendpoints; i++) {
        p->endpoints[i].health_idx = i;
        atomic_init(&h[i].status, EPS_ONLINE);
    }
    char *path = mmdb("route.mmdb", v6_nets);
    struct geoip *db = geoip_open(path, &errs);
    assert_non_null(db);
    char *table = tmpfile_write(dir, "geo.txt", "198.51.100.128/25 US-CA\n");
    const struct net_table *geo = net_table_load(a, table, NET_TABLE_GEO, &errs);
    assert_non_null(geo);
    assert_string_equal(eb.text, "");

    uint8_t scope;
    assert_string_equal(route(p, h, NULL, db, "203.0.113.9", 32, &scope), "ca"); /* US-CA */
    assert_int_equal(scope, 24);
    assert_string_equal(route(p, h, NULL, db, "198.51.100.0", 24, &scope), "eu"); /* FR */
    assert_int_equal(scope, 24);
    assert_string_equal(route(p, h, NULL, db, "10.1.0.0", 16, &scope), "us"); /* US-NY */
    assert_int_equal(scope, 16);
    assert_string_equal(route(p, h, NULL, db, "2001:db8:1::", 48, &scope), "world"); /* BR */
    assert_int_equal(scope, 48);
    assert_string_equal(route(p, h, NULL, db, "192.0.4.0", 24, &scope), "world"); /* none */
    assert_true(scope <= 24);
    /* the geo table first: its row wins over the database's FR */
    assert_string_equal(route(p, h, geo, db, "198.51.100.200", 32, &scope), "ca");
    assert_int_equal(scope, 25);
    /* no row: the database, the scope kept clear of the table's /25 */
    assert_string_equal(route(p, h, geo, db, "198.51.100.0", 32, &scope), "eu");
    assert_int_equal(scope, 25);
    assert_string_equal(route(p, h, geo, db, "203.0.113.0", 24, &scope), "ca");
    assert_int_equal(scope, 24);
    /* no database: WORLD */
    assert_string_equal(route(p, h, NULL, NULL, "203.0.113.9", 32, &scope), "world");
    assert_int_equal(scope, 0);

    geoip_close(db);
    free(path);
    free(table);
    arena_free(a);
}

static void
test_snapshot_load_and_errors(void **state)
{
    (void)state;
    if (!geoip_available())
        skip();
    char *path = mmdb("snap.mmdb", "203.0.113.0/24=FR");
    struct errbuf eb;
    struct config_errors errs = errs_init(&eb);
    struct snapshot_params sp = {.domain = "tm.test", .geoip = path};
    struct gtm_snapshot *s = snapshot_load(&sp, &errs);
    assert_string_equal(eb.text, "");
    assert_non_null(s);
    assert_non_null(s->geoip);
    snapshot_free(s);

    char missing[4096];
    snprintf(missing, sizeof missing, "%s/nope.mmdb", dir);
    sp.geoip = missing;
    errs = errs_init(&eb);
    assert_null(snapshot_load(&sp, &errs));
    assert_int_equal(errs.count, 1);
    assert_non_null(strstr(eb.text, missing));
    free(path);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup_ipv6_tree),
        cmocka_unit_test(test_lookup_ipv4_tree),
        cmocka_unit_test(test_open_errors_name_the_file),
        cmocka_unit_test(test_geographic_from_database),
        cmocka_unit_test(test_snapshot_load_and_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
