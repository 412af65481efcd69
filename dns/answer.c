/* answer.c: header, question (as the client wrote it), answer, authority,
 * additional, OPT. Owner names that end the question name are compressed
 * into it; everything else was prepared as wire bytes at load time. */
#include "config.h"
#include "dns/answer.h"

#include <endian.h>
#include <string.h>

#include <ldns/ldns.h>

#include "gtm/snapshot.h"

#define OPT_LEN         11
#define EDNS_OPT_NSID   3
#define EDNS_OPT_COOKIE 10

/* The sections being written: out[pos..limit). A write that does not fit
 * sets full and is skipped; when full, every section is dropped. */
struct wbuf {
    uint8_t *p;
    size_t pos, limit;
    bool full;
};

static inline void
put(struct wbuf *w, const void *src, size_t n)
{
    if (w->limit - w->pos < n) {
        w->full = true;
        return;
    }
    memcpy(w->p + w->pos, src, n);
    w->pos += n;
}

static inline void
put16(struct wbuf *w, unsigned v)
{
    if (w->limit - w->pos < 2) {
        w->full = true;
        return;
    }
    w->p[w->pos] = (uint8_t)(v >> 8);
    w->p[w->pos + 1] = (uint8_t)v;
    w->pos += 2;
}

static inline void
set16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* An owner name: a pointer into the question when it is a suffix of it.
 * The lookup hands out owners that point into q->lname where it can (the
 * zone apex of a negative answer): no search then. */
__attribute__((always_inline)) static inline void
put_owner(struct wbuf *w, const struct dns_query *q, const uint8_t *name, size_t len)
{
    const uint8_t *end = q->lname + q->qname_len;
    if (name >= q->lname && name < end && name + len == end) {
        put16(w, 0xC000 | (DNS_HEADER_LEN + (unsigned)(name - q->lname)));
        return;
    }
    for (size_t i = 0; i < q->qname_len; i += (size_t)q->lname[i] + 1) {
        if (q->qname_len - i == len && memcmp(q->lname + i, name, len) == 0) {
            put16(w, 0xC000 | (DNS_HEADER_LEN + (unsigned)i));
            return;
        }
        if (q->lname[i] == 0)
            break;
    }
    put(w, name, len);
}

/* An RRset under an owner other than the question: each record prepared at
 * load time, after its 2-byte owner pointer, behind the owner written here. */
__attribute__((always_inline)) static inline void
put_renamed(struct wbuf *w, const struct dns_query *q, const struct rr_ref *ref)
{
    const uint8_t *rr = ref->rrset->rrs;
    for (uint16_t i = 0; i < ref->rrset->count; i++) {
        size_t rdlen = (size_t)(rr[10] << 8 | rr[11]);
        put_owner(w, q, ref->owner, ref->owner_len);
        put(w, rr + 2, rdlen + 10);
        rr += rdlen + 12;
    }
}

/* One RRset under its owner. */
__attribute__((always_inline)) static inline void
put_rrset(struct wbuf *w, const struct dns_query *q, const struct rr_ref *ref)
{
    if (ref->owner == q->lname)
        put(w, ref->rrset->rrs, ref->rrset->rrs_len); /* prepared: owner = the question */
    else
        put_renamed(w, q, ref);
}

/* The RRsets of one section, each followed by its RRSIGs when the query
 * has DO and the RRset was signed at load time (RFC 4035 3.1.1); returns
 * the number of records. */
__attribute__((always_inline)) static inline unsigned
put_section(struct wbuf *w, const struct dns_query *q, const struct rr_ref *refs, unsigned n,
            const struct plan *r)
{
    unsigned count = 0;
    for (unsigned i = 0; i < n; i++) {
        const struct rrset *s = refs[i].rrset;
        put_rrset(w, q, &refs[i]);
        count += s->count;
        if (__builtin_expect(q->edns_do && s->rrsig != NULL, 0)) {
            /* r: the answer section, whose RRsets may have other signatures */
            /* (NULL there: signed with another of them, as one RRset) */
            const struct rrset *rs = r && (r->an_sig_mask >> i & 1) ? r->an_sig[i] : s->rrsig;
            if (rs) {
                struct rr_ref sig = {refs[i].owner, refs[i].owner_len, rs};
                put_rrset(w, q, &sig);
                count += rs->count;
            }
        }
    }
    return count;
}

