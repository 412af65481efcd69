/* test_dns_rrl.c: response rate limiting (dns/rrl.c) under a fake clock:
 * a bucket of one second's worth, its continuous refill, the slip count
 * (every Nth drop, 0 never, 1 always), classes and names kept apart, the
 * /24 and /56 networks, the end of a limit, the counters; and the class
 * and imputed name of a response. (TCP and a valid server cookie are
 * exempt before the limiter is asked: tests/system/test_rrl.py.) */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "dns/query.h"
#include "dns/rrl.h"
#include "gtm/dname.h"

static const uint8_t KEY[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

static struct sockaddr_storage
v4(const char *text)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *s = (struct sockaddr_in *)&ss;
    s->sin_family = AF_INET;
    assert_int_equal(inet_pton(AF_INET, text, &s->sin_addr), 1);
    return ss;
}

static struct sockaddr_storage
v6(const char *text)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;
    s->sin6_family = AF_INET6;
    assert_int_equal(inet_pton(AF_INET6, text, &s->sin6_addr), 1);
    return ss;
}

#define SA(ss) ((const struct sockaddr *)&(ss))

/* n responses of (sa, cls, name) at now: how many of each action. */
static void
send_n(struct dns_rrl *r, const struct sockaddr *sa, enum dns_rrl_class cls, uint32_t name,
       uint32_t now, unsigned n, unsigned out[3])
{
    out[0] = out[1] = out[2] = 0;
    for (unsigned i = 0; i < n; i++)
        out[dns_rrl_account(r, sa, cls, name, now)]++;
}

static uint64_t
count(struct dns_rrl *r, enum dns_rrl_count c)
{
    return atomic_load(&r->count[c]);
}

static void
test_bucket_and_slip(void **state)
{
    (void)state;
    struct dns_rrl r;
    assert_int_equal(dns_rrl_init(&r, 10, 2, 1024, KEY), 0);
    struct sockaddr_storage a = v4("192.0.2.1");
    unsigned n[3];
    /* A full bucket: one second's worth, then every other drop slips. */
    send_n(&r, SA(a), DNS_RRL_POSITIVE, 7, 5000, 10, n);
    assert_int_equal(n[DNS_RRL_PASS], 10);
    assert_int_equal(dns_rrl_account(&r, SA(a), DNS_RRL_POSITIVE, 7, 5000), DNS_RRL_DROP);
    assert_int_equal(dns_rrl_account(&r, SA(a), DNS_RRL_POSITIVE, 7, 5000), DNS_RRL_SLIP);
    assert_int_equal(dns_rrl_account(&r, SA(a), DNS_RRL_POSITIVE, 7, 5000), DNS_RRL_DROP);
    assert_int_equal(dns_rrl_account(&r, SA(a), DNS_RRL_POSITIVE, 7, 5000), DNS_RRL_SLIP);
    assert_int_equal(count(&r, DNS_RRL_DROPPED), 2);
    assert_int_equal(count(&r, DNS_RRL_SLIPPED), 2);
    assert_int_equal(count(&r, DNS_RRL_LIMITED), 1);
    /* Continuous refill: 10 a second is one per 100 ms. */
    assert_int_equal(dns_rrl_account(&r, SA(a), DNS_RRL_POSITIVE, 7, 5099), DNS_RRL_DROP);
    assert_int_equal(dns_rrl_account(&r, SA(a), DNS_RRL_POSITIVE, 7, 5100), DNS_RRL_PASS);
    send_n(&r, SA(a), DNS_RRL_POSITIVE, 7, 5100, 4, n);
    assert_int_equal(n[DNS_RRL_PASS], 0);
    assert_int_equal(n[DNS_RRL_SLIP], 2);
    /* 500 ms: 5 more; still the same limit (one LIMITED so far). */
    send_n(&r, SA(a), DNS_RRL_POSITIVE, 7, 5600, 20, n);
    assert_int_equal(n[DNS_RRL_PASS], 5);
    assert_int_equal(n[DNS_RRL_DROP] + n[DNS_RRL_SLIP], 15);
    assert_int_equal(count(&r, DNS_RRL_LIMITED), 1);
    /* A second later the bucket is full again (not more): the limit ends,
     * and the next one is counted and logged anew. */
    send_n(&r, SA(a), DNS_RRL_POSITIVE, 7, 9000, 11, n);
    assert_int_equal(n[DNS_RRL_PASS], 10);
    assert_int_equal(n[DNS_RRL_DROP], 1);
    assert_int_equal(count(&r, DNS_RRL_LIMITED), 2);
    dns_rrl_free(&r);
}

