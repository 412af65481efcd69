/* test_zonefile.c: zone file errors, asserted as the exact
 * "file:line: error: msg" lines that gtmd --check-config prints. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ldns/ldns.h>
#include <malloc.h>

#include "gtm/snapshot.h"
#include "src/daemon.h"
#include "zones/zonefile.h"
#include "unit.h"
#include "zones/build.h"

#define SOA "@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300\n"

static struct errbuf eb;

/* parse: zonefile_parse of text as t.zone with origin example.com.; the
 * errors are in eb.text. */
static int
parse(const char *text, struct zone_src *out)
{
    struct config_errors errs = errs_init(&eb);
    FILE *fp = fmemopen((void *)text, strlen(text), "r");
    assert_non_null(fp);
    int rc = zonefile_parse(fp, "t.zone", "example.com.", &errs, out);
    fclose(fp);
    assert_int_equal(errs.count, eb.n);
    assert_int_equal(rc == 0, errs.count == 0);
    return rc;
}

/* errors_of: the error text of parsing text, which must fail. */
static const char *
errors_of(const char *text)
{
    struct zone_src z;
    assert_int_not_equal(parse(text, &z), 0);
    assert_null(z.rrs);
    return eb.text;
}

static void
test_valid(void **state)
{
    (void)state;
    struct zone_src z;
    assert_int_equal(parse("$TTL 60\n" SOA "@ NS ns1\n"
                           "ns1 A 192.0.2.1\n"
                           "WWW A 192.0.2.2\n"
                           "www A 192.0.2.2\n" /* a duplicate */
                           "www A 192.0.2.3\n",
                           &z),
                     0);
    assert_string_equal(eb.text, "");
    assert_string_equal(z.file, "t.zone");
    char *apex = ldns_rdf2str(z.apex);
    assert_string_equal(apex, "example.com.");
    free(apex);
    assert_int_equal(ldns_rr_list_rr_count(z.rrs), 5);
    /* Sorted by owner then type: apex NS, apex SOA, ns1 A, www A x2. */
    assert_int_equal(ldns_rr_get_type(ldns_rr_list_rr(z.rrs, 0)), LDNS_RR_TYPE_NS);
    assert_int_equal(ldns_rr_get_type(ldns_rr_list_rr(z.rrs, 1)), LDNS_RR_TYPE_SOA);
    assert_int_equal(z.lines[0], 3);
    assert_int_equal(z.lines[1], 2);
    assert_int_equal(z.lines[2], 4);
    assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(z.rrs, 2)), 60);
    zone_src_cleanup(&z);
}

static void
test_origin(void **state)
{
    (void)state;
    struct zone_src z;
    assert_int_equal(parse("$ORIGIN Other.NET.\n" SOA "@ NS ns1\n", &z), 0);
    char *apex = ldns_rdf2str(z.apex);
    assert_string_equal(apex, "other.net.");
    free(apex);
    zone_src_cleanup(&z);

    struct config_errors errs = errs_init(&eb);
    FILE *fp = fmemopen((void *)SOA, strlen(SOA), "r");
    assert_int_not_equal(zonefile_parse(fp, "t.zone", "a..b.", &errs, &z), 0);
    fclose(fp);
    assert_string_equal(eb.text, "t.zone: error: bad origin 'a..b.'\n");
}

static void
test_syntax_error_line(void **state)
{
    (void)state;
    assert_string_equal(errors_of("$TTL 3600\n" SOA "@ NS ns1\n"
                                  "ns1 A 192.0.2.1\n"
                                  "www A 192.0.2.300\n"
                                  "ok A 192.0.2.4\n"),
                        "t.zone:5: error: Syntax error, could not parse the RR's rdata\n");

    /* After a record written over several lines. */
    assert_string_equal(errors_of("@ IN SOA ns1 hostmaster (\n"
                                  "    1 7200 3600\n"
                                  "    1209600 300 )\n"
                                  "@ NS ns1\n"
                                  "\n"
                                  "www IN A 192.0.2.1 192.0.2.2\n"),
                        "t.zone:6: error: Syntax error, superfluous text present\n");

    /* The last line, without a newline. */
    assert_string_equal(errors_of(SOA "@ NS ns1\nwww AAAA 2001:db8::1::2"),
                        "t.zone:3: error: Syntax error, could not parse the RR's rdata\n");
}

