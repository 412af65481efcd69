/* server.c: binding (SO_REUSEPORT, one socket set per worker) and the
 * worker threads' lifetime. */
#include "config.h"
#include "dns/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "dns/worker.h"
#include "gtm/alloc.h"
#include "gtm/client.h"
#include "gtm/err.h"
#include "gtm/log.h"
#include "conf/conf.h"

#define UDP_SOCKBUF (4 * 1024 * 1024)

/* One socket; reuseport shares the address between our workers only. */
static int
open_socket(const struct listen_addr *la, int type, bool reuseport)
{
    struct sockaddr_storage ss;
    socklen_t sl = (socklen_t)sockaddr_make(la->family, la->addr, la->port, &ss);
    /* UDP blocks: its thread sleeps in recvmmsg. TCP runs on an event loop. */
    int fd = socket(la->family, type | (type == SOCK_STREAM ? SOCK_NONBLOCK : 0) | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1;
    /* Not for UDP: there SO_REUSEADDR would let two servers share a port. */
    if (type == SOCK_STREAM)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0)
        goto fail;
    if (la->family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0)
        goto fail;
    if (type == SOCK_DGRAM) {
        /* Room for bursts: the default ~200 KiB drops queries under load. As
         * root, FORCE goes past net.core.rmem_max; otherwise we get what the
         * system allows. */
        int size = UDP_SOCKBUF;
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
        if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) < 0)
            setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    }
    if (bind(fd, (struct sockaddr *)&ss, sl) < 0)
        goto fail;
    if (type == SOCK_STREAM && listen(fd, 1024) < 0)
        goto fail;
    return fd;
fail : {
    int e = errno;
    close(fd);
    return -e;
}
}

static void
close_socks(struct worker_socks *ws, unsigned nworkers)
{
    for (unsigned w = 0; ws && w < nworkers; w++) {
        for (unsigned i = 0; i < ws[w].n; i++) {
            if (ws[w].udp[i] >= 0)
                close(ws[w].udp[i]);
            if (ws[w].tcp[i] >= 0)
                close(ws[w].tcp[i]);
        }
        free(ws[w].udp);
        free(ws[w].tcp);
    }
    free(ws);
}

int
server_bind(struct gtm_ctx *ctx, struct worker_socks **out)
{
    const struct gtm_options *o = ctx->opt;
    unsigned nw = o->workers;
    struct worker_socks *ws = xcalloc(nw, sizeof *ws);
    for (unsigned w = 0; w < nw; w++) {
        ws[w].udp = xmalloc(o->nlisten * sizeof(int));
        ws[w].tcp = xmalloc(o->nlisten * sizeof(int));
    }
    for (size_t i = 0; i < o->nlisten; i++) {
        const struct listen_addr *la = &o->listen[i];
        /* SO_REUSEPORT would let us share a port another server holds with
         * the same option: try it alone first, so "in use" is an error. */
        int probe[2] = {open_socket(la, SOCK_DGRAM, false), open_socket(la, SOCK_STREAM, false)};
        int err = probe[0] < 0 ? probe[0] : probe[1] < 0 ? probe[1] : 0;
        for (int k = 0; k < 2; k++)
            if (probe[k] >= 0)
                close(probe[k]);
        if (err && o->listen_default && la->family == AF_INET6 &&
            (err == -EADDRNOTAVAIL || err == -EAFNOSUPPORT)) {
            log_warn("dns: IPv6 loopback unavailable, not listening on %s", la->text);
            for (unsigned w = 0; w < nw; w++) {
                ws[w].udp[ws[w].n] = ws[w].tcp[ws[w].n] = -1;
                ws[w].n++;
            }
            continue;
        }
        for (unsigned w = 0; w < nw && !err; w++) {
            int u = open_socket(la, SOCK_DGRAM, true);
            int t = u < 0 ? -1 : open_socket(la, SOCK_STREAM, true);
            if (u < 0 || t < 0) {
                err = u < 0 ? u : t;
                if (u >= 0)
                    close(u);
                break;
            }
            ws[w].udp[ws[w].n] = u;
            ws[w].tcp[ws[w].n] = t;
            ws[w].n++;
        }
        if (err) {
            log_err("dns: cannot listen on %s port %u: %s", la->text, la->port, strerror(-err));
            close_socks(ws, nw);
            return GTM_EIO;
        }
        log_info("dns: listening on %s (UDP and TCP, %u workers)", la->text, nw);
    }
    *out = ws;
    return 0;
}

