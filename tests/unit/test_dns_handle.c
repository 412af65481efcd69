/* test_dns_handle.c: dns_handle end to end, request bytes in, response bytes
 * out, over a snapshot loaded from zone text (Knot test_process_query.c). */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ldns/ldns.h>

#include "dns/handle.h"
#include "dns/query.h"
#include "gtm/snapshot.h"
#include "unit.h"
#include "zones/build.h"

#define SOA_LINE                                                                                   \
    "@ 3600 IN SOA ns1.example.com. hostmaster.example.com. 2026 7200 3600 1209600 300\n"

static const char zone_head[] = "$ORIGIN example.com.\n"
                                "$TTL 3600\n" SOA_LINE "@ NS ns1\n"
                                "@ NS ns2\n"
                                "@ A 192.0.2.10\n"
                                "@ MX 10 mail\n"
                                "ns1 A 192.0.2.1\n"
                                "ns2 A 192.0.2.2\n"
                                "www A 192.0.2.20\n"
                                "www AAAA 2001:db8::20\n"
                                "ftp CNAME www\n"
                                "alias CNAME ftp\n"
                                "out CNAME www.example.org.\n"
                                "*.wild A 192.0.2.50\n"
                                "*.wild TXT \"matched by *.wild\"\n"
                                "sub NS ns1.sub\n"
                                "sub NS ns.elsewhere.net.\n"
                                "ns1.sub A 192.0.2.53\n"
                                "ns1.sub AAAA 2001:db8::53\n"
                                "host.deep.ent A 192.0.2.60\n";

/* big: 10 x 200-byte strings (over 1232 bytes); medium: 4 x 180 (over 512). */
#define BIG_N      10
#define BIG_LEN    200
#define MEDIUM_N   4
#define MEDIUM_LEN 180

static struct gtm_snapshot *snap;
static struct dns_view view;
static uint8_t resp[DNS_TCP_MAX];

static void
append_txt(char *text, size_t cap, const char *owner, int n, int len)
{
    for (int i = 0; i < n; i++) {
        size_t at = strlen(text);
        snprintf(text + at, cap - at, "%s TXT \"%02d", owner, i);
        at = strlen(text);
        for (int j = 2; j < len && at + 3 < cap; j++)
            text[at++] = 'x';
        text[at] = 0;
        snprintf(text + at, cap - at, "\"\n");
    }
}

static int
setup(void **state)
{
    (void)state;
    static char text[16384];
    snprintf(text, sizeof text, "%s", zone_head);
    append_txt(text, sizeof text, "big", BIG_N, BIG_LEN);
    append_txt(text, sizeof text, "medium", MEDIUM_N, MEDIUM_LEN);
    struct errbuf eb;
    struct config_errors errs = errs_init(&eb);
    struct snapshot_params p = {
        .domain = "tm.example.net", .demo_zone = text, .demo_origin = "example.com."};
    snap = snapshot_load(&p, &errs);
    if (!snap) {
        print_error("%s", eb.text);
        return -1;
    }
    dns_view_init(&view, snap, NULL, NULL, NULL);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    snapshot_free(snap);
    return 0;
}

/* ---- building queries ---- */

struct qopt {
    uint16_t id;
    uint16_t flags; /* header bytes 2-3 */
    bool edns;
    uint16_t udp;
    uint8_t version;
    bool do_bit;
};

static const struct qopt plain = {0x1234, 0x0100, false, 0, 0, false};

/* mkq: a query for name (presentation form, case kept) into buf; returns its length. */
static size_t
mkq(uint8_t *buf, const char *name, uint16_t type, uint16_t cls, const struct qopt *o)
{
    size_t n = 0;
    buf[n++] = (uint8_t)(o->id >> 8);
    buf[n++] = (uint8_t)o->id;
    buf[n++] = (uint8_t)(o->flags >> 8);
    buf[n++] = (uint8_t)o->flags;
    static const uint8_t counts[] = {0, 1, 0, 0, 0, 0, 0, 0};
    memcpy(buf + n, counts, sizeof counts);
    n += sizeof counts;
    buf[11] = o->edns ? 1 : 0;
    for (const char *p = name; *p;) {
        const char *dot = strchr(p, '.');
        size_t ll = dot ? (size_t)(dot - p) : strlen(p);
        buf[n++] = (uint8_t)ll;
        memcpy(buf + n, p, ll);
        n += ll;
        p += ll;
        if (*p == '.')
            p++;
    }
    buf[n++] = 0;
    buf[n++] = (uint8_t)(type >> 8);
    buf[n++] = (uint8_t)type;
    buf[n++] = (uint8_t)(cls >> 8);
    buf[n++] = (uint8_t)cls;
    if (o->edns) {
        uint8_t opt[11] = {
            0, 0, 41, (uint8_t)(o->udp >> 8), (uint8_t)o->udp, 0, o->version, o->do_bit ? 0x80 : 0,
            0, 0, 0};
        memcpy(buf + n, opt, sizeof opt);
        n += sizeof opt;
    }
    return n;
}

