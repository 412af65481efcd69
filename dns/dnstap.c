/* dnstap.c: the query log (--dnstap): encoding with protobuf-c (the code
 * protoc-c makes from dns/dnstap.proto) and writing with libfstrm's I/O
 * thread. See dnstap.h. */
#include "config.h"
#include "dns/dnstap.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <time.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "gtm/alloc.h"
#include "gtm/compiler.h"
#include "gtm/err.h"
#include "gtm/log.h"

#ifdef HAVE_DNSTAP
#include <fstrm.h>
#include <protobuf-c/protobuf-c.h>

#include "dns/dnstap.pb-c.h"

#define DNSTAP_CONTENT_TYPE "protobuf:dnstap.Dnstap"
/* Messages each thread's queue holds (a power of 2): a burst the I/O
 * thread has not written yet; beyond it, messages are dropped. */
#define DNSTAP_QUEUE 1024

struct dnstap {
    struct fstrm_iothr *iothr;
    char *identity, *version;
    bool queries, responses;
};

bool
dnstap_available(void)
{
    return true;
}

/* "unix:PATH", or a path that is a socket now: the socket's path; else NULL. */
static const char *
socket_path(const char *target)
{
    if (strncmp(target, "unix:", 5) == 0)
        return target + 5;
    struct stat st;
    if (stat(target, &st) == 0 && S_ISSOCK(st.st_mode))
        return target;
    return NULL;
}

static struct fstrm_writer *
writer_new(const char *target)
{
    struct fstrm_writer_options *wopt = fstrm_writer_options_init();
    struct fstrm_writer *w = NULL;
    if (!wopt)
        return NULL;
    fstrm_writer_options_add_content_type(wopt, DNSTAP_CONTENT_TYPE,
                                          sizeof DNSTAP_CONTENT_TYPE - 1);
    const char *sock = socket_path(target);
    if (sock) {
        struct fstrm_unix_writer_options *uopt = fstrm_unix_writer_options_init();
        if (uopt) {
            fstrm_unix_writer_options_set_socket_path(uopt, sock);
            w = fstrm_unix_writer_init(uopt, wopt);
            fstrm_unix_writer_options_destroy(&uopt);
        }
    } else {
        struct fstrm_file_options *fopt = fstrm_file_options_init();
        if (fopt) {
            fstrm_file_options_set_file_path(fopt, target);
            w = fstrm_file_writer_init(fopt, wopt);
            fstrm_file_options_destroy(&fopt);
        }
    }
    fstrm_writer_options_destroy(&wopt);
    return w;
}

int
dnstap_open(const char *target, const char *identity, const char *version, unsigned nqueues,
            bool queries, bool responses, struct dnstap **out)
{
    *out = NULL;
    const char *sock = socket_path(target);
    if (sock) {
        struct sockaddr_un un;
        if (strlen(sock) >= sizeof un.sun_path) {
            log_err("dnstap: socket path '%s' is too long", sock);
            return GTM_EIO;
        }
    } else {
        /* fstrm's file writer would retry a file it cannot open, silently,
         * forever: say so now instead. */
        int fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0640);
        if (fd < 0) {
            log_err("dnstap: cannot write %s: %s", target, strerror(errno));
            return GTM_EIO;
        }
        close(fd);
    }
    struct fstrm_writer *w = writer_new(target);
    struct fstrm_iothr_options *iopt = fstrm_iothr_options_init();
    struct fstrm_iothr *iothr = NULL;
    if (w && iopt && nqueues &&
        fstrm_iothr_options_set_num_input_queues(iopt, nqueues) == fstrm_res_success &&
        fstrm_iothr_options_set_input_queue_size(iopt, DNSTAP_QUEUE) == fstrm_res_success &&
        fstrm_iothr_options_set_queue_model(iopt, FSTRM_IOTHR_QUEUE_MODEL_SPSC) ==
            fstrm_res_success)
        iothr = fstrm_iothr_init(iopt, &w); /* takes w */
    if (iopt)
        fstrm_iothr_options_destroy(&iopt);
    if (w)
        fstrm_writer_destroy(&w);
    if (!iothr) {
        log_err("dnstap: cannot start the writer to %s", target);
        return GTM_EIO;
    }
    struct dnstap *d = xcalloc(1, sizeof *d);
    d->iothr = iothr;
    d->identity = identity ? xstrdup(identity) : NULL;
    d->version = version ? xstrdup(version) : NULL;
    d->queries = queries;
    d->responses = responses;
    log_info("dnstap: logging %s%s%s to %s %s", queries ? "queries" : "",
             queries && responses ? " and " : "", responses ? "responses" : "",
             sock ? "the unix socket" : "the file", sock ? sock : target);
    *out = d;
    return 0;
}

