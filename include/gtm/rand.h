/* rand.h: a small per-thread PRNG (xorshift64*) for weighted picks. Not for
 * secrets. Seeded per worker at start; tests seed it to get exact counts. */
#ifndef GTM_GTM_RAND_H
#define GTM_GTM_RAND_H

#include <stdint.h>

static inline uint64_t
gtm_rand64(uint64_t *s)
{
    uint64_t x = *s ? *s : 0x9E3779B97F4A7C15ull;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

/* gtm_rand_below: uniform-enough integer in [0, n), n > 0. */
static inline uint32_t
gtm_rand_below(uint64_t *s, uint32_t n)
{
    return (uint32_t)(((gtm_rand64(s) >> 32) * (uint64_t)n) >> 32);
}

#endif
