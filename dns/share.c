/* share.c: connections per client, for the per-client share of
 * --tcp-clients (see share.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "dns/share.h"
#include "gtm/alloc.h"
#include "gtm/log.h"

void
tcp_shares_init(struct tcp_shares *t, unsigned max_conns, uint64_t seed)
{
    uint32_t n = 16;
    while (n < 2 * (uint64_t)max_conns)
        n *= 2;
    t->slots = xcalloc(n, sizeof *t->slots);
    t->mask = n - 1;
    t->seed = seed;
}

void
tcp_shares_free(struct tcp_shares *t)
{
    free(t->slots);
    t->slots = NULL;
}

static uint32_t
home(const struct tcp_shares *t, const struct client_key *k)
{
    uint64_t prefix;
    memcpy(&prefix, k->addr, sizeof prefix);
    uint64_t x = (prefix ^ t->seed) + k->family * 0x9e3779b97f4a7c15ULL;
    x = (x ^ x >> 30) * 0xbf58476d1ce4e5b9ULL; /* splitmix64's finaliser */
    x = (x ^ x >> 27) * 0x94d049bb133111ebULL;
    return (uint32_t)(x ^ x >> 31) & t->mask;
}

/* The slot of k: the one holding it, or the free one where it would go. */
static struct tcp_client *
find(const struct tcp_shares *t, const struct client_key *k)
{
    uint32_t i = home(t, k);
    while (t->slots[i].conns && !client_key_eq(&t->slots[i].key, k))
        i = (i + 1) & t->mask;
    return &t->slots[i];
}

uint32_t
tcp_shares_count(const struct tcp_shares *t, const struct client_key *k)
{
    return find(t, k)->conns;
}

void
tcp_shares_add(struct tcp_shares *t, const struct client_key *k)
{
    struct tcp_client *s = find(t, k);
    if (!s->conns)
        s->key = *k;
    s->conns++;
}

void
tcp_shares_del(struct tcp_shares *t, const struct client_key *k)
{
    struct tcp_client *s = find(t, k);
    GTM_ASSERT(s->conns > 0);
    if (--s->conns)
        return;
    /* A hole at i: move back each entry after it, up to the next free slot,
     * whose home is not between the hole and the entry (cyclically). */
    uint32_t m = t->mask, i = (uint32_t)(s - t->slots);
    for (uint32_t j = (i + 1) & m; t->slots[j].conns; j = (j + 1) & m) {
        if (((j - home(t, &t->slots[j].key)) & m) >= ((j - i) & m)) {
            t->slots[i] = t->slots[j];
            t->slots[j].conns = 0;
            i = j;
        }
    }
}
