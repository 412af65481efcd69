/* test_gtmctl.c: gtmctl's pure parts: the command line, request paths,
 * tables, the token file and the rendering of the API's JSON. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "ctl/args.h"
#include "ctl/client.h"
#include "ctl/path.h"
#include "ctl/render.h"
#include "ctl/table.h"

/* ---- the command line ---- */

/* A fake environment: NAME=VALUE pairs, set per test. */
static const char *fake_env[8];

static const char *
env_fake(const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; fake_env[i]; i++)
        if (strncmp(fake_env[i], name, n) == 0 && fake_env[i][n] == '=')
            return fake_env[i] + n + 1;
    return NULL;
}

/* Parses a NULL-terminated argument list (argv[0] added). */
static enum ctl_status
parse_v(struct ctl_args *a, char *err, size_t errlen, const char *const *args)
{
    char *argv[32] = {(char *)"gtmctl"};
    int argc = 1;
    for (; args[argc - 1]; argc++)
        argv[argc] = (char *)args[argc - 1];
    return ctl_args_parse(a, argc, argv, env_fake, err, errlen);
}

#define PARSE(a, err, ...) parse_v(a, err, sizeof err, (const char *const[]){__VA_ARGS__, NULL})

static void
test_args_defaults(void **state)
{
    (void)state;
    struct ctl_args a;
    char err[256];
    memset(fake_env, 0, sizeof fake_env);
    assert_int_equal(PARSE(&a, err, "status"), CTL_OK);
    assert_int_equal(a.cmd, CMD_STATUS);
    assert_string_equal(a.api, "https://127.0.0.1:8443");
    assert_string_equal(a.subscription, CTL_DEFAULT_SUBSCRIPTION);
    assert_null(a.resource_group);
    assert_null(a.cacert);
    assert_false(a.insecure);
    assert_false(a.json);
    assert_int_equal(a.timeout, 30);
    assert_int_equal(a.noperands, 0);
}

static void
test_args_env(void **state)
{
    (void)state;
    struct ctl_args a;
    char err[256];
    memset(fake_env, 0, sizeof fake_env);
    fake_env[0] = "GTMCTL_API=https://[::1]:9443/";
    fake_env[1] = "GTMCTL_CACERT=/etc/gtmd/api.crt";
    fake_env[2] = "GTMCTL_SUBSCRIPTION=sub-1";
    fake_env[3] = "GTMCTL_RESOURCE_GROUP=rg-1";
    assert_int_equal(PARSE(&a, err, "profiles"), CTL_OK);
    assert_string_equal(a.api, "https://[::1]:9443/");
    assert_string_equal(a.cacert, "/etc/gtmd/api.crt");
    assert_string_equal(a.subscription, "sub-1");
    assert_string_equal(a.resource_group, "rg-1");
    /* The command line wins; an explicit trust choice hides $GTMCTL_CACERT. */
    assert_int_equal(PARSE(&a, err, "--api", "https://localhost:1", "-k", "--subscription=s2", "-g",
                           "rg2", "profiles"),
                     CTL_OK);
    assert_string_equal(a.api, "https://localhost:1");
    assert_null(a.cacert);
    assert_true(a.insecure);
    assert_string_equal(a.subscription, "s2");
    assert_string_equal(a.resource_group, "rg2");
    memset(fake_env, 0, sizeof fake_env);
}

static void
test_args_anywhere(void **state)
{
    (void)state;
    struct ctl_args a;
    char err[256];
    memset(fake_env, 0, sizeof fake_env);
    assert_int_equal(PARSE(&a, err, "resolve", "app.tm.test", "--client", "192.0.2.1", "--json",
                           "--type=AAAA", "--timeout", "5"),
                     CTL_OK);
    assert_int_equal(a.cmd, CMD_RESOLVE);
    assert_int_equal(a.noperands, 1);
    assert_string_equal(a.operand[0], "app.tm.test");
    assert_string_equal(a.client, "192.0.2.1");
    assert_string_equal(a.type, "AAAA");
    assert_true(a.json);
    assert_int_equal(a.timeout, 5);
    /* After "--" a leading '-' is an operand. */
    assert_int_equal(PARSE(&a, err, "override", "--", "-p", "-e", "CLEAR"), CTL_OK);
    assert_int_equal(a.cmd, CMD_OVERRIDE);
    assert_string_equal(a.operand[0], "-p");
    assert_string_equal(a.operand[1], "-e");
    assert_string_equal(a.operand[2], "CLEAR");
    assert_int_equal(PARSE(&a, err, "enable", "p", "e"), CTL_OK);
    assert_int_equal(a.cmd, CMD_ENABLE);
    assert_int_equal(PARSE(&a, err, "disable", "p", "e"), CTL_OK);
    assert_int_equal(a.cmd, CMD_DISABLE);
    assert_int_equal(PARSE(&a, err, "history", "p", "e"), CTL_OK);
    assert_int_equal(a.cmd, CMD_HISTORY);
    assert_int_equal(PARSE(&a, err, "status", "p"), CTL_OK);
    assert_int_equal(a.noperands, 1);
    assert_int_equal(PARSE(&a, err, "reload"), CTL_OK);
    assert_int_equal(a.cmd, CMD_RELOAD);
}

