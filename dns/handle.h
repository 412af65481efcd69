/* handle.h: THE pipeline: request bytes -> response bytes. Pure: no I/O,
 * no allocation, no lock. What every transport, unit test and fuzzer calls. */
#ifndef GTM_DNS_HANDLE_H
#define GTM_DNS_HANDLE_H

#include <stddef.h>
#include <stdint.h>

struct gtm_snapshot;

enum dns_proto { DNS_PROTO_UDP, DNS_PROTO_TCP };

struct sockaddr;

/* What a worker sees: the snapshot for one batch of queries, its PRNG, and
 * the source address of the query being answered (NULL: unknown). */
struct dns_view {
    const struct gtm_snapshot *snap;
    uint64_t *rng;
    const struct sockaddr *client;
    _Atomic uint64_t *stats;  /* this worker's row of snap's counters, or NULL */
    _Atomic uint64_t *rcodes; /* this worker's counters by enum q_rcode, or NULL */
};

#define DNS_TCP_MAX 65535

/* dns_handle: answers the request req[0..len) received over proto into
 * resp[0..cap) (cap >= DNS_EDNS_UDP_MAX for UDP, DNS_TCP_MAX for TCP).
 * Returns the response length, or 0 when nothing must be sent. */
size_t dns_handle(const struct dns_view *v, const uint8_t *req, size_t len, enum dns_proto proto,
                  uint8_t *resp, size_t cap);

#endif
