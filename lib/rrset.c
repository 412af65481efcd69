/* rrset.c: an RRset's records as answers write them (see gtm/snapshot.h). */
#include "config.h"

#include <string.h>

#include "gtm/alloc.h"
#include "gtm/snapshot.h"

void
rrset_prepare(struct arena *a, struct rrset *s)
{
    uint8_t *out = arena_alloc(a, s->wire_len + (size_t)s->count * 12);
    size_t o = 0;
    const uint8_t *rd = s->wire;
    for (uint16_t i = 0; i < s->count; i++) {
        size_t rdlen = (size_t)(rd[0] << 8 | rd[1]);
        const uint8_t fixed[12] = {0xC0,
                                   12,
                                   (uint8_t)(s->type >> 8),
                                   (uint8_t)s->type,
                                   0,
                                   1, /* IN */
                                   (uint8_t)(s->ttl >> 24),
                                   (uint8_t)(s->ttl >> 16),
                                   (uint8_t)(s->ttl >> 8),
                                   (uint8_t)s->ttl};
        memcpy(out + o, fixed, 10);
        memcpy(out + o + 10, rd, rdlen + 2);
        o += rdlen + 12;
        rd += rdlen + 2;
    }
    s->rrs = out;
    s->rrs_len = (uint32_t)o;
}
