/* arm_extra.h: the ARM routes around the profiles that Azure's clients
 * call (reference §2.3): the geographic hierarchy, the subscription's Real
 * User Metrics key, and a profile's (empty) heat map. api/arm.c matches
 * them and checks api-version, names, method and permission as for every
 * ARM route, then calls these. Private to api/ (and its unit tests). Loop
 * thread only. */
#ifndef GTM_API_ARM_EXTRA_H
#define GTM_API_ARM_EXTRA_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "api/arm_doc.h"
#include "api/http.h"

#define ARM_GEO_TYPE      "Microsoft.Network/trafficManagerGeographicHierarchies"
#define ARM_USER_KEY_TYPE "Microsoft.Network/trafficManagerUserMetricsKeys"
#define ARM_HEAT_MAP_TYPE "Microsoft.Network/trafficManagerProfiles/heatMaps"
#define ARM_USER_KEYS_MAX 1024 /* subscriptions with a key */
#define ARM_USER_KEY_LEN  32   /* hexadecimal digits, as Azure's */
#define ARM_HEAT_MAP_DAYS 7    /* the window a heat map covers, ending now */

/* The state of these routes: the hierarchy's reply, built once, and the
 * keys. */
struct arm_extra;

/* arm_extra_new: with dir (--state-dir given), the keys saved there
 * (usermetrics-SUB.key, 0600) are loaded, and every change is saved
 * before it is acknowledged; NULL: keys live in memory only. Files that
 * are not a key are skipped with a warning. Returns new; free with
 * arm_extra_free. */
struct arm_extra *arm_extra_new(const char *dir);

/* arm_extra_free: NULL is a no-op. */
void arm_extra_free(struct arm_extra *x);

/* arm_geo_hierarchy: replies 200 with Azure's
 * trafficManagerGeographicHierarchies/default, built from policy/geo.c's
 * table (once per x; x NULL: built for this reply). */
void arm_geo_hierarchy(struct api_req *r);

/* arm_geo_hierarchy_json: the reply's body. Returns new reference. */
json_t *arm_geo_hierarchy_json(void);

/* arm_user_key: GET (200, or 404 when the subscription has none), PUT (a
 * new key, 201) or DELETE (200 {"boolean":true}, whether there was one or
 * not, as Azure answers) of subscription sub's key (a valid subscription
 * id, any case). The caller checked the method and the permission. */
void arm_user_key(struct api_req *r, const char *sub);

/* arm_user_key_new: a new key: ARM_USER_KEY_LEN lowercase hexadecimal
 * digits from OpenSSL's RAND_bytes, NUL-terminated. Returns 0, or -1 when
 * the generator fails. */
int arm_user_key_new(char out[ARM_USER_KEY_LEN + 1]);

/* arm_geo_point_parse: a heat map corner, "latitude,longitude": two
 * decimal numbers (optional sign, digits, optional fraction and exponent;
 * no spaces, no hex, inf or nan), latitude in [-90, 90] and longitude in
 * [-180, 180]. Returns 0 with *lat and *lon, or -1. */
int arm_geo_point_parse(const char *s, double *lat, double *lon);

/* arm_heat_map: the heat map of profile p (its document doc, ids from v),
 * as Azure's heatMaps/default answers: the window of ARM_HEAT_MAP_DAYS
 * ending at now, every endpoint with its id and a number from 1, no
 * traffic flows (gtmd measures none). Returns new reference. */
json_t *arm_heat_map_json(const struct profile *p, const json_t *doc, const struct arm_view *v,
                          time_t now);

/* arm_heat_map: validates the optional topLeft and botRight query
 * parameters (400 when they are not corners, or topLeft is south of
 * botRight), then replies 200 with arm_heat_map_json at the current time. */
void arm_heat_map(struct api_req *r, const struct profile *p, const json_t *doc,
                  const struct arm_view *v);

#endif
