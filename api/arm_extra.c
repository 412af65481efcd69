/* arm_extra.c: the ARM routes Azure's clients call besides profiles and
 * endpoints (reference §2.3; Azure's REST specification, 2022-04-01):
 * - GET /providers/Microsoft.Network/trafficManagerGeographicHierarchies/default:
 *   the region tree of Geographic routing, from policy/geo.c's table;
 * - GET, PUT, DELETE /subscriptions/S/providers/Microsoft.Network/
 *   trafficManagerUserMetricsKeys/default: the subscription's Real User
 *   Metrics key (gtmd collects no such metrics: the key is only kept);
 * - GET .../trafficmanagerprofiles/P/heatMaps/default: the heat map,
 *   empty (gtmd does not record where queries come from). */
#include "config.h"
#include "api/arm_extra.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "gtm/alloc.h"
#include "gtm/guid.h"
#include "gtm/files.h"
#include "gtm/log.h"
#include "policy/policy.h"
#include "profiles/store.h"

#define SUB_LEN        36 /* a subscription id: a GUID */
#define KEY_PREFIX     "usermetrics-"
#define KEY_SUFFIX     ".key"
#define KEY_FILE_MAX   64 /* bytes read from a key file */
#define GEO_POINT_MAX  64 /* characters of a topLeft or botRight value */
#define GEO_NUMBER_MAX 30 /* characters of one number in it */

struct user_key {
    char sub[SUB_LEN + 1]; /* lowercase */
    char key[ARM_USER_KEY_LEN + 1];
};

struct arm_extra {
    char *dir;       /* where keys are saved, or NULL */
    char *hierarchy; /* the reply of arm_geo_hierarchy, once built */
    size_t hierarchy_len;
    struct user_key *keys;
    size_t nkeys, cap;
};

/* ---- the geographic hierarchy ---- */

json_t *
arm_geo_hierarchy_json(void)
{
    size_t n;
    const struct geo_region *g = geo_regions(&n);
    json_t *byc = json_object(); /* code -> its node (borrowed from the tree) */
    json_t *root = NULL;
    for (size_t i = 0; i < n; i++) {
        json_t *node = json_pack("{s:s,s:s,s:[]}", "code", g[i].code, "name", g[i].name, "regions");
        json_t *parent = g[i].parent ? json_object_get(byc, g[i].parent) : NULL;
        if (!node || (g[i].parent && !parent) || (!g[i].parent && root)) {
            /* the table's order is checked by tests/unit/test_policy.c */
            json_decref(node);
            continue;
        }
        json_object_set(byc, g[i].code, node);
        if (parent)
            json_array_append_new(json_object_get(parent, "regions"), node);
        else
            root = node;
    }
    json_decref(byc);
    return json_pack("{s:s,s:s,s:s,s:{s:o}}", "id", "/providers/" ARM_GEO_TYPE "/default", "name",
                     "default", "type", ARM_GEO_TYPE, "properties", "geographicHierarchy",
                     root ? root : json_object());
}

void
arm_geo_hierarchy(struct api_req *r)
{
    struct arm_extra *x = r->extra;
    if (x && x->hierarchy) {
        api_reply(r, 200, "application/json; charset=utf-8", x->hierarchy, x->hierarchy_len);
        return;
    }
    json_t *body = arm_geo_hierarchy_json();
    if (!x) {
        api_reply_json(r, 200, body);
        return;
    }
    x->hierarchy = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (!x->hierarchy) {
        api_error(r, 500, "InternalServerError", "Cannot render the geographic hierarchy.");
        return;
    }
    x->hierarchy_len = strlen(x->hierarchy);
    api_reply(r, 200, "application/json; charset=utf-8", x->hierarchy, x->hierarchy_len);
}

/* ---- user metrics keys ---- */

int
arm_user_key_new(char out[ARM_USER_KEY_LEN + 1])
{
    unsigned char raw[ARM_USER_KEY_LEN / 2];
    if (RAND_bytes(raw, sizeof raw) != 1)
        return -1;
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof raw; i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 15];
    }
    out[ARM_USER_KEY_LEN] = 0;
    OPENSSL_cleanse(raw, sizeof raw);
    return 0;
}

