/* probe.h: what one health slot probes, as the snapshot lists it
 * (snap->probes, parallel to snap->health): the contract from the snapshot
 * builder (zones/tm.c) to the monitor, built at load time from a profile
 * and its endpoint. */
#ifndef GTM_GTM_PROBE_H
#define GTM_GTM_PROBE_H

#include <stdint.h>

#include "gtm/profile.h"

/* What one slot probes: built at load time from the profile and endpoint. */
struct probe_spec {
    enum probe_proto proto;
    const char *host; /* the endpoint target: connect there (name or address) */
    uint16_t port;
    const char *path; /* HTTP(S) only */
    uint32_t interval_ms, timeout_ms;
    uint8_t fall; /* consecutive failures that make it Degraded (tolerated + 1, or 3) */
    uint8_t nranges, nheaders;
    struct status_range ranges[PROFILE_MAX_RANGES];
    struct header_kv *headers; /* nheaders, merged; Host first (target unless set) */
    const char *label;         /* "profile/endpoint" of the first endpoint using it, for logs */
    const char *key; /* canonical text of everything above but label: equal keys, same probe */
};

#endif
