/* profile.h: an Azure Traffic Manager profile, validated, as the answering
 * path and the monitor use it. Built by profiles/parse.c from the JSON of a
 * Microsoft.Network/trafficManagerProfiles resource (ARM shape or the
 * flattened `az ... profile show` shape); lives in the snapshot arena and is
 * immutable once published (but for the RoundRobin cursor). */
#ifndef GTM_GTM_PROFILE_H
#define GTM_GTM_PROFILE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "gtm/compiler.h"
#include "gtm/dname.h"

struct alias_answers;
struct arena;
struct config_errors;
struct rrset;
struct zone_node;

enum routing_method {
    ROUTE_PRIORITY,
    ROUTE_WEIGHTED,
    ROUTE_PERFORMANCE,
    ROUTE_GEOGRAPHIC,
    ROUTE_MULTIVALUE,
    ROUTE_SUBNET,
    ROUTE_ROUNDROBIN,
    ROUTE_METHODS /* how many; their names and rules: policy_method() */
};

enum probe_proto { PROBE_HTTP, PROBE_HTTPS, PROBE_TCP };

enum endpoint_kind { EP_AZURE, EP_EXTERNAL, EP_NESTED };

enum target_kind {
    TARGET_NONE, /* nested endpoints: the child profile answers */
    TARGET_IPV4, /* answers A */
    TARGET_IPV6, /* answers AAAA */
    TARGET_NAME, /* answers CNAME */
};

/* What the monitor shows for an endpoint (REST EndpointMonitorStatus). */
enum ep_status {
    EPS_CHECKING, /* CheckingEndpoint: no verdict yet; counts as up */
    EPS_ONLINE,
    EPS_DEGRADED,
    EPS_DISABLED,    /* endpointStatus Disabled */
    EPS_INACTIVE,    /* the profile is Disabled */
    EPS_STOPPED,     /* nested child Disabled or Inactive */
    EPS_UNMONITORED, /* alwaysServe: never probed, always up */
};

#define PROFILE_MAX_HEADERS   8
#define PROFILE_MAX_RANGES    8
#define PROFILE_MAX_ENDPOINTS 200
#define HEALTH_NONE           UINT32_MAX

struct header_kv {
    const char *name, *value;
};

struct status_range {
    uint16_t min, max;
};

struct monitor_config {
    enum probe_proto protocol; /* default HTTP */
    uint16_t port;             /* default 80 (HTTP), 443 (HTTPS); TCP needs one */
    const char *path;          /* default "/"; NULL for TCP */
    uint32_t interval_s;       /* default 30 */
    uint32_t timeout_s;        /* default 10 */
    int tolerated;             /* toleratedNumberOfFailures, or -1 when absent */
    uint8_t nranges, nheaders;
    struct status_range ranges[PROFILE_MAX_RANGES]; /* default one range 200-200 */
    struct header_kv headers[PROFILE_MAX_HEADERS];
};

struct subnet_range {
    uint8_t family; /* AF_INET or AF_INET6 */
    uint8_t first[16], last[16];
};

struct endpoint {
    const char *name;
    enum endpoint_kind kind;
    const char *target; /* as written; NULL for nested endpoints */
    enum target_kind tkind;
    uint8_t addr[16];           /* TARGET_IPV4 (4 bytes) / TARGET_IPV6 */
    const uint8_t *target_wire; /* TARGET_NAME: lowercase wire */
    uint8_t target_wire_len;
    bool enabled;           /* endpointStatus */
    bool always_serve;      /* alwaysServe: Enabled */
    uint16_t priority;      /* 1..1000 (default: position in the list, 1-based) */
    uint16_t weight;        /* 1..1000 (default 1) */
    const char *location;   /* endpointLocation, normalised: lowercase, no spaces; or NULL */
    const char *const *geo; /* geoMapping codes (uppercase); ngeo entries */
    uint16_t ngeo;
    uint16_t nsubnets;
    const struct subnet_range *subnets;
    const char *child; /* nested: the child profile's name (last segment of targetResourceId) */
    uint32_t min_child, min_child_v4, min_child_v6; /* nested minimums (default 1, 0, 0) */
    uint8_t nheaders;
    struct header_kv headers[PROFILE_MAX_HEADERS]; /* endpoint custom headers */
    /* Filled in when the snapshot is built: */
    uint32_t health_idx;       /* slot in the health table, HEALTH_NONE when not probed */
    const struct rrset *rrset; /* the prepared answer: A, AAAA or CNAME with the profile TTL */
    const struct profile *child_profile; /* nested */
    uint32_t stats_slot;                 /* its answers counter (gtm/stats.h) */
};

