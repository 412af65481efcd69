/* test_nettable.c: lib/nettable.c: addresses and networks in text
 * (net_parse, net_mask: the one parser for the latency and geo tables and
 * resolve's client), and table files, whose bad lines are each reported at
 * their line. */
#include "config.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>
#include "gtm/alloc.h"
#include "gtm/nettable.h"
#include "unit.h"

static void
expect_parse(const char *text, uint8_t family, unsigned prefix, bool had_prefix)
{
    uint8_t fam = 0, addr[16], pre = 0;
    bool had = !had_prefix;
    const char *why = net_parse(text, &fam, addr, &pre, &had);
    if (why)
        fail_msg("%s: %s", text, why);
    assert_int_equal(fam, family);
    assert_int_equal(pre, prefix);
    assert_int_equal(had, had_prefix);
}

static void
expect_refused(const char *text, const char *want)
{
    uint8_t fam, addr[16], pre;
    bool had;
    const char *why = net_parse(text, &fam, addr, &pre, &had);
    if (!why)
        fail_msg("%s: accepted", text);
    assert_string_equal(why, want);
}

static void
test_parse(void **state)
{
    (void)state;
    expect_parse("192.0.2.7", AF_INET, 32, false);
    expect_parse("192.0.2.0/24", AF_INET, 24, true);
    expect_parse("0.0.0.0/0", AF_INET, 0, true);
    expect_parse("2001:db8::1", AF_INET6, 128, false);
    expect_parse("2001:db8::/32", AF_INET6, 32, true);
    expect_parse("::ffff:192.0.2.1/128", AF_INET6, 128, true);
    static const char *const bad_addr[] = {"",
                                           "/24",
                                           "192.0.2",
                                           "192.0.2.256",
                                           "2001:db8:::1",
                                           "example.com",
                                           "192.0.2.1 ",
                                           "1111:2222:3333:4444:5555:6666:7777:8888:9999/64"};
    for (size_t i = 0; i < sizeof bad_addr / sizeof *bad_addr; i++)
        expect_refused(bad_addr[i], "not an IPv4 or IPv6 address");
    static const char *const bad_prefix[] = {"192.0.2.0/",
                                             "192.0.2.0/33",
                                             "192.0.2.0/+8",
                                             "192.0.2.0/ 8",
                                             "192.0.2.0/8x",
                                             "2001:db8::/129",
                                             "192.0.2.0/99999999999999999999"};
    for (size_t i = 0; i < sizeof bad_prefix / sizeof *bad_prefix; i++)
        expect_refused(bad_prefix[i], "bad prefix length");
}

static void
test_mask(void **state)
{
    (void)state;
    uint8_t a[16] = {192, 0, 2, 255};
    assert_true(net_mask(a, 24));
    assert_memory_equal(a, ((uint8_t[16]){192, 0, 2, 0}), 16);
    assert_false(net_mask(a, 24)); /* already the network's */
    uint8_t b[16] = {10, 0xFF};
    assert_true(net_mask(b, 9));
    assert_memory_equal(b, ((uint8_t[16]){10, 0x80}), 16);
    uint8_t c[16];
    memset(c, 0xFF, sizeof c);
    assert_false(net_mask(c, 128));
    assert_true(net_mask(c, 0));
    assert_memory_equal(c, ((uint8_t[16]){0}), 16);
}

static void
test_table_errors_by_line(void **state)
{
    (void)state;
    char *dir = tmpdir_new();
    char *file = tmpfile_write(dir, "latency.txt",
                               "# region latencies\n"
                               "192.0.2.0/24 westeurope 10\n"
                               "192.0.2.1 westeurope 10\n"
                               "192.0.2.1/24 westeurope 10\n"
                               "300.0.2.0/24 westeurope 10\n"
                               "192.0.2.0/40 westeurope 10\n"
                               "2001:db8::/32 EastUS 70 # comment\n"
                               "192.0.2.0/24 northeurope x\n"
                               "192.0.2.0/24 northeurope\n");
    struct errbuf eb = {0};
    struct config_errors errs = errs_init(&eb);
    struct arena *a = arena_new();
    assert_null(net_table_load(a, file, NET_TABLE_LATENCY, &errs));
    char want[2048];
    snprintf(want, sizeof want,
             "%1$s:3: error: '192.0.2.1': expected ADDRESS/PREFIX\n"
             "%1$s:4: error: '192.0.2.1/24': address has bits set past the prefix (not a network "
             "address)\n"
             "%1$s:5: error: '300.0.2.0/24': not an IPv4 or IPv6 address\n"
             "%1$s:6: error: '192.0.2.0/40': bad prefix length\n"
             "%1$s:8: error: 'x': latency must be 0..600000 ms\n"
             "%1$s:9: error: expected 'CIDR region latency_ms'\n",
             file);
    assert_string_equal(eb.text, want);

    /* The good lines alone load, longest prefix first, names lowercased. */
    char *good = tmpfile_write(dir, "good.txt",
                               "192.0.2.0/24 westeurope 10\n"
                               "2001:db8::/32 EastUS 70 # comment\n"
                               "192.0.2.128/25 northeurope 5\n");
    struct errbuf eb2 = {0};
    struct config_errors errs2 = errs_init(&eb2);
    const struct net_table *t = net_table_load(a, good, NET_TABLE_LATENCY, &errs2);
    assert_non_null(t);
    assert_int_equal(t->n, 3);
    assert_int_equal(t->rows[0].prefix, 32);
    assert_string_equal(t->rows[0].name, "eastus");
    uint32_t count = 0;
    const struct net_row *r =
        net_table_find(t, AF_INET, (const uint8_t[16]){192, 0, 2, 200}, &count);
    assert_non_null(r);
    assert_string_equal(r->name, "northeurope");
    arena_free(a);
    free(file);
    free(good);
    tmpdir_remove(dir);
    free(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_mask),
        cmocka_unit_test(test_table_errors_by_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
