/* probe.c: HTTP, HTTPS and TCP probes (SPEC §6): curl runs on pooled easy
 * handles, and direct TCP connects. */
#include "config.h"
#include "monitor/probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "gtm/alloc.h"
#include "gtm/clock.h"
#include "gtm/err.h"
#include "gtm/log.h"

#define PROBE_USER_AGENT "Azure Traffic Manager Endpoint Monitor"

/* CURLOPT_WRITEFUNCTION: counts the body and throws it away. */
static size_t
body_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct probe_run *r = userdata;
    size_t n = size * nmemb;
    (void)ptr;
    if (n > PROBE_BODY_MAX - r->body) {
        r->body_overflow = true;
        return 0; /* anything but n: curl stops with CURLE_WRITE_ERROR */
    }
    r->body += n;
    return n;
}

/* The URL as text, host in brackets when it is an IPv6 literal. */
static char *
make_url(const struct probe_spec *spec)
{
    const char *scheme = spec->proto == PROBE_HTTPS ? "https" : "http";
    const char *host = spec->host ? spec->host : "";
    const char *path = spec->proto == PROBE_TCP || !spec->path ? "/" : spec->path;
    bool v6 = strchr(host, ':') != NULL && host[0] != '[';
    const char *slash = path[0] == '/' ? "" : "/";
    size_t n = strlen(scheme) + strlen(host) + strlen(path) + 32;
    char *url = xmalloc(n);
    snprintf(url, n, "%s://%s%s%s:%u%s%s", scheme, v6 ? "[" : "", host, v6 ? "]" : "",
             (unsigned)spec->port, slash, path);
    return url;
}

/* The request headers, verbatim, in order; t->has_ua when one is User-Agent. */
static int
make_headers(struct probe_target *t, const struct probe_spec *spec, char *why, size_t whylen)
{
    t->has_ua = false;
    for (unsigned i = 0; i < spec->nheaders; i++) {
        const char *name = spec->headers[i].name, *value = spec->headers[i].value;
        if (!name || !*name)
            continue;
        if (!value)
            value = "";
        if (strpbrk(name, "\r\n:") || strpbrk(value, "\r\n")) {
            snprintf(why, whylen, "header %s: bad character", name);
            return GTM_EINVAL;
        }
        if (strcasecmp(name, "User-Agent") == 0)
            t->has_ua = true;
        size_t n = strlen(name) + strlen(value) + 3;
        char *line = xmalloc(n);
        /* "Name;" is how curl is told to send a header with an empty value */
        if (*value)
            snprintf(line, n, "%s: %s", name, value);
        else
            snprintf(line, n, "%s;", name);
        struct curl_slist *l = curl_slist_append(t->headers, line);
        free(line);
        if (!l) {
            log_err("monitor: out of memory");
            abort();
        }
        t->headers = l;
    }
    return 0;
}

/* A numeric host (bracketed or not) and port as a socket address. */
static bool
numeric_addr(union probe_addr *a, const char *host, uint16_t port)
{
    char buf[INET6_ADDRSTRLEN + 2];
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof buf) {
        memcpy(buf, host + 1, n - 2);
        buf[n - 2] = '\0';
        host = buf;
    }
    memset(a, 0, sizeof *a);
    if (inet_pton(AF_INET, host, &a->v4.sin_addr) == 1) {
        a->v4.sin_family = AF_INET;
        a->v4.sin_port = htons(port);
        return true;
    }
    if (inet_pton(AF_INET6, host, &a->v6.sin6_addr) == 1) {
        a->v6.sin6_family = AF_INET6;
        a->v6.sin6_port = htons(port);
        return true;
    }
    return false;
}

int
probe_target_init(struct probe_target *t, const struct probe_spec *spec, char *why, size_t whylen)
{
    memset(t, 0, sizeof *t);
    t->proto = (uint8_t)spec->proto;
    uint32_t interval = spec->interval_ms ? spec->interval_ms : 1;
    t->timeout_ms = spec->timeout_ms && spec->timeout_ms < interval ? spec->timeout_ms : interval;
    if (spec->proto == PROBE_TCP) {
        t->direct = numeric_addr(&t->addr, spec->host ? spec->host : "", spec->port);
        if (!t->direct)
            t->url = make_url(spec); /* a name: curl resolves it */
        return 0;
    }
    t->nranges = spec->nranges <= PROFILE_MAX_RANGES ? spec->nranges : PROFILE_MAX_RANGES;
    memcpy(t->ranges, spec->ranges, t->nranges * sizeof t->ranges[0]);
    int rc = make_headers(t, spec, why, whylen);
    if (rc != 0) {
        probe_target_cleanup(t);
        return rc;
    }
    t->url = make_url(spec);
    return 0;
}

void
probe_target_cleanup(struct probe_target *t)
{
    free(t->url);
    t->url = NULL;
    curl_slist_free_all(t->headers);
    t->headers = NULL;
}