/* ask: sends the query, checks the invariants of every answer and parses it. */
static ldns_pkt *
ask_proto(const char *name, uint16_t type, uint16_t cls, const struct qopt *o, enum dns_proto proto,
          size_t *len_out)
{
    uint8_t req[600];
    size_t qlen = mkq(req, name, type, cls, o);
    size_t cap = proto == DNS_PROTO_UDP ? DNS_EDNS_UDP_MAX : DNS_TCP_MAX;
    memset(resp, 0xEE, sizeof resp);
    size_t len = dns_handle(&view, req, qlen, proto, resp, cap);
    assert_true(len >= DNS_HEADER_LEN);
    assert_int_equal(resp[0] << 8 | resp[1], o->id);
    assert_true(resp[2] & 0x80);
    size_t limit = DNS_TCP_MAX;
    if (proto == DNS_PROTO_UDP) {
        limit = 512;
        if (o->edns && o->udp > 512)
            limit = o->udp < 1232 ? o->udp : 1232;
    }
    assert_in_range(len, DNS_HEADER_LEN, limit);
    ldns_pkt *pkt = NULL;
    assert_int_equal(ldns_wire2pkt(&pkt, resp, len), LDNS_STATUS_OK);
    if (len_out)
        *len_out = len;
    return pkt;
}

static ldns_pkt *
ask(const char *name, uint16_t type, const struct qopt *o)
{
    return ask_proto(name, type, LDNS_RR_CLASS_IN, o, DNS_PROTO_UDP, NULL);
}

/* section: the records of a section as ldns prints them, one per line. */
static char *
section(const ldns_rr_list *l)
{
    static char out[8192];
    out[0] = 0;
    for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
        char *s = ldns_rr2str(ldns_rr_list_rr(l, i));
        size_t at = strlen(out);
        snprintf(out + at, sizeof out - at, "%s", s);
        free(s);
    }
    return out;
}

static uint16_t
count(int which)
{
    return (uint16_t)(resp[4 + 2 * which] << 8 | resp[5 + 2 * which]);
}

#define QD 0
#define AN 1
#define NS 2
#define AR 3

static const char soa_neg[] = "example.com.\t300\tIN\tSOA\tns1.example.com. "
                              "hostmaster.example.com. 2026 7200 3600 1209600 300\n";

/* ---- the tests ---- */

static void
test_answer_aa_id(void **state)
{
    (void)state;
    struct qopt o = plain;
    o.id = 0xBEEF;
    ldns_pkt *p = ask("www.example.com", LDNS_RR_TYPE_A, &o);
    assert_int_equal(ldns_pkt_id(p), 0xBEEF);
    assert_true(ldns_pkt_qr(p));
    assert_true(ldns_pkt_aa(p));
    assert_false(ldns_pkt_tc(p));
    assert_true(ldns_pkt_rd(p));
    assert_false(ldns_pkt_cd(p));
    assert_false(ldns_pkt_ra(p));
    assert_int_equal(ldns_pkt_get_opcode(p), LDNS_PACKET_QUERY);
    assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
    assert_int_equal(count(QD), 1);
    assert_int_equal(count(AN), 1);
    assert_int_equal(count(NS), 0);
    assert_int_equal(count(AR), 0);
    assert_string_equal(section(ldns_pkt_answer(p)), "www.example.com.\t3600\tIN\tA\t192.0.2.20\n");
    assert_null(ldns_pkt_edns_data(p));
    assert_false(ldns_pkt_edns(p));
    ldns_pkt_free(p);
}

static void
test_flags_copied(void **state)
{
    (void)state;
    struct qopt o = plain;
    o.flags = 0x0010; /* CD only */
    ldns_pkt *p = ask("www.example.com", LDNS_RR_TYPE_A, &o);
    assert_false(ldns_pkt_rd(p));
    assert_true(ldns_pkt_cd(p));
    assert_true(ldns_pkt_aa(p));
    ldns_pkt_free(p);

    o.flags = 0x0110 | 0x0400 | 0x0200 | 0x0080 | 0x0020; /* RD CD + AA TC RA AD from the client */
    p = ask("www.example.com", LDNS_RR_TYPE_A, &o);
    assert_true(ldns_pkt_rd(p));
    assert_true(ldns_pkt_cd(p));
    assert_false(ldns_pkt_tc(p));
    assert_false(ldns_pkt_ra(p));
    assert_false(ldns_pkt_ad(p));
    assert_int_equal(count(AN), 1);
    ldns_pkt_free(p);
}

static void
test_nxdomain(void **state)
{
    (void)state;
    ldns_pkt *p = ask("nope.example.com", LDNS_RR_TYPE_A, &plain);
    assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
    assert_true(ldns_pkt_aa(p));
    assert_int_equal(count(AN), 0);
    assert_int_equal(count(NS), 1);
    assert_string_equal(section(ldns_pkt_authority(p)), soa_neg);
    ldns_pkt_free(p);

    /* Below a name that exists: still NXDOMAIN. */
    p = ask("a.b.www.example.com", LDNS_RR_TYPE_A, &plain);
    assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
    ldns_pkt_free(p);
}

static void
test_nodata(void **state)
{
    (void)state;
    ldns_pkt *p = ask("www.example.com", LDNS_RR_TYPE_MX, &plain);
    assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
    assert_true(ldns_pkt_aa(p));
    assert_int_equal(count(AN), 0);
    assert_string_equal(section(ldns_pkt_authority(p)), soa_neg);
    ldns_pkt_free(p);

    /* An empty non-terminal exists: NODATA, not NXDOMAIN. */
    p = ask("deep.ent.example.com", LDNS_RR_TYPE_A, &plain);
    assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
    assert_int_equal(count(AN), 0);
    assert_string_equal(section(ldns_pkt_authority(p)), soa_neg);
    ldns_pkt_free(p);
}

