/* test_monitor.c: the monitor against real servers on the loopback, in this
 * process and on the monitor's own event_base: an evhttp server whose
 * status the test flips (also over HTTPS with a throwaway self-signed
 * certificate, and on ::1 when there is one), raw listeners that accept and
 * never answer, stream an endless body or talk garbage, and a closed port.
 * Probes run every second with a one second timeout; the loop runs for
 * bounded time until the expected states show up in the health slots.
 * Last, the monitor through its seams (monitor_new_seams): a clock the
 * test steps and results it hands in, no server and no waiting. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <dirent.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>
#include <curl/curl.h>
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "gtm/clock.h"
#include "gtm/err.h"
#include "gtm/health.h"
#include "gtm/probe.h"
#include "gtm/log.h"
#include "gtm/profile.h"
#include "gtm/snapshot.h"
#include "monitor/monitor.h"

#define UA_AZURE "Azure Traffic Manager Endpoint Monitor"
#define MAX_HITS 64
#define NK       16

/* When something was asked of a server, on the test's monotonic clock. */
struct hits {
    unsigned n;
    int64_t at[MAX_HITS];
};

enum raw_mode { RAW_HANG, RAW_ENDLESS, RAW_GARBAGE };

struct harness;

/* A listener that is not an HTTP server. */
struct rawsrv {
    struct harness *h;
    enum raw_mode mode;
    struct evconnlistener *l;
    uint16_t port;
    struct hits accepts;
    int64_t last_accept_wall_ms;
    unsigned live; /* connections still open */
};

struct conn {
    struct rawsrv *srv;
    struct bufferevent *bev;
    struct conn *prev, *next;
};

struct snapbuf;

struct harness {
    struct event_base *base;
    struct monitor *m;       /* of the running test, freed by test_teardown */
    struct snapbuf *bufs[3]; /* likewise */
    unsigned nbufs;
    struct evhttp *http, *http6, *https;
    uint16_t http_port, http6_port, https_port;
    SSL_CTX *ssl;
    struct rawsrv hang, endless, garbage;
    uint16_t closed_port;
    struct conn *conns;
    int flip_code;
    struct hits flip, k[NK];
    unsigned echo_bad;
    char echo_why[256];
};

/* Under valgrind everything is many times slower than the 1 s timeouts
 * assume: waits get longer and timing checks are reported, not enforced. */
static bool slow;

#define assert_timing(cond)                                                                        \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            if (slow)                                                                              \
                printf("# timing not checked (slow run): %s\n", #cond);                            \
            else                                                                                   \
                fail_msg("timing: %s", #cond);                                                     \
        }                                                                                          \
    } while (0)

static int64_t
wall_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void
hit(struct hits *h)
{
    if (h->n < MAX_HITS)
        h->at[h->n] = clock_mono_ms();
    h->n++;
}

static int
count_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* ---- the HTTP server ---- */

static void
reply(struct evhttp_request *req, int code)
{
    struct evbuffer *b = evbuffer_new();
    evbuffer_add_printf(b, "status %d\n", code);
    evhttp_send_reply(req, code, code == 200 ? "OK" : "Test", b);
    evbuffer_free(b);
}

static bool
header_is(struct evkeyvalq *in, const char *name, const char *want)
{
    const char *v = evhttp_find_header(in, name);
    return v && strcmp(v, want) == 0;
}

static void
http_cb(struct evhttp_request *req, void *arg)
{
    struct harness *h = arg;
    const char *uri = evhttp_request_get_uri(req);
    struct evkeyvalq *in = evhttp_request_get_input_headers(req);
    if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
        reply(req, 405);
    } else if (strcmp(uri, "/flip") == 0) {
        hit(&h->flip);
        reply(req, h->flip_code);
    } else if (strcmp(uri, "/redirect") == 0) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Location", "/flip");
        reply(req, 301);
    } else if (strcmp(uri, "/echo?a=1") == 0) {
        /* the custom headers verbatim, Host from them, Azure's User-Agent */
        bool good = header_is(in, "Host", "probe.example") && header_is(in, "X-Custom", "v") &&
                    header_is(in, "User-Agent", UA_AZURE);
        if (!good) {
            h->echo_bad++;
            snprintf(h->echo_why, sizeof h->echo_why, "Host=%s X-Custom=%s User-Agent=%s",
                     evhttp_find_header(in, "Host"), evhttp_find_header(in, "X-Custom"),
                     evhttp_find_header(in, "User-Agent"));
        }
        reply(req, good ? 200 : 400);
    } else if (strcmp(uri, "/ua") == 0) {
        reply(req, header_is(in, "User-Agent", "custom/1") ? 200 : 400);
    } else if (strncmp(uri, "/k/", 3) == 0 && atoi(uri + 3) >= 0 && atoi(uri + 3) < NK) {
        hit(&h->k[atoi(uri + 3)]);
        reply(req, 200);
    } else {
        reply(req, 404);
    }
}

static struct evhttp *
http_start(struct harness *h, const char *addr, uint16_t *port)
{
    struct evhttp *http = evhttp_new(h->base);
    struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(http, addr, 0);
    if (!bs) {
        evhttp_free(http);
        return NULL;
    }
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss, &len);
    *port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                           : ((struct sockaddr_in *)&ss)->sin_port);
    evhttp_set_gencb(http, http_cb, h);
    return http;
}

/* ---- HTTPS: the same server behind TLS with a self-signed certificate ---- */

static SSL_CTX *
ssl_ctx_selfsigned(void)
{
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    if (!key || !x)
        return NULL;
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"not.this.host", -1,
                               -1, 0);
    X509_set_issuer_name(x, name);
    X509_sign(x, key, EVP_sha256());
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (ctx && (SSL_CTX_use_certificate(ctx, x) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1)) {
        SSL_CTX_free(ctx);
        ctx = NULL;
    }
    X509_free(x);
    EVP_PKEY_free(key);
    return ctx;
#else
    return NULL;
#endif
}

static struct bufferevent *
https_bevcb(struct event_base *base, void *arg)
{
    return bufferevent_openssl_socket_new(base, -1, SSL_new(arg), BUFFEREVENT_SSL_ACCEPTING,
                                          BEV_OPT_CLOSE_ON_FREE);
}

/* ---- raw listeners ---- */

static void
conn_free(struct conn *c)
{
    struct harness *h = c->srv->h;
    if (c->prev)
        c->prev->next = c->next;
    else
        h->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->srv->live--;
    bufferevent_free(c->bev);
    free(c);
}

static void
raw_read(struct bufferevent *bev, void *arg)
{
    (void)arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    evbuffer_drain(in, evbuffer_get_length(in));
}

