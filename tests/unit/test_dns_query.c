/* test_dns_query.c: dns_query_parse on golden packets written out byte by byte. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dns/query.h"

#define FORMERR 1
#define NOTIMP  4
#define BADVERS 16

/* www.Example.com A IN, ID 0x1234, RD. */
static const uint8_t q_a[] = {
    0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* header */
    3,    'w',  'w',  'w',  7,    'E',  'x',  'a',  'm',  'p',  'l',  'e',
    3,    'c',  'o',  'm',  0,    0x00, 0x01, /* A */
    0x00, 0x01,                               /* IN */
};

/* The same with an OPT: payload 4096, DO, version 0, a cookie option. */
static const uint8_t q_opt[] = {
    0xAB, 0xCD, 0x01, 0x10, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, /* header, AR=1, CD */
    3,    'w',  'w',  'w',  7,    'e',  'x',  'a',  'm',  'p',  'l',  'e',  3,
    'c',  'o',  'm',  0,    0x00, 0x1C,                                  /* AAAA */
    0x00, 0x01,                                                          /* IN */
    0x00,                                                                /* OPT: root owner */
    0x00, 0x29,                                                          /* type OPT */
    0x10, 0x00,                                                          /* payload 4096 */
    0x00,                                                                /* extended rcode */
    0x00,                                                                /* version */
    0x80, 0x00,                                                          /* DO */
    0x00, 0x0C,                                                          /* RDLENGTH 12 */
    0x00, 0x0A, 0x00, 0x08, 1,    2,    3,    4,    5,    6,    7,    8, /* COOKIE, client cookie
                                                                            only */
};

/* Offsets into q_opt. */
#define OPT_AT      (12 + 17 + 4)
#define OPT_UDP     (OPT_AT + 3)
#define OPT_VERSION (OPT_AT + 6)
#define OPT_RDLEN   (OPT_AT + 9)
#define OPT_OLEN    (OPT_AT + 13)

/* parse: parses an exact-size heap copy, so that ASan sees any overread. */
static int
parse(const uint8_t *pkt, size_t len, struct dns_query *q)
{
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    if (len)
        memcpy(copy, pkt, len);
    memset(q, 0xA5, sizeof *q);
    int rc = dns_query_parse(copy, len, q);
    free(copy);
    return rc;
}

/* A packet under construction. */
struct pkt {
    uint8_t b[1024];
    size_t len;
};

static void
pkt_put(struct pkt *p, const void *src, size_t n)
{
    assert_true(p->len + n <= sizeof p->b);
    memcpy(p->b + p->len, src, n);
    p->len += n;
}

static void
pkt_u8(struct pkt *p, uint8_t v)
{
    pkt_put(p, &v, 1);
}

static void
pkt_u16(struct pkt *p, uint16_t v)
{
    pkt_u8(p, (uint8_t)(v >> 8));
    pkt_u8(p, (uint8_t)v);
}

static void
pkt_header(struct pkt *p, uint16_t id, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns,
           uint16_t ar)
{
    p->len = 0;
    pkt_u16(p, id);
    pkt_u16(p, flags);
    pkt_u16(p, qd);
    pkt_u16(p, an);
    pkt_u16(p, ns);
    pkt_u16(p, ar);
}

/* pkt_labels: a name of n labels of the given lengths (filled with 'a'), then the root. */
static void
pkt_labels(struct pkt *p, const unsigned *lens, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        pkt_u8(p, (uint8_t)lens[i]);
        for (unsigned j = 0; j < lens[i]; j++)
            pkt_u8(p, 'a');
    }
    pkt_u8(p, 0);
}

static void
pkt_opt(struct pkt *p, uint16_t udp, uint8_t version, uint16_t flags, const uint8_t *rdata,
        uint16_t rdlen)
{
    pkt_u8(p, 0);
    pkt_u16(p, 41);
    pkt_u16(p, udp);
    pkt_u8(p, 0);
    pkt_u8(p, version);
    pkt_u16(p, flags);
    pkt_u16(p, rdlen);
    if (rdlen)
        pkt_put(p, rdata, rdlen);
}

