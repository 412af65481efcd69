/* rrsig.h: one RRSIG RRset made from wire records (RFC 4034 3.1.8.1),
 * for the signatures the answer path cannot find ready: the union of
 * several endpoints' records that MultiValue answers as one RRset. ldns
 * does the cryptography (ldns_sign_public_buffer); this only lays out
 * what is signed. Reads the keys, changes nothing shared: any thread. */
#ifndef GTM_GTM_RRSIG_H
#define GTM_GTM_RRSIG_H

#include <stddef.h>
#include <stdint.h>

/* What signs a zone's RRsets other than DNSKEY, CDS and CDNSKEY: its
 * zone-signing keys (an ldns_key_list, never changed once made; its keys'
 * inception and expiration are not read), its apex and the lifetime of
 * the signatures. Part of a signed zone (struct zone.signer). */
struct ldns_struct_key_list;
struct rrsig_signer {
    const struct ldns_struct_key_list *keys;
    const uint8_t *apex; /* lowercase wire: the signer's name */
    uint8_t apex_len;
    uint32_t lifetime; /* seconds after now; valid from an hour before */
};

/* The most records rrsig_make takes: MultiValue's picks, and more. */
#define RRSIG_MAX_RECORDS 32

/* rrsig_make: the RRSIGs (one per key of sg) over the RRset of type and
 * TTL owned by owner (lowercase wire; a wildcard's "*" kept) made of the
 * records rd[i][0..rdlen[i]) (their RDATA, canonical: lowercase names),
 * in any order and possibly repeated (sorted and made distinct first, as
 * RFC 4034 6.3 says), valid from now - 3600 to now + sg->lifetime.
 * Writes count x (RDLENGTH in network order, RDATA) into out[0..cap) and
 * returns the number of records written (>= 1), or -1 when n is out of
 * range, it does not fit or ldns cannot sign. Allocates (ldns). */
int rrsig_make(const struct rrsig_signer *sg, const uint8_t *owner, size_t owner_len, uint16_t type,
               uint32_t ttl, const uint8_t *const *rd, const uint16_t *rdlen, unsigned n,
               int64_t now, uint8_t *out, size_t cap, size_t *out_len);

#endif
