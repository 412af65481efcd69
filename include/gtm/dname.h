/* dname.h: domain names in wire format (lowercase in all tables). Pure functions. */
#ifndef GTM_GTM_DNAME_H
#define GTM_GTM_DNAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNAME_MAXLEN    255
#define DNAME_MAXLABELS 128

/* dname_load: eight bytes as a word (any alignment). */
static inline uint64_t
dname_load(const uint8_t *p)
{
    uint64_t w;
    __builtin_memcpy(&w, p, 8);
    return w;
}

/* dname_tail: bytes p[i..len) (fewer than eight) as a word, zero-padded as if
 * copied into a cleared word. When len >= 8 it loads the last eight bytes
 * and shifts the ones already seen out: no byte-sized copy. */
static inline uint64_t
dname_tail(const uint8_t *p, size_t len, size_t i)
{
    uint64_t w = 0;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (len >= 8)
        return dname_load(p + len - 8) >> (8 * (8 - (len - i)));
#endif
    for (size_t k = 0; i + k < len; k++)
        w |= (uint64_t)p[i + k] << (8 * k);
    return w;
}

/* dname_hash_start/word/end: the steps of dname_hash, shared with
 * dname_copy_lower_hash so that both give the same value. */
static inline uint64_t
dname_hash_start(size_t len)
{
    return 0x9E3779B97F4A7C15ull ^ len;
}

static inline uint64_t
dname_hash_word(uint64_t h, uint64_t w)
{
    h = (h ^ w) * 0xFF51AFD7ED558CCDull;
    return h ^ (h >> 32);
}

static inline uint32_t
dname_hash_end(uint64_t h, uint64_t tail, bool has_tail)
{
    if (has_tail)
        h = (h ^ tail) * 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 29;
    return (uint32_t)h;
}

/* dname_hash: hash of len bytes (a lowercase wire name), eight at a time:
 * it runs for every suffix probed on the answer path. */
static inline uint32_t
dname_hash(const uint8_t *name, size_t len)
{
    uint64_t h = dname_hash_start(len);
    size_t i = 0;
    for (; i + 8 <= len; i += 8)
        h = dname_hash_word(h, dname_load(name + i));
    return dname_hash_end(h, i < len ? dname_tail(name, len, i) : 0, i < len);
}

/* dname_lower_word: ASCII lowercase of the eight bytes of w. Safe on a whole
 * wire name: length bytes (0..63) are never letters. */
static inline uint64_t
dname_lower_word(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ull;
    /* high bit of each byte set where 'A' <= byte <= 'Z'; the sums are done
     * on the low seven bits so that no byte carries into the next */
    uint64_t low7 = w & (ones * 0x7F);
    uint64_t ge_a = low7 + ones * (0x80 - 'A');
    uint64_t gt_z = low7 + ones * (0x80 - 'Z' - 1);
    uint64_t upper = (ge_a & ~gt_z & ~w) & (ones * 0x80);
    return w | (upper >> 2); /* 0x80 >> 2 == 0x20 */
}

static inline uint8_t
dname_lower(uint8_t c)
{
    return (uint8_t)(c >= 'A' && c <= 'Z' ? c + 32 : c);
}

/* dname_equal: a[0..len) == b[0..len), eight bytes at a time (the last
 * word overlaps the one before it); for the table probes of every query. */
static inline bool
dname_equal(const uint8_t *a, const uint8_t *b, size_t len)
{
    if (len < 8)
        return __builtin_memcmp(a, b, len) == 0;
    uint64_t diff = 0;
    size_t i = 0;
    for (; i + 8 < len; i += 8)
        diff |= dname_load(a + i) ^ dname_load(b + i);
    diff |= dname_load(a + len - 8) ^ dname_load(b + len - 8);
    return diff == 0;
}

/* dname_copy_lower_hash: out[0..n) = the lowercase of in[0..n), and
 * returns dname_hash(out, n), in one pass of eight-byte words (the last
 * word overlaps the one before it: lowercasing twice changes nothing). */
static inline uint32_t
dname_copy_lower_hash(uint8_t *out, const uint8_t *in, size_t n)
{
    uint64_t h = dname_hash_start(n);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w = dname_lower_word(dname_load(in + i));
        __builtin_memcpy(out + i, &w, 8);
        h = dname_hash_word(h, w);
    }
    if (i == n)
        return dname_hash_end(h, 0, false);
    if (n >= 8) {
        uint64_t w = dname_lower_word(dname_load(in + n - 8));
        __builtin_memcpy(out + n - 8, &w, 8);
    } else {
        for (size_t k = 0; k < n; k++)
            out[k] = dname_lower(in[k]);
    }
    return dname_hash_end(h, dname_tail(out, n, i), true);
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
