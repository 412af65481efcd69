/* worker.h: the answering threads: their sockets, buffers and seats.
 * Private to dns/. Everything here is touched by its own thread only, but
 * for a seat's `seen` and `rcodes`, which the control loop reads. */
#ifndef GTM_DNS_WORKER_H
#define GTM_DNS_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "dns/cookie.h"
#include "dns/dnstap.h"
#include "dns/handle.h"
#include "dns/share.h"
#include "dns/query.h"
#include "gtm/compiler.h"
#include "dns/rrl.h"
#include "gtm/ctx.h"
#include "gtm/snapshot.h"
#include "gtm/stats.h"

#define UDP_BATCH  32
#define UDP_IN_MAX 4096

/* seat: what every answering thread has of its own: the epoch it runs
 * under (`seen`, read by the control loop to know when to free snapshots),
 * its PRNG, its row of the snapshot's counters, its rcode counters, its
 * cookie state (MAC context, secrets, counts) and its dnstap queue. */
struct seat {
    struct gtm_ctx *ctx;
    unsigned row;
    _Atomic uint64_t seen; /* epoch at the start of the current batch, 0 when idle */
    uint64_t rng;
    _Atomic uint64_t rcodes[QR_RCODES]; /* queries by response code (read by the loop) */
    const struct xfr_conf *xfr;         /* zone transfers allowed to some, or NULL */
    struct dns_cookie cookie;
    struct dnstap_tap tap; /* --dnstap: tap.d is NULL when it is off */
};

/* udp_thread: one thread per UDP socket, blocked in recvmmsg: a wake-up
 * costs the kernel's work and nothing else (no event loop in between). */
struct udp_thread {
    struct seat seat;
    pthread_t thread;
    int fd;
    int started;
    _Atomic int stop;
    struct sockaddr_storage local; /* the socket's address, for dnstap */
    struct dns_rrl *rrl;           /* response rate limiting (--rrl), NULL: off */
    /* Batch buffers, pointed at by the headers once (udp_init). */
    struct mmsghdr in_msgs[UDP_BATCH], out_msgs[UDP_BATCH];
    struct iovec in_iov[UDP_BATCH], out_iov[UDP_BATCH];
    struct sockaddr_storage addrs[UDP_BATCH];
    uint8_t in_buf[UDP_BATCH][UDP_IN_MAX];
    uint8_t out_buf[UDP_BATCH][DNS_EDNS_UDP_MAX];
};

struct tcp_listener {
    struct event ev;
    int fd;
    struct sockaddr_storage local; /* the socket's address, for dnstap */
    struct worker *w;
};

/* worker: one event-loop thread for the TCP sockets of a worker, plus its
 * UDP threads (one per listen address). */
struct worker {
    unsigned id;
    struct seat seat;
    pthread_t thread;
    int started;
    struct event_base *base;
    int stop_fd; /* eventfd: the control loop asks us to stop */
    struct event stop_ev;
    struct udp_thread **udp;
    struct tcp_listener *tcp;
    unsigned nsocks;
    unsigned tcp_conns;
    /* Every connection, by when it started waiting for its current message
     * (accept, or its last answer sent): the head has waited longest, and
     * its deadline is the nearest. */
    TAILQ_HEAD(tcp_lru, tcp_conn) conns;
    struct timeval tcp_timeout;
    const struct timeval *tcp_deadline; /* tcp_timeout as a common timeout */
    struct tcp_shares shares;           /* connections per client */
    unsigned share_max; /* connections one client may hold: max(1, tcp-clients / 8) */
    /* One TCP response at a time: 2 bytes of length, then the message. */
    uint8_t tcp_out[2 + DNS_TCP_MAX];
};

/* seat_enter: start of a batch: announce the epoch, then take the view. */
static inline void
seat_enter(struct seat *s, struct dns_view *view)
{
    atomic_store(&s->seen, atomic_load(&s->ctx->epoch));
    const struct gtm_snapshot *snap = atomic_load(&s->ctx->snap);
    dns_view_init(view, snap, &s->rng, snapshot_stats_row(snap, s->row), s->rcodes);
    view->xfr = s->xfr;
    view->cookie = s->cookie.mac ? &s->cookie : NULL;
}

/* seat_tap: logs a query and its response (rlen 0: none) when --dnstap is
 * on; with it off, one branch. */
static inline void
seat_tap(struct seat *s, enum dns_proto proto, const struct sockaddr *client,
         const struct sockaddr *local, const struct timespec *qtime, const uint8_t *q, size_t qlen,
         const uint8_t *r, size_t rlen)
{
    if (unlikely(s->tap.d != NULL))
        dnstap_log(&s->tap, proto, client, local, qtime, q, qlen, r, rlen);
}

/* seat_leave: end of a batch: no snapshot is held any more. */
static inline void
seat_leave(struct seat *s)
{
    atomic_store_explicit(&s->seen, 0, memory_order_release);
}

/* udp_main: the body of a UDP thread: answers until u->stop is set and the
 * socket is shut down. */
void *udp_main(void *arg);
/* udp_init: points the batch headers at the thread's buffers, once. */
void udp_init(struct udp_thread *u);
/* tcp_init: the worker's TCP state (connection list, deadline, client
 * shares), once its event base exists; tcp_free releases it. */
void tcp_init(struct worker *w, const struct gtm_options *opt);
void tcp_free(struct worker *w);
void tcp_accept_cb(evutil_socket_t fd, short what, void *arg);
/* tcp_close_all: closes every connection of the worker (at shutdown). */
void tcp_close_all(struct worker *w);

#endif
