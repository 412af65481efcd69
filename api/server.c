/* server.c: the API's HTTPS listener (evhttp over OpenSSL bufferevents),
 * bounds, authentication, and dispatch to the handlers. */
#include "config.h"
#include "api/api.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include "api/arm_extra.h"
#include "api/conn.h"
#include "api/http.h"
#include "api/issuer.h"
#include "profiles/store.h"
#include "api/tls.h"
#include "gtm/alloc.h"
#include "gtm/ctx.h"
#include "gtm/err.h"
#include "gtm/log.h"
#include "gtm/profile.h"
#include "conf/conf.h"

#define API_MAX_HEADERS   (16 * 1024)
#define API_MAX_TOKENS    64
#define API_TOKEN_MAX_LEN 512

struct api {
    struct gtm_ctx *ctx;
    struct evhttp *http;
    struct api_conns *conns;
    struct arm_extra *extra; /* the hierarchy's reply, the user metrics keys */
    SSL_CTX *ssl;
    char *tokens[API_MAX_TOKENS];
    unsigned ntokens;
    bool have_token_file;
    struct api_issuer *issuer; /* --api-clients, or NULL */
    bool auth_on;              /* tokens (static or issued) are how clients get in */
};

/* ---- authentication ---- */

static bool
is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr) >> 24) ==
               127;
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
        if (IN6_IS_ADDR_LOOPBACK(a))
            return true;
        return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
    }
    return false;
}

/* Constant-time comparison of a presented token with each known one. */
static bool
token_ok(const struct api *a, const char *presented)
{
    bool ok = false;
    size_t n = strlen(presented);
    for (unsigned i = 0; i < a->ntokens; i++)
        if (strlen(a->tokens[i]) == n && CRYPTO_memcmp(a->tokens[i], presented, n) == 0)
            ok = true;
    return ok;
}

/* Decides what the client may do; replies (401/403) and returns false when
 * it may do nothing. */
static bool
authorize(struct api *a, struct api_req *r)
{
    bool reading = r->method == EVHTTP_REQ_GET || r->method == EVHTTP_REQ_HEAD;
    if (!a->auth_on) {
        /* No tokens: loopback clients may read, nobody may write. */
        if (!r->loopback) {
            api_error(r, 403, "AuthorizationFailed",
                      "Without --api-token-file the API answers loopback clients only.");
            return false;
        }
        if (!reading) {
            api_error(r, 403, "ReadOnlyDisabledSubscription",
                      "The API is read-only: start gtmd with --api-token-file to allow changes.");
            return false;
        }
        return true;
    }
    const char *auth =
        evhttp_find_header(evhttp_request_get_input_headers(r->req), "Authorization");
    bool bearer = auth && strncasecmp(auth, "Bearer ", 7) == 0;
    enum issuer_token_rc issued = ISSUER_TOKEN_BAD;
    if (bearer && a->issuer)
        issued = issuer_verify(a->issuer, auth + 7, time(NULL));
    if (bearer && (token_ok(a, auth + 7) || issued == ISSUER_TOKEN_OK)) {
        r->can_write = true;
        return true;
    }
    /* The status page and metrics stay readable from loopback without a token. */
    if (reading && r->loopback && (r->nseg == 0 || api_seg_is(r, 0, "metrics")))
        return true;
    evhttp_add_header(evhttp_request_get_output_headers(r->req), "WWW-Authenticate",
                      "Bearer realm=\"gtmd\"");
    if (issued == ISSUER_TOKEN_EXPIRED)
        api_error(r, 401, "ExpiredAuthenticationToken",
                  "The access token has expired: get a new one from the token endpoint.");
    else
        api_error(r, 401, auth ? "InvalidAuthenticationToken" : "AuthenticationFailed",
                  auth ? "The access token is invalid."
                       : "Authentication failed: no bearer token.");
    return false;
}

static int
load_tokens(struct api *a, const char *file)
{
    FILE *fp = fopen(file, "r");
    if (!fp) {
        log_err("api: cannot read --api-token-file %s: %s", file, strerror(errno));
        return -1;
    }
    char line[API_TOKEN_MAX_LEN + 2];
    unsigned lineno = 0;
    while (fgets(line, sizeof line, fp)) {
        lineno++;
        size_t n = strcspn(line, "\r\n");
        if (line[n] == 0 && !feof(fp)) {
            log_err("api: %s:%u: token longer than %d bytes", file, lineno, API_TOKEN_MAX_LEN);
            fclose(fp);
            return -1;
        }
        line[n] = 0;
        char *t = line;
        while (isspace((unsigned char)*t))
            t++;
        if (*t == 0 || *t == '#')
            continue;
        if (a->ntokens == API_MAX_TOKENS) {
            log_err("api: %s: more than %d tokens", file, API_MAX_TOKENS);
            fclose(fp);
            return -1;
        }
        a->tokens[a->ntokens++] = xstrdup(t);
    }
    fclose(fp);
    if (a->ntokens == 0) {
        log_err("api: %s holds no token", file);
        return -1;
    }
    return 0;
}