static void
stop_cb(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    uint64_t v;
    (void)what;
    if (read(fd, &v, sizeof v) < 0 && errno != EAGAIN)
        log_warn("dns: worker %u: stop read failed: %s", w->id, strerror(errno));
    event_base_loopbreak(w->base);
}

static void *
worker_main(void *arg)
{
    struct worker *w = arg;
    event_base_dispatch(w->base);
    tcp_close_all(w);
    return NULL;
}

/* Rows of counters per worker: its TCP thread, then a UDP thread per listen
 * address. */
static unsigned
rows_per_worker(const struct gtm_options *o)
{
    return 1 + (unsigned)o->nlisten;
}

unsigned
server_threads(const struct gtm_options *o)
{
    return o->workers * rows_per_worker(o);
}

static void
seat_init(struct seat *s, struct gtm_ctx *ctx, unsigned row)
{
    /* One queue per thread: the threads are counted before the writer
     * starts (server_threads), so there is always one. */
    if (dnstap_tap_init(&s->tap, ctx->dnstap) != 0)
        log_rl_warn("dns: no dnstap queue left for thread %u: it logs nothing", row);
    s->ctx = ctx;
    s->row = row;
    s->xfr = ctx->opt && ctx->opt->xfr.nacl ? &ctx->opt->xfr : NULL;
    if (getrandom(&s->rng, sizeof s->rng, 0) != sizeof s->rng)
        s->rng = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ row;
    if (dns_cookie_init(&s->cookie, ctx->cookies,
                        ctx->cookies ? (enum dns_cookie_mode)ctx->opt->cookies : DNS_COOKIE_OFF))
        log_rl_warn("dns: OpenSSL has no SipHash: DNS cookies are off");
}

/* ---- cookie secrets: made here, rotated on the control loop ---- */

static void
cookie_rotate_cb(evutil_socket_t fd, short what, void *arg)
{
    struct gtm_ctx *ctx = arg;
    uint8_t next[DNS_COOKIE_SECRET_LEN];
    (void)fd;
    (void)what;
    if (RAND_bytes(next, sizeof next) != 1) {
        log_warn("dns: no random bytes for a new cookie secret; keeping the current one");
        return;
    }
    dns_cookie_secrets_rotate(ctx->cookies, next);
    OPENSSL_cleanse(next, sizeof next);
    log_debug("dns: new cookie secret (the previous one is accepted until the next)");
}

/* The secrets the workers read: --cookie-secret, or a random one rotated
 * every --cookie-rotate seconds (with --etcd: until the fleet's secrets
 * replace it, and the fleet rotates them; fleet/cookies.h). None when
 * cookies are off. */
static int
cookies_start(struct gtm_ctx *ctx)
{
    const struct gtm_options *o = ctx->opt;
    if (o->cookies == DNS_COOKIE_OFF)
        return 0;
    ctx->cookies = xcalloc(1, sizeof *ctx->cookies);
    if (o->cookie_secret_given) {
        dns_cookie_secrets_set(ctx->cookies, o->cookie_secret, NULL);
        return 0;
    }
    uint8_t secret[DNS_COOKIE_SECRET_LEN];
    if (RAND_bytes(secret, sizeof secret) != 1) {
        log_err("dns: no random bytes for the cookie secret");
        return GTM_EIO;
    }
    dns_cookie_secrets_set(ctx->cookies, secret, NULL);
    OPENSSL_cleanse(secret, sizeof secret);
    if (o->etcd)
        return 0;
    struct timeval every = {(time_t)o->cookie_rotate, 0};
    ctx->cookie_ev = event_new(ctx->base, -1, EV_PERSIST, cookie_rotate_cb, ctx);
    if (!ctx->cookie_ev || event_add(ctx->cookie_ev, &every) != 0) {
        log_err("dns: cannot schedule the cookie secret's rotation");
        return GTM_EIO;
    }
    return 0;
}

