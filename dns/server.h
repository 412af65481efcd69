/* server.h: sockets and worker threads that answer DNS over UDP and TCP. */
#ifndef GTM_DNS_SERVER_H
#define GTM_DNS_SERVER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "dns/rrl.h"
#include "gtm/ctx.h"
#include "gtm/stats.h"

struct gtm_options;

/* Bound sockets of one worker (one UDP and one TCP per listen address). */
struct worker_socks {
    int *udp, *tcp;
    unsigned n;
};

/* server_bind: opens and binds, for each of workers, a SO_REUSEPORT UDP and
 * TCP socket on every listen address. Fails with a logged one-line reason
 * (e.g. the port is in use). Returns 0 or a negative GTM_E*. */
int server_bind(struct gtm_ctx *ctx, struct worker_socks **out);

/* server_start: starts each worker's threads on its sockets (takes them):
 * one event loop for TCP, one blocking thread per UDP socket. */
int server_start(struct gtm_ctx *ctx, struct worker_socks *socks);

/* server_stop: asks every thread to finish, joins and frees them. */
void server_stop(struct gtm_ctx *ctx);

/* server_threads: how many threads answer queries (each has its own row of
 * a snapshot's counters): per worker, one for TCP and one per UDP socket. */
unsigned server_threads(const struct gtm_options *o);

/* server_quiescent: true when no answering thread can hold a snapshot
 * published before epoch. */
int server_quiescent(const struct gtm_ctx *ctx, uint64_t epoch);

/* server_rcodes: responses sent with code rc, over every answering thread. */
uint64_t server_rcodes(const struct gtm_ctx *ctx, enum q_rcode rc);

/* server_cookies: requests with a COOKIE option, by what it held (0: a
 * client cookie alone, 1: a valid server cookie, 2: an invalid one; enum
 * dns_cookie_seen), over every answering thread. */
uint64_t server_cookies(const struct gtm_ctx *ctx, unsigned seen);

/* server_dnstap: with --dnstap, true and the dnstap messages queued for the
 * writer and those dropped (a thread's queue was full), over every
 * answering thread; false without it. */
bool server_dnstap(const struct gtm_ctx *ctx, uint64_t *sent, uint64_t *dropped);
/* server_rrl: responses the rate limit dropped, sent truncated, and
 * client networks (per class and name) that started being limited, by
 * enum dns_rrl_count, over every UDP thread; 0 with --rrl 0. */
uint64_t server_rrl(const struct gtm_ctx *ctx, enum dns_rrl_count which);

#endif
