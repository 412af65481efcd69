/* geoip.h: a MaxMind DB (--geoip FILE.mmdb) for Geographic routing: client
 * address -> ISO country code, or country and first subdivision ("US-CA").
 * Opened at load time into the snapshot, read by workers without locks or
 * allocation. Without libmaxminddb at configure time every call fails. */
#ifndef GTM_GTM_GEOIP_H
#define GTM_GTM_GEOIP_H

#include <stdbool.h>
#include <stdint.h>

struct config_errors;
struct geoip;

#define GEOIP_CODE_MAX 16 /* "US-CA", "GB-ENG": country '-' subdivision, NUL */

struct geoip_match {
    char code[GEOIP_CODE_MAX]; /* uppercase; "" when the record has no country */
    uint8_t prefix;            /* the matched network's prefix length (ECS scope) */
};

/* geoip_available: whether gtmd was built with libmaxminddb. */
bool geoip_available(void);

/* geoip_open: maps FILE (MMDB_MODE_MMAP). Errors are reported through errs
 * naming the file. Returns new (free with geoip_close) or NULL. Loop thread. */
struct geoip *geoip_open(const char *file, struct config_errors *errs);

/* geoip_close: unmaps. NULL is a no-op. */
void geoip_close(struct geoip *g);

/* geoip_lookup: the record of addr (family AF_INET or AF_INET6, 4 or 16
 * bytes). Returns true with out->code set when the record names a country;
 * false otherwise. out->prefix is the prefix length the answer depended on
 * either way (0 when the lookup failed). No allocation; any thread. */
bool geoip_lookup(const struct geoip *g, uint8_t family, const uint8_t *addr,
                  struct geoip_match *out);

#endif
