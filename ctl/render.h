/* render.h: gtmctl's human output: the API's JSON as aligned tables. Pure
 * (JSON in, text out), so that unit tests can check every view. Fields
 * that are missing show as "-"; both ARM shapes are read (fields inside
 * "properties", or flattened as az prints them). */
#ifndef GTM_CTL_RENDER_H
#define GTM_CTL_RENDER_H

#include <stdio.h>

#include <jansson.h>

/* render_profiles: a profile list ({"value":[profile, ...]}) as a table:
 * NAME, RESOURCE GROUP, ROUTING, STATUS, MONITOR, TTL, ENDPOINTS, FQDN. */
void render_profiles(const json_t *list, FILE *out);

/* render_endpoints: the endpoints of one profile as a table: NAME, TYPE,
 * TARGET, STATUS, MONITOR, PRIORITY, WEIGHT, LOCATION. */
void render_endpoints(const json_t *profile, FILE *out);

/* render_status: GET /gtmd/v1/status as one table of every endpoint of
 * every profile (only profile, when not NULL): state, last probe result
 * and latency. Returns the number of profiles shown; prints nothing when
 * profile is given and not found. */
size_t render_status(const json_t *status, const char *profile, FILE *out);

/* render_fleet: GET /gtmd/v1/fleet (fleet) as a table of nodes, then
 * GET /gtmd/v1/status (status) as one row per probed endpoint: the
 * fleet's verdict, the quorum, and each node's verdict. */
void render_fleet(const json_t *fleet, const json_t *status, FILE *out);

/* render_history: GET .../history as a table of transitions, oldest first. */
void render_history(const json_t *history, FILE *out);

/* render_resolve: GET /gtmd/v1/resolve: the answer, then the reasons. */
void render_resolve(const json_t *resolve, FILE *out);

/* render_override: the reply of PUT/DELETE .../override
 * ({"profile","endpoint","override","probed","endpointMonitorStatus",
 * "sharedWith"}) as one line, and the endpoints sharing the probe. */
void render_override(const json_t *reply, FILE *out);

/* render_reload: the reply of POST /gtmd/v1/reload ({"result",
 * "generation","profiles","zones","probes"}) as one line. */
void render_reload(const json_t *reply, FILE *out);

/* render_json: j indented by two, and a newline. */
void render_json(const json_t *j, FILE *out);

/* json_prop: obj.properties.key if obj has "properties", else obj.key;
 * NULL when absent. Borrowed. */
const json_t *json_prop(const json_t *obj, const char *key);

/* ctl_id_part: the segment after "/name/" in an ARM id (name compared
 * ignoring case), copied into buf; returns buf, or NULL when absent. */
char *ctl_id_part(const char *id, const char *name, char *buf, size_t len);

/* ctl_endpoint_kind: "externalEndpoints" for
 * "Microsoft.Network/trafficManagerProfiles/externalEndpoints", or NULL
 * when type is not an endpoint type. Borrowed from type. */
const char *ctl_endpoint_kind(const char *type);

#endif
