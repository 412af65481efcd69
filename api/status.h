/* status.h: what the status page, /metrics and the /gtmd/v1 routes share
 * (the obs_ functions of status.c): the names of things, lookups by name,
 * and the status as JSON. Private to api/. Loop thread only. */
#ifndef GTM_API_STATUS_H
#define GTM_API_STATUS_H

#include <stdint.h>

#include <jansson.h>

#include "gtm/profile.h"

struct gtm_ctx;
struct gtm_snapshot;
struct probe_info;
struct transition;

#define OBS_RECENT 30 /* transitions on the status page */

/* obs_find_endpoint: the endpoint of p named name (any letter case), or NULL. */
const struct endpoint *obs_find_endpoint(const struct profile *p, const char *name);

/* obs_probe: the monitor's record of e's probe, or NULL when e is not probed. */
const struct probe_info *obs_probe(const struct gtm_ctx *ctx, const struct endpoint *e);

/* obs_endpoint_type: "azureEndpoints", "externalEndpoints", "nestedEndpoints". */
const char *obs_endpoint_type(enum endpoint_kind k);

/* obs_transition_json: {"time","from","to","failures","reason"}. Returns new. */
json_t *obs_transition_json(const struct transition *t);

/* obs_endpoint_json: e of p as the status shows it. Returns new. */
json_t *obs_endpoint_json(const struct gtm_ctx *ctx, const struct gtm_snapshot *s,
                          const struct profile *p, uint32_t k);

/* obs_status: everything the status page shows (GET /gtmd/v1/status):
 * {"version","now","generation","loaded","domain","reloads","queries",
 *  "profiles":[{..., "endpoints":[...]}], "transitions":[newest first]}.
 * Returns new. */
json_t *obs_status(struct gtm_ctx *ctx);

#endif