/* ---- dispatch ---- */

/* Splits the path into percent-decoded segments. Returns false when a
 * segment decodes to a control character (%00 among them): no name may
 * hold one, and a NUL would cut it short. */
static bool
split_path(struct api_req *r, const char *path, char *buf, size_t cap)
{
    size_t o = 0;
    r->nseg = 0;
    for (const char *p = path; *p && r->nseg < API_MAX_SEGMENTS;) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        size_t n = strcspn(p, "/");
        if (o + n + 1 > cap)
            break;
        memcpy(buf + o, p, n);
        buf[o + n] = 0;
        size_t dl = 0;
        char *seg = evhttp_uridecode(buf + o, 0, &dl);
        if (!seg)
            return false;
        bool ok = dl <= n;
        for (size_t i = 0; ok && i < dl; i++)
            ok = (unsigned char)seg[i] >= 0x20 && seg[i] != 0x7f;
        if (ok) {
            memcpy(buf + o, seg, dl + 1);
            n = dl;
        }
        free(seg);
        if (!ok)
            return false;
        r->seg[r->nseg++] = buf + o;
        o += n + 1;
        p += strcspn(p, "/");
    }
    return true;
}

static void
handle(struct evhttp_request *req, void *arg)
{
    struct api *a = arg;
    struct api_req r = {.ctx = a->ctx,
                        .req = req,
                        .method = evhttp_request_get_command(req),
                        .extra = a->extra,
                        .issuer = a->issuer};
    char segbuf[2048];
    TAILQ_INIT(&r.query);
    api_conn_request(req);

    struct evhttp_connection *conn = evhttp_request_get_connection(req);
    struct bufferevent *bev = conn ? evhttp_connection_get_bufferevent(conn) : NULL;
    struct sockaddr_storage peer;
    socklen_t plen = sizeof peer;
    r.loopback = bev && getpeername(bufferevent_getfd(bev), (struct sockaddr *)&peer, &plen) == 0 &&
                 is_loopback((struct sockaddr *)&peer);

    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    const char *query = uri ? evhttp_uri_get_query(uri) : NULL;
    /* A target that starts with "//" (az asks "//metadata/endpoints") is
     * parsed by evhttp as an authority and a path: take the path as sent. */
    const char *raw = evhttp_request_get_uri(req);
    char rawpath[sizeof segbuf];
    if (raw && raw[0] == '/' && raw[1] == '/') {
        size_t n = strcspn(raw, "?#");
        if (n >= sizeof rawpath) {
            api_error(&r, 400, "BadRequest", "The request path is too long or missing.");
            return;
        }
        memcpy(rawpath, raw, n);
        rawpath[n] = 0;
        path = rawpath;
        query = raw[n] == '?' ? raw + n + 1 : NULL;
    }
    if (!path || strlen(path) >= sizeof segbuf) {
        api_error(&r, 400, "BadRequest", "The request path is too long or missing.");
        return;
    }
    if (!split_path(&r, path, segbuf, sizeof segbuf)) {
        api_error(&r, 400, "BadRequest",
                  "The request path holds a control character (such as %%00) in a segment.");
        evhttp_clear_headers(&r.query);
        return;
    }
    if (query && (strstr(query, "%00") || evhttp_parse_query_str(query, &r.query) != 0)) {
        api_error(&r, 400, "BadRequest", "The query string cannot be parsed.");
        return;
    }
    /* The login routes come before authentication: they are how a client
     * gets a token. */
    /* (Without tokens the API answers loopback clients only: so do these.) */
    if ((a->auth_on || r.loopback) &&
        (account_meta_route(&r, a->issuer != NULL) || issuer_route(a->issuer, &r))) {
        evhttp_clear_headers(&r.query);
        return;
    }
    if (authorize(a, &r) && !lab_route(&r) && !obs_route(&r) && !account_route(&r) &&
        !arm_route(&r))
        api_error(&r, 404, "NotFound", "No route for %s.", path);
    evhttp_clear_headers(&r.query);
}

