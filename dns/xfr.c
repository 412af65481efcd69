/* xfr.c: zone transfers of the static zones (see xfr.h). The order of the
 * checks: the request's TSIG (a bad one gets NOTAUTH with the TSIG error,
 * RFC 8945 5.2), then the zone (not one of ours: NOTAUTH, RFC 5936 2.2.1;
 * the traffic manager domain: REFUSED, it is made from profiles and health
 * and changes without a serial), then --allow-transfer (REFUSED). Each
 * refusal is logged with its reason. A transfer is built whole, once,
 * from the snapshot the worker holds now (the transport then writes it out
 * as the client reads, holding no snapshot): SOA, every RRset of every
 * name with its RRSIG, the NSEC3 chain, the ALIAS records as written, SOA. */
#include "config.h"
#include "dns/xfr.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <time.h>

#include <ldns/ldns.h>

#include "conf/xfr.h"
#include "dns/answer.h"
#include "gtm/alloc.h"
#include "gtm/log.h"
#include "gtm/snapshot.h"

#define TSIG_FUDGE 300
/* What a message keeps free for its TSIG record (name, algorithm, MAC). */
#define TSIG_ROOM 600

#define RCODE_NOTAUTH 9
#define TSIG_BADSIG   16
#define TSIG_BADKEY   17
#define TSIG_BADTIME  18

static uint32_t
rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
wr16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void
wr32(uint8_t *p, uint32_t v)
{
    wr16(p, v >> 16);
    wr16(p + 2, v & 0xFFFF);
}

/* Length of the uncompressed wire name at p (valid: made at load). */
static size_t
name_len(const uint8_t *p)
{
    size_t i = 0;
    while (p[i])
        i += (size_t)p[i] + 1;
    return i + 1;
}

uint32_t
zone_serial(const struct zone *z)
{
    const uint8_t *rd = z->soa->wire + 2; /* RDLENGTH, then MNAME RNAME SERIAL ... */
    size_t m = name_len(rd);
    size_t r = name_len(rd + m);
    return rd32(rd + m + r);
}

static const char *
client_text(const struct sockaddr *sa, char *buf, size_t cap)
{
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, buf,
                  (socklen_t)cap);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, buf,
                  (socklen_t)cap);
    else
        snprintf(buf, cap, "?");
    return buf;
}

/* ---- the messages of a transfer, framed, in one growing buffer ---- */

struct out {
    uint8_t *buf;
    size_t len, cap;
    size_t start;  /* where the current message's length prefix is */
    unsigned nmsg; /* messages begun */
    unsigned an;   /* records in the current message */
    bool failed;   /* a record that fits no message */
    const struct dns_query *q;
    const uint8_t *req;
};

static void
out_reserve(struct out *o, size_t n)
{
    if (o->len + n <= o->cap)
        return;
    while (o->len + n > o->cap)
        o->cap = o->cap ? o->cap * 2 : 4 * XFR_MSG_TARGET;
    o->buf = xrealloc(o->buf, o->cap);
}

static void
msg_end(struct out *o)
{
    if (o->nmsg == 0)
        return;
    wr16(o->buf + o->start, (unsigned)(o->len - o->start - 2));
    wr16(o->buf + o->start + 2 + 6, o->an); /* ANCOUNT */
}

/* A new message: header (ID, QR AA, RD as asked), the question in the
 * first message only (RFC 5936 2.2.1 allows it to be left out after). */
static void
msg_begin(struct out *o)
{
    msg_end(o);
    const struct dns_query *q = o->q;
    out_reserve(o, 2 + DNS_HEADER_LEN + q->question_len);
    o->start = o->len;
    uint8_t *h = o->buf + o->len + 2;
    memset(h, 0, DNS_HEADER_LEN);
    wr16(h, q->id);
    h[2] = 0x80 | 0x04 | (q->flags1 & 0x01); /* QR, opcode QUERY, AA, RD */
    o->len += 2 + DNS_HEADER_LEN;
    if (o->nmsg == 0) {
        wr16(h + 4, 1);
        memcpy(o->buf + o->len, o->req + DNS_HEADER_LEN, q->question_len);
        o->len += q->question_len;
    }
    o->nmsg++;
    o->an = 0;
}

/* One record: owner (uncompressed), type, IN, ttl, then RDLENGTH+RDATA as
 * prepared (rd points at RDLENGTH). */
