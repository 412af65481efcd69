/* tcp.c: DNS over TCP (RFC 7766): 2-byte framing, pipelined queries answered
 * in order, and no client able to hold up another:
 * - every socket is non-blocking, and a client that does not read its
 *   answers stops being read until it does;
 * - a connection has --tcp-timeout seconds for each message, from when it
 *   starts waiting for it (accept, or its last answer sent) until the
 *   message is in and answered: bytes trickling in or out do not extend it;
 * - one client (an IPv4 address, an IPv6 /64) holds at most a share of a
 *   worker's --tcp-clients, and a full worker closes the connection that has
 *   waited longest for its message to admit a new one (RFC 7766 6.2.3);
 * - a message we do not answer (dns_handle drops it) closes the connection.
 * Accepting, answering and timing out are O(1) per connection. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dns/worker.h"
#include "dns/xfr.h"
#include "gtm/alloc.h"
#include "gtm/log.h"
#include "conf/conf.h"

/* Queries are small; a frame larger than this is not a query we answer. */
#define TCP_IN_MAX 4096

struct tcp_conn {
    TAILQ_ENTRY(tcp_conn) lru; /* in w->conns, by when it started waiting */
    struct event ev;           /* EV_READ or EV_WRITE, persistent, no timeout */
    struct event deadline;     /* --tcp-timeout for the message it waits for */
    int fd;
    struct worker *w;
    struct client_key client;
    struct sockaddr_storage peer;
    const struct sockaddr_storage *local; /* the listening socket's address (dnstap) */
    size_t in_len;
    size_t skip;      /* bytes still to drop of a query too large to read */
    uint8_t *pending; /* unsent tail of an answer, when the client reads slowly */
    size_t pending_len, pending_off;
    bool pending_xfr; /* pending is a zone transfer's buffer: freed once sent */
    uint8_t in[2 + TCP_IN_MAX];
};

void
tcp_init(struct worker *w, const struct gtm_options *opt)
{
    TAILQ_INIT(&w->conns);
    w->tcp_timeout = (struct timeval){(time_t)opt->tcp_timeout, 0};
    /* Every deadline has the same length: libevent keeps them in a queue
     * (O(1) to arm) instead of its heap. */
    w->tcp_deadline = event_base_init_common_timeout(w->base, &w->tcp_timeout);
    if (!w->tcp_deadline)
        w->tcp_deadline = &w->tcp_timeout;
    w->share_max = client_share(opt->tcp_clients);
    tcp_shares_init(&w->shares, opt->tcp_clients,
                    w->seat.rng * 0x9e3779b97f4a7c15ULL ^ 0x5851f42d4c957f2dULL);
}

void
tcp_free(struct worker *w)
{
    tcp_shares_free(&w->shares);
}

static void conn_cb(evutil_socket_t fd, short what, void *arg);

static void
conn_close(struct tcp_conn *c)
{
    struct worker *w = c->w;
    event_del(&c->ev);
    event_del(&c->deadline);
    close(c->fd);
    TAILQ_REMOVE(&w->conns, c, lru);
    tcp_shares_del(&w->shares, &c->client);
    w->tcp_conns--;
    free(c->pending);
    free(c);
}

static void
conn_wait(struct tcp_conn *c, short what)
{
    event_del(&c->ev);
    event_assign(&c->ev, c->w->base, c->fd, what | EV_PERSIST, conn_cb, c);
    event_add(&c->ev, NULL);
}

/* The connection starts waiting for its next message: a new deadline, and
 * the tail of the list. */
static void
conn_restart(struct tcp_conn *c)
{
    struct worker *w = c->w;
    TAILQ_REMOVE(&w->conns, c, lru);
    TAILQ_INSERT_TAIL(&w->conns, c, lru);
    event_add(&c->deadline, w->tcp_deadline);
}

static void
deadline_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    conn_close(arg); /* idle, trickling, half-open, or not reading its answers */
}

/* Closes after a message we do not answer. What the client sent after it is
 * read and dropped first (a little of it), so that the close sends FIN after
 * the answers already written rather than a reset that could discard them. */
static void
conn_close_dropped(struct tcp_conn *c)
{
    for (int i = 0; i < 4; i++)
        if (recv(c->fd, c->in, sizeof c->in, MSG_DONTWAIT) <= 0)
            break;
    conn_close(c);
}

/* Sends what is pending; returns 1 when all is out, 0 to wait, -1 on error.
 * A zone transfer's deadline starts again with every write that moves it
 * on: it takes as long as the client reads at some pace. */
static int
flush_pending(struct tcp_conn *c)
{
    if (c->pending_xfr && c->pending_off < c->pending_len)
        event_add(&c->deadline, c->w->tcp_deadline);
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
    if (c->pending_xfr) {
        free(c->pending);
        c->pending = NULL;
        c->pending_xfr = false;
    }
    return 1;
}

/* Sends a zone transfer (framed messages in buf, which it takes): as much
 * as the socket takes now, the rest as the client reads (EV_WRITE), so
 * that the worker's other connections are served in between. */
