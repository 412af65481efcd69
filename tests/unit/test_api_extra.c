/* test_api_extra.c: api/arm_extra.c without a server: the heat map's
 * corners, the user metrics keys (through arm_route, replies captured;
 * saved, loaded back, bad files skipped), the geographic hierarchy's tree
 * and the heat map of a hand-built profile. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "api/arm_extra.h"
#include "api/http.h"
#include "gtm/ctx.h"
#include "gtm/profile.h"
#include "policy/policy.h"
#include "unit.h"

#define SUB "0000aaaa-1111-2222-3333-44445555abcd"
#define KEYS                                                                                       \
    "/subscriptions/" SUB "/providers/Microsoft.Network/trafficManagerUserMetricsKeys/default"

/* ---- heat map corners ---- */

static void
test_geo_point(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int rc;
        double lat, lon;
    } cases[] = {
        {"10.000,50.001", 0, 10, 50.001},
        {"-50.001,80", 0, -50.001, 80},
        {"90,-180", 0, 90, -180},
        {"-90,180", 0, -90, 180},
        {"+1.5,.5", 0, 1.5, 0.5},
        {"1.,2", 0, 1, 2},
        {"1e1,-2E+1", 0, 10, -20},
        {"1e-400,0", 0, 0, 0},
        {"90.0001,0", -1, 0, 0},
        {"0,180.5", -1, 0, 0},
        {"0,-181", -1, 0, 0},
        {"1e400,0", -1, 0, 0},
        {"", -1, 0, 0},
        {",", -1, 0, 0},
        {"1", -1, 0, 0},
        {"1,", -1, 0, 0},
        {",1", -1, 0, 0},
        {"1,2,3", -1, 0, 0},
        {" 1,2", -1, 0, 0},
        {"1 ,2", -1, 0, 0},
        {"1,2 ", -1, 0, 0},
        {"inf,0", -1, 0, 0},
        {"nan,0", -1, 0, 0},
        {"0x10,0", -1, 0, 0},
        {"1e,0", -1, 0, 0},
        {".,0", -1, 0, 0},
        {"-,0", -1, 0, 0},
        {"--1,0", -1, 0, 0},
        {"1;2", -1, 0, 0},
        {"0.0000000000000000000000000000001,0", -1, 0, 0}, /* longer than a number may be */
        {"1,2\n", -1, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double lat = 99, lon = 99;
        int rc = arm_geo_point_parse(cases[i].in, &lat, &lon);
        if (rc != cases[i].rc)
            fail_msg("'%s': %d, expected %d", cases[i].in, rc, cases[i].rc);
        if (rc == 0) {
            assert_true(lat - cases[i].lat < 1e-9 && cases[i].lat - lat < 1e-9);
            assert_true(lon - cases[i].lon < 1e-9 && cases[i].lon - lon < 1e-9);
        }
    }
    char longer[200];
    memset(longer, '1', sizeof longer - 1);
    longer[sizeof longer - 1] = 0;
    longer[1] = ',';
    double lat, lon;
    assert_int_equal(arm_geo_point_parse(longer, &lat, &lon), -1);
}

/* ---- keys ---- */

static void
test_key_new(void **state)
{
    (void)state;
    char a[ARM_USER_KEY_LEN + 1], b[ARM_USER_KEY_LEN + 1];
    assert_int_equal(arm_user_key_new(a), 0);
    assert_int_equal(arm_user_key_new(b), 0);
    assert_int_equal(strlen(a), 32);
    assert_int_equal(strspn(a, "0123456789abcdef"), 32);
    assert_string_not_equal(a, b);
}

struct reply {
    int code;
    char body[65536]; /* the whole hierarchy fits */
};

static void
capture(void *arg, int code, const char *body, size_t len)
{
    struct reply *r = arg;
    r->code = code;
    assert_true(len < sizeof r->body); /* compared whole, never cut */
    snprintf(r->body, sizeof r->body, "%.*s", (int)len, body ? body : "");
}