static bool
key_ok(const char *k)
{
    if (strlen(k) != ARM_USER_KEY_LEN)
        return false;
    for (const char *p = k; *p; p++)
        if (!isdigit((unsigned char)*p) && !(*p >= 'a' && *p <= 'f'))
            return false;
    return true;
}

static void
lower_sub(const char *sub, char out[SUB_LEN + 1])
{
    for (size_t i = 0; i < SUB_LEN; i++)
        out[i] = (char)tolower((unsigned char)sub[i]);
    out[SUB_LEN] = 0;
}

static struct user_key *
find_key(struct arm_extra *x, const char *lsub)
{
    for (size_t i = 0; i < x->nkeys; i++)
        if (strcmp(x->keys[i].sub, lsub) == 0)
            return &x->keys[i];
    return NULL;
}

static void
key_file_name(const char *lsub, char *out, size_t cap)
{
    snprintf(out, cap, KEY_PREFIX "%s" KEY_SUFFIX, lsub);
}

/* load_key: dir/name when it is a key file; 0, or -1 after a warning. */
static int
load_key(struct arm_extra *x, const char *name)
{
    size_t n = strlen(name), pl = sizeof KEY_PREFIX - 1, sl = sizeof KEY_SUFFIX - 1;
    if (n != pl + SUB_LEN + sl || strncmp(name, KEY_PREFIX, pl) != 0)
        return 0; /* another file (the TLS key) */
    char sub[SUB_LEN + 1];
    memcpy(sub, name + pl, SUB_LEN);
    sub[SUB_LEN] = 0;
    if (!gtm_guid_valid(sub)) {
        log_warn("api: %s/%s: not a subscription id: skipped", x->dir, name);
        return -1;
    }
    char lsub[SUB_LEN + 1];
    lower_sub(sub, lsub);
    char path[4200], buf[KEY_FILE_MAX + 1];
    snprintf(path, sizeof path, "%s/%s", x->dir, name);
    FILE *fp = fopen(path, "re");
    if (!fp) {
        log_warn("api: cannot read %s: %s: skipped", path, strerror(errno));
        return -1;
    }
    size_t len = fread(buf, 1, KEY_FILE_MAX, fp);
    fclose(fp);
    buf[len] = 0;
    buf[strcspn(buf, "\r\n")] = 0;
    if (!key_ok(buf)) {
        log_warn("api: %s: not a user metrics key (%d hexadecimal digits): skipped", path,
                 ARM_USER_KEY_LEN);
        OPENSSL_cleanse(buf, sizeof buf);
        return -1;
    }
    if (find_key(x, lsub) || x->nkeys == ARM_USER_KEYS_MAX) {
        log_warn("api: %s: %s: skipped", path,
                 x->nkeys == ARM_USER_KEYS_MAX ? "too many keys" : "a second key");
        OPENSSL_cleanse(buf, sizeof buf);
        return -1;
    }
    if (x->nkeys == x->cap) {
        x->cap = x->cap ? 2 * x->cap : 8;
        x->keys = xrealloc(x->keys, x->cap * sizeof *x->keys);
    }
    struct user_key *k = &x->keys[x->nkeys++];
    memcpy(k->sub, lsub, sizeof k->sub);
    memcpy(k->key, buf, sizeof k->key);
    OPENSSL_cleanse(buf, sizeof buf);
    return 0;
}

struct arm_extra *
arm_extra_new(const char *dir)
{
    struct arm_extra *x = xcalloc(1, sizeof *x);
    if (!dir)
        return x;
    x->dir = xstrdup(dir);
    store_sweep_ext(dir, KEY_SUFFIX);
    char **names;
    size_t n;
    if (files_sorted(dir, KEY_SUFFIX, &names, &n) != 0)
        return x; /* no directory yet: no key */
    for (size_t i = 0; i < n; i++)
        load_key(x, names[i]);
    files_free(names, n);
    if (x->nkeys)
        log_info("api: %zu user metrics key%s loaded from %s", x->nkeys, x->nkeys == 1 ? "" : "s",
                 dir);
    return x;
}

