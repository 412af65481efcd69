/* test_profile.c: profile_parse: every error path with its exact message
 * and JSON path (ARM and flattened `az` shapes), strict vs lab mode,
 * defaults, and both shapes of one profile giving the same result. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <jansson.h>

#include "gtm/alloc.h"
#include "gtm/err.h"
#include "gtm/profile.h"
#include "gtm/snapshot.h"
#include "unit.h"
#include "profiles/profile.h"

#define FILE_NAME "t.json"
#define ERR       FILE_NAME ": error: "
#define EP        "Microsoft.Network/trafficManagerProfiles/"

/* A valid profile (even with --strict), ARM shape. */
static const char base_arm[] =
    "{\"name\":\"t\",\"type\":\"Microsoft.Network/trafficManagerProfiles\",\"location\":\"global\","
    "\"properties\":{\"profileStatus\":\"Enabled\",\"trafficRoutingMethod\":\"Priority\","
    "\"dnsConfig\":{\"relativeName\":\"t\",\"ttl\":30},"
    "\"monitorConfig\":{\"protocol\":\"HTTP\",\"port\":80,\"path\":\"/\","
    "\"intervalInSeconds\":30,\"timeoutInSeconds\":10,\"toleratedNumberOfFailures\":3},"
    "\"endpoints\":["
    "{\"name\":\"e0\",\"type\":\"" EP "externalEndpoints\","
    "\"properties\":{\"target\":\"a.example.com\",\"priority\":1}},"
    "{\"name\":\"e1\",\"type\":\"" EP "externalEndpoints\","
    "\"properties\":{\"target\":\"b.example.com\",\"priority\":2}}]}}";

/* The same, flattened as `az network traffic-manager profile show` prints it. */
static const char base_az[] =
    "{\"name\":\"t\",\"type\":\"Microsoft.Network/trafficManagerProfiles\",\"location\":\"global\","
    "\"resourceGroup\":\"rg\",\"profileStatus\":\"Enabled\",\"trafficRoutingMethod\":\"Priority\","
    "\"dnsConfig\":{\"relativeName\":\"t\",\"ttl\":30,\"fqdn\":\"t.trafficmanager.net\"},"
    "\"monitorConfig\":{\"protocol\":\"HTTP\",\"port\":80,\"path\":\"/\","
    "\"intervalInSeconds\":30,\"timeoutInSeconds\":10,\"toleratedNumberOfFailures\":3,"
    "\"profileMonitorStatus\":\"Online\"},\"maxReturn\":null,"
    "\"endpoints\":["
    "{\"name\":\"e0\",\"type\":\"" EP "externalEndpoints\",\"target\":\"a.example.com\","
    "\"priority\":1,\"geoMapping\":null,\"endpointMonitorStatus\":\"Online\"},"
    "{\"name\":\"e1\",\"type\":\"" EP "externalEndpoints\",\"target\":\"b.example.com\","
    "\"priority\":2,\"subnets\":null}]}";

static struct arena *arena;
static struct errbuf eb;
static struct config_errors errs;

static int
setup(void **state)
{
    (void)state;
    arena = arena_new();
    errs = errs_init(&eb);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    arena_free(arena);
    return 0;
}

/* ---- stderr capture, for warnings (config_warning logs them) ---- */

static int saved_fd = -1;
static FILE *cap_fp;

static void
capture_begin(void)
{
    fflush(stderr);
    cap_fp = tmpfile();
    assert_non_null(cap_fp);
    saved_fd = dup(STDERR_FILENO);
    dup2(fileno(cap_fp), STDERR_FILENO);
}

/* capture_end: what was written to stderr since capture_begin (static buffer). */
static const char *
capture_end(void)
{
    static char buf[16384];
    fflush(stderr);
    dup2(saved_fd, STDERR_FILENO);
    close(saved_fd);
    rewind(cap_fp);
    size_t n = fread(buf, 1, sizeof buf - 1, cap_fp);
    buf[n] = 0;
    fclose(cap_fp);
    return buf;
}

/* ---- documents built from a base by setting paths ---- */

/* set_path: path like "properties.endpoints[1].properties.weight" set to the
 * JSON text value, or removed when value is NULL. */
static void
set_path(json_t *root, const char *path, const char *value)
{
    json_t *cur = root;
    char seg[128];
    const char *p = path;
    for (;;) {
        bool idx = *p == '[';
        size_t n;
        if (idx) {
            p++;
            n = strcspn(p, "]");
        } else {
            n = strcspn(p, ".[");
        }
        assert_true(n < sizeof seg);
        memcpy(seg, p, n);
        seg[n] = 0;
        p += n + (idx ? 1 : 0);
        if (*p == '.')
            p++;
        bool last = *p == 0;
        if (last) {
            json_t *v = NULL;
            if (value) {
                json_error_t e;
                v = json_loads(value, JSON_DECODE_ANY, &e);
                assert_non_null(v);
            }
            if (idx) {
                size_t i = (size_t)atoi(seg);
                if (!v)
                    json_array_remove(cur, i);
                else if (i == json_array_size(cur))
                    json_array_append_new(cur, v);
                else
                    json_array_set_new(cur, i, v);
            } else if (!v) {
                json_object_del(cur, seg);
            } else {
                json_object_set_new(cur, seg, v);
            }
            return;
        }
        json_t *next = idx ? json_array_get(cur, (size_t)atoi(seg)) : json_object_get(cur, seg);
        if (!next && !idx) {
            next = json_object();
            json_object_set_new(cur, seg, next);
        }
        assert_non_null(next);
        cur = next;
    }
}

struct mod {
    const char *path, *value;
};

/* doc: base with mods applied (NULL path ends them), as text; free it. */
static char *
doc(const char *base, const struct mod *mods)
{
    json_error_t e;
    json_t *root = json_loads(base, 0, &e);
    assert_non_null(root);
    for (; mods && mods->path; mods++)
        set_path(root, mods->path, mods->value);
    char *text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return text;
}

static int
parse_text(const char *text, bool strict, struct profile **out)
{
    return profile_parse(arena, FILE_NAME, text, strlen(text), strict, &errs, out);
}

/* ---- the error table ---- */

struct ecase {
    int line;
    const char *base;
    bool strict;
    struct mod mods[6];  /* ended by a NULL path */
    const char *errors;  /* exact error lines, "" for none */
    const char *warning; /* a substring of the warnings, or NULL */
};

/* C: a case at this line: base document, strict, expected errors, a
 * warning expected, then the changes made to the base. */
#define C(base, strict, errors, warning, ...)                                                      \
    {                                                                                              \
        __LINE__, base, strict, {__VA_ARGS__}, errors, warning                                     \
    }
#define ARM base_arm
#define AZ  base_az
#define S   true
#define L   false

