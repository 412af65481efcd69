/* nsec3.h: NSEC3 hashing (RFC 5155 5) and the search of a signed zone's
 * chain, shared by the load (zones/dnssec.c) and the answer path
 * (dns/dnssec.c). Pure: no allocation. */
#ifndef GTM_GTM_NSEC3_H
#define GTM_GTM_NSEC3_H

#include <stddef.h>
#include <stdint.h>

#include "gtm/snapshot.h"

#define NSEC3_HASH_LEN 20 /* SHA-1 */
#define NSEC3_B32_LEN  32 /* its base32hex form */

/* nsec3_hash: IH(salt, name, iterations) with SHA-1 (RFC 5155 5) of a
 * lowercase wire name (name_len bytes) into out[NSEC3_HASH_LEN]. Uses
 * OpenSSL's SHA-1 on a stack context: no allocation. Any thread. */
void nsec3_hash(const uint8_t *name, size_t name_len, const uint8_t *salt, size_t salt_len,
                unsigned iterations, uint8_t out[NSEC3_HASH_LEN]);

/* nsec3_b32: base32hex (RFC 4648 7, lowercase, no padding) of a hash into
 * out[NSEC3_B32_LEN]. */
void nsec3_b32(const uint8_t hash[NSEC3_HASH_LEN], char out[NSEC3_B32_LEN]);

/* nsec3_find: in chain c (n > 0), the entry whose hash equals h (*match
 * set to 1), else the one that covers h: the last hash before it, the
 * chain's last entry when h sorts before the first (*match set to 0). */
const struct nsec3_entry *nsec3_find(const struct nsec3_chain *c, const uint8_t h[NSEC3_HASH_LEN],
                                     int *match);

#endif
