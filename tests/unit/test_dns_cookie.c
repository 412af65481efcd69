/* test_dns_cookie.c: server cookies against RFC 9018 Appendix A (the proof
 * that gtmd's cookies interoperate with other servers of an anycast set),
 * their checks (age, secrets, rotation), and the cookie step of a query
 * (echo, renewal, BADCOOKIE only with require over UDP, off). */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "dns/cookie.h"
#include "dns/query.h"

static void
hex(const char *s, uint8_t *out, size_t n)
{
    assert_int_equal(strlen(s), 2 * n);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        assert_int_equal(sscanf(s + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
}

/* A thread's state over its own secrets: cur, and prev (NULL: none). */
struct fixture {
    struct dns_cookie_secrets secrets;
    struct dns_cookie c;
};

static void
fixture_init(struct fixture *f, const char *cur, const char *prev, enum dns_cookie_mode mode)
{
    uint8_t a[16], b[16];
    memset(f, 0, sizeof *f);
    hex(cur, a, 16);
    if (prev)
        hex(prev, b, 16);
    dns_cookie_secrets_set(&f->secrets, a, prev ? b : NULL);
    assert_int_equal(dns_cookie_init(&f->c, &f->secrets, mode), 0);
}

#define SECRET_A "e5e973e5a6b2a43f48e7dc849e37bfcf" /* A.1 to A.3 */
#define SECRET_4 "445536bcd2513298075a5d379663c962" /* A.4, rolled over to */
#define OLD_4    "dd3bdf9344b678b185a6f5cb60fca715" /* A.4, rolled over from */

static const uint8_t ip1[4] = {198, 51, 100, 100};
static const uint8_t ip3[4] = {203, 0, 113, 203};

/* The server cookies RFC 9018 Appendix A makes, byte for byte. */
static void
test_rfc9018_make(void **state)
{
    (void)state;
    static const struct {
        const char *secret, *cc, *ip;
        uint32_t now;
        const char *sc;
    } v[] = {
        {SECRET_A, "2464c4abcf10c957", "198.51.100.100", 1559731985,
         "010000005cf79f111f8130c3eee29480"}, /* A.1 */
        {SECRET_A, "2464c4abcf10c957", "198.51.100.100", 1559734385,
         "010000005cf7a871d4a564a1442aca77"}, /* A.2 */
        {SECRET_A, "fc93fc62807ddb86", "203.0.113.203", 1559734700,
         "010000005cf7a9acf73a7810aca2381e"}, /* A.3 */
        {SECRET_4, "22681ab97d52c298", "2001:db8:220:1:59de:d0f4:8769:82b8", 1559741961,
         "010000005cf7c609a6bb79d16625507a"}, /* A.4 */
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        struct fixture f;
        fixture_init(&f, v[i].secret, NULL, DNS_COOKIE_ON);
        uint8_t cc[8], want[16], got[16], ip[16];
        hex(v[i].cc, cc, 8);
        hex(v[i].sc, want, 16);
        size_t iplen = strchr(v[i].ip, ':') ? 16 : 4;
        assert_int_equal(inet_pton(iplen == 4 ? AF_INET : AF_INET6, v[i].ip, ip), 1);
        uint8_t secret[16];
        hex(v[i].secret, secret, 16);
        assert_true(dns_cookie_make(&f.c, secret, cc, v[i].now, ip, iplen, got));
        assert_memory_equal(got, want, 16);
        dns_cookie_free(&f.c);
    }
}

/* The cookies of the queries of Appendix A, checked as its server does. */
static void
test_rfc9018_check(void **state)
{
    (void)state;
    struct fixture f;
    uint8_t cc[8], sc[16];
    struct dns_query q = {0};

    /* A.2: A.1's cookie 40 minutes later: valid, and due for renewal;
     * the step answers with A.2's new cookie. */
    fixture_init(&f, SECRET_A, NULL, DNS_COOKIE_ON);
    hex("2464c4abcf10c957", cc, 8);
    hex("010000005cf79f111f8130c3eee29480", sc, 16);
    q.cookie_len = 8; /* the thread copies the secrets at its first cookie */
    dns_cookie_answer(&f.c, &q, NULL, false, 0);
    static const uint8_t secret_a[4] = {0xe5, 0xe9, 0x73, 0xe5};
    assert_memory_equal(f.c.cur, secret_a, 4);
    assert_int_equal(dns_cookie_check(&f.c, cc, sc, 16, 1559731985 + 2400, ip1, 4), 2);
    assert_int_equal(dns_cookie_check(&f.c, cc, sc, 16, 1559731985 + 600, ip1, 4), 1);
    struct sockaddr_in sin = {.sin_family = AF_INET};
    memcpy(&sin.sin_addr, ip1, 4);
    q.cookie_len = 24;
    memcpy(q.cookie, cc, 8);
    memcpy(q.cookie + 8, sc, 16);
    assert_int_equal(dns_cookie_answer(&f.c, &q, (const struct sockaddr *)&sin, false, 1559734385),
                     0);
    assert_true(q.cookie_valid);
    assert_int_equal(q.cookie_len, 24);
    hex("010000005cf7a871d4a564a1442aca77", sc, 16);
    assert_memory_equal(q.cookie + 8, sc, 16);
    assert_memory_equal(q.cookie, cc, 8);

    /* A.3: reserved bytes set, still valid (they are hashed as received)
     * while it is less than an hour old; the RFC's query comes 1h52m
     * after it was made: no longer valid, a new cookie with reserved 0. */
    hex("fc93fc62807ddb86", cc, 8);
    hex("01abcdef5cf78f71a314227b6679ebf5", sc, 16);
    assert_int_equal(dns_cookie_check(&f.c, cc, sc, 16, 1559727985 + 100, ip3, 4), 1);
    assert_int_equal(dns_cookie_check(&f.c, cc, sc, 16, 1559727985 + 3600, ip3, 4), 2);
    assert_int_equal(dns_cookie_check(&f.c, cc, sc, 16, 1559727985 + 3601, ip3, 4), 0);
    assert_int_equal(dns_cookie_check(&f.c, cc, sc, 16, 1559734700, ip3, 4), 0);
    /* From 5 minutes ahead (another server's clock), not more. */
    assert_int_equal(dns_cookie_check(&f.c, cc, sc, 16, 1559727985 - 300, ip3, 4), 1);
    assert_int_equal(dns_cookie_check(&f.c, cc, sc, 16, 1559727985 - 301, ip3, 4), 0);
    /* Another address, another client cookie, a changed byte, a version
     * other than 1, a length other than 16: not valid. */
    assert_int_equal(dns_cookie_check(&f.c, cc, sc, 16, 1559727985 + 100, ip1, 4), 0);
    cc[7] ^= 1;
    assert_int_equal(dns_cookie_check(&f.c, cc, sc, 16, 1559727985 + 100, ip3, 4), 0);
    cc[7] ^= 1;
    sc[15] ^= 0x80;
    assert_int_equal(dns_cookie_check(&f.c, cc, sc, 16, 1559727985 + 100, ip3, 4), 0);
    sc[15] ^= 0x80;
    sc[0] = 2;
    assert_int_equal(dns_cookie_check(&f.c, cc, sc, 16, 1559727985 + 100, ip3, 4), 0);
    sc[0] = 1;
    assert_int_equal(dns_cookie_check(&f.c, cc, sc, 8, 1559727985 + 100, ip3, 4), 0);
    dns_cookie_free(&f.c);

    /* A.4: made under the secret rolled over from (now the previous one):
     * valid, and renewed under the current one (RFC 9018 5). */
    fixture_init(&f, SECRET_4, OLD_4, DNS_COOKIE_ON);
    struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6};
    assert_int_equal(inet_pton(AF_INET6, "2001:db8:220:1:59de:d0f4:8769:82b8", &sin6.sin6_addr), 1);
    memset(&q, 0, sizeof q);
    q.cookie_len = 24;
    hex("22681ab97d52c298010000005cf7c57926556bd0934c72f8", q.cookie, 24);
    assert_int_equal(dns_cookie_answer(&f.c, &q, (const struct sockaddr *)&sin6, false, 1559741961),
                     0);
    assert_true(q.cookie_valid);
    uint8_t want[24];
    hex("22681ab97d52c298010000005cf7c609a6bb79d16625507a", want, 24);
    assert_int_equal(q.cookie_len, 24);
    assert_memory_equal(q.cookie, want, 24);
    /* Without the previous secret: not valid, a new cookie all the same. */
    dns_cookie_free(&f.c);
    fixture_init(&f, SECRET_4, NULL, DNS_COOKIE_ON);
    q.cookie_len = 24;
    hex("22681ab97d52c298010000005cf7c57926556bd0934c72f8", q.cookie, 24);
    assert_int_equal(dns_cookie_answer(&f.c, &q, (const struct sockaddr *)&sin6, false, 1559741961),
                     0);
    assert_false(q.cookie_valid);
    assert_memory_equal(q.cookie, want, 24);
    dns_cookie_free(&f.c);
}

/* Rotation, as the control loop does it: the thread sees the new secrets
 * at its next cookie; what the old current secret made stays valid until
 * the rotation after. */
static void
test_rotation(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f, SECRET_A, NULL, DNS_COOKIE_ON);
    struct sockaddr_in sin = {.sin_family = AF_INET};
    memcpy(&sin.sin_addr, ip1, 4);
    const struct sockaddr *sa = (const struct sockaddr *)&sin;
    uint32_t now = 1700000000;

    struct dns_query q = {.cookie_len = 8};
    hex("2464c4abcf10c957", q.cookie, 8);
    assert_int_equal(dns_cookie_answer(&f.c, &q, sa, false, now), 0);
    assert_false(q.cookie_valid);
    assert_int_equal(q.cookie_len, 24);
    uint8_t first[24];
    memcpy(first, q.cookie, 24);

    /* Sent back a minute later: valid and echoed as it was. */
    assert_int_equal(dns_cookie_answer(&f.c, &q, sa, false, now + 60), 0);
    assert_true(q.cookie_valid);
    assert_memory_equal(q.cookie, first, 24);

    uint8_t next[16], third[16];
    hex(SECRET_4, next, 16);
    hex(OLD_4, third, 16);
    dns_cookie_secrets_rotate(&f.secrets, next);
    /* Valid under the previous secret: a new cookie under the new one. */
    assert_int_equal(dns_cookie_answer(&f.c, &q, sa, false, now + 120), 0);
    assert_true(q.cookie_valid);
    assert_memory_not_equal(q.cookie + 8, first + 8, 16);
    assert_memory_equal(f.c.cur, next, 16);
    uint8_t second[24];
    memcpy(second, q.cookie, 24);

    /* The old cookie again after one more rotation: gone. */
    dns_cookie_secrets_rotate(&f.secrets, third);
    memcpy(q.cookie, first, 24);
    assert_int_equal(dns_cookie_answer(&f.c, &q, sa, false, now + 180), 0);
    assert_false(q.cookie_valid);
    /* The one made under the secret before: still valid, renewed. */
    memcpy(q.cookie, second, 24);
    assert_int_equal(dns_cookie_answer(&f.c, &q, sa, false, now + 180), 0);
    assert_true(q.cookie_valid);
    dns_cookie_free(&f.c);
}