static void
cookies_stop(struct gtm_ctx *ctx)
{
    if (ctx->cookie_ev)
        event_free(ctx->cookie_ev);
    ctx->cookie_ev = NULL;
    if (ctx->cookies)
        OPENSSL_cleanse(ctx->cookies, sizeof *ctx->cookies);
    free(ctx->cookies);
    ctx->cookies = NULL;
}

/* The address fd is bound to (dnstap's response address); none (AF_UNSPEC)
 * when fd is not a socket. */
static void
local_addr(int fd, struct sockaddr_storage *ss)
{
    socklen_t len = sizeof *ss;
    memset(ss, 0, sizeof *ss);
    if (fd < 0 || getsockname(fd, (struct sockaddr *)ss, &len) != 0)
        ss->ss_family = AF_UNSPEC;
}

/* --dnstap: the writer, with a queue for every answering thread. Its
 * identity is --identity's (else the node's name), its version gtmd's. */
static int
dnstap_start(struct gtm_ctx *ctx)
{
    const struct gtm_options *o = ctx->opt;
    if (!o->dnstap)
        return 0;
    const char *id = options_identity(o);
    return dnstap_open(o->dnstap, id ? id : o->node, "gtmd " PACKAGE_VERSION, server_threads(o),
                       o->dnstap_queries, o->dnstap_responses, &ctx->dnstap);
}

/* The rate limit of one UDP thread (NULL: --rrl 0). The kernel spreads a
 * client's queries over the workers' sockets by source port, so each
 * thread allows its share: RATE / workers, rounded up. */
static struct dns_rrl *
rrl_new(const struct gtm_options *o)
{
    if (!o || !o->rrl)
        return NULL;
    uint8_t key[16];
    if (RAND_bytes(key, sizeof key) != 1 && getrandom(key, sizeof key, 0) != (ssize_t)sizeof key) {
        log_warn("dns: rrl: no random bytes for the hash key; a fixed one is used");
        memset(key, 0x5A, sizeof key);
    }
    struct dns_rrl *r = xcalloc(1, sizeof *r);
    unsigned rate = (o->rrl + o->workers - 1) / o->workers;
    if (dns_rrl_init(r, rate, o->rrl_slip, o->rrl_table_size, key) != 0) {
        log_warn("dns: rrl: no memory for a table of %u buckets: rate limiting is off",
                 o->rrl_table_size);
        free(r);
        r = NULL;
    }
    OPENSSL_cleanse(key, sizeof key);
    return r;
}

static void
rrl_delete(struct dns_rrl *r)
{
    if (r)
        dns_rrl_free(r);
    free(r);
}

/* Builds worker i (not started) on its sockets; takes them even on failure. */
static struct worker *
worker_new(struct gtm_ctx *ctx, unsigned i, struct worker_socks *ws)
{
    struct worker *w = xcalloc(1, sizeof *w);
    unsigned row = i * rows_per_worker(ctx->opt);
    w->id = i;
    seat_init(&w->seat, ctx, row);
    w->nsocks = ws->n;
    w->udp = xcalloc(w->nsocks, sizeof *w->udp);
    w->tcp = xcalloc(w->nsocks, sizeof *w->tcp);
    for (unsigned k = 0; k < w->nsocks; k++) {
        w->tcp[k].fd = ws->tcp[k];
        w->tcp[k].w = w;
        local_addr(w->tcp[k].fd, &w->tcp[k].local);
        struct udp_thread *u = xcalloc(1, sizeof *u);
        seat_init(&u->seat, ctx, row + 1 + k);
        u->fd = ws->udp[k];
        local_addr(u->fd, &u->local);
        u->rrl = rrl_new(ctx->opt);
        udp_init(u);
        w->udp[k] = u;
    }
    w->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct event_config *cfg = event_config_new();
    event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK);
    w->base = event_base_new_with_config(cfg);
    event_config_free(cfg);
    if (!w->base || w->stop_fd < 0) {
        if (w->base)
            event_base_free(w->base);
        w->base = NULL; /* worker_run fails; server_stop frees what there is */
        return w;
    }
    event_assign(&w->stop_ev, w->base, w->stop_fd, EV_READ | EV_PERSIST, stop_cb, w);
    event_add(&w->stop_ev, NULL);
    tcp_init(w, ctx->opt);
    for (unsigned k = 0; k < w->nsocks; k++)
        if (w->tcp[k].fd >= 0) {
            event_assign(&w->tcp[k].ev, w->base, w->tcp[k].fd, EV_READ | EV_PERSIST, tcp_accept_cb,
                         &w->tcp[k]);
            event_add(&w->tcp[k].ev, NULL);
        }
    return w;
}