static void
test_comment_lines_counted(void **state)
{
    (void)state;
    assert_string_equal(errors_of(SOA "@ NS ns1\n"
                                      "; a comment\n"
                                      "other.org. A 192.0.2.1\n"),
                        "t.zone:4: error: record for other.org. is outside the zone\n");
    assert_string_equal(errors_of(SOA "@ NS ns1\n"
                                      "; one\n"
                                      "; two\n"
                                      "; three\n"
                                      "www A 192.0.2.300\n"),
                        "t.zone:6: error: Syntax error, could not parse the RR's rdata\n");
}

static void
test_out_of_zone(void **state)
{
    (void)state;
    assert_string_equal(errors_of(SOA "@ NS ns1\n"
                                      "ns1 A 192.0.2.1\n"
                                      "other.org. A 192.0.2.1\n"
                                      "www A 192.0.2.2\n"),
                        "t.zone:4: error: record for other.org. is outside the zone\n");
    /* A name that only ends like the zone is not in it. */
    assert_string_equal(errors_of(SOA "@ NS ns1\n"
                                      "badexample.com. A 192.0.2.1\n"),
                        "t.zone:3: error: record for badexample.com. is outside the zone\n");
    /* Neither is the parent. */
    assert_string_equal(errors_of(SOA "@ NS ns1\n"
                                      "com. NS a.gtld-servers.net.\n"),
                        "t.zone:3: error: record for com. is outside the zone\n");
}

static void
test_cname_and_other_data(void **state)
{
    (void)state;
    assert_string_equal(errors_of(SOA "@ NS ns1\n"
                                      "ns1 A 192.0.2.1\n"
                                      "www A 192.0.2.2\n"
                                      "www CNAME ns1\n"),
                        "t.zone:4: error: www.example.com. has a CNAME and other data\n");
    assert_string_equal(errors_of(SOA "@ NS ns1\n"
                                      "www CNAME ns1\n"
                                      "www CNAME ns2\n"),
                        "t.zone:3: error: www.example.com. has a CNAME and other data\n");
    assert_string_equal(errors_of(SOA "@ NS ns1\n"
                                      "@ CNAME www\n"),
                        "t.zone:2: error: example.com. has a CNAME and other data\n");
}

static void
test_missing_soa(void **state)
{
    (void)state;
    assert_string_equal(errors_of("@ NS ns1\nns1 A 192.0.2.1\n"),
                        "t.zone: error: no SOA record: a zone file needs one at its apex\n");
    assert_string_equal(errors_of(""),
                        "t.zone: error: no SOA record: a zone file needs one at its apex\n");
    assert_string_equal(errors_of("; nothing but a comment\n"),
                        "t.zone: error: no SOA record: a zone file needs one at its apex\n");
}

/* ldns takes a generic "\\# N HEX" in place of an SOA field and makes a
 * record that would go out malformed in every negative answer (found by
 * fuzz_zonefile): the line is an error, and the zone has no SOA. */
static void
test_soa_fields(void **state)
{
    (void)state;
    const char *text = errors_of("@ IN SOA ns1 hostmaster 1 7200 3600 1209600 \\# 3 016100\n"
                                 "@ NS ns1\n");
    assert_non_null(strstr(text, "t.zone:1: error: SOA record: RDATA must be MNAME RNAME SERIAL "
                                 "REFRESH RETRY EXPIRE MINIMUM\n"));
    struct zone_src z;
    assert_int_equal(parse("@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300\n@ NS ns1\n", &z), 0);
    zone_src_cleanup(&z);
}