/* OPT (RFC 6891 6.1.2) at o, with the ECS option echoed (RFC 7871 7.2.1)
 * when the query had one, the NSID (RFC 5001 2.3) when nsid_len is not 0,
 * and the COOKIE the cookie step left in q (RFC 7873 5.2); returns its
 * length. */
__attribute__((always_inline)) static inline size_t
put_opt(uint8_t *o, const struct dns_query *q, uint16_t rcode, uint8_t scope, const uint8_t *nsid,
        size_t nsid_len)
{
    o[0] = 0; /* root owner */
    set16(o + 1, LDNS_RR_TYPE_OPT);
    set16(o + 3, DNS_EDNS_UDP_MAX);
    o[5] = (uint8_t)(rcode >> 4); /* extended RCODE */
    o[6] = 0;                     /* version */
    o[7] = q->edns_do ? 0x80 : 0;
    o[8] = 0;
    uint8_t *e = o + OPT_LEN;
    if (q->ecs) {
        size_t ecs_alen = ((size_t)q->ecs_source + 7) / 8;
        set16(e, 8); /* OPTION-CODE: ECS */
        set16(e + 2, (unsigned)(4 + ecs_alen));
        e[4] = 0;
        e[5] = q->ecs_family;
        e[6] = q->ecs_source;
        e[7] = scope;
        memcpy(e + 8, q->ecs_addr, ecs_alen);
        e += 8 + ecs_alen;
    }
    if (nsid_len) {
        set16(e, EDNS_OPT_NSID);
        set16(e + 2, (unsigned)nsid_len);
        memcpy(e + 4, nsid, nsid_len);
        e += 4 + nsid_len;
    }
    if (__builtin_expect(q->cookie_len != 0, 0)) {
        set16(e, EDNS_OPT_COOKIE);
        set16(e + 2, q->cookie_len);
        memcpy(e + 4, q->cookie, q->cookie_len);
        e += 4 + (size_t)q->cookie_len;
    }
    set16(o + 9, (unsigned)(e - (o + OPT_LEN)));
    return (size_t)(e - o);
}

/* Room for OPT, which goes last: 11 bytes, the ECS option, the NSID
 * option when asked for and this node has one (its length in *nsid_len),
 * and the COOKIE; 0 without EDNS. Exactly what put_opt writes. */
__attribute__((always_inline)) static inline size_t
opt_size(const struct dns_query *q, const struct gtm_snapshot *snap, size_t *nsid_len)
{
    size_t opt_room = 0;
    *nsid_len = 0;
    if (q->edns) {
        opt_room = OPT_LEN + (q->ecs ? 8 + ((size_t)q->ecs_source + 7) / 8 : 0);
        if (__builtin_expect(q->nsid, 0) && snap && snap->nsid_len) {
            *nsid_len = snap->nsid_len;
            opt_room += 4 + *nsid_len;
        }
        if (__builtin_expect(q->cookie_len != 0, 0))
            opt_room += 4 + (size_t)q->cookie_len;
    }
    return opt_room;
}

/* The response: r NULL for one that carries only rcode. The two entry
 * points below take six arguments, all in registers. */