static int
worker_run(struct worker *w)
{
    if (!w->base || w->stop_fd < 0 || pthread_create(&w->thread, NULL, worker_main, w) != 0)
        return GTM_EIO;
    w->started = 1;
    for (unsigned k = 0; k < w->nsocks; k++) {
        struct udp_thread *u = w->udp[k];
        if (u->fd < 0)
            continue;
        if (pthread_create(&u->thread, NULL, udp_main, u) != 0)
            return GTM_EIO;
        u->started = 1;
    }
    return 0;
}

int
server_start(struct gtm_ctx *ctx, struct worker_socks *ws)
{
    unsigned nw = ctx->opt->workers;
    int rc = cookies_start(ctx);
    if (rc == 0)
        rc = dnstap_start(ctx);
    ctx->workers = xcalloc(nw, sizeof *ctx->workers);
    /* Answering threads take no signals: the control loop handles them, and
     * a blocked recvmmsg is never interrupted. */
    sigset_t all, old;
    sigfillset(&all);
    static const int faults[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT};
    for (size_t f = 0; f < sizeof faults / sizeof faults[0]; f++)
        sigdelset(&all, faults[f]); /* reported, not deferred */
    pthread_sigmask(SIG_BLOCK, &all, &old);
    for (unsigned i = 0; i < nw && rc == 0; i++) {
        ctx->workers[i] = worker_new(ctx, i, &ws[i]);
        ctx->nworkers = i + 1;
        rc = worker_run(ctx->workers[i]);
        if (rc)
            log_err("dns: cannot start the threads of worker %u", i);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    /* Sockets of workers never built are ours to close. */
    for (unsigned i = ctx->nworkers; i < nw; i++)
        for (unsigned k = 0; k < ws[i].n; k++) {
            if (ws[i].udp[k] >= 0)
                close(ws[i].udp[k]);
            if (ws[i].tcp[k] >= 0)
                close(ws[i].tcp[k]);
        }
    for (unsigned i = 0; i < nw; i++) {
        free(ws[i].udp);
        free(ws[i].tcp);
    }
    free(ws);
    return rc;
}

void
server_stop(struct gtm_ctx *ctx)
{
    for (unsigned i = 0; i < ctx->nworkers; i++) {
        struct worker *w = ctx->workers[i];
        uint64_t one = 1;
        if (w->started && write(w->stop_fd, &one, sizeof one) < 0)
            log_warn("dns: cannot signal worker %u: %s", i, strerror(errno));
        for (unsigned k = 0; k < w->nsocks; k++) {
            struct udp_thread *u = w->udp[k];
            atomic_store_explicit(&u->stop, 1, memory_order_release);
            /* Wakes a recvmmsg blocked on it (Linux; the call returns at
             * once from then on). ENOTCONN is expected. */
            if (u->started)
                shutdown(u->fd, SHUT_RDWR);
        }
    }
    for (unsigned i = 0; i < ctx->nworkers; i++) {
        struct worker *w = ctx->workers[i];
        if (w->started)
            pthread_join(w->thread, NULL);
        for (unsigned k = 0; k < w->nsocks; k++) {
            struct udp_thread *u = w->udp[k];
            if (u->started)
                pthread_join(u->thread, NULL);
            if (u->fd >= 0)
                close(u->fd);
            dns_cookie_free(&u->seat.cookie);
            rrl_delete(u->rrl);
            free(u);
            if (w->tcp[k].fd >= 0) {
                if (w->base)
                    event_del(&w->tcp[k].ev);
                close(w->tcp[k].fd);
            }
        }
        if (w->stop_fd >= 0) {
            if (w->base)
                event_del(&w->stop_ev);
            close(w->stop_fd);
        }
        if (w->base)
            event_base_free(w->base);
        tcp_free(w);
        dns_cookie_free(&w->seat.cookie);
        free(w->udp);
        free(w->tcp);
        free(w);
    }
    free(ctx->workers);
    ctx->workers = NULL;
    ctx->nworkers = 0;
    cookies_stop(ctx);
    /* Every thread that logs has stopped: what they queued is written. */
    dnstap_close(ctx->dnstap);
    ctx->dnstap = NULL;
}

static int
seat_quiescent(const struct seat *s, uint64_t epoch)
{
    uint64_t seen = atomic_load((_Atomic uint64_t *)&s->seen);
    return seen == 0 || seen >= epoch;
}

int
server_quiescent(const struct gtm_ctx *ctx, uint64_t epoch)
{
    for (unsigned i = 0; i < ctx->nworkers; i++) {
        const struct worker *w = ctx->workers[i];
        if (!seat_quiescent(&w->seat, epoch))
            return 0;
        for (unsigned k = 0; k < w->nsocks; k++)
            if (!seat_quiescent(&w->udp[k]->seat, epoch))
                return 0;
    }
    return 1;
}

uint64_t
server_rcodes(const struct gtm_ctx *ctx, enum q_rcode rc)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < ctx->nworkers; i++) {
        const struct worker *w = ctx->workers[i];
        n += atomic_load_explicit(&w->seat.rcodes[rc], memory_order_relaxed);
        for (unsigned k = 0; k < w->nsocks; k++)
            n += atomic_load_explicit(&w->udp[k]->seat.rcodes[rc], memory_order_relaxed);
    }
    return n;
}