static void
test_refused(void **state)
{
    (void)state;
    size_t len;
    ldns_pkt *p =
        ask_proto("www.example.org", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, &plain, DNS_PROTO_UDP, &len);
    assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_REFUSED);
    assert_false(ldns_pkt_aa(p));
    assert_int_equal(count(QD), 1);
    assert_int_equal(count(AN) + count(NS) + count(AR), 0);
    assert_int_equal(len, 12 + 17 + 4);
    ldns_pkt_free(p);

    /* Above every zone. */
    p = ask("com", LDNS_RR_TYPE_NS, &plain);
    assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_REFUSED);
    ldns_pkt_free(p);
    p = ask("", LDNS_RR_TYPE_NS, &plain);
    assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_REFUSED);
    ldns_pkt_free(p);
}

static void
test_wildcard(void **state)
{
    (void)state;
    ldns_pkt *p = ask("Foo.wild.example.com", LDNS_RR_TYPE_A, &plain);
    assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
    assert_true(ldns_pkt_aa(p));
    assert_string_equal(section(ldns_pkt_answer(p)),
                        "Foo.wild.example.com.\t3600\tIN\tA\t192.0.2.50\n");
    ldns_pkt_free(p);

    p = ask("a.b.wild.example.com", LDNS_RR_TYPE_TXT, &plain);
    assert_string_equal(section(ldns_pkt_answer(p)),
                        "a.b.wild.example.com.\t3600\tIN\tTXT\t\"matched by *.wild\"\n");
    ldns_pkt_free(p);

    /* The wildcard owns A and TXT only: NODATA for the rest. */
    p = ask("x.wild.example.com", LDNS_RR_TYPE_AAAA, &plain);
    assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
    assert_int_equal(count(AN), 0);
    assert_string_equal(section(ldns_pkt_authority(p)), soa_neg);
    ldns_pkt_free(p);
}

static void
test_cname_chain(void **state)
{
    (void)state;
    ldns_pkt *p = ask("alias.example.com", LDNS_RR_TYPE_A, &plain);
    assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
    assert_true(ldns_pkt_aa(p));
    assert_string_equal(section(ldns_pkt_answer(p)),
                        "alias.example.com.\t3600\tIN\tCNAME\tftp.example.com.\n"
                        "ftp.example.com.\t3600\tIN\tCNAME\twww.example.com.\n"
                        "www.example.com.\t3600\tIN\tA\t192.0.2.20\n");
    ldns_pkt_free(p);

    /* Asking for the CNAME itself does not follow it. */
    p = ask("alias.example.com", LDNS_RR_TYPE_CNAME, &plain);
    assert_string_equal(section(ldns_pkt_answer(p)),
                        "alias.example.com.\t3600\tIN\tCNAME\tftp.example.com.\n");
    ldns_pkt_free(p);

    /* A target outside our zones: the CNAME alone, NOERROR, AA. */
    p = ask("out.example.com", LDNS_RR_TYPE_A, &plain);
    assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
    assert_true(ldns_pkt_aa(p));
    assert_string_equal(section(ldns_pkt_answer(p)),
                        "out.example.com.\t3600\tIN\tCNAME\twww.example.org.\n");
    ldns_pkt_free(p);

    /* A chain ending in NODATA carries the SOA. */
    p = ask("ftp.example.com", LDNS_RR_TYPE_MX, &plain);
    assert_int_equal(count(AN), 1);
    assert_string_equal(section(ldns_pkt_authority(p)), soa_neg);
    ldns_pkt_free(p);
}

static void
test_referral(void **state)
{
    (void)state;
    static const char *const names[] = {"sub.example.com", "x.y.sub.example.com"};
    for (size_t i = 0; i < 2; i++) {
        ldns_pkt *p = ask(names[i], LDNS_RR_TYPE_A, &plain);
        assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
        assert_false(ldns_pkt_aa(p));
        assert_int_equal(count(AN), 0);
        assert_string_equal(section(ldns_pkt_authority(p)),
                            "sub.example.com.\t3600\tIN\tNS\tns.elsewhere.net.\n"
                            "sub.example.com.\t3600\tIN\tNS\tns1.sub.example.com.\n");
        assert_string_equal(section(ldns_pkt_additional(p)),
                            "ns1.sub.example.com.\t3600\tIN\tA\t192.0.2.53\n"
                            "ns1.sub.example.com.\t3600\tIN\tAAAA\t2001:db8::53\n");
        ldns_pkt_free(p);
    }
}

static void
test_any_one_rrset(void **state)
{
    (void)state;
    ldns_pkt *p = ask("www.example.com", LDNS_RR_TYPE_ANY, &plain);
    assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
    assert_int_equal(count(AN), 1);
    ldns_pkt_free(p);
}

