/* handle.c: parse -> early rcode -> lookup -> answer (STYLE 4.2). */
#include "config.h"
#include "dns/handle.h"

#include <ldns/ldns.h>

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "dns/answer.h"
#include "dns/query.h"
#include "gtm/snapshot.h"
#include "gtm/stats.h"
#include "policy/policy.h"
#include "zones/lookup.h"

/* The client for routing: the ECS subnet when the query has one with a
 * non-zero source prefix (RFC 7871 7.1.2), else the source address. */
static void
client_from(const struct dns_query *q, const struct sockaddr *sa, struct policy_client *c)
{
    c->family = 0;
    c->prefix = 0;
    if (q->ecs && q->ecs_source > 0) {
        c->family = q->ecs_family == 1 ? AF_INET : AF_INET6;
        c->prefix = q->ecs_source;
        memcpy(c->addr, q->ecs_addr, sizeof c->addr);
    } else if (sa && sa->sa_family == AF_INET) {
        c->family = AF_INET;
        c->prefix = 32;
        memcpy(c->addr, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
    } else if (sa && sa->sa_family == AF_INET6) {
        c->family = AF_INET6;
        c->prefix = 128;
        memcpy(c->addr, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
    }
}

/* The largest response this request may get (RFC 1035 4.2.1, RFC 6891 6.2.5). */
static size_t
response_limit(const struct dns_query *q, enum dns_proto proto, size_t cap)
{
    size_t limit = DNS_TCP_MAX;
    if (proto == DNS_PROTO_UDP) {
        limit = DNS_UDP_MIN;
        if (q->edns && q->edns_udp > DNS_UDP_MIN)
            limit = q->edns_udp < DNS_EDNS_UDP_MAX ? q->edns_udp : DNS_EDNS_UDP_MAX;
    }
    return limit < cap ? limit : cap;
}

static uint16_t
early_rcode(const struct dns_query *q)
{
    if (q->rcode)
        return q->rcode;
    if (q->qclass != LDNS_RR_CLASS_IN)
        return LDNS_RCODE_REFUSED;
    /* One compare for the common case: the types refused are 41 and 251..254. */
    if (q->qtype != LDNS_RR_TYPE_OPT && q->qtype < LDNS_RR_TYPE_IXFR)
        return 0;
    switch (q->qtype) {
    case LDNS_RR_TYPE_OPT:
        return LDNS_RCODE_FORMERR;
    case LDNS_RR_TYPE_AXFR:
    case LDNS_RR_TYPE_IXFR:
        return LDNS_RCODE_REFUSED; /* no zone transfers */
    case LDNS_RR_TYPE_MAILA:
    case LDNS_RR_TYPE_MAILB:
        return LDNS_RCODE_NOTIMPL;
    default:
        return 0;
    }
}

/* The verdict on a parsed query: an error code answered with no records
 * (the early one, or REFUSED for a name outside every zone), or 0 with r
 * holding the lookup, whose r->rcode is the answer's code. *looked: whether
 * the name was looked up. pc's client is set by the caller. */
static inline uint16_t
verdict(const struct gtm_snapshot *snap, struct policy_ctx *pc, const struct dns_query *q,
        struct lookup_result *r, bool *looked)
{
    *looked = false;
    uint16_t rcode = early_rcode(q);
    if (rcode)
        return rcode;
    *looked = true;
    pc->qtype = q->qtype;
    if (zone_lookup(snap, pc, q->lname, q->qname_len, q->lhash, q->qtype, r) == LOOKUP_REFUSED)
        return LDNS_RCODE_REFUSED;
    return 0;
}

uint16_t
dns_verdict(const struct gtm_snapshot *snap, struct policy_ctx *pc, const struct dns_query *q,
            struct lookup_result *r, bool *looked)
{
    return verdict(snap, pc, q, r, looked);
}

/* Counts the response by its code (one writer per worker row). */
static size_t
counted(struct dns_view *v, uint16_t rcode, size_t len)
{
    enum q_rcode c;
    switch (rcode) {
    case LDNS_RCODE_NOERROR:
        c = QR_NOERROR;
        break;
    case LDNS_RCODE_FORMERR:
        c = QR_FORMERR;
        break;
    case LDNS_RCODE_NXDOMAIN:
        c = QR_NXDOMAIN;
        break;
    case LDNS_RCODE_NOTIMPL:
        c = QR_NOTIMP;
        break;
    case LDNS_RCODE_REFUSED:
        c = QR_REFUSED;
        break;
    default:
        c = QR_BADVERS;
        break;
    }
    stats_bump(v->rcodes, len ? (uint32_t)c : QR_DROPPED);
    return len;
}

void
dns_view_init(struct dns_view *v, const struct gtm_snapshot *snap, uint64_t *rng,
              _Atomic uint64_t *stats, _Atomic uint64_t *rcodes)
{
    v->snap = snap;
    v->client = NULL;
    v->rcodes = rcodes;
    v->seed = 1;
    v->pc = (struct policy_ctx){.health = snap->health,
                                .rng = rng ? rng : &v->seed,
                                .client = &v->routing_client,
                                .latency = snap->latency,
                                .geo = snap->geo,
                                .geoip = snap->geoip,
                                .stats = stats};
}

size_t
dns_handle(struct dns_view *v, const uint8_t *req, size_t len, enum dns_proto proto, uint8_t *resp,
           size_t cap)
{
    struct dns_query *q = &v->q;
    if (dns_query_parse(req, len, q) != DNS_PARSE_OK)
        return counted(v, 0, 0);
    size_t limit = response_limit(q, proto, cap);
    client_from(q, v->client, &v->routing_client);
    struct lookup_result *r = &v->r;
    bool looked;
    uint16_t rcode = verdict(v->snap, &v->pc, q, r, &looked);
    if (rcode)
        return counted(v, rcode, dns_answer_build(q, req, rcode, NULL, resp, limit));
    if (q->ecs && q->ecs_source == 0)
        r->ecs_scope = 0; /* the resolver asked us not to use its network (RFC 7871 7.1.2) */
    return counted(v, r->rcode, dns_answer_build(q, req, 0, r, resp, limit));
}
