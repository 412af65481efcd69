/* probe.h: one probe's libcurl easy handle, set up once from its probe_spec
 * and reused every round, and the verdict on a finished transfer. Loop
 * thread only. */
#ifndef GTM_MONITOR_PROBE_H
#define GTM_MONITOR_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "gtm/probe.h"

#define PROBE_BODY_MAX ((size_t)1 << 20) /* more body than this is a failure */

/* A probe's transfer: curl writes into it, so it must not move once set up. */
struct probe_xfer {
    CURL *easy;
    struct curl_slist *headers;
    enum probe_proto proto;
    uint32_t timeout_ms; /* what curl enforces: min(timeout, interval) */
    uint8_t nranges;
    struct status_range ranges[PROFILE_MAX_RANGES];
    size_t body;        /* body bytes read by this run */
    bool body_overflow; /* the run stopped at PROBE_BODY_MAX */
    char errbuf[CURL_ERROR_SIZE];
};

/* probe_xfer_init: x [out] gets an easy handle with every option set for
 * spec [in] (borrowed: whatever is needed is copied), connecting from the
 * numeric address source when not NULL (--probe-source); owner is what
 * probe_xfer_owner returns for it. Returns 0, or GTM_EINVAL with the reason
 * in why [out] (x is then cleaned up). Aborts on OOM. */
int probe_xfer_init(struct probe_xfer *x, const struct probe_spec *spec, const char *source,
                    void *owner, char *why, size_t whylen);

/* probe_xfer_cleanup: frees the easy handle (which must not be in a multi).
 * Safe on a zeroed or already cleaned up x. */
void probe_xfer_cleanup(struct probe_xfer *x);

/* probe_xfer_reset: readies x for the next run. */
void probe_xfer_reset(struct probe_xfer *x);

/* probe_xfer_owner: the owner given to probe_xfer_init for this easy handle. */
void *probe_xfer_owner(CURL *easy);

/* probe_verdict: whether the finished run of x [in] (curl result res) is a
 * success; text [out] gets a short description ("HTTP 200", "connection
 * refused", "timeout after 1000 ms") and *rtt_us [out] the duration of the
 * run. */
bool probe_verdict(const struct probe_xfer *x, CURLcode res, char *text, size_t len,
                   uint32_t *rtt_us);

#endif