static void
test_tc_udp_without_edns(void **state)
{
    (void)state;
    size_t len;
    ldns_pkt *p = ask_proto("big.example.com", LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_IN, &plain,
                            DNS_PROTO_UDP, &len);
    assert_true(ldns_pkt_tc(p));
    assert_true(ldns_pkt_aa(p));
    assert_int_equal(count(QD), 1);
    assert_int_equal(count(AN) + count(NS) + count(AR), 0);
    assert_int_equal(len, 12 + 17 + 4);
    ldns_pkt_free(p);

    p = ask_proto("medium.example.com", LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_IN, &plain, DNS_PROTO_UDP,
                  &len);
    assert_true(ldns_pkt_tc(p));
    ldns_pkt_free(p);

    /* Over TCP: everything, no TC. */
    p = ask_proto("big.example.com", LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_IN, &plain, DNS_PROTO_TCP,
                  &len);
    assert_false(ldns_pkt_tc(p));
    assert_int_equal(count(AN), BIG_N);
    assert_true(len > 1232);
    ldns_pkt_free(p);
}

static void
test_edns_sizes(void **state)
{
    (void)state;
    size_t len;
    struct qopt o = plain;
    o.edns = true;

    /* 1232 is enough for medium, not for big. */
    o.udp = 1232;
    ldns_pkt *p = ask_proto("medium.example.com", LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_IN, &o,
                            DNS_PROTO_UDP, &len);
    assert_false(ldns_pkt_tc(p));
    assert_int_equal(count(AN), MEDIUM_N);
    assert_true(len > 512);
    ldns_pkt_free(p);
    o.udp = 65535;
    p = ask_proto("big.example.com", LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_IN, &o, DNS_PROTO_UDP, &len);
    assert_true(ldns_pkt_tc(p));
    assert_int_equal(count(AN), 0);
    assert_int_equal(count(AR), 1); /* the OPT stays */
    assert_true(ldns_pkt_edns(p));
    ldns_pkt_free(p);

    /* Every advertised size: never more than max(512, min(size, 1232)). */
    static const char *const names[] = {"medium.example.com", "big.example.com", "www.example.com"};
    for (size_t n = 0; n < 3; n++) {
        for (unsigned size = 0; size <= 65535; size += size < 1400 ? 7 : 997) {
            o.udp = (uint16_t)size;
            p = ask_proto(names[n], LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_IN, &o, DNS_PROTO_UDP, &len);
            size_t limit = size < 512 ? 512 : size > 1232 ? 1232 : size;
            assert_in_range(len, 12, limit);
            assert_true(ldns_pkt_edns(p));
            ldns_pkt_free(p);
        }
    }
}

static void
test_edns_echo(void **state)
{
    (void)state;
    struct qopt o = plain;
    o.edns = true;
    o.udp = 4096;
    o.do_bit = true;
    ldns_pkt *p = ask("www.example.com", LDNS_RR_TYPE_A, &o);
    assert_true(ldns_pkt_edns(p));
    assert_int_equal(ldns_pkt_edns_udp_size(p), 1232);
    assert_true(ldns_pkt_edns_do(p));
    assert_int_equal(ldns_pkt_edns_version(p), 0);
    assert_int_equal(ldns_pkt_edns_extended_rcode(p), 0);
    assert_int_equal(count(AN), 1);
    assert_int_equal(count(AR), 1);
    ldns_pkt_free(p);

    o.do_bit = false;
    p = ask("www.example.com", LDNS_RR_TYPE_A, &o);
    assert_false(ldns_pkt_edns_do(p));
    ldns_pkt_free(p);
}

static void
test_badvers(void **state)
{
    (void)state;
    struct qopt o = plain;
    o.edns = true;
    o.udp = 1232;
    o.version = 1;
    size_t len;
    ldns_pkt *p =
        ask_proto("www.example.com", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, &o, DNS_PROTO_UDP, &len);
    /* BADVERS = 16: 0 in the header, 1 in the OPT's extended rcode. */
    assert_int_equal(resp[3] & 0x0F, 0);
    assert_true(ldns_pkt_edns(p));
    assert_int_equal(ldns_pkt_edns_extended_rcode(p), 1);
    assert_int_equal(ldns_pkt_edns_version(p), 0);
    assert_int_equal(count(QD), 1);
    assert_int_equal(count(AN), 0);
    assert_int_equal(count(AR), 1);
    assert_false(ldns_pkt_aa(p));
    ldns_pkt_free(p);
}

static void
test_formerr(void **state)
{
    (void)state;
    uint8_t req[64];
    size_t qlen = mkq(req, "www.example.com", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, &plain);
    req[5] = 2; /* QDCOUNT 2 */
    size_t len = dns_handle(&view, req, qlen, DNS_PROTO_UDP, resp, DNS_EDNS_UDP_MAX);
    assert_int_equal(len, 12);
    assert_int_equal(resp[0] << 8 | resp[1], 0x1234);
    assert_int_equal(resp[2], 0x81);
    assert_int_equal(resp[3], LDNS_RCODE_FORMERR);
    assert_int_equal(count(QD), 0);
    ldns_pkt *p = NULL;
    assert_int_equal(ldns_wire2pkt(&p, resp, len), LDNS_STATUS_OK);
    ldns_pkt_free(p);

    /* A trailing byte: FORMERR with the question echoed. */
    qlen = mkq(req, "www.example.com", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, &plain);
    req[qlen++] = 0;
    len = dns_handle(&view, req, qlen, DNS_PROTO_UDP, resp, DNS_EDNS_UDP_MAX);
    assert_int_equal(len, qlen - 1);
    assert_int_equal(resp[3], LDNS_RCODE_FORMERR);
    assert_int_equal(count(QD), 1);
    assert_memory_equal(resp + 12, req + 12, qlen - 13);

    /* QTYPE OPT in the question. */
    p = ask("www.example.com", LDNS_RR_TYPE_OPT, &plain);
    assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_FORMERR);
    ldns_pkt_free(p);
}