static const struct ecase ecases[] = {
    /* profile and dnsConfig */
    C(ARM, S, ERR "properties.dnsConfig.ttl: expected an integer, got a string\n", NULL,
      {"properties.dnsConfig.ttl", "\"30\""}),
    C(AZ, S, ERR "dnsConfig.ttl: expected an integer, got a string\n", NULL,
      {"dnsConfig.ttl", "\"30\""}),
    C(ARM, S, ERR "properties.dnsConfig.ttl: expected an integer, got a real number\n", NULL,
      {"properties.dnsConfig.ttl", "1.5"}),
    C(ARM, S, ERR "properties.dnsConfig.ttl: -1 out of range [0, 2147483647]\n", NULL,
      {"properties.dnsConfig.ttl", "-1"}),
    C(ARM, L, ERR "properties.dnsConfig.ttl: 2147483648 out of range [0, 2147483647]\n", NULL,
      {"properties.dnsConfig.ttl", "2147483648"}),
    C(ARM, S, ERR "properties.dnsConfig: expected an object, got an array\n", NULL,
      {"properties.dnsConfig", "[]"}),
    C(ARM, S, ERR "properties.dnsConfig.relativeName: required\n", NULL,
      {"properties.dnsConfig.relativeName", NULL}),
    C(AZ, S, ERR "dnsConfig.relativeName: required\n", NULL, {"dnsConfig", NULL}),
    C(ARM, L, "",
      FILE_NAME ": warning: properties.dnsConfig.relativeName: missing, using the profile name "
                "'t'",
      {"properties.dnsConfig.relativeName", NULL}),
    C(ARM, L,
      ERR "properties.dnsConfig.relativeName: missing, and the profile name 'a_b' is not a valid "
          "DNS name\n",
      NULL, {"properties.dnsConfig.relativeName", NULL}, {"name", "\"a_b\""}),
    C(ARM, S,
      ERR "properties.dnsConfig.relativeName: 'a..b' is not a valid DNS name (labels of 1 to 63 "
          "letters, digits or '-')\n",
      NULL, {"properties.dnsConfig.relativeName", "\"a..b\""}),
    C(ARM, L,
      ERR "properties.dnsConfig.relativeName: 'a_b.' is not a valid DNS name (labels of 1 to 63 "
          "letters, digits or '-')\n",
      NULL, {"properties.dnsConfig.relativeName", "\"a_b.\""}),
    C(ARM, S,
      ERR "name: 'bad name' is not a valid profile name (1 to 63 letters, digits, '-', '_' or "
          "'.')\n",
      NULL, {"name", "\"bad name\""}),
    C(ARM, S,
      ERR "name: 'a123456789012345678901234567890123456789012345678901234567890123' is not a valid "
          "profile name (1 to 63 letters, digits, '-', '_' or '.')\n",
      NULL, {"name", "\"a123456789012345678901234567890123456789012345678901234567890123\""}),
    C(ARM, S, ERR "name: expected a string, got an integer\n", NULL, {"name", "7"}),
    C(ARM, S, ERR "properties: expected an object, got a string\n", NULL, {"properties", "\"x\""}),
    C(ARM, S,
      ERR "type: 'Microsoft.Network/dnsZones' is not Microsoft.Network/trafficManagerProfiles\n",
      NULL, {"type", "\"Microsoft.Network/dnsZones\""}),
    C(ARM, L, "",
      FILE_NAME ": warning: type: 'Microsoft.Network/dnsZones' is not "
                "Microsoft.Network/trafficManagerProfiles",
      {"type", "\"Microsoft.Network/dnsZones\""}),
    C(ARM, S, ERR "properties.profileStatus: 'On' is not one of Enabled, Disabled\n", NULL,
      {"properties.profileStatus", "\"On\""}),
    C(AZ, S, ERR "profileStatus: expected a string, got a boolean\n", NULL,
      {"profileStatus", "true"}),
    C(ARM, S,
      ERR "properties.trafficRoutingMethod: 'Fastest' is not one of Priority, Weighted, "
          "Performance, Geographic, MultiValue, Subnet, RoundRobin\n",
      NULL, {"properties.trafficRoutingMethod", "\"Fastest\""}),
    C(ARM, S,
      ERR "properties.trafficRoutingMethod: required (Priority, Weighted, Performance, Geographic, "
          "MultiValue, Subnet or RoundRobin)\n",
      NULL, {"properties.trafficRoutingMethod", NULL}),
    C(AZ, S,
      ERR "trafficRoutingMethod: required (Priority, Weighted, Performance, Geographic, "
          "MultiValue, Subnet or RoundRobin)\n",
      NULL, {"trafficRoutingMethod", "null"}),
    C(ARM, S, ERR "properties.maxReturn: 0 out of range [1, 10]\n", NULL,
      {"properties.maxReturn", "0"}),
    C(AZ, S, ERR "maxReturn: 11 out of range [1, 10]\n", NULL, {"maxReturn", "11"}),
    /* monitorConfig */
    C(ARM, S, ERR "properties.monitorConfig: expected an object, got an integer\n", NULL,
      {"properties.monitorConfig", "1"}),
    C(ARM, S, ERR "properties.monitorConfig.protocol: 'FTP' is not one of HTTP, HTTPS, TCP\n", NULL,
      {"properties.monitorConfig.protocol", "\"FTP\""}),
    C(ARM, S, ERR "properties.monitorConfig.port: 0 out of range [1, 65535]\n", NULL,
      {"properties.monitorConfig.port", "0"}),
    C(AZ, L, ERR "monitorConfig.port: 65536 out of range [1, 65535]\n", NULL,
      {"monitorConfig.port", "65536"}),
    C(ARM, L, ERR "properties.monitorConfig.port: required for protocol TCP\n", NULL,
      {"properties.monitorConfig.protocol", "\"tcp\""}, {"properties.monitorConfig.port", NULL},
      {"properties.monitorConfig.path", NULL}),
    C(ARM, S,
      ERR "properties.monitorConfig.path: 'health' is not a URL path (it must start with '/' and "
          "hold no spaces or control characters)\n",
      NULL, {"properties.monitorConfig.path", "\"health\""}),
    C(ARM, L,
      ERR "properties.monitorConfig.path: '/a b' is not a URL path (it must start with '/' and "
          "hold no spaces or control characters)\n",
      NULL, {"properties.monitorConfig.path", "\"/a b\""}),
    C(ARM, S, ERR "properties.monitorConfig.path: not used with protocol TCP\n", NULL,
      {"properties.monitorConfig.protocol", "\"TCP\""}),
    C(ARM, L, "", FILE_NAME ": warning: properties.monitorConfig.path: not used with protocol TCP",
      {"properties.monitorConfig.protocol", "\"TCP\""}),
    C(ARM, S,
      ERR "properties.monitorConfig.intervalInSeconds: 5 is not one of Azure's intervals (10, "
          "30)\n",
      NULL, {"properties.monitorConfig.intervalInSeconds", "5"}),
    C(ARM, L, "",
      FILE_NAME ": warning: properties.monitorConfig.intervalInSeconds: 5 is not one of Azure's "
                "intervals (10, 30)",
      {"properties.monitorConfig.intervalInSeconds", "5"},
      {"properties.monitorConfig.timeoutInSeconds", NULL}),
    C(ARM, L, ERR "properties.monitorConfig.intervalInSeconds: 0 out of range [1, 3600]\n", NULL,
      {"properties.monitorConfig.intervalInSeconds", "0"}),
    C(AZ, L, ERR "monitorConfig.intervalInSeconds: 3601 out of range [1, 3600]\n", NULL,
      {"monitorConfig.intervalInSeconds", "3601"}),
    C(ARM, S,
      ERR "properties.monitorConfig.timeoutInSeconds: 11 out of range [5, 10] for "
          "intervalInSeconds 30\n",
      NULL, {"properties.monitorConfig.timeoutInSeconds", "11"}),
    C(ARM, S,
      ERR "properties.monitorConfig.timeoutInSeconds: 10 out of range [5, 9] for "
          "intervalInSeconds 10\n",
      NULL, {"properties.monitorConfig.intervalInSeconds", "10"},
      {"properties.monitorConfig.timeoutInSeconds", "10"}),
    C(ARM, L, "",
      FILE_NAME ": warning: properties.monitorConfig.timeoutInSeconds: 4 out of range [5, 10] "
                "for intervalInSeconds 30",
      {"properties.monitorConfig.timeoutInSeconds", "4"}),
    C(ARM, L, "",
      FILE_NAME
      ": warning: properties.monitorConfig.timeoutInSeconds: 8 is longer than intervalInSeconds 5",
      {"properties.monitorConfig.intervalInSeconds", "5"},
      {"properties.monitorConfig.timeoutInSeconds", "8"}),
    C(ARM, L, ERR "properties.monitorConfig.timeoutInSeconds: 0 out of range [1, 3600]\n", NULL,
      {"properties.monitorConfig.timeoutInSeconds", "0"}),
    C(ARM, S, ERR "properties.monitorConfig.toleratedNumberOfFailures: 10 out of range [0, 9]\n",
      NULL, {"properties.monitorConfig.toleratedNumberOfFailures", "10"}),
    C(AZ, L, ERR "monitorConfig.toleratedNumberOfFailures: -1 out of range [0, 9]\n", NULL,
      {"monitorConfig.toleratedNumberOfFailures", "-1"}),
    C(ARM, S,
      ERR "properties.monitorConfig.expectedStatusCodeRanges: expected an array, got an object\n",
      NULL, {"properties.monitorConfig.expectedStatusCodeRanges", "{}"}),
    C(ARM, S,
      ERR
      "properties.monitorConfig.expectedStatusCodeRanges[0].min: 99 out of range [100, 599]\n" ERR
      "properties.monitorConfig.expectedStatusCodeRanges[1]: min 300 is greater than max "
      "200\n" ERR "properties.monitorConfig.expectedStatusCodeRanges[2].max: required\n" ERR
      "properties.monitorConfig.expectedStatusCodeRanges[3]: expected an object, got a "
      "string\n" ERR "properties.monitorConfig.expectedStatusCodeRanges[4].max: 600 out "
      "of range [100, 599]\n",
      NULL,
      {"properties.monitorConfig.expectedStatusCodeRanges",
       "[{\"min\":99,\"max\":200},{\"min\":300,\"max\":200},{\"min\":200},\"x\","
       "{\"min\":200,\"max\":600}]"}),
    C(AZ, S, ERR "monitorConfig.expectedStatusCodeRanges: at most 8 ranges, got 9\n", NULL,
      {"monitorConfig.expectedStatusCodeRanges",
       "[{\"min\":200,\"max\":200},{\"min\":201,\"max\":201},{\"min\":202,\"max\":202},"
       "{\"min\":203,\"max\":203},{\"min\":204,\"max\":204},{\"min\":205,\"max\":205},"
       "{\"min\":206,\"max\":206},{\"min\":207,\"max\":207},{\"min\":208,\"max\":208}]"}),
    C(ARM, S,
      ERR "properties.monitorConfig.expectedStatusCodeRanges: only used with protocol HTTP or "
          "HTTPS\n",
      NULL, {"properties.monitorConfig.protocol", "\"TCP\""},
      {"properties.monitorConfig.path", NULL},
      {"properties.monitorConfig.expectedStatusCodeRanges", "[{\"min\":200,\"max\":299}]"}),
    C(ARM, L,
      ERR "properties.monitorConfig.customHeaders[0].value: contains CR or LF (header injection)\n",
      NULL,
      {"properties.monitorConfig.customHeaders",
       "[{\"name\":\"Host\",\"value\":\"a\\r\\nX: y\"}]"}),
    C(AZ, L,
      ERR "monitorConfig.customHeaders[0].name: 'Bad Name' is not a valid HTTP header name\n" ERR
          "monitorConfig.customHeaders[1].value: contains a control character\n" ERR
          "monitorConfig.customHeaders[2].value: required\n" ERR
          "monitorConfig.customHeaders[3].name: required\n" ERR
          "monitorConfig.customHeaders[5].name: header 'Host' is given twice\n" ERR
          "monitorConfig.customHeaders[6]: expected an object, got an integer\n",
      NULL,
      {"monitorConfig.customHeaders",
       "[{\"name\":\"Bad Name\",\"value\":\"v\"},{\"name\":\"X\",\"value\":\"a\\u0001\"},"
       "{\"name\":\"Y\"},{\"value\":\"v\"},{\"name\":\"host\",\"value\":\"a\"},"
       "{\"name\":\"Host\",\"value\":\"b\"},7]"}),
    C(ARM, S, ERR "properties.monitorConfig.customHeaders: at most 8 headers, got 9\n", NULL,
      {"properties.monitorConfig.customHeaders",
       "[{\"name\":\"a\",\"value\":\"1\"},{\"name\":\"b\",\"value\":\"1\"},{\"name\":\"c\","
       "\"value\":\"1\"},{\"name\":\"d\",\"value\":\"1\"},{\"name\":\"e\",\"value\":\"1\"},"
       "{\"name\":\"f\",\"value\":\"1\"},{\"name\":\"g\",\"value\":\"1\"},{\"name\":\"h\","
       "\"value\":\"1\"},{\"name\":\"i\",\"value\":\"1\"}]"}),
    /* endpoints */
    C(ARM, S, ERR "properties.endpoints: expected an array, got an object\n", NULL,
      {"properties.endpoints", "{}"}),
    C(ARM, S, ERR "properties.endpoints[0]: expected an object, got an integer\n", NULL,
      {"properties.endpoints[0]", "5"}),
    C(ARM, S, ERR "properties.endpoints[0].properties: expected an object, got an array\n", NULL,
      {"properties.endpoints[0].properties", "[]"}),
    C(ARM, S, ERR "properties.endpoints[0].name: required\n", NULL,
      {"properties.endpoints[0].name", NULL}),
    C(AZ, S,
      ERR "endpoints[1].name: 'a/b' is not a valid endpoint name (1 to 260 characters, no control "
          "characters, '/', '\\', '?' or '#')\n",
      NULL, {"endpoints[1].name", "\"a/b\""}),
    C(ARM, L,
      ERR "properties.endpoints[1].name: 'E0' is also the name of properties.endpoints[0]\n", NULL,
      {"properties.endpoints[1].name", "\"E0\""}),
    C(ARM, S,
      ERR "properties.endpoints[0].type: 'foo' is not an endpoint type "
          "(Microsoft.Network/trafficManagerProfiles/azureEndpoints, externalEndpoints or "
          "nestedEndpoints)\n",
      NULL, {"properties.endpoints[0].type", "\"foo\""}),
    C(ARM, S, ERR "properties.endpoints[0].type: required\n", NULL,
      {"properties.endpoints[0].type", NULL}),
    C(ARM, L, "", NULL, {"properties.endpoints[0].type", NULL}),
    C(ARM, S, "", NULL, {"properties.endpoints[0].type", "\"ExternalEndpoints\""}),
    C(ARM, S,
      ERR "properties.endpoints[0].properties.target: required: gtmd cannot resolve Azure resource "
          "IDs (targetResourceId); give the resource's DNS name or address as target\n",
      NULL,
      {"properties.endpoints[0].type", "\"Microsoft.network/TrafficManagerProfiles/"
                                       "AzureEndpoints\""},
      {"properties.endpoints[0].properties.target", NULL},
      {"properties.endpoints[0].properties.targetResourceId", "\"/subscriptions/x/w\""}),
    C(AZ, S, ERR "endpoints[1].target: required for external endpoints\n", NULL,
      {"endpoints[1].target", NULL}),
    C(ARM, S,
      ERR "properties.endpoints[0].properties.target: '192.0.2.1:80' is not an IPv4 address, an "
          "IPv6 address or a host name\n",
      NULL, {"properties.endpoints[0].properties.target", "\"192.0.2.1:80\""}),
    C(ARM, L,
      ERR "properties.endpoints[0].properties.target: 'a..b' is not an IPv4 address, an IPv6 "
          "address or a host name\n",
      NULL, {"properties.endpoints[0].properties.target", "\"a..b\""}),
    C(ARM, S,
      ERR "properties.endpoints[1].properties.target: an IPv4 address, but properties.endpoints[0] "
          "has a host name (one kind of target per profile, except MultiValue)\n",
      NULL, {"properties.endpoints[1].properties.target", "\"192.0.2.1\""}),
    C(AZ, L, "",
      FILE_NAME ": warning: endpoints[1].target: an IPv6 address, but endpoints[0] has a host "
                "name (one kind of target per profile, except MultiValue)",
      {"endpoints[1].target", "\"2001:db8::1\""}),
    C(ARM, S,
      ERR "properties.endpoints[0].properties.endpointStatus: 'Off' is not one of Enabled, "
          "Disabled\n",
      NULL, {"properties.endpoints[0].properties.endpointStatus", "\"Off\""}),
    C(AZ, S, ERR "endpoints[0].alwaysServe: 'Yes' is not one of Enabled, Disabled\n", NULL,
      {"endpoints[0].alwaysServe", "\"Yes\""}),
    C(ARM, S, ERR "properties.endpoints[0].properties.priority: 0 out of range [1, 1000]\n", NULL,
      {"properties.endpoints[0].properties.priority", "0"}),
    C(AZ, L, ERR "endpoints[0].priority: 1001 out of range [1, 1000]\n", NULL,
      {"endpoints[0].priority", "1001"}),
    C(ARM, S,
      ERR "properties.endpoints[1].properties.priority: 1 is also the priority of "
          "properties.endpoints[0]\n",
      NULL, {"properties.endpoints[1].properties.priority", "1"}),
    C(AZ, L, "",
      FILE_NAME ": warning: endpoints[1].priority: 1 is also the priority of endpoints[0]",
      {"endpoints[1].priority", "1"}),
    C(ARM, S,
      ERR "properties.endpoints[1].properties.priority: required: if a priority is specified, it "
          "must be specified on all endpoints\n",
      NULL, {"properties.endpoints[1].properties.priority", NULL}),
    C(ARM, L, "", NULL, {"properties.endpoints[1].properties.priority", NULL}),
    C(ARM, S, "", NULL, {"properties.trafficRoutingMethod", "\"Weighted\""},
      {"properties.endpoints[1].properties.priority", "1"}),
    C(ARM, S, ERR "properties.endpoints[0].properties.weight: 0 out of range [1, 1000]\n", NULL,
      {"properties.endpoints[0].properties.weight", "0"}),
    C(AZ, S, ERR "endpoints[1].weight: 1001 out of range [1, 1000]\n", NULL,
      {"endpoints[1].weight", "1001"}),
    C(AZ, S, ERR "endpoints[1].weight: expected an integer, got a string\n", NULL,
      {"endpoints[1].weight", "\"5\""}),
    C(ARM, S,
      ERR "properties.endpoints[0].properties.customHeaders[0].value: contains CR or LF (header "
          "injection)\n",
      NULL,
      {"properties.endpoints[0].properties.customHeaders",
       "[{\"name\":\"Host\",\"value\":\"x\\ny\"}]"}),
    C(ARM, S,
      ERR "properties.endpoints[0].properties.minChildEndpoints: 0 out of range [1, 2147483647]\n",
      NULL, {"properties.endpoints[0].properties.minChildEndpoints", "0"}),
    C(ARM, S,
      ERR "properties.endpoints[0].properties.minChildEndpointsIPv6: -1 out of range [0, "
          "2147483647]\n",
      NULL, {"properties.endpoints[0].properties.minChildEndpointsIPv6", "-1"}),
    /* Performance */
    C(ARM, S,
      ERR
      "properties.endpoints[0].properties.endpointLocation: required for Performance routing\n" ERR
      "properties.endpoints[1].properties.endpointLocation: required for Performance "
      "routing\n",
      NULL, {"properties.trafficRoutingMethod", "\"Performance\""}),
    C(ARM, S,
      ERR "properties.endpoints[0].properties.endpointLocation: 'West Europe!' is not a region "
          "name\n",
      NULL, {"properties.endpoints[0].properties.endpointLocation", "\"West Europe!\""}),
    /* Geographic */
    C(AZ, S,
      ERR "endpoints[1].geoMapping: required for Geographic routing (at least one region code)\n",
      NULL, {"trafficRoutingMethod", "\"Geographic\""}, {"endpoints[0].geoMapping", "[\"FR\"]"}),
    C(ARM, S,
      ERR "properties.endpoints[1].properties.geoMapping[0]: 'DE' is already mapped to "
          "properties.endpoints[0]\n",
      NULL, {"properties.trafficRoutingMethod", "\"Geographic\""},
      {"properties.endpoints[0].properties.geoMapping", "[\"FR\",\"de\"]"},
      {"properties.endpoints[1].properties.geoMapping", "[\"DE\",\"WORLD\"]"}),
    C(ARM, S,
      ERR
      "properties.endpoints[1].properties.geoMapping[0]: expected a string, got an integer\n" ERR
      "properties.endpoints[1].properties.geoMapping[1]: 'F R' is not a region code\n" ERR
      "properties.endpoints[0].properties.geoMapping[1]: 'FR' is listed twice\n",
      NULL, {"properties.trafficRoutingMethod", "\"Geographic\""},
      {"properties.endpoints[0].properties.geoMapping", "[\"FR\",\"fr\"]"},
      {"properties.endpoints[1].properties.geoMapping", "[1,\"F R\",\"WORLD\"]"}),
    /* Subnet */
    C(ARM, S,
      ERR "properties.endpoints[1].properties.subnets[0]: overlaps "
          "properties.endpoints[0].properties.subnets[0]\n",
      NULL, {"properties.trafficRoutingMethod", "\"Subnet\""},
      {"properties.endpoints[0].properties.subnets", "[{\"first\":\"10.0.0.0\",\"scope\":8}]"},
      {"properties.endpoints[1].properties.subnets",
       "[{\"first\":\"10.1.0.0\",\"last\":\"10.1.0.255\"},{\"first\":\"2001:db8::\","
       "\"scope\":32}]"}),
    C(AZ, S,
      ERR "endpoints[0].subnets[0].first: 10.0.0.1 is not the network address of its /24 "
          "(10.0.0.0)\n" ERR "endpoints[0].subnets[1].scope: 33 out of range [0, 32]\n" ERR
          "endpoints[0].subnets[2]: first 10.0.0.9 is greater than last 10.0.0.1\n" ERR
          "endpoints[0].subnets[3].last: ::1 is not of the same address family as first\n" ERR
          "endpoints[0].subnets[4].first: required\n" ERR
          "endpoints[0].subnets[5].first: 'ten' is not an IPv4 or IPv6 address\n" ERR
          "endpoints[0].subnets[6].last: 10.0.0.254 does not match first/scope "
          "(10.0.0.255)\n" ERR "endpoints[0].subnets[7]: expected an object, got a "
          "string\n",
      NULL, {"trafficRoutingMethod", "\"Subnet\""},
      {"endpoints[0].subnets",
       "[{\"first\":\"10.0.0.1\",\"scope\":24},{\"first\":\"10.0.0.0\",\"scope\":33},"
       "{\"first\":\"10.0.0.9\",\"last\":\"10.0.0.1\"},{\"first\":\"10.0.0.0\",\"last\":\"::1\"},"
       "{\"last\":\"10.0.0.1\"},{\"first\":\"ten\"},{\"first\":\"10.0.0.0\",\"scope\":24,"
       "\"last\":\"10.0.0.254\"},\"x\"]"}),
    /* overlap found past a longer range of the same endpoint */
    C(AZ, S,
      ERR "endpoints[1].subnets[0]: overlaps endpoints[0].subnets[0]\n" ERR
          "endpoints[1].subnets[1]: overlaps endpoints[0].subnets[0]\n",
      NULL, {"trafficRoutingMethod", "\"Subnet\""},
      {"endpoints[0].subnets", "[{\"first\":\"10.0.0.0\",\"scope\":24}]"},
      {"endpoints[1].subnets", "[{\"first\":\"10.0.0.0\",\"scope\":8},{\"first\":\"10.0.0.7\"}]"}),
    C(AZ, S, "", NULL, {"trafficRoutingMethod", "\"Subnet\""},
      {"endpoints[0].subnets", "[{\"first\":\"10.0.0.0\",\"scope\":24}]"},
      {"endpoints[1].subnets", "[{\"first\":\"10.0.1.0\",\"last\":\"10.0.1.255\"}]"}),
    /* nested */
    C(ARM, S,
      ERR "properties.endpoints[1].properties.targetResourceId: required for nested endpoints\n",
      NULL, {"properties.endpoints[1].type", "\"nestedEndpoints\""}),
    C(AZ, S,
      ERR "endpoints[1].alwaysServe: cannot be used on nested endpoints\n" ERR
          "endpoints[1].targetResourceId: '/subscriptions/s/resourceGroups/r/x/' does not end "
          "with a profile name\n",
      NULL, {"endpoints[1].type", "\"" EP "nestedEndpoints\""},
      {"endpoints[1].targetResourceId", "\"/subscriptions/s/resourceGroups/r/x/\""},
      {"endpoints[1].alwaysServe", "\"Enabled\""}),
    /* MultiValue */
    C(ARM, L,
      ERR "properties.endpoints[0].properties.target: MultiValue routing needs an IPv4 or IPv6 "
          "address, got a host name\n" ERR "properties.endpoints[1].properties.target: MultiValue "
          "routing needs an IPv4 or IPv6 address, got a host name\n",
      NULL, {"properties.trafficRoutingMethod", "\"MultiValue\""}),
    C(AZ, S, ERR "endpoints[1].type: MultiValue routing allows only external endpoints\n", NULL,
      {"trafficRoutingMethod", "\"MultiValue\""}, {"endpoints[0].target", "\"192.0.2.1\""},
      {"endpoints[1].type", "\"nestedEndpoints\""}, {"endpoints[1].targetResourceId", "\"child\""}),
    C(AZ, S, "", NULL, {"trafficRoutingMethod", "\"MultiValue\""},
      {"endpoints[0].target", "\"192.0.2.1\""}, {"endpoints[1].target", "\"2001:db8::1\""}),
    /* a mixed document: ARM profile, one flattened endpoint */
    C(ARM, S, ERR "properties.endpoints[1].weight: 0 out of range [1, 1000]\n", NULL,
      {"properties.endpoints[1]",
       "{\"name\":\"e1\",\"type\":\"externalEndpoints\",\"target\":\"c.example.com\","
       "\"priority\":2,\"weight\":0}"}),
    /* several errors in one document, all reported */
    C(ARM, S,
      ERR "properties.dnsConfig.ttl: expected an integer, got a string\n" ERR
          "properties.monitorConfig.port: 0 out of range [1, 65535]\n" ERR
          "properties.endpoints[0].properties.weight: 0 out of range [1, 1000]\n" ERR
          "properties.endpoints[1].properties.weight: 2000 out of range [1, 1000]\n",
      NULL, {"properties.dnsConfig.ttl", "\"x\""}, {"properties.monitorConfig.port", "0"},
      {"properties.endpoints[0].properties.weight", "0"},
      {"properties.endpoints[1].properties.weight", "2000"}),
};

