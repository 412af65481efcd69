/* server.h: sockets and worker threads that answer DNS over UDP and TCP. */
#ifndef GTM_DNS_SERVER_H
#define GTM_DNS_SERVER_H

#include <stdatomic.h>
#include <stdint.h>

#include "gtm/ctx.h"

/* Bound sockets of one worker (one UDP and one TCP per listen address). */
struct worker_socks {
    int *udp, *tcp;
    unsigned n;
};

/* server_bind: opens and binds, for each of workers, a SO_REUSEPORT UDP and
 * TCP socket on every listen address. Fails with a logged one-line reason
 * (e.g. the port is in use). Returns 0 or a negative GTM_E*. */
int server_bind(struct gtm_ctx *ctx, struct worker_socks **out);

/* server_start: starts one thread per worker on its sockets (takes them). */
int server_start(struct gtm_ctx *ctx, struct worker_socks *socks);

/* server_stop: asks every worker to finish, joins and frees them. */
void server_stop(struct gtm_ctx *ctx);

/* worker_quiescent: true when worker i cannot hold a snapshot older than epoch. */
int worker_quiescent(const struct worker *w, uint64_t epoch);

#endif
