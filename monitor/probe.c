/* probe.c: HTTP, HTTPS and TCP probes as libcurl easy handles (SPEC §6). */
#include "config.h"
#include "monitor/probe.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "gtm/alloc.h"
#include "gtm/err.h"
#include "gtm/log.h"

#define PROBE_USER_AGENT "Azure Traffic Manager Endpoint Monitor"

/* CURLOPT_WRITEFUNCTION: counts the body and throws it away. */
static size_t
body_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct probe_xfer *x = userdata;
    size_t n = size * nmemb;
    (void)ptr;
    if (n > PROBE_BODY_MAX - x->body) {
        x->body_overflow = true;
        return 0; /* anything but n: curl stops with CURLE_WRITE_ERROR */
    }
    x->body += n;
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

/* The request headers, verbatim, in order; *has_ua when one is User-Agent. */
static int
make_headers(struct probe_xfer *x, const struct probe_spec *spec, bool *has_ua, char *why,
             size_t whylen)
{
    *has_ua = false;
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
            *has_ua = true;
        size_t n = strlen(name) + strlen(value) + 3;
        char *line = xmalloc(n);
        /* "Name;" is how curl is told to send a header with an empty value */
        if (*value)
            snprintf(line, n, "%s: %s", name, value);
        else
            snprintf(line, n, "%s;", name);
        struct curl_slist *l = curl_slist_append(x->headers, line);
        free(line);
        if (!l) {
            log_err("monitor: out of memory");
            abort();
        }
        x->headers = l;
    }
    return 0;
}

/* Sets every option; the first curl refuses is reported in why. */
static int
set_options(struct probe_xfer *x, const struct probe_spec *spec, void *owner, const char *url,
            const char *source, bool has_ua, char *why, size_t whylen)
{
    CURL *e = x->easy;
    CURLcode rc = CURLE_OK;
    const char *opt = NULL;
#define SET(o, v)                                                                                  \
    do {                                                                                           \
        if (rc == CURLE_OK && (rc = curl_easy_setopt(e, o, v)) != CURLE_OK)                        \
            opt = #o;                                                                              \
    } while (0)
    SET(CURLOPT_URL, url);
    SET(CURLOPT_PRIVATE, owner);
    SET(CURLOPT_ERRORBUFFER, x->errbuf);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_TIMEOUT_MS, (long)x->timeout_ms);
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
    if (source) {
        /* "host!": an address, never an interface name to look up */
        char iface[80];
        snprintf(iface, sizeof iface, "host!%s", source);
        SET(CURLOPT_INTERFACE, iface);
    }
    if (spec->proto == PROBE_TCP) {
        SET(CURLOPT_CONNECT_ONLY, 1L);
    } else {
        SET(CURLOPT_HTTPGET, 1L);
        SET(CURLOPT_FOLLOWLOCATION, 0L);
        SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
        SET(CURLOPT_PATH_AS_IS, 1L);
        SET(CURLOPT_SSL_VERIFYPEER, 0L);
        SET(CURLOPT_SSL_VERIFYHOST, 0L);
        SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)PROBE_BODY_MAX);
        SET(CURLOPT_WRITEFUNCTION, body_cb);
        SET(CURLOPT_WRITEDATA, x);
        if (x->headers)
            SET(CURLOPT_HTTPHEADER, x->headers);
        if (!has_ua)
            SET(CURLOPT_USERAGENT, PROBE_USER_AGENT);
    }
#undef SET
    if (rc != CURLE_OK) {
        snprintf(why, whylen, "%s: %s", opt, curl_easy_strerror(rc));
        return GTM_EINVAL;
    }
    return 0;
}

int
probe_xfer_init(struct probe_xfer *x, const struct probe_spec *spec, const char *source,
                void *owner, char *why, size_t whylen)
{
    memset(x, 0, sizeof *x);
    x->proto = spec->proto;
    uint32_t interval = spec->interval_ms ? spec->interval_ms : 1;
    x->timeout_ms = spec->timeout_ms && spec->timeout_ms < interval ? spec->timeout_ms : interval;
    if (spec->proto != PROBE_TCP) {
        x->nranges = spec->nranges <= PROFILE_MAX_RANGES ? spec->nranges : PROFILE_MAX_RANGES;
        memcpy(x->ranges, spec->ranges, x->nranges * sizeof x->ranges[0]);
    }
    x->easy = curl_easy_init();
    if (!x->easy) {
        log_err("monitor: curl_easy_init failed");
        abort();
    }
    bool has_ua = false;
    int rc = spec->proto == PROBE_TCP ? 0 : make_headers(x, spec, &has_ua, why, whylen);
    if (rc == 0) {
        char *url = make_url(spec);
        rc = set_options(x, spec, owner, url, source, has_ua, why, whylen);
        free(url); /* curl keeps its own copy */
    }
    if (rc != 0)
        probe_xfer_cleanup(x);
    return rc;
}

void
probe_xfer_cleanup(struct probe_xfer *x)
{
    if (x->easy)
        curl_easy_cleanup(x->easy);
    x->easy = NULL;
    curl_slist_free_all(x->headers);
    x->headers = NULL;
}

void
probe_xfer_reset(struct probe_xfer *x)
{
    x->body = 0;
    x->body_overflow = false;
    x->errbuf[0] = '\0';
}

void *
probe_xfer_owner(CURL *easy)
{
    char *owner = NULL;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &owner);
    return owner;
}

static bool
status_expected(const struct probe_xfer *x, long code)
{
    if (x->nranges == 0)
        return code == 200;
    for (unsigned i = 0; i < x->nranges; i++)
        if (code >= x->ranges[i].min && code <= x->ranges[i].max)
            return true;
    return false;
}

/* Why a transfer failed, in a few words. */
static void
describe_error(const struct probe_xfer *x, CURLcode res, char *text, size_t len)
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
probe_verdict(const struct probe_xfer *x, CURLcode res, char *text, size_t len, uint32_t *rtt_us)
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
    return code > 0 && status_expected(x, code);
}
