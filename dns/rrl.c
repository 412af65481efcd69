/* rrl.c: response rate limiting: the table of one UDP thread, the token
 * buckets, the classes of a response and its imputed name. See rrl.h, and
 * --rrl in gtmd(8) for the choices (per-thread tables, rate divided among
 * the workers, 2-way sets, slip). */
#include "config.h"
#include "dns/rrl.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <ldns/ldns.h>

#include "dns/query.h"
#include "gtm/dname.h"
#include "gtm/log.h"
#include "gtm/snapshot.h"

#define MILLI 1000 /* tokens are counted in thousandths of a response */

int
dns_rrl_init(struct dns_rrl *r, uint32_t rate, uint32_t slip, uint32_t entries,
             const uint8_t key[16])
{
    uint32_t n = 2;
    while (n < entries && n < (1u << 30))
        n <<= 1;
    memset(r, 0, sizeof *r);
    /* calloc: untouched buckets cost no memory (the kernel's zero pages). */
    r->t = calloc(n, sizeof *r->t);
    if (!r->t)
        return -1;
    r->mask = n - 1;
    if (rate < 1)
        rate = 1;
    if (rate > 1000000)
        rate = 1000000;
    r->rate = (int32_t)rate;
    r->cap = (int32_t)rate * MILLI;
    r->slip = slip;
    memcpy(r->key, key, sizeof r->key);
    return 0;
}

void
dns_rrl_free(struct dns_rrl *r)
{
    free(r->t);
    r->t = NULL;
}

uint32_t
dns_rrl_now(void)
{
    struct timespec ts;
#ifdef CLOCK_MONOTONIC_COARSE
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
#else
    clock_gettime(CLOCK_MONOTONIC, &ts);
#endif
    return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

/* The multiply-fold of wyhash: 64x64 -> 128 bits, halves xored. */
static inline uint64_t
mix(uint64_t a, uint64_t b)
{
#ifdef __SIZEOF_INT128__
    __uint128_t m = (__uint128_t)a * b;
    return (uint64_t)m ^ (uint64_t)(m >> 64);
#else
    uint64_t m = a * (b | 1);
    return m ^ (m >> 29) ^ (b * 0x9E3779B97F4A7C15ull);
#endif
}

/* The client's network: the /24 of an IPv4 address, the /56 of an IPv6
 * one, tagged by family; false for anything else. */
static inline bool
network_of(const struct sockaddr *sa, uint64_t *net)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s = (const struct sockaddr_in *)(const void *)sa;
        *net = (uint64_t)4 << 60 | (ntohl(s->sin_addr.s_addr) & 0xFFFFFF00u);
        return true;
    }
    if (sa->sa_family == AF_INET6) {
        const uint8_t *a = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
        uint64_t v = 0;
        for (int i = 0; i < 7; i++) /* 56 bits */
            v = v << 8 | a[i];
        *net = (uint64_t)6 << 60 | v;
        return true;
    }
    return false;
}

static const char *const class_names[DNS_RRL_CLASSES] = {"positive", "negative", "error"};

/* A network starts being limited: one line, at most one a second. */
__attribute__((noinline, cold)) static void
log_limited(const struct dns_rrl *r, const struct sockaddr *sa, enum dns_rrl_class cls)
{
    static long last;
    char text[INET6_ADDRSTRLEN] = "?";
    unsigned bits = 24;
    if (sa->sa_family == AF_INET) {
        struct in_addr a = ((const struct sockaddr_in *)(const void *)sa)->sin_addr;
        a.s_addr &= htonl(0xFFFFFF00u);
        inet_ntop(AF_INET, &a, text, sizeof text);
    } else {
        struct in6_addr a = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
        memset(a.s6_addr + 7, 0, 9);
        inet_ntop(AF_INET6, &a, text, sizeof text);
        bits = 56;
    }
    log_rl(LOG_LEVEL_INFO, &last,
           "dns: rrl: limiting %s/%u (%s responses over %d/s on this thread; more are "
           "not logged for a second)",
           text, bits, class_names[cls], r->rate);
}

