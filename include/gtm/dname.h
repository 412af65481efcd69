/* dname.h: domain names in wire format (lowercase in all tables). Pure functions. */
#ifndef GTM_GTM_DNAME_H
#define GTM_GTM_DNAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNAME_MAXLEN    255
#define DNAME_MAXLABELS 128

/* dname_hash: hash of a lowercase wire name of len bytes. */
static inline uint32_t
dname_hash(const uint8_t *name, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ name[i]) * 16777619u;
    return h ^ (h >> 15);
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