/* One request through arm_route. */
static struct reply
request(struct arm_extra *x, enum evhttp_cmd_type method, const char *path, bool can_write)
{
    static struct gtm_ctx ctx;
    struct reply rep = {0, ""};
    struct evhttp_request *req = evhttp_request_new(NULL, NULL);
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    struct api_req r = {.ctx = &ctx,
                        .req = req,
                        .method = method,
                        .can_write = can_write,
                        .extra = x,
                        .capture = capture,
                        .capture_arg = &rep};
    TAILQ_INIT(&r.query);
    evhttp_add_header(&r.query, "api-version", "2022-04-01");
    for (char *save = NULL, *seg = strtok_r(buf, "/", &save); seg && r.nseg < API_MAX_SEGMENTS;
         seg = strtok_r(NULL, "/", &save))
        r.seg[r.nseg++] = seg;
    assert_true(arm_route(&r));
    evhttp_clear_headers(&r.query);
    evhttp_request_free(req);
    return rep;
}

static json_t *
parse(const struct reply *r)
{
    json_t *j = json_loads(r->body, 0, NULL);
    assert_non_null(j);
    return j;
}

/* The key of a 200/201 reply, checked for Azure's shape. */
static void
key_of(const struct reply *r, char out[ARM_USER_KEY_LEN + 1])
{
    json_t *j = parse(r);
    assert_string_equal(json_string_value(json_object_get(j, "id")),
                        "/providers/Microsoft.Network/trafficManagerUserMetricsKeys/default");
    assert_string_equal(json_string_value(json_object_get(j, "name")), "default");
    assert_string_equal(json_string_value(json_object_get(j, "type")), ARM_USER_KEY_TYPE);
    const char *k = json_string_value(json_object_get(json_object_get(j, "properties"), "key"));
    assert_non_null(k);
    assert_int_equal(strlen(k), ARM_USER_KEY_LEN);
    memcpy(out, k, ARM_USER_KEY_LEN + 1);
    json_decref(j);
}

