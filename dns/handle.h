/* handle.h: THE pipeline: request bytes -> response bytes. Pure: no I/O,
 * no allocation, no lock. What every transport, unit test and fuzzer calls. */
#ifndef GTM_DNS_HANDLE_H
#define GTM_DNS_HANDLE_H

#include <stddef.h>
#include <stdint.h>

#include "dns/plan.h"
#include "dns/query.h"
#include "gtm/policy.h"

struct gtm_snapshot;

enum dns_proto { DNS_PROTO_UDP, DNS_PROTO_TCP };

struct sockaddr;
struct xfr_conf;
struct xfr_stream;
struct dns_cookie;

/* What an answering thread sees while it answers a batch of queries: the
 * snapshot, and the routing context drawn from it once per batch (health
 * table, tables, its PRNG and counters); the source address of the query
 * being answered is set per query (NULL: unknown). Set up by dns_view_init. */
struct dns_view {
    const struct gtm_snapshot *snap;
    const struct sockaddr *client;
    _Atomic uint64_t *rcodes;  /* this thread's counters by enum q_rcode, or NULL */
    struct dns_cookie *cookie; /* this thread's cookie state (dns/cookie.h), NULL: cookies off */
    struct policy_ctx pc;      /* client and qtype are filled in per query */
    struct policy_client routing_client;
    uint64_t seed; /* the PRNG when the thread has none (tests) */
    /* NULL, or where to write down why (the API's resolve): set after
     * dns_view_init, costs nothing when NULL. */
    struct dns_trace *trace;
    /* Zone transfers (dns/xfr.c): the configuration (NULL: AXFR and IXFR
     * are REFUSED), and where a transfer of several messages goes (TCP
     * only; NULL: none can be made). Set by the transport. */
    const struct xfr_conf *xfr;
    struct xfr_stream *stream;
    /* Room for the query being answered and its lookup. */
    struct dns_query q;
    struct plan r;
};

#define DNS_TCP_MAX 65535

/* dns_view_init: a view of snap for a batch of queries, with the thread's
 * PRNG (NULL: a fixed seed), its row of snap's counters and its rcode
 * counters (each may be NULL). Cookies are off (cookie NULL) until the
 * thread sets its own. */
void dns_view_init(struct dns_view *v, const struct gtm_snapshot *snap, uint64_t *rng,
                   _Atomic uint64_t *stats, _Atomic uint64_t *rcodes);

/* dns_handle: answers the request req[0..len) received over proto into
 * resp[0..cap) (cap >= DNS_EDNS_UDP_MAX for UDP, DNS_TCP_MAX for TCP).
 * Returns the response length, or 0 when nothing must be sent. With
 * v->trace, also fills it in: whether the name was looked up, every traffic
 * manager name on the way with why its profile chose as it did, and the
 * answer's RRsets (the API's resolve renders that). */
size_t dns_handle(struct dns_view *v, const uint8_t *req, size_t len, enum dns_proto proto,
                  uint8_t *resp, size_t cap);

#endif