/* DNSSEC: a descendant's endpoint answer, signed under this profile's name. */
struct nested_sig {
    const struct rrset *leaf;  /* the endpoint's prepared answer (the key; never read) */
    const struct rrset *rrsig; /* its RRSIGs owned by this profile's name */
};

struct profile {
    const char *name;          /* the resource name */
    const char *file;          /* where it was read from, for messages */
    const char *relative_name; /* dnsConfig.relativeName (lowercase) */
    uint32_t ttl;              /* dnsConfig.ttl, default 300 */
    bool enabled;              /* profileStatus */
    enum routing_method method;
    uint32_t max_return; /* MultiValue, default 2 */
    struct monitor_config mon;
    uint32_t nendpoints;
    struct endpoint *endpoints;
    const char *json; /* the document as read (for the API: unknown fields kept) */
    /* Its owner, from the document's ARM id ("/subscriptions/S/resourceGroups/G/..."):
     * both NULL when it has none (a file written by hand), which the API
     * lists in every subscription and resource group. */
    const char *owner_sub, *owner_rg;
    uint32_t stats_slot;          /* first of its TM_OUTCOMES counters (gtm/stats.h) */
    const uint16_t *by_priority;  /* endpoint indexes, lowest priority first (list order on
                                   * ties); filled in when the snapshot is built */
    const struct zone_node *node; /* its name in the --domain zone; filled in likewise */
    /* The ALIASes whose chain ends at its name (struct alias ord), each with
     * its RRsets for every endpoint this profile can pick: filled in
     * likewise, in its own arena (a clone gets its own). */
    const struct alias_answers *const *aliases;
    uint32_t naliases;
    _Atomic uint64_t rr_next; /* RoundRobin cursor: the only field written after publish */
    /* Lifetime: a profile is shared by every snapshot that holds it, so that
     * a change of one profile copies nothing of the others. */
    struct arena *arena;          /* owns it (NULL: it lives in its caller's arena) */
    const struct profile *origin; /* a clone's original: its strings and parts live there */
    _Atomic uint32_t refs;        /* holders: snapshots, and the clones of it */
    bool prepared;                /* by_priority and the endpoint answers are filled in */
    /* DNSSEC (--keys): for a profile with nested endpoints, the signatures
     * of its descendants' answers under its name, sorted by leaf; made by
     * zones/dnssec.c before the profile is published (a clone makes its own). */
    const struct nested_sig *nested_sigs;
    uint32_t nnested_sigs;
};

/* profile_nested_sig: the RRSIGs of a descendant's answer leaf under p's
 * name, or NULL. Any thread. */
static inline const struct rrset *
profile_nested_sig(const struct profile *p, const struct rrset *leaf)
{
    uint32_t lo = 0, hi = p->nnested_sigs;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (p->nested_sigs[mid].leaf == leaf)
            return p->nested_sigs[mid].rrsig;
        if ((uintptr_t)p->nested_sigs[mid].leaf < (uintptr_t)leaf)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* PROFILE_JSON_MAX_DEPTH: how deeply a profile document may nest objects
 * and arrays, unknown members included (Azure's own documents need 5). A
 * deeper document is refused: written back indented, it would grow with
 * the square of its depth. */
#define PROFILE_JSON_MAX_DEPTH 64

/* profile_priority_order: p's endpoint indexes into order[] (room for
 * p->nendpoints), lowest priority value first, the first listed first on a
 * tie: the order Priority walks (tm_prepare_profile keeps it in
 * p->by_priority). */
static inline void
profile_priority_order(const struct profile *p, uint16_t *order)
{
    for (uint32_t k = 0; k < p->nendpoints; k++) {
        uint32_t at = k;
        while (at > 0 && p->endpoints[order[at - 1]].priority > p->endpoints[k].priority) {
            order[at] = order[at - 1];
            at--;
        }
        order[at] = (uint16_t)k;
    }
}

/* ep_status_name: "CheckingEndpoint", "Online", ... (Azure's spelling). */
static inline const char *
ep_status_name(enum ep_status s)
{
    static const char *const names[] = {
        [EPS_CHECKING] = "CheckingEndpoint", [EPS_ONLINE] = "Online",
        [EPS_DEGRADED] = "Degraded",         [EPS_DISABLED] = "Disabled",
        [EPS_INACTIVE] = "Inactive",         [EPS_STOPPED] = "Stopped",
        [EPS_UNMONITORED] = "Unmonitored",
    };
    return (unsigned)s < sizeof names / sizeof *names && names[s] ? names[s] : "Unknown";
}

#endif