static void
test_error_table(void **state)
{
    (void)state;
    unsigned failed = 0;
    for (size_t i = 0; i < GTM_ARRAY_LEN(ecases); i++) {
        const struct ecase *c = &ecases[i];
        char *text = doc(c->base, c->mods);
        struct profile *p = NULL;
        errs = errs_init(&eb);
        capture_begin();
        int rc = parse_text(text, c->strict, &p);
        const char *warnings = capture_end();
        bool want_ok = c->errors[0] == 0;
        bool ok = strcmp(eb.text, c->errors) == 0 && (rc == 0) == want_ok &&
                  (want_ok ? p != NULL : (p == NULL && rc == GTM_ECONFIG)) &&
                  (!c->warning || strstr(warnings, c->warning));
        if (!ok) {
            failed++;
            print_error("case at line %d (%s): rc %d\n  doc: %s\n  got:\n%s  want:\n%s"
                        "  warnings:\n%s  want warning: %s\n",
                        c->line, c->strict ? "strict" : "lab", rc, text, eb.text, c->errors,
                        warnings, c->warning ? c->warning : "(none)");
        }
        free(text);
    }
    assert_int_equal(failed, 0);
}

/* ---- the bases themselves ---- */

static void
test_bases_valid(void **state)
{
    (void)state;
    const char *bases[] = {base_arm, base_az};
    for (size_t i = 0; i < 2; i++)
        for (int strict = 0; strict < 2; strict++) {
            struct profile *p = NULL;
            errs = errs_init(&eb);
            assert_int_equal(parse_text(bases[i], strict, &p), 0);
            assert_string_equal(eb.text, "");
            assert_non_null(p);
            assert_string_equal(p->name, "t");
            assert_int_equal(p->nendpoints, 2);
        }
}

