/* probe.h: what one probe needs for every run (struct probe_target, kept
 * per endpoint, small), and one run in flight (struct probe_run, pooled by
 * the monitor: as many as runs in flight, however many endpoints there
 * are). HTTP and HTTPS runs, and TCP runs to a host name, are libcurl
 * transfers on the run's easy handle, which is reused by whichever probe
 * runs next; a TCP run to an address is a non-blocking connect(2), which
 * is all curl would do for it. Loop thread only. */
#ifndef GTM_MONITOR_PROBE_H
#define GTM_MONITOR_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <event2/event_struct.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "gtm/probe.h"

#define PROBE_BODY_MAX ((size_t)1 << 20) /* more body than this is a failure */

/* A socket address of either family, the size of the larger. */
union probe_addr {
    struct sockaddr sa;
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
};

/* What every run of one probe needs, set up once from its probe_spec. */
struct probe_target {
    char *url;                  /* a curl run's; NULL for a direct TCP run */
    struct curl_slist *headers; /* HTTP(S) request headers, verbatim; NULL: none */
    uint32_t timeout_ms;        /* what a run may take: min(timeout, interval) */
    uint8_t proto;              /* enum probe_proto */
    uint8_t nranges;
    bool has_ua;           /* the headers name a User-Agent */
    bool direct;           /* TCP to an address: connect(2), no curl */
    union probe_addr addr; /* direct: where to connect */
    struct status_range ranges[PROFILE_MAX_RANGES];
};

/* One run in flight. curl writes into it: it must not move while in use. */
struct probe_run {
    CURL *easy; /* created on the first curl run, then reused; NULL: none yet */
    void *owner;
    size_t body;        /* body bytes read by this run */
    bool body_overflow; /* the run stopped at PROBE_BODY_MAX */
    bool direct;        /* this run is a direct TCP connect */
    int fd;             /* direct: the socket, or -1 */
    int64_t started_us; /* direct: when connect(2) was called (monotonic) */
    uint32_t timeout_ms;
    uint8_t proto;
    struct event ev;        /* direct: writable, or the timeout */
    struct probe_run *next; /* the pool's list of idle runs */
    char errbuf[CURL_ERROR_SIZE];
};

/* probe_target_init: t [out] from spec [in] (borrowed: whatever is needed
 * is copied). Returns 0, or GTM_EINVAL with the reason in why [out] (t is
 * then cleaned up). Aborts on OOM. */
int probe_target_init(struct probe_target *t, const struct probe_spec *spec, char *why,
                      size_t whylen);

/* probe_target_cleanup: frees what t holds. Safe on a zeroed t. */
void probe_target_cleanup(struct probe_target *t);

/* probe_run_init: an idle run (no handle, no socket). */
void probe_run_init(struct probe_run *r);

/* probe_run_cleanup: frees r's easy handle (which must not be in a multi)
 * and closes its socket. */
void probe_run_cleanup(struct probe_run *r);

/* probe_run_prepare: readies r's easy handle (made on first use) for a
 * curl run of t [in] for owner, connecting from the numeric address source
 * when not NULL (--probe-source). Returns 0, or GTM_EINVAL with the reason
 * in why [out]. Aborts on OOM. */
int probe_run_prepare(struct probe_run *r, const struct probe_target *t, const char *source,
                      void *owner, char *why, size_t whylen);

/* probe_run_of: the run whose easy handle this is. */
struct probe_run *probe_run_of(CURL *easy);

/* probe_verdict: whether the finished curl run r [in] of t [in] (curl
 * result res) is a success; text [out] gets a short description ("HTTP 200", "connection
 * refused", "timeout after 1000 ms") and *rtt_us [out] the duration of the
 * run. */
bool probe_verdict(const struct probe_run *r, const struct probe_target *t, CURLcode res,
                   char *text, size_t len, uint32_t *rtt_us);

/* probe_tcp_start: a direct TCP run of t [in] for owner, from src (NULL:
 * the kernel's choice; of t's family). Returns true when the run is over
 * already (connected or refused at once, as on the loopback): the verdict
 * in *ok, text and *rtt_us [out], and r idle again. Returns false when the
 * connection is under way: the caller watches r->fd for writing, with
 * r->timeout_ms as the timeout, and calls probe_tcp_finish. */
bool probe_tcp_start(struct probe_run *r, const struct probe_target *t, const union probe_addr *src,
                     void *owner, bool *ok, char *text, size_t len, uint32_t *rtt_us);

/* probe_tcp_finish: the verdict on a direct run whose socket became
 * writable (timed_out false) or whose timeout came first; closes the
 * socket. text and *rtt_us [out] as for probe_verdict. */
bool probe_tcp_finish(struct probe_run *r, bool timed_out, char *text, size_t len,
                      uint32_t *rtt_us);

/* probe_tcp_abandon: closes a direct run's socket (with a reset) without a
 * verdict. */
void probe_tcp_abandon(struct probe_run *r);

/* probe_parse_source: src [out] from the numeric address text (IPv4 or
 * IPv6, port 0). Returns 0, or GTM_EINVAL. */
int probe_parse_source(union probe_addr *src, const char *text);

#endif