static void
test_drop(void **state)
{
    (void)state;
    uint8_t req[64];
    size_t qlen = mkq(req, "www.example.com", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, &plain);
    for (size_t len = 0; len < 12; len++)
        assert_int_equal(dns_handle(&view, req, len, DNS_PROTO_UDP, resp, DNS_EDNS_UDP_MAX), 0);
    req[2] |= 0x80;
    assert_int_equal(dns_handle(&view, req, qlen, DNS_PROTO_UDP, resp, DNS_EDNS_UDP_MAX), 0);
    assert_int_equal(dns_handle(&view, req, qlen, DNS_PROTO_TCP, resp, DNS_TCP_MAX), 0);
}

static void
test_notimp(void **state)
{
    (void)state;
    struct qopt o = plain;
    o.flags = 4 << 11 | 0x0100; /* NOTIFY, RD */
    size_t len;
    ldns_pkt *p =
        ask_proto("www.example.com", LDNS_RR_TYPE_SOA, LDNS_RR_CLASS_IN, &o, DNS_PROTO_UDP, &len);
    assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOTIMPL);
    assert_int_equal(ldns_pkt_get_opcode(p), LDNS_PACKET_NOTIFY);
    assert_true(ldns_pkt_rd(p));
    assert_false(ldns_pkt_aa(p));
    assert_int_equal(count(QD), 1);
    assert_int_equal(len, 12 + 17 + 4);
    ldns_pkt_free(p);
}

static void
test_refused_types_and_classes(void **state)
{
    (void)state;
    static const uint16_t types[] = {LDNS_RR_TYPE_AXFR, LDNS_RR_TYPE_IXFR};
    for (size_t i = 0; i < 2; i++) {
        ldns_pkt *p =
            ask_proto("example.com", types[i], LDNS_RR_CLASS_IN, &plain, DNS_PROTO_TCP, NULL);
        assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_REFUSED);
        assert_int_equal(count(AN), 0);
        ldns_pkt_free(p);
    }
    static const uint16_t classes[] = {LDNS_RR_CLASS_CH, LDNS_RR_CLASS_HS, LDNS_RR_CLASS_ANY};
    for (size_t i = 0; i < 3; i++) {
        ldns_pkt *p =
            ask_proto("www.example.com", LDNS_RR_TYPE_A, classes[i], &plain, DNS_PROTO_UDP, NULL);
        assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_REFUSED);
        assert_false(ldns_pkt_aa(p));
        assert_int_equal(count(QD), 1);
        assert_int_equal(count(AN), 0);
        ldns_pkt_free(p);
    }
}

/* The trace the API's resolve reads: for every query type, whether the
 * name was looked up (not for the codes decided before: OPT, IXFR, AXFR,
 * MAILB and MAILA), and exactly the RRsets of the answer section. */
static void
test_trace_every_type(void **state)
{
    (void)state;
    static const char *const names[] = {"www.example.com", "nope.example.com", "x.sub.example.com",
                                        "tm.example.net", "elsewhere.org"};
    static struct dns_trace trace;
    view.trace = &trace;
    unsigned early = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        for (uint32_t t = 0; t <= 0xFFFF; t++) {
            uint8_t req[600];
            size_t qlen = mkq(req, names[i], (uint16_t)t, LDNS_RR_CLASS_IN, &plain);
            size_t len = dns_handle(&view, req, qlen, DNS_PROTO_TCP, resp, DNS_TCP_MAX);
            assert_true(len >= DNS_HEADER_LEN);
            uint16_t rcode = resp[3] & 0x0F, an = count(AN);
            if (!trace.looked) {
                early++;
                assert_int_equal(an, 0);
                continue;
            }
            if (rcode == LDNS_RCODE_REFUSED ? an != 0 || trace.nserved != 0 : trace.nserved != an)
                fail_msg("%s type %u: rcode %u with %u answers, the trace holds %u", names[i], t,
                         rcode, an, trace.nserved);
        }
    }
    view.trace = NULL;
    assert_int_equal(early, 5 * 5);
}

static void
test_case_preserved(void **state)
{
    (void)state;
    uint8_t req[64];
    size_t qlen = mkq(req, "WwW.ExAmPlE.CoM", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, &plain);
    size_t len = dns_handle(&view, req, qlen, DNS_PROTO_UDP, resp, DNS_EDNS_UDP_MAX);
    /* The question as sent, then the answer whose owner points at it. */
    assert_memory_equal(resp + 12, req + 12, qlen - 12);
    assert_int_equal(resp[qlen], 0xC0);
    assert_int_equal(resp[qlen + 1], 12);
    assert_int_equal(len, qlen + 2 + 10 + 4);
    ldns_pkt *p = NULL;
    assert_int_equal(ldns_wire2pkt(&p, resp, len), LDNS_STATUS_OK);
    assert_string_equal(section(ldns_pkt_answer(p)), "WwW.ExAmPlE.CoM.\t3600\tIN\tA\t192.0.2.20\n");
    ldns_pkt_free(p);

    /* The SOA owner of a negative answer points at the question's suffix. */
    qlen = mkq(req, "NoPe.ExAmPlE.CoM", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, &plain);
    len = dns_handle(&view, req, qlen, DNS_PROTO_UDP, resp, DNS_EDNS_UDP_MAX);
    assert_true(len > qlen + 2);
    assert_int_equal(resp[qlen], 0xC0);
    assert_int_equal(resp[qlen + 1], 12 + 5);
}