static void
test_soa_placement(void **state)
{
    (void)state;
    /* Two SOA records, the second not at the apex: two errors (the line of
     * the second one is test_two_soa_line's business). */
    const char *text = errors_of(SOA "@ NS ns1\n"
                                     "www SOA ns1 hostmaster 1 7200 3600 1209600 300\n");
    static const char first[] =
        "t.zone:3: error: SOA record at www.example.com., which is not the zone apex\n";
    assert_int_equal(eb.n, 2);
    assert_memory_equal(text, first, sizeof first - 1);
    assert_non_null(strstr(text, ": error: zone has 2 SOA records, expected one\n"));
}

static void
test_two_soa_line(void **state)
{
    (void)state;
    assert_string_equal(errors_of(SOA "@ NS ns1\n"
                                      "@ SOA ns1 hostmaster 2 7200 3600 1209600 300\n"),
                        "t.zone:3: error: zone has 2 SOA records, expected one\n");
}

static void
test_include_and_class(void **state)
{
    (void)state;
    assert_string_equal(errors_of(SOA "@ NS ns1\n"
                                      "$INCLUDE other.zone\n"
                                      "www CH A 192.0.2.1\n"
                                      "ok A 192.0.2.1\n"),
                        "t.zone:3: error: $INCLUDE is not supported\n"
                        "t.zone:4: error: class other than IN\n");
}

static void
test_every_error_reported(void **state)
{
    (void)state;
    assert_string_equal(errors_of(SOA "@ NS ns1\n"
                                      "a A 192.0.2.300\n"
                                      "b A 192.0.2.1\n"
                                      "b CNAME a\n"
                                      "c.example.net. A 192.0.2.1\n"
                                      "d BOGUS x\n"),
                        "t.zone:3: error: Syntax error, could not parse the RR's rdata\n"
                        "t.zone:7: error: Syntax error, could not parse the RR's rdata\n"
                        "t.zone:6: error: record for c.example.net. is outside the zone\n"
                        "t.zone:4: error: b.example.com. has a CNAME and other data\n");
}

/* load_dir: snapshot_load over a directory; NULL on errors (in eb.text). */
static struct gtm_snapshot *
load_dir(const char *dir)
{
    struct config_errors errs = errs_init(&eb);
    struct snapshot_params p = {.zones_dir = dir, .domain = "trafficmanager.net"};
    struct gtm_snapshot *s = snapshot_load(&p, &errs);
    assert_int_equal(s == NULL, errs.count != 0);
    return s;
}

static void
test_same_apex_twice(void **state)
{
    (void)state;
    char *dir = tmpdir_new();
    assert_non_null(dir);
    free(tmpfile_write(dir, "example.com.zone", SOA "@ NS ns1\n"));
    free(tmpfile_write(dir, "a.zone", "$ORIGIN example.com.\n" SOA "@ NS ns1\n"));
    free(tmpfile_write(dir, "ignored.txt", "not a zone"));
    assert_null(load_dir(dir));
    char want[8192];
    snprintf(want, sizeof want,
             "%s/example.com.zone: error: zone example.com. is already loaded from %s/a.zone\n",
             dir, dir);
    assert_string_equal(eb.text, want);
    tmpdir_remove(dir);
    free(dir);
}

static void
test_dir_errors(void **state)
{
    (void)state;
    char *dir = tmpdir_new();
    assert_non_null(dir);
    free(tmpfile_write(dir, "good.org.zone", SOA "@ NS ns1\n"));
    free(tmpfile_write(dir, "bad.org.zone", SOA "@ NS ns1\nwww A x\n"));
    assert_null(load_dir(dir));
    char want[8192];
    snprintf(want, sizeof want,
             "%s/bad.org.zone:3: error: Syntax error, could not parse the RR's rdata\n", dir);
    assert_string_equal(eb.text, want);

    /* The origin comes from the file name; gtmd serves it. */
    free(tmpfile_write(dir, "bad.org.zone", SOA "@ NS ns1\nwww A 192.0.2.1\n"));
    struct gtm_snapshot *s = load_dir(dir);
    assert_non_null(s);
    assert_int_equal(s->nzones, 3);
    uint8_t apex[] = "\3bad\3org";
    assert_non_null(snapshot_find_zone(s, apex, sizeof apex));
    snapshot_free(s);

    tmpdir_remove(dir);
    assert_null(load_dir(dir));
    snprintf(want, sizeof want,
             "%s: error: cannot open zones directory: No such file or directory\n", dir);
    assert_string_equal(eb.text, want);
    free(dir);
}