static void
test_valid_a(void **state)
{
    (void)state;
    struct dns_query q;
    assert_int_equal(parse(q_a, sizeof q_a, &q), DNS_PARSE_OK);
    assert_int_equal(q.rcode, 0);
    assert_int_equal(q.id, 0x1234);
    assert_int_equal(q.flags1, 0x01);
    assert_int_equal(q.flags2, 0x00);
    assert_int_equal(q.opcode, 0);
    assert_true(q.has_question);
    assert_int_equal(q.qtype, 1);
    assert_int_equal(q.qclass, 1);
    assert_int_equal(q.qname_len, 17);
    assert_int_equal(q.question_len, 21);
    assert_false(q.edns);
    assert_false(q.edns_do);
}

static void
test_qname_lowercased(void **state)
{
    (void)state;
    struct dns_query q;
    static const uint8_t want[] = {3,   'w', 'w', 'w', 7,   'e', 'x', 'a', 'm',
                                   'p', 'l', 'e', 3,   'c', 'o', 'm', 0};
    assert_int_equal(parse(q_a, sizeof q_a, &q), DNS_PARSE_OK);
    assert_int_equal(q.qname_len, sizeof want);
    assert_memory_equal(q.lname, want, sizeof want);
    assert_int_equal(q.lhash, dname_hash(want, sizeof want));

    /* Only ASCII letters fold: bytes above 0x7F and '[' stay as they are. */
    uint8_t odd[] = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 4, 'A', 0xC1, '[', 'Z', 0, 0, 16, 0, 3};
    assert_int_equal(parse(odd, sizeof odd, &q), DNS_PARSE_OK);
    assert_int_equal(q.rcode, 0);
    static const uint8_t want_odd[] = {4, 'a', 0xC1, '[', 'z', 0};
    assert_memory_equal(q.lname, want_odd, sizeof want_odd);
    assert_int_equal(q.qtype, 16);
    assert_int_equal(q.qclass, 3);
}

/* The one-pass copy, lowercase and hash of the parser gives what the
 * separate steps give, for every length and alignment, and never writes
 * past the name. */
static void
test_copy_lower_hash(void **state)
{
    (void)state;
    uint8_t in[DNAME_MAXLEN + 8], out[DNAME_MAXLEN + 16], want[DNAME_MAXLEN];
    uint64_t x = 0x243F6A8885A308D3ull;
    for (size_t n = 1; n <= DNAME_MAXLEN; n++) {
        for (size_t at = 0; at < 8 && at + n <= sizeof in; at += 3) {
            for (size_t i = 0; i < n; i++) {
                x = x * 6364136223846793005ull + 1442695040888963407ull;
                in[at + i] = (uint8_t)(x >> 56);
                want[i] = dname_lower(in[at + i]);
            }
            memset(out, 0xEE, sizeof out);
            uint32_t h = dname_copy_lower_hash(out + 1, in + at, n);
            assert_memory_equal(out + 1, want, n);
            assert_int_equal(out[0], 0xEE);
            assert_int_equal(out[n + 1], 0xEE);
            assert_int_equal(h, dname_hash(want, n));
        }
    }
    /* The tail of a long name and of a short one hash as if zero-padded. */
    static const uint8_t a[] = {3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0};
    uint8_t pad[16] = {0};
    memcpy(pad, a + 8, sizeof a - 8);
    assert_int_equal(dname_tail(a, sizeof a, 8), dname_load(pad));
    assert_int_equal(dname_tail(a, 3, 0),
                     (uint64_t)a[0] | (uint64_t)a[1] << 8 | (uint64_t)a[2] << 16);
}

/* Word-at-a-time name comparison: equal names, and a difference in any one
 * byte of any length, are told apart. */
