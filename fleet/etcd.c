/* etcd.c: the fleet's etcd client (etcd.h): etcd's v3 JSON gateway over
 * libcurl.
 *
 * Every request, synchronous or not, is a struct call: a path, a JSON body,
 * a bounded response buffer, and the URL it is on. call_step() judges a
 * finished transfer the same way for both kinds: a transport failure moves
 * the call to the next URL (each URL at most once), an expired or invalid
 * auth token sends it through /v3/auth/authenticate once and again, an
 * error etcd returns ends it. The synchronous calls loop on
 * curl_easy_perform; the asynchronous ones go through the client's curl
 * multi (gtm/curlev.h).
 *
 * Re-entrancy: no user callback ever runs inside curl or inside curlev.
 * curlev's done callback only queues the call and activates the client's
 * dispatch event; the watch's write callback only parses the complete JSON
 * objects of the stream into a queue (so that the buffer holds at most one
 * incomplete object) and activates the same event. The dispatch event then
 * runs the callbacks on the loop, where the callee may start calls, cancel
 * the watch or free the client: the dispatcher checks after every callback
 * whether the client is still there (a flag on its stack) and whether the
 * watch is still the same one (a sequence number). */
#include "config.h"
#include "fleet/etcd.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "gtm/alloc.h"
#include "gtm/curlev.h"
#include "gtm/err.h"
#include "gtm/log.h"

#define ETCD_TIMEOUT_MS     3000u
#define ETCD_CONNECT_MAX_MS 1000u
#define ETCD_RANGE_MAX      (64u * 1024 * 1024) /* a range's response: some 45 MiB of values */
#define ETCD_RESPONSE_MAX   (64u * 1024)        /* any other response */
#define ETCD_WATCH_OBJECT   (4u * 1024 * 1024)  /* one object of the watch stream */
#define ETCD_USER_FILE_MAX  4096
#define ETCD_WHY            256
/* etcd's default --max-request-bytes (1.5 MiB): a larger put is refused
 * here rather than by etcd, and keeps any event (value and prev_kv, in
 * base64) within ETCD_WATCH_OBJECT. */
#define ETCD_VALUE_MAX (1536u * 1024)

enum call_kind {
    CALL_SYNC, /* the caller reads the response */
    CALL_RANGE,
    CALL_PUT,
    CALL_DELETE,
    CALL_CAS,
    CALL_GRANT,
    CALL_KEEPALIVE,
    CALL_WATCH,
};

/* One request to etcd, from its first URL to its answer. */
struct call {
    struct etcd *e;
    enum call_kind kind;
    CURL *easy;
    struct curl_slist *headers;
    const char *path; /* "/v3/kv/range" */
    char *body;       /* the request's JSON */
    char *url;        /* URL + path of the transfer in flight */
    char errbuf[CURL_ERROR_SIZE];
    char why[ETCD_WHY];
    /* the response (for the watch: the stream's incomplete object) */
    char *resp;
    size_t len, cap, max;
    bool overflow;
    CURLcode result;
    size_t url_idx; /* e->urls[] of this transfer */
    size_t tried;   /* URLs tried, the current one included */
    bool authing;   /* this transfer is /v3/auth/authenticate */
    bool reauthed;  /* the token was renewed once already */
    bool failed;    /* could not even start: why says why */
    bool in_multi;
    union {
        etcd_range_fn *range;
        etcd_done_fn *done;
        etcd_lease_fn *lease;
        etcd_watch_fn *watch;
    } cb;
    void *arg;
    int64_t lease_id;         /* keepalive: the lease asked about */
    int64_t expect_mod;       /* cas: the mod revision compared */
    struct call *prev, *next; /* e->calls, asynchronous calls in flight */
    struct call *fnext;       /* e->finished */
    /* the watch only */
    etcd_watch_end_fn *end;
    uint64_t seq;
    bool got_data;   /* bytes arrived: no more failover */
    bool delivered;  /* events were reported: no more re-authentication */
    bool done;       /* the transfer ended */
    bool bad_stream; /* the write callback found garbage or an oversized object */
    size_t scan;     /* stream_parse's scanner: bytes of resp seen, */
    size_t depth;    /* the nesting depth there, */
    bool in_str;     /* in a string, */
    bool esc;        /* after its backslash */
    json_t **queue;  /* parsed objects not yet dispatched */
    size_t nq, capq, headq;
};

struct etcd {
    struct event_base *base;
    struct curlev *cev;
    struct event dispatch;
    char **urls;
    size_t nurls;
    size_t cur; /* the URL that answered last */
    char *cacert, *cert, *key;
    char *auth_body; /* {"name":..,"password":..}, or NULL: no authentication */
    char *token;
    uint32_t timeout_ms;
    CURL *sync_easy;
    struct call *calls;                   /* asynchronous calls in flight */
    struct call *finished, *finished_end; /* done, waiting for dispatch */
    struct call *watch;
    uint64_t watch_seq;
    bool *freed; /* set while dispatching: etcd_free raises it */
};

static void whyf(char *why, size_t whylen, const char *fmt, ...) GTM_PRINTF(3, 4);

static void
whyf(char *why, size_t whylen, const char *fmt, ...)
{
    if (!why || !whylen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
}

/* ---- base64 and JSON fields ---- */

/* b64_encode: new NUL-terminated base64 of p[0..n). */
static char *
b64_encode(const void *p, size_t n)
{
    char *out = xmalloc(4 * ((n + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)out, p, (int)n);
    return out;
}

/* b64_decode: s[0..n) into out (room for n / 4 * 3 bytes); returns the
 * length, or -1 when s is not base64. EVP_DecodeBlock counts the padding
 * as zero bytes: they are taken off here. */
static long
b64_decode(const char *s, size_t n, unsigned char *out)
{
    if (n % 4 != 0 || n > INT_MAX)
        return -1;
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (!isalnum(ch) && ch != '+' && ch != '/' && !(ch == '=' && i >= n - 2))
            return -1;
    }
    if (s[n - 2] == '=' && s[n - 1] != '=')
        return -1;
    int pad = s[n - 1] == '=' ? (s[n - 2] == '=' ? 2 : 1) : 0;
    int got = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n);
    if (got < pad)
        return -1;
    return got - pad;
}

/* json_b64: a base64 JSON string of p[0..n). */
static json_t *
json_b64(const void *p, size_t n)
{
    char *s = b64_encode(p, n);
    json_t *j = json_string(s);
    free(s);
    return j;
}

/* json_i64: etcd's int64, a JSON string. */
static json_t *
json_i64(int64_t v)
{
    char s[24];
    snprintf(s, sizeof s, "%" PRId64, v);
    return json_string(s);
}

