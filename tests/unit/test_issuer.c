/* test_issuer.c: the API's token issuer (api/issuer.c) as pure logic: the
 * clients file and its errors, granting and verifying tokens on a clock
 * the test holds, tampering, and the Basic credential parser. The routes
 * are tested over real HTTPS in tests/system/test_api_issuer.py. */
#include "config.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include "api/issuer.h"
#include "unit.h"

#define SECRET "0123456789abcdef-secret"
#define NOW    ((time_t)1800000000)
#define AUD    "https://127.0.0.1:8443/"
#define ISS    "https://127.0.0.1:8443/adfs"

static struct api_issuer *
load_text(const char *text, unsigned lifetime, char *why, size_t n)
{
    char *dir = tmpdir_new();
    char *path = tmpfile_write(dir, "clients", text);
    char what[400] = "";
    unsigned line;
    struct api_issuer *is = issuer_load(path, lifetime, what, sizeof what, &line);
    snprintf(why, n, ":%u: %s", line, what);
    tmpdir_remove(dir);
    free(path);
    free(dir);
    return is;
}

static void
expect_error(const char *text, const char *needle)
{
    char why[512] = "";
    struct api_issuer *is = load_text(text, 60, why, sizeof why);
    if (is || !strstr(why, needle))
        fail_msg("clients file %s: expected an error with '%s', got '%s'", text, needle, why);
}

static void
test_load_errors(void **state)
{
    (void)state;
    expect_error("", ":0: holds no client");
    expect_error("# only a comment\n\n", "holds no client");
    expect_error("lonely\n", ":1: expected 'client_id secret'");
    expect_error("a " SECRET " extra\n", ":1: expected 'client_id secret', found more");
    expect_error("a short\n", ":1: secret shorter than 16 bytes");
    expect_error("a " SECRET "\nb " SECRET "\na " SECRET "\n", ":3: client 'a' is listed twice");
    expect_error("caf\xc3\xa9 " SECRET "\n", ":1: the client id holds a byte");
    char longid[ISSUER_ID_MAX + 40];
    memset(longid, 'i', ISSUER_ID_MAX + 1);
    snprintf(longid + ISSUER_ID_MAX + 1, 30, " %s\n", SECRET);
    expect_error(longid, ":1: client id longer than 128 bytes");
    /* One client too many. */
    size_t cap = (ISSUER_MAX_CLIENTS + 1) * 48;
    char *many = malloc(cap);
    size_t o = 0;
    for (int i = 0; i <= ISSUER_MAX_CLIENTS; i++)
        o += (size_t)snprintf(many + o, cap - o, "c%d %s\n", i, SECRET);
    expect_error(many, ":257: more than 256 clients");
    free(many);
    char why[256];
    unsigned line = 99;
    assert_null(issuer_load("/nonexistent/gtmd-clients", 60, why, sizeof why, &line));
    assert_string_equal(why, "No such file or directory");
    assert_int_equal(line, 0);
}