static void
test_dname_equal(void **state)
{
    (void)state;
    uint8_t a[DNAME_MAXLEN], b[DNAME_MAXLEN];
    for (size_t i = 0; i < sizeof a; i++)
        a[i] = b[i] = (uint8_t)(i * 7 + 1);
    for (size_t n = 0; n <= DNAME_MAXLEN; n++) {
        assert_true(dname_equal(a, b, n));
        for (size_t k = 0; k < n; k++) {
            b[k] ^= 0x20;
            assert_false(dname_equal(a, b, n));
            b[k] ^= 0x20;
        }
    }
}

static void
test_root_name(void **state)
{
    (void)state;
    struct dns_query q;
    uint8_t root[] = {0, 7, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1};
    assert_int_equal(parse(root, sizeof root, &q), DNS_PARSE_OK);
    assert_int_equal(q.rcode, 0);
    assert_int_equal(q.qname_len, 1);
    assert_int_equal(q.lname[0], 0);
    assert_int_equal(q.qtype, 2);
    assert_int_equal(q.question_len, 5);
}

static void
test_qtype_qclass(void **state)
{
    (void)state;
    struct dns_query q;
    uint8_t p[sizeof q_a];
    memcpy(p, q_a, sizeof p);
    p[sizeof p - 4] = 0x01; /* type 0x0106 */
    p[sizeof p - 3] = 0x06;
    p[sizeof p - 2] = 0x00; /* class CH */
    p[sizeof p - 1] = 0x03;
    assert_int_equal(parse(p, sizeof p, &q), DNS_PARSE_OK);
    assert_int_equal(q.rcode, 0); /* classes are the answering side's business */
    assert_int_equal(q.qtype, 0x0106);
    assert_int_equal(q.qclass, 3);
}

static void
test_opt(void **state)
{
    (void)state;
    struct dns_query q;
    assert_int_equal(parse(q_opt, sizeof q_opt, &q), DNS_PARSE_OK);
    assert_int_equal(q.rcode, 0);
    assert_int_equal(q.id, 0xABCD);
    assert_int_equal(q.flags2, 0x10);
    assert_int_equal(q.qtype, 28);
    assert_true(q.edns);
    assert_true(q.edns_do);
    assert_int_equal(q.edns_udp, 4096);
    assert_int_equal(q.edns_version, 0);
}

static void
test_opt_fields(void **state)
{
    (void)state;
    struct dns_query q;
    uint8_t p[sizeof q_opt];
    memcpy(p, q_opt, sizeof p);
    p[OPT_UDP] = 0x01; /* 300: below 512, kept as sent */
    p[OPT_UDP + 1] = 0x2C;
    p[OPT_AT + 7] = 0x00; /* DO clear, Z = 0x7FFF ignored */
    p[OPT_AT + 8] = 0x00;
    assert_int_equal(parse(p, sizeof p, &q), DNS_PARSE_OK);
    assert_int_equal(q.rcode, 0);
    assert_true(q.edns);
    assert_false(q.edns_do);
    assert_int_equal(q.edns_udp, 300);

    /* No options at all, and several unknown ones (ECS, padding): all fine. */
    struct pkt k;
    pkt_header(&k, 1, 0, 1, 0, 0, 1);
    pkt_put(&k, q_a + 12, sizeof q_a - 12);
    pkt_opt(&k, 1232, 0, 0x8000, NULL, 0);
    assert_int_equal(parse(k.b, k.len, &q), DNS_PARSE_OK);
    assert_int_equal(q.rcode, 0);
    assert_true(q.edns);
    assert_true(q.edns_do);
    assert_int_equal(q.edns_udp, 1232);

    static const uint8_t opts[] = {
        0x00, 0x08, 0x00, 0x07, 0x00, 0x01, 24, 0, 192, 0, 2, /* ECS 192.0.2.0/24 */
        0x00, 0x0C, 0x00, 0x00,                               /* PADDING, empty */
        0xFD, 0xE9, 0x00, 0x02, 0xAA, 0xBB,                   /* a local option */
    };
    pkt_header(&k, 1, 0, 1, 0, 0, 1);
    pkt_put(&k, q_a + 12, sizeof q_a - 12);
    pkt_opt(&k, 512, 0, 0, opts, sizeof opts);
    assert_int_equal(parse(k.b, k.len, &q), DNS_PARSE_OK);
    assert_int_equal(q.rcode, 0);
    assert_true(q.edns);
}

