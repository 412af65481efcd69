/* share.c: connections per client, for the per-client share of
 * --tcp-clients (see share.h). */
#include "config.h"

#include <stdlib.h>
#include <netinet/in.h>

#include "dns/share.h"
#include "gtm/alloc.h"
#include "gtm/log.h"

void
tcp_client_of(struct tcp_client *k, const struct sockaddr_storage *peer)
{
    k->prefix = 0;
    k->v6 = 0;
    k->conns = 0;
    if (peer->ss_family == AF_INET) {
        k->prefix = ntohl(((const struct sockaddr_in *)peer)->sin_addr.s_addr);
    } else if (peer->ss_family == AF_INET6) {
        const struct in6_addr *a6 = &((const struct sockaddr_in6 *)peer)->sin6_addr;
        const uint8_t *a = a6->s6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a6)) {
            k->prefix =
                (uint64_t)a[12] << 24 | (uint64_t)a[13] << 16 | (uint64_t)a[14] << 8 | a[15];
        } else {
            for (int i = 0; i < 8; i++)
                k->prefix = k->prefix << 8 | a[i];
            k->v6 = 1;
        }
    }
}

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
home(const struct tcp_shares *t, const struct tcp_client *k)
{
    uint64_t x = (k->prefix ^ t->seed) + k->v6 * 0x9e3779b97f4a7c15ULL;
    x = (x ^ x >> 30) * 0xbf58476d1ce4e5b9ULL; /* splitmix64's finaliser */
    x = (x ^ x >> 27) * 0x94d049bb133111ebULL;
    return (uint32_t)(x ^ x >> 31) & t->mask;
}

/* The slot of k: the one holding it, or the free one where it would go. */
static struct tcp_client *
find(const struct tcp_shares *t, const struct tcp_client *k)
{
    uint32_t i = home(t, k);
    while (t->slots[i].conns && (t->slots[i].prefix != k->prefix || t->slots[i].v6 != k->v6))
        i = (i + 1) & t->mask;
    return &t->slots[i];
}

uint32_t
tcp_shares_count(const struct tcp_shares *t, const struct tcp_client *k)
{
    return find(t, k)->conns;
}

void
tcp_shares_add(struct tcp_shares *t, const struct tcp_client *k)
{
    struct tcp_client *s = find(t, k);
    if (!s->conns) {
        s->prefix = k->prefix;
        s->v6 = k->v6;
    }
    s->conns++;
}

void
tcp_shares_del(struct tcp_shares *t, const struct tcp_client *k)
{
    struct tcp_client *s = find(t, k);
    GTM_ASSERT(s->conns > 0);
    if (--s->conns)
        return;
    /* A hole at i: move back each entry after it, up to the next free slot,
     * whose home is not between the hole and the entry (cyclically). */
    uint32_t m = t->mask, i = (uint32_t)(s - t->slots);
    for (uint32_t j = (i + 1) & m; t->slots[j].conns; j = (j + 1) & m) {
        if (((j - home(t, &t->slots[j])) & m) >= ((j - i) & m)) {
            t->slots[i] = t->slots[j];
            t->slots[j].conns = 0;
            i = j;
        }
    }
}
