/* fields.c: the profile field table (see fields.h). Ranges, defaults and
 * Azure's limits are written here and nowhere else. */
#include "config.h"
#include "profiles/fields.h"

#include <stdio.h>

#define INT_MAX32 2147483647LL

/* Integer rows: gtmd's range, default, Azure's range. */
#define INT(p, k, lo, hi, d, alo, ahi)                                                             \
    {                                                                                              \
        .parent = (p), .key = (k), .type = PFT_INT, .flags = PFF_READ, .min = (lo), .max = (hi),   \
        .def = (d), .az_min = (alo), .az_max = (ahi)                                               \
    }
#define ROW(p, k, t, f)                                                                            \
    {                                                                                              \
        .parent = (p), .key = (k), .type = (t), .flags = (f)                                       \
    }
#define ROWD(p, k, t, f, d)                                                                        \
    {                                                                                              \
        .parent = (p), .key = (k), .type = (t), .flags = (f), .sdef = (d)                          \
    }

static const long long azure_intervals[] = {10, 30};

const struct profile_field profile_fields[PF_COUNT] = {
    [PF_ROOT] = ROW(PF_ROOT, "", PFT_OBJECT, 0),
    [PF_ID] = ROW(PF_ROOT, "id", PFT_STRING, PFF_COMPUTED),
    [PF_NAME] = ROW(PF_ROOT, "name", PFT_STRING, PFF_READ),
    [PF_TYPE] = ROW(PF_ROOT, "type", PFT_STRING, PFF_READ),
    [PF_LOCATION] = ROWD(PF_ROOT, "location", PFT_STRING, 0, "global"),
    [PF_TAGS] = ROW(PF_ROOT, "tags", PFT_ANY, 0),
    [PF_ETAG] = ROW(PF_ROOT, "etag", PFT_ANY, 0),
    [PF_PROPS] = ROW(PF_ROOT, "properties", PFT_OBJECT, 0),
    [PF_RESOURCE_GROUP] = ROW(PF_ROOT, "resourceGroup", PFT_ANY, PFF_DROP),

    [PF_PROFILE_STATUS] = ROWD(PF_PROPS, "profileStatus", PFT_ENUM, PFF_READ, "Enabled"),
    [PF_METHOD] = ROW(PF_PROPS, "trafficRoutingMethod", PFT_ENUM, PFF_READ),
    [PF_DNS] = ROW(PF_PROPS, "dnsConfig", PFT_OBJECT, 0),
    [PF_DNS_RELATIVE_NAME] = ROW(PF_DNS, "relativeName", PFT_STRING, PFF_READ),
    [PF_DNS_FQDN] = ROW(PF_DNS, "fqdn", PFT_STRING, PFF_COMPUTED),
    [PF_DNS_TTL] = INT(PF_DNS, "ttl", 0, INT_MAX32, 300, 0, INT_MAX32),
    [PF_MON] = ROW(PF_PROPS, "monitorConfig", PFT_OBJECT, 0),
    [PF_MON_STATUS] = ROW(PF_MON, "profileMonitorStatus", PFT_ENUM, PFF_COMPUTED),
    [PF_MON_PROTOCOL] = ROWD(PF_MON, "protocol", PFT_ENUM, PFF_READ, "HTTP"),
    /* the default port is the protocol's: 80 for HTTP, 443 for HTTPS */
    [PF_MON_PORT] = INT(PF_MON, "port", 1, 65535, 80, 1, 65535),
    [PF_MON_PATH] = ROWD(PF_MON, "path", PFT_STRING, PFF_READ, "/"),
    [PF_MON_INTERVAL] = {.parent = PF_MON,
                         .key = "intervalInSeconds",
                         .type = PFT_INT,
                         .flags = PFF_READ,
                         .min = 1,
                         .max = 3600,
                         .def = 30,
                         .az_only = azure_intervals,
                         .az_count = 2},
    /* the default and Azure's upper bound follow the interval (parse.c) */
    [PF_MON_TIMEOUT] = INT(PF_MON, "timeoutInSeconds", 1, 3600, 10, 5, 10),
    /* absent: the third failure in a row makes an endpoint Degraded */
    [PF_MON_TOLERATED] = INT(PF_MON, "toleratedNumberOfFailures", 0, 9, 3, 0, 9),
    [PF_MON_HEADERS] = ROW(PF_MON, "customHeaders", PFT_LIST, PFF_READ),
    [PF_MON_HEADER_NAME] = ROW(PF_MON_HEADERS, "name", PFT_STRING, PFF_READ),
    [PF_MON_HEADER_VALUE] = ROW(PF_MON_HEADERS, "value", PFT_STRING, PFF_READ),
    [PF_MON_RANGES] = ROW(PF_MON, "expectedStatusCodeRanges", PFT_LIST, PFF_READ),
    [PF_MON_RANGE_MIN] = INT(PF_MON_RANGES, "min", 100, 599, 200, 100, 599),
    [PF_MON_RANGE_MAX] = INT(PF_MON_RANGES, "max", 100, 599, 200, 100, 599),
    [PF_ENDPOINTS] = ROW(PF_PROPS, "endpoints", PFT_ENDPOINTS, PFF_READ),
    [PF_TRAFFIC_VIEW] = ROWD(PF_PROPS, "trafficViewEnrollmentStatus", PFT_ANY, 0, "Disabled"),
    [PF_ALLOWED_RECORD_TYPES] = ROW(PF_PROPS, "allowedEndpointRecordTypes", PFT_ANY, 0),
    [PF_MAX_RETURN] = INT(PF_PROPS, "maxReturn", 1, 10, 2, 1, 10),
    [PF_RECORD_TYPE] = ROW(PF_PROPS, "recordType", PFT_ANY, 0),

    [PF_EP] = ROW(PF_EP, "", PFT_OBJECT, 0),
    [PF_EP_ID] = ROW(PF_EP, "id", PFT_STRING, PFF_COMPUTED),
    [PF_EP_NAME] = ROW(PF_EP, "name", PFT_STRING, PFF_READ),
    [PF_EP_TYPE] = ROW(PF_EP, "type", PFT_ENUM, PFF_READ),
    [PF_EP_PROPS] = ROW(PF_EP, "properties", PFT_OBJECT, 0),
    [PF_EP_RESOURCE_GROUP] = ROW(PF_EP, "resourceGroup", PFT_ANY, PFF_DROP),
    [PF_EP_STATUS] = ROWD(PF_EP_PROPS, "endpointStatus", PFT_ENUM, PFF_READ, "Enabled"),
    [PF_EP_MONITOR_STATUS] = ROW(PF_EP_PROPS, "endpointMonitorStatus", PFT_ENUM, PFF_COMPUTED),
    [PF_EP_RESOURCE_ID] = ROW(PF_EP_PROPS, "targetResourceId", PFT_STRING, PFF_READ),
    [PF_EP_TARGET] = ROW(PF_EP_PROPS, "target", PFT_STRING, PFF_READ),
    [PF_EP_WEIGHT] = INT(PF_EP_PROPS, "weight", 1, 1000, 1, 1, 1000),
    /* the default priority is the endpoint's place in the list */
    [PF_EP_PRIORITY] = INT(PF_EP_PROPS, "priority", 1, 1000, 1, 1, 1000),
    [PF_EP_LOCATION] = ROW(PF_EP_PROPS, "endpointLocation", PFT_STRING, PFF_READ),
    [PF_EP_ALWAYS_SERVE] = ROWD(PF_EP_PROPS, "alwaysServe", PFT_ENUM, PFF_READ, "Disabled"),
    [PF_EP_MIN_CHILD] = INT(PF_EP_PROPS, "minChildEndpoints", 1, INT_MAX32, 1, 1, INT_MAX32),
    [PF_EP_MIN_CHILD_V4] = INT(PF_EP_PROPS, "minChildEndpointsIPv4", 0, INT_MAX32, 0, 0, INT_MAX32),
    [PF_EP_MIN_CHILD_V6] = INT(PF_EP_PROPS, "minChildEndpointsIPv6", 0, INT_MAX32, 0, 0, INT_MAX32),
    [PF_EP_GEO] = ROW(PF_EP_PROPS, "geoMapping", PFT_ANY, PFF_READ),
    [PF_EP_SUBNETS] = ROW(PF_EP_PROPS, "subnets", PFT_LIST, PFF_READ),
    [PF_EP_SUBNET_FIRST] = ROW(PF_EP_SUBNETS, "first", PFT_STRING, PFF_READ),
    [PF_EP_SUBNET_LAST] = ROW(PF_EP_SUBNETS, "last", PFT_STRING, PFF_READ),
    [PF_EP_SUBNET_SCOPE] = ROW(PF_EP_SUBNETS, "scope", PFT_ANY, PFF_READ),
    [PF_EP_HEADERS] = ROW(PF_EP_PROPS, "customHeaders", PFT_LIST, PFF_READ),
    [PF_EP_HEADER_NAME] = ROW(PF_EP_HEADERS, "name", PFT_STRING, PFF_READ),
    [PF_EP_HEADER_VALUE] = ROW(PF_EP_HEADERS, "value", PFT_STRING, PFF_READ),
};

bool
pf_azure_accepts(enum pf_id id, long long v)
{
    const struct profile_field *f = pf_row(id);
    if (f->az_count) {
        for (unsigned i = 0; i < f->az_count; i++)
            if (f->az_only[i] == v)
                return true;
        return false;
    }
    return v >= f->az_min && v <= f->az_max;
}

size_t
pf_doc_name(enum pf_id id, char *out, size_t cap)
{
    const struct profile_field *f = pf_row(id);
    const struct profile_field *up = pf_row(f->parent);
    if (!(f->flags & PFF_READ) || up->type == PFT_LIST || !cap)
        return 0;
    int n = f->parent == PF_DNS || f->parent == PF_MON
                ? snprintf(out, cap, "%s.%s", up->key, f->key)
                : snprintf(out, cap, "%s", f->key);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}
