/* rrl.h: response rate limiting (--rrl), as BIND, NSD and Knot do it:
 * UDP responses per second per client network (/24 IPv4, /56 IPv6),
 * answer class and imputed name, over a token bucket per key. Every UDP
 * thread has its own table, allocated at start: no lock and no allocation
 * on the answer path. Private to dns/ (but for enum dns_rrl_count, which
 * dns/server.h's server_rrl takes); the limiter (dns_rrl_account) is a
 * pure function of its table, its arguments and the time it is given, so
 * the unit tests drive it with a fake clock. */
#ifndef GTM_DNS_RRL_H
#define GTM_DNS_RRL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct sockaddr;
struct dns_query;

/* What a response is, for the limiter: each has its own buckets. */
enum dns_rrl_class {
    DNS_RRL_POSITIVE, /* NOERROR with answers: keyed by the question name */
    DNS_RRL_NEGATIVE, /* NXDOMAIN, NODATA, referral: keyed by the zone (or cut) */
    DNS_RRL_ERROR,    /* FORMERR, REFUSED, NOTIMP, SERVFAIL, BADCOOKIE...: no name */
    DNS_RRL_CLASSES
};

/* What to do with a response. */
enum dns_rrl_action { DNS_RRL_PASS, DNS_RRL_DROP, DNS_RRL_SLIP };

/* Counters read by the control loop (one writer: the table's thread). */
enum dns_rrl_count { DNS_RRL_DROPPED, DNS_RRL_SLIPPED, DNS_RRL_LIMITED, DNS_RRL_COUNTS };

/* One bucket: 16 bytes, two to a pair (a 2-way set). */
struct dns_rrl_entry {
    uint32_t tag;    /* upper hash bits of the key, never 0 (0: empty) */
    uint32_t when;   /* milliseconds (the caller's clock) of the last refill */
    int32_t tokens;  /* in thousandths of a response */
    uint16_t drops;  /* responses dropped since the limit began (for the slip) */
    uint8_t limited; /* 1 from the first drop until the bucket is full again */
    uint8_t cls;     /* enum dns_rrl_class, for the log line */
};

struct dns_rrl {
    struct dns_rrl_entry *t;
    uint32_t mask;   /* entries - 1 (a power of two, at least 2) */
    int32_t rate;    /* thousandths of a response per millisecond = responses per second */
    int32_t cap;     /* a full bucket: one second's worth, in thousandths */
    uint32_t slip;   /* every slip-th dropped response goes out truncated; 0 never */
    uint64_t key[2]; /* the hash's random key: collisions cannot be aimed */
    _Atomic uint64_t count[DNS_RRL_COUNTS];
};

/* dns_rrl_init: a table of `entries` buckets (rounded up to a power of two,
 * at least 2) for `rate` responses per second (1 to 1000000) per key,
 * slipping every `slip`-th dropped response, under the 16-byte hash key
 * (random in gtmd; fixed in tests). Returns 0, or -1 when out of memory. */
int dns_rrl_init(struct dns_rrl *r, uint32_t rate, uint32_t slip, uint32_t entries,
                 const uint8_t key[16]);
void dns_rrl_free(struct dns_rrl *r);

/* dns_rrl_account: counts one response of class cls, imputed name hash
 * name, to the client sa (AF_INET or AF_INET6; another family passes) at
 * now_ms, a millisecond clock (wraps after 49 days: ages are taken modulo
 * 2^32, so an entry idle for longer is refilled as if for less). Returns
 * whether to send it, drop it or send it truncated; counts drops, slips and
 * networks that start being limited (and logs those, rate-limited). */
enum dns_rrl_action dns_rrl_account(struct dns_rrl *r, const struct sockaddr *sa,
                                    enum dns_rrl_class cls, uint32_t name, uint32_t now_ms);

/* dns_rrl_classify: the class of the response resp[0..len) to q, and the
 * hash of its imputed name: positive for a positive answer (the question's
 * name, or the wildcard that answered it: random names under a wildcard
 * share one budget), the owner of the authority section's first record
 * (the zone apex of a negative answer, the cut of a referral) for a
 * negative one, none for an error. */
enum dns_rrl_class dns_rrl_classify(const struct dns_query *q, const uint8_t *resp, size_t len,
                                    uint32_t positive, uint32_t *name);

/* dns_rrl_answer: what to do with the UDP response resp[0..len) to q from
 * sa: classify, then account; a query with a valid server cookie passes
 * (it proves the client receives at its address). The one call of the
 * answer path. */
enum dns_rrl_action dns_rrl_answer(struct dns_rrl *r, const struct dns_query *q,
                                   const struct sockaddr *sa, const uint8_t *resp, size_t len,
                                   uint32_t positive, uint32_t now_ms);

/* dns_rrl_now: the millisecond clock dns_rrl_account is given (monotonic,
 * coarse: read once per batch of queries). */
uint32_t dns_rrl_now(void);

#endif
