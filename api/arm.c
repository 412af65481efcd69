/* arm.c: Azure's ARM REST surface for traffic manager profiles (SPEC §7,
 * reference §2.3): routes, api-version, the handlers, and the write path:
 * a change is validated like a file (the profile alone, then the checks
 * across profiles), stored atomically in the profiles directory, and
 * served before the reply by reload_profile (ctx->change_profile), which
 * publishes a snapshot sharing every other profile; when that snapshot is
 * refused, the previous file is put back, so disk and memory always agree. */
#include "config.h"
#include "api/http.h"

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "api/arm_doc.h"
#include "api/arm_extra.h"
#include "api/issuer.h"
#include "profiles/store.h"
#include "fleet/fleet.h"
#include "gtm/alloc.h"
#include "gtm/ctx.h"
#include "gtm/err.h"
#include "gtm/guid.h"
#include "gtm/log.h"
#include "gtm/snapshot.h"
#include "conf/conf.h"
#include "profiles/dir.h"
#include "profiles/profile.h"
#include "zones/build.h"
#include "zones/owners.h"

#define API_VERSION_MIN "2017-03-01"
#define API_VERSION_MAX "2022-04-01"
#define MAX_ERRORS      32   /* listed in one error reply */
#define MAX_MESSAGE     4096 /* the joined message of an error reply */

enum route_kind {
    R_CHECK_NAME,
    R_LIST_SUB,
    R_LIST_RG,
    R_PROFILE,
    R_ENDPOINT,
    R_GEO_HIERARCHY, /* api/arm_extra.c's routes */
    R_USER_KEY,
    R_HEAT_MAP,
};

struct route {
    enum route_kind kind;
    const char *sub, *rg, *name, *ep; /* from the path, as given */
    const char *heat_map;             /* R_HEAT_MAP: its type */
    enum endpoint_kind ep_kind;
};

/* ---- small helpers ---- */

/* safe: s made printable for a message: ASCII 0x20..0x7e kept, others '?',
 * cut to 100 characters. */
static const char *
safe(const char *s, char buf[128])
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && o < 100; p++)
        buf[o++] = *p >= 0x20 && *p < 0x7f ? (char)*p : '?';
    buf[o] = 0;
    return buf;
}

#define SAFE(s) safe((s), (char[128]){0})

static bool
is_write(enum evhttp_cmd_type m)
{
    return m == EVHTTP_REQ_PUT || m == EVHTTP_REQ_PATCH || m == EVHTTP_REQ_DELETE ||
           m == EVHTTP_REQ_POST;
}

static const char *
method_name(enum evhttp_cmd_type m)
{
    switch (m) {
    case EVHTTP_REQ_GET:
        return "GET";
    case EVHTTP_REQ_HEAD:
        return "HEAD";
    case EVHTTP_REQ_PUT:
        return "PUT";
    case EVHTTP_REQ_PATCH:
        return "PATCH";
    case EVHTTP_REQ_DELETE:
        return "DELETE";
    case EVHTTP_REQ_POST:
        return "POST";
    default:
        return "?";
    }
}

/* ---- Azure's naming rules for the segments of a path ----
 * (learn.microsoft.com, "Naming rules and restrictions for Azure resources":
 * Microsoft.Resources/resourcegroups, Microsoft.Network/trafficmanagerprofiles
 * and its endpoints). Names end up in ids, in files and in logs; a name
 * that breaks its rule is refused before anything looks it up. */

static bool
is_alnum(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

/* Resource groups: 1 to 90 letters, digits, '-', '_', '.', '(' or ')', not
 * ending with '.' (Azure also allows Unicode letters; gtmd does not). */
bool
arm_valid_resource_group(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 90 || s[n - 1] == '.')
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (!is_alnum(*p) && !strchr("-_.()", *p))
            return false;
    return true;
}

/* Profiles: 1 to 63 letters, digits, '-' or '.', starting and ending with a
 * letter or digit; gtmd also allows '_', as its profile files do. */
static bool
valid_profile_segment(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 63 || !is_alnum((unsigned char)s[0]) || !is_alnum((unsigned char)s[n - 1]))
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (!is_alnum(*p) && !strchr("-_.", *p))
            return false;
    return true;
}

/* A $skiptoken: a profile name as profile files allow them (1 to 63
 * letters, digits, '-', '_' or '.', any first and last), since the list
 * gives out the name of whatever profile ends a page. URL-safe. */
static bool
valid_skiptoken(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 63)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (!is_alnum(*p) && !strchr("-_.", *p))
            return false;
    return true;
}

/* Endpoints: 1 to 260 characters, none of < > * % : ? \ / nor a control
 * character, not ending with a space or '.'. */
static bool
valid_endpoint_segment(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 260 || s[n - 1] == ' ' || s[n - 1] == '.')
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f || strchr("<>*%:?\\/", *p))
            return false;
    return true;
}