static void
test_slip_never_and_always(void **state)
{
    (void)state;
    struct dns_rrl r;
    struct sockaddr_storage a = v4("198.51.100.7");
    unsigned n[3];
    assert_int_equal(dns_rrl_init(&r, 5, 0, 1024, KEY), 0);
    send_n(&r, SA(a), DNS_RRL_ERROR, 0, 100, 50, n);
    assert_int_equal(n[DNS_RRL_PASS], 5);
    assert_int_equal(n[DNS_RRL_DROP], 45);
    assert_int_equal(n[DNS_RRL_SLIP], 0);
    dns_rrl_free(&r);
    assert_int_equal(dns_rrl_init(&r, 5, 1, 1024, KEY), 0);
    send_n(&r, SA(a), DNS_RRL_ERROR, 0, 100, 50, n);
    assert_int_equal(n[DNS_RRL_PASS], 5);
    assert_int_equal(n[DNS_RRL_SLIP], 45);
    dns_rrl_free(&r);
    /* slip 3: every third drop. */
    assert_int_equal(dns_rrl_init(&r, 5, 3, 1024, KEY), 0);
    send_n(&r, SA(a), DNS_RRL_ERROR, 0, 100, 35, n);
    assert_int_equal(n[DNS_RRL_SLIP], 10);
    assert_int_equal(n[DNS_RRL_DROP], 20);
    dns_rrl_free(&r);
}

static void
test_classes_and_names_apart(void **state)
{
    (void)state;
    struct dns_rrl r;
    struct sockaddr_storage a = v4("203.0.113.9");
    unsigned n[3];
    assert_int_equal(dns_rrl_init(&r, 3, 2, 4096, KEY), 0);
    send_n(&r, SA(a), DNS_RRL_POSITIVE, 1, 0, 10, n);
    assert_int_equal(n[DNS_RRL_PASS], 3);
    /* The other classes, and another name, have buckets of their own. */
    send_n(&r, SA(a), DNS_RRL_NEGATIVE, 1, 0, 10, n);
    assert_int_equal(n[DNS_RRL_PASS], 3);
    send_n(&r, SA(a), DNS_RRL_ERROR, 1, 0, 10, n);
    assert_int_equal(n[DNS_RRL_PASS], 3);
    send_n(&r, SA(a), DNS_RRL_POSITIVE, 2, 0, 10, n);
    assert_int_equal(n[DNS_RRL_PASS], 3);
    /* An address family other than IPv4 and IPv6: not limited. */
    struct sockaddr_storage u = {.ss_family = AF_UNIX};
    send_n(&r, SA(u), DNS_RRL_POSITIVE, 1, 0, 10, n);
    assert_int_equal(n[DNS_RRL_PASS], 10);
    assert_int_equal(dns_rrl_account(&r, NULL, DNS_RRL_POSITIVE, 1, 0), DNS_RRL_PASS);
    dns_rrl_free(&r);
}