static void
raw_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
        conn_free(arg);
}

/* Endless: whenever the output has drained, more body. */
static void
endless_write(struct bufferevent *bev, void *arg)
{
    static const char chunk[16384] = {'x'};
    (void)arg;
    for (int i = 0; i < 4; i++)
        bufferevent_write(bev, chunk, sizeof chunk);
}

static void
raw_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
    struct rawsrv *srv = arg;
    struct harness *h = srv->h;
    (void)l;
    (void)sa;
    (void)salen;
    hit(&srv->accepts);
    srv->last_accept_wall_ms = wall_ms();
    struct conn *c = calloc(1, sizeof *c);
    c->srv = srv;
    c->bev = bufferevent_socket_new(h->base, fd, BEV_OPT_CLOSE_ON_FREE);
    c->next = h->conns;
    if (h->conns)
        h->conns->prev = c;
    h->conns = c;
    srv->live++;
    switch (srv->mode) {
    case RAW_HANG:
        bufferevent_setcb(c->bev, raw_read, NULL, raw_event, c);
        break;
    case RAW_ENDLESS:
        bufferevent_setcb(c->bev, raw_read, endless_write, raw_event, c);
        bufferevent_write(c->bev, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n", 46);
        endless_write(c->bev, c);
        break;
    case RAW_GARBAGE:
        bufferevent_setcb(c->bev, raw_read, NULL, raw_event, c);
        bufferevent_write(c->bev, "SSH-2.0-OpenSSH_9.2\r\n\x01\x02\x03 garbage\r\n\r\n", 36);
        break;
    }
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

static void
raw_start(struct harness *h, struct rawsrv *srv, enum raw_mode mode)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    srv->h = h;
    srv->mode = mode;
    srv->l =
        evconnlistener_new_bind(h->base, raw_accept, srv, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE,
                                -1, (struct sockaddr *)&sin, sizeof sin);
    assert_non_null(srv->l);
    socklen_t len = sizeof sin;
    getsockname(evconnlistener_get_fd(srv->l), (struct sockaddr *)&sin, &len);
    srv->port = ntohs(sin.sin_port);
}

/* A port nothing listens on: bound once, then closed. */
static uint16_t
closed_port(void)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    socklen_t len = sizeof sin;
    getsockname(fd, (struct sockaddr *)&sin, &len);
    close(fd);
    return ntohs(sin.sin_port);
}

/* ---- running the loop ---- */

typedef bool pred_fn(void *arg);

struct waiter {
    struct event_base *base;
    pred_fn *pred;
    void *arg;
    bool met;
};

static void
check_cb(evutil_socket_t fd, short what, void *arg)
{
    struct waiter *w = arg;
    (void)fd;
    (void)what;
    if (w->pred && w->pred(w->arg)) {
        w->met = true;
        event_base_loopbreak(w->base);
    }
}

static void
deadline_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    event_base_loopbreak(arg);
}

/* Runs the loop until pred holds (checked every 10 ms) or max_ms passed;
 * returns the time it took, or -1 when pred never held. pred NULL: run
 * max_ms. */
static int64_t
run_until(struct harness *h, pred_fn *pred, void *arg, int max_ms)
{
    struct waiter w = {h->base, pred, arg, false};
    if (pred && slow)
        max_ms *= 4;
    struct event *chk = event_new(h->base, -1, EV_PERSIST, check_cb, &w);
    struct event *dl = evtimer_new(h->base, deadline_cb, h->base);
    struct timeval every = {0, 10000}, max = {max_ms / 1000, (max_ms % 1000) * 1000};
    int64_t t0 = clock_mono_ms();
    if (pred && pred(arg))
        w.met = true;
    else {
        event_add(chk, &every);
        event_add(dl, &max);
        event_base_dispatch(h->base);
    }
    event_free(chk);
    event_free(dl);
    return pred && !w.met ? -1 : clock_mono_ms() - t0;
}

/* ---- snapshots by hand ---- */

#define MAXP 24

struct snapbuf {
    struct gtm_snapshot snap;
    struct probe_spec probes[MAXP];
    struct health_slot health[MAXP];
    char hosthdr[MAXP][64];
    struct header_kv headers[MAXP][PROFILE_MAX_HEADERS + 1];
};

static void
snap_init(struct snapbuf *s)
{
    memset(s, 0, sizeof *s);
    for (unsigned i = 0; i < MAXP; i++)
        atomic_init(&s->health[i].status, EPS_CHECKING);
    s->snap.probes = s->probes;
    s->snap.health = s->health;
}

static struct snapbuf *
snap_new(struct harness *h)
{
    assert_true(h->nbufs < sizeof h->bufs / sizeof h->bufs[0]);
    struct snapbuf *s = malloc(sizeof *s);
    assert_non_null(s);
    h->bufs[h->nbufs++] = s;
    snap_init(s);
    return s;
}

static struct monitor *
mon_new(struct harness *h)
{
    assert_null(h->m);
    h->m = monitor_new(h->base);
    return h->m;
}

static void
mon_free(struct harness *h)
{
    monitor_free(h->m);
    h->m = NULL;
}

/* A probe every second, timeout one second, 200 expected, Host = host;
 * key = label unless changed afterwards. */
static struct probe_spec *
snap_add(struct snapbuf *s, enum probe_proto proto, const char *host, uint16_t port,
         const char *path, unsigned fall, const char *label)
{
    assert_true(s->snap.nprobes < MAXP);
    unsigned i = s->snap.nprobes++;
    struct probe_spec *p = &s->probes[i];
    p->proto = proto;
    p->host = host;
    p->port = port;
    p->path = proto == PROBE_TCP ? NULL : path;
    p->interval_ms = 1000;
    p->timeout_ms = 1000;
    p->fall = (uint8_t)fall;
    if (proto != PROBE_TCP) {
        p->nranges = 1;
        p->ranges[0] = (struct status_range){200, 200};
        snprintf(s->hosthdr[i], sizeof s->hosthdr[i], "%s", host);
        p->nheaders = 1;
        p->headers = s->headers[i];
        p->headers[0] = (struct header_kv){"Host", s->hosthdr[i]};
    }
    p->label = label;
    p->key = label;
    return p;
}

static uint8_t
slot(const struct snapbuf *s, unsigned i)
{
    return atomic_load_explicit(&s->health[i].status, memory_order_relaxed);
}

struct want {
    const struct snapbuf *s;
    uint8_t state[MAXP];
};

static bool
all_as_wanted(void *arg)
{
    const struct want *w = arg;
    for (unsigned i = 0; i < w->s->snap.nprobes; i++)
        if (slot(w->s, i) != w->state[i])
            return false;
    return true;
}

