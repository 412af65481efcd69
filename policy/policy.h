/* policy.h: routing methods. Each takes a profile and what the client looks
 * like, reads the health table, and picks endpoints into a caller-provided
 * result. Pure: no allocation, no lock, no I/O; any worker thread. */
#ifndef GTM_POLICY_POLICY_H
#define GTM_POLICY_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "gtm/geoip.h"
#include "gtm/health.h"
#include "gtm/nettable.h"
#include "gtm/profile.h"

#define POLICY_MAX_PICK 10 /* MultiValue's largest maxReturn */
#define POLICY_NEST_MAX 10 /* nesting levels (Azure's limit) */

/* The client as routing sees it: the ECS subnet if given, else the source. */
struct policy_client {
    uint8_t family; /* 0: unknown, AF_INET, AF_INET6 */
    uint8_t prefix; /* significant bits of addr */
    uint8_t addr[16];
};

struct policy_ctx {
    const struct health_slot *health; /* the snapshot's table */
    uint64_t *rng;                    /* the worker's PRNG state */
    const struct policy_client *client;
    uint16_t qtype;                  /* MultiValue: A from IPv4, AAAA from IPv6 endpoints */
    const struct net_table *latency; /* Performance (--latency-table), or NULL */
    const struct net_table *geo;     /* Geographic (--geo-table), or NULL */
    const struct geoip *geoip;       /* Geographic (--geoip), after geo; or NULL */
    _Atomic uint64_t *stats;         /* the worker's counters (gtm/stats.h), or NULL */
};

enum policy_rc {
    POLICY_OK,       /* pick holds 1..POLICY_MAX_PICK endpoints with an answer */
    POLICY_NXDOMAIN, /* profile disabled, or no enabled endpoint */
    POLICY_NODATA,   /* nothing for this client (Geographic, Subnet) or this type */
};

struct policy_pick {
    const struct endpoint *ep[POLICY_MAX_PICK];
    unsigned n;
    bool best_effort; /* every enabled endpoint was down: all treated as up */
    uint8_t scope;    /* ECS scope prefix the decision depended on */
};

/* policy_choose: runs p's routing method (nested endpoints run their child
 * profile, at most POLICY_NEST_MAX levels). Returns enum policy_rc. */
int policy_choose(const struct profile *p, const struct policy_ctx *c, struct policy_pick *out);

/* endpoint_status: an endpoint's monitor status as Azure reports it; for a
 * nested endpoint, aggregated from its child (reference §1.4). */
enum ep_status endpoint_status(const struct profile *p, const struct endpoint *e,
                               const struct health_slot *health);

/* Profile monitor status (REST ProfileMonitorStatus). */
enum profile_status { PS_CHECKING, PS_ONLINE, PS_DEGRADED, PS_DISABLED, PS_INACTIVE };

/* profile_status: derived from the endpoints as Azure does (reference §1.4). */
enum profile_status profile_status(const struct profile *p, const struct health_slot *health);

/* profile_status_name: "CheckingEndpoints", "Online", "Degraded", "Disabled", "Inactive". */
const char *profile_status_name(enum profile_status s);

/* geo_group: the Azure regional grouping (GEO-EU, GEO-NA...) of an ISO
 * country code, or NULL when unknown. */
const char *geo_group(const char *country);

#endif