/* get_i64: member k of o as an int64: absent (etcd omits zeros) is 0, a
 * decimal string or a JSON integer is the value. Returns 0 or -1 (another
 * type, or not a number). */
static int
get_i64(const json_t *o, const char *k, int64_t *out)
{
    json_t *v = json_object_get(o, k);
    *out = 0;
    if (!v)
        return 0;
    if (json_is_integer(v)) {
        *out = (int64_t)json_integer_value(v);
        return 0;
    }
    if (!json_is_string(v))
        return -1;
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n == 0 || n > 20 || strlen(s) != n)
        return -1;
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (errno || *end || !(isdigit((unsigned char)s[0]) || s[0] == '-'))
        return -1;
    *out = (int64_t)x;
    return 0;
}

/* get_bool: member k of o: absent is false. Returns 0 or -1 (not a bool). */
static int
get_bool(const json_t *o, const char *k, bool *out)
{
    json_t *v = json_object_get(o, k);
    *out = false;
    if (!v)
        return 0;
    if (!json_is_boolean(v))
        return -1;
    *out = json_is_true(v);
    return 0;
}

/* get_object: member k of o if it is an object; NULL if absent, or of
 * another type (then *bad is set). */
static json_t *
get_object(const json_t *o, const char *k, bool *bad)
{
    json_t *v = json_object_get(o, k);
    if (v && !json_is_object(v)) {
        *bad = true;
        return NULL;
    }
    return v;
}

/* header_revision: the response header's revision (0 when absent). */
static int
header_revision(const json_t *o, int64_t *rev)
{
    bool bad = false;
    json_t *h = get_object(o, "header", &bad);
    *rev = 0;
    if (bad)
        return -1;
    return h ? get_i64(h, "revision", rev) : 0;
}

/* b64_field: member k of o, base64, decoded into a (NUL added). Absent is
 * empty unless required. Returns 0 or -1. */
static int
b64_field(struct arena *a, const json_t *o, const char *k, bool required, const char **p, size_t *n)
{
    json_t *v = json_object_get(o, k);
    *p = "";
    *n = 0;
    if (!v)
        return required ? -1 : 0;
    if (!json_is_string(v))
        return -1;
    size_t len = json_string_length(v);
    unsigned char *out = arena_alloc(a, len / 4 * 3 + 1);
    long got = b64_decode(json_string_value(v), len, out);
    if (got < 0)
        return -1;
    out[got] = '\0';
    *p = (const char *)out;
    *n = (size_t)got;
    return 0;
}

/* kv_parse: one mvccpb.KeyValue. Returns 0 or -1 (malformed). */
static int
kv_parse(struct arena *a, const json_t *o, struct etcd_kv *kv)
{
    memset(kv, 0, sizeof *kv);
    if (!json_is_object(o))
        return -1;
    if (b64_field(a, o, "key", true, &kv->key, &kv->key_len) != 0 ||
        b64_field(a, o, "value", false, &kv->value, &kv->value_len) != 0 ||
        get_i64(o, "create_revision", &kv->create_rev) != 0 ||
        get_i64(o, "mod_revision", &kv->mod_rev) != 0 || get_i64(o, "version", &kv->version) != 0 ||
        get_i64(o, "lease", &kv->lease) != 0)
        return -1;
    return 0;
}

/* error_message: etcd's error in a response, or NULL: {"error":"text",
 * "code":N,"message":"text"} for a unary call, {"error":{"message":..}}
 * in a stream; LeaseGrantResponse's error is a string too. */
static const char *
error_message(const json_t *root)
{
    json_t *err = json_object_get(root, "error");
    if (!err)
        return NULL;
    json_t *msg = json_object_get(root, "message");
    if (json_is_object(err))
        msg = json_object_get(err, "message");
    if (json_is_string(msg) && json_string_length(msg) > 0)
        return json_string_value(msg);
    if (json_is_string(err) && json_string_length(err) > 0)
        return json_string_value(err);
    if (json_is_string(err))
        return NULL; /* an empty error field is no error */
    return "malformed error from etcd";
}

static bool
auth_error(const char *msg)
{
    return msg && (strstr(msg, "invalid auth token") || strstr(msg, "auth token is expired"));
}

/* ---- configuration ---- */

/* parse_urls: "URL[,URL...]" into e->urls. */
static int
parse_urls(struct etcd *e, const char *urls, char *why, size_t whylen)
{
    if (!urls) {
        whyf(why, whylen, "etcd: no URL");
        return GTM_EINVAL;
    }
    const char *p = urls;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        while (n && isspace((unsigned char)*p)) {
            p++;
            n--;
        }
        while (n && isspace((unsigned char)p[n - 1]))
            n--;
        while (n && p[n - 1] == '/')
            n--;
        if (n) {
            size_t scheme = 0;
            if (n > 7 && strncasecmp(p, "http://", 7) == 0)
                scheme = 7;
            else if (n > 8 && strncasecmp(p, "https://", 8) == 0)
                scheme = 8;
            if (!scheme || memchr(p, ' ', n)) {
                whyf(why, whylen, "etcd: %.*s: not an http:// or https:// URL", (int)n, p);
                return GTM_EINVAL;
            }
            e->urls = xrealloc(e->urls, (e->nurls + 1) * sizeof *e->urls);
            char *u = xmalloc(n + 1);
            memcpy(u, p, n);
            u[n] = '\0';
            e->urls[e->nurls++] = u;
        }
        if (!comma)
            break;
        p = comma + 1;
    }
    if (!e->nurls) {
        whyf(why, whylen, "etcd: no URL");
        return GTM_EINVAL;
    }
    return 0;
}

/* read_user_file: "user:password" (one line) into e->auth_body. */
static int
read_user_file(struct etcd *e, const char *path, char *why, size_t whylen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        whyf(why, whylen, "%s: %s", path, strerror(errno));
        return GTM_EINVAL;
    }
    char buf[ETCD_USER_FILE_MAX + 1];
    size_t n = fread(buf, 1, sizeof buf, f);
    bool err = ferror(f);
    fclose(f);
    int rc = GTM_EINVAL;
    if (err) {
        whyf(why, whylen, "%s: cannot read", path);
        goto out;
    }
    if (n > ETCD_USER_FILE_MAX) {
        whyf(why, whylen, "%s: larger than %d bytes", path, ETCD_USER_FILE_MAX);
        goto out;
    }
    buf[n] = '\0';
    if (strlen(buf) != n) {
        whyf(why, whylen, "%s: holds a NUL byte", path);
        goto out;
    }
    /* one line, its end of line optional */
    char *eol = strpbrk(buf, "\r\n");
    if (eol) {
        for (char *q = eol; *q; q++) {
            if (*q != '\r' && *q != '\n') {
                whyf(why, whylen, "%s: more than one line (expected user:password)", path);
                goto out;
            }
        }
        *eol = '\0';
    }
    char *colon = strchr(buf, ':');
    if (!colon || colon == buf) {
        whyf(why, whylen, "%s: expected user:password", path);
        goto out;
    }
    *colon = '\0';
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(buf));
    json_object_set_new(o, "password", json_string(colon + 1));
    e->auth_body = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!e->auth_body) {
        whyf(why, whylen, "%s: not UTF-8", path);
        goto out;
    }
    rc = 0;
