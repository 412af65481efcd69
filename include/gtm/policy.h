/* policy.h: the contract of routing (STYLE 4.2): what a caller gives a
 * method (the client, the health slots, the tables: struct policy_ctx),
 * what it gets back (struct policy_pick), the optional trace of why, and
 * the ops every method of the registry provides. Types only: the
 * registry and the dispatch are policy/policy.h. */
#ifndef GTM_GTM_POLICY_H
#define GTM_GTM_POLICY_H

#include <stdbool.h>
#include <stddef.h>
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

/* Why a profile answered as it did, written while choosing (only when asked
 * for: the API's resolve), one per nesting level. */
enum policy_outcome {
    POLICY_RAN,              /* the method chose (rc, chosen) */
    POLICY_PROFILE_DISABLED, /* profileStatus Disabled: NXDOMAIN */
    POLICY_ALL_DISABLED,     /* every endpoint Disabled: NXDOMAIN */
};

/* Which method-specific parts of a trace are filled in. */
#define POLICY_TRACE_LATENCY 1u /* Performance: the latency table rows */
#define POLICY_TRACE_GEO     2u /* Geographic: the code and what was tried */
#define POLICY_TRACE_SUBNET  4u /* Subnet: the range that holds the client */

struct policy_trace {
    const struct profile *p; /* NULL: this level was not reached */
    enum policy_outcome outcome;
    int rc;                        /* enum policy_rc of the method */
    const struct endpoint *chosen; /* with POLICY_OK, unless the method filled the pick */
    bool best_effort;              /* of the candidate set below */
    uint16_t ncand;
    uint16_t cand[PROFILE_MAX_ENDPOINTS]; /* the candidates (policy_candidates) */
    unsigned parts;                       /* POLICY_TRACE_* */
    struct {
        bool table;                /* a latency table is loaded */
        const struct net_row *row; /* the client's rows (NULL: none covers it) */
        uint32_t nrows;
        int32_t matched; /* the row whose region answered, or -1 */
    } latency;
    struct {
        bool table, database;      /* a geo table, a GeoIP database loaded */
        const struct net_row *row; /* the geo table's row for the client, or NULL */
        const char *code;          /* the client's code (row or database), or NULL */
        const char *tried[4];      /* state, country, group, WORLD: as far as tried */
        unsigned ntried;
        const char *matched;         /* the code an endpoint maps, or NULL */
        const struct endpoint *ep;   /* that endpoint (whatever its status) */
        char country[8];             /* room for the tried country */
        char dbcode[GEOIP_CODE_MAX]; /* room for the database's code */
    } geo;
    struct {
        const struct endpoint *hit;       /* the first enabled endpoint whose range holds the
                                           * client, or NULL */
        const struct subnet_range *range; /* that range */
        bool hit_candidate;               /* hit is a candidate */
        const struct endpoint *fallback;  /* the candidate without ranges, or NULL */
    } subnet;
};

/* Load-time checks of one endpoint report through this: the problem is
 * field (under the endpoint's properties when in_props) of the endpoint. */
struct policy_report {
    void (*fail)(void *arg, bool in_props, const char *field, const char *msg);
    void *arg;
};

/* Profile-wide checks a method needs from the profile loader. */
#define POLICY_CHECK_PRIORITIES 1u /* priorities distinct (Priority) */
#define POLICY_CHECK_GEO        2u /* each region code mapped once (Geographic) */
#define POLICY_CHECK_SUBNETS    4u /* ranges valid and apart (Subnet) */

/* A method's verdict: enum policy_rc, and with POLICY_OK the endpoint it
 * chose (which may be nested: the caller runs the child), or NULL when it
 * filled the pick itself. */
struct policy_choice {
    int rc;
    const struct endpoint *e;
};

/* A routing method. One file of policy/ per method defines one, and
 * policy.c lists them: adding a method is a file and a line there. */
struct policy_ops {
    const char *name;   /* trafficRoutingMethod: "Priority", ... */
    bool nested_ok;     /* may have nested endpoints */
    bool mixed_targets; /* endpoints may mix kinds of target */
    bool max_return;    /* has maxReturn (MultiValue) */
    bool probe_rtt;     /* routes by probe time: explain shows it */
    unsigned checks;    /* POLICY_CHECK_* */
    /* check: what the method requires of endpoint e (load time); NULL: nothing. */
    void (*check)(const struct endpoint *e, const struct policy_report *r);
    /* choose: at nesting depth; see policy/methods.h. */
    struct policy_choice (*choose)(const struct profile *p, const struct policy_ctx *c,
                                   struct policy_pick *out, unsigned depth, struct policy_trace *t);
    /* reason: why, in a sentence, from a trace the method filled. */
    void (*reason)(const struct policy_trace *t, char *why, size_t cap);
};

/* Profile monitor status (REST ProfileMonitorStatus). */
enum profile_status { PS_CHECKING, PS_ONLINE, PS_DEGRADED, PS_DISABLED, PS_INACTIVE };

#endif