static void
test_domain_apex(void **state)
{
    (void)state;
    ldns_pkt *p = ask("tm.example.net", LDNS_RR_TYPE_NS, &plain);
    assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
    assert_true(ldns_pkt_aa(p));
    assert_string_equal(section(ldns_pkt_answer(p)),
                        "tm.example.net.\t3600\tIN\tNS\tns1.tm.example.net.\n");
    ldns_pkt_free(p);
    p = ask("profile.tm.example.net", LDNS_RR_TYPE_A, &plain);
    assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
    assert_int_equal(count(NS), 1);
    ldns_pkt_free(p);
}

/* ---- NSID (RFC 5001) ---- */

/* nsid_query: an EDNS query (payload udp) for name/type into req, with the
 * options opts (raw option bytes) in its OPT; returns its length. */
static size_t
nsid_query(uint8_t *req, const char *name, uint16_t type, uint16_t udp, const uint8_t *opts,
           size_t optlen)
{
    struct qopt o = plain;
    o.edns = true;
    o.udp = udp;
    size_t n = mkq(req, name, type, LDNS_RR_CLASS_IN, &o);
    req[n - 2] = (uint8_t)(optlen >> 8); /* RDLENGTH */
    req[n - 1] = (uint8_t)optlen;
    if (optlen) /* opts may be NULL for none: memcpy must not see it */
        memcpy(req + n, opts, optlen);
    return n + optlen;
}

/* opt_rdata: the RDATA of the response's OPT, which is its last record
 * (ldns checked the whole packet): its length into *len. */
static const uint8_t *
opt_rdata(size_t resp_len, size_t *len)
{
    ldns_pkt *p = NULL;
    assert_int_equal(ldns_wire2pkt(&p, resp, resp_len), LDNS_STATUS_OK);
    assert_true(ldns_pkt_edns(p));
    ldns_rdf *d = ldns_pkt_edns_data(p);
    size_t n = d ? ldns_rdf_size(d) : 0;
    ldns_pkt_free(p);
    assert_true(resp_len >= 11 + n);
    const uint8_t *o = resp + resp_len - 11 - n;
    assert_int_equal(o[0], 0);
    assert_int_equal(o[1] << 8 | o[2], LDNS_RR_TYPE_OPT);
    assert_int_equal(o[9] << 8 | o[10], n);
    *len = n;
    return o + 11;
}

static const uint8_t opt_nsid[] = {0x00, 0x03, 0x00, 0x00};
static const uint8_t nsid_lab1[] = {0x00, 0x03, 0x00, 0x05, 'l', 'a', 'b', '-', '1'};

/* A snapshot of the same zone with an NSID: what --node lab-1 loads. */
static struct gtm_snapshot *
load_with_nsid(const char *nsid)
{
    static char text[16384];
    snprintf(text, sizeof text, "%s", zone_head);
    append_txt(text, sizeof text, "medium", MEDIUM_N, MEDIUM_LEN);
    struct errbuf eb;
    struct config_errors errs = errs_init(&eb);
    struct snapshot_params p = {
        .domain = "tm.example.net", .demo_zone = text, .demo_origin = "example.com.", .nsid = nsid};
    struct gtm_snapshot *s = snapshot_load(&p, &errs);
    assert_non_null(s);
    return s;
}

