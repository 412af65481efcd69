/* answer.c: header, question (as the client wrote it), answer, authority,
 * additional, OPT. Owner names that end the question name are compressed
 * into it; everything else was prepared as wire bytes at load time. */
#include "config.h"
#include "dns/answer.h"

#include <string.h>

#include <ldns/ldns.h>

#define OPT_LEN 11

struct wbuf {
    uint8_t *p;
    size_t pos, limit;
    bool full;
};

__attribute__((always_inline)) static inline void
put(struct wbuf *w, const void *src, size_t n)
{
    if (w->limit - w->pos < n) {
        w->full = true; /* later, smaller writes may still fit: all are dropped then */
        return;
    }
    memcpy(w->p + w->pos, src, n);
    w->pos += n;
}

static inline void
put16(struct wbuf *w, uint16_t v)
{
    if (w->limit - w->pos < 2) {
        w->full = true;
        return;
    }
    w->p[w->pos] = (uint8_t)(v >> 8);
    w->p[w->pos + 1] = (uint8_t)v;
    w->pos += 2;
}

/* An owner name: a pointer into the question when it is a suffix of it.
 * The lookup hands out owners that point into q->lname where it can (the
 * question itself, the zone apex of a negative answer): no search then. */
__attribute__((always_inline)) static inline void
put_owner(struct wbuf *w, const struct dns_query *q, const uint8_t *name, size_t len)
{
    if (name >= q->lname && name < q->lname + q->qname_len &&
        name + len == q->lname + q->qname_len) {
        put16(w, (uint16_t)(0xC000 | (DNS_HEADER_LEN + (size_t)(name - q->lname))));
        return;
    }
    for (size_t i = 0; i < q->qname_len; i += (size_t)q->lname[i] + 1) {
        if (q->qname_len - i == len && memcmp(q->lname + i, name, len) == 0) {
            put16(w, (uint16_t)(0xC000 | (DNS_HEADER_LEN + i)));
            return;
        }
        if (q->lname[i] == 0)
            break;
    }
    put(w, name, len);
}

__attribute__((always_inline)) static inline unsigned
put_rrset(struct wbuf *w, const struct dns_query *q, const struct rr_ref *ref)
{
    const struct rrset *s = ref->rrset;
    if (ref->owner == q->lname) {
        put(w, s->rrs, s->rrs_len); /* prepared at load time, owner = the question */
        return s->count;
    }
    /* Another owner: each prepared record after its 2-byte owner pointer. */
    const uint8_t *rr = s->rrs;
    for (uint16_t i = 0; i < s->count; i++) {
        size_t rdlen = (size_t)(rr[10] << 8 | rr[11]);
        put_owner(w, q, ref->owner, ref->owner_len);
        put(w, rr + 2, rdlen + 10);
        rr += rdlen + 12;
    }
    return s->count;
}

__attribute__((always_inline)) static inline unsigned
put_section(struct wbuf *w, const struct dns_query *q, const struct rr_ref *refs, unsigned n)
{
    unsigned count = 0;
    for (unsigned i = 0; i < n; i++)
        count += put_rrset(w, q, &refs[i]);
    return count;
}

static void
set16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

size_t
dns_answer_build(const struct dns_query *q, const uint8_t *req, uint16_t rcode,
                 const struct lookup_result *r, uint8_t *out, size_t limit)
{
    struct wbuf w = {out, 0, limit, false};
    bool aa = r && r->aa;
    if (r && rcode == 0)
        rcode = r->rcode;

    /* Header and question: written straight, they always fit (limit >= 512). */
    size_t qlen = q->has_question ? q->question_len : 0;
    if (limit < DNS_HEADER_LEN + qlen + OPT_LEN + 8 + 16)
        return 0;
    out[0] = (uint8_t)(q->id >> 8);
    out[1] = (uint8_t)q->id;
    out[2] = (uint8_t)(0x80 | (q->flags1 & 0x79) | (aa ? 0x04 : 0)); /* QR, opcode, RD copied */
    out[3] = (uint8_t)((q->flags2 & 0x10) | (rcode & 0x0F));         /* CD copied */
    out[4] = 0;
    out[5] = q->has_question ? 1 : 0;
    memcpy(out + DNS_HEADER_LEN, req + DNS_HEADER_LEN, qlen);
    w.pos = DNS_HEADER_LEN + qlen;
    size_t after_question = w.pos;

    /* OPT goes last: 11 bytes, plus the ECS option echoed (RFC 7871 7.2.1). */
    size_t ecs_alen = q->ecs ? ((size_t)q->ecs_source + 7) / 8 : 0;
    size_t opt_len = q->edns ? OPT_LEN + (q->ecs ? 8 + ecs_alen : 0) : 0;
    unsigned an = 0, ns = 0, ar = 0;
    if (r) {
        w.limit = limit - opt_len;
        an = put_section(&w, q, r->an, r->nan);
        if (r->nns)
            ns = put_section(&w, q, r->ns, r->nns);
        if (r->nar)
            ar = put_section(&w, q, r->ar, r->nar);
        if (w.full) {
            /* RFC 2181 9: when it does not fit, say so and send nothing partial. */
            w.pos = after_question;
            an = ns = ar = 0;
            out[2] |= 0x02;
        }
    }
    if (q->edns) {
        /* Room was kept for it: written in place. */
        uint8_t *o = out + w.pos;
        o[0] = 0; /* root owner */
        set16(o + 1, LDNS_RR_TYPE_OPT);
        set16(o + 3, DNS_EDNS_UDP_MAX);
        o[5] = (uint8_t)(rcode >> 4); /* extended RCODE */
        o[6] = 0;                     /* version */
        o[7] = q->edns_do ? 0x80 : 0;
        o[8] = 0;
        set16(o + 9, 0); /* RDLENGTH */
        w.pos += OPT_LEN;
        if (q->ecs) {
            uint8_t *e = out + w.pos;
            set16(o + 9, (unsigned)(8 + ecs_alen));
            set16(e, 8); /* OPTION-CODE: ECS */
            set16(e + 2, (unsigned)(4 + ecs_alen));
            e[4] = 0;
            e[5] = q->ecs_family;
            e[6] = q->ecs_source;
            e[7] = r ? r->ecs_scope : 0;
            memcpy(e + 8, q->ecs_addr, ecs_alen);
            w.pos += 8 + ecs_alen;
        }
        ar++;
    }
    set16(out + 6, an);
    set16(out + 8, ns);
    set16(out + 10, ar);
    return w.pos;
}