/* ---- syntax and shape errors ---- */

static void
test_syntax_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"{\n  \"name\": \"x\",\n  oops\n}",
         FILE_NAME ":3: error: column 6: string or '}' expected near 'oops'\n"},
        {"{\"a\":1,}", FILE_NAME ":1: error: column 8: string or '}' expected near '}'\n"},
        {"", FILE_NAME ":1: error: column 0: '[' or '{' expected near end of file\n"},
        {"{\"a\": 99999999999999999999}",
         FILE_NAME ":1: error: column 26: too big integer near '99999999999999999999'\n"},
        {"{\"a\":\"\\u0000\"}", FILE_NAME ":1: error: column 13: \\u0000 is not allowed without "
                                          "JSON_ALLOW_NUL near '\"\\u0000\"'\n"},
        {"[1]", ERR "expected an object at the top, got an array\n"},
    };
    for (size_t i = 0; i < GTM_ARRAY_LEN(cases); i++) {
        struct profile *p = NULL;
        errs = errs_init(&eb);
        assert_int_equal(parse_text(cases[i].text, false, &p), GTM_ECONFIG);
        assert_null(p);
        assert_string_equal(eb.text, cases[i].want);
    }
    /* Not NUL-terminated: only len bytes are read. */
    struct profile *p = NULL;
    char buf[sizeof base_arm + 8];
    memcpy(buf, base_arm, sizeof base_arm - 1);
    memcpy(buf + sizeof base_arm - 1, "garbage!", 8);
    errs = errs_init(&eb);
    assert_int_equal(profile_parse(arena, FILE_NAME, buf, sizeof base_arm - 1, true, &errs, &p), 0);
    assert_string_equal(p->json, base_arm);
}

