/* test_xfr.c: the TSIG key file (both forms, comments, every error with
 * its line), --allow-transfer entries and their matching, --notify
 * targets. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "conf/xfr.h"

#define SECRET "c2VjcmV0c2VjcmV0c2VjcmV0"

static int
parse(struct xfr_conf *c, const char *text, char *why, size_t n)
{
    return tsig_keys_parse(c, "keys", text, strlen(text), why, n);
}

static void
test_both_forms(void **state)
{
    (void)state;
    struct xfr_conf c = {0};
    char why[256] = "";
    const char *text = "# comment\n"
                       "key \"Xfr.Example.\" {\n"
                       "    algorithm HMAC-SHA256; // trailing\n"
                       "    secret \"" SECRET "\";\n"
                       "};\n"
                       "/* a C comment\n over lines */\n"
                       "notify:hmac-sha512:" SECRET "\n"
                       "hmac-sha1:dig-order:" SECRET "\n";
    assert_int_equal(parse(&c, text, why, sizeof why), 0);
    assert_int_equal(c.nkeys, 3);
    assert_string_equal(c.keys[0].name, "xfr.example.");
    assert_string_equal(c.keys[0].alg, "hmac-sha256.");
    assert_string_equal(c.keys[0].secret, SECRET);
    assert_string_equal(c.keys[1].name, "notify.");
    assert_string_equal(c.keys[1].alg, "hmac-sha512.");
    assert_string_equal(c.keys[2].name, "dig-order.");
    assert_string_equal(c.keys[2].alg, "hmac-sha1.");
    uint8_t wire[] = "\3xfr\7example";
    assert_ptr_equal(tsig_key_find(&c, wire, sizeof wire), &c.keys[0]);
    xfr_conf_free(&c);
}

static void
expect_error(const char *text, const char *msg)
{
    struct xfr_conf c = {0};
    char why[256] = "";
    assert_int_equal(parse(&c, text, why, sizeof why), -1);
    if (!strstr(why, msg))
        fail_msg("'%s' does not hold '%s'", why, msg);
    xfr_conf_free(&c);
}

static void
test_errors(void **state)
{
    (void)state;
    expect_error("key \"a\" { algorithm hmac-sha256; };\n", "keys:1: key a: no secret");
    expect_error("\n\nkey \"a\" { algorithm hmac-md5; secret \"" SECRET "\"; };\n",
                 "keys:3: key a: algorithm 'hmac-md5' is not");
    expect_error("key \"a\" { algorithm hmac-sha256; secret \"not base64!\"; };",
                 "keys:1: key a: the secret is not base64");
    expect_error("a:hmac-sha256:" SECRET "\na:hmac-sha256:" SECRET "\n",
                 "keys:2: key a is defined twice");
    expect_error("key \"a\" {\n algorithm hmac-sha256;\n secret \"" SECRET "\"\n};\n",
                 "keys:4: key a: expected ';' after the secret");
    expect_error("key \"a\" { algorithm hmac-sha256; secret \"" SECRET "\"; }\n",
                 "keys:1: key a: expected ';' after '}'");
    expect_error("just-a-word\n", "keys:1: expected 'key \"NAME\"");
    expect_error("a:b\n", "keys:1: expected");
    expect_error("key \"unterminated\n", "keys:1: a string that does not end");
    expect_error("/* open", "keys:1: a comment that does not end");
    expect_error("a:hmac-sha256:" SECRET "\n\n{\n", "keys:3: unexpected '{'");
    expect_error("bad..name:hmac-sha256:" SECRET, "keys:1: key name 'bad..name'");
    char nul[] = "a:hmac-sha256:" SECRET "\0";
    struct xfr_conf c = {0};
    char why[128];
    assert_int_equal(tsig_keys_parse(&c, "keys", nul, sizeof nul, why, sizeof why), -1);
    assert_non_null(strstr(why, "NUL"));
    xfr_conf_free(&c);
}

static struct sockaddr_storage
addr(const char *text)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, text, &a4->sin_addr) == 1)
        a4->sin_family = AF_INET;
    else if (inet_pton(AF_INET6, text, &a6->sin6_addr) == 1)
        a6->sin6_family = AF_INET6;
    return ss;
}

static const struct xfr_acl *
match(const struct xfr_conf *c, const char *a, const struct tsig_key *k)
{
    struct sockaddr_storage ss = addr(a);
    return xfr_acl_match(c, (const struct sockaddr *)&ss, k);
}