static void
test_args_help(void **state)
{
    (void)state;
    struct ctl_args a;
    char err[256];
    assert_int_equal(PARSE(&a, err, "--help"), CTL_OK);
    assert_true(a.help);
    assert_int_equal(PARSE(&a, err, "-h", "bogus", "--api", "http://x"), CTL_OK);
    assert_true(a.help);
    assert_int_equal(PARSE(&a, err, "help"), CTL_OK);
    assert_true(a.help);
    assert_int_equal(PARSE(&a, err, "-V"), CTL_OK);
    assert_true(a.version);
    assert_non_null(strstr(ctl_usage(), "override PROFILE ENDPOINT online|degraded|clear"));
}

struct bad_case {
    const char *args[8];
    const char *message;
};

static void
test_args_errors(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        {{NULL}, "no command given (try 'gtmctl --help')"},
        {{"frobnicate"}, "unknown command 'frobnicate' (try 'gtmctl --help')"},
        {{"--bogus", "status"}, "unknown option '--bogus'"},
        {{"--bogus=1", "status"}, "unknown option '--bogus'"},
        {{"-x", "status"}, "unknown option '-x'"},
        {{"-kg", "status"}, "unknown option '-kg'"},
        {{"status", "--api"}, "option '--api' needs a value"},
        {{"status", "--api="}, "option '--api' needs a value"},
        {{"status", "--json=yes"}, "option '--json' takes no value"},
        {{"--api", "http://127.0.0.1:8443", "status"},
         "--api 'http://127.0.0.1:8443' is not an https:// URL"},
        {{"--api", "https://", "status"}, "--api 'https://' is not an https:// URL"},
        {{"--cacert", "a", "-k", "status"},
         "--cacert, --state-dir and --insecure exclude each other"},
        {{"--state-dir", "d", "--cacert", "a", "status"},
         "--cacert, --state-dir and --insecure exclude each other"},
        {{"--timeout", "0", "status"},
         "option '--timeout': '0' is not a number of seconds in [1, 3600]"},
        {{"--timeout", "5s", "status"},
         "option '--timeout': '5s' is not a number of seconds in [1, 3600]"},
        {{"profiles", "x"}, "usage: gtmctl profiles"},
        {{"endpoints"}, "usage: gtmctl endpoints PROFILE"},
        {{"enable", "p"}, "usage: gtmctl enable PROFILE ENDPOINT"},
        {{"disable", "p", "e", "x"}, "usage: gtmctl disable PROFILE ENDPOINT"},
        {{"override", "p", "e"}, "usage: gtmctl override PROFILE ENDPOINT online|degraded|clear"},
        {{"override", "p", "e", "up"}, "override: 'up' is not online, degraded or clear"},
        {{"override", "p", "e", "clear", "x"},
         "usage: gtmctl override PROFILE ENDPOINT online|degraded|clear"},
        {{"history", "p"}, "usage: gtmctl history PROFILE ENDPOINT"},
        {{"resolve"}, "usage: gtmctl resolve NAME [--client IP] [--type TYPE]"},
        {{"status", "--client", "192.0.2.1"}, "--client and --type go with 'resolve' only"},
        {{"reload", "now"}, "usage: gtmctl reload"},
        {{"status", "a", "b", "c", "d"}, "usage: gtmctl status [PROFILE]"},
        {{"fleet", "import"}, "usage: gtmctl fleet [import DIR|FILE --etcd URL]"},
        {{"fleet", "export", "d"}, "usage: gtmctl fleet [import DIR|FILE --etcd URL]"},
        {{"fleet", "import", "d"}, "fleet import: --etcd URL is required"},
        {{"fleet", "--etcd", "http://127.0.0.1:1"},
         "--etcd and its options go with 'fleet import' only"},
        {{"status", "--force"}, "--etcd and its options go with 'fleet import' only"},
    };
    memset(fake_env, 0, sizeof fake_env);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct ctl_args a;
        char err[256];
        enum ctl_status st = parse_v(&a, err, sizeof err, cases[i].args);
        if (st != CTL_USAGE || strcmp(err, cases[i].message) != 0)
            fail_msg("case %zu: status %d, message '%s', expected '%s'", i, st, err,
                     cases[i].message);
    }
}