/* NSID (RFC 5001 2.3): an empty option asks for it; one with data (what a
 * server sends) is ignored, not an error; with ECS around it, both count. */
/* COOKIE (RFC 7873 4, 5.2.2): 8 bytes, or 16 to 40; once. Anything else
 * is FORMERR, and the OPT is kept for the answer. */
static void
test_cookie(void **state)
{
    (void)state;
    struct dns_query q;
    struct pkt k;
    uint8_t opt[4 + 64 + 4 + 8];
    for (unsigned len = 0; len <= 64; len++) {
        opt[0] = 0x00;
        opt[1] = 0x0A;
        opt[2] = 0x00;
        opt[3] = (uint8_t)len;
        for (unsigned i = 0; i < len; i++)
            opt[4 + i] = (uint8_t)(i + 1);
        pkt_header(&k, 1, 0, 1, 0, 0, 1);
        pkt_put(&k, q_a + 12, sizeof q_a - 12);
        pkt_opt(&k, 1232, 0, 0, opt, (uint16_t)(4 + len));
        assert_int_equal(parse(k.b, k.len, &q), DNS_PARSE_OK);
        bool ok = len == 8 || (len >= 16 && len <= 40);
        assert_int_equal(q.rcode, ok ? 0 : FORMERR);
        assert_true(q.edns); /* FORMERR with an OPT */
        assert_int_equal(q.edns_udp, 1232);
        assert_false(q.cookie_valid); /* only the cookie step says so */
        assert_int_equal(q.cookie_len, ok ? len : 0);
        if (ok)
            assert_memory_equal(q.cookie, opt + 4, len);
    }

    /* Two of them: FORMERR, even when each is well formed. */
    static const uint8_t two[] = {
        0x00, 0x0A, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8,
        0x00, 0x0A, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8,
    };
    pkt_header(&k, 1, 0, 1, 0, 0, 1);
    pkt_put(&k, q_a + 12, sizeof q_a - 12);
    pkt_opt(&k, 1232, 0, 0, two, sizeof two);
    assert_int_equal(parse(k.b, k.len, &q), DNS_PARSE_OK);
    assert_int_equal(q.rcode, FORMERR);
    assert_true(q.edns);
    assert_int_equal(q.cookie_len, 0);

    /* A malformed cookie and an option overrunning the OPT: the record is
     * broken, FORMERR without an OPT as before. */
    static const uint8_t overrun[] = {0x00, 0x0A, 0x00, 0x05, 1,    2,   3,
                                      4,    5,    0x00, 0x03, 0x00, 0x09};
    pkt_header(&k, 1, 0, 1, 0, 0, 1);
    pkt_put(&k, q_a + 12, sizeof q_a - 12);
    pkt_opt(&k, 1232, 0, 0, overrun, sizeof overrun);
    assert_int_equal(parse(k.b, k.len, &q), DNS_PARSE_OK);
    assert_int_equal(q.rcode, FORMERR);
    assert_false(q.edns);
    assert_int_equal(q.cookie_len, 0);

    /* Without an OPT, and with one without a cookie: none. */
    assert_int_equal(parse(q_a, sizeof q_a, &q), DNS_PARSE_OK);
    assert_int_equal(q.cookie_len, 0);
    assert_false(q.cookie_valid);
}