struct one {
    const struct snapbuf *s;
    unsigned idx;
    uint8_t state;
};

static bool
one_is(void *arg)
{
    const struct one *o = arg;
    return slot(o->s, o->idx) == o->state;
}

/* ---- the tests ---- */

/* Every run came one interval (1 s) after the previous one. */
static void
check_cadence(const struct hits *t, const char *what)
{
    for (unsigned i = 1; i < t->n && i < MAX_HITS; i++) {
        int64_t d = t->at[i] - t->at[i - 1];
        if (d >= 850 && d <= 1150)
            continue;
        if (slow)
            printf("# timing not checked (slow run): %s: run %u came %lld ms after the previous\n",
                   what, i, (long long)d);
        else
            fail_msg("%s: run %u came %lld ms after the previous one", what, i, (long long)d);
    }
}

static void
assert_result(const struct probe_info *in, uint8_t state, const char *text)
{
    assert_non_null(in);
    if (in->state != state || strstr(in->last_result, text) == NULL)
        fail_msg("state %u \"%s\", want %u \"%s\"", in->state, in->last_result, state, text);
}

/* A listener whose accept queue is full (backlog 0, one connection queued
 * and never accepted): the kernel drops every further SYN, so a connect
 * to it neither succeeds nor fails before its timeout. *filler [out] is
 * the queued connection. Returns the listening socket, or -1. */
static int
full_listener(uint16_t *port, int *filler)
{
    int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) != 0 || listen(l, 0) != 0 ||
        getsockname(l, (struct sockaddr *)&a, &alen) != 0) {
        if (l >= 0)
            close(l);
        return -1;
    }
    *port = ntohs(a.sin_port);
    *filler = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (*filler < 0 || connect(*filler, (struct sockaddr *)&a, sizeof a) != 0) {
        if (*filler >= 0)
            close(*filler);
        close(l);
        return -1;
    }
    return l;
}