out:
    explicit_bzero(buf, sizeof buf);
    return rc;
}

static void on_done(CURL *easy, CURLcode result, void *arg);
static void on_dispatch(evutil_socket_t fd, short what, void *arg);

struct etcd *
etcd_new(struct event_base *base, const struct etcd_config *cfg, char *why, size_t whylen)
{
    struct etcd *e = xcalloc(1, sizeof *e);
    e->base = base;
    e->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : ETCD_TIMEOUT_MS;
    e->cacert = cfg->cacert ? xstrdup(cfg->cacert) : NULL;
    e->cert = cfg->cert ? xstrdup(cfg->cert) : NULL;
    e->key = cfg->key ? xstrdup(cfg->key) : NULL;
    if (parse_urls(e, cfg->urls, why, whylen) != 0 ||
        (cfg->user_file && read_user_file(e, cfg->user_file, why, whylen) != 0)) {
        etcd_free(e);
        return NULL;
    }
    if (base) {
        e->cev = curlev_new(base, on_done, e);
        evtimer_assign(&e->dispatch, base, on_dispatch, e);
    }
    return e;
}

/* ---- one transfer ---- */

static size_t write_cb(char *data, size_t size, size_t nmemb, void *userdata);

/* call_new: a call of kind to path with body (taken). */
static struct call *
call_new(struct etcd *e, enum call_kind kind, const char *path, char *body, size_t max)
{
    struct call *c = xcalloc(1, sizeof *c);
    c->e = e;
    c->kind = kind;
    c->path = path;
    c->body = body;
    c->max = max;
    c->url_idx = e->cur;
    return c;
}

static void
call_free(struct call *c)
{
    if (!c)
        return;
    /* not c->e: the client may be gone (freed by the callback) */
    if (c->easy && c->kind != CALL_SYNC)
        curl_easy_cleanup(c->easy);
    curl_slist_free_all(c->headers);
    free(c->body);
    free(c->url);
    free(c->resp);
    for (size_t i = c->headq; i < c->nq; i++)
        json_decref(c->queue[i]);
    free(c->queue);
    free(c);
}

/* call_prepare: sets the options of c's next transfer (on e->urls[url_idx];
 * the authentication first when a token is needed and missing). Returns 0
 * or GTM_EIO with c->why. */
static int
call_prepare(struct call *c)
{
    struct etcd *e = c->e;
    if (e->auth_body && !e->token)
        c->authing = true;
    const char *path = c->authing ? "/v3/auth/authenticate" : c->path;
    const char *body = c->authing ? e->auth_body : c->body;
    free(c->url);
    size_t n = strlen(e->urls[c->url_idx]) + strlen(path) + 1;
    c->url = xmalloc(n);
    snprintf(c->url, n, "%s%s", e->urls[c->url_idx], path);
    curl_slist_free_all(c->headers);
    c->headers = curl_slist_append(NULL, "Content-Type: application/json");
    /* no "Expect: 100-continue" for bodies over 1 KiB: one round trip less */
    c->headers = curl_slist_append(c->headers, "Expect:");
    if (!c->authing && e->token) {
        size_t hn = strlen(e->token) + 32;
        char *h = xmalloc(hn);
        snprintf(h, hn, "Authorization: %s", e->token);
        struct curl_slist *l = curl_slist_append(c->headers, h);
        explicit_bzero(h, strlen(h));
        free(h);
        c->headers = l ? l : c->headers;
    }
    c->len = c->scan = c->depth = 0;
    c->in_str = c->esc = false;
    c->overflow = false;
    c->got_data = false;
    c->errbuf[0] = '\0';
    c->result = CURLE_OK;

    bool stream = c->kind == CALL_WATCH && !c->authing;
    uint32_t connect_ms = e->timeout_ms < ETCD_CONNECT_MAX_MS ? e->timeout_ms : ETCD_CONNECT_MAX_MS;
    CURL *h = c->easy;
    CURLcode rc = CURLE_OK;
    const char *opt = NULL;
#define SET(o, v)                                                                                  \
    do {                                                                                           \
        if (rc == CURLE_OK && (rc = curl_easy_setopt(h, o, v)) != CURLE_OK)                        \
            opt = #o;                                                                              \
    } while (0)
    SET(CURLOPT_URL, c->url);
    SET(CURLOPT_PRIVATE, (void *)c);
    SET(CURLOPT_ERRORBUFFER, c->errbuf);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_NOPROXY, "*");
    SET(CURLOPT_PROXY, "");
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85.0 */
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
#else
    SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    /* etcd's TLS port hands HTTP/2 to gRPC; the gateway speaks HTTP/1.1 */
    SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    SET(CURLOPT_POST, 1L);
    SET(CURLOPT_POSTFIELDS, body);
    SET(CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    SET(CURLOPT_HTTPHEADER, c->headers);
    SET(CURLOPT_WRITEFUNCTION, write_cb);
    SET(CURLOPT_WRITEDATA, (void *)c);
    SET(CURLOPT_CONNECTTIMEOUT_MS, (long)connect_ms);
    /* the watch runs as long as it is wanted; TCP keepalive finds a peer
     * that vanished without closing */
    SET(CURLOPT_TIMEOUT_MS, stream ? 0L : (long)e->timeout_ms);
    SET(CURLOPT_TCP_KEEPALIVE, stream ? 1L : 0L);
    if (stream) {
        SET(CURLOPT_TCP_KEEPIDLE, 10L);
        SET(CURLOPT_TCP_KEEPINTVL, 5L);
    }
    if (e->cacert)
        SET(CURLOPT_CAINFO, e->cacert);
    if (e->cert)
        SET(CURLOPT_SSLCERT, e->cert);
    if (e->key)
        SET(CURLOPT_SSLKEY, e->key);
#undef SET
    if (rc != CURLE_OK) {
        whyf(c->why, sizeof c->why, "%s: %s: %s", e->urls[c->url_idx], opt, curl_easy_strerror(rc));
        return GTM_EIO;
    }
    return 0;
}

/* A transport failure: the next URL may answer. */
static bool
transport_error(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
#if LIBCURL_VERSION_NUM >= 0x074400 /* 7.68.0 */
    case CURLE_HTTP2:
#endif
        return true;
    default:
        return false;
    }
}

