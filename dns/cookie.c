/* cookie.c: server cookies (RFC 7873, RFC 9018): make, check, and the step
 * of a query that carries a COOKIE option. */
#include "config.h"
#include "dns/cookie.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "gtm/snapshot.h"

#define COOKIE_VERSION 1
#define COOKIE_PAST    3600 /* a server cookie is valid this long (RFC 9018 4.3) */
#define COOKIE_FUTURE  300  /* and from this far ahead (another server's clock) */
#define COOKIE_RENEW   1800 /* past this age, a new one is sent (RFC 9018 4.3) */

/* ---- the secrets: one writer (the control loop), a sequence counter ---- */

static void
secrets_write(struct dns_cookie_secrets *s, const uint8_t *cur, const uint8_t *prev)
{
    uint64_t w[4] = {0, 0, 0, 0};
    memcpy(w, cur, DNS_COOKIE_SECRET_LEN);
    if (prev)
        memcpy(w + 2, prev, DNS_COOKIE_SECRET_LEN);
    uint64_t seq = atomic_load_explicit(&s->seq, memory_order_relaxed);
    atomic_store_explicit(&s->seq, seq + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    for (int i = 0; i < 4; i++)
        atomic_store_explicit(&s->word[i], w[i], memory_order_relaxed);
    atomic_store_explicit(&s->has_prev, prev != NULL, memory_order_relaxed);
    atomic_store_explicit(&s->seq, seq + 2, memory_order_release);
}

void
dns_cookie_secrets_set(struct dns_cookie_secrets *s, const uint8_t *cur, const uint8_t *prev)
{
    secrets_write(s, cur, prev);
}

void
dns_cookie_secrets_rotate(struct dns_cookie_secrets *s, const uint8_t *next)
{
    uint64_t cur[2] = {atomic_load_explicit(&s->word[0], memory_order_relaxed),
                       atomic_load_explicit(&s->word[1], memory_order_relaxed)};
    secrets_write(s, next, (const uint8_t *)cur);
}

/* The thread's copy, taken again when the control loop has written since. */
static void
secrets_copy(struct dns_cookie *c, uint64_t seq)
{
    const struct dns_cookie_secrets *s = c->shared;
    uint64_t w[4], has_prev;
    for (;;) {
        while (seq & 1)
            seq = atomic_load_explicit((_Atomic uint64_t *)&s->seq, memory_order_acquire);
        for (int i = 0; i < 4; i++)
            w[i] = atomic_load_explicit((_Atomic uint64_t *)&s->word[i], memory_order_relaxed);
        has_prev = atomic_load_explicit((_Atomic uint64_t *)&s->has_prev, memory_order_relaxed);
        atomic_thread_fence(memory_order_acquire);
        uint64_t again = atomic_load_explicit((_Atomic uint64_t *)&s->seq, memory_order_relaxed);
        if (again == seq)
            break;
        seq = again;
    }
    memcpy(c->cur, w, DNS_COOKIE_SECRET_LEN);
    memcpy(c->prev, w + 2, DNS_COOKIE_SECRET_LEN);
    c->has_prev = has_prev != 0;
    c->seq = seq;
}

static inline void
secrets_fresh(struct dns_cookie *c)
{
    uint64_t seq = atomic_load_explicit((_Atomic uint64_t *)&c->shared->seq, memory_order_acquire);
    if (seq != c->seq)
        secrets_copy(c, seq);
}

/* ---- a thread's MAC ---- */

int
dns_cookie_init(struct dns_cookie *c, const struct dns_cookie_secrets *shared,
                enum dns_cookie_mode mode)
{
    memset(c, 0, sizeof *c);
    c->shared = shared;
    c->seq = 1; /* odd: never a published value, so the first use copies */
    c->mode = (uint8_t)mode;
    if (mode == DNS_COOKIE_OFF)
        return 0;
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "SIPHASH", NULL);
    EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    EVP_MAC_free(mac); /* the context holds its own reference */
    /* SipHash-2-4 (OpenSSL's default rounds) with the 8-byte output. */
    size_t size = 8;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size),
                           OSSL_PARAM_construct_end()};
    if (!ctx || !EVP_MAC_CTX_set_params(ctx, params)) {
        EVP_MAC_CTX_free(ctx);
        c->mode = DNS_COOKIE_OFF;
        return -1;
    }
    c->mac = ctx;
    return 0;
}

void
dns_cookie_free(struct dns_cookie *c)
{
    EVP_MAC_CTX_free(c->mac);
    c->mac = NULL;
}

/* The Hash field (RFC 9018 4.4): SipHash-2-4 under secret of Client Cookie
 * | Version | Reserved | Timestamp (head: the first 8 bytes of the server
 * cookie) | Client-IP. */