/* BADCOOKIE only with require, over UDP, without a valid server cookie
 * and without an earlier error; off: the option is dropped. */
static void
test_modes(void **state)
{
    (void)state;
    struct fixture f;
    uint32_t now = 1700000000;
    struct dns_query q;
    fixture_init(&f, SECRET_A, NULL, DNS_COOKIE_REQUIRE);

    memset(&q, 0, sizeof q);
    q.cookie_len = 8; /* a client cookie alone */
    assert_int_equal(dns_cookie_answer(&f.c, &q, NULL, false, now), DNS_RCODE_BADCOOKIE);
    assert_int_equal(q.cookie_len, 24); /* the BADCOOKIE carries the new cookie */
    assert_int_equal(dns_cookie_answer(&f.c, &q, NULL, false, now), 0); /* which is valid */
    assert_true(q.cookie_valid);
    q.cookie_len = 8;
    assert_int_equal(dns_cookie_answer(&f.c, &q, NULL, true, now), 0); /* TCP */
    q.cookie_len = 16 + 8; /* an invalid server cookie */
    memset(q.cookie + 8, 0, 16);
    assert_int_equal(dns_cookie_answer(&f.c, &q, NULL, false, now), DNS_RCODE_BADCOOKIE);
    q.cookie_len = 8;
    q.rcode = 1; /* FORMERR already */
    assert_int_equal(dns_cookie_answer(&f.c, &q, NULL, false, now), 0);
    assert_int_equal(f.c.seen[DNS_COOKIE_CLIENT_ONLY], 3);
    assert_int_equal(f.c.seen[DNS_COOKIE_VALID], 1);
    assert_int_equal(f.c.seen[DNS_COOKIE_INVALID], 1);
    dns_cookie_free(&f.c);

    /* on: never BADCOOKIE; a server cookie of another length (8, 32 bytes)
     * is not ours: a new one of 16. */
    fixture_init(&f, SECRET_A, NULL, DNS_COOKIE_ON);
    for (unsigned sl = 8; sl <= 32; sl += 8) {
        memset(&q, 0, sizeof q);
        q.cookie_len = (uint8_t)(8 + sl);
        assert_int_equal(dns_cookie_answer(&f.c, &q, NULL, false, now), 0);
        assert_false(q.cookie_valid);
        assert_int_equal(q.cookie_len, 24);
    }
    dns_cookie_free(&f.c);

    fixture_init(&f, SECRET_A, NULL, DNS_COOKIE_OFF);
    assert_null(f.c.mac);
    memset(&q, 0, sizeof q);
    q.cookie_len = 8;
    assert_int_equal(dns_cookie_answer(&f.c, &q, NULL, false, now), 0);
    assert_int_equal(q.cookie_len, 0);
    q.cookie_len = 8;
    assert_int_equal(dns_cookie_answer(NULL, &q, NULL, false, now), 0);
    assert_int_equal(q.cookie_len, 0);
    dns_cookie_free(&f.c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc9018_make),
        cmocka_unit_test(test_rfc9018_check),
        cmocka_unit_test(test_rotation),
        cmocka_unit_test(test_modes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
