/* query.c: header, question, OPT (RFC 1035 4.1, RFC 6891 6.1). */
#include "config.h"
#include "dns/query.h"

#include <string.h>

#include <ldns/ldns.h>

static inline uint16_t
rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* A name without compression (RFC 1035 4.1.4 allows none in a question:
 * there is nothing before it to point at), copied lowercase into lname and
 * hashed for the lookup. Returns bytes used, 0 on error. */
static size_t
parse_qname(const uint8_t *p, size_t avail, uint8_t *lname, uint32_t *hash)
{
    /* The root byte must sit below lim: the name then fits the message and
     * DNAME_MAXLEN (RFC 1035 3.1), bytes included. */
    size_t lim = avail < DNAME_MAXLEN ? avail : DNAME_MAXLEN;
    size_t i = 0;
    for (;;) {
        if (i >= lim)
            return 0;
        uint8_t ll = p[i];
        if (ll == 0)
            break;
        if (ll & 0xC0)
            return 0; /* pointers and extended label types */
        i += (size_t)ll + 1;
    }
    i++;
    *hash = dname_copy_lower_hash(lname, p, i);
    return i;
}

/* Skips any name (compression allowed) of a later section; 0 on error. */
static size_t
skip_name(const uint8_t *p, size_t avail)
{
    size_t i = 0;
    while (i < avail) {
        uint8_t ll = p[i];
        if ((ll & 0xC0) == 0xC0)
            return i + 2 <= avail ? i + 2 : 0;
        if (ll & 0xC0)
            return 0;
        i += (size_t)ll + 1;
        if (ll == 0)
            return i <= avail ? i : 0;
    }
    return 0;
}

#define EDNS_OPT_NSID   3
#define EDNS_OPT_ECS    8
#define EDNS_OPT_COOKIE 10

/* COOKIE (RFC 7873 4, 5.2.2): a client cookie of 8 bytes, alone or with a
 * server cookie of 8 to 32; once. Anything else is malformed: FORMERR. */
static bool
parse_cookie(const uint8_t *o, uint16_t len, struct dns_query *q)
{
    if (q->cookie_len ||
        !(len == DNS_COOKIE_CLIENT || (len >= DNS_COOKIE_CLIENT + 8 && len <= DNS_COOKIE_MAX)))
        return false;
    memcpy(q->cookie, o, len);
    q->cookie_len = (uint8_t)len;
    return true;
}

/* EDNS Client Subnet (RFC 7871 6): family 1 or 2, a source prefix within
 * the family, exactly ceil(source/8) address bytes with nothing set past the
 * prefix, and SCOPE 0 in a query. Anything else is FORMERR. */
static bool
parse_ecs(const uint8_t *o, uint16_t len, struct dns_query *q)
{
    if (q->ecs || len < 4)
        return false;
    uint16_t family = rd16(o);
    uint8_t source = o[2], scope = o[3];
    unsigned max = family == 1 ? 32 : family == 2 ? 128 : 0;
    size_t alen = ((size_t)source + 7) / 8;
    if (!max || source > max || scope != 0 || len - 4u != alen)
        return false;
    if (alen && (source % 8) && (o[4 + alen - 1] & (0xFF >> (source % 8))))
        return false;
    memset(q->ecs_addr, 0, sizeof q->ecs_addr);
    memcpy(q->ecs_addr, o + 4, alen);
    q->ecs = true;
    q->ecs_family = (uint8_t)family;
    q->ecs_source = source;
    return true;
}

/* The one additional record: must be an OPT owned by the root. A COOKIE
 * option that is not well formed sets *bad_cookie: the record is read to
 * its end and kept, for a FORMERR that carries an OPT. */
static bool
parse_opt(const uint8_t *p, size_t avail, struct dns_query *q, size_t *used, bool *bad_cookie)
{
    size_t n = skip_name(p, avail);
    if (n == 0 || avail - n < 10)
        return false;
    uint16_t type = rd16(p + n);
    uint16_t rdlen = rd16(p + n + 8);
    if (type != LDNS_RR_TYPE_OPT || n != 1 || p[0] != 0)
        return false;
    if (avail - n - 10 < rdlen)
        return false;
    /* Options: ECS, an NSID request and COOKIE are used, every other one
     * is skipped (RFC 6891 6.1.2). An NSID request is empty; one with data,
     * which only a server sends, is ignored (RFC 5001 2.3). */
    const uint8_t *o = p + n + 10;
    for (size_t k = 0; k < rdlen;) {
        if (rdlen - k < 4)
            return false;
        uint16_t code = rd16(o + k), olen = rd16(o + k + 2);
        if (rdlen - k - 4 < olen)
            return false;
        if (code == EDNS_OPT_ECS && !parse_ecs(o + k + 4, olen, q))
            return false;
        if (code == EDNS_OPT_NSID && olen == 0)
            q->nsid = true;
        if (code == EDNS_OPT_COOKIE && !parse_cookie(o + k + 4, olen, q))
            *bad_cookie = true;
        k += 4u + olen;
    }
    q->edns = true;
    q->edns_udp = rd16(p + n + 2);
    q->edns_version = p[n + 5];
    q->edns_do = (p[n + 6] & 0x80) != 0;
    *used = n + 10 + rdlen;
    return true;
}