static void
test_networks(void **state)
{
    (void)state;
    struct dns_rrl r;
    unsigned n[3];
    assert_int_equal(dns_rrl_init(&r, 4, 2, 4096, KEY), 0);
    /* One /24: 192.0.2.1 and 192.0.2.200 share a bucket; 192.0.3.1 not. */
    struct sockaddr_storage a = v4("192.0.2.1"), b = v4("192.0.2.200"), c = v4("192.0.3.1");
    send_n(&r, SA(a), DNS_RRL_POSITIVE, 9, 0, 2, n);
    send_n(&r, SA(b), DNS_RRL_POSITIVE, 9, 0, 5, n);
    assert_int_equal(n[DNS_RRL_PASS], 2);
    send_n(&r, SA(c), DNS_RRL_POSITIVE, 9, 0, 5, n);
    assert_int_equal(n[DNS_RRL_PASS], 4);
    /* One /56: 2001:db8:0:100:: and 2001:db8:0:1ff:: share; :200:: not. */
    struct sockaddr_storage d = v6("2001:db8:0:100::1"), e = v6("2001:db8:0:1ff:ffff::2"),
                            f = v6("2001:db8:0:200::1");
    send_n(&r, SA(d), DNS_RRL_POSITIVE, 9, 0, 3, n);
    send_n(&r, SA(e), DNS_RRL_POSITIVE, 9, 0, 5, n);
    assert_int_equal(n[DNS_RRL_PASS], 1);
    send_n(&r, SA(f), DNS_RRL_POSITIVE, 9, 0, 5, n);
    assert_int_equal(n[DNS_RRL_PASS], 4);
    /* 192.0.2.0/24 as an IPv4 network is not ::c000:200/56. */
    struct sockaddr_storage g = v6("::c000:201");
    send_n(&r, SA(g), DNS_RRL_POSITIVE, 9, 0, 5, n);
    assert_int_equal(n[DNS_RRL_PASS], 4);
    dns_rrl_free(&r);
}

/* Many networks in a small table: each still gets its own rate, the
 * evicted way being the one used longest ago. */
static void
test_small_table(void **state)
{
    (void)state;
    struct dns_rrl r;
    assert_int_equal(dns_rrl_init(&r, 2, 2, 1, KEY), 0); /* rounded up to 2: one set */
    assert_int_equal(r.mask, 1);
    struct sockaddr_storage a = v4("10.0.0.1"), b = v4("10.0.1.1"), c = v4("10.0.2.1");
    unsigned n[3];
    send_n(&r, SA(a), DNS_RRL_POSITIVE, 1, 10, 3, n);
    assert_int_equal(n[DNS_RRL_PASS], 2);
    send_n(&r, SA(b), DNS_RRL_POSITIVE, 1, 20, 3, n);
    assert_int_equal(n[DNS_RRL_PASS], 2);
    /* c takes a's way (refilled at 10, before b's 20)... */
    send_n(&r, SA(c), DNS_RRL_POSITIVE, 1, 30, 3, n);
    assert_int_equal(n[DNS_RRL_PASS], 2);
    /* ...so b is still limited (its bucket was kept). */
    assert_int_not_equal(dns_rrl_account(&r, SA(b), DNS_RRL_POSITIVE, 1, 30), DNS_RRL_PASS);
    dns_rrl_free(&r);
}

/* www.example.com A, and a response header to it with the given code
 * and counts, followed by the question. */
static const uint8_t QNAME[] = "\3www\7example\3com";

static size_t
query(uint8_t *buf, struct dns_query *q)
{
    static const uint8_t hdr[12] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
    memcpy(buf, hdr, 12);
    memcpy(buf + 12, QNAME, sizeof QNAME);
    size_t len = 12 + sizeof QNAME;
    buf[len++] = 0, buf[len++] = 1; /* A */
    buf[len++] = 0, buf[len++] = 1; /* IN */
    assert_int_equal(dns_query_parse(buf, len, q), DNS_PARSE_OK);
    return len;
}

static size_t
response(uint8_t *out, const uint8_t *req, size_t qlen, unsigned rcode, unsigned an, unsigned ns)
{
    memcpy(out, req, qlen);
    out[2] = 0x84;
    out[3] = (uint8_t)rcode;
    out[7] = (uint8_t)an;
    out[9] = (uint8_t)ns;
    return qlen;
}