static void
test_nsid(void **state)
{
    (void)state;
    struct dns_query q;
    struct pkt k;

    static const uint8_t empty[] = {0x00, 0x03, 0x00, 0x00};
    pkt_header(&k, 1, 0, 1, 0, 0, 1);
    pkt_put(&k, q_a + 12, sizeof q_a - 12);
    pkt_opt(&k, 1232, 0, 0, empty, sizeof empty);
    assert_int_equal(parse(k.b, k.len, &q), DNS_PARSE_OK);
    assert_int_equal(q.rcode, 0);
    assert_true(q.edns);
    assert_true(q.nsid);
    assert_false(q.ecs);

    static const uint8_t data[] = {0x00, 0x03, 0x00, 0x03, 'n', 's', '1'};
    pkt_header(&k, 1, 0, 1, 0, 0, 1);
    pkt_put(&k, q_a + 12, sizeof q_a - 12);
    pkt_opt(&k, 1232, 0, 0, data, sizeof data);
    assert_int_equal(parse(k.b, k.len, &q), DNS_PARSE_OK);
    assert_int_equal(q.rcode, 0);
    assert_true(q.edns);
    assert_false(q.nsid);

    static const uint8_t with_ecs[] = {
        0x00, 0x08, 0x00, 0x07, 0x00, 0x01, 24, 0, 192, 0, 2,    /* ECS 192.0.2.0/24 */
        0x00, 0x03, 0x00, 0x00,                                  /* NSID */
        0x00, 0x0A, 0x00, 0x08, 1,    2,    3,  4, 5,   6, 7, 8, /* COOKIE */
    };
    pkt_header(&k, 1, 0, 1, 0, 0, 1);
    pkt_put(&k, q_a + 12, sizeof q_a - 12);
    pkt_opt(&k, 1232, 0, 0, with_ecs, sizeof with_ecs);
    assert_int_equal(parse(k.b, k.len, &q), DNS_PARSE_OK);
    assert_int_equal(q.rcode, 0);
    assert_true(q.nsid);
    assert_true(q.ecs);
    assert_int_equal(q.ecs_family, 1);
    assert_int_equal(q.ecs_source, 24);

    /* Reused for a query without it (the worker keeps one struct): cleared. */
    assert_int_equal(dns_query_parse(q_opt, sizeof q_opt, &q), DNS_PARSE_OK);
    assert_false(q.nsid);
    assert_int_equal(dns_query_parse(k.b, k.len, &q), DNS_PARSE_OK);
    assert_true(q.nsid);
    assert_int_equal(dns_query_parse(q_a, sizeof q_a, &q), DNS_PARSE_OK);
    assert_false(q.nsid);

    /* An NSID option whose length runs past the RDATA: FORMERR, no NSID. */
    static const uint8_t over[] = {0x00, 0x03, 0x00, 0x05, 'x'};
    pkt_header(&k, 1, 0, 1, 0, 0, 1);
    pkt_put(&k, q_a + 12, sizeof q_a - 12);
    pkt_opt(&k, 1232, 0, 0, over, sizeof over);
    assert_int_equal(parse(k.b, k.len, &q), DNS_PARSE_OK);
    assert_int_equal(q.rcode, FORMERR);
    assert_false(q.edns);
    assert_false(q.nsid);
}

static void
test_truncated_everywhere(void **state)
{
    (void)state;
    struct dns_query q;
    for (size_t len = 0; len < sizeof q_opt; len++) {
        int rc = parse(q_opt, len, &q);
        if (len < DNS_HEADER_LEN) {
            assert_int_equal(rc, DNS_PARSE_DROP);
            continue;
        }
        assert_int_equal(rc, DNS_PARSE_OK);
        assert_int_equal(q.rcode, FORMERR);
        assert_false(q.edns);
        /* The question is echoed only when it is there whole. */
        assert_int_equal(q.has_question, len >= 12 + 21);
    }
    for (size_t len = 0; len < sizeof q_a; len++) {
        int rc = parse(q_a, len, &q);
        assert_int_equal(rc, len < DNS_HEADER_LEN ? DNS_PARSE_DROP : DNS_PARSE_OK);
        if (rc == DNS_PARSE_OK) {
            assert_int_equal(q.rcode, FORMERR);
            assert_false(q.has_question);
        }
    }
}