int
dnstap_tap_init(struct dnstap_tap *t, struct dnstap *d)
{
    t->d = NULL;
    t->q = NULL;
    if (!d)
        return 0;
    t->q = fstrm_iothr_get_input_queue(d->iothr);
    if (!t->q)
        return GTM_EIO;
    t->d = d;
    return 0;
}

/* The closing of the writer, on a thread of its own: libfstrm's unix
 * writer reads its reader's FINISH with no timeout, so a reader that is
 * stopped or does not speak Frame Streams would hold gtmd's shutdown. */
struct closing {
    struct fstrm_iothr *iothr;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done, abandoned;
};

static void *
close_main(void *arg)
{
    struct closing *c = arg;
    fstrm_iothr_destroy(&c->iothr);
    pthread_mutex_lock(&c->mu);
    c->done = true;
    bool abandoned = c->abandoned;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
    if (abandoned) { /* the waiter gave up and left it to us */
        pthread_mutex_destroy(&c->mu);
        pthread_cond_destroy(&c->cv);
        free(c);
    }
    return NULL;
}

#define DNSTAP_CLOSE_WAIT 3 /* seconds */

void
dnstap_close(struct dnstap *d)
{
    if (!d)
        return;
    struct closing *c = xcalloc(1, sizeof *c);
    c->iothr = d->iothr;
    pthread_mutex_init(&c->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&c->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_t t;
    if (pthread_create(&t, NULL, close_main, c) != 0) {
        fstrm_iothr_destroy(&c->iothr); /* no thread: wait as before */
        c->done = true;
    } else {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += DNSTAP_CLOSE_WAIT;
        pthread_mutex_lock(&c->mu);
        while (!c->done && pthread_cond_timedwait(&c->cv, &c->mu, &until) == 0)
            ;
        bool done = c->done;
        if (!done)
            c->abandoned = true;
        pthread_mutex_unlock(&c->mu);
        if (done) {
            pthread_join(t, NULL);
        } else {
            pthread_detach(t);
            log_warn("dnstap: the reader did not finish the stream within %d s; gtmd stops "
                     "without it (what was queued may be lost)",
                     DNSTAP_CLOSE_WAIT);
            c = NULL; /* the closing thread frees it */
        }
    }
    if (c) {
        pthread_mutex_destroy(&c->mu);
        pthread_cond_destroy(&c->cv);
        free(c);
    }
    free(d->identity);
    free(d->version);
    free(d);
}

static void
set_bytes(ProtobufCBinaryData *f, protobuf_c_boolean *has, const void *p, size_t n)
{
    f->data = (uint8_t *)(uintptr_t)p;
    f->len = n;
    *has = 1;
}

/* The address and port of sa, when it is IPv4 or IPv6 (a wildcard address:
 * the port only). Returns its family, or 0. */
static int
addr_of(const struct sockaddr *sa, const uint8_t **addr, size_t *alen, uint32_t *port)
{
    static const uint8_t any6[16];
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)sa;
        *addr = (const uint8_t *)&sin->sin_addr;
        *alen = sin->sin_addr.s_addr == htonl(INADDR_ANY) ? 0 : 4;
        *port = ntohs(sin->sin_port);
        return AF_INET;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)(const void *)sa;
        *addr = sin6->sin6_addr.s6_addr;
        *alen = memcmp(*addr, any6, 16) == 0 ? 0 : 16;
        *port = ntohs(sin6->sin6_port);
        return AF_INET6;
    }
    return 0;
}

