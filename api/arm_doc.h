/* arm_doc.h: the JSON side of the ARM surface (SPEC §3, §7; reference §2),
 * without I/O or daemon state, so it can be fuzzed:
 * - documents brought to one form: ARM shape (properties wrappers), Azure's
 *   spelling of every known key (ARM names are case-insensitive), nulls of
 *   known keys dropped, `resourceGroup` (added by az) dropped, unknown keys
 *   kept as they are;
 * - JSON merge (PATCH), documents prepared for storing (read-only fields
 *   stripped, endpoint types spelt as Azure does), resource ids;
 * - responses rendered from a parsed profile and its document: defaults
 *   filled in, fqdn, live monitor statuses, ids. Private to api/. */
#ifndef GTM_API_ARM_DOC_H
#define GTM_API_ARM_DOC_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "gtm/profile.h"
#include "profiles/profile.h"

struct health_slot;

#define ARM_PROFILE_TYPE "Microsoft.Network/trafficManagerProfiles"
#define ARM_NAME_MAX     PROFILE_OWNER_MAX /* subscription and resource group names kept from ids */

/* arm_doc_profile: a profile document of either shape -> new ARM-shape
 * document (see above). Anything that is not an object is copied as is, for
 * profile_parse to reject. Returns new reference. */
json_t *arm_doc_profile(const json_t *doc);

/* arm_doc_endpoint: the same for one endpoint ({id,name,type,properties}). */
json_t *arm_doc_endpoint(const json_t *doc);

/* arm_doc_load: text parsed and normalised with arm_doc_profile; NULL when
 * it is not JSON. Returns new reference. */
json_t *arm_doc_load(const char *text);

/* arm_doc_merge: RFC 7396 merge of patch into target (both normalised
 * objects): objects merge member by member, a null removes the member,
 * anything else (arrays too) replaces it. */
void arm_doc_merge(json_t *target, const json_t *patch);

/* arm_doc_prepare: a normalised profile document made ready to store:
 * what the API computes removed (dnsConfig.fqdn,
 * monitorConfig.profileMonitorStatus, endpoint ids and
 * endpointMonitorStatus), endpoint types in Azure's spelling. */
void arm_doc_prepare(json_t *doc);

/* arm_doc_prepare_endpoint: the same for one normalised endpoint. */
void arm_doc_prepare_endpoint(json_t *ep);

/* arm_doc_endpoints: the properties.endpoints array of a normalised
 * profile document, created when absent; NULL when the document has a
 * properties or endpoints member of another type. Borrowed reference. */
json_t *arm_doc_endpoints(json_t *doc);

/* arm_doc_find_endpoint: index of the endpoint named name (any case) in
 * arr, or -1. */
long arm_doc_find_endpoint(const json_t *arr, const char *name);

/* arm_endpoint_kind: an endpoint type as a URL segment or a type string
 * ("ExternalEndpoints", "Microsoft.Network/trafficManagerProfiles/
 * externalEndpoints", any case) -> 0 and *out, or -1. */
int arm_endpoint_kind(const char *s, enum endpoint_kind *out);

/* arm_endpoint_type: "Microsoft.Network/trafficManagerProfiles/externalEndpoints"... */
const char *arm_endpoint_type(enum endpoint_kind k);

/* What a response needs besides the profile. */
struct arm_view {
    const char *sub, *rg;             /* for ids */
    const char *domain;               /* --domain, for dnsConfig.fqdn (no trailing dot) */
    const struct health_slot *health; /* the snapshot's health table (NULL: none yet) */
};

/* arm_profile_id: p's ARM id in v's subscription and resource group into
 * out (cut to cap). */
void arm_profile_id(const struct profile *p, const struct arm_view *v, char *out, size_t cap);

/* arm_endpoint_id: the ARM id of endpoint e of the profile whose id is pid
 * (".../externalEndpoints/NAME") into out (cut to cap). */
void arm_endpoint_id(const char *pid, const struct endpoint *e, char *out, size_t cap);

/* arm_render_profile: the profile as Azure returns it, from the parsed
 * profile p and its normalised document doc (the same one p was parsed
 * from: endpoints correspond by index). Returns new reference. */
json_t *arm_render_profile(const struct profile *p, const json_t *doc, const struct arm_view *v);

/* arm_render_endpoint: endpoint i of p as Azure returns it. Returns new reference. */
json_t *arm_render_endpoint(const struct profile *p, const json_t *doc, uint32_t i,
                            const struct arm_view *v);

#endif