static void
put_rr(struct out *o, const uint8_t *owner, size_t olen, uint16_t type, uint32_t ttl,
       const uint8_t *rd)
{
    size_t rdlen = (size_t)(rd[0] << 8 | rd[1]);
    size_t need = olen + 8 + 2 + rdlen;
    if (o->an && o->len - o->start - 2 + need > XFR_MSG_TARGET)
        msg_begin(o);
    if (o->len - o->start - 2 + need > DNS_TCP_MAX - TSIG_ROOM) {
        o->failed = true;
        return;
    }
    out_reserve(o, need);
    uint8_t *p = o->buf + o->len;
    memcpy(p, owner, olen);
    p += olen;
    wr16(p, type);
    wr16(p + 2, LDNS_RR_CLASS_IN);
    wr32(p + 4, ttl);
    memcpy(p + 8, rd, 2 + rdlen);
    o->len += need;
    o->an++;
}

static void
put_rrset(struct out *o, const uint8_t *owner, size_t olen, const struct rrset *r)
{
    const uint8_t *rd = r->wire;
    for (uint16_t i = 0; i < r->count; i++) {
        put_rr(o, owner, olen, r->type, r->ttl, rd);
        rd += 2 + (size_t)(rd[0] << 8 | rd[1]);
    }
}

static void
put_rrset_signed(struct out *o, const uint8_t *owner, size_t olen, const struct rrset *r)
{
    put_rrset(o, owner, olen, r);
    if (r->rrsig)
        put_rrset(o, owner, olen, r->rrsig);
}

/* The whole zone, SOA first and last. */
static void
put_zone(struct out *o, const struct zone *z)
{
    put_rrset_signed(o, z->apex, z->apex_len, z->soa);
    for (uint32_t i = 0; i <= z->mask; i++) {
        const struct zone_node *n = z->table[i];
        if (!n)
            continue;
        for (const struct rrset *r = n->rrsets; r; r = r->next)
            if (r != z->soa)
                put_rrset_signed(o, n->name, n->name_len, r);
        if (n->alias) {
            /* As written (PowerDNS sends it so too): type 65401, the target. */
            const struct alias *al = n->alias;
            uint8_t rd[2 + DNAME_MAXLEN];
            wr16(rd, al->written_len);
            memcpy(rd + 2, al->written, al->written_len);
            put_rr(o, al->owner, al->owner_len, RR_TYPE_ALIAS, al->ttl, rd);
        }
    }
    for (uint32_t i = 0; z->nsec3 && i < z->nsec3->n; i++) {
        const struct nsec3_entry *e = &z->nsec3->v[i];
        put_rrset_signed(o, e->owner, e->owner_len, e->rrset);
    }
    put_rrset(o, z->apex, z->apex_len, z->soa);
    msg_end(o);
}

/* ---- TSIG through ldns ---- */

struct tsig_state {
    const struct tsig_key *key; /* the verified key, or NULL */
    ldns_rdf *mac;              /* the MAC to chain the next message to (owned) */
};

/* Signs one message (wire without its frame) in place of itself: returns a
 * new malloc'd wire, or NULL. first: chained to the request's MAC with the
 * whole digest, else to the previous message's with timers only. */
static uint8_t *
sign_msg(struct tsig_state *ts, const uint8_t *wire, size_t len, bool first, size_t *out_len)
{
    ldns_pkt *p = NULL;
    uint8_t *res = NULL;
    if (ldns_wire2pkt(&p, wire, len) != LDNS_STATUS_OK)
        return NULL;
    if (ldns_pkt_tsig_sign_next(p, ts->key->name, ts->key->secret, TSIG_FUDGE, ts->key->alg,
                                ts->mac, first ? 0 : 1) == LDNS_STATUS_OK &&
        ldns_pkt_tsig(p) && ldns_pkt2wire(&res, p, out_len) == LDNS_STATUS_OK) {
        ldns_rdf_deep_free(ts->mac);
        ts->mac = ldns_rdf_clone(ldns_rr_rdf(ldns_pkt_tsig(p), 3));
    } else {
        free(res);
        res = NULL;
    }
    ldns_pkt_free(p);
    return res;
}

/* Every message of o signed: o's buffer is replaced. -1 on failure. */
static int
sign_stream(struct tsig_state *ts, struct out *o)
{
    struct out s = {0};
    for (size_t off = 0; off < o->len;) {
        size_t mlen = (size_t)(o->buf[off] << 8 | o->buf[off + 1]);
        size_t slen = 0;
        uint8_t *w = sign_msg(ts, o->buf + off + 2, mlen, off == 0, &slen);
        if (!w || slen > DNS_TCP_MAX) {
            free(w);
            free(s.buf);
            return -1;
        }
        out_reserve(&s, 2 + slen);
        wr16(s.buf + s.len, (unsigned)slen);
        memcpy(s.buf + s.len + 2, w, slen);
        s.len += 2 + slen;
        free(w);
        off += 2 + mlen;
    }
    free(o->buf);
    o->buf = s.buf;
    o->len = s.len;
    o->cap = s.cap;
    return 0;
}