static void
test_drop(void **state)
{
    (void)state;
    struct dns_query q;
    uint8_t p[sizeof q_a];
    memcpy(p, q_a, sizeof p);
    p[2] |= 0x80; /* QR: a response */
    assert_int_equal(parse(p, sizeof p, &q), DNS_PARSE_DROP);
    assert_int_equal(parse(q_a, 11, &q), DNS_PARSE_DROP);
    assert_int_equal(parse(q_a, 0, &q), DNS_PARSE_DROP);
    /* A bare header is answerable (FORMERR: no question). */
    assert_int_equal(parse(q_a, 12, &q), DNS_PARSE_OK);
    assert_int_equal(q.rcode, FORMERR);
}

static void
test_counts_formerr(void **state)
{
    (void)state;
    static const struct {
        uint16_t qd, an, ns, ar;
    } cases[] = {{0, 0, 0, 0}, {2, 0, 0, 0}, {1, 1, 0, 0}, {1, 0, 1, 0}, {1, 0, 0, 2}};
    struct dns_query q;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pkt k;
        pkt_header(&k, 7, 0x0100, cases[i].qd, cases[i].an, cases[i].ns, cases[i].ar);
        pkt_put(&k, q_a + 12, sizeof q_a - 12);
        assert_int_equal(parse(k.b, k.len, &q), DNS_PARSE_OK);
        assert_int_equal(q.rcode, FORMERR);
        assert_int_equal(q.id, 7);
    }
    /* QDCOUNT 2 with two whole questions is still FORMERR. */
    struct pkt k;
    pkt_header(&k, 7, 0, 2, 0, 0, 0);
    pkt_put(&k, q_a + 12, sizeof q_a - 12);
    pkt_put(&k, q_a + 12, sizeof q_a - 12);
    assert_int_equal(parse(k.b, k.len, &q), DNS_PARSE_OK);
    assert_int_equal(q.rcode, FORMERR);
}

static void
test_compression_in_qname(void **state)
{
    (void)state;
    struct dns_query q;
    /* "www" + a pointer to offset 12. */
    uint8_t p[] = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 'w', 'w', 'w', 0xC0, 12, 0, 1, 0, 1};
    assert_int_equal(parse(p, sizeof p, &q), DNS_PARSE_OK);
    assert_int_equal(q.rcode, FORMERR);
    assert_false(q.has_question);
    /* Extended label types 0x40 and 0x80 are not labels either. */
    p[16] = 0x41;
    assert_int_equal(parse(p, sizeof p, &q), DNS_PARSE_OK);
    assert_int_equal(q.rcode, FORMERR);
    p[16] = 0x80;
    assert_int_equal(parse(p, sizeof p, &q), DNS_PARSE_OK);
    assert_int_equal(q.rcode, FORMERR);
}

static void
test_label_and_name_length(void **state)
{
    (void)state;
    struct dns_query q;
    struct pkt k;

    static const unsigned l63[] = {63, 3};
    pkt_header(&k, 1, 0, 1, 0, 0, 0);
    pkt_labels(&k, l63, 2);
    pkt_u16(&k, 1);
    pkt_u16(&k, 1);
    assert_int_equal(parse(k.b, k.len, &q), DNS_PARSE_OK);
    assert_int_equal(q.rcode, 0);

    static const unsigned l64[] = {64, 3};
    pkt_header(&k, 1, 0, 1, 0, 0, 0);
    pkt_labels(&k, l64, 2);
    pkt_u16(&k, 1);
    pkt_u16(&k, 1);
    assert_int_equal(parse(k.b, k.len, &q), DNS_PARSE_OK);
    assert_int_equal(q.rcode, FORMERR);

    /* 3 x (1 + 63) + (1 + 62) + 1 = 256 bytes: one too many. */
    static const unsigned l256[] = {63, 63, 63, 62};
    pkt_header(&k, 1, 0, 1, 0, 0, 0);
    pkt_labels(&k, l256, 4);
    pkt_u16(&k, 1);
    pkt_u16(&k, 1);
    assert_int_equal(parse(k.b, k.len, &q), DNS_PARSE_OK);
    assert_int_equal(q.rcode, FORMERR);

    /* 255 bytes is the longest name there is. */
    static const unsigned l255[] = {63, 63, 63, 61};
    pkt_header(&k, 1, 0, 1, 0, 0, 0);
    pkt_labels(&k, l255, 4);
    pkt_u16(&k, 1);
    pkt_u16(&k, 1);
    assert_int_equal(parse(k.b, k.len, &q), DNS_PARSE_OK);
    assert_int_equal(q.rcode, 0);
    assert_int_equal(q.qname_len, 255);
    assert_int_equal(q.question_len, 259);

    /* 128 one-byte labels: 257 bytes. */
    unsigned many[128];
    for (size_t i = 0; i < 128; i++)
        many[i] = 1;
    pkt_header(&k, 1, 0, 1, 0, 0, 0);
    pkt_labels(&k, many, 128);
    pkt_u16(&k, 1);
    pkt_u16(&k, 1);
    assert_int_equal(parse(k.b, k.len, &q), DNS_PARSE_OK);
    assert_int_equal(q.rcode, FORMERR);
}