static void
test_rrset_too_large(void **state)
{
    (void)state;
    /* 300 strings of 250 bytes: over the 65535 bytes of one RRset. */
    size_t cap = 300 * 270 + 256;
    char *text = malloc(cap);
    assert_non_null(text);
    snprintf(text, cap, "%s@ NS ns1\n", SOA);
    for (int i = 0; i < 300; i++) {
        size_t at = strlen(text);
        snprintf(text + at, cap - at, "big TXT \"%03d%0247d\"\n", i, 0);
    }
    struct config_errors errs = errs_init(&eb);
    struct snapshot_params p = {
        .domain = "trafficmanager.net", .demo_zone = text, .demo_origin = "example.com."};
    assert_null(snapshot_load(&p, &errs));
    assert_string_equal(eb.text, "<demo>:3: error: RRset too large\n");
    free(text);
}

/* ---- IPSECKEY (RFC 4025): checked before ldns, whose parser leaks on
 * every malformed one ---- */

#define KEY "AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ=="

static void
test_ipseckey_valid(void **state)
{
    (void)state;
    struct zone_src z;
    assert_int_equal(parse(SOA "@ NS ns1\n"
                               "a IPSECKEY 10 0 2 . " KEY "\n"
                               "b 60 IN IPSECKEY 10 1 2 192.0.2.38 " KEY "\n"
                               "c IN ipseckey 255 2 255 2001:db8::38 " KEY "\n"
                               "d IPSECKEY ( 10 3 2\n"
                               "    gw.example.net. ; the gateway\n"
                               "    " KEY " )\n"
                               "e TYPE45 10 3 2 gw " KEY "\n"
                               "f IPSECKEY \\# 3 0a0002\n"
                               "    IPSECKEY 0 0 0 . AAAA\n",
                           &z),
                     0);
    assert_string_equal(eb.text, "");
    size_t n = 0;
    for (size_t i = 0; i < ldns_rr_list_rr_count(z.rrs); i++)
        n += ldns_rr_get_type(ldns_rr_list_rr(z.rrs, i)) == LDNS_RR_TYPE_IPSECKEY;
    assert_int_equal(n, 7);
    zone_src_cleanup(&z);
}

/* One malformed IPSECKEY rdata (after "x IPSECKEY ") -> its error, on line 3. */
static void
expect_ipseckey_error(const char *rdata, const char *msg)
{
    char text[1024], want[512];
    snprintf(text, sizeof text, SOA "@ NS ns1\nx IPSECKEY %s\nok A 192.0.2.1\n", rdata);
    snprintf(want, sizeof want, "t.zone:3: error: IPSECKEY: %s\n", msg);
    assert_string_equal(errors_of(text), want);
}

