/* dname.h: domain names in wire format (lowercase in all tables). Pure functions. */
#ifndef GTM_GTM_DNAME_H
#define GTM_GTM_DNAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNAME_MAXLEN    255
#define DNAME_MAXLABELS 128

/* dname_hash: hash of len bytes (a lowercase wire name), eight at a time:
 * it runs for every suffix probed on the answer path. */
static inline uint32_t
dname_hash(const uint8_t *name, size_t len)
{
    uint64_t h = 0x9E3779B97F4A7C15ull ^ len;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        __builtin_memcpy(&w, name + i, 8);
        h = (h ^ w) * 0xFF51AFD7ED558CCDull;
        h ^= h >> 32;
    }
    if (i < len) {
        uint64_t w = 0;
        __builtin_memcpy(&w, name + i, len - i);
        h = (h ^ w) * 0xC4CEB9FE1A85EC53ull;
    }
    h ^= h >> 29;
    return (uint32_t)h;
}

/* dname_lower_bytes: ASCII lowercase of n bytes in place, eight at a time.
 * Safe on a whole wire name: length bytes (0..63) are never letters. */
static inline void
dname_lower_bytes(uint8_t *p, size_t n)
{
    const uint64_t ones = 0x0101010101010101ull;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        __builtin_memcpy(&w, p + i, 8);
        /* high bit of each byte set where 'A' <= byte <= 'Z'; the sums are
         * done on the low seven bits so that no byte carries into the next */
        uint64_t low7 = w & (ones * 0x7F);
        uint64_t ge_a = low7 + ones * (0x80 - 'A');
        uint64_t gt_z = low7 + ones * (0x80 - 'Z' - 1);
        uint64_t upper = (ge_a & ~gt_z & ~w) & (ones * 0x80);
        w |= upper >> 2; /* 0x80 >> 2 == 0x20 */
        __builtin_memcpy(p + i, &w, 8);
    }
    for (; i < n; i++)
        if (p[i] >= 'A' && p[i] <= 'Z')
            p[i] = (uint8_t)(p[i] + 32);
}

static inline uint8_t
dname_lower(uint8_t c)
{
    return (uint8_t)(c >= 'A' && c <= 'Z' ? c + 32 : c);
}

/* dname_from_text: presentation name (absolute or relative to the root)
 * -> lowercase wire in out[DNAME_MAXLEN]; returns length or a negative GTM_E*. */
int dname_from_text(const char *text, uint8_t *out);

/* dname_to_text: wire -> presentation form with a trailing dot (escaped as
 * needed) into out[cap]; returns out. Never fails: truncates to cap. */
char *dname_to_text(const uint8_t *name, char *out, size_t cap);

/* dname_labels: number of labels (the root has 0). name must be valid wire. */
unsigned dname_labels(const uint8_t *name);

/* dname_is_subdomain: true when name equals or is below parent (both lowercase wire). */
bool dname_is_subdomain(const uint8_t *name, size_t name_len, const uint8_t *parent,
                        size_t parent_len);

#endif