int
dns_query_parse(const uint8_t *buf, size_t len, struct dns_query *q)
{
    q->rcode = 0;
    q->edns_udp = 0;
    q->has_question = false;
    q->edns = false;
    q->edns_do = false;
    q->ecs = false;
    q->nsid = false;
    q->edns_version = 0;
    q->cookie_len = 0;
    q->cookie_valid = false;
    if (len < DNS_HEADER_LEN || (buf[2] & 0x80))
        return DNS_PARSE_DROP; /* too short to answer, or a response: never answer those */
    q->id = rd16(buf);
    q->flags1 = buf[2];
    q->flags2 = buf[3];
    q->opcode = (buf[2] >> 3) & 0x0F;
    uint16_t qd = rd16(buf + 4), an = rd16(buf + 6), ns = rd16(buf + 8), ar = rd16(buf + 10);

    size_t off = DNS_HEADER_LEN;
    if (qd == 1) {
        size_t n = parse_qname(buf + off, len - off, q->lname, &q->lhash);
        if (n && len - off - n >= 4) {
            q->qname_len = (uint8_t)n;
            q->qtype = rd16(buf + off + n);
            q->qclass = rd16(buf + off + n + 2);
            q->question_len = (uint16_t)(n + 4);
            q->has_question = true;
            off += n + 4;
        }
    }
    if (q->opcode != LDNS_PACKET_QUERY) {
        q->rcode = LDNS_RCODE_NOTIMPL;
        return DNS_PARSE_OK;
    }
    if (!q->has_question || (an | ns) != 0 || ar > 1) {
        q->rcode = LDNS_RCODE_FORMERR;
        return DNS_PARSE_OK;
    }
    if (ar == 1) {
        size_t used = 0;
        bool bad_cookie = false;
        if (!parse_opt(buf + off, len - off, q, &used, &bad_cookie)) {
            q->edns = false;
            q->nsid = false;
            q->cookie_len = 0;
            q->rcode = LDNS_RCODE_FORMERR;
            return DNS_PARSE_OK;
        }
        off += used;
        if (__builtin_expect(bad_cookie, 0)) {
            q->cookie_len = 0;             /* no cookie in the answer: there was none to echo */
            q->rcode = LDNS_RCODE_FORMERR; /* with an OPT (RFC 7873 5.2.2) */
            return DNS_PARSE_OK;
        }
    }
    if (off != len) {
        q->rcode = LDNS_RCODE_FORMERR; /* trailing bytes */
        return DNS_PARSE_OK;
    }
    if (q->edns && q->edns_version > 0)
        q->rcode = 16; /* BADVERS (RFC 6891 6.1.3) */
    return DNS_PARSE_OK;
}

/* Big-endian 16 bits at p. */
static void
put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

size_t
dns_query_make(uint8_t *buf, const uint8_t *name, uint8_t name_len, uint16_t qtype,
               uint8_t ecs_family, uint8_t ecs_source, const uint8_t *ecs_addr)
{
    memset(buf, 0, DNS_HEADER_LEN);
    put16(buf + 4, 1); /* QDCOUNT */
    size_t o = DNS_HEADER_LEN;
    memcpy(buf + o, name, name_len);
    o += name_len;
    put16(buf + o, qtype);
    put16(buf + o + 2, LDNS_RR_CLASS_IN);
    o += 4;
    if (ecs_family != 1 && ecs_family != 2)
        return o;
    /* OPT (RFC 6891): root owner, our UDP size, version 0, one option:
     * ECS (RFC 7871) with SCOPE 0 and only the address bytes the source
     * prefix covers. */
    size_t alen = ((size_t)ecs_source + 7) / 8;
    put16(buf + 10, 1); /* ARCOUNT */
    buf[o] = 0;
    put16(buf + o + 1, LDNS_RR_TYPE_OPT);
    put16(buf + o + 3, DNS_EDNS_UDP_MAX);
    memset(buf + o + 5, 0, 4); /* extended code, version, flags */
    put16(buf + o + 9, (unsigned)(8 + alen));
    o += 11;
    put16(buf + o, 8); /* OPTION-CODE: ECS */
    put16(buf + o + 2, (unsigned)(4 + alen));
    put16(buf + o + 4, ecs_family);
    buf[o + 6] = ecs_source;
    buf[o + 7] = 0;
    memcpy(buf + o + 8, ecs_addr, alen);
    return o + 8 + alen;
}