/* Every kind of probe and target at once: each ends where it should. */
static void
test_kinds(void **state)
{
    struct harness *h = *state;
    struct snapbuf *s = snap_new(h);
    struct want w = {.s = s};
    struct probe_spec *p;
    h->flip_code = 200;
    h->echo_bad = 0;
    int fds0 = count_fds();

    snap_add(s, PROBE_HTTP, "127.0.0.1", h->http_port, "/flip", 3, "kinds/http");
    w.state[0] = EPS_ONLINE;
    snap_add(s, PROBE_TCP, "127.0.0.1", h->hang.port, NULL, 3, "kinds/tcp");
    w.state[1] = EPS_ONLINE;
    snap_add(s, PROBE_HTTP, "127.0.0.1", h->closed_port, "/", 1, "kinds/refused");
    w.state[2] = EPS_DEGRADED;
    snap_add(s, PROBE_HTTP, "127.0.0.1", h->hang.port, "/", 2, "kinds/hang");
    w.state[3] = EPS_DEGRADED;
    snap_add(s, PROBE_HTTP, "127.0.0.1", h->http_port, "/redirect", 1, "kinds/301");
    w.state[4] = EPS_DEGRADED;
    p = snap_add(s, PROBE_HTTP, "127.0.0.1", h->http_port, "/redirect", 1, "kinds/301-expected");
    p->nranges = 2;
    p->ranges[0] = (struct status_range){200, 299};
    p->ranges[1] = (struct status_range){301, 301};
    w.state[5] = EPS_ONLINE;
    snap_add(s, PROBE_HTTP, "127.0.0.1", h->endless.port, "/", 1, "kinds/endless");
    w.state[6] = EPS_DEGRADED;
    snap_add(s, PROBE_TCP, "127.0.0.1", h->closed_port, NULL, 1, "kinds/tcp-refused");
    w.state[7] = EPS_DEGRADED;
    p = snap_add(s, PROBE_HTTP, "127.0.0.1", h->http_port, "/echo?a=1", 1, "kinds/headers");
    p->nheaders = 2;
    p->headers[0] = (struct header_kv){"Host", "probe.example"};
    p->headers[1] = (struct header_kv){"X-Custom", "v"};
    w.state[8] = EPS_ONLINE;
    p = snap_add(s, PROBE_HTTP, "127.0.0.1", h->http_port, "/ua", 1, "kinds/user-agent");
    p->nheaders = 2;
    p->headers[1] = (struct header_kv){"User-Agent", "custom/1"};
    w.state[9] = EPS_ONLINE;
    snap_add(s, PROBE_HTTP, "127.0.0.1", h->garbage.port, "/", 1, "kinds/garbage");
    w.state[10] = EPS_DEGRADED;
    snap_add(s, PROBE_HTTPS, "127.0.0.1", h->http_port, "/flip", 1, "kinds/https-to-http");
    w.state[11] = EPS_DEGRADED;
    unsigned i_https = 0, i_v6 = 0;
    if (h->https) {
        i_https = s->snap.nprobes;
        snap_add(s, PROBE_HTTPS, "127.0.0.1", h->https_port, "/flip", 1, "kinds/https");
        w.state[i_https] = EPS_ONLINE;
    }
    if (h->http6) {
        i_v6 = s->snap.nprobes;
        snap_add(s, PROBE_HTTP, "::1", h->http6_port, "/flip", 1, "kinds/ipv6");
        w.state[i_v6] = EPS_ONLINE;
    }
    /* TCP to an address is a direct connect; to a name, curl resolves it */
    unsigned i_tcp6 = 0, i_tcpname = s->snap.nprobes, i_tcpfull = 0;
    snap_add(s, PROBE_TCP, "localhost", h->hang.port, NULL, 1, "kinds/tcp-name");
    w.state[i_tcpname] = EPS_ONLINE;
    if (h->http6) {
        i_tcp6 = s->snap.nprobes;
        snap_add(s, PROBE_TCP, "::1", h->http6_port, NULL, 1, "kinds/tcp-ipv6");
        w.state[i_tcp6] = EPS_ONLINE;
    }
    uint16_t full_port = 0;
    int filler = -1, full = full_listener(&full_port, &filler);
    if (full >= 0) {
        i_tcpfull = s->snap.nprobes;
        /* a timeout shorter than the interval: the run's own timer ends it */
        snap_add(s, PROBE_TCP, "127.0.0.1", full_port, NULL, 1, "kinds/tcp-unanswered")
            ->timeout_ms = 500;
        w.state[i_tcpfull] = EPS_DEGRADED;
    }

    struct monitor *m = mon_new(h);
    monitor_reconcile(m, &s->snap);
    for (unsigned i = 0; i < s->snap.nprobes; i++) {
        assert_int_equal(slot(s, i), EPS_CHECKING);
        assert_int_equal(monitor_info(m, i)->state, EPS_CHECKING);
        assert_int_equal(monitor_info(m, i)->last_probe_ms, 0);
    }
    assert_null(monitor_info(m, s->snap.nprobes));

    /* the hang probe needs two timeouts: first run within 1 s, then 2 x 1 s */
    int64_t took = run_until(h, all_as_wanted, &w, 4500);
    for (unsigned i = 0; i < s->snap.nprobes; i++)
        if (slot(s, i) != w.state[i])
            fail_msg("%s: slot %u, want %u (%s)", s->probes[i].label, slot(s, i), w.state[i],
                     monitor_info(m, i)->last_result);
    assert_true(took >= 0);
    printf("# all kinds settled after %lld ms\n", (long long)took);

    const struct probe_info *in = monitor_info(m, 0);
    assert_result(in, EPS_ONLINE, "HTTP 200");
    assert_true(in->last_rtt_us > 0 && in->last_rtt_us < 1000000);
    assert_int_equal(atomic_load(&s->health[0].rtt_us), in->last_rtt_us);
    assert_true(in->probes_ok >= 1);
    assert_timing(in->probes_failed == 0);
    assert_true(in->last_probe_ms > 0 && in->last_change_ms > 0);
    assert_result(monitor_info(m, 1), EPS_ONLINE, "TCP connected");
    assert_true(monitor_info(m, 1)->last_rtt_us > 0);
    assert_result(monitor_info(m, 2), EPS_DEGRADED, "connection refused");
    assert_result(monitor_info(m, 3), EPS_DEGRADED, "timeout after 1000 ms");
    assert_int_equal(monitor_info(m, 3)->fails, 2);
    assert_int_equal(monitor_info(m, 3)->probes_ok, 0);
    assert_result(monitor_info(m, 4), EPS_DEGRADED, "HTTP 301");
    assert_result(monitor_info(m, 5), EPS_ONLINE, "HTTP 301");
    assert_result(monitor_info(m, 6), EPS_DEGRADED, "body over 1 MiB");
    /* the endless body is cut short, long before the timeout */
    int64_t endless_ms = monitor_info(m, 6)->last_probe_ms - h->endless.last_accept_wall_ms;
    printf("# endless body abandoned %lld ms after accept\n", (long long)endless_ms);
    assert_timing(endless_ms < 500);
    assert_result(monitor_info(m, 7), EPS_DEGRADED, "connection refused");
    assert_int_equal(h->echo_bad, 0);
    assert_result(monitor_info(m, 8), EPS_ONLINE, "HTTP 200");
    assert_result(monitor_info(m, 9), EPS_ONLINE, "HTTP 200");
    assert_int_equal(monitor_info(m, 10)->state, EPS_DEGRADED);
    assert_true(monitor_info(m, 10)->last_result[0] != '\0');
    printf("# garbage: %s\n", monitor_info(m, 10)->last_result);
    assert_int_equal(monitor_info(m, 11)->state, EPS_DEGRADED);
    printf("# https to a plain server: %s\n", monitor_info(m, 11)->last_result);
    if (h->https)
        assert_result(monitor_info(m, i_https), EPS_ONLINE, "HTTP 200");
    else
        printf("# skipped: HTTPS (no self-signed certificate)\n");
    if (h->http6)
        assert_result(monitor_info(m, i_v6), EPS_ONLINE, "HTTP 200");
    else
        printf("# skipped: IPv6 (no ::1)\n");
    assert_result(monitor_info(m, i_tcpname), EPS_ONLINE, "TCP connected");
    if (h->http6)
        assert_result(monitor_info(m, i_tcp6), EPS_ONLINE, "TCP connected");
    if (full >= 0) {
        assert_result(monitor_info(m, i_tcpfull), EPS_DEGRADED, "timeout after 500 ms");
        assert_true(monitor_info(m, i_tcpfull)->last_duration_us >= 450000);
        assert_timing(monitor_info(m, i_tcpfull)->last_duration_us < 990000);
        close(filler);
        close(full);
    } else {
        printf("# skipped: TCP timeout (no listener with a full queue)\n");
    }
    /* the runs were pooled: never more than the probes */
    struct monitor_counts c;
    monitor_counts(m, &c);
    assert_in_range(c.runs, 1, s->snap.nprobes);
    assert_int_equal(c.skipped, 0);

    mon_free(h);
    run_until(h, NULL, NULL, 100);
    assert_int_equal(count_fds(), fds0); /* TCP, TLS and refused probes closed too */
}

/* Flip the server: Degraded on the 3rd consecutive failure, Online again on
 * the first success; probes keep their cadence while another one hangs. */
static void
test_flip_timing(void **state)
{
    struct harness *h = *state;
    struct snapbuf *s = snap_new(h);
    snap_add(s, PROBE_HTTP, "127.0.0.1", h->http_port, "/flip", 3, "flip/p1");
    snap_add(s, PROBE_HTTP, "127.0.0.1", h->hang.port, "/", 3, "flip/hang");
    h->flip_code = 200;
    memset(&h->flip, 0, sizeof h->flip);
    memset(&h->hang.accepts, 0, sizeof h->hang.accepts);

    struct monitor *m = mon_new(h);
    monitor_reconcile(m, &s->snap);
    struct one online = {s, 0, EPS_ONLINE}, degraded = {s, 0, EPS_DEGRADED};
    assert_true(run_until(h, one_is, &online, 1500) >= 0);
    assert_result(monitor_info(m, 0), EPS_ONLINE, "HTTP 200");

    h->flip_code = 503;
    int64_t down = run_until(h, one_is, &degraded, 5000);
    printf("# Online -> Degraded %lld ms after the flip (interval 1 s, fall 3)\n", (long long)down);
    assert_true(down >= 0);
    assert_timing(down >= 1900 && down <= 3500);
    const struct probe_info *in = monitor_info(m, 0);
    assert_result(in, EPS_DEGRADED, "HTTP 503");
    assert_int_equal(in->fails, 3);
    assert_int_equal(in->probes_failed, 3);

    h->flip_code = 200;
    int64_t up = run_until(h, one_is, &online, 2000);
    printf("# Degraded -> Online %lld ms after the flip back\n", (long long)up);
    assert_true(up >= 0);
    assert_timing(up <= 1300);
    assert_result(in, EPS_ONLINE, "HTTP 200");
    assert_int_equal(in->fails, 0);

    /* the hanging probe: Degraded too, and on its schedule (a run still in
     * flight at its next tick counts as a timeout: no skipped rounds) */
    assert_int_equal(slot(s, 1), EPS_DEGRADED);
    assert_result(monitor_info(m, 1), EPS_DEGRADED, "timeout after 1000 ms");

    /* both kept a steady 1 s cadence */
    struct hits *series[] = {&h->flip, &h->hang.accepts};
    for (unsigned k = 0; k < 2; k++) {
        struct hits *t = series[k];
        assert_true(t->n >= 3);
        check_cadence(t, k == 0 ? "flip/p1" : "flip/hang");
        /* no drift: run i is i intervals after run 0 */
        unsigned last = (t->n < MAX_HITS ? t->n : MAX_HITS) - 1;
        int64_t drift = t->at[last] - t->at[0] - (int64_t)last * 1000;
        printf("# series %u: %u runs, drift %lld ms\n", k, t->n, (long long)drift);
        assert_timing(drift > -100 && drift < 100);
    }
    mon_free(h);
}