static int
send_stream(struct tcp_conn *c, uint8_t *buf, size_t len)
{
    free(c->pending); /* nothing is pending: process() stops at the first wait */
    c->pending = buf;
    c->pending_len = len;
    c->pending_off = 0;
    c->pending_xfr = true;
    return flush_pending(c);
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
 * -2 to close after a message we do not answer, 0 when an answer is waiting
 * for the client to read, 1 otherwise. */
static int
process(struct tcp_conn *c, struct dns_view *view, const struct timespec *qtime)
{
    struct worker *w = c->w;
    size_t off = 0;
    int rc = 1, answered = 0;
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
        const uint8_t *query = c->in + off + 2; /* for dnstap */
        size_t qlen = flen;
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
            qlen = DNS_HEADER_LEN;
        } else {
            if (c->in_len - off - 2 < flen)
                break;
            len =
                dns_handle(view, c->in + off + 2, flen, DNS_PROTO_TCP, w->tcp_out + 2, DNS_TCP_MAX);
            off += 2 + flen;
        }
        seat_tap(&w->seat, DNS_PROTO_TCP, view->client, (const struct sockaddr *)c->local, qtime,
                 query, qlen, w->tcp_out + 2, view->stream->buf ? 0 : len);
        if (view->stream->buf) {
            uint8_t *buf = view->stream->buf;
            size_t slen = view->stream->len;
            view->stream->buf = NULL;
            rc = send_stream(c, buf, slen);
            if (rc < 0)
                break;
            answered += rc;
            if (rc == 0)
                break;
            continue;
        }
        if (!len) {
            /* Unparseable or a response: no answer, and nothing to wait for
             * (NSD closes too). The answers before it are out. */
            log_debug("dns: tcp message of %zu bytes not answered: closing", flen);
            return -2;
        }
        w->tcp_out[0] = (uint8_t)(len >> 8);
        w->tcp_out[1] = (uint8_t)len;
        rc = send_answer(c, w->tcp_out, len + 2);
        if (rc < 0)
            break;
        answered += rc; /* this one is out: the clock of the next starts */
        if (rc == 0)
            break;
    }
    if (off) {
        memmove(c->in, c->in + off, c->in_len - off);
        c->in_len -= off;
    }
    if (answered && rc >= 0)
        conn_restart(c);
    return rc;
}

static void
conn_cb(evutil_socket_t fd, short what, void *arg)
{
    struct tcp_conn *c = arg;
    struct dns_view view;
    seat_enter(&c->w->seat, &view);
    view.client = (const struct sockaddr *)&c->peer;
    struct timespec qtime = {0, 0}; /* when the bytes came in: for dnstap only */
    if (unlikely(c->w->seat.tap.d != NULL))
        clock_gettime(CLOCK_REALTIME, &qtime);
    struct xfr_stream stream = {0};
    view.stream = &stream;
    int rc = 1;
    if (what & EV_WRITE) {
        rc = flush_pending(c);
        if (rc == 1) {
            conn_restart(c);
            rc = process(c, &view, &qtime); /* frames that arrived while we waited */
        }
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
            rc = process(c, &view, &qtime);
            if (rc == 0)
                conn_wait(c, EV_WRITE);
        }
    }
    seat_leave(&c->w->seat);
    if (rc == -2)
        conn_close_dropped(c);
    else if (rc < 0)
        conn_close(c);
}

/* Admits a connection from k: 0 when its client holds its share already;
 * when the worker is full, closes the connection that has waited longest. */
static int
admit(struct worker *w, const struct client_key *k)
{
    uint32_t held = tcp_shares_count(&w->shares, k);
    if (held >= w->share_max) {
        char text[CLIENT_KEY_TEXT];
        log_rl_warn("dns: worker %u holds %u TCP connections from %s, its share of "
                    "tcp-clients: refusing more",
                    w->id, held, client_key_text(k, text, sizeof text));
        return 0;
    }
    if (w->tcp_conns >= w->seat.ctx->opt->tcp_clients) {
        log_rl_warn("dns: worker %u has %u TCP connections (tcp-clients): closing the one "
                    "that has waited longest",
                    w->id, w->tcp_conns);
        conn_close(TAILQ_FIRST(&w->conns));
    }
    return 1;
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
        struct client_key client;
        client_key_of(&client, (const struct sockaddr *)&peer);
        if (!admit(w, &client)) {
            close(cfd);
            continue;
        }
        tcp_shares_add(&w->shares, &client);
        /* Answers go out whole, one send each: never hold one back for Nagle
         * (a pipelining client would wait for its delayed ACK). */
        int one = 1;
        setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct tcp_conn *c = xmalloc(sizeof *c);
        c->fd = cfd;
        c->w = w;
        c->peer = peer;
        c->local = &l->local;
        c->in_len = 0;
        c->skip = 0;
        c->pending = NULL;
        c->pending_len = c->pending_off = 0;
        c->pending_xfr = false;
        c->client = client;
        w->tcp_conns++;
        TAILQ_INSERT_TAIL(&w->conns, c, lru);
        event_assign(&c->ev, w->base, cfd, EV_READ | EV_PERSIST, conn_cb, c);
        event_add(&c->ev, NULL);
        evtimer_assign(&c->deadline, w->base, deadline_cb, c);
        event_add(&c->deadline, w->tcp_deadline);
    }
}

void
tcp_close_all(struct worker *w)
{
    while (!TAILQ_EMPTY(&w->conns))
        conn_close(TAILQ_FIRST(&w->conns));
}