static struct bufferevent *
bev_cb(struct event_base *base, void *arg)
{
    struct api *a = arg;
    (void)base;
    return api_conn_new(a->conns, a->ssl);
}

struct api *
api_start(struct gtm_ctx *ctx)
{
    const struct gtm_options *o = ctx->opt;
    struct api *a = xcalloc(1, sizeof *a);
    a->ctx = ctx;
    if (o->api_token_file) {
        a->have_token_file = true;
        if (load_tokens(a, o->api_token_file) != 0)
            goto fail;
    }
    if (o->api_clients) {
        char why[512];
        unsigned line;
        a->issuer = issuer_load(o->api_clients, o->api_token_lifetime, why, sizeof why, &line);
        if (!a->issuer) {
            log_err("api: --api-clients %s:%u: %s", o->api_clients, line, why);
            goto fail;
        }
        log_info("api: token issuer: %u clients from %s, tokens valid %u s",
                 issuer_clients(a->issuer), o->api_clients, o->api_token_lifetime);
    }
    a->auth_on = a->have_token_file || a->issuer;
    a->ssl = api_tls_new(o->tls_cert, o->tls_key, o->state_dir_given ? o->state_dir : NULL);
    if (!a->ssl)
        goto fail;
    if (o->profiles)
        store_sweep(o->profiles);
    a->extra = arm_extra_new(o->state_dir_given ? o->state_dir : NULL);
    a->conns = api_conns_new(ctx->base);
    a->http = a->conns ? evhttp_new(ctx->base) : NULL;
    if (!a->http)
        goto fail;
    evhttp_set_bevcb(a->http, bev_cb, a);
    evhttp_set_gencb(a->http, handle, a);
    evhttp_set_max_body_size(a->http, API_MAX_BODY);
    evhttp_set_max_headers_size(a->http, API_MAX_HEADERS);
    /* evhttp's own timeout is re-armed by every byte: the deadline that
     * bytes do not extend is conn.c's; this one only bounds a stall. */
    evhttp_set_timeout(a->http, API_REQUEST_DEADLINE_S);
    /* A body over the limit is read and dropped before the 413 goes out, so
     * that the client, still sending, reads the status instead of a reset. */
    evhttp_set_flags(a->http, EVHTTP_SERVER_LINGERING_CLOSE);
    evhttp_set_allowed_methods(a->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
                                            EVHTTP_REQ_PATCH | EVHTTP_REQ_DELETE | EVHTTP_REQ_POST);
    char host[INET6_ADDRSTRLEN];
    inet_ntop(o->api.family, o->api.addr, host, sizeof host);
    struct evhttp_bound_socket *bound = evhttp_bind_socket_with_handle(a->http, host, o->api.port);
    if (bound)
        api_conns_set_listener(a->conns, evhttp_bound_socket_get_listener(bound));
    if (!bound) {
        log_err("api: cannot listen on %s port %u: %s", o->api.text, o->api.port, strerror(errno));
        goto fail;
    }
    log_info("api: https://%s%s%s:%u/ (%s)", o->api.family == AF_INET6 ? "[" : "", host,
             o->api.family == AF_INET6 ? "]" : "", o->api.port,
             a->auth_on ? "bearer tokens required for changes"
                        : "read-only, loopback clients only");
    return a;
fail:
    api_free(a);
    return NULL;
}

int
api_check(const struct gtm_options *o, struct config_errors *errs)
{
    if (o->api_off || !o->api_clients)
        return 0;
    char why[512];
    unsigned line;
    struct api_issuer *is =
        issuer_load(o->api_clients, o->api_token_lifetime, why, sizeof why, &line);
    if (!is) {
        config_error(errs, o->api_clients, line, "api-clients: %s", why);
        return -1;
    }
    issuer_free(is);
    return 0;
}

void
api_free(struct api *a)
{
    if (!a)
        return;
    if (a->conns)
        api_conns_set_listener(a->conns, NULL); /* freed with the evhttp, before its connections */
    if (a->http)
        evhttp_free(a->http);
    api_conns_free(a->conns);
    arm_extra_free(a->extra);
    SSL_CTX_free(a->ssl);
    issuer_free(a->issuer);
    for (unsigned i = 0; i < a->ntokens; i++) {
        OPENSSL_cleanse(a->tokens[i], strlen(a->tokens[i]));
        free(a->tokens[i]);
    }
    free(a);
}
