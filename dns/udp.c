/* udp.c: UDP I/O only: recvmmsg a batch, answer each, sendmmsg the answers. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "dns/worker.h"
#include "gtm/log.h"

#define UDP_ROUNDS 8 /* batches per wakeup before letting other sockets run */

void
udp_read_cb(evutil_socket_t fd, short what, void *arg)
{
    struct udp_sock *u = arg;
    struct worker *w = u->w;
    (void)what;
    struct dns_view view = worker_enter(w);

    for (int round = 0; round < UDP_ROUNDS; round++) {
        int n = recvmmsg(fd, w->in_msgs, UDP_BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0) {
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                log_rl_warn("dns: udp receive failed: %s", strerror(errno));
            break;
        }
        int k = 0;
        for (int i = 0; i < n; i++) {
            struct msghdr *in = &w->in_msgs[i].msg_hdr;
            view.client = (const struct sockaddr *)&w->addrs[i];
            size_t len = dns_handle(&view, w->in_buf[i], w->in_msgs[i].msg_len, DNS_PROTO_UDP,
                                    w->out_buf[k], sizeof w->out_buf[k]);
            if (len) {
                struct msghdr *out = &w->out_msgs[k].msg_hdr;
                w->out_iov[k].iov_len = len;
                out->msg_name = &w->addrs[i];
                out->msg_namelen = in->msg_namelen;
                k++;
            }
            in->msg_namelen = sizeof w->addrs[i]; /* recvmmsg overwrote it */
        }
        for (int sent = 0; sent < k;) {
            int m = sendmmsg(fd, w->out_msgs + sent, (unsigned)(k - sent), MSG_DONTWAIT);
            if (m <= 0) {
                if (m < 0 && errno == EINTR)
                    continue;
                /* A full socket buffer or an unreachable client: UDP may drop. */
                if (m < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
                    log_rl_warn("dns: udp send failed: %s", strerror(errno));
                /* Skip the message that failed and go on with the rest. */
                sent++;
                continue;
            }
            sent += m;
        }
        if (n < UDP_BATCH)
            break;
    }
    worker_leave(w);
}

void
udp_init(struct worker *w)
{
    for (int i = 0; i < UDP_BATCH; i++) {
        w->in_iov[i] = (struct iovec){w->in_buf[i], UDP_IN_MAX};
        w->in_msgs[i].msg_hdr = (struct msghdr){.msg_name = &w->addrs[i],
                                                .msg_namelen = sizeof w->addrs[i],
                                                .msg_iov = &w->in_iov[i],
                                                .msg_iovlen = 1};
        w->out_iov[i] = (struct iovec){w->out_buf[i], 0};
        w->out_msgs[i].msg_hdr = (struct msghdr){.msg_iov = &w->out_iov[i], .msg_iovlen = 1};
    }
}