static void
test_ipseckey_malformed(void **state)
{
    (void)state;
    static const char five[] =
        "expected precedence, gateway type, algorithm, gateway and public key (5 fields), got ";
    char msg[256];
    snprintf(msg, sizeof msg, "%s2", five);
    expect_ipseckey_error("10 1", msg);
    snprintf(msg, sizeof msg, "%s4", five);
    expect_ipseckey_error("10 0 2 .", msg);
    expect_ipseckey_error("10 1 2 192.0.2.1", msg);
    snprintf(msg, sizeof msg, "%s6 or more", five);
    expect_ipseckey_error("10 1 2 192.0.2.1 AQNR AQNR", msg);
    snprintf(msg, sizeof msg, "%s0", five);
    expect_ipseckey_error("", msg);
    expect_ipseckey_error("300 1 2 192.0.2.1 AQNR",
                          "precedence '300' is not an integer in [0, 255]");
    expect_ipseckey_error("x 0 2 . AQNR", "precedence 'x' is not an integer in [0, 255]");
    expect_ipseckey_error("10 4 2 . AQNR", "gateway type '4' is not 0, 1, 2 or 3");
    expect_ipseckey_error("10 1x 2 . AQNR", "gateway type '1x' is not 0, 1, 2 or 3");
    expect_ipseckey_error("10 1 256 192.0.2.1 AQNR",
                          "algorithm '256' is not an integer in [0, 255]");
    expect_ipseckey_error("10 0 2 gw.example. AQNR",
                          "gateway type 0 needs '.' (no gateway), got 'gw.example.'");
    expect_ipseckey_error("10 1 2 2001:db8::1 AQNR",
                          "gateway type 1 needs an IPv4 address, got '2001:db8::1'");
    expect_ipseckey_error("10 1 2 notanip AQNR",
                          "gateway type 1 needs an IPv4 address, got 'notanip'");
    expect_ipseckey_error("10 2 2 192.0.2.1 AQNR",
                          "gateway type 2 needs an IPv6 address, got '192.0.2.1'");
    expect_ipseckey_error("10 3 2 a..b AQNR", "gateway type 3 needs a domain name, got 'a..b'");
    expect_ipseckey_error("10 3 2 gw.example. !!!!", "the public key is not base64");
    expect_ipseckey_error("10 1 2 192.0.2.1 AQ", "the public key is not base64");
    expect_ipseckey_error("10 3 2 gw.example. N3m=", "the public key is not base64");
    expect_ipseckey_error("10 3 2 gw.example. AR==", "the public key is not base64");
    expect_ipseckey_error("10 1 2 192.0.2.1 -", "the public key is not base64");
    expect_ipseckey_error("10 0 2 . \"AQNR\"", "quotes and escapes are not allowed in its rdata");
    /* Every error of the file, each at its line; the type and what comes
     * before it read as ldns reads them: TYPE45 (and TYPE045, and TYPE65581,
     * through atoi and a 16-bit type) is IPSECKEY, a token starting with a
     * digit is a TTL, a line starting with a blank has no owner, a '$' that
     * starts no directive is an owner, and the empty token that a parenthesis
     * after a quote leaves is a TTL. */
    assert_string_equal(
        errors_of(SOA "@ NS ns1\n"
                      "x IPSECKEY 10 0 2 x. AQNR\n"
                      "y 60 IN TYPE45 10 1 2 . AQNR\n"
                      "z IN A 192.0.2.300\n"
                      " 10sn.x.a IPSECKEY 10 1.9 22 10.2.38 A 10\n"
                      "w type045 10 0 2 .\n"
                      "v 1h IN TYPE65581 10 0 2 .\n"
                      "$X IPSECKEY 10 0 2 .\n"
                      "\tIN IPSECKEY 10 0 2 .\n"
                      "q\" ) IPSECKEY 1: 3 2 gw. !\n"),
        "t.zone:3: error: IPSECKEY: gateway type 0 needs '.' (no gateway), got "
        "'x.'\n"
        "t.zone:4: error: IPSECKEY: gateway type 1 needs an IPv4 address, got "
        "'.'\n"
        "t.zone:5: error: Syntax error, could not parse the RR's rdata\n"
        "t.zone:6: error: IPSECKEY: expected precedence, gateway type, algorithm, "
        "gateway and public key (5 fields), got 6 or more\n"
        "t.zone:7: error: IPSECKEY: expected precedence, gateway type, algorithm, "
        "gateway and public key (5 fields), got 4\n"
        "t.zone:8: error: IPSECKEY: expected precedence, gateway type, algorithm, "
        "gateway and public key (5 fields), got 4\n"
        "t.zone:9: error: IPSECKEY: expected precedence, gateway type, algorithm, "
        "gateway and public key (5 fields), got 4\n"
        "t.zone:10: error: IPSECKEY: expected precedence, gateway type, algorithm, "
        "gateway and public key (5 fields), got 4\n"
        "t.zone:11: error: IPSECKEY: precedence '1:' is not an integer in [0, 255]\n");
}