static void
test_user_keys(void **state)
{
    (void)state;
    char *dir = tmpdir_new();
    assert_non_null(dir);
    struct arm_extra *x = arm_extra_new(dir);

    struct reply r = request(x, EVHTTP_REQ_GET, KEYS, true);
    assert_int_equal(r.code, 404);
    assert_non_null(strstr(r.body, "\"ResourceNotFound\""));

    /* Writes need the permission; POST and PATCH are not methods of it. */
    r = request(x, EVHTTP_REQ_PUT, KEYS, false);
    assert_int_equal(r.code, 403);
    r = request(x, EVHTTP_REQ_POST, KEYS, true);
    assert_int_equal(r.code, 405);
    r = request(x, EVHTTP_REQ_PATCH, KEYS, true);
    assert_int_equal(r.code, 405);
    r = request(x, EVHTTP_REQ_GET,
                "/subscriptions/not-a-guid/providers/Microsoft.Network/"
                "trafficManagerUserMetricsKeys/default",
                true);
    assert_int_equal(r.code, 400);
    assert_non_null(strstr(r.body, "InvalidSubscriptionId"));

    char k1[ARM_USER_KEY_LEN + 1], k2[ARM_USER_KEY_LEN + 1], got[ARM_USER_KEY_LEN + 1];
    r = request(x, EVHTTP_REQ_PUT, KEYS, true);
    assert_int_equal(r.code, 201);
    key_of(&r, k1);
    /* any case of the subscription id names the same key */
    r = request(x, EVHTTP_REQ_GET,
                "/subscriptions/0000AAAA-1111-2222-3333-44445555ABCD/providers/Microsoft.Network/"
                "trafficManagerUserMetricsKeys/default",
                true);
    assert_int_equal(r.code, 200);
    key_of(&r, got);
    assert_string_equal(got, k1);

    /* saved, 0600, one line */
    char path[4096], text[128] = "";
    snprintf(path, sizeof path, "%s/usermetrics-%s.key", dir, SUB);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    assert_non_null(fgets(text, sizeof text, fp));
    fclose(fp);
    snprintf(got, sizeof got, "%s", text);
    assert_string_equal(got, k1);
    assert_string_equal(text + ARM_USER_KEY_LEN, "\n");

    /* a second PUT makes a new key */
    r = request(x, EVHTTP_REQ_PUT, KEYS, true);
    assert_int_equal(r.code, 201);
    key_of(&r, k2);
    assert_string_not_equal(k1, k2);

    /* a new instance loads it; files that are no key are skipped */
    free(tmpfile_write(dir, "usermetrics-bad.key", "0123456789abcdef0123456789abcdef\n"));
    free(tmpfile_write(dir, "usermetrics-11111111-2222-3333-4444-555555555555.key", "short\n"));
    free(tmpfile_write(dir, "usermetrics-22222222-2222-3333-4444-555555555555.key",
                       "0123456789ABCDEF0123456789ABCDEF\n"));
    free(tmpfile_write(dir, ".usermetrics-" SUB ".key.Ab12Cd", "left by a crash"));
    arm_extra_free(x);
    x = arm_extra_new(dir);
    r = request(x, EVHTTP_REQ_GET, KEYS, true);
    assert_int_equal(r.code, 200);
    key_of(&r, got);
    assert_string_equal(got, k2);
    r = request(x, EVHTTP_REQ_GET,
                "/subscriptions/11111111-2222-3333-4444-555555555555/providers/Microsoft.Network/"
                "trafficManagerUserMetricsKeys/default",
                true);
    assert_int_equal(r.code, 404);
    snprintf(path, sizeof path, "%s/.usermetrics-%s.key.Ab12Cd", dir, SUB);
    assert_int_not_equal(access(path, F_OK), 0); /* swept */

    /* DELETE: 200 {"boolean":true}, the file gone; again: the same */
    r = request(x, EVHTTP_REQ_DELETE, KEYS, true);
    assert_int_equal(r.code, 200);
    assert_string_equal(r.body, "{\"boolean\":true}");
    snprintf(path, sizeof path, "%s/usermetrics-%s.key", dir, SUB);
    assert_int_not_equal(access(path, F_OK), 0);
    r = request(x, EVHTTP_REQ_GET, KEYS, true);
    assert_int_equal(r.code, 404);
    r = request(x, EVHTTP_REQ_DELETE, KEYS, true);
    assert_int_equal(r.code, 200);
    assert_string_equal(r.body, "{\"boolean\":true}");
    arm_extra_free(x);

    /* Memory only: the same answers, no file. */
    x = arm_extra_new(NULL);
    r = request(x, EVHTTP_REQ_PUT, KEYS, true);
    assert_int_equal(r.code, 201);
    key_of(&r, k1);
    r = request(x, EVHTTP_REQ_GET, KEYS, true);
    key_of(&r, got);
    assert_string_equal(got, k1);
    assert_int_not_equal(access(path, F_OK), 0);
    arm_extra_free(x);
    tmpdir_remove(dir);
    free(dir);
}

/* ---- the hierarchy ---- */

static size_t
count_nodes(const json_t *node, const char **bad)
{
    size_t n = 1;
    json_t *regions = json_object_get(node, "regions");
    if (!json_is_string(json_object_get(node, "code")) ||
        !json_is_string(json_object_get(node, "name")) || !json_is_array(regions) ||
        json_object_size(node) != 3)
        *bad = json_string_value(json_object_get(node, "code"));
    size_t i;
    json_t *c;
    json_array_foreach(regions, i, c)
    {
        n += count_nodes(c, bad);
    }
    return n;
}

static const json_t *
child(const json_t *node, const char *code)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(node, "regions"), i, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "code")), code) == 0)
            return c;
    }
    return NULL;
}