uint64_t
server_cookies(const struct gtm_ctx *ctx, unsigned seen)
{
    uint64_t n = 0;
    if (seen >= DNS_COOKIE_SEEN)
        return 0;
    for (unsigned i = 0; i < ctx->nworkers; i++) {
        const struct worker *w = ctx->workers[i];
        n += atomic_load_explicit(&w->seat.cookie.seen[seen], memory_order_relaxed);
        for (unsigned k = 0; k < w->nsocks; k++)
            n += atomic_load_explicit(&w->udp[k]->seat.cookie.seen[seen], memory_order_relaxed);
    }
    return n;
}

bool
server_dnstap(const struct gtm_ctx *ctx, uint64_t *sent, uint64_t *dropped)
{
    *sent = *dropped = 0;
    if (!ctx->dnstap)
        return false;
    for (unsigned i = 0; i < ctx->nworkers; i++) {
        const struct worker *w = ctx->workers[i];
        *sent += atomic_load_explicit(&w->seat.tap.sent, memory_order_relaxed);
        *dropped += atomic_load_explicit(&w->seat.tap.dropped, memory_order_relaxed);
        for (unsigned k = 0; k < w->nsocks; k++) {
            *sent += atomic_load_explicit(&w->udp[k]->seat.tap.sent, memory_order_relaxed);
            *dropped += atomic_load_explicit(&w->udp[k]->seat.tap.dropped, memory_order_relaxed);
        }
    }
    return true;
}

uint64_t
server_rrl(const struct gtm_ctx *ctx, enum dns_rrl_count which)
{
    uint64_t n = 0;
    if ((unsigned)which >= DNS_RRL_COUNTS)
        return 0;
    for (unsigned i = 0; i < ctx->nworkers; i++) {
        const struct worker *w = ctx->workers[i];
        for (unsigned k = 0; k < w->nsocks; k++)
            if (w->udp[k]->rrl)
                n += atomic_load_explicit(&w->udp[k]->rrl->count[which], memory_order_relaxed);
    }
    return n;
}