void
probe_run_init(struct probe_run *r)
{
    memset(r, 0, sizeof *r);
    r->fd = -1;
}

void
probe_run_cleanup(struct probe_run *r)
{
    if (r->easy)
        curl_easy_cleanup(r->easy);
    r->easy = NULL;
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
}

#define SET(o, v)                                                                                  \
    do {                                                                                           \
        if (rc == CURLE_OK && (rc = curl_easy_setopt(e, o, v)) != CURLE_OK)                        \
            opt = #o;                                                                              \
    } while (0)

/* The options every run shares, set once on a new handle. */
static CURLcode
set_fixed_options(struct probe_run *r, const char **optp)
{
    CURL *e = r->easy;
    CURLcode rc = CURLE_OK;
    const char *opt = NULL;
    SET(CURLOPT_PRIVATE, r);
    SET(CURLOPT_ERRORBUFFER, r->errbuf);
    SET(CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85.0 */
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
    SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
    SET(CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    SET(CURLOPT_PROXY, "");
    SET(CURLOPT_FORBID_REUSE, 1L);
    SET(CURLOPT_FRESH_CONNECT, 1L);
    /* Each probe connects anew, so nothing is gained by caching: a cache
     * of every host probed is pruned by a walk of all of it per run. */
    SET(CURLOPT_DNS_CACHE_TIMEOUT, 0L);
    SET(CURLOPT_TCP_NODELAY, 0L); /* one request per connection: no need */
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    SET(CURLOPT_PATH_AS_IS, 1L);
    SET(CURLOPT_SSL_VERIFYPEER, 0L);
    SET(CURLOPT_SSL_VERIFYHOST, 0L);
    SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)PROBE_BODY_MAX);
    SET(CURLOPT_WRITEFUNCTION, body_cb);
    SET(CURLOPT_WRITEDATA, r);
    *optp = opt;
    return rc;
}

int
probe_run_prepare(struct probe_run *r, const struct probe_target *t, const char *source,
                  void *owner, char *why, size_t whylen)
{
    CURLcode rc = CURLE_OK;
    const char *opt = NULL;
    if (!r->easy) {
        r->easy = curl_easy_init();
        if (!r->easy) {
            log_err("monitor: curl_easy_init failed");
            abort();
        }
        rc = set_fixed_options(r, &opt);
        if (rc != CURLE_OK) {
            snprintf(why, whylen, "%s: %s", opt, curl_easy_strerror(rc));
            curl_easy_cleanup(r->easy);
            r->easy = NULL;
            return GTM_EINVAL;
        }
    }
    CURL *e = r->easy;
    char iface[80];
    if (source) /* "host!": an address, never an interface name to look up */
        snprintf(iface, sizeof iface, "host!%s", source);
    bool tcp = t->proto == PROBE_TCP;
    SET(CURLOPT_URL, t->url);
    SET(CURLOPT_TIMEOUT_MS, (long)t->timeout_ms);
    SET(CURLOPT_INTERFACE, source ? iface : NULL);
    SET(CURLOPT_CONNECT_ONLY, tcp ? 1L : 0L);
    if (!tcp)
        SET(CURLOPT_HTTPGET, 1L);
    SET(CURLOPT_HTTPHEADER, tcp ? NULL : t->headers);
    SET(CURLOPT_USERAGENT, tcp || t->has_ua ? NULL : PROBE_USER_AGENT);
    if (rc != CURLE_OK) {
        snprintf(why, whylen, "%s: %s", opt, curl_easy_strerror(rc));
        return GTM_EINVAL;
    }
    r->owner = owner;
    r->direct = false;
    r->proto = t->proto;
    r->timeout_ms = t->timeout_ms;
    r->body = 0;
    r->body_overflow = false;
    r->errbuf[0] = '\0';
    return 0;
}
#undef SET

struct probe_run *
probe_run_of(CURL *easy)
{
    char *run = NULL;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &run);
    return (struct probe_run *)(void *)run;
}