/* A reload loop over a file with malformed IPSECKEY records does not grow
 * the heap: libldns leaked 4-15 bytes (a 32-byte chunk or two) for some
 * of them, over 130 kB in this loop. What glibc keeps cached for reuse is
 * counted as in use, hence a small allowance. Under --enable-sanitizers
 * mallinfo2 says nothing, and LeakSanitizer checks the same at exit. */
static void
test_ipseckey_no_leak(void **state)
{
    (void)state;
    static const char text[] = SOA "@ NS ns1\n"
                                   "a IPSECKEY 10 0 2 x. AQNR\n"
                                   "b IPSECKEY 10 0 2 .\n"
                                   "c IPSECKEY 10 1 2 192.0.2.1 AQNR AQNR\n"
                                   "d IPSECKEY 10 3 2 gw.example. !!!!\n"
                                   "e IPSECKEY 10 1 2 192.0.2.1 AQ\n"
                                   "f IPSECKEY 10 3 2 gw.example.com. N3m=\n"
                                   " 10sn.x.a IPSECKEY 10 1.9 22 10.2.38 A 10\n"
                                   "w type045 10 0 2 .\n"
                                   "v 1h IN TYPE65581 10 0 2 .\n";
    struct zone_src z;
    for (int i = 0; i < 50; i++) /* warm up the allocator's caches */
        assert_int_not_equal(parse(text, &z), 0);
    struct mallinfo2 before = mallinfo2();
    for (int i = 0; i < 1000; i++)
        assert_int_not_equal(parse(text, &z), 0);
    struct mallinfo2 after = mallinfo2();
    if (after.uordblks > before.uordblks + 8192)
        fail_msg("the heap grew by %zu bytes over 1000 loads", after.uordblks - before.uordblks);
}

/* ---- ALIAS (PowerDNS's syntax; type 65401, never served) ---- */

static void
test_alias_parse(void **state)
{
    (void)state;
    struct zone_src z;
    assert_int_equal(parse("$TTL 60\n" SOA "@ NS ns1\n"
                           "@ 300 IN ALIAS App.TrafficManager.NET.\n" /* line 4 */
                           "www TXT \"x\"\n"
                           "  alias ( host )\n"   /* owner www, any case, relative */
                           "alias A 192.0.2.1\n", /* a name, no ALIAS */
                           &z),
                     0);
    assert_string_equal(eb.text, "");
    /* apex NS, apex SOA, apex ALIAS, alias A, www TXT, www ALIAS */
    assert_int_equal(ldns_rr_list_rr_count(z.rrs), 6);
    ldns_rr *apex = ldns_rr_list_rr(z.rrs, 2);
    assert_int_equal(ldns_rr_get_type(apex), RR_TYPE_ALIAS);
    assert_int_equal(ldns_rr_ttl(apex), 300);
    assert_int_equal(z.lines[2], 4);
    char *t = ldns_rdf2str(ldns_rr_rdf(apex, 0));
    assert_string_equal(t, "App.TrafficManager.NET.");
    free(t);
    assert_int_equal(ldns_rr_get_type(ldns_rr_list_rr(z.rrs, 3)), LDNS_RR_TYPE_A);
    ldns_rr *www = ldns_rr_list_rr(z.rrs, 5);
    assert_int_equal(z.lines[5], 6);
    assert_int_equal(ldns_rr_get_type(www), RR_TYPE_ALIAS);
    assert_int_equal(ldns_rr_ttl(www), 60);
    t = ldns_rdf2str(ldns_rr_rdf(www, 0));
    assert_string_equal(t, "host.example.com.");
    free(t);
    zone_src_cleanup(&z);
}

