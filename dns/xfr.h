/* xfr.h: zone transfers (AXFR, RFC 5936; IXFR answered as AXFR, RFC 1995
 * 4) of the static zones, with TSIG (RFC 8945) through ldns. A cold path:
 * it allocates, and only runs for a query of type AXFR or IXFR. */
#ifndef GTM_DNS_XFR_H
#define GTM_DNS_XFR_H

#include <stddef.h>
#include <stdint.h>

#include "dns/handle.h"

/* What a transfer over TCP hands to the transport: the messages, each with
 * its 2-byte length, in one malloc'd buffer that the transport frees. */
struct xfr_stream {
    uint8_t *buf;
    size_t len;
};

/* Largest message a transfer puts together before it starts the next one
 * (RFC 5936 2.2: many RRs per message; a secondary's reader does not wait
 * for 64 KiB). */
#define XFR_MSG_TARGET 16384

/* dns_xfr: answers the AXFR or IXFR request req[0..len) (its header and
 * question already read into v->q) received over proto, as v->xfr allows.
 * A single-message answer goes into resp[0..cap) and its length is
 * returned; a transfer of several messages (TCP, v->stream set) goes into
 * *v->stream and its whole length is returned. *rcode is the response
 * code, for the counters. 0: nothing to send. */
size_t dns_xfr(struct dns_view *v, const uint8_t *req, size_t len, enum dns_proto proto,
               uint8_t *resp, size_t cap, uint16_t *rcode);

/* zone_serial: the SOA serial of zone z. */
struct zone;
uint32_t zone_serial(const struct zone *z);

#endif