/* The route's names against their rules: false after replying 400. */
static bool
names_ok(struct api_req *r, const struct route *rt)
{
    if (rt->sub && !gtm_guid_valid(rt->sub)) {
        api_error(r, 400, "InvalidSubscriptionId",
                  "The provided subscription identifier '%s' is malformed or invalid.",
                  SAFE(rt->sub));
        return false;
    }
    if (rt->rg && !arm_valid_resource_group(rt->rg)) {
        api_error(r, 400, "InvalidResourceGroupName",
                  "The resource group name '%s' is invalid: 1 to 90 letters, digits, '-', '_', "
                  "'.', '(' or ')', not ending with '.'.",
                  SAFE(rt->rg));
        return false;
    }
    if (rt->name && !valid_profile_segment(rt->name)) {
        api_error(r, 400, "InvalidResourceName",
                  "The profile name '%s' is invalid: 1 to 63 letters, digits, '-', '_' or '.', "
                  "starting and ending with a letter or digit.",
                  SAFE(rt->name));
        return false;
    }
    if (rt->ep && !valid_endpoint_segment(rt->ep)) {
        api_error(r, 400, "InvalidResourceName",
                  "The endpoint name '%s' is invalid: 1 to 260 characters, none of "
                  "< > * %% : ? \\ / nor a control character, not ending with a space or '.'.",
                  SAFE(rt->ep));
        return false;
    }
    return true;
}

/* api-version: YYYY-MM-DD (optionally -preview) in [MIN, MAX]. */
static bool
version_ok(const char *v)
{
    size_t n = strlen(v);
    if (n != 10 && !(n == 18 && strcmp(v + 10, "-preview") == 0))
        return false;
    for (size_t i = 0; i < 10; i++)
        if (i == 4 || i == 7 ? v[i] != '-' : (v[i] < '0' || v[i] > '9'))
            return false;
    return strncmp(v, API_VERSION_MIN, 10) >= 0 && strncmp(v, API_VERSION_MAX, 10) <= 0;
}

/* load_doc: p's document normalised. Returns new reference (an empty
 * object if the stored text no longer parses, which cannot happen for a
 * loaded profile). */
static json_t *
load_doc(const struct profile *p)
{
    json_t *doc = arm_doc_load(p->json);
    return doc ? doc : json_object();
}

/* belongs: p is in subscription sub (and resource group rg, unless NULL):
 * its id's owner (profile_parse keeps it); a profile without one (a file
 * written by hand) belongs to all. */
static bool
belongs(const struct profile *p, const char *sub, const char *rg)
{
    return !p->owner_sub ||
           (strcasecmp(p->owner_sub, sub) == 0 && (!rg || strcasecmp(p->owner_rg, rg) == 0));
}

/* view_init: what rendering p needs: its owner, else (no id) sub and rg. */
static void
view_init(struct arm_view *v, struct api_req *r, const struct gtm_snapshot *s,
          const struct profile *p, const char *sub, const char *rg, char *dom, size_t cap)
{
    snprintf(dom, cap, "%s", r->ctx->opt->domain ? r->ctx->opt->domain : "trafficmanager.net");
    size_t n = strlen(dom);
    while (n > 1 && dom[n - 1] == '.')
        dom[--n] = 0;
    v->sub = p->owner_sub ? p->owner_sub : sub;
    v->rg = p->owner_sub ? p->owner_rg : rg;
    v->domain = dom;
    v->health = s ? s->health : NULL;
}

/* ---- error replies with every validation message ---- */

struct errlist {
    struct config_errors ce;
    json_t *items;    /* message strings */
    const char *self; /* the file being written: its messages without the file name */
};

static void
errlist_sink(void *arg, const char *file, unsigned line, const char *msg)
{
    struct errlist *l = arg;
    if (json_array_size(l->items) >= MAX_ERRORS)
        return;
    json_t *m;
    if (file && l->self && strcmp(file, l->self) == 0)
        m = line ? json_sprintf("line %u: %s", line, msg) : json_string(msg);
    else if (file)
        m = line ? json_sprintf("%s:%u: %s", file, line, msg) : json_sprintf("%s: %s", file, msg);
    else
        m = json_string(msg);
    if (m)
        json_array_append_new(l->items, m);
}

static void
errlist_init(struct errlist *l, const char *self)
{
    l->ce = (struct config_errors){0, errlist_sink, l};
    l->items = json_array();
    l->self = self;
}

/* reply_errors: {"error":{code, message: all joined, details: [{code, message}]}}. */
static void
reply_errors(struct api_req *r, int status, const char *code, const char *what, struct errlist *l)
{
    char msg[MAX_MESSAGE];
    size_t o = (size_t)snprintf(msg, sizeof msg, "%s", what);
    json_t *details = json_array();
    size_t i;
    json_t *m;
    json_array_foreach(l->items, i, m)
    {
        const char *t = json_string_value(m);
        if (o < sizeof msg)
            o += (size_t)snprintf(msg + o, sizeof msg - o, "%s%s", i ? "; " : ": ", t);
        json_array_append_new(details, json_pack("{s:s,s:s}", "code", code, "message", t));
    }
    if (o < sizeof msg)
        snprintf(msg + o, sizeof msg - o, "%s", json_array_size(l->items) ? "" : ".");
    api_reply_json(
        r, status,
        json_pack("{s:{s:s,s:s,s:o}}", "error", "code", code, "message", msg, "details", details));
}

