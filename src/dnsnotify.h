/* dnsnotify.h: NOTIFY (RFC 1996) to the --notify targets when a static
 * zone's serial changes (and for every static zone at start-up), from the
 * control loop, over UDP, retried until the target answers. */
#ifndef GTM_SRC_DNSNOTIFY_H
#define GTM_SRC_DNSNOTIFY_H

#include <stdint.h>

struct event_base;
struct xfr_conf;
struct gtm_snapshot;
struct dns_notifier;

/* Tries per NOTIFY: the first, then retries 1, 2, 4, 8 s apart. */
#define NOTIFY_TRIES      5
#define NOTIFY_FIRST_WAIT 1

/* dns_notifier_new: NULL when c has no targets. counts[3] (the caller's,
 * for /metrics) gets NOTIFYs sent (every try), answered, and given up. A
 * socket that cannot be opened is logged, and its targets never reached. */
struct dns_notifier *dns_notifier_new(struct event_base *base, const struct xfr_conf *c,
                                      uint64_t *counts);

/* dns_notifier_publish: snap replaces old (NULL: start-up): every static
 * zone of snap whose serial old does not have (a new zone, a new serial)
 * is notified to every target; a NOTIFY still retrying for that zone and
 * target is replaced. The traffic manager domain is never notified. */
void dns_notifier_publish(struct dns_notifier *n, const struct gtm_snapshot *old,
                          const struct gtm_snapshot *snap);

void dns_notifier_free(struct dns_notifier *n);

#endif