static void
test_acl(void **state)
{
    (void)state;
    struct xfr_conf c = {0};
    char why[256] = "";
    assert_int_equal(
        parse(&c, "k1:hmac-sha256:" SECRET "\nk2:hmac-sha256:" SECRET, why, sizeof why), 0);
    assert_null(match(&c, "127.0.0.1", NULL));                           /* empty: nobody */
    assert_int_equal(xfr_acl_add(&c, "10.1.2.3/8", why, sizeof why), 0); /* host bits cleared */
    assert_int_equal(xfr_acl_add(&c, "2001:db8::/33", why, sizeof why), 0);
    assert_int_equal(xfr_acl_add(&c, "key:k1", why, sizeof why), 0);
    assert_int_equal(xfr_acl_add(&c, "192.0.2.7 key:k2", why, sizeof why), 0);
    assert_int_equal(c.nacl, 4);
    assert_ptr_equal(match(&c, "10.255.0.1", NULL), &c.acl[0]);
    assert_null(match(&c, "11.0.0.1", NULL));
    assert_ptr_equal(match(&c, "2001:db8:7fff::1", NULL), &c.acl[1]);
    assert_null(match(&c, "2001:db8:8000::1", NULL));
    assert_ptr_equal(match(&c, "::ffff:10.0.0.1", NULL), &c.acl[0]);    /* v4-mapped */
    assert_ptr_equal(match(&c, "198.51.100.1", &c.keys[0]), &c.acl[2]); /* key, any address */
    assert_null(match(&c, "198.51.100.1", &c.keys[1]));
    assert_ptr_equal(match(&c, "192.0.2.7", &c.keys[1]), &c.acl[3]); /* both */
    assert_null(match(&c, "192.0.2.8", &c.keys[1]));
    assert_null(match(&c, "192.0.2.7", NULL));
    assert_ptr_equal(match(&c, "10.0.0.1", &c.keys[1]), &c.acl[0]); /* a signed client too */

    assert_int_equal(xfr_acl_add(&c, "key:nokey", why, sizeof why), -1);
    assert_non_null(strstr(why, "no key nokey"));
    assert_int_equal(xfr_acl_add(&c, "10.0.0.0/33", why, sizeof why), -1);
    assert_non_null(strstr(why, "prefix length"));
    assert_int_equal(xfr_acl_add(&c, "10.0.0.0/", why, sizeof why), -1);
    assert_int_equal(xfr_acl_add(&c, "example.com", why, sizeof why), -1);
    assert_int_equal(xfr_acl_add(&c, "key:k1 key:k2", why, sizeof why), -1);
    assert_int_equal(xfr_acl_add(&c, "10.0.0.0/8 10.0.0.0/8", why, sizeof why), -1);
    assert_int_equal(xfr_acl_add(&c, "a b c", why, sizeof why), -1);
    assert_int_equal(xfr_acl_add(&c, "", why, sizeof why), -1);
    assert_int_equal(c.nacl, 4);
    xfr_conf_free(&c);
}

static void
test_notify(void **state)
{
    (void)state;
    struct xfr_conf c = {0};
    char why[256] = "";
    assert_int_equal(parse(&c, "k1:hmac-sha256:" SECRET, why, sizeof why), 0);
    assert_int_equal(xfr_notify_add(&c, "127.0.0.1", why, sizeof why), 0);
    assert_int_equal(xfr_notify_add(&c, "127.0.0.1:5300 key:k1", why, sizeof why), 0);
    assert_int_equal(xfr_notify_add(&c, "[::1]:5301", why, sizeof why), 0);
    assert_int_equal(xfr_notify_add(&c, "::1", why, sizeof why), 0);
    assert_int_equal(c.nnotify, 4);
    assert_int_equal(c.notify[0].port, 53);
    assert_null(c.notify[0].key);
    assert_int_equal(c.notify[1].port, 5300);
    assert_ptr_equal(c.notify[1].key, &c.keys[0]);
    assert_int_equal(c.notify[2].family, AF_INET6);
    assert_int_equal(c.notify[2].port, 5301);
    assert_int_equal(c.notify[3].port, 53);
    assert_int_equal(xfr_notify_add(&c, "ns1.example.com", why, sizeof why), -1);
    assert_non_null(strstr(why, "not a numeric"));
    assert_int_equal(xfr_notify_add(&c, "127.0.0.1:0", why, sizeof why), -1);
    assert_int_equal(xfr_notify_add(&c, "127.0.0.1:65536", why, sizeof why), -1);
    assert_int_equal(xfr_notify_add(&c, "127.0.0.1 k1", why, sizeof why), -1);
    assert_int_equal(xfr_notify_add(&c, "127.0.0.1 key:zz", why, sizeof why), -1);
    assert_int_equal(xfr_notify_add(&c, "[::1", why, sizeof why), -1);
    assert_int_equal(c.nnotify, 4);
    xfr_conf_free(&c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_both_forms),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_acl),
        cmocka_unit_test(test_notify),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
