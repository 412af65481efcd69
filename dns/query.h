/* query.h: the only hand-written wire parser: header, question and OPT of a
 * query, bounded and fuzzed; and its inverse for the API's resolve, which
 * asks dns_handle a made-up query. Pure: no allocation, no I/O. */
#ifndef GTM_DNS_QUERY_H
#define GTM_DNS_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gtm/dname.h"

#define DNS_HEADER_LEN   12
#define DNS_EDNS_UDP_MAX 1232 /* our advertised and largest UDP payload (DNS flag day 2020) */
#define DNS_UDP_MIN      512

/* COOKIE (RFC 7873 4): a client cookie, then a server cookie of 8 to 32 bytes. */
#define DNS_COOKIE_CLIENT 8
#define DNS_COOKIE_MAX    40

enum dns_parse {
    DNS_PARSE_OK,   /* a query to answer; q->rcode may hold an early error */
    DNS_PARSE_DROP, /* no answer at all: shorter than a header, or a response */
};

struct dns_query {
    /* Cleared first, together (the first 12 bytes): the verdicts and flags. */
    uint16_t rcode;    /* early verdict: 0, FORMERR, NOTIMP, or BADVERS (16) */
    uint16_t edns_udp; /* requester's payload size */
    bool has_question; /* the question parsed: it is echoed in the answer */
    bool edns;         /* a valid OPT record was present */
    bool edns_do;      /* its DO bit */
    bool ecs;          /* a valid EDNS Client Subnet option (RFC 7871) */
    bool nsid;         /* an empty NSID option: the client asks who answers (RFC 5001) */
    uint8_t edns_version;
    /* A well-formed COOKIE option (RFC 7873 4): its length (8: a client
     * cookie alone; 16 to 40: and a server cookie of 8 to 32 bytes), 0 for
     * none. The cookie step (dns_cookie_answer) turns it into the option to
     * answer with. */
    uint8_t cookie_len;
    /* Set by the cookie step: the request carried a valid server cookie of
     * ours (RFC 7873 5.2.5): it comes from the address it says (rate
     * limiting may spare it). */
    bool cookie_valid;
    uint16_t id;
    uint8_t flags1, flags2; /* header bytes 2 and 3 as received */
    uint8_t opcode;
    uint16_t qtype, qclass;
    uint8_t qname_len;           /* wire length of the name */
    uint16_t question_len;       /* bytes of the question section in the request */
    uint8_t lname[DNAME_MAXLEN]; /* the name, lowercase wire */
    uint32_t lhash;              /* dname_hash(lname, qname_len) */
    uint8_t ecs_family;          /* 1 IPv4, 2 IPv6 (address family numbers) */
    uint8_t ecs_source;          /* SOURCE PREFIX-LENGTH */
    uint8_t ecs_addr[16];        /* the address; bits past the source prefix are zero */
    /* The COOKIE option's data, cookie_len bytes. */
    uint8_t cookie[DNS_COOKIE_MAX];
};

/* dns_query_parse: parses the request in buf[0..len). Never reads past len.
 * Returns enum dns_parse; q is filled as far as parsing got. */
int dns_query_parse(const uint8_t *buf, size_t len, struct dns_query *q);

/* Room for any query dns_query_make writes. */
#define DNS_QUERY_MAKE_MAX (DNS_HEADER_LEN + DNAME_MAXLEN + 4 + 11 + 8 + 16)

/* dns_query_make: a query (ID 0, RD clear) for name (wire, name_len bytes)
 * of type qtype, class IN, into buf (room for DNS_QUERY_MAKE_MAX); with an
 * OPT record carrying EDNS Client Subnet when ecs_family is 1 (IPv4) or 2
 * (IPv6): ecs_source bits of ecs_addr, whose bits past them must be zero.
 * Returns its length. */
size_t dns_query_make(uint8_t *buf, const uint8_t *name, uint8_t name_len, uint16_t qtype,
                      uint8_t ecs_family, uint8_t ecs_source, const uint8_t *ecs_addr);

#endif
