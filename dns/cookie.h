/* cookie.h: DNS cookies (RFC 7873) with interoperable server cookies (RFC
 * 9018): Version 1, 3 reserved bytes, a 4-byte timestamp and an 8-byte
 * SipHash-2-4 (OpenSSL's) of client cookie | version | reserved | timestamp
 * | client address under a 16-byte secret. The secrets (current and
 * previous) are made and rotated on the control loop and read by the
 * answering threads without a lock (a sequence counter); each thread hashes
 * with its own EVP_MAC_CTX, made at start: nothing is allocated per query,
 * and a query without a COOKIE option never comes here. Private to dns/,
 * but for the fleet (fleet/cookies.c), which installs the secrets it
 * shares through etcd with dns_cookie_secrets_set. */
#ifndef GTM_DNS_COOKIE_H
#define GTM_DNS_COOKIE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/query.h"

#define DNS_COOKIE_SECRET_LEN 16
#define DNS_COOKIE_SERVER_LEN 16 /* the server cookie gtmd makes (RFC 9018) */
#define DNS_RCODE_BADCOOKIE   23 /* RFC 7873 8 */

/* What the server does with cookies (--cookies). */
enum dns_cookie_mode {
    DNS_COOKIE_OFF,     /* the option is ignored, as by a server without cookies */
    DNS_COOKIE_ON,      /* a server cookie in every answer to a client cookie */
    DNS_COOKIE_REQUIRE, /* and BADCOOKIE over UDP when the server cookie is missing or bad */
};

/* What a request's COOKIE option held (RFC 7873 5.2.3 to 5.2.5). */
enum dns_cookie_seen {
    DNS_COOKIE_CLIENT_ONLY, /* a client cookie alone */
    DNS_COOKIE_VALID,       /* and a server cookie of ours, recent, under a known secret */
    DNS_COOKIE_INVALID,     /* and a server cookie that is not (stale, forged, another server's) */
    DNS_COOKIE_SEEN
};

/* The secrets, shared: written by the control loop only, read by every
 * answering thread. seq is odd while they are being written. */
struct dns_cookie_secrets {
    _Atomic uint64_t seq;
    _Atomic uint64_t word[4]; /* the current secret, then the previous one */
    _Atomic uint64_t has_prev;
};

/* One answering thread's: its MAC context and its copy of the secrets as of
 * shared->seq == seq; counts by enum dns_cookie_seen (read by the loop). */
struct dns_cookie {
    void *mac; /* EVP_MAC_CTX (SipHash, 8-byte output); NULL: cookies are off */
    const struct dns_cookie_secrets *shared;
    uint64_t seq;
    uint8_t cur[DNS_COOKIE_SECRET_LEN], prev[DNS_COOKIE_SECRET_LEN];
    bool has_prev;
    uint8_t mode; /* enum dns_cookie_mode */
    _Atomic uint64_t seen[DNS_COOKIE_SEEN];
};

/* dns_cookie_secrets_set: publishes cur as the current secret and prev (NULL:
 * none) as the previous one. dns_cookie_secrets_rotate: next becomes the
 * current one, the current one the previous. Control loop only. */
void dns_cookie_secrets_set(struct dns_cookie_secrets *s, const uint8_t *cur, const uint8_t *prev);
void dns_cookie_secrets_rotate(struct dns_cookie_secrets *s, const uint8_t *next);

/* dns_cookie_init: a thread's state over shared, in mode; makes its MAC
 * context (none when mode is DNS_COOKIE_OFF). Returns 0, or -1 when OpenSSL
 * has no SipHash (the state is then off). dns_cookie_free releases it. */
int dns_cookie_init(struct dns_cookie *c, const struct dns_cookie_secrets *shared,
                    enum dns_cookie_mode mode);
void dns_cookie_free(struct dns_cookie *c);

/* dns_cookie_make: the server cookie (RFC 9018 4) for client cookie cc from
 * the client address ip (4 or 16 bytes; 0 for none) at time now, under
 * secret: into sc, DNS_COOKIE_SERVER_LEN bytes. Returns false when the MAC
 * fails (never with a context dns_cookie_init made). */
bool dns_cookie_make(struct dns_cookie *c, const uint8_t *secret, const uint8_t *cc, uint32_t now,
                     const uint8_t *ip, size_t iplen, uint8_t *sc);

/* dns_cookie_check: whether the server cookie sc (sclen bytes) was made by
 * dns_cookie_make for cc and ip under the current or previous secret less
 * than an hour before now, or at most 5 minutes after it (RFC 9018 4.3).
 * Returns 0: not valid; 1: valid, and fresh enough to be sent back as it
 * is (made under the current secret, in the last half hour); 2: valid, but
 * a new one is due. */
int dns_cookie_check(struct dns_cookie *c, const uint8_t *cc, const uint8_t *sc, size_t sclen,
                     uint32_t now, const uint8_t *ip, size_t iplen);

/* dns_cookie_answer: the cookie step of a query whose COOKIE option parsed
 * (q->cookie_len != 0) from client (NULL: unknown) at time now, with the
 * thread's state c (NULL: cookies are off). Sets q->cookie_valid; leaves in
 * q->cookie the option to answer with (the client cookie and a server
 * cookie: the one received when it is fresh, else a new one), or clears
 * q->cookie_len when cookies are off. Returns DNS_RCODE_BADCOOKIE when the
 * request must get only that (--cookies require, UDP, no valid server
 * cookie), else 0. */
struct sockaddr;
uint16_t dns_cookie_answer(struct dns_cookie *c, struct dns_query *q, const struct sockaddr *client,
                           bool tcp, uint32_t now);

#endif