/* ---- the write path ---- */

/* in_dir: whether file (as the loader names it: dir "/" name) lies directly
 * in dir; its name into base. */
static bool
in_dir(const char *file, const char *dir, char *base, size_t cap)
{
    size_t dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/')
        dl--;
    if (strncmp(file, dir, dl) != 0 || file[dl] != '/')
        return false;
    const char *b = file + dl;
    while (*b == '/')
        b++;
    if (!*b || strchr(b, '/') || strlen(b) >= cap)
        return false;
    snprintf(base, cap, "%s", b);
    return true;
}

/* set_identity: id, name, type and location first, as ARM prints them. */
static void
set_identity(json_t *doc, const char *sub, const char *rg, const char *name)
{
    json_t *n = json_object();
    json_object_set_new(n, "id",
                        json_sprintf("/subscriptions/%s/resourceGroups/%s/providers/%s/%s", sub, rg,
                                     ARM_PROFILE_TYPE, name));
    json_object_set_new(n, "name", json_string(name));
    json_object_set_new(n, "type", json_string(ARM_PROFILE_TYPE));
    json_t *loc = json_object_get(doc, "location");
    json_object_set_new(n, "location",
                        json_is_string(loc) ? json_incref(loc) : json_string("global"));
    json_object_update_missing(n, doc);
    json_object_clear(doc);
    json_object_update(doc, n);
    json_decref(n);
}

/* The steps of a write that are the API's own: in fleet mode the commit
 * to etcd, then the file (the node's cache). */
struct write_step {
    struct api_req *r;
    const char *dir, *base, *path;
    const char *name; /* the profile's name */
    const char *text; /* NULL: remove */
    const char *prev; /* the file as it was (NULL: none) */
    bool is_new;
    int fleet_err; /* fleet_commit_profile said no: GTM_EEXIST or GTM_EIO */
    char fleet_why[320];
};

static int
step_precheck(void *arg)
{
    struct write_step *w = arg;
    if (w->is_new && access(w->path, F_OK) == 0) {
        api_error(w->r, 409, "Conflict",
                  "%s exists but holds no loaded profile: remove or fix it first.", SAFE(w->path));
        return -1;
    }
    return 0;
}

static int
step_store(void *arg)
{
    struct write_step *w = arg;
    struct fleet *fl = w->r->ctx->fleet;
    if (fl && (w->fleet_err = fleet_commit_profile(fl, w->name, w->text, w->fleet_why,
                                                   sizeof w->fleet_why)) != 0)
        return w->fleet_err;
    int rc = w->text ? store_write(w->dir, w->base, w->text, strlen(w->text))
                     : store_remove(w->dir, w->base);
    if (rc != 0 && fl) {
        /* etcd holds it: the fleet serves it, and so does this node; its
         * cache is behind until the next write or start (which reads etcd) */
        log_err("api: profile %s committed to etcd, but the cache %s cannot be written: %s",
                w->name, w->path, strerror(-rc));
        return 0;
    }
    return rc;
}

/* The snapshot was refused: put the previous file (and, in fleet mode, the
 * previous document in etcd) back. */
static void
step_unstore(void *arg)
{
    struct write_step *w = arg;
    struct fleet *fl = w->r->ctx->fleet;
    char why[320];
    if (fl && fleet_commit_profile(fl, w->name, w->prev, why, sizeof why) != 0)
        log_err("api: cannot put profile %s back in etcd: %s", w->name, why);
    int rc = w->prev ? store_write(w->dir, w->base, w->prev, strlen(w->prev))
                     : store_remove(w->dir, w->base);
    if (rc != 0)
        log_err("api: cannot restore %s: %s; the directory and what is served differ", w->path,
                strerror(-rc));
}

/* file_text: doc as the route's profile file: its identity set, read-only
 * members out, indented for people who edit the files (compact when that
 * makes it too large), with a final newline. Returns new text, or NULL
 * after replying 400. */
static char *
file_text(struct api_req *r, const struct route *rt, json_t *doc)
{
    set_identity(doc, rt->sub, rt->rg, rt->name);
    arm_doc_prepare(doc);
    char *text = json_dumps(doc, JSON_INDENT(2));
    size_t len = text ? strlen(text) : 0;
    if (text && len + 1 > PROFILE_FILE_MAX) {
        free(text);
        text = json_dumps(doc, JSON_COMPACT);
        len = text ? strlen(text) : 0;
    }
    if (!text || len + 1 > PROFILE_FILE_MAX) {
        free(text);
        api_error(r, 400, "BadRequest", "The profile document is larger than %d bytes.",
                  PROFILE_FILE_MAX);
        return NULL;
    }
    text = xrealloc(text, len + 2);
    memcpy(text + len, "\n", 2);
    return text;
}

