/* share.h: the TCP connections each client holds in a worker, so that no
 * client takes more than its share of --tcp-clients. A client is an IPv4
 * address (an IPv4-mapped IPv6 address counts as its IPv4 address) or an
 * IPv6 /64. Private to dns/; one table per worker, touched by its thread. */
#ifndef GTM_DNS_SHARE_H
#define GTM_DNS_SHARE_H

#include <stdint.h>
#include <sys/socket.h>

/* tcp_client: a client and, in a table slot, its connections (0: free). */
struct tcp_client {
    uint64_t prefix; /* the IPv4 address, or the first 64 bits of the IPv6 one */
    uint32_t v6;
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

/* tcp_client_of: the client of a peer address (conns 0). */
void tcp_client_of(struct tcp_client *k, const struct sockaddr_storage *peer);
/* tcp_shares_init: a table for at most max_conns connections at once. */
void tcp_shares_init(struct tcp_shares *t, unsigned max_conns, uint64_t seed);
void tcp_shares_free(struct tcp_shares *t);
/* tcp_shares_count: the connections k holds. */
uint32_t tcp_shares_count(const struct tcp_shares *t, const struct tcp_client *k);
/* tcp_shares_add: k holds one more (at most max_conns in all). */
void tcp_shares_add(struct tcp_shares *t, const struct tcp_client *k);
/* tcp_shares_del: k holds one fewer (it held one). */
void tcp_shares_del(struct tcp_shares *t, const struct tcp_client *k);

#endif
