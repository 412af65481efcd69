/* test_tcp_share.c: the per-client connection counts behind the share of
 * --tcp-clients: who is one client (IPv4, IPv4-mapped, IPv6 /64), and the
 * table against a plain model under random adds and deletes, with clients
 * chosen to collide. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "dns/share.h"

static struct client_key
client(const char *text)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    if (strchr(text, ':')) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        assert_int_equal(inet_pton(AF_INET6, text, &s6->sin6_addr), 1);
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        assert_int_equal(inet_pton(AF_INET, text, &s4->sin_addr), 1);
    }
    struct client_key k;
    client_key_of(&k, (const struct sockaddr *)&ss);
    return k;
}

static int
same(struct client_key a, struct client_key b)
{
    return client_key_eq(&a, &b);
}

static void
test_who_is_one_client(void **state)
{
    (void)state;
    /* IPv4: the whole address */
    assert_true(same(client("192.0.2.1"), client("192.0.2.1")));
    assert_false(same(client("192.0.2.1"), client("192.0.2.2")));
    /* IPv4-mapped IPv6 is its IPv4 address */
    assert_true(same(client("::ffff:192.0.2.1"), client("192.0.2.1")));
    assert_int_equal(client("::ffff:192.0.2.1").family, AF_INET);
    /* IPv6: the /64 */
    assert_true(same(client("2001:db8:1:2::1"), client("2001:db8:1:2:ffff:ffff:ffff:ffff")));
    assert_false(same(client("2001:db8:1:2::1"), client("2001:db8:1:3::1")));
    /* an IPv6 /64 whose bits look like an IPv4 address is not that address */
    assert_false(same(client("::c000:201"), client("192.0.2.1")));
    assert_false(same(client("::"), client("0.0.0.0")));
}

static void
test_counts(void **state)
{
    (void)state;
    struct tcp_shares t;
    tcp_shares_init(&t, 8, 42);
    struct client_key a = client("192.0.2.1"), b = client("2001:db8::1");
    struct client_key b2 = client("2001:db8::2"), m = client("::ffff:192.0.2.1");
    assert_int_equal(tcp_shares_count(&t, &a), 0);
    tcp_shares_add(&t, &a);
    tcp_shares_add(&t, &m);
    tcp_shares_add(&t, &b);
    tcp_shares_add(&t, &b2);
    assert_int_equal(tcp_shares_count(&t, &a), 2);
    assert_int_equal(tcp_shares_count(&t, &b), 2);
    tcp_shares_del(&t, &a);
    assert_int_equal(tcp_shares_count(&t, &m), 1);
    tcp_shares_del(&t, &a);
    assert_int_equal(tcp_shares_count(&t, &a), 0);
    assert_int_equal(tcp_shares_count(&t, &b2), 2);
    tcp_shares_free(&t);
}

/* A small table (max 64 connections: 128 slots), clients from a small set
 * so that many share a home slot, and random adds and deletes up to the
 * limit: every count matches the model, and the table holds no stray key. */
static void
test_against_model(void **state)
{
    (void)state;
    enum { MAX = 64, KEYS = 200, STEPS = 200000 };
    static uint32_t model[KEYS];
    struct client_key keys[KEYS];
    for (unsigned i = 0; i < KEYS; i++) {
        memset(&keys[i], 0, sizeof keys[i]);
        uint64_t prefix = i % 2 ? (uint64_t)i << 40 : i;
        memcpy(keys[i].addr, &prefix, sizeof prefix);
        keys[i].family = i % 3 == 0 ? AF_INET6 : AF_INET;
    }
    for (uint64_t seed = 0; seed < 4; seed++) {
        struct tcp_shares t;
        tcp_shares_init(&t, MAX, seed * 0x9e3779b97f4a7c15ULL);
        memset(model, 0, sizeof model);
        unsigned total = 0;
        uint64_t r = seed + 1;
        for (unsigned step = 0; step < STEPS; step++) {
            r ^= r << 13, r ^= r >> 7, r ^= r << 17;
            unsigned k = (unsigned)(r % KEYS);
            /* a few keys hold many connections, most hold one */
            if (r >> 60 < 2)
                k %= 4;
            if ((r >> 32) % 2 && total < MAX) {
                tcp_shares_add(&t, &keys[k]);
                model[k]++;
                total++;
            } else if (model[k]) {
                tcp_shares_del(&t, &keys[k]);
                model[k]--;
                total--;
            }
            if (step % 997 == 0 || step == STEPS - 1) {
                unsigned used = 0, held = 0;
                for (uint32_t i = 0; i <= t.mask; i++)
                    if (t.slots[i].conns) {
                        used++;
                        held += t.slots[i].conns;
                    }
                unsigned live = 0;
                for (unsigned i = 0; i < KEYS; i++) {
                    assert_int_equal(tcp_shares_count(&t, &keys[i]), model[i]);
                    live += model[i] > 0;
                }
                assert_int_equal(used, live);
                assert_int_equal(held, total);
            }
        }
        tcp_shares_free(&t);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_who_is_one_client),
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_against_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