/* ---- answers of one message ---- */

/* An error answer made with ldns: the question, rcode, and a TSIG: signed
 * with the verified key, or the request's own with an error and no MAC
 * (tsig_error, RFC 8945 5.3.2: BADKEY, BADSIG and BADTIME unsigned). */
static size_t
error_answer(ldns_pkt *req, struct tsig_state *ts, uint16_t rcode, uint16_t tsig_error,
             uint8_t *resp, size_t cap)
{
    ldns_pkt *p = ldns_pkt_new();
    if (!p)
        return 0;
    ldns_pkt_set_id(p, ldns_pkt_id(req));
    ldns_pkt_set_qr(p, true);
    ldns_pkt_set_rd(p, ldns_pkt_rd(req));
    ldns_pkt_set_opcode(p, LDNS_PACKET_QUERY);
    ldns_pkt_set_rcode(p, (uint8_t)rcode);
    ldns_rr_list *qs = ldns_pkt_question(req);
    if (ldns_rr_list_rr_count(qs) == 1)
        ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, ldns_rr_clone(ldns_rr_list_rr(qs, 0)));
    if (tsig_error && ldns_pkt_tsig(req)) {
        ldns_rr *t = ldns_rr_clone(ldns_pkt_tsig(req));
        ldns_rdf_deep_free(ldns_rr_set_rdf(t, ldns_native2rdf_int16_data(0, NULL), 3));
        ldns_rdf_deep_free(
            ldns_rr_set_rdf(t, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, tsig_error), 5));
        ldns_pkt_set_tsig(p, t);
    } else if (ts->key) {
        if (ldns_pkt_tsig_sign(p, ts->key->name, ts->key->secret, TSIG_FUDGE, ts->key->alg,
                               ts->mac) != LDNS_STATUS_OK) {
            ldns_pkt_free(p);
            return 0;
        }
    }
    uint8_t *w = NULL;
    size_t wl = 0, n = 0;
    if (ldns_pkt2wire(&w, p, &wl) == LDNS_STATUS_OK && wl <= cap) {
        memcpy(resp, w, wl);
        n = wl;
    }
    free(w);
    ldns_pkt_free(p);
    return n;
}

static bool
serial_lt(uint32_t a, uint32_t b)
{
    return a != b && (uint32_t)(b - a) < 0x80000000u; /* RFC 1982 */
}

/* The request's TSIG: 0 when there is none or it verifies (ts->key set),
 * else the TSIG error. */
static uint16_t
check_tsig(const struct xfr_conf *c, ldns_pkt *p, const uint8_t *req, size_t len,
           struct tsig_state *ts, const char *who)
{
    ldns_rr *t = ldns_pkt_tsig(p);
    if (!t)
        return 0;
    char name[4 * DNAME_MAXLEN + 2] = "?";
    ldns_rdf *owner = ldns_rr_owner(t);
    uint8_t lower[DNAME_MAXLEN];
    size_t ol = ldns_rdf_size(owner);
    const struct tsig_key *k = NULL;
    if (ol <= DNAME_MAXLEN) {
        for (size_t i = 0; i < ol; i++)
            lower[i] = dname_lower(ldns_rdf_data(owner)[i]);
        dname_to_text(lower, name, sizeof name);
        k = tsig_key_find(c, lower, ol);
    }
    if (ldns_rr_rd_count(t) != 7) {
        log_rl_warn("xfr: %s: malformed TSIG: BADSIG", who);
        return TSIG_BADSIG;
    }
    char *alg = ldns_rdf2str(ldns_rr_rdf(t, 0));
    bool alg_ok = k && alg && strcasecmp(alg, k->alg) == 0;
    free(alg);
    if (!k || !alg_ok) {
        log_rl_warn("xfr: %s: TSIG key %s %s: BADKEY", who, name,
                    k ? "with another algorithm" : "is unknown");
        return TSIG_BADKEY;
    }
    if (!ldns_pkt_tsig_verify(p, req, len, k->name, k->secret, NULL)) {
        log_rl_warn("xfr: %s: TSIG key %s: the signature does not verify: BADSIG", who, name);
        return TSIG_BADSIG;
    }
    const uint8_t *ts6 = ldns_rdf_data(ldns_rr_rdf(t, 1));
    uint64_t signed_at = 0;
    if (ldns_rdf_size(ldns_rr_rdf(t, 1)) == 6)
        for (int i = 0; i < 6; i++)
            signed_at = signed_at << 8 | ts6[i];
    uint16_t fudge = ldns_rdf2native_int16(ldns_rr_rdf(t, 2));
    uint64_t now = (uint64_t)time(NULL);
    if ((signed_at > now ? signed_at - now : now - signed_at) > fudge) {
        log_rl_warn("xfr: %s: TSIG key %s: signed %lld s away from our clock (fudge %u): BADTIME",
                    who, name, (long long)(signed_at - now), fudge);
        return TSIG_BADTIME;
    }
    ts->key = k;
    ts->mac = ldns_rdf_clone(ldns_rr_rdf(t, 3));
    return 0;
}

