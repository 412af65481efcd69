/* fuzz_dns_query.c: any bytes through dns_handle, over UDP and TCP, against
 * a fixed snapshot, with DNS cookies on (or required, by the input's last
 * bit) under a fixed secret; abort() when an answer breaks an invariant:
 * the ID is echoed, QR is set, the length is within the limit, the question
 * is the one asked, ldns_wire2pkt parses it back, and a well-formed client
 * cookie comes back with a 16-byte server cookie. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "dns/cookie.h"
#include "dns/handle.h"
#include "dns/query.h"
#include "gtm/snapshot.h"
#include "zones/build.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Names the seeds ask for: a wildcard, a CNAME chain (and a loop), a
 * delegation with glue, an empty non-terminal and a TXT RRset too big for
 * UDP; the --domain apex is synthesised. */
static const char zone_text[] = "$ORIGIN example.com.\n"
                                "$TTL 3600\n"
                                "@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300\n"
                                "@ NS ns1\n"
                                "@ NS ns2\n"
                                "@ A 192.0.2.10\n"
                                "@ AAAA 2001:db8::10\n"
                                "@ MX 10 mail\n"
                                "@ TXT \"v=spf1 -all\"\n"
                                "ns1 A 192.0.2.1\n"
                                "ns2 A 192.0.2.2\n"
                                "www A 192.0.2.20\n"
                                "www AAAA 2001:db8::20\n"
                                "mail A 192.0.2.25\n"
                                "ftp CNAME www\n"
                                "alias CNAME ftp\n"
                                "loop1 CNAME loop2\n"
                                "loop2 CNAME loop1\n"
                                "out CNAME www.example.org.\n"
                                "*.wild A 192.0.2.50\n"
                                "*.wild TXT \"matched by *.wild\"\n"
                                "*.cn.wild CNAME alias\n"
                                "sub NS ns1.sub\n"
                                "sub NS ns.elsewhere.net.\n"
                                "ns1.sub A 192.0.2.53\n"
                                "ns1.sub AAAA 2001:db8::53\n"
                                "host.deep.ent A 192.0.2.60\n"
                                "_sip._tcp SRV 10 60 5060 www\n";

/* big TXT: BIG_N strings of BIG_LEN bytes, more than 1232 bytes in all. */
#define BIG_N   7
#define BIG_LEN 220

static struct dns_view view;
static struct dns_cookie_secrets secrets;
static struct dns_cookie cookie;

static void
fail(const char *what, size_t size)
{
    fprintf(stderr, "fuzz_dns_query: invariant broken: %s (input %zu bytes)\n", what, size);
    abort();
}

static void
init(void)
{
    static char text[sizeof zone_text + BIG_N * (BIG_LEN + 16)];
    size_t at = (size_t)snprintf(text, sizeof text, "%s", zone_text);
    for (int i = 0; i < BIG_N; i++) {
        at += (size_t)snprintf(text + at, sizeof text - at, "big TXT \"%d", i);
        memset(text + at, 'a', BIG_LEN - 1);
        at += BIG_LEN - 1;
        at += (size_t)snprintf(text + at, sizeof text - at, "\"\n");
    }
    struct config_errors errs = {0, NULL, NULL};
    struct snapshot_params p = {.domain = "tm.example.net",
                                .demo_zone = text,
                                .demo_origin = "example.com.",
                                .nsid = "fuzz-node-1"};
    const struct gtm_snapshot *snap = snapshot_load(&p, &errs);
    if (!snap) {
        fprintf(stderr, "fuzz_dns_query: the fixed zone does not load (%u errors)\n", errs.count);
        abort();
    }
    dns_view_init(&view, snap, NULL, NULL, NULL);
    static const uint8_t secret[DNS_COOKIE_SECRET_LEN] = {0xe5, 0xe9, 0x73, 0xe5, 0xa6, 0xb2,
                                                          0xa4, 0x3f, 0x48, 0xe7, 0xdc, 0x84,
                                                          0x9e, 0x37, 0xbf, 0xcf};
    dns_cookie_secrets_set(&secrets, secret, NULL);
    if (dns_cookie_init(&cookie, &secrets, DNS_COOKIE_ON) != 0) {
        fprintf(stderr, "fuzz_dns_query: no SipHash in OpenSSL\n");
        abort();
    }
    view.cookie = &cookie;
}

/* The answer's COOKIE option: the client cookie q sent, then a server
 * cookie of ours (16 bytes, version 1). */