static void
test_too_many_endpoints(void **state)
{
    (void)state;
    json_t *root = json_loads(base_az, 0, NULL);
    json_t *eps = json_array();
    for (int i = 0; i < 201; i++) {
        char name[16];
        snprintf(name, sizeof name, "e%d", i);
        json_array_append_new(eps, json_pack("{s:s, s:s}", "name", name, "target", "192.0.2.1"));
    }
    json_object_set_new(root, "endpoints", eps);
    char *text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    struct profile *p = NULL;
    assert_int_equal(parse_text(text, false, &p), GTM_ECONFIG);
    assert_string_equal(eb.text, ERR "endpoints: at most 200 endpoints, got 201\n");
    free(text);
}

/* ---- defaults ---- */

static void
test_defaults(void **state)
{
    (void)state;
    static const char text[] =
        "{\"properties\":{\"trafficRoutingMethod\":\"weighted\","
        "\"dnsConfig\":{\"relativeName\":\"App.Lab\"},"
        "\"endpoints\":[{\"name\":\"a\",\"type\":\"externalEndpoints\","
        "\"properties\":{\"target\":\"A.Example.COM.\",\"endpointLocation\":\"East US 2\","
        "\"geoMapping\":[\"fr\",\"geo-eu\"]}},"
        "{\"name\":\"b\",\"type\":\"externalEndpoints\",\"properties\":{\"target\":\"b.example\","
        "\"endpointStatus\":\"disabled\",\"alwaysServe\":\"ENABLED\"}}]}}";
    struct profile *p = NULL;
    assert_int_equal(profile_parse(arena, "dir/my-app.json", text, strlen(text), true, &errs, &p),
                     0);
    assert_string_equal(eb.text, "");
    assert_string_equal(p->name, "my-app");
    assert_string_equal(p->file, "dir/my-app.json");
    assert_string_equal(p->relative_name, "app.lab");
    assert_int_equal(p->ttl, 300);
    assert_true(p->enabled);
    assert_int_equal(p->method, ROUTE_WEIGHTED);
    assert_int_equal(p->max_return, 2);
    assert_int_equal(p->mon.protocol, PROBE_HTTP);
    assert_int_equal(p->mon.port, 80);
    assert_string_equal(p->mon.path, "/");
    assert_int_equal(p->mon.interval_s, 30);
    assert_int_equal(p->mon.timeout_s, 10);
    assert_int_equal(p->mon.tolerated, -1);
    assert_int_equal(p->mon.nranges, 1);
    assert_int_equal(p->mon.ranges[0].min, 200);
    assert_int_equal(p->mon.ranges[0].max, 200);
    assert_int_equal(p->mon.nheaders, 0);
    assert_string_equal(p->json, text);
    assert_int_equal(p->nendpoints, 2);

    const struct endpoint *a = &p->endpoints[0], *b = &p->endpoints[1];
    assert_string_equal(a->name, "a");
    assert_int_equal(a->kind, EP_EXTERNAL);
    assert_string_equal(a->target, "A.Example.COM.");
    assert_int_equal(a->tkind, TARGET_NAME);
    assert_int_equal(a->target_wire_len, 15);
    assert_memory_equal(a->target_wire, "\1a\7example\3com", 15);
    assert_true(a->enabled);
    assert_false(a->always_serve);
    assert_int_equal(a->priority, 1);
    assert_int_equal(a->weight, 1);
    assert_string_equal(a->location, "eastus2");
    assert_int_equal(a->ngeo, 2);
    assert_string_equal(a->geo[0], "FR");
    assert_string_equal(a->geo[1], "GEO-EU");
    assert_int_equal(a->nsubnets, 0);
    assert_null(a->child);
    assert_int_equal(a->min_child, 1);
    assert_int_equal(a->min_child_v4, 0);
    assert_int_equal(a->min_child_v6, 0);
    assert_int_equal(a->nheaders, 0);
    assert_int_equal(a->health_idx, HEALTH_NONE);
    assert_null(a->rrset);
    assert_null(a->child_profile);

    assert_false(b->enabled);
    assert_true(b->always_serve);
    assert_int_equal(b->priority, 2); /* its position */
    assert_null(b->location);
}