static void
test_alias_errors(void **state)
{
    (void)state;
    assert_string_equal(errors_of(SOA "@ NS ns1\n"
                                      "a ALIAS \\# 3 016100\n"
                                      "b TYPE65401 \\# 3 016100\n"
                                      "c ALIAS\n"
                                      "d ALIAS x y\n"
                                      "e ALIAS www\n"
                                      "e CNAME www\n"
                                      "f ALIAS www\n"
                                      "f ALIAS ns1\n"
                                      "g AAAA 2001:db8::1\n"
                                      "g ALIAS www\n"
                                      "h ALIAS www\n"
                                      "h TXT \"fine\"\n"),
                        "t.zone:3: error: ALIAS: write the target as a domain name, not as generic "
                        "rdata\n"
                        "t.zone:4: error: TYPE65401 is ALIAS: write it as 'NAME ALIAS target.'\n"
                        "t.zone:5: error: ALIAS: the target name is missing\n"
                        "t.zone:6: error: Syntax error, superfluous text present\n"
                        "t.zone:7: error: e.example.com. has an ALIAS and a CNAME: a name with a "
                        "CNAME has nothing else\n"
                        "t.zone:10: error: f.example.com. has 2 ALIAS records: a name has at most "
                        "one\n"
                        "t.zone:12: error: g.example.com. has an ALIAS and A/AAAA records: the "
                        "ALIAS gives its addresses\n");
}

/* load_zone: snapshot_load of one zone file text (example.com.zone) and,
 * when given, one profile (app.json) with --domain tm.example.net; the
 * errors are in eb.text. */
static struct gtm_snapshot *
load_zone(const char *zone, const char *profile)
{
    char *zdir = tmpdir_new(), *pdir = tmpdir_new();
    assert_non_null(zdir);
    assert_non_null(pdir);
    free(tmpfile_write(zdir, "example.com.zone", zone));
    if (profile)
        free(tmpfile_write(pdir, "app.json", profile));
    struct config_errors errs = errs_init(&eb);
    struct snapshot_params p = {
        .zones_dir = zdir, .profiles_dir = pdir, .domain = "tm.example.net"};
    struct gtm_snapshot *s = snapshot_load(&p, &errs);
    assert_int_equal(s == NULL, errs.count != 0);
    /* the paths out of the messages: "example.com.zone:N: ..." */
    char *at;
    while ((at = strstr(eb.text, zdir)) != NULL)
        memmove(at, at + strlen(zdir) + 1, strlen(at + strlen(zdir) + 1) + 1);
    tmpdir_remove(zdir);
    tmpdir_remove(pdir);
    free(zdir);
    free(pdir);
    return s;
}

#define APP_JSON                                                                                   \
    "{\"name\":\"app\",\"properties\":{\"trafficRoutingMethod\":\"Priority\","                     \
    "\"dnsConfig\":{\"relativeName\":\"app\",\"ttl\":30},\"monitorConfig\":{\"protocol\":"         \
    "\"HTTP\",\"port\":80,\"path\":\"/\"},\"endpoints\":[{\"name\":\"e1\",\"type\":"               \
    "\"Microsoft.Network/trafficManagerProfiles/externalEndpoints\",\"properties\":"               \
    "{\"target\":\"192.0.2.1\"}}]}}"