struct reconcile_wait {
    const struct snapbuf *s;
    const struct harness *h;
    unsigned accepts0;
};

static bool
a_online_hang_busy(void *arg)
{
    const struct reconcile_wait *r = arg;
    return slot(r->s, 0) == EPS_ONLINE && slot(r->s, 1) == EPS_ONLINE &&
           r->h->hang.accepts.n > r->accepts0 && r->h->hang.live > 0;
}

static bool
no_hang_conns(void *arg)
{
    const struct harness *h = arg;
    return h->hang.live == 0;
}

/* Reload: kept keys keep state and schedule, new ones start checking,
 * removed ones stop (even in flight), the old slots are left alone. */
static void
test_reconcile(void **state)
{
    struct harness *h = *state;
    struct snapbuf *a = snap_new(h), *b = snap_new(h), *c = snap_new(h);
    run_until(h, NULL, NULL, 100); /* servers see the last test's probes go */
    int fds0 = count_fds();
    memset(h->k, 0, sizeof h->k);
    snap_add(a, PROBE_HTTP, "127.0.0.1", h->http_port, "/k/1", 3, "a/one");
    snap_add(a, PROBE_HTTP, "127.0.0.1", h->http_port, "/k/2", 3, "a/two");
    snap_add(a, PROBE_HTTP, "127.0.0.1", h->hang.port, "/", 3, "a/hang");

    struct monitor *m = mon_new(h);
    monitor_reconcile(m, &a->snap);
    struct reconcile_wait rw = {a, h, h->hang.accepts.n};
    assert_true(run_until(h, a_online_hang_busy, &rw, 2500) >= 0);
    uint64_t ok_before = monitor_info(m, 0)->probes_ok;
    int64_t change_before = monitor_info(m, 0)->last_change_ms;

    /* b: a new probe first, then a/one under another label; a/two and the
     * hang (in flight) are gone */
    snap_add(b, PROBE_HTTP, "127.0.0.1", h->http_port, "/k/3", 3, "b/three");
    struct probe_spec *p = snap_add(b, PROBE_HTTP, "127.0.0.1", h->http_port, "/k/1", 3, "b/one");
    p->key = "a/one";
    monitor_reconcile(m, &b->snap);
    assert_int_equal(slot(b, 0), EPS_CHECKING);
    assert_int_equal(slot(b, 1), EPS_ONLINE);
    assert_int_equal(monitor_info(m, 0)->state, EPS_CHECKING);
    assert_int_equal(monitor_info(m, 0)->probes_ok, 0);
    assert_int_equal(monitor_info(m, 1)->state, EPS_ONLINE);
    assert_int_equal(monitor_info(m, 1)->probes_ok, ok_before);
    assert_int_equal(monitor_info(m, 1)->last_change_ms, change_before);
    assert_null(monitor_info(m, 2));

    /* the old snapshot is no longer written */
    atomic_store(&a->health[0].status, EPS_STOPPED);
    atomic_store(&a->health[1].status, EPS_STOPPED);
    unsigned two_hits = h->k[2].n;
    struct one three = {b, 0, EPS_ONLINE};
    assert_true(run_until(h, one_is, &three, 1500) >= 0);
    assert_true(run_until(h, no_hang_conns, h, 1000) >= 0); /* the hang was abandoned */
    run_until(h, NULL, NULL, 2200);
    assert_int_equal(h->k[2].n, two_hits);
    assert_int_equal(slot(a, 0), EPS_STOPPED);
    assert_int_equal(slot(a, 1), EPS_STOPPED);
    assert_int_equal(slot(b, 1), EPS_ONLINE);
    assert_result(monitor_info(m, 1), EPS_ONLINE, "HTTP 200");
    assert_true(monitor_info(m, 1)->probes_ok > ok_before);

    /* the kept probe stayed on its schedule across the reload */
    struct hits *t = &h->k[1];
    assert_true(t->n >= 3);
    check_cadence(t, "kept probe");

    /* nothing left: no probes at all */
    monitor_reconcile(m, &c->snap);
    assert_null(monitor_info(m, 0));
    unsigned one_hits = h->k[1].n, three_hits = h->k[3].n;
    run_until(h, NULL, NULL, 1200);
    assert_int_equal(h->k[1].n, one_hits);
    assert_int_equal(h->k[3].n, three_hits);
    mon_free(h);
    run_until(h, NULL, NULL, 100);
    assert_int_equal(count_fds(), fds0); /* every probe socket closed */
}

static void
stall_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    usleep(600 * 1000); /* the loop falls behind across a tick */
}

static bool
accepts_at_least(void *arg)
{
    const struct harness *h = arg;
    return h->hang.accepts.n >= 3;
}

/* A loop stall makes a run start late. With a timeout as long as the
 * interval, the next tick still ends that run (a timeout) and starts the next
 * on schedule: a stall of ours never costs the endpoint a round. */