static void
check_cookie(const ldns_pkt *pkt, const struct dns_query *q, size_t size)
{
    ldns_rdf *opts = ldns_pkt_edns_data(pkt);
    const uint8_t *o = opts ? ldns_rdf_data(opts) : NULL;
    size_t n = opts ? ldns_rdf_size(opts) : 0, found = 0;
    for (size_t k = 0; k + 4 <= n;) {
        unsigned code = (unsigned)(o[k] << 8 | o[k + 1]),
                 olen = (unsigned)(o[k + 2] << 8 | o[k + 3]);
        if (k + 4 + olen > n)
            fail("OPT options overrun", size);
        if (code == 10) {
            if (olen != 24 || memcmp(o + k + 4, q->cookie, 8) != 0 || o[k + 12] != 1)
                fail("COOKIE not the client cookie and a server cookie", size);
            found++;
        }
        k += 4 + olen;
    }
    if (found != 1)
        fail("COOKIE missing or repeated", size);
}

static void
check(const uint8_t *data, size_t size, enum dns_proto proto)
{
    static uint8_t resp[DNS_TCP_MAX];
    size_t cap = proto == DNS_PROTO_UDP ? DNS_EDNS_UDP_MAX : DNS_TCP_MAX;
    size_t len = dns_handle(&view, data, size, proto, resp, cap);

    struct dns_query q;
    int parsed = dns_query_parse(data, size, &q);
    if (len == 0) {
        /* Silence only for what must not be answered. */
        if (parsed != DNS_PARSE_DROP)
            fail("no answer to a query", size);
        return;
    }
    if (parsed == DNS_PARSE_DROP)
        fail("an answer to a response or a runt", size);
    if (q.has_question && q.lhash != dname_hash(q.lname, q.qname_len))
        fail("the parser's name hash differs from dname_hash", size);
    if (len < DNS_HEADER_LEN)
        fail("answer shorter than a header", size);
    if (resp[0] != data[0] || resp[1] != data[1])
        fail("ID not echoed", size);
    if (!(resp[2] & 0x80))
        fail("QR not set", size);
    if ((resp[2] & 0x79) != (data[2] & 0x79))
        fail("opcode or RD not copied", size);
    if ((resp[3] & 0x10) != (data[3] & 0x10))
        fail("CD not copied", size);

    size_t limit = DNS_TCP_MAX;
    if (proto == DNS_PROTO_UDP) {
        limit = DNS_UDP_MIN;
        if (q.edns && q.edns_udp > DNS_UDP_MIN)
            limit = q.edns_udp < DNS_EDNS_UDP_MAX ? q.edns_udp : DNS_EDNS_UDP_MAX;
        if (limit > DNS_EDNS_UDP_MAX)
            fail("limit computation", size);
    } else if (resp[2] & 0x02) {
        fail("TC over TCP", size);
    }
    if (len > limit)
        fail("answer longer than the limit", size);

    /* The question is echoed as it was sent (case included), or not at all. */
    unsigned qd = (unsigned)(resp[4] << 8 | resp[5]);
    if (qd != (q.has_question ? 1u : 0u))
        fail("QDCOUNT", size);
    if (q.has_question && (len < (size_t)DNS_HEADER_LEN + q.question_len ||
                           memcmp(resp + DNS_HEADER_LEN, data + DNS_HEADER_LEN, q.question_len)))
        fail("question not echoed", size);

    ldns_pkt *pkt = NULL;
    if (ldns_wire2pkt(&pkt, resp, len) != LDNS_STATUS_OK)
        fail("ldns_wire2pkt rejects the answer", size);
    if (q.rcode && (ldns_pkt_get_rcode(pkt) != (q.rcode & 0x0F) || ldns_pkt_ancount(pkt) != 0))
        fail("early rcode", size);
    if (q.edns != ldns_pkt_edns(pkt))
        fail("OPT not echoed", size);
    /* A well-formed cookie in a query answered past the header: one back. */
    if (q.edns && q.cookie_len && !q.rcode && q.has_question)
        check_cookie(pkt, &q, size);
    if (ldns_pkt_get_rcode(pkt) == (DNS_RCODE_BADCOOKIE & 0x0F) &&
        (proto != DNS_PROTO_UDP || cookie.mode != DNS_COOKIE_REQUIRE || !q.cookie_len ||
         ldns_pkt_ancount(pkt) != 0))
        fail("BADCOOKIE where it does not belong", size);
    ldns_pkt_free(pkt);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!view.snap)
        init();
    /* An exact-size copy: the sanitizers see any read past the end. */
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    if (size)
        memcpy(copy, data, size);
    cookie.mode = size && (data[size - 1] & 1) ? DNS_COOKIE_REQUIRE : DNS_COOKIE_ON;
    check(copy, size, DNS_PROTO_UDP);
    check(copy, size, DNS_PROTO_TCP);
    free(copy);
    return 0;
}