static void
test_alias_load_errors(void **state)
{
    (void)state;
    struct gtm_snapshot *s = load_zone("$ORIGIN example.com.\n" SOA "@ NS ns1\n"
                                       "loop1 ALIAS loop2\n" /* 4 */
                                       "loop2 ALIAS loop1\n"
                                       "self ALIAS self\n"
                                       "viacname ALIAS c1\n"
                                       "c1 CNAME c2\n"
                                       "c2 CNAME viacname\n"
                                       "away ALIAS www.example.org.\n"
                                       "nx ALIAS nothing\n"
                                       "mail ALIAS mx\n"
                                       "mx MX 10 ns1\n"
                                       "cut ALIAS sub\n"
                                       "sub NS ns.sub\n"
                                       "x.sub ALIAS ns1\n"
                                       "noprof ALIAS nope.tm.example.net.\n"
                                       "domain ALIAS tm.example.net.\n"
                                       "far ALIAS h0\n"
                                       "h0 CNAME h1\nh1 CNAME h2\nh2 CNAME h3\nh3 CNAME h4\n"
                                       "h4 CNAME h5\nh5 CNAME h6\nh6 CNAME h7\nh7 CNAME h8\n"
                                       "h8 CNAME h9\nh9 A 192.0.2.9\n"
                                       "ns1 A 192.0.2.1\n",
                                       APP_JSON);
    assert_null(s);
    assert_string_equal(
        eb.text,
        "example.com.zone:4: error: ALIAS to loop2.example.com.: a loop: loop1.example.com. -> "
        "loop2.example.com. -> loop1.example.com.\n"
        "example.com.zone:5: error: ALIAS to loop1.example.com.: a loop: loop2.example.com. -> "
        "loop1.example.com. -> loop2.example.com.\n"
        "example.com.zone:6: error: ALIAS to self.example.com.: a loop: self.example.com. -> "
        "self.example.com.\n"
        "example.com.zone:7: error: ALIAS to c1.example.com.: a loop: viacname.example.com. -> "
        "c1.example.com. -> c2.example.com. -> viacname.example.com.\n"
        "example.com.zone:10: error: ALIAS to www.example.org.: www.example.org. is in none of "
        "gtmd's zones\n"
        "example.com.zone:11: error: ALIAS to nothing.example.com.: nothing.example.com. is no "
        "name of zone example.com. (a wildcard is not followed)\n"
        "example.com.zone:12: error: ALIAS to mx.example.com.: mx.example.com. has no A or AAAA "
        "records\n"
        "example.com.zone:14: error: ALIAS to sub.example.com.: sub.example.com. is a delegation: "
        "gtmd does not answer for it\n"
        "example.com.zone:16: error: ALIAS at x.sub.example.com., at or below the delegation "
        "sub.example.com.: gtmd never answers there\n"
        "example.com.zone:17: error: ALIAS to nope.tm.example.net.: nope.tm.example.net. is no "
        "name of zone tm.example.net. (a wildcard is not followed)\n"
        "example.com.zone:18: error: ALIAS to tm.example.net.: tm.example.net. has no A or AAAA "
        "records\n"
        "example.com.zone:19: error: ALIAS to h0.example.com.: more than 8 CNAMEs and ALIASes on "
        "the way\n");

    /* What loads: to a profile, through CNAMEs and ALIASes, to static records. */
    s = load_zone("$ORIGIN example.com.\n" SOA "@ NS ns1\n"
                  "@ 600 ALIAS app.tm.example.net.\n"
                  "www 120 CNAME app.tm.example.net.\n"
                  "v 900 ALIAS www\n"
                  "s 60 ALIAS v2\n"
                  "v2 ALIAS ns1\n"
                  "ns1 A 192.0.2.1\n",
                  APP_JSON);
    assert_string_equal(eb.text, "");
    assert_non_null(s);
    snapshot_free(s);
}

static void
test_demo_zone_loads(void **state)
{
    (void)state;
    struct config_errors errs = errs_init(&eb);
    struct snapshot_params p = {.domain = "trafficmanager.net",
                                .demo_zone = demo_zone_text,
                                .demo_origin = demo_zone_origin};
    struct gtm_snapshot *s = snapshot_load(&p, &errs);
    assert_string_equal(eb.text, "");
    assert_non_null(s);
    assert_int_equal(s->nzones, 2);
    snapshot_free(s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_origin),
        cmocka_unit_test(test_syntax_error_line),
        cmocka_unit_test(test_comment_lines_counted),
        cmocka_unit_test(test_out_of_zone),
        cmocka_unit_test(test_cname_and_other_data),
        cmocka_unit_test(test_missing_soa),
        cmocka_unit_test(test_soa_fields),
        cmocka_unit_test(test_soa_placement),
        cmocka_unit_test(test_two_soa_line),
        cmocka_unit_test(test_include_and_class),
        cmocka_unit_test(test_every_error_reported),
        cmocka_unit_test(test_same_apex_twice),
        cmocka_unit_test(test_dir_errors),
        cmocka_unit_test(test_rrset_too_large),
        cmocka_unit_test(test_ipseckey_valid),
        cmocka_unit_test(test_ipseckey_malformed),
        cmocka_unit_test(test_ipseckey_no_leak),
        cmocka_unit_test(test_alias_parse),
        cmocka_unit_test(test_alias_errors),
        cmocka_unit_test(test_alias_load_errors),
        cmocka_unit_test(test_demo_zone_loads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
