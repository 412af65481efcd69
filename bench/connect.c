/* connect.c: the floor under a health probe. What a probe must cost the
 * machine at least, with no monitor around it: one loop, in one thread,
 * doing what each probe does on the wire, and nothing else.
 *
 *   connect tcp|http N FIRST COUNT PORT
 *
 * N connections, round robin over COUNT loopback addresses from FIRST
 * (a.b.c.d, counting up through the last byte and on into the third), on
 * PORT. Each: a non-blocking socket, connect(2), epoll until writable,
 * SO_ERROR; tcp: close with a reset (as gtmd's TCP probes do); http: send a
 * GET like gtmd's, read the answer until the server closes, close. Prints
 * the CPU time (user and system, getrusage) per connection: on the
 * loopback that includes the server side's kernel work done in this
 * thread's softirqs, as it does for gtmd's monitor.
 *
 * Build: cc -O2 -o connect connect.c */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static double
cpu_us(const struct timeval *a, const struct timeval *b)
{
    return (double)(b->tv_sec - a->tv_sec) * 1e6 + (double)(b->tv_usec - a->tv_usec);
}

static int
wait_for(int ep, int fd, unsigned events, int op)
{
    struct epoll_event ev = {.events = events, .data.fd = fd}, out;
    if (epoll_ctl(ep, op, fd, &ev) != 0)
        return -1;
    return epoll_wait(ep, &out, 1, 5000) == 1 ? 0 : -1;
}

int
main(int argc, char **argv)
{
    if (argc != 6 || (strcmp(argv[1], "tcp") != 0 && strcmp(argv[1], "http") != 0)) {
        fprintf(stderr, "usage: connect tcp|http N FIRST COUNT PORT\n");
        return 2;
    }
    int http = strcmp(argv[1], "http") == 0;
    long n = atol(argv[2]), count = atol(argv[4]), port = atol(argv[5]);
    struct in_addr first;
    if (n < 1 || count < 1 || port < 1 || port > 65535 ||
        inet_pton(AF_INET, argv[3], &first) != 1 || (ntohl(first.s_addr) >> 24) != 127) {
        fprintf(stderr, "connect: N, COUNT and PORT must be positive, FIRST in 127.0.0.0/8\n");
        return 2;
    }
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) {
        perror("connect: epoll_create1");
        return 1;
    }
    static const char req[] = "GET /floor HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                              "User-Agent: Azure Traffic Manager Endpoint Monitor\r\n"
                              "Accept: */*\r\n\r\n";
    char buf[4096];
    long failed = 0;
    struct rusage r0, r1;
    getrusage(RUSAGE_SELF, &r0);
    for (long i = 0; i < n; i++) {
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        a.sin_addr.s_addr = htonl(ntohl(first.s_addr) + (uint32_t)(i % count));
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            perror("connect: socket");
            return 1;
        }
        int err = 0;
        socklen_t elen = sizeof err;
        if ((connect(fd, (struct sockaddr *)&a, sizeof a) != 0 && errno != EINPROGRESS) ||
            wait_for(ep, fd, EPOLLOUT, EPOLL_CTL_ADD) != 0 ||
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0 || err != 0) {
            failed++;
            close(fd);
            continue;
        }
        if (http) {
            /* one change of the watch, then wait and read to the close */
            bool ok = send(fd, req, sizeof req - 1, MSG_NOSIGNAL) == (ssize_t)(sizeof req - 1) &&
                      wait_for(ep, fd, EPOLLIN, EPOLL_CTL_MOD) == 0;
            for (struct epoll_event out; ok;) {
                ssize_t got = recv(fd, buf, sizeof buf, 0);
                if (got == 0)
                    break;
                if (got < 0 && errno != EAGAIN) {
                    ok = false;
                } else if (got < 0 && epoll_wait(ep, &out, 1, 5000) != 1) {
                    ok = false;
                }
            }
            failed += !ok;
            epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
            close(fd);
        } else {
            epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
            struct linger l = {.l_onoff = 1, .l_linger = 0};
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
            close(fd);
        }
    }
    getrusage(RUSAGE_SELF, &r1);
    double user = cpu_us(&r0.ru_utime, &r1.ru_utime), sys = cpu_us(&r0.ru_stime, &r1.ru_stime);
    printf("%s %ld %.1f %.1f %.1f %ld\n", argv[1], n, (user + sys) / (double)n, user / (double)n,
           sys / (double)n, failed);
    return failed ? 1 : 0;
}