static bool
has_alias(const struct zone *z)
{
    for (uint32_t i = 0; i <= z->mask; i++)
        if (z->table[i] && z->table[i]->alias)
            return true;
    return false;
}

/* A name in m[0..len) from *at (labels, then the root or a pointer):
 * false when it runs off the end. */
static bool
skip_name(const uint8_t *m, size_t len, size_t *at)
{
    for (unsigned labels = 0; *at < len && labels <= DNAME_MAXLABELS; labels++) {
        uint8_t b = m[*at];
        if ((b & 0xC0) == 0xC0) {
            *at += 2;
            return *at <= len;
        }
        if (b & 0xC0)
            return false;
        *at += (size_t)b + 1;
        if (b == 0)
            return *at <= len;
    }
    return false;
}

/* RFC 8945 5.1: at most one TSIG, the last record of the message. Checked
 * on the wire before ldns reads it: ldns keeps only the last TSIG it
 * sees, and loses the memory of the others. */
static bool
tsig_placed(const uint8_t *m, size_t len)
{
    if (len < DNS_HEADER_LEN)
        return false;
    unsigned qd = (unsigned)(m[4] << 8 | m[5]);
    unsigned rrs = (unsigned)(m[6] << 8 | m[7]) + (unsigned)(m[8] << 8 | m[9]) +
                   (unsigned)(m[10] << 8 | m[11]);
    size_t at = DNS_HEADER_LEN;
    for (unsigned i = 0; i < qd; i++) {
        if (!skip_name(m, len, &at) || len - at < 4)
            return false;
        at += 4;
    }
    for (unsigned i = 0; i < rrs; i++) {
        if (!skip_name(m, len, &at) || len - at < 10)
            return false;
        uint16_t type = (uint16_t)(m[at] << 8 | m[at + 1]);
        size_t rdlen = (size_t)(m[at + 8] << 8 | m[at + 9]);
        at += 10;
        if (len - at < rdlen)
            return false;
        at += rdlen;
        if (type == LDNS_RR_TYPE_TSIG && i + 1 != rrs)
            return false; /* a TSIG that is not the last record */
    }
    return true;
}