uint8_t *
dnstap_encode(const char *identity, const char *version, const struct dnstap_msg *m, size_t *len)
{
    Dnstap__Dnstap dt = DNSTAP__DNSTAP__INIT;
    Dnstap__Message msg = DNSTAP__MESSAGE__INIT;
    dt.type = DNSTAP__DNSTAP__TYPE__MESSAGE;
    dt.message = &msg;
    if (identity)
        set_bytes(&dt.identity, &dt.has_identity, identity, strlen(identity));
    if (version)
        set_bytes(&dt.version, &dt.has_version, version, strlen(version));

    msg.type = m->type == DNSTAP_AUTH_QUERY ? DNSTAP__MESSAGE__TYPE__AUTH_QUERY
                                            : DNSTAP__MESSAGE__TYPE__AUTH_RESPONSE;
    msg.has_socket_protocol = 1;
    msg.socket_protocol =
        m->proto == DNS_PROTO_TCP ? DNSTAP__SOCKET_PROTOCOL__TCP : DNSTAP__SOCKET_PROTOCOL__UDP;
    const uint8_t *a;
    size_t alen;
    uint32_t port;
    int family = m->client ? addr_of(m->client, &a, &alen, &port) : 0;
    if (family) {
        msg.has_socket_family = 1;
        msg.socket_family =
            family == AF_INET ? DNSTAP__SOCKET_FAMILY__INET : DNSTAP__SOCKET_FAMILY__INET6;
        if (alen)
            set_bytes(&msg.query_address, &msg.has_query_address, a, alen);
        msg.has_query_port = 1;
        msg.query_port = port;
    }
    if (m->local && addr_of(m->local, &a, &alen, &port) == family && family) {
        if (alen)
            set_bytes(&msg.response_address, &msg.has_response_address, a, alen);
        msg.has_response_port = 1;
        msg.response_port = port;
    }
    msg.has_query_time_sec = msg.has_query_time_nsec = 1;
    msg.query_time_sec = (uint64_t)m->qtime.tv_sec;
    msg.query_time_nsec = (uint32_t)m->qtime.tv_nsec;
    if (m->type == DNSTAP_AUTH_QUERY) {
        set_bytes(&msg.query_message, &msg.has_query_message, m->wire, m->len);
    } else {
        msg.has_response_time_sec = msg.has_response_time_nsec = 1;
        msg.response_time_sec = (uint64_t)m->rtime.tv_sec;
        msg.response_time_nsec = (uint32_t)m->rtime.tv_nsec;
        set_bytes(&msg.response_message, &msg.has_response_message, m->wire, m->len);
    }

    size_t n = dnstap__dnstap__get_packed_size(&dt);
    uint8_t *buf = malloc(n);
    if (!buf)
        return NULL;
    *len = dnstap__dnstap__pack(&dt, buf);
    return buf;
}

/* Queues one message; a full queue drops it. */
static void
submit(struct dnstap_tap *t, const struct dnstap_msg *m)
{
    size_t len;
    uint8_t *buf = dnstap_encode(t->d->identity, t->d->version, m, &len);
    if (buf && fstrm_iothr_submit(t->d->iothr, t->q, buf, len, fstrm_free_wrapper, NULL) ==
                   fstrm_res_success) {
        atomic_store_explicit(&t->sent, atomic_load_explicit(&t->sent, memory_order_relaxed) + 1,
                              memory_order_relaxed);
        return;
    }
    free(buf); /* not taken: the queue is full (or no memory) */
    atomic_store_explicit(&t->dropped, atomic_load_explicit(&t->dropped, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

void
dnstap_log(struct dnstap_tap *t, enum dns_proto proto, const struct sockaddr *client,
           const struct sockaddr *local, const struct timespec *qtime, const uint8_t *q,
           size_t qlen, const uint8_t *r, size_t rlen)
{
    struct dnstap_msg m = {.proto = proto, .client = client, .local = local, .qtime = *qtime};
    if (t->d->queries) {
        m.type = DNSTAP_AUTH_QUERY;
        m.wire = q;
        m.len = qlen;
        submit(t, &m);
    }
    if (t->d->responses && rlen) {
        m.type = DNSTAP_AUTH_RESPONSE;
        clock_gettime(CLOCK_REALTIME, &m.rtime);
        m.wire = r;
        m.len = rlen;
        submit(t, &m);
    }
}

#else /* !HAVE_DNSTAP: --dnstap is refused when the options are read */

bool
dnstap_available(void)
{
    return false;
}

int
dnstap_open(const char *target, const char *identity, const char *version, unsigned nqueues,
            bool queries, bool responses, struct dnstap **out)
{
    (void)target, (void)identity, (void)version, (void)nqueues, (void)queries, (void)responses;
    *out = NULL;
    log_err("dnstap: gtmd was built without dnstap (libfstrm, libprotobuf-c)");
    return GTM_EIO;
}

int
dnstap_tap_init(struct dnstap_tap *t, struct dnstap *d)
{
    t->d = NULL;
    t->q = NULL;
    return d ? GTM_EIO : 0;
}

void
dnstap_close(struct dnstap *d)
{
    (void)d;
}

void
dnstap_log(struct dnstap_tap *t, enum dns_proto proto, const struct sockaddr *client,
           const struct sockaddr *local, const struct timespec *qtime, const uint8_t *q,
           size_t qlen, const uint8_t *r, size_t rlen)
{
    (void)t, (void)proto, (void)client, (void)local, (void)qtime, (void)q, (void)qlen, (void)r,
        (void)rlen;
}

uint8_t *
dnstap_encode(const char *identity, const char *version, const struct dnstap_msg *m, size_t *len)
{
    (void)identity, (void)version, (void)m;
    *len = 0;
    return NULL;
}

#endif
