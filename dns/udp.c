/* udp.c: UDP I/O only: a thread per socket blocks in recvmmsg for a batch,
 * answers each query, and sends the answers with sendmmsg. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "dns/answer.h"
#include "dns/worker.h"
#include "gtm/log.h"

/* glibc's recvmmsg and sendmmsg are cancellation points: each call pays
 * about 50 instructions to switch asynchronous cancellation on and off
 * (glibc 2.36), as much as parsing a query. These threads are never
 * cancelled (they stop on a flag and shutdown()), so they call the kernel
 * directly. Same arguments, results and errno. */
static inline int
sys_recvmmsg(int fd, struct mmsghdr *v, unsigned n, int flags)
{
    return (int)syscall(SYS_recvmmsg, fd, v, n, flags, NULL);
}

static inline int
sys_sendmmsg(int fd, struct mmsghdr *v, unsigned n, int flags)
{
    return (int)syscall(SYS_sendmmsg, fd, v, n, flags);
}

/* Response rate limiting (--rrl): the answer just made to view's query
 * goes out (len), goes out truncated (a slip: its new length) or is dropped
 * (0). TCP never comes here. */
static inline size_t
rate_limited(struct dns_rrl *rrl, const struct dns_view *v, uint8_t *resp, size_t len, uint32_t now)
{
    /* a positive answer's budget: its wildcard's, else its name's */
    const struct zone_node *w = v->r.wild;
    uint32_t positive = w ? dname_hash(w->name, w->name_len) : v->q.lhash;
    enum dns_rrl_action a = dns_rrl_answer(rrl, &v->q, v->client, resp, len, positive, now);
    if (__builtin_expect(a == DNS_RRL_PASS, 1))
        return len;
    return a == DNS_RRL_SLIP ? dns_answer_truncate(&v->q, v->snap, resp, len) : 0;
}

/* Answers the n queries of the batch just received; returns how many
 * answers are ready in out_msgs. rrl is a constant in each copy: without
 * --rrl, the loop is what it was before rate limiting. */
static inline __attribute__((always_inline)) int
answer(struct udp_thread *u, int n, struct dns_rrl *rrl)
{
    struct dns_view view;
    seat_enter(&u->seat, &view);
    struct timespec qtime = {0, 0}; /* when the batch came in: for dnstap only */
    if (unlikely(u->seat.tap.d != NULL))
        clock_gettime(CLOCK_REALTIME, &qtime);
    uint32_t now = rrl ? dns_rrl_now() : 0;
    int k = 0;
    for (int i = 0; i < n; i++) {
        struct msghdr *in = &u->in_msgs[i].msg_hdr;
        view.client = (const struct sockaddr *)&u->addrs[i];
        size_t len = dns_handle(&view, u->in_buf[i], u->in_msgs[i].msg_len, DNS_PROTO_UDP,
                                u->out_buf[k], sizeof u->out_buf[k]);
        if (rrl && len)
            len = rate_limited(rrl, &view, u->out_buf[k], len, now);
        /* (what went out: nothing, or the slip, when the limit took it) */
        seat_tap(&u->seat, DNS_PROTO_UDP, view.client, (const struct sockaddr *)&u->local, &qtime,
                 u->in_buf[i], u->in_msgs[i].msg_len, u->out_buf[k], len);
        if (len) {
            struct msghdr *out = &u->out_msgs[k].msg_hdr;
            u->out_iov[k].iov_len = len;
            out->msg_name = &u->addrs[i];
            out->msg_namelen = in->msg_namelen;
            k++;
        }
        in->msg_namelen = sizeof u->addrs[i]; /* recvmmsg overwrote it */
    }
    seat_leave(&u->seat);
    return k;
}

/* The copy with rate limiting, out of line: the default one (--rrl 0)
 * stays as it was, but for the branch below. */
__attribute__((noinline)) static int
answer_limited(struct udp_thread *u, int n)
{
    return answer(u, n, u->rrl);
}

static int
answer_batch(struct udp_thread *u, int n)
{
    if (__builtin_expect(u->rrl != NULL, 0))
        return answer_limited(u, n);
    return answer(u, n, NULL);
}

static void
send_batch(struct udp_thread *u, int k)
{
    for (int sent = 0; sent < k;) {
        int m = sys_sendmmsg(u->fd, u->out_msgs + sent, (unsigned)(k - sent), 0);
        if (m > 0) {
            sent += m;
            continue;
        }
        if (m < 0 && errno == EINTR)
            continue;
        /* An unreachable client or no buffer space: UDP may drop. Skip the
         * message that failed and go on with the rest. */
        if (m < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            log_rl_warn("dns: udp send failed: %s", strerror(errno));
        sent++;
    }
}

void *
udp_main(void *arg)
{
    struct udp_thread *u = arg;
    for (;;) {
        /* Blocks for the first datagram, then takes what else is queued. */
        int n = sys_recvmmsg(u->fd, u->in_msgs, UDP_BATCH, MSG_WAITFORONE);
        if (atomic_load_explicit(&u->stop, memory_order_acquire))
            break;
        if (n <= 0) {
            if (n < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
                log_rl_warn("dns: udp receive failed: %s", strerror(errno));
            continue;
        }
        send_batch(u, answer_batch(u, n));
    }
    return NULL;
}

void
udp_init(struct udp_thread *u)
{
    for (int i = 0; i < UDP_BATCH; i++) {
        u->in_iov[i] = (struct iovec){u->in_buf[i], UDP_IN_MAX};
        u->in_msgs[i].msg_hdr = (struct msghdr){.msg_name = &u->addrs[i],
                                                .msg_namelen = sizeof u->addrs[i],
                                                .msg_iov = &u->in_iov[i],
                                                .msg_iovlen = 1};
        u->out_iov[i] = (struct iovec){u->out_buf[i], 0};
        u->out_msgs[i].msg_hdr = (struct msghdr){.msg_iov = &u->out_iov[i], .msg_iovlen = 1};
    }
}
