/* cookies.h: the fleet's DNS cookie secrets (SPEC §11, RFC 9018 6). Every
 * node of a fleet makes and checks server cookies under the same current
 * and previous secret, so that a cookie one node gave is valid at every
 * other (anycast, several NS), and the fleet rotates them as one.
 *
 * One key, <prefix>cookie-secret, holds them:
 *   {"current":"<32 hex>","previous":"<32 hex>","since":<unix s>,"node":"<writer>"}
 * ("previous" absent before the first rotation). A node installs what etcd
 * holds into the secrets its answering threads read (dns/cookie.h), from
 * the fleet's range and watch. The key is created, and rotated, only by
 * transactions on its mod revision: creation when absent (compare 0; two
 * nodes starting at once agree, the loser reads the winner's), rotation
 * every --cookie-rotate seconds after "since" by whichever node's timer
 * comes first (current -> previous, a new random current); a node whose
 * transaction fails reads the key again. No leader: any node rotates.
 *
 * Until etcd's secrets are read (at start: a range away; or while etcd is
 * unreachable from the start) the node uses the local random secret
 * dns/server.c made; then it keeps what it holds while etcd is away. With
 * --cookie-secret, or --cookies off, nothing is shared (fcookies_new gives
 * NULL, and every call here takes NULL).
 *
 * The secrets are never logged. Private to fleet/ (fleet.c calls it).
 * Loop thread only. */
#ifndef GTM_FLEET_COOKIES_H
#define GTM_FLEET_COOKIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct gtm_ctx;
struct etcd;
struct evbuffer;
struct fleet_cookies;

/* The key's name under the prefix. */
#define FCOOKIES_KEY "cookie-secret"

/* fcookies_new: shares ctx->cookies through e under prefix + FCOOKIES_KEY,
 * as node; NULL when ctx has nothing to share (cookies off, or a fixed
 * --cookie-secret). fcookies_free: stops. */
struct fleet_cookies *fcookies_new(struct gtm_ctx *ctx, struct etcd *e, const char *prefix,
                                   const char *node, unsigned rotate_s);
void fcookies_free(struct fleet_cookies *fc);

/* fcookies_apply: the key as etcd holds it, from the watch (value NULL:
 * deleted at mod_rev; an older or the same revision is ignored) or from a
 * range (resync: what etcd holds is the truth, whatever its revision). */
void fcookies_apply(struct fleet_cookies *fc, const char *value, size_t len, int64_t mod_rev,
                    bool resync);

/* fcookies_ranged: a range of the whole prefix was applied; seen: it held
 * the key (when not, the key is created). */
void fcookies_ranged(struct fleet_cookies *fc, bool seen);

/* fcookies_unreachable: etcd could not be reached (said once, while the
 * fleet's secrets are not in use yet). */
void fcookies_unreachable(struct fleet_cookies *fc, const char *why);

/* fcookies_json: {"shared": etcd's secrets in use, "revision", "since",
 * "node": who made the current one, "writes": secrets this node made or
 * rotated}; never a secret. NULL for NULL. */
json_t *fcookies_json(const struct fleet_cookies *fc);

/* fcookies_metrics: gtmd_fleet_cookie_secret_shared and
 * gtmd_fleet_cookie_secret_writes_total (nothing for NULL). */
void fcookies_metrics(const struct fleet_cookies *fc, struct evbuffer *out);

#endif