size_t
dns_xfr(struct dns_view *v, const uint8_t *req, size_t len, enum dns_proto proto, uint8_t *resp,
        size_t cap, uint16_t *rcode)
{
    const struct dns_query *q = &v->q;
    char addr[INET6_ADDRSTRLEN], zname[4 * DNAME_MAXLEN + 2], who[sizeof addr + sizeof zname + 32];
    const char *type = q->qtype == LDNS_RR_TYPE_AXFR ? "AXFR" : "IXFR";
    snprintf(who, sizeof who, "%s of %s from %s%s", type,
             dname_to_text(q->lname, zname, sizeof zname),
             client_text(v->client, addr, sizeof addr), proto == DNS_PROTO_UDP ? " (UDP)" : "");
    struct tsig_state ts = {0};
    ldns_pkt *p = NULL;
    size_t n = 0;
    *rcode = LDNS_RCODE_FORMERR;
    if (!tsig_placed(req, len)) {
        log_rl_warn("xfr: %s: a TSIG that is not the last record, or a malformed request: "
                    "FORMERR",
                    who);
        n = dns_answer_error(q, req, LDNS_RCODE_FORMERR, v->snap, resp, cap);
        goto done;
    }
    if (ldns_wire2pkt(&p, req, len) != LDNS_STATUS_OK || ldns_pkt_qdcount(p) != 1 ||
        ldns_pkt_ancount(p) != 0) {
        log_rl_warn("xfr: %s: not a well-formed request: FORMERR", who);
        if (p)
            n = error_answer(p, &ts, LDNS_RCODE_FORMERR, 0, resp, cap);
        else
            n = 0;
        goto done;
    }
    uint16_t terr = check_tsig(v->xfr, p, req, len, &ts, who);
    if (terr) {
        *rcode = RCODE_NOTAUTH;
        n = error_answer(p, &ts, RCODE_NOTAUTH, terr, resp, cap);
        goto done;
    }
    const struct zone *z = snapshot_find_zone(v->snap, q->lname, q->qname_len);
    *rcode = LDNS_RCODE_REFUSED;
    if (!z) {
        log_rl_warn("xfr: %s: not a zone gtmd serves: NOTAUTH", who);
        *rcode = RCODE_NOTAUTH;
        n = error_answer(p, &ts, RCODE_NOTAUTH, 0, resp, cap);
        goto done;
    }
    if (z->nsec3 && has_alias(z)) {
        log_rl_warn("xfr: %s: refused: a signed zone with ALIAS records (an ALIAS has no "
                    "signature and no data a secondary could serve as signed)",
                    who);
        n = error_answer(p, &ts, LDNS_RCODE_REFUSED, 0, resp, cap);
        goto done;
    }
    if (z == v->snap->domain) {
        log_rl_warn("xfr: %s: refused: the traffic manager domain is dynamic (its answers come "
                    "from profiles and endpoint health), it has no zone to transfer",
                    who);
        n = error_answer(p, &ts, LDNS_RCODE_REFUSED, 0, resp, cap);
        goto done;
    }
    const struct xfr_acl *allow = xfr_acl_match(v->xfr, v->client, ts.key);
    if (!allow) {
        log_rl_warn("xfr: %s: refused: no allow-transfer entry matches (%s)", who,
                    ts.key ? "signed" : "unsigned");
        n = error_answer(p, &ts, LDNS_RCODE_REFUSED, 0, resp, cap);
        goto done;
    }
    /* IXFR: up to date -> our SOA alone (RFC 1995 2); over UDP -> our SOA
     * alone, which tells the client to come back over TCP (RFC 1995 2);
     * else the whole zone, as an AXFR would get it (RFC 1995 4). */
    bool soa_only = false;
    if (q->qtype == LDNS_RR_TYPE_IXFR) {
        ldns_rr *soa = ldns_pkt_nscount(p) == 1 ? ldns_rr_list_rr(ldns_pkt_authority(p), 0) : NULL;
        if (!soa || ldns_rr_get_type(soa) != LDNS_RR_TYPE_SOA || ldns_rr_rd_count(soa) != 7) {
            log_rl_warn("xfr: %s: no SOA in the authority section: FORMERR", who);
            *rcode = LDNS_RCODE_FORMERR;
            n = error_answer(p, &ts, LDNS_RCODE_FORMERR, 0, resp, cap);
            goto done;
        }
        uint32_t theirs = ldns_rdf2native_int32(ldns_rr_rdf(soa, 2));
        soa_only = proto == DNS_PROTO_UDP || !serial_lt(theirs, zone_serial(z));
    } else if (proto == DNS_PROTO_UDP) {
        log_rl_warn("xfr: %s: AXFR is for TCP only (RFC 5936 4.2): REFUSED", who);
        n = error_answer(p, &ts, LDNS_RCODE_REFUSED, 0, resp, cap);
        goto done;
    }
    struct out o = {.q = q, .req = req};
    msg_begin(&o);
    if (soa_only) {
        put_rrset(&o, z->apex, z->apex_len, z->soa);
        msg_end(&o);
    } else
        put_zone(&o, z);
    if (o.failed || (ts.key && sign_stream(&ts, &o) != 0)) {
        log_err("xfr: %s: a record does not fit a message, or signing failed: SERVFAIL", who);
        free(o.buf);
        *rcode = LDNS_RCODE_SERVFAIL;
        n = error_answer(p, &ts, LDNS_RCODE_SERVFAIL, 0, resp, cap);
        goto done;
    }
    *rcode = LDNS_RCODE_NOERROR;
    size_t first = (size_t)(o.buf[0] << 8 | o.buf[1]);
    if (2 + first == o.len && first <= cap) {
        memcpy(resp, o.buf + 2, first); /* one message: as any answer */
        n = first;
        free(o.buf);
    } else if (v->stream) {
        v->stream->buf = o.buf;
        v->stream->len = o.len;
        n = o.len;
    } else {
        free(o.buf); /* cannot happen: UDP gets one SOA */
        n = 0;
    }
    if (!soa_only)
        log_info("xfr: %s: serial %u, %u message(s), %zu bytes%s (allowed by '%s')", who,
                 zone_serial(z), o.nmsg, o.len, ts.key ? ", TSIG-signed" : "", allow->text);
done:
    ldns_rdf_deep_free(ts.mac);
    ldns_pkt_free(p);
    return n;
}