static bool
cookie_hash(EVP_MAC_CTX *mac, const uint8_t *secret, const uint8_t *cc, const uint8_t *head,
            const uint8_t *ip, size_t iplen, uint8_t *out)
{
    uint8_t msg[DNS_COOKIE_CLIENT + 8 + 16];
    if (iplen > 16)
        return false;
    memcpy(msg, cc, DNS_COOKIE_CLIENT);
    memcpy(msg + DNS_COOKIE_CLIENT, head, 8);
    if (iplen)
        memcpy(msg + DNS_COOKIE_CLIENT + 8, ip, iplen);
    size_t outlen = 0;
    return EVP_MAC_init(mac, secret, DNS_COOKIE_SECRET_LEN, NULL) &&
           EVP_MAC_update(mac, msg, DNS_COOKIE_CLIENT + 8 + iplen) &&
           EVP_MAC_final(mac, out, &outlen, 8) && outlen == 8;
}

bool
dns_cookie_make(struct dns_cookie *c, const uint8_t *secret, const uint8_t *cc, uint32_t now,
                const uint8_t *ip, size_t iplen, uint8_t *sc)
{
    sc[0] = COOKIE_VERSION;
    sc[1] = sc[2] = sc[3] = 0; /* Reserved */
    sc[4] = (uint8_t)(now >> 24);
    sc[5] = (uint8_t)(now >> 16);
    sc[6] = (uint8_t)(now >> 8);
    sc[7] = (uint8_t)now;
    return c->mac && cookie_hash(c->mac, secret, cc, sc, ip, iplen, sc + 8);
}

static bool
hash_is(struct dns_cookie *c, const uint8_t *secret, const uint8_t *cc, const uint8_t *sc,
        const uint8_t *ip, size_t iplen)
{
    uint8_t h[8];
    return cookie_hash(c->mac, secret, cc, sc, ip, iplen, h) && CRYPTO_memcmp(h, sc + 8, 8) == 0;
}

int
dns_cookie_check(struct dns_cookie *c, const uint8_t *cc, const uint8_t *sc, size_t sclen,
                 uint32_t now, const uint8_t *ip, size_t iplen)
{
    if (!c->mac || sclen != DNS_COOKIE_SERVER_LEN || sc[0] != COOKIE_VERSION)
        return 0;
    /* Serial number arithmetic (RFC 1982): the timestamp wraps in 2106. */
    uint32_t ts = (uint32_t)sc[4] << 24 | (uint32_t)sc[5] << 16 | (uint32_t)sc[6] << 8 | sc[7];
    int32_t age = (int32_t)(now - ts);
    if (age > COOKIE_PAST || age < -COOKIE_FUTURE)
        return 0;
    if (hash_is(c, c->cur, cc, sc, ip, iplen))
        return age > COOKIE_RENEW ? 2 : 1;
    if (c->has_prev && hash_is(c, c->prev, cc, sc, ip, iplen))
        return 2; /* a new one under the current secret (RFC 9018 5) */
    return 0;
}

/* The client's address as RFC 9018 4.4 hashes it: 4 or 16 bytes. */
static size_t
client_ip(const struct sockaddr *sa, const uint8_t **ip)
{
    if (sa && sa->sa_family == AF_INET) {
        *ip = (const uint8_t *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
        return 4;
    }
    if (sa && sa->sa_family == AF_INET6) {
        *ip = (const uint8_t *)&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
        return 16;
    }
    *ip = NULL;
    return 0;
}

uint16_t
dns_cookie_answer(struct dns_cookie *c, struct dns_query *q, const struct sockaddr *client,
                  bool tcp, uint32_t now)
{
    if (!c || !c->mac) {
        q->cookie_len = 0; /* off: as a server without cookies (RFC 7873 5.2.1) */
        return 0;
    }
    secrets_fresh(c);
    const uint8_t *ip;
    size_t iplen = client_ip(client, &ip);
    const uint8_t *cc = q->cookie, *sc = q->cookie + DNS_COOKIE_CLIENT;
    size_t sclen = (size_t)q->cookie_len - DNS_COOKIE_CLIENT;
    enum dns_cookie_seen seen = DNS_COOKIE_CLIENT_ONLY;
    int valid = 0;
    if (sclen) {
        valid = dns_cookie_check(c, cc, sc, sclen, now, ip, iplen);
        seen = valid ? DNS_COOKIE_VALID : DNS_COOKIE_INVALID;
    }
    stats_bump(c->seen, seen);
    q->cookie_valid = valid != 0;
    /* RFC 7873 5.2.5: a valid cookie may be sent back as it came; one due
     * for renewal, or none, gets a new one (5.2.3, RFC 9018 4.3). */
    if (valid != 1) {
        if (!dns_cookie_make(c, c->cur, cc, now, ip, iplen, q->cookie + DNS_COOKIE_CLIENT)) {
            q->cookie_len = 0;
            return 0;
        }
        q->cookie_len = DNS_COOKIE_CLIENT + DNS_COOKIE_SERVER_LEN;
    }
    /* 5.2.3: BADCOOKIE is the server's choice; over TCP the default is an
     * answer. An earlier error (FORMERR, BADVERS) stays what it is. */
    if (!valid && !tcp && c->mode == DNS_COOKIE_REQUIRE && q->rcode == 0)
        return DNS_RCODE_BADCOOKIE;
    return 0;
}
