/* conn.h: the API's connections and who may hold them. Every connection
 * has a deadline for its whole request, from the moment it starts waiting
 * for it (accept, or the end of the previous reply) to the end of the
 * reply: bytes do not extend it. A client (one IPv4 address, or one IPv6
 * /64) holds at most its share of the connections; when all are taken, the
 * connection that has waited longest for its request is closed to admit
 * the newcomer (as RFC 7766 §6.2.3 asks of DNS servers). Private to api/.
 * Loop thread only. */
#ifndef GTM_API_CONN_H
#define GTM_API_CONN_H

#include <stdbool.h>

#include <openssl/ssl.h>

#include "gtm/client.h"

struct bufferevent;
struct event_base;
struct evconnlistener;
struct evhttp_request;
struct api_conns;

#define API_MAX_CONNS          128 /* connections admitted at once */
#define API_CLIENT_SHARE       16  /* of them, from one client */
#define API_REQUEST_DEADLINE_S 10

/* api_conns_new: the connection table; listener is paused while the table
 * also holds as many connections that are being closed. */
struct api_conns *api_conns_new(struct event_base *base);
void api_conns_set_listener(struct api_conns *cs, struct evconnlistener *listener);
/* api_conns_free: the table, after evhttp_free; a connection whose TLS
 * object is freed later still frees its own record. NULL is a no-op. */
void api_conns_free(struct api_conns *cs);

/* api_conn_new: a TLS bufferevent for a connection just accepted, or NULL
 * (the caller then refuses it). Its admission runs on the next loop turn,
 * once evhttp has given it its socket. */
struct bufferevent *api_conn_new(struct api_conns *cs, SSL_CTX *ssl_ctx);

/* api_conn_request: a request of this connection is complete; its deadline
 * restarts when the reply has been sent. */
void api_conn_request(struct evhttp_request *req);

#endif