static void
test_monitor_defaults(void **state)
{
    (void)state;
    static const struct {
        const char *mon;
        bool strict;
        int port;
        const char *path;
        unsigned interval, timeout;
    } cases[] = {
        {"{\"protocol\":\"https\"}", true, 443, "/", 30, 10},
        {"{\"protocol\":\"HTTP\",\"intervalInSeconds\":10}", true, 80, "/", 10, 9},
        {"{\"intervalInSeconds\":5}", false, 80, "/", 5, 5},
        {"{\"intervalInSeconds\":60}", false, 80, "/", 60, 10},
        {"{\"protocol\":\"TCP\",\"port\":22,\"path\":null}", true, 22, NULL, 30, 10},
        {"{\"protocol\":\"TCP\",\"port\":22,\"path\":\"/x\"}", false, 22, NULL, 30, 10},
        {"{\"protocol\":\"TCP\",\"port\":22,\"path\":\"\"}", true, 22, NULL, 30, 10},
        {"{\"port\":8080,\"path\":\"/h?x=1\"}", true, 8080, "/h?x=1", 30, 10},
    };
    for (size_t i = 0; i < GTM_ARRAY_LEN(cases); i++) {
        struct mod mods[] = {{"properties.monitorConfig", cases[i].mon}, {NULL, NULL}};
        char *text = doc(base_arm, mods);
        struct profile *p = NULL;
        errs = errs_init(&eb);
        capture_begin();
        int rc = parse_text(text, cases[i].strict, &p);
        capture_end();
        assert_string_equal(eb.text, "");
        assert_int_equal(rc, 0);
        assert_int_equal(p->mon.port, cases[i].port);
        if (cases[i].path)
            assert_string_equal(p->mon.path, cases[i].path);
        else
            assert_null(p->mon.path);
        assert_int_equal(p->mon.interval_s, cases[i].interval);
        assert_int_equal(p->mon.timeout_s, cases[i].timeout);
        free(text);
    }
}

