/* conn.c: the API's connections: a deadline for each whole request, a share
 * per client, and eviction of the connection that waited longest when all
 * are taken (see conn.h).
 *
 * evhttp (libevent 2.1) tells nothing between accepting a connection and
 * handing over a complete request, so a connection is known through its
 * TLS object: api_conn_new makes it and hangs the record on it as ex_data,
 * whose free function runs when evhttp frees the connection. A connection
 * is closed from outside evhttp by shutting its socket down: evhttp reads
 * the end of the stream, or fails its next write, and frees it through its
 * own path, whatever state it was in.
 *
 * One reply is evhttp's own: a body over the limit gets its HTML error page
 * (evhttp_send_error), with no hook to write another. That reply is the
 * last on its connection and waits in the output buffer until the socket
 * is writable, on a later turn of the loop; a check that runs on this turn
 * swaps it for Azure's JSON error (too_large_cb). */
#include "config.h"
#include "api/conn.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "api/http.h"
#include "gtm/alloc.h"
#include "gtm/client.h"
#include "gtm/log.h"

struct api_conn {
    TAILQ_ENTRY(api_conn) link; /* the connection that waited longest first */
    struct api_conns *cs;
    struct bufferevent *bev;
    struct event *timer;     /* the deadline */
    struct event *too_large; /* evhttp's 413 is in the output: rewrite it */
    struct client_key key;
    bool admitted;
    bool closing;
};

struct api_conns {
    struct event_base *base;
    struct evconnlistener *listener;
    struct event *admit_ev; /* admits the new connections, in order, on the next turn */
    TAILQ_HEAD(, api_conn) list;
    unsigned open;     /* every connection, those being closed included */
    unsigned admitted; /* admitted and not being closed */
    bool paused;
};

static int conn_index = -1;

static const struct timeval deadline = {API_REQUEST_DEADLINE_S, 0};

/* Shuts the socket down; evhttp frees the connection when it sees it. */
static void
conn_close(struct api_conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    if (c->admitted)
        c->cs->admitted--;
    evtimer_del(c->timer);
    evutil_socket_t fd = bufferevent_getfd(c->bev);
    if (fd >= 0)
        shutdown(fd, SHUT_RDWR);
}

static void
admit(struct api_conn *c)
{
    struct api_conns *cs = c->cs;
    evutil_socket_t fd = bufferevent_getfd(c->bev);
    struct sockaddr_storage peer;
    socklen_t plen = sizeof peer;
    if (fd < 0 || getpeername(fd, (struct sockaddr *)&peer, &plen) != 0) {
        conn_close(c);
        return;
    }
    /* Replies go out as they are written: never held back for Nagle until
     * the client's delayed ACK (a 40 ms stall per request). */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    client_key_of(&c->key, (const struct sockaddr *)&peer);

    unsigned same = 0;
    struct api_conn *o;
    TAILQ_FOREACH (o, &cs->list, link)
        if (o->admitted && !o->closing && client_key_eq(&o->key, &c->key))
            same++;
    if (same >= API_CLIENT_SHARE) {
        char who[CLIENT_KEY_TEXT];
        log_rl_warn("api: %s already has %u connections open (its share); refusing another",
                    client_key_text(&c->key, who, sizeof who), same);
        conn_close(c);
        return;
    }
    if (cs->admitted >= API_MAX_CONNS) {
        TAILQ_FOREACH (o, &cs->list, link)
            if (o->admitted && !o->closing)
                break;
        if (o) {
            char who[CLIENT_KEY_TEXT];
            log_rl_warn("api: %d connections open; closing the one from %s that waited longest",
                        API_MAX_CONNS, client_key_text(&o->key, who, sizeof who));
            conn_close(o);
        }
    }
    c->admitted = true;
    cs->admitted++;
    evtimer_add(c->timer, &deadline);
}

/* The new connections, in the order they were accepted (at most
 * 2 * API_MAX_CONNS in the list: a scan costs nothing worth a second list). */
static void
admit_cb(evutil_socket_t fd, short what, void *arg)
{
    struct api_conns *cs = arg;
    (void)fd;
    (void)what;
    struct api_conn *c;
    TAILQ_FOREACH (c, &cs->list, link)
        if (!c->admitted && !c->closing)
            admit(c);
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct api_conn *c = arg;
    (void)fd;
    (void)what;
    log_debug("api: a request took longer than %d s; closing its connection",
              API_REQUEST_DEADLINE_S);
    conn_close(c);
}

/* ---- evhttp's 413 in Azure's shape ---- */

/* How evhttp_send_error (libevent 2.1) starts its status line and body. */
#define EVHTTP_413_STATUS "HTTP/1.1 413 "
#define EVHTTP_ERROR_PAGE "\r\n\r\n<HTML><HEAD>\n<TITLE>413 "
#define EVHTTP_ERROR_MAX  4096 /* its page and headers are some 300 bytes */

/* A reply starts in an empty output buffer with its whole status line: one
 * that says 413 is evhttp's (gtmd's own handlers never send 413). */
static void
output_cb(struct evbuffer *out, const struct evbuffer_cb_info *info, void *arg)
{
    struct api_conn *c = arg;
    char head[sizeof EVHTTP_413_STATUS - 1];
    if (info->orig_size == 0 && info->n_added >= sizeof head &&
        evbuffer_copyout(out, head, sizeof head) == (ev_ssize_t)sizeof head &&
        memcmp(head, EVHTTP_413_STATUS, sizeof head) == 0 && c->too_large)
        event_active(c->too_large, 0, 0);
}

/* This turn of the loop, after evhttp has written its page: when the
 * output still holds just that page, it becomes Azure's error, with the
 * same status, and still closes the connection. */
