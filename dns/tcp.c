/* tcp.c: DNS over TCP (RFC 7766): 2-byte framing, pipelined queries answered
 * in order, an idle timeout, and no client able to hold up another: every
 * socket is non-blocking and a client that does not read its answers stops
 * being read until it does (or times out). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dns/worker.h"
#include "gtm/alloc.h"
#include "gtm/log.h"
#include "zones/conf.h"

/* Queries are small; a frame larger than this is not a query we answer. */
#define TCP_IN_MAX 4096

struct tcp_conn {
    LIST_ENTRY(tcp_conn) link;
    struct event ev; /* EV_READ or EV_WRITE, with the idle timeout */
    int fd;
    struct worker *w;
    struct sockaddr_storage peer;
    size_t in_len;
    size_t skip;      /* bytes still to drop of a query too large to read */
    uint8_t *pending; /* unsent tail of an answer, when the client reads slowly */
    size_t pending_len, pending_off;
    uint8_t in[2 + TCP_IN_MAX];
};

static void conn_cb(evutil_socket_t fd, short what, void *arg);

static void
conn_close(struct tcp_conn *c)
{
    event_del(&c->ev);
    close(c->fd);
    LIST_REMOVE(c, link);
    c->w->tcp_conns--;
    free(c->pending);
    free(c);
}

static void
conn_wait(struct tcp_conn *c, short what)
{
    event_del(&c->ev);
    event_assign(&c->ev, c->w->base, c->fd, what | EV_PERSIST, conn_cb, c);
    event_add(&c->ev, &c->w->tcp_idle);
}

/* Sends what is pending; returns 1 when all is out, 0 to wait, -1 on error. */
static int
flush_pending(struct tcp_conn *c)
{
    while (c->pending_off < c->pending_len) {
        ssize_t n = send(c->fd, c->pending + c->pending_off, c->pending_len - c->pending_off,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
        }
        c->pending_off += (size_t)n;
    }
    c->pending_len = c->pending_off = 0;
    return 1;
}

/* Sends one framed answer; keeps what the socket would not take. */
static int
send_answer(struct tcp_conn *c, const uint8_t *msg, size_t len)
{
    size_t off = 0;
    while (off < len) {
        ssize_t n = send(c->fd, msg + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                return -1;
            break;
        }
        off += (size_t)n;
    }
    if (off == len)
        return 1;
    if (!c->pending)
        c->pending = xmalloc(2 + DNS_TCP_MAX);
    memcpy(c->pending, msg + off, len - off);
    c->pending_len = len - off;
    c->pending_off = 0;
    return 0;
}

/* Answers every complete frame in the buffer, in order. Returns -1 to close,
 * 0 when an answer is waiting for the client to read, 1 otherwise. */
static int
process(struct tcp_conn *c, struct dns_view *view)
{
    struct worker *w = c->w;
    size_t off = 0;
    int rc = 1;
    while (c->in_len > off) {
        if (c->skip) {
            size_t n = c->in_len - off < c->skip ? c->in_len - off : c->skip;
            off += n;
            c->skip -= n;
            continue;
        }
        if (c->in_len - off < 2)
            break;
        size_t flen = (size_t)(c->in[off] << 8 | c->in[off + 1]);
        size_t len;
        if (flen > TCP_IN_MAX) {
            /* Larger than any query we answer (a query is a question and an
             * OPT): FORMERR from its header, and the rest is read and
             * dropped, so that the connection and the queries behind it
             * carry on (RFC 7766 6.2.3: the client may pipeline). */
            if (c->in_len - off - 2 < DNS_HEADER_LEN)
                break;
            log_rl_warn("dns: tcp query of %zu bytes is over the %d-byte limit: FORMERR", flen,
                        TCP_IN_MAX);
            len = dns_handle(view, c->in + off + 2, DNS_HEADER_LEN, DNS_PROTO_TCP, w->tcp_out + 2,
                             DNS_TCP_MAX);
            off += 2;
            c->skip = flen;
        } else {
            if (c->in_len - off - 2 < flen)
                break;
            len =
                dns_handle(view, c->in + off + 2, flen, DNS_PROTO_TCP, w->tcp_out + 2, DNS_TCP_MAX);
            off += 2 + flen;
        }
        if (len) {
            w->tcp_out[0] = (uint8_t)(len >> 8);
            w->tcp_out[1] = (uint8_t)len;
            rc = send_answer(c, w->tcp_out, len + 2);
            if (rc <= 0)
                break;
        }
    }
    if (off) {
        memmove(c->in, c->in + off, c->in_len - off);
        c->in_len -= off;
    }
    return rc;
}

static void
conn_cb(evutil_socket_t fd, short what, void *arg)
{
    struct tcp_conn *c = arg;
    if (what & EV_TIMEOUT) {
        conn_close(c); /* idle, half-open, or not reading its answers */
        return;
    }
    struct dns_view view;
    seat_enter(&c->w->seat, &view);
    view.client = (const struct sockaddr *)&c->peer;
    int rc = 1;
    if (what & EV_WRITE) {
        rc = flush_pending(c);
        if (rc == 1)
            rc = process(c, &view); /* frames that arrived while we waited */
        if (rc == 1)
            conn_wait(c, EV_READ);
    } else {
        ssize_t n = recv(fd, c->in + c->in_len, sizeof c->in - c->in_len, MSG_DONTWAIT);
        if (n == 0)
            rc = -1;
        else if (n < 0)
            rc = errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 1 : -1;
        else {
            c->in_len += (size_t)n;
            rc = process(c, &view);
            if (rc == 0)
                conn_wait(c, EV_WRITE);
        }
    }
    seat_leave(&c->w->seat);
    if (rc < 0)
        conn_close(c);
}

void
tcp_accept_cb(evutil_socket_t fd, short what, void *arg)
{
    struct tcp_listener *l = arg;
    struct worker *w = l->w;
    (void)what;
    for (int i = 0; i < 64; i++) {
        struct sockaddr_storage peer;
        socklen_t plen = sizeof peer;
        int cfd = accept4(fd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
                log_rl_warn("dns: tcp accept failed: %s", strerror(errno));
            return;
        }
        if (w->tcp_conns >= w->seat.ctx->opt->tcp_clients) {
            log_rl_warn("dns: worker %u has %u TCP connections (tcp-clients); refusing more", w->id,
                        w->tcp_conns);
            close(cfd);
            continue;
        }
        /* Answers go out whole, one send each: never hold one back for Nagle
         * (a pipelining client would wait for its delayed ACK). */
        int one = 1;
        setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct tcp_conn *c = xmalloc(sizeof *c);
        c->fd = cfd;
        c->w = w;
        c->peer = peer;
        c->in_len = 0;
        c->skip = 0;
        c->pending = NULL;
        c->pending_len = c->pending_off = 0;
        w->tcp_conns++;
        LIST_INSERT_HEAD(&w->conns, c, link);
        event_assign(&c->ev, w->base, cfd, EV_READ | EV_PERSIST, conn_cb, c);
        event_add(&c->ev, &w->tcp_idle);
    }
}

void
tcp_close_all(struct worker *w)
{
    while (!LIST_EMPTY(&w->conns))
        conn_close(LIST_FIRST(&w->conns));
}