static void
test_default_name_bad_file(void **state)
{
    (void)state;
    static const char text[] = "{\"trafficRoutingMethod\":\"Priority\","
                               "\"dnsConfig\":{\"relativeName\":\"x\"}}";
    struct profile *p = NULL;
    assert_int_equal(profile_parse(arena, "dir/my app.json", text, strlen(text), false, &errs, &p),
                     GTM_ECONFIG);
    assert_string_equal(eb.text, "dir/my app.json: error: name: missing, and the file name 'my "
                                 "app' is not a valid profile name (1 to 63 letters, digits, "
                                 "'-', '_' or '.')\n");
}

static void
test_targets_and_subnets(void **state)
{
    (void)state;
    static const char text[] =
        "{\"name\":\"s\",\"trafficRoutingMethod\":\"Subnet\",\"dnsConfig\":{\"relativeName\":\"s\"}"
        ","
        "\"endpoints\":[{\"name\":\"v6\",\"type\":\"externalEndpoints\",\"target\":\"2001:DB8::1\","
        "\"subnets\":[{\"first\":\"2001:db8:1::\",\"scope\":48},{\"first\":\"192.0.2.0\","
        "\"last\":\"192.0.2.127\"},{\"first\":\"198.51.100.7\"},{\"first\":\"0.0.0.0\",\"scope\":0,"
        "\"last\":null}]},{\"name\":\"fallback\",\"type\":\"externalEndpoints\","
        "\"target\":\"2001:db8::2\"}]}";
    struct profile *p = NULL;
    capture_begin();
    int rc = parse_text(text, true, &p);
    capture_end();
    assert_string_equal(eb.text, "");
    assert_int_equal(rc, 0);
    const struct endpoint *e = &p->endpoints[0];
    uint8_t want[16];
    assert_int_equal(e->tkind, TARGET_IPV6);
    inet_pton(AF_INET6, "2001:db8::1", want);
    assert_memory_equal(e->addr, want, 16);
    assert_int_equal(e->nsubnets, 4);
    assert_int_equal(e->subnets[0].family, AF_INET6);
    inet_pton(AF_INET6, "2001:db8:1::", want);
    assert_memory_equal(e->subnets[0].first, want, 16);
    inet_pton(AF_INET6, "2001:db8:1:ffff:ffff:ffff:ffff:ffff", want);
    assert_memory_equal(e->subnets[0].last, want, 16);
    assert_int_equal(e->subnets[1].family, AF_INET);
    inet_pton(AF_INET, "192.0.2.127", want);
    assert_memory_equal(e->subnets[1].last, want, 4);
    inet_pton(AF_INET, "198.51.100.7", want);
    assert_memory_equal(e->subnets[2].first, want, 4);
    assert_memory_equal(e->subnets[2].last, want, 4);
    static const uint8_t all_ones[4] = {255, 255, 255, 255};
    assert_memory_equal(e->subnets[3].last, all_ones, 4);
    assert_int_equal(p->endpoints[1].nsubnets, 0);

    /* IPv4 target */
    struct mod mods[] = {{"properties.endpoints[0].properties.target", "\"192.0.2.7\""},
                         {"properties.endpoints[1].properties.target", "\"192.0.2.8\""},
                         {NULL, NULL}};
    char *t2 = doc(base_arm, mods);
    errs = errs_init(&eb);
    assert_int_equal(parse_text(t2, true, &p), 0);
    assert_int_equal(p->endpoints[0].tkind, TARGET_IPV4);
    inet_pton(AF_INET, "192.0.2.7", want);
    assert_memory_equal(p->endpoints[0].addr, want, 4);
    assert_null(p->endpoints[0].target_wire);
    free(t2);
}

static void
test_nested_endpoint(void **state)
{
    (void)state;
    struct mod mods[] = {
        {"properties.endpoints[1].type", "\"" EP "nestedEndpoints\""},
        {"properties.endpoints[1].properties.targetResourceId",
         "\"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/"
         "trafficManagerProfiles/Child-EU\""},
        {"properties.endpoints[1].properties.target", "\"child-eu.trafficmanager.net\""},
        {"properties.endpoints[1].properties.minChildEndpointsIPv4", "2"},
    };
    struct mod all[5];
    memcpy(all, mods, sizeof mods);
    all[4] = (struct mod){NULL, NULL};
    char *text = doc(base_arm, all);
    struct profile *p = NULL;
    assert_int_equal(parse_text(text, true, &p), 0);
    const struct endpoint *e = &p->endpoints[1];
    assert_int_equal(e->kind, EP_NESTED);
    assert_int_equal(e->tkind, TARGET_NONE);
    assert_null(e->target);
    assert_string_equal(e->child, "Child-EU");
    assert_int_equal(e->min_child, 1);
    assert_int_equal(e->min_child_v4, 2);
    assert_null(e->child_profile);
    free(text);
}