static void
test_late_run_keeps_schedule(void **state)
{
    struct harness *h = *state;
    struct snapbuf *s = snap_new(h);
    snap_add(s, PROBE_HTTP, "127.0.0.1", h->hang.port, "/", 5, "skip/hang");
    memset(&h->hang.accepts, 0, sizeof h->hang.accepts);
    struct monitor *m = mon_new(h);
    monitor_reconcile(m, &s->snap);
    /* the first run, then a stall from 300 ms before the second tick */
    while (h->hang.accepts.n == 0)
        event_base_loop(h->base, EVLOOP_ONCE);
    struct event *stall = evtimer_new(h->base, stall_cb, NULL);
    struct timeval at = {0, 700 * 1000};
    event_add(stall, &at);
    assert_true(run_until(h, accepts_at_least, h, 4500) >= 0);
    event_free(stall);
    int64_t d1 = h->hang.accepts.at[1] - h->hang.accepts.at[0];
    int64_t d2 = h->hang.accepts.at[2] - h->hang.accepts.at[1];
    printf("# runs at +0, +%lld, +%lld ms (the tick at +2000 kept)\n", (long long)d1,
           (long long)(d1 + d2));
    assert_timing(d1 >= 1200 && d1 <= 1450);           /* the late start */
    assert_timing(d1 + d2 >= 1900 && d1 + d2 <= 2150); /* on schedule, no tick lost */
    assert_result(monitor_info(m, 0), EPS_CHECKING, "timeout after 1000 ms");
    assert_timing(monitor_info(m, 0)->probes_failed == 2);
    mon_free(h);
}

struct spread_wait {
    const struct harness *h;
    unsigned n;
};

static bool
all_hit(void *arg)
{
    const struct spread_wait *sw = arg;
    for (unsigned i = 0; i < sw->n; i++)
        if (sw->h->k[i].n == 0)
            return false;
    return true;
}

/* New probes spread their first runs over the interval. */
static void
test_spread(void **state)
{
    struct harness *h = *state;
    struct snapbuf *s = snap_new(h);
    static const char *const labels[] = {"s/0", "s/1", "s/2", "s/3", "s/4",  "s/5",
                                         "s/6", "s/7", "s/8", "s/9", "s/10", "s/11"};
    static const char *const paths[] = {"/k/0", "/k/1", "/k/2", "/k/3", "/k/4",  "/k/5",
                                        "/k/6", "/k/7", "/k/8", "/k/9", "/k/10", "/k/11"};
    const unsigned n = 12;
    memset(h->k, 0, sizeof h->k);
    for (unsigned i = 0; i < n; i++)
        snap_add(s, PROBE_HTTP, "127.0.0.1", h->http_port, paths[i], 3, labels[i]);
    struct monitor *m = mon_new(h);
    int64_t t0 = clock_mono_ms();
    monitor_reconcile(m, &s->snap);
    struct spread_wait sw = {h, n};
    assert_true(run_until(h, all_hit, &sw, 1500) >= 0);
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (unsigned i = 0; i < n; i++) {
        lo = h->k[i].at[0] < lo ? h->k[i].at[0] : lo;
        hi = h->k[i].at[0] > hi ? h->k[i].at[0] : hi;
    }
    printf("# first runs of %u probes between +%lld and +%lld ms\n", n, (long long)(lo - t0),
           (long long)(hi - t0));
    assert_timing(hi - t0 < 1100);
    assert_timing(hi - lo > 300);
    mon_free(h);
}

/* ---- fixture ---- */

static int
setup(void **state)
{
    struct harness *h = calloc(1, sizeof *h);
    h->base = event_base_new();
    h->http = http_start(h, "127.0.0.1", &h->http_port);
    assert_non_null(h->http);
    h->http6 = http_start(h, "::1", &h->http6_port);
    h->ssl = ssl_ctx_selfsigned();
    if (h->ssl) {
        h->https = http_start(h, "127.0.0.1", &h->https_port);
        evhttp_set_bevcb(h->https, https_bevcb, h->ssl);
    }
    raw_start(h, &h->hang, RAW_HANG);
    raw_start(h, &h->endless, RAW_ENDLESS);
    raw_start(h, &h->garbage, RAW_GARBAGE);
    h->closed_port = closed_port();
    *state = h;
    return 0;
}

/* ---- the seams: a clock the test steps and results it hands in ---- */

static int64_t seam_now;
static unsigned seam_started[MAXP]; /* runs begun, by probe index */

static int64_t
seam_clock(void *arg)
{
    (void)arg;
    return seam_now;
}

/* The seam start: counts the run and leaves it in flight; the test hands
 * its result in with monitor_result (or lets it time out). */
static void
seam_start(void *arg, uint32_t idx, const char *label)
{
    (void)arg;
    assert_non_null(label);
    assert_in_range(idx, 0, MAXP - 1);
    seam_started[idx]++;
}

struct seen {
    unsigned n;
    int64_t at[8];
    uint8_t to[8];
};

static void
seam_listener(void *arg, const struct monitor_event *ev)
{
    struct seen *s = arg;
    if (s->n < 8) {
        s->at[s->n] = ev->tr->at_ms;
        s->to[s->n++] = ev->tr->to;
    }
}

/* seam_step: ms pass on the seam clock, 10 ms at a time. */
static void
seam_step(struct monitor *m, int64_t ms)
{
    for (int64_t end = seam_now + ms; seam_now < end;) {
        seam_now += 10;
        monitor_run_due(m);
    }
}

/* With a clock of its own the monitor arms no timer: its ticks run in
 * monitor_run_due, once per interval, and every time it records (results,
 * transitions) is read from that clock. Results handed in go through the
 * same state machine, drill override and reload as curl's. */
