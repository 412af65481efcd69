/* nsec3.c: NSEC3 hashing and the chain search (see gtm/nsec3.h). */
#include "config.h"
#include "gtm/nsec3.h"

#include <string.h>

/* SHA1_Init and friends: deprecated in OpenSSL 3, but the one-shot SHA1()
 * there goes through EVP_Q_digest, which fetches and allocates per call;
 * the answer path must not. */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/sha.h>

void
nsec3_hash(const uint8_t *name, size_t name_len, const uint8_t *salt, size_t salt_len,
           unsigned iterations, uint8_t out[NSEC3_HASH_LEN])
{
    SHA_CTX c;
    SHA1_Init(&c);
    SHA1_Update(&c, name, name_len);
    SHA1_Update(&c, salt, salt_len);
    SHA1_Final(out, &c);
    for (unsigned i = 0; i < iterations; i++) {
        SHA1_Init(&c);
        SHA1_Update(&c, out, NSEC3_HASH_LEN);
        SHA1_Update(&c, salt, salt_len);
        SHA1_Final(out, &c);
    }
}

void
nsec3_b32(const uint8_t hash[NSEC3_HASH_LEN], char out[NSEC3_B32_LEN])
{
    static const char digits[] = "0123456789abcdefghijklmnopqrstuv";
    /* 20 bytes = 160 bits = 32 digits of 5 bits: four groups of 5 bytes */
    for (unsigned g = 0; g < 4; g++) {
        const uint8_t *b = hash + 5 * g;
        uint64_t v = (uint64_t)b[0] << 32 | (uint64_t)b[1] << 24 | (uint64_t)b[2] << 16 |
                     (uint64_t)b[3] << 8 | b[4];
        for (unsigned k = 0; k < 8; k++)
            out[8 * g + k] = digits[(v >> (35 - 5 * k)) & 31];
    }
}

const struct nsec3_entry *
nsec3_find(const struct nsec3_chain *c, const uint8_t h[NSEC3_HASH_LEN], int *match)
{
    uint32_t lo = 0, hi = c->n;
    while (lo < hi) { /* first entry >= h */
        uint32_t mid = lo + (hi - lo) / 2;
        if (memcmp(c->v[mid].hash, h, NSEC3_HASH_LEN) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < c->n && memcmp(c->v[lo].hash, h, NSEC3_HASH_LEN) == 0) {
        *match = 1;
        return &c->v[lo];
    }
    *match = 0;
    return &c->v[lo ? lo - 1 : c->n - 1];
}
