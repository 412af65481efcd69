/* client.h: who a client is, for shares of connections: one IPv4 address,
 * or one IPv6 /64 (an IPv4-mapped IPv6 address counts as its IPv4
 * address). Used by the API and by DNS over TCP. Pure. */
#ifndef GTM_GTM_CLIENT_H
#define GTM_GTM_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sockaddr;

struct client_key {
    uint8_t family;  /* AF_INET or AF_INET6; 0 for anything else */
    uint8_t addr[8]; /* the IPv4 address, or the IPv6 /64 */
};

#define CLIENT_KEY_TEXT 48 /* "ffff:ffff:ffff:ffff::/64" and room to spare */

/* client_share: how many of max connections one client may hold: an
 * eighth, at least one. */
static inline unsigned
client_share(unsigned max)
{
    return max / 8 ? max / 8 : 1;
}

/* client_key_of: the key of a peer address. */
void client_key_of(struct client_key *k, const struct sockaddr *sa);

/* client_key_eq: the same client. */
bool client_key_eq(const struct client_key *a, const struct client_key *b);

/* client_key_text: "192.0.2.1" or "2001:db8:1:2::/64", in buf. */
const char *client_key_text(const struct client_key *k, char *buf, size_t len);

/* sockaddr_make: the socket address of family (AF_INET: addr is 4
 * bytes; else AF_INET6, 16 bytes) and port, in *ss; returns its length. */
struct sockaddr_storage;
unsigned sockaddr_make(int family, const uint8_t *addr, uint16_t port, struct sockaddr_storage *ss);

#endif