/* commit: makes doc (NULL: nothing) the profile called name, replacing old
 * (NULL: none), on disk and in what is served, through reload_profile: the
 * new profile alone is parsed, checked against the others, written and
 * published in a snapshot that shares every other profile. Returns 0, or
 * -1 after replying with the reason. old and every profile of the current
 * snapshot are invalid once it returns 0. */
static int
commit(struct api_req *r, const struct route *rt, const struct profile *old, json_t *doc)
{
    struct gtm_ctx *ctx = r->ctx;
    const char *dir = ctx->opt->profiles;
    char base[320], *path = NULL, *text = NULL, *prev = NULL;
    struct errlist el;
    errlist_init(&el, NULL);
    int rc = -1;

    if (old && !in_dir(old->file, dir, base, sizeof base)) {
        api_error(r, 409, "Conflict",
                  "Profile '%s' was loaded from %s, not from the profiles directory %s: it "
                  "cannot be changed through the API.",
                  old->name, SAFE(old->file), SAFE(dir));
        goto out;
    }
    if (!old) {
        snprintf(base, sizeof base, "%s.json", rt->name);
    }
    size_t plen = strlen(dir) + strlen(base) + 2;
    path = xmalloc(plen);
    snprintf(path, plen, "%s/%s", dir, base);
    el.self = old ? old->file : path;

    struct profile *np = NULL;
    if (doc) {
        if (!(text = file_text(r, rt, doc)))
            goto out;
        if (profile_parse_owned(el.self, text, strlen(text), ctx->opt->strict, &el.ce, &np) != 0) {
            reply_errors(r, 400, "BadRequest", "The profile is not valid", &el);
            goto out;
        }
    }

    if (old)
        prev = xstrdup(old->json);
    char *rel = np ? xstrdup(np->relative_name) : NULL; /* np is gone after a refusal */
    struct write_step w = {r, dir, base, path, rt->name, text, prev, !old && doc, 0, ""};
    struct profile_change c = {.old = old,
                               .np = np,
                               .precheck = doc ? step_precheck : NULL,
                               .store = step_store,
                               .unstore = step_unstore,
                               .arg = &w};
    switch (ctx->change_profile(ctx, &c, &el.ce)) {
    case CHANGE_OK:
        rc = 0;
        break;
    case CHANGE_CLASH:
        api_error(r, 409, "Conflict",
                  "The DNS name %s.%s is already used by profile '%s'. Please choose a "
                  "different DNS prefix (dnsConfig.relativeName).",
                  rel, SAFE(ctx->opt->domain), c.clash->name);
        break;
    case CHANGE_PRECHECK:
        break; /* replied */
    case CHANGE_LINK:
        if (doc)
            reply_errors(r, 400, "BadRequest", "The profile does not fit with the others", &el);
        else
            reply_errors(r, 409, "Conflict", "Other profiles depend on this one", &el);
        break;
    case CHANGE_STORE:
        if (w.fleet_err == GTM_EEXIST) {
            api_error(r, 409, "Conflict", "%s.", w.fleet_why);
            break;
        }
        if (w.fleet_err) {
            log_err("api: profile %s: etcd cannot commit the change: %s", rt->name, w.fleet_why);
            api_error(r, 503, "ServiceUnavailable",
                      "The fleet's store (etcd) did not commit the change: %s. It is not served; "
                      "retry later (the same request again is harmless).",
                      w.fleet_why);
            break;
        }
        log_err("api: cannot %s %s: %s", doc ? "write" : "remove", path, strerror(-c.store_err));
        api_error(r, 500, "InternalServerError", "Cannot %s %s: %s.", doc ? "write" : "remove",
                  SAFE(path), strerror(-c.store_err));
        break;
    case CHANGE_REFUSED:
        reply_errors(r, 400, "BadRequest", "The configuration was not accepted", &el);
        break;
    }
    free(rel);
    if (rc == 0)
        log_info("api: profile %s %s (%s)", rt->name,
                 !doc   ? "deleted"
                 : prev ? "replaced"
                        : "created",
                 path);
out:
    json_decref(el.items);
    free(path);
    free(text);
    free(prev);
    return rc;
}

/* ---- replies ---- */

static void
not_found(struct api_req *r, const struct route *rt)
{
    api_error(r, 404, "ResourceNotFound",
              "The Resource '%s/%s' under resource group '%s' was not found.", ARM_PROFILE_TYPE,
              SAFE(rt->name), SAFE(rt->rg));
}

static void
parent_not_found(struct api_req *r, const struct route *rt)
{
    api_error(r, 404, "ParentResourceNotFound",
              "Can not perform requested operation on nested resource. Parent resource '%s' not "
              "found.",
              SAFE(rt->name));
}

static void
endpoint_not_found(struct api_req *r, const struct route *rt)
{
    api_error(r, 404, "NotFound", "Endpoint '%s' of type '%s' was not found in profile '%s'.",
              SAFE(rt->ep), strrchr(arm_endpoint_type(rt->ep_kind), '/') + 1, SAFE(rt->name));
}