void
arm_extra_free(struct arm_extra *x)
{
    if (!x)
        return;
    if (x->keys)
        OPENSSL_cleanse(x->keys, x->cap * sizeof *x->keys);
    free(x->keys);
    free(x->hierarchy);
    free(x->dir);
    free(x);
}

static void
reply_key(struct api_req *r, int status, const char *key)
{
    /* The id as Azure's own replies spell it: without the subscription. */
    api_reply_json(r, status,
                   json_pack("{s:s,s:s,s:s,s:{s:s}}", "id",
                             "/providers/" ARM_USER_KEY_TYPE "/default", "name", "default", "type",
                             ARM_USER_KEY_TYPE, "properties", "key", key));
}

static void
put_key(struct api_req *r, struct arm_extra *x, const char *lsub)
{
    struct user_key *k = find_key(x, lsub);
    if (!k && x->nkeys == ARM_USER_KEYS_MAX) {
        api_error(r, 409, "QuotaExceeded",
                  "gtmd keeps user metrics keys for at most %d subscriptions.", ARM_USER_KEYS_MAX);
        return;
    }
    char key[ARM_USER_KEY_LEN + 1];
    if (arm_user_key_new(key) != 0) {
        log_err("api: the random generator failed: no user metrics key");
        api_error(r, 500, "InternalServerError", "The random generator failed.");
        return;
    }
    if (x->dir) {
        char name[80], text[ARM_USER_KEY_LEN + 2];
        key_file_name(lsub, name, sizeof name);
        snprintf(text, sizeof text, "%s\n", key);
        int rc = store_write_mode(x->dir, name, text, strlen(text), 0600);
        OPENSSL_cleanse(text, sizeof text);
        if (rc != 0) {
            log_err("api: cannot save %s/%s: %s", x->dir, name, strerror(-rc));
            api_error(r, 500, "InternalServerError",
                      "Cannot save the key in the state directory: %s.", strerror(-rc));
            OPENSSL_cleanse(key, sizeof key);
            return;
        }
    }
    if (!k) {
        if (x->nkeys == x->cap) {
            x->cap = x->cap ? 2 * x->cap : 8;
            x->keys = xrealloc(x->keys, x->cap * sizeof *x->keys);
        }
        k = &x->keys[x->nkeys++];
        memcpy(k->sub, lsub, sizeof k->sub);
    }
    memcpy(k->key, key, sizeof k->key);
    OPENSSL_cleanse(key, sizeof key);
    log_info("api: user metrics key of subscription %s %s", lsub, x->dir ? "saved" : "made");
    reply_key(r, 201, k->key);
}

static void
delete_key(struct api_req *r, struct arm_extra *x, const char *lsub)
{
    struct user_key *k = find_key(x, lsub);
    if (k && x->dir) {
        char name[80];
        key_file_name(lsub, name, sizeof name);
        int rc = store_remove(x->dir, name);
        if (rc != 0) {
            log_err("api: cannot remove %s/%s: %s", x->dir, name, strerror(-rc));
            api_error(r, 500, "InternalServerError",
                      "Cannot remove the key from the state directory: %s.", strerror(-rc));
            return;
        }
    }
    if (k) {
        OPENSSL_cleanse(k, sizeof *k);
        *k = x->keys[--x->nkeys];
        log_info("api: user metrics key of subscription %s deleted", lsub);
    }
    /* Azure answers 200 {"boolean":true} with or without a key to delete. */
    api_reply_json(r, 200, json_pack("{s:b}", "boolean", 1));
}

void
arm_user_key(struct api_req *r, const char *sub)
{
    struct arm_extra *x = r->extra;
    if (!x) {
        api_error(r, 503, "ServiceUnavailable", "User metrics keys are not available.");
        return;
    }
    char lsub[SUB_LEN + 1];
    lower_sub(sub, lsub);
    switch (r->method) {
    case EVHTTP_REQ_PUT:
        put_key(r, x, lsub);
        return;
    case EVHTTP_REQ_DELETE:
        delete_key(r, x, lsub);
        return;
    default: {
        const struct user_key *k = find_key(x, lsub);
        if (k)
            reply_key(r, 200, k->key);
        else
            api_error(r, 404, "ResourceNotFound",
                      "The Resource '" ARM_USER_KEY_TYPE "/default' of subscription '%s' was not "
                      "found: create it with PUT.",
                      lsub);
        return;
    }
    }
}