static void
test_headers_kept(void **state)
{
    (void)state;
    struct mod mods[] = {{"properties.monitorConfig.customHeaders",
                          "[{\"name\":\"Host\",\"value\":\"app.example.com\"},{\"name\":\"X-A\","
                          "\"value\":\"1\\t2\"}]"},
                         {"properties.endpoints[0].properties.customHeaders",
                          "[{\"name\":\"Host\",\"value\":\"e0.example.com\"}]"},
                         {"properties.monitorConfig.expectedStatusCodeRanges",
                          "[{\"min\":200,\"max\":299},{\"min\":301,\"max\":301}]"},
                         {NULL, NULL}};
    char *text = doc(base_arm, mods);
    struct profile *p = NULL;
    assert_int_equal(parse_text(text, true, &p), 0);
    assert_int_equal(p->mon.nheaders, 2);
    assert_string_equal(p->mon.headers[0].name, "Host");
    assert_string_equal(p->mon.headers[0].value, "app.example.com");
    assert_string_equal(p->mon.headers[1].value, "1\t2");
    assert_int_equal(p->endpoints[0].nheaders, 1);
    assert_string_equal(p->endpoints[0].headers[0].value, "e0.example.com");
    assert_int_equal(p->mon.nranges, 2);
    assert_int_equal(p->mon.ranges[1].min, 301);
    assert_int_equal(p->mon.ranges[1].max, 301);
    free(text);
}

/* ---- both shapes of the reference profile (features.md §2.2) ---- */

static char *
read_data(const char *name, size_t *len)
{
    const char *src = getenv("GTM_SRCDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/unit/data/profiles/%s", src && *src ? src : ".", name);
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    char *buf = malloc(1 << 20);
    assert_non_null(buf);
    *len = fread(buf, 1, 1 << 20, fp);
    fclose(fp);
    return buf;
}

static void
assert_same_profile(const struct profile *a, const struct profile *b)
{
    assert_string_equal(a->name, b->name);
    assert_string_equal(a->relative_name, b->relative_name);
    assert_int_equal(a->ttl, b->ttl);
    assert_int_equal(a->enabled, b->enabled);
    assert_int_equal(a->method, b->method);
    assert_int_equal(a->max_return, b->max_return);
    assert_int_equal(a->mon.protocol, b->mon.protocol);
    assert_int_equal(a->mon.port, b->mon.port);
    assert_string_equal(a->mon.path, b->mon.path);
    assert_int_equal(a->mon.interval_s, b->mon.interval_s);
    assert_int_equal(a->mon.timeout_s, b->mon.timeout_s);
    assert_int_equal(a->mon.tolerated, b->mon.tolerated);
    assert_int_equal(a->mon.nranges, b->mon.nranges);
    assert_memory_equal(a->mon.ranges, b->mon.ranges, a->mon.nranges * sizeof a->mon.ranges[0]);
    assert_int_equal(a->mon.nheaders, b->mon.nheaders);
    for (unsigned i = 0; i < a->mon.nheaders; i++) {
        assert_string_equal(a->mon.headers[i].name, b->mon.headers[i].name);
        assert_string_equal(a->mon.headers[i].value, b->mon.headers[i].value);
    }
    assert_int_equal(a->nendpoints, b->nendpoints);
    for (uint32_t i = 0; i < a->nendpoints; i++) {
        const struct endpoint *x = &a->endpoints[i], *y = &b->endpoints[i];
        assert_string_equal(x->name, y->name);
        assert_int_equal(x->kind, y->kind);
        assert_string_equal(x->target, y->target);
        assert_int_equal(x->tkind, y->tkind);
        assert_int_equal(x->target_wire_len, y->target_wire_len);
        assert_memory_equal(x->target_wire, y->target_wire, x->target_wire_len);
        assert_int_equal(x->enabled, y->enabled);
        assert_int_equal(x->always_serve, y->always_serve);
        assert_int_equal(x->priority, y->priority);
        assert_int_equal(x->weight, y->weight);
        assert_string_equal(x->location, y->location);
        assert_int_equal(x->ngeo, y->ngeo);
        assert_int_equal(x->nsubnets, y->nsubnets);
        assert_int_equal(x->min_child, y->min_child);
        assert_int_equal(x->min_child_v4, y->min_child_v4);
        assert_int_equal(x->min_child_v6, y->min_child_v6);
        assert_int_equal(x->nheaders, y->nheaders);
        for (unsigned k = 0; k < x->nheaders; k++) {
            assert_string_equal(x->headers[k].name, y->headers[k].name);
            assert_string_equal(x->headers[k].value, y->headers[k].value);
        }
    }
}

static void
test_reference_both_shapes(void **state)
{
    (void)state;
    size_t la, lb;
    char *flat = read_data("contoso-dr.json", &la);
    char *arm = read_data("contoso-dr-arm.json", &lb);
    struct profile *a = NULL, *b = NULL;
    assert_int_equal(profile_parse(arena, "contoso-dr.json", flat, la, true, &errs, &a), 0);
    assert_int_equal(profile_parse(arena, "contoso-dr-arm.json", arm, lb, true, &errs, &b), 0);
    assert_string_equal(eb.text, "");
    assert_same_profile(a, b);

    assert_string_equal(a->name, "contoso-dr");
    assert_string_equal(a->relative_name, "contoso-dr");
    assert_int_equal(a->ttl, 30);
    assert_int_equal(a->method, ROUTE_PRIORITY);
    assert_int_equal(a->mon.protocol, PROBE_HTTPS);
    assert_int_equal(a->mon.port, 443);
    assert_string_equal(a->mon.path, "/healthz");
    assert_int_equal(a->mon.tolerated, 3);
    assert_int_equal(a->mon.ranges[0].min, 200);
    assert_int_equal(a->mon.ranges[0].max, 299);
    assert_string_equal(a->mon.headers[0].name, "X-Probe");
    assert_int_equal(a->nendpoints, 2);
    assert_string_equal(a->endpoints[0].name, "primary-weu");
    assert_string_equal(a->endpoints[0].location, "westeurope");
    assert_int_equal(a->endpoints[1].priority, 2);
    assert_string_equal(a->endpoints[1].target, "app-neu.contoso.com");
    assert_string_equal(a->endpoints[1].headers[0].value, "app.contoso.com");
    free(flat);
    free(arm);
}

static void
test_names(void **state)
{
    (void)state;
    assert_string_equal(ep_status_name((enum ep_status)99), "Unknown");
    assert_string_equal(ep_status_name(EPS_CHECKING), "CheckingEndpoint");
    assert_string_equal(ep_status_name(EPS_ONLINE), "Online");
    assert_string_equal(ep_status_name(EPS_DEGRADED), "Degraded");
    assert_string_equal(ep_status_name(EPS_DISABLED), "Disabled");
    assert_string_equal(ep_status_name(EPS_INACTIVE), "Inactive");
    assert_string_equal(ep_status_name(EPS_STOPPED), "Stopped");
    assert_string_equal(ep_status_name(EPS_UNMONITORED), "Unmonitored");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bases_valid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_syntax_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_many_endpoints, setup, teardown),
        cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_monitor_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_name_bad_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_targets_and_subnets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nested_endpoint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_headers_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reference_both_shapes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_names, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