/* reply_profile: the profile as now served (after a commit), or endpoint
 * ep of it when ep is not NULL. */
static void
reply_current(struct api_req *r, int status, const struct route *rt, const char *ep)
{
    const struct gtm_snapshot *s = atomic_load(&r->ctx->snap);
    const struct profile *p = snapshot_find_profile(s, rt->name);
    if (!p) {
        api_error(r, 500, "InternalServerError", "Profile '%s' is not served after the change.",
                  SAFE(rt->name));
        return;
    }
    json_t *doc = load_doc(p);
    struct arm_view v;
    char dom[300];
    view_init(&v, r, s, p, rt->sub, rt->rg, dom, sizeof dom);
    json_t *out = NULL;
    if (!ep) {
        out = arm_render_profile(p, doc, &v);
    } else {
        for (uint32_t i = 0; i < p->nendpoints && !out; i++)
            if (strcasecmp(p->endpoints[i].name, ep) == 0)
                out = arm_render_endpoint(p, doc, i, &v);
    }
    json_decref(doc);
    if (out)
        api_reply_json(r, status, out);
    else
        endpoint_not_found(r, rt);
}

static void
reply_deleted(struct api_req *r)
{
    api_reply_json(r, 200, json_pack("{s:b}", "boolean", 1));
}

/* ---- profiles ---- */

/* current: the profile the route names in this subscription and resource
 * group, or NULL; its document in *doc (new reference) when found. */
static const struct profile *
current(struct api_req *r, const struct route *rt, json_t **doc)
{
    const struct gtm_snapshot *s = atomic_load(&r->ctx->snap);
    const struct profile *p = snapshot_find_profile(s, rt->name);
    *doc = NULL;
    if (!p || !belongs(p, rt->sub, rt->rg))
        return NULL;
    *doc = load_doc(p);
    return p;
}

/* odata_param: an OData query parameter ("skiptoken" for $skiptoken), its
 * '$' as sent or percent-encoded (evhttp decodes values, not names). */
static const char *
odata_param(const struct api_req *r, const char *name)
{
    char key[32];
    snprintf(key, sizeof key, "$%s", name);
    const char *v = api_query(r, key);
    if (!v) {
        snprintf(key, sizeof key, "%%24%s", name);
        v = api_query(r, key);
    }
    return v;
}

/* next_link: the URL of the page after the one that ends with profile
 * last: the request's own (scheme, host and port as the client named
 * them), its api-version kept, continuing after last. top: the $top
 * asked (0: none). */
static void
next_link(struct api_req *r, const struct route *rt, const char *last, unsigned top, char *out,
          size_t cap)
{
    char base[300], rg[ARM_NAME_MAX + 20] = "";
    api_base_url(r, base, sizeof base);
    if (rt->rg)
        snprintf(rg, sizeof rg, "/resourceGroups/%s", rt->rg); /* names_ok: URL-safe */
    int n = snprintf(out, cap,
                     "%s/subscriptions/%s%s/providers/Microsoft.Network/trafficManagerProfiles"
                     "?api-version=%s&$skiptoken=%s",
                     base, rt->sub, rg, api_query(r, "api-version"), last);
    if (top && n > 0 && (size_t)n < cap)
        snprintf(out + n, cap - (size_t)n, "&$top=%u", top);
}

/* sdk_client: the request comes from one of Azure's SDKs (az and Ansible
 * use the Python one; each names itself "azsdk-LANGUAGE-..." in its
 * User-Agent): they read one reply of a traffic manager list and no
 * nextLink, since Azure's API definition gives these lists none. */
static bool
sdk_client(const struct api_req *r)
{
    const char *ua = evhttp_find_header(evhttp_request_get_input_headers(r->req), "User-Agent");
    return ua && strstr(ua, "azsdk-") != NULL;
}

/* list_profiles: a page of the subscription's (or resource group's)
 * profiles in name order, after $skiptoken, with nextLink when more
 * follow: O(log n + page) through the snapshot's owner orders. A page is
 * --api-list-page profiles (0: all), or fewer with $top; an Azure SDK's
 * list is one page (sdk_client). */
