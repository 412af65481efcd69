/* curlev.h: a libcurl multi handle driven by a libevent event_base (the
 * multi socket interface). The only code that touches CURLM. Loop thread
 * only. */
#ifndef GTM_GTM_CURLEV_H
#define GTM_GTM_CURLEV_H

#include <curl/curl.h>

struct event_base;
struct curlev;

/* curlev_done_fn: a transfer ended with result; easy has already been
 * removed from the multi, so the callee may reuse or clean it up (but must
 * not call curlev_free). */
typedef void curlev_done_fn(CURL *easy, CURLcode result, void *arg);

/* curlev_new: a multi on base calling done(easy, result, arg) for every
 * finished transfer. Returns new; free with curlev_free. Aborts on OOM. */
struct curlev *curlev_new(struct event_base *base, curlev_done_fn *done, void *arg);

/* curlev_add: starts the transfer of easy (borrowed; it stays the caller's).
 * Returns 0, or GTM_EIO with the reason in *why (static text). */
int curlev_add(struct curlev *c, CURL *easy, const char **why);

/* curlev_remove: stops a transfer in flight (no done callback for it). */
void curlev_remove(struct curlev *c, CURL *easy);

/* curlev_free: cleans the multi up; every easy handle must have been
 * removed first. NULL is a no-op. */
void curlev_free(struct curlev *c);

#endif