static void
test_seams(void **state)
{
    struct harness *h = *state;
    struct snapbuf *a = snap_new(h), *b = snap_new(h);
    snap_add(a, PROBE_HTTP, "192.0.2.1", 80, "/", 2, "s/one");
    snap_add(a, PROBE_HTTP, "192.0.2.2", 80, "/", 2, "s/two");
    static const struct monitor_seams seams = {
        .now_ms = seam_clock, .start = seam_start, .seed = 7};
    memset(seam_started, 0, sizeof seam_started);
    seam_now = 5000000;
    h->m = monitor_new_seams(h->base, &seams);
    struct monitor *m = h->m;
    struct seen seen = {0};
    assert_int_equal(monitor_listen(m, seam_listener, &seen), 0);
    monitor_reconcile(m, &a->snap);

    /* no timer: the loop itself runs nothing */
    run_until(h, NULL, NULL, 50);
    assert_int_equal(seam_started[0] + seam_started[1], 0);

    /* the first interval: one run each; results handed in */
    seam_step(m, 1000);
    assert_int_equal(seam_started[0], 1);
    assert_int_equal(seam_started[1], 1);
    assert_int_equal(monitor_result(m, 0, true, "HTTP 200", 700), 0);
    assert_int_equal(monitor_result(m, 1, false, "HTTP 503", 900), 0);
    assert_int_equal(monitor_result(m, 1, false, "HTTP 503", 900), GTM_EINVAL); /* not in flight */
    assert_result(monitor_info(m, 0), EPS_ONLINE, "HTTP 200");
    assert_int_equal(monitor_info(m, 0)->last_probe_ms, seam_now);
    assert_int_equal(monitor_info(m, 0)->last_rtt_us, 700);
    assert_int_equal(atomic_load(&a->health[0].rtt_us), 700);
    assert_int_equal(slot(a, 0), EPS_ONLINE);
    assert_int_equal(slot(a, 1), EPS_CHECKING);
    assert_int_equal(seen.n, 1);
    assert_int_equal(seen.at[0], seam_now);

    /* the second: two failures in a row make s/two Degraded; s/one's run
     * gets no answer */
    seam_step(m, 1000);
    assert_int_equal(seam_started[1], 2);
    assert_int_equal(monitor_result(m, 1, false, "HTTP 503", 900), 0);
    assert_int_equal(slot(a, 1), EPS_DEGRADED);
    assert_int_equal(monitor_info(m, 1)->fails, 2);
    assert_int_equal(seen.n, 2);
    assert_int_equal(seen.to[1], EPS_DEGRADED);

    /* the third: s/one's tick ends its unanswered run (timeout = interval) */
    seam_step(m, 1000);
    assert_int_equal(seam_started[0], 3);
    assert_int_equal(monitor_info(m, 0)->fails, 1);
    assert_string_equal(monitor_info(m, 0)->last_result, "timeout after 1000 ms");
    assert_int_equal(slot(a, 0), EPS_ONLINE);

    /* a drill override holds s/two Online whatever its results say */
    assert_int_equal(monitor_force(m, 1, EPS_ONLINE), 0);
    assert_int_equal(slot(a, 1), EPS_ONLINE);
    assert_int_equal(monitor_result(m, 1, false, "HTTP 503", 900), 0);
    assert_int_equal(slot(a, 1), EPS_ONLINE);
    assert_int_equal(monitor_info(m, 1)->probed, EPS_DEGRADED);

    /* reload: s/one kept (state and in-flight run), s/two gone, s/three new */
    snap_add(b, PROBE_HTTP, "192.0.2.3", 80, "/", 2, "s/three");
    snap_add(b, PROBE_HTTP, "192.0.2.1", 80, "/", 2, "s/one");
    monitor_reconcile(m, &b->snap);
    assert_int_equal(slot(b, 0), EPS_CHECKING);
    assert_int_equal(slot(b, 1), EPS_ONLINE);
    assert_int_equal(monitor_result(m, 0, true, "HTTP 200", 1), GTM_EINVAL); /* new: idle */
    assert_int_equal(monitor_result(m, 1, true, "HTTP 200", 800), 0);
    assert_int_equal(monitor_result(m, 2, true, "HTTP 200", 1), GTM_EINVAL); /* gone */
    assert_int_equal(monitor_info(m, 1)->fails, 0);
    memset(seam_started, 0, sizeof seam_started);
    seam_step(m, 1000);
    assert_int_equal(seam_started[0], 1);
    assert_int_equal(seam_started[1], 1);
    assert_int_equal(seam_started[2], 0);
}

/* ---- fleet mode: the published state is what the fleet decides ---- */

struct fake_fleet {
    uint8_t others; /* the other nodes' one verdict (EPS_CHECKING: none) */
    unsigned own_calls, gone_calls;
    unsigned own_watched; /* own calls for the key watched */
    const char *watched;
    uint8_t last_own;
    char last_key[128];
};

static void
fleet_own(void *arg, const char *key, const struct probe_info *info, bool gone)
{
    struct fake_fleet *f = arg;
    snprintf(f->last_key, sizeof f->last_key, "%s", key);
    if (gone) {
        assert_null(info);
        f->gone_calls++;
        return;
    }
    f->own_calls++;
    if (f->watched && strcmp(key, f->watched) == 0)
        f->own_watched++;
    f->last_own = info->probed;
}

/* Two voters, this node and "the others": Degraded only when both say so. */
static uint8_t
fleet_verdict(void *arg, const char *key, uint8_t own, char *why, size_t whylen)
{
    struct fake_fleet *f = arg;
    (void)key;
    if (why)
        snprintf(why, whylen, "fake fleet");
    if (own == EPS_CHECKING && f->others == EPS_CHECKING)
        return EPS_CHECKING;
    return own == EPS_DEGRADED && f->others == EPS_DEGRADED ? EPS_DEGRADED : EPS_ONLINE;
}

static void
test_fleet_seam(void **state)
{
    struct harness *h = *state;
    struct snapbuf *a = snap_new(h), *b = snap_new(h);
    snap_add(a, PROBE_HTTP, "192.0.2.1", 80, "/", 1, "f/one");
    snap_add(a, PROBE_HTTP, "192.0.2.2", 80, "/", 1, "f/two");
    static const struct monitor_seams seams = {
        .now_ms = seam_clock, .start = seam_start, .seed = 7};
    memset(seam_started, 0, sizeof seam_started);
    seam_now = 7000000;
    h->m = monitor_new_seams(h->base, &seams);
    struct monitor *m = h->m;
    struct seen seen = {0};
    assert_int_equal(monitor_listen(m, seam_listener, &seen), 0);
    struct fake_fleet ff = {.others = EPS_CHECKING};
    struct monitor_fleet mf = {.own = fleet_own, .verdict = fleet_verdict, .arg = &ff};
    monitor_set_fleet(m, &mf);
    monitor_reconcile(m, &a->snap);
    assert_int_equal(monitor_count(m), 2);
    assert_int_equal(monitor_find(m, monitor_key(m, 1)), 1);
    assert_int_equal(monitor_find(m, "no such probe"), -1);
    assert_null(monitor_key(m, 2));

    /* this node sees f/one fail: it says so, but alone it is no quorum */
    ff.watched = monitor_key(m, 0);
    seam_step(m, 1000);
    assert_int_equal(monitor_result(m, 0, false, "HTTP 503", 900), 0);
    assert_int_equal(ff.own_calls, 1);
    assert_int_equal(ff.last_own, EPS_DEGRADED);
    assert_string_equal(ff.last_key, monitor_key(m, 0));
    assert_int_equal(monitor_info(m, 0)->probed, EPS_DEGRADED);
    assert_int_equal(slot(a, 0), EPS_ONLINE);
    assert_int_equal(seen.n, 1); /* CheckingEndpoint -> Online, by the fleet */
    assert_int_equal(seen.to[0], EPS_ONLINE);
    assert_int_equal(monitor_result(m, 1, true, "HTTP 200", 500), 0); /* f/two is up here */
    assert_int_equal(ff.own_calls, 2);
    assert_int_equal(seen.n, 2);
    /* a result that changes nothing here is not published again */
    seam_step(m, 1000);
    assert_int_equal(monitor_result(m, 0, false, "HTTP 503", 900), 0);
    assert_int_equal(ff.own_watched, 1);

    /* the others' verdict changes: one lookup decides it again */
    ff.others = EPS_DEGRADED;
    assert_int_equal(monitor_fleet_changed(m, monitor_key(m, 0)), 0);
    assert_int_equal(slot(a, 0), EPS_DEGRADED);
    assert_int_equal(seen.n, 3);
    assert_int_equal(seen.to[2], EPS_DEGRADED);
    assert_int_equal(monitor_fleet_changed(m, "no such probe"), GTM_ENOENT);
    /* f/two is up here, the others say Degraded: no quorum */
    assert_int_equal(monitor_fleet_changed(m, monitor_key(m, 1)), 0);
    assert_int_equal(slot(a, 1), EPS_ONLINE);

    /* a drill override wins over the fleet, and clears back to it */
    assert_int_equal(monitor_force(m, 0, EPS_ONLINE), 0);
    assert_int_equal(slot(a, 0), EPS_ONLINE);
    assert_int_equal(monitor_force(m, 0, MONITOR_UNFORCE), 0);
    assert_int_equal(slot(a, 0), EPS_DEGRADED);

    /* a probe that goes away is said gone; a new one is decided at once */
    ff.others = EPS_ONLINE;
    snap_add(b, PROBE_HTTP, "192.0.2.1", 80, "/", 1, "f/one");
    snap_add(b, PROBE_HTTP, "192.0.2.3", 80, "/", 1, "f/three");
    monitor_reconcile(m, &b->snap);
    assert_int_equal(ff.gone_calls, 1);
    assert_int_equal(slot(b, 1), EPS_ONLINE);   /* the others have judged it */
    assert_int_equal(slot(b, 0), EPS_DEGRADED); /* kept: its last decision */
    /* fleet mode off: each probe publishes its own state again */
    monitor_set_fleet(m, NULL);
    assert_int_equal(slot(b, 0), EPS_DEGRADED);
    assert_int_equal(slot(b, 1), EPS_CHECKING);
}

