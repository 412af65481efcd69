/* rrsig.c: an RRSIG RRset from wire records (see gtm/rrsig.h). */
#include "config.h"
#include "gtm/rrsig.h"

#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

struct rec {
    const uint8_t *rd;
    uint16_t len;
};

/* RFC 4034 6.3: RDATA as left-justified unsigned octet sequences, the
 * shorter first when one is the other's start. */
static int
rec_cmp(const void *x, const void *y)
{
    const struct rec *a = x, *b = y;
    int c = memcmp(a->rd, b->rd, a->len < b->len ? a->len : b->len);
    if (c)
        return c;
    return (a->len > b->len) - (a->len < b->len);
}

/* Labels of a wire name, the root and a leading "*" not counted (RFC 4034 3.1.3). */
static unsigned
labels(const uint8_t *name)
{
    unsigned n = 0;
    for (size_t i = 0; name[i]; i += (size_t)name[i] + 1)
        n++;
    if (n && name[0] == 1 && name[1] == '*')
        n--;
    return n;
}

static void
w16(ldns_buffer *b, unsigned v)
{
    ldns_buffer_write_u16(b, (uint16_t)v);
}

int
rrsig_make(const struct rrsig_signer *sg, const uint8_t *owner, size_t owner_len, uint16_t type,
           uint32_t ttl, const uint8_t *const *rd, const uint16_t *rdlen, unsigned n, int64_t now,
           uint8_t *out, size_t cap, size_t *out_len)
{
    if (n == 0 || n > RRSIG_MAX_RECORDS || !sg->keys)
        return -1;
    struct rec v[RRSIG_MAX_RECORDS];
    for (unsigned i = 0; i < n; i++)
        v[i] = (struct rec){rd[i], rdlen[i]};
    qsort(v, n, sizeof *v, rec_cmp);
    unsigned m = 0;
    for (unsigned i = 0; i < n; i++)
        if (m == 0 || rec_cmp(&v[m - 1], &v[i]) != 0)
            v[m++] = v[i];

    ldns_key_list *keys = (ldns_key_list *)sg->keys;
    uint32_t inception = (uint32_t)(now - 3600), expiration = (uint32_t)(now + sg->lifetime);
    size_t o = 0;
    int made = 0;
    /* what is signed: RRSIG RDATA before the signature, then the records
     * (ldns_buffer_write does not grow the buffer: sized here) */
    size_t need = 18 + (size_t)sg->apex_len;
    for (unsigned i = 0; i < m; i++)
        need += owner_len + 10 + v[i].len;
    ldns_buffer *b = ldns_buffer_new(need);
    if (!b)
        return -1;
    for (size_t k = 0; k < ldns_key_list_key_count(keys); k++) {
        ldns_key *key = ldns_key_list_key(keys, k);
        /* RRSIG RDATA without the signature, then the records */
        ldns_buffer_clear(b);
        w16(b, type);
        ldns_buffer_write_u8(b, (uint8_t)ldns_key_algorithm(key));
        ldns_buffer_write_u8(b, (uint8_t)labels(owner));
        ldns_buffer_write_u32(b, ttl);
        ldns_buffer_write_u32(b, expiration);
        ldns_buffer_write_u32(b, inception);
        w16(b, ldns_key_keytag(key));
        ldns_buffer_write(b, sg->apex, sg->apex_len);
        size_t head = ldns_buffer_position(b);
        for (unsigned i = 0; i < m; i++) {
            ldns_buffer_write(b, owner, owner_len);
            w16(b, type);
            w16(b, LDNS_RR_CLASS_IN);
            ldns_buffer_write_u32(b, ttl);
            w16(b, v[i].len);
            ldns_buffer_write(b, v[i].rd, v[i].len);
        }
        /* ldns signs begin .. position */
        ldns_rdf *sig = ldns_sign_public_buffer(b, key);
        if (!sig)
            break;
        size_t rdl = head + ldns_rdf_size(sig);
        if (o + 2 + rdl > cap || rdl > 65535) {
            ldns_rdf_deep_free(sig);
            break;
        }
        out[o] = (uint8_t)(rdl >> 8);
        out[o + 1] = (uint8_t)rdl;
        memcpy(out + o + 2, ldns_buffer_begin(b), head);
        memcpy(out + o + 2 + head, ldns_rdf_data(sig), ldns_rdf_size(sig));
        o += 2 + rdl;
        made++;
        ldns_rdf_deep_free(sig);
    }
    ldns_buffer_free(b);
    if (made == 0 || (size_t)made != ldns_key_list_key_count(keys))
        return -1;
    *out_len = o;
    return made;
}
