/* fuzz_zonefile.c: any bytes as a zone file. zonefile_parse never crashes
 * and reports errors inside the file; a zone that loads is then queried at
 * every name it holds, and every answer must parse back and hold no ALIAS
 * record (type 65401 is never served). */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "dns/handle.h"
#include "dns/query.h"
#include "gtm/log.h"
#include "gtm/snapshot.h"
#include "zones/zonefile.h"
#include "zones/build.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
    unsigned n;
    unsigned max_line; /* lines in the input */
};

static void
sink(void *arg, const char *file, unsigned line, const char *msg)
{
    struct seen *s = arg;
    s->n++;
    bool ours = strcmp(file, "fuzz.zone") == 0 || strcmp(file, "<demo>") == 0;
    if (!ours || line > s->max_line || !msg[0]) {
        fprintf(stderr, "fuzz_zonefile: bad error: %s:%u: %s (input has %u lines)\n", file, line,
                msg, s->max_line);
        abort();
    }
}

static void
query(struct dns_view *v, const uint8_t *name, size_t name_len, uint16_t qtype)
{
    static uint8_t req[512], resp[DNS_TCP_MAX];
    static const uint8_t hdr[DNS_HEADER_LEN] = {0x5A, 0xA5, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 1};
    static const uint8_t opt[11] = {0, 0, 41, 0x04, 0xD0, 0, 0, 0x80, 0, 0, 0};
    size_t n = 0;
    memcpy(req, hdr, sizeof hdr);
    n += sizeof hdr;
    memcpy(req + n, name, name_len);
    n += name_len;
    req[n++] = (uint8_t)(qtype >> 8);
    req[n++] = (uint8_t)qtype;
    req[n++] = 0;
    req[n++] = 1;
    memcpy(req + n, opt, sizeof opt);
    n += sizeof opt;
    for (int tcp = 0; tcp < 2; tcp++) {
        enum dns_proto proto = tcp ? DNS_PROTO_TCP : DNS_PROTO_UDP;
        size_t len = dns_handle(v, req, n, proto, resp, tcp ? DNS_TCP_MAX : DNS_EDNS_UDP_MAX);
        ldns_pkt *pkt = NULL;
        if (len < DNS_HEADER_LEN || len > (tcp ? DNS_TCP_MAX : DNS_EDNS_UDP_MAX) ||
            resp[0] != 0x5A || resp[1] != 0xA5 || !(resp[2] & 0x80) ||
            ldns_wire2pkt(&pkt, resp, len) != LDNS_STATUS_OK) {
            fprintf(stderr, "fuzz_zonefile: bad answer (%zu bytes) for type %u\n", len, qtype);
            abort();
        }
        for (int sec = LDNS_SECTION_ANSWER; sec <= LDNS_SECTION_ADDITIONAL; sec++) {
            ldns_rr_list *l = ldns_pkt_get_section_clone(pkt, (ldns_pkt_section)sec);
            for (size_t i = 0; l && i < ldns_rr_list_rr_count(l); i++)
                if ((uint16_t)ldns_rr_get_type(ldns_rr_list_rr(l, i)) == RR_TYPE_ALIAS) {
                    fprintf(stderr, "fuzz_zonefile: an ALIAS record on the wire\n");
                    abort();
                }
            ldns_rr_list_deep_free(l);
        }
        ldns_pkt_free(pkt);
    }
}

/* Every name of every zone (and a name below each), a few types each. */
static void
query_all(const struct gtm_snapshot *s)
{
    static const uint16_t types[] = {LDNS_RR_TYPE_A,   LDNS_RR_TYPE_AAAA, LDNS_RR_TYPE_NS,
                                     LDNS_RR_TYPE_SOA, LDNS_RR_TYPE_MX,   LDNS_RR_TYPE_TXT,
                                     LDNS_RR_TYPE_ANY, RR_TYPE_ALIAS};
    struct dns_view v;
    dns_view_init(&v, s, NULL, NULL, NULL);
    for (uint32_t zi = 0; zi <= s->zmask; zi++) {
        const struct zone *z = s->ztable[zi];
        if (!z)
            continue;
        unsigned done = 0;
        for (uint32_t i = 0; i <= z->mask && done < 64; i++) {
            const struct zone_node *node = z->table[i];
            if (!node)
                continue;
            done++;
            for (size_t t = 0; t < sizeof types / sizeof types[0]; t++)
                query(&v, node->name, node->name_len, types[t]);
            for (const struct rrset *r = node->rrsets; r; r = r->next)
                query(&v, node->name, node->name_len, r->type);
            if (node->name_len + 2 <= DNAME_MAXLEN) {
                uint8_t below[DNAME_MAXLEN];
                below[0] = 1;
                below[1] = 'X';
                memcpy(below + 2, node->name, node->name_len);
                query(&v, below, node->name_len + 2u, LDNS_RR_TYPE_A);
            }
        }
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool quiet;
    if (!quiet) {
        log_set_level(LOG_LEVEL_ERROR); /* "zone has no NS records" for every input */
        quiet = true;
    }
    struct seen seen = {0, 1};
    bool has_nul = memchr(data, 0, size) != NULL;
    for (size_t i = 0; i < size; i++)
        seen.max_line += data[i] == '\n';

    /* The parser alone, on the bytes as they are (NULs included). */
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = 0;
    struct config_errors errs = {0, sink, &seen};
    FILE *fp = size ? fmemopen(text, size, "r") : NULL;
    if (fp) {
        struct zone_src src;
        int rc = zonefile_parse(fp, "fuzz.zone", "example.com.", &errs, &src);
        fclose(fp);
        if ((rc == 0) != (errs.count == 0) || seen.n != errs.count)
            abort();
        if (rc == 0)
            zone_src_cleanup(&src);
    }

    /* The whole load, then queries, when it is text. */
    if (!has_nul && size) {
        struct config_errors errs2 = {0, sink, &seen};
        struct snapshot_params p = {
            .domain = "trafficmanager.net", .demo_zone = text, .demo_origin = "example.com."};
        struct gtm_snapshot *s = snapshot_load(&p, &errs2);
        if ((s != NULL) != (errs2.count == 0))
            abort();
        if (s)
            query_all(s);
        snapshot_free(s);
    }
    free(text);
    return 0;
}
