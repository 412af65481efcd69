/* handle.c: what happens to a query (STYLE 4.2): handle(), near the end,
 * reads top to bottom: parse -> early code -> plan -> build, counted by
 * response code. The transports (udp.c, tcp.c) do the I/O around it;
 * dns_handle is the entry, with or without a trace. */
#include "config.h"
#include "dns/handle.h"

#include <ldns/ldns.h>

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "dns/answer.h"
#include "dns/cookie.h"
#include "dns/dnssec.h"
#include "dns/plan.h"
#include "dns/query.h"
#include "dns/xfr.h"
#include "gtm/snapshot.h"
#include "gtm/stats.h"
#include "policy/policy.h"

/* The client for routing: the ECS subnet when the query has one with a
 * non-zero source prefix (RFC 7871 7.1.2), else the source address. */
static inline __attribute__((always_inline)) void
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
static inline __attribute__((always_inline)) size_t
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

static inline __attribute__((always_inline)) uint16_t
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

/* Counts the response by its code (one writer per worker row). */
static inline __attribute__((always_inline)) size_t
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
    case LDNS_RCODE_SERVFAIL:
        c = QR_SERVFAIL;
        break;
    case LDNS_RCODE_NOTAUTH:
        c = QR_NOTAUTH;
        break;
    case DNS_RCODE_BADCOOKIE:
        c = QR_BADCOOKIE;
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
    v->cookie = NULL;
    v->seed = 1;
    v->trace = NULL;
    v->xfr = NULL;
    v->stream = NULL;
    plan_init(&v->r); /* (read after answers that made no plan: RRL's wildcard) */
    v->pc = (struct policy_ctx){.health = snap->health,
                                .rng = rng ? rng : &v->seed,
                                .client = &v->routing_client,
                                .latency = snap->latency,
                                .geo = snap->geo,
                                .geoip = snap->geoip,
                                .stats = stats};
}

/* A traced query's verdict, and what its answer holds. */
__attribute__((noinline, cold)) static void
trace_answer(struct dns_trace *t, const struct plan *r)
{
    t->ecs_scope = r->ecs_scope;
    t->nserved = r->nan;
    for (unsigned i = 0; i < r->nan; i++)
        t->served[i] =
            t->alias && i >= t->alias_at && t->alias_from[i] ? t->alias_from[i] : r->an[i].rrset;
}

/* A CHAOS-class query (never the common case): TXT of the server's identity
 * (id.server, hostname.bind) and version (version.bind, version.server),
 * when --identity and --server-version let them out; NODATA for their other
 * types; REFUSED for everything else, as before. */
__attribute__((noinline, cold)) static size_t
chaos(struct dns_view *v, const struct dns_query *q, const uint8_t *req, uint8_t *resp,
      size_t limit)
{
    static const struct {
        const uint8_t *name;
        uint8_t len;
        bool version;
    } names[] = {
        {(const uint8_t *)"\2id\6server", 11, false},
        {(const uint8_t *)"\10hostname\4bind", 15, false},
        {(const uint8_t *)"\7version\4bind", 14, true},
        {(const uint8_t *)"\7version\6server", 16, true},
    };
    const struct rrset *set = NULL;
    bool known = false;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !known; i++)
        if (q->qname_len == names[i].len && memcmp(q->lname, names[i].name, names[i].len) == 0) {
            known = true;
            set = names[i].version ? v->snap->chaos_version : v->snap->chaos_id;
        }
    if (!set)
        return counted(v, LDNS_RCODE_REFUSED,
                       dns_answer_error(q, req, LDNS_RCODE_REFUSED, v->snap, resp, limit));
    struct plan *r = &v->r;
    plan_init(r);
    if (q->qtype == LDNS_RR_TYPE_TXT || q->qtype == LDNS_RR_TYPE_ANY)
        r->an[r->nan++] = (struct rr_ref){q->lname, q->qname_len, set};
    return counted(v, LDNS_RCODE_NOERROR, dns_answer_build(q, req, r, v->snap, resp, limit));
}

/* AXFR or IXFR (class IN, opcode QUERY) when transfers are configured:
 * dns/xfr.c, which reads the request again with ldns (a TSIG, an IXFR's
 * SOA: what the query parser calls FORMERR). */
__attribute__((noinline, cold)) static size_t
xfr(struct dns_view *v, const uint8_t *req, size_t len, enum dns_proto proto, uint8_t *resp,
    size_t limit)
{
    uint16_t rcode = 0;
    size_t n = dns_xfr(v, req, len, proto, resp, limit, &rcode);
    return counted(v, rcode, n);
}

/* The cookie step (only for a query with a COOKIE option): the server
 * cookie to answer with, and BADCOOKIE when --cookies require says so. */
