/* nettable.h: client address -> rows, longest prefix first. Used for the
 * Performance latency table (`CIDR region latency_ms`) and the Geographic
 * table (`CIDR code`). Built at load time, read by workers. */
#ifndef GTM_GTM_NETTABLE_H
#define GTM_GTM_NETTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;
struct config_errors;

struct net_row {
    uint8_t family; /* AF_INET or AF_INET6 */
    uint8_t prefix;
    uint8_t addr[16];    /* network address: bits past prefix are zero */
    const char *name;    /* region (normalised: lowercase, no spaces) or geo code (uppercase) */
    uint32_t latency_ms; /* Performance only */
};

/* Rows sorted by prefix length (longest first), then network, then latency:
 * the rows of one network are adjacent, closest region first. */
struct net_table {
    uint32_t n;
    const struct net_row *rows;
};

enum net_table_kind { NET_TABLE_LATENCY, NET_TABLE_GEO };

/* net_table_load: reads FILE (one row per line, `#` comments). Every bad
 * line is reported as "file:line: error: ..." through errs. Returns the
 * table in arena a, or NULL after errors. Loop thread only. */
const struct net_table *net_table_load(struct arena *a, const char *file, enum net_table_kind kind,
                                       struct config_errors *errs);

/* net_table_find: the rows of the most specific network holding addr
 * (family AF_INET/AF_INET6): sets *count and returns the first, or returns
 * NULL when no row covers it. Pure. */
const struct net_row *net_table_find(const struct net_table *t, uint8_t family, const uint8_t *addr,
                                     uint32_t *count);

/* net_table_scope: the ECS scope (RFC 7871 7.2.1) of an answer chosen by
 * match (or by no row, when match is NULL) for the client addr: at least
 * match's prefix, and long enough that no more specific row of the table
 * falls inside the client's network, so that a resolver never reuses the
 * answer for a network the table routes elsewhere. Pure. */
uint8_t net_table_scope(const struct net_table *t, uint8_t family, const uint8_t *addr,
                        const struct net_row *match);

/* net_parse: "ADDRESS" or "ADDRESS/PREFIX", IPv4 or IPv6, into *family
 * (AF_INET, AF_INET6), addr (16 bytes, zero past the address) and *prefix
 * (the address's whole length when no "/PREFIX" is written; *had_prefix
 * says which). Returns NULL, or why not: "not an IPv4 or IPv6 address",
 * "bad prefix length". Pure. */
const char *net_parse(const char *text, uint8_t *family, uint8_t addr[16], uint8_t *prefix,
                      bool *had_prefix);

/* net_mask: clears the bits of addr (16 bytes) past prefix; returns whether
 * any was set. Pure. */
bool net_mask(uint8_t addr[16], unsigned prefix);

/* net_common_prefix: how many leading bits a and b (len bytes) share. */
unsigned net_common_prefix(const uint8_t *a, const uint8_t *b, size_t len);

#endif