static void
test_grant_verify(void **state)
{
    (void)state;
    char why[256];
    struct api_issuer *is =
        load_text("# lab\n  ci-runner " SECRET "\r\nother " SECRET "x\n", 600, why, sizeof why);
    assert_non_null(is);
    assert_int_equal(issuer_clients(is), 2);
    assert_int_equal(issuer_lifetime(is), 600);
    char tok[ISSUER_TOKEN_MAX];
    assert_int_equal(issuer_grant(is, "ci-runner", SECRET, AUD, ISS, NOW, tok, sizeof tok), 0);
    assert_int_equal(strncmp(tok, "eyJ", 3), 0); /* a JWT: base64url of {"alg"... */
    assert_int_equal(issuer_verify(is, tok, NOW), ISSUER_TOKEN_OK);
    assert_int_equal(issuer_verify(is, tok, NOW + 599), ISSUER_TOKEN_OK);
    assert_int_equal(issuer_verify(is, tok, NOW + 600), ISSUER_TOKEN_EXPIRED);  /* expired */
    assert_int_equal(issuer_verify(is, tok, NOW - 3600), ISSUER_TOKEN_EXPIRED); /* not yet valid */
    /* Wrong secret, another client's secret, unknown client: refused. */
    assert_int_equal(issuer_grant(is, "ci-runner", SECRET "x", AUD, ISS, NOW, tok, sizeof tok), -1);
    assert_int_equal(issuer_grant(is, "ci-runner", "", AUD, ISS, NOW, tok, sizeof tok), -1);
    assert_int_equal(issuer_grant(is, "nobody", SECRET, AUD, ISS, NOW, tok, sizeof tok), -1);
    assert_int_equal(issuer_grant(is, "other", SECRET "x", AUD, ISS, NOW, tok, sizeof tok), 0);
    assert_int_equal(issuer_verify(is, tok, NOW), ISSUER_TOKEN_OK);
    /* Too small a buffer: no token. */
    char small[64];
    assert_int_equal(issuer_grant(is, "other", SECRET "x", AUD, ISS, NOW, small, sizeof small),
                     ISSUER_FAILED);
    /* An audience that is not printable ASCII: a bad request, not a bad client. */
    assert_int_equal(
        issuer_grant(is, "other", SECRET "x", "https://h\xff/", ISS, NOW, tok, sizeof tok),
        ISSUER_BAD_REQUEST);
    assert_int_equal(issuer_grant(is, "other", SECRET "x", "", ISS, NOW, tok, sizeof tok),
                     ISSUER_BAD_REQUEST);
    char longaud[600];
    memset(longaud, 'a', sizeof longaud - 1);
    longaud[sizeof longaud - 1] = 0;
    assert_int_equal(issuer_grant(is, "other", SECRET "x", longaud, ISS, NOW, tok, sizeof tok),
                     ISSUER_BAD_REQUEST);
    longaud[511] = 0; /* the longest audience fits a token */
    assert_int_equal(issuer_grant(is, "other", SECRET "x", longaud, ISS, NOW, tok, sizeof tok),
                     ISSUER_GRANTED);
    assert_int_equal(issuer_verify(is, tok, NOW), ISSUER_TOKEN_OK);
    issuer_free(is);
}

static void
test_tampering(void **state)
{
    (void)state;
    char why[256];
    struct api_issuer *is = load_text("a " SECRET "\n", 600, why, sizeof why);
    char tok[ISSUER_TOKEN_MAX], bad[ISSUER_TOKEN_MAX + 8];
    assert_int_equal(issuer_grant(is, "a", SECRET, AUD, ISS, NOW, tok, sizeof tok), 0);
    size_t n = strlen(tok);
    char *dot1 = strchr(tok, '.'), *dot2 = strrchr(tok, '.');
    /* Every single changed byte of the token is refused. */
    for (size_t i = 0; i < n; i++) {
        memcpy(bad, tok, n + 1);
        bad[i] = bad[i] == 'A' ? 'B' : 'A';
        if (issuer_verify(is, bad, NOW) != ISSUER_TOKEN_BAD)
            fail_msg("token with byte %zu changed was accepted", i);
    }
    memcpy(bad, tok, n + 1);
    bad[n - 1] = 0; /* cut */
    assert_int_equal(issuer_verify(is, bad, NOW), ISSUER_TOKEN_BAD);
    snprintf(bad, sizeof bad, "%s.x", tok); /* a fourth part */
    assert_int_equal(issuer_verify(is, bad, NOW), ISSUER_TOKEN_BAD);
    assert_int_equal(issuer_verify(is, "", NOW), ISSUER_TOKEN_BAD);
    assert_int_equal(issuer_verify(is, "..", NOW), ISSUER_TOKEN_BAD);
    assert_int_equal(issuer_verify(is, "a.b.c", NOW), ISSUER_TOKEN_BAD);
    /* The signature of one token on another's claims. */
    char tok2[ISSUER_TOKEN_MAX];
    assert_int_equal(issuer_grant(is, "a", SECRET, AUD, ISS, NOW + 5, tok2, sizeof tok2), 0);
    snprintf(bad, sizeof bad, "%.*s%s", (int)(dot2 - tok), tok, strrchr(tok2, '.'));
    assert_int_equal(issuer_verify(is, bad, NOW), ISSUER_TOKEN_BAD);
    (void)dot1;
    /* Overlong input. */
    char *huge = malloc(ISSUER_TOKEN_MAX * 2);
    memset(huge, 'a', ISSUER_TOKEN_MAX * 2 - 1);
    huge[ISSUER_TOKEN_MAX * 2 - 1] = 0;
    huge[10] = '.';
    huge[20] = '.';
    assert_int_equal(issuer_verify(is, huge, NOW), ISSUER_TOKEN_BAD);
    free(huge);
    issuer_free(is);
}

/* The key comes from the file: the same file accepts the other's tokens
 * (a restart, another node); a changed secret revokes them. */