/* ---- paths ---- */

static void
test_path(void **state)
{
    (void)state;
    struct ctl_path p;
    ctl_path_init(&p);
    assert_string_equal(p.s, "");
    ctl_path_raw(&p, "/gtmd/v1/profiles");
    ctl_path_seg(&p, "app dr/ü");
    ctl_path_seg(&p, "a-b_c.d~e");
    ctl_path_query(&p, "name", "app.tm.test");
    ctl_path_query(&p, "client", NULL);
    ctl_path_query(&p, "type", "A&b=c?#");
    assert_string_equal(p.s, "/gtmd/v1/profiles/app%20dr%2F%C3%BC/a-b_c.d~e"
                             "?name=app.tm.test&type=A%26b%3Dc%3F%23");
    assert_int_equal(p.len, strlen(p.s));
    ctl_path_cleanup(&p);
}

/* ---- tables ---- */

static char *
capture_begin(FILE **fp, size_t *len)
{
    char *buf = NULL;
    *fp = open_memstream(&buf, len);
    assert_non_null(*fp);
    return buf;
}

static void
test_table(void **state)
{
    (void)state;
    static const char *const head[] = {"NAME", "STATE", "NOTE"};
    struct table *t = table_new(3, head);
    static const char *const r1[] = {"primary", "Online", "ok"};
    static const char *const r2[] = {"sëcondary", NULL, ""};
    static const char *const r3[] = {"x\033[31m", "Degraded\n", "bell\a"};
    table_add(t, r1);
    table_add(t, r2);
    table_add(t, r3);
    assert_int_equal(table_rows(t), 3);
    char *buf = NULL;
    size_t len;
    FILE *fp = open_memstream(&buf, &len);
    table_print(t, fp);
    fclose(fp);
    assert_string_equal(buf, "NAME       STATE      NOTE\n"
                             "primary    Online     ok\n"
                             "sëcondary  -          -\n"
                             "x?[31m     Degraded?  bell?\n");
    free(buf);
    table_free(t);
    table_free(NULL);
    assert_int_equal(ctl_text_width("sëcondary"), 9);
    (void)capture_begin;
}

/* ---- the token file ---- */

