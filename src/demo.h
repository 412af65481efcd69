/* demo.h: --demo: two small HTTP endpoints of gtmd's own on loopback and a
 * Priority profile over them, so failover can be watched with dig. */
#ifndef GTM_SRC_DEMO_H
#define GTM_SRC_DEMO_H

#include <stddef.h>

struct event_base;
struct demo;

#define DEMO_PRIMARY   "127.0.0.11"
#define DEMO_SECONDARY "127.0.0.12"
#define DEMO_PORT      18080

/* demo_profile_json: the demo profile (Priority, interval 1 s, timeout 1 s,
 * 2 tolerated failures) as JSON text. */
const char *demo_profile_json(void);

/* demo_start: serves the two endpoints on base. Each answers GET / with 200
 * while up and 503 while down; GET /fail and /recover switch it. Returns
 * NULL (after logging why) when they cannot listen. */
struct demo *demo_start(struct event_base *base);

/* demo_free: stops them. NULL is a no-op. */
void demo_free(struct demo *d);

struct gtm_options;
/* demo_banner: what to try, on stderr, once the demo runs. */
void demo_banner(const struct gtm_options *o);

#endif