static void
test_nsid_answered(void **state)
{
    (void)state;
    struct gtm_snapshot *s = load_with_nsid("lab-1");
    struct dns_view v;
    dns_view_init(&v, s, NULL, NULL, NULL);
    uint8_t req[600];
    size_t olen;

    /* Asked for, over UDP and TCP: the answer, and the OPT carries the name. */
    size_t qlen =
        nsid_query(req, "www.example.com", LDNS_RR_TYPE_A, 1232, opt_nsid, sizeof opt_nsid);
    for (int tcp = 0; tcp < 2; tcp++) {
        size_t len = dns_handle(&v, req, qlen, tcp ? DNS_PROTO_TCP : DNS_PROTO_UDP, resp,
                                tcp ? DNS_TCP_MAX : DNS_EDNS_UDP_MAX);
        assert_int_equal(count(AN), 1);
        assert_int_equal(count(AR), 1);
        assert_int_equal(resp[3] & 0x0F, LDNS_RCODE_NOERROR);
        const uint8_t *o = opt_rdata(len, &olen);
        assert_int_equal(olen, sizeof nsid_lab1);
        assert_memory_equal(o, nsid_lab1, sizeof nsid_lab1);
    }

    /* With ECS before it: ECS echoed, then the NSID. */
    static const uint8_t ecs_nsid[] = {
        0x00, 0x08, 0x00, 0x07, 0x00, 0x01, 24, 0, 192, 0, 2, /* ECS 192.0.2.0/24 */
        0x00, 0x03, 0x00, 0x00,                               /* NSID */
    };
    qlen = nsid_query(req, "www.example.com", LDNS_RR_TYPE_A, 1232, ecs_nsid, sizeof ecs_nsid);
    size_t len = dns_handle(&v, req, qlen, DNS_PROTO_UDP, resp, DNS_EDNS_UDP_MAX);
    const uint8_t *o = opt_rdata(len, &olen);
    assert_int_equal(olen, 11 + sizeof nsid_lab1);
    assert_int_equal(o[0] << 8 | o[1], 8);
    assert_memory_equal(o + 4, ecs_nsid + 4, 2); /* family */
    assert_int_equal(o[6], 24);                  /* source */
    assert_memory_equal(o + 11, nsid_lab1, sizeof nsid_lab1);

    /* Error answers carry it too: REFUSED outside the zones, NXDOMAIN. */
    qlen = nsid_query(req, "www.example.org", LDNS_RR_TYPE_A, 1232, opt_nsid, sizeof opt_nsid);
    len = dns_handle(&v, req, qlen, DNS_PROTO_UDP, resp, DNS_EDNS_UDP_MAX);
    assert_int_equal(resp[3] & 0x0F, LDNS_RCODE_REFUSED);
    o = opt_rdata(len, &olen);
    assert_int_equal(olen, sizeof nsid_lab1);
    assert_memory_equal(o, nsid_lab1, sizeof nsid_lab1);
    qlen = nsid_query(req, "nope.example.com", LDNS_RR_TYPE_A, 1232, opt_nsid, sizeof opt_nsid);
    len = dns_handle(&v, req, qlen, DNS_PROTO_UDP, resp, DNS_EDNS_UDP_MAX);
    assert_int_equal(resp[3] & 0x0F, LDNS_RCODE_NXDOMAIN);
    o = opt_rdata(len, &olen);
    assert_memory_equal(o, nsid_lab1, sizeof nsid_lab1);

    /* Not asked for (EDNS, no option; a non-empty NSID option): none. */
    qlen = nsid_query(req, "www.example.com", LDNS_RR_TYPE_A, 1232, NULL, 0);
    len = dns_handle(&v, req, qlen, DNS_PROTO_UDP, resp, DNS_EDNS_UDP_MAX);
    opt_rdata(len, &olen);
    assert_int_equal(olen, 0);
    qlen = nsid_query(req, "www.example.com", LDNS_RR_TYPE_A, 1232, nsid_lab1, sizeof nsid_lab1);
    len = dns_handle(&v, req, qlen, DNS_PROTO_UDP, resp, DNS_EDNS_UDP_MAX);
    opt_rdata(len, &olen);
    assert_int_equal(olen, 0);
    snapshot_free(s);
}

/* No --node (the snapshot has no NSID): asked for, nothing is added. */
static void
test_nsid_none(void **state)
{
    (void)state;
    uint8_t req[600];
    size_t olen;
    size_t qlen =
        nsid_query(req, "www.example.com", LDNS_RR_TYPE_A, 1232, opt_nsid, sizeof opt_nsid);
    size_t len = dns_handle(&view, req, qlen, DNS_PROTO_UDP, resp, DNS_EDNS_UDP_MAX);
    assert_int_equal(count(AN), 1);
    opt_rdata(len, &olen);
    assert_int_equal(olen, 0);

    struct gtm_snapshot *s = load_with_nsid("");
    assert_int_equal(s->nsid_len, 0);
    snapshot_free(s);
    /* At most SNAPSHOT_NSID_MAX bytes are kept. */
    char longer[SNAPSHOT_NSID_MAX + 10];
    memset(longer, 'n', sizeof longer - 1);
    longer[sizeof longer - 1] = 0;
    s = load_with_nsid(longer);
    assert_int_equal(s->nsid_len, SNAPSHOT_NSID_MAX);
    snapshot_free(s);
}

/* The NSID takes room that the sections lose: an answer that fits a
 * payload size without it is truncated with it, and the OPT with the NSID
 * is still there. */