__attribute__((noinline)) static size_t
cookie_step(struct dns_view *v, struct dns_query *q, const uint8_t *req, enum dns_proto proto,
            uint8_t *resp, size_t limit)
{
    uint16_t bad =
        dns_cookie_answer(v->cookie, q, v->client, proto == DNS_PROTO_TCP, (uint32_t)time(NULL));
    if (!bad)
        return 0;
    return counted(v, bad, dns_answer_error(q, req, bad, v->snap, resp, limit));
}

/* What happens to a query. trace is NULL but for the API's resolve; the
 * untraced copy of this (trace a constant NULL) has no trace in it. */
static inline __attribute__((always_inline)) size_t
handle(struct dns_view *v, const uint8_t *req, size_t len, enum dns_proto proto, uint8_t *resp,
       size_t cap, struct dns_trace *trace)
{
    /* 1. Parse the header, question and OPT; what is not a query gets nothing. */
    struct dns_query *q = &v->q;
    if (dns_query_parse(req, len, q) != DNS_PARSE_OK)
        return counted(v, 0, 0);
    size_t limit = response_limit(q, proto, cap);
    if (trace) {
        trace->looked = false;
        trace->nsteps = trace->nserved = 0;
    }
    /* DNS cookies (RFC 7873): the answer carries a server cookie; with
     * --cookies require, a UDP request without a valid one gets BADCOOKIE. */
    if (__builtin_expect(q->cookie_len != 0, 0)) {
        size_t bad = cookie_step(v, q, req, proto, resp, limit);
        if (bad)
            return bad;
    }

    /* 2. Codes decided before any lookup: FORMERR, NOTIMP, REFUSED, BADVERS. */
    uint16_t rcode = early_rcode(q);
    if (rcode) {
        if (q->qclass == LDNS_RR_CLASS_CH && !q->rcode && rcode == LDNS_RCODE_REFUSED && !trace)
            return chaos(v, q, req, resp, limit);
        if ((q->qtype == LDNS_RR_TYPE_AXFR || q->qtype == LDNS_RR_TYPE_IXFR) && v->xfr && !trace &&
            q->has_question && q->opcode == LDNS_PACKET_QUERY && q->qclass == LDNS_RR_CLASS_IN)
            return xfr(v, req, len, proto, resp, limit);
        return counted(v, rcode, dns_answer_error(q, req, rcode, v->snap, resp, limit));
    }

    /* 3. Plan: who asks (as routing sees it), then the walk over the zones,
     * the chain and the profiles. Outside every zone: REFUSED. */
    client_from(q, v->client, &v->routing_client);
    v->pc.qtype = q->qtype;
    struct plan *r = &v->r;
    if (trace)
        trace->looked = true;
    int planned = trace
                      ? plan_query_traced(v->snap, &v->pc, q->lname, q->qname_len, q->lhash,
                                          q->qtype, r, trace)
                      : plan_query(v->snap, &v->pc, q->lname, q->qname_len, q->lhash, q->qtype, r);
    if (planned == PLAN_REFUSED)
        return counted(v, LDNS_RCODE_REFUSED,
                       dns_answer_error(q, req, LDNS_RCODE_REFUSED, v->snap, resp, limit));
    if (q->ecs && q->ecs_source == 0)
        r->ecs_scope = 0; /* the resolver asked us not to use its network (RFC 7871 7.1.2) */
    if (trace)
        trace_answer(trace, r);
    /* DNSSEC (signed zones, DO set): the proofs of what the answer denies. */
    if (__builtin_expect(r->ndeny != 0, 0) && q->edns_do)
        dns_dnssec_prove(v->snap, r, q->qtype);
    if (__builtin_expect(r->multi_n != 0, 0) && q->edns_do)
        dns_dnssec_union(v->snap, r);

    /* 4. Build the response: sections, negative SOA, OPT, TC when it does not fit. */
    return counted(v, r->rcode, dns_answer_build(q, req, r, v->snap, resp, limit));
}

/* The API's resolve: the same, written down. */
__attribute__((noinline, cold)) static size_t
handle_traced(struct dns_view *v, const uint8_t *req, size_t len, enum dns_proto proto,
              uint8_t *resp, size_t cap)
{
    return handle(v, req, len, proto, resp, cap, v->trace);
}

size_t
dns_handle(struct dns_view *v, const uint8_t *req, size_t len, enum dns_proto proto, uint8_t *resp,
           size_t cap)
{
    if (__builtin_expect(v->trace != NULL, 0))
        return handle_traced(v, req, len, proto, resp, cap);
    return handle(v, req, len, proto, resp, cap, NULL);
}