/* ---- heat maps ---- */

/* number: one decimal number of s[0..n): optional sign, digits with an
 * optional fraction (a digit on one side of the point at least), optional
 * exponent. */
static int
number(const char *s, size_t n, double *out)
{
    if (n == 0 || n > GEO_NUMBER_MAX)
        return -1;
    size_t i = 0, digits = 0;
    if (s[i] == '+' || s[i] == '-')
        i++;
    while (i < n && isdigit((unsigned char)s[i]))
        i++, digits++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && isdigit((unsigned char)s[i]))
            i++, digits++;
    }
    if (digits == 0)
        return -1;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t e = 0;
        while (i < n && isdigit((unsigned char)s[i]))
            i++, e++;
        if (e == 0)
            return -1;
    }
    if (i != n)
        return -1;
    char buf[GEO_NUMBER_MAX + 1];
    memcpy(buf, s, n);
    buf[n] = 0;
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (*end || (errno == ERANGE && (v > 1 || v < -1)))
        return -1;
    *out = v;
    return 0;
}

int
arm_geo_point_parse(const char *s, double *lat, double *lon)
{
    size_t n = strlen(s);
    const char *comma = strchr(s, ',');
    if (n > GEO_POINT_MAX || !comma)
        return -1;
    double a, b;
    if (number(s, (size_t)(comma - s), &a) != 0 ||
        number(comma + 1, n - (size_t)(comma - s) - 1, &b) != 0)
        return -1;
    if (!(a >= -90 && a <= 90 && b >= -180 && b <= 180))
        return -1;
    *lat = a;
    *lon = b;
    return 0;
}

static void
iso_time(time_t t, char out[32])
{
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, 32, "1970-01-01T00:00:00Z");
}

json_t *
arm_heat_map_json(const struct profile *p, const json_t *doc, const struct arm_view *v, time_t now)
{
    (void)doc; /* the ids come from the parsed profile, as arm_render's do */
    char pid[512], id[1024], start[32], end[32];
    arm_profile_id(p, v, pid, sizeof pid);
    json_t *eps = json_array();
    for (uint32_t i = 0; i < p->nendpoints; i++) {
        arm_endpoint_id(pid, &p->endpoints[i], id, sizeof id);
        json_array_append_new(
            eps, json_pack("{s:s,s:I}", "resourceId", id, "endpointId", (json_int_t)i + 1));
    }
    iso_time(now - (time_t)ARM_HEAT_MAP_DAYS * 24 * 3600, start);
    iso_time(now, end);
    return json_pack("{s:s+,s:s,s:s,s:{s:s,s:s,s:o,s:[]}}", "id", pid, "/heatMaps/default", "name",
                     "default", "type", ARM_HEAT_MAP_TYPE, "properties", "startTime", start,
                     "endTime", end, "endpoints", eps, "trafficFlows");
}

void
arm_heat_map(struct api_req *r, const struct profile *p, const json_t *doc,
             const struct arm_view *v)
{
    static const char *const corners[] = {"topLeft", "botRight"};
    double lat[2], lon[2];
    bool have[2];
    for (int i = 0; i < 2; i++) {
        const char *q = api_query(r, corners[i]);
        have[i] = q != NULL;
        if (q && arm_geo_point_parse(q, &lat[i], &lon[i]) != 0) {
            api_error(r, 400, "BadRequest",
                      "The query parameter '%s' must be 'latitude,longitude': two decimal numbers, "
                      "latitude from -90 to 90, longitude from -180 to 180.",
                      corners[i]);
            return;
        }
    }
    if (have[0] && have[1] && lat[0] < lat[1]) {
        api_error(r, 400, "BadRequest",
                  "topLeft (latitude %g) lies south of botRight (latitude %g).", lat[0], lat[1]);
        return;
    }
    api_reply_json(r, 200, arm_heat_map_json(p, doc, v, time(NULL)));
}