static void
test_non_opt_additional(void **state)
{
    (void)state;
    struct dns_query q;
    struct pkt k;
    pkt_header(&k, 1, 0, 1, 0, 0, 1);
    pkt_put(&k, q_a + 12, sizeof q_a - 12);
    /* . A IN 0 192.0.2.1 */
    static const uint8_t a_rr[] = {0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 192, 0, 2, 1};
    pkt_put(&k, a_rr, sizeof a_rr);
    assert_int_equal(parse(k.b, k.len, &q), DNS_PARSE_OK);
    assert_int_equal(q.rcode, FORMERR);
    assert_false(q.edns);
    assert_true(q.has_question);
}

static void
test_opt_owner_not_root(void **state)
{
    (void)state;
    struct dns_query q;
    struct pkt k;
    static const uint8_t owners[][4] = {
        {1, 'a', 0, 0},    /* "a." */
        {0xC0, 12, 0, 0},  /* a pointer to the question name */
        {0xC0, 200, 0, 0}, /* a pointer to nowhere */
    };
    static const size_t owner_len[] = {3, 2, 2};
    for (size_t i = 0; i < 3; i++) {
        pkt_header(&k, 1, 0, 1, 0, 0, 1);
        pkt_put(&k, q_a + 12, sizeof q_a - 12);
        pkt_put(&k, owners[i], owner_len[i]);
        pkt_u16(&k, 41);
        pkt_u16(&k, 1232);
        pkt_u16(&k, 0);
        pkt_u16(&k, 0);
        pkt_u16(&k, 0);
        assert_int_equal(parse(k.b, k.len, &q), DNS_PARSE_OK);
        assert_int_equal(q.rcode, FORMERR);
        assert_false(q.edns);
    }
}

static void
test_opt_option_overrun(void **state)
{
    (void)state;
    struct dns_query q;
    uint8_t p[sizeof q_opt];

    /* The option says 9 bytes, the RDATA holds 8 after its header. */
    memcpy(p, q_opt, sizeof p);
    p[OPT_OLEN] = 9;
    assert_int_equal(parse(p, sizeof p, &q), DNS_PARSE_OK);
    assert_int_equal(q.rcode, FORMERR);
    assert_false(q.edns);

    /* RDLENGTH past the end of the packet. */
    memcpy(p, q_opt, sizeof p);
    p[OPT_RDLEN] = 13;
    assert_int_equal(parse(p, sizeof p, &q), DNS_PARSE_OK);
    assert_int_equal(q.rcode, FORMERR);

    /* RDLENGTH short of the option header: 2 bytes of a 4-byte header. */
    struct pkt k;
    static const uint8_t half[] = {0x00, 0x0A};
    pkt_header(&k, 1, 0, 1, 0, 0, 1);
    pkt_put(&k, q_a + 12, sizeof q_a - 12);
    pkt_opt(&k, 1232, 0, 0, half, sizeof half);
    assert_int_equal(parse(k.b, k.len, &q), DNS_PARSE_OK);
    assert_int_equal(q.rcode, FORMERR);

    /* RDLENGTH smaller than the options: the rest is trailing garbage. */
    memcpy(p, q_opt, sizeof p);
    p[OPT_RDLEN] = 4;
    assert_int_equal(parse(p, sizeof p, &q), DNS_PARSE_OK);
    assert_int_equal(q.rcode, FORMERR);
}