static void
too_large_cb(evutil_socket_t fd, short what, void *arg)
{
    struct api_conn *c = arg;
    (void)fd;
    (void)what;
    struct evbuffer *out = bufferevent_get_output(c->bev);
    size_t len = evbuffer_get_length(out);
    if (len > EVHTTP_ERROR_MAX)
        return;
    struct evbuffer_ptr at =
        evbuffer_search(out, EVHTTP_ERROR_PAGE, strlen(EVHTTP_ERROR_PAGE), NULL);
    if (at.pos < 0)
        return;
    char body[160];
    int blen = snprintf(body, sizeof body,
                        "{\"error\":{\"code\":\"RequestBodyTooLarge\",\"message\":\"The request "
                        "body is larger than %d bytes.\"}}",
                        API_MAX_BODY);
    evbuffer_drain(out, len);
    evbuffer_add_printf(out,
                        "HTTP/1.1 413 Payload Too Large\r\n"
                        "Content-Type: application/json; charset=utf-8\r\n"
                        "Cache-Control: no-store\r\n"
                        "X-Content-Type-Options: nosniff\r\n"
                        "Connection: close\r\n"
                        "Content-Length: %d\r\n\r\n%s",
                        blen, body);
}

/* The connection's TLS object is being freed: so is the connection. */
static void
conn_freed(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
    struct api_conn *c = ptr;
    (void)parent;
    (void)ad;
    (void)idx;
    (void)argl;
    (void)argp;
    if (!c)
        return;
    /* The bufferevent outlives its TLS object by a few lines: nothing in
     * them touches the output, but its callback must not name c. */
    evbuffer_remove_cb(bufferevent_get_output(c->bev), output_cb, c);
    struct api_conns *cs = c->cs;
    if (!cs) { /* the table went first (api_conns_free) */
        free(c);
        return;
    }
    if (c->admitted && !c->closing)
        cs->admitted--;
    TAILQ_REMOVE(&cs->list, c, link);
    event_free(c->timer);
    event_free(c->too_large);
    free(c);
    if (cs->open-- == 2 * API_MAX_CONNS && cs->paused && cs->listener) {
        evconnlistener_enable(cs->listener);
        cs->paused = false;
    }
}

struct api_conns *
api_conns_new(struct event_base *base)
{
    if (conn_index < 0)
        conn_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, conn_freed);
    if (conn_index < 0)
        return NULL;
    struct api_conns *cs = xcalloc(1, sizeof *cs);
    cs->base = base;
    cs->admit_ev = event_new(base, -1, 0, admit_cb, cs);
    if (!cs->admit_ev) {
        free(cs);
        return NULL;
    }
    TAILQ_INIT(&cs->list);
    return cs;
}

void
api_conns_set_listener(struct api_conns *cs, struct evconnlistener *listener)
{
    cs->listener = listener;
}

void
api_conns_free(struct api_conns *cs)
{
    if (!cs)
        return;
    /* evhttp_free may leave a connection's bufferevent, and so its TLS
     * object, to be freed later by the event base: its record then outlives
     * the table and frees only itself. */
    struct api_conn *c;
    while ((c = TAILQ_FIRST(&cs->list))) {
        TAILQ_REMOVE(&cs->list, c, link);
        event_free(c->timer);
        c->timer = NULL;
        event_free(c->too_large);
        c->too_large = NULL;
        c->cs = NULL;
    }
    event_free(cs->admit_ev);
    free(cs);
}

struct bufferevent *
api_conn_new(struct api_conns *cs, SSL_CTX *ssl_ctx)
{
    /* Never NULL: evhttp would then make a plain-text connection of its
     * own. Each of these fails only when memory is out, as xmalloc does. */
    SSL *ssl = SSL_new(ssl_ctx);
    struct api_conn *c = xcalloc(1, sizeof *c);
    c->cs = cs;
    c->timer = evtimer_new(cs->base, timer_cb, c);
    c->too_large = event_new(cs->base, -1, 0, too_large_cb, c);
    c->bev = ssl ? bufferevent_openssl_socket_new(cs->base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                                  BEV_OPT_CLOSE_ON_FREE)
                 : NULL;
    if (!c->timer || !c->too_large || !c->bev ||
        !evbuffer_add_cb(bufferevent_get_output(c->bev), output_cb, c)) {
        log_err("api: out of memory for a new connection");
        abort();
    }
    SSL_set_ex_data(ssl, conn_index, c);
    TAILQ_INSERT_TAIL(&cs->list, c, link);
    /* Connections being closed hold their socket until evhttp has seen it
     * shut: the listener pauses when there are as many again. */
    if (++cs->open == 2 * API_MAX_CONNS && cs->listener) {
        log_rl_warn("api: %u connections open; not accepting more until some close", cs->open);
        evconnlistener_disable(cs->listener);
        cs->paused = true;
    }
    event_active(cs->admit_ev, 0, 0);
    return c->bev;
}

static struct api_conn *
conn_of(struct evhttp_request *req)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
    SSL *ssl = bev ? bufferevent_openssl_get_ssl(bev) : NULL;
    return ssl ? SSL_get_ex_data(ssl, conn_index) : NULL;
}

/* The reply is out: the connection starts waiting for its next request. */
static void
reply_sent(struct evhttp_request *req, void *arg)
{
    struct api_conn *c = arg;
    (void)req;
    if (c->closing)
        return;
    TAILQ_REMOVE(&c->cs->list, c, link);
    TAILQ_INSERT_TAIL(&c->cs->list, c, link);
    evtimer_add(c->timer, &deadline);
}

void
api_conn_request(struct evhttp_request *req)
{
    struct api_conn *c = conn_of(req);
    if (c)
        evhttp_request_set_on_complete_cb(req, reply_sent, c);
}