static void
queue_push(struct call *c, json_t *o)
{
    if (c->nq == c->capq && c->headq > 0) {
        memmove(c->queue, c->queue + c->headq, (c->nq - c->headq) * sizeof *c->queue);
        c->nq -= c->headq;
        c->headq = 0;
    }
    if (c->nq == c->capq) {
        c->capq = c->capq ? 2 * c->capq : 8;
        c->queue = xrealloc(c->queue, c->capq * sizeof *c->queue);
    }
    c->queue[c->nq++] = o;
}

/* stream_parse: moves the complete objects at the start of c->resp to
 * c->queue and keeps the incomplete rest. A small scanner (nesting depth,
 * strings and their escapes) carried from one call to the next finds where
 * each top-level object ends, so json_loadb sees each byte once instead of
 * the whole incomplete object again at every chunk. Returns 0, or -1 when
 * the stream is not a sequence of JSON objects. */
static int
stream_parse(struct call *c)
{
    size_t start = 0; /* the first byte not yet queued */
    int rc = 0;
    while (c->scan < c->len) {
        char ch = c->resp[c->scan++];
        if (c->in_str) {
            if (c->esc)
                c->esc = false;
            else if (ch == '\\')
                c->esc = true;
            else if (ch == '"')
                c->in_str = false;
            continue;
        }
        if (c->depth == 0) {
            if (isspace((unsigned char)ch)) {
                start = c->scan;
                continue;
            }
            if (ch != '{') {
                rc = -1;
                break;
            }
        }
        if (ch == '"') {
            c->in_str = true;
        } else if (ch == '{' || ch == '[') {
            c->depth++;
        } else if (ch == '}' || ch == ']') {
            if (--c->depth > 0)
                continue;
            json_error_t jerr;
            size_t n = c->scan - start;
            json_t *o = json_loadb(c->resp + start, n, JSON_DISABLE_EOF_CHECK, &jerr);
            if (!o || jerr.position < 0 || (size_t)jerr.position != n) {
                json_decref(o);
                rc = -1;
                break;
            }
            queue_push(c, o);
            start = c->scan;
        }
    }
    memmove(c->resp, c->resp + start, c->len - start);
    c->len -= start;
    c->scan -= start;
    return rc;
}

/* CURLOPT_WRITEFUNCTION: bounded buffering; for the watch, the complete
 * objects go to the queue and the dispatcher is woken (no user code here). */
static size_t
write_cb(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct call *c = userdata;
    size_t n = size * nmemb;
    GTM_ASSERT(c);
    bool stream = c->kind == CALL_WATCH && !c->authing;
    c->got_data = true;
    /* the stream's buffer holds at most one incomplete object (bounded
     * below, after parsing) and one chunk of curl's (CURL_MAX_WRITE_SIZE) */
    if (!stream && n > c->max - c->len) {
        c->overflow = true;
        return 0; /* ends the transfer: CURLE_WRITE_ERROR */
    }
    if (c->len + n + 1 > c->cap) {
        size_t cap = c->cap ? c->cap : 4096;
        while (cap < c->len + n + 1)
            cap *= 2;
        c->resp = xrealloc(c->resp, cap);
        c->cap = cap;
    }
    memcpy(c->resp + c->len, data, n);
    c->len += n;
    c->resp[c->len] = '\0';
    if (stream) {
        size_t before = c->nq;
        if (stream_parse(c) != 0 || c->len > ETCD_WATCH_OBJECT) {
            c->overflow = c->len > ETCD_WATCH_OBJECT;
            c->bad_stream = true;
            return 0;
        }
        if (c->nq != before)
            event_active(&c->e->dispatch, EV_TIMEOUT, 0);
    }
    return n;
}

/* call_step: judges c's finished transfer. Returns 1 (send c again: next
 * URL, or (re)authentication done or needed), 0 with *out (etcd's answer;
 * decref it), or GTM_EIO with c->why. */
static int
call_step(struct call *c, json_t **out)
{
    struct etcd *e = c->e;
    const char *url = e->urls[c->url_idx];
    *out = NULL;
    if (c->failed)
        return GTM_EIO;
    if (c->result != CURLE_OK) {
        if (c->overflow) {
            whyf(c->why, sizeof c->why, "%s: response larger than %zu bytes", url, c->max);
            return GTM_EIO;
        }
        whyf(c->why, sizeof c->why, "%s: %s", url,
             c->errbuf[0] ? c->errbuf : curl_easy_strerror(c->result));
        if (transport_error(c->result) && !(c->kind == CALL_WATCH && c->got_data) &&
            c->tried < e->nurls) {
            log_debug("fleet: etcd: %s, trying the next URL", c->why);
            c->url_idx = (c->url_idx + 1) % e->nurls;
            c->tried++;
            return 1;
        }
        return GTM_EIO;
    }
    e->cur = c->url_idx;
    long code = 0;
    curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &code);
    json_error_t jerr;
    json_t *root = c->len ? json_loadb(c->resp, c->len, 0, &jerr) : NULL;
    if (!json_is_object(root)) {
        json_decref(root);
        if (code != 200)
            whyf(c->why, sizeof c->why, "%s: HTTP %ld", url, code);
        else
            whyf(c->why, sizeof c->why, "%s: malformed response", url);
        return GTM_EIO;
    }
    const char *msg = error_message(root);
    if (msg || code != 200) {
        if (auth_error(msg) && e->auth_body && !c->reauthed && !c->authing) {
            /* the token expired (or etcd restarted): once more with a new one */
            log_debug("fleet: etcd: %s: %s, authenticating again", url, msg);
            if (e->token)
                explicit_bzero(e->token, strlen(e->token));
            free(e->token);
            e->token = NULL;
            c->reauthed = true;
            json_decref(root);
            return 1;
        }
        if (msg)
            whyf(c->why, sizeof c->why, "%s", msg);
        else
            whyf(c->why, sizeof c->why, "%s: HTTP %ld", url, code);
        json_decref(root);
        return GTM_EIO;
    }
    if (c->authing) {
        json_t *t = json_object_get(root, "token");
        if (!json_is_string(t) || json_string_length(t) == 0 ||
            strlen(json_string_value(t)) != json_string_length(t) ||
            strpbrk(json_string_value(t), "\r\n")) {
            whyf(c->why, sizeof c->why, "%s: authentication: no token in the response", url);
            json_decref(root);
            return GTM_EIO;
        }
        free(e->token);
        e->token = xstrdup(json_string_value(t));
        c->authing = false;
        json_decref(root);
        return 1;
    }
    *out = root;
    return 0;
}

/* ---- synchronous calls ---- */