/* After each test, even a failed one: no monitor left running. */
static int
test_teardown(void **state)
{
    struct harness *h = *state;
    mon_free(h);
    for (unsigned i = 0; i < h->nbufs; i++)
        free(h->bufs[i]);
    h->nbufs = 0;
    run_until(h, NULL, NULL, 100); /* the servers see the probes go */
    return 0;
}

static int
teardown(void **state)
{
    struct harness *h = *state;
    while (h->conns)
        conn_free(h->conns);
    evconnlistener_free(h->hang.l);
    evconnlistener_free(h->endless.l);
    evconnlistener_free(h->garbage.l);
    evhttp_free(h->http);
    if (h->http6)
        evhttp_free(h->http6);
    if (h->https)
        evhttp_free(h->https);
    SSL_CTX_free(h->ssl);
    event_base_free(h->base);
    free(h);
    return 0;
}

/* --max-probes-in-flight: runs due while the budget is spent are skipped,
 * counted, and moved to another time of their interval, so a bunch that
 * cannot run at once spreads out; every probe still runs, and the runs
 * under way keep their schedule. */
static void
test_budget(void **state)
{
    struct harness *h = *state;
    struct snapbuf *a = snap_new(h);
    char labels[6][16];
    for (unsigned i = 0; i < 6; i++) {
        snprintf(labels[i], sizeof labels[i], "b/%u", i);
        snap_add(a, PROBE_HTTP, "192.0.2.1", 80, "/", 3, labels[i]);
    }
    static const struct monitor_seams seams = {
        .now_ms = seam_clock, .start = seam_start, .seed = 11};
    memset(seam_started, 0, sizeof seam_started);
    seam_now = 7000000;
    h->m = monitor_new_seams(h->base, &seams);
    struct monitor *m = h->m;
    assert_true(monitor_max_in_flight(m) >= 16); /* the default: half the open files */
    monitor_set_max_in_flight(m, 2);
    assert_int_equal(monitor_max_in_flight(m), 2);
    monitor_reconcile(m, &a->snap);

    /* all six first runs come due within the first interval; none is
     * answered, so the third and later find the budget spent */
    seam_now += 1000;
    monitor_run_due(m);
    struct monitor_counts c;
    monitor_counts(m, &c);
    unsigned started = 0;
    for (unsigned i = 0; i < 6; i++)
        started += seam_started[i];
    assert_int_equal(started, 2);
    assert_int_equal(c.in_flight, 2);
    assert_int_equal(c.skipped, 4);

    /* answered at once from now on: within one more interval each skipped
     * probe runs at its new time, and every probe has a result */
    for (unsigned step = 0; step < 150; step++) {
        for (unsigned i = 0; i < 6; i++)
            (void)monitor_result(m, i, true, "HTTP 200", 100);
        seam_now += 10;
        monitor_run_due(m);
    }
    for (unsigned i = 0; i < 6; i++)
        (void)monitor_result(m, i, true, "HTTP 200", 100);
    for (unsigned i = 0; i < 6; i++) {
        assert_true(seam_started[i] >= 1);
        assert_int_equal(monitor_info(m, i)->state, EPS_ONLINE);
    }
    monitor_counts(m, &c);
    assert_int_equal(c.in_flight, 0);
    assert_true(c.skipped >= 4);
    /* a run keeps its schedule: the two that ran first ran again a whole
     * interval later, not moved */
    unsigned twice = 0;
    for (unsigned i = 0; i < 6; i++)
        twice += seam_started[i] >= 2;
    assert_true(twice >= 2);
}

int
main(void)
{
    const char *lvl = getenv("GTM_TEST_LOG");
    log_set_level(lvl && log_parse_level(lvl) >= 0 ? (enum log_level)log_parse_level(lvl)
                                                   : LOG_LEVEL_INFO);
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
    slow = RUNNING_ON_VALGRIND;
#endif
#endif
    if (getenv("GTM_TEST_SLOW"))
        slow = true;
    signal(SIGPIPE, SIG_IGN); /* as gtmd does: a server writing to a gone probe */
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_kinds, test_teardown),
        cmocka_unit_test_teardown(test_flip_timing, test_teardown),
        cmocka_unit_test_teardown(test_reconcile, test_teardown),
        cmocka_unit_test_teardown(test_spread, test_teardown),
        cmocka_unit_test_teardown(test_late_run_keeps_schedule, test_teardown),
        cmocka_unit_test_teardown(test_seams, test_teardown),
        cmocka_unit_test_teardown(test_fleet_seam, test_teardown),
        cmocka_unit_test_teardown(test_budget, test_teardown),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    curl_global_cleanup();
    return rc;
}
