/* daemon.h: what main and the reload path share (src/reload.c): the first
 * load and every full reload go through daemon_load. */
#ifndef GTM_SRC_DAEMON_H
#define GTM_SRC_DAEMON_H

#include "gtm/snapshot.h"
#include "conf/conf.h"

/* The example zone embedded for --demo (generated from examples/zones/). */
extern const char demo_zone_text[];
extern const char demo_zone_origin[];

/* daemon_error_sink: prints one configuration error as "file:line: error: msg". */
void daemon_error_sink(void *arg, const char *file, unsigned line, const char *msg);

/* daemon_load: everything the options name, loaded into a new snapshot, or
 * NULL after reporting every error through errs. */
struct gtm_snapshot *daemon_load(const struct gtm_options *o, struct config_errors *errs);

#endif