static void
list_profiles(struct api_req *r, const struct route *rt)
{
    const char *after = odata_param(r, "skiptoken");
    if (after && !valid_skiptoken(after)) {
        api_error(r, 400, "InvalidSkipToken",
                  "The $skiptoken '%s' is not one this list gives: it names the profile the "
                  "page continues after. Start the list again without it.",
                  SAFE(after));
        return;
    }
    /* An SDK's first request gets the whole list, as from Azure: it would
     * read no further page. A $skiptoken or $top is a client that pages. */
    unsigned page_size = r->ctx->opt->api_list_page;
    if (!after && !odata_param(r, "top") && sdk_client(r))
        page_size = 0;
    uint32_t max = page_size ? page_size : UINT32_MAX;
    unsigned top_n = 0;
    const char *top = odata_param(r, "top");
    if (top) {
        char *end = NULL;
        errno = 0;
        long t = top[0] >= '0' && top[0] <= '9' ? strtol(top, &end, 10) : -1;
        if (t < 1 || errno || !end || *end) {
            api_error(r, 400, "InvalidParameter",
                      "The $top '%s' is not a whole number of profiles, 1 or more.", SAFE(top));
            return;
        }
        if ((unsigned long)t < max)
            max = (uint32_t)t;
        top_n = max;
    }
    const struct gtm_snapshot *s = atomic_load(&r->ctx->snap);
    uint32_t cap = !s ? 0 : s->nprofiles < max ? s->nprofiles : max;
    const struct profile **page = xmalloc((cap ? cap : 1) * sizeof *page);
    bool more = false;
    uint32_t n = s ? owners_page(s, rt->sub, rt->rg, after, cap, page, &more) : 0;
    json_t *value = json_array();
    char dom[300];
    for (uint32_t i = 0; i < n; i++) {
        json_t *doc = load_doc(page[i]);
        struct arm_view v;
        view_init(&v, r, s, page[i], rt->sub, rt->rg ? rt->rg : "default", dom, sizeof dom);
        json_array_append_new(value, arm_render_profile(page[i], doc, &v));
        json_decref(doc);
    }
    json_t *out = json_pack("{s:o}", "value", value);
    if (more && n) {
        char link[1024];
        next_link(r, rt, page[n - 1]->name, top_n, link, sizeof link);
        json_object_set_new(out, "nextLink", json_string(link));
    }
    free(page);
    api_reply_json(r, 200, out);
}

static void
put_profile(struct api_req *r, const struct route *rt)
{
    json_t *body = api_body_json(r);
    if (!body)
        return;
    const struct gtm_snapshot *s = atomic_load(&r->ctx->snap);
    const struct profile *old = snapshot_find_profile(s, rt->name);
    if (old && !belongs(old, rt->sub, rt->rg)) {
        api_error(r, 409, "Conflict",
                  "Profile '%s' already exists in resource group '%s' of subscription '%s' "
                  "(profile names are unique across resource groups in gtmd).",
                  old->name, old->owner_rg, old->owner_sub);
        json_decref(body);
        return;
    }
    json_t *doc = arm_doc_profile(body);
    json_decref(body);
    bool existed = old != NULL;
    if (commit(r, rt, old, doc) == 0)
        reply_current(r, existed ? 200 : 201, rt, NULL);
    json_decref(doc);
}

static void
patch_profile(struct api_req *r, const struct route *rt)
{
    json_t *doc;
    const struct profile *old = current(r, rt, &doc);
    if (!old) {
        not_found(r, rt);
        return;
    }
    json_t *body = api_body_json(r);
    if (!body) {
        json_decref(doc);
        return;
    }
    json_t *patch = arm_doc_profile(body);
    json_decref(body);
    arm_doc_merge(doc, patch);
    json_decref(patch);
    if (commit(r, rt, old, doc) == 0)
        reply_current(r, 200, rt, NULL);
    json_decref(doc);
}

static void
profile_op(struct api_req *r, const struct route *rt)
{
    json_t *doc;
    const struct profile *p;
    switch (r->method) {
    case EVHTTP_REQ_GET:
    case EVHTTP_REQ_HEAD:
        p = current(r, rt, &doc);
        if (!p) {
            not_found(r, rt);
            return;
        }
        json_decref(doc);
        reply_current(r, 200, rt, NULL);
        return;
    case EVHTTP_REQ_PUT:
        put_profile(r, rt);
        return;
    case EVHTTP_REQ_PATCH:
        patch_profile(r, rt);
        return;
    case EVHTTP_REQ_DELETE:
        p = current(r, rt, &doc);
        if (!p) {
            api_reply(r, 204, NULL, NULL, 0);
            return;
        }
        json_decref(doc);
        if (commit(r, rt, p, NULL) == 0)
            reply_deleted(r);
        return;
    default:
        return;
    }
}

/* ---- endpoints ---- */

/* endpoint_put: PUT (create or replace) or PATCH (merge into) endpoint idx
 * (-1: none yet) of p, whose document is doc. */
static void
endpoint_put(struct api_req *r, const struct route *rt, const struct profile *p, json_t *doc,
             json_t *arr, long idx)
{
    bool put = r->method == EVHTTP_REQ_PUT;
    if (!put && idx < 0) {
        endpoint_not_found(r, rt);
        return;
    }
    json_t *body = api_body_json(r);
    if (!body)
        return;
    json_t *ep = arm_doc_endpoint(body);
    json_decref(body);
    if (!put) {
        json_t *cur = json_array_get(arr, (size_t)idx);
        arm_doc_merge(cur, ep);
        json_decref(ep);
        ep = json_incref(cur);
    }
    /* The path names the endpoint and its type; the body cannot change them. */
    json_t *fresh = json_object();
    json_object_set_new(fresh, "name", json_string(idx >= 0 ? p->endpoints[idx].name : rt->ep));
    json_object_set_new(fresh, "type", json_string(arm_endpoint_type(rt->ep_kind)));
    json_object_update_missing(fresh, ep);
    json_decref(ep);
    arm_doc_prepare_endpoint(fresh);
    if (idx >= 0)
        json_array_set_new(arr, (size_t)idx, fresh);
    else
        json_array_append_new(arr, fresh);
    if (commit(r, rt, p, doc) == 0)
        reply_current(r, idx >= 0 ? 200 : 201, rt, rt->ep);
}