static void
test_nsid_truncation(void **state)
{
    (void)state;
    struct gtm_snapshot *s = load_with_nsid("lab-1");
    struct dns_view v;
    dns_view_init(&v, s, NULL, NULL, NULL);
    uint8_t req[600];
    size_t olen;

    size_t qlen = nsid_query(req, "medium.example.com", LDNS_RR_TYPE_TXT, 1232, NULL, 0);
    size_t plain_len = dns_handle(&v, req, qlen, DNS_PROTO_UDP, resp, DNS_EDNS_UDP_MAX);
    assert_false(resp[2] & 0x02);
    assert_int_equal(count(AN), MEDIUM_N);
    assert_true(plain_len > 512 && plain_len + sizeof nsid_lab1 <= 1232);

    /* Exactly the room for the NSID too: it fits. */
    uint16_t udp = (uint16_t)(plain_len + sizeof nsid_lab1);
    qlen = nsid_query(req, "medium.example.com", LDNS_RR_TYPE_TXT, udp, opt_nsid, sizeof opt_nsid);
    size_t len = dns_handle(&v, req, qlen, DNS_PROTO_UDP, resp, DNS_EDNS_UDP_MAX);
    assert_int_equal(len, udp);
    assert_false(resp[2] & 0x02);
    assert_int_equal(count(AN), MEDIUM_N);
    const uint8_t *o = opt_rdata(len, &olen);
    assert_memory_equal(o, nsid_lab1, sizeof nsid_lab1);

    /* One byte less: TC, no records, the OPT and its NSID kept. */
    udp--;
    qlen = nsid_query(req, "medium.example.com", LDNS_RR_TYPE_TXT, udp, opt_nsid, sizeof opt_nsid);
    len = dns_handle(&v, req, qlen, DNS_PROTO_UDP, resp, DNS_EDNS_UDP_MAX);
    assert_true(len <= udp);
    assert_true(resp[2] & 0x02);
    assert_int_equal(count(AN), 0);
    assert_int_equal(count(AR), 1);
    o = opt_rdata(len, &olen);
    assert_int_equal(olen, sizeof nsid_lab1);
    assert_memory_equal(o, nsid_lab1, sizeof nsid_lab1);

    /* Over TCP the same query is answered whole, with the NSID. */
    len = dns_handle(&v, req, qlen, DNS_PROTO_TCP, resp, DNS_TCP_MAX);
    assert_false(resp[2] & 0x02);
    assert_int_equal(count(AN), MEDIUM_N);
    o = opt_rdata(len, &olen);
    assert_memory_equal(o, nsid_lab1, sizeof nsid_lab1);
    snapshot_free(s);
}

/* A CHAOS answer starts from a clean plan: what an earlier query left in
 * the worker's plan (DNSSEC notes, sections) never leaks into it. */
static void
test_chaos_clean_plan(void **state)
{
    (void)state;
    static char text[16384];
    snprintf(text, sizeof text, "%s", zone_head);
    struct errbuf eb;
    struct config_errors errs = errs_init(&eb);
    struct snapshot_params p = {.domain = "tm.example.net",
                                .demo_zone = text,
                                .demo_origin = "example.com.",
                                .chaos_id = "lab-1"};
    struct gtm_snapshot *s = snapshot_load(&p, &errs);
    assert_non_null(s);
    struct dns_view v;
    dns_view_init(&v, s, NULL, NULL, NULL);
    /* What an earlier query might have left. */
    v.r.an_sig_mask = 0xffffffffu;
    v.r.ndeny = 3;
    v.r.nar = 5;
    uint8_t req[600];
    struct qopt o = plain;
    o.edns = true;
    o.udp = 1232;
    o.do_bit = true;
    size_t qlen = mkq(req, "id.server", LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_CH, &o);
    size_t len = dns_handle(&v, req, qlen, DNS_PROTO_UDP, resp, DNS_EDNS_UDP_MAX);
    assert_true(len > 0);
    assert_int_equal(resp[3] & 0x0F, LDNS_RCODE_NOERROR);
    assert_int_equal(count(AN), 1);
    assert_int_equal(count(NS), 0);
    assert_int_equal(count(AR), 1); /* the OPT only */
    ldns_pkt *pkt = NULL;
    assert_int_equal(ldns_wire2pkt(&pkt, resp, len), LDNS_STATUS_OK);
    ldns_rr *rr = ldns_rr_list_rr(ldns_pkt_answer(pkt), 0);
    assert_int_equal(ldns_rr_get_class(rr), LDNS_RR_CLASS_CH);
    assert_int_equal(ldns_rr_get_type(rr), LDNS_RR_TYPE_TXT);
    ldns_pkt_free(pkt);
    /* version.bind is not configured: REFUSED; another type at id.server: NODATA. */
    qlen = mkq(req, "version.bind", LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_CH, &o);
    dns_handle(&v, req, qlen, DNS_PROTO_UDP, resp, DNS_EDNS_UDP_MAX);
    assert_int_equal(resp[3] & 0x0F, LDNS_RCODE_REFUSED);
    qlen = mkq(req, "id.server", LDNS_RR_TYPE_A, LDNS_RR_CLASS_CH, &o);
    dns_handle(&v, req, qlen, DNS_PROTO_UDP, resp, DNS_EDNS_UDP_MAX);
    assert_int_equal(resp[3] & 0x0F, LDNS_RCODE_NOERROR);
    assert_int_equal(count(AN), 0);
    snapshot_free(s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_answer_aa_id),
        cmocka_unit_test(test_flags_copied),
        cmocka_unit_test(test_nxdomain),
        cmocka_unit_test(test_nodata),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_wildcard),
        cmocka_unit_test(test_cname_chain),
        cmocka_unit_test(test_referral),
        cmocka_unit_test(test_any_one_rrset),
        cmocka_unit_test(test_tc_udp_without_edns),
        cmocka_unit_test(test_edns_sizes),
        cmocka_unit_test(test_edns_echo),
        cmocka_unit_test(test_badvers),
        cmocka_unit_test(test_formerr),
        cmocka_unit_test(test_drop),
        cmocka_unit_test(test_notimp),
        cmocka_unit_test(test_refused_types_and_classes),
        cmocka_unit_test(test_trace_every_type),
        cmocka_unit_test(test_case_preserved),
        cmocka_unit_test(test_domain_apex),
        cmocka_unit_test(test_nsid_answered),
        cmocka_unit_test(test_nsid_none),
        cmocka_unit_test(test_nsid_truncation),
        cmocka_unit_test(test_chaos_clean_plan),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