static void
test_trailing_garbage(void **state)
{
    (void)state;
    struct dns_query q;
    uint8_t p[sizeof q_a + 1];
    memcpy(p, q_a, sizeof q_a);
    p[sizeof q_a] = 0;
    assert_int_equal(parse(p, sizeof p, &q), DNS_PARSE_OK);
    assert_int_equal(q.rcode, FORMERR);
    assert_true(q.has_question);

    uint8_t o[sizeof q_opt + 3];
    memcpy(o, q_opt, sizeof q_opt);
    memset(o + sizeof q_opt, 0xFF, 3);
    assert_int_equal(parse(o, sizeof o, &q), DNS_PARSE_OK);
    assert_int_equal(q.rcode, FORMERR);
}

static void
test_notify_notimp(void **state)
{
    (void)state;
    struct dns_query q;
    uint8_t p[sizeof q_a];
    memcpy(p, q_a, sizeof p);
    p[2] = 4 << 3; /* opcode NOTIFY, AA clear */
    assert_int_equal(parse(p, sizeof p, &q), DNS_PARSE_OK);
    assert_int_equal(q.opcode, 4);
    assert_int_equal(q.rcode, NOTIMP);
    assert_true(q.has_question);
    assert_int_equal(q.question_len, 21);
    assert_int_equal(q.qtype, 1);

    /* Opcode 2 (STATUS) and 15 too, even with counts a QUERY may not have. */
    struct pkt k;
    pkt_header(&k, 9, 15 << 11, 1, 3, 0, 0);
    pkt_put(&k, q_a + 12, sizeof q_a - 12);
    assert_int_equal(parse(k.b, k.len, &q), DNS_PARSE_OK);
    assert_int_equal(q.opcode, 15);
    assert_int_equal(q.rcode, NOTIMP);
    pkt_header(&k, 9, 2 << 11, 0, 0, 0, 0);
    assert_int_equal(parse(k.b, k.len, &q), DNS_PARSE_OK);
    assert_int_equal(q.rcode, NOTIMP);
    assert_false(q.has_question);
}

static void
test_edns_version(void **state)
{
    (void)state;
    struct dns_query q;
    uint8_t p[sizeof q_opt];
    memcpy(p, q_opt, sizeof p);
    p[OPT_VERSION] = 1;
    assert_int_equal(parse(p, sizeof p, &q), DNS_PARSE_OK);
    assert_int_equal(q.rcode, BADVERS);
    assert_true(q.edns);
    assert_int_equal(q.edns_version, 1);
    assert_true(q.has_question);
    p[OPT_VERSION] = 255;
    assert_int_equal(parse(p, sizeof p, &q), DNS_PARSE_OK);
    assert_int_equal(q.rcode, BADVERS);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_a),
        cmocka_unit_test(test_qname_lowercased),
        cmocka_unit_test(test_copy_lower_hash),
        cmocka_unit_test(test_dname_equal),
        cmocka_unit_test(test_root_name),
        cmocka_unit_test(test_qtype_qclass),
        cmocka_unit_test(test_opt),
        cmocka_unit_test(test_opt_fields),
        cmocka_unit_test(test_nsid),
        cmocka_unit_test(test_cookie),
        cmocka_unit_test(test_truncated_everywhere),
        cmocka_unit_test(test_drop),
        cmocka_unit_test(test_counts_formerr),
        cmocka_unit_test(test_compression_in_qname),
        cmocka_unit_test(test_label_and_name_length),
        cmocka_unit_test(test_non_opt_additional),
        cmocka_unit_test(test_opt_owner_not_root),
        cmocka_unit_test(test_opt_option_overrun),
        cmocka_unit_test(test_trailing_garbage),
        cmocka_unit_test(test_notify_notimp),
        cmocka_unit_test(test_edns_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