static char *
temp_file(const char *text)
{
    char *path = strdup("/tmp/gtmctl-test-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void
test_token(void **state)
{
    (void)state;
    char err[256] = "";
    char *f = temp_file("# gtmd tokens\n\n   s3cret-token \t\nsecond\n");
    char *t = ctl_read_token(f, err, sizeof err);
    assert_non_null(t);
    assert_string_equal(t, "s3cret-token");
    free(t);
    unlink(f);
    free(f);

    f = temp_file("# only a comment\n\n");
    err[0] = 0;
    assert_null(ctl_read_token(f, err, sizeof err));
    assert_non_null(strstr(err, "holds no token"));
    unlink(f);
    free(f);

    char big[CTL_MAX_TOKEN_LEN + 10];
    memset(big, 'a', sizeof big - 2);
    big[sizeof big - 2] = '\n';
    big[sizeof big - 1] = 0;
    f = temp_file(big);
    err[0] = 0;
    assert_null(ctl_read_token(f, err, sizeof err));
    assert_non_null(strstr(err, ":1: token longer than 512 bytes"));
    unlink(f);
    free(f);

    f = temp_file("tok\033en\n");
    err[0] = 0;
    assert_null(ctl_read_token(f, err, sizeof err));
    assert_non_null(strstr(err, ":1: the token holds control characters"));
    unlink(f);
    free(f);

    err[0] = 0;
    assert_null(ctl_read_token("/nonexistent/token", err, sizeof err));
    assert_string_equal(err, "/nonexistent/token: No such file or directory");
}

/* ---- rendering ---- */

static char *
render_to_string(void (*fn)(const json_t *, FILE *), const char *json)
{
    json_error_t jerr;
    json_t *j = json_loads(json, 0, &jerr);
    if (!j)
        fail_msg("bad test JSON: %s", jerr.text);
    char *buf = NULL;
    size_t len;
    FILE *fp = open_memstream(&buf, &len);
    fn(j, fp);
    fclose(fp);
    json_decref(j);
    return buf;
}

static const char profile_list[] =
    "{\"value\":[{\"id\":\"/subscriptions/s/resourceGroups/rg-dr/providers/"
    "Microsoft.Network/trafficManagerProfiles/app-dr\",\"name\":\"app-dr\","
    "\"type\":\"Microsoft.Network/trafficManagerProfiles\",\"location\":\"global\","
    "\"properties\":{\"profileStatus\":\"Enabled\",\"trafficRoutingMethod\":\"Priority\","
    "\"dnsConfig\":{\"relativeName\":\"app-dr\",\"fqdn\":\"app-dr.tm.test\",\"ttl\":30},"
    "\"monitorConfig\":{\"profileMonitorStatus\":\"Online\",\"protocol\":\"HTTP\"},"
    "\"endpoints\":["
    "{\"id\":\"/x/externalEndpoints/primary\",\"name\":\"primary\","
    "\"type\":\"Microsoft.Network/trafficManagerProfiles/externalEndpoints\","
    "\"properties\":{\"target\":\"192.0.2.10\",\"endpointStatus\":\"Enabled\","
    "\"endpointMonitorStatus\":\"Online\",\"priority\":1,\"weight\":1,"
    "\"endpointLocation\":\"West Europe\"}},"
    "{\"name\":\"child\",\"type\":\"Microsoft.Network/trafficManagerProfiles/nestedEndpoints\","
    "\"properties\":{\"targetResourceId\":\"/subscriptions/s/resourceGroups/rg/providers/"
    "Microsoft.Network/trafficManagerProfiles/kid\",\"endpointStatus\":\"Disabled\","
    "\"endpointMonitorStatus\":\"Disabled\",\"priority\":2,\"weight\":1}}]}},"
    /* az's flattened shape, with a resourceGroup of its own. */
    "{\"name\":\"web\",\"resourceGroup\":\"rg-web\",\"profileStatus\":\"Disabled\","
    "\"trafficRoutingMethod\":\"Weighted\",\"dnsConfig\":{\"ttl\":60,\"fqdn\":\"web.tm.test\"},"
    "\"monitorConfig\":{\"profileMonitorStatus\":\"Disabled\"},\"endpoints\":[]}]}";

static void
test_render_profiles(void **state)
{
    (void)state;
    char *out = render_to_string(render_profiles, profile_list);
    assert_string_equal(
        out,
        "NAME    RESOURCE GROUP  ROUTING   STATUS    MONITOR   TTL  ENDPOINTS  FQDN\n"
        "app-dr  rg-dr           Priority  Enabled   Online    30   2          app-dr.tm.test\n"
        "web     rg-web          Weighted  Disabled  Disabled  60   0          web.tm.test\n");
    free(out);
    out = render_to_string(render_profiles, "{\"value\":[]}");
    assert_string_equal(out,
                        "NAME  RESOURCE GROUP  ROUTING  STATUS  MONITOR  TTL  ENDPOINTS  FQDN\n");
    free(out);
}

static void
render_first_endpoints(const json_t *list, FILE *out)
{
    render_endpoints(json_array_get(json_object_get(list, "value"), 0), out);
}

static void
test_render_endpoints(void **state)
{
    (void)state;
    char *out = render_to_string(render_first_endpoints, profile_list);
    assert_string_equal(
        out, "NAME     TYPE      TARGET      STATUS    MONITOR   PRIORITY  WEIGHT  LOCATION\n"
             "primary  external  192.0.2.10  Enabled   Online    1         1       West Europe\n"
             "child    nested    kid         Disabled  Disabled  2         1       -\n");
    free(out);
}

static void
test_ids(void **state)
{
    (void)state;
    char buf[64];
    const char *id = "/subscriptions/s1/resourceGroups/RG-1/providers/Microsoft.Network/"
                     "trafficManagerProfiles/p/externalEndpoints/e";
    assert_string_equal(ctl_id_part(id, "resourcegroups", buf, sizeof buf), "RG-1");
    assert_string_equal(ctl_id_part(id, "subscriptions", buf, sizeof buf), "s1");
    assert_string_equal(ctl_id_part(id, "trafficManagerProfiles", buf, sizeof buf), "p");
    assert_null(ctl_id_part(id, "azureEndpoints", buf, sizeof buf));
    assert_null(ctl_id_part("/subscriptions/", "subscriptions", buf, sizeof buf));
    assert_null(ctl_id_part(NULL, "subscriptions", buf, sizeof buf));
    assert_null(ctl_id_part(id, "resourceGroups", buf, 3));
    assert_string_equal(
        ctl_endpoint_kind("Microsoft.Network/trafficManagerProfiles/externalEndpoints"),
        "externalEndpoints");
    assert_string_equal(
        ctl_endpoint_kind("Microsoft.network/TrafficManagerProfiles/AzureEndpoints"),
        "AzureEndpoints");
    assert_null(ctl_endpoint_kind("Microsoft.Network/trafficManagerProfiles"));
    assert_null(ctl_endpoint_kind(NULL));
}

static const char status_json[] =
    "{\"version\":\"0.1.0\",\"domain\":\"tm.test\",\"profiles\":["
    "{\"name\":\"app\",\"method\":\"Priority\",\"endpoints\":["
    "{\"name\":\"primary\",\"type\":\"externalEndpoints\",\"endpointStatus\":\"Enabled\","
    "\"endpointMonitorStatus\":\"Degraded\",\"target\":\"192.0.2.1\",\"probe\":{"
    "\"state\":\"Degraded\",\"probed\":\"Online\",\"override\":\"Degraded\","
    "\"lastResult\":\"HTTP 200\",\"lastOk\":true,\"lastProbe\":\"2026-11-21T10:02:11.123Z\","
    "\"lastChange\":\"2026-11-21T10:02:11.123Z\",\"latencyMs\":0.437,\"failures\":0}},"
    "{\"name\":\"secondary\",\"endpointStatus\":\"Enabled\","
    "\"endpointMonitorStatus\":\"Online\",\"probe\":{\"override\":null,"
    "\"lastResult\":\"timeout after 10 s\",\"lastChange\":null,\"latencyMs\":10000.2,"
    "\"failures\":2}},"
    "{\"name\":\"off\",\"endpointStatus\":\"Disabled\",\"endpointMonitorStatus\":\"Disabled\","
    "\"probe\":null}]},"
    "{\"name\":\"web\",\"endpoints\":[]}],\"transitions\":[]}";

static void
render_status_all(const json_t *j, FILE *out)
{
    assert_int_equal(render_status(j, NULL, out), 2);
}

static void
render_status_web(const json_t *j, FILE *out)
{
    assert_int_equal(render_status(j, "WEB", out), 1);
}

static void
render_status_none(const json_t *j, FILE *out)
{
    assert_int_equal(render_status(j, "nosuch", out), 0);
}

static void
test_render_status(void **state)
{
    (void)state;
    char *out = render_to_string(render_status_all, status_json);
    assert_string_equal(
        out,
        "PROFILE  ENDPOINT   STATUS    STATE     LAST                LATENCY   FAILS  CHANGED   "
        "            OVERRIDE\n"
        "app      primary    Enabled   Degraded  HTTP 200            0.4 ms    0      "
        "2026-11-21T10:02:11Z  Degraded\n"
        "app      secondary  Enabled   Online    timeout after 10 s  10000 ms  2      -     "
        "                -\n"
        "app      off        Disabled  Disabled  -                   -         -      -     "
        "                -\n");
    free(out);
    out = render_to_string(render_status_web, status_json);
    assert_string_equal(out, "PROFILE  ENDPOINT  STATUS  STATE  LAST  LATENCY  FAILS  CHANGED  "
                             "OVERRIDE\n");
    free(out);
    out = render_to_string(render_status_none, status_json);
    assert_string_equal(out, "");
    free(out);
}

/* render_fleet: the nodes, then a row per probed endpoint with each
 * node's verdict; a node without a verdict shows as "-". */
static const char fleet_status[] =
    "{\"profiles\":[{\"name\":\"app\",\"endpoints\":["
    "{\"name\":\"primary\",\"fleet\":{\"state\":\"Online\",\"quorum\":2,\"voters\":3,"
    "\"degraded\":1,\"nodes\":{\"n1\":{\"state\":\"Degraded\"},\"n2\":{\"state\":"
    "\"Online\"},\"n3\":{\"state\":\"Online\"}}}},"
    "{\"name\":\"off\"},"
    "{\"name\":\"secondary\",\"fleet\":{\"state\":\"Online\",\"quorum\":1,\"voters\":1,"
    "\"degraded\":0,\"nodes\":{\"n1\":{\"state\":\"Online\"}}}}]}]}";

static void
render_fleet_with_status(const json_t *fleet, FILE *out)
{
    json_t *st = json_loads(fleet_status, 0, NULL);
    assert_non_null(st);
    render_fleet(fleet, st, out);
    json_decref(st);
}

static void
test_render_fleet(void **state)
{
    (void)state;
    static const char fleet[] =
        "{\"node\":\"n1\",\"etcd\":{\"url\":\"http://127.0.0.1:2379\",\"reachable\":true,"
        "\"revision\":42},\"quorum\":\"majority\",\"nodes\":["
        "{\"name\":\"n1\",\"version\":\"0.1.0\",\"api\":\"127.0.0.1:8441\",\"started\":"
        "1700000000000},{\"name\":\"n2\",\"version\":\"0.1.0\",\"api\":\"127.0.0.1:8442\"},"
        "{\"name\":\"n3\"}]}";
    char *out = render_to_string(render_fleet_with_status, fleet);
    assert_string_equal(out,
                        "etcd http://127.0.0.1:2379 (reachable), revision 42, quorum majority\n"
                        "NODE  VERSION  API             STARTED               SELF\n"
                        "n1    0.1.0    127.0.0.1:8441  2023-11-14T22:13:20Z  *\n"
                        "n2    0.1.0    127.0.0.1:8442  -                     -\n"
                        "n3    -        -               -                     -\n"
                        "\n"
                        "PROFILE  ENDPOINT   FLEET   QUORUM  n1        n2      n3\n"
                        "app      primary    Online  1/2     Degraded  Online  Online\n"
                        "app      secondary  Online  0/1     Online    -       -\n");
    free(out);
}

static void
test_render_history(void **state)
{
    (void)state;
    static const char h[] =
        "[{\"time\":\"2026-11-21T10:05:00.000Z\",\"from\":\"Online\",\"to\":\"Degraded\","
        "\"failures\":0,\"reason\":\"drill override\"},"
        "{\"time\":1700000000,\"from\":\"CheckingEndpoint\",\"to\":\"Online\",\"failures\":0,"
        "\"reason\":\"HTTP 200\"}]";
    char *out = render_to_string(render_history, h);
    assert_string_equal(out,
                        "TIME                  FROM              TO        FAILS  REASON\n"
                        "2026-11-21T10:05:00Z  Online            Degraded  0      drill override\n"
                        "2023-11-14T22:13:20Z  CheckingEndpoint  Online    0      HTTP 200\n");
    free(out);
    char *wrapped = NULL;
    size_t n = strlen(h) + 32;
    wrapped = malloc(n);
    snprintf(wrapped, n, "{\"history\":%s}", h);
    char *out2 = render_to_string(render_history, wrapped);
    assert_non_null(strstr(out2, "drill override"));
    free(out2);
    free(wrapped);
}

static void
test_render_resolve(void **state)
{
    (void)state;
    static const char r[] =
        "{\"name\":\"app.tm.test.\",\"type\":\"A\",\"client\":\"192.0.2.0/24\",\"rcode\":"
        "\"NOERROR\",\"authoritative\":true,\"ecsScope\":24,\"answer\":[{\"name\":"
        "\"app.tm.test.\",\"type\":\"A\",\"ttl\":30,\"data\":\"192.0.2.10\"}],\"authority\":[],"
        "\"additional\":[],\"profiles\":[{\"name\":\"app.tm.test.\",\"profile\":\"app\","
        "\"method\":\"Priority\",\"profileStatus\":\"Enabled\",\"profileMonitorStatus\":"
        "\"Degraded\",\"bestEffort\":false,\"result\":\"answer\",\"reason\":\"Priority: the "
        "endpoint up with the lowest priority value answers\",\"served\":[\"kid\"],\"endpoints\":["
        "{\"name\":\"primary\",\"endpointStatus\":\"Enabled\",\"status\":\"Degraded\","
        "\"candidate\":false,\"served\":false,\"priority\":1,\"weight\":1,\"target\":\"192.0.2.1\"}"
        ","
        "{\"name\":\"kid\",\"endpointStatus\":\"Enabled\",\"status\":\"Online\",\"candidate\":true,"
        "\"served\":true,\"priority\":2,\"weight\":1,\"childProfile\":\"child\",\"child\":{"
        "\"profile\":\"child\",\"method\":\"Weighted\",\"profileMonitorStatus\":\"Online\","
        "\"bestEffort\":true,\"result\":\"answer\",\"reason\":\"Weighted: a draw\\u001b[1m\","
        "\"endpoints\":[{\"name\":\"c1\",\"endpointStatus\":\"Enabled\",\"status\":\"Degraded\","
        "\"candidate\":true,\"served\":true,\"priority\":1,\"weight\":5,\"target\":"
        "\"192.0.2.10\"}]}}]}]}";
    char *out = render_to_string(render_resolve, r);
    assert_string_equal(
        out, "app.tm.test. A for client 192.0.2.0/24: NOERROR, authoritative, ECS scope /24\n"
             "ANSWER\n"
             "NAME          TYPE  TTL  DATA\n"
             "app.tm.test.  A     30   192.0.2.10\n"
             "\n"
             "profile app (app.tm.test.): Priority, monitor Degraded -> answer\n"
             "  Priority: the endpoint up with the lowest priority value answers\n"
             "ENDPOINT  STATUS   STATE     CANDIDATE  SERVED  PRIORITY  WEIGHT  TARGET\n"
             "primary   Enabled  Degraded  no         no      1         1       192.0.2.1\n"
             "kid       Enabled  Online    yes        yes     2         1       child\n"
             "\n"
             "profile child via app/kid: Weighted, monitor Online, best effort -> answer\n"
             "  Weighted: a draw?[1m\n"
             "ENDPOINT  STATUS   STATE     CANDIDATE  SERVED  PRIORITY  WEIGHT  TARGET\n"
             "c1        Enabled  Degraded  yes        yes     1         5       192.0.2.10\n");
    free(out);
    out = render_to_string(render_resolve,
                           "{\"name\":\"x.example.\",\"type\":\"AAAA\",\"client\":\"unknown\","
                           "\"rcode\":\"REFUSED\",\"reason\":\"the name is in none of gtmd's "
                           "zones\"}");
    assert_string_equal(out, "x.example. AAAA for client unknown: REFUSED\n"
                             "  the name is in none of gtmd's zones\n");
    free(out);
}

static void
test_render_override(void **state)
{
    (void)state;
    char *out = render_to_string(render_override,
                                 "{\"profile\":\"app\",\"endpoint\":\"primary\",\"override\":"
                                 "\"Degraded\",\"probed\":\"Online\",\"endpointMonitorStatus\":"
                                 "\"Degraded\",\"sharedWith\":[\"web/a\",\"api/b\"]}");
    assert_string_equal(out, "app/primary: monitor status forced Degraded (probes say Online)\n"
                             "  the same probe, so the same state: web/a, api/b\n");
    free(out);
    out = render_to_string(render_override,
                           "{\"profile\":\"app\",\"endpoint\":\"primary\",\"override\":null,"
                           "\"probed\":\"Online\",\"endpointMonitorStatus\":\"Online\","
                           "\"sharedWith\":[]}");
    assert_string_equal(out, "app/primary: override cleared, monitor status Online\n");
    free(out);
    out = render_to_string(render_reload, "{\"result\":\"reloaded\",\"generation\":3,"
                                          "\"profiles\":2,\"zones\":1,\"probes\":4}");
    assert_string_equal(out, "reloaded (generation 3): profiles 2, zones 1, probes 4\n");
    free(out);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_args_defaults),
        cmocka_unit_test(test_args_env),
        cmocka_unit_test(test_args_anywhere),
        cmocka_unit_test(test_args_help),
        cmocka_unit_test(test_args_errors),
        cmocka_unit_test(test_path),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_token),
        cmocka_unit_test(test_render_profiles),
        cmocka_unit_test(test_render_endpoints),
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_render_status),
        cmocka_unit_test(test_render_history),
        cmocka_unit_test(test_render_fleet),
        cmocka_unit_test(test_render_resolve),
        cmocka_unit_test(test_render_override),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