/* request_sync: POSTs body (taken) to path; 0 with *out, or GTM_EIO. */
static int
request_sync(struct etcd *e, const char *path, char *body, size_t max, json_t **out, char *why,
             size_t whylen)
{
    *out = NULL;
    if (!e->sync_easy) {
        e->sync_easy = curl_easy_init();
        if (!e->sync_easy) {
            log_err("fleet: curl_easy_init failed");
            abort();
        }
    }
    struct call *c = call_new(e, CALL_SYNC, path, body, max);
    c->easy = e->sync_easy;
    c->tried = 1;
    int rc;
    for (;;) {
        if (call_prepare(c) != 0) {
            rc = GTM_EIO;
            break;
        }
        c->result = curl_easy_perform(c->easy);
        rc = call_step(c, out);
        if (rc != 1)
            break;
    }
    if (rc != 0)
        whyf(why, whylen, "%s", c->why);
    /* the handle stays for the next call, its connection with it, but
     * holds no pointer into c */
    curl_easy_setopt(c->easy, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, NULL);
    curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, NULL);
    curl_easy_setopt(c->easy, CURLOPT_PRIVATE, NULL);
    call_free(c);
    return rc;
}

/* A malformed answer: the URL that gave it is not known any more here. */
static int
malformed(struct etcd *e, json_t *root, const char *what, char *why, size_t whylen)
{
    whyf(why, whylen, "%s: malformed %s response", e->urls[e->cur], what);
    json_decref(root);
    return GTM_EIO;
}

static char *
dump(json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!s) {
        log_err("fleet: json_dumps failed");
        abort();
    }
    return s;
}

/* The request bodies. */
static char *
put_body(const char *key, const void *value, size_t len, int64_t lease)
{
    json_t *o = json_object();
    json_object_set_new(o, "key", json_b64(key, strlen(key)));
    json_object_set_new(o, "value", json_b64(value ? value : "", value ? len : 0));
    if (lease)
        json_object_set_new(o, "lease", json_i64(lease));
    return dump(o);
}

static char *
delete_body(const char *key)
{
    json_t *o = json_object();
    json_object_set_new(o, "key", json_b64(key, strlen(key)));
    return dump(o);
}

static bool
too_big(const char *key, size_t len)
{
    return strlen(key) > ETCD_VALUE_MAX || len > ETCD_VALUE_MAX - strlen(key);
}

/* The body of a transaction that, if key's mod revision is expect_mod,
 * puts value[0..len) (value NULL: deletes key), else reads key (keys only,
 * to report its revision now). etcd omits EQUAL and zero. */
static char *
cas_body(const char *key, const void *value, size_t len, int64_t expect_mod)
{
    json_t *cmp = json_object();
    json_object_set_new(cmp, "key", json_b64(key, strlen(key)));
    json_object_set_new(cmp, "target", json_string("MOD"));
    json_object_set_new(cmp, "result", json_string("EQUAL"));
    json_object_set_new(cmp, "mod_revision", json_i64(expect_mod));
    json_t *op = json_object();
    if (value) {
        json_t *put = json_object();
        json_object_set_new(put, "key", json_b64(key, strlen(key)));
        json_object_set_new(put, "value", json_b64(value, len));
        json_object_set_new(op, "request_put", put);
    } else {
        json_t *del = json_object();
        json_object_set_new(del, "key", json_b64(key, strlen(key)));
        json_object_set_new(op, "request_delete_range", del);
    }
    json_t *get = json_object();
    json_object_set_new(get, "key", json_b64(key, strlen(key)));
    json_object_set_new(get, "keys_only", json_true());
    json_t *fail = json_object();
    json_object_set_new(fail, "request_range", get);
    json_t *txn = json_object();
    json_object_set_new(txn, "compare", json_pack("[o]", cmp));
    json_object_set_new(txn, "success", json_pack("[o]", op));
    json_object_set_new(txn, "failure", json_pack("[o]", fail));
    return dump(txn);
}

/* A cas_body transaction's response: 0 with *rev the revision of the
 * change, GTM_EEXIST with *rev the key's mod revision now (0: absent), or
 * 1: malformed. */
static int
cas_result(const json_t *root, int64_t *rev)
{
    bool ok;
    int64_t revision;
    *rev = 0;
    if (get_bool(root, "succeeded", &ok) != 0 || header_revision(root, &revision) != 0)
        return 1;
    if (ok) {
        *rev = revision;
        return 0;
    }
    /* responses[0].response_range.kvs[0].mod_revision, absent: no key */
    json_t *resps = json_object_get(root, "responses");
    json_t *r0 = json_array_get(resps, 0);
    bool bad = false;
    json_t *rr = json_is_object(r0) ? get_object(r0, "response_range", &bad) : NULL;
    json_t *kvs = rr ? json_object_get(rr, "kvs") : NULL;
    if (!json_is_array(resps) || !rr || bad || (kvs && !json_is_array(kvs)))
        return 1;
    json_t *kv0 = json_array_get(kvs, 0);
    if (kv0 && (!json_is_object(kv0) || get_i64(kv0, "mod_revision", rev) != 0))
        return 1;
    return GTM_EEXIST;
}

int
etcd_cas_sync(struct etcd *e, const char *key, const void *value, size_t len, int64_t expect_mod,
              int64_t *rev, char *why, size_t whylen)
{
    *rev = 0;
    if (!*key || too_big(key, value ? len : 0)) {
        whyf(why, whylen, "etcd: empty key or value too large");
        return GTM_EINVAL;
    }
    json_t *root;
    int rc = request_sync(e, "/v3/kv/txn", cas_body(key, value, len, expect_mod), ETCD_RESPONSE_MAX,
                          &root, why, whylen);
    if (rc != 0)
        return rc;
    rc = cas_result(root, rev);
    if (rc == 1)
        return malformed(e, root, "txn", why, whylen);
    if (rc == GTM_EEXIST)
        whyf(why, whylen, "%s: mod revision %" PRId64 ", expected %" PRId64, key, *rev, expect_mod);
    json_decref(root);
    return rc;
}

int
etcd_put_sync(struct etcd *e, const char *key, const void *value, size_t len, int64_t *rev,
              char *why, size_t whylen)
{
    if (rev)
        *rev = 0;
    if (!*key || too_big(key, value ? len : 0)) {
        whyf(why, whylen, "etcd: empty key or value too large");
        return GTM_EINVAL;
    }
    json_t *root;
    int rc = request_sync(e, "/v3/kv/put", put_body(key, value, len, 0), ETCD_RESPONSE_MAX, &root,
                          why, whylen);
    if (rc != 0)
        return rc;
    int64_t r;
    if (header_revision(root, &r) != 0)
        return malformed(e, root, "put", why, whylen);
    if (rev)
        *rev = r;
    json_decref(root);
    return 0;
}

