/* worker.h: one answering thread: its event base, sockets and buffers.
 * Private to dns/. Everything here is touched by its own thread only, but
 * for `seen`, which the control loop reads to know when to free snapshots. */
#ifndef GTM_DNS_WORKER_H
#define GTM_DNS_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "dns/handle.h"
#include "dns/query.h"
#include "gtm/ctx.h"
#include "gtm/snapshot.h"
#include "gtm/stats.h"

#define UDP_BATCH  32
#define UDP_IN_MAX 4096

struct udp_sock {
    struct event ev;
    int fd;
    struct worker *w;
};

struct tcp_listener {
    struct event ev;
    int fd;
    struct worker *w;
};

struct worker {
    unsigned id;
    pthread_t thread;
    struct gtm_ctx *ctx;
    struct event_base *base;
    _Atomic uint64_t seen; /* epoch at the start of the current callback, 0 when idle */
    uint64_t rng;          /* this worker's PRNG state */
    _Atomic uint64_t rcodes[QR_RCODES]; /* queries by response code (read by the loop) */
    int stop_fd;                        /* eventfd: the control loop asks us to stop */
    struct event stop_ev;
    struct udp_sock *udp;
    struct tcp_listener *tcp;
    unsigned nsocks;
    unsigned tcp_conns;
    LIST_HEAD(, tcp_conn) conns;
    struct timeval tcp_idle;
    /* UDP batch buffers, sized once. */
    struct mmsghdr in_msgs[UDP_BATCH], out_msgs[UDP_BATCH];
    struct iovec in_iov[UDP_BATCH], out_iov[UDP_BATCH];
    struct sockaddr_storage addrs[UDP_BATCH];
    uint8_t in_buf[UDP_BATCH][UDP_IN_MAX];
    uint8_t out_buf[UDP_BATCH][DNS_EDNS_UDP_MAX];
    /* One TCP response at a time: 2 bytes of length, then the message. */
    uint8_t tcp_out[2 + DNS_TCP_MAX];
};

/* worker_enter: start of a callback: announce the epoch, then take the view. */
static inline struct dns_view
worker_enter(struct worker *w)
{
    atomic_store(&w->seen, atomic_load(&w->ctx->epoch));
    const struct gtm_snapshot *snap = atomic_load(&w->ctx->snap);
    return (struct dns_view){snap, &w->rng, NULL, snapshot_stats_row(snap, w->id), w->rcodes};
}

/* worker_leave: end of a callback: no snapshot is held any more. */
static inline void
worker_leave(struct worker *w)
{
    atomic_store_explicit(&w->seen, 0, memory_order_release);
}

void udp_read_cb(evutil_socket_t fd, short what, void *arg);
/* udp_init: points the batch headers at the worker's buffers, once. */
void udp_init(struct worker *w);
void tcp_accept_cb(evutil_socket_t fd, short what, void *arg);
/* tcp_close_all: closes every connection of the worker (at shutdown). */
void tcp_close_all(struct worker *w);

#endif