__attribute__((always_inline)) static inline size_t
build(const struct dns_query *q, const uint8_t *req, uint16_t rcode, const struct plan *r,
      const struct gtm_snapshot *snap, uint8_t *out, size_t limit)
{
    size_t nsid_len;
    size_t opt_room = opt_size(q, snap, &nsid_len);
    /* Header and question: written straight, they always fit (limit >= 512). */
    size_t qlen = q->has_question ? q->question_len : 0;
    if (limit < DNS_HEADER_LEN + qlen + opt_room)
        return 0;
    memcpy(out + DNS_HEADER_LEN, req + DNS_HEADER_LEN, qlen);
    size_t pos = DNS_HEADER_LEN + qlen;

    unsigned an = 0, ns = 0, ar = 0;
    bool aa = false, tc = false;
    if (r) {
        if (rcode == 0)
            rcode = r->rcode;
        aa = r->aa;
        struct wbuf w = {out, pos, limit - opt_room, false};
        an = put_section(&w, q, r->an, r->nan, r);
        if (r->nns)
            ns = put_section(&w, q, r->ns, r->nns, NULL);
        if (r->nar)
            ar = put_section(&w, q, r->ar, r->nar, NULL);
        if (w.full) /* RFC 2181 9: when it does not fit, say so and send nothing partial. */
            an = ns = ar = 0, tc = true;
        else
            pos = w.pos;
    }
    if (q->edns) {
        pos += put_opt(out + pos, q, rcode, r ? r->ecs_scope : 0, nsid_len ? snap->nsid : NULL,
                       nsid_len);
        ar++;
    }
    set16(out, q->id);
    out[2] = (uint8_t)(0x80 | (q->flags1 & 0x79) | (aa ? 0x04 : 0) |
                       (tc ? 0x02 : 0));                     /* QR, opcode, RD copied */
    out[3] = (uint8_t)((q->flags2 & 0x10) | (rcode & 0x0F)); /* CD copied */
    /* QDCOUNT, ANCOUNT, NSCOUNT, ARCOUNT: one big-endian store. */
    uint64_t counts =
        htobe64((uint64_t)(q->has_question ? 1 : 0) << 48 | (uint64_t)(uint16_t)an << 32 |
                (uint64_t)(uint16_t)ns << 16 | (uint16_t)ar);
    memcpy(out + 4, &counts, sizeof counts);
    return pos;
}

size_t
dns_answer_build(const struct dns_query *q, const uint8_t *req, const struct plan *r,
                 const struct gtm_snapshot *snap, uint8_t *out, size_t limit)
{
    return build(q, req, 0, r, snap, out, limit);
}

size_t
dns_answer_error(const struct dns_query *q, const uint8_t *req, uint16_t rcode,
                 const struct gtm_snapshot *snap, uint8_t *out, size_t limit)
{
    return build(q, req, rcode, NULL, snap, out, limit);
}

size_t
dns_answer_truncate(const struct dns_query *q, const struct gtm_snapshot *snap, uint8_t *resp,
                    size_t len)
{
    size_t nsid_len;
    size_t opt = opt_size(q, snap, &nsid_len);
    size_t keep = DNS_HEADER_LEN + (q->has_question ? q->question_len : 0);
    if (len < keep + opt)
        return 0;
    const uint8_t *o = resp + len - opt;
    /* The OPT that build wrote last: the root, type OPT, its length. */
    if (opt && (o[0] != 0 || o[1] != 0 || o[2] != LDNS_RR_TYPE_OPT ||
                (size_t)(o[9] << 8 | o[10]) != opt - OPT_LEN))
        return 0;
    memmove(resp + keep, o, opt);
    if (nsid_len) {
        /* no NSID in a slip: it would be larger than the query (only the
         * server cookie, 16 bytes, may make it so) */
        uint8_t *n = resp + keep + OPT_LEN + (q->ecs ? 8 + ((size_t)q->ecs_source + 7) / 8 : 0);
        size_t cut = 4 + nsid_len, after = (size_t)(resp + keep + opt - (n + cut));
        memmove(n, n + cut, after);
        opt -= cut;
        set16(resp + keep + 9, (unsigned)(opt - OPT_LEN));
    }
    resp[2] |= 0x02; /* TC */
    uint64_t counts = htobe64((uint64_t)(q->has_question ? 1 : 0) << 48 | (opt ? 1 : 0));
    memcpy(resp + 4, &counts, sizeof counts);
    return keep + opt;
}