int
etcd_delete_sync(struct etcd *e, const char *key, int64_t *rev, char *why, size_t whylen)
{
    if (rev)
        *rev = 0;
    if (!*key) {
        whyf(why, whylen, "etcd: empty key");
        return GTM_EINVAL;
    }
    json_t *root;
    int rc = request_sync(e, "/v3/kv/deleterange", delete_body(key), ETCD_RESPONSE_MAX, &root, why,
                          whylen);
    if (rc != 0)
        return rc;
    int64_t r;
    if (header_revision(root, &r) != 0)
        return malformed(e, root, "deleterange", why, whylen);
    if (rev)
        *rev = r;
    json_decref(root);
    return 0;
}

int
etcd_lease_revoke_sync(struct etcd *e, int64_t id, char *why, size_t whylen)
{
    json_t *o = json_object();
    json_object_set_new(o, "ID", json_i64(id));
    json_t *root;
    char reason[ETCD_WHY];
    int rc = request_sync(e, "/v3/lease/revoke", dump(o), ETCD_RESPONSE_MAX, &root, reason,
                          sizeof reason);
    if (rc != 0) {
        /* expired or revoked already: its keys are gone, as asked */
        if (strstr(reason, "requested lease not found"))
            return 0;
        whyf(why, whylen, "%s", reason);
        return rc;
    }
    json_decref(root);
    return 0;
}

/* ---- asynchronous calls ---- */

static void
finished_push(struct etcd *e, struct call *c)
{
    c->fnext = NULL;
    if (e->finished_end)
        e->finished_end->fnext = c;
    else
        e->finished = c;
    e->finished_end = c;
    event_active(&e->dispatch, EV_TIMEOUT, 0);
}

static void
calls_unlink(struct etcd *e, struct call *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else if (e->calls == c)
        e->calls = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
}

/* call_send: starts c's next transfer. Returns 0 or GTM_EIO (c->why). */
static int
call_send(struct call *c)
{
    if (call_prepare(c) != 0)
        return GTM_EIO;
    const char *why = NULL;
    if (curlev_add(c->e->cev, c->easy, &why) != 0) {
        whyf(c->why, sizeof c->why, "%s: %s", c->e->urls[c->url_idx], why);
        return GTM_EIO;
    }
    c->in_multi = true;
    return 0;
}

/* call_start: a new asynchronous call; its callback comes through the
 * dispatcher even when it cannot start. */
static void
call_start(struct etcd *e, struct call *c)
{
    c->easy = curl_easy_init();
    if (!c->easy) {
        log_err("fleet: curl_easy_init failed");
        abort();
    }
    c->tried = 1;
    if (c->kind != CALL_WATCH) {
        c->next = e->calls;
        if (e->calls)
            e->calls->prev = c;
        e->calls = c;
    }
    if (call_send(c) != 0) {
        c->failed = true;
        if (c->kind == CALL_WATCH) {
            c->done = true;
            event_active(&e->dispatch, EV_TIMEOUT, 0);
        } else {
            finished_push(e, c);
        }
    }
}

/* curlev_done_fn: queues the call for the dispatcher (no user code here:
 * we are inside curlev). */
static void
on_done(CURL *easy, CURLcode result, void *arg)
{
    struct etcd *e = arg;
    char *p = NULL;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &p);
    struct call *c = (void *)p;
    GTM_ASSERT(e && c && c->easy == easy && c->in_multi);
    c->in_multi = false;
    c->result = result;
    if (c == e->watch) {
        c->done = true;
        event_active(&e->dispatch, EV_TIMEOUT, 0);
    } else {
        finished_push(e, c);
    }
}

/* deliver: parses root (rc 0) for c's kind and calls back; rc != 0, or a
 * malformed root, is reported as GTM_EIO with the reason. */
static void
deliver(struct call *c, int rc, json_t *root)
{
    const char *url = c->e->urls[c->url_idx];
    bool bad = false;
    int64_t rev = 0;
    if (rc == 0 && c->kind != CALL_KEEPALIVE && header_revision(root, &rev) != 0)
        bad = true;
    switch (c->kind) {
    case CALL_RANGE: {
        struct arena *a = NULL;
        struct etcd_kv *kvs = NULL;
        size_t n = 0;
        json_t *arr = rc == 0 ? json_object_get(root, "kvs") : NULL;
        if (arr && !json_is_array(arr))
            bad = true;
        if (rc == 0 && !bad && json_array_size(arr) > 0) {
            a = arena_new();
            kvs = xcalloc(json_array_size(arr), sizeof *kvs);
            for (n = 0; n < json_array_size(arr) && !bad; n++)
                bad = kv_parse(a, json_array_get(arr, n), &kvs[n]) != 0;
        }
        if (bad)
            whyf(c->why, sizeof c->why, "%s: malformed range response", url);
        if (rc || bad)
            c->cb.range(c->arg, GTM_EIO, c->why, 0, NULL, 0);
        else
            c->cb.range(c->arg, 0, NULL, rev, kvs, n);
        free(kvs);
        arena_free(a);
        return;
    }
    case CALL_PUT:
    case CALL_DELETE:
        if (bad)
            whyf(c->why, sizeof c->why, "%s: malformed response", url);
        if (rc || bad)
            c->cb.done(c->arg, GTM_EIO, c->why, 0);
        else
            c->cb.done(c->arg, 0, NULL, rev);
        return;
    case CALL_CAS: {
        int got = rc || bad ? 1 : cas_result(root, &rev);
        if (got == GTM_EEXIST)
            whyf(c->why, sizeof c->why, "mod revision %" PRId64 ", expected %" PRId64, rev,
                 c->expect_mod);
        else if (got == 1 && !rc)
            whyf(c->why, sizeof c->why, "%s: malformed txn response", url);
        if (got == 1)
            c->cb.done(c->arg, GTM_EIO, c->why, 0);
        else
            c->cb.done(c->arg, got, got ? c->why : NULL, rev);
        return;
    }
    case CALL_GRANT:
    case CALL_KEEPALIVE: {
        int64_t id = 0, ttl = 0;
        const json_t *res = root;
        if (rc == 0 && c->kind == CALL_KEEPALIVE) {
            /* a stream of one: {"result":{...}} */
            res = get_object(root, "result", &bad);
            bad = bad || !res || header_revision(res, &rev) != 0;
        }
        if (rc == 0 && !bad)
            bad = get_i64(res, "ID", &id) != 0 || get_i64(res, "TTL", &ttl) != 0 ||
                  (c->kind == CALL_GRANT && (id == 0 || ttl <= 0));
        if (bad)
            whyf(c->why, sizeof c->why, "%s: malformed lease response", url);
        if (rc || bad)
            c->cb.lease(c->arg, GTM_EIO, c->why, 0, 0);
        else /* a keepalive of a lease that is gone: TTL absent (0) */
            c->cb.lease(c->arg, 0, NULL, id ? id : c->lease_id, ttl);
        return;
    }
    default:
        GTM_ASSERT(0);
    }
}

