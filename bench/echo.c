/* echo.c: the floor for bench/run. A UDP server that does nothing but send
 * each datagram back with the QR bit set: recvmmsg a batch (blocking until
 * at least one datagram, MSG_WAITFORONE), flip the bit, sendmmsg the batch.
 * What a DNS server costs above this program is its own work; what this
 * program costs is the kernel's UDP path on loopback.
 *
 *   echo ADDR PORT [THREADS]
 *
 * THREADS (default 1) threads, each with its own SO_REUSEPORT socket.
 * Runs until SIGTERM or SIGINT. Build: cc -O2 -pthread -o echo echo.c */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH  64
#define BUFLEN 4096

struct batch {
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    struct sockaddr_storage addrs[BATCH];
    unsigned char bufs[BATCH][BUFLEN];
};

static void *
serve(void *arg)
{
    int fd = *(int *)arg;
    struct batch *b = calloc(1, sizeof *b);
    if (!b) {
        perror("echo: calloc");
        exit(1);
    }
    for (;;) {
        for (int i = 0; i < BATCH; i++) {
            b->iov[i] = (struct iovec){b->bufs[i], BUFLEN};
            b->msgs[i].msg_hdr = (struct msghdr){.msg_name = &b->addrs[i],
                                                 .msg_namelen = sizeof b->addrs[i],
                                                 .msg_iov = &b->iov[i],
                                                 .msg_iovlen = 1};
        }
        int n = recvmmsg(fd, b->msgs, BATCH, MSG_WAITFORONE, NULL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            perror("echo: recvmmsg");
            exit(1);
        }
        for (int i = 0; i < n; i++) {
            b->iov[i].iov_len = b->msgs[i].msg_len;
            if (b->msgs[i].msg_len > 2)
                b->bufs[i][2] |= 0x80; /* QR: a response */
        }
        for (int sent = 0; sent < n;) {
            int m = sendmmsg(fd, b->msgs + sent, (unsigned)(n - sent), 0);
            if (m < 0 && errno == EINTR)
                continue;
            sent += m > 0 ? m : 1; /* skip one that cannot be sent */
        }
    }
    return NULL;
}

int
main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: %s ADDR PORT [THREADS]\n", argv[0]);
        return 2;
    }
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
    if (inet_pton(AF_INET, argv[1], &sin.sin_addr) != 1) {
        fprintf(stderr, "echo: bad IPv4 address '%s'\n", argv[1]);
        return 2;
    }
    int nthreads = argc == 4 ? atoi(argv[3]) : 1;
    if (nthreads < 1 || nthreads > 64) {
        fprintf(stderr, "echo: THREADS must be 1..64\n");
        return 2;
    }
    int *fds = calloc((size_t)nthreads, sizeof *fds);
    for (int t = 0; t < nthreads; t++) {
        int one = 1, buf = 4 << 20;
        fds[t] = socket(AF_INET, SOCK_DGRAM, 0);
        if (fds[t] < 0 || setsockopt(fds[t], SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) {
            perror("echo: socket");
            return 1;
        }
        setsockopt(fds[t], SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
        setsockopt(fds[t], SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
        if (bind(fds[t], (struct sockaddr *)&sin, sizeof sin) < 0) {
            perror("echo: bind");
            return 1;
        }
    }
    /* Threads block every signal; the main thread waits for TERM/INT. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    for (int t = 0; t < nthreads; t++) {
        pthread_t th;
        if (pthread_create(&th, NULL, serve, &fds[t]) != 0) {
            fprintf(stderr, "echo: cannot start a thread\n");
            return 1;
        }
    }
    int sig;
    sigwait(&set, &sig);
    return 0;
}
