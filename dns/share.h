/* share.h: the TCP connections each client holds in a worker, so that no
 * client takes more than its share of --tcp-clients. A client is what
 * gtm/client.h says: an IPv4 address or an IPv6 /64. Private to dns/; one table per worker, touched
 * by its thread. */
#ifndef GTM_DNS_SHARE_H
#define GTM_DNS_SHARE_H

#include <stdint.h>

#include "gtm/client.h"

/* A table slot: a client and its connections (0: the slot is free). */
struct tcp_client {
    struct client_key key;
    uint32_t conns;
};

/* tcp_shares: open addressing with linear probing over at least twice as
 * many slots as there can be connections, so probes stay short; deletion
 * shifts entries back (no tombstones); the hash is keyed so that clients
 * cannot choose their collisions. No allocation after tcp_shares_init. */
struct tcp_shares {
    struct tcp_client *slots;
    uint32_t mask; /* slots - 1 */
    uint64_t seed;
};

/* tcp_shares_init: a table for at most max_conns connections at once. */
void tcp_shares_init(struct tcp_shares *t, unsigned max_conns, uint64_t seed);
void tcp_shares_free(struct tcp_shares *t);
/* tcp_shares_count: the connections k holds. */
uint32_t tcp_shares_count(const struct tcp_shares *t, const struct client_key *k);
/* tcp_shares_add: k holds one more (at most max_conns in all). */
void tcp_shares_add(struct tcp_shares *t, const struct client_key *k);
/* tcp_shares_del: k holds one fewer (it held one). */
void tcp_shares_del(struct tcp_shares *t, const struct client_key *k);

#endif