/* ---- the watch ---- */

/* watch_end: the watch is over (taken off e); end is called unless asked
 * not to. */
static void
watch_end(struct etcd *e, int err, const char *why, int64_t compact, bool notify)
{
    struct call *w = e->watch;
    e->watch = NULL;
    if (w->in_multi)
        curlev_remove(e->cev, w->easy);
    w->in_multi = false;
    etcd_watch_end_fn *end = w->end;
    void *arg = w->arg;
    char text[ETCD_WHY];
    whyf(text, sizeof text, "%s", why ? why : "");
    call_free(w);
    if (notify)
        end(arg, err, text, compact);
}

/* watch_restart: the watch again from its first transfer (a new token). */
static void
watch_restart(struct etcd *e, struct call *w)
{
    if (w->in_multi)
        curlev_remove(e->cev, w->easy);
    w->in_multi = false;
    w->done = false;
    w->bad_stream = false;
    for (size_t i = w->headq; i < w->nq; i++)
        json_decref(w->queue[i]);
    w->nq = w->headq = 0;
    if (call_send(w) != 0) {
        w->failed = true;
        w->done = true;
        event_active(&e->dispatch, EV_TIMEOUT, 0);
    }
}

/* watch_object: one object of the stream. Returns true when the watch is
 * still going. */
static bool
watch_object(struct etcd *e, struct call *w, json_t *o, bool *freed)
{
    const char *url = e->urls[w->url_idx];
    const char *msg = json_is_object(o) ? error_message(o) : "malformed watch response";
    bool bad = false;
    json_t *res = msg ? NULL : get_object(o, "result", &bad);
    if (!msg && (!res || bad))
        msg = "malformed watch response";
    bool canceled = false;
    int64_t compact = 0, rev = 0;
    if (!msg &&
        (get_bool(res, "canceled", &canceled) != 0 ||
         get_i64(res, "compact_revision", &compact) != 0 || header_revision(res, &rev) != 0))
        msg = "malformed watch response";
    if (!msg && canceled) {
        json_t *r = json_object_get(res, "cancel_reason");
        msg = json_is_string(r) && json_string_length(r) ? json_string_value(r)
              : compact > 0 ? "etcdserver: mvcc: required revision has been compacted"
                            : "watch canceled by etcd";
    }
    if (msg) {
        if (auth_error(msg) && e->auth_body && !w->reauthed && !w->delivered) {
            log_debug("fleet: etcd: %s: watch: %s, authenticating again", url, msg);
            if (e->token)
                explicit_bzero(e->token, strlen(e->token));
            free(e->token);
            e->token = NULL;
            w->reauthed = true;
            watch_restart(e, w);
            return false; /* this stream's other objects are stale */
        }
        char why[ETCD_WHY];
        whyf(why, sizeof why, "%s: watch: %s", url, msg);
        watch_end(e, GTM_EIO, why, canceled ? compact : 0, true);
        return false;
    }
    json_t *evs = json_object_get(res, "events");
    if (!evs || json_array_size(evs) == 0) {
        if (evs && !json_is_array(evs)) {
            watch_end(e, GTM_EIO, "malformed watch event", 0, true);
            return false;
        }
        /* created, or a progress notice: said with no events, so that the
         * caller knows the stream is up */
        uint64_t seq = w->seq;
        w->cb.watch(w->arg, rev, NULL, 0);
        return !*freed && e->watch && e->watch->seq == seq;
    }
    size_t n = json_array_size(evs);
    struct arena *a = arena_new();
    struct etcd_event *ev = xcalloc(n, sizeof *ev);
    struct etcd_kv *prev = xcalloc(n, sizeof *prev);
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++) {
        json_t *x = json_array_get(evs, i);
        json_t *type = json_object_get(x, "type");
        json_t *p = json_object_get(x, "prev_kv");
        if (!json_is_object(x) || (type && !json_is_string(type)) ||
            kv_parse(a, json_object_get(x, "kv"), &ev[i].kv) != 0 ||
            (p && kv_parse(a, p, &prev[i]) != 0)) {
            ok = false;
            break;
        }
        if (type && strcmp(json_string_value(type), "DELETE") == 0)
            ev[i].is_delete = true;
        else if (type && strcmp(json_string_value(type), "PUT") != 0)
            ok = false;
        ev[i].prev = p ? &prev[i] : NULL;
    }
    bool going = true;
    if (!ok) {
        char why[ETCD_WHY];
        whyf(why, sizeof why, "%s: malformed watch event", url);
        watch_end(e, GTM_EIO, why, 0, true);
        going = false;
    } else {
        uint64_t seq = w->seq;
        w->delivered = true;
        w->cb.watch(w->arg, rev, ev, n);
        going = !*freed && e->watch && e->watch->seq == seq;
    }
    free(ev);
    free(prev);
    arena_free(a);
    return going;
}

/* watch_dispatch: reports what the watch's stream brought, then its end. */
static void
watch_dispatch(struct etcd *e, bool *freed)
{
    struct call *w = e->watch;
    while (w->headq < w->nq) {
        json_t *o = w->queue[w->headq++];
        bool going = watch_object(e, w, o, freed);
        json_decref(o);
        if (!going)
            return;
    }
    if (!w->done && !w->bad_stream)
        return;
    if (w->bad_stream) {
        char why[ETCD_WHY];
        whyf(why, sizeof why, "%s: watch: %s", e->urls[w->url_idx],
             w->overflow ? "response object larger than 4 MiB" : "malformed stream");
        watch_end(e, GTM_EIO, why, 0, true);
        return;
    }
    if (w->authing || w->failed || !w->got_data || w->result != CURLE_OK) {
        /* the authentication's answer, or a stream that never began:
         * failover and re-authentication as for any call */
        json_t *root = NULL;
        int rc = call_step(w, &root);
        json_decref(root);
        if (rc == 1) {
            w->done = false;
            if (call_send(w) == 0)
                return;
        }
        if (rc == 0) {
            /* a stream that ended with one object, never parsed (an error
             * body that was not a stream); call_step found no error in it */
            whyf(w->why, sizeof w->why, "%s: watch: the stream ended", e->urls[w->url_idx]);
        }
        char why[ETCD_WHY];
        whyf(why, sizeof why, "%s", w->why);
        watch_end(e, GTM_EIO, why, 0, true);
        return;
    }
    char why[ETCD_WHY];
    whyf(why, sizeof why, "%s: watch: the stream ended", e->urls[w->url_idx]);
    watch_end(e, GTM_EIO, why, 0, true);
}