static void
test_hierarchy(void **state)
{
    (void)state;
    json_t *j = arm_geo_hierarchy_json();
    assert_string_equal(json_string_value(json_object_get(j, "id")),
                        "/providers/Microsoft.Network/trafficManagerGeographicHierarchies/default");
    assert_string_equal(json_string_value(json_object_get(j, "name")), "default");
    assert_string_equal(json_string_value(json_object_get(j, "type")), ARM_GEO_TYPE);
    const json_t *root = json_object_get(json_object_get(j, "properties"), "geographicHierarchy");
    assert_string_equal(json_string_value(json_object_get(root, "code")), "WORLD");
    assert_string_equal(json_string_value(json_object_get(root, "name")), "World");
    /* every region of the table, once, in Azure's {code, name, regions} */
    const char *bad = NULL;
    size_t n;
    geo_regions(&n);
    assert_int_equal(count_nodes(root, &bad), n);
    assert_null(bad);
    assert_int_equal(json_array_size(json_object_get(root, "regions")), 8);
    const json_t *eu = child(root, "GEO-EU"), *na = child(root, "GEO-NA");
    assert_non_null(eu);
    assert_string_equal(json_string_value(json_object_get(eu, "name")), "Europe");
    assert_non_null(child(eu, "IE"));
    assert_int_equal(json_array_size(json_object_get(child(eu, "IE"), "regions")), 0);
    const json_t *us = child(na, "US");
    assert_non_null(us);
    assert_int_equal(json_array_size(json_object_get(us, "regions")), 51);
    assert_string_equal(json_string_value(json_object_get(child(us, "US-CA"), "name")),
                        "California");
    const json_t *au = child(child(root, "GEO-AP"), "AU");
    assert_string_equal(json_string_value(json_object_get(child(au, "AU-NSW"), "name")),
                        "New South Wales");
    json_decref(j);

    /* through the route: the same body, built once per instance */
    struct arm_extra *x = arm_extra_new(NULL);
    char *want = json_dumps(j = arm_geo_hierarchy_json(), JSON_COMPACT);
    json_decref(j);
    for (int i = 0; i < 2; i++) {
        static struct reply r;
        struct evhttp_request *req = evhttp_request_new(NULL, NULL);
        struct api_req ar = {.req = req,
                             .method = EVHTTP_REQ_GET,
                             .extra = x,
                             .capture = capture,
                             .capture_arg = &r};
        arm_geo_hierarchy(&ar);
        evhttp_request_free(req);
        assert_int_equal(r.code, 200);
        assert_int_equal(strncmp(r.body, want, sizeof r.body - 1), 0);
    }
    free(want);
    arm_extra_free(x);
}

/* ---- the heat map ---- */

static void
test_heat_map(void **state)
{
    (void)state;
    struct endpoint eps[2] = {{.name = "west", .kind = EP_EXTERNAL},
                              {.name = "kid", .kind = EP_NESTED}};
    struct profile p = {.name = "app", .nendpoints = 2, .endpoints = eps};
    struct arm_view v = {.sub = SUB, .rg = "rg1", .domain = "tm.test"};
    json_t *j = arm_heat_map_json(&p, NULL, &v, 1503406200); /* 2017-08-22T12:50:00Z */
    char *text = json_dumps(j, JSON_COMPACT);
    assert_string_equal(
        text, "{\"id\":\"/subscriptions/" SUB
              "/resourceGroups/rg1/providers/Microsoft.Network/trafficManagerProfiles/app/heatMaps/"
              "default\",\"name\":\"default\",\"type\":\"Microsoft.Network/"
              "trafficManagerProfiles/heatMaps\",\"properties\":{\"startTime\":\"2017-08-15T12:50:"
              "00Z\",\"endTime\":\"2017-08-22T12:50:00Z\",\"endpoints\":[{\"resourceId\":\"/"
              "subscriptions/" SUB "/resourceGroups/rg1/providers/Microsoft.Network/"
              "trafficManagerProfiles/app/externalEndpoints/west\",\"endpointId\":1},{"
              "\"resourceId\":\"/subscriptions/" SUB "/resourceGroups/rg1/providers/"
              "Microsoft.Network/trafficManagerProfiles/app/nestedEndpoints/kid\",\"endpointId\":"
              "2}],\"trafficFlows\":[]}}");
    free(text);
    json_decref(j);
    p.nendpoints = 0;
    j = arm_heat_map_json(&p, NULL, &v, 0);
    assert_int_equal(
        json_array_size(json_object_get(json_object_get(j, "properties"), "endpoints")), 0);
    json_decref(j);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_geo_point), cmocka_unit_test(test_key_new),
        cmocka_unit_test(test_user_keys), cmocka_unit_test(test_hierarchy),
        cmocka_unit_test(test_heat_map),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