__attribute__((always_inline)) static inline enum dns_rrl_action
account(struct dns_rrl *r, const struct sockaddr *sa, enum dns_rrl_class cls, uint32_t name,
        uint32_t now_ms)
{
    uint64_t net;
    if (!sa || !network_of(sa, &net))
        return DNS_RRL_PASS;
    /* One keyed multiply-fold of the two words of the key. */
    uint64_t h = mix(net ^ r->key[0], ((uint64_t)name << 8 | (unsigned)cls) ^ r->key[1]);
    uint32_t tag = (uint32_t)(h >> 32) | 1;
    struct dns_rrl_entry *set = &r->t[(uint32_t)h & r->mask & ~1u];
    struct dns_rrl_entry *e = set[0].tag == tag ? &set[0] : set[1].tag == tag ? &set[1] : NULL;
    if (!e) {
        /* A new key takes an empty way, else the one refilled longest ago. */
        e = !set[0].tag                                    ? &set[0]
            : !set[1].tag                                  ? &set[1]
            : now_ms - set[0].when >= now_ms - set[1].when ? &set[0]
                                                           : &set[1];
        *e = (struct dns_rrl_entry){tag, now_ms, r->cap, 0, 0, (uint8_t)cls};
    } else {
        /* Refill: rate thousandths per millisecond, up to one second's
         * worth; a full bucket (a second under the rate) ends a limit. */
        uint32_t dt = now_ms - e->when;
        if (dt) {
            int64_t t = (int64_t)e->tokens + (int64_t)(dt < 1000 ? dt : 1000) * r->rate;
            e->tokens = t > r->cap ? r->cap : (int32_t)t;
            e->when = now_ms;
            if (e->tokens == r->cap)
                e->limited = 0, e->drops = 0;
        }
    }
    if (e->tokens >= MILLI) {
        e->tokens -= MILLI;
        return DNS_RRL_PASS;
    }
    if (!e->limited) {
        e->limited = 1;
        stats_bump(r->count, DNS_RRL_LIMITED);
        log_limited(r, sa, cls);
    }
    e->drops++;
    enum dns_rrl_count c = DNS_RRL_DROPPED;
    enum dns_rrl_action act = DNS_RRL_DROP;
    if (r->slip && e->drops % r->slip == 0) {
        c = DNS_RRL_SLIPPED;
        act = DNS_RRL_SLIP;
    }
    stats_bump(r->count, c);
    return act;
}

/* The end of the name at resp[pos] (a pointer ends it), or 0. */
static size_t
skip_name(const uint8_t *resp, size_t len, size_t pos)
{
    while (pos < len) {
        uint8_t b = resp[pos];
        if ((b & 0xC0) == 0xC0)
            return pos + 2 <= len ? pos + 2 : 0;
        if (b == 0)
            return pos + 1;
        pos += (size_t)b + 1;
    }
    return 0;
}

__attribute__((always_inline)) static inline enum dns_rrl_class
classify(const struct dns_query *q, const uint8_t *resp, size_t len, uint32_t positive,
         uint32_t *name)
{
    *name = 0;
    if (len < DNS_HEADER_LEN)
        return DNS_RRL_ERROR;
    unsigned rcode = resp[3] & 0x0F;
    unsigned an = (unsigned)resp[6] << 8 | resp[7];
    unsigned ns = (unsigned)resp[8] << 8 | resp[9];
    if (q->rcode || (rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXDOMAIN))
        return DNS_RRL_ERROR;
    /* (a positive answer too big for the client is sent empty with TC) */
    if (rcode == LDNS_RCODE_NOERROR && (an || (resp[2] & 0x02))) {
        *name = positive;
        return DNS_RRL_POSITIVE;
    }
    /* Negative: the owner of the first authority record (the SOA at the
     * apex, or the NS of a cut), after the answers (a CNAME chain's). */
    size_t pos = DNS_HEADER_LEN + (q->has_question ? q->question_len : 0);
    for (unsigned i = 0; i < an && pos; i++) {
        pos = skip_name(resp, len, pos);
        if (!pos || pos + 10 > len)
            return DNS_RRL_NEGATIVE;
        pos += 10 + ((size_t)resp[pos + 8] << 8 | resp[pos + 9]);
    }
    if (!ns || !pos || pos >= len)
        return DNS_RRL_NEGATIVE;
    size_t end = skip_name(resp, len, pos);
    if (!end)
        return DNS_RRL_NEGATIVE;
    if (end == pos + 2 && (resp[pos] & 0xC0) == 0xC0) {
        /* A pointer into the question: that suffix of it (the usual case). */
        size_t off = ((size_t)(resp[pos] & 0x3F) << 8 | resp[pos + 1]) - DNS_HEADER_LEN;
        if (off < q->qname_len) {
            *name = dname_hash(q->lname + off, q->qname_len - off);
            return DNS_RRL_NEGATIVE;
        }
    }
    *name = dname_hash(resp + pos, end - pos);
    return DNS_RRL_NEGATIVE;
}

enum dns_rrl_action
dns_rrl_account(struct dns_rrl *r, const struct sockaddr *sa, enum dns_rrl_class cls, uint32_t name,
                uint32_t now_ms)
{
    return account(r, sa, cls, name, now_ms);
}

enum dns_rrl_class
dns_rrl_classify(const struct dns_query *q, const uint8_t *resp, size_t len, uint32_t positive,
                 uint32_t *name)
{
    return classify(q, resp, len, positive, name);
}

enum dns_rrl_action
dns_rrl_answer(struct dns_rrl *r, const struct dns_query *q, const struct sockaddr *sa,
               const uint8_t *resp, size_t len, uint32_t positive, uint32_t now_ms)
{
    if (q->cookie_valid)
        return DNS_RRL_PASS;
    uint32_t name;
    enum dns_rrl_class cls = classify(q, resp, len, positive, &name);
    return account(r, sa, cls, name, now_ms);
}
