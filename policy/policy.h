/* policy.h: routing methods. Each takes a profile and what the client looks
 * like, reads the health table, and picks endpoints into a caller-provided
 * result. Pure: no allocation, no lock, no I/O; any worker thread. */
#ifndef GTM_POLICY_POLICY_H
#define GTM_POLICY_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "gtm/health.h"
#include "gtm/profile.h"

#define POLICY_MAX_PICK 10 /* MultiValue's largest maxReturn */

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
    uint16_t qtype; /* MultiValue answers A from IPv4 and AAAA from IPv6 endpoints */
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
 * profile, at most 10 levels). Returns enum policy_rc. */
int policy_choose(const struct profile *p, const struct policy_ctx *c, struct policy_pick *out);

/* endpoint_status: the monitor status of an endpoint as Azure reports it. */
enum ep_status endpoint_status(const struct profile *p, const struct endpoint *e,
                               const struct health_slot *health);

#endif