/* The dispatch event: every finished call's callback, then the watch's. */
static void
on_dispatch(evutil_socket_t fd, short what, void *arg)
{
    struct etcd *e = arg;
    (void)fd;
    (void)what;
    bool freed = false;
    e->freed = &freed;
    struct call *c;
    while ((c = e->finished) != NULL) {
        e->finished = c->fnext;
        if (!e->finished)
            e->finished_end = NULL;
        c->fnext = NULL;
        json_t *root = NULL;
        int rc = call_step(c, &root);
        if (rc == 1) {
            if (call_send(c) == 0)
                continue;
            rc = GTM_EIO;
        }
        calls_unlink(e, c);
        deliver(c, rc, root);
        json_decref(root);
        call_free(c);
        if (freed)
            return;
    }
    if (e->watch) {
        watch_dispatch(e, &freed);
        if (freed)
            return;
    }
    e->freed = NULL;
}

/* set_prefix: key and range_end of every key starting with prefix:
 * range_end is the prefix with its last byte that is not 0xff + 1 (and
 * what follows it dropped), or "\0" (every key from key on) when there is
 * none; the empty prefix is every key ("\0" to "\0"), as clientv3 does. */
static void
set_prefix(json_t *o, const char *prefix)
{
    size_t n = strlen(prefix);
    unsigned char *end = xmalloc(n + 1);
    memcpy(end, prefix, n);
    size_t m = n;
    while (m > 0 && end[m - 1] == 0xff)
        m--;
    if (m > 0)
        end[m - 1]++;
    else
        end[m++] = 0;
    json_object_set_new(o, "key", n ? json_b64(prefix, n) : json_b64("", 1));
    json_object_set_new(o, "range_end", json_b64(end, m));
    free(end);
}

int
etcd_range_prefix(struct etcd *e, const char *prefix, etcd_range_fn *cb, void *arg)
{
    if (!e->base)
        return GTM_EINVAL;
    json_t *o = json_object();
    set_prefix(o, prefix);
    struct call *c = call_new(e, CALL_RANGE, "/v3/kv/range", dump(o), ETCD_RANGE_MAX);
    c->cb.range = cb;
    c->arg = arg;
    call_start(e, c);
    return 0;
}

int
etcd_put(struct etcd *e, const char *key, const void *value, size_t len, int64_t lease,
         etcd_done_fn *cb, void *arg)
{
    if (!e->base || !*key || too_big(key, value ? len : 0))
        return GTM_EINVAL;
    struct call *c =
        call_new(e, CALL_PUT, "/v3/kv/put", put_body(key, value, len, lease), ETCD_RESPONSE_MAX);
    c->cb.done = cb;
    c->arg = arg;
    call_start(e, c);
    return 0;
}

int
etcd_delete(struct etcd *e, const char *key, etcd_done_fn *cb, void *arg)
{
    if (!e->base || !*key)
        return GTM_EINVAL;
    struct call *c =
        call_new(e, CALL_DELETE, "/v3/kv/deleterange", delete_body(key), ETCD_RESPONSE_MAX);
    c->cb.done = cb;
    c->arg = arg;
    call_start(e, c);
    return 0;
}

int
etcd_cas(struct etcd *e, const char *key, const void *value, size_t len, int64_t expect_mod,
         etcd_done_fn *cb, void *arg)
{
    if (!e->base || !*key || too_big(key, value ? len : 0) || expect_mod < 0)
        return GTM_EINVAL;
    struct call *c = call_new(e, CALL_CAS, "/v3/kv/txn", cas_body(key, value, len, expect_mod),
                              ETCD_RESPONSE_MAX);
    c->expect_mod = expect_mod;
    c->cb.done = cb;
    c->arg = arg;
    call_start(e, c);
    return 0;
}

int
etcd_lease_grant(struct etcd *e, int64_t ttl_s, etcd_lease_fn *cb, void *arg)
{
    if (!e->base || ttl_s <= 0)
        return GTM_EINVAL;
    json_t *o = json_object();
    json_object_set_new(o, "TTL", json_i64(ttl_s));
    struct call *c = call_new(e, CALL_GRANT, "/v3/lease/grant", dump(o), ETCD_RESPONSE_MAX);
    c->cb.lease = cb;
    c->arg = arg;
    call_start(e, c);
    return 0;
}

int
etcd_lease_keepalive(struct etcd *e, int64_t id, etcd_lease_fn *cb, void *arg)
{
    if (!e->base)
        return GTM_EINVAL;
    json_t *o = json_object();
    json_object_set_new(o, "ID", json_i64(id));
    struct call *c = call_new(e, CALL_KEEPALIVE, "/v3/lease/keepalive", dump(o), ETCD_RESPONSE_MAX);
    c->cb.lease = cb;
    c->arg = arg;
    c->lease_id = id;
    call_start(e, c);
    return 0;
}

int
etcd_watch(struct etcd *e, const char *prefix, int64_t start_rev, etcd_watch_fn *cb,
           etcd_watch_end_fn *end, void *arg)
{
    if (!e->base || start_rev <= 0)
        return GTM_EINVAL;
    etcd_watch_cancel(e);
    json_t *cr = json_object();
    set_prefix(cr, prefix);
    json_object_set_new(cr, "start_revision", json_i64(start_rev));
    json_object_set_new(cr, "prev_kv", json_true());
    json_t *o = json_object();
    json_object_set_new(o, "create_request", cr);
    struct call *w = call_new(e, CALL_WATCH, "/v3/watch", dump(o), ETCD_RESPONSE_MAX);
    w->cb.watch = cb;
    w->end = end;
    w->arg = arg;
    w->seq = ++e->watch_seq;
    e->watch = w;
    call_start(e, w);
    return 0;
}

void
etcd_watch_cancel(struct etcd *e)
{
    if (e && e->watch)
        watch_end(e, 0, NULL, 0, false);
}

const char *
etcd_url(const struct etcd *e)
{
    return e->urls[e->cur];
}

void
etcd_free(struct etcd *e)
{
    if (!e)
        return;
    if (e->freed)
        *e->freed = true; /* the dispatcher below us must stop */
    etcd_watch_cancel(e);
    while (e->calls) {
        struct call *c = e->calls;
        calls_unlink(e, c);
        if (c->in_multi)
            curlev_remove(e->cev, c->easy);
        call_free(c);
    }
    if (e->base)
        event_del(&e->dispatch);
    curlev_free(e->cev);
    if (e->sync_easy)
        curl_easy_cleanup(e->sync_easy);
    for (size_t i = 0; i < e->nurls; i++)
        free(e->urls[i]);
    free(e->urls);
    free(e->cacert);
    free(e->cert);
    free(e->key);
    if (e->auth_body)
        explicit_bzero(e->auth_body, strlen(e->auth_body));
    free(e->auth_body);
    if (e->token)
        explicit_bzero(e->token, strlen(e->token));
    free(e->token);
    free(e);
}