static void
test_key_from_file(void **state)
{
    (void)state;
    char why[256], tok[ISSUER_TOKEN_MAX];
    struct api_issuer *a = load_text("a " SECRET "\n", 600, why, sizeof why);
    struct api_issuer *b = load_text("a " SECRET "\n", 600, why, sizeof why);
    struct api_issuer *c = load_text("a " SECRET "2\n", 600, why, sizeof why);
    assert_int_equal(issuer_grant(a, "a", SECRET, AUD, ISS, NOW, tok, sizeof tok), 0);
    assert_int_equal(issuer_verify(b, tok, NOW), ISSUER_TOKEN_OK);
    assert_int_equal(issuer_verify(c, tok, NOW), ISSUER_TOKEN_BAD);
    issuer_free(a);
    issuer_free(b);
    issuer_free(c);
}

static int
issuer_basic_t(const char *b64, char *id, char *secret)
{
    return issuer_basic(b64, true, id, secret);
}

static void
test_basic(void **state)
{
    (void)state;
    char id[ISSUER_ID_MAX + 1], secret[ISSUER_SECRET_MAX + 1];
    /* base64("lab:s3cret") */
    assert_int_equal(issuer_basic_t("bGFiOnMzY3JldA==", id, secret), 0);
    assert_string_equal(id, "lab");
    assert_string_equal(secret, "s3cret");
    /* base64("a%3Ab:c%2Bd+e"): form-urlencoded parts. */
    assert_int_equal(issuer_basic_t("YSUzQWI6YyUyQmQrZQ==", id, secret), 0);
    assert_string_equal(id, "a:b");
    assert_string_equal(secret, "c+d e");
    /* base64("lab:") : an empty secret is a credential (refused later). */
    assert_int_equal(issuer_basic_t("bGFiOg==", id, secret), 0);
    assert_string_equal(secret, "");
    assert_int_equal(issuer_basic_t("bm9jb2xvbg==", id, secret), -1); /* "nocolon" */
    assert_int_equal(issuer_basic_t("OnNlY3JldA==", id, secret), -1); /* ":secret" */
    assert_int_equal(issuer_basic_t("!!!!", id, secret), -1);
    assert_int_equal(issuer_basic_t("abc", id, secret), -1);
    assert_int_equal(issuer_basic_t("", id, secret), -1);
    assert_int_equal(issuer_basic_t("YQBiOmM=", id, secret), -1); /* "a\0b:c" */
    /* base64("a%00:b"): a NUL after decoding. */
    assert_int_equal(issuer_basic_t("YSUwMDpi", id, secret), -1);
    /* Raw (not form-encoded), as curl -u sends it: base64("a:c+d%2B") */
    assert_int_equal(issuer_basic("YTpjK2QlMkI=", false, id, secret), 0);
    assert_string_equal(secret, "c+d%2B");
    /* A valid credential followed by anything but blanks is refused. */
    assert_int_equal(issuer_basic_t("bGFiOnMzY3JldA==  ", id, secret), 0);
    assert_int_equal(issuer_basic_t("bGFiOnMzY3JldA== ####", id, secret), -1);
    /* The longest id and secret, each byte percent-encoded, are read whole. */
    char plain[3 * (ISSUER_ID_MAX + ISSUER_SECRET_MAX) + 2], enc[2200];
    size_t o = 0;
    for (int i = 0; i < ISSUER_ID_MAX; i++)
        o += (size_t)snprintf(plain + o, sizeof plain - o, "%%%02X", 'i');
    plain[o++] = ':';
    for (int i = 0; i < ISSUER_SECRET_MAX; i++)
        o += (size_t)snprintf(plain + o, sizeof plain - o, "%%%02X", i % 2 ? 's' : 'S');
    plain[o] = 0;
    EVP_EncodeBlock((unsigned char *)enc, (const unsigned char *)plain, (int)o);
    assert_int_equal(issuer_basic_t(enc, id, secret), 0);
    assert_int_equal(strlen(id), ISSUER_ID_MAX);
    assert_int_equal(strlen(secret), ISSUER_SECRET_MAX);
    assert_int_equal(secret[ISSUER_SECRET_MAX - 1], 's');
    char *big = malloc(8192);
    memset(big, 'Q', 8191);
    big[8191] = 0;
    assert_int_equal(issuer_basic_t(big, id, secret), -1);
    free(big);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_errors), cmocka_unit_test(test_grant_verify),
        cmocka_unit_test(test_tampering),   cmocka_unit_test(test_key_from_file),
        cmocka_unit_test(test_basic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