static void
endpoint_op(struct api_req *r, const struct route *rt)
{
    json_t *doc;
    const struct profile *p = current(r, rt, &doc);
    if (!p) {
        parent_not_found(r, rt);
        return;
    }
    json_t *arr = arm_doc_endpoints(doc);
    long idx = arr ? arm_doc_find_endpoint(arr, rt->ep) : -1;
    /* The document and the parsed profile list the same endpoints. */
    bool same_kind =
        idx >= 0 && (uint32_t)idx < p->nendpoints && p->endpoints[idx].kind == rt->ep_kind;

    switch (r->method) {
    case EVHTTP_REQ_GET:
    case EVHTTP_REQ_HEAD:
        if (!same_kind)
            endpoint_not_found(r, rt);
        else
            reply_current(r, 200, rt, rt->ep);
        break;
    case EVHTTP_REQ_DELETE:
        if (!same_kind) {
            api_reply(r, 204, NULL, NULL, 0);
            break;
        }
        json_array_remove(arr, (size_t)idx);
        if (commit(r, rt, p, doc) == 0)
            reply_deleted(r);
        break;
    case EVHTTP_REQ_PUT:
    case EVHTTP_REQ_PATCH:
        if (!arr)
            api_error(r, 400, "BadRequest", "Profile '%s' has no endpoints array.", p->name);
        else if (idx >= 0 && !same_kind)
            api_error(r, 409, "Conflict",
                      "Profile '%s' has an endpoint named '%s' of another type.", p->name,
                      SAFE(rt->ep));
        else
            endpoint_put(r, rt, p, doc, arr, idx);
        break;
    default:
        break;
    }
    json_decref(doc);
}

/* ---- heat map (api/arm_extra.c renders it) ---- */

static void
heat_map(struct api_req *r, const struct route *rt)
{
    if (strcasecmp(rt->heat_map, "default") != 0) {
        api_error(r, 404, "NotFound", "Heat map type '%s' does not exist: the type is 'default'.",
                  SAFE(rt->heat_map));
        return;
    }
    json_t *doc;
    const struct profile *p = current(r, rt, &doc);
    if (!p) {
        not_found(r, rt);
        return;
    }
    struct arm_view v;
    char dom[300];
    view_init(&v, r, atomic_load(&r->ctx->snap), p, rt->sub, rt->rg, dom, sizeof dom);
    arm_heat_map(r, p, doc, &v);
    json_decref(doc);
}

/* ---- name availability ---- */

static bool
valid_dns_prefix(const char *s)
{
    size_t n = strlen(s), label = 0;
    if (n < 1 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '.') {
            if (label == 0)
                return false;
            label = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '-') {
            label++;
        } else {
            return false;
        }
    }
    return label > 0;
}

static void
check_name(struct api_req *r)
{
    json_t *body = api_body_json(r);
    if (!body)
        return;
    const char *name = json_string_value(json_object_get(body, "name"));
    if (!name) {
        json_decref(body);
        api_error(r, 400, "BadRequest", "The request needs a string member 'name'.");
        return;
    }
    const char *domain = r->ctx->opt->domain ? r->ctx->opt->domain : "trafficmanager.net";
    json_t *out = json_pack("{s:s,s:s}", "name", name, "type", ARM_PROFILE_TYPE);
    const struct gtm_snapshot *s = atomic_load(&r->ctx->snap);
    bool valid = valid_dns_prefix(name);
    const struct profile *taken = valid ? snapshot_find_relative(s, name) : NULL;
    if (!valid) {
        json_object_set_new(out, "nameAvailable", json_false());
        json_object_set_new(out, "reason", json_string("Invalid"));
        json_object_set_new(out, "message",
                            json_sprintf("The DNS prefix '%s' is invalid: use 1 to 63 letters, "
                                         "digits, '-' and '.'.",
                                         SAFE(name)));
    } else if (taken) {
        json_object_set_new(out, "nameAvailable", json_false());
        json_object_set_new(out, "reason", json_string("AlreadyExists"));
        json_object_set_new(out, "message",
                            json_sprintf("Domain name %s.%s already exists. Please choose a "
                                         "different DNS prefix.",
                                         SAFE(name), SAFE(domain)));
    } else {
        json_object_set_new(out, "nameAvailable", json_true());
    }
    json_decref(body);
    api_reply_json(r, 200, out);
}

/* ---- routing ---- */