static uint32_t
elapsed_us(const struct probe_run *r)
{
    int64_t us = clock_mono_us() - r->started_us;
    return us < 0 ? 0 : us > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

/* Closes a direct run's socket with a reset, as HAProxy's TCP checks do: the
 * check needs nothing more from the connection, and an orderly close would
 * leave a TIME_WAIT behind at every probe and cost a FIN exchange. */
static void
close_reset(int fd)
{
    struct linger l = {.l_onoff = 1, .l_linger = 0};
    (void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    close(fd);
}

/* A failed connect(2), as curl's runs describe theirs. */
static void
connect_error(int err, char *text, size_t len)
{
    if (err == ECONNREFUSED)
        snprintf(text, len, "connection refused");
    else
        snprintf(text, len, "connect: %s", strerror(err));
}

bool
probe_tcp_start(struct probe_run *r, const struct probe_target *t, const union probe_addr *src,
                void *owner, bool *ok, char *text, size_t len, uint32_t *rtt_us)
{
    r->owner = owner;
    r->direct = true;
    r->proto = PROBE_TCP;
    r->timeout_ms = t->timeout_ms;
    r->started_us = clock_mono_us();
    int family = t->addr.sa.sa_family;
    socklen_t alen = family == AF_INET ? sizeof t->addr.v4 : sizeof t->addr.v6;
    *ok = false;
    *rtt_us = 0;
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(text, len, "socket: %s", strerror(errno));
        return true;
    }
    if (src) {
        if (src->sa.sa_family != family) {
            snprintf(text, len, "--probe-source is not an %s address",
                     family == AF_INET ? "IPv4" : "IPv6");
            close(fd);
            return true;
        }
        socklen_t slen = family == AF_INET ? sizeof src->v4 : sizeof src->v6;
#ifdef IP_BIND_ADDRESS_NO_PORT
        /* the port is chosen at connect, per destination, as curl does:
         * bind alone would take one of the source's ports for each run */
        int one = 1;
        (void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
#endif
        if (bind(fd, &src->sa, slen) != 0) {
            snprintf(text, len, "bind to --probe-source: %s", strerror(errno));
            close(fd);
            return true;
        }
    }
    if (connect(fd, &t->addr.sa, alen) == 0) { /* the loopback can answer at once */
        close_reset(fd);
        *ok = true;
        *rtt_us = elapsed_us(r);
        snprintf(text, len, "TCP connected");
        return true;
    }
    if (errno == EINPROGRESS) {
        r->fd = fd;
        return false;
    }
    connect_error(errno, text, len);
    *rtt_us = elapsed_us(r);
    close(fd);
    return true;
}

bool
probe_tcp_finish(struct probe_run *r, bool timed_out, char *text, size_t len, uint32_t *rtt_us)
{
    bool ok = false;
    *rtt_us = elapsed_us(r);
    if (timed_out) {
        snprintf(text, len, "timeout after %" PRIu32 " ms", r->timeout_ms);
    } else {
        int err = 0;
        socklen_t elen = sizeof err;
        if (getsockopt(r->fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0)
            err = errno;
        ok = err == 0;
        if (ok)
            snprintf(text, len, "TCP connected");
        else
            connect_error(err, text, len);
    }
    if (ok)
        close_reset(r->fd);
    else
        close(r->fd);
    r->fd = -1;
    return ok;
}

void
probe_tcp_abandon(struct probe_run *r)
{
    if (r->fd >= 0)
        close_reset(r->fd);
    r->fd = -1;
}

int
probe_parse_source(union probe_addr *src, const char *text)
{
    return numeric_addr(src, text, 0) ? 0 : GTM_EINVAL;
}

static bool
status_expected(const struct probe_target *t, long code)
{
    if (t->nranges == 0)
        return code == 200;
    for (unsigned i = 0; i < t->nranges; i++)
        if (code >= t->ranges[i].min && code <= t->ranges[i].max)
            return true;
    return false;
}

/* Why a transfer failed, in a few words. */
static void
describe_error(const struct probe_run *x, CURLcode res, char *text, size_t len)
{
    long oserr = 0;
    switch (res) {
    case CURLE_OPERATION_TIMEDOUT:
        snprintf(text, len, "timeout after %" PRIu32 " ms", x->timeout_ms);
        return;
    case CURLE_COULDNT_CONNECT:
        curl_easy_getinfo(x->easy, CURLINFO_OS_ERRNO, &oserr);
        if (oserr == ECONNREFUSED) {
            snprintf(text, len, "connection refused");
            return;
        }
        break;
    default:
        break;
    }
    snprintf(text, len, "%s", x->errbuf[0] ? x->errbuf : curl_easy_strerror(res));
    /* curl's messages may end with a newline */
    size_t n = strlen(text);
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
        text[--n] = '\0';
}

bool
probe_verdict(const struct probe_run *x, const struct probe_target *t, CURLcode res, char *text,
              size_t len, uint32_t *rtt_us)
{
    curl_off_t us = 0;
    curl_easy_getinfo(x->easy, CURLINFO_TOTAL_TIME_T, &us);
    *rtt_us = us < 0 ? 0 : us > (curl_off_t)UINT32_MAX ? UINT32_MAX : (uint32_t)us;
    if (x->body_overflow || res == CURLE_FILESIZE_EXCEEDED) {
        snprintf(text, len, "body over 1 MiB");
        return false;
    }
    if (res != CURLE_OK) {
        describe_error(x, res, text, len);
        return false;
    }
    if (x->proto == PROBE_TCP) {
        snprintf(text, len, "TCP connected");
        return true;
    }
    long code = 0;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
    snprintf(text, len, "HTTP %ld", code);
    return code > 0 && status_expected(t, code);
}