static size_t
rr(uint8_t *out, size_t pos, const uint8_t *owner, size_t olen, unsigned type)
{
    memcpy(out + pos, owner, olen);
    pos += olen;
    const uint8_t fixed[10] = {0, (uint8_t)type, 0, 1, 0, 0, 0, 30, 0, 4};
    memcpy(out + pos, fixed, 10);
    pos += 10;
    memset(out + pos, 7, 4);
    return pos + 4;
}

static void
test_classify(void **state)
{
    (void)state;
    uint8_t req[64], out[512];
    struct dns_query q;
    size_t qlen = query(req, &q);
    uint32_t name = 1;
    uint32_t zone = dname_hash(q.lname + 4, q.qname_len - 4); /* example.com */

    /* NOERROR with an answer: positive, the question name. */
    size_t len = response(out, req, qlen, 0, 1, 0);
    len = rr(out, len, (const uint8_t *)"\xc0\x0c", 2, 1);
    assert_int_equal(dns_rrl_classify(&q, out, len, q.lhash, &name), DNS_RRL_POSITIVE);
    assert_int_equal(name, q.lhash);

    /* NXDOMAIN, the SOA owner a pointer to example.com in the question. */
    len = response(out, req, qlen, 3, 0, 1);
    len = rr(out, len, (const uint8_t *)"\xc0\x10", 2, 6);
    assert_int_equal(dns_rrl_classify(&q, out, len, q.lhash, &name), DNS_RRL_NEGATIVE);
    assert_int_equal(name, zone);

    /* NODATA with the owner written out: the same name, the same key. */
    len = response(out, req, qlen, 0, 0, 1);
    len = rr(out, len, (const uint8_t *)"\7example\3com", 13, 6);
    assert_int_equal(dns_rrl_classify(&q, out, len, q.lhash, &name), DNS_RRL_NEGATIVE);
    assert_int_equal(name, zone);

    /* NXDOMAIN after a CNAME: the authority record after the answer. */
    len = response(out, req, qlen, 3, 1, 1);
    len = rr(out, len, (const uint8_t *)"\xc0\x0c", 2, 5);
    len = rr(out, len, (const uint8_t *)"\xc0\x10", 2, 6);
    assert_int_equal(dns_rrl_classify(&q, out, len, q.lhash, &name), DNS_RRL_NEGATIVE);
    assert_int_equal(name, zone);

    /* NODATA without an authority section (CHAOS): no name. */
    len = response(out, req, qlen, 0, 0, 0);
    assert_int_equal(dns_rrl_classify(&q, out, len, q.lhash, &name), DNS_RRL_NEGATIVE);
    assert_int_equal(name, 0);

    /* Errors: REFUSED, SERVFAIL, BADCOOKIE's low bits; a parse error. */
    static const unsigned errors[] = {1, 2, 4, 5, 7, 9};
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++) {
        len = response(out, req, qlen, errors[i], 0, 0);
        assert_int_equal(dns_rrl_classify(&q, out, len, q.lhash, &name), DNS_RRL_ERROR);
        assert_int_equal(name, 0);
    }
    q.rcode = 16; /* BADVERS: its low bits are NOERROR's */
    len = response(out, req, qlen, 0, 0, 0);
    assert_int_equal(dns_rrl_classify(&q, out, len, q.lhash, &name), DNS_RRL_ERROR);
    q.rcode = 0;

    /* Truncated or short bytes never read past len. */
    len = response(out, req, qlen, 3, 0, 1);
    assert_int_equal(dns_rrl_classify(&q, out, len, q.lhash, &name), DNS_RRL_NEGATIVE);
    assert_int_equal(dns_rrl_classify(&q, out, 5, q.lhash, &name), DNS_RRL_ERROR);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bucket_and_slip),
        cmocka_unit_test(test_slip_never_and_always),
        cmocka_unit_test(test_classes_and_names_apart),
        cmocka_unit_test(test_networks),
        cmocka_unit_test(test_small_table),
        cmocka_unit_test(test_classify),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