/* match: the ARM route of the path, if it is one. */
static bool
match(const struct api_req *r, struct route *rt)
{
    memset(rt, 0, sizeof *rt);
    if (r->nseg == 3 && api_seg_is(r, 0, "providers") && api_seg_is(r, 1, "Microsoft.Network") &&
        api_seg_is(r, 2, "checkTrafficManagerNameAvailability")) {
        rt->kind = R_CHECK_NAME;
        return true;
    }
    if (r->nseg == 4 && api_seg_is(r, 0, "providers") && api_seg_is(r, 1, "Microsoft.Network") &&
        api_seg_is(r, 2, "trafficManagerGeographicHierarchies") && api_seg_is(r, 3, "default")) {
        rt->kind = R_GEO_HIERARCHY;
        return true;
    }
    if (r->nseg < 5 || !api_seg_is(r, 0, "subscriptions"))
        return false;
    rt->sub = r->seg[1];
    if (r->nseg == 6 && api_seg_is(r, 2, "providers") && api_seg_is(r, 3, "Microsoft.Network") &&
        api_seg_is(r, 4, "trafficManagerUserMetricsKeys") && api_seg_is(r, 5, "default")) {
        rt->kind = R_USER_KEY;
        return true;
    }
    if (r->nseg == 5 && api_seg_is(r, 2, "providers") && api_seg_is(r, 3, "Microsoft.Network")) {
        if (api_seg_is(r, 4, "checkTrafficManagerNameAvailabilityV2"))
            rt->kind = R_CHECK_NAME;
        else if (api_seg_is(r, 4, "trafficmanagerprofiles"))
            rt->kind = R_LIST_SUB;
        else
            return false;
        return true;
    }
    if (r->nseg < 7 || !api_seg_is(r, 2, "resourceGroups") || !api_seg_is(r, 4, "providers") ||
        !api_seg_is(r, 5, "Microsoft.Network") || !api_seg_is(r, 6, "trafficmanagerprofiles"))
        return false;
    rt->rg = r->seg[3];
    if (r->nseg == 7) {
        rt->kind = R_LIST_RG;
        return true;
    }
    rt->name = r->seg[7];
    if (r->nseg == 8) {
        rt->kind = R_PROFILE;
        return true;
    }
    if (r->nseg == 10 && api_seg_is(r, 8, "heatMaps")) {
        rt->kind = R_HEAT_MAP;
        rt->heat_map = r->seg[9];
        return true;
    }
    /* The URL segment is the type without its prefix: ExternalEndpoints... */
    if (r->nseg == 10 && !strchr(r->seg[8], '/') &&
        arm_endpoint_kind(r->seg[8], &rt->ep_kind) == 0) {
        rt->kind = R_ENDPOINT;
        rt->ep = r->seg[9];
        return true;
    }
    return false;
}

bool
arm_route(struct api_req *r)
{
    struct route rt;
    if (!match(r, &rt))
        return false;

    const char *v = api_query(r, "api-version");
    if (!v) {
        api_error(r, 400, "MissingApiVersionParameter",
                  "The api-version query parameter (?api-version=) is required for all requests.");
        return true;
    }
    if (!version_ok(v)) {
        api_error(r, 400, "InvalidApiVersionParameter",
                  "The api-version '%s' is invalid. The supported versions are %s through %s.",
                  SAFE(v), API_VERSION_MIN, API_VERSION_MAX);
        return true;
    }
    if (!names_ok(r, &rt))
        return true;

    bool reading = r->method == EVHTTP_REQ_GET || r->method == EVHTTP_REQ_HEAD;
    bool allowed;
    switch (rt.kind) {
    case R_CHECK_NAME:
        allowed = r->method == EVHTTP_REQ_POST;
        break;
    case R_LIST_SUB:
    case R_LIST_RG:
    case R_GEO_HIERARCHY:
    case R_HEAT_MAP:
        allowed = reading;
        break;
    case R_USER_KEY:
        allowed = reading || r->method == EVHTTP_REQ_PUT || r->method == EVHTTP_REQ_DELETE;
        break;
    default:
        allowed = reading || (is_write(r->method) && r->method != EVHTTP_REQ_POST);
        break;
    }
    if (!allowed) {
        api_error(r, 405, "MethodNotAllowed",
                  "The requested resource does not support http method '%s'.",
                  method_name(r->method));
        return true;
    }
    if (is_write(r->method) && !r->can_write) {
        /* The listener refuses these already; never change anything without a token. */
        api_error(r, 403, "AuthorizationFailed", "Changes need a bearer token.");
        return true;
    }

    switch (rt.kind) {
    case R_CHECK_NAME:
        check_name(r);
        break;
    case R_LIST_SUB:
    case R_LIST_RG:
        list_profiles(r, &rt);
        break;
    case R_PROFILE:
        profile_op(r, &rt);
        break;
    case R_ENDPOINT:
        endpoint_op(r, &rt);
        break;
    case R_GEO_HIERARCHY:
        arm_geo_hierarchy(r);
        break;
    case R_USER_KEY:
        arm_user_key(r, rt.sub);
        break;
    case R_HEAT_MAP:
        heat_map(r, &rt);
        break;
    }
    return true;
}
