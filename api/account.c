/* account.c: what a client asks before it manages anything: the cloud's
 * discovery document (GET /metadata/endpoints, Azure Stack's shape, which
 * `az cloud register --endpoint-resource-manager` and msrestazure read
 * without a token) and the subscriptions the credential can see
 * (GET /subscriptions[/{id}], which `az login` lists). gtmd's
 * subscriptions are --api-subscription and those named in the ids of the
 * profiles it holds. */
#include "config.h"
#include "api/issuer.h"

#include <ctype.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "api/arm_doc.h"
#include "api/http.h"
#include "conf/conf.h"
#include "gtm/ctx.h"
#include "gtm/guid.h"
#include "gtm/profile.h"
#include "gtm/snapshot.h"
#include "zones/owners.h"

#define MAX_SUBSCRIPTIONS 1024 /* listed at most */
#define GUID_LEN          GTM_GUID_LEN

bool
account_meta_route(struct api_req *r, bool have_issuer)
{
    if (r->nseg != 2 || !api_seg_is(r, 0, "metadata") || !api_seg_is(r, 1, "endpoints"))
        return false;
    if (r->method != EVHTTP_REQ_GET && r->method != EVHTTP_REQ_HEAD) {
        api_not_allowed(r, "GET, HEAD");
        return true;
    }
    char base[300], root[310], login[310];
    api_base_url(r, base, sizeof base);
    snprintf(root, sizeof root, "%s/", base);
    snprintf(login, sizeof login, "%s/adfs", base);
    json_t *doc = json_pack("{s:s,s:s,s:s,s:{s:s,s:[s]}}", "galleryEndpoint", root, "graphEndpoint",
                            root, "portalEndpoint", root, "authentication", "loginEndpoint", login,
                            "audiences", root);
    if (!have_issuer)
        json_object_set_new(doc, "gtmdNote",
                            json_string("gtmd was started without --api-clients: the login "
                                        "endpoint issues no token; use a static bearer token."));
    api_reply_json(r, 200, doc);
    return true;
}

/* The subscription object of ARM's Subscriptions API (2016-06-01 to
 * 2022-12-01 share these members). */
static json_t *
subscription(const char *id)
{
    char display[64];
    snprintf(display, sizeof display, "gtmd %.8s", id);
    return json_pack("{s:s+,s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s,s:s},s:[]}", "id", "/subscriptions/", id,
                     "subscriptionId", id, "tenantId", ISSUER_TENANT_DEFAULT, "displayName",
                     display, "state", "Enabled", "authorizationSource", "RoleBased",
                     "subscriptionPolicies", "locationPlacementId", "Public_2014-09-01", "quotaId",
                     "PayAsYouGo_2014-09-01", "spendingLimit", "Off", "managedByTenants");
}

/* known: the subscriptions gtmd knows, lowercased, the default first:
 * those the profiles' ids name, one step of the snapshot's subscription
 * order each (O(subscriptions x log profiles)). */
static unsigned
known(const struct api_req *r, char (*out)[GUID_LEN + 1], unsigned cap)
{
    unsigned n = 0;
    const char *def = r->ctx->opt->api_subscription;
    if (def && gtm_guid_valid(def)) {
        for (size_t i = 0; i <= GUID_LEN; i++)
            out[n][i] = (char)tolower((unsigned char)def[i]);
        n++;
    }
    const struct gtm_snapshot *s = atomic_load(&r->ctx->snap);
    for (uint32_t i = s ? s->nunowned : 0; s && i < s->nprofiles && n < cap;
         i = owners_next_sub(s, i)) {
        const char *sub = s->by_sub[i]->owner_sub;
        if (!gtm_guid_valid(sub))
            continue;
        char low[GUID_LEN + 1];
        for (size_t k = 0; k <= GUID_LEN; k++)
            low[k] = (char)tolower((unsigned char)sub[k]);
        if (n == 0 || strcmp(out[0], low) != 0) /* the others are distinct already */
            memcpy(out[n++], low, GUID_LEN + 1);
    }
    return n;
}

/* GET|HEAD|PUT /subscriptions/{id}/resourcegroups/{rg}: resource groups
 * exist in gtmd as soon as they are named (a profile PUT names its own),
 * so every well-formed one exists, in "global"; clients that check or
 * create the group first (Ansible's endpoint module, `az group create`)
 * go on to the profile. Nothing is stored. */
static void
resource_group(struct api_req *r)
{
    const char *sub = r->seg[1], *rg = r->seg[3];
    if (!gtm_guid_valid(sub)) {
        api_error(r, 400, "InvalidSubscriptionId",
                  "The provided subscription identifier is malformed or invalid.");
        return;
    }
    if (!arm_valid_resource_group(rg)) {
        api_error(r, 400, "InvalidResourceGroupName",
                  "Resource group names are 1 to 90 letters, digits, '-', '_', '.', '(' or ')', "
                  "not ending with '.'.");
        return;
    }
    if (r->method == EVHTTP_REQ_HEAD) {
        api_reply(r, 204, NULL, NULL, 0);
        return;
    }
    if (r->method == EVHTTP_REQ_PUT && !r->can_write) {
        api_error(r, 403, "AuthorizationFailed", "Changes need a bearer token.");
        return;
    }
    if (r->method != EVHTTP_REQ_GET && r->method != EVHTTP_REQ_PUT) {
        api_not_allowed(r, "GET, HEAD, PUT");
        return;
    }
    api_reply_json(r, 200,
                   json_pack("{s:s+++,s:s,s:s,s:s,s:{s:s}}", "id", "/subscriptions/", sub,
                             "/resourceGroups/", rg, "name", rg, "type",
                             "Microsoft.Resources/resourceGroups", "location", "global",
                             "properties", "provisioningState", "Succeeded"));
}

bool
account_route(struct api_req *r)
{
    if (r->nseg == 4 && api_seg_is(r, 0, "subscriptions") && api_seg_is(r, 2, "resourcegroups")) {
        resource_group(r);
        return true;
    }
    if (r->nseg < 1 || r->nseg > 2 || !api_seg_is(r, 0, "subscriptions"))
        return false;
    if (r->method != EVHTTP_REQ_GET && r->method != EVHTTP_REQ_HEAD) {
        api_not_allowed(r, "GET, HEAD");
        return true;
    }
    static char subs[MAX_SUBSCRIPTIONS][GUID_LEN + 1];
    unsigned n = known(r, subs, MAX_SUBSCRIPTIONS);
    if (r->nseg == 1) {
        json_t *value = json_array();
        for (unsigned i = 0; i < n; i++)
            json_array_append_new(value, subscription(subs[i]));
        api_reply_json(r, 200,
                       json_pack("{s:o,s:{s:s,s:I}}", "value", value, "count", "type", "Total",
                                 "value", (json_int_t)n));
        return true;
    }
    for (unsigned i = 0; i < n; i++)
        if (strcasecmp(subs[i], r->seg[1]) == 0) {
            api_reply_json(r, 200, subscription(subs[i]));
            return true;
        }
    char shown[GUID_LEN + 8];
    size_t k = 0;
    for (const char *p = r->seg[1]; *p && k < GUID_LEN + 4; p++)
        shown[k++] = isprint((unsigned char)*p) ? *p : '?';
    shown[k] = 0;
    api_error(r, 404, "SubscriptionNotFound", "The subscription '%s' could not be found.", shown);
    return true;
}
